//! GDAL, the library behind QGIS, reads our database as the GIS staff will: every layer with
//! the right feature count and geometry type, and the OGC GeoPackage validator passes.
//! Needs `gdal-bin` and `python3-gdal` (installed by `scripts/test.sh`).

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use citygrid::store::Store;

const VALIDATOR: &str = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";

/// `ogrinfo -so -al` summary: layer → (geometry type, feature count).
fn ogrinfo_layers(path: &std::path::Path) -> BTreeMap<String, (String, i64)> {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(path)
        .output()
        .expect("ogrinfo runs (install gdal-bin: scripts/install-deps.sh)");
    assert!(output.status.success(), "ogrinfo failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let mut layers = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            current = Some((name.trim().to_owned(), "None".to_owned()));
        } else if let Some(geometry) = line.strip_prefix("Geometry: ") {
            if let Some((_, kind)) = current.as_mut() {
                *kind = geometry.trim().to_owned();
            }
        } else if let Some(count) = line.strip_prefix("Feature Count: ")
            && let Some((name, kind)) = current.take()
        {
            layers.insert(name, (kind, count.trim().parse().expect("a count")));
        }
    }
    layers
}

#[test]
fn gdal_lists_every_layer_with_its_feature_count_and_geometry_type() {
    let (_dir, path, summary) = common::small_demo(4_000, 60);
    let layers = ogrinfo_layers(&path);
    let expected_geometry = [
        ("part_points", "Point"),
        ("part_lines", "Line String"),
        ("part_polygons", "Polygon"),
        ("jurisdictions", "Multi Polygon"),
        ("cases", "Point"),
        ("streets", "Line String"),
        ("units", "None"),
        ("manual_entries", "None"),
        ("manual_limits", "None"),
    ];
    for (layer, geometry) in expected_geometry {
        let (found, _) = layers.get(layer).unwrap_or_else(|| panic!("GDAL does not list {layer}: {layers:?}"));
        assert_eq!(found, geometry, "geometry type of {layer}");
    }
    for audit in ["case_events", "admin_events"] {
        assert!(!layers.contains_key(audit), "the audit trail {audit} is not offered as a layer to edit: {layers:?}");
    }
    let store = Store::open(&path).expect("open");
    for count in store.layer_counts().expect("counts") {
        assert_eq!(layers.get(&count.table).map(|(_, n)| *n), Some(count.count), "feature count of {}", count.table);
    }
    let parts: i64 = ["part_points", "part_lines", "part_polygons"].iter().map(|layer| layers[*layer].1).sum();
    assert_eq!(parts, summary.parts as i64);
    assert_eq!(layers["cases"].1, summary.cases as i64);
}

#[test]
fn the_ogc_geopackage_validator_passes() {
    let (_dir, path, _) = common::small_demo(1_500, 30);
    let output = Command::new("/usr/bin/python3")
        .arg(VALIDATOR)
        .arg(&path)
        .output()
        .expect("python3 with GDAL runs (install python3-gdal: scripts/install-deps.sh)");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && !report.contains("Error"), "validate_gpkg.py: {report}");
}

#[test]
fn gdal_reads_our_spatial_index_and_attributes() {
    let (_dir, path, _) = common::small_demo(1_500, 30);
    // A spatial filter uses the R-tree; the street lamps in a box around the core centre.
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    let output = Command::new("ogrinfo")
        .args(["-ro", "-q", "-sql"])
        .arg("SELECT count(*) AS n FROM part_points WHERE class_code = '0118'")
        .arg(&path)
        .output()
        .expect("ogrinfo runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("n (Integer) = "), "{text}");
    let output = Command::new("ogrinfo")
        .args(["-ro", "-q", "-spat"])
        .args([lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005].map(|value| value.to_string()))
        .arg(&path)
        .arg("part_points")
        .output()
        .expect("ogrinfo runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("code (String) = 341004"), "features inside the box carry their 16-digit codes");
}
