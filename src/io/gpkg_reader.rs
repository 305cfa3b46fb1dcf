//! GeoPackage layers as QGIS and GDAL write them, read through SQLite opened read-only.
//!
//! Layers come from `gpkg_contents` + `gpkg_geometry_columns`, their system from
//! `gpkg_spatial_ref_sys`. Geometry blobs may carry any envelope and the empty flag. Reading
//! fires no trigger, so GDAL's R-tree triggers (which call `ST_*` functions) do not matter.

use std::ops::ControlFlow;
use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use crate::untrusted::UntrustedDb;

use super::ImportError;
use super::feature::{FieldInfo, FieldKind, SourceFeature, Value};
use crate::store::gpkg::geometry_from_blob;

/// One layer of a GeoPackage.
#[derive(Debug, Clone)]
pub(crate) struct GpkgLayer {
    pub table: String,
    pub geometry_column: Option<String>,
    pub geometry_type: String,
    pub srs_id: Option<i64>,
    /// `organization:organization_coordsys_id` and the name, for the evidence.
    pub srs_organization: Option<(String, i64)>,
    pub srs_name: Option<String>,
    pub srs_definition: Option<String>,
}

fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> ImportError + '_ {
    move |error| {
        if crate::untrusted::was_interrupted(&error) {
            return ImportError::Malformed {
                what: format!(
                    "{}: a query made no progress for {} s (a view or trigger in the file that never ends?); stopped",
                    path.display(),
                    crate::untrusted::sqlite_stall().as_secs_f64()
                ),
            };
        }
        ImportError::Malformed { what: format!("{}: {error}", path.display()) }
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Opens a GeoPackage read-only and hardened (someone else's file: see `untrusted`) and lists
/// its feature and attribute layers.
pub(crate) fn open(path: &Path) -> Result<(UntrustedDb, Vec<GpkgLayer>), ImportError> {
    let length = std::fs::metadata(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?.len();
    if length == 0 {
        return Err(ImportError::Empty);
    }
    let conn = UntrustedDb::open(path, crate::untrusted::sqlite_stall()).map_err(sql_error(path))?;
    let mut statement = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.geometry_type_name, c.srs_id, s.organization, s.organization_coordsys_id, s.srs_name, s.definition
             FROM gpkg_contents c
             LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
             LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = coalesce(g.srs_id, c.srs_id)
             WHERE c.data_type IN ('features', 'attributes')
             ORDER BY c.table_name",
        )
        .map_err(|error| ImportError::Malformed { what: format!("{}: not a GeoPackage ({error})", path.display()) })?;
    let layers = statement
        .query_map([], |row| {
            Ok(GpkgLayer {
                table: row.get(0)?,
                geometry_column: row.get(1)?,
                geometry_type: row.get::<_, Option<String>>(2)?.unwrap_or_else(|| "None".into()),
                srs_id: row.get(3)?,
                srs_organization: match (row.get::<_, Option<String>>(4)?, row.get::<_, Option<i64>>(5)?) {
                    (Some(organization), Some(id)) => Some((organization, id)),
                    _ => None,
                },
                srs_name: row.get(6)?,
                srs_definition: row.get(7)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql_error(path))?;
    drop(statement);
    Ok((conn, layers))
}

/// Non-geometry columns with their declared types (the `fid` primary key left out).
pub(crate) fn fields(conn: &Connection, path: &Path, layer: &GpkgLayer) -> Result<Vec<FieldInfo>, ImportError> {
    let mut statement = conn.prepare(&format!("PRAGMA table_info({})", quoted(&layer.table))).map_err(sql_error(path))?;
    let columns = statement
        .query_map([], |row| Ok((row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, i64>(5)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql_error(path))?;
    Ok(columns
        .into_iter()
        .filter(|(name, _, primary_key)| *primary_key == 0 && Some(name) != layer.geometry_column.as_ref())
        .map(|(name, declared, _)| {
            let kind = FieldKind::from_sql_type(&declared);
            FieldInfo { name, kind }
        })
        .collect())
}

/// Row count of a layer.
pub(crate) fn count(conn: &Connection, path: &Path, layer: &GpkgLayer) -> Result<u64, ImportError> {
    conn.query_row(&format!("SELECT count(*) FROM {}", quoted(&layer.table)), [], |row| row.get::<_, i64>(0))
        .map(|count| u64::try_from(count).unwrap_or(0))
        .map_err(sql_error(path))
}

/// Whether a GP blob is flagged empty (bit 4 of the flags byte).
fn blob_is_empty(blob: &[u8]) -> bool {
    blob.len() >= 4 && &blob[..2] == b"GP" && blob[3] & 0b0001_0000 != 0
}

/// Streams a layer's features in rowid order.
pub(crate) fn read(
    conn: &UntrustedDb,
    path: &Path,
    layer: &GpkgLayer,
    visit: &mut dyn FnMut(SourceFeature) -> Result<ControlFlow<()>, ImportError>,
) -> Result<(), ImportError> {
    let fields = fields(conn, path, layer)?;
    let mut columns: Vec<String> = fields.iter().map(|field| quoted(&field.name)).collect();
    if let Some(geometry) = &layer.geometry_column {
        columns.push(quoted(geometry));
    }
    let sql = format!("SELECT {} FROM {}", if columns.is_empty() { "NULL".into() } else { columns.join(", ") }, quoted(&layer.table));
    let mut statement = conn.prepare(&sql).map_err(sql_error(path))?;
    conn.pet();
    let mut rows = statement.query([]).map_err(sql_error(path))?;
    let mut index = 0u64;
    while let Some(row) = rows.next().map_err(sql_error(path))? {
        conn.pet();
        let mut attributes = Vec::with_capacity(fields.len());
        for (column, field) in fields.iter().enumerate() {
            let value = match row.get_ref(column).map_err(sql_error(path))? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(value) if field.kind == FieldKind::Boolean => Value::Boolean(value != 0),
                ValueRef::Integer(value) => Value::Integer(value),
                ValueRef::Real(value) => Value::Real(value),
                ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
                ValueRef::Blob(_) => Value::Text("(binary)".into()),
            };
            attributes.push((field.name.clone(), value));
        }
        let geometry = if layer.geometry_column.is_some() {
            match row.get_ref(fields.len()).map_err(sql_error(path))? {
                ValueRef::Blob(blob) if blob_is_empty(blob) => None,
                ValueRef::Blob(blob) => Some(geometry_from_blob(blob).map_err(|error| ImportError::Malformed {
                    what: format!("{}: layer {} feature {}: {error}", path.display(), layer.table, index + 1),
                })?),
                _ => None,
            }
        } else {
            None
        };
        if visit(SourceFeature { index, geometry, attributes, unclosed_rings: 0 })?.is_break() {
            break;
        }
        index += 1;
    }
    Ok(())
}
