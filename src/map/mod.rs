//! Map drawing over walkers: geometry projected once to Web Mercator when the world loads, then
//! only scaled and shifted per frame; features outside the view are skipped by their bounding
//! box, and vertices closer than a pixel are dropped.
//!
//! This module knows nothing of panels or commands; the map view calls it.

pub mod basemap;
pub mod basemap_build;
pub mod basemap_choice;
pub mod scene;
pub mod scene_build;
pub mod style;
pub mod tile_sources;

use egui::{Color32, Painter, Pos2, Rect, Shape, Stroke, pos2};
use geo::{LineString, MultiPolygon};
use walkers::Projector;

/// Carriageway widths of the demo district's main and minor roads, metres (map and basemap).
pub const MAIN_ROAD_WIDTH_M: f32 = 20.0;
pub const MINOR_ROAD_WIDTH_M: f32 = 11.0;

pub use crate::spatial::part_cells::mercator_from_lonlat;

/// Inverse of [`mercator_from_lonlat`].
#[must_use]
pub fn lonlat_from_mercator(mercator: [f64; 2]) -> [f64; 2] {
    let lon = mercator[0] * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * mercator[1])).sinh().atan().to_degrees();
    [lon, lat]
}

/// The per-frame affine map from normalised Mercator to screen points.
#[derive(Debug, Clone, Copy)]
pub struct ScreenTransform {
    /// Screen points per normalised Mercator unit.
    pub scale: f64,
    offset: [f64; 2],
    /// The visible area in normalised Mercator: min, max.
    pub view_min: [f64; 2],
    pub view_max: [f64; 2],
}

impl ScreenTransform {
    /// Derives the transform from walkers' projector for this frame.
    #[must_use]
    pub fn from_projector(projector: &Projector) -> Self {
        let clip = projector.clip_rect();
        let top_left = projector.unproject(clip.min.to_vec2());
        let bottom_right = projector.unproject(clip.max.to_vec2());
        let a = mercator_from_lonlat(top_left.x(), top_left.y());
        let b = mercator_from_lonlat(bottom_right.x(), bottom_right.y());
        let scale = f64::from(clip.width()) / (b[0] - a[0]).max(1e-15);
        let offset = [f64::from(clip.min.x) - a[0] * scale, f64::from(clip.min.y) - a[1] * scale];
        Self { scale, offset, view_min: a, view_max: b }
    }

    /// The transform of a view of `rect` centred on a normalised Mercator point at `zoom`
    /// (256-point tiles, as walkers draws them).
    #[must_use]
    pub fn centred(centre: [f64; 2], zoom: f64, rect: Rect) -> Self {
        let scale = 256.0 * 2f64.powf(zoom);
        let half = [f64::from(rect.width()) / 2.0 / scale, f64::from(rect.height()) / 2.0 / scale];
        let view_min = [centre[0] - half[0], centre[1] - half[1]];
        let view_max = [centre[0] + half[0], centre[1] + half[1]];
        let offset = [f64::from(rect.min.x) - view_min[0] * scale, f64::from(rect.min.y) - view_min[1] * scale];
        Self { scale, offset, view_min, view_max }
    }

    /// Screen position of a normalised Mercator point.
    #[must_use]
    pub fn screen(&self, mercator: [f64; 2]) -> Pos2 {
        pos2((mercator[0] * self.scale + self.offset[0]) as f32, (mercator[1] * self.scale + self.offset[1]) as f32)
    }

    /// Normalised Mercator point under a screen position.
    #[must_use]
    pub fn mercator(&self, screen: Pos2) -> [f64; 2] {
        [(f64::from(screen.x) - self.offset[0]) / self.scale, (f64::from(screen.y) - self.offset[1]) / self.scale]
    }

    /// Whether a Mercator box touches the view.
    #[must_use]
    pub fn sees(&self, min: [f64; 2], max: [f64; 2]) -> bool {
        max[0] >= self.view_min[0] && min[0] <= self.view_max[0] && max[1] >= self.view_min[1] && min[1] <= self.view_max[1]
    }

    /// Screen size of a Mercator extent, points.
    #[must_use]
    pub fn screen_len(&self, mercator_len: f64) -> f32 {
        (mercator_len * self.scale) as f32
    }
}

/// A feature projected once: its rings (or line) in normalised Mercator, its box, a label point.
#[derive(Debug, Clone)]
pub struct ProjectedFeature {
    pub rings: Vec<Vec<[f64; 2]>>,
    pub min: [f64; 2],
    pub max: [f64; 2],
    pub label_at: [f64; 2],
    /// Index of the source record (jurisdiction, street…).
    pub source: usize,
}

impl ProjectedFeature {
    fn from_rings(rings: Vec<Vec<[f64; 2]>>, source: usize) -> Self {
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for point in rings.iter().flatten() {
            for axis in 0..2 {
                min[axis] = min[axis].min(point[axis]);
                max[axis] = max[axis].max(point[axis]);
            }
        }
        let label_at = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
        Self { rings, min, max, label_at, source }
    }

    /// Projects a multipolygon's rings.
    #[must_use]
    pub fn from_multipolygon(shape: &MultiPolygon<f64>, source: usize) -> Self {
        let rings =
            shape.0.iter().flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors())).map(project_line).collect();
        Self::from_rings(rings, source)
    }

    /// Projects a line.
    #[must_use]
    pub fn from_line(line: &LineString<f64>, source: usize) -> Self {
        Self::from_rings(vec![project_line(line)], source)
    }
}

fn project_line(line: &LineString<f64>) -> Vec<[f64; 2]> {
    line.0.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect()
}

/// Screen points of a Mercator path, dropping vertices within `min_step` points of the last kept
/// one (about-a-pixel simplification). The last vertex is always kept.
pub fn screen_path(transform: &ScreenTransform, path: &[[f64; 2]], min_step: f32, out: &mut Vec<Pos2>) {
    out.clear();
    let last_index = path.len().saturating_sub(1);
    for (index, point) in path.iter().enumerate() {
        let screen = transform.screen(*point);
        if index == 0 || index == last_index || out.last().is_none_or(|last| last.distance(screen) >= min_step) {
            out.push(screen);
        }
    }
}

/// Strokes every visible feature's rings. Features smaller than `min_size` points are skipped.
pub fn stroke_features(
    painter: &Painter,
    transform: &ScreenTransform,
    features: &[ProjectedFeature],
    stroke: Stroke,
    min_size: f32,
) -> usize {
    let mut drawn = 0;
    let mut buffer = Vec::new();
    for feature in features {
        if !transform.sees(feature.min, feature.max) {
            continue;
        }
        let size = transform.screen_len((feature.max[0] - feature.min[0]).max(feature.max[1] - feature.min[1]));
        if size < min_size {
            continue;
        }
        for ring in &feature.rings {
            screen_path(transform, ring, 1.0, &mut buffer);
            if buffer.len() >= 2 {
                painter.add(Shape::line(std::mem::take(&mut buffer), stroke));
            }
        }
        drawn += 1;
    }
    drawn
}

/// Draws a text label with a light halo so it reads on any background.
pub fn halo_label(painter: &Painter, at: Pos2, text: &str, size: f32, color: Color32, halo: Color32) {
    let galley = painter.layout_no_wrap(text.to_owned(), egui::FontId::proportional(size), color);
    let rect = Rect::from_center_size(at, galley.size());
    painter.rect_filled(rect.expand(2.0), 3.0, halo);
    painter.galley(rect.min, galley, color);
}

/// A round length for a scale bar: the largest 1/2/5 × 10ⁿ metres that fits `max_m`.
#[must_use]
pub fn nice_scale_length_m(max_m: f64) -> f64 {
    if max_m <= 0.0 || !max_m.is_finite() {
        return 0.0;
    }
    let magnitude = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|step| step * magnitude).find(|length| *length <= max_m).unwrap_or(magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_round_trips_a_point_in_the_district() {
        let [lon, lat] = lonlat_from_mercator(mercator_from_lonlat(118.33, 29.83));
        assert!((lon - 118.33).abs() < 1e-9 && (lat - 29.83).abs() < 1e-9);
    }

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(nice_scale_length_m(730.0), 500.0);
        assert_eq!(nice_scale_length_m(1_999.0), 1_000.0);
        assert_eq!(nice_scale_length_m(2_000.0), 2_000.0);
        assert_eq!(nice_scale_length_m(0.0), 0.0);
    }
}
