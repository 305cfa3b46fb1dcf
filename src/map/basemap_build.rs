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
use super::tile_sources::{PmTilesWriter, TileFormat, TileKey, TileSourceError, TileSourceInfo};

const TILE_PX: u32 = 256;
/// What the basemap says about itself on every map it appears on.
pub const ATTRIBUTION: &str = "示意底图（由 citygrid 依据演示数据绘制，非测绘成果）· 河流 GSHHG";

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

/// Draws `text` centred on a pixel position with a light halo, glyph by glyph.
fn draw_label(pixmap: &mut Pixmap, font: &FontRef<'_>, text: &str, centre: (f32, f32), size_px: f32, color: [u8; 3]) {
    let scaled = font.as_scaled(PxScale::from(size_px));
    let width: f32 = text.chars().map(|ch| scaled.h_advance(font.glyph_id(ch))).sum();
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

fn render_tile(input: &BasemapInput, font: &FontRef<'_>, key: TileKey) -> Option<Vec<u8>> {
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
    for (_, shape, managed) in &input.districts {
        if touches(shape.bounding_rect(), bounds, 0.0) {
            let width = if *managed { 2.0 } else { 1.0 };
            stroke_lines(&mut pixmap, key, shape.0.iter().map(Polygon::exterior), Color::from_rgba8(0xB5, 0xA8, 0xB5, 0xFF), width);
        }
    }
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
    // Street names (the app labels the administrative areas itself). Drawn at their global
    // position in every tile they touch, so they join seamlessly across tile edges.
    if zoom >= 15 {
        let margin = 80.0 / (f64::from(TILE_PX) * f64::from(1u32 << zoom)) * 360.0;
        for (line, main, name) in &input.streets {
            if !(*main || zoom >= 16) {
                continue;
            }
            let (Some(first), Some(last)) = (line.0.first(), line.0.last()) else { continue };
            let (lon, lat) = ((first.x + last.x) / 2.0, (first.y + last.y) / 2.0);
            if lon >= bounds[0] - margin && lon <= bounds[2] + margin && lat >= bounds[1] - margin && lat <= bounds[3] + margin {
                // Beside the road, not on it: the map's street layer may be drawn over the carriageway.
                let (start, end) = (tile_pixel(key, first.x, first.y), tile_pixel(key, last.x, last.y));
                let (dx, dy) = (end.0 - start.0, end.1 - start.1);
                let length = dx.hypot(dy).max(1e-3);
                let (mut nx, mut ny) = (-dy / length, dx / length);
                if ny > 0.0 || (ny == 0.0 && nx < 0.0) {
                    (nx, ny) = (-nx, -ny);
                }
                let size = if *main { 13.0 } else { 11.0 };
                let away = road_width_px(*main, zoom) / 2.0 + size * 0.8 + 2.0;
                let centre = tile_pixel(key, lon, lat);
                draw_label(&mut pixmap, font, name, (centre.0 + nx * away, centre.1 + ny * away), size, [0x5A, 0x50, 0x40]);
            }
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
    // Render on both cores: tiles are independent.
    let rendered: Vec<(TileKey, Option<Vec<u8>>)> = std::thread::scope(|scope| {
        let halves: Vec<&[TileKey]> = keys.chunks(total.div_ceil(2).max(1)).collect();
        let workers: Vec<_> = halves
            .into_iter()
            .map(|chunk| {
                let font = font.clone();
                scope.spawn(move || chunk.iter().map(|key| (*key, render_tile(input, &font, *key))).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    });
    progress(total, total);
    let mut writer = PmTilesWriter::new(TileSourceInfo {
        name: "徽州区示意底图".into(),
        attribution: ATTRIBUTION.into(),
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
