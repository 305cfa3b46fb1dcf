//! Contention: an import of 200,000 parts (one transaction, in another process) while two seats
//! take steps and the wall's feed follows the file. Every step commits, or is answered "busy,
//! retrying" within 6 s and then commits; the wall's feed shows each step within 2 s of its
//! commit; the import is whole.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use citygrid::desk::worker::{DeskReply, DeskRequest, DeskWorker};
use citygrid::store::Store;
use citygrid::workflow::Workflow;
use rand::SeedableRng as _;

const LAMPS: usize = 200_000;

fn lamps(path: &Path) {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(file, r#"{{"type":"FeatureCollection","features":["#).expect("write");
    for index in 0..LAMPS {
        let (x, y) = (118.28 + (index % 500) as f64 * 0.0002, 29.80 + (index / 500) as f64 * 0.0001);
        let comma = if index + 1 < LAMPS { "," } else { "" };
        write!(
            file,
            r#"{{"type":"Feature","properties":{{"BJBM":"3410040118{:06}","MC":"路灯{index}","ZT":"完好","QSDW":"CGJ-LD"}},"geometry":{{"type":"Point","coordinates":[{x:.6},{y:.6}]}}}}{comma}"#,
            600_000 + index
        )
        .expect("write");
    }
    write!(file, "]}}").expect("write");
}

/// What one seat saw.
#[derive(Debug, Default)]
struct SeatLog {
    /// Time from sending each step to its first answer (busy or done).
    first_answer: Vec<Duration>,
    busy: usize,
    /// (case id, revision, when its commit was answered).
    committed: Vec<(i64, u32, Instant)>,
    errors: Vec<String>,
}

fn seat(db: &Path, login: &str, seed: u64, importing: &AtomicBool) -> SeatLog {
    let store = Store::open(db).expect("the seat reads the file");
    let user = store.authenticate(login, citygrid::demo::DEMO_PASSWORD).expect("signs in");
    let workflow = Workflow::load(&store).expect("workflow");
    let since = store.last_case_event_id().expect("newest entry");
    let mut worker = DeskWorker::start(citygrid::store::Location::File(db.to_owned()), since, || {}).expect("the seat's worker");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let now = chrono::NaiveDateTime::parse_from_str("2026-11-25 10:00", "%Y-%m-%d %H:%M").expect("time");
    let mut log = SeatLog::default();
    // Steps while the import runs, and two after.
    let mut after = 0;
    while after < 2 {
        if !importing.load(Ordering::SeqCst) {
            after += 1;
        }
        let cases = store.load_cases().expect("cases (readers are never blocked)");
        let Some((case, action)) = citygrid::desk::sim::pick_step(&workflow, &user, cases, &mut rng) else { break };
        let ticket = worker.ticket();
        let sent = Instant::now();
        worker.send(DeskRequest::Apply { ticket, actor: user.clone(), case_id: case.id, revision: case.revision, action, now });
        let mut answered = false;
        loop {
            let Some(reply) = worker.wait_reply(Duration::from_secs(120)) else {
                log.errors.push(format!("no answer to step {ticket}"));
                break;
            };
            match reply {
                DeskReply::Busy { ticket: busy, .. } if busy == ticket => {
                    log.busy += 1;
                    if !answered {
                        log.first_answer.push(sent.elapsed());
                        answered = true;
                    }
                }
                DeskReply::Applied { ticket: done, result } if done == ticket => {
                    if !answered {
                        log.first_answer.push(sent.elapsed());
                    }
                    match result {
                        Ok(case) => log.committed.push((case.id, case.revision, Instant::now())),
                        Err(error) if error.refusal().is_some() || matches!(error, citygrid::workflow::WorkflowError::Stale(_)) => {}
                        Err(error) => log.errors.push(error.to_string()),
                    }
                    break;
                }
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    log
}

#[test]
fn an_import_of_200000_parts_while_two_seats_work_and_the_wall_watches() {
    let (dir, db, _) = common::small_demo(2_000, 400);
    let file = dir.path().join("lamps.geojson");
    lamps(&file);
    let parts_before = Store::open(&db).expect("open").load_parts().expect("parts").len();
    // The wall's feed: the same worker and polling the wall uses, collecting what it reports.
    let since = Store::open(&db).expect("open").last_case_event_id().expect("newest");
    let wall = DeskWorker::start(citygrid::store::Location::File(db.clone()), since, || {}).expect("the wall's worker");
    let seen: Arc<Mutex<Vec<(i64, u32, Instant)>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (seen, done) = (Arc::clone(&seen), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                if let Some(DeskReply::Changed(cases)) = wall.wait_reply(Duration::from_millis(100)) {
                    let at = Instant::now();
                    seen.lock().expect("lock").extend(cases.into_iter().map(|case| (case.id, case.revision, at)));
                }
            }
        })
    };

    let importing = Arc::new(AtomicBool::new(true));
    let import = Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
        .arg("--db")
        .arg(&db)
        .args(["import", "--as", "admin", "--target", "parts", "--on-issue", "stop"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the import starts");
    let started = Instant::now();
    let seats: Vec<_> = [("dispatch1", 1), ("leader1", 2)]
        .into_iter()
        .map(|(login, seed)| {
            let (db, importing) = (db.clone(), Arc::clone(&importing));
            std::thread::spawn(move || seat(&db, login, seed, &importing))
        })
        .collect();
    let output = import.wait_with_output().expect("the import ends");
    let import_s = started.elapsed().as_secs_f64();
    importing.store(false, Ordering::SeqCst);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let logs: Vec<SeatLog> = seats.into_iter().map(|seat| seat.join().expect("the seat finished")).collect();
    std::thread::sleep(Duration::from_secs(3));
    done.store(true, Ordering::SeqCst);
    watcher.join().expect("the wall's feed");

    let store = Store::open(&db).expect("open");
    assert_eq!(store.load_parts().expect("parts").len(), parts_before + LAMPS, "the import is whole");
    assert!(store.verify_audit(None).expect("verify").is_intact());
    let seen = seen.lock().expect("lock");
    let (mut steps, mut busy, mut slowest_answer, mut slowest_wall) = (0, 0, Duration::ZERO, Duration::ZERO);
    for log in &logs {
        assert!(log.errors.is_empty(), "{:?}", log.errors);
        busy += log.busy;
        for answer in &log.first_answer {
            slowest_answer = slowest_answer.max(*answer);
        }
        for (case_id, revision, committed) in &log.committed {
            steps += 1;
            let shown = seen
                .iter()
                .find(|(id, shown_revision, _)| id == case_id && shown_revision >= revision)
                .unwrap_or_else(|| panic!("case {case_id} at revision {revision} never reached the wall"));
            slowest_wall = slowest_wall.max(shown.2.saturating_duration_since(*committed));
        }
    }
    println!(
        "import of {LAMPS} parts: {import_s:.1} s; {steps} steps committed, {busy} answered busy first; slowest first answer {:.2} s; slowest step to the wall {:.2} s",
        slowest_answer.as_secs_f64(),
        slowest_wall.as_secs_f64()
    );
    assert!(steps >= 4, "the seats took steps ({steps})");
    assert!(slowest_answer <= Duration::from_secs(6), "a step waited {slowest_answer:?} for its first answer");
    assert!(slowest_wall <= Duration::from_secs(2), "the wall showed a step {slowest_wall:?} after its commit");
}
