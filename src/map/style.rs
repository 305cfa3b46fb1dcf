//! The map's sizes (markers, line parts, carriageways); its colours come from
//! [`crate::palette`], re-exported here for the scene builders.

pub use super::{MAIN_ROAD_WIDTH_M, MINOR_ROAD_WIDTH_M};
pub use crate::palette::*;

/// Radius of a case marker, points.
pub const CASE_RADIUS: f32 = 5.0;
/// Radius of a point part at street zoom, points.
pub const PART_RADIUS: f32 = 2.5;
