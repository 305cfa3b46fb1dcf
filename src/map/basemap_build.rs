//! Renders the offline demo basemap: raster tiles drawn from the vector data the project has
//! (district outlines, rivers, the schematic streets, green spaces, Chinese labels), written as
//! one PMTiles file. Reproducible: the same input gives the same bytes.
//!
//! It says what it is: its attribution calls it a schematic demo basemap. It must not be taken
//! for a survey map.

use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use geo::{BoundingRect, LineString, MultiPolygon, Polygon};
use tiny_skia::{Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};

use super::mercator_from_lonlat;
use super::tile_sources::{InEnglish, PmTilesWriter, TileFormat, TileKey, TileSourceError, TileSourceInfo};

const TILE_PX: u32 = 256;
/// What the basemap says about itself on every map it appears on.
pub const ATTRIBUTION: &str = "示意底图（由 citygrid 依据演示数据绘制，非测绘成果）· 河流 GSHHG";
/// The same in English, for English seats (`attribution:en` in the file's metadata).
pub const ATTRIBUTION_EN: &str = "Schematic basemap (drawn by citygrid from demo data, not a survey) · rivers GSHHG";
/// The basemap's name in English (`name:en`).
pub const NAME_EN: &str = "Huizhou District schematic basemap";

/// The vector data a basemap is drawn from (WGS84).
#[derive(Debug, Default, Clone)]
pub struct BasemapInput {
    /// County-level districts: name, shape, whether it is the managed district.
    pub districts: Vec<(String, MultiPolygon<f64>, bool)>,
    /// Townships of the managed district: name and shape.
    pub townships: Vec<(String, MultiPolygon<f64>)>,
    /// Streets: centre line, whether it is a main road, name.
    pub streets: Vec<(LineString<f64>, bool, String)>,
    pub greens: Vec<Polygon<f64>>,
    pub rivers: Vec<LineString<f64>>,
}

/// Which tiles to draw: the whole region down to `region_max_zoom`, the urban core down to `core_max_zoom`.
#[derive(Debug, Clone)]
pub struct BasemapPlan {
    pub min_zoom: u8,
    pub region_max_zoom: u8,
    /// lon/lat west, south, east, north.
    pub region: [f64; 4],
    pub core_max_zoom: u8,
    pub core: [f64; 4],
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasemapSummary {
    pub tiles: usize,
    pub bytes: u64,
}

fn tile_range(zoom: u8, area: [f64; 4]) -> (u32, u32, u32, u32) {
    let count = 1u32 << zoom;
    let scale = f64::from(count);
    let [west, south, east, north] = area;
    let top_left = mercator_from_lonlat(west, north);
    let bottom_right = mercator_from_lonlat(east, south);
    let clamp = |value: f64| (value * scale).floor().clamp(0.0, f64::from(count - 1)) as u32;
    (clamp(top_left[0]), clamp(top_left[1]), clamp(bottom_right[0]), clamp(bottom_right[1]))
}

/// Pixel position inside tile `key` of a lon/lat point (f64 until the end: deep zooms need it).
fn tile_pixel(key: TileKey, lon: f64, lat: f64) -> (f32, f32) {
    let world_px = f64::from(TILE_PX) * f64::from(1u32 << key.zoom);
    let [x, y] = mercator_from_lonlat(lon, lat);
    ((x * world_px - f64::from(key.x) * f64::from(TILE_PX)) as f32, (y * world_px - f64::from(key.y) * f64::from(TILE_PX)) as f32)
}

/// Pixels per metre at `zoom` in the district (about 30°N), for carriageway widths.
fn pixels_per_metre(zoom: u8) -> f64 {
    f64::from(TILE_PX) * f64::from(1u32 << zoom) / (40_075_016.686 * 29.8f64.to_radians().cos())
}

/// Carriageway width in pixels at `zoom`.
fn road_width_px(main: bool, zoom: u8) -> f32 {
    let width_m = if main { super::MAIN_ROAD_WIDTH_M } else { super::MINOR_ROAD_WIDTH_M };
    (f64::from(width_m) * pixels_per_metre(zoom)) as f32
}

fn tile_bounds(key: TileKey) -> [f64; 4] {
    let count = f64::from(1u32 << key.zoom);
    let west_north = super::lonlat_from_mercator([f64::from(key.x) / count, f64::from(key.y) / count]);
    let east_south = super::lonlat_from_mercator([f64::from(key.x + 1) / count, f64::from(key.y + 1) / count]);
    [west_north[0], east_south[1], east_south[0], west_north[1]]
}

fn touches(bounds: Option<geo::Rect<f64>>, tile: [f64; 4], margin_deg: f64) -> bool {
    bounds.is_some_and(|rect| {
        rect.max().x >= tile[0] - margin_deg
            && rect.min().x <= tile[2] + margin_deg
            && rect.max().y >= tile[1] - margin_deg
            && rect.min().y <= tile[3] + margin_deg
    })
}

fn ring_path(builder: &mut PathBuilder, key: TileKey, ring: &LineString<f64>) {
    for (index, coord) in ring.0.iter().enumerate() {
        let (x, y) = tile_pixel(key, coord.x, coord.y);
        if index == 0 { builder.move_to(x, y) } else { builder.line_to(x, y) }
    }
    builder.close();
}

fn fill_polygons<'a>(pixmap: &mut Pixmap, key: TileKey, polygons: impl IntoIterator<Item = &'a Polygon<f64>>, color: Color) {
    let mut builder = PathBuilder::new();
    for polygon in polygons {
        ring_path(&mut builder, key, polygon.exterior());
        for interior in polygon.interiors() {
            ring_path(&mut builder, key, interior);
        }
    }
    if let Some(path) = builder.finish() {
        let mut paint = Paint::default();
        paint.set_color(color);
        paint.anti_alias = true;
        pixmap.fill_path(&path, &paint, FillRule::EvenOdd, Transform::identity(), None);
    }
}

fn stroke_lines<'a>(pixmap: &mut Pixmap, key: TileKey, lines: impl IntoIterator<Item = &'a LineString<f64>>, color: Color, width_px: f32) {
    let mut builder = PathBuilder::new();
    for line in lines {
        for (index, coord) in line.0.iter().enumerate() {
            let (x, y) = tile_pixel(key, coord.x, coord.y);
            if index == 0 { builder.move_to(x, y) } else { builder.line_to(x, y) }
        }
    }
    if let Some(path) = builder.finish() {
        let mut paint = Paint::default();
        paint.set_color(color);
        paint.anti_alias = true;
        let stroke = Stroke { width: width_px, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Stroke::default() };
        pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
    }
}

/// Width of `text` set at `size_px`, in pixels.
fn label_width(font: &FontRef<'_>, text: &str, size_px: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size_px));
    text.chars().map(|ch| scaled.h_advance(font.glyph_id(ch))).sum()
}

/// Draws `text` centred on a pixel position with a light halo, glyph by glyph.
fn draw_label(pixmap: &mut Pixmap, font: &FontRef<'_>, text: &str, centre: (f32, f32), size_px: f32, color: [u8; 3]) {
    let scaled = font.as_scaled(PxScale::from(size_px));
    let width = label_width(font, text, size_px);
    let baseline = centre.1 + size_px * 0.35;
    for (halo, colour, offsets) in
        [(true, [255u8, 255, 250], &[(-1.2f32, 0.0f32), (1.2, 0.0), (0.0, -1.2), (0.0, 1.2)][..]), (false, color, &[(0.0, 0.0)][..])]
    {
        for (dx, dy) in offsets {
            let mut pen_x = centre.0 - width / 2.0 + dx;
            for ch in text.chars() {
                let glyph_id = font.glyph_id(ch);
                let glyph = glyph_id.with_scale_and_position(PxScale::from(size_px), ab_glyph::point(pen_x, baseline + dy));
                pen_x += scaled.h_advance(glyph_id);
                let Some(outline) = font.outline_glyph(glyph) else { continue };
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    let (px, py) = (bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                    if px < 0 || py < 0 || px >= TILE_PX as i32 || py >= TILE_PX as i32 {
                        return;
                    }
                    let alpha = if halo { coverage * 0.85 } else { coverage };
                    let index = (py as usize * TILE_PX as usize + px as usize) * 4;
                    let data = pixmap.data_mut();
                    for channel in 0..3 {
                        let old = f32::from(data[index + channel]);
                        data[index + channel] = (old + (f32::from(colour[channel]) - old) * alpha).round() as u8;
                    }
                });
            }
        }
    }
}

/// How street names are thinned at one zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LabelRules {
    /// Text size of main roads' names, pixels.
    main_size: f32,
    /// Text size of minor streets' names; `None`: minor streets are not named at this zoom.
    minor_size: Option<f32>,
    /// Least distance between two names of the same street, pixels at this zoom.
    main_spacing: f64,
    minor_spacing: f64,
    /// Whether names keep off minor streets too (main roads they always keep off). At zoom 15
    /// minor streets are hairlines a block (48 px) apart that no name would fit between.
    avoid_minor_streets: bool,
}

/// Street names at zooms 15 and 16: main roads only at 15, minor streets too (sparser) at 16.
/// The app shows a tile zoom from half a level below to half a level above it (zoom 15.5 shows
/// zoom-16 tiles at 71 %), hence the sizes and spacings. From zoom 17 (the app's zoom 16.5) the
/// app names the streets itself, above the parts that crowd them there.
fn label_rules(zoom: u8) -> Option<LabelRules> {
    match zoom {
        15 => Some(LabelRules {
            main_size: 15.0,
            minor_size: None,
            main_spacing: 420.0,
            minor_spacing: f64::INFINITY,
            avoid_minor_streets: false,
        }),
        16 => Some(LabelRules {
            main_size: 16.0,
            minor_size: Some(13.5),
            main_spacing: 400.0,
            minor_spacing: 520.0,
            avoid_minor_streets: true,
        }),
        _ => None,
    }
}

/// Empty space kept round every street name, pixels.
const LABEL_PADDING: f64 = 8.0;
/// Gap between a carriageway's edge and the name beside it, pixels.
const LABEL_GAP: f64 = 3.0;

/// A street name placed at one zoom: centre and half extents in global pixels at that zoom.
#[derive(Debug, Clone, PartialEq)]
struct PlacedLabel<'a> {
    text: &'a str,
    size: f32,
    centre: [f64; 2],
    half: [f64; 2],
}

impl PlacedLabel<'_> {
    fn overlaps(&self, other: &Self, padding: f64) -> bool {
        (self.centre[0] - other.centre[0]).abs() < self.half[0] + other.half[0] + padding
            && (self.centre[1] - other.centre[1]).abs() < self.half[1] + other.half[1] + padding
    }
}

/// Global pixel position of a lon/lat point at `zoom`.
fn global_pixel(zoom: u8, lon: f64, lat: f64) -> [f64; 2] {
    let world_px = f64::from(TILE_PX) * f64::from(1u32 << zoom);
    let [x, y] = mercator_from_lonlat(lon, lat);
    [x * world_px, y * world_px]
}

/// Whether the segment `a`–`b` passes through the box `centre` ± `half`.
fn segment_hits_box(a: [f64; 2], b: [f64; 2], centre: [f64; 2], half: [f64; 2]) -> bool {
    // Liang–Barsky: clip the segment's parameter range to the box's slabs.
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in 0..2 {
        let delta = b[axis] - a[axis];
        let (low, high) = (centre[axis] - half[axis] - a[axis], centre[axis] + half[axis] - a[axis]);
        if delta.abs() < 1e-12 {
            if low > 0.0 || high < 0.0 {
                return false;
            }
        } else {
            let (mut enter, mut leave) = (low / delta, high / delta);
            if enter > leave {
                std::mem::swap(&mut enter, &mut leave);
            }
            t0 = t0.max(enter);
            t1 = t1.min(leave);
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// Distance from the point `p` to the segment `a`–`b`.
fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2).clamp(0.0, 1.0) } else { 0.0 };
    (a[0] + dx * t - p[0]).hypot(a[1] + dy * t - p[1])
}

/// Distance from the segment `a`–`b` to the box `centre` ± `half` (0 when it passes through).
fn segment_box_distance(a: [f64; 2], b: [f64; 2], centre: [f64; 2], half: [f64; 2]) -> f64 {
    if segment_hits_box(a, b, centre, half) {
        return 0.0;
    }
    // Two convex shapes apart: the nearest pair of points includes a corner of one of them.
    let to_box = |p: [f64; 2]| {
        let dx = ((p[0] - centre[0]).abs() - half[0]).max(0.0);
        let dy = ((p[1] - centre[1]).abs() - half[1]).max(0.0);
        dx.hypot(dy)
    };
    let corners = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
        .map(|[sx, sy]| point_segment_distance([centre[0] + sx * half[0], centre[1] + sy * half[1]], a, b));
    corners.into_iter().fold(to_box(a).min(to_box(b)), f64::min)
}

/// The point halfway along a polyline and its direction there (unit vector).
fn halfway(points: &[[f64; 2]]) -> Option<([f64; 2], [f64; 2])> {
    let lengths: Vec<f64> = points.windows(2).map(|pair| (pair[1][0] - pair[0][0]).hypot(pair[1][1] - pair[0][1])).collect();
    let total: f64 = lengths.iter().sum();
    if total < 1e-6 {
        return None;
    }
    let mut left = total / 2.0;
    for (pair, length) in points.windows(2).zip(&lengths) {
        if left <= *length && *length > 0.0 {
            let t = left / length;
            let direction = [(pair[1][0] - pair[0][0]) / length, (pair[1][1] - pair[0][1]) / length];
            return Some(([pair[0][0] + direction[0] * length * t, pair[0][1] + direction[1] * length * t], direction));
        }
        left -= length;
    }
    None
}

/// Street names for `zoom`, placed once for the whole map so that tiles agree: one candidate
/// beside the middle of every street segment (between two crossings, clear of them); main roads
/// first, then each street along its length; a candidate is dropped when it comes closer than
/// the spacing to a name of the same street, overlaps a name already placed, or covers a
/// carriageway (of a main road; of any street from zoom 16).
fn place_street_labels<'a>(input: &'a BasemapInput, font: &FontRef<'_>, zoom: u8) -> Vec<PlacedLabel<'a>> {
    let Some(rules) = label_rules(zoom) else { return Vec::new() };
    // Every street as global pixels with half its drawn width (casing included).
    let lines: Vec<(Vec<[f64; 2]>, f64)> = input
        .streets
        .iter()
        .map(|(line, main, _)| {
            let points = line.0.iter().map(|coord| global_pixel(zoom, coord.x, coord.y)).collect();
            (points, f64::from(road_width_px(*main, zoom).max(if *main { 2.0 } else { 1.0 }) + 1.5) / 2.0)
        })
        .collect();
    let to_avoid: Vec<&(Vec<[f64; 2]>, f64)> =
        input.streets.iter().zip(&lines).filter(|((_, main, _), _)| *main || rules.avoid_minor_streets).map(|(_, line)| line).collect();
    // Each street's direction, one sign for all its segments, to order its candidates along it.
    let mut directions: std::collections::HashMap<&str, [f64; 2]> = std::collections::HashMap::new();
    let mut candidates = Vec::new();
    for ((_, main, name), (points, road_half)) in input.streets.iter().zip(&lines) {
        let Some(size) = (if *main { Some(rules.main_size) } else { rules.minor_size }) else { continue };
        let Some((middle, direction)) = halfway(points) else { continue };
        let street_direction = *directions.entry(name.as_str()).or_insert(direction);
        // Beside the road, not on it (the map's street layer may be drawn over the carriageway),
        // on its upper side.
        let mut normal = [-direction[1], direction[0]];
        if normal[1] > 0.0 || (normal[1] == 0.0 && normal[0] < 0.0) {
            normal = [-normal[0], -normal[1]];
        }
        let half = [f64::from(label_width(font, name, size)) / 2.0 + 1.5, f64::from(size) * 0.6 + 1.5];
        let away = road_half + LABEL_GAP + normal[0].abs() * half[0] + normal[1].abs() * half[1];
        let centre = [middle[0] + normal[0] * away, middle[1] + normal[1] * away];
        let position = middle[0] * street_direction[0] + middle[1] * street_direction[1];
        candidates.push((*main, name.as_str(), position, PlacedLabel { text: name, size, centre, half }));
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.total_cmp(&b.2)));
    let mut placed: Vec<PlacedLabel<'a>> = Vec::new();
    for (main, name, _, label) in candidates {
        let spacing = if main { rules.main_spacing } else { rules.minor_spacing };
        let crowded = placed.iter().any(|other| {
            (other.text == name && (other.centre[0] - label.centre[0]).hypot(other.centre[1] - label.centre[1]) < spacing)
                || other.overlaps(&label, LABEL_PADDING)
        });
        let on_a_road = || {
            to_avoid.iter().any(|(points, road_half)| {
                points.windows(2).any(|pair| segment_box_distance(pair[0], pair[1], label.centre, label.half) < road_half + 1.0)
            })
        };
        if !crowded && !on_a_road() {
            placed.push(label);
        }
    }
    placed
}

fn render_tile(input: &BasemapInput, font: &FontRef<'_>, key: TileKey, labels: &[PlacedLabel<'_>]) -> Option<Vec<u8>> {
    let mut pixmap = Pixmap::new(TILE_PX, TILE_PX)?;
    pixmap.fill(Color::from_rgba8(0xEE, 0xEC, 0xE4, 0xFF));
    let bounds = tile_bounds(key);
    let zoom = key.zoom;
    for (_, shape, managed) in &input.districts {
        if touches(shape.bounding_rect(), bounds, 0.0) {
            let color = if *managed { Color::from_rgba8(0xFA, 0xF8, 0xF1, 0xFF) } else { Color::from_rgba8(0xE8, 0xE4, 0xDA, 0xFF) };
            fill_polygons(&mut pixmap, key, &shape.0, color);
        }
    }
    if zoom >= 13 {
        let greens: Vec<&Polygon<f64>> = input.greens.iter().filter(|green| touches(green.bounding_rect(), bounds, 0.0)).collect();
        fill_polygons(&mut pixmap, key, greens, Color::from_rgba8(0xCD, 0xE6, 0xC0, 0xFF));
    }
    let river_width = (f32::from(zoom) - 6.0).clamp(1.0, 6.0);
    let rivers: Vec<&LineString<f64>> = input.rivers.iter().filter(|river| touches(river.bounding_rect(), bounds, 0.01)).collect();
    stroke_lines(&mut pixmap, key, rivers, Color::from_rgba8(0x9C, 0xC3, 0xE6, 0xFF), river_width);
    // No district outlines: the app draws them as vector lines at every zoom. Drawn into the
    // tiles, a line of a low zoom is magnified where no tile of the zoom shown exists (outside the
    // urban core) into a blurred band that stops where the detailed tiles begin.
    if zoom >= 12 {
        for main in [false, true] {
            let width = road_width_px(main, zoom).max(if main { 2.0 } else { 1.0 });
            let lines = input
                .streets
                .iter()
                .filter(|(line, is_main, _)| *is_main == main && touches(line.bounding_rect(), bounds, 0.001))
                .map(|(line, _, _)| line);
            let (casing, fill) = if main { ([0xD9, 0xB9, 0x7A], [0xFB, 0xE3, 0xA8]) } else { ([0xCF, 0xC8, 0xBA], [0xFF, 0xFF, 0xFF]) };
            let lines: Vec<&LineString<f64>> = lines.collect();
            stroke_lines(&mut pixmap, key, lines.iter().copied(), Color::from_rgba8(casing[0], casing[1], casing[2], 0xFF), width + 1.5);
            stroke_lines(&mut pixmap, key, lines, Color::from_rgba8(fill[0], fill[1], fill[2], 0xFF), width);
        }
    }
    // Street names (the app labels the administrative areas itself), placed for the whole zoom
    // beforehand: each is drawn in every tile it touches, so it joins seamlessly across edges.
    let origin = [f64::from(key.x) * f64::from(TILE_PX), f64::from(key.y) * f64::from(TILE_PX)];
    let tile_half = f64::from(TILE_PX) / 2.0;
    let tile_centre = [origin[0] + tile_half, origin[1] + tile_half];
    for label in labels {
        // The halo reaches a little beyond the text's box.
        if (label.centre[0] - tile_centre[0]).abs() < label.half[0] + tile_half + 4.0
            && (label.centre[1] - tile_centre[1]).abs() < label.half[1] + tile_half + 4.0
        {
            let centre = ((label.centre[0] - origin[0]) as f32, (label.centre[1] - origin[1]) as f32);
            draw_label(&mut pixmap, font, label.text, centre, label.size, [0x5A, 0x50, 0x40]);
        }
    }
    pixmap.encode_png().ok()
}

/// Draws every planned tile and writes them to `out` as PMTiles.
///
/// # Errors
/// The font cannot be read, or the file cannot be written.
pub fn build_basemap(
    input: &BasemapInput,
    plan: &BasemapPlan,
    font_ttf: &[u8],
    out: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BasemapSummary, TileSourceError> {
    let font = FontRef::try_from_slice(font_ttf).map_err(|error| TileSourceError::Unsupported {
        path: out.to_owned(),
        what: format!("the bundled font cannot be read: {error}"),
    })?;
    let mut keys = Vec::new();
    for zoom in plan.min_zoom..=plan.core_max_zoom.max(plan.region_max_zoom) {
        let area = if zoom <= plan.region_max_zoom { plan.region } else { plan.core };
        let (x0, y0, x1, y1) = tile_range(zoom, area);
        for x in x0..=x1 {
            for y in y0..=y1 {
                keys.extend(TileKey::new(zoom, x, y));
            }
        }
    }
    let total = keys.len();
    let max_zoom = plan.core_max_zoom.max(plan.region_max_zoom);
    let labels: Vec<Vec<PlacedLabel<'_>>> = (0..=max_zoom).map(|zoom| place_street_labels(input, &font, zoom)).collect();
    let labels = &labels;
    // Render on both cores: tiles are independent.
    let rendered: Vec<(TileKey, Option<Vec<u8>>)> = std::thread::scope(|scope| {
        let halves: Vec<&[TileKey]> = keys.chunks(total.div_ceil(2).max(1)).collect();
        let workers: Vec<_> = halves
            .into_iter()
            .map(|chunk| {
                let font = font.clone();
                scope.spawn(move || {
                    chunk.iter().map(|key| (*key, render_tile(input, &font, *key, &labels[usize::from(key.zoom)]))).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    });
    progress(total, total);
    let mut writer = PmTilesWriter::new(TileSourceInfo {
        name: "徽州区示意底图".into(),
        attribution: ATTRIBUTION.into(),
        english: Some(InEnglish { name: NAME_EN.into(), attribution: ATTRIBUTION_EN.into() }),
        min_zoom: plan.min_zoom,
        max_zoom: plan.core_max_zoom.max(plan.region_max_zoom),
        tile_size_px: TILE_PX,
        format: TileFormat::Png,
        bounds: Some(plan.region),
    });
    let mut tiles = 0;
    for (key, png) in rendered {
        if let Some(png) = png {
            writer.add_tile(key, png);
            tiles += 1;
        }
    }
    let bytes = writer.write(out)?;
    Ok(BasemapSummary { tiles, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A street grid like the demo's: 200 m blocks, every third street a main road, each street
    /// cut into one segment per block.
    fn grid() -> BasemapInput {
        let (lon0, lat0) = (118.32, 29.82);
        let [dlon, dlat] = crate::spatial::LocalFrame::at(geo::Point::new(lon0, lat0)).degrees(200.0);
        let mut input = BasemapInput::default();
        for line in 0..12 {
            let main = line % 3 == 0;
            for step in 0..12 {
                let (across, along) = (f64::from(line), f64::from(step));
                let north_south = LineString::from(vec![
                    (lon0 + across * dlon, lat0 + along * dlat),
                    (lon0 + across * dlon, lat0 + (along + 1.0) * dlat),
                ]);
                let east_west = LineString::from(vec![
                    (lon0 + along * dlon, lat0 + across * dlat),
                    (lon0 + (along + 1.0) * dlon, lat0 + across * dlat),
                ]);
                let (ns, ew) = if main {
                    (format!("经{line}大道"), format!("纬{line}大道"))
                } else {
                    (format!("经{line}路"), format!("纬{line}路"))
                };
                input.streets.push((north_south, main, ns));
                input.streets.push((east_west, main, ew));
            }
        }
        input
    }

    #[test]
    fn street_names_start_at_zoom_15_with_main_roads_only() {
        let input = grid();
        let font = FontRef::try_from_slice(crate::assets::NOTO_SANS_SC).expect("font");
        assert!(place_street_labels(&input, &font, 14).is_empty());
        let at_15 = place_street_labels(&input, &font, 15);
        assert!(!at_15.is_empty());
        assert!(at_15.iter().all(|label| label.text.ends_with("大道")), "only main roads at zoom 15");
        let at_16 = place_street_labels(&input, &font, 16);
        assert!(at_16.iter().any(|label| label.text.ends_with('路')), "minor streets from zoom 16");
    }

    #[test]
    fn street_names_neither_overlap_nor_repeat_closer_than_the_spacing_nor_cover_main_roads() {
        let input = grid();
        let font = FontRef::try_from_slice(crate::assets::NOTO_SANS_SC).expect("font");
        assert!(place_street_labels(&input, &font, 17).is_empty(), "the app names the streets from zoom 17");
        for zoom in 15..=16 {
            let rules = label_rules(zoom).expect("names at zooms 15 and 16");
            let labels = place_street_labels(&input, &font, zoom);
            for (index, label) in labels.iter().enumerate() {
                for other in &labels[index + 1..] {
                    assert!(!label.overlaps(other, LABEL_PADDING), "zoom {zoom}: {} overlaps {}", label.text, other.text);
                    if label.text == other.text {
                        let distance = (label.centre[0] - other.centre[0]).hypot(label.centre[1] - other.centre[1]);
                        let spacing = if label.text.ends_with("大道") { rules.main_spacing } else { rules.minor_spacing };
                        assert!(distance >= spacing, "zoom {zoom}: {} twice {distance:.0} px apart", label.text);
                    }
                }
                for (line, main, _) in input.streets.iter().filter(|(_, main, _)| *main) {
                    let points: Vec<[f64; 2]> = line.0.iter().map(|coord| global_pixel(zoom, coord.x, coord.y)).collect();
                    let road_half = f64::from(road_width_px(*main, zoom) + 1.5) / 2.0;
                    let distance = segment_box_distance(points[0], points[1], label.centre, label.half);
                    assert!(distance >= road_half, "zoom {zoom}: {} covers a main road", label.text);
                }
            }
            // Every main road is named at least once.
            for line in (0..12).step_by(3) {
                for name in [format!("经{line}大道"), format!("纬{line}大道")] {
                    assert!(labels.iter().any(|label| label.text == name), "zoom {zoom}: {name} has no name on the map");
                }
            }
        }
    }

    #[test]
    fn a_segment_and_a_box_apart_touching_and_crossed() {
        let (centre, half) = ([10.0, 10.0], [4.0, 2.0]);
        assert_eq!(segment_box_distance([0.0, 0.0], [20.0, 20.0], centre, half), 0.0);
        assert!((segment_box_distance([0.0, 15.0], [20.0, 15.0], centre, half) - 3.0).abs() < 1e-9);
        assert!((segment_box_distance([17.0, 0.0], [17.0, 20.0], centre, half) - 3.0).abs() < 1e-9);
        assert!((segment_box_distance([17.0, 15.0], [30.0, 30.0], centre, half) - 3f64.hypot(3.0)).abs() < 1e-9);
    }
}
