//! Importing a district's own data: every format into a real database, the malformed corpus
//! (each refused with a clear message and the database unchanged byte for byte), skip and fix
//! modes, cancellation, the readers under arbitrary bytes, and the command line.
//! Fixtures in tests/data/import/ were made with GDAL (`scripts/make-import-fixtures.sh`).

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use citygrid::io::{
    self, FeatureCount, FixKind, ImportError, IssueKind, MappingProfile, OnIssue, Policy, SourceFeature, SourceOptions, Target,
};
use citygrid::model::{CaseState, GeometryKind, Part, PartGeometry, PartState};
use citygrid::store::Store;
use proptest::prelude::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import").join(name)
}

fn malformed(name: &str) -> PathBuf {
    data(&format!("malformed/{name}"))
}

/// A small demo database made once; each test gets its own copy.
fn fresh_db() -> (tempfile::TempDir, PathBuf) {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, template) = TEMPLATE.get_or_init(|| {
        let (dir, path, _) = common::small_demo(300, 20);
        (dir, path)
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.gpkg");
    std::fs::copy(template, &path).expect("copy the template database");
    (dir, path)
}

/// Every table's rows, hashed in rowid order, with the row counts: equal means unchanged content.
fn fingerprint(path: &Path) -> (Vec<(String, i64)>, u64) {
    if common::pg::on_server() {
        drop(common::pg::owner_store(path));
        return common::pg::fingerprint(&common::pg::moved_to(path).expect("moved"));
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .expect("tables");
    let mut hasher = DefaultHasher::new();
    let mut counts = Vec::new();
    for table in tables {
        let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\"")).expect("select");
        let columns = statement.column_count();
        let mut rows = statement.query([]).expect("rows");
        let mut count = 0;
        while let Some(row) = rows.next().expect("row") {
            for column in 0..columns {
                format!("{:?}", row.get_ref(column).expect("cell")).hash(&mut hasher);
            }
            count += 1;
        }
        counts.push((table, count));
    }
    (counts, hasher.finish())
}

/// The file's commit counter (the server run compares fingerprints only).
fn data_version(conn: &rusqlite::Connection) -> i64 {
    if common::pg::on_server() {
        return 0;
    }
    conn.query_row("PRAGMA data_version", [], |row| row.get(0)).expect("data_version")
}

fn profile_for(path: &Path, target: Target, source: SourceOptions) -> MappingProfile {
    let inspection = io::inspect(path, &source).expect("inspect");
    let layer = match &source.layer {
        Some(name) => inspection.layers.iter().find(|layer| &layer.name == name).expect("layer"),
        None => &inspection.layers[0],
    };
    let mut profile = io::auto_profile(target, &layer.fields);
    profile.source = source;
    profile
}

fn import(db: &Path, file: &Path, profile: &MappingProfile, on_issue: OnIssue) -> Result<io::ImportReport, ImportError> {
    let mut store = common::pg::owner_store(db);
    let admin = admin(&store);
    io::commit(&mut store, &admin, file, profile, &Policy::all(on_issue), &mut |_| {}, &AtomicBool::new(false))
}

/// The demo district's administrator, who makes the imports.
fn admin(store: &Store) -> citygrid::model::User {
    store.user_by_login("admin").expect("reads").expect("the demo has an administrator")
}

fn imported_parts(db: &Path) -> Vec<Part> {
    let store = common::pg::owner_store(db);
    let mut parts: Vec<Part> = store.load_parts().expect("parts").into_iter().filter(|p| p.code.serial() >= 900_000).collect();
    parts.sort_by_key(|part| part.code);
    parts
}

fn point_of(part: &Part) -> (f64, f64) {
    match &part.geometry {
        PartGeometry::Point(point) => (point.x(), point.y()),
        other => panic!("not a point: {other:?}"),
    }
}

fn unit_id(db: &Path, code: &str) -> citygrid::model::UnitId {
    common::pg::owner_store(db).load_units().expect("units").into_iter().find(|unit| unit.code == code).expect("unit").id
}

#[test]
fn a_geojson_of_points_lines_and_polygons_becomes_parts_with_their_attributes() {
    let (_dir, db) = fresh_db();
    let file = data("parts.geojson");
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    assert_eq!(profile.fields.get("code").map(String::as_str), Some("BJBM"), "guessed mapping");
    let report = import(&db, &file, &profile, OnIssue::Stop).expect("import");
    assert_eq!((report.read, report.accepted, report.issue_count), (5, 5, 0), "{report:?}");
    assert_eq!(report.parts_by_geometry, [3, 1, 1]);
    let parts = imported_parts(&db);
    let codes: Vec<String> = parts.iter().map(|part| part.code.to_string()).collect();
    assert_eq!(codes, ["3410040101900003", "3410040118900001", "3410040118900002", "3410040151900004", "3410040201900005"]);
    let lamp = &parts[1];
    assert_eq!(lamp.name, "岩寺路灯一号");
    assert_eq!(lamp.state, PartState::Normal);
    assert_eq!(lamp.owner_unit, Some(unit_id(&db, "CGJ-LD")), "unit by its Chinese name");
    assert_eq!(lamp.installed_on, chrono::NaiveDate::from_ymd_opt(2019, 5, 1));
    assert_eq!(lamp.source, citygrid::model::part::PartSource::Import);
    assert_eq!(point_of(lamp), (118.3301, 29.8402));
    assert_eq!(parts[2].state, PartState::Damaged, "破损 → damaged");
    assert_eq!(parts[2].owner_unit, Some(unit_id(&db, "CGJ-LD")), "unit by its code");
    assert_eq!(parts[3].geometry.kind(), GeometryKind::Line);
    let PartGeometry::Polygon(park) = &parts[4].geometry else { panic!("a polygon") };
    assert_eq!(park.exterior().0.len(), 5);
    assert_eq!(park.exterior().0[2], geo::coord! { x: 118.335, y: 29.843 });
}

#[test]
fn a_gbk_shapefile_is_decoded_as_its_cpg_says() {
    let (_dir, db) = fresh_db();
    let file = data("parts_gbk.shp");
    let inspection = io::inspect(&file, &SourceOptions::default()).expect("inspect");
    let layer = &inspection.layers[0];
    let encoding = layer.encoding.as_ref().expect("an encoding");
    assert_eq!(encoding.name, "GBK");
    assert!(encoding.evidence.contains(".cpg says \"CP936\""), "{}", encoding.evidence);
    assert_eq!(layer.feature_count, FeatureCount::Exact(3));
    let crs = layer.crs.as_ref().expect("a CRS");
    assert_eq!(crs.crs.epsg(), 4490);
    assert!(crs.evidence.starts_with(".prj says"), "{}", crs.evidence);
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    import(&db, &file, &profile, OnIssue::Stop).expect("import");
    let parts = imported_parts(&db);
    assert_eq!(parts.len(), 3);
    let names: Vec<&str> = parts.iter().map(|part| part.name.as_str()).collect();
    assert_eq!(names, ["上水井盖（歙县路）", "岩寺路灯一号", "岩寺路灯二号"]);
}

#[test]
fn gauss_kruger_shapefiles_land_within_a_centimetre_of_the_original_points() {
    let (_dir, db) = fresh_db();
    let file = data("parts_gk.shp");
    let inspection = io::inspect(&file, &SourceOptions::default()).expect("inspect");
    let crs = inspection.layers[0].crs.as_ref().expect("CRS");
    assert_eq!(crs.crs.epsg(), 4527);
    assert!(crs.evidence.contains("CGCS2000_3_Degree_GK_Zone_39"), "{}", crs.evidence);
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    import(&db, &file, &profile, OnIssue::Stop).expect("import");
    let parts = imported_parts(&db);
    let expected = [(118.3323, 29.8385), (118.3301, 29.8402), (118.3312, 29.8411)];
    for (part, (lon, lat)) in parts.iter().zip(expected) {
        let (x, y) = point_of(part);
        assert!((x - lon).abs() < 1e-7 && (y - lat).abs() < 1e-7, "{} at {x} {y}, expected {lon} {lat}", part.code);
    }
    // The central-meridian family (EPSG:4548, no zone prefix) with a polygon.
    let (_dir2, db2) = fresh_db();
    let file = data("parts_cm.shp");
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    let report = import(&db2, &file, &profile, OnIssue::Stop).expect("import");
    assert_eq!(report.crs.crs.epsg(), 4548);
    let parts = imported_parts(&db2);
    let PartGeometry::Polygon(park) = &parts[0].geometry else { panic!("a polygon") };
    let corner = park.exterior().0[0];
    assert!((corner.x - 118.334).abs() < 1e-7 && (corner.y - 29.842).abs() < 1e-7, "{corner:?}");
}

#[test]
fn a_geopackage_lists_its_layers_and_each_imports_in_its_own_system() {
    let (_dir, db) = fresh_db();
    let file = data("parts.gpkg");
    let inspection = io::inspect(&file, &SourceOptions::default()).expect("inspect");
    let names: Vec<&str> = inspection.layers.iter().map(|layer| layer.name.as_str()).collect();
    assert_eq!(names, ["lamps", "parks"]);
    assert_eq!(inspection.layers[0].feature_count, FeatureCount::Exact(3));
    assert_eq!(inspection.layers[0].samples.len(), 3);
    assert_eq!(inspection.layers[1].crs.as_ref().map(|guess| guess.crs.epsg()).ok(), Some(4527));
    let mut store = common::pg::owner_store(&db);
    let by = admin(&store);
    let no_layer = io::commit(&mut store, &by, &file, &MappingProfile::default(), &Policy::default(), &mut |_| {}, &AtomicBool::new(false))
        .expect_err("two layers");
    assert!(no_layer.to_string().contains("several layers (lamps, parks)"), "{no_layer}");
    for layer in ["lamps", "parks"] {
        let profile = profile_for(&file, Target::Parts, SourceOptions { layer: Some(layer.into()), ..SourceOptions::default() });
        import(&db, &file, &profile, OnIssue::Stop).expect(layer);
    }
    let parts = imported_parts(&db);
    assert_eq!(parts.len(), 4);
    assert_eq!(parts[1].name, "岩寺路灯一号");
    assert_eq!(point_of(&parts[1]), (118.3301, 29.8402));
    let PartGeometry::Polygon(park) = &parts[3].geometry else { panic!("a polygon") };
    assert!((park.exterior().0[0].x - 118.334).abs() < 1e-7);
}

#[test]
fn csv_cases_in_utf8_and_gbk_become_history_with_their_audit_trail() {
    for file in ["cases.csv", "cases_gbk.csv"] {
        let (_dir, db) = fresh_db();
        let path = data(file);
        let inspection = io::inspect(&path, &SourceOptions::default()).expect("inspect");
        let encoding = inspection.layers[0].encoding.clone().expect("encoding");
        assert_eq!(encoding.name, if file == "cases.csv" { "UTF-8" } else { "GBK" }, "{file}");
        let profile = profile_for(&path, Target::Cases, SourceOptions::default());
        let report = import(&db, &path, &profile, OnIssue::Stop).unwrap_or_else(|error| panic!("{file}: {error}"));
        assert_eq!(report.accepted, 2, "{file}");
        let store = common::pg::owner_store(&db);
        let cases = store.load_cases().expect("cases");
        let closed = cases.iter().find(|case| case.case_no == "2026110100001").expect("first case");
        assert_eq!(closed.state, CaseState::Closed);
        assert_eq!(closed.description, "暴露垃圾堆放");
        assert_eq!(closed.source, citygrid::model::SourceChannel::Hotline12345);
        assert_eq!((closed.location.x(), closed.location.y()), (118.3301, 29.8402));
        let events: Vec<String> = store.case_events(closed.id).expect("events").into_iter().map(|event| event.action).collect();
        assert_eq!(events, ["report", "close"]);
        let reported = cases.iter().find(|case| case.case_no == "2026110100002").expect("second case");
        assert_eq!(reported.state, CaseState::Reported);
        assert_eq!(reported.source, citygrid::model::SourceChannel::CityPlatform);
    }
}

#[test]
fn responsibility_zones_become_multipolygon_jurisdictions_with_their_owner() {
    let (_dir, db) = fresh_db();
    let file = data("zones.geojson");
    let profile = profile_for(&file, Target::Jurisdictions, SourceOptions::default());
    let report = import(&db, &file, &profile, OnIssue::Stop).expect("import");
    assert_eq!(report.accepted, 2);
    let store = common::pg::owner_store(&db);
    let zones: Vec<_> = store.load_jurisdictions().expect("jurisdictions").into_iter().filter(|j| j.source == "import").collect();
    assert_eq!(zones.len(), 2);
    assert_eq!(zones[0].kind, citygrid::model::JurisdictionKind::UnitZone);
    assert_eq!(zones[0].name, "路灯所责任区一");
    assert_eq!(zones[0].owner_unit, Some(unit_id(&db, "CGJ-LD")));
    assert_eq!(zones[1].owner_unit, Some(unit_id(&db, "CGJ-YL")));
    assert_eq!(zones[0].geometry.0.len(), 1);
    assert_eq!(zones[1].valid_from, chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"));
}

/// Each malformed file with `--on-issue stop`: the expected message (what and where), and the
/// database unchanged in content and never committed to.
#[test]
fn the_malformed_corpus_is_refused_clearly_and_leaves_the_database_unchanged() {
    let cases: &[(&str, Target, &[&str])] = &[
        ("truncated.shp", Target::Parts, &["record 3", "truncated"]),
        ("dbf_lies.shp", Target::Parts, &["dbf_lies.dbf", "header says 40 records", "holds only 3"]),
        ("syntax_error.geojson", Target::Parts, &["GeoJSON syntax error at line 3, column"]),
        ("unclosed_ring.geojson", Target::Parts, &["feature 1 (3410040201900105)", "ring is not closed"]),
        ("self_intersection.geojson", Target::Parts, &["feature 1 (3410040201900105)", "self-intersection"]),
        ("nan.csv", Target::Parts, &["feature 2 (3410040118900102)", "NaN"]),
        ("duplicate_code.geojson", Target::Parts, &["feature 3 (3410040118900101), field BJBM", "duplicates feature 1"]),
        ("unknown_class.geojson", Target::Parts, &["feature 2 (3410040199900102), field BJBM", "class 0199 is not in the command manual"]),
        ("malformed_code.geojson", Target::Parts, &["feature 2 (34100401189001x2), field BJBM", "malformed"]),
        ("bad_date.geojson", Target::Parts, &["feature 2 (3410040118900102), field CSRQ", "\"2019-13-45\""]),
        ("metres_as_degrees.geojson", Target::Parts, &["feature 1", "projected metres", "EPSG:4527"]),
        ("swapped.geojson", Target::Parts, &["feature 1", "swapped"]),
        ("far_outside.geojson", Target::Parts, &["feature 2 (3410040118900102)", "km outside the district", "116.39750"]),
        ("unknown_crs.geojson", Target::Parts, &["EPSG:2385 (Xian 1980)", "not supported"]),
        ("xian80.shp", Target::Parts, &["Xian_1980_3_Degree_GK_Zone_39", "not supported"]),
        ("zone_prefix_missing.geojson", Target::Parts, &["feature 1", "lacks the zone prefix 39"]),
        ("empty.geojson", Target::Parts, &["the file is empty"]),
        ("wrong_geometry.geojson", Target::Parts, &["feature 1 (3410040118900101)", "should be Point, is Line"]),
        ("unknown_unit.geojson", Target::Parts, &["field QSDW", "unknown unit \"不存在的单位\""]),
        ("missing_code.geojson", Target::Parts, &["feature 1", "required code is missing"]),
    ];
    let (_dir, db) = fresh_db();
    let before = fingerprint(&db);
    let watcher = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("watcher");
    let version = data_version(&watcher);
    for (file, target, expected) in cases {
        let path = malformed(file);
        // The guessed profile where the file can be inspected; a plain one where it cannot.
        let profile = io::inspect(&path, &SourceOptions::default())
            .ok()
            .map(|inspection| io::auto_profile(*target, &inspection.layers[0].fields))
            .unwrap_or_else(|| {
                let mut profile = MappingProfile { target: *target, ..MappingProfile::default() };
                profile.fields.insert("code".into(), "BJBM".into());
                profile
            });
        let error = import(&db, &path, &profile, OnIssue::Stop).expect_err(file);
        let message = error.to_string();
        for piece in *expected {
            assert!(message.contains(piece), "{file}: {message:?} lacks {piece:?}");
        }
        assert_eq!(fingerprint(&db), before, "{file} changed the database");
        assert_eq!(data_version(&watcher), version, "{file} committed something");
    }
}

#[test]
fn a_part_code_already_in_the_database_is_a_duplicate_the_second_time() {
    let (_dir, db) = fresh_db();
    let file = data("parts.geojson");
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    import(&db, &file, &profile, OnIssue::Stop).expect("first import");
    let before = fingerprint(&db);
    let error = import(&db, &file, &profile, OnIssue::Stop).expect_err("second import");
    assert!(error.to_string().contains("code 3410040118900001 is already in the database"), "{error}");
    assert_eq!(fingerprint(&db), before);
    let store = common::pg::owner_store(&db);
    let report =
        io::validate(&store, &file, &profile, &Policy::all(OnIssue::Skip), &mut |_| {}, &AtomicBool::new(false)).expect("validate");
    assert_eq!((report.issue_count, report.accepted, report.skipped), (5, 0, 5));
    assert!(report.issues.iter().all(|issue| matches!(issue.kind, IssueKind::DuplicateInDatabase { .. })));
}

#[test]
fn skip_leaves_out_and_lists_the_features_with_issues_and_writes_the_rest() {
    let (_dir, db) = fresh_db();
    let file = malformed("duplicate_code.geojson");
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    let store = common::pg::owner_store(&db);
    let checked =
        io::validate(&store, &file, &profile, &Policy::all(OnIssue::Skip), &mut |_| {}, &AtomicBool::new(false)).expect("validate");
    drop(store);
    assert_eq!((checked.read, checked.accepted, checked.skipped, checked.written), (3, 2, 1, false));
    let report = import(&db, &file, &profile, OnIssue::Skip).expect("skip");
    assert_eq!((report.accepted, report.skipped, report.written), (2, 1, true));
    assert_eq!(report.issues[0].feature, 2);
    assert_eq!(report.issues[0].field.as_deref(), Some("BJBM"));
    assert!(report.issues[0].describe(true).contains("第 3 个要素"), "{}", report.issues[0].describe(true));
    assert_eq!(imported_parts(&db).len(), 2);
}

#[test]
fn fix_closes_rings_and_swaps_a_plainly_swapped_file_and_reports_each_fix() {
    let (_dir, db) = fresh_db();
    for file in ["unclosed_ring.geojson", "swapped.geojson"] {
        let path = malformed(file);
        let profile = profile_for(&path, Target::Parts, SourceOptions::default());
        let report = import(&db, &path, &profile, OnIssue::Fix).expect(file);
        assert_eq!(report.skipped, 0, "{file}: {report:?}");
        assert_eq!(report.fix_count, report.accepted, "{file}: one fix per feature");
    }
    let parts = imported_parts(&db);
    assert_eq!(parts.len(), 3);
    assert_eq!(point_of(&parts[0]), (118.3301, 29.8402), "swapped back");
    let PartGeometry::Polygon(park) = &parts[2].geometry else { panic!("polygon") };
    assert_eq!(park.exterior().0.first(), park.exterior().0.last());
    // One swapped feature among correct ones is a data error, not a file written the wrong way round.
    let (dir, db2) = fresh_db();
    let mixed = dir.path().join("mixed.geojson");
    let mut collection: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(malformed("swapped.geojson")).expect("read")).expect("json");
    collection["features"][1]["geometry"]["coordinates"] = serde_json::json!([118.3312, 29.8411]);
    std::fs::write(&mixed, collection.to_string()).expect("write");
    let profile = profile_for(&mixed, Target::Parts, SourceOptions::default());
    let report = import(&db2, &mixed, &profile, OnIssue::Fix).expect("fix mode");
    assert_eq!((report.accepted, report.skipped, report.fix_count), (1, 1, 0), "{report:?}");
    assert!(matches!(report.issues[0].kind, IssueKind::SwappedLonLat { .. }));
    let path = malformed("swapped.geojson");
    let profile = profile_for(&path, Target::Parts, SourceOptions::default());
    let store = common::pg::owner_store(&db);
    let report = io::validate(&store, &path, &profile, &Policy::all(OnIssue::Fix), &mut |_| {}, &AtomicBool::new(false)).expect("validate");
    assert!(report.fixes.iter().all(|fix| fix.kind == FixKind::SwappedLonLat));
}

fn write_points_geojson(path: &Path, count: usize) {
    let features: Vec<serde_json::Value> = (0..count)
        .map(|index| {
            serde_json::json!({"type": "Feature", "properties": {"BJBM": format!("3410040118{:06}", 900_000 + index)},
                "geometry": {"type": "Point", "coordinates": [118.30 + index as f64 * 1e-5, 29.84]}})
        })
        .collect();
    std::fs::write(path, serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()).expect("write");
}

#[test]
fn cancelling_mid_import_leaves_the_database_as_it_was() {
    let (dir, db) = fresh_db();
    let file = dir.path().join("many.geojson");
    write_points_geojson(&file, 6_000);
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    let before = fingerprint(&db);
    let cancel = AtomicBool::new(false);
    let mut store = common::pg::owner_store(&db);
    let by = admin(&store);
    let mut seen = Vec::new();
    let error = io::commit(
        &mut store,
        &by,
        &file,
        &profile,
        &Policy::default(),
        &mut |progress| {
            seen.push(progress.done);
            assert!(progress.total.is_some_and(|total| total.value() > 3_000), "{:?}", progress.total);
            if progress.done >= 3_000 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .expect_err("cancelled");
    assert!(matches!(error, ImportError::Cancelled { done } if (3_000..6_000).contains(&done)), "{error}");
    assert!(seen.len() >= 2, "progress came: {seen:?}");
    drop(store);
    assert_eq!(fingerprint(&db), before);
}

#[test]
fn inspection_of_a_large_geojson_estimates_the_count_without_reading_it_all() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("many.geojson");
    write_points_geojson(&file, 5_000);
    let inspection = io::inspect(&file, &SourceOptions::default()).expect("inspect");
    let layer = &inspection.layers[0];
    let FeatureCount::Estimated(count) = layer.feature_count else { panic!("{:?}", layer.feature_count) };
    assert!((4_500..5_500).contains(&count), "{count}");
    assert_eq!(layer.samples.len(), io::SAMPLE_FEATURES);
    assert_eq!(layer.crs.as_ref().map(|guess| guess.evidence.as_str()).ok(), Some("GeoJSON has no crs member: WGS84 per RFC 7946"));
}

fn read_all(path: &Path) -> Result<Vec<SourceFeature>, ImportError> {
    let mut features = Vec::new();
    io::read_layer(path, &SourceOptions::default(), &mut |feature| {
        features.push(feature);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(features)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic_the_geojson_reader(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.geojson");
        std::fs::write(&path, &bytes).expect("write");
        let _ = read_all(&path);
        let _ = io::inspect(&path, &SourceOptions::default());
    }

    #[test]
    fn mutated_geojson_never_panics(position in 0usize..1_800, byte in any::<u8>(), cut in 0usize..1_900) {
        let mut bytes = std::fs::read(data("parts.geojson")).expect("fixture");
        let position = position % bytes.len();
        bytes[position] = byte;
        bytes.truncate(cut.max(1));
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.geojson");
        std::fs::write(&path, &bytes).expect("write");
        let _ = read_all(&path);
    }

    #[test]
    fn mutated_shapefiles_never_panic(which in 0usize..3, position in 0usize..1_200, byte in any::<u8>(), cut in 0usize..1_300) {
        let dir = tempfile::tempdir().expect("dir");
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            std::fs::copy(data(&format!("parts_gbk.{ext}")), dir.path().join(format!("x.{ext}"))).expect("copy");
        }
        let ext = ["shp", "shx", "dbf"][which];
        let target = dir.path().join(format!("x.{ext}"));
        let mut bytes = std::fs::read(&target).expect("read");
        let position = position % bytes.len();
        bytes[position] = byte;
        bytes.truncate(cut.max(1));
        std::fs::write(&target, &bytes).expect("write");
        let path = dir.path().join("x.shp");
        let _ = read_all(&path);
        let _ = io::inspect(&path, &SourceOptions::default());
    }

    #[test]
    fn generated_points_read_back_equal_from_shapefile_and_geojson(
        rows in proptest::collection::vec((-180.0f64..180.0, -90.0f64..90.0, "[a-z0-9路灯井盖]{0,6}"), 1..40),
        gbk in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let shp = dir.path().join("gen.shp");
        let mut features = rows.iter().map(|(x, y, name)| (geo::coord! { x: *x, y: *y }, vec![name.clone()]));
        io::shapefile::write_point_shapefile(&shp, &[("NAME", 24)], &mut features, if gbk { "GBK" } else { "UTF-8" }).expect("write");
        let geojson = dir.path().join("gen.geojson");
        let collection = serde_json::json!({"type": "FeatureCollection", "features": rows.iter().map(|(x, y, name)| serde_json::json!({
            "type": "Feature", "properties": {"NAME": name}, "geometry": {"type": "Point", "coordinates": [x, y]}})).collect::<Vec<_>>()});
        std::fs::write(&geojson, collection.to_string()).expect("write");
        for path in [shp, geojson] {
            let read = read_all(&path).expect("reads back");
            prop_assert_eq!(read.len(), rows.len());
            for (feature, (x, y, name)) in read.iter().zip(&rows) {
                // serde_json (without `float_roundtrip`) may parse the last bit differently: 1e-12° is 0.1 µm.
                let Some(geo::Geometry::Point(point)) = feature.geometry else { panic!("not a point: {:?}", feature.geometry) };
                prop_assert!((point.x() - x).abs() < 1e-12 && (point.y() - y).abs() < 1e-12, "{point:?} vs {x} {y}");
                let value = feature.attribute("NAME").and_then(io::Value::as_text).unwrap_or_default();
                prop_assert_eq!(&value, name);
            }
        }
    }
}

/// `citygrid` with the demo administrator's password at hand for `--as admin`.
fn citygrid(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
        .args(args)
        .output()
        .expect("citygrid runs")
}

#[test]
fn the_command_line_inspects_imports_and_refuses_with_one_line() {
    let (dir, db) = fresh_db();
    let db_arg = common::pg::db_arg(&common::pg::chosen_location(&db));
    let db_arg = db_arg.to_str().expect("utf-8 path");
    let file = data("parts_gbk.shp");
    let file_arg = file.to_str().expect("utf-8 path");
    let inspected = citygrid(&["import", "--inspect", file_arg]);
    assert!(inspected.status.success(), "{}", String::from_utf8_lossy(&inspected.stderr));
    let text = String::from_utf8_lossy(&inspected.stderr);
    assert!(text.contains("layer parts_gbk: 3 features, geometry Point") && text.contains("GBK"), "{text}");

    let profile = dir.path().join("profile.json");
    let imported = citygrid(&[
        "import",
        "--as",
        "admin",
        "--db",
        db_arg,
        "--target",
        "parts",
        file_arg,
        "--save-profile",
        profile.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(stdout.contains("wrote 3 Parts (3 points, 0 lines, 0 polygons)"), "{stdout}");
    let saved = MappingProfile::from_json(&std::fs::read_to_string(&profile).expect("saved profile")).expect("valid profile");
    assert_eq!(saved.fields.get("code").map(String::as_str), Some("BJBM"));

    let before = fingerprint(&db);
    let refused = citygrid(&["import", "--as", "admin", "--db", db_arg, "--profile", profile.to_str().expect("utf-8"), file_arg]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("citygrid: import stopped at the first issue") && last.contains("already in the database"), "{stderr}");
    assert_eq!(fingerprint(&db), before);

    let per_class = citygrid(&["import", "--as", "admin", "--db", db_arg, "--target", "parts", "--on-issue", "stop,code=skip", file_arg]);
    assert!(per_class.status.success(), "{}", String::from_utf8_lossy(&per_class.stderr));
    assert!(String::from_utf8_lossy(&per_class.stdout).contains("wrote 0 Parts"), "{}", String::from_utf8_lossy(&per_class.stdout));
    let bad_class = citygrid(&["import", "--db", db_arg, "--target", "parts", "--on-issue", "colour=skip", file_arg]);
    assert!(
        String::from_utf8_lossy(&bad_class.stderr).contains("\"colour\" is not geometry"),
        "{}",
        String::from_utf8_lossy(&bad_class.stderr)
    );
    let dry = citygrid(&["import", "--db", db_arg, "--target", "parts", "--on-issue", "skip", "--dry-run", file_arg]);
    assert!(dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would write 0 Parts"), "{}", String::from_utf8_lossy(&dry.stdout));

    let missing = citygrid(&["import", "--as", "admin", "--db", db_arg, "--target", "parts", "/nonexistent/file.geojson"]);
    assert!(!missing.status.success());
    assert_eq!(String::from_utf8_lossy(&missing.stderr).lines().count(), 1, "{}", String::from_utf8_lossy(&missing.stderr));

    // An import names who makes it, and only an administrator may.
    for (acting, says) in [(None, "--as LOGIN"), (Some("dispatch1"), "may not import data")] {
        let before = fingerprint(&db);
        let mut args = vec!["import", "--db", db_arg, "--target", "parts", "--on-issue", "skip", file_arg];
        if let Some(login) = acting {
            args.extend(["--as", login]);
        }
        let refused = citygrid(&args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && stderr.lines().last().unwrap_or_default().contains(says), "{stderr}");
        assert_eq!(fingerprint(&db), before);
    }
}

#[test]
fn without_a_cpg_the_language_driver_or_the_bytes_decide_the_encoding() {
    let dir = tempfile::tempdir().expect("dir");
    for ext in ["shp", "shx", "dbf", "prj"] {
        std::fs::copy(data(&format!("parts_gbk.{ext}")), dir.path().join(format!("x.{ext}"))).expect("copy");
    }
    let path = dir.path().join("x.shp");
    let encoding = |path: &Path| io::inspect(path, &SourceOptions::default()).expect("inspect").layers[0].encoding.clone().expect("enc");
    let guessed = encoding(&path);
    assert_eq!(guessed.name, "GBK");
    assert!(guessed.evidence.contains("not UTF-8, read as GBK"), "{}", guessed.evidence);
    let dbf = dir.path().join("x.dbf");
    let mut bytes = std::fs::read(&dbf).expect("dbf");
    bytes[29] = 0x4D;
    std::fs::write(&dbf, bytes).expect("write");
    let driver = encoding(&path);
    assert!(driver.evidence.contains("language driver 0x4D (CP936)"), "{}", driver.evidence);
    let features = read_all(&path).expect("read");
    assert_eq!(features[0].attribute("MC").and_then(io::Value::as_text).as_deref(), Some("岩寺路灯一号"));
}

#[test]
fn geopackage_blobs_with_any_envelope_and_the_empty_flag_are_read() {
    let (dir, db) = fresh_db();
    let gpkg = dir.path().join("blobs.gpkg");
    std::fs::copy(data("parts.gpkg"), &gpkg).expect("copy");
    let conn = rusqlite::Connection::open(&gpkg).expect("open");
    // GDAL's R-tree triggers call ST_* functions on update.
    citygrid::store::gpkg::register_functions(&conn).expect("functions");
    let mut empty = vec![b'G', b'P', 0, 0b0001_0001];
    empty.extend_from_slice(&4490i32.to_le_bytes());
    empty.extend_from_slice(&[1, 1, 0, 0, 0]);
    empty.extend_from_slice(&f64::NAN.to_le_bytes());
    empty.extend_from_slice(&f64::NAN.to_le_bytes());
    let mut xyz_envelope = vec![b'G', b'P', 0, 0b0000_0101];
    xyz_envelope.extend_from_slice(&4490i32.to_le_bytes());
    for value in [118.3312f64, 118.3312, 29.8411, 29.8411, 0.0, 0.0] {
        xyz_envelope.extend_from_slice(&value.to_le_bytes());
    }
    xyz_envelope.extend_from_slice(&[1, 1, 0, 0, 0]);
    xyz_envelope.extend_from_slice(&118.3312f64.to_le_bytes());
    xyz_envelope.extend_from_slice(&29.8411f64.to_le_bytes());
    conn.execute("UPDATE lamps SET geom = ?1 WHERE fid = 1", [&empty]).expect("empty blob");
    conn.execute("UPDATE lamps SET geom = ?1 WHERE fid = 2", [&xyz_envelope]).expect("xyz envelope");
    drop(conn);
    let source = SourceOptions { layer: Some("lamps".into()), ..SourceOptions::default() };
    let profile = profile_for(&gpkg, Target::Parts, source);
    let report = import(&db, &gpkg, &profile, OnIssue::Skip).expect("import");
    assert_eq!((report.accepted, report.skipped), (2, 1), "{report:?}");
    assert_eq!(report.issues[0].describe(false), "feature 1 (3410040118900001): has no geometry");
    let parts = imported_parts(&db);
    assert_eq!(point_of(&parts[1]), (118.3312, 29.8411));
}

#[test]
fn a_csv_of_points_becomes_parts_and_a_nan_row_is_skipped_and_named() {
    let (_dir, db) = fresh_db();
    let file = malformed("nan.csv");
    let profile = profile_for(&file, Target::Parts, SourceOptions::default());
    let report = import(&db, &file, &profile, OnIssue::Skip).expect("skip");
    assert_eq!((report.accepted, report.skipped), (1, 1));
    assert!(report.issues[0].describe(true).contains("第 2 个要素 (3410040118900102)"), "{}", report.issues[0].describe(true));
    assert!(report.issues[0].describe(true).contains("NaN"), "{}", report.issues[0].describe(true));
    let parts = imported_parts(&db);
    assert_eq!(point_of(&parts[0]), (118.3301, 29.8402));
}

#[test]
fn a_parent_code_must_name_a_jurisdiction_in_the_database_or_anywhere_in_the_file() {
    let (dir, db) = fresh_db();
    let square =
        |x: f64| serde_json::json!({"type": "Polygon", "coordinates": [[[x, 29.83], [x + 0.01, 29.83], [x + 0.01, 29.84], [x, 29.83]]]});
    let feature = |code: &str, parent: &str, x: f64| {
        serde_json::json!({"type": "Feature", "geometry": square(x),
            "properties": {"KIND": "grid", "CODE": code, "NAME": format!("网格{code}"), "PARENT": parent, "VALID_FROM": "2026-01-01"}})
    };
    let file = dir.path().join("grid.geojson");
    let collection = serde_json::json!({"type": "FeatureCollection", "features": [
        feature("34100410099901", "34100410099902", 118.30),   // its parent comes later in the file
        feature("34100410099902", "341004100", 118.31),        // a township of the database
        feature("34100410099903", "999", 118.32),              // nothing anywhere
    ]});
    std::fs::write(&file, collection.to_string()).expect("write");
    let profile = profile_for(&file, Target::Jurisdictions, SourceOptions::default());
    assert_eq!(profile.fields.get("parent_code").map(String::as_str), Some("PARENT"));
    let report = import(&db, &file, &profile, OnIssue::Skip).expect("import");
    assert_eq!((report.accepted, report.skipped), (2, 1), "{report:?}");
    assert_eq!(
        report.issues[0].describe(false),
        "feature 3 (34100410099903), field PARENT: parent code \"999\" is neither in the database nor in the file"
    );
}

mod window {
    use std::time::{Duration, Instant};

    use citygrid::app::{CitygridApp, harness_signed_in};
    use citygrid::ui::Lang;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::{common, data};

    fn steps(seat: &mut Harness<'static, CitygridApp>, count: usize) {
        for _ in 0..count {
            seat.step();
        }
    }

    fn until(seat: &mut Harness<'static, CitygridApp>, what: &str, done: impl Fn(&CitygridApp) -> bool) {
        let started = Instant::now();
        while !done(seat.state()) {
            assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
            seat.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        steps(seat, 3);
    }

    #[test]
    fn an_administrator_reads_checks_and_imports_a_gbk_shapefile_and_the_map_shows_the_parts() {
        let (_dir, db, _) = common::small_demo(500, 10);
        let mut seat = harness_signed_in(
            common::pg::chosen_location(&db),
            None,
            [1600, 1000],
            Lang::En,
            Some(common::as_of()),
            Duration::from_secs(120),
            "admin",
            citygrid::demo::DEMO_PASSWORD,
        )
        .expect("loads");
        let before = seat.state().world().expect("world").parts.len();
        seat.get_by_label("Import data…").click();
        steps(&mut seat, 3);
        if common::pg::on_server() {
            // A seat's login writes no parts on a server: the window says how the owner imports.
            seat.get_by_label_contains("import --as admin FILE");
            return;
        }
        let file = data("parts_gbk.shp");
        seat.query_all_by_label("File").last().expect("the file field").click();
        steps(&mut seat, 2);
        seat.query_all_by_label("File").last().expect("the file field").type_text(&file.to_string_lossy());
        steps(&mut seat, 2);
        seat.get_by_label("Read file").click();
        assert_eq!(seat.state().import_dialog().path(), file.to_string_lossy(), "the path was typed");
        until(&mut seat, "the inspection", |app| app.import_dialog().inspected() || app.import_dialog().inspection_error().is_some());
        assert_eq!(seat.state().import_dialog().inspection_error(), None);
        // The file's Chinese names, decoded from GBK, are in the sample rows.
        seat.get_by_label_contains("GBK");
        seat.get_by_label("Check (writes nothing)").click();
        until(&mut seat, "the check", |app| app.import_dialog().validated().is_some());
        let report = seat.state().import_dialog().validated().cloned().expect("checked").expect("no error");
        assert_eq!((report.accepted, report.issue_count, report.written), (3, 0, false), "{report:?}");
        assert_eq!(seat.state().world().expect("world").parts.len(), before, "a check writes nothing");
        seat.get_by_label("Import 3 features").click();
        until(&mut seat, "the import and the reload", |app| {
            app.import_dialog().committed().is_some() && app.world().is_some_and(|world| world.parts.len() != before)
        });
        let report = seat.state().import_dialog().committed().cloned().expect("done").expect("no error");
        assert!(report.written && report.accepted == 3, "{report:?}");
        let world = seat.state().world().expect("world");
        assert_eq!(world.parts.len(), before + 3, "the map reloaded with the new parts");
        assert!(world.parts.read_all().expect("parts").iter().any(|part| part.name.contains("路灯")), "GBK names arrived as Chinese");
        assert!(seat.state().user().is_some_and(|user| user.login == "admin"), "the reload keeps the seat signed in");
    }

    #[test]
    fn a_dispatcher_may_not_import() {
        let (_dir, db, _) = common::small_demo(300, 5);
        let location = common::pg::chosen_location(&db);
        let (size, timeout, password) = ([1600, 1000], Duration::from_secs(120), citygrid::demo::DEMO_PASSWORD);
        let mut seat =
            harness_signed_in(location, None, size, Lang::En, Some(common::as_of()), timeout, "dispatch1", password).expect("loads");
        seat.get_by_label("Import data…").click();
        steps(&mut seat, 3);
        seat.get_by_label("Only an administrator may import data.");
    }
}
