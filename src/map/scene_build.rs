//! Geometry for the GPU-drawn map layers, built once per (layer, chunk, level of detail) on the
//! scene's worker threads and then only moved and scaled per frame.
//!
//! Every build is in *local units*: normalised Web Mercator relative to the build's origin,
//! times [`LOCAL_UNITS`] (pixels at zoom 16), small enough for `f32` to stay exact to a
//! hundredth of a pixel at any zoom walkers shows.

use egui::{Color32, Pos2, Stroke, pos2};
use geo::TriangulateEarcut;
use walkers::{Drawable, Drawables, Line, Mesh, Vertex};

use super::style as tokens;
use super::{ProjectedFeature, mercator_from_lonlat};
use crate::model::{Part, PartGeometry};
use crate::spatial::part_cells::PartCells;

/// Local units per normalised Mercator unit: pixels at zoom 16.
pub const LOCAL_UNITS: f64 = 256.0 * 65_536.0;
/// Parts are bucketed by the zoom-15 tile (about 1 km here) their anchor falls in.
pub const CHUNK_ZOOM: u8 = 15;
/// How far (normalised Mercator) a line or polygon part may reach beyond its chunk: ~120 m.
pub const CHUNK_REACH: f64 = 120.0 / 40_075_016.686 / 0.86;

/// Points per normalised Mercator unit at `zoom`.
#[must_use]
pub fn points_per_unit(zoom: f64) -> f64 {
    256.0 * 2f64.powf(zoom)
}

/// The parts of one chunk as read from the store, with their anchors projected once and
/// indexed (lon/lat) for identify: what a seat holds of the district's parts (issue 20).
pub struct PartChunk {
    pub parts: Vec<Part>,
    /// Anchor of every part in normalised Mercator, by position in `parts`.
    pub anchors: Vec<[f64; 2]>,
    /// The parts' anchors (lon/lat), for the nearest part to a click.
    pub index: crate::spatial::PointIndex,
}

impl PartChunk {
    /// The parts of `tile` among `parts`: those whose anchor lies in it (a line or polygon
    /// reaching into a neighbouring chunk belongs to one chunk only).
    #[must_use]
    pub fn of_tile(tile: (u32, u32), parts: impl IntoIterator<Item = Part>) -> Self {
        let mut kept = Vec::new();
        let mut anchors = Vec::new();
        for part in parts {
            let anchor = crate::spatial::anchor_of(&part);
            let mercator = mercator_from_lonlat(anchor.x(), anchor.y());
            if chunk_of(mercator) == tile {
                anchors.push(mercator);
                kept.push(part);
            }
        }
        let index = crate::spatial::PointIndex::of_parts(&kept);
        Self { parts: kept, anchors, index }
    }

    /// No parts.
    #[must_use]
    pub fn empty() -> Self {
        Self { parts: Vec::new(), anchors: Vec::new(), index: crate::spatial::PointIndex::of_parts(&[]) }
    }

    /// The chunk's box in lon/lat (west, south, east, north), widened by a hair so that a part
    /// anchored on its edge is not lost to rounding; [`Self::of_tile`] keeps its own parts only.
    #[must_use]
    pub fn lonlat_box(tile: (u32, u32)) -> [f64; 4] {
        let size = 1.0 / f64::from(1u32 << CHUNK_ZOOM);
        let origin = chunk_origin(tile);
        let north_west = super::lonlat_from_mercator(origin);
        let south_east = super::lonlat_from_mercator([origin[0] + size, origin[1] + size]);
        let hair = 1e-7;
        [north_west[0] - hair, south_east[1] - hair, south_east[0] + hair, north_west[1] + hair]
    }

    /// Number of parts in the chunk.
    #[must_use]
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// The chunks holding parts, known from the stored cell counts (a zoom-16 cell lies in one
/// zoom-15 chunk), never from the parts themselves.
#[derive(Debug, Default, Clone)]
pub struct PartTiles {
    tiles: std::collections::HashSet<(u32, u32)>,
}

impl PartTiles {
    /// The chunks of the cells holding at least one part. A cell (24 points at zoom 16) may
    /// straddle a chunk's edge: every chunk it touches is listed (one with no parts reads empty).
    #[must_use]
    pub fn from_cells(cells: &PartCells) -> Self {
        let size = crate::spatial::part_cells::cell_size(crate::spatial::part_cells::CELL_ZOOM);
        let mut tiles = std::collections::HashSet::new();
        for (cell, counts) in cells.iter() {
            if counts.iter().all(|count| count.count == 0) {
                continue;
            }
            let (x, y) = (cell.0 as f64 * size, cell.1 as f64 * size);
            let (first, last) = (chunk_of([x, y]), chunk_of([x + size * 0.999_999, y + size * 0.999_999]));
            for tile_x in first.0..=last.0 {
                for tile_y in first.1..=last.1 {
                    tiles.insert((tile_x, tile_y));
                }
            }
        }
        Self { tiles }
    }

    /// Chunks holding parts that may show inside the Mercator box, nearest to its centre first.
    #[must_use]
    pub fn tiles_in(&self, min: [f64; 2], max: [f64; 2]) -> Vec<(u32, u32)> {
        let first = chunk_of([min[0] - CHUNK_REACH, min[1] - CHUNK_REACH]);
        let last = chunk_of([max[0] + CHUNK_REACH, max[1] + CHUNK_REACH]);
        let span = u64::from(last.0 - first.0 + 1) * u64::from(last.1 - first.1 + 1);
        let mut tiles: Vec<(u32, u32)> = if span > self.tiles.len() as u64 {
            self.tiles.iter().copied().filter(|tile| (first.0..=last.0).contains(&tile.0) && (first.1..=last.1).contains(&tile.1)).collect()
        } else {
            (first.0..=last.0).flat_map(|x| (first.1..=last.1).map(move |y| (x, y))).filter(|tile| self.tiles.contains(tile)).collect()
        };
        let centre = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
        tiles.sort_by(|a, b| distance_sq(tile_centre(*a), centre).total_cmp(&distance_sq(tile_centre(*b), centre)).then(a.cmp(b)));
        tiles
    }

    /// Whether a chunk holds parts.
    #[must_use]
    pub fn contains(&self, tile: (u32, u32)) -> bool {
        self.tiles.contains(&tile)
    }

    /// Number of chunks holding at least one part.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}

fn distance_sq(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// The chunk (zoom-15 tile) a normalised Mercator point lies in.
#[must_use]
pub fn chunk_of(mercator: [f64; 2]) -> (u32, u32) {
    let tiles = f64::from(1u32 << CHUNK_ZOOM);
    let clamp = |value: f64| (value * tiles).floor().clamp(0.0, tiles - 1.0) as u32;
    (clamp(mercator[0]), clamp(mercator[1]))
}

/// North-west corner of a chunk in normalised Mercator.
#[must_use]
pub fn chunk_origin(tile: (u32, u32)) -> [f64; 2] {
    let tiles = f64::from(1u32 << CHUNK_ZOOM);
    [f64::from(tile.0) / tiles, f64::from(tile.1) / tiles]
}

fn tile_centre(tile: (u32, u32)) -> [f64; 2] {
    let origin = chunk_origin(tile);
    let half = 0.5 / f64::from(1u32 << CHUNK_ZOOM);
    [origin[0] + half, origin[1] + half]
}

/// Which part classes are hidden; part of every part build's key through [`PartFilter::key`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartFilter {
    /// `(major, minor)` pairs switched off.
    hidden: Vec<(u8, u8)>,
}

impl PartFilter {
    /// From four-digit class codes such as `"0101"`; codes that do not parse are ignored.
    #[must_use]
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a String>) -> Self {
        let mut hidden: Vec<(u8, u8)> =
            codes.into_iter().filter_map(|code| Some((code.get(0..2)?.parse().ok()?, code.get(2..4)?.parse().ok()?))).collect();
        hidden.sort_unstable();
        hidden.dedup();
        Self { hidden }
    }

    #[must_use]
    pub fn shows(&self, major: u8, minor: u8) -> bool {
        self.hidden.is_empty() || self.hidden.binary_search(&(major, minor)).is_err()
    }

    /// A short key telling filters apart in the build cache.
    #[must_use]
    pub fn key(&self) -> u64 {
        // FNV-1a over the pairs: stable across runs and platforms.
        self.hidden.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, (major, minor)| {
            let hash = (hash ^ u64::from(*major)).wrapping_mul(0x0100_0000_01b3);
            (hash ^ u64::from(*minor)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// What a build produced: drawables in local units around `origin`.
#[derive(Clone)]
pub struct Built {
    pub drawables: Drawables,
    /// Normalised Mercator point that local (0, 0) stands for.
    pub origin: [f64; 2],
    /// Rough memory held (vertices and indices), bytes.
    pub bytes: usize,
    /// Features drawn.
    pub features: usize,
}

/// Collects fills and lines in draw order.
struct Builder {
    origin: [f64; 2],
    drawables: Vec<Drawable>,
    fill: Mesh,
    lines: Vec<Line>,
    bytes: usize,
    features: usize,
}

impl Builder {
    fn new(origin: [f64; 2]) -> Self {
        Self { origin, drawables: Vec::new(), fill: Mesh::default(), lines: Vec::new(), bytes: 0, features: 0 }
    }

    fn local(&self, mercator: [f64; 2]) -> Pos2 {
        pos2(((mercator[0] - self.origin[0]) * LOCAL_UNITS) as f32, ((mercator[1] - self.origin[1]) * LOCAL_UNITS) as f32)
    }

    /// Ends the current fill run so that what follows is drawn above it.
    fn flush_fill(&mut self) {
        if !self.fill.is_empty() {
            self.bytes += self.fill.vertices.len() * 12 + self.fill.indices.len() * 4;
            self.drawables.push(Drawable::Fill(std::mem::take(&mut self.fill)));
        }
    }

    /// Ends the current line run so that what follows is drawn above it.
    fn flush_lines(&mut self) {
        if !self.lines.is_empty() {
            self.bytes += self.lines.iter().map(|line| line.points.len() * 100).sum::<usize>();
            self.drawables.push(Drawable::Lines(std::mem::take(&mut self.lines)));
        }
    }

    fn line(&mut self, points: Vec<Pos2>, width: f32, color: Color32) {
        if points.len() >= 2 {
            self.lines.push(Line { points, width, color, dasharray: Vec::new() });
        }
    }

    /// A regular hexagon (round enough at a few pixels) of `radius` local units.
    fn dot(&mut self, centre: Pos2, radius: f32, color: Color32) {
        let first = u32::try_from(self.fill.vertices.len()).unwrap_or(u32::MAX);
        self.fill.vertices.push(Vertex { position: centre, color });
        for step in 0..6u8 {
            let angle = f32::from(step) * std::f32::consts::FRAC_PI_3;
            self.fill.vertices.push(Vertex { position: centre + egui::vec2(angle.cos(), angle.sin()) * radius, color });
        }
        for step in 0..6 {
            self.fill.indices.extend([first, first + 1 + step, first + 1 + (step + 1) % 6]);
        }
    }

    fn finish(mut self) -> Built {
        self.flush_fill();
        self.flush_lines();
        Built { drawables: Drawables::new(self.drawables), origin: self.origin, bytes: self.bytes, features: self.features }
    }
}

/// Drops vertices closer than `min_step` local units to the last one kept; keeps the ends.
fn simplified(builder: &Builder, path: impl ExactSizeIterator<Item = [f64; 2]>, min_step: f32) -> Vec<Pos2> {
    let last = path.len().saturating_sub(1);
    let mut out: Vec<Pos2> = Vec::with_capacity(path.len());
    for (index, point) in path.enumerate() {
        let local = builder.local(point);
        if index == 0 || index == last || out.last().is_none_or(|kept| kept.distance(local) >= min_step) {
            out.push(local);
        }
    }
    out
}

/// Radius of a point part in points at a detail band (zoom × 2).
#[must_use]
pub fn point_radius(band: u8) -> f32 {
    tokens::PART_RADIUS + (f32::from(band) / 2.0 - 17.0).max(0.0) * 0.8
}

/// Individual parts of one chunk at street zoom: polygons (filled, outlined) below lines below
/// points. `band` is the zoom times two; points are sized for it.
#[must_use]
pub fn build_part_detail(chunk: &PartChunk, tile: (u32, u32), band: u8, filter: &PartFilter) -> Built {
    let mut builder = Builder::new(chunk_origin(tile));
    let zoom = f64::from(band) / 2.0;
    let local_per_point = (LOCAL_UNITS / points_per_unit(zoom)) as f32;
    let radius = point_radius(band) * local_per_point;
    let strength = tokens::part_point_strength(zoom);
    let shown = || chunk.parts.iter().enumerate().filter(|(_, part)| filter.shows(part.code.major(), part.code.minor()));
    let project = |coords: &[geo::Coord<f64>]| coords.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect::<Vec<_>>();
    for (_, part) in shown() {
        if let PartGeometry::Polygon(polygon) = &part.geometry {
            let (fill, color) = tokens::part_area_colors(part.code.major());
            let triangulation = polygon.earcut_triangles_raw();
            let first = u32::try_from(builder.fill.vertices.len()).unwrap_or(u32::MAX);
            for vertex in &triangulation.vertices {
                let position = builder.local(mercator_from_lonlat(vertex[0], vertex[1]));
                builder.fill.vertices.push(Vertex { position, color: fill });
            }
            builder.fill.indices.extend(triangulation.triangle_indices.iter().map(|index| first + *index as u32));
            let ring = project(&polygon.exterior().0);
            let outline = simplified(&builder, ring.into_iter(), local_per_point * 0.5);
            builder.line(outline, 1.0, color);
            builder.features += 1;
        }
    }
    builder.flush_fill();
    for (_, part) in shown() {
        if let PartGeometry::Line(line) = &part.geometry {
            let path = project(&line.0);
            let points = simplified(&builder, path.into_iter(), local_per_point * 0.5);
            let (major, minor) = (part.code.major(), part.code.minor());
            builder.line(points, tokens::part_line_width(major, minor), tokens::part_line_color(major, minor));
            builder.features += 1;
        }
    }
    builder.flush_lines();
    for (index, part) in shown() {
        if matches!(part.geometry, PartGeometry::Point(_)) {
            let centre = builder.local(chunk.anchors[index]);
            builder.dot(centre, radius, tokens::part_color(part.code.major()).gamma_multiply(strength));
            builder.features += 1;
        }
    }
    builder.finish()
}

pub use crate::spatial::part_cells::DENSITY_CELL_POINTS;

/// Parts counted per square cell at `zoom` (6–16), as a coloured grid: what shows instead of a
/// million dots when zoomed out. Summed from the stored cells' counts, never from the parts.
/// Returns the build and the largest count in a cell.
#[must_use]
pub fn build_part_density(cells: &PartCells, zoom: u8, filter: &PartFilter) -> (Built, u32) {
    let zoom = zoom.min(crate::spatial::part_cells::CELL_ZOOM);
    let cell = crate::spatial::part_cells::cell_size(zoom);
    let counts = cells.density(zoom, |major, minor| filter.shows(major, minor));
    let Some(origin_cell) = counts.keys().copied().reduce(|a, b| (a.0.min(b.0), a.1.min(b.1))) else {
        return (Builder::new([0.0, 0.0]).finish(), 0);
    };
    let origin = [origin_cell.0 as f64 * cell, origin_cell.1 as f64 * cell];
    let max = counts.values().copied().max().unwrap_or(1);
    let mut builder = Builder::new(origin);
    let side = (cell * LOCAL_UNITS) as f32;
    let mut cells: Vec<_> = counts.into_iter().collect();
    cells.sort_unstable();
    for ((x, y), count) in cells {
        let min = builder.local([x as f64 * cell, y as f64 * cell]);
        // A hairline gap between cells keeps the grid readable.
        let rect = egui::Rect::from_min_size(min, egui::vec2(side, side)).shrink(side * 0.04);
        let first = u32::try_from(builder.fill.vertices.len()).unwrap_or(u32::MAX);
        let color = tokens::density_color(count, max);
        for corner in [rect.left_top(), rect.right_top(), rect.right_bottom(), rect.left_bottom()] {
            builder.fill.vertices.push(Vertex { position: corner, color });
        }
        builder.fill.indices.extend([first, first + 1, first + 2, first, first + 2, first + 3]);
        builder.features += 1;
    }
    (builder.finish(), max)
}

/// Outlines of one jurisdiction layer simplified to about a pixel at `zoom`; features smaller
/// than `min_size` points there are left out.
#[must_use]
pub fn build_outlines(features: &[ProjectedFeature], zoom: u8, min_size: f32, stroke_of: impl Fn(usize) -> Stroke) -> Built {
    let origin = features.iter().map(|feature| feature.min).reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1])]).unwrap_or_default();
    let mut builder = Builder::new(origin);
    let per_unit = points_per_unit(f64::from(zoom));
    let local_per_point = (LOCAL_UNITS / per_unit) as f32;
    for feature in features {
        let size = ((feature.max[0] - feature.min[0]).max(feature.max[1] - feature.min[1]) * per_unit) as f32;
        if size < min_size {
            continue;
        }
        let stroke = stroke_of(feature.source);
        for ring in &feature.rings {
            let points = simplified(&builder, ring.iter().copied(), local_per_point);
            builder.line(points, stroke.width, stroke.color);
        }
        builder.features += 1;
    }
    builder.finish()
}

/// Streets at a detail band (zoom × 2): a hairline when zoomed out, the carriageway's real
/// width (metres at the band's zoom) when zoomed in. `style_of` gives the stroke and width in
/// metres of a street by index.
#[must_use]
pub fn build_streets(streets: &[ProjectedFeature], band: u8, points_per_m: f32, style_of: impl Fn(usize) -> (Stroke, f32)) -> Built {
    let origin = streets.iter().map(|feature| feature.min).reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1])]).unwrap_or_default();
    let mut builder = Builder::new(origin);
    let local_per_point = (LOCAL_UNITS / points_per_unit(f64::from(band) / 2.0)) as f32;
    // Main roads above minor ones.
    let mut order: Vec<&ProjectedFeature> = streets.iter().collect();
    order.sort_by(|a, b| style_of(a.source).1.total_cmp(&style_of(b.source).1));
    for street in order {
        let (stroke, width_m) = style_of(street.source);
        let width = stroke.width.max(width_m * points_per_m);
        for ring in &street.rings {
            let points = simplified(&builder, ring.iter().copied(), local_per_point * 0.5);
            builder.line(points, width, stroke.color);
        }
        builder.features += 1;
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartCode;
    use geo::{Point, coord};

    fn part(code: &str, geometry: PartGeometry) -> Part {
        Part::bare(PartCode::parse(code).expect("code"), geometry)
    }

    fn sample() -> Vec<Part> {
        let line = geo::LineString::new(vec![coord! { x: 118.330, y: 29.830 }, coord! { x: 118.331, y: 29.8305 }]);
        let square = geo::Polygon::new(
            geo::LineString::new(vec![
                coord! { x: 118.332, y: 29.830 },
                coord! { x: 118.333, y: 29.830 },
                coord! { x: 118.333, y: 29.831 },
                coord! { x: 118.332, y: 29.831 },
                coord! { x: 118.332, y: 29.830 },
            ]),
            vec![],
        );
        vec![
            part("3410040101000001", PartGeometry::Point(Point::new(118.3301, 29.8301))),
            part("3410040102000002", PartGeometry::Point(Point::new(118.3302, 29.8302))),
            part("3410040601000003", PartGeometry::Line(line)),
            part("3410040405000004", PartGeometry::Polygon(square)),
        ]
    }

    #[test]
    fn a_chunk_holds_the_parts_anchored_in_it_and_its_tile_is_known_from_the_cells() {
        let parts = sample();
        let anchor = mercator_from_lonlat(118.3301, 29.8301);
        let tile = chunk_of(anchor);
        let mut far = part("3410040101000009", PartGeometry::Point(Point::new(118.40, 29.90)));
        far.name = "elsewhere".into();
        let chunk = PartChunk::of_tile(tile, parts.iter().cloned().chain([far]));
        assert_eq!(chunk.len(), parts.len(), "the far part lies in another chunk");
        assert!(chunk.anchors.iter().all(|anchor| chunk_of(*anchor) == tile));
        // The chunk's lon/lat box holds every anchor in it.
        let [west, south, east, north] = PartChunk::lonlat_box(tile);
        assert!((west..=east).contains(&118.3301) && (south..=north).contains(&29.8301));
        let tiles = PartTiles::from_cells(&PartCells::from_parts(&parts));
        assert_eq!(tiles.len(), 1);
        assert_eq!(tiles.tiles_in(anchor, anchor), vec![tile]);
        assert!(tiles.tiles_in(mercator_from_lonlat(118.40, 29.90), mercator_from_lonlat(118.40, 29.90)).is_empty());
    }

    #[test]
    fn detail_draws_every_shown_part_and_leaves_hidden_classes_out() {
        let parts = sample();
        let tile = chunk_of(mercator_from_lonlat(118.3301, 29.8301));
        let chunk = PartChunk::of_tile(tile, parts);
        let all = build_part_detail(&chunk, tile, 34, &PartFilter::default());
        assert_eq!(all.features, 4);
        let filter = PartFilter::from_codes(&["0101".to_owned()]);
        assert!(!filter.shows(1, 1) && filter.shows(1, 2));
        assert_ne!(filter.key(), PartFilter::default().key());
        let filtered = build_part_detail(&chunk, tile, 34, &filter);
        assert_eq!(filtered.features, 3);
    }

    #[test]
    fn points_are_sized_in_screen_points_at_their_band() {
        assert!((point_radius(34) - tokens::PART_RADIUS).abs() < 1e-6);
        assert!(point_radius(38) > point_radius(34));
    }

    #[test]
    fn density_counts_add_up() {
        let parts = sample();
        let cells = PartCells::from_parts(&parts);
        let (built, max) = build_part_density(&cells, 10, &PartFilter::default());
        // At zoom 10 one 24-point cell is ~1.8 km: all four parts fall into one.
        assert_eq!(built.features, 1);
        assert_eq!(max, 4);
        let (built, max) = build_part_density(&cells, 16, &PartFilter::default());
        assert!(built.features >= 2, "{}", built.features);
        assert!(max < 4);
    }
}
