//! The case list's fixed conditions: a list of cases (drill-down from the assessment) and an
//! area picked on the map.

use crate::model::Case;

/// An area the case list is restricted to: the cases whose location lies inside it.
#[derive(Debug, Clone)]
pub struct AreaFilter {
    /// The area's code (what two filters compare by).
    pub code: String,
    /// What the list says it is, e.g. "岩寺镇".
    pub label: String,
    shape: std::sync::Arc<(geo::Rect<f64>, geo::MultiPolygon<f64>)>,
}

impl PartialEq for AreaFilter {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && std::sync::Arc::ptr_eq(&self.shape, &other.shape)
    }
}

impl AreaFilter {
    /// The cases inside `geometry` (WGS84); `None` for an empty shape.
    #[must_use]
    pub fn new(code: String, label: String, geometry: geo::MultiPolygon<f64>) -> Option<Self> {
        let bounds = geo::BoundingRect::bounding_rect(&geometry)?;
        Some(Self { code, label, shape: std::sync::Arc::new((bounds, geometry)) })
    }

    /// Whether a location lies inside the area (on its edge counts).
    #[must_use]
    pub fn admits(&self, location: geo::Point<f64>) -> bool {
        let (bounds, shape) = &*self.shape;
        geo::Intersects::intersects(bounds, &location) && geo::Intersects::intersects(shape, &location)
    }
}

/// A fixed list of cases with what it is (drill-down from the assessment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseIdFilter {
    /// What the list is, e.g. "2026-11-01 – 2026-11-30 · 区城管局路灯所 · 超期".
    pub label: String,
    /// Sorted case ids. Shared, so comparing two filters (the list's cache key) is cheap.
    pub ids: std::sync::Arc<Vec<i64>>,
}

impl CaseIdFilter {
    /// `ids` in any order, duplicates allowed.
    #[must_use]
    pub fn new(label: String, mut ids: Vec<i64>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self { label, ids: std::sync::Arc::new(ids) }
    }

    pub(super) fn admits(&self, case_id: i64) -> bool {
        self.ids.binary_search(&case_id).is_ok()
    }
}

/// Whether `haystack` contains the lower-cased `needle`, ignoring case; allocates only when the
/// haystack has upper-case letters (Chinese text has none).
fn contains_folded(haystack: &str, needle: &str) -> bool {
    haystack.contains(needle) || (haystack.chars().any(char::is_uppercase) && haystack.to_lowercase().contains(needle))
}

pub(super) fn matches_text(case: &Case, text: &str) -> bool {
    case.case_no.contains(text)
        || case.class_code.contains(text)
        || (text.bytes().all(|byte| byte.is_ascii_digit()) && case.part_code.is_some_and(|code| code.to_string().contains(text)))
        || contains_folded(&case.description, text)
        || case.reporter_contact.as_deref().is_some_and(|contact| contains_folded(contact, text))
        || contains_folded(&case.address, text)
}
