//! Issue 17: the server restarts while several seats are taking steps. Every seat's desk worker
//! notices, tells its seat the server is unavailable, connects again by itself, and finds out
//! from the step's id whether the step it was sending had been committed: nothing is lost and
//! nothing is applied twice. Runs on a private cluster of its own, since it restarts it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use citygrid::desk::worker::{DeskReply, DeskRequest, DeskWorker};
use citygrid::model::CaseState;
use citygrid::store::pg::{PgStore, ServerAccount};
use citygrid::store::{Location, Store};
use citygrid::workflow::{Action, ActionKind, Workflow, allowed_actions};

const PASSWORD: &str = "restart-seat-password";
const SEATS: usize = 3;
const STEPS_PER_SEAT: usize = 24;

/// A private cluster: (superuser URL, its directory).
fn private_cluster() -> (String, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster.sh");
    let output = Command::new(script).args(["start", "--watch", &std::process::id().to_string()]).output().expect("the script runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("export {name}='")).and_then(|rest| rest.strip_suffix('\'')))
            .expect("the script prints it")
            .to_owned()
    };
    (value("CITYGRID_TEST_PG"), value("CITYGRID_TEST_PG_DIR"))
}

fn restart(dir: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster.sh");
    let output = Command::new(script).args(["restart", dir]).output().expect("the script runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_server_restart_during_a_multi_seat_run_loses_no_step_and_doubles_none() {
    let (superuser, dir) = private_cluster();
    let (_tmp, path, _) = common::small_demo(2_000, 200);
    let url = format!("{}/restart_district", superuser.rsplit_once('/').expect("a URL").0);
    {
        let mut admin = postgres::Client::connect(&superuser, postgres::NoTls).expect("superuser");
        admin.batch_execute("CREATE DATABASE restart_district").expect("database");
        postgres::Client::connect(&url, postgres::NoTls).expect("district").batch_execute("CREATE EXTENSION postgis").expect("postgis");
    }
    common::pg::migrate_demo(&path, &url);
    PgStore::connect(&url).expect("owner").set_password("dispatch1", citygrid::demo::DEMO_PASSWORD, "dispatch1", PASSWORD).expect("login");

    let account = ServerAccount { login: "dispatch1".into(), password: PASSWORD.into() };
    let location = Location::parse(&url).with_account(account);
    let store = location.open().expect("a seat connects");
    let dispatcher = store.authenticate("dispatch1", PASSWORD).expect("signed in");
    let workflow = Workflow::load(&store).expect("workflow");
    let urgeable: Vec<_> = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .filter(|case| case.state == CaseState::Dispatched && allowed_actions(&workflow, &dispatcher, case).contains(&ActionKind::Urge))
        .collect();
    assert!(urgeable.len() >= SEATS, "the demo has cases to urge");
    let before: std::collections::HashMap<i64, u32> = urgeable.iter().map(|case| (case.id, case.urge_count)).collect();
    let since = store.last_case_event_id().expect("newest entry");
    drop(store);

    // Each seat urges its own case again and again, on its own worker, as its desk does.
    let seats: Vec<_> = (0..SEATS)
        .map(|seat| {
            let (location, dispatcher, mut case) = (location.clone(), dispatcher.clone(), urgeable[seat].clone());
            std::thread::spawn(move || {
                let mut worker = DeskWorker::start(location, since, || {}).expect("a worker");
                let (mut applied, mut unavailable) = (0usize, 0usize);
                for step in 0..STEPS_PER_SEAT {
                    let ticket = worker.ticket();
                    let now = common::as_of() + chrono::Duration::minutes(i64::try_from(step).expect("small"));
                    let action = Action::Urge { note: format!("第{step}次催办") };
                    assert!(worker.send(DeskRequest::Apply {
                        ticket,
                        actor: dispatcher.clone(),
                        case_id: case.id,
                        revision: case.revision,
                        action,
                        now
                    }));
                    let started = Instant::now();
                    loop {
                        match worker.wait_reply(Duration::from_secs(1)) {
                            Some(DeskReply::Applied { ticket: answered, result }) if answered == ticket => {
                                case = result.unwrap_or_else(|error| panic!("seat {seat} step {step}: {error}"));
                                applied += 1;
                                break;
                            }
                            Some(DeskReply::Unavailable(_)) => unavailable += 1,
                            _ => {}
                        }
                        assert!(started.elapsed() < Duration::from_secs(150), "seat {seat} step {step}: no answer");
                    }
                    std::thread::sleep(Duration::from_millis(40));
                }
                (case.id, applied, unavailable)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    restart(&dir);
    let results: Vec<(i64, usize, usize)> = seats.into_iter().map(|seat| seat.join().expect("the seat finished")).collect();

    let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("owner after the restart");
    for (case_id, applied, _) in &results {
        assert_eq!(*applied, STEPS_PER_SEAT, "every step answered as applied");
        let entries: i64 = owner
            .query_one("SELECT count(*) FROM case_events WHERE case_fid = $1 AND action = 'urge' AND step_id IS NOT NULL", &[case_id])
            .expect("count")
            .get(0);
        assert_eq!(usize::try_from(entries).expect("fits"), STEPS_PER_SEAT, "case {case_id}: each step once in the trail");
        let case = Store::connect(&url, None).expect("owner").load_case(*case_id).expect("read").expect("the case");
        assert_eq!(case.urge_count, before[case_id] + u32::try_from(STEPS_PER_SEAT).expect("fits"), "case {case_id}: counted once each");
    }
    assert!(results.iter().any(|(_, _, unavailable)| *unavailable > 0), "the restart was noticed: {results:?}");
    let duplicates: i64 = owner
        .query_one(
            "SELECT count(*) FROM (SELECT step_id FROM case_events WHERE step_id IS NOT NULL GROUP BY step_id HAVING count(*) > 1) d",
            &[],
        )
        .expect("duplicates")
        .get(0);
    assert_eq!(duplicates, 0);
    let audit = PgStore::connect(&url).expect("owner").verify_audit(None).expect("verifies");
    assert!(audit.is_intact(), "{audit:?}");
}
