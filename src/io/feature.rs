//! The feature every reader yields, whatever the format: a geometry in the file's own
//! coordinates and the attributes in the file's field order.

use geo::Geometry;

pub use super::value::{FieldKind, Value};

/// A field of a layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldInfo {
    pub name: String,
    pub kind: FieldKind,
}

/// One feature as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFeature {
    /// 0-based position in the layer (shown to people as `index + 1`).
    pub index: u64,
    /// `None` when the feature has no geometry (GeoJSON `null`, shapefile null shape).
    pub geometry: Option<Geometry<f64>>,
    pub attributes: Vec<(String, Value)>,
    /// Polygon rings the file left open; `geo` closes every ring it is given, so the reader
    /// counts them before that happens.
    pub unclosed_rings: u32,
}

impl SourceFeature {
    /// The value of a field, matched exactly, then ignoring ASCII case.
    #[must_use]
    pub fn attribute(&self, field: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|(name, _)| name == field)
            .or_else(|| self.attributes.iter().find(|(name, _)| name.eq_ignore_ascii_case(field)))
            .map(|(_, value)| value)
    }
}
