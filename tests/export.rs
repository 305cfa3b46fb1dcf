//! Export as the district's GIS staff will meet it: `citygrid export` writes GeoJSON, GeoPackage
//! and CSV files that GDAL (the library under QGIS) reads with the right layers, geometry types,
//! fields, counts and values; a bad request or a cancelled export writes nothing.
//! Needs `gdal-bin` and `python3-gdal` (installed by `scripts/test.sh`).

mod common;

use std::path::Path;
use std::process::Command;

use citygrid::io::export::{CsvHeader, ExportError, ExportFormat, ExportWhat, Names, Selection, Sources, export, layers_for};
use citygrid::model::{JurisdictionKind, Keyword as _};

const VALIDATOR: &str = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";
const AS_OF: &str = "2026-11-25 09:30";

/// `citygrid --db` the suite's district: the file, or its copy on the server (the suite's server
/// run, `CITYGRID_TEST_STORE=server`).
fn citygrid(db: &Path, args: &[&str]) -> std::process::Output {
    citygrid_on(&common::pg::db_arg(&common::pg::chosen_location(db)), args)
}

fn citygrid_on(db: &std::ffi::OsStr, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_citygrid")).arg("--db").arg(db).args(args).output().expect("citygrid runs")
}

fn ogrinfo(args: &[&str], path: &Path) -> String {
    let output = Command::new("ogrinfo").args(["-ro"]).args(args).arg(path).output().expect("ogrinfo runs (gdal-bin)");
    assert!(output.status.success(), "ogrinfo {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `Feature Count: N` of the one layer `ogrinfo -so` describes.
fn feature_count(summary: &str) -> usize {
    summary
        .lines()
        .find_map(|line| line.strip_prefix("Feature Count: "))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in {summary}"))
}

/// The layer's field lines from `ogrinfo -so`, e.g. `case_no: String (0.0)`.
fn has_field(summary: &str, name: &str, kind: &str) -> bool {
    summary.lines().any(|line| line.trim_start().starts_with(&format!("{name}: {kind}")))
}

#[test]
fn a_geopackage_of_everything_opens_in_gdal_with_every_layer_field_and_count() {
    let (dir, db, _) = common::small_demo(3_000, 80);
    let (world, book) = citygrid::session::load_everything(&db, common::as_of()).expect("database loads");
    let out = dir.path().join("everything.gpkg");
    let run = citygrid(&db, &["export", "--out", out.to_str().expect("utf-8 path"), "--now", AS_OF]);
    assert!(run.status.success(), "export failed: {}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stdout).contains("cases 80"), "{}", String::from_utf8_lossy(&run.stdout));

    let validator = Command::new("/usr/bin/python3").arg(VALIDATOR).arg(&out).output().expect("python3 runs");
    assert!(validator.status.success(), "the OGC validator refuses the export: {}", String::from_utf8_lossy(&validator.stderr));

    let points = world
        .parts
        .read_all()
        .expect("parts")
        .iter()
        .filter(|part| matches!(part.geometry, citygrid::model::PartGeometry::Point(_)))
        .count();
    for (layer, geometry, count) in [
        ("part_points", "Point", points),
        ("part_lines", "Line String", world.part_counts[1]),
        ("part_polygons", "Polygon", world.part_counts[2]),
        ("jurisdictions", "Multi Polygon", world.jurisdictions.len()),
        ("cases", "Point", book.len()),
    ] {
        let summary = ogrinfo_layer(&out, layer);
        assert!(summary.contains(&format!("Geometry: {geometry}")), "{layer}: {summary}");
        assert_eq!(feature_count(&summary), count, "{layer}");
    }
    let cases = ogrinfo_layer(&out, "cases");
    for (name, kind) in [("case_no", "String"), ("deadline_at", "DateTime"), ("rework_count", "Integer"), ("overrun_ratio", "Real")] {
        assert!(has_field(&cases, name, kind), "cases lacks {name}: {kind}: {cases}");
    }
    let parts = ogrinfo_layer(&out, "part_points");
    assert!(has_field(&parts, "code", "String") && has_field(&parts, "installed_on", "Date"), "{parts}");
    // The Chinese titles travel in the schema extension's gpkg_data_columns (QGIS shows them
    // as aliases; GDAL from 3.7 as alternative names).
    let titles = ogrinfo(&["-sql", "SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'cases'"], &out);
    for expected in ["title (String) = 案卷编号", "title (String) = 处置时限", "column_name (String) = deadline_at"] {
        assert!(titles.contains(expected), "no {expected}: {titles}");
    }

    // Each case's light in the file is the one the desk shows at the same moment.
    let position =
        (0..book.len()).find(|&position| book.status(position).and_then(|status| status.light).is_some()).expect("a dispatched demo case");
    let (case, status) = (book.get(position).expect("case"), book.status(position).expect("status"));
    let light = format!("{:?}", status.light.expect("light")).to_lowercase();
    let row =
        ogrinfo(&["-sql", &format!("SELECT light, state, unit_name, class_name FROM cases WHERE case_no = '{}'", case.case_no)], &out);
    assert!(row.contains(&format!("light (String) = {light}")), "{row}");
    assert!(row.contains(&format!("state (String) = {}", case.state.keyword())), "{row}");
    let unit = world.unit(case.unit.expect("a dispatched case has a unit")).expect("unit");
    assert!(row.contains(&unit.name_zh), "unit name {} missing: {row}", unit.name_zh);
}

/// `ogrinfo -ro -so FILE LAYER`.
fn ogrinfo_layer(path: &Path, layer: &str) -> String {
    let output = Command::new("ogrinfo").args(["-ro", "-so"]).arg(path).arg(layer).output().expect("ogrinfo runs (gdal-bin)");
    assert!(output.status.success(), "ogrinfo {layer} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn geojson_of_open_cases_in_a_class_holds_exactly_those_cases() {
    let (dir, db, _) = common::small_demo(2_000, 120);
    let (_, book) = citygrid::session::load_everything(&db, common::as_of()).expect("database loads");
    let class = book.cases().iter().find(|case| case.state.is_open()).map(|case| case.class_code[..2].to_owned()).expect("an open case");
    let expected: Vec<&str> = book
        .cases()
        .iter()
        .filter(|case| case.state.is_open() && case.class_code.starts_with(&class))
        .map(|case| case.case_no.as_str())
        .collect();
    let out = dir.path().join("open.geojson");
    let run =
        citygrid(&db, &["export", "--layer", "cases", "--open", "--class", &class, "--out", out.to_str().expect("path"), "--now", AS_OF]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    let summary = ogrinfo(&["-so", "-al"], &out);
    assert_eq!(feature_count(&summary), expected.len(), "{summary}");
    assert!(summary.contains("Geometry: Point"), "{summary}");
    assert!(has_field(&summary, "reported_at", "DateTime"), "GDAL should read the times as DateTime: {summary}");
    assert!(summary.contains("WGS 84"), "GeoJSON is WGS84: {summary}");

    let text = std::fs::read_to_string(&out).expect("written");
    let collection: geojson::FeatureCollection = text.parse().expect("valid GeoJSON");
    let numbers: Vec<&str> =
        collection.features.iter().map(|feature| feature.property("case_no").and_then(|value| value.as_str()).expect("case_no")).collect();
    assert_eq!(numbers, expected, "the file keeps the selection and its order");
    let first = &collection.features[0];
    let reported = first.property("reported_at").and_then(|value| value.as_str()).expect("reported_at");
    assert!(reported.ends_with("+08:00"), "times say they are China time: {reported}");
}

#[test]
fn a_csv_of_cases_has_a_bom_and_opens_in_gdal_with_its_points() {
    let (dir, db, _) = common::small_demo(1_000, 50);
    let names = dir.path().join("cases.csv");
    let run = citygrid(&db, &["export", "--layer", "cases", "--out", names.to_str().expect("path"), "--now", AS_OF]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let bytes = std::fs::read(&names).expect("written");
    assert!(bytes.starts_with("\u{feff}case_no,".as_bytes()), "BOM then field names");
    let summary =
        ogrinfo(&["-so", "-al", "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "AUTODETECT_TYPE=YES"], &names);
    assert_eq!(feature_count(&summary), 50, "{summary}");
    assert!(summary.contains("Geometry: Point"), "GDAL takes lon/lat as the point: {summary}");

    let titles = dir.path().join("案卷.csv");
    let run = citygrid(&db, &["export", "--layer", "cases", "--csv-header", "zh", "--out", titles.to_str().expect("path"), "--now", AS_OF]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&titles).expect("written");
    assert!(text.starts_with("\u{feff}案卷编号,案件来源,"), "Chinese titles for spreadsheets: {}", &text[..60]);
    assert_eq!(text.lines().count(), 51, "a header and 50 rows");
}

#[test]
fn a_bad_request_says_what_is_wrong_and_writes_nothing() {
    let (dir, db, _) = common::small_demo(500, 10);
    for (args, file, expected) in [
        (vec!["--layer", "all"], "x.geojson", "one layer"),
        (vec!["--layer", "parts"], "x.csv", "points only"),
        (vec!["--layer", "cases"], "x.shp", "unknown export format"),
        (vec!["--layer", "streets"], "x.gpkg", "--layer"),
        (vec!["--layer", "jurisdictions", "--kind", "county"], "x.gpkg", "--kind"),
        (vec!["--layer", "cases", "--bbox", "118.4,29.9,118.2"], "x.gpkg", "--bbox"),
        (vec!["--layer", "cases", "--bbox", "0,0,1,1"], "x.gpkg", "nothing to export"),
    ] {
        let out = dir.path().join(file);
        let out_text = out.to_string_lossy().into_owned();
        let mut full = vec!["export", "--out", out_text.as_str()];
        full.extend(&args);
        let run = citygrid(&db, &full);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists(), "{args:?} left a file");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|entry| entry.file_name()).collect();
    assert!(leftovers.iter().all(|name| !name.to_string_lossy().contains("partial")), "{leftovers:?}");
}

#[test]
fn a_cancelled_export_leaves_the_older_file_as_it_was() {
    let (dir, db, _) = common::small_demo(5_000, 20);
    let (world, book) = citygrid::session::load_everything(&db, common::as_of()).expect("database loads");
    let names = Names::new(&world.units, &world.manual);
    for file in ["parts.gpkg", "parts.geojson"] {
        let out = dir.path().join(file);
        std::fs::write(&out, b"yesterday's export").expect("older file");
        let format = ExportFormat::from_path(&out).expect("format");
        let cases = (0..book.len()).filter_map(|position| Some((book.get(position)?, book.status(position)?))).collect();
        let sources = Sources { parts: &world.parts.read_all().expect("parts"), jurisdictions: &world.jurisdictions, cases };
        let layers = layers_for(sources, ExportWhat::Parts, &Selection::default(), format, &names);
        let mut calls = 0;
        let result = export(&out, layers, CsvHeader::Names, &mut |progress| {
            calls += 1;
            assert!(progress.done <= progress.total);
            false
        });
        assert!(matches!(result, Err(ExportError::Cancelled { .. })), "{file}: {result:?}");
        assert_eq!(calls, 1, "the first progress report cancels");
        assert_eq!(std::fs::read(&out).expect("still there"), b"yesterday's export", "{file} was replaced");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|entry| entry.file_name()).collect();
    assert!(leftovers.iter().all(|name| !name.to_string_lossy().contains("partial")), "{leftovers:?}");
}

#[test]
fn a_map_view_and_a_kind_select_the_townships_that_meet_it() {
    let (dir, db, _) = common::small_demo(500, 10);
    let (world, book) = citygrid::session::load_everything(&db, common::as_of()).expect("database loads");
    let townships: Vec<_> = world.jurisdictions.iter().filter(|jurisdiction| jurisdiction.kind == JurisdictionKind::Township).collect();
    let first = townships.first().expect("demo townships");
    let centre = geo::InteriorPoint::interior_point(&first.geometry).expect("a point inside");
    let view = geo::Rect::new((centre.x() - 0.001, centre.y() - 0.001), (centre.x() + 0.001, centre.y() + 0.001));
    let names = Names::new(&world.units, &world.manual);
    let selection = Selection { within: Some(view), jurisdiction_kind: Some(JurisdictionKind::Township), ..Selection::default() };
    let sources = Sources { parts: &world.parts.read_all().expect("parts"), jurisdictions: &world.jurisdictions, cases: Vec::new() };
    let out = dir.path().join("township.geojson");
    let layers = layers_for(sources, ExportWhat::Jurisdictions, &selection, ExportFormat::GeoJson, &names);
    let summary = export(&out, layers, CsvHeader::Names, &mut |_| true).expect("export");
    assert!(summary.total() >= 1 && summary.total() < townships.len(), "{summary:?} of {}", townships.len());
    let text = ogrinfo(&["-al", "-q"], &out);
    assert!(text.contains(&format!("name (String) = {}", first.name)), "{text}");
    assert!(text.contains("MULTIPOLYGON"), "{text}");
    let _ = book;
}

mod window {
    use std::time::{Duration, Instant};

    use citygrid::app::{CitygridApp, harness_signed_in};
    use citygrid::ui::Lang;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::{common, feature_count, ogrinfo, ogrinfo_layer};

    fn until_exported(seat: &mut Harness<'static, CitygridApp>) -> citygrid::io::export::ExportSummary {
        let started = Instant::now();
        loop {
            seat.step();
            let dialog = seat.state().export_dialog();
            if dialog.running.is_none() && dialog.outcome.is_some() {
                return dialog.outcome.clone().expect("outcome").expect("the export succeeds");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the export did not finish: running {}, outcome {:?}, path {}",
                dialog.running.is_some(),
                dialog.outcome,
                dialog.path()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_case_list_exports_its_current_rows_to_csv_and_everything_goes_to_one_geopackage() {
        let (dir, db, _) = common::small_demo(2_000, 200);
        let location = common::pg::chosen_location(&db);
        let (timeout, password) = (Duration::from_secs(120), citygrid::demo::DEMO_PASSWORD);
        let mut seat =
            harness_signed_in(location, None, [1500, 950], Lang::En, Some(common::as_of()), timeout, "dispatch1", password).expect("loads");
        seat.state_mut().export_dir = dir.path().to_owned();
        // Narrow the list to the overdue cases, then export what it shows.
        seat.query_all_by_label("Light").last().expect("the light filter").click();
        seat.step();
        seat.step();
        seat.get_by_label("Red (overdue)").click();
        for _ in 0..4 {
            seat.step();
        }
        let shown: Vec<String> = {
            let app = seat.state_mut();
            let rows = app.case_list_rows();
            rows.iter().map(|position| app.cases().get(*position).expect("case").case_no.clone()).collect()
        };
        assert!(!shown.is_empty() && shown.len() < 200, "the filter narrowed the list: {}", shown.len());
        seat.get_by_label("Export list…").click();
        for _ in 0..3 {
            seat.step();
        }
        seat.get_by_label("CSV (.csv)").click();
        for _ in 0..3 {
            seat.step();
        }
        seat.get_by_label("Export").click();
        let summary = until_exported(&mut seat);
        assert_eq!(summary.total(), shown.len());
        assert!(summary.path.starts_with(dir.path()) && summary.path.extension().is_some_and(|extension| extension == "csv"));
        let text = std::fs::read_to_string(&summary.path).expect("written");
        let numbers: Vec<&str> = text.lines().skip(1).map(|line| line.split(',').next().expect("first cell")).collect();
        assert_eq!(numbers, shown, "the file holds the list's rows in its order");
        assert!(text.starts_with("\u{feff}案卷编号,"), "Chinese header by default for spreadsheets");
        let _shown = seat.get_by_label_contains("Exported");

        // Everything, from the layer panel, as one GeoPackage.
        seat.get_by_label("Export data…").click();
        for _ in 0..3 {
            seat.step();
        }
        seat.get_by_label("Export").click();
        let summary = until_exported(&mut seat);
        let gpkg = summary.path.clone();
        assert_eq!(gpkg.extension().and_then(|extension| extension.to_str()), Some("gpkg"));
        assert_eq!(feature_count(&ogrinfo_layer(&gpkg, "cases")), 200, "every case, not just the list's");
        let layers = ogrinfo(&["-so", "-q"], &gpkg);
        for layer in ["part_points", "part_lines", "part_polygons", "jurisdictions", "cases"] {
            assert!(layers.contains(layer), "{layer} missing: {layers}");
        }
    }
}

/// An export or a report aimed at the database itself (or its write-ahead log) would destroy
/// the district's data: it is refused with one line naming both files, and the database is
/// untouched.
#[test]
fn exports_and_reports_refuse_the_live_database() {
    let (_dir, db, _) = common::small_demo(500, 12);
    let before = std::fs::read(&db).expect("database readable");
    let wal = format!("{}-wal", db.display());
    let db_text = db.to_str().expect("utf-8 path");
    for args in [
        vec!["export", "--out", db_text],
        vec!["export", "--layer", "cases", "--out", wal.as_str()],
        vec!["report", "--period", "2026-11", "--format", "csv", "--out", db_text],
    ] {
        let run = citygrid_on(db.as_os_str(), &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{args:?} was not refused");
        assert!(stderr.contains("that is the database citygrid is using"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    assert_eq!(std::fs::read(&db).expect("database readable"), before, "the database file changed");
    citygrid::store::Store::open(&db).expect("the database still opens");
}

/// Text that a spreadsheet would run as a formula (a reporter's "=HYPERLINK(…)", a description
/// starting with a phone number's +) is written as text: the cell starts with `'`.
#[test]
fn csv_cells_that_look_like_formulas_are_written_as_text() {
    let (dir, db, _) = common::small_demo(500, 12);
    // On the suite's server run the hostile text is written into the server's copy (a file
    // edited around citygrid would not verify, and is not moved).
    if common::pg::on_server() {
        let url = common::pg::db_arg(&common::pg::chosen_location(&db)).into_string().expect("a URL");
        let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("the owner connects");
        owner
            .batch_execute(
                "UPDATE cases SET description = '=HYPERLINK(\"http://example.invalid\",\"点我\")' WHERE fid = (SELECT min(fid) FROM cases);
                 UPDATE cases SET description = '+86 138 0000 0000 来电' WHERE fid = (SELECT max(fid) FROM cases)",
            )
            .expect("hostile descriptions");
    } else {
        let conn = rusqlite::Connection::open(&db).expect("open");
        // The GeoPackage R-tree triggers call these, as GDAL and QGIS provide them.
        citygrid::store::gpkg::register_functions(&conn).expect("GeoPackage functions");
        conn.execute(
            "UPDATE cases SET description = '=HYPERLINK(\"http://example.invalid\",\"点我\")' WHERE fid = (SELECT min(fid) FROM cases)",
            [],
        )
        .expect("a hostile description");
        conn.execute("UPDATE cases SET description = '+86 138 0000 0000 来电' WHERE fid = (SELECT max(fid) FROM cases)", [])
            .expect("a description starting with a plus");
    }
    let out = dir.path().join("cases.csv");
    let run = citygrid(&db, &["export", "--layer", "cases", "--out", out.to_str().expect("utf-8 path"), "--now", AS_OF]);
    assert!(run.status.success(), "export failed: {}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&out).expect("csv");
    let cells: Vec<&str> = text.lines().flat_map(|line| line.split(',')).map(|cell| cell.trim_start_matches('"')).collect();
    assert!(cells.iter().any(|cell| cell.starts_with("'=HYPERLINK")), "the formula is not neutralised:\n{text}");
    assert!(cells.iter().any(|cell| cell.starts_with("'+86 138")), "the leading + is not neutralised:\n{text}");
    assert!(!cells.iter().any(|cell| cell.starts_with("=HYPERLINK") || cell.starts_with("+86")), "a formula cell is left:\n{text}");
}
