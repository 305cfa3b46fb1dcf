//! `citygrid bench spatial`: jurisdiction look-ups, boundary distances, the near-boundary
//! check and the topology check, on 10,000 grid cells and on the database's own layers.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::session::load_everything;

use super::{peak_memory_mb, percentile};

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
    use crate::spatial::LocalFrame;
    use crate::spatial::boundary::distance_to_shared_boundary;
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

/// `bench spatial` on the database at `path`.
pub struct Spatial {
    pub path: std::path::PathBuf,
}

impl super::Bench for Spatial {
    type Figures = SpatialBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<SpatialBench> {
        spatial_bench(&self.path, progress)
    }

    fn text(figures: &SpatialBench) -> String {
        spatial_bench_text(figures)
    }
}
