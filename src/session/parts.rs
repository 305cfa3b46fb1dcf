//! The district's parts as a seat holds them: only the chunks it shows, read from the store on
//! demand and kept in a cache bounded by the number of parts, least recently used first out
//! (city scale, issue 20). Ten million parts stay in the file or on the server; the seat's
//! memory is bounded by what it draws, not by the district's size.
//!
//! - The map's workers ask for a chunk ([`StoredParts::chunk`]): the file's R-tree or the
//!   server's GiST index answers with the parts in the chunk's box.
//! - Identify and the painter use only chunks already read ([`StoredParts::cached_in`]): the UI
//!   thread never waits for a chunk; what is not read yet is not drawn either.
//! - A part by code ([`StoredParts::by_code`]) comes from the parts identify or search found,
//!   else one indexed row read; the answer is kept.
//! - The search box's part search ([`StoredParts::search`]) and the snapping of a new case
//!   ([`StoredParts::near`]) are store queries.
//!
//! Reads use connections of their own, opened on first use: two for the map's chunks (one per
//! scene worker), one for lookups, so a slow chunk never holds up a lookup.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::job::Notify;
use crate::map::scene_build::{PartChunk, PartTiles};
use crate::model::{Part, PartCode};
use crate::spatial::part_cells::{PartCells, mercator_from_lonlat};
use crate::store::{Location, Store, StoreError};

/// Parts held in read chunks at most: the chunks drawn at street zoom on a 4K screen hold a
/// few tens of thousands in the densest city.
pub const CACHE_PARTS: usize = 400_000;
/// Parts remembered by code (found by identify, search or lookups) at most.
const CODES_KEPT: usize = 20_000;
/// Connections reading chunks side by side (the map scene has two workers).
const CHUNK_READERS: usize = 2;

/// The parts of the district, read by chunk and by code from where they are stored.
pub struct StoredParts {
    location: Location,
    tiles: PartTiles,
    total: usize,
    /// The map's chunk reads: one connection per scene worker, so two chunks are read at once.
    chunk_stores: [Mutex<Option<Store>>; CHUNK_READERS],
    /// Lookups by code and near a point.
    lookup_store: Mutex<Option<Store>>,
    chunks: Mutex<ChunkCache>,
    codes: Mutex<HashMap<PartCode, Option<Arc<Part>>>>,
    prefetching: Arc<AtomicBool>,
    last_error: Mutex<Option<String>>,
}

#[derive(Default)]
struct ChunkCache {
    /// Chunk → (its parts, when last used).
    held: HashMap<(u32, u32), (Arc<PartChunk>, u64)>,
    clock: u64,
    parts: usize,
}

impl ChunkCache {
    fn get(&mut self, tile: (u32, u32)) -> Option<Arc<PartChunk>> {
        self.clock += 1;
        let clock = self.clock;
        self.held.get_mut(&tile).map(|(chunk, used)| {
            *used = clock;
            Arc::clone(chunk)
        })
    }

    fn insert(&mut self, tile: (u32, u32), chunk: Arc<PartChunk>, limit: usize) {
        self.clock += 1;
        self.parts += chunk.len();
        if let Some((old, _)) = self.held.insert(tile, (chunk, self.clock)) {
            self.parts -= old.len();
        }
        if self.parts <= limit {
            return;
        }
        let mut by_age: Vec<((u32, u32), u64)> =
            self.held.iter().filter(|(key, _)| **key != tile).map(|(key, (_, used))| (*key, *used)).collect();
        by_age.sort_unstable_by_key(|(_, used)| *used);
        for (key, _) in by_age {
            if self.parts <= limit {
                break;
            }
            if let Some((old, _)) = self.held.remove(&key) {
                self.parts -= old.len();
            }
        }
    }
}

impl StoredParts {
    /// The parts of the district at `location`, known by their stored cell counts.
    #[must_use]
    pub fn new(location: Location, cells: &PartCells) -> Self {
        Self {
            location,
            tiles: PartTiles::from_cells(cells),
            total: cells.total(),
            chunk_stores: std::array::from_fn(|_| Mutex::new(None)),
            lookup_store: Mutex::new(None),
            chunks: Mutex::new(ChunkCache::default()),
            codes: Mutex::new(HashMap::new()),
            prefetching: Arc::new(AtomicBool::new(false)),
            last_error: Mutex::new(None),
        }
    }

    /// How many parts the district has (from the stored counts).
    #[must_use]
    pub fn len(&self) -> usize {
        self.total
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The chunks holding parts.
    #[must_use]
    pub fn tiles(&self) -> &PartTiles {
        &self.tiles
    }

    /// The parts of one chunk: from the cache, else read from the store (blocking: the map's
    /// workers and the benches call it, never the UI thread).
    ///
    /// # Errors
    /// The store cannot be opened or read.
    pub fn chunk(&self, tile: (u32, u32)) -> Result<Arc<PartChunk>, StoreError> {
        if let Some(chunk) = self.cached(tile) {
            return Ok(chunk);
        }
        if !self.tiles.contains(tile) {
            return Ok(Arc::new(PartChunk::empty()));
        }
        // A free connection if there is one, else wait for the one this chunk hashes to.
        let slot = self
            .chunk_stores
            .iter()
            .position(|slot| slot.try_lock().is_ok())
            .unwrap_or((tile.0 as usize ^ tile.1 as usize) % CHUNK_READERS);
        let read = self.with_store(&self.chunk_stores[slot], |store| store.parts_in_box(PartChunk::lonlat_box(tile)))?;
        let chunk = Arc::new(PartChunk::of_tile(tile, read));
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner).insert(tile, Arc::clone(&chunk), CACHE_PARTS);
        Ok(chunk)
    }

    /// [`Self::chunk`], an empty chunk on error (the error is logged and kept for
    /// [`Self::last_error`]).
    #[must_use]
    pub fn chunk_or_empty(&self, tile: (u32, u32)) -> Arc<PartChunk> {
        self.chunk(tile).unwrap_or_else(|error| {
            self.note_error(&error);
            Arc::new(PartChunk::empty())
        })
    }

    /// A chunk already read, if it is.
    #[must_use]
    pub fn cached(&self, tile: (u32, u32)) -> Option<Arc<PartChunk>> {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner).get(tile)
    }

    /// The chunks already read that may hold parts showing inside a Mercator box, and the
    /// chunks there not read yet.
    #[must_use]
    pub fn cached_in(&self, min: [f64; 2], max: [f64; 2]) -> (Vec<Arc<PartChunk>>, Vec<(u32, u32)>) {
        let mut held = Vec::new();
        let mut missing = Vec::new();
        for tile in self.tiles.tiles_in(min, max) {
            match self.cached(tile) {
                Some(chunk) => held.push(chunk),
                None => missing.push(tile),
            }
        }
        (held, missing)
    }

    /// Reads `tiles` on a thread of their own and calls `notify` when they are in, unless such
    /// a read is under way (the painter's way to get chunks without a map scene).
    pub fn prefetch(self: &Arc<Self>, tiles: Vec<(u32, u32)>, notify: Notify) {
        if tiles.is_empty() || self.prefetching.swap(true, Ordering::AcqRel) {
            return;
        }
        let parts = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("citygrid-parts".into()).spawn(move || {
            for tile in tiles {
                let _ = parts.chunk_or_empty(tile);
            }
            parts.prefetching.store(false, Ordering::Release);
            notify();
        });
        if spawned.is_err() {
            self.prefetching.store(false, Ordering::Release);
        }
    }

    /// Keeps a part found by identify or search, so that what is selected can be shown
    /// without reading it again.
    pub fn remember(&self, part: &Part) {
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        if codes.get(&part.code).is_some_and(Option::is_some) {
            return;
        }
        if codes.len() >= CODES_KEPT {
            codes.clear();
        }
        codes.insert(part.code, Some(Arc::new(part.clone())));
    }

    /// The part with this code: one remembered, else one indexed row read from the store once
    /// (routing's owner and maintainer of a case's part, the details of a selection). `None`
    /// when there is no such part or the store cannot be read (the error is kept).
    #[must_use]
    pub fn by_code(&self, code: PartCode) -> Option<Arc<Part>> {
        if let Some(known) = self.codes.lock().unwrap_or_else(PoisonError::into_inner).get(&code) {
            return known.clone();
        }
        let found = match self.with_store(&self.lookup_store, |store| store.part_by_code(code)) {
            Ok(found) => found.map(Arc::new),
            Err(error) => {
                self.note_error(&error);
                return None;
            }
        };
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        if codes.len() >= CODES_KEPT {
            codes.clear();
        }
        codes.insert(code, found.clone());
        found
    }

    /// The parts whose anchor is within `metres` of a point, nearest first: from the chunks
    /// read if they cover the spot, else a small box read from the store.
    ///
    /// # Errors
    /// The store cannot be opened or read.
    pub fn near(&self, lon: f64, lat: f64, metres: f64) -> Result<Vec<Part>, StoreError> {
        use geo::Distance as _;
        let here = geo::Point::new(lon, lat);
        let reach = metres / 111_000.0 * 1.5;
        let bbox =
            [lon - reach / (lat.to_radians().cos().max(0.1)), lat - reach, lon + reach / (lat.to_radians().cos().max(0.1)), lat + reach];
        let corners = [mercator_from_lonlat(bbox[0], bbox[3]), mercator_from_lonlat(bbox[2], bbox[1])];
        let tiles = self.tiles.tiles_in(corners[0], corners[1]);
        // Parts are chunked by anchor: a part anchored here lies in one of these chunks.
        let cached: Option<Vec<Arc<PartChunk>>> = tiles.iter().map(|tile| self.cached(*tile)).collect();
        let candidates: Vec<Part> = match cached {
            Some(chunks) => chunks
                .iter()
                .flat_map(|chunk| {
                    chunk.index.in_box([bbox[0], bbox[1]], [bbox[2], bbox[3]]).map(|index| chunk.parts[index].clone()).collect::<Vec<_>>()
                })
                .collect(),
            None => self.with_store(&self.lookup_store, |store| store.parts_in_box(bbox))?,
        };
        let mut found: Vec<(f64, Part)> = candidates
            .into_iter()
            .map(|part| (geo::Haversine.distance(here, crate::spatial::anchor_of(&part)), part))
            .filter(|(distance, _)| *distance <= metres)
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.code.cmp(&b.1.code)));
        Ok(found.into_iter().map(|(_, part)| part).collect())
    }

    /// The parts a search text names: the first `limit` and how many in all (see
    /// [`Store::search_parts`]); the ones found are remembered. On a connection of its own:
    /// the search runs as a job while the map reads.
    ///
    /// # Errors
    /// The store cannot be opened or read.
    pub fn search(&self, text: &str, limit: usize) -> Result<(Vec<PartCode>, usize), StoreError> {
        let store = self.location.open()?;
        let (found, total) = store.search_parts(text, limit)?;
        for part in &found {
            self.remember(part);
        }
        Ok((found.into_iter().map(|part| part.code).collect(), total))
    }

    /// Every part, read from the store on a connection of its own (an export, a test): a seat
    /// never holds them all.
    ///
    /// # Errors
    /// The store cannot be opened or read.
    pub fn read_all(&self) -> Result<Vec<Part>, StoreError> {
        self.location.open()?.load_parts()
    }

    /// The last read that failed, for the status line.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many parts the chunk cache holds now (the bench, the tests).
    #[must_use]
    pub fn cached_parts(&self) -> usize {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner).parts
    }

    fn note_error(&self, error: &StoreError) {
        tracing::error!("reading parts: {error}");
        *self.last_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
    }

    fn with_store<T>(&self, slot: &Mutex<Option<Store>>, read: impl FnOnce(&Store) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(self.location.open()?);
        }
        match slot.as_ref() {
            Some(store) => read(store),
            None => unreachable!("opened above"),
        }
    }
}

impl crate::workflow::PartLookup for StoredParts {
    fn find_part(&self, code: PartCode) -> Option<Part> {
        self.by_code(code).map(|part| (*part).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_of_size(parts: usize) -> Arc<PartChunk> {
        let mut chunk = PartChunk::empty();
        chunk.parts = (0..parts)
            .map(|index| {
                Part::bare(
                    PartCode::parse("3410040101000001").expect("code"),
                    crate::model::PartGeometry::Point(geo::Point::new(index as f64, 0.0)),
                )
            })
            .collect();
        Arc::new(chunk)
    }

    #[test]
    fn the_chunk_cache_stays_within_its_part_budget_dropping_the_least_recently_used() {
        let mut cache = ChunkCache::default();
        cache.insert((0, 0), chunk_of_size(40), 100);
        cache.insert((0, 1), chunk_of_size(40), 100);
        assert!(cache.get((0, 0)).is_some(), "used again: now the newest");
        cache.insert((0, 2), chunk_of_size(40), 100);
        assert_eq!(cache.parts, 80);
        assert!(cache.get((0, 1)).is_none(), "the least recently used went first");
        assert!(cache.get((0, 0)).is_some() && cache.get((0, 2)).is_some());
        // A chunk larger than the budget is still held: it is what is being drawn.
        cache.insert((1, 1), chunk_of_size(150), 100);
        assert_eq!(cache.parts, 150);
        assert!(cache.get((1, 1)).is_some());
    }
}
