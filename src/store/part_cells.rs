//! `part_cells`: part counts per density cell, class and geometry kind (see
//! [`crate::spatial::part_cells`]), kept with every part written, so a seat reads the density
//! layer and the district's totals without reading every part.

use super::queries::query_rows;
use super::sql::{Db, OptionalExtension as _, Tx};
use super::{SqlContext, Store, StoreError};
use crate::spatial::part_cells::{PartCells, decode, encode};

const TABLE: &str = "part_cells";

/// The table, in both engines (SQLite BLOB, PostgreSQL bytea: `server_sql` maps the type).
pub(super) const CREATE_PART_CELLS: &str =
    "CREATE TABLE part_cells (cx INTEGER NOT NULL, cy INTEGER NOT NULL, counts BLOB NOT NULL, PRIMARY KEY (cx, cy))";

impl Store {
    /// The part counts per cell, class and kind.
    ///
    /// # Errors
    /// SQL errors or a row whose counts cannot be read (named with its cell).
    pub fn load_part_cells(&self) -> Result<PartCells, StoreError> {
        read_cells(self.conn())
    }
}

fn read_cells(conn: &Db) -> Result<PartCells, StoreError> {
    let rows = query_rows(conn, TABLE, "SELECT cx, cy, counts FROM part_cells", |cells| {
        let (x, y, bytes): (i64, i64, Vec<u8>) = (cells.get(0)?, cells.get(1)?, cells.get(2)?);
        let counts = decode(&bytes).map_err(|problem| StoreError::BadRow {
            table: TABLE,
            row: x,
            problem: format!("cell ({x}, {y}): {problem}"),
        })?;
        Ok(((x, y), counts))
    })?;
    let mut cells = PartCells::default();
    for (cell, counts) in rows {
        cells.insert(cell, counts);
    }
    Ok(cells)
}

/// Adds the counts of parts being written to their cells' rows, in the write's transaction.
pub(super) fn add_part_cells(tx: &Tx<'_>, added: &PartCells) -> Result<(), StoreError> {
    let mut read = tx.prepare_cached("SELECT counts FROM part_cells WHERE cx = ?1 AND cy = ?2").context("reading part cells")?;
    let mut write = tx
        .prepare_cached(
            "INSERT INTO part_cells (cx, cy, counts) VALUES (?1, ?2, ?3) ON CONFLICT (cx, cy) DO UPDATE SET counts = excluded.counts",
        )
        .context("preparing the part cells' update")?;
    for (cell, counts) in added.iter() {
        let stored: Option<Vec<u8>> = read.query_row(&[&cell.0, &cell.1], |row| row.get(0)).optional().context("reading part cells")?;
        let mut merged = PartCells::default();
        merged.merge_cell(cell, counts);
        if let Some(bytes) = stored {
            let stored = decode(&bytes).map_err(|problem| StoreError::BadRow {
                table: TABLE,
                row: cell.0,
                problem: format!("cell ({}, {}): {problem}", cell.0, cell.1),
            })?;
            merged.merge_cell(cell, &stored);
        }
        let (_, counts) = merged.iter().next().unwrap_or((cell, &[]));
        write.execute(&[&cell.0, &cell.1, &encode(counts)]).context("writing part cells")?;
    }
    Ok(())
}

/// Counts every part already in the database into `part_cells` (the migration that adds it).
pub(super) fn fill_part_cells(conn: &Db) -> Result<(), StoreError> {
    let parts = super::queries::load_all_parts(conn)?;
    let cells = PartCells::from_parts(&parts);
    let mut write =
        conn.prepare_cached("INSERT INTO part_cells (cx, cy, counts) VALUES (?1, ?2, ?3)").context("preparing the part cells' fill")?;
    for (cell, counts) in cells.iter() {
        write.execute(&[&cell.0, &cell.1, &encode(counts)]).context("filling part cells")?;
    }
    Ok(())
}
