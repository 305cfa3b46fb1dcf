//! The district on a real PostgreSQL + PostGIS server (a private cluster the test command
//! starts): `citygrid migrate` moves a GeoPackage district onto it with its audit chain, the
//! server keeps the trail append-only whoever connects, and GDAL (as QGIS does) opens the layers.

mod common;

use std::process::Command;

use citygrid::store::Store;

fn migrate(from: &std::path::Path, to: &str, login: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .args(["migrate", "--from"])
        .arg(from)
        .args(["--to", to, "--as", login])
        .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
        .output()
        .expect("citygrid runs")
}

fn count(client: &mut postgres::Client, table: &str) -> i64 {
    client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).expect("counts").get(0)
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("reads the file")
}

#[test]
fn a_district_moves_onto_postgis_with_its_audit_chain_and_the_file_stays_as_it_was() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, _) = common::pg::fresh_database();
    let before = file_bytes(&path);
    let store = Store::open(&path).expect("opens");
    let audit = store.verify_audit(None).expect("verifies");
    let cases = store.load_cases().expect("cases").len();
    drop(store);

    // Only an administrator of the file may move it.
    let refused = migrate(&path, &url, "dispatch1");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("administrator"), "{}", String::from_utf8_lossy(&refused.stderr));

    let output = migrate(&path, &url, "admin");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}{}", printed, String::from_utf8_lossy(&output.stderr));
    assert!(printed.contains(&audit.case_head), "the server's chain ends where the file's does: {printed}");
    assert_eq!(file_bytes(&path), before, "the file is left as it was");

    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    assert_eq!(count(&mut client, "cases"), i64::try_from(cases).expect("fits"));
    assert_eq!(count(&mut client, "case_events"), i64::try_from(audit.case_entries).expect("fits"));
    assert_eq!(count(&mut client, "admin_events"), i64::try_from(audit.admin_entries + 1).expect("fits"), "the move is recorded");
    let mover: String = client
        .query_one("SELECT u.login FROM admin_events e JOIN users u ON u.id = e.actor_user_id ORDER BY e.id DESC LIMIT 1", &[])
        .expect("the last administrative entry")
        .get(0);
    assert_eq!(mover, "admin");
    // Geometry in EPSG:4326, where the file has it.
    let srid: i32 = client.query_one("SELECT DISTINCT ST_SRID(geom) FROM cases", &[]).expect("srid").get(0);
    assert_eq!(srid, 4326);
    let first =
        Store::open_read_only(&path).expect("opens").load_cases().expect("cases").into_iter().min_by_key(|case| case.id).expect("a case");
    let (lon, lat): (f64, f64) = client
        .query_one("SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE fid = $1", &[&first.id])
        .map(|row| (row.get(0), row.get(1)))
        .expect("the case");
    assert!((lon - first.location.x()).abs() < 1e-12 && (lat - first.location.y()).abs() < 1e-12);
    // A new case continues after the moved ones.
    let next: i64 = client.query_one("SELECT nextval(pg_get_serial_sequence('cases', 'fid'))", &[]).expect("sequence").get(0);
    assert!(next > first.id && next > i64::try_from(cases).expect("fits"));

    // The server keeps the trail append-only and cases undeletable, whoever asks.
    for (sql, says) in [
        ("UPDATE case_events SET action = 'close' WHERE id = 1", "audit trail"),
        ("DELETE FROM case_events WHERE id = 1", "audit trail"),
        ("TRUNCATE case_events CASCADE", "audit trail"),
        ("DELETE FROM cases WHERE fid = 1", "cannot be deleted"),
        (
            "INSERT INTO case_events (id, case_fid, at, action, to_state, prev_hash, hash) VALUES (999999, 1, 'x', 'close', 'closed', 'forged', 'forged')",
            "does not link",
        ),
    ] {
        let error = client.batch_execute(sql).expect_err(sql);
        let message = error.as_db_error().map(|db| db.message().to_owned()).unwrap_or_default();
        assert!(message.contains(says), "{sql}: {message}");
    }

    // A second move into the same database is refused and changes nothing.
    let again = migrate(&path, &url, "admin");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a district"), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(count(&mut client, "admin_events"), i64::try_from(audit.admin_entries + 1).expect("fits"));
}

#[test]
fn gdal_lists_the_server_layers_with_their_geometry_and_counts() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, _) = common::pg::fresh_database();
    assert!(migrate(&path, &url, "admin").status.success());
    let file = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens");
    let file_count =
        |table: &str| -> i64 { file.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).expect("count") };
    // citygrid's own look at the server: the same layers and counts.
    let info = Command::new(env!("CARGO_BIN_EXE_citygrid")).args(["--db", &url, "info"]).output().expect("citygrid runs");
    let printed = String::from_utf8_lossy(&info.stdout);
    let schema = format!("server schema {}", citygrid::store::pg::PG_SCHEMA_VERSION);
    assert!(info.status.success() && printed.contains(&schema), "{printed}");
    assert!(
        printed.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == ["cases", &file_count("cases").to_string()]),
        "{printed}"
    );
    let connection = common::pg::gdal_connection(&url);
    for (layer, geometry) in [
        ("cases", "Point"),
        ("part_points", "Point"),
        ("part_lines", "Line String"),
        ("part_polygons", "Polygon"),
        ("jurisdictions", "Multi Polygon"),
        ("streets", "Line String"),
    ] {
        let output = Command::new("ogrinfo").args(["-ro", "-so", &connection, layer]).output().expect("ogrinfo runs (gdal-bin)");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{layer}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(text.contains(&format!("Geometry: {geometry}")), "{layer}: {text}");
        assert!(text.contains(&format!("Feature Count: {}", file_count(layer))), "{layer}: {text}");
        assert!(text.contains("EPSG\",4326") || text.contains("ID[\"EPSG\",4326]") || text.contains("4326"), "{layer}: {text}");
    }
}

#[test]
fn a_file_whose_audit_trail_does_not_verify_is_not_moved_and_the_server_stays_empty() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, _) = common::pg::fresh_database();
    // Someone drops the triggers and rewrites an entry.
    let conn = rusqlite::Connection::open(&path).expect("opens the file directly");
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'case_events'")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .expect("triggers");
    for name in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).expect("drops");
    }
    conn.execute("UPDATE case_events SET at = '2026-01-01T00:00:00Z' WHERE id = 5", []).expect("rewrites");
    drop(conn);
    let output = migrate(&path, &url, "admin");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not verify"), "{}", String::from_utf8_lossy(&output.stderr));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let empty: bool = client.query_one("SELECT to_regclass('cases') IS NULL", &[]).expect("asks").get(0);
    assert!(empty, "nothing was written");
}

/// The README's server set-up: scripts/setup-server.sh creates the district's database with
/// PostGIS and an owner login that is not a superuser; the move then runs as that login. A
/// database without PostGIS, for a login that may not enable it, gets a message saying what to do.
#[test]
fn the_setup_script_makes_a_database_an_ordinary_login_can_move_a_district_into() {
    let (_dir, path, _) = common::small_demo(2_000, 100);
    let name = format!("setup_{}", std::process::id());
    let owner = format!("owner_{}", std::process::id());
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/setup-server.sh"))
        .args(["--db", &name, "--owner", &owner, "--superuser-url", common::pg::server()])
        .output()
        .expect("the script runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(url.starts_with(&format!("postgresql://{owner}:")) && url.ends_with(&format!("/{name}")), "{url}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("the owner signs in");
    let superuser: bool = client.query_one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", &[]).expect("asks").get(0);
    assert!(!superuser, "the centre's login is not a superuser");
    let moved = migrate(&path, &url, "admin");
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
    assert!(count(&mut client, "part_points") > 0);

    // Without PostGIS, an ordinary login cannot enable it: the message says what to run.
    let mut admin = postgres::Client::connect(common::pg::server(), postgres::NoTls).expect("superuser");
    admin.batch_execute(&format!("CREATE DATABASE {name}_bare OWNER {owner}")).expect("a bare database");
    let bare = url.replace(&format!("/{name}"), &format!("/{name}_bare"));
    let refused = migrate(&path, &bare, "admin");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("CREATE EXTENSION postgis"), "{}", String::from_utf8_lossy(&refused.stderr));
}

/// A login for the account `login` of the moved district, made by the server's superuser as an
/// administrator would: a member of the district's seat role, mapped to the account.
fn server_login(database: &str, url: &str, login: &str) -> String {
    let role = format!("t_{login}_{database}");
    let mut admin = postgres::Client::connect(common::pg::server(), postgres::NoTls).expect("superuser");
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'seat-pass' IN ROLE {}", citygrid::store::pg::seat_role(database)))
        .expect("a login");
    let mut district = postgres::Client::connect(url, postgres::NoTls).expect("owner");
    district.execute("UPDATE users SET pg_login = $1 WHERE login = $2", &[&role, &login]).expect("mapped");
    let config: postgres::Config = url.parse().expect("url");
    let port = config.get_ports().first().copied().expect("port");
    format!("postgresql://{role}:seat-pass@127.0.0.1:{port}/{database}")
}

fn refused_with(client: &mut postgres::Client, sql: &str) -> String {
    let error = client.batch_execute(sql).expect_err(sql);
    error.as_db_error().map(|db| db.message().to_owned()).unwrap_or_else(|| error.to_string())
}

/// Issue 17: the server enforces the roles whoever connects — psql with a seat's login, or a
/// modified seat. A unit operator reads and writes only its unit's cases; no seat changes units,
/// accounts or the audit trail, reads password hashes, or writes an entry in someone else's name.
#[test]
fn a_seat_login_can_do_no_more_than_its_accounts_role() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, database) = common::pg::fresh_database();
    assert!(migrate(&path, &url, "admin").status.success());
    let store = Store::open_read_only(&path).expect("opens");
    let users = store.load_users().expect("users");
    let cases = store.load_cases().expect("cases");
    // The operator of a unit that has a case to handle now.
    let handling = cases.iter().find(|case| case.state == citygrid::model::CaseState::Dispatched).expect("a dispatched case");
    let units = store.load_units().expect("units");
    let code = &units.iter().find(|unit| Some(unit.id) == handling.unit).expect("its unit").code;
    let unit_login = format!("unit_{}", code.to_lowercase().replace('-', "_"));
    let operator = users.iter().find(|user| user.login == unit_login).expect("the unit's operator");
    let operator_unit = operator.unit.expect("bound");
    let dispatcher = users.iter().find(|user| user.login == "dispatch1").expect("dispatcher");
    let own: Vec<i64> = cases.iter().filter(|case| case.involves(operator_unit)).map(|case| case.id).collect();
    let other = cases.iter().find(|case| !case.involves(operator_unit)).expect("another unit's case");
    assert!(!own.is_empty(), "the demo gives the operator section cases");

    let mut unit = postgres::Client::connect(&server_login(&database, &url, &unit_login), postgres::NoTls).expect("the unit's login");
    assert_eq!(count(&mut unit, "cases"), i64::try_from(own.len()).expect("fits"), "only its unit's cases");
    let visible_events: i64 = unit.query_one("SELECT count(DISTINCT case_fid) FROM case_events", &[]).expect("events").get(0);
    assert!(visible_events <= i64::try_from(own.len()).expect("fits"), "and only their trails");
    let changed = unit.execute("UPDATE cases SET state = 'closed' WHERE fid = $1", &[&other.id]).expect("runs");
    assert_eq!(changed, 0, "another unit's case is not there to change");
    assert!(refused_with(&mut unit, "UPDATE units SET name_zh = '改名'").contains("permission denied"));
    assert!(refused_with(&mut unit, "UPDATE users SET role = 'admin'").contains("permission denied"));
    assert!(refused_with(&mut unit, "SELECT password_hash FROM users").contains("permission denied"));
    assert!(refused_with(&mut unit, "DELETE FROM case_events").contains("permission denied"));
    assert!(refused_with(&mut unit, "UPDATE case_events SET action = 'close'").contains("permission denied"));
    assert!(refused_with(&mut unit, "UPDATE part_points SET state = 'removed'").contains("permission denied"));
    let head: String = unit.query_one("SELECT hash FROM citygrid_audit_head('case_events')", &[]).expect("the head").get(0);
    let forged = format!(
        "INSERT INTO case_events (id, case_fid, at, actor_user_id, action, from_state, to_state, prev_hash, hash)
         VALUES (999999, {}, '2026-11-25T02:00:00Z', {}, 'urge', 'dispatched', 'dispatched', '{head}', 'x')",
        handling.id, dispatcher.id
    );
    assert!(refused_with(&mut unit, &forged).contains("row-level security"), "an entry in the dispatcher's name");
    // In its own name, a step its role may not take (approving its own extension) is refused too.
    let approve = format!(
        "INSERT INTO case_events (id, case_fid, at, actor_user_id, action, from_state, to_state, prev_hash, hash)
         VALUES (999999, {}, '2026-11-25T02:00:00Z', {}, 'approve_extension', 'dispatched', 'dispatched', '{head}', 'x')",
        handling.id, operator.id
    );
    assert!(refused_with(&mut unit, &approve).contains("row-level security"), "a unit approving its own extension");
    // A step its role may take, in its own name, on its own case, linked to the head, passes
    // (rolled back: it was only asked).
    let mut trial = unit.transaction().expect("a transaction");
    let sign = approve.replace("'approve_extension'", "'sign'");
    trial.batch_execute(&sign).expect("signing for its own case is the unit's to write");
    trial.rollback().expect("rolled back");
    // An entry that does not match its case row (closing it in the trail only) is refused.
    let closing = approve.replace("'approve_extension', 'dispatched', 'dispatched'", "'handle', 'dispatched', 'handled'");
    assert!(refused_with(&mut unit, &closing).contains("case row says otherwise"));

    let mut centre =
        postgres::Client::connect(&server_login(&database, &url, "dispatch1"), postgres::NoTls).expect("the dispatcher's login");
    assert_eq!(count(&mut centre, "cases"), i64::try_from(cases.len()).expect("fits"), "the centre sees every case");
    assert!(refused_with(&mut centre, "UPDATE units SET name_zh = '改名'").contains("permission denied"));
    let report = "INSERT INTO cases (geom, case_no, source, subject, class_code, urgency, description, state, reported_at)
                  VALUES (ST_SetSRID(ST_MakePoint(118.3, 29.8), 4326), '209901010001', 'video', 'event', '0101', 'normal', 'x', 'reported', '2026-11-25T02:00:00Z')";
    assert!(refused_with(&mut centre, report).contains("row-level security"), "a dispatcher does not report cases");

    // Settings: only the assessment weights, and only by a shift leader or an administrator.
    let changed = centre.execute("UPDATE citygrid_meta SET value = '{}' WHERE key = 'assessment_weights'", &[]).expect("runs");
    assert_eq!(changed, 0, "a dispatcher changes no weights");
    assert!(
        refused_with(&mut centre, "INSERT INTO citygrid_meta (key, value) VALUES ('assessment_weights', '{}')")
            .contains("row-level security")
    );
    let mut leader =
        postgres::Client::connect(&server_login(&database, &url, "leader1"), postgres::NoTls).expect("the shift leader's login");
    assert!(
        refused_with(&mut leader, "INSERT INTO citygrid_meta (key, value) VALUES ('schema_version', '99')").contains("row-level security")
    );
    let mut trial = leader.transaction().expect("a transaction");
    trial
        .batch_execute("INSERT INTO citygrid_meta (key, value) VALUES ('assessment_weights', '{}') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .expect("the weights are the shift leader's to change");
    trial.rollback().expect("rolled back");

    // A disabled account's login sees nothing.
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner");
    owner.execute("UPDATE users SET disabled_at = '2026-11-25T00:00:00Z' WHERE login = $1", &[&unit_login]).expect("disabled");
    assert_eq!(count(&mut unit, "cases"), 0);
    // A login of another database's district is no seat here.
    assert!(count(&mut owner, "cases") > 0, "the owner, who moved the district in, is not subject to the seats' policies");
}

fn verify(url: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_citygrid")).args(["--db", url, "audit", "verify"]).output().expect("citygrid runs");
    (output.status.success(), format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

/// Issue 17: `audit verify` checks the server's trail as it checks a file's: a row changed on the
/// server without a step, an entry rewritten with its trigger switched off, a trigger dropped —
/// each named, and the command fails.
#[test]
fn audit_verify_on_the_server_finds_what_was_changed_around_citygrid() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, _) = common::pg::fresh_database();
    let file_head = Store::open_read_only(&path).expect("opens").verify_audit(None).expect("verifies").case_head;
    assert!(migrate(&path, &url, "admin").status.success());
    let (intact, printed) = verify(&url);
    assert!(intact && printed.contains("intact") && printed.contains(&file_head), "{printed}");

    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner");
    let (fid, case_no): (i64, String) = owner
        .query_one("SELECT fid, case_no FROM cases WHERE deadline_at IS NOT NULL ORDER BY fid LIMIT 1", &[])
        .map(|row| (row.get(0), row.get(1)))
        .expect("a case");
    owner.execute("UPDATE cases SET deadline_at = '2099-01-01T00:00:00Z' WHERE fid = $1", &[&fid]).expect("an edit around citygrid");
    let (intact, printed) = verify(&url);
    assert!(!intact && printed.contains(&format!("CASE {case_no}")) && printed.contains("without an audit entry"), "{printed}");

    owner
        .batch_execute(
            "ALTER TABLE case_events DISABLE TRIGGER case_events_no_update;
             UPDATE case_events SET at = '2026-01-01T00:00:00Z' WHERE id = 7;
             ALTER TABLE case_events ENABLE TRIGGER case_events_no_update;
             DROP TRIGGER cases_no_delete ON cases;",
        )
        .expect("a superuser's tampering");
    let (intact, printed) = verify(&url);
    assert!(!intact && printed.contains("BROKEN case_events entry 7"), "{printed}");
    assert!(printed.contains("MISSING trigger cases_no_delete"), "{printed}");
}

/// Issue 17: a step committed at one seat is announced to every listening seat and the wall by
/// the server (LISTEN/NOTIFY, no table polled), only once committed; a step carries an id the
/// server takes once, so a retried step is not applied twice.
#[test]
fn a_committed_step_is_announced_to_listeners_and_a_retried_step_is_taken_once() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, database) = common::pg::fresh_database();
    assert!(migrate(&path, &url, "admin").status.success());
    let mut wall = citygrid::store::pg::PgStore::connect(&url).expect("the wall connects");
    wall.listen_for_cases().expect("listens");
    assert!(wall.next_case_changes(std::time::Duration::from_millis(200)).expect("waits").is_empty(), "the move is not news");

    let store = Store::open_read_only(&path).expect("opens");
    let case = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| case.state == citygrid::model::CaseState::Dispatched)
        .expect("a dispatched case");
    let dispatcher = store.load_users().expect("users").into_iter().find(|user| user.login == "dispatch1").expect("dispatcher");
    let mut seat = postgres::Client::connect(&server_login(&database, &url, "dispatch1"), postgres::NoTls).expect("the dispatcher's seat");
    let urge = |seat: &mut postgres::Client, step_id: &str, commit: bool| -> Result<i64, postgres::Error> {
        let mut tx = seat.transaction()?;
        let head: String = tx.query_one("SELECT hash FROM citygrid_audit_head('case_events')", &[])?.get(0);
        let id: i64 = tx.query_one("SELECT id + 1 FROM citygrid_audit_head('case_events')", &[])?.get(0);
        tx.execute("UPDATE cases SET urge_count = urge_count + 1, revision = revision + 1 WHERE fid = $1", &[&case.id])?;
        tx.execute(
            "INSERT INTO case_events (id, case_fid, at, actor_user_id, action, from_state, to_state, prev_hash, hash, step_id)
             VALUES ($1, $2, '2026-11-25T02:00:00Z', $3, 'urge', 'dispatched', 'dispatched', $4, $5, $6)",
            &[&id, &case.id, &dispatcher.id, &head, &format!("h{id}"), &step_id],
        )?;
        if commit {
            tx.commit()?
        } else {
            tx.rollback()?
        }
        Ok(id)
    };

    urge(&mut seat, "seat-a-0001", false).expect("a step rolled back");
    assert!(
        wall.next_case_changes(std::time::Duration::from_millis(300)).expect("waits").is_empty(),
        "nothing is announced before a commit"
    );
    let started = std::time::Instant::now();
    let id = urge(&mut seat, "seat-a-0001", true).expect("the step");
    let heard = wall.next_case_changes(std::time::Duration::from_secs(10)).expect("waits");
    println!("announced in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    assert_eq!(heard, vec![id], "the newest entry id of the step");

    // The same step sent again (the seat lost its connection before the answer) is refused.
    let again = urge(&mut seat, "seat-a-0001", true).expect_err("a retried step");
    assert_eq!(again.code(), Some(&postgres::error::SqlState::UNIQUE_VIOLATION), "{again}");
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner");
    let urged: i64 = owner.query_one("SELECT urge_count FROM cases WHERE fid = $1", &[&case.id]).expect("the case").get(0);
    assert_eq!(urged, i64::from(case.urge_count) + 1, "applied once");
}

/// Issue 17: an account gets its own server login from citygrid. `user passwd` on the server sets
/// the password in citygrid and, as a SCRAM verifier made on the client, for the login
/// `<database>_<login>`, which then connects with the account's rights and no more; the change is
/// an administrative entry on the server's chain, which still verifies.
#[test]
fn an_accounts_password_set_on_the_server_gives_it_its_own_login() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let (url, database) = common::pg::fresh_database();
    assert!(migrate(&path, &url, "admin").status.success());
    let passwd = |acting: &str, login: &str, new_password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .args(["--db", &url, "user", "passwd", "--as", acting, "--login", login, "--password-stdin"])
            .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("citygrid runs");
        use std::io::Write as _;
        child.stdin.take().expect("stdin").write_all(format!("{new_password}\n").as_bytes()).expect("writes");
        child.wait_with_output().expect("finishes")
    };
    let refused = passwd("dispatch1", "leader1", "another-long-password");
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("only an administrator"));
    let set = passwd("admin", "dispatch1", "seat-password-2026");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let role = citygrid::store::pg::login_role(&database, "dispatch1").expect("a name");
    assert!(String::from_utf8_lossy(&set.stdout).contains(&role));

    let config: postgres::Config = url.parse().expect("url");
    let port = config.get_ports().first().copied().expect("port");
    let login_url = format!("postgresql://{role}:seat-password-2026@127.0.0.1:{port}/{database}");
    let mut seat = postgres::Client::connect(&login_url, postgres::NoTls).expect("the dispatcher's own login");
    assert!(count(&mut seat, "cases") > 0, "the dispatcher sees the district's cases");
    assert!(refused_with(&mut seat, "UPDATE units SET name_zh = 'x'").contains("permission denied"));
    assert!(postgres::Client::connect(&login_url.replace("seat-password-2026", "wrong-password"), postgres::NoTls).is_err());

    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner");
    let (must_change, last_action): (bool, String) = owner
        .query_one(
            "SELECT u.must_change_password, (SELECT action FROM admin_events ORDER BY id DESC LIMIT 1) FROM users u WHERE login = 'dispatch1'",
            &[],
        )
        .map(|row| (row.get(0), row.get(1)))
        .expect("the account");
    assert!(must_change, "set by an administrator: to be changed at the next sign-in");
    assert_eq!(last_action, "user_password");
    let (intact, printed) = verify(&url);
    assert!(intact, "{printed}");
}

/// Every role a server policy names is a role an account can hold: a policy naming a role no
/// account has (schema 4 named the committee `committee_member`) silently refuses that post its
/// writes.
#[test]
fn every_role_a_server_policy_names_is_a_role_an_account_can_hold() {
    let (_dir, path, _) = common::small_demo(300, 10);
    let (url, _) = common::pg::fresh_database();
    assert!(migrate(&path, &url, "admin").status.success());
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner");
    let roles: Vec<&str> =
        <citygrid::model::Role as citygrid::model::Keyword>::ALL.iter().map(|role| citygrid::model::Keyword::keyword(*role)).collect();
    let mut checked = 0;
    for row in owner
        .query(
            "SELECT tablename::text, policyname::text, coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'public'",
            &[],
        )
        .expect("policies")
    {
        let (table, policy, text): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        if !text.contains("citygrid_login_role()") {
            continue;
        }
        // Literals deparse as 'word'::text; the role names are among them.
        for literal in text.split('\'').skip(1).step_by(2) {
            let other = ["assessment_weights", "setting", "unit", "handover", "handover_read"];
            assert!(roles.contains(&literal) || other.contains(&literal), "{table}.{policy} names {literal:?}, which is no role: {text}");
            checked += 1;
        }
    }
    assert!(checked > 10, "the policies were read ({checked} literals)");
}
