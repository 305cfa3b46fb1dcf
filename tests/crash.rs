//! The crash harness: a child process commits workflow steps, an import or a schema migration
//! and prints what it committed; the test kills it with SIGKILL at a random moment, then checks
//! the file as the next seat would find it. After every kill:
//! - `PRAGMA integrity_check` is ok;
//! - every step the child printed is in the file;
//! - every case's revision is its number of audit entries and its row matches its last entry,
//!   and the hash chain links (`verify_audit`);
//! - an import is there whole or not at all, with its audit entry or without;
//! - a migration left the file at the old version or the new, never between.
//!
//! 200 trials per mode (`CITYGRID_CRASH_TRIALS` for more, e.g. 2000 in a release build).

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};
use rusqlite::Connection;

use citygrid::store::Store;

fn trials() -> usize {
    std::env::var("CITYGRID_CRASH_TRIALS").ok().and_then(|text| text.parse().ok()).unwrap_or(200)
}

/// The demo district every trial starts from (a fresh copy each time).
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let (dir, path, _) = common::small_demo(300, 200);
        (dir, path)
    });
    path
}

fn copy_of(source: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("city.gpkg");
    std::fs::copy(source, &path).expect("copy");
    path
}

/// Runs the child on `db`, kills it with SIGKILL after `delay` (unless it finished first);
/// returns what it printed and whether it was killed.
fn run_and_kill(db: &Path, args: &[&str], delay: Duration) -> (Vec<String>, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .arg("--db")
        .arg(db)
        .arg("crash-child")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let started = Instant::now();
    let mut killed = false;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() >= delay {
            child.kill().expect("SIGKILL");
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.wait().expect("reaped");
    let mut printed = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut printed).expect("read");
    (printed.lines().map(str::to_owned).collect(), killed)
}

fn integrity_ok(path: &Path) {
    // A read-write connection: it recovers the write-ahead log the killed child left.
    let conn = Connection::open(path).expect("open after the kill");
    let result: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check");
    assert_eq!(result, "ok");
}

fn intact(store: &Store, trial: usize) {
    let report = store.verify_audit(None).expect("verify");
    assert!(report.is_intact(), "trial {trial}: {report:?}");
}

#[test]
fn a_step_killed_at_any_moment_loses_no_committed_step_and_leaves_no_half() {
    let trials = trials();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let (mut killed, mut steps_seen) = (0, 0);
    for trial in 0..trials {
        let dir = tempfile::tempdir().expect("dir");
        let db = copy_of(template(), dir.path());
        let delay = Duration::from_millis(rng.random_range(20..400));
        let seed = trial.to_string();
        let (printed, was_killed) = run_and_kill(&db, &["--mode", "steps", "--seed", &seed], delay);
        killed += usize::from(was_killed);
        integrity_ok(&db);
        let store = Store::open(&db).expect("the next seat opens the file");
        for line in &printed {
            let mut words = line.split_whitespace().skip(1).map(|word| word.parse::<i64>().expect("a number"));
            let (case_id, revision) = (words.next().expect("case"), words.next().expect("revision"));
            let case = store.load_case(case_id).expect("reads").expect("the case");
            assert!(i64::from(case.revision) >= revision, "trial {trial}: {line} is in the file (revision {})", case.revision);
            steps_seen += 1;
        }
        intact(&store, trial);
    }
    println!("steps: {trials} trials, {killed} killed mid-run, {steps_seen} printed steps all found");
    assert!(killed * 10 >= trials * 9, "most trials are killed while writing ({killed} of {trials})");
    assert!(steps_seen > trials, "the children committed steps before they were killed");
}

/// A GeoJSON of `count` street lamps with new codes.
fn lamps(path: &Path, count: usize) {
    let features: Vec<serde_json::Value> = (0..count)
        .map(|index| {
            let x = 118.30 + (index % 100) as f64 * 0.0005;
            let y = 29.82 + (index / 100) as f64 * 0.0003;
            serde_json::json!({
                "type": "Feature",
                "properties": { "BJBM": format!("3410040118{:06}", 800_000 + index), "MC": format!("路灯{index}"), "ZT": "完好", "QSDW": "CGJ-LD" },
                "geometry": { "type": "Point", "coordinates": [x, y] },
            })
        })
        .collect();
    std::fs::write(path, serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string()).expect("write");
}

#[test]
fn an_import_killed_at_any_moment_is_all_there_or_not_at_all() {
    const LAMPS: usize = 20_000;
    let trials = trials();
    let files = tempfile::tempdir().expect("dir");
    let file = files.path().join("lamps.geojson");
    lamps(&file, LAMPS);
    let parts_before = Store::open(template()).expect("open").load_parts().expect("parts").len();
    // How long a whole import takes on this machine: the kills fall from 20 ms to twice that
    // (at least 400 ms), so some land before the commit and some after, however fast it runs.
    let took = {
        let dir = tempfile::tempdir().expect("dir");
        let db = copy_of(template(), dir.path());
        let started = std::time::Instant::now();
        let (printed, was_killed) =
            run_and_kill(&db, &["--mode", "import", "--file", file.to_str().expect("utf-8")], Duration::from_secs(120));
        assert!(!was_killed && !printed.is_empty(), "a whole import commits: {printed:?}");
        started.elapsed()
    };
    let longest = u64::try_from(took.as_millis() * 2).unwrap_or(u64::MAX).max(400);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let (mut whole, mut none, mut killed) = (0, 0, 0);
    for trial in 0..trials {
        let dir = tempfile::tempdir().expect("dir");
        let db = copy_of(template(), dir.path());
        let delay = Duration::from_millis(rng.random_range(20..longest));
        let (printed, was_killed) = run_and_kill(&db, &["--mode", "import", "--file", file.to_str().expect("utf-8")], delay);
        killed += usize::from(was_killed);
        integrity_ok(&db);
        let store = Store::open(&db).expect("opens");
        let parts = store.load_parts().expect("parts").len();
        let imports = store.admin_actions().expect("admin trail").iter().filter(|action| *action == "import").count();
        if parts == parts_before + LAMPS {
            whole += 1;
            assert_eq!(imports, 1, "trial {trial}: the import has its audit entry");
        } else {
            assert_eq!(parts, parts_before, "trial {trial}: all or nothing");
            assert_eq!(imports, 0, "trial {trial}: no entry for an import that is not there");
            assert!(printed.is_empty(), "trial {trial}: the child said it committed: {printed:?}");
            none += 1;
        }
        intact(&store, trial);
    }
    println!("import: {trials} trials, {killed} killed, {whole} whole, {none} not at all");
    assert!(whole > 0 && none > 0, "kills fell both before and after the commit ({whole} whole, {none} none)");
    assert!(killed * 3 >= trials, "many kills fall while the import runs ({killed} of {trials}, a whole import {took:?})");
}

/// A copy of `source` taken back to schema 3, as a file written before the hash chain.
fn at_schema_3(source: &Path, into: &Path) {
    std::fs::copy(source, into).expect("copy");
    let conn = Connection::open(into).expect("open");
    citygrid::store::gpkg::register_functions(&conn).expect("functions");
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'rtree_%'")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .expect("triggers");
    for name in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).expect("drop trigger");
    }
    conn.execute_batch(
        "DROP TABLE admin_events; DROP TABLE terminal_sessions; DROP TABLE terminal_requests;
         DROP TABLE exchange_outbox; DROP TABLE exchange_inbox;
         DROP TABLE case_links; DROP TABLE interface_clients; DROP TABLE class_code_map; DROP TABLE part_cells; DROP TABLE part_changes;
         ALTER TABLE units DROP COLUMN enforcement;
         ALTER TABLE cases DROP COLUMN address; ALTER TABLE cases DROP COLUMN signed_at; ALTER TABLE cases DROP COLUMN arrived_at;
         ALTER TABLE cases DROP COLUMN state_since; ALTER TABLE cases DROP COLUMN urge_count; ALTER TABLE cases DROP COLUMN supervised_at;
         ALTER TABLE cases DROP COLUMN assisting; ALTER TABLE reporter_feedback DROP COLUMN satisfaction;
         DELETE FROM stage_limits WHERE stage IN ('sign', 'arrive', 'return', 'reply');
         ALTER TABLE case_events DROP COLUMN hash; ALTER TABLE case_events DROP COLUMN prev_hash; ALTER TABLE case_events DROP COLUMN case_digest;
         ALTER TABLE users DROP COLUMN disabled_at; ALTER TABLE users DROP COLUMN must_change_password; ALTER TABLE users DROP COLUMN auth_epoch;
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('case_events', 'attributes', 'case_events', 'Audit trail of every case transition');
         UPDATE citygrid_meta SET value = '3' WHERE key = 'schema_version';
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .expect("back to schema 3");
}

#[test]
fn a_migration_killed_at_any_moment_leaves_the_old_version_or_the_new() {
    let trials = trials();
    let dir = tempfile::tempdir().expect("dir");
    let (_demo_dir, big, _) = common::small_demo(2_000, 1_500);
    let old = dir.path().join("schema3.gpkg");
    at_schema_3(&big, &old);
    let events_before: i64 =
        Connection::open(&old).expect("open").query_row("SELECT count(*) FROM case_events", [], |row| row.get(0)).expect("count");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let (mut old_left, mut new_left) = (0, 0);
    for trial in 0..trials {
        let trial_dir = tempfile::tempdir().expect("dir");
        let db = copy_of(&old, trial_dir.path());
        let delay = Duration::from_millis(rng.random_range(10..300));
        run_and_kill(&db, &["--mode", "migrate"], delay);
        integrity_ok(&db);
        let conn = Connection::open(&db).expect("open");
        let version: String =
            conn.query_row("SELECT value FROM citygrid_meta WHERE key = 'schema_version'", [], |row| row.get(0)).expect("version");
        let has_chain: i64 = conn
            .query_row("SELECT count(*) FROM pragma_table_info('case_events') WHERE name = 'hash'", [], |row| row.get(0))
            .expect("columns");
        let events: i64 = conn.query_row("SELECT count(*) FROM case_events", [], |row| row.get(0)).expect("count");
        assert_eq!(events, events_before, "trial {trial}: no audit entry lost");
        drop(conn);
        match version.as_str() {
            "3" => {
                assert_eq!(has_chain, 0, "trial {trial}: at version 3 the schema is the old one, untouched");
                old_left += 1;
            }
            // Each migration commits on its own: a kill may fall between any two from 4 on.
            newer if newer.parse::<u32>().is_ok_and(|version| (4..=citygrid::store::schema::CURRENT_VERSION).contains(&version)) => {
                assert_eq!(has_chain, 1, "trial {trial}");
                new_left += 1;
            }
            other => panic!("trial {trial}: version {other}"),
        }
        // Whichever it is, the next seat opens it (upgrading it if needed) and it verifies.
        let store = Store::open(&db).expect("opens");
        intact(&store, trial);
    }
    println!(
        "migration: {trials} trials, {old_left} left at schema 3, {new_left} at schema 4 to {}",
        citygrid::store::schema::CURRENT_VERSION
    );
    assert!(old_left > 0 && new_left > 0, "kills fell both before and after the upgrade ({old_left} old, {new_left} new)");
}

/// Two seats opening a schema-3 file at the same moment: one upgrades it, the other waits for
/// the lock, finds it done and opens it; one migration entry, and the trail verifies.
#[test]
fn two_seats_opening_an_old_file_at_once_both_open_it_and_it_is_upgraded_once() {
    let dir = tempfile::tempdir().expect("dir");
    let old = dir.path().join("schema3.gpkg");
    at_schema_3(template(), &old);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let seats: Vec<_> = (0..2)
        .map(|_| {
            let (path, barrier) = (old.clone(), std::sync::Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                Store::open(&path).map(|store| store.schema_version().expect("version")).map_err(|error| error.to_string())
            })
        })
        .collect();
    for seat in seats {
        assert_eq!(seat.join().expect("the seat finished"), Ok(citygrid::store::schema::CURRENT_VERSION));
    }
    let store = Store::open(&old).expect("open");
    let migrations = store.admin_actions().expect("trail").iter().filter(|action| *action == "migration").count();
    // Migrations 4 and 5 each write one entry: applied once each, not once per seat.
    assert_eq!(migrations, (citygrid::store::schema::CURRENT_VERSION - 3) as usize, "upgraded once");
    intact(&store, 0);
}
