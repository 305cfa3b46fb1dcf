//! Spatial indexes over the loaded world: which jurisdictions contain a point, which part or
//! case is nearest to a click. rstar envelopes first, exact geometry second.
//!
//! Coordinates here are WGS84 lon/lat; callers convert pixel tolerances to degrees.

use geo::{BoundingRect, Contains, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::model::{Case, Jurisdiction, Part, PartGeometry};

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
