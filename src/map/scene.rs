//! The map's heavy layers — a million city parts, the jurisdiction outlines and the streets —
//! drawn by the GPU from geometry built once per (layer, chunk, level of detail) on worker
//! threads. A frame only picks the builds it needs and hands walkers their transforms: nothing
//! is tessellated or uploaded again while the user pans, and the UI thread never waits for a
//! build. While one is on its way, the nearest build already made (another level of detail,
//! or the density grid) stays on screen.
//!
//! Builds are kept in a cache bounded by memory, least recently drawn first out. A data change
//! throws away only the builds it touches ([`MapScene::invalidate_tiles`]).
//!
//! The parts themselves are not held here: a build of one chunk asks [`SceneData::part_chunk`],
//! which the seat answers from its bounded cache or the store (issue 20).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use egui::Stroke;
use egui::emath::TSTransform;
use walkers::Drawables;

use super::scene_build::{
    Built, LOCAL_UNITS, PartChunk, PartFilter, PartTiles, build_outlines, build_part_density, build_part_detail, build_streets,
    points_per_unit,
};
use super::{ProjectedFeature, ScreenTransform, lonlat_from_mercator};
use crate::model::JurisdictionKind;

/// Parts are drawn one by one from this zoom on; below it, as a density grid.
pub const PART_DETAIL_ZOOM: f64 = 17.0;
/// Builds kept in memory at most, bytes (the GPU keeps its own copy of what it draws).
const CACHE_BUDGET_BYTES: usize = 384 * 1024 * 1024;
const WORKERS: usize = 2;

/// What the scene draws from. Implemented by the loaded world.
pub trait SceneData: Send + Sync + 'static {
    /// The chunks holding parts.
    fn part_tiles(&self) -> &PartTiles;
    /// The parts of one chunk. May read them from the store: called on the workers only.
    fn part_chunk(&self, tile: (u32, u32)) -> Arc<PartChunk>;
    /// Part counts per density cell: the density layer is summed from these.
    fn part_cells(&self) -> &crate::spatial::part_cells::PartCells;
    fn outlines(&self, kind: JurisdictionKind) -> &[ProjectedFeature];
    /// Stroke of one outline by its source index.
    fn outline_stroke(&self, kind: JurisdictionKind, source: usize) -> Stroke;
    fn street_lines(&self) -> &[ProjectedFeature];
    /// Stroke (hairline width) and carriageway width in metres of a street by source index.
    fn street_style(&self, source: usize) -> (Stroke, f32);
}

/// One build: what, at which level of detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SceneKey {
    /// A jurisdiction layer simplified for an integer zoom.
    Outlines { kind: JurisdictionKind, zoom: u8 },
    /// All streets at a band of half zoom levels (`band` = zoom × 2).
    Streets { band: u8 },
    /// The parts of one chunk at a band of half zoom levels.
    PartDetail { tile: (u32, u32), band: u8, filter: u64 },
    /// Part counts per cell for an integer zoom.
    PartDensity { zoom: u8, filter: u64 },
}

/// Builds standing in for one another while the right one is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    Outlines(JurisdictionKind),
    Streets,
    PartDetail((u32, u32)),
    PartDensity,
}

impl SceneKey {
    fn family(self) -> Family {
        match self {
            Self::Outlines { kind, .. } => Family::Outlines(kind),
            Self::Streets { .. } => Family::Streets,
            Self::PartDetail { tile, .. } => Family::PartDetail(tile),
            Self::PartDensity { .. } => Family::PartDensity,
        }
    }

    /// Level of detail in half zoom levels, to find the nearest stand-in.
    fn level(self) -> i32 {
        match self {
            Self::Outlines { zoom, .. } | Self::PartDensity { zoom, .. } => i32::from(zoom) * 2,
            Self::Streets { band } | Self::PartDetail { band, .. } => i32::from(band),
        }
    }

    fn filter(self) -> u64 {
        match self {
            Self::PartDetail { filter, .. } | Self::PartDensity { filter, .. } => filter,
            Self::Outlines { .. } | Self::Streets { .. } => 0,
        }
    }
}

/// Which scene layers a frame shows; the map view decides from the layer switches and zoom.
#[derive(Debug, Clone, Default)]
pub struct SceneLayers {
    /// Jurisdiction layers in drawing order.
    pub outlines: Vec<JurisdictionKind>,
    pub streets: bool,
    /// The parts, unless switched off.
    pub parts: Option<PartFilter>,
}

/// Counters for the bench and the tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct SceneStats {
    /// Builds finished since the start.
    pub builds: usize,
    /// Time the workers spent building, in total.
    pub build_time: Duration,
    /// The slowest build.
    pub slowest_build: Duration,
    /// Builds the last frame wanted, and how many of them were not ready.
    pub wanted: usize,
    pub missing: usize,
    /// Builds drawn in the last frame (stand-ins included) and the features in them.
    pub drawn: usize,
    pub drawn_features: usize,
    /// Builds in the cache and their approximate size.
    pub cached: usize,
    pub cached_bytes: usize,
}

type Job = (SceneKey, Arc<PartFilter>);
type Finished = (u64, SceneKey, Built, Duration);

struct Queue {
    /// What builds are made from, and which version of it.
    data: Arc<dyn SceneData>,
    generation: u64,
    jobs: VecDeque<Job>,
    in_flight: HashSet<SceneKey>,
    stop: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

struct Entry {
    built: Built,
    last_used: u64,
}

/// The GPU-drawn layers of one loaded world.
pub struct MapScene {
    data: Arc<dyn SceneData>,
    shared: Arc<Shared>,
    results: Receiver<Finished>,
    cache: HashMap<SceneKey, Entry>,
    frame: u64,
    generation: u64,
    stats: SceneStats,
}

impl MapScene {
    /// Starts the workers. `repaint` is asked for a new frame whenever a build is ready.
    #[must_use]
    pub fn new(data: Arc<dyn SceneData>, repaint: egui::Context) -> Self {
        let queue = Queue { data: Arc::clone(&data), generation: 0, jobs: VecDeque::new(), in_flight: HashSet::new(), stop: false };
        let shared = Arc::new(Shared { queue: Mutex::new(queue), wake: Condvar::new() });
        let (sender, results) = channel();
        for index in 0..WORKERS {
            let worker = Worker { shared: Arc::clone(&shared), results: sender.clone(), repaint: repaint.clone() };
            if let Err(error) = std::thread::Builder::new().name(format!("citygrid-scene-{index}")).spawn(move || worker.run()) {
                tracing::error!("cannot start a map worker: {error}");
            }
        }
        Self { data, shared, results, cache: HashMap::new(), frame: 0, generation: 0, stats: SceneStats::default() }
    }

    /// The builds to draw this frame, in order, placed for `transform`; asks the workers for
    /// whatever is missing (nearest the centre first) and draws stand-ins meanwhile.
    pub fn frame(&mut self, transform: &ScreenTransform, zoom: f64, layers: &SceneLayers) -> Vec<Drawables> {
        self.frame += 1;
        self.collect_finished();
        let (wanted, filter) = self.wanted(transform, zoom, layers);
        let mut drawn: Vec<SceneKey> = Vec::new();
        let mut missing: Vec<SceneKey> = Vec::new();
        let mut part_stand_in_needed = false;
        for key in &wanted {
            if self.cache.contains_key(key) {
                drawn.push(*key);
                continue;
            }
            missing.push(*key);
            match self.stand_in(*key) {
                Some(stand_in) => drawn.push(stand_in),
                None => part_stand_in_needed |= matches!(key, SceneKey::PartDetail { .. } | SceneKey::PartDensity { .. }),
            }
        }
        if part_stand_in_needed {
            // Crossing between the density grid and single parts: keep what was there.
            let stand_ins = self.part_stand_ins(transform, &wanted);
            let first_part = drawn.iter().position(|key| matches!(key, SceneKey::PartDetail { .. } | SceneKey::PartDensity { .. }));
            let at = first_part.unwrap_or(drawn.len());
            drawn.splice(at..at, stand_ins);
        }
        let mut seen = HashSet::new();
        drawn.retain(|key| seen.insert(*key));
        self.request(&missing, &filter);
        let scaling = (transform.scale / LOCAL_UNITS) as f32;
        let mut out = Vec::with_capacity(drawn.len());
        let mut features = 0;
        for key in &drawn {
            if let Some(entry) = self.cache.get_mut(key) {
                entry.last_used = self.frame;
                features += entry.built.features;
                let translation = transform.screen(entry.built.origin).to_vec2();
                out.push(entry.built.drawables.clone().with_transform(TSTransform::new(translation, scaling)));
            }
        }
        self.evict();
        self.stats.wanted = wanted.len();
        self.stats.missing = missing.len();
        self.stats.drawn = out.len();
        self.stats.drawn_features = features;
        out
    }

    /// Whether everything the last frame wanted was built and drawn (tests, screenshots).
    #[must_use]
    pub fn is_settled(&self) -> bool {
        self.stats.missing == 0 && self.frame > 0
    }

    #[must_use]
    pub fn stats(&self) -> SceneStats {
        SceneStats { cached: self.cache.len(), cached_bytes: self.cache.values().map(|entry| entry.built.bytes).sum(), ..self.stats }
    }

    /// Whether a build is in the cache (tests).
    #[must_use]
    pub fn has(&self, key: SceneKey) -> bool {
        self.cache.contains_key(&key)
    }

    /// The cached builds (tests).
    #[must_use]
    pub fn cached_keys(&self) -> Vec<SceneKey> {
        self.cache.keys().copied().collect()
    }

    /// Takes new data where parts in `changed_tiles` (chunks) moved, appeared or changed
    /// class: only the builds of those chunks, and the density grids, are made again. `None`
    /// means anything may have changed. Builds of the old data still on their way are dropped
    /// when they arrive.
    pub fn replace_data(&mut self, data: Arc<dyn SceneData>, changed_tiles: Option<&[(u32, u32)]>) {
        self.data = Arc::clone(&data);
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.jobs.clear();
        queue.data = data;
        queue.generation += 1;
        self.generation = queue.generation;
        drop(queue);
        match changed_tiles {
            None => self.cache.clear(),
            Some(changed) => self.invalidate_tiles(changed),
        }
    }

    /// Throws away the builds of these chunks and the density grids.
    pub fn invalidate_tiles(&mut self, changed: &[(u32, u32)]) {
        let tiles: HashSet<(u32, u32)> = changed.iter().copied().collect();
        self.cache.retain(|key, _| match key {
            SceneKey::PartDetail { tile, .. } => !tiles.contains(tile),
            SceneKey::PartDensity { .. } => false,
            SceneKey::Outlines { .. } | SceneKey::Streets { .. } => true,
        });
    }

    fn collect_finished(&mut self) {
        while let Ok((generation, key, built, took)) = self.results.try_recv() {
            if generation != self.generation {
                continue;
            }
            self.stats.builds += 1;
            self.stats.build_time += took;
            self.stats.slowest_build = self.stats.slowest_build.max(took);
            self.cache.insert(key, Entry { built, last_used: self.frame });
        }
    }

    fn wanted(&self, transform: &ScreenTransform, zoom: f64, layers: &SceneLayers) -> (Vec<SceneKey>, Arc<PartFilter>) {
        let mut wanted = Vec::new();
        let whole_zoom = zoom.floor().clamp(4.0, 18.0) as u8;
        let band = (zoom * 2.0).floor().clamp(26.0, 42.0) as u8;
        for kind in &layers.outlines {
            if !self.data.outlines(*kind).is_empty() {
                wanted.push(SceneKey::Outlines { kind: *kind, zoom: whole_zoom });
            }
        }
        if layers.streets && !self.data.street_lines().is_empty() {
            wanted.push(SceneKey::Streets { band });
        }
        let filter = Arc::new(layers.parts.clone().unwrap_or_default());
        if layers.parts.is_some() && !self.data.part_tiles().is_empty() {
            let key = filter.key();
            if zoom >= PART_DETAIL_ZOOM {
                let detail_band = (zoom * 2.0).floor().clamp(34.0, 42.0) as u8;
                for tile in self.data.part_tiles().tiles_in(transform.view_min, transform.view_max) {
                    wanted.push(SceneKey::PartDetail { tile, band: detail_band, filter: key });
                }
            } else {
                wanted.push(SceneKey::PartDensity { zoom: zoom.floor().clamp(6.0, 16.0) as u8, filter: key });
            }
        }
        (wanted, filter)
    }

    /// The cached build nearest in detail to `key` of the same family, same filter first.
    fn stand_in(&self, key: SceneKey) -> Option<SceneKey> {
        self.cache
            .keys()
            .filter(|candidate| candidate.family() == key.family())
            .min_by_key(|candidate| (candidate.filter() != key.filter(), (candidate.level() - key.level()).abs(), candidate.level()))
            .copied()
    }

    /// Cached part builds of the other kind (density for detail, detail for density).
    fn part_stand_ins(&self, transform: &ScreenTransform, wanted: &[SceneKey]) -> Vec<SceneKey> {
        let wants_detail = wanted.iter().any(|key| matches!(key, SceneKey::PartDetail { .. }));
        if wants_detail {
            let level = wanted.iter().find(|key| matches!(key, SceneKey::PartDetail { .. })).map_or(34, |key| key.level());
            return self
                .cache
                .keys()
                .filter(|key| matches!(key, SceneKey::PartDensity { .. }))
                .min_by_key(|key| (level - key.level()).abs())
                .copied()
                .into_iter()
                .collect();
        }
        let visible: HashSet<(u32, u32)> = self.data.part_tiles().tiles_in(transform.view_min, transform.view_max).into_iter().collect();
        let mut best: HashMap<(u32, u32), SceneKey> = HashMap::new();
        for key in self.cache.keys() {
            if let SceneKey::PartDetail { tile, .. } = key
                && visible.contains(tile)
            {
                let slot = best.entry(*tile).or_insert(*key);
                if key.level() < slot.level() {
                    *slot = *key;
                }
            }
        }
        best.into_values().collect()
    }

    /// Replaces the workers' queue with what is missing now: builds no longer wanted are not made.
    fn request(&self, missing: &[SceneKey], filter: &Arc<PartFilter>) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.jobs.clear();
        for key in missing {
            if !queue.in_flight.contains(key) {
                queue.jobs.push_back((*key, Arc::clone(filter)));
            }
        }
        let any = !queue.jobs.is_empty();
        drop(queue);
        if any {
            self.shared.wake.notify_all();
        }
    }

    fn evict(&mut self) {
        let mut bytes: usize = self.cache.values().map(|entry| entry.built.bytes).sum();
        if bytes <= CACHE_BUDGET_BYTES {
            return;
        }
        let mut by_age: Vec<(u64, SceneKey, usize)> = self
            .cache
            .iter()
            .filter(|(_, entry)| entry.last_used < self.frame)
            .map(|(key, entry)| (entry.last_used, *key, entry.built.bytes))
            .collect();
        by_age.sort_unstable_by_key(|(last_used, _, _)| *last_used);
        for (_, key, size) in by_age {
            if bytes <= CACHE_BUDGET_BYTES {
                break;
            }
            self.cache.remove(&key);
            bytes -= size;
        }
    }
}

impl Drop for MapScene {
    fn drop(&mut self) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.stop = true;
        queue.jobs.clear();
        drop(queue);
        self.shared.wake.notify_all();
    }
}

struct Worker {
    shared: Arc<Shared>,
    results: Sender<Finished>,
    repaint: egui::Context,
}

impl Worker {
    fn run(self) {
        loop {
            let (key, filter, data, generation) = {
                let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
                loop {
                    if queue.stop {
                        return;
                    }
                    if let Some((key, filter)) = queue.jobs.pop_front() {
                        queue.in_flight.insert(key);
                        break (key, filter, Arc::clone(&queue.data), queue.generation);
                    }
                    queue = self.shared.wake.wait(queue).unwrap_or_else(PoisonError::into_inner);
                }
            };
            let started = Instant::now();
            let built = build(data.as_ref(), key, &filter);
            let sent = self.results.send((generation, key, built, started.elapsed()));
            self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner).in_flight.remove(&key);
            if sent.is_err() {
                return;
            }
            self.repaint.request_repaint();
        }
    }
}

/// Makes one build.
#[must_use]
pub fn build(data: &dyn SceneData, key: SceneKey, filter: &PartFilter) -> Built {
    match key {
        SceneKey::Outlines { kind, zoom } => {
            let min_size = match kind {
                JurisdictionKind::GridCell | JurisdictionKind::UnitZone => 3.0,
                JurisdictionKind::Community | JurisdictionKind::Township => 4.0,
                JurisdictionKind::District => 0.0,
            };
            build_outlines(data.outlines(kind), zoom, min_size, |source| data.outline_stroke(kind, source))
        }
        SceneKey::Streets { band } => {
            let streets = data.street_lines();
            let latitude = streets.first().map_or(30.0, |street| lonlat_from_mercator(street.label_at)[1]);
            let points_per_m = points_per_unit(f64::from(band) / 2.0) / (40_075_016.686 * latitude.to_radians().cos());
            build_streets(streets, band, points_per_m as f32, |source| data.street_style(source))
        }
        SceneKey::PartDetail { tile, band, .. } => build_part_detail(&data.part_chunk(tile), tile, band, filter),
        SceneKey::PartDensity { zoom, .. } => build_part_density(data.part_cells(), zoom, filter).0,
    }
}
