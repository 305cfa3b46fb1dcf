//! `part_cells`: part counts per density cell, class and geometry kind (see
//! [`crate::spatial::part_cells`]), kept with every part written, so a seat reads the density
//! layer and the district's totals without reading every part.

use super::queries::query_rows;
use super::sql::{Db, OptionalExtension as _, Tx};
use super::{SqlContext, Store, StoreError};
use std::collections::HashMap;

use crate::spatial::part_cells::{ClassCount, PartCells, cell_of, decode, encode, kind_index, mercator_from_lonlat};

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
    let deltas = added
        .iter()
        .map(|(cell, counts)| (cell, counts.iter().map(|entry| ((entry.major, entry.minor, entry.kind), i64::from(entry.count))).collect()))
        .collect();
    apply_deltas(tx, deltas)
}

/// Signed changes to one cell's counts by (major, minor, kind).
type Deltas = HashMap<(u8, u8, u8), i64>;

/// Adds signed changes to the stored cells; a cell left with no part is deleted.
fn apply_deltas(tx: &Tx<'_>, deltas: HashMap<(i64, i64), Deltas>) -> Result<(), StoreError> {
    let mut read = tx.prepare_cached("SELECT counts FROM part_cells WHERE cx = ?1 AND cy = ?2").context("reading part cells")?;
    let mut write = tx
        .prepare_cached(
            "INSERT INTO part_cells (cx, cy, counts) VALUES (?1, ?2, ?3) ON CONFLICT (cx, cy) DO UPDATE SET counts = excluded.counts",
        )
        .context("preparing the part cells' update")?;
    let mut remove = tx.prepare_cached("DELETE FROM part_cells WHERE cx = ?1 AND cy = ?2").context("preparing the part cells' update")?;
    for (cell, changes) in deltas {
        let stored: Option<Vec<u8>> = read.query_row(&[&cell.0, &cell.1], |row| row.get(0)).optional().context("reading part cells")?;
        let mut counts: Deltas = HashMap::new();
        if let Some(bytes) = stored {
            let stored = decode(&bytes).map_err(|problem| StoreError::BadRow {
                table: TABLE,
                row: cell.0,
                problem: format!("cell ({}, {}): {problem}", cell.0, cell.1),
            })?;
            for entry in stored {
                counts.insert((entry.major, entry.minor, entry.kind), i64::from(entry.count));
            }
        }
        for (key, change) in changes {
            *counts.entry(key).or_default() += change;
        }
        let mut kept: Vec<ClassCount> = counts
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|((major, minor, kind), count)| ClassCount { major, minor, kind, count: u32::try_from(count).unwrap_or(u32::MAX) })
            .collect();
        kept.sort_unstable();
        if kept.is_empty() {
            remove.execute(&[&cell.0, &cell.1]).context("writing part cells")?;
        } else {
            write.execute(&[&cell.0, &cell.1, &encode(&kept)]).context("writing part cells")?;
        }
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

/// The file's log of part edits made outside citygrid (QGIS, GDAL, a script): triggers on the
/// three part tables append each row added or removed (an update is both), with its code and
/// geometry, and citygrid folds the log into `part_cells` when it opens the file
/// ([`Store::fold_part_changes`]). The triggers use no function of ours, so any SQLite runs
/// them. citygrid's own writes keep the cells themselves and leave no log.
pub(super) const CREATE_PART_CHANGES: &str = "CREATE TABLE part_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, sign INTEGER NOT NULL, code TEXT, geom BLOB)";

const CHANGES: &str = "part_changes";

/// The log's triggers on the three part tables (geometry kind 0, 1, 2).
pub(super) fn create_change_triggers() -> String {
    let mut sql = String::new();
    for (kind, table) in super::queries::PART_TABLES.iter().enumerate() {
        sql.push_str(&format!(
            "CREATE TRIGGER {table}_log_insert AFTER INSERT ON {table} BEGIN
               INSERT INTO part_changes (kind, sign, code, geom) VALUES ({kind}, 1, NEW.code, NEW.geom); END;
             CREATE TRIGGER {table}_log_delete AFTER DELETE ON {table} BEGIN
               INSERT INTO part_changes (kind, sign, code, geom) VALUES ({kind}, -1, OLD.code, OLD.geom); END;
             CREATE TRIGGER {table}_log_update AFTER UPDATE OF geom, code ON {table} BEGIN
               INSERT INTO part_changes (kind, sign, code, geom) VALUES ({kind}, -1, OLD.code, OLD.geom), ({kind}, 1, NEW.code, NEW.geom); END;\n"
        ));
    }
    sql
}

/// Drops the log's triggers (inside citygrid's own write, which keeps the cells itself; the
/// same transaction creates them again).
pub(super) fn drop_change_triggers() -> String {
    super::queries::PART_TABLES
        .iter()
        .map(|table| {
            format!(
                "DROP TRIGGER IF EXISTS {table}_log_insert; DROP TRIGGER IF EXISTS {table}_log_delete; DROP TRIGGER IF EXISTS {table}_log_update;\n"
            )
        })
        .collect()
}

/// Whether the file has the log (schema 10 and later; a server has none).
fn has_change_log(conn: &Db) -> Result<bool, StoreError> {
    let Some(lite) = conn.lite() else { return Ok(false) };
    let count: i64 = lite
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'part_changes'", [], |row| row.get(0))
        .context("looking for the part change log")?;
    Ok(count > 0)
}

/// Runs `write` (citygrid's own insert of parts, which counts them into the cells itself) with
/// the log's triggers dropped, and creates them again, all in the caller's transaction.
pub(super) fn without_change_log<T>(tx: &Tx<'_>, write: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    if !has_change_log(tx)? {
        return write();
    }
    tx.execute_batch(&drop_change_triggers()).context("pausing the part change log")?;
    let written = write()?;
    tx.execute_batch(&create_change_triggers()).context("restoring the part change log")?;
    Ok(written)
}

impl Store {
    /// Folds the edits other programs made to the parts (the file's `part_changes` log) into
    /// `part_cells`, in one transaction, and empties the log; returns how many rows it held.
    /// A row whose code or geometry cannot be read is left out of the counts (with a warning
    /// naming it) and dropped from the log.
    ///
    /// # Errors
    /// SQL errors, or a stored cell whose counts cannot be read.
    pub fn fold_part_changes(&mut self) -> Result<usize, StoreError> {
        if !has_change_log(self.conn())? {
            return Ok(0);
        }
        let empty: bool = self
            .conn()
            .lite()
            .is_none_or(|lite| lite.query_row("SELECT NOT EXISTS (SELECT 1 FROM part_changes)", [], |row| row.get(0)).unwrap_or(true));
        if empty {
            return Ok(0);
        }
        self.write(fold_changes)
    }
}

fn fold_changes(tx: &Tx<'_>) -> Result<usize, StoreError> {
    let rows = query_rows(tx, CHANGES, "SELECT id, kind, sign, code, geom FROM part_changes ORDER BY id", |cells| {
        Ok((
            cells.get::<i64>(0)?,
            cells.get::<i64>(1)?,
            cells.get::<i64>(2)?,
            cells.get::<Option<String>>(3)?,
            cells.get::<Option<Vec<u8>>>(4)?,
        ))
    })?;
    let mut deltas: HashMap<(i64, i64), Deltas> = HashMap::new();
    let mut last = 0;
    for (id, kind, sign, code, geom) in &rows {
        last = last.max(*id);
        let part = code.as_deref().and_then(|code| crate::model::PartCode::parse(code).ok()).zip(
            geom.as_deref().and_then(|blob| super::gpkg::geometry_from_blob(blob).ok()).and_then(|geometry| match geometry {
                geo::Geometry::Point(point) => Some(crate::model::PartGeometry::Point(point)),
                geo::Geometry::LineString(line) => Some(crate::model::PartGeometry::Line(line)),
                geo::Geometry::Polygon(polygon) => Some(crate::model::PartGeometry::Polygon(polygon)),
                _ => None,
            }),
        );
        let Some((code, geometry)) = part else {
            tracing::warn!("part change {id}: code {code:?} or its geometry cannot be read; left out of the part counts");
            continue;
        };
        let part = crate::model::Part::bare(code, geometry);
        let anchor = crate::spatial::anchor_of(&part);
        let cell = cell_of(mercator_from_lonlat(anchor.x(), anchor.y()));
        let kind = u8::try_from(*kind).unwrap_or_else(|_| kind_index(&part.geometry));
        *deltas.entry(cell).or_default().entry((code.major(), code.minor(), kind)).or_default() += sign.signum();
    }
    apply_deltas(tx, deltas)?;
    tx.execute("DELETE FROM part_changes WHERE id <= ?1", &[&last]).context("emptying the part change log")?;
    Ok(rows.len())
}
