//! Parts read where they are and by code, without reading the district's parts: what a seat
//! asks of the store when it holds only the parts it shows (city scale, issue 20). The file
//! answers from its GeoPackage R-tree (`rtree_<table>_geom`), the server from its GiST index.

use super::queries::{PART_COLUMNS, PART_TABLES, part_from_row, query_rows_with};
use super::{Store, StoreError};
use geo::BoundingRect as _;

use crate::model::{Part, PartCode, PartGeometry};

/// A lon/lat box: west, south, east, north.
pub type LonLatBox = [f64; 4];

impl Store {
    /// The parts whose bounding box meets `bbox` (lon/lat west, south, east, north): points,
    /// then lines, then polygons, each in insertion order.
    ///
    /// # Errors
    /// A box that is not one (NaN, west east of east), SQL errors, or a row that cannot be read.
    pub fn parts_in_box(&self, bbox: LonLatBox) -> Result<Vec<Part>, StoreError> {
        let [west, south, east, north] = bbox;
        if !(bbox.iter().all(|value| value.is_finite()) && west <= east && south <= north) {
            return Err(StoreError::BadRow { table: "part_points", row: 0, problem: format!("not a lon/lat box: {bbox:?}") });
        }
        let mut parts = Vec::new();
        for table in PART_TABLES {
            let sql = if self.is_server() {
                format!("SELECT {PART_COLUMNS} FROM {table} WHERE geom && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) ORDER BY fid")
            } else {
                let columns = PART_COLUMNS.split(", ").map(|column| format!("p.{column}")).collect::<Vec<_>>().join(", ");
                format!(
                    "SELECT {columns} FROM {table} p JOIN rtree_{table}_geom r ON r.id = p.fid
                     WHERE r.maxx >= ?1 AND r.maxy >= ?2 AND r.minx <= ?3 AND r.miny <= ?4 ORDER BY p.fid"
                )
            };
            // The file's R-tree keeps 32-bit bounds rounded outwards: parts a hair outside come
            // back too and are left out here by their exact bounds.
            let found =
                query_rows_with(self.conn(), table, &sql, &[&west, &south, &east, &north], |cells| part_from_row(table, cells.row))?;
            parts.extend(found.into_iter().filter(|part| meets(part, bbox)));
        }
        Ok(parts)
    }

    /// The part with this code, from whichever table holds it.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be read.
    pub fn part_by_code(&self, code: PartCode) -> Result<Option<Part>, StoreError> {
        let text = code.to_string();
        for table in PART_TABLES {
            let sql = format!("SELECT {PART_COLUMNS} FROM {table} WHERE code = ?1");
            if let Some(part) = query_rows_with(self.conn(), table, &sql, &[&text], |cells| part_from_row(table, cells.row))?.pop() {
                return Ok(Some(part));
            }
        }
        Ok(None)
    }

    /// The parts a search text names, for the search box: the first `limit` (points, then
    /// lines, then polygons, each by fid) and how many there are in all.
    /// - 6 to 15 digits: codes starting or ending with them (the end is the serial painted on
    ///   the part);
    /// - other text: names containing it, as typed (no wildcards);
    /// - a 16-digit code is [`Self::part_by_code`]; fewer than 6 digits name no part.
    ///
    /// Reads every part's name or code: the search box runs it off the UI thread.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be read.
    pub fn search_parts(&self, text: &str, limit: usize) -> Result<(Vec<Part>, usize), StoreError> {
        let digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
        let predicate = match (digits, text.len()) {
            (_, 0) => return Ok((Vec::new(), 0)),
            (true, 16) => {
                return Ok(self.part_by_code(text.parse().map_err(|_| bad_text(text))?)?.map_or((Vec::new(), 0), |part| (vec![part], 1)));
            }
            (true, n) if !(6..16).contains(&n) => return Ok((Vec::new(), 0)),
            // The length is ours, never the user's text: written into the SQL as a number.
            (true, n) if self.is_server() => format!("(left(code, {n}) = ?1 OR right(code, {n}) = ?1)"),
            (true, n) => format!("(substr(code, 1, {n}) = ?1 OR substr(code, -{n}) = ?1)"),
            (false, _) if self.is_server() => "strpos(name, ?1) > 0".to_owned(),
            (false, _) => "instr(name, ?1) > 0".to_owned(),
        };
        let mut found = Vec::new();
        let mut total = 0;
        for table in PART_TABLES {
            let sql = format!("SELECT count(*) FROM {table} WHERE {predicate}");
            let count: i64 = query_rows_with(self.conn(), table, &sql, &[&text], |cells| cells.get(0))?.pop().unwrap_or(0);
            let count = usize::try_from(count).unwrap_or(0);
            total += count;
            let wanted = limit.saturating_sub(found.len()).min(count);
            if wanted > 0 {
                let sql = format!("SELECT {PART_COLUMNS} FROM {table} WHERE {predicate} ORDER BY fid LIMIT {wanted}");
                found.extend(query_rows_with(self.conn(), table, &sql, &[&text], |cells| part_from_row(table, cells.row))?);
            }
        }
        Ok((found, total))
    }
}

fn bad_text(text: &str) -> StoreError {
    StoreError::BadRow { table: "part_points", row: 0, problem: format!("not a part code: {text:?}") }
}

/// Whether a part's bounding box meets the box.
fn meets(part: &Part, [west, south, east, north]: LonLatBox) -> bool {
    let rect = match &part.geometry {
        PartGeometry::Point(point) => Some(geo::Rect::new(point.0, point.0)),
        PartGeometry::Line(line) => line.bounding_rect(),
        PartGeometry::Polygon(polygon) => polygon.bounding_rect(),
    };
    rect.is_some_and(|rect| rect.max().x >= west && rect.min().x <= east && rect.max().y >= south && rect.min().y <= north)
}
