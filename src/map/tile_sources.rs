//! Offline basemap tile sources for a command centre with no internet: MBTiles files, PMTiles v3
//! archives and `{z}/{x}/{y}.png` folders on local disk, behind one [`TileSource`] trait. For
//! sites that do have a network, [`online`] adds HTTP tile servers (OpenStreetMap, 天地图 /
//! Tianditu, a custom URL template) behind the same trait, with a disk cache.
//!
//! The offline sources are plain file I/O that hands back raw (decompressed) tile bytes. No
//! source caches textures or touches egui, and only the online ones reach the network (or decode
//! images, to lay a label overlay onto its base): the map layer reads them on its worker threads.
//! Every source is `Send + Sync` and is read by several workers at once, so each opens its file
//! (or HTTP client) once and shares it (a connection pool for SQLite, `read_at` for PMTiles).
//!
//! Tiles are addressed in the XYZ scheme (OSM / Google: `y` grows southwards); MBTiles stores
//! TMS rows (`y` grows northwards) and PMTiles Hilbert tile ids, converted here.

mod folder;
mod mbtiles;
pub mod online;
mod pmtiles;
mod pmtiles_format;
mod pmtiles_writer;

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use folder::FolderTiles;
pub use mbtiles::MbTiles;
pub use online::{CompositeTileSource, HttpSourceConfig, HttpTileSource, TiandituLayer, UrlTemplate};
pub use pmtiles::PmTiles;
pub use pmtiles_format::{key_from_pmtiles_tile_id, pmtiles_tile_id};
pub use pmtiles_writer::PmTilesWriter;

/// The deepest zoom level walkers can show, and so the deepest a [`TileKey`] can address.
pub const MAX_ZOOM: u8 = 26;

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A tile, or a directory, larger than this after decompression is refused as damaged rather
/// than allowed to fill memory (a 512 px raster tile is well under 1 MiB).
const MAX_DECOMPRESSED_BYTES: u64 = 64 * 1024 * 1024;

/// A tile address in the XYZ scheme (OSM/Google: y grows southwards), zoom 0..=26.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub zoom: u8,
    pub x: u32,
    pub y: u32,
}

impl TileKey {
    /// A tile key; `None` if `zoom` is beyond [`MAX_ZOOM`] or `x` or `y` is not below `2^zoom`.
    #[must_use]
    pub fn new(zoom: u8, x: u32, y: u32) -> Option<Self> {
        let key = Self { zoom, x, y };
        key.is_valid().then_some(key)
    }

    /// The tile one zoom level up that contains this one; `None` at zoom 0.
    #[must_use]
    pub fn parent(self) -> Option<Self> {
        (self.zoom > 0).then(|| Self { zoom: self.zoom - 1, x: self.x / 2, y: self.y / 2 })
    }

    /// Whether the fields (which are public, so anyone can build a key) name a real tile.
    #[must_use]
    pub fn is_valid(self) -> bool {
        if self.zoom > MAX_ZOOM {
            return false;
        }
        let tiles_per_side = 1u64 << self.zoom;
        u64::from(self.x) < tiles_per_side && u64::from(self.y) < tiles_per_side
    }

    /// The row in the TMS scheme (y grows northwards), as MBTiles stores it; `None` for an invalid key.
    #[must_use]
    pub fn tms_row(self) -> Option<u32> {
        self.is_valid().then(|| ((1u32 << self.zoom) - 1) - self.y)
    }
}

impl fmt::Display for TileKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}/{}", self.zoom, self.x, self.y)
    }
}

/// What the bytes of a tile are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    Png,
    Jpeg,
    Webp,
    /// Mapbox vector tile (protobuf, `.pbf` / `.mvt`).
    Mvt,
    Unknown,
}

impl TileFormat {
    /// From a format name as MBTiles metadata or a file extension spells it: `png`, `jpg`,
    /// `jpeg`, `webp`, `pbf`, `mvt` (any case).
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "png" => Self::Png,
            "jpg" | "jpeg" => Self::Jpeg,
            "webp" => Self::Webp,
            "pbf" | "mvt" => Self::Mvt,
            _ => Self::Unknown,
        }
    }

    /// Guesses the format from the first bytes of a tile. Gzip data is taken for a vector tile:
    /// raster formats carry their own compression and are never gzipped.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Self::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Self::Jpeg
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Self::Webp
        } else if is_gzip(bytes) {
            Self::Mvt
        } else {
            Self::Unknown
        }
    }

    /// The name MBTiles metadata and our PMTiles metadata use: `png`, `jpg`, `webp`, `pbf`;
    /// empty when unknown.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Mvt => "pbf",
            Self::Unknown => "",
        }
    }

    /// Whether the tiles are images (as opposed to vector tiles or something unknown).
    #[must_use]
    pub fn is_raster(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Webp)
    }

    /// The tile edge in pixels when the source does not say: 512 for vector tiles (their usual
    /// design size), 256 for everything else (the OSM convention).
    #[must_use]
    pub fn default_tile_size_px(self) -> u32 {
        if self == Self::Mvt { 512 } else { 256 }
    }
}

/// What a source says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TileSourceInfo {
    /// Shown to the user; the file name when the source has no name of its own.
    pub name: String,
    /// Must be shown on the map (licences of OSM and most providers require it); may be empty.
    pub attribution: String,
    /// The shallowest zoom level with tiles.
    pub min_zoom: u8,
    /// The deepest zoom level with tiles; deeper views draw these tiles enlarged ([`overzoom`]).
    pub max_zoom: u8,
    /// The edge of one tile in pixels.
    pub tile_size_px: u32,
    pub format: TileFormat,
    /// lon/lat west, south, east, north
    pub bounds: Option<[f64; 4]>,
    /// The name and attribution in English, where the source gives them (`name:en`,
    /// `attribution:en` in its metadata); an English seat shows these.
    pub english: Option<InEnglish>,
}

/// A source's name and attribution in English.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InEnglish {
    pub name: String,
    pub attribution: String,
}

impl TileSourceInfo {
    /// The name to show: the English one on an English seat where the source has one.
    #[must_use]
    pub fn name_for(&self, english: bool) -> &str {
        match &self.english {
            Some(InEnglish { name, .. }) if english && !name.is_empty() => name,
            _ => &self.name,
        }
    }

    /// The attribution to show: the English one on an English seat where the source has one.
    #[must_use]
    pub fn attribution_for(&self, english: bool) -> &str {
        match &self.english {
            Some(InEnglish { attribution, .. }) if english && !attribution.is_empty() => attribution,
            _ => &self.attribution,
        }
    }

    /// The English name and attribution from a source's metadata keys `name:en` and
    /// `attribution:en`; `None` when it has neither.
    #[must_use]
    pub fn english_from(lookup: impl Fn(&str) -> Option<String>) -> Option<InEnglish> {
        let name = lookup("name:en").map(|text| text.trim().to_owned()).unwrap_or_default();
        let attribution = lookup("attribution:en").map(|text| text.trim().to_owned()).unwrap_or_default();
        (!name.is_empty() || !attribution.is_empty()).then_some(InEnglish { name, attribution })
    }
}

/// A store of map tiles on disk. Reads must be callable from several worker threads at once.
pub trait TileSource: Send + Sync {
    fn info(&self) -> &TileSourceInfo;
    /// The raw (decompressed) tile bytes, `None` when the source has no such tile.
    ///
    /// # Errors
    /// The file cannot be read or the tile is damaged; the message names the file and the tile.
    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError>;
}

impl fmt::Debug for dyn TileSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("TileSource").field("info", self.info()).finish_non_exhaustive()
    }
}

/// Why a tile source could not be opened, read or written. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum TileSourceError {
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a basemap (neither a tile folder, an MBTiles file nor a PMTiles file)")]
    UnknownKind { path: PathBuf },
    #[error("{path}: not an MBTiles file (it does not start with the SQLite header)")]
    NotSqlite { path: PathBuf },
    #[error("{path}: MBTiles without a `tiles` table")]
    NoTilesTable { path: PathBuf },
    #[error("{path}: the MBTiles `tiles` table lacks the standard columns (zoom_level, tile_column, tile_row, tile_data): {source}")]
    BadTilesTable {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {context}: {source}")]
    Sql {
        path: PathBuf,
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: not a PMTiles v3 file ({problem})")]
    NotPmTiles { path: PathBuf, problem: String },
    #[error("{path}: damaged PMTiles file: {problem}")]
    CorruptPmTiles { path: PathBuf, problem: String },
    #[error("{path}: {what} is not supported")]
    Unsupported { path: PathBuf, what: String },
    #[error("{path}: bad metadata: {problem}")]
    BadMetadata { path: PathBuf, problem: String },
    #[error("{path}: not a directory")]
    NotADirectory { path: PathBuf },
    #[error("{path}: no numeric zoom directories (a tile folder holds {{z}}/{{x}}/{{y}}.png and the like)")]
    NoZoomDirectories { path: PathBuf },
    #[error("{path}: no tiles ({what})")]
    NoTiles { path: PathBuf, what: &'static str },
    #[error("{path}: tile {key}: {problem}")]
    CorruptTile { path: PathBuf, key: TileKey, problem: String },
    /// A URL template for an online source that cannot work (the key in it, if any, is masked).
    #[error("tile URL template {template}: {problem}")]
    BadUrlTemplate { template: String, problem: String },
    /// A provider that needs an access key has none, or an unusable one.
    #[error("{provider}: {problem}")]
    Key { provider: String, problem: String },
    /// A tile server could not be reached, timed out, answered 5xx or something other than a
    /// tile, or sent too much. Transient as far as the map knows: it retries with back-off. The
    /// URL has any key in it masked.
    #[error("{url}: {problem}")]
    Http { url: String, problem: String },
    /// The server answered 401 or 403: the access key is wrong, expired, over quota or of the
    /// wrong type. The URL has the key masked.
    #[error("{url}: HTTP {status}: the server refused the access key; check the key entered in settings")]
    KeyRefused { url: String, status: u16 },
    /// A tile of an online or composite source that cannot be decoded or re-encoded.
    #[error("{name}: tile {key}: {problem}")]
    BadTile { name: String, key: TileKey, problem: String },
}

/// Maps an I/O error on `path` to [`TileSourceError`], a missing file to `Missing`.
fn io_error(path: &Path, source: std::io::Error) -> TileSourceError {
    if source.kind() == std::io::ErrorKind::NotFound {
        TileSourceError::Missing { path: path.to_owned() }
    } else {
        TileSourceError::Io { path: path.to_owned(), source }
    }
}

/// Whether `bytes` start with the gzip magic `1f 8b`.
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1F, 0x8B])
}

/// Decompresses gzip data, refusing more than [`MAX_DECOMPRESSED_BYTES`]. The error is a short
/// description for a message that already names the file and what was being read.
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut decoder = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED_BYTES + 1);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    decoder.read_to_end(&mut out).map_err(|error| format!("corrupt gzip data: {error}"))?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(format!("gzip data expands beyond {} MiB", MAX_DECOMPRESSED_BYTES / (1024 * 1024)));
    }
    Ok(out)
}

/// Gzip-compresses `bytes` (directories and metadata of the PMTiles we write).
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Vector tiles are often stored gzipped (MBTiles from tippecanoe always are): hand them out
/// decompressed, as [`TileSource::read_tile`] promises. Raster formats are returned untouched.
fn decompress_vector_tile(path: &Path, key: TileKey, format: TileFormat, bytes: Vec<u8>) -> Result<Vec<u8>, TileSourceError> {
    if matches!(format, TileFormat::Mvt | TileFormat::Unknown) && is_gzip(&bytes) {
        gunzip(&bytes).map_err(|problem| TileSourceError::CorruptTile { path: path.to_owned(), key, problem })
    } else {
        Ok(bytes)
    }
}

/// The file name without its extension, standing in for a basemap that has no name of its own.
fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| path.display().to_string(), |stem| stem.to_string_lossy().into_owned())
}

/// The last component of `path` (a folder's name keeps any dots in it).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// The first (up to) 16 bytes of a file, to tell SQLite from PMTiles.
fn file_magic(path: &Path) -> Result<Vec<u8>, TileSourceError> {
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    let mut magic = Vec::with_capacity(SQLITE_HEADER.len());
    file.take(SQLITE_HEADER.len() as u64).read_to_end(&mut magic).map_err(|source| io_error(path, source))?;
    Ok(magic)
}

/// Where to draw a tile the source lacks beyond its max zoom: the deepest ancestor at `max_zoom`
/// and the part of it (u0, v0, u1, v1 in 0..1 texture coordinates) that covers `key`.
///
/// A key at or above `max_zoom` is its own answer, with the whole texture. `v` grows downwards,
/// like `y` in the XYZ scheme and in egui textures.
///
/// ```
/// use citygrid::map::tile_sources::{TileKey, overzoom};
/// let key = TileKey::new(16, 3, 2).unwrap();
/// let (ancestor, uv) = overzoom(key, 15);
/// assert_eq!(ancestor, TileKey::new(15, 1, 1).unwrap());
/// assert_eq!(uv, [0.5, 0.0, 1.0, 0.5]);
/// ```
#[must_use]
pub fn overzoom(key: TileKey, max_zoom: u8) -> (TileKey, [f32; 4]) {
    if key.zoom <= max_zoom {
        return (key, [0.0, 0.0, 1.0, 1.0]);
    }
    let levels_up = u32::from(key.zoom - max_zoom);
    let ancestor = TileKey { zoom: max_zoom, x: key.x.checked_shr(levels_up).unwrap_or(0), y: key.y.checked_shr(levels_up).unwrap_or(0) };
    // The ancestor is split into 2^levels_up parts per side; `key` is one of them. f64 keeps the
    // fractions exact up to 2^26 parts before the final rounding to texture precision.
    let parts_per_side = 2f64.powi(i32::try_from(levels_up).unwrap_or(i32::MAX));
    let part_x = f64::from(key.x) - f64::from(ancestor.x) * parts_per_side;
    let part_y = f64::from(key.y) - f64::from(ancestor.y) * parts_per_side;
    let uv = [part_x / parts_per_side, part_y / parts_per_side, (part_x + 1.0) / parts_per_side, (part_y + 1.0) / parts_per_side];
    (ancestor, uv.map(|value| value as f32))
}

/// Opens whichever kind `path` is: a directory → [`FolderTiles`]; `.mbtiles` → [`MbTiles`];
/// `.pmtiles` → [`PmTiles`]; otherwise sniff the first bytes (SQLite header / "PMTiles" magic).
///
/// # Errors
/// The path does not exist, is none of these kinds, or the source refuses to open.
pub fn open_tile_source(path: &Path) -> Result<Box<dyn TileSource>, TileSourceError> {
    let metadata = std::fs::metadata(path).map_err(|source| io_error(path, source))?;
    if metadata.is_dir() {
        return Ok(Box::new(FolderTiles::open(path)?));
    }
    let extension = path.extension().and_then(OsStr::to_str).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("mbtiles") => return Ok(Box::new(MbTiles::open(path)?)),
        Some("pmtiles") => return Ok(Box::new(PmTiles::open(path)?)),
        _ => {}
    }
    let magic = file_magic(path)?;
    if magic.starts_with(SQLITE_HEADER) {
        Ok(Box::new(MbTiles::open(path)?))
    } else if magic.starts_with(pmtiles_format::MAGIC) {
        Ok(Box::new(PmTiles::open(path)?))
    } else {
        Err(TileSourceError::UnknownKind { path: path.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, params};

    /// Distinct, recognisable bytes for each tile.
    pub(super) fn tile_bytes(key: TileKey) -> Vec<u8> {
        format!("tile {key}").into_bytes()
    }

    /// Every tile of zoom levels `zooms`.
    pub(super) fn all_keys(zooms: std::ops::RangeInclusive<u8>) -> Vec<TileKey> {
        let mut keys = Vec::new();
        for zoom in zooms {
            for x in 0..1u32 << zoom {
                for y in 0..1u32 << zoom {
                    keys.extend(TileKey::new(zoom, x, y));
                }
            }
        }
        keys
    }

    /// Writes an MBTiles file the way GDAL and tippecanoe do: `metadata(name, value)` and
    /// `tiles(zoom_level, tile_column, tile_row, tile_data)` with TMS rows.
    pub(super) fn write_mbtiles(path: &Path, metadata: &[(&str, &str)], tiles: &[(TileKey, Vec<u8>)]) {
        let conn = Connection::open(path).expect("create mbtiles");
        conn.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
        )
        .expect("schema");
        for (name, value) in metadata {
            conn.execute("INSERT INTO metadata VALUES (?1, ?2)", params![name, value]).expect("metadata row");
        }
        let mut insert = conn.prepare("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)").expect("prepare");
        for (key, bytes) in tiles {
            insert.execute(params![key.zoom, key.x, key.tms_row().expect("valid key"), bytes]).expect("tile row");
        }
    }

    #[test]
    fn tile_keys_stay_inside_their_zoom_level() {
        assert!(TileKey::new(0, 0, 0).is_some());
        assert!(TileKey::new(0, 1, 0).is_none());
        assert!(TileKey::new(3, 7, 7).is_some());
        assert!(TileKey::new(3, 8, 0).is_none());
        assert!(TileKey::new(26, (1 << 26) - 1, 0).is_some());
        assert!(TileKey::new(27, 0, 0).is_none());
        assert_eq!(TileKey::new(5, 21, 10).and_then(TileKey::parent), TileKey::new(4, 10, 5));
        assert_eq!(TileKey::new(0, 0, 0).and_then(TileKey::parent), None);
        assert_eq!(TileKey::new(2, 1, 0).and_then(TileKey::tms_row), Some(3));
        assert_eq!(TileKey::new(12, 3423, 1763).map(|key| key.to_string()).as_deref(), Some("12/3423/1763"));
    }

    #[test]
    fn overzoom_picks_the_deepest_ancestor_and_its_quarter() {
        // z17 (x = 4·1000 + 3, y = 4·2000 + 1) lies in the z15 tile (1000, 2000), in its
        // right-hand column (u 3/4..1) and second row from the top (v 1/4..1/2).
        let key = TileKey::new(17, 4003, 8001).expect("key");
        let (ancestor, uv) = overzoom(key, 15);
        assert_eq!(ancestor, TileKey::new(15, 1000, 2000).expect("key"));
        assert_eq!(uv, [0.75, 0.25, 1.0, 0.5]);
        assert!((uv[2] - uv[0] - 0.25).abs() < f32::EPSILON && (uv[3] - uv[1] - 0.25).abs() < f32::EPSILON);

        // One level deeper: a quarter of the ancestor, the top-left one.
        let (ancestor, uv) = overzoom(TileKey::new(16, 2000, 4000).expect("key"), 15);
        assert_eq!(ancestor, TileKey::new(15, 1000, 2000).expect("key"));
        assert_eq!(uv, [0.0, 0.0, 0.5, 0.5]);

        // At or above the source's max zoom nothing changes.
        let key = TileKey::new(12, 3423, 1763).expect("key");
        assert_eq!(overzoom(key, 15), (key, [0.0, 0.0, 1.0, 1.0]));
        assert_eq!(overzoom(key, 12), (key, [0.0, 0.0, 1.0, 1.0]));

        // The ancestor is the same one the parent chain reaches.
        let deep = TileKey::new(26, 54_321_987, 12_345_678).expect("key");
        let mut ancestor = deep;
        while ancestor.zoom > 15 {
            ancestor = ancestor.parent().expect("parent");
        }
        let (found, uv) = overzoom(deep, 15);
        assert_eq!(found, ancestor);
        assert!(uv.iter().all(|value| (0.0..=1.0).contains(value)) && uv[0] < uv[2] && uv[1] < uv[3]);
    }

    #[test]
    fn tile_formats_are_known_by_name_and_by_their_first_bytes() {
        assert_eq!(TileFormat::from_name("JPEG"), TileFormat::Jpeg);
        assert_eq!(TileFormat::from_name("pbf"), TileFormat::Mvt);
        assert_eq!(TileFormat::from_name("tiff"), TileFormat::Unknown);
        assert_eq!(TileFormat::sniff(b"\x89PNG\r\n\x1a\n...."), TileFormat::Png);
        assert_eq!(TileFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), TileFormat::Jpeg);
        assert_eq!(TileFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "), TileFormat::Webp);
        assert_eq!(TileFormat::sniff(&gzip(b"layer").expect("gzip")), TileFormat::Mvt);
        assert_eq!(TileFormat::Mvt.default_tile_size_px(), 512);
        assert_eq!(TileFormat::Png.default_tile_size_px(), 256);
    }

    #[test]
    fn garbage_files_are_refused_with_the_path_in_the_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = b"just some notes, not a map\n";

        let fake_pmtiles = dir.path().join("x.pmtiles");
        std::fs::write(&fake_pmtiles, text).expect("write");
        let error = PmTiles::open(&fake_pmtiles).expect_err("a text file is not PMTiles");
        assert!(matches!(error, TileSourceError::NotPmTiles { .. }), "{error}");
        assert!(error.to_string().contains(&*fake_pmtiles.to_string_lossy()), "{error}");
        let error = open_tile_source(&fake_pmtiles).expect_err("refused through the opener too");
        assert!(error.to_string().starts_with(&*fake_pmtiles.to_string_lossy()), "{error}");

        let fake_mbtiles = dir.path().join("x.mbtiles");
        std::fs::write(&fake_mbtiles, text).expect("write");
        let error = MbTiles::open(&fake_mbtiles).expect_err("a text file is not MBTiles");
        assert!(matches!(error, TileSourceError::NotSqlite { .. }), "{error}");
        assert!(error.to_string().contains(&*fake_mbtiles.to_string_lossy()), "{error}");

        // A real SQLite database, but with no tables at all.
        let empty_sqlite = dir.path().join("empty.mbtiles");
        let conn = Connection::open(&empty_sqlite).expect("create");
        conn.execute_batch("CREATE TABLE scratch (value); DROP TABLE scratch;").expect("touch");
        drop(conn);
        assert!(file_magic(&empty_sqlite).expect("magic").starts_with(SQLITE_HEADER));
        let error = open_tile_source(&empty_sqlite).expect_err("no tiles table");
        assert!(matches!(error, TileSourceError::NoTilesTable { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains(&*empty_sqlite.to_string_lossy()) && message.contains("without a `tiles` table"), "{message}");

        // An unknown extension with unknown contents, and a path that is not there.
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, text).expect("write");
        let error = open_tile_source(&notes).expect_err("not a basemap");
        assert!(matches!(error, TileSourceError::UnknownKind { .. }) && error.to_string().contains("notes.txt"), "{error}");
        let missing = dir.path().join("gone.pmtiles");
        let error = open_tile_source(&missing).expect_err("missing");
        assert!(matches!(error, TileSourceError::Missing { .. }) && error.to_string().contains("gone.pmtiles"), "{error}");
    }

    #[test]
    fn the_opener_tells_the_kinds_apart_by_content_when_the_extension_says_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = TileKey::new(1, 1, 0).expect("key");

        let sqlite = dir.path().join("basemap.db");
        write_mbtiles(&sqlite, &[("name", "sqlite basemap"), ("format", "png")], &[(key, tile_bytes(key))]);
        let source = open_tile_source(&sqlite).expect("sniffed as MBTiles");
        assert_eq!(source.info().name, "sqlite basemap");
        assert_eq!(source.read_tile(key).expect("read"), Some(tile_bytes(key)));

        let archive = dir.path().join("basemap.bin");
        let mut writer = PmTilesWriter::new(TileSourceInfo {
            name: "archive basemap".into(),
            attribution: String::new(),
            english: None,
            min_zoom: 1,
            max_zoom: 1,
            tile_size_px: 256,
            format: TileFormat::Png,
            bounds: None,
        });
        writer.add_tile(key, tile_bytes(key));
        writer.write(&archive).expect("write");
        let source = open_tile_source(&archive).expect("sniffed as PMTiles");
        assert_eq!(source.info().name, "archive basemap");
        assert_eq!(source.read_tile(key).expect("read"), Some(tile_bytes(key)));
    }

    #[test]
    fn two_threads_read_one_source_at_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = all_keys(0..=5);
        let tiles: Vec<(TileKey, Vec<u8>)> = keys.iter().map(|&key| (key, tile_bytes(key))).collect();

        let mbtiles_path = dir.path().join("city.mbtiles");
        write_mbtiles(&mbtiles_path, &[("name", "city"), ("format", "png")], &tiles);
        let pmtiles_path = dir.path().join("city.pmtiles");
        let mut writer = PmTilesWriter::new(TileSourceInfo {
            name: "city".into(),
            attribution: String::new(),
            english: None,
            min_zoom: 0,
            max_zoom: 5,
            tile_size_px: 256,
            format: TileFormat::Png,
            bounds: None,
        });
        for (key, bytes) in &tiles {
            writer.add_tile(*key, bytes.clone());
        }
        writer.write(&pmtiles_path).expect("write pmtiles");

        let sources: Vec<Box<dyn TileSource>> = vec![
            Box::new(MbTiles::open(&mbtiles_path).expect("open mbtiles")),
            Box::new(PmTiles::open(&pmtiles_path).expect("open pmtiles")),
        ];
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2)
                .map(|worker| {
                    let (sources, keys) = (&sources, &keys);
                    std::thread::Builder::new()
                        .name(format!("tile reader {worker}"))
                        .spawn_scoped(scope, move || {
                            let mut read = 0usize;
                            for round in 0..3 {
                                // The two workers walk the keys in opposite directions so they
                                // really overlap on different tiles.
                                let ordered: Box<dyn Iterator<Item = &TileKey>> =
                                    if (worker + round) % 2 == 0 { Box::new(keys.iter()) } else { Box::new(keys.iter().rev()) };
                                for &key in ordered {
                                    for source in sources {
                                        assert_eq!(source.read_tile(key).expect("read"), Some(tile_bytes(key)), "{key}");
                                        read += 1;
                                    }
                                }
                            }
                            read
                        })
                        .expect("spawn reader")
                })
                .collect();
            for worker in workers {
                assert_eq!(worker.join().expect("reader finished"), 3 * 2 * keys.len());
            }
        });
    }
}
