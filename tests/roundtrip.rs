//! Round trips: what `citygrid export` writes, `citygrid import` reads back into a district that
//! lacks it as the same data — parts and jurisdictions through GeoJSON and GeoPackage, closed
//! cases through GeoJSON and CSV.

mod common;

use std::path::Path;
use std::process::Command;

use citygrid::io::export::{CsvHeader, ExportWhat, Names, Selection, Sources, export, layers_for};
use citygrid::model::{CaseState, Part};
use citygrid::store::Store;

const AS_OF: &str = "2026-11-25 09:30";

fn citygrid(db: &Path, args: &[&str]) {
    // Imports are made by the demo's administrator.
    let acting: &[&str] = if args.first() == Some(&"import") { &["--as", "admin"] } else { &[] };
    let output = Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
        .arg("--db")
        .arg(db)
        .args(args)
        .args(acting)
        .output()
        .expect("citygrid runs");
    assert!(
        output.status.success(),
        "citygrid {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A copy of `source` with the given feature tables emptied (the R-tree triggers need the
/// GeoPackage functions on the connection).
fn emptied_copy(source: &Path, into: &Path, tables: &[&str]) {
    std::fs::copy(source, into).expect("copy");
    let conn = rusqlite::Connection::open(into).expect("open");
    citygrid::store::gpkg::register_functions(&conn).expect("functions");
    for table in tables {
        conn.execute(&format!("DELETE FROM {table}"), []).expect("delete");
    }
}

/// A part as the comparison sees it: everything but where the record came from.
fn comparable(part: &Part) -> String {
    let mut part = part.clone();
    part.source = citygrid::model::part::PartSource::Import;
    format!("{part:?}")
}

fn sorted_parts(db: &Path) -> Vec<String> {
    let mut parts: Vec<(String, String)> =
        Store::open(db).expect("open").load_parts().expect("parts").iter().map(|part| (part.code.to_string(), comparable(part))).collect();
    parts.sort();
    parts.into_iter().map(|(_, text)| text).collect()
}

/// Equal lists, or the first difference.
fn same(found: &[String], expected: &[String], what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}: count");
    if let Some((found, expected)) = found.iter().zip(expected).find(|(found, expected)| found != expected) {
        panic!("{what}:\n found    {found}\n expected {expected}");
    }
}

#[test]
fn parts_come_back_the_same_through_geojson_and_geopackage() {
    let (dir, db, _) = common::small_demo(2_500, 0);
    let original = sorted_parts(&db);
    assert!(original.len() > 2_000, "{} parts", original.len());

    let geojson = dir.path().join("parts.geojson");
    citygrid(&db, &["export", "--layer", "parts", "--out", geojson.to_str().expect("path"), "--now", AS_OF]);
    let gpkg = dir.path().join("parts.gpkg");
    citygrid(&db, &["export", "--layer", "parts", "--out", gpkg.to_str().expect("path"), "--now", AS_OF]);

    let from_geojson = dir.path().join("from_geojson.gpkg");
    emptied_copy(&db, &from_geojson, &["part_points", "part_lines", "part_polygons"]);
    citygrid(&from_geojson, &["import", "--target", "parts", "--on-issue", "stop", geojson.to_str().expect("path")]);
    same(&sorted_parts(&from_geojson), &original, "GeoJSON round trip");

    let from_gpkg = dir.path().join("from_gpkg.gpkg");
    emptied_copy(&db, &from_gpkg, &["part_points", "part_lines", "part_polygons"]);
    for layer in ["part_points", "part_lines", "part_polygons"] {
        citygrid(&from_gpkg, &["import", "--target", "parts", "--layer", layer, "--on-issue", "stop", gpkg.to_str().expect("path")]);
    }
    same(&sorted_parts(&from_gpkg), &original, "GeoPackage round trip");
}

#[test]
fn jurisdictions_come_back_the_same_through_geojson() {
    let (dir, db, _) = common::small_demo(300, 0);
    let load = |db: &Path| {
        let mut all: Vec<String> = Store::open(db)
            .expect("open")
            .load_jurisdictions()
            .expect("jurisdictions")
            .into_iter()
            .map(|mut jurisdiction| {
                jurisdiction.id = 0;
                jurisdiction.source = String::new();
                format!("{jurisdiction:?}")
            })
            .collect();
        all.sort();
        all
    };
    let original = load(&db);
    let geojson = dir.path().join("jurisdictions.geojson");
    citygrid(&db, &["export", "--layer", "jurisdictions", "--out", geojson.to_str().expect("path"), "--now", AS_OF]);
    let target = dir.path().join("target.gpkg");
    emptied_copy(&db, &target, &["jurisdictions"]);
    citygrid(&target, &["import", "--target", "jurisdictions", "--on-issue", "stop", geojson.to_str().expect("path")]);
    same(&load(&target), &original, "GeoJSON round trip");
}

#[test]
fn closed_cases_come_back_with_their_number_class_place_and_times_through_geojson_and_csv() {
    let (dir, db, _) = common::small_demo(300, 400);
    let (world, book) = citygrid::session::load_everything(&db, common::as_of()).expect("loads");
    let closed: Vec<_> = (0..book.len())
        .filter_map(|position| Some((book.get(position)?, book.status(position)?)))
        .filter(|(case, _)| case.state == CaseState::Closed)
        .collect();
    assert!(closed.len() > 20, "{} closed demo cases", closed.len());
    let key = |case: &citygrid::model::Case| {
        format!(
            "{} {} {} {:?} {:?} {:?} {:?} {:.9} {:.9}",
            case.case_no,
            case.class_code,
            case.state.label_en(),
            case.subject,
            case.source,
            case.reported_at,
            case.closed_at,
            case.location.x(),
            case.location.y()
        )
    };
    let mut expected: Vec<String> = closed.iter().map(|(case, _)| key(case)).collect();
    expected.sort();
    let names = Names::new(&world.units, &world.manual);
    for file in ["closed.geojson", "closed.csv"] {
        let out = dir.path().join(file);
        let sources =
            Sources { parts: &world.parts.read_all().expect("parts"), jurisdictions: &world.jurisdictions, cases: closed.clone() };
        let format = citygrid::io::export::ExportFormat::from_path(&out).expect("format");
        let layers = layers_for(sources, ExportWhat::Cases, &Selection::default(), format, &names);
        export(&out, layers, CsvHeader::Names, &mut |_| true).expect("export");

        let (_empty_dir, empty, _) = common::small_demo(300, 0);
        citygrid(&empty, &["import", "--target", "cases", "--on-issue", "stop", out.to_str().expect("path")]);
        let mut imported: Vec<String> = Store::open(&empty).expect("open").load_cases().expect("cases").iter().map(key).collect();
        imported.sort();
        same(&imported, &expected, file);
    }
}
