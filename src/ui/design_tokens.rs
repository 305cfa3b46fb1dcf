//! Colours, stroke widths and sizes in one place. Views never invent a colour of their own.

use egui::Color32;

pub use crate::map::style::*;

/// Click tolerance for identify, points.
pub const PICK_RADIUS: f32 = 6.0;
/// Width of the side panels, points.
pub const SIDE_PANEL_WIDTH: f32 = 300.0;
/// The details panel's width to begin with (the case details, its actions and the dispute).
pub const DETAILS_PANEL_WIDTH: f32 = 380.0;

/// The colour of an assessment mark.
#[must_use]
pub fn mark_color(mark: crate::assess::Mark) -> Color32 {
    match mark {
        crate::assess::Mark::Green => MARK_GREEN,
        crate::assess::Mark::Amber => MARK_AMBER,
        crate::assess::Mark::Red => MARK_RED,
    }
}
