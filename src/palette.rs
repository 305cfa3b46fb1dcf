//! Every colour citygrid draws with, in one place and free of any view: layer outlines, parts
//! by class, cases by warning light, the density ramp, the assessment's marks and charts. The
//! map's scene builders, the UI (through its design tokens) and the printable notice all take
//! their colours from here, so a swatch, the map and a printed chart always agree.

use egui::{Color32, Stroke};

use crate::calendar::DeadlineLight;
use crate::model::JurisdictionKind;

/// Map background (land without a basemap).
pub const MAP_BACKGROUND: Color32 = Color32::from_rgb(0xF2, 0xEF, 0xE6);
/// Land of the managed district, drawn under everything else.
pub const DISTRICT_FILL: Color32 = Color32::from_rgb(0xFB, 0xFA, 0xF5);
/// Text drawn over the map.
pub const MAP_TEXT: Color32 = Color32::from_rgb(0x33, 0x33, 0x33);
/// Halo behind map labels.
pub const MAP_TEXT_HALO: Color32 = Color32::from_rgba_premultiplied(0xFB, 0xFA, 0xF5, 0xD0);
/// Selection highlight.
pub const SELECTION: Color32 = Color32::from_rgb(0x00, 0x9D, 0xFF);
/// Street centre lines.
pub const STREET_MAIN: Stroke = Stroke { width: 3.0, color: Color32::from_rgb(0xE8, 0xC9, 0x8A) };
pub const STREET_MINOR: Stroke = Stroke { width: 1.5, color: Color32::from_rgb(0xD8, 0xD2, 0xC4) };

/// Outline of a jurisdiction layer.
#[must_use]
pub fn jurisdiction_stroke(kind: JurisdictionKind, managed_district: bool) -> Stroke {
    match kind {
        JurisdictionKind::District if managed_district => Stroke::new(3.0, Color32::from_rgb(0x8E, 0x24, 0x4F)),
        JurisdictionKind::District => Stroke::new(1.5, Color32::from_rgb(0x9E, 0x8E, 0x9A)),
        JurisdictionKind::Township => Stroke::new(2.0, Color32::from_rgb(0xC0, 0x5A, 0x2B)),
        JurisdictionKind::Community => Stroke::new(1.0, Color32::from_rgb(0x4F, 0x8A, 0x5B)),
        JurisdictionKind::GridCell => Stroke::new(0.6, Color32::from_rgb(0x7A, 0x9C, 0xC6)),
        JurisdictionKind::UnitZone => Stroke::new(1.5, Color32::from_rgb(0x9B, 0x59, 0xB6)),
    }
}

/// Swatch colour of a layer in the layer list.
#[must_use]
pub fn jurisdiction_swatch(kind: JurisdictionKind) -> Color32 {
    jurisdiction_stroke(kind, true).color
}

/// How strongly point parts are drawn at a zoom: from zoom 17, where they first show one by
/// one and crowd the streets, at 55 %, to full strength from zoom 18.5, so the streets, their
/// names and the cases stay on top of them where they are many.
#[must_use]
pub fn part_point_strength(zoom: f64) -> f32 {
    ((zoom - 17.0) / 1.5 * 0.45 + 0.55).clamp(0.55, 1.0) as f32
}

/// Colour of a city part by major class (01–06).
#[must_use]
pub fn part_color(major: u8) -> Color32 {
    match major {
        1 => Color32::from_rgb(0x2C, 0x6F, 0xBB),
        2 => Color32::from_rgb(0x55, 0x55, 0x55),
        3 => Color32::from_rgb(0xB8, 0x86, 0x0B),
        4 => Color32::from_rgb(0x2E, 0x8B, 0x57),
        5 => Color32::from_rgb(0x8B, 0x45, 0x13),
        _ => Color32::from_rgb(0x70, 0x70, 0x70),
    }
}

/// A line part (pipe, cable) at street zoom, coloured by its network after the usual utility
/// colour code (water blue, sewer brown, storm teal, gas yellow, power red, telecom orange) and
/// translucent, so a dense network recedes under the streets, their names and the cases.
#[must_use]
pub fn part_line_color(major: u8, minor: u8) -> Color32 {
    let (r, g, b) = match (major, minor) {
        (1, 51 | 57) => (0x1F, 0x6F, 0xC4),
        (1, 52 | 58) => (0x8B, 0x5A, 0x2B),
        (1, 53) => (0x1A, 0x93, 0x86),
        (1, 54) => (0xD4, 0xA0, 0x00),
        (1, 55) => (0xC8, 0x32, 0x2A),
        (1, 56) => (0xE0, 0x7B, 0x1A),
        _ => {
            let base = part_color(major);
            (base.r(), base.g(), base.b())
        }
    };
    Color32::from_rgba_unmultiplied(r, g, b, 0xA0)
}

/// Width of a line part in points: mains wider than the laterals that branch off them.
#[must_use]
pub fn part_line_width(major: u8, minor: u8) -> f32 {
    if major == 1 && matches!(minor, 57 | 58) { 0.8 } else { 1.2 }
}

/// A green space or other area part at street zoom: a faint fill and a soft outline.
#[must_use]
pub fn part_area_colors(major: u8) -> (Color32, Color32) {
    let base = part_color(major);
    (base.gamma_multiply(0.18), base.gamma_multiply(0.5))
}

/// Fill of a case marker by warning light; closed cases are grey.
#[must_use]
pub fn case_color(light: Option<DeadlineLight>) -> Color32 {
    match light {
        Some(DeadlineLight::Green) => Color32::from_rgb(0x2E, 0xA0, 0x43),
        Some(DeadlineLight::Yellow) => Color32::from_rgb(0xF2, 0xB7, 0x05),
        Some(DeadlineLight::Red) => Color32::from_rgb(0xD6, 0x28, 0x28),
        None => Color32::from_rgb(0x9A, 0x9A, 0x9A),
    }
}

/// The committee's precedents (decided responsibility) on the map.
pub const PRECEDENT: Color32 = Color32::from_rgb(0x7B, 0x2F, 0xBE);
/// The dark rim of an open case's marker, setting it apart from part dots of its colour.
pub const CASE_RIM: Color32 = Color32::from_rgb(0x20, 0x20, 0x20);
/// A deferred or backlogged case: its clock is paused.
pub const CASE_PAUSED: Color32 = Color32::from_rgb(0x6E, 0x7F, 0xB8);
/// Text of a state with a request waiting for the centre's decision.
pub const PENDING_REQUEST: Color32 = Color32::from_rgb(0xC0, 0x6A, 0x00);
/// Text of a case the centre urged (催办) or supervises (督办).
pub const URGED: Color32 = Color32::from_rgb(0x9C, 0x27, 0xB0);
/// Text of an overdue time.
pub const OVERDUE_TEXT: Color32 = Color32::from_rgb(0xC6, 0x1F, 0x1F);

/// A gap between jurisdictions (topology check).
pub const TOPOLOGY_GAP: Color32 = Color32::from_rgb(0xE0, 0x7B, 0x00);
/// An overlap between jurisdictions (topology check).
pub const TOPOLOGY_OVERLAP: Color32 = Color32::from_rgb(0xC6, 0x1F, 0x6B);

/// Fill of a part-density cell holding `count` parts when the fullest holds `max`: a sequential
/// yellow-to-red ramp on a square-root scale, more opaque where denser.
#[must_use]
pub fn density_color(count: u32, max: u32) -> Color32 {
    const RAMP: [[f32; 3]; 4] = [[255.0, 237.0, 160.0], [254.0, 178.0, 76.0], [240.0, 59.0, 32.0], [189.0, 0.0, 38.0]];
    let t = if max == 0 { 1.0 } else { (count as f32 / max as f32).sqrt().clamp(0.0, 1.0) };
    let scaled = t * (RAMP.len() - 1) as f32;
    let index = (scaled.floor() as usize).min(RAMP.len() - 2);
    let local = scaled - index as f32;
    let channel = |c: usize| (RAMP[index][c] + (RAMP[index + 1][c] - RAMP[index][c]) * local).round() as u8;
    let alpha = 0.25 + 0.4 * t;
    Color32::from_rgb(channel(0), channel(1), channel(2)).gamma_multiply(alpha)
}

/// Assessment marks (red/amber/green) and charts.
pub const MARK_GREEN: Color32 = Color32::from_rgb(0x2E, 0x8B, 0x57);
pub const MARK_AMBER: Color32 = Color32::from_rgb(0xE0, 0x9B, 0x00);
pub const MARK_RED: Color32 = Color32::from_rgb(0xC6, 0x1F, 0x1F);
/// The trend's rate line and its case-count bars.
pub const CHART_RATE: Color32 = Color32::from_rgb(0x1F, 0x6F, 0xB4);
pub const CHART_COUNT: Color32 = Color32::from_rgb(0x9C, 0xB8, 0xD6);
/// Ranked bars, and the bottom units' bars.
pub const CHART_BAR: Color32 = Color32::from_rgb(0x5B, 0x8F, 0xC7);
pub const CHART_BAR_BOTTOM: Color32 = MARK_RED;
/// Names written over the bars.
pub const CHART_LABEL: Color32 = Color32::WHITE;
