//! Seats on the server (issue 17): the store opened on PostgreSQL with each account's own login
//! runs the same workflow as on the file — steps, reports, the audit chain, what another seat
//! changed — while the server's row-level security decides what each login sees and writes.

mod common;

use citygrid::model::{CaseState, CaseSubject, Role, SourceChannel, Urgency, User};
use citygrid::store::Store;
use citygrid::store::pg::{PgStore, ServerAccount};
use citygrid::workflow::{Action, NewCase, Workflow};
use egui_kittest::kittest::Queryable as _;

const PASSWORD: &str = "seat-password-17";

/// A moved demo district whose accounts `logins` have their own server logins.
fn district(logins: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, path, _) = common::small_demo(2_000, 200);
    let (url, _) = common::pg::fresh_database();
    common::pg::migrate_demo(&path, &url);
    let mut owner = PgStore::connect(&url).expect("owner");
    for login in logins {
        owner.set_password(login, citygrid::demo::DEMO_PASSWORD, login, PASSWORD).expect("own password");
    }
    (dir, path, url)
}

/// A case `dispatcher` may urge now.
fn urgeable(store: &Store, workflow: &Workflow, dispatcher: &User) -> citygrid::model::Case {
    store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| citygrid::workflow::allowed_actions(workflow, dispatcher, case).contains(&citygrid::workflow::ActionKind::Urge))
        .expect("a case the dispatcher may urge")
}

fn seat(url: &str, login: &str) -> (Store, User) {
    let account = ServerAccount { login: login.into(), password: PASSWORD.into() };
    let store = Store::connect(url, Some(&account)).expect("a seat connects with its own login");
    let user = store.authenticate(login, PASSWORD).expect("signed in");
    (store, user)
}

#[test]
fn seats_on_the_server_take_steps_as_on_the_file_and_see_only_what_their_login_may() {
    let (_dir, path, url) = district(&["dispatch1", "intake1"]);
    let file = Store::open_read_only(&path).expect("the file");
    let (mut dispatcher_store, dispatcher) = seat(&url, "dispatch1");
    let workflow = Workflow::load(&dispatcher_store).expect("the workflow from the server");

    // The centre sees what the file has: every case, every part.
    let cases = dispatcher_store.load_cases().expect("cases");
    assert_eq!(cases.len(), file.load_cases().expect("cases").len());
    assert_eq!(dispatcher_store.load_parts().expect("parts").len(), file.load_parts().expect("parts").len());
    assert_eq!(dispatcher_store.load_jurisdictions().expect("areas").len(), file.load_jurisdictions().expect("areas").len());
    let first = cases.iter().min_by_key(|case| case.id).expect("a case");
    let same = file.load_case(first.id).expect("read").expect("the case");
    assert_eq!(first, &same, "a case reads the same from the server as from the file");

    // A wrong password is refused by the server itself.
    let wrong = ServerAccount { login: "dispatch1".into(), password: "not-the-password".into() };
    let error = Store::connect(&url, Some(&wrong)).err().expect("refused");
    assert!(error.to_string().contains("wrong login or password"), "{error}");

    // The intake operator files a case, the dispatcher dispatches it.
    let (mut intake_store, intake) = seat(&url, "intake1");
    let reported = cases.iter().find(|case| case.state == CaseState::Reported).expect("a reported case");
    let file_step = Action::File { note: String::new(), correction: None };
    let filed = workflow.apply(&mut intake_store, &intake, reported.id, reported.revision, &file_step, common::as_of()).expect("filed");
    assert_eq!(filed.state, CaseState::Filed);
    // As a seat does when it connects: start listening.
    let before = intake_store.data_version().expect("listening");
    let unit =
        workflow.units().iter().find(|unit| unit.class == citygrid::model::UnitClass::First && unit.takes_dispatches()).expect("a unit").id;
    let dispatch = Action::Dispatch { unit, note: String::new() };
    let dispatched =
        workflow.apply(&mut dispatcher_store, &dispatcher, filed.id, filed.revision, &dispatch, common::as_of()).expect("dispatched");
    assert_eq!((dispatched.state, dispatched.unit), (CaseState::Dispatched, Some(unit)));

    // The intake seat hears of it without reading a table, then reads the case as it is now.
    let mut heard = false;
    for _ in 0..50 {
        if intake_store.data_version().expect("notifications") != before {
            heard = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(heard, "the step was announced");
    let (changed, _) = intake_store.cases_changed_since(0).expect("changes");
    assert!(changed.iter().any(|case| case.id == filed.id && case.state == CaseState::Dispatched), "{changed:?}");

    // A stale step (the revision moved on) is refused, as on the file.
    let again = workflow.apply(&mut intake_store, &intake, filed.id, filed.revision, &file_step, common::as_of());
    assert!(matches!(again, Err(citygrid::workflow::WorkflowError::Stale(_))), "{again:?}");

    // A new report takes the next case id and number from the server.
    let new_case = NewCase {
        source: SourceChannel::Hotline12345,
        subject: CaseSubject::Event,
        class_code: workflow
            .manual()
            .entries
            .iter()
            .find(|entry| entry.kind == citygrid::model::ItemKind::Event)
            .expect("an event class")
            .code
            .clone(),
        urgency: Urgency::Normal,
        location: first.location,
        part_code: None,
        grid_code: None,
        description: "井盖缺失".into(),
        photos: vec![],
        reporter_contact: Some("13800000000".into()),
        address: String::new(),
    };
    let intake_reports = workflow.report_case(&mut intake_store, &intake, new_case.clone(), common::as_of());
    let reported = match intake_reports {
        Ok(reported) => reported,
        Err(error) => panic!("intake reports: {error}"),
    };
    assert!(reported.case.id > cases.iter().map(|case| case.id).max().expect("ids"), "a new id after the moved ones");

    // The chain on the server still verifies after the seats' steps.
    let mut owner = PgStore::connect(&url).expect("owner");
    let audit = owner.verify_audit(None).expect("verifies");
    assert!(audit.is_intact(), "{audit:?}");
    assert_eq!(dispatcher.role, Role::Dispatcher);
}

#[test]
fn a_unit_operator_on_the_server_sees_and_steps_only_its_own_units_cases() {
    let (_dir, path, url) = district(&[]);
    let file = Store::open_read_only(&path).expect("the file");
    let cases = file.load_cases().expect("cases");
    let dispatched = cases.iter().find(|case| case.state == CaseState::Dispatched).expect("a dispatched case");
    let unit = dispatched.unit.expect("a unit");
    let operator = file
        .load_users()
        .expect("users")
        .into_iter()
        .find(|user| user.role == Role::UnitOperator && user.unit == Some(unit))
        .expect("the unit's operator");
    let mut owner = PgStore::connect(&url).expect("owner");
    owner.set_password(&operator.login, citygrid::demo::DEMO_PASSWORD, &operator.login, PASSWORD).expect("own password");
    let (mut store, user) = seat(&url, &operator.login);
    let workflow = Workflow::load(&store).expect("workflow");

    let seen = store.load_cases().expect("cases");
    assert!(!seen.is_empty() && seen.len() < cases.len(), "{} of {}", seen.len(), cases.len());
    assert!(seen.iter().all(|case| case.involves(unit)), "only cases the unit leads or assists on");

    // Its own case: it signs for it, under its own name in the trail.
    let case = seen.iter().find(|case| case.id == dispatched.id).expect("its dispatched case");
    if case.signed_at.is_none() {
        let signed = workflow
            .apply(&mut store, &user, case.id, case.revision, &Action::SignFor { note: String::new() }, common::as_of())
            .expect("signed for");
        assert!(signed.signed_at.is_some());
    }
    // Another unit's case does not exist for it.
    let other = cases
        .iter()
        .find(|case| case.unit.is_some_and(|other| other != unit) && case.state == CaseState::Dispatched)
        .expect("another unit's case");
    let refused = workflow.apply(&mut store, &user, other.id, other.revision, &Action::SignFor { note: String::new() }, common::as_of());
    assert!(matches!(refused, Err(citygrid::workflow::WorkflowError::NoSuchCase { .. })), "{refused:?}");
}

/// The seat itself on a server: `citygrid --db postgresql://…` shows the sign-in before reading
/// anything; a wrong password is refused by the server and the form says so; the right one
/// loads the district as that account and opens its desk.
#[test]
fn the_app_on_a_server_signs_in_first_then_opens_the_desk_with_what_the_login_may_see() {
    let (_dir, _path, url) = district(&["dispatch1"]);
    let location = citygrid::store::Location::parse(&url);
    let mut harness = citygrid::app::harness_at(location, None, [1400, 900], citygrid::model::Lang::Zh, Some(common::as_of()));
    harness.run_steps(3);
    assert!(harness.state().world().is_none(), "nothing is read before the sign-in");
    let _ = harness.get_by_label("账号");

    let wait = |harness: &mut egui_kittest::Harness<'static, citygrid::app::CitygridApp>| {
        let started = std::time::Instant::now();
        while harness.state().sign_in_busy() && started.elapsed() < std::time::Duration::from_secs(60) {
            harness.step();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        harness.run_steps(3);
    };
    harness.state_mut().apply(citygrid::session::Command::SignIn { login: "dispatch1".into(), password: "wrong-password".into() });
    wait(&mut harness);
    assert!(harness.state().world().is_none());
    let _ = harness.get_by_label_contains("用户名或密码错误");

    harness.state_mut().apply(citygrid::session::Command::SignIn { login: "dispatch1".into(), password: PASSWORD.into() });
    wait(&mut harness);
    let world = harness.state().world().expect("the district is read as dispatch1");
    assert!(world.location.display().contains(":…@"), "the server's password is not shown: {}", world.location.display());
    let signed_in = harness.state().signed_in_login();
    assert_eq!(signed_in.as_deref(), Some("dispatch1"));
    let (seat, _) = seat(&url, "dispatch1");
    assert_eq!(harness.state().case_count(), seat.load_cases().expect("cases").len());
}

/// The wall on a server reads as a viewer account (`citygrid wall --as wall1`): it sees every
/// case, a step taken at a seat reaches it through the server's notification, and the viewer's
/// login itself can change nothing, whatever program uses it.
#[test]
fn the_wall_on_a_server_reads_as_a_viewer_and_follows_the_seats() {
    let (_dir, path, url) = district(&["wall1", "dispatch1"]);
    let all = Store::open_read_only(&path).expect("the file").load_cases().expect("cases").len();
    let account = ServerAccount { login: "wall1".into(), password: PASSWORD.into() };
    let location = citygrid::store::Location::parse(&url).with_account(account);
    let mut wall = citygrid::app::harness_at(location, None, [1920, 1080], citygrid::model::Lang::Zh, Some(common::as_of()));
    wall.state_mut().set_wall(false);
    citygrid::app::wait_until_loaded(&mut wall, std::time::Duration::from_secs(60)).expect("the wall loads as wall1");
    assert_eq!(wall.state().case_count(), all, "a viewer sees every case");

    // A step at a dispatcher's seat reaches the wall.
    let (mut store, dispatcher) = seat(&url, "dispatch1");
    let workflow = Workflow::load(&store).expect("workflow");
    let case = urgeable(&store, &workflow, &dispatcher);
    let urged = workflow
        .apply(&mut store, &dispatcher, case.id, case.revision, &Action::Urge { note: "请尽快处置".into() }, common::as_of())
        .expect("urged");
    let started = std::time::Instant::now();
    loop {
        wall.step();
        let shown =
            wall.state().cases().position_of(case.id).and_then(|position| wall.state().cases().get(position)).map(|case| case.revision);
        if shown == Some(urged.revision) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the wall still shows revision {shown:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // The viewer's own login, in any program, takes no step and changes no case.
    let config: postgres::Config = url.parse().expect("url");
    let database = config.get_dbname().expect("a database").to_owned();
    let mut viewer = config.clone();
    viewer.user(&citygrid::store::pg::login_role(&database, "wall1").expect("role")).password(PASSWORD);
    let mut psql = viewer.connect(postgres::NoTls).expect("the viewer's login connects");
    let changed = psql.execute("UPDATE cases SET description = 'x' WHERE fid = $1", &[&case.id]);
    assert!(matches!(changed, Ok(0)) || changed.is_err(), "a viewer changed a case: {changed:?}");
    let count: i64 = psql.query_one("SELECT count(*) FROM cases", &[]).expect("reads").get(0);
    assert_eq!(usize::try_from(count).expect("fits"), all);

    // A dispatcher's login may step cases, but not change one without its step: the server
    // refuses the commit of a row changed with no audit entry (a modified seat, psql).
    let mut dispatcher_login = config.clone();
    dispatcher_login.user(&citygrid::store::pg::login_role(&database, "dispatch1").expect("role")).password(PASSWORD);
    let mut psql = dispatcher_login.connect(postgres::NoTls).expect("the dispatcher's login connects");
    let quiet = psql.batch_execute(&format!("UPDATE cases SET deadline_at = '2030-01-01T00:00:00.000Z' WHERE fid = {}", case.id));
    let message = quiet.expect_err("no quiet edit").as_db_error().map(|db| db.message().to_owned()).unwrap_or_default();
    assert!(message.contains("without a step"), "{message}");
    let after = Store::connect(&url, None).expect("owner").load_case(case.id).expect("read").expect("the case");
    assert_eq!(after.deadline_at, urged.deadline_at, "nothing changed");
}

fn citygrid(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .args(args)
        .env("CITYGRID_AS_PASSWORD", PASSWORD)
        .output()
        .expect("citygrid runs")
}

/// `report` and `export` read a district on a server as they read a file: the same assessment,
/// and a GeoPackage GDAL reads with every case.
#[test]
fn report_and_export_read_the_server_as_the_file() {
    let (dir, path, url) = district(&["dispatch1"]);
    let file = path.to_string_lossy().into_owned();
    let from_file = citygrid(&["--db", &file, "report", "--period", "2026-11"]);
    assert!(from_file.status.success(), "{}", String::from_utf8_lossy(&from_file.stderr));
    let from_server = citygrid(&["--db", &url, "report", "--period", "2026-11", "--as", "dispatch1"]);
    assert!(from_server.status.success(), "{}", String::from_utf8_lossy(&from_server.stderr));
    assert_eq!(String::from_utf8_lossy(&from_server.stdout), String::from_utf8_lossy(&from_file.stdout), "the same assessment");

    let out = dir.path().join("server-cases.gpkg");
    let export = citygrid(&["--db", &url, "export", "--layer", "cases", "--out", &out.to_string_lossy(), "--as", "dispatch1"]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let cases = Store::open_read_only(&path).expect("file").load_cases().expect("cases").len();
    let info = std::process::Command::new("ogrinfo").args(["-so", "-al"]).arg(&out).output().expect("ogrinfo runs");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains(&format!("Feature Count: {cases}")), "{text}");
}

/// Each step carries an id made at the seat; the server keeps each id once, so a step sent
/// again (after a lost connection) is never applied twice, and the seat can read that it was
/// taken.
#[test]
fn a_step_sent_again_with_its_id_is_taken_once_and_recognised() {
    let (_dir, _path, url) = district(&["dispatch1"]);
    let (mut store, dispatcher) = seat(&url, "dispatch1");
    let workflow = Workflow::load(&store).expect("workflow");
    let case = urgeable(&store, &workflow, &dispatcher);
    let urge = Action::Urge { note: String::new() };
    assert_eq!(store.step_applied("seat-7-41").expect("look-up"), None);
    store.set_step_id(Some("seat-7-41".into()));
    let urged = workflow.apply(&mut store, &dispatcher, case.id, case.revision, &urge, common::as_of()).expect("urged");
    assert_eq!(store.step_applied("seat-7-41").expect("look-up"), Some(case.id), "the seat can read that its step was taken");
    // The same step again, even against the case as it is now: refused by the server, nothing doubled.
    store.set_step_id(Some("seat-7-41".into()));
    let again = workflow.apply(&mut store, &dispatcher, case.id, urged.revision, &urge, common::as_of());
    assert!(again.is_err(), "{again:?}");
    store.set_step_id(None);
    assert_eq!(store.load_case(case.id).expect("read").expect("case").urge_count, urged.urge_count);
}

/// Accounts are managed on the server as on a file (`user list`, `disable`, `enable`, `role`
/// through `--db postgresql://…` as an administrator); a disabled account's own server login can
/// no longer connect, and can again once enabled.
#[test]
fn accounts_are_managed_on_the_server_and_a_disabled_account_cannot_connect() {
    let (_dir, _path, url) = district(&["dispatch1"]);
    let as_admin = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .args(["--db", &url, "user"])
            .args(args)
            .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
            .output()
            .expect("citygrid runs");
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(as_admin(&["list"]).lines().any(|line| line.starts_with("dispatch1 ")), "the server's accounts are listed");
    as_admin(&["disable", "--as", "admin", "--login", "dispatch1"]);
    let account = ServerAccount { login: "dispatch1".into(), password: PASSWORD.into() };
    let refused = Store::connect(&url, Some(&account)).err().expect("a disabled account cannot connect");
    assert!(refused.to_string().contains("dispatch1") || refused.to_string().contains("login"), "{refused}");
    as_admin(&["enable", "--as", "admin", "--login", "dispatch1"]);
    let (store, _) = seat(&url, "dispatch1");
    assert!(!store.load_cases().expect("cases").is_empty(), "enabled again, it reads as before");
}

/// `citygrid --db postgresql://… import` writes parts into a district on a server (with the
/// URL's owner login, the administrator named by `--as`), and a second import of the same codes
/// is refused with nothing written.
#[test]
fn parts_are_imported_into_the_server_and_a_refused_import_writes_nothing() {
    let (_dir, _path, url) = district(&[]);
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/parts_gbk.shp");
    let import = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .args(["import", "--as", "admin", "--db", &url, "--target", "parts"])
            .arg(&file)
            .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
            .output()
            .expect("citygrid runs")
    };
    let owner = Store::connect(&url, None).expect("owner");
    let before = owner.load_parts().expect("parts").len();
    let first = import();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("wrote 3 Parts"), "{}", String::from_utf8_lossy(&first.stdout));
    assert_eq!(owner.load_parts().expect("parts").len(), before + 3);
    let again = import();
    assert!(!again.status.success(), "the same codes again are refused");
    assert_eq!(owner.load_parts().expect("parts").len(), before + 3, "nothing of the refused import was written");
    let mut audit = PgStore::connect(&url).expect("owner");
    assert!(audit.verify_audit(None).expect("verifies").is_intact());
}
