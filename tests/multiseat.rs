//! Several seats on one database file: four desk processes take steps as fast as they can while
//! the wall watches. No step is lost, nobody sees "database is locked", every step has its audit
//! entry, and the wall ends up showing exactly what the file holds. The suite runs on the server
//! too (`CITYGRID_TEST_STORE=server`), each seat and the wall with its own login.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use citygrid::app::{harness_at, wait_until_loaded};
use citygrid::desk::sim::SeatReport;
use citygrid::store::Store;
use citygrid::ui::Lang;

fn audit_entries(store: &Store) -> usize {
    store.load_cases().expect("cases").iter().map(|case| store.case_events(case.id).expect("audit").len()).sum()
}

#[test]
fn four_seats_and_the_wall_on_one_file_lose_nothing() {
    let (_dir, path, _) = common::small_demo(2_000, 300);
    let store = Store::open(&path).expect("opens");
    let before = audit_entries(&store);
    let busiest_unit = {
        let cases = store.load_cases().expect("cases");
        let mut counts = std::collections::HashMap::new();
        for case in cases.iter().filter(|case| case.state == citygrid::model::CaseState::Dispatched) {
            *counts.entry(case.unit.expect("dispatched to a unit")).or_insert(0) += 1;
        }
        counts.into_iter().max_by_key(|(unit, count)| (*count, std::cmp::Reverse(unit.0))).expect("dispatched cases").0
    };
    let units = store.load_units().expect("units");
    let unit_code = &units.iter().find(|unit| unit.id == busiest_unit).expect("unit").code;
    let unit_login = format!("unit_{}", unit_code.to_lowercase().replace('-', "_"));
    drop(store);

    // On a server the wall reads as its viewer account, and each seat as its own login.
    let location = common::pg::chosen_location(&path);
    let wall_account = citygrid::store::pg::ServerAccount { login: "wall1".into(), password: citygrid::demo::DEMO_PASSWORD.into() };
    let mut wall = harness_at(location.with_account(wall_account), None, [1920, 1080], Lang::Zh, Some(common::as_of()));
    wall.state_mut().set_wall(false);
    wait_until_loaded(&mut wall, Duration::from_secs(120)).expect("the wall loads");

    // Two dispatchers competing for the same cases, the shift leader, and a unit's operator.
    let seats = ["dispatch1", "dispatch1", "leader1", unit_login.as_str()];
    let children: Vec<_> = seats
        .iter()
        .enumerate()
        .map(|(index, login)| {
            Command::new(env!("CARGO_BIN_EXE_citygrid"))
                .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
                .arg("--db")
                .arg(common::pg::db_arg(&location))
                .args(["seat-sim", "--login", login, "--steps", "40", "--seed", &index.to_string(), "--now", "2026-11-25 10:00"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("a seat starts")
        })
        .collect();
    // The wall keeps drawing while they work.
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        wall.step();
        std::thread::sleep(Duration::from_millis(30));
    }
    let reports: Vec<SeatReport> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().expect("the seat finishes");
            assert!(output.status.success(), "a seat failed: {}", String::from_utf8_lossy(&output.stderr));
            serde_json::from_slice(&output.stdout).expect("a JSON report")
        })
        .collect();
    let applied: usize = reports.iter().map(|report| report.applied).sum();
    for report in &reports {
        assert_eq!(report.locked, 0, "nobody sees 'database is locked': {report:?}");
        assert!(report.errors.is_empty(), "{report:?}");
    }
    assert!(applied >= 30, "the seats got work done: {reports:?}");

    let store = common::pg::reopen(&path);
    assert_eq!(audit_entries(&store), before + applied, "every step has exactly one audit entry: {reports:?}");
    let cases = store.load_cases().expect("cases");
    for case in &cases {
        let events = store.case_events(case.id).expect("audit").len();
        assert_eq!(case.revision as usize, events, "case {}: no update lost (revision = audit entries)", case.case_no);
    }
    // Within 2 s the wall shows exactly what the file holds.
    let started = Instant::now();
    loop {
        wall.step();
        let book = wall.state().cases();
        let same = cases.iter().all(|case| {
            book.position_of(case.id)
                .and_then(|position| book.get(position))
                .is_some_and(|seen| seen.revision == case.revision && seen.state == case.state)
        });
        if same {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "the wall did not catch up within 2 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}
