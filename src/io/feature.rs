//! The feature every reader yields, whatever the format: a geometry in the file's own
//! coordinates and the attributes in the file's field order.

use geo::Geometry;

/// One attribute value as the file holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    Text(String),
}

impl AttrValue {
    /// The value as text for mapping (`None` for null and empty text).
    #[must_use]
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Bool(value) => Some(value.to_string()),
            Self::Integer(value) => Some(value.to_string()),
            // Codes stored as doubles (shapefile N(19,0), spreadsheets) must not show ".0".
            Self::Real(value) if value.fract() == 0.0 && value.abs() < 1e17 => Some(format!("{value:.0}")),
            Self::Real(value) => Some(value.to_string()),
            Self::Text(text) => {
                let trimmed = text.trim();
                (!trimmed.is_empty()).then(|| trimmed.to_owned())
            }
        }
    }

    /// Short type name for the inspection (`text`, `integer`…).
    #[must_use]
    pub fn kind(&self) -> FieldKind {
        match self {
            Self::Null => FieldKind::Unknown,
            Self::Bool(_) => FieldKind::Boolean,
            Self::Integer(_) => FieldKind::Integer,
            Self::Real(_) => FieldKind::Real,
            Self::Text(_) => FieldKind::Text,
        }
    }
}

impl std::fmt::Display for AttrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_text() {
            Some(text) => f.write_str(&text),
            None => f.write_str("∅"),
        }
    }
}

/// The declared type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FieldKind {
    Text,
    Integer,
    Real,
    Boolean,
    Date,
    /// Not declared (GeoJSON) and only nulls seen.
    Unknown,
}

impl FieldKind {
    /// Lower-case name for printing.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Unknown => "unknown",
        }
    }
}

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
    pub attributes: Vec<(String, AttrValue)>,
    /// Polygon rings the file left open; `geo` closes every ring it is given, so the reader
    /// counts them before that happens.
    pub unclosed_rings: u32,
}

impl SourceFeature {
    /// The value of a field, matched exactly, then ignoring ASCII case.
    #[must_use]
    pub fn attribute(&self, field: &str) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|(name, _)| name == field)
            .or_else(|| self.attributes.iter().find(|(name, _)| name.eq_ignore_ascii_case(field)))
            .map(|(_, value)| value)
    }
}
