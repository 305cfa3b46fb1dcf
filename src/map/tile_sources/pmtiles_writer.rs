//! Writes PMTiles v3 archives: for the tests now, and for `citygrid basemap build` later.
//!
//! Tiles are held in memory until [`PmTilesWriter::write`], which lays the archive out the way
//! readers like best: header, root directory (within the first 16 KiB), metadata, leaf
//! directories, then tile data clustered by tile id with identical tiles stored once. The file is
//! written under a temporary name and renamed at the end, so a crash never leaves a half archive
//! that looks whole. Nothing here reads archives back.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::pmtiles_format::{
    COMPRESSION_GZIP, COMPRESSION_NONE, Entry, HEADER_LEN, Header, ROOT_LIMIT_BYTES, TILE_TYPE_JPEG, TILE_TYPE_MVT, TILE_TYPE_PNG,
    TILE_TYPE_UNKNOWN, TILE_TYPE_WEBP, encode_directory,
};
use super::{MAX_ZOOM, TileFormat, TileKey, TileSourceError, TileSourceInfo, gzip, is_gzip, key_from_pmtiles_tile_id, pmtiles_tile_id};

/// Up to this many entries are tried in the root directory alone; beyond it leaf directories are
/// used even if the root would compress small enough, so opening an archive stays quick.
const MAX_ROOT_ONLY_ENTRIES: usize = 16_384;

/// The smallest leaf directory, in entries; a few KiB compressed, one read per part of a city.
const MIN_LEAF_ENTRIES: usize = 4_096;

/// Collects tiles and writes them as one PMTiles v3 archive.
#[derive(Debug)]
pub struct PmTilesWriter {
    info: TileSourceInfo,
    /// By PMTiles tile id, which is the order they are written in.
    tiles: BTreeMap<u64, Vec<u8>>,
}

impl PmTilesWriter {
    /// A writer for tiles described by `info`: its name, attribution, tile size and format go into
    /// the archive. The zoom range written is that of the tiles added (`info`'s when there are
    /// none); the bounds are `info`'s, or the whole Web Mercator world.
    #[must_use]
    pub fn new(info: TileSourceInfo) -> Self {
        Self { info, tiles: BTreeMap::new() }
    }

    /// Adds (or replaces) a tile, given as [`super::TileSource::read_tile`] returns it. Vector
    /// tiles are gzipped in the archive (already gzipped bytes are kept as they are); raster
    /// tiles are stored unchanged. Empty tiles and invalid keys are skipped: the format has no
    /// way to store a tile of zero bytes.
    pub fn add_tile(&mut self, key: TileKey, bytes: Vec<u8>) {
        match pmtiles_tile_id(key) {
            Some(tile_id) if !bytes.is_empty() => {
                self.tiles.insert(tile_id, bytes);
            }
            _ => tracing::warn!("PMTiles writer: skipping tile {key} ({} bytes)", bytes.len()),
        }
    }

    /// Writes the archive to `path`, replacing any file there; returns its size in bytes.
    ///
    /// # Errors
    /// The file cannot be written, or a tile is 4 GiB or larger.
    pub fn write(self, path: &Path) -> Result<u64, TileSourceError> {
        let Self { info, tiles } = self;
        let io_error = |source: std::io::Error| TileSourceError::Io { path: path.to_owned(), source };
        let vector = info.format == TileFormat::Mvt;

        // Tile data in tile id order; a content seen before points back to its first copy, and
        // consecutive ids with the same content become one run.
        let mut entries: Vec<Entry> = Vec::new();
        let mut stored_at: HashMap<&[u8], (u64, u32)> = HashMap::new();
        let mut contents: Vec<Vec<u8>> = Vec::new();
        let mut tile_data_length = 0u64;
        for (&tile_id, bytes) in &tiles {
            let (offset, length) = match stored_at.entry(bytes.as_slice()) {
                MapEntry::Occupied(found) => *found.get(),
                MapEntry::Vacant(slot) => {
                    let content = if vector && !is_gzip(bytes) { gzip(bytes).map_err(io_error)? } else { bytes.clone() };
                    let length = u32::try_from(content.len()).map_err(|_| TileSourceError::Unsupported {
                        path: path.to_owned(),
                        what: format!(
                            "tile {} of {} bytes (4 GiB or more)",
                            key_from_pmtiles_tile_id(tile_id).map_or_else(String::new, |key| key.to_string()),
                            content.len()
                        ),
                    })?;
                    let offset = tile_data_length;
                    tile_data_length += u64::from(length);
                    contents.push(content);
                    *slot.insert((offset, length))
                }
            };
            if let Some(last) = entries.last_mut()
                && last.offset == offset
                && last.tile_id + u64::from(last.run_length) == tile_id
                && last.run_length < u32::MAX
            {
                last.run_length += 1;
                continue;
            }
            entries.push(Entry { tile_id, offset, length, run_length: 1 });
        }

        let (root, leaves) = directories(&entries).map_err(io_error)?;
        let mut metadata = serde_json::json!({
            "name": info.name,
            "attribution": info.attribution,
            "tile_size": info.tile_size_px,
            "format": info.format.name(),
        });
        if let Some(english) = &info.english {
            metadata["name:en"] = english.name.clone().into();
            metadata["attribution:en"] = english.attribution.clone().into();
        }
        let metadata = gzip(metadata.to_string().as_bytes()).map_err(io_error)?;

        let zoom_of = |tile_id: Option<&u64>| tile_id.and_then(|&tile_id| key_from_pmtiles_tile_id(tile_id)).map(|key| key.zoom);
        let min_zoom = zoom_of(tiles.keys().next()).unwrap_or(info.min_zoom.min(MAX_ZOOM));
        let max_zoom = zoom_of(tiles.keys().next_back()).unwrap_or(info.max_zoom.min(MAX_ZOOM));
        // Web Mercator stops at ±85.051129°.
        let [west, south, east, north] = info.bounds.unwrap_or([-180.0, -85.051_129, 180.0, 85.051_129]);
        let e7 = |degrees: f64| (degrees * 10_000_000.0).round() as i32;
        let root_offset = HEADER_LEN as u64;
        let metadata_offset = root_offset + root.len() as u64;
        let leaf_directories_offset = metadata_offset + metadata.len() as u64;
        let tile_data_offset = leaf_directories_offset + leaves.len() as u64;
        let header = Header {
            root_offset,
            root_length: root.len() as u64,
            metadata_offset,
            metadata_length: metadata.len() as u64,
            leaf_directories_offset,
            leaf_directories_length: leaves.len() as u64,
            tile_data_offset,
            tile_data_length,
            addressed_tiles_count: tiles.len() as u64,
            tile_entries_count: entries.len() as u64,
            tile_contents_count: contents.len() as u64,
            clustered: true,
            internal_compression: COMPRESSION_GZIP,
            tile_compression: if vector { COMPRESSION_GZIP } else { COMPRESSION_NONE },
            tile_type: match info.format {
                TileFormat::Mvt => TILE_TYPE_MVT,
                TileFormat::Png => TILE_TYPE_PNG,
                TileFormat::Jpeg => TILE_TYPE_JPEG,
                TileFormat::Webp => TILE_TYPE_WEBP,
                TileFormat::Unknown => TILE_TYPE_UNKNOWN,
            },
            min_zoom,
            max_zoom,
            bounds_e7: [e7(west), e7(south), e7(east), e7(north)],
            center_zoom: min_zoom,
            center_e7: [e7((west + east) / 2.0), e7((south + north) / 2.0)],
        };

        let partial_path = partial_path_for(path);
        let result = write_sections(&partial_path, &[&header.to_bytes(), &root, &metadata, &leaves], &contents)
            .and_then(|()| std::fs::rename(&partial_path, path));
        if let Err(source) = result {
            // Best effort: the partial file is useless, and the error below is what matters.
            let _ = std::fs::remove_file(&partial_path);
            return Err(io_error(source));
        }
        Ok(tile_data_offset + tile_data_length)
    }
}

/// `{path}.partial`, next to the target so the final rename stays on one file system.
fn partial_path_for(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn write_sections(path: &Path, sections: &[&[u8]], contents: &[Vec<u8>]) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    for section in sections {
        writer.write_all(section)?;
    }
    for content in contents {
        writer.write_all(content)?;
    }
    let file = writer.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    // A basemap build is long; make sure it is really on disk before it replaces the old one.
    file.sync_all()
}

/// The gzipped root directory and leaf directory section for `entries` (sorted by tile id).
///
/// Everything goes in the root when it is small enough; otherwise the entries are cut into leaf
/// directories of equal size, growing the leaves until the root of pointers to them fits in the
/// first 16 KiB beside the header.
fn directories(entries: &[Entry]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let root_budget = ROOT_LIMIT_BYTES - HEADER_LEN;
    if entries.len() <= MAX_ROOT_ONLY_ENTRIES {
        let root = gzip(&encode_directory(entries))?;
        if root.len() <= root_budget {
            return Ok((root, Vec::new()));
        }
    }
    let mut leaf_entries = MIN_LEAF_ENTRIES.max(entries.len() / 3_500);
    loop {
        let mut leaves = Vec::new();
        let mut pointers = Vec::with_capacity(entries.len() / leaf_entries + 1);
        for chunk in entries.chunks(leaf_entries) {
            let leaf = gzip(&encode_directory(chunk))?;
            let length = u32::try_from(leaf.len()).map_err(|_| std::io::Error::other("a leaf directory over 4 GiB"))?;
            pointers.push(Entry { tile_id: chunk[0].tile_id, offset: leaves.len() as u64, length, run_length: 0 });
            leaves.extend_from_slice(&leaf);
        }
        let root = gzip(&encode_directory(&pointers))?;
        // With one leaf the root is a single entry, so this ends.
        if root.len() <= root_budget {
            return Ok((root, leaves));
        }
        leaf_entries += leaf_entries / 5;
    }
}
