//! Distances to boundaries, in metres: from a case to the line two jurisdictions share, and
//! which neighbours lie within a few metres of a point ("near boundary" when a case is filed).
//!
//! Geometry is WGS84 lon/lat. Work is done in a local equirectangular frame in metres centred
//! on the point (exact to a few millimetres over the hundreds of metres that matter here); the
//! reported distance is the geodesic one between the point and the nearest boundary point.

use geo::{Distance, Geodesic, LineString, MultiLineString, MultiPolygon, Point};
use rstar::RTree;
use rstar::primitives::Line as IndexedLine;

pub use super::frame::LocalFrame;

/// The nearest point of a set of segments to `at` (all in one local frame), and its distance.
fn nearest_on_segments(at: [f64; 2], segments: impl IntoIterator<Item = ([f64; 2], [f64; 2])>) -> Option<([f64; 2], f64)> {
    segments.into_iter().map(|(a, b)| closest_on_segment(at, a, b)).min_by(|x, y| x.1.total_cmp(&y.1))
}

fn closest_on_segment(at: [f64; 2], a: [f64; 2], b: [f64; 2]) -> ([f64; 2], f64) {
    let along = [b[0] - a[0], b[1] - a[1]];
    let length_sq = along[0] * along[0] + along[1] * along[1];
    let t =
        if length_sq <= f64::EPSILON { 0.0 } else { (((at[0] - a[0]) * along[0] + (at[1] - a[1]) * along[1]) / length_sq).clamp(0.0, 1.0) };
    let closest = [a[0] + along[0] * t, a[1] + along[1] * t];
    (closest, (closest[0] - at[0]).hypot(closest[1] - at[1]))
}

fn ring_segments<'a>(shape: &'a MultiPolygon<f64>, frame: &'a LocalFrame) -> impl Iterator<Item = ([f64; 2], [f64; 2])> + 'a {
    shape
        .0
        .iter()
        .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
        .flat_map(|ring| ring.lines())
        .map(move |line| (frame.metres(line.start.x, line.start.y), frame.metres(line.end.x, line.end.y)))
}

/// How far a point is from a boundary, and where on it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryDistance {
    /// Geodesic distance, metres.
    pub metres: f64,
    /// The nearest point of the boundary.
    pub nearest: Point<f64>,
}

/// Distance from `point` to the outline (outer and inner rings) of `shape`.
#[must_use]
pub fn distance_to_outline(point: Point<f64>, shape: &MultiPolygon<f64>) -> Option<BoundaryDistance> {
    let frame = LocalFrame::at(point);
    let (nearest, _) = nearest_on_segments([0.0, 0.0], ring_segments(shape, &frame))?;
    let nearest = frame.lonlat(nearest);
    Some(BoundaryDistance { metres: Geodesic.distance(point, nearest), nearest })
}

/// The part of `a`'s outline that runs along `b`'s outline within `tolerance_m`: the boundary
/// the two share. Empty when they do not touch.
#[must_use]
pub fn shared_boundary(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, tolerance_m: f64) -> MultiLineString<f64> {
    let Some(first) = a.0.first().and_then(|polygon| polygon.exterior().0.first()) else {
        return MultiLineString::new(Vec::new());
    };
    let frame = LocalFrame::at(Point(*first));
    let others: Vec<IndexedLine<[f64; 2]>> = ring_segments(b, &frame).map(|(from, to)| IndexedLine::new(from, to)).collect();
    let tree = RTree::bulk_load(others);
    let tolerance_sq = tolerance_m * tolerance_m;
    let near = |at: [f64; 2]| tree.nearest_neighbor(&at).is_some_and(|line| rstar::PointDistance::distance_2(line, &at) <= tolerance_sq);
    let mut runs: Vec<LineString<f64>> = Vec::new();
    let mut current: Vec<geo::Coord<f64>> = Vec::new();
    for polygon in &a.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for line in ring.lines() {
                let from = frame.metres(line.start.x, line.start.y);
                let to = frame.metres(line.end.x, line.end.y);
                let middle = [(from[0] + to[0]) / 2.0, (from[1] + to[1]) / 2.0];
                if near(from) && near(to) && near(middle) {
                    if current.last() != Some(&line.start) {
                        if current.len() >= 2 {
                            runs.push(LineString::new(std::mem::take(&mut current)));
                        }
                        current.clear();
                        current.push(line.start);
                    }
                    current.push(line.end);
                } else if current.len() >= 2 {
                    runs.push(LineString::new(std::mem::take(&mut current)));
                } else {
                    current.clear();
                }
            }
            if current.len() >= 2 {
                runs.push(LineString::new(std::mem::take(&mut current)));
            }
            current.clear();
        }
    }
    MultiLineString::new(runs)
}

/// Distance from `point` to the boundary `a` and `b` share (see [`shared_boundary`]); `None`
/// when they share none.
#[must_use]
pub fn distance_to_shared_boundary(
    point: Point<f64>,
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
    tolerance_m: f64,
) -> Option<(BoundaryDistance, MultiLineString<f64>)> {
    let shared = shared_boundary(a, b, tolerance_m);
    Some((distance_to_lines(point, &shared.0)?, shared))
}

/// Distance from `point` to the nearest of `lines` (a shared boundary, street centre lines);
/// `None` when they have no segment.
#[must_use]
pub fn distance_to_lines<'a>(point: Point<f64>, lines: impl IntoIterator<Item = &'a LineString<f64>>) -> Option<BoundaryDistance> {
    let frame = LocalFrame::at(point);
    let segments = lines
        .into_iter()
        .flat_map(LineString::lines)
        .map(|line| (frame.metres(line.start.x, line.start.y), frame.metres(line.end.x, line.end.y)));
    let (nearest, _) = nearest_on_segments([0.0, 0.0], segments)?;
    let nearest = frame.lonlat(nearest);
    Some(BoundaryDistance { metres: Geodesic.distance(point, nearest), nearest })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Polygon, coord};

    /// A square `side_m` metres wide with its south-west corner `east_m` east of (118.33, 29.83).
    fn square(east_m: f64, side_m: f64) -> MultiPolygon<f64> {
        let frame = LocalFrame::at(Point::new(118.33, 29.83));
        let corner = |x: f64, y: f64| {
            let point = frame.lonlat([x, y]);
            coord! { x: point.x(), y: point.y() }
        };
        MultiPolygon::new(vec![Polygon::new(
            LineString::new(vec![
                corner(east_m, 0.0),
                corner(east_m + side_m, 0.0),
                corner(east_m + side_m, side_m),
                corner(east_m, side_m),
                corner(east_m, 0.0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn distance_to_the_shared_edge_of_two_neighbours() {
        let west = square(0.0, 100.0);
        let east = square(100.0, 100.0);
        let frame = LocalFrame::at(Point::new(118.33, 29.83));
        // 37 m west of the shared edge, half way up.
        let point = frame.lonlat([63.0, 50.0]);
        let (distance, shared) = distance_to_shared_boundary(point, &west, &east, 0.5).expect("they share an edge");
        assert!((distance.metres - 37.0).abs() < 0.05, "{}", distance.metres);
        assert_eq!(shared.0.len(), 1);
        // The shared edge is also the nearest part of the west square's outline (south is 50 m).
        let outline = distance_to_outline(point, &west).expect("outline");
        assert!((outline.metres - 37.0).abs() < 0.05);
    }

    #[test]
    fn squares_apart_share_no_boundary() {
        let west = square(0.0, 100.0);
        let far = square(150.0, 100.0);
        assert!(shared_boundary(&west, &far, 0.5).0.is_empty());
        assert!(distance_to_shared_boundary(Point::new(118.3301, 29.8301), &west, &far, 0.5).is_none());
    }
}
