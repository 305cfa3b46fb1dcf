//! The store as a user meets it: files that are not ours are refused untouched, a failed
//! write changes nothing, and what goes in comes back out.

mod common;

use citygrid::model::{Keyword, PartState};
use citygrid::store::{Store, StoreError};

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.gpkg");
    std::fs::write(&path, "这不是数据库 / not a database").expect("write");
    let before = file_bytes(&path);
    let error = Store::open(&path).err().expect("must refuse");
    assert!(matches!(error, StoreError::NotSqlite { .. }), "{error}");
    assert!(error.to_string().contains("notes.gpkg"), "the message names the file: {error}");
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn an_sqlite_database_of_another_program_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).expect("create");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").expect("fill");
    }
    let before = file_bytes(&path);
    let error = Store::open(&path).err().expect("must refuse");
    assert!(matches!(error, StoreError::NotOurs { .. }), "{error}");
    assert!(error.to_string().contains("not a citygrid database"), "{error}");
    assert_eq!(file_bytes(&path), before, "not a byte changed");
    assert!(!dir.path().join("other.sqlite-wal").exists(), "no WAL file was created");
}

#[test]
fn a_database_from_a_newer_citygrid_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("future.gpkg");
    {
        let store = Store::create(&path).expect("create");
        store.checkpoint().expect("checkpoint");
    }
    {
        let conn = rusqlite::Connection::open(&path).expect("open raw");
        conn.execute("UPDATE citygrid_meta SET value = '99' WHERE key = 'schema_version'", []).expect("bump");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    }
    let before = file_bytes(&path);
    let error = Store::open(&path).err().expect("must refuse");
    assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }), "{error}");
    assert!(error.to_string().contains("newer citygrid"), "{error}");
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn a_missing_file_gets_a_clear_message() {
    let error = Store::open(std::path::Path::new("/nonexistent/citygrid.gpkg")).err().expect("must refuse");
    assert!(matches!(error, StoreError::Missing { .. }), "{error}");
    assert!(error.to_string().contains("no such file"), "{error}");
}

#[test]
fn create_refuses_to_overwrite_an_existing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("precious.gpkg");
    std::fs::write(&path, b"keep me").expect("write");
    assert!(matches!(Store::create(&path), Err(StoreError::AlreadyExists { .. })));
    assert_eq!(file_bytes(&path), b"keep me");
}

#[test]
fn a_failed_write_changes_nothing() {
    let (_dir, path, _) = common::small_demo(500, 10);
    let mut store = common::pg::chosen_store(&path);
    let before = store.load_parts().expect("parts");
    let mut duplicate = before[0].clone();
    duplicate.state = PartState::Damaged;
    // The first insert succeeds inside the transaction, the second repeats a code: all of it rolls back.
    let mut fresh = before[0].clone();
    fresh.code = citygrid::model::PartCode::new(341_004, 1, 18, 999_999).expect("code");
    let result = store.write(|tx| Store::insert_parts(tx, [&fresh, &duplicate]));
    let error = result.expect_err("duplicate code must fail");
    assert!(error.to_string().contains(&duplicate.code.to_string()), "the message names the part: {error}");
    let after = store.load_parts().expect("parts");
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|part| part.code != fresh.code));
}

#[test]
fn parts_jurisdictions_and_cases_come_back_as_they_went_in() {
    let (_dir, path, summary) = common::small_demo(2_000, 40);
    let store = common::pg::chosen_store(&path);
    let parts = store.load_parts().expect("parts");
    assert_eq!(parts.len(), summary.parts);
    let mut memory = Store::open_in_memory().expect("memory");
    memory.seed_reference_data(&citygrid::store::ReferenceData::embedded().expect("assets"), "341004", "徽州区").expect("seed");
    memory.write(|tx| Store::insert_parts(tx, &parts)).expect("insert");
    let mut reloaded = memory.load_parts().expect("reload");
    let mut original = parts.clone();
    reloaded.sort_by_key(|part| part.code);
    original.sort_by_key(|part| part.code);
    assert_eq!(reloaded, original);
    let cases = store.load_cases().expect("cases");
    assert_eq!(cases.len(), summary.cases);
    assert!(cases.iter().all(|case| case.reported_at <= common::as_of()), "no case is reported after the demo's now");
    let states: std::collections::BTreeSet<&str> = cases.iter().map(|case| case.state.keyword()).collect();
    assert!(states.contains("closed") && states.contains("dispatched"), "cases spread over the life cycle: {states:?}");
}

/// City scale: the per-cell part counts a seat draws the density layer and the layer tree from
/// are kept by every part written (on the file and, moved there, on the server), and a file
/// written before they existed is counted when it is upgraded.
#[test]
fn the_part_counts_per_cell_agree_with_the_parts_written_and_an_upgraded_file_is_counted() {
    use citygrid::spatial::part_cells::PartCells;
    let (_dir, path, summary) = common::small_demo(3_000, 10);
    let store = common::pg::chosen_store(&path);
    let parts = store.load_parts().expect("parts");
    let cells = store.load_part_cells().expect("cells");
    assert_eq!(cells.total(), summary.parts);
    assert!(cells == PartCells::from_parts(&parts), "the stored counts are the parts' counts");
    assert!(cells.len() > 10, "the parts spread over cells: {}", cells.len());
    drop(store);

    // Written in two goes, the second adding to the cells the first filled.
    let mut memory = Store::open_in_memory().expect("memory");
    memory.seed_reference_data(&citygrid::store::ReferenceData::embedded().expect("assets"), "341004", "徽州区").expect("seed");
    let (first, second) = parts.split_at(parts.len() / 3);
    memory.write(|tx| Store::insert_parts(tx, first)).expect("insert");
    assert!(memory.load_part_cells().expect("cells") == PartCells::from_parts(first), "the first go counted");
    memory.write(|tx| Store::insert_parts(tx, second)).expect("insert");
    assert!(memory.load_part_cells().expect("cells") == PartCells::from_parts(&parts), "the second go added to it");

    // A failed write adds nothing: a duplicate code rolls the whole batch back, counts included.
    let before = memory.load_part_cells().expect("cells");
    assert!(memory.write(|tx| Store::insert_parts(tx, &parts[..2])).is_err(), "duplicate codes are refused");
    assert!(memory.load_part_cells().expect("cells") == before, "nothing counted");

    // A file from before the counts (schema 8): opening it counts its parts.
    let conn = rusqlite::Connection::open(&path).expect("raw");
    for table in ["part_points", "part_lines", "part_polygons"] {
        for event in ["insert", "delete", "update"] {
            conn.execute_batch(&format!("DROP TRIGGER {table}_log_{event}")).expect("drop the change log's trigger");
        }
    }
    conn.execute_batch(
        "DROP TABLE part_cells; DROP TABLE part_changes; UPDATE citygrid_meta SET value = '8' WHERE key = 'schema_version';",
    )
    .expect("back to 8");
    drop(conn);
    let store = Store::open(&path).expect("opens and upgrades");
    assert_eq!(store.schema_version().expect("version"), citygrid::store::schema::CURRENT_VERSION);
    assert!(store.load_part_cells().expect("cells") == cells, "the upgrade counted the parts");
}

/// City scale: a seat asks the store for the parts in a box and for a part by code instead of
/// holding every part; both answer what the whole table would (file R-tree, server GiST).
/// GIS staff edit the parts in QGIS (GDAL's GeoPackage driver): a part added, one moved and one
/// deleted there are counted into `part_cells` the next time citygrid opens the file, and
/// citygrid's own writes leave no log behind.
#[test]
fn parts_edited_by_another_program_are_counted_when_citygrid_opens_the_file() {
    let (_dir, path, _) = common::small_demo(2_000, 10);
    let mut store = Store::open(&path).expect("open");
    let parts = store.load_parts().expect("parts");
    let far = parts.iter().rev().find(|part| matches!(part.geometry, citygrid::model::PartGeometry::Point(_))).expect("a point");
    let extra = citygrid::model::Part::bare("3410040118999001".parse().expect("code"), far.geometry.clone());
    store.write(|tx| Store::insert_parts(tx, [&extra])).expect("citygrid's own insert");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let logged: i64 = raw.query_row("SELECT count(*) FROM part_changes", [], |row| row.get(0)).expect("the log");
    assert_eq!(logged, 0, "citygrid's own write counts its parts itself and leaves no log");
    drop(raw);
    drop(store);

    // What QGIS does, through GDAL: add a lamp at the far part, move the first point there,
    // delete a line.
    let (first, line) = (
        parts.iter().find(|part| matches!(part.geometry, citygrid::model::PartGeometry::Point(_))).expect("a point"),
        parts.iter().find(|part| matches!(part.geometry, citygrid::model::PartGeometry::Line(_))).expect("a line"),
    );
    let far_code = far.code.to_string();
    for sql in [
        format!(
            "INSERT INTO part_points (geom, code, class_code, name, state, source) SELECT geom, '3410040118999002', '0118', 'QGIS', state, source FROM part_points WHERE code = '{far_code}'"
        ),
        format!("UPDATE part_points SET geom = (SELECT geom FROM part_points WHERE code = '{far_code}') WHERE code = '{}'", first.code),
        format!("DELETE FROM part_lines WHERE code = '{}'", line.code),
    ] {
        let output = std::process::Command::new("ogrinfo").arg(&path).args(["-sql", &sql]).output().expect("ogrinfo runs (gdal-bin)");
        assert!(output.status.success(), "ogrinfo -sql {sql}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let store = Store::open(&path).expect("opens and counts the edits");
    let now = store.load_parts().expect("parts");
    assert_eq!(now.len(), parts.len() + 1);
    assert_eq!(
        store.load_part_cells().expect("cells"),
        citygrid::spatial::part_cells::PartCells::from_parts(&now),
        "the counts follow the edits"
    );
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let logged: i64 = raw.query_row("SELECT count(*) FROM part_changes", [], |row| row.get(0)).expect("the log");
    assert_eq!(logged, 0, "the log was emptied");
}

#[test]
fn parts_are_read_by_box_and_by_code_as_the_whole_table_says() {
    use geo::BoundingRect as _;
    let (_dir, path, _) = common::small_demo(3_000, 10);
    let mut store = common::pg::chosen_store(&path);
    let all = store.load_parts().expect("parts");
    let bounds = |part: &citygrid::model::Part| -> geo::Rect<f64> {
        match &part.geometry {
            citygrid::model::PartGeometry::Point(point) => geo::Rect::new(point.0, point.0),
            citygrid::model::PartGeometry::Line(line) => line.bounding_rect().expect("a line has bounds"),
            citygrid::model::PartGeometry::Polygon(polygon) => polygon.bounding_rect().expect("a polygon has bounds"),
        }
    };
    // A box of about 300 m around the tenth part, and one around the whole table.
    let centre = citygrid::spatial::anchor_of(&all[10]);
    let boxes = [[centre.x() - 0.0015, centre.y() - 0.0015, centre.x() + 0.0015, centre.y() + 0.0015], [-180.0, -85.0, 180.0, 85.0]];
    for bbox in boxes {
        let [west, south, east, north] = bbox;
        let mut wanted: Vec<String> = all
            .iter()
            .filter(|part| {
                let rect = bounds(part);
                rect.max().x >= west && rect.min().x <= east && rect.max().y >= south && rect.min().y <= north
            })
            .map(|part| part.code.to_string())
            .collect();
        let mut found: Vec<String> = store.parts_in_box(bbox).expect("box").iter().map(|part| part.code.to_string()).collect();
        wanted.sort();
        found.sort();
        assert!(!wanted.is_empty(), "the box holds parts");
        assert_eq!(found, wanted, "the parts in {bbox:?}");
    }
    assert_eq!(store.parts_in_box(boxes[1]).expect("all").len(), all.len());
    let error = store.parts_in_box([118.4, 29.8, 118.3, 29.9]).expect_err("west of east is no box");
    assert!(error.to_string().contains("not a lon/lat box"), "{error}");

    for part in [&all[0], &all[all.len() / 2], all.last().expect("parts")] {
        assert_eq!(store.part_by_code(part.code).expect("read").as_ref(), Some(part), "{}", part.code);
    }
    let missing = citygrid::model::PartCode::parse("3410049999999999").expect("a code");
    assert_eq!(store.part_by_code(missing).expect("read"), None);

    // The search box's part search, as the whole table says.
    let codes = |found: &[citygrid::model::Part]| found.iter().map(|part| part.code).collect::<Vec<_>>();
    let serial = all[7].code.to_string()[10..].to_owned();
    let ending: Vec<_> = all.iter().filter(|part| part.code.to_string().ends_with(&serial)).map(|part| part.code).collect();
    let (found, total) = store.search_parts(&serial, 100).expect("by serial");
    assert_eq!((codes(&found), total), (ending.clone(), ending.len()), "parts ending {serial}");
    let prefix = all[7].code.to_string()[..8].to_owned();
    let starting = all.iter().filter(|part| part.code.to_string().starts_with(&prefix)).count();
    let (found, total) = store.search_parts(&prefix, 5).expect("by prefix");
    assert_eq!((found.len(), total), (5.min(starting), starting), "parts starting {prefix}");
    assert_eq!(store.search_parts(&all[3].code.to_string(), 25).expect("by code"), (vec![all[3].clone()], 1));
    assert_eq!(store.search_parts("0118", 25).expect("too few digits").1, 0, "four digits name no part");
    // Names as typed: a wildcard is a character like any other.
    let named = |code: &str, name: &str| {
        let mut part = citygrid::model::Part::bare(code.parse().expect("code"), all[0].geometry.clone());
        part.name = name.to_owned();
        part
    };
    let lamp = named("3410040118999001", "文峰路 100% 路灯");
    let other = named("3410040118999002", "文峰路路灯");
    store.write(|tx| Store::insert_parts(tx, [&lamp, &other])).expect("insert");
    let (found, total) = store.search_parts("文峰路", 25).expect("by name");
    assert_eq!((codes(&found), total), (vec![lamp.code, other.code], 2));
    let (found, total) = store.search_parts("100%", 25).expect("with a percent sign");
    assert_eq!((codes(&found), total), (vec![lamp.code], 1));
}

#[test]
fn the_command_manual_is_loaded_into_the_database_and_editable_there() {
    let (_dir, path, _) = common::small_demo(200, 5);
    let store = Store::open(&path).expect("open");
    let manual = store.load_manual().expect("manual");
    assert_eq!(manual, citygrid::model::CommandManual::embedded().expect("asset"));
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw");
    conn.execute("UPDATE manual_limits SET amount = 3 WHERE kind = 'part' AND code = '0118' AND urgency = 'normal'", []).expect("edit");
    drop(conn);
    let store = Store::open(&path).expect("reopen");
    let lamp = store.load_manual().expect("manual").entries.into_iter().find(|entry| entry.code == "0118").expect("street lamp");
    assert_eq!(lamp.limit_for(citygrid::model::Urgency::Normal).map(|limit| limit.amount), Some(3));
}

#[test]
fn a_database_made_by_schema_version_1_is_upgraded_and_keeps_its_cases() {
    use citygrid::store::{gpkg, schema};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("version1.gpkg");
    {
        let db = citygrid::store::Db::Lite(rusqlite::Connection::open(&path).expect("create"));
        let conn = db.lite().expect("a file");
        gpkg::register_functions(conn).expect("functions");
        conn.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = {};",
            gpkg::APPLICATION_ID,
            gpkg::GPKG_USER_VERSION
        ))
        .expect("GeoPackage marks");
        (schema::MIGRATIONS[0])(&db).expect("schema version 1");
        conn.execute("INSERT INTO citygrid_meta (key, value) VALUES ('schema_version', '1')", []).expect("version");
        let location = gpkg::blob_from_geometry(&geo::Geometry::Point(geo::point!(x: 118.3376, y: 29.8253)));
        conn.execute(
            "INSERT INTO cases (geom, case_no, source, subject, class_code, urgency, description, state, reported_at, dispatched_at, deadline_at)
             VALUES (?1, '202611250001', 'collector', 'part', '0118', 'normal', '路灯不亮', 'dispatched',
                     '2026-11-25T01:00:00.000Z', '2026-11-25T01:30:00.000Z', '2026-11-30T01:30:00.000Z')",
            [location],
        )
        .expect("a case as version 1 wrote it");
    }
    let store = Store::open(&path).expect("opens and upgrades");
    assert_eq!(store.schema_version().expect("version"), citygrid::store::schema::CURRENT_VERSION);
    let cases = store.load_cases().expect("cases");
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!((case.case_no.as_str(), case.revision, case.paused_minutes), ("202611250001", 1, 0));
    assert_eq!((case.limit_unit, case.pending_request, case.handled_at, case.paused_at), (None, None, None, None));
    let layers: Vec<String> = store.layer_counts().expect("layers").into_iter().map(|layer| layer.table).collect();
    for table in ["case_requests", "case_pauses", "backlog_ledger", "reporter_feedback", "cases"] {
        assert!(layers.iter().any(|layer| layer == table), "{table} is a GeoPackage layer: {layers:?}");
    }
    assert!(!layers.iter().any(|layer| layer == "case_events"), "the audit trail is no longer offered as a layer: {layers:?}");
    // A case written around citygrid before the trail was chained has no entry: verify says so.
    let report = store.verify_audit(None).expect("verify");
    assert!(report.breaks.is_empty() && report.missing_triggers.is_empty(), "{report:?}");
    assert_eq!(report.cases.len(), 1, "{report:?}");
    assert!(report.cases[0].problem.contains("no audit entry"), "{report:?}");
    drop(store);
    assert_eq!(
        Store::open(&path).expect("reopens").schema_version().expect("version"),
        citygrid::store::schema::CURRENT_VERSION,
        "an upgraded file opens as it is"
    );
}

/// A case number whose serial SQLite reads as the largest integer (20 digits, from an import or
/// a hand edit) makes the day's numbers used up, with a message: no overflow, no wrap-around to a
/// number that already exists.
#[test]
fn a_case_number_serial_past_the_largest_integer_is_an_error_not_a_wrap() {
    let (_dir, db, _) = common::small_demo(300, 5);
    let conn = citygrid::store::Db::Lite(rusqlite::Connection::open(&db).expect("open"));
    citygrid::store::gpkg::register_functions(conn.lite().expect("a file")).expect("GeoPackage functions");
    conn.execute("UPDATE cases SET case_no = '20261125' || '99999999999999999999' WHERE fid = (SELECT min(fid) FROM cases)", &[])
        .expect("a 20-digit serial");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("day");
    let error = Store::next_case_no(&conn, day).expect_err("no number after the largest");
    assert!(error.to_string().contains("used up"), "{error}");
    let other_day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("day");
    assert!(Store::next_case_no(&conn, other_day).expect("another day").starts_with("20261126"));
}
