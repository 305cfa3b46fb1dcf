//! The demo district: deterministic, realistic in its mix, and where it should be.

mod common;

use citygrid::model::{JurisdictionKind, PartGeometry};
use citygrid::store::Store;

#[test]
fn the_same_seed_and_time_give_the_same_district() {
    let (_a, first, _) = common::small_demo(3_000, 50);
    let (_b, second, _) = common::small_demo(3_000, 50);
    let load = |path| {
        let store = Store::open(path).expect("open");
        (store.load_parts().expect("parts"), store.load_cases().expect("cases"), store.load_jurisdictions().expect("jurisdictions"))
    };
    let (parts_a, cases_a, jurisdictions_a) = load(&first);
    let (parts_b, cases_b, jurisdictions_b) = load(&second);
    assert_eq!(parts_a, parts_b);
    assert_eq!(cases_a, cases_b);
    assert_eq!(jurisdictions_a, jurisdictions_b);
}

#[test]
fn the_demo_has_the_district_its_townships_communities_and_a_unit_grid() {
    let (_dir, path, summary) = common::small_demo(5_000, 20);
    let store = Store::open(&path).expect("open");
    let jurisdictions = store.load_jurisdictions().expect("jurisdictions");
    let of_kind = |kind| jurisdictions.iter().filter(|j| j.kind == kind).collect::<Vec<_>>();
    let districts = of_kind(JurisdictionKind::District);
    assert_eq!(districts.len(), 7, "the seven county-level units of 黄山市");
    assert!(districts.iter().any(|d| d.code == "341004" && d.name == "徽州区"));
    let townships = of_kind(JurisdictionKind::Township);
    let names: Vec<&str> = townships.iter().map(|t| t.name.as_str()).collect();
    for name in ["岩寺镇", "西溪南镇", "潜口镇", "呈坎镇", "洽舍乡", "杨村乡", "富溪乡"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(townships.iter().all(|t| t.source.contains("合成")), "township shapes say they are synthetic");
    assert!(of_kind(JurisdictionKind::Community).iter().any(|c| c.name == "龙井社区居委会"));
    let cells = of_kind(JurisdictionKind::GridCell);
    assert_eq!(cells.len(), summary.grid_cells);
    assert!(cells.len() > 1_000, "a unit grid over the urban core: {}", cells.len());
    assert!(
        cells.iter().all(|cell| cell.code.len() == 15 && cell.code.starts_with("341004100")),
        "grid codes: county+township+community+serial"
    );
    // About 10,000 m² each: whole cells are exactly that, boundary cells smaller.
    use geo::GeodesicArea;
    let whole = cells.iter().filter(|cell| (cell.geometry.geodesic_area_unsigned() - 10_000.0).abs() < 150.0).count();
    assert!(whole * 2 > cells.len(), "most cells are whole 100 m squares: {whole} of {}", cells.len());
    assert!(!of_kind(JurisdictionKind::UnitZone).is_empty());
}

#[test]
fn parts_are_mostly_points_then_lines_then_polygons_and_have_valid_codes() {
    let (_dir, path, _) = common::small_demo(20_000, 10);
    let parts = Store::open(&path).expect("open").load_parts().expect("parts");
    assert_eq!(parts.len(), 20_000);
    let points = parts.iter().filter(|p| matches!(p.geometry, PartGeometry::Point(_))).count() as f64;
    let lines = parts.iter().filter(|p| matches!(p.geometry, PartGeometry::Line(_))).count() as f64;
    let polygons = parts.iter().filter(|p| matches!(p.geometry, PartGeometry::Polygon(_))).count() as f64;
    let total = parts.len() as f64;
    assert!((0.5..0.7).contains(&(points / total)), "points {points}");
    assert!((0.25..0.45).contains(&(lines / total)), "lines {lines}");
    assert!((0.02..0.1).contains(&(polygons / total)), "polygons {polygons}");
    let manual = citygrid::model::CommandManual::embedded().expect("manual");
    for part in &parts {
        assert_eq!(part.code.county(), 341_004);
        let entry = manual.entry(citygrid::model::ItemKind::Part, &part.code.class_code()).expect("every class is in the manual");
        assert_eq!(entry.geometry, Some(part.geometry.kind()), "class {} has the manual's geometry", entry.code);
    }
    // Street lamps stand 30–40 m apart along a side.
    let lamps = parts.iter().filter(|p| p.code.class_code() == "0118").count();
    assert!(lamps > 100, "lamps {lamps}");
    assert!(parts.iter().filter(|p| p.grid_code.is_some()).count() as f64 > total * 0.5, "parts in the core are geocoded to a cell");
}

#[test]
fn a_demo_is_not_written_over_an_existing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.gpkg");
    std::fs::write(&path, b"mine").expect("write");
    let options = citygrid::demo::DemoOptions { parts: 10, cases: 1, seed: 1, as_of: common::as_of() };
    let error = citygrid::demo::write_demo(&path, &options, &mut |_| {}).expect_err("refused");
    assert!(error.to_string().contains("already exists"), "{error}");
    assert_eq!(std::fs::read(&path).expect("read"), b"mine");
}

#[test]
fn a_demo_build_killed_midway_leaves_no_half_made_database_and_the_next_run_succeeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.gpkg");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .args(["demo", "--parts", "1000000", "--out"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start citygrid demo");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    child.kill().expect("kill the demo build");
    child.wait().expect("reap");
    assert!(!path.exists(), "no database appears at the target path until it is complete");
    let options = citygrid::demo::DemoOptions { parts: 500, cases: 5, seed: 3, as_of: common::as_of() };
    citygrid::demo::write_demo(&path, &options, &mut |_| {}).expect("a new build over the leftovers succeeds");
    assert_eq!(Store::open(&path).expect("open").load_parts().expect("parts").len(), 500);
}

/// `citygrid init` starts a real district: its boundary, the reference data, one administrator
/// with the password given (no default, no forced change), an intact audit trail; a mistake
/// leaves no file.
#[test]
fn init_starts_an_empty_real_district_with_one_administrator() {
    use citygrid::demo::{InitOptions, init_district};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("tunxi.gpkg");
    let options = |code: &str, password: &str| InitOptions {
        district_code: code.into(),
        admin_login: "gis_admin".into(),
        admin_name: "信息科 管理员".into(),
        admin_password: password.into(),
    };
    let short = init_district(&path, &options("341002", "short")).expect_err("too short");
    assert!(short.to_string().contains("at least 8"), "{short}");
    let unknown = init_district(&path, &options("110101", "a long password")).expect_err("unknown");
    assert!(unknown.to_string().contains("341002 屯溪区"), "names the known districts: {unknown}");
    assert!(!path.exists(), "a refused init leaves no file");
    let summary = init_district(&path, &options("341002", "a long password")).expect("init");
    assert_eq!((summary.district_code.as_str(), summary.district_name.as_str()), ("341002", "屯溪区"));
    let store = Store::open(&path).expect("opens");
    let admin = store.authenticate("gis_admin", "a long password").expect("the administrator signs in");
    assert!(!admin.must_change_password, "the password was chosen at creation");
    assert!(store.authenticate("admin", citygrid::demo::DEMO_PASSWORD).is_err(), "no demo account, no demo password");
    assert_eq!(store.load_users().expect("users").len(), 1);
    let jurisdictions = store.load_jurisdictions().expect("jurisdictions");
    assert_eq!(jurisdictions.len(), 1);
    assert_eq!(jurisdictions[0].code, "341002");
    assert!(store.load_cases().expect("cases").is_empty() && store.load_parts().expect("parts").is_empty());
    assert!(store.verify_audit(None).expect("verify").is_intact());
    assert_eq!(store.meta("demo").expect("meta"), None, "not the demo: the sign-in screen shows no shared password");
    assert!(matches!(init_district(&path, &options("341002", "a long password")), Err(citygrid::demo::DemoError::Exists(_))));
}

/// Issue 16, item 7: a unit-grid code is its community's 12-digit code and a 3-digit serial
/// (GB/T 30428.1), unique; the serial used to be clamped at 999, so two cells could share one
/// (now a community with more cells is an error, not a duplicate).
#[test]
fn every_grid_cell_has_its_own_fifteen_digit_code_under_its_community() {
    let (_dir, path, _) = common::small_demo(300, 0);
    let jurisdictions = Store::open(&path).expect("open").load_jurisdictions().expect("jurisdictions");
    let cells: Vec<_> = jurisdictions.iter().filter(|j| j.kind == JurisdictionKind::GridCell).collect();
    assert!(cells.len() > 1_000);
    let mut codes = std::collections::HashSet::new();
    for cell in &cells {
        assert!(codes.insert(cell.code.clone()), "grid code {} is used twice", cell.code);
        assert!(cell.code.len() == 15 && cell.code.bytes().all(|b| b.is_ascii_digit()), "{}", cell.code);
        let parent = cell.parent_code.as_deref().expect("a community");
        assert_eq!(parent.len(), 12, "{parent}");
        assert!(cell.code.starts_with(parent) && &cell.code[12..] != "000", "{} under {parent}", cell.code);
    }
}

/// The demo's planned steps all pass the workflow's rules, whatever its "now": a refused step
/// would cut a case's story short (a handling report planned before the signing once did, on a
/// Saturday demo with an emergency class).
#[test]
fn every_planned_demo_step_passes_the_rules() {
    let at = |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time");
    let dir = tempfile::tempdir().expect("temp dir");
    let runs = [
        (100_000, 1, "2026-12-07 10:00"),
        (5_000, 1, "2026-12-05 11:00"),
        (5_000, 2, "2026-10-08 08:05"),
        (5_000, 3, "2026-11-25 09:30"),
        (5_000, 4, "2026-12-31 17:55"),
    ];
    for (index, (parts, seed, as_of)) in runs.into_iter().enumerate() {
        let path = dir.path().join(format!("demo{index}.gpkg"));
        let options = citygrid::demo::DemoOptions { parts, cases: 300, seed, as_of: at(as_of) };
        let summary = citygrid::demo::write_demo(&path, &options, &mut |_| {}).expect("demo");
        assert_eq!(summary.steps_refused, 0, "{parts} parts, seed {seed}, as of {as_of}");
        if index == 0 {
            // The desk has something in each of issue 16's queues to show.
            let cases = citygrid::store::Store::open(&path).expect("opens").load_cases().expect("cases");
            assert!(cases.iter().any(|case| !case.assisting.is_empty()), "a case with an assisting unit");
            assert!(cases.iter().any(citygrid::model::Case::owes_reply), "a reporter owed a reply");
            assert!(cases.iter().any(|case| case.replied_at.is_some()), "a reporter told");
        }
    }
}
