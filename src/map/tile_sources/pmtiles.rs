//! PMTiles v3 archives read from local disk, written here by hand because walkers' reader stops at
//! zoom 15, assumes 512 px tiles and reopens the file for every tile.
//!
//! The file is opened once and read with positioned reads (`read_at`), which several threads may
//! issue at once; the root directory is decoded when opening, leaf directories on first use and
//! then kept in a small cache. Never writes to the file.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::pmtiles_format::{
    COMPRESSION_GZIP, COMPRESSION_NONE, COMPRESSION_UNKNOWN, Entry, HEADER_LEN, Header, TILE_TYPE_JPEG, TILE_TYPE_MVT, TILE_TYPE_PNG,
    TILE_TYPE_WEBP, compression_name, decode_directory, find_entry,
};
use super::{MAX_ZOOM, TileFormat, TileKey, TileSource, TileSourceError, TileSourceInfo, gunzip, io_error, is_gzip, pmtiles_tile_id};

/// Decoded leaf directories kept in memory. A leaf covers thousands of tiles, so a view needs
/// only a few; 64 is plenty while bounding memory to a few MiB.
const LEAF_CACHE_CAPACITY: usize = 64;

/// Root plus at most three levels of leaves; deeper nesting only comes from a damaged file
/// (the spec discourages even a second leaf level).
const MAX_DIRECTORY_DEPTH: usize = 4;

/// A PMTiles v3 archive.
#[derive(Debug)]
pub struct PmTiles {
    path: PathBuf,
    file: File,
    header: Header,
    root: Vec<Entry>,
    info: TileSourceInfo,
    leaf_cache: Mutex<LeafCache>,
}

/// Where a leaf directory is: its offset in the leaf section and its length in bytes.
type LeafPointer = (u64, u32);

/// Leaf directories by where they are, evicting the least recently used.
#[derive(Debug, Default)]
struct LeafCache {
    directories: HashMap<LeafPointer, CachedLeaf>,
    /// Counts look-ups, to tell which directory was used least recently.
    clock: u64,
}

#[derive(Debug)]
struct CachedLeaf {
    entries: Arc<Vec<Entry>>,
    /// `clock` at its last use.
    last_used: u64,
}

impl LeafCache {
    fn get(&mut self, pointer: LeafPointer) -> Option<Arc<Vec<Entry>>> {
        self.clock += 1;
        let clock = self.clock;
        self.directories.get_mut(&pointer).map(|leaf| {
            leaf.last_used = clock;
            Arc::clone(&leaf.entries)
        })
    }

    fn insert(&mut self, pointer: LeafPointer, entries: Arc<Vec<Entry>>) {
        if self.directories.len() >= LEAF_CACHE_CAPACITY
            && let Some(oldest) = self.directories.iter().min_by_key(|(_, leaf)| leaf.last_used).map(|(pointer, _)| *pointer)
        {
            self.directories.remove(&oldest);
        }
        self.directories.insert(pointer, CachedLeaf { entries, last_used: self.clock });
    }
}

impl PmTiles {
    /// Opens an archive: reads the header, the root directory and the JSON metadata.
    ///
    /// # Errors
    /// The file is missing, is not PMTiles v3, uses a compression other than none or gzip, or its
    /// sections do not fit in the file.
    pub fn open(path: &Path) -> Result<Self, TileSourceError> {
        let file = File::open(path).map_err(|source| io_error(path, source))?;
        let file_length = file.metadata().map_err(|source| io_error(path, source))?.len();
        let not_pmtiles = |problem: String| TileSourceError::NotPmTiles { path: path.to_owned(), problem };
        if file_length < HEADER_LEN as u64 {
            return Err(not_pmtiles(format!("{file_length} bytes, shorter than the {HEADER_LEN}-byte header")));
        }
        let mut header_bytes = [0u8; HEADER_LEN];
        file.read_exact_at(&mut header_bytes, 0).map_err(|source| io_error(path, source))?;
        let header = Header::from_bytes(&header_bytes).map_err(not_pmtiles)?;

        let unsupported = |what: String| TileSourceError::Unsupported { path: path.to_owned(), what };
        if !matches!(header.internal_compression, COMPRESSION_NONE | COMPRESSION_GZIP) {
            return Err(unsupported(format!("directory compression {}", compression_name(header.internal_compression))));
        }
        if !matches!(header.tile_compression, COMPRESSION_UNKNOWN | COMPRESSION_NONE | COMPRESSION_GZIP) {
            return Err(unsupported(format!("tile compression {}", compression_name(header.tile_compression))));
        }
        let corrupt = |problem: String| TileSourceError::CorruptPmTiles { path: path.to_owned(), problem };
        for (name, offset, length) in [
            ("root directory", header.root_offset, header.root_length),
            ("metadata", header.metadata_offset, header.metadata_length),
            ("leaf directories", header.leaf_directories_offset, header.leaf_directories_length),
            ("tile data", header.tile_data_offset, header.tile_data_length),
        ] {
            if offset.checked_add(length).is_none_or(|end| end > file_length) {
                return Err(corrupt(format!("the {name} ({length} bytes at {offset}) run past the end of the {file_length}-byte file")));
            }
        }

        let mut archive = Self {
            path: path.to_owned(),
            file,
            header,
            root: Vec::new(),
            info: TileSourceInfo {
                name: String::new(),
                attribution: String::new(),
                english: None,
                min_zoom: 0,
                max_zoom: 0,
                tile_size_px: 0,
                format: TileFormat::Unknown,
                bounds: None,
            },
            leaf_cache: Mutex::new(LeafCache::default()),
        };
        archive.root = if header.root_length == 0 {
            Vec::new()
        } else {
            let bytes = archive.read_section(header.root_offset, header.root_length, "root directory")?;
            let bytes = archive.decompress_internal(bytes, "root directory")?;
            decode_directory(&bytes).map_err(|problem| corrupt(format!("root directory: {problem}")))?
        };
        let metadata = archive.read_metadata()?;
        archive.info = info_from(path, &header, &metadata);
        Ok(archive)
    }

    /// The JSON metadata object; empty when the archive has none.
    fn read_metadata(&self) -> Result<serde_json::Map<String, serde_json::Value>, TileSourceError> {
        if self.header.metadata_length == 0 {
            return Ok(serde_json::Map::new());
        }
        let bytes = self.read_section(self.header.metadata_offset, self.header.metadata_length, "metadata")?;
        let bytes = self.decompress_internal(bytes, "metadata")?;
        let bad_metadata = |problem: String| TileSourceError::BadMetadata { path: self.path.clone(), problem };
        match serde_json::from_slice(&bytes).map_err(|error| bad_metadata(format!("not JSON: {error}")))? {
            serde_json::Value::Object(map) => Ok(map),
            _ => Err(bad_metadata("not a JSON object".to_owned())),
        }
    }

    /// `length` bytes at `offset` from the start of the file.
    fn read_section(&self, offset: u64, length: u64, what: &str) -> Result<Vec<u8>, TileSourceError> {
        let length = usize::try_from(length)
            .map_err(|_| TileSourceError::CorruptPmTiles { path: self.path.clone(), problem: format!("{what} of {length} bytes") })?;
        let mut bytes = vec![0u8; length];
        self.file.read_exact_at(&mut bytes, offset).map_err(|source| io_error(&self.path, source))?;
        Ok(bytes)
    }

    /// Undoes the archive's internal compression (directories and metadata).
    fn decompress_internal(&self, bytes: Vec<u8>, what: &str) -> Result<Vec<u8>, TileSourceError> {
        if self.header.internal_compression == COMPRESSION_GZIP {
            gunzip(&bytes)
                .map_err(|problem| TileSourceError::CorruptPmTiles { path: self.path.clone(), problem: format!("{what}: {problem}") })
        } else {
            Ok(bytes)
        }
    }

    /// The leaf directory at `offset` in the leaf section, from the cache or from disk.
    fn leaf_directory(&self, offset: u64, length: u32) -> Result<Arc<Vec<Entry>>, TileSourceError> {
        if let Some(entries) = self.leaf_cache.lock().unwrap_or_else(PoisonError::into_inner).get((offset, length)) {
            return Ok(entries);
        }
        let corrupt = |problem: String| TileSourceError::CorruptPmTiles { path: self.path.clone(), problem };
        if offset.checked_add(u64::from(length)).is_none_or(|end| end > self.header.leaf_directories_length) {
            return Err(corrupt(format!("a leaf directory pointer ({length} bytes at {offset}) leaves the leaf section")));
        }
        // Read and decode without holding the lock: another worker may be decoding a different
        // leaf meanwhile (or, rarely, the same one, which costs only the duplicated work).
        let what = "leaf directory";
        let bytes = self.read_section(self.header.leaf_directories_offset + offset, u64::from(length), what)?;
        let bytes = self.decompress_internal(bytes, what)?;
        let entries = Arc::new(decode_directory(&bytes).map_err(|problem| corrupt(format!("leaf directory at {offset}: {problem}")))?);
        self.leaf_cache.lock().unwrap_or_else(PoisonError::into_inner).insert((offset, length), Arc::clone(&entries));
        Ok(entries)
    }

    /// Undoes the tile compression the header declares; with "unknown", gzip is recognised by its magic.
    fn decompress_tile(&self, key: TileKey, bytes: Vec<u8>) -> Result<Vec<u8>, TileSourceError> {
        let gzipped = match self.header.tile_compression {
            COMPRESSION_GZIP => true,
            COMPRESSION_UNKNOWN => is_gzip(&bytes),
            _ => false,
        };
        if gzipped {
            gunzip(&bytes).map_err(|problem| TileSourceError::CorruptTile { path: self.path.clone(), key, problem })
        } else {
            Ok(bytes)
        }
    }
}

impl TileSource for PmTiles {
    fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        let Some(tile_id) = pmtiles_tile_id(key) else {
            return Ok(None);
        };
        let mut leaf: Option<Arc<Vec<Entry>>> = None;
        for _ in 0..MAX_DIRECTORY_DEPTH {
            let directory = leaf.as_deref().map_or(self.root.as_slice(), Vec::as_slice);
            let Some(entry) = find_entry(directory, tile_id) else {
                return Ok(None);
            };
            if entry.run_length == 0 {
                leaf = Some(self.leaf_directory(entry.offset, entry.length)?);
                continue;
            }
            if u64::from(entry.length) > super::online::MAX_TILE_BYTES {
                let problem = format!("a tile of {} bytes, over the {} a map tile may have", entry.length, super::online::MAX_TILE_BYTES);
                return Err(TileSourceError::CorruptTile { path: self.path.clone(), key, problem });
            }
            if entry.offset.checked_add(u64::from(entry.length)).is_none_or(|end| end > self.header.tile_data_length) {
                let problem = format!("its {} bytes at {} leave the tile data section", entry.length, entry.offset);
                return Err(TileSourceError::CorruptTile { path: self.path.clone(), key, problem });
            }
            let bytes = self.read_section(self.header.tile_data_offset + entry.offset, u64::from(entry.length), "tile")?;
            return self.decompress_tile(key, bytes).map(Some);
        }
        Err(TileSourceError::CorruptPmTiles {
            path: self.path.clone(),
            problem: format!("leaf directories nested more than {} deep looking for tile {key}", MAX_DIRECTORY_DEPTH - 1),
        })
    }
}

/// What the header and the metadata say: zoom range, bounds and tile type from the header; name,
/// attribution and tile size (`tile_size` or `tileSize`) from the metadata.
fn info_from(path: &Path, header: &Header, metadata: &serde_json::Map<String, serde_json::Value>) -> TileSourceInfo {
    let format = match header.tile_type {
        TILE_TYPE_MVT => TileFormat::Mvt,
        TILE_TYPE_PNG => TileFormat::Png,
        TILE_TYPE_JPEG => TileFormat::Jpeg,
        TILE_TYPE_WEBP => TileFormat::Webp,
        // AVIF and "other" are nothing walkers can show.
        _ => TileFormat::Unknown,
    };
    let text = |key: &str| metadata.get(key).and_then(serde_json::Value::as_str).map(str::to_owned);
    // Numbers, or numbers in strings (the spec suggests string values).
    let tile_size_px = ["tile_size", "tileSize"]
        .iter()
        .filter_map(|key| metadata.get(*key))
        .find_map(|value| match value {
            serde_json::Value::Number(number) => number.as_u64().and_then(|size| u32::try_from(size).ok()),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
        .filter(|&size| size > 0)
        .unwrap_or_else(|| format.default_tile_size_px());
    let [west, south, east, north] = header.bounds_e7.map(|value| f64::from(value) / 10_000_000.0);
    // All zeros is what writers leave when they do not know.
    let bounds = (west < east && south < north).then_some([west, south, east, north]);
    let max_zoom = header.max_zoom.min(MAX_ZOOM);
    TileSourceInfo {
        name: text("name").unwrap_or_else(|| super::file_stem(path)),
        attribution: text("attribution").unwrap_or_default(),
        english: TileSourceInfo::english_from(text),
        min_zoom: header.min_zoom.min(max_zoom),
        max_zoom,
        tile_size_px,
        format,
        bounds,
    }
}

#[cfg(test)]
mod tests {
    use super::super::pmtiles_format::ROOT_LIMIT_BYTES;
    use super::super::tests::tile_bytes;
    use super::super::{PmTilesWriter, gzip};
    use super::*;

    fn city_info() -> TileSourceInfo {
        TileSourceInfo {
            name: "徽州区 street basemap".into(),
            attribution: "© citygrid demo data".into(),
            min_zoom: 0,
            max_zoom: 18,
            tile_size_px: 384,
            format: TileFormat::Png,
            bounds: Some([118.15, 29.75, 118.55, 30.05]),
            english: Some(super::super::InEnglish { name: "Huizhou street basemap".into(), attribution: String::new() }),
        }
    }

    #[test]
    fn pmtiles_round_trip_keeps_every_tile_beyond_zoom_15() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("huizhou.pmtiles");
        let mut expected: Vec<(TileKey, Vec<u8>)> = Vec::new();
        let mut add = |key: Option<TileKey>, bytes: Vec<u8>| {
            let key = key.expect("valid key");
            expected.push((key, bytes));
        };
        add(TileKey::new(0, 0, 0), tile_bytes(TileKey { zoom: 0, x: 0, y: 0 }));
        add(TileKey::new(10, 852, 421), tile_bytes(TileKey { zoom: 10, x: 852, y: 421 }));
        add(TileKey::new(15, 27_290, 13_510), tile_bytes(TileKey { zoom: 15, x: 27_290, y: 13_510 }));
        add(TileKey::new(17, 109_160, 54_040), tile_bytes(TileKey { zoom: 17, x: 109_160, y: 54_040 }));
        // A block of 128 × 160 distinct z18 tiles: more entries than one root directory takes.
        for x in 218_240..218_368 {
            for y in 108_000..108_160 {
                add(TileKey::new(18, x, y), tile_bytes(TileKey { zoom: 18, x, y }));
            }
        }
        // A 16 × 16 block of identical "river" tiles (consecutive along the Hilbert curve, so
        // one run), and the same bytes again elsewhere (one stored copy, several entries).
        let river = b"\x89PNG\r\n\x1a\n river blue".to_vec();
        for x in 218_400..218_416 {
            for y in 108_000..108_016 {
                add(TileKey::new(18, x, y), river.clone());
            }
        }
        add(TileKey::new(17, 109_000, 54_000), river.clone());
        add(TileKey::new(15, 27_000, 13_000), river.clone());

        let mut writer = PmTilesWriter::new(city_info());
        // Added in reverse order: the writer clusters them itself.
        for (key, bytes) in expected.iter().rev() {
            writer.add_tile(*key, bytes.clone());
        }
        let written_bytes = writer.write(&path).expect("write");
        assert_eq!(written_bytes, std::fs::metadata(&path).expect("stat").len());

        let archive = PmTiles::open(&path).expect("open");
        let header = archive.header;
        assert!(header.leaf_directories_length > 0, "{} entries should need leaf directories", expected.len());
        assert!(header.root_offset + header.root_length <= ROOT_LIMIT_BYTES as u64);
        assert!(header.clustered);
        assert_eq!(header.addressed_tiles_count, expected.len() as u64);
        assert_eq!(header.tile_contents_count, 128 * 160 + 4 + 1, "the river is stored once");
        assert!(header.tile_entries_count < header.addressed_tiles_count, "the river block is one run");

        let info = archive.info();
        assert_eq!((info.min_zoom, info.max_zoom), (0, 18));
        assert_eq!(info.tile_size_px, 384, "from the metadata, not a default");
        assert_eq!(info.format, TileFormat::Png);
        assert_eq!((info.name.as_str(), info.attribution.as_str()), ("徽州区 street basemap", "© citygrid demo data"));
        // An English seat gets the English name; the attribution has no English of its own.
        assert_eq!((info.name_for(true), info.attribution_for(true)), ("Huizhou street basemap", "© citygrid demo data"));
        assert_eq!(info.name_for(false), "徽州区 street basemap");
        let bounds = info.bounds.expect("bounds");
        assert!(bounds.iter().zip([118.15, 29.75, 118.55, 30.05]).all(|(found, wanted)| (found - wanted).abs() < 1e-6), "{bounds:?}");

        for (key, bytes) in &expected {
            assert_eq!(archive.read_tile(*key).expect("read").as_ref(), Some(bytes), "{key}");
        }
        for missing in
            [TileKey::new(18, 218_239, 108_000), TileKey::new(18, 218_416, 108_000), TileKey::new(19, 0, 0), TileKey::new(1, 0, 0)]
        {
            assert_eq!(archive.read_tile(missing.expect("key")).expect("read"), None);
        }
        let cached = archive.leaf_cache.lock().expect("cache").directories.len();
        assert!((1..=LEAF_CACHE_CAPACITY).contains(&cached), "{cached} leaf directories cached");
    }

    #[test]
    fn vector_archives_default_to_512_px_and_gzipped_tiles_are_undone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("roads.pmtiles");
        let gzipped_key = TileKey::new(16, 54_600, 27_000).expect("key");
        let plain_key = TileKey::new(16, 54_601, 27_000).expect("key");
        let roads = b"\x1a\x05roads protobuf".to_vec();
        let rivers = b"\x1a\x06rivers protobuf".to_vec();
        let info = TileSourceInfo { format: TileFormat::Mvt, tile_size_px: 512, bounds: None, ..city_info() };
        let mut writer = PmTilesWriter::new(info);
        writer.add_tile(gzipped_key, gzip(&roads).expect("gzip"));
        writer.add_tile(plain_key, rivers.clone());
        writer.write(&path).expect("write");

        let archive = PmTiles::open(&path).expect("open");
        assert_eq!(archive.header.tile_compression, COMPRESSION_GZIP, "vector tiles are stored gzipped");
        assert_eq!(archive.read_tile(gzipped_key).expect("read"), Some(roads.clone()));
        assert_eq!(archive.read_tile(plain_key).expect("read"), Some(rivers.clone()));
        assert_eq!((archive.info().min_zoom, archive.info().max_zoom, archive.info().format), (16, 16, TileFormat::Mvt));
        drop(archive);

        // Some converters say "unknown" tile compression: gzip is then recognised by its magic.
        let mut bytes = std::fs::read(&path).expect("read file");
        bytes[98] = COMPRESSION_UNKNOWN;
        std::fs::write(&path, &bytes).expect("patch");
        let archive = PmTiles::open(&path).expect("open");
        assert_eq!(archive.read_tile(gzipped_key).expect("read"), Some(roads));
        assert_eq!(archive.read_tile(plain_key).expect("read"), Some(rivers));

        // Without a tile size in the metadata: 512 px for vector tiles, 256 px for images.
        let header = Header { tile_type: TILE_TYPE_MVT, max_zoom: 14, ..Header::default() };
        let info = info_from(&path, &header, &serde_json::Map::new());
        assert_eq!((info.tile_size_px, info.name.as_str(), info.bounds), (512, "roads", None));
        let header = Header { tile_type: TILE_TYPE_PNG, ..header };
        assert_eq!(info_from(&path, &header, &serde_json::Map::new()).tile_size_px, 256);
        let metadata = serde_json::json!({"tileSize": "1024"});
        let metadata = metadata.as_object().expect("object");
        assert_eq!(info_from(&path, &header, metadata).tile_size_px, 1024);
    }

    #[test]
    fn a_pmtiles_v2_file_is_refused_by_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.pmtiles");
        let mut bytes = vec![0u8; 512];
        bytes[..7].copy_from_slice(b"PMTiles");
        bytes[7] = 2;
        std::fs::write(&path, &bytes).expect("write");
        let message = PmTiles::open(&path).expect_err("v2").to_string();
        assert!(message.contains("old.pmtiles") && message.contains("version 2"), "{message}");

        // A v3 header whose root directory points past the end of the file.
        let header = Header { root_offset: 127, root_length: 4_000, internal_compression: COMPRESSION_GZIP, ..Header::default() };
        std::fs::write(&path, header.to_bytes()).expect("write");
        let error = PmTiles::open(&path).expect_err("truncated");
        assert!(matches!(error, TileSourceError::CorruptPmTiles { .. }) && error.to_string().contains("root directory"), "{error}");
    }
}
