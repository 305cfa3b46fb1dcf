//! GeoPackage plumbing: the geometry blob (GP header + WKB), the required metadata tables, the
//! R-tree spatial index extension and the SQL functions its triggers call.
//!
//! Follows OGC GeoPackage 1.3 (OGC 12-128r18). Nothing here knows about parts or cases.

use geo::{BoundingRect, Geometry, Rect};
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, params};

/// `PRAGMA application_id` of a GeoPackage: ASCII "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` for GeoPackage 1.3.0.
pub const GPKG_USER_VERSION: i32 = 10_300;
/// EPSG:4326, WGS84 longitude/latitude; CGCS2000 (EPSG:4490) matches it at map scale.
pub const WGS84_SRS_ID: i32 = 4326;

/// A geometry blob that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("geometry blob is not a GeoPackage geometry: {0}")]
pub struct BlobError(pub String);

/// Encodes a geometry as a GeoPackage geometry blob in EPSG:4326, little-endian, with an XY
/// envelope for anything but a point (GDAL does the same).
///
/// ```
/// use citygrid::store::gpkg::{blob_from_geometry, geometry_from_blob};
/// let point = geo::Geometry::Point(geo::point!(x: 118.33, y: 29.84));
/// let blob = blob_from_geometry(&point);
/// assert_eq!(&blob[..2], b"GP");
/// assert_eq!(geometry_from_blob(&blob).unwrap(), point);
/// ```
#[must_use]
pub fn blob_from_geometry(geometry: &Geometry<f64>) -> Vec<u8> {
    let envelope = match geometry {
        Geometry::Point(_) => None,
        other => other.bounding_rect(),
    };
    let mut blob = Vec::with_capacity(8 + if envelope.is_some() { 32 } else { 0 } + wkb::writer::geometry_wkb_size(geometry));
    blob.extend_from_slice(b"GP");
    blob.push(0); // version 1
    // flags: little-endian (bit 0), envelope code 1 = [minx, maxx, miny, maxy] (bits 1–3).
    blob.push(if envelope.is_some() { 0b0000_0011 } else { 0b0000_0001 });
    blob.extend_from_slice(&WGS84_SRS_ID.to_le_bytes());
    if let Some(rect) = envelope {
        for value in [rect.min().x, rect.max().x, rect.min().y, rect.max().y] {
            blob.extend_from_slice(&value.to_le_bytes());
        }
    }
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    // Writing into a Vec cannot fail for the geometry types we hold.
    if let Err(error) = wkb::writer::write_geometry(&mut blob, geometry, &options) {
        tracing::error!("WKB encoding failed: {error}");
    }
    blob
}

/// Parsed GP header: where the WKB starts, the envelope if any, whether flagged empty.
struct Header {
    wkb_offset: usize,
    envelope: Option<[f64; 4]>,
    empty: bool,
}

fn header_of(blob: &[u8]) -> Result<Header, BlobError> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err(BlobError("missing the GP magic".into()));
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err(BlobError("extended geometry types are not supported".into()));
    }
    let little_endian = flags & 1 == 1;
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        code => return Err(BlobError(format!("envelope code {code} is invalid"))),
    };
    let wkb_offset = 8 + envelope_len;
    if blob.len() < wkb_offset {
        return Err(BlobError("blob shorter than its header".into()));
    }
    let envelope = (envelope_len > 0).then(|| {
        let mut values = [0.0; 4];
        for (index, value) in values.iter_mut().enumerate() {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&blob[8 + index * 8..16 + index * 8]);
            *value = if little_endian { f64::from_le_bytes(bytes) } else { f64::from_be_bytes(bytes) };
        }
        values
    });
    Ok(Header { wkb_offset, envelope, empty: flags & 0b0001_0000 != 0 })
}

/// The geometry of a GeoPackage blob as PostGIS EWKB with `srid` (the GP header dropped, the
/// SRID flag and value put into the outer geometry's header), for loading into a PostGIS
/// column of that SRID. The WKB is checked by decoding it first.
///
/// # Errors
/// A blob without the GP header or with bad WKB.
pub fn ewkb_from_blob(blob: &[u8], srid: u32) -> Result<Vec<u8>, BlobError> {
    geometry_from_blob(blob)?;
    let wkb = &blob[header_of(blob)?.wkb_offset..];
    let (little_endian, kind) = wkb_type(wkb)?;
    let word = |value: u32| if little_endian { value.to_le_bytes() } else { value.to_be_bytes() };
    let mut out = Vec::with_capacity(wkb.len() + 4);
    out.push(wkb[0]);
    out.extend_from_slice(&word(kind | EWKB_SRID_FLAG));
    out.extend_from_slice(&word(srid));
    out.extend_from_slice(&wkb[5..]);
    Ok(out)
}

/// The flag PostGIS sets in an EWKB geometry type when an SRID follows it.
const EWKB_SRID_FLAG: u32 = 0x2000_0000;

/// The byte order and the geometry type word of (E)WKB.
fn wkb_type(wkb: &[u8]) -> Result<(bool, u32), BlobError> {
    let header = wkb.get(..5).ok_or_else(|| BlobError("WKB shorter than its header".into()))?;
    let little_endian = header[0] == 1;
    let bytes = [header[1], header[2], header[3], header[4]];
    Ok((little_endian, if little_endian { u32::from_le_bytes(bytes) } else { u32::from_be_bytes(bytes) }))
}

/// PostGIS EWKB (what a server sends for a geometry column) as the GeoPackage blob the file
/// would hold for the same geometry, byte for byte (so a case digest reads the same on both).
///
/// # Errors
/// Bytes that are not a 2-D EWKB geometry.
pub fn blob_from_ewkb(ewkb: &[u8]) -> Result<Vec<u8>, BlobError> {
    let (little_endian, kind) = wkb_type(ewkb)?;
    let mut wkb = Vec::with_capacity(ewkb.len());
    wkb.push(ewkb[0]);
    let plain = kind & !EWKB_SRID_FLAG;
    wkb.extend_from_slice(&if little_endian { plain.to_le_bytes() } else { plain.to_be_bytes() });
    let body = if kind & EWKB_SRID_FLAG != 0 { 9 } else { 5 };
    wkb.extend_from_slice(ewkb.get(body..).ok_or_else(|| BlobError("EWKB shorter than its SRID".into()))?);
    let mut reader = WkbReader { bytes: &wkb, position: 0 };
    let geometry = reader.geometry(0).map_err(BlobError)?.ok_or_else(|| BlobError("empty geometry".into()))?;
    Ok(blob_from_geometry(&geometry))
}

/// Decodes a GeoPackage geometry blob.
///
/// # Errors
/// A blob without the GP header, with bad WKB, or an empty geometry.
pub fn geometry_from_blob(blob: &[u8]) -> Result<Geometry<f64>, BlobError> {
    let header = header_of(blob)?;
    let mut reader = WkbReader { bytes: &blob[header.wkb_offset..], position: 0 };
    let geometry = reader.geometry(0).map_err(BlobError)?;
    geometry.ok_or_else(|| BlobError("empty geometry".into()))
}

/// ISO WKB, read strictly: every count is checked against the bytes left before anything is
/// allocated, nesting is limited, Z and M are read and dropped. (Blobs come from other
/// people's GeoPackages; the `wkb` crate's reader panics on some truncated ones.)
struct WkbReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

/// Deepest nesting of collections accepted.
const MAX_WKB_DEPTH: usize = 16;

impl WkbReader<'_> {
    fn take(&mut self, count: usize) -> Result<&[u8], String> {
        let end = self
            .position
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("WKB ends at byte {} but {count} more are needed at byte {}", self.bytes.len(), self.position))?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| "short read".to_owned())?;
        Ok(if little { u32::from_le_bytes(bytes) } else { u32::from_be_bytes(bytes) })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| "short read".to_owned())?;
        Ok(if little { f64::from_le_bytes(bytes) } else { f64::from_be_bytes(bytes) })
    }

    /// A count of items of at least `min_bytes` each, checked against what is left.
    fn count(&mut self, little: bool, min_bytes: usize, what: &str) -> Result<usize, String> {
        let count = self.u32(little)? as usize;
        let left = self.bytes.len() - self.position;
        if count.saturating_mul(min_bytes) > left {
            return Err(format!("WKB claims {count} {what} in {left} bytes"));
        }
        Ok(count)
    }

    fn coord(&mut self, little: bool, dims: usize) -> Result<geo::Coord<f64>, String> {
        let x = self.f64(little)?;
        let y = self.f64(little)?;
        for _ in 2..dims {
            self.f64(little)?;
        }
        Ok(geo::Coord { x, y })
    }

    fn coords(&mut self, little: bool, dims: usize) -> Result<Vec<geo::Coord<f64>>, String> {
        let count = self.count(little, 8 * dims, "points")?;
        (0..count).map(|_| self.coord(little, dims)).collect()
    }

    fn rings(&mut self, little: bool, dims: usize) -> Result<Option<geo::Polygon<f64>>, String> {
        let count = self.count(little, 4, "rings")?;
        let mut rings = (0..count).map(|_| self.coords(little, dims).map(geo::LineString)).collect::<Result<Vec<_>, _>>()?;
        if rings.is_empty() {
            return Ok(None);
        }
        let exterior = rings.remove(0);
        Ok(Some(geo::Polygon::new(exterior, rings)))
    }

    /// One geometry; `None` for an empty one.
    fn geometry(&mut self, depth: usize) -> Result<Option<Geometry<f64>>, String> {
        if depth > MAX_WKB_DEPTH {
            return Err(format!("WKB collections nested deeper than {MAX_WKB_DEPTH}"));
        }
        let little = match self.take(1)?[0] {
            0 => false,
            1 => true,
            other => return Err(format!("WKB byte order {other} at byte {}", self.position - 1)),
        };
        let code = self.u32(little)?;
        let (kind, dims) = match code / 1000 {
            0 => (code, 2),
            1 | 2 => (code % 1000, 3),
            3 => (code % 1000, 4),
            _ => return Err(format!("WKB geometry type {code}")),
        };
        let members = |reader: &mut Self, what: &str| -> Result<Vec<Geometry<f64>>, String> {
            let count = reader.count(little, 5, what)?;
            let mut members = Vec::with_capacity(count);
            for _ in 0..count {
                members.extend(reader.geometry(depth + 1)?);
            }
            Ok(members)
        };
        Ok(match kind {
            1 => {
                let coord = self.coord(little, dims)?;
                (!coord.x.is_nan() || !coord.y.is_nan()).then_some(Geometry::Point(geo::Point(coord)))
            }
            2 => {
                let coords = self.coords(little, dims)?;
                (!coords.is_empty()).then_some(Geometry::LineString(geo::LineString(coords)))
            }
            3 => self.rings(little, dims)?.map(Geometry::Polygon),
            4 => Some(Geometry::MultiPoint(geo::MultiPoint(
                members(self, "points")?.into_iter().filter_map(|member| geo::Point::try_from(member).ok()).collect(),
            ))),
            5 => Some(Geometry::MultiLineString(geo::MultiLineString(
                members(self, "lines")?.into_iter().filter_map(|member| geo::LineString::try_from(member).ok()).collect(),
            ))),
            6 => Some(Geometry::MultiPolygon(geo::MultiPolygon(
                members(self, "polygons")?.into_iter().filter_map(|member| geo::Polygon::try_from(member).ok()).collect(),
            ))),
            7 => Some(Geometry::GeometryCollection(geo::GeometryCollection(members(self, "geometries")?))),
            other => return Err(format!("WKB geometry type {other} is not supported")),
        })
    }
}

/// The XY envelope of a blob: from its header when present, else computed from the WKB.
fn envelope_of(blob: &[u8]) -> Option<[f64; 4]> {
    let header = header_of(blob).ok()?;
    if header.empty {
        return None;
    }
    if let Some(envelope) = header.envelope {
        return Some(envelope);
    }
    let rect: Rect<f64> = geometry_from_blob(blob).ok()?.bounding_rect()?;
    Some([rect.min().x, rect.max().x, rect.min().y, rect.max().y])
}

/// Registers `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty`, which the GeoPackage
/// R-tree triggers call. Every connection that writes feature tables needs them.
///
/// # Errors
/// Only if SQLite refuses to register a function.
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for (name, index) in [("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            let blob: Option<Vec<u8>> = ctx.get(0)?;
            Ok(blob.as_deref().and_then(envelope_of).map(|envelope| envelope[index]))
        })?;
    }
    conn.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        let blob: Option<Vec<u8>> = ctx.get(0)?;
        Ok(blob.as_deref().is_none_or(|blob| envelope_of(blob).is_none()))
    })?;
    Ok(())
}

/// SQL creating the GeoPackage metadata tables with their required rows.
pub const CORE_TABLES_SQL: &str = r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"#;

/// Registers an existing table as a feature layer in `geom` (EPSG:4326) with an R-tree index.
///
/// # Errors
/// SQL errors, e.g. the table is already registered.
pub fn register_feature_table(conn: &Connection, table: &str, geometry_type: &str, description: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?1, 'features', ?1, ?2, ?3)",
        params![table, description, WGS84_SRS_ID],
    )?;
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)", params![table, geometry_type, WGS84_SRS_ID])?;
    let rtree = format!("rtree_{table}_geom");
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table} WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO {rtree} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER {rtree}_update1 AFTER UPDATE OF geom ON {table} WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO {rtree} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER {rtree}_update2 AFTER UPDATE OF geom ON {table} WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END;
CREATE TRIGGER {rtree}_update3 AFTER UPDATE ON {table} WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {rtree} WHERE id = OLD.fid;
INSERT OR REPLACE INTO {rtree} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER {rtree}_update4 AFTER UPDATE ON {table} WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {rtree} WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table} WHEN old.geom NOT NULL
BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END;"
    ))?;
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        params![table],
    )?;
    Ok(())
}

/// Registers an ordinary table as an attributes layer so GIS tools list it.
///
/// # Errors
/// SQL errors.
pub fn register_attribute_table(conn: &Connection, table: &str, description: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?1, 'attributes', ?1, ?2)",
        params![table, description],
    )?;
    Ok(())
}

/// Recomputes the extent of every feature layer in `gpkg_contents` from its R-tree and stamps
/// `last_change`; call after a bulk write.
///
/// # Errors
/// SQL errors.
pub fn refresh_extents(conn: &Connection) -> rusqlite::Result<()> {
    let tables: Vec<String> = conn
        .prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for table in tables {
        conn.execute(
            &format!(
                "UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) =
                   (SELECT min(minx), max(maxx), min(miny), max(maxy) FROM rtree_{table}_geom),
                   last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                 WHERE table_name = ?1"
            ),
            params![table],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, polygon};

    #[test]
    fn a_polygon_blob_carries_its_envelope_and_round_trips() {
        let polygon = Geometry::Polygon(polygon![(x: 118.0, y: 29.0), (x: 118.5, y: 29.0), (x: 118.5, y: 30.0), (x: 118.0, y: 29.0)]);
        let blob = blob_from_geometry(&polygon);
        assert_eq!(envelope_of(&blob), Some([118.0, 118.5, 29.0, 30.0]));
        assert_eq!(geometry_from_blob(&blob), Ok(polygon));
    }

    #[test]
    fn the_rtree_functions_see_lines_and_points() {
        let conn = Connection::open_in_memory().expect("memory db");
        register_functions(&conn).expect("functions");
        let line = Geometry::LineString(LineString::from(vec![(1.0, 2.0), (3.0, -4.0)]));
        let blob = blob_from_geometry(&line);
        let (min_x, max_y): (f64, f64) = conn
            .query_row("SELECT ST_MinX(?1), ST_MaxY(?1)", rusqlite::params![&blob], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query");
        assert_eq!((min_x, max_y), (1.0, 2.0));
        let point = blob_from_geometry(&Geometry::Point(geo::point!(x: 5.0, y: 6.0)));
        let empty: bool = conn.query_row("SELECT ST_IsEmpty(?1)", rusqlite::params![&point], |row| row.get(0)).expect("query");
        assert!(!empty);
    }

    #[test]
    fn a_blob_without_magic_is_refused() {
        assert!(geometry_from_blob(b"XX\0\x01\0\0\0\0").is_err());
    }
}
