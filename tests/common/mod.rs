//! Shared test helpers: a small demo database made fresh for each test.
#![allow(dead_code)]

pub mod browser;
pub mod pg;
pub mod serve;

use std::path::PathBuf;

use chrono::NaiveDateTime;
use citygrid::demo::{DemoOptions, DemoSummary, write_demo};

/// The fixed "now" of test databases: a Wednesday morning, 2026-11-25 09:30 China time.
pub fn as_of() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-25 09:30", "%Y-%m-%d %H:%M").expect("valid time")
}

/// A small demo district in a temporary directory (deleted with the returned guard).
pub fn small_demo(parts: usize, cases: usize) -> (tempfile::TempDir, PathBuf, DemoSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.gpkg");
    let options = DemoOptions { parts, cases, seed: 7, as_of: as_of() };
    let summary = write_demo(&path, &options, &mut |_| {}).expect("demo database");
    (dir, path, summary)
}

/// Runs `check` while the account `login` names no unit in the file at `path` (a unit operator
/// account written around citygrid), then gives it its unit back: the workflow judges the
/// account as the file has it, never as a seat describes it.
pub fn while_unbound<T>(path: &std::path::Path, login: &str, check: impl FnOnce() -> T) -> T {
    // The suite's server run edits the server's copy, as its owner.
    if let Some(url) = pg::moved_to(path) {
        let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("the owner connects");
        let unit: Option<i64> = owner.query_one("SELECT unit_id FROM users WHERE login = $1", &[&login]).expect("account").get(0);
        owner.execute("UPDATE users SET unit_id = NULL WHERE login = $1", &[&login]).expect("unbind");
        let result = check();
        owner.execute("UPDATE users SET unit_id = $2 WHERE login = $1", &[&login, &unit]).expect("bind again");
        return result;
    }
    let conn = rusqlite::Connection::open(path).expect("open the file directly");
    let unit: Option<i64> = conn.query_row("SELECT unit_id FROM users WHERE login = ?1", [login], |row| row.get(0)).expect("account");
    conn.execute("UPDATE users SET unit_id = NULL WHERE login = ?1", [login]).expect("unbind");
    let result = check();
    conn.execute("UPDATE users SET unit_id = ?2 WHERE login = ?1", rusqlite::params![login, unit]).expect("bind again");
    result
}

/// Files one reported case of the demo at `path` as `intake1` (a seat test that needs a filed
/// case does not depend on the demo's dice leaving one); returns its id.
#[allow(dead_code)]
pub fn file_one_case(path: &std::path::Path) -> i64 {
    let mut store = citygrid::store::Store::open(path).expect("opens");
    let workflow = citygrid::workflow::Workflow::load(&store).expect("workflow");
    let intake = store.load_users().expect("users").into_iter().find(|user| user.login == "intake1").expect("intake1");
    let case = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| case.state == citygrid::model::CaseState::Reported)
        .expect("the demo has a reported case");
    let action = citygrid::workflow::Action::File { note: String::new(), correction: None };
    workflow.apply(&mut store, &intake, case.id, case.revision, &action, as_of()).expect("filed").id
}
