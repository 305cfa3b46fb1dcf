//! The PMTiles v3 byte layout, shared by the reader and the writer: the 127-byte header, directory
//! (de)serialisation and Hilbert tile ids. Spec: <https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>.
//!
//! Pure functions on byte slices; no files and no compression here. Errors are short problem
//! descriptions that the caller puts after the file name.

use super::{MAX_ZOOM, TileKey};

/// The archive starts with these 7 bytes, then the version byte.
pub(super) const MAGIC: &[u8; 7] = b"PMTiles";
pub(super) const VERSION: u8 = 3;
pub(super) const HEADER_LEN: usize = 127;
/// Header plus root directory must fit in this many bytes, so a client can fetch both at once.
pub(super) const ROOT_LIMIT_BYTES: usize = 16_384;

/// `InternalCompression` / `TileCompression` values.
pub(super) const COMPRESSION_UNKNOWN: u8 = 0;
pub(super) const COMPRESSION_NONE: u8 = 1;
pub(super) const COMPRESSION_GZIP: u8 = 2;

/// `TileType` values.
pub(super) const TILE_TYPE_UNKNOWN: u8 = 0;
pub(super) const TILE_TYPE_MVT: u8 = 1;
pub(super) const TILE_TYPE_PNG: u8 = 2;
pub(super) const TILE_TYPE_JPEG: u8 = 3;
pub(super) const TILE_TYPE_WEBP: u8 = 4;

/// Name of a compression code, for messages.
pub(super) fn compression_name(code: u8) -> String {
    match code {
        0 => "unknown".to_owned(),
        1 => "none".to_owned(),
        2 => "gzip".to_owned(),
        3 => "brotli".to_owned(),
        4 => "zstd".to_owned(),
        other => format!("code {other}"),
    }
}

/// The fixed header. Offsets are from the start of the file, except tile and leaf entry offsets,
/// which are relative to their sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Header {
    pub root_offset: u64,
    pub root_length: u64,
    pub metadata_offset: u64,
    pub metadata_length: u64,
    pub leaf_directories_offset: u64,
    pub leaf_directories_length: u64,
    pub tile_data_offset: u64,
    pub tile_data_length: u64,
    pub addressed_tiles_count: u64,
    pub tile_entries_count: u64,
    pub tile_contents_count: u64,
    pub clustered: bool,
    pub internal_compression: u8,
    pub tile_compression: u8,
    pub tile_type: u8,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees × 10⁷.
    pub bounds_e7: [i32; 4],
    pub center_zoom: u8,
    /// Longitude, latitude in degrees × 10⁷.
    pub center_e7: [i32; 2],
}

impl Header {
    /// Little-endian, as the spec lays it out.
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[..7].copy_from_slice(MAGIC);
        bytes[7] = VERSION;
        let sizes = [
            self.root_offset,
            self.root_length,
            self.metadata_offset,
            self.metadata_length,
            self.leaf_directories_offset,
            self.leaf_directories_length,
            self.tile_data_offset,
            self.tile_data_length,
            self.addressed_tiles_count,
            self.tile_entries_count,
            self.tile_contents_count,
        ];
        for (index, value) in sizes.iter().enumerate() {
            bytes[8 + index * 8..16 + index * 8].copy_from_slice(&value.to_le_bytes());
        }
        bytes[96] = u8::from(self.clustered);
        bytes[97] = self.internal_compression;
        bytes[98] = self.tile_compression;
        bytes[99] = self.tile_type;
        bytes[100] = self.min_zoom;
        bytes[101] = self.max_zoom;
        for (index, value) in self.bounds_e7.iter().enumerate() {
            bytes[102 + index * 4..106 + index * 4].copy_from_slice(&value.to_le_bytes());
        }
        bytes[118] = self.center_zoom;
        bytes[119..123].copy_from_slice(&self.center_e7[0].to_le_bytes());
        bytes[123..127].copy_from_slice(&self.center_e7[1].to_le_bytes());
        bytes
    }

    /// Parses the header; the error says why this is not a PMTiles v3 file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < HEADER_LEN {
            return Err(format!("{} bytes, shorter than the {HEADER_LEN}-byte header", bytes.len()));
        }
        if &bytes[..7] != MAGIC {
            return Err("no `PMTiles` magic at the start".to_owned());
        }
        if bytes[7] != VERSION {
            return Err(format!("version {}; only version {VERSION} can be read", bytes[7]));
        }
        let u64_at = |index: usize| {
            let mut value = [0u8; 8];
            value.copy_from_slice(&bytes[8 + index * 8..16 + index * 8]);
            u64::from_le_bytes(value)
        };
        let i32_at = |offset: usize| {
            let mut value = [0u8; 4];
            value.copy_from_slice(&bytes[offset..offset + 4]);
            i32::from_le_bytes(value)
        };
        Ok(Self {
            root_offset: u64_at(0),
            root_length: u64_at(1),
            metadata_offset: u64_at(2),
            metadata_length: u64_at(3),
            leaf_directories_offset: u64_at(4),
            leaf_directories_length: u64_at(5),
            tile_data_offset: u64_at(6),
            tile_data_length: u64_at(7),
            addressed_tiles_count: u64_at(8),
            tile_entries_count: u64_at(9),
            tile_contents_count: u64_at(10),
            clustered: bytes[96] == 1,
            internal_compression: bytes[97],
            tile_compression: bytes[98],
            tile_type: bytes[99],
            min_zoom: bytes[100],
            max_zoom: bytes[101],
            bounds_e7: [i32_at(102), i32_at(106), i32_at(110), i32_at(114)],
            center_zoom: bytes[118],
            center_e7: [i32_at(119), i32_at(123)],
        })
    }
}

/// One directory entry: `run_length` consecutive tile ids share the bytes at `offset` in the tile
/// data section; `run_length == 0` makes it a pointer to a leaf directory whose first tile id is
/// `tile_id`, at `offset` in the leaf directory section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub tile_id: u64,
    pub offset: u64,
    pub length: u32,
    pub run_length: u32,
}

/// Serialises a directory (before compression): entry count, then columns of delta-coded tile
/// ids, run lengths, lengths and offsets, all varints; an offset is 0 when it follows straight on
/// from the previous entry, else offset + 1.
pub(super) fn encode_directory(entries: &[Entry]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(entries.len() * 4 + 8);
    write_varint(&mut bytes, entries.len() as u64);
    let mut previous_id = 0;
    for entry in entries {
        write_varint(&mut bytes, entry.tile_id - previous_id);
        previous_id = entry.tile_id;
    }
    for entry in entries {
        write_varint(&mut bytes, u64::from(entry.run_length));
    }
    for entry in entries {
        write_varint(&mut bytes, u64::from(entry.length));
    }
    let mut previous_end: Option<u64> = None;
    for entry in entries {
        if previous_end == Some(entry.offset) {
            write_varint(&mut bytes, 0);
        } else {
            write_varint(&mut bytes, entry.offset + 1);
        }
        previous_end = Some(entry.offset + u64::from(entry.length));
    }
    bytes
}

/// Parses a directory (after decompression). Checks what a lookup relies on: ascending tile ids,
/// nonzero lengths, no overflow.
pub(super) fn decode_directory(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut reader = VarintReader { bytes, position: 0 };
    let count = reader.read()?;
    // Each entry takes at least four bytes, so a larger count is garbage, not a reason to allocate.
    if count > bytes.len() as u64 / 4 {
        return Err(format!("directory claims {count} entries in {} bytes", bytes.len()));
    }
    let count = usize::try_from(count).map_err(|_| "directory too large".to_owned())?;
    let mut entries = vec![Entry { tile_id: 0, offset: 0, length: 0, run_length: 0 }; count];
    let mut tile_id = 0u64;
    for (index, entry) in entries.iter_mut().enumerate() {
        let delta = reader.read()?;
        if index > 0 && delta == 0 {
            return Err(format!("directory repeats tile id {tile_id}"));
        }
        tile_id = tile_id.checked_add(delta).ok_or("directory tile ids overflow")?;
        entry.tile_id = tile_id;
    }
    for entry in &mut entries {
        entry.run_length = u32::try_from(reader.read()?).map_err(|_| "directory run length over 2³²".to_owned())?;
    }
    for entry in &mut entries {
        entry.length = u32::try_from(reader.read()?).map_err(|_| "directory entry length over 2³²".to_owned())?;
        if entry.length == 0 {
            return Err(format!("directory entry for tile id {} has length 0", entry.tile_id));
        }
    }
    let mut previous_end: Option<u64> = None;
    for entry in &mut entries {
        let value = reader.read()?;
        entry.offset = match (value, previous_end) {
            (0, Some(end)) => end,
            (0, None) => return Err("the first directory entry has no offset".to_owned()),
            (value, _) => value - 1,
        };
        previous_end = Some(entry.offset.checked_add(u64::from(entry.length)).ok_or("directory offsets overflow")?);
    }
    Ok(entries)
}

/// The entry that holds `tile_id`: the last one whose id is not greater, if it is a leaf pointer
/// or its run covers `tile_id`.
pub(super) fn find_entry(entries: &[Entry], tile_id: u64) -> Option<Entry> {
    let after = entries.partition_point(|entry| entry.tile_id <= tile_id);
    let entry = *entries.get(after.checked_sub(1)?)?;
    (entry.run_length == 0 || tile_id - entry.tile_id < u64::from(entry.run_length)).then_some(entry)
}

fn write_varint(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Reads LEB128 unsigned varints.
struct VarintReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl VarintReader<'_> {
    fn read(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = *self.bytes.get(self.position).ok_or("directory ends in the middle of an entry")?;
            self.position += 1;
            if shift == 63 && byte > 1 {
                return Err("directory number over 64 bits".to_owned());
            }
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err("directory number over 64 bits".to_owned());
            }
        }
    }
}

/// Tiles of all zoom levels above `zoom`: 1 + 4 + … + 4^(zoom−1), where zoom `zoom`'s ids start.
fn first_tile_id_of_zoom(zoom: u8) -> u64 {
    ((1u64 << (2 * u32::from(zoom))) - 1) / 3
}

/// The PMTiles tile id of `key`: the tiles of all shallower zoom levels, then the position of
/// (x, y) along the Hilbert curve of its zoom level. `None` for an invalid key.
///
/// ```
/// use citygrid::map::tile_sources::{TileKey, pmtiles_tile_id};
/// assert_eq!(pmtiles_tile_id(TileKey::new(12, 3423, 1763).unwrap()), Some(19_078_479));
/// ```
#[must_use]
pub fn pmtiles_tile_id(key: TileKey) -> Option<u64> {
    if !key.is_valid() {
        return None;
    }
    let side = 1u64 << key.zoom;
    let (mut x, mut y) = (u64::from(key.x), u64::from(key.y));
    let mut position = 0u64;
    let mut half = side / 2;
    while half > 0 {
        let right = u64::from(x & half > 0);
        let lower = u64::from(y & half > 0);
        position += half * half * ((3 * right) ^ lower);
        rotate_quadrant(side, &mut x, &mut y, right, lower);
        half /= 2;
    }
    Some(first_tile_id_of_zoom(key.zoom) + position)
}

/// The tile with PMTiles tile id `tile_id`; `None` beyond [`MAX_ZOOM`].
#[must_use]
pub fn key_from_pmtiles_tile_id(tile_id: u64) -> Option<TileKey> {
    let zoom = (0..=MAX_ZOOM).take_while(|&zoom| first_tile_id_of_zoom(zoom) <= tile_id).last()?;
    let side = 1u64 << zoom;
    let mut remaining = tile_id - first_tile_id_of_zoom(zoom);
    if remaining >= side * side {
        return None;
    }
    let (mut x, mut y) = (0u64, 0u64);
    let mut size = 1u64;
    while size < side {
        let right = 1 & (remaining / 2);
        let lower = 1 & (remaining ^ right);
        rotate_quadrant(size, &mut x, &mut y, right, lower);
        x += size * right;
        y += size * lower;
        remaining /= 4;
        size *= 2;
    }
    TileKey::new(zoom, u32::try_from(x).ok()?, u32::try_from(y).ok()?)
}

/// Turns a quadrant so the curve inside it runs the right way.
fn rotate_quadrant(side: u64, x: &mut u64, y: &mut u64, right: u64, lower: u64) {
    if lower == 0 {
        if right == 1 {
            *x = side - 1 - *x;
            *y = side - 1 - *y;
        }
        std::mem::swap(x, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn key(zoom: u8, x: u32, y: u32) -> TileKey {
        TileKey::new(zoom, x, y).expect("valid key")
    }

    #[test]
    fn hilbert_tile_ids_match_the_spec() {
        // The spec's own table, which a round trip alone could not check.
        assert_eq!(pmtiles_tile_id(key(0, 0, 0)), Some(0));
        assert_eq!(pmtiles_tile_id(key(1, 0, 0)), Some(1));
        assert_eq!(pmtiles_tile_id(key(1, 0, 1)), Some(2));
        assert_eq!(pmtiles_tile_id(key(1, 1, 1)), Some(3));
        assert_eq!(pmtiles_tile_id(key(1, 1, 0)), Some(4));
        assert_eq!(pmtiles_tile_id(key(2, 0, 0)), Some(5));
        assert_eq!(pmtiles_tile_id(key(12, 3423, 1763)), Some(19_078_479));
        assert_eq!(key_from_pmtiles_tile_id(19_078_479), Some(key(12, 3423, 1763)));

        // The z1 tiles are exactly 1..=4; each zoom level's ids follow on from the last.
        let mut z1: Vec<u64> =
            (0..2).flat_map(|x| (0..2).map(move |y| (x, y))).filter_map(|(x, y)| pmtiles_tile_id(key(1, x, y))).collect();
        z1.sort_unstable();
        assert_eq!(z1, vec![1, 2, 3, 4]);
        for zoom in 1..=MAX_ZOOM {
            let side = (1u32 << zoom) - 1;
            let corners = [key(zoom, 0, 0), key(zoom, side, 0), key(zoom, 0, side), key(zoom, side, side)];
            let ids: Vec<u64> = corners.iter().filter_map(|&corner| pmtiles_tile_id(corner)).collect();
            let first = first_tile_id_of_zoom(zoom);
            let last = first_tile_id_of_zoom(zoom + 1) - 1;
            assert!(ids.iter().all(|id| (first..=last).contains(id)), "zoom {zoom}: {ids:?}");
            // The curve starts at the north-west corner and ends at the north-east one.
            assert_eq!(ids[0], first, "zoom {zoom}");
            assert_eq!(ids[1], last, "zoom {zoom}");
        }
        assert_eq!(first_tile_id_of_zoom(2), 5);

        // Every z3 tile gets its own id, and all of 21..85.
        let mut z3: Vec<u64> = (0..8).flat_map(|x| (0..8).map(move |y| key(3, x, y))).filter_map(pmtiles_tile_id).collect();
        z3.sort_unstable();
        assert_eq!(z3, (21..85).collect::<Vec<_>>());

        // id → (z, x, y) → id for random tiles at every zoom level.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        for _ in 0..10_000 {
            let zoom = rng.random_range(0..=MAX_ZOOM);
            let tile = key(zoom, rng.random_range(0..1u32 << zoom), rng.random_range(0..1u32 << zoom));
            let id = pmtiles_tile_id(tile).expect("id");
            assert_eq!(key_from_pmtiles_tile_id(id), Some(tile));
        }
        assert_eq!(key_from_pmtiles_tile_id(first_tile_id_of_zoom(MAX_ZOOM + 1)), None);
        assert_eq!(pmtiles_tile_id(TileKey { zoom: 3, x: 8, y: 0 }), None);
    }

    #[test]
    fn directories_survive_their_varint_encoding() {
        let entries = vec![
            Entry { tile_id: 0, offset: 0, length: 100, run_length: 1 },
            Entry { tile_id: 1, offset: 100, length: 20, run_length: 4 },
            // A deduplicated tile pointing back to the first blob.
            Entry { tile_id: 9, offset: 0, length: 100, run_length: 1 },
            Entry { tile_id: 1_000_000_000_000, offset: 5_000_000_000, length: 70_000, run_length: 0 },
        ];
        let decoded = decode_directory(&encode_directory(&entries)).expect("decode");
        assert_eq!(decoded, entries);
        assert_eq!(find_entry(&entries, 3).map(|entry| entry.tile_id), Some(1));
        assert_eq!(find_entry(&entries, 5), None, "beyond the run of tile 1");
        assert_eq!(find_entry(&entries, 2_000_000_000_000).map(|entry| entry.run_length), Some(0), "inside the leaf");
        assert!(decode_directory(&[5, 1]).is_err());
        assert!(decode_directory(&[]).is_err());
        let header = Header { root_offset: 127, max_zoom: 18, bounds_e7: [-1, 2, -3, 4], center_e7: [5, -6], ..Header::default() };
        assert_eq!(Header::from_bytes(&header.to_bytes()), Ok(header));
    }
}
