//! A short run of the fuzzer (`citygrid bench fuzz`) over every reader of outside bytes: no
//! input may panic or take longer than 5 s. The long runs (10 minutes a target) and their
//! figures are in the README.

use citygrid::bench::fuzz::{TARGETS, fuzz};
use geo::{line_string, point, polygon};

#[test]
fn every_reader_of_outside_bytes_survives_a_short_fuzz_run() {
    let crashes = tempfile::tempdir().expect("dir");
    let seconds = std::env::var("CITYGRID_FUZZ_SECONDS").ok().and_then(|text| text.parse().ok()).unwrap_or(3.0);
    let mut failures = Vec::new();
    for target in TARGETS {
        let report = fuzz(target.name, seconds, 2026, crashes.path()).expect("runs");
        println!("{}", report.text().trim_end());
        assert!(report.execs > 10, "{}: only {} inputs", target.name, report.execs);
        failures.extend(report.panics.iter().chain(&report.slow).map(|found| format!("{}: {found}", target.name)));
    }
    assert!(failures.is_empty(), "failing inputs:\n{}", failures.join("\n"));
}

/// Found by the fuzzer: a GeoPackage blob whose point is cut short made the `wkb` crate's
/// reader panic; ours says where it ends.
#[test]
fn a_truncated_geometry_blob_is_an_error_not_a_panic() {
    use citygrid::store::gpkg::{blob_from_geometry, geometry_from_blob};
    let point = blob_from_geometry(&geo::Geometry::Point(point!(x: 118.3, y: 29.8)));
    for cut in 0..point.len() {
        assert!(geometry_from_blob(&point[..cut]).is_err(), "cut at {cut}");
    }
    let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
    for geometry in [
        geo::Geometry::Point(point!(x: 118.3, y: 29.8)),
        geo::Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]),
        geo::Geometry::Polygon(square.clone()),
        geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![square.clone(), square])),
    ] {
        assert_eq!(geometry_from_blob(&blob_from_geometry(&geometry)).expect("reads back"), geometry);
    }
    // A multipolygon claiming four billion members in a few bytes: refused before allocating.
    let mut claim = point[..8].to_vec();
    claim.extend_from_slice(&[1, 6, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
    let error = geometry_from_blob(&claim).expect_err("refused").to_string();
    assert!(error.contains("claims"), "{error}");
}
