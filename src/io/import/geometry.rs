//! Geometry checks of an imported feature: coordinates plainly in the wrong system or outside
//! the district, rings not closed, repeated vertices (fixable), kinds a target cannot take.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn first_coord(geometry: &Geometry<f64>) -> Option<Coord<f64>> {
    geometry.coords_iter().next()
}

/// How far a point lies outside a box, km (0 inside).
pub(super) fn km_outside(rect: Rect<f64>, lon: f64, lat: f64) -> f64 {
    let dx = (rect.min().x - lon).max(lon - rect.max().x).max(0.0) * lat.to_radians().cos();
    let dy = (rect.min().y - lat).max(lat - rect.max().y).max(0.0);
    dx.hypot(dy) * KM_PER_DEGREE
}

/// What a projected-looking easting suggests.
pub(super) fn projection_suggestion(x: f64) -> String {
    match GaussKruger::prefix_of(x.abs()) {
        Some(zone @ 25..=45) => format!(" (CGCS2000 3-degree Gauss-Kruger zone {zone} is EPSG:{})", 4513 + zone - 25),
        Some(zone @ 13..=23) => format!(" (CGCS2000 6-degree Gauss-Kruger zone {zone} is EPSG:{})", 4491 + zone - 13),
        _ => " (Gauss-Kruger without a zone prefix is one of EPSG:4534–4554)".into(),
    }
}

/// Coordinate checks in the file's system, conversion to lon/lat, then shape checks.
pub(super) fn check_geometry(
    mut geometry: Geometry<f64>,
    feature: &SourceFeature,
    context: &Context,
    policy: &Policy,
    findings: &mut Findings,
) -> Option<Geometry<f64>> {
    let Some(first) = first_coord(&geometry) else {
        findings.issue(None, IssueKind::EmptyGeometry);
        return None;
    };
    if geometry.coords_iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        findings.issue(None, IssueKind::NonFinite);
        return None;
    }
    match context.crs.crs {
        Crs::Wgs84 | Crs::Cgcs2000 => {
            // A latitude over 90 with a longitude that would be a latitude is a swap, checked below.
            let plainly_swapped = first.y.abs() <= 180.0 && first.x.abs() <= 90.0;
            if first.x.abs() > 180.0 || (first.y.abs() > 90.0 && !plainly_swapped) {
                let suggestion = projection_suggestion(first.x);
                findings.issue(None, IssueKind::MetresAsDegrees { x: first.x, y: first.y, suggestion });
                return None;
            }
        }
        Crs::GaussKruger(gk) => {
            let prefix = GaussKruger::prefix_of(first.x);
            match (gk.zone_prefix, prefix) {
                (true, None) => {
                    findings.issue(None, IssueKind::ZonePrefixMissing { x: first.x, zone: gk.zone });
                    return None;
                }
                (true, Some(found)) if found != gk.zone => {
                    findings.issue(None, IssueKind::ZonePrefixWrong { x: first.x, found, expected: Some(gk.zone) });
                    return None;
                }
                (false, Some(found)) => {
                    findings.issue(None, IssueKind::ZonePrefixWrong { x: first.x, found, expected: None });
                    return None;
                }
                _ => {}
            }
            if first.x.abs() <= 180.0 && first.y.abs() <= 90.0 {
                findings.issue(None, IssueKind::MetresAsDegrees { x: first.x, y: first.y, suggestion: String::new() });
                return None;
            }
            geometry.map_coords_in_place(|coord| {
                let (x, y) = gk.lonlat_from_plane(coord.x, coord.y);
                Coord { x, y }
            });
            if geometry.coords_iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
                findings.issue(None, IssueKind::NonFinite);
                return None;
            }
        }
    }
    let first = first_coord(&geometry)?;
    // Swapped latitude/longitude: the swapped point is where the district is (or, without a
    // district, the latitude is out of range while the longitude would be a latitude).
    if is_swapped(context, first) {
        findings.issue(None, IssueKind::SwappedLonLat { x: first.x, y: first.y });
        // Swapping one feature among correct ones would hide a data error; a whole file
        // written the wrong way round is a plain mistake with one cause.
        if policy.for_class(IssueClass::Coordinates) == OnIssue::Fix && context.file_swapped {
            geometry.map_coords_in_place(|coord| Coord { x: coord.y, y: coord.x });
            findings.fix(FixKind::SwappedLonLat);
        } else {
            return None;
        }
    } else if let Some(rect) = context.district {
        let distance_km = geometry.coords_iter().map(|c| km_outside(rect, c.x, c.y)).fold(0.0, f64::max);
        if distance_km > DISTRICT_MARGIN_KM {
            let far = geometry.coords_iter().max_by(|a, b| km_outside(rect, a.x, a.y).total_cmp(&km_outside(rect, b.x, b.y)));
            let far = far.unwrap_or(first);
            findings.issue(None, IssueKind::OutsideDistrict { distance_km, lon: far.x, lat: far.y });
            return None;
        }
    }
    if feature.unclosed_rings > 0 {
        // geo closed the ring when the reader built the polygon; keep it only if the user allows the fix.
        findings.issue(None, IssueKind::UnclosedRing);
        if policy.for_class(IssueClass::Geometry) == OnIssue::Fix {
            findings.fix(FixKind::ClosedRing);
        }
    }
    let repeated = count_repeated(&geometry);
    if repeated > 0 {
        findings.issue(None, IssueKind::RepeatedPoints { count: repeated });
        if policy.for_class(IssueClass::Geometry) == OnIssue::Fix {
            drop_repeated(&mut geometry);
            findings.fix(FixKind::DroppedRepeatedPoints);
        }
    }
    check_shape(&geometry, findings);
    Some(geometry)
}

pub(super) fn repeated_in(line: &LineString<f64>) -> usize {
    line.0.windows(2).filter(|pair| pair[0] == pair[1]).count()
}

pub(super) fn count_repeated(geometry: &Geometry<f64>) -> usize {
    match geometry {
        Geometry::LineString(line) => repeated_in(line),
        Geometry::MultiLineString(lines) => lines.0.iter().map(repeated_in).sum(),
        Geometry::Polygon(polygon) => std::iter::once(polygon.exterior()).chain(polygon.interiors()).map(repeated_in).sum(),
        Geometry::MultiPolygon(polygons) => {
            polygons.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(repeated_in).sum()
        }
        _ => 0,
    }
}

pub(super) fn drop_repeated(geometry: &mut Geometry<f64>) {
    let dedup = |line: &mut LineString<f64>| line.0.dedup();
    match geometry {
        Geometry::LineString(line) => dedup(line),
        Geometry::MultiLineString(lines) => lines.0.iter_mut().for_each(dedup),
        Geometry::Polygon(polygon) => dedup_polygon(polygon),
        Geometry::MultiPolygon(polygons) => polygons.0.iter_mut().for_each(dedup_polygon),
        _ => {}
    }
}

pub(super) fn dedup_polygon(polygon: &mut Polygon<f64>) {
    polygon.exterior_mut(|ring| ring.0.dedup());
    polygon.interiors_mut(|rings| rings.iter_mut().for_each(|ring| ring.0.dedup()));
}

/// Too few points, self-intersections and the other invalidities geo knows.
pub(super) fn check_shape(geometry: &Geometry<f64>, findings: &mut Findings) {
    let too_few = |line: &LineString<f64>, needed: usize, findings: &mut Findings| {
        let mut distinct = line.0.clone();
        distinct.dedup();
        if distinct.len() < needed {
            findings.issue(None, IssueKind::TooFewPoints { found: distinct.len(), needed });
            true
        } else {
            false
        }
    };
    let polygon_ok = |polygon: &Polygon<f64>, findings: &mut Findings| {
        !std::iter::once(polygon.exterior()).chain(polygon.interiors()).any(|ring| too_few(ring, 4, findings))
    };
    let shaped = match geometry {
        Geometry::Point(_) | Geometry::MultiPoint(_) => return,
        Geometry::LineString(line) => !too_few(line, 2, findings),
        Geometry::MultiLineString(lines) => !lines.0.iter().any(|line| too_few(line, 2, findings)),
        Geometry::Polygon(polygon) => polygon_ok(polygon, findings),
        Geometry::MultiPolygon(polygons) => polygons.0.iter().all(|polygon| polygon_ok(polygon, findings)),
        _ => true,
    };
    if shaped && let Err(problem) = geometry.check_validation() {
        findings.issue(None, IssueKind::InvalidGeometry { problem: problem.to_string() });
    }
}

pub(super) fn geometry_name(geometry: &Geometry<f64>) -> String {
    crate::io::geometry_type_name(geometry).to_owned()
}

pub(super) fn part_geometry_from(geometry: Geometry<f64>) -> Result<PartGeometry, Geometry<f64>> {
    match geometry {
        Geometry::Point(point) => Ok(PartGeometry::Point(point)),
        Geometry::LineString(line) => Ok(PartGeometry::Line(line)),
        Geometry::Polygon(polygon) => Ok(PartGeometry::Polygon(polygon)),
        // Single-member multi geometries (shapefiles and GDAL write them) are the plain kind.
        Geometry::MultiPoint(mut points) if points.0.len() == 1 => Ok(PartGeometry::Point(points.0.remove(0))),
        Geometry::MultiLineString(mut lines) if lines.0.len() == 1 => Ok(PartGeometry::Line(lines.0.remove(0))),
        Geometry::MultiPolygon(mut polygons) if polygons.0.len() == 1 => Ok(PartGeometry::Polygon(polygons.0.remove(0))),
        other => Err(other),
    }
}
