//! A simulated seat: one process signed in as one user, taking every step its role allows on
//! randomly chosen cases, as fast as it can, on a database other seats use at the same time.
//! Used by `citygrid seat-sim` and the several-seats test: it counts what it applied, what was
//! refused because another seat got there first, and any "database is locked" error (there
//! must be none).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use rand::seq::{IndexedRandom as _, SliceRandom as _};
use rand::{Rng as _, SeedableRng as _};

use crate::model::{CloseType, User};
use crate::store::{Location, Store, StoreError};
use crate::workflow::{Action, ActionKind, Workflow, WorkflowError, allowed_actions};

/// What one simulated seat did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeatReport {
    pub login: String,
    /// Steps written, each with its audit entry.
    pub applied: usize,
    /// Steps refused because the case changed at another seat first (the stale-copy check).
    pub stale: usize,
    /// Steps the rules refused (the case moved on between reading and acting).
    pub refused: usize,
    /// "database is locked" or "busy" errors seen (must stay 0).
    pub locked: usize,
    /// Other errors, with their messages.
    pub errors: Vec<String>,
    /// How long each applied step took to commit (read, check, write, audit, fsync), µs.
    #[serde(default)]
    pub commit_us: Vec<u64>,
}

/// The data a step needs, made up for the simulation; `None` for steps it does not take.
fn action_for(kind: ActionKind, case: &crate::model::Case, workflow: &Workflow, rng: &mut impl rand::Rng) -> Option<Action> {
    // Cases go to the units that handle them, never the centre or the committee.
    let handling: Vec<&crate::model::Unit> = workflow.units().iter().filter(|unit| unit.takes_dispatches()).collect();
    let unit = handling.get(rng.random_range(0..handling.len().max(1)))?.id;
    let note = String::from("模拟坐席");
    Some(match kind {
        ActionKind::File => Action::File { note, correction: None },
        ActionKind::Dispatch => Action::Dispatch { unit, note },
        ActionKind::Redispatch => Action::Redispatch { unit, note },
        ActionKind::Handle => Action::Handle { note, photos: Vec::new() },
        ActionKind::VerifyPass => Action::VerifyPass { note, photos: Vec::new() },
        ActionKind::VerifyFail => Action::VerifyFail { reason: note, photos: Vec::new() },
        // A regular close follows a passed verification; erroneous closes are not simulated.
        ActionKind::Close if case.state == crate::model::CaseState::Verified => Action::Close { close_type: CloseType::Normal, note },
        ActionKind::ReturnToCentre => Action::ReturnToCentre { reason: note },
        ActionKind::RefuseReturn => Action::RefuseReturn { reason: note },
        ActionKind::SignFor => Action::SignFor { note },
        ActionKind::Arrive => Action::Arrive { note, photos: Vec::new(), location: None },
        ActionKind::Urge => Action::Urge { note },
        _ => return None,
    })
}

/// A step `user` may take on one of `cases` (tried in a random order), with made-up data.
pub fn pick_step(
    workflow: &Workflow,
    user: &User,
    mut cases: Vec<crate::model::Case>,
    rng: &mut impl rand::Rng,
) -> Option<(crate::model::Case, Action)> {
    cases.shuffle(rng);
    cases.into_iter().find_map(|case| {
        let mut kinds = allowed_actions(workflow, user, &case);
        kinds.shuffle(rng);
        kinds.into_iter().find_map(|kind| action_for(kind, &case, workflow, rng)).map(|action| (case, action))
    })
}

fn is_locked(error: &StoreError) -> bool {
    let text = error.to_string();
    text.contains("database is locked") || text.contains("database table is locked") || text.contains("busy")
}

/// Takes steps as every account of the district in turn (each step by a random account that may
/// take one) until killed, calling `committed` with each case as its step committed: the child
/// of the crash test, which prints them and is killed with SIGKILL at a random moment.
///
/// # Errors
/// The database cannot be opened or read.
pub fn run_until_killed(path: &Path, seed: u64, now: NaiveDateTime, committed: &mut dyn FnMut(&crate::model::Case)) -> anyhow::Result<()> {
    let mut store = Store::open(path)?;
    let workflow = Workflow::load(&store)?;
    let users: Vec<User> = store.load_users()?.into_iter().filter(|user| user.role != crate::model::Role::Administrator).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    loop {
        let mut cases = store.load_cases()?;
        cases.shuffle(&mut rng);
        let Some((user, case, action)) = cases.into_iter().find_map(|case| {
            let user = users.choose(&mut rng)?;
            let mut kinds = allowed_actions(&workflow, user, &case);
            kinds.shuffle(&mut rng);
            kinds.into_iter().find_map(|kind| action_for(kind, &case, &workflow, &mut rng)).map(|action| (user, case, action))
        }) else {
            continue;
        };
        match workflow.apply(&mut store, user, case.id, case.revision, &action, now) {
            Ok(case) => committed(&case),
            Err(WorkflowError::Stale(_) | WorkflowError::Refused(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
}

/// Runs a seat signed in as `login` for `steps` attempts (or until `deadline`), acting at `now`.
///
/// # Errors
/// The database cannot be opened or the login does not exist.
pub fn run_seat(path: &Path, login: &str, steps: usize, seed: u64, now: NaiveDateTime, deadline: Duration) -> anyhow::Result<SeatReport> {
    let seat = Seat { login, steps, seed, now, deadline, think: Duration::from_millis(5) };
    run_seat_at(&Location::File(path.to_owned()), &seat)
}

/// What a simulated seat does: who, how many attempts, at what time, for how long at most, and
/// how long a person takes between reading the list and acting (a random pause of up to
/// `think`).
#[derive(Debug, Clone)]
pub struct Seat<'a> {
    pub login: &'a str,
    pub steps: usize,
    pub seed: u64,
    pub now: NaiveDateTime,
    pub deadline: Duration,
    pub think: Duration,
}

/// [`run_seat`] on a file or a server (as the account's own login there).
///
/// # Errors
/// The database cannot be opened or the login does not exist.
pub fn run_seat_at(location: &Location, seat: &Seat<'_>) -> anyhow::Result<SeatReport> {
    let Seat { login, steps, seed, now, deadline, think } = *seat;
    let mut store = location.open()?;
    let workflow = Workflow::load(&store)?;
    let user: User = store.user_by_login(login)?.ok_or_else(|| anyhow::anyhow!("no account {login:?}"))?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut report = SeatReport { login: login.to_owned(), ..SeatReport::default() };
    let started = Instant::now();
    let mut attempts = 0;
    while attempts < steps && started.elapsed() < deadline {
        let mut cases = match store.load_cases() {
            Ok(cases) => cases,
            Err(error) if is_locked(&error) => {
                report.locked += 1;
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        // A case this seat can act on, with a step it knows how to fill in.
        let Some((case, action)) = pick_step(&workflow, &user, std::mem::take(&mut cases), &mut rng) else {
            break;
        };
        attempts += 1;
        // A person takes a moment between reading the list and acting on it.
        std::thread::sleep(think.mul_f64(rng.random_range(0.0..1.0)));
        let started = Instant::now();
        match workflow.apply(&mut store, &user, case.id, case.revision, &action, now) {
            Ok(_) => {
                report.applied += 1;
                report.commit_us.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            Err(WorkflowError::Stale(_)) => report.stale += 1,
            Err(WorkflowError::Refused(_)) => report.refused += 1,
            Err(WorkflowError::Store(error)) if is_locked(&error) => report.locked += 1,
            Err(error) => report.errors.push(error.to_string()),
        }
    }
    Ok(report)
}
