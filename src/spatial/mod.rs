//! Spatial indexes over the loaded world: which jurisdictions contain a point, which part or
//! case is nearest to a click. rstar envelopes first, exact geometry second.
//!
//! Coordinates here are WGS84 lon/lat; callers convert pixel tolerances to degrees.

pub mod boundary;
pub mod frame;
pub mod part_cells;
pub mod topology;

pub use frame::LocalFrame;

use chrono::NaiveDate;
use geo::{BoundingRect, Contains, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::model::{Case, Jurisdiction, JurisdictionKind, Part, PartGeometry};

/// Cases filed closer than this to a boundary between two jurisdictions are flagged.
pub const NEAR_BOUNDARY_M: f64 = 30.0;

/// A neighbour whose boundary lies close to a point.
#[derive(Debug, Clone, PartialEq)]
pub struct NearBoundary {
    /// The jurisdiction containing the point.
    pub inside: usize,
    /// The neighbour within reach.
    pub neighbour: usize,
    /// Geodesic distance from the point to the neighbour, metres.
    pub metres: f64,
    /// The neighbour's nearest point.
    pub nearest: Point<f64>,
}

type IndexedRect = GeomWithData<Rectangle<[f64; 2]>, usize>;
type IndexedPoint = GeomWithData<[f64; 2], usize>;

/// The point that stands for a part in point queries: the point itself, the middle vertex of a
/// line, the first vertex of a polygon's ring.
#[must_use]
pub fn anchor_of(part: &Part) -> Point<f64> {
    match &part.geometry {
        PartGeometry::Point(point) => *point,
        PartGeometry::Line(line) => line.0.get(line.0.len() / 2).map_or(Point::new(0.0, 0.0), |coord| Point(*coord)),
        PartGeometry::Polygon(polygon) => polygon.exterior().0.first().map_or(Point::new(0.0, 0.0), |coord| Point(*coord)),
    }
}

/// Jurisdiction polygons by envelope.
pub struct JurisdictionIndex {
    tree: RTree<IndexedRect>,
}

impl JurisdictionIndex {
    #[must_use]
    pub fn new(jurisdictions: &[Jurisdiction]) -> Self {
        let rects = jurisdictions
            .iter()
            .enumerate()
            .filter_map(|(index, jurisdiction)| {
                let bounds = jurisdiction.geometry.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([bounds.min().x, bounds.min().y], [bounds.max().x, bounds.max().y]), index))
            })
            .collect();
        Self { tree: RTree::bulk_load(rects) }
    }

    /// Indexes (into the slice given to [`Self::new`]) of every jurisdiction containing `point`,
    /// sorted ascending.
    #[must_use]
    pub fn containing(&self, jurisdictions: &[Jurisdiction], point: Point<f64>) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .tree
            .locate_all_at_point(&[point.x(), point.y()])
            .map(|rect| rect.data)
            .filter(|index| jurisdictions[*index].geometry.contains(&point))
            .collect();
        found.sort_unstable();
        found
    }
}

impl JurisdictionIndex {
    /// Like [`Self::containing`], but only jurisdictions in force on `date`: a case is judged by
    /// the boundaries valid when it was reported.
    #[must_use]
    pub fn containing_on(&self, jurisdictions: &[Jurisdiction], point: Point<f64>, date: NaiveDate) -> Vec<usize> {
        let mut found = self.containing(jurisdictions, point);
        found.retain(|index| jurisdictions[*index].valid_on(date));
        found
    }

    /// The jurisdiction of `kind` in force on `date` containing `point`, if any (the smallest by
    /// index when a layer overlaps itself).
    #[must_use]
    pub fn layer_at(&self, jurisdictions: &[Jurisdiction], kind: JurisdictionKind, point: Point<f64>, date: NaiveDate) -> Option<usize> {
        self.containing_on(jurisdictions, point, date).into_iter().find(|index| jurisdictions[*index].kind == kind)
    }

    /// Neighbours (same kind, in force on `date`) whose boundary is within `within_m` metres of
    /// `point`, nearest first: "near boundary" when a case is filed there.
    #[must_use]
    pub fn near_boundaries(
        &self,
        jurisdictions: &[Jurisdiction],
        kind: JurisdictionKind,
        point: Point<f64>,
        date: NaiveDate,
        within_m: f64,
    ) -> Vec<NearBoundary> {
        let Some(inside) = self.layer_at(jurisdictions, kind, point, date) else { return Vec::new() };
        let reach = boundary::LocalFrame::at(point).degrees(within_m);
        let around = AABB::from_corners([point.x() - reach[0], point.y() - reach[1]], [point.x() + reach[0], point.y() + reach[1]]);
        let mut near: Vec<NearBoundary> = self
            .tree
            .locate_in_envelope_intersecting(&around)
            .map(|rect| rect.data)
            .filter(|index| *index != inside && jurisdictions[*index].kind == kind && jurisdictions[*index].valid_on(date))
            .filter_map(|neighbour| {
                let distance = boundary::distance_to_outline(point, &jurisdictions[neighbour].geometry)?;
                (distance.metres <= within_m).then_some(NearBoundary {
                    inside,
                    neighbour,
                    metres: distance.metres,
                    nearest: distance.nearest,
                })
            })
            .collect();
        near.sort_by(|a, b| a.metres.total_cmp(&b.metres));
        near
    }
}

/// Points (part anchors or case locations) for nearest-feature queries.
pub struct PointIndex {
    tree: RTree<IndexedPoint>,
}

impl PointIndex {
    /// Indexes the anchors of parts.
    #[must_use]
    pub fn of_parts(parts: &[Part]) -> Self {
        let points = parts
            .iter()
            .enumerate()
            .map(|(index, part)| {
                let anchor = anchor_of(part);
                GeomWithData::new([anchor.x(), anchor.y()], index)
            })
            .collect();
        Self { tree: RTree::bulk_load(points) }
    }

    /// Indexes case locations.
    #[must_use]
    pub fn of_cases(cases: &[Case]) -> Self {
        let points =
            cases.iter().enumerate().map(|(index, case)| GeomWithData::new([case.location.x(), case.location.y()], index)).collect();
        Self { tree: RTree::bulk_load(points) }
    }

    /// Adds item `index` at `point` (a new case), without rebuilding the tree.
    pub fn insert(&mut self, point: Point<f64>, index: usize) {
        self.tree.insert(GeomWithData::new([point.x(), point.y()], index));
    }

    /// Moves item `index` from `from` to `to` (a case whose location was corrected).
    pub fn relocate(&mut self, index: usize, from: Point<f64>, to: Point<f64>) {
        let _ = self.tree.remove(&GeomWithData::new([from.x(), from.y()], index));
        self.insert(to, index);
    }

    /// Items whose point lies within the lon/lat box.
    pub fn in_box(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.tree.locate_in_envelope(&AABB::from_corners(min, max)).map(|point| point.data)
    }

    /// The item nearest to `point` whose distance, measured by `distance`, is below `limit`.
    pub fn nearest_within(&self, point: [f64; 2], search_deg: f64, limit: f64, distance: impl Fn(usize) -> f64) -> Option<usize> {
        let min = [point[0] - search_deg, point[1] - search_deg];
        let max = [point[0] + search_deg, point[1] + search_deg];
        self.in_box(min, max)
            .map(|index| (index, distance(index)))
            .filter(|(_, found)| *found <= limit)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(index, _)| index)
    }
}
