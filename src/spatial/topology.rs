//! Topology check of a jurisdiction layer: gaps (land nobody claims) and overlaps (land two
//! claim), each with its area and location, for the map and the committee.
//!
//! Overlaps are found pair by pair among polygons whose envelopes meet (rstar); gaps are the
//! holes of the layer's union, or, given the area the layer should cover (its parent), that
//! area minus the union. Slivers under `min_area_m2` (rounding along shared edges) are ignored.

use std::time::{Duration, Instant};

use geo::{BooleanOps, BoundingRect, ChamberlainDuquetteArea, InteriorPoint, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

use crate::model::{Jurisdiction, JurisdictionKind};

/// What is wrong at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// Land inside the layer's extent (or its parent) that no polygon claims.
    Gap,
    /// Land that two polygons claim.
    Overlap,
}

/// One gap or overlap.
#[derive(Debug, Clone)]
pub struct TopologyIssue {
    pub kind: IssueKind,
    /// Square metres (ellipsoidal approximation).
    pub area_m2: f64,
    /// A point inside the issue, to fly to and label.
    pub location: Point<f64>,
    /// The jurisdictions involved (indices into the slice checked): the two overlapping, or
    /// those bordering the gap.
    pub members: Vec<usize>,
    pub geometry: MultiPolygon<f64>,
}

/// The result of checking one layer.
#[derive(Debug, Clone)]
pub struct TopologyReport {
    pub issues: Vec<TopologyIssue>,
    /// Polygons checked.
    pub checked: usize,
    pub elapsed: Duration,
}

impl TopologyReport {
    pub fn gaps(&self) -> impl Iterator<Item = &TopologyIssue> {
        self.issues.iter().filter(|issue| issue.kind == IssueKind::Gap)
    }

    pub fn overlaps(&self) -> impl Iterator<Item = &TopologyIssue> {
        self.issues.iter().filter(|issue| issue.kind == IssueKind::Overlap)
    }
}

fn envelope(shape: &MultiPolygon<f64>) -> Option<Rectangle<[f64; 2]>> {
    let bounds = shape.bounding_rect()?;
    Some(Rectangle::from_corners([bounds.min().x, bounds.min().y], [bounds.max().x, bounds.max().y]))
}

fn issue(kind: IssueKind, geometry: MultiPolygon<f64>, members: Vec<usize>) -> Option<TopologyIssue> {
    let area_m2 = geometry.chamberlain_duquette_unsigned_area();
    let location = geometry.interior_point()?;
    Some(TopologyIssue { kind, area_m2, location, members, geometry })
}

/// Checks the jurisdictions at `members` (indices into `jurisdictions`, normally one layer valid
/// on one date). With `parent`, land of the parent no member claims is a gap too.
#[must_use]
pub fn check_layer(
    jurisdictions: &[Jurisdiction],
    members: &[usize],
    parent: Option<&MultiPolygon<f64>>,
    min_area_m2: f64,
) -> TopologyReport {
    let started = Instant::now();
    let indexed: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> =
        members.iter().filter_map(|index| Some(GeomWithData::new(envelope(&jurisdictions.get(*index)?.geometry)?, *index))).collect();
    let tree = RTree::bulk_load(indexed.clone());
    let mut issues = Vec::new();

    // Overlaps: each pair once.
    for item in &indexed {
        let a = item.data;
        for other in tree.locate_in_envelope_intersecting(&item.geom().envelope()) {
            let b = other.data;
            if b <= a {
                continue;
            }
            let shared = jurisdictions[a].geometry.intersection(&jurisdictions[b].geometry);
            if shared.0.is_empty() {
                continue;
            }
            if let Some(found) = issue(IssueKind::Overlap, shared, vec![a, b]).filter(|found| found.area_m2 >= min_area_m2) {
                issues.push(found);
            }
        }
    }

    // Gaps: holes of the union, or the parent minus the union.
    let polygons: Vec<&Polygon<f64>> =
        members.iter().filter_map(|index| jurisdictions.get(*index)).flat_map(|j| j.geometry.0.iter()).collect();
    let union = geo::unary_union(polygons);
    let gaps: Vec<Polygon<f64>> = match parent {
        Some(parent) => parent.difference(&union).0,
        None => union.0.iter().flat_map(|polygon| polygon.interiors().iter().map(|ring| Polygon::new(ring.clone(), vec![]))).collect(),
    };
    for gap in gaps {
        let shape = MultiPolygon::new(vec![gap]);
        let Some(bounds) = envelope(&shape) else { continue };
        // A centimetre more, so that neighbours touching the gap along an edge are found.
        let pad = 1e-7;
        let around =
            AABB::from_corners([bounds.lower()[0] - pad, bounds.lower()[1] - pad], [bounds.upper()[0] + pad, bounds.upper()[1] + pad]);
        let mut neighbours: Vec<usize> = tree.locate_in_envelope_intersecting(&around).map(|item| item.data).collect();
        neighbours.sort_unstable();
        if let Some(found) = issue(IssueKind::Gap, shape, neighbours).filter(|found| found.area_m2 >= min_area_m2) {
            issues.push(found);
        }
    }
    issues.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    TopologyReport { issues, checked: members.len(), elapsed: started.elapsed() }
}

/// Issues smaller than this are slivers from digitising, not land anyone argues about.
pub const MIN_ISSUE_M2: f64 = 1.0;

/// Runs the check of every `kind` jurisdiction valid on `today` (townships and communities
/// against the district, so unclaimed land inside it is a gap).
#[must_use]
pub fn check_kind(jurisdictions: &[Jurisdiction], district_code: &str, kind: JurisdictionKind, today: chrono::NaiveDate) -> TopologyReport {
    let members: Vec<usize> =
        (0..jurisdictions.len()).filter(|index| jurisdictions[*index].kind == kind && jurisdictions[*index].valid_on(today)).collect();
    let district = jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.code == district_code);
    let parent = match kind {
        JurisdictionKind::Township | JurisdictionKind::Community => district.map(|district| &district.geometry),
        _ => None,
    };
    check_layer(jurisdictions, &members, parent, MIN_ISSUE_M2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JurisdictionKind;
    use crate::spatial::LocalFrame;
    use chrono::NaiveDate;
    use geo::{LineString, coord};

    /// A rectangle in metres east/north of (118.33, 29.83).
    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let frame = LocalFrame::at(Point::new(118.33, 29.83));
        let corner = |x: f64, y: f64| {
            let point = frame.lonlat([x, y]);
            coord! { x: point.x(), y: point.y() }
        };
        MultiPolygon::new(vec![Polygon::new(
            LineString::new(vec![corner(x0, y0), corner(x1, y0), corner(x1, y1), corner(x0, y1), corner(x0, y0)]),
            vec![],
        )])
    }

    fn cell(code: &str, geometry: MultiPolygon<f64>) -> Jurisdiction {
        Jurisdiction {
            id: 0,
            kind: JurisdictionKind::GridCell,
            code: code.to_owned(),
            name: code.to_owned(),
            owner_unit: None,
            parent_code: None,
            valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            valid_to: None,
            source: "test".to_owned(),
            geometry,
        }
    }

    #[test]
    fn a_tiled_layer_has_no_issues() {
        let cells = vec![cell("a", rect(0.0, 0.0, 100.0, 100.0)), cell("b", rect(100.0, 0.0, 200.0, 100.0))];
        let report = check_layer(&cells, &[0, 1], Some(&rect(0.0, 0.0, 200.0, 100.0)), 1.0);
        assert!(report.issues.is_empty(), "{:?}", report.issues);
    }

    #[test]
    fn overlaps_and_gaps_are_found_with_their_areas() {
        let cells = vec![
            // a and b overlap by 10 m × 100 m = 1,000 m².
            cell("a", rect(0.0, 0.0, 110.0, 100.0)),
            cell("b", rect(100.0, 0.0, 200.0, 100.0)),
            // c, d, e surround a 20 m × 30 m hole (600 m²) between y = 100 and 200.
            cell("c", rect(0.0, 100.0, 80.0, 200.0)),
            cell("d", rect(100.0, 100.0, 200.0, 200.0)),
            cell("e", rect(80.0, 100.0, 100.0, 170.0)),
            cell("f", rect(80.0, 200.0, 100.0, 210.0)),
            cell("g", rect(0.0, 200.0, 80.0, 210.0)),
            cell("h", rect(100.0, 200.0, 200.0, 210.0)),
        ];
        let members: Vec<usize> = (0..cells.len()).collect();
        let report = check_layer(&cells, &members, None, 1.0);
        let overlaps: Vec<_> = report.overlaps().collect();
        assert_eq!(overlaps.len(), 1, "{overlaps:?}");
        assert_eq!(overlaps[0].members, vec![0, 1]);
        assert!((overlaps[0].area_m2 - 1_000.0).abs() < 10.0, "{}", overlaps[0].area_m2);
        let gaps: Vec<_> = report.gaps().collect();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!((gaps[0].area_m2 - 600.0).abs() < 6.0, "{}", gaps[0].area_m2);
        assert!(gaps[0].members.contains(&4));

        // Against a parent that reaches 50 m further east, the strip is a gap too (50 × 210).
        let report = check_layer(&cells, &members, Some(&rect(0.0, 0.0, 250.0, 210.0)), 1.0);
        let mut areas: Vec<f64> = report.gaps().map(|gap| gap.area_m2).collect();
        areas.sort_by(f64::total_cmp);
        assert_eq!(areas.len(), 2, "{areas:?}");
        assert!((areas[0] - 600.0).abs() < 6.0 && (areas[1] - 10_500.0).abs() < 100.0, "{areas:?}");
    }
}
