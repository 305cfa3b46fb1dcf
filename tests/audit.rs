//! The tamper-evident audit trail: raw SQL cannot change it, and `citygrid audit verify` names
//! what was changed around citygrid (triggers dropped, an entry rewritten or deleted, a case row
//! edited in sqlite or GDAL).

mod common;

use std::path::Path;
use std::process::Command;

use citygrid::store::{BreakKind, Store};
use rusqlite::Connection;

/// A connection that is not citygrid's: what someone with sqlite3 (plus the GeoPackage SQL
/// functions GDAL and QGIS bring) does to the file.
fn outsider(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open the file directly");
    citygrid::store::gpkg::register_functions(&conn).expect("GeoPackage functions, as GDAL has them");
    conn
}

fn drop_triggers(conn: &Connection) {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND (tbl_name LIKE '%_events' OR name = 'cases_never_deleted')")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .expect("trigger names");
    assert!(names.len() >= 7, "the trail has its triggers: {names:?}");
    for name in names {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).expect("an outsider drops a trigger");
    }
}

fn verify(path: &Path) -> citygrid::store::AuditReport {
    Store::open_read_only(path).expect("open read-only").verify_audit(None).expect("verify")
}

fn citygrid(path: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_citygrid")).arg("--db").arg(path).args(args).output().expect("citygrid runs")
}

#[test]
fn a_fresh_district_verifies_intact_and_the_command_says_so() {
    let (_dir, path, _) = common::small_demo(2_000, 80);
    let report = verify(&path);
    assert!(report.is_intact(), "{report:?}");
    assert!(report.case_entries > 80, "every step of every case is in the chain");
    assert!(report.admin_entries >= 1, "the migration is in the administrative chain");
    let output = citygrid(&path, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("intact") && stdout.contains(&report.case_head), "{stdout}");
}

#[test]
fn raw_sql_cannot_update_or_delete_the_trail_or_a_case_or_append_an_unlinked_entry() {
    let (_dir, path, _) = common::small_demo(2_000, 40);
    let conn = outsider(&path);
    let before: i64 = conn.query_row("SELECT count(*) FROM case_events", [], |row| row.get(0)).expect("count");
    for (sql, says) in [
        ("UPDATE case_events SET actor_user_id = 1 WHERE id = 3", "cannot be changed"),
        ("DELETE FROM case_events WHERE id = 3", "cannot be deleted"),
        ("UPDATE admin_events SET actor_user_id = 1", "cannot be changed"),
        ("DELETE FROM admin_events", "cannot be deleted"),
        ("DELETE FROM cases WHERE fid = 2", "never deleted"),
        (
            "INSERT INTO case_events (case_fid, at, action, to_state, data) VALUES (2, '2026-11-25T01:00:00Z', 'close', 'closed', '{}')",
            "must follow the newest one",
        ),
        (
            "INSERT INTO case_events (case_fid, at, action, to_state, prev_hash, hash)
             VALUES (2, '2026-11-25T01:00:00Z', 'close', 'closed', 'x', '0000000000000000000000000000000000000000000000000000000000000000')",
            "must follow the newest one",
        ),
    ] {
        let error = conn.execute_batch(sql).expect_err(sql).to_string();
        assert!(error.contains(says), "{sql}: {error}");
    }
    let after: i64 = conn.query_row("SELECT count(*) FROM case_events", [], |row| row.get(0)).expect("count");
    assert_eq!(before, after);
    drop(conn);
    assert!(verify(&path).is_intact());
}

#[test]
fn an_entry_rewritten_with_the_triggers_dropped_is_named_with_the_missing_triggers() {
    let (_dir, path, _) = common::small_demo(2_000, 40);
    let conn = outsider(&path);
    drop_triggers(&conn);
    // Someone moves the time of a step back, to make a late case on time.
    conn.execute("UPDATE case_events SET at = '2026-01-01T00:00:00Z' WHERE id = 17", []).expect("rewrite");
    drop(conn);
    let report = verify(&path);
    assert_eq!(report.breaks.first().map(|found| (found.id, found.problem)), Some((17, BreakKind::Rewritten)), "{report:?}");
    assert_eq!(report.missing_triggers.len(), 7);
    let output = citygrid(&path, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("case_events entry 17") && stdout.contains("rewritten"), "{stdout}");
    assert!(stdout.contains("MISSING trigger case_events_append_only_update"), "{stdout}");
}

#[test]
fn a_deleted_middle_entry_breaks_the_link_of_the_next_and_its_case() {
    let (_dir, path, _) = common::small_demo(2_000, 40);
    let conn = outsider(&path);
    let case_fid: i64 = conn.query_row("SELECT case_fid FROM case_events WHERE id = 30", [], |row| row.get(0)).expect("case");
    let next: i64 = conn.query_row("SELECT min(id) FROM case_events WHERE id > 30", [], |row| row.get(0)).expect("next");
    drop_triggers(&conn);
    conn.execute("DELETE FROM case_events WHERE id = 30", []).expect("delete");
    drop(conn);
    let report = verify(&path);
    assert_eq!(report.breaks.first().map(|found| (found.id, found.problem)), Some((next, BreakKind::Unlinked)), "{report:?}");
    assert!(report.cases.iter().any(|mismatch| mismatch.case_id == case_fid && mismatch.problem.contains("audit entries")), "{report:?}");
}

#[test]
fn a_case_row_edited_without_a_step_is_reported_and_so_is_a_truncated_chain_against_its_head() {
    let (_dir, path, _) = common::small_demo(2_000, 40);
    let head = verify(&path).case_head;
    let conn = outsider(&path);
    // Give a case to another unit without a step: a way to move blame.
    let (fid, unit): (i64, i64) = conn
        .query_row("SELECT fid, unit_id FROM cases WHERE unit_id IS NOT NULL ORDER BY fid LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .expect("a dispatched case");
    let other: i64 = conn.query_row("SELECT id FROM units WHERE id <> ?1 LIMIT 1", [unit], |row| row.get(0)).expect("another unit");
    conn.execute("UPDATE cases SET unit_id = ?2 WHERE fid = ?1", [fid, other]).expect("edit");
    // And drop the newest entry (the chain itself still links).
    drop_triggers(&conn);
    conn.execute("DELETE FROM case_events WHERE id = (SELECT max(id) FROM case_events)", []).expect("truncate");
    drop(conn);
    let report = Store::open_read_only(&path).expect("open").verify_audit(Some(&head)).expect("verify");
    assert!(report.breaks.is_empty(), "a truncation leaves every remaining link intact: {report:?}");
    assert!(
        report.cases.iter().any(|mismatch| mismatch.case_id == fid && mismatch.problem.contains("changed after its last audit entry")),
        "{report:?}"
    );
    assert_eq!(report.expected_head_missing.as_deref(), Some(head.as_str()));
    let output = citygrid(&path, &["audit", "verify", "--expect-head", &head]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("REWRITTEN"), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn an_edit_through_gdal_is_reported() {
    let (_dir, path, _) = common::small_demo(2_000, 40);
    let fid: i64 = outsider(&path)
        .query_row("SELECT fid FROM cases WHERE state <> 'closed' AND deadline_at IS NOT NULL ORDER BY fid LIMIT 1", [], |row| row.get(0))
        .expect("an open case with a deadline");
    // A later deadline: the kind of edit that turns a late case into an on-time one.
    let sql = format!("UPDATE cases SET deadline_at = '2030-01-01T00:00:00Z' WHERE fid = {fid}");
    let output = Command::new("ogrinfo").arg(&path).args(["-sql", &sql]).output().expect("ogrinfo runs (gdal-bin)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let changed: String =
        outsider(&path).query_row("SELECT deadline_at FROM cases WHERE fid = ?1", [fid], |row| row.get(0)).expect("read back");
    assert!(changed.starts_with("2030"), "GDAL wrote the edit: {changed}");
    let report = verify(&path);
    assert!(report.cases.iter().any(|mismatch| mismatch.case_id == fid), "{report:?}");
    // GDAL cannot rewrite the trail itself: the triggers refuse it.
    let output = Command::new("ogrinfo").arg(&path).args(["-sql", "DELETE FROM case_events WHERE id = 1"]).output().expect("ogrinfo");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(said.contains("cannot be deleted"), "{said}");
    assert_eq!(verify(&path).case_entries, report.case_entries);
}
