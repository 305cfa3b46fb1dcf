//! `citygrid bench map`: the map engine's figures on a real database, measured the way a
//! frame is really made — egui laying out the map view and tessellating what it painted — on
//! a headless egui context. GPU time is not included (this machine has none); what is measured
//! is the CPU work a frame costs the UI thread.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use egui::{Pos2, Rect, Vec2, pos2, vec2};
use walkers::{MapMemory, lon_lat};

use crate::map::scene::{MapScene, SceneData};
use crate::map::{ScreenTransform, mercator_from_lonlat};
use crate::session::{LayerVisibility, World, load_everything};
use crate::ui::Lang;
use crate::ui::map_view::{MapView, PART_MIN_ZOOM};

use super::{peak_memory_mb, percentile, sorted_ms};

/// Screen sizes measured.
pub const SIZES: [[u32; 2]; 2] = [[1920, 1080], [3840, 2160]];
/// Zoom levels measured.
pub const ZOOMS: [f64; 5] = [11.0, 13.0, 15.0, 17.0, 19.0];
const PAN_FRAMES: usize = 240;
const NAIVE_FRAMES: usize = 6;
const IDENTIFY_CLICKS: usize = 5_000;

/// Figures of one screen size and zoom.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameFigures {
    pub width: u32,
    pub height: u32,
    pub zoom: f64,
    /// Time until every build the first view wants is ready (workers), ms.
    pub first_full_picture_ms: f64,
    /// Per-frame CPU time while panning with the GPU scene, ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Features in the builds drawn in the last frame.
    pub features_drawn: usize,
    /// Frames, while panning, that showed a stand-in for a build still on its way.
    pub frames_with_stand_ins: usize,
    /// The same frames with every visible feature through egui's painter, ms.
    pub naive_p50_ms: f64,
    pub naive_p99_ms: f64,
    /// Naive p50 ÷ scene p50.
    pub naive_ratio: f64,
}

/// Everything `bench map` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapBench {
    pub db: String,
    pub parts: usize,
    pub load_s: f64,
    pub frames: Vec<FrameFigures>,
    pub identify_p50_us: f64,
    pub identify_p99_us: f64,
    pub identify_max_us: f64,
    pub peak_memory_mb: f64,
}

struct Bench<'w> {
    ctx: egui::Context,
    world: &'w World,
    cases: &'w crate::desk::CaseBook,
    layers: LayerVisibility,
    now: chrono::NaiveDateTime,
}

impl Bench<'_> {
    /// One frame of the map view filling `size`: layout, painting and tessellation.
    fn frame(&self, size: Vec2, memory: &mut MapMemory, mut scene: Option<&mut MapScene>, naive: bool) -> Duration {
        let input = egui::RawInput { screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size)), ..Default::default() };
        let started = Instant::now();
        let output = self.ctx.run_ui(input, |ui| {
            let view = MapView {
                world: self.world,
                cases: self.cases,
                placing: false,
                dispute: None,
                topology: None,
                layers: &self.layers,
                selection: None,
                lang: Lang::Zh,
                now: self.now,
                basemap_attribution: None,
                painter_part_limit: usize::MAX,
                painter_parts_min_zoom: if naive { 0.0 } else { PART_MIN_ZOOM },
                wall: false,
            };
            let _ = view.show(ui, memory, None, scene.as_deref_mut());
        });
        let _ = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        started.elapsed()
    }
}

/// Where the view is centred in frame `index` of a pan: round a circle of 600 points.
fn pan_centre(centre: [f64; 2], zoom: f64, index: usize, frames: usize) -> walkers::Position {
    let angle = index as f64 / frames as f64 * std::f64::consts::TAU;
    let radius = 600.0 / (256.0 * 2f64.powf(zoom));
    let mercator = [centre[0] + radius * angle.cos(), centre[1] + radius * angle.sin()];
    let [lon, lat] = crate::map::lonlat_from_mercator(mercator);
    lon_lat(lon, lat)
}

/// Reads the chunks of parts a view of `size` at `centre` shows, and `margin` points around it.
fn warm_chunks(world: &World, centre: [f64; 2], zoom: f64, size: egui::Vec2, margin: f32) {
    let rect = Rect::from_center_size(Pos2::ZERO, size + vec2(margin, margin) * 2.0);
    let transform = ScreenTransform::centred(centre, zoom, rect);
    for tile in world.parts.tiles().tiles_in(transform.view_min, transform.view_max) {
        let _ = world.parts.chunk_or_empty(tile);
    }
}

/// Runs the map bench on the database at `path`; `progress` gets a line per step.
///
/// # Errors
/// The database cannot be loaded.
pub fn map_bench(path: &Path, mut progress: impl FnMut(&str)) -> Result<MapBench> {
    let started = Instant::now();
    let now = crate::calendar::china_now();
    let (world, cases) = load_everything(path, now)?;
    let world = Arc::new(world);
    let load_s = started.elapsed().as_secs_f64();
    progress(&format!("loaded {} parts in {load_s:.2} s", world.parts.len()));
    let ctx = egui::Context::default();
    crate::ui::fonts::install_fonts(&ctx);
    let bench = Bench { ctx: ctx.clone(), world: &world, cases: &cases, layers: LayerVisibility::default(), now };
    let home = crate::demo::CORE_CENTRE;
    let centre = mercator_from_lonlat(home.0, home.1);
    let mut frames = Vec::new();
    for [width, height] in SIZES {
        #[allow(clippy::cast_precision_loss)]
        let size = vec2(width as f32, height as f32);
        for zoom in ZOOMS {
            // A fresh scene per view, so that the first full picture is measured cold.
            let mut scene = MapScene::new(Arc::clone(&world) as Arc<dyn SceneData>, ctx.clone());
            let mut memory = MapMemory::default();
            let _ = memory.set_zoom(zoom);
            memory.center_at(lon_lat(home.0, home.1));
            let first = Instant::now();
            loop {
                bench.frame(size, &mut memory, Some(&mut scene), false);
                if scene.is_settled() || first.elapsed() > Duration::from_secs(60) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let first_full_picture_ms = first.elapsed().as_secs_f64() * 1_000.0;
            let mut times = Vec::with_capacity(PAN_FRAMES);
            let mut frames_with_stand_ins = 0;
            for index in 0..PAN_FRAMES {
                memory.center_at(pan_centre(centre, zoom, index, PAN_FRAMES));
                times.push(bench.frame(size, &mut memory, Some(&mut scene), false));
                if scene.stats().missing > 0 {
                    frames_with_stand_ins += 1;
                }
            }
            let features_drawn = scene.stats().drawn_features;
            drop(scene);
            // The painter draws the chunks the seat has read: read those the pan passes first.
            warm_chunks(&world, centre, zoom, size, 600.0);
            let mut naive_times = Vec::with_capacity(NAIVE_FRAMES);
            for index in 0..NAIVE_FRAMES {
                memory.center_at(pan_centre(centre, zoom, index * PAN_FRAMES / NAIVE_FRAMES, PAN_FRAMES));
                naive_times.push(bench.frame(size, &mut memory, None, true));
            }
            let scene_ms = sorted_ms(&times);
            let naive_ms = sorted_ms(&naive_times);
            let figures = FrameFigures {
                width,
                height,
                zoom,
                first_full_picture_ms,
                p50_ms: percentile(&scene_ms, 0.5),
                p99_ms: percentile(&scene_ms, 0.99),
                max_ms: scene_ms.last().copied().unwrap_or_default(),
                features_drawn,
                frames_with_stand_ins,
                naive_p50_ms: percentile(&naive_ms, 0.5),
                naive_p99_ms: percentile(&naive_ms, 0.99),
                naive_ratio: percentile(&naive_ms, 0.5) / percentile(&scene_ms, 0.5).max(1e-6),
            };
            progress(&format!(
                "{width}×{height} zoom {zoom}: p50 {:.2} ms, p99 {:.2} ms (naive p50 {:.1} ms)",
                figures.p50_ms, figures.p99_ms, figures.naive_p50_ms
            ));
            frames.push(figures);
        }
    }
    let (identify_p50_us, identify_p99_us, identify_max_us) = identify_figures(&bench);
    Ok(MapBench {
        db: path.display().to_string(),
        parts: world.parts.len(),
        load_s,
        frames,
        identify_p50_us,
        identify_p99_us,
        identify_max_us,
        peak_memory_mb: peak_memory_mb(),
    })
}

/// Clicks at pseudo-random spots of the urban core at street zooms.
fn identify_figures(bench: &Bench<'_>) -> (f64, f64, f64) {
    let view = MapView {
        world: bench.world,
        cases: bench.cases,
        placing: false,
        dispute: None,
        topology: None,
        layers: &bench.layers,
        selection: None,
        lang: Lang::Zh,
        now: bench.now,
        basemap_attribution: None,
        painter_part_limit: 0,
        painter_parts_min_zoom: PART_MIN_ZOOM,
        wall: false,
    };
    let home = crate::demo::CORE_CENTRE;
    let rect = Rect::from_min_size(Pos2::ZERO, vec2(1920.0, 1080.0));
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        // xorshift: the same clicks on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut times = Vec::with_capacity(IDENTIFY_CLICKS);
    for click in 0..IDENTIFY_CLICKS {
        let zoom = if click % 2 == 0 { 17.0 } else { 19.0 };
        // Anywhere within ~1.5 km of the core centre.
        let spread = 0.000_04;
        let centre = mercator_from_lonlat(home.0, home.1);
        let centre = [centre[0] + (next() - 0.5) * spread, centre[1] + (next() - 0.5) * spread];
        let transform = ScreenTransform::centred(centre, zoom, rect);
        let pointer = pos2((next() * 1920.0) as f32, (next() * 1080.0) as f32);
        // Identify looks at the chunks read for drawing, as on a seat: read them first.
        warm_chunks(bench.world, centre, zoom, rect.size(), 0.0);
        let started = Instant::now();
        let found = view.identify(&transform, pointer, zoom);
        times.push(started.elapsed());
        std::hint::black_box(found);
    }
    let sorted: Vec<f64> = sorted_ms(&times).into_iter().map(|ms| ms * 1_000.0).collect();
    (percentile(&sorted, 0.5), percentile(&sorted, 0.99), sorted.last().copied().unwrap_or_default())
}

/// The figures as the text `bench map` prints.
#[must_use]
pub fn map_bench_text(bench: &MapBench) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "database {}: {} parts (held by chunk as shown), seat ready in {:.2} s", bench.db, bench.parts, bench.load_s);
    let _ = writeln!(
        out,
        "{:>11} {:>5} {:>10} {:>8} {:>8} {:>8} {:>10} {:>8} {:>11} {:>11} {:>7}",
        "size", "zoom", "first ms", "p50 ms", "p99 ms", "max ms", "features", "stand-in", "naive p50", "naive p99", "ratio"
    );
    for row in &bench.frames {
        let _ = writeln!(
            out,
            "{:>11} {:>5} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>10} {:>8} {:>11.1} {:>11.1} {:>6.0}×",
            format!("{}×{}", row.width, row.height),
            row.zoom,
            row.first_full_picture_ms,
            row.p50_ms,
            row.p99_ms,
            row.max_ms,
            row.features_drawn,
            row.frames_with_stand_ins,
            row.naive_p50_ms,
            row.naive_p99_ms,
            row.naive_ratio
        );
    }
    let _ = writeln!(
        out,
        "identify: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs ({IDENTIFY_CLICKS} clicks at zoom 17 and 19)",
        bench.identify_p50_us, bench.identify_p99_us, bench.identify_max_us
    );
    let _ = writeln!(out, "peak memory: {:.0} MB", bench.peak_memory_mb);
    out
}

/// `bench map` on the database at `path`.
pub struct Map {
    pub path: std::path::PathBuf,
}

impl super::Bench for Map {
    type Figures = MapBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<MapBench> {
        map_bench(&self.path, progress)
    }

    fn text(figures: &MapBench) -> String {
        map_bench_text(figures)
    }
}
