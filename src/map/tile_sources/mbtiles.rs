//! MBTiles 1.3 (an SQLite file of tiles in TMS rows) read-only, with a small connection pool so
//! several workers read at once. Never writes to the file: basemaps are shared and may sit on a
//! read-only disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use crate::untrusted::{UntrustedDb, sqlite_stall};

use super::{SQLITE_HEADER, TileFormat, TileKey, TileSource, TileSourceError, TileSourceInfo, decompress_vector_tile, file_magic};

/// Idle connections kept for reuse; more are opened while all are busy and closed afterwards.
const MAX_IDLE_CONNECTIONS: usize = 4;

const TILE_SQL: &str = "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3";

/// An MBTiles file opened read-only.
#[derive(Debug)]
pub struct MbTiles {
    path: PathBuf,
    info: TileSourceInfo,
    /// `rusqlite::Connection` is `Send` but not `Sync`: each read borrows one connection from
    /// here, opening another when all are in use, so two workers never wait on each other.
    idle_connections: Mutex<Vec<UntrustedDb>>,
}

impl MbTiles {
    /// Opens an MBTiles file and reads its metadata. When `minzoom`/`maxzoom` are missing the
    /// range is taken from the tiles themselves; when `format` is missing, from the first tile.
    ///
    /// # Errors
    /// The file is missing, is not SQLite, has no usable `tiles` table, or has no tiles while its
    /// metadata gives no zoom range.
    pub fn open(path: &Path) -> Result<Self, TileSourceError> {
        if !file_magic(path)?.starts_with(SQLITE_HEADER) {
            return Err(TileSourceError::NotSqlite { path: path.to_owned() });
        }
        let sql_error = |context: &str| {
            let context = context.to_owned();
            move |source| TileSourceError::Sql { path: path.to_owned(), context, source }
        };
        let conn = open_read_only(path).map_err(sql_error("opening read-only"))?;
        let has_tiles: bool = conn
            .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'tiles'", [], |row| row.get(0))
            .map_err(sql_error("reading the schema"))?;
        if !has_tiles {
            return Err(TileSourceError::NoTilesTable { path: path.to_owned() });
        }
        // Fails now, with a clear message, if the table is not laid out as the spec says.
        conn.prepare_cached(TILE_SQL).map_err(|source| TileSourceError::BadTilesTable { path: path.to_owned(), source })?;
        let metadata = read_metadata(&conn).map_err(sql_error("reading the metadata table"))?;
        let zoom_from_metadata = |name: &str| metadata.get(name).and_then(|value| value.trim().parse::<i64>().ok());

        let min_zoom = match zoom_from_metadata("minzoom") {
            Some(zoom) => zoom,
            None => zoom_from_tiles(&conn, "min").map_err(sql_error("finding the lowest zoom level"))?,
        };
        let max_zoom = match zoom_from_metadata("maxzoom") {
            Some(zoom) => zoom,
            None => zoom_from_tiles(&conn, "max").map_err(sql_error("finding the deepest zoom level"))?,
        };
        if min_zoom < 0 || max_zoom < 0 {
            return Err(TileSourceError::NoTiles {
                path: path.to_owned(),
                what: "the tiles table is empty and the metadata gives no zoom range",
            });
        }
        let (min_zoom, max_zoom) = (clamp_zoom(min_zoom.min(max_zoom)), clamp_zoom(max_zoom));

        let format = match metadata.get("format") {
            Some(name) => TileFormat::from_name(name),
            None => {
                let first_tile: Option<Option<Vec<u8>>> = conn
                    .query_row("SELECT tile_data FROM tiles LIMIT 1", [], |row| row.get(0))
                    .optional()
                    .map_err(sql_error("reading a tile"))?;
                first_tile.flatten().map_or(TileFormat::Unknown, |bytes| TileFormat::sniff(&bytes))
            }
        };
        let tile_size_px = metadata
            .get("tile_size")
            .or_else(|| metadata.get("tilesize"))
            .and_then(|value| value.trim().parse::<u32>().ok())
            .filter(|&size| size > 0)
            .unwrap_or_else(|| format.default_tile_size_px());
        let info = TileSourceInfo {
            name: metadata.get("name").cloned().unwrap_or_else(|| super::file_stem(path)),
            attribution: metadata.get("attribution").cloned().unwrap_or_default(),
            english: TileSourceInfo::english_from(|key| metadata.get(key).cloned()),
            min_zoom,
            max_zoom,
            tile_size_px,
            format,
            bounds: metadata.get("bounds").and_then(|value| bounds_from_text(value)),
        };
        Ok(Self { path: path.to_owned(), info, idle_connections: Mutex::new(vec![conn]) })
    }

    /// Runs `query` on a pooled connection.
    fn with_connection<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        // A poisoned lock only means another reader panicked; the connections are still fine.
        let idle = self.idle_connections.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_read_only(&self.path)?,
        };
        conn.pet();
        let result = query(&conn);
        let mut idle_connections = self.idle_connections.lock().unwrap_or_else(PoisonError::into_inner);
        if idle_connections.len() < MAX_IDLE_CONNECTIONS {
            idle_connections.push(conn);
        }
        result
    }
}

impl TileSource for MbTiles {
    fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        let Some(tms_row) = key.tms_row() else {
            return Ok(None);
        };
        let data: Option<Option<Vec<u8>>> = self
            .with_connection(|conn| {
                conn.prepare_cached(TILE_SQL)?.query_row(params![key.zoom, key.x, tms_row], |row| row.get(0)).optional()
            })
            .map_err(|source| TileSourceError::Sql { path: self.path.clone(), context: format!("reading tile {key}"), source })?;
        // A NULL tile_data is no tile.
        data.flatten().map(|bytes| decompress_vector_tile(&self.path, key, self.info.format, bytes)).transpose()
    }
}

/// A basemap file is someone else's: read-only, hardened, and a query that makes no progress is
/// interrupted (see `untrusted`). Each worker's connection is used by one thread at a time.
fn open_read_only(path: &Path) -> rusqlite::Result<UntrustedDb> {
    UntrustedDb::open(path, sqlite_stall())
}

/// The `metadata(name, value)` rows; empty when the table is missing (the spec requires it,
/// but tiles without metadata are still worth showing).
fn read_metadata(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let has_metadata: bool =
        conn.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'metadata'", [], |row| {
            row.get(0)
        })?;
    if !has_metadata {
        return Ok(HashMap::new());
    }
    let mut statement = conn.prepare("SELECT name, value FROM metadata")?;
    let rows = statement.query_map([], |row| Ok((row.get::<_, Option<String>>(0)?, row.get::<_, Option<String>>(1)?)))?;
    let mut metadata = HashMap::new();
    for row in rows {
        if let (Some(name), Some(value)) = row? {
            metadata.insert(name.trim().to_ascii_lowercase(), value);
        }
    }
    Ok(metadata)
}

/// `min` or `max` zoom level of the tiles table, -1 when it is empty. Two separate queries, not
/// one `SELECT min(..), max(..)`: SQLite answers a lone min or max from the index without a scan.
fn zoom_from_tiles(conn: &Connection, min_or_max: &str) -> rusqlite::Result<i64> {
    let zoom: Option<i64> = conn.query_row(&format!("SELECT {min_or_max}(zoom_level) FROM tiles"), [], |row| row.get(0))?;
    Ok(zoom.unwrap_or(-1))
}

/// A zoom level from the file, limited to what a [`TileKey`] can address.
fn clamp_zoom(zoom: i64) -> u8 {
    u8::try_from(zoom.clamp(0, i64::from(super::MAX_ZOOM))).unwrap_or(super::MAX_ZOOM)
}

/// `"west,south,east,north"` in degrees; `None` unless it is four finite numbers.
fn bounds_from_text(text: &str) -> Option<[f64; 4]> {
    let values: Vec<f64> = text.split(',').map(|part| part.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let bounds: [f64; 4] = values.try_into().ok()?;
    bounds.iter().all(|value| value.is_finite()).then_some(bounds)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{tile_bytes, write_mbtiles};
    use super::*;

    #[test]
    fn mbtiles_rows_are_flipped_from_tms() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("huizhou.mbtiles");
        // Every z2 tile but (2, 1, 3), each with its own bytes, stored at its TMS row.
        let tiles: Vec<(TileKey, Vec<u8>)> = (0..4u32)
            .flat_map(|x| (0..4u32).map(move |y| (x, y)))
            .filter(|&(x, y)| (x, y) != (1, 3))
            .filter_map(|(x, y)| TileKey::new(2, x, y))
            .map(|key| (key, tile_bytes(key)))
            .collect();
        write_mbtiles(
            &path,
            &[
                ("name", "徽州区 basemap"),
                ("attribution", "© citygrid demo"),
                ("minzoom", "2"),
                ("maxzoom", "2"),
                ("format", "png"),
                ("bounds", "118.1, 29.7, 118.6, 30.1"),
            ],
            &tiles,
        );
        let source = MbTiles::open(&path).expect("open");
        let info = source.info();
        assert_eq!(info.name, "徽州区 basemap");
        assert_eq!(info.attribution, "© citygrid demo");
        assert_eq!((info.min_zoom, info.max_zoom, info.format, info.tile_size_px), (2, 2, TileFormat::Png, 256));
        assert_eq!(info.bounds, Some([118.1, 29.7, 118.6, 30.1]));

        for (key, bytes) in &tiles {
            assert_eq!(source.read_tile(*key).expect("read").as_ref(), Some(bytes), "{key}");
        }
        // The northernmost row in XYZ (y = 0) is TMS row 3, stored as such.
        let conn = Connection::open(&path).expect("reopen");
        let stored: Vec<u8> = conn
            .query_row("SELECT tile_data FROM tiles WHERE zoom_level = 2 AND tile_column = 0 AND tile_row = 3", [], |row| row.get(0))
            .expect("row");
        assert_eq!(stored, tile_bytes(TileKey::new(2, 0, 0).expect("key")));

        assert_eq!(source.read_tile(TileKey::new(2, 1, 3).expect("key")).expect("read"), None);
        assert_eq!(source.read_tile(TileKey::new(5, 1, 3).expect("key")).expect("read"), None);
        assert_eq!(source.read_tile(TileKey { zoom: 2, x: 0, y: 9 }).expect("an invalid key is simply absent"), None);
    }

    #[test]
    fn mbtiles_without_zoom_metadata_takes_the_range_from_its_tiles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("streets.mbtiles");
        let keys = [TileKey::new(9, 420, 210), TileKey::new(14, 13_650, 6_800), TileKey::new(11, 1_700, 850)];
        let png = b"\x89PNG\r\n\x1a\nnot really an image".to_vec();
        let tiles: Vec<(TileKey, Vec<u8>)> = keys.into_iter().flatten().map(|key| (key, png.clone())).collect();
        // Neither minzoom, maxzoom nor format: all three come from the tiles.
        write_mbtiles(&path, &[("name", "streets")], &tiles);
        let source = MbTiles::open(&path).expect("open");
        assert_eq!((source.info().min_zoom, source.info().max_zoom), (9, 14));
        assert_eq!(source.info().format, TileFormat::Png);
        assert_eq!(source.info().bounds, None);

        // No tiles and no zoom metadata: nothing to show, and the message says why.
        let empty = dir.path().join("empty.mbtiles");
        write_mbtiles(&empty, &[("name", "empty")], &[]);
        let error = MbTiles::open(&empty).expect_err("no zoom range");
        assert!(matches!(error, TileSourceError::NoTiles { .. }) && error.to_string().contains("empty.mbtiles"), "{error}");
    }

    #[test]
    fn gzipped_vector_tiles_come_back_decompressed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roads.mbtiles");
        let key = TileKey::new(14, 13_650, 6_800).expect("key");
        let plain = b"\x1a\x05roads protobuf".to_vec();
        let broken = TileKey::new(14, 13_651, 6_800).expect("key");
        let mut truncated = super::super::gzip(&plain).expect("gzip");
        truncated.truncate(12);
        write_mbtiles(
            &path,
            &[("format", "pbf"), ("minzoom", "14"), ("maxzoom", "14")],
            &[(key, super::super::gzip(&plain).expect("gzip")), (broken, truncated)],
        );
        let source = MbTiles::open(&path).expect("open");
        assert_eq!(source.info().format, TileFormat::Mvt);
        assert_eq!(source.info().tile_size_px, 512);
        assert_eq!(source.info().name, "roads", "the file name stands in for a missing name");
        assert_eq!(source.read_tile(key).expect("read"), Some(plain));
        let error = source.read_tile(broken).expect_err("truncated gzip");
        let message = error.to_string();
        assert!(
            message.contains("roads.mbtiles") && message.contains("14/13651/6800") && message.contains("corrupt gzip data"),
            "{message}"
        );
    }

    #[test]
    fn a_tiles_table_with_other_columns_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("odd.mbtiles");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch("CREATE TABLE tiles (z INTEGER, x INTEGER, y INTEGER, data BLOB);").expect("schema");
        drop(conn);
        let error = MbTiles::open(&path).expect_err("wrong columns");
        assert!(matches!(error, TileSourceError::BadTilesTable { .. }) && error.to_string().contains("odd.mbtiles"), "{error}");
    }
}
