//! The three file formats written: GeoJSON (times with `+08:00`), CSV (BOM, formula-safe text)
//! and GeoPackage (one layer per geometry type, R-tree, extent, Chinese field titles).

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn write_geojson(path: &Path, layer: Option<Layer<'_>>, counter: &mut Counter<'_>) -> Result<Vec<(String, usize)>, ExportError> {
    let Some(layer) = layer else { return Ok(Vec::new()) };
    let io = io_error(path);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(&io)?);
    let name = serde_json::to_string(layer.name).unwrap_or_default();
    write!(out, "{{\"type\":\"FeatureCollection\",\"name\":{name},\"features\":[").map_err(&io)?;
    let keys: Vec<String> = layer.fields.iter().map(|field| serde_json::to_string(field.name).unwrap_or_default()).collect();
    let mut line = String::with_capacity(1024);
    let mut written = 0;
    for (index, row) in layer.rows.enumerate() {
        line.clear();
        if index > 0 {
            line.push(',');
        }
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&row.geometry));
        let geometry = serde_json::to_string(&geometry).unwrap_or_else(|_| "null".into());
        let _ = write!(line, "\n{{\"type\":\"Feature\",\"id\":{},\"geometry\":{geometry},\"properties\":{{", index + 1);
        for (position, (key, value)) in keys.iter().zip(&row.values).enumerate() {
            if position > 0 {
                line.push(',');
            }
            line.push_str(key);
            line.push(':');
            line.push_str(&serde_json::to_string(&value.to_json()).unwrap_or_else(|_| "null".into()));
        }
        line.push_str("}}");
        out.write_all(line.as_bytes()).map_err(&io)?;
        written += 1;
        counter.tick(path)?;
    }
    out.write_all(b"\n]}\n").map_err(&io)?;
    out.into_inner().map_err(|error| io(error.into_error()))?.sync_all().map_err(&io)?;
    Ok(vec![(layer.name.to_owned(), written)])
}

/// Quotes a CSV cell when it needs it (RFC 4180).
pub(super) fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// CSV: a BOM, one header row, then a row per feature. The header holds the field names (as in
/// GeoJSON and GeoPackage; GDAL, pandas and import profiles key on them) or, for people opening
/// the file in Excel, the Chinese titles. Times are China wall time.
pub(super) fn write_csv(
    path: &Path,
    layer: Option<Layer<'_>>,
    header: CsvHeader,
    counter: &mut Counter<'_>,
) -> Result<Vec<(String, usize)>, ExportError> {
    let Some(layer) = layer else { return Ok(Vec::new()) };
    let io = io_error(path);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(&io)?);
    out.write_all("\u{feff}".as_bytes()).map_err(&io)?;
    let header: Vec<&str> = layer
        .fields
        .iter()
        .map(|field| match header {
            CsvHeader::Names => field.name,
            CsvHeader::ChineseTitles => field.title_zh,
        })
        .collect();
    writeln!(out, "{}", header.join(",")).map_err(&io)?;
    let mut written = 0;
    let mut line = String::with_capacity(512);
    for row in layer.rows {
        line.clear();
        for (position, value) in row.values.iter().enumerate() {
            if position > 0 {
                line.push(',');
            }
            line.push_str(&csv_cell(&value.to_csv()));
        }
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(&io)?;
        written += 1;
        counter.tick(path)?;
    }
    out.into_inner().map_err(|error| io(error.into_error()))?.sync_all().map_err(&io)?;
    Ok(vec![(layer.name.to_owned(), written)])
}

/// A GeoPackage written from scratch: the core tables, one feature table per layer with an
/// R-tree and its extent, and the schema extension's `gpkg_data_columns` carrying each field's
/// Chinese title (GDAL and QGIS show it as the field's alias).
pub(super) fn write_geopackage(
    path: &Path,
    layers: Vec<Layer<'_>>,
    counter: &mut Counter<'_>,
) -> Result<Vec<(String, usize)>, ExportError> {
    let sqlite = |source| ExportError::Sqlite { path: path.to_owned(), source };
    // A leftover partial file from a crash would make the CREATE TABLEs fail.
    if path.exists() {
        std::fs::remove_file(path).map_err(io_error(path))?;
    }
    let mut conn = Connection::open(path).map_err(sqlite)?;
    conn.execute_batch(&format!(
        "PRAGMA application_id = {}; PRAGMA user_version = {}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
        gpkg::APPLICATION_ID,
        gpkg::GPKG_USER_VERSION
    ))
    .map_err(sqlite)?;
    gpkg::register_functions(&conn).map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    tx.execute_batch(gpkg::CORE_TABLES_SQL).map_err(sqlite)?;
    tx.execute_batch(
        "CREATE TABLE gpkg_data_columns (
           table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
           mime_type TEXT, constraint_name TEXT,
           CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
           CONSTRAINT gdc_tn UNIQUE (table_name, name));
         CREATE TABLE gpkg_data_column_constraints (
           constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
           min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
           CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
         INSERT INTO gpkg_extensions VALUES
           ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write'),
           ('gpkg_data_column_constraints', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write');",
    )
    .map_err(sqlite)?;
    let mut written = Vec::new();
    for layer in layers {
        let columns: Vec<String> = layer.fields.iter().map(|field| format!("\"{}\" {}", field.name, field.kind.sql_type())).collect();
        tx.execute_batch(&format!(
            "CREATE TABLE \"{}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {} NOT NULL, {});",
            layer.name,
            layer.geometry_type,
            columns.join(", ")
        ))
        .map_err(sqlite)?;
        gpkg::register_feature_table(&tx, layer.name, layer.geometry_type, layer.description).map_err(sqlite)?;
        for field in layer.fields {
            tx.execute(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name, title) VALUES (?1, ?2, ?3, ?3)",
                rusqlite::params![layer.name, field.name, field.title_zh],
            )
            .map_err(sqlite)?;
        }
        let placeholders: Vec<String> = (1..=layer.fields.len() + 1).map(|index| format!("?{index}")).collect();
        let names: Vec<String> = layer.fields.iter().map(|field| format!("\"{}\"", field.name)).collect();
        let mut insert = tx
            .prepare(&format!("INSERT INTO \"{}\" (geom, {}) VALUES ({})", layer.name, names.join(", "), placeholders.join(", ")))
            .map_err(sqlite)?;
        let mut count = 0;
        let mut extent: Option<Rect<f64>> = None;
        for row in layer.rows {
            if let Some(rect) = row.geometry.bounding_rect() {
                extent = Some(extent.map_or(rect, |known| {
                    Rect::new(
                        geo::coord! { x: known.min().x.min(rect.min().x), y: known.min().y.min(rect.min().y) },
                        geo::coord! { x: known.max().x.max(rect.max().x), y: known.max().y.max(rect.max().y) },
                    )
                }));
            }
            let mut values = Vec::with_capacity(row.values.len() + 1);
            values.push(rusqlite::types::Value::Blob(gpkg::blob_from_geometry(&row.geometry)));
            values.extend(row.values.iter().map(Value::to_sql));
            insert.execute(params_from_iter(values)).map_err(sqlite)?;
            count += 1;
            counter.tick(path)?;
        }
        drop(insert);
        if let Some(rect) = extent {
            tx.execute(
                "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4 WHERE table_name = ?5",
                rusqlite::params![rect.min().x, rect.min().y, rect.max().x, rect.max().y, layer.name],
            )
            .map_err(sqlite)?;
        }
        written.push((layer.name.to_owned(), count));
    }
    tx.commit().map_err(sqlite)?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;").map_err(sqlite)?;
    conn.close().map_err(|(_, source)| sqlite(source))?;
    // The file is complete on disk before it is renamed into place.
    File::open(path).and_then(|file| file.sync_all()).map_err(io_error(path))?;
    Ok(written)
}
