//! `citygrid bench map`: the map engine's figures on a real database, measured the way a
//! frame is really made — egui laying out the map view and tessellating what it painted — on
//! a headless egui context. GPU time is not included (this machine has none); what is measured
//! is the CPU work a frame costs the UI thread.

pub mod assess;
pub mod desk;
pub mod import;
pub mod soak;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use egui::{Pos2, Rect, Vec2, pos2, vec2};
use walkers::{MapMemory, lon_lat};

use crate::app::{LayerVisibility, World, load_everything};
use crate::map::scene::{MapScene, SceneData};
use crate::map::{ScreenTransform, mercator_from_lonlat};
use crate::ui::Lang;
use crate::ui::map_view::{MapView, PART_MIN_ZOOM};

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

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn sorted_ms(durations: &[Duration]) -> Vec<f64> {
    let mut values: Vec<f64> = durations.iter().map(|duration| duration.as_secs_f64() * 1_000.0).collect();
    values.sort_by(f64::total_cmp);
    values
}

/// The process's peak resident memory, MB (Linux; 0 elsewhere).
#[must_use]
pub fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The process's resident memory now, MB (Linux; 0 elsewhere).
#[must_use]
pub fn current_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
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
    let _ = writeln!(out, "database {}: {} parts, loaded and indexed in {:.2} s", bench.db, bench.parts, bench.load_s);
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

/// Figures of `bench spatial`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpatialBench {
    pub db: String,
    /// Grid cells in the benchmark layer (synthetic, 100 m, replacing the demo's grid).
    pub grid_cells: usize,
    pub jurisdictions: usize,
    pub lookup_p50_us: f64,
    pub lookup_p99_us: f64,
    pub boundary_distance_p50_us: f64,
    pub boundary_distance_p99_us: f64,
    /// Distance to the real 徽州区 / 屯溪区 border (thousands of vertices).
    pub district_boundary_distance_p50_us: f64,
    pub near_boundary_p50_us: f64,
    pub near_boundary_p99_us: f64,
    pub grid_topology_s: f64,
    /// Every layer checked: name, polygons, gaps, overlaps, total gap and overlap area (m²), seconds.
    pub layers: Vec<LayerTopology>,
    pub peak_memory_mb: f64,
}

/// The topology of one layer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerTopology {
    pub layer: String,
    pub polygons: usize,
    pub gaps: usize,
    pub gap_area_m2: f64,
    pub overlaps: usize,
    pub overlap_area_m2: f64,
    pub seconds: f64,
}

fn layer_topology(name: &str, report: &crate::spatial::topology::TopologyReport) -> LayerTopology {
    LayerTopology {
        layer: name.to_owned(),
        polygons: report.checked,
        gaps: report.gaps().count(),
        gap_area_m2: report.gaps().map(|gap| gap.area_m2).sum(),
        overlaps: report.overlaps().count(),
        overlap_area_m2: report.overlaps().map(|overlap| overlap.area_m2).sum(),
        seconds: report.elapsed.as_secs_f64(),
    }
}

fn micros(mut values: Vec<Duration>) -> (f64, f64) {
    values.sort_unstable();
    let sorted: Vec<f64> = values.iter().map(|value| value.as_secs_f64() * 1e6).collect();
    (percentile(&sorted, 0.5), percentile(&sorted, 0.99))
}

/// Runs the spatial bench: 10,000 grid cells of 100 m (100 × 100 around the urban core) in
/// place of the demo grid, plus the other layers of the database at `path`.
///
/// # Errors
/// The database cannot be loaded.
pub fn spatial_bench(path: &Path, mut progress: impl FnMut(&str)) -> Result<SpatialBench> {
    use crate::model::{Jurisdiction, JurisdictionKind};
    use crate::spatial::boundary::{LocalFrame, distance_to_shared_boundary};
    use crate::spatial::topology::check_layer;
    use crate::spatial::{JurisdictionIndex, NEAR_BOUNDARY_M};
    use geo::{LineString, MultiPolygon, Point, Polygon, coord};

    let (world, _) = load_everything(path, crate::calendar::china_now())?;
    progress(&format!("loaded {} jurisdictions", world.jurisdictions.len()));
    let home = crate::demo::CORE_CENTRE;
    let frame = LocalFrame::at(Point::new(home.0, home.1));
    const SIDE: usize = 100;
    const CELL_M: f64 = 100.0;
    let origin = -(SIDE as f64) * CELL_M / 2.0;
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let mut jurisdictions: Vec<Jurisdiction> =
        world.jurisdictions.iter().filter(|j| j.kind != JurisdictionKind::GridCell).cloned().collect();
    let first_cell = jurisdictions.len();
    for row in 0..SIDE {
        for column in 0..SIDE {
            // One cell is drawn 10 m too far east: the check must find a 1,000 m² overlap with
            // its eastern neighbour and a 1,000 m² gap on its west side.
            let shift = if (row, column) == (SIDE / 2, SIDE / 2) { 10.0 } else { 0.0 };
            let x0 = origin + column as f64 * CELL_M + shift;
            let y0 = origin + row as f64 * CELL_M;
            let corner = |x: f64, y: f64| {
                let point = frame.lonlat([x, y]);
                coord! { x: point.x(), y: point.y() }
            };
            let ring = LineString::new(vec![
                corner(x0, y0),
                corner(x0 + CELL_M, y0),
                corner(x0 + CELL_M, y0 + CELL_M),
                corner(x0, y0 + CELL_M),
                corner(x0, y0),
            ]);
            jurisdictions.push(Jurisdiction {
                id: 0,
                kind: JurisdictionKind::GridCell,
                code: format!("bench{row:03}{column:03}"),
                name: String::new(),
                owner_unit: None,
                parent_code: None,
                valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                valid_to: None,
                source: "bench".to_owned(),
                geometry: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
            });
        }
    }
    let index = JurisdictionIndex::new(&jurisdictions);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let extent = SIDE as f64 * CELL_M;
    let mut random_point = || frame.lonlat([origin + next() * extent, origin + next() * extent]);

    let mut lookups = Vec::new();
    for _ in 0..100_000 {
        let point = random_point();
        let started = Instant::now();
        let found = index.containing_on(&jurisdictions, point, date);
        lookups.push(started.elapsed());
        std::hint::black_box(found);
    }
    let (lookup_p50_us, lookup_p99_us) = micros(lookups);
    progress(&format!("point look-up p50 {lookup_p50_us:.1} µs, p99 {lookup_p99_us:.1} µs"));

    let mut distances = Vec::new();
    for _ in 0..20_000 {
        let point = random_point();
        let Some(cell) = index.layer_at(&jurisdictions, JurisdictionKind::GridCell, point, date) else { continue };
        let column = (cell - first_cell) % SIDE;
        let neighbour = if column + 1 < SIDE { cell + 1 } else { cell - 1 };
        let started = Instant::now();
        let found = distance_to_shared_boundary(point, &jurisdictions[cell].geometry, &jurisdictions[neighbour].geometry, 0.5);
        distances.push(started.elapsed());
        std::hint::black_box(found);
    }
    let (boundary_distance_p50_us, boundary_distance_p99_us) = micros(distances);

    let mut near = Vec::new();
    for _ in 0..20_000 {
        let point = random_point();
        let started = Instant::now();
        let found = index.near_boundaries(&jurisdictions, JurisdictionKind::GridCell, point, date, NEAR_BOUNDARY_M);
        near.push(started.elapsed());
        std::hint::black_box(found);
    }
    let (near_boundary_p50_us, near_boundary_p99_us) = micros(near);

    // The real border between 徽州区 and 屯溪区.
    let district = |name: &str| jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.name.contains(name));
    let mut district_times = Vec::new();
    if let (Some(huizhou), Some(tunxi)) = (district("徽州"), district("屯溪")) {
        for _ in 0..200 {
            let point = random_point();
            let started = Instant::now();
            let found = distance_to_shared_boundary(point, &huizhou.geometry, &tunxi.geometry, 5.0);
            district_times.push(started.elapsed());
            std::hint::black_box(found);
        }
    }
    let (district_boundary_distance_p50_us, _) = micros(district_times);
    progress(&format!("boundary distance p50 {boundary_distance_p50_us:.1} µs (districts {district_boundary_distance_p50_us:.0} µs)"));

    let cells: Vec<usize> = (first_cell..jurisdictions.len()).collect();
    let covered = {
        let corner = |x: f64, y: f64| {
            let point = frame.lonlat([x, y]);
            coord! { x: point.x(), y: point.y() }
        };
        let end = origin + extent;
        MultiPolygon::new(vec![Polygon::new(
            LineString::new(vec![
                corner(origin, origin),
                corner(end, origin),
                corner(end, end),
                corner(origin, end),
                corner(origin, origin),
            ]),
            vec![],
        )])
    };
    let grid_report = check_layer(&jurisdictions, &cells, Some(&covered), 1.0);
    let grid_topology_s = grid_report.elapsed.as_secs_f64();
    progress(&format!("topology of {} grid cells: {grid_topology_s:.2} s", cells.len()));
    let mut layers = vec![layer_topology("10,000 grid cells, one moved 10 m", &grid_report)];

    // The database's own layers, each against the managed district.
    let world_jurisdictions = &world.jurisdictions;
    let managed = world_jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.code == world.district_code);
    for kind in [JurisdictionKind::District, JurisdictionKind::Township, JurisdictionKind::Community, JurisdictionKind::GridCell] {
        let members: Vec<usize> = (0..world_jurisdictions.len()).filter(|index| world_jurisdictions[*index].kind == kind).collect();
        let parent =
            if matches!(kind, JurisdictionKind::Township | JurisdictionKind::Community) { managed.map(|j| &j.geometry) } else { None };
        let report = check_layer(world_jurisdictions, &members, parent, 1.0);
        let name = match kind {
            JurisdictionKind::District => "districts of 黄山市 (real boundaries)",
            JurisdictionKind::Township => "townships (demo) against 徽州区",
            JurisdictionKind::Community => "communities (demo) against 徽州区",
            _ => "grid cells (demo)",
        };
        layers.push(layer_topology(name, &report));
    }
    Ok(SpatialBench {
        db: path.display().to_string(),
        grid_cells: cells.len(),
        jurisdictions: jurisdictions.len(),
        lookup_p50_us,
        lookup_p99_us,
        boundary_distance_p50_us,
        boundary_distance_p99_us,
        district_boundary_distance_p50_us,
        near_boundary_p50_us,
        near_boundary_p99_us,
        grid_topology_s,
        layers,
        peak_memory_mb: peak_memory_mb(),
    })
}

/// The figures as the text `bench spatial` prints.
#[must_use]
pub fn spatial_bench_text(bench: &SpatialBench) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ =
        writeln!(out, "database {}: {} jurisdictions, of which {} grid cells of 100 m", bench.db, bench.jurisdictions, bench.grid_cells);
    let _ =
        writeln!(out, "point look-up (all layers, valid on a date): p50 {:.1} µs, p99 {:.1} µs", bench.lookup_p50_us, bench.lookup_p99_us);
    let _ = writeln!(
        out,
        "distance to the boundary two grid cells share: p50 {:.1} µs, p99 {:.1} µs; along the real 徽州区/屯溪区 border: p50 {:.0} µs",
        bench.boundary_distance_p50_us, bench.boundary_distance_p99_us, bench.district_boundary_distance_p50_us
    );
    let _ = writeln!(out, "near-boundary check (30 m): p50 {:.1} µs, p99 {:.1} µs", bench.near_boundary_p50_us, bench.near_boundary_p99_us);
    let _ = writeln!(
        out,
        "{:<42} {:>8} {:>6} {:>14} {:>9} {:>14} {:>8}",
        "topology of", "polygons", "gaps", "gap m²", "overlaps", "overlap m²", "seconds"
    );
    for layer in &bench.layers {
        let _ = writeln!(
            out,
            "{:<42} {:>8} {:>6} {:>14.0} {:>9} {:>14.0} {:>8.2}",
            layer.layer,
            layer.polygons,
            layer.gaps,
            layer.gap_area_m2.abs(),
            layer.overlaps,
            layer.overlap_area_m2.abs(),
            layer.seconds
        );
    }
    let _ = writeln!(out, "peak memory: {:.0} MB", bench.peak_memory_mb);
    out
}
