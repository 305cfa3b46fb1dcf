//! The desk's own thread: it holds a connection to the database and does everything that
//! touches the disk for the seat (signing in, taking steps, reporting cases, reading a case's
//! history, watching for changes made at other seats), so the UI thread never waits.
//!
//! The UI sends [`DeskRequest`]s and reads [`DeskReply`]s once per frame; the worker wakes the UI
//! when a reply is ready.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::model::{BacklogEntry, Case, CaseEvent, CaseRequest, DisputeRecord, ReporterFeedback, User};
use crate::store::{AuthError, Location, Store, StoreError};
use crate::workflow::{
    Action, DisputeDecision, DisputeOpening, DisputeOutcome, NewCase, ReportedCase, SiteCheckReport, UnitStatement, Workflow, WorkflowError,
};

/// How long a step keeps trying while another writer (an import) holds the database; the UI
/// is told "busy, retrying" after the first busy timeout ([`SEAT_BUSY_TIMEOUT`]).
pub const BUSY_GIVE_UP: Duration = Duration::from_secs(600);

/// How long one try of a step waits for another writer before the seat is told it is busy.
pub const SEAT_BUSY_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the worker looks for changes made at other seats.
pub const POLL_INTERVAL: Duration = Duration::from_millis(700);

/// Something for the worker to do.
#[derive(Debug, Clone)]
pub enum DeskRequest {
    SignIn {
        login: String,
        password: String,
        /// The seat's clock, compared with the file's newest step.
        now: NaiveDateTime,
    },
    /// The signed-in account changes its own password (required after an administrator set it).
    ChangePassword {
        actor: User,
        new_password: String,
    },
    /// One step on a case made on the copy at `revision`.
    Apply {
        ticket: u64,
        actor: User,
        case_id: i64,
        revision: u32,
        action: Action,
        now: NaiveDateTime,
    },
    /// Several steps, each on its own case and each its own transaction: (ticket, case id,
    /// revision, step). One refused does not stop the others.
    ApplyMany {
        ticket: u64,
        actor: User,
        steps: Vec<(u64, i64, u32, Action)>,
        now: NaiveDateTime,
    },
    Report {
        ticket: u64,
        actor: User,
        new_case: NewCase,
        now: NaiveDateTime,
    },
    /// Read a case's audit trail, requests and reporter feedback.
    Timeline {
        case_id: i64,
    },
    /// Read the backlog ledger (挂账问题库), ended entries included.
    Ledger,
    /// Read the newest shift handover notes.
    Handovers,
    /// Write a shift handover note.
    WriteHandover {
        actor: User,
        text: String,
        figures: serde_json::Value,
        now: NaiveDateTime,
    },
    /// Confirm reading a handover note.
    ConfirmHandover {
        actor: User,
        id: i64,
        now: NaiveDateTime,
    },
    /// Read every dispute with its site checks, statements and precedent.
    Disputes,
    /// Read the exchange's outbox: every unsent message and the newest sent ones.
    Outbox,
    /// Send an unsent message at once (shift leaders and administrators).
    Resend {
        actor: User,
        id: i64,
        now: NaiveDateTime,
    },
    /// The assessment of a period: the district's indicators and the units ranked per class.
    Assess {
        period: crate::assess::Period,
        options: crate::assess::ReportOptions,
        /// The seat's clock: a period that has not ended is measured as of it.
        now: NaiveDateTime,
    },
    /// Store the composite score's weights for every seat (administrators and shift leaders).
    SaveWeights {
        actor: User,
        weights: crate::assess::Weights,
    },
    /// The cases behind one figure of the assessment (drill-down).
    AssessCases {
        scope: crate::assess::Scope,
        period: crate::assess::Period,
        measure: crate::assess::Measure,
        now: NaiveDateTime,
        label: String,
    },
    /// One step of a responsibility dispute.
    Dispute {
        ticket: u64,
        actor: User,
        step: DisputeCommand,
        now: NaiveDateTime,
    },
}

/// A dispute step with its data.
#[derive(Debug, Clone, PartialEq)]
pub enum DisputeCommand {
    Open { case_id: i64, opening: DisputeOpening },
    SiteCheck { dispute_id: i64, report: SiteCheckReport },
    Statement { dispute_id: i64, statement: UnitStatement },
    Decide { dispute_id: i64, decision: DisputeDecision },
    Withdraw { dispute_id: i64, reason: String },
}

/// A case's history as the detail panel shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseTimeline {
    pub events: Vec<CaseEvent>,
    pub requests: Vec<CaseRequest>,
    pub feedback: Vec<ReporterFeedback>,
}

pub use crate::assess::Assessment;

/// How far behind the file's newest step a seat's clock may be before it is warned.
pub const CLOCK_WARNING_MINUTES: i64 = 5;

/// How many handover notes the handover window reads.
pub const HANDOVERS_SHOWN: usize = 20;

/// A signed-in seat: the account, and how far the seat's clock is behind the newest step in
/// the file when it is more than [`CLOCK_WARNING_MINUTES`] (its steps on cases touched since
/// would be refused).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    pub clock_behind: Option<ClockBehind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockBehind {
    pub minutes: i64,
    /// The newest step's time (China time).
    pub newest_step: NaiveDateTime,
}

/// The cases behind one figure of the assessment (drill-down).
#[derive(Debug, Clone, PartialEq)]
pub struct DrillDown {
    /// What the list is, as the case list's filter shows it.
    pub label: String,
    /// Case ids, once each, in id order.
    pub case_ids: Vec<i64>,
}

/// What the worker has to say.
#[derive(Debug)]
pub enum DeskReply {
    SignedIn(Result<Session, AuthError>),
    /// The step `ticket` waited the busy timeout for another writer (an import) and is being
    /// tried again; its `Applied`/`Reported`/`DisputeDone` follows.
    Busy {
        ticket: u64,
        waited: Duration,
    },
    PasswordChanged(Result<User, AuthError>),
    Applied {
        ticket: u64,
        result: Result<Case, WorkflowError>,
    },
    /// The newest handover notes, newest first.
    Handovers(Result<Vec<crate::model::Handover>, StoreError>),
    /// A handover note written or confirmed (`Ok`), or why not.
    HandoverWritten(Result<(), StoreError>),
    /// The steps of an `ApplyMany`, in its order: (case id, what became of it).
    AppliedMany {
        ticket: u64,
        results: Vec<(i64, Result<Case, WorkflowError>)>,
    },
    Reported {
        ticket: u64,
        result: Result<ReportedCase, WorkflowError>,
    },
    Timeline {
        case_id: i64,
        result: Result<CaseTimeline, StoreError>,
    },
    Ledger(Result<Vec<BacklogEntry>, StoreError>),
    Disputes(Result<Vec<DisputeRecord>, StoreError>),
    Outbox(Result<Vec<crate::model::OutboxRow>, StoreError>),
    /// The message will go at the next round (`true`), or was sent meanwhile; or why not.
    Resent(Result<bool, StoreError>),
    Assessed(Box<Result<Assessment, StoreError>>),
    AssessedCases(Result<DrillDown, StoreError>),
    /// The weights were stored, or why not.
    WeightsSaved(Result<crate::assess::Weights, String>),
    DisputeDone {
        ticket: u64,
        result: Box<Result<DisputeOutcome, WorkflowError>>,
    },
    /// Cases changed at other seats since the last look, as they are now.
    Changed(Vec<Case>),
    /// The committee's precedents, read again after a change at any seat.
    Precedents(Vec<crate::model::Precedent>),
    /// The database cannot be read right now; the worker keeps trying.
    Unavailable(String),
    /// The database can be read again after being unavailable.
    Available,
}

/// The UI's handle on the worker thread. Dropping it stops the thread.
pub struct DeskWorker {
    requests: Sender<DeskRequest>,
    replies: Receiver<DeskReply>,
    next_ticket: u64,
}

impl DeskWorker {
    /// Opens `path` on a new thread. `since_event_id` is the newest audit entry the app's copy
    /// of the cases already reflects: anything newer is sent as [`DeskReply::Changed`]. `wake`
    /// is called after every reply (the UI's repaint request).
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn start(location: Location, since_event_id: i64, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (request_tx, request_rx) = channel();
        let (reply_tx, reply_rx) = channel();
        std::thread::Builder::new().name("citygrid-desk".into()).spawn(move || {
            run(&location, since_event_id, &request_rx, &reply_tx, &wake);
        })?;
        Ok(Self { requests: request_tx, replies: reply_rx, next_ticket: 1 })
    }

    /// A fresh ticket to match a reply to its request.
    pub fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// Queues a request; `false` when the worker has stopped.
    pub fn send(&self, request: DeskRequest) -> bool {
        self.requests.send(request).is_ok()
    }

    /// The replies waiting, oldest first.
    pub fn replies(&self) -> Vec<DeskReply> {
        self.replies.try_iter().collect()
    }

    /// Waits up to `timeout` for the next reply (tests, command-line tools).
    pub fn wait_reply(&self, timeout: Duration) -> Option<DeskReply> {
        self.replies.recv_timeout(timeout).ok()
    }
}

struct Connected {
    store: Store,
    workflow: Workflow,
    data_version: i64,
    /// The assessment facts and the newest audit entry they reflect (rebuilt when it moves).
    facts: Option<(i64, crate::assess::FactBook)>,
}

fn connect(location: &Location) -> Result<Connected, StoreError> {
    let store = location.open()?;
    // A seat says "busy, retrying" after 3 s and keeps trying (`retry_while_busy`).
    store.set_busy_timeout(SEAT_BUSY_TIMEOUT)?;
    let workflow = Workflow::load(&store)?;
    let data_version = store.data_version()?;
    Ok(Connected { store, workflow, data_version, facts: None })
}

fn run(location: &Location, since_event_id: i64, requests: &Receiver<DeskRequest>, replies: &Sender<DeskReply>, wake: &dyn Fn()) {
    let send = |reply: DeskReply| {
        let sent = replies.send(reply).is_ok();
        wake();
        sent
    };
    let mut connected: Option<Connected> = None;
    // Step ids this worker makes: unique per worker, stable across the retries of one step.
    let nonce = rand::random::<u64>();
    let mut last_event_id = since_event_id;
    let mut unavailable = false;
    let mut last_poll = Instant::now().checked_sub(POLL_INTERVAL).unwrap_or_else(Instant::now);
    loop {
        if connected.is_none() {
            match connect(location) {
                Ok(fresh) => {
                    connected = Some(fresh);
                    if unavailable {
                        unavailable = false;
                        if !send(DeskReply::Available) {
                            return;
                        }
                    }
                    // Whatever changed while we were away.
                    last_poll = Instant::now().checked_sub(POLL_INTERVAL).unwrap_or_else(Instant::now);
                }
                Err(error) => {
                    if !unavailable {
                        unavailable = true;
                        if !send(DeskReply::Unavailable(error.to_string())) {
                            return;
                        }
                    }
                }
            }
        }
        let wait = POLL_INTERVAL.saturating_sub(last_poll.elapsed());
        match requests.recv_timeout(wait) {
            Ok(request) => {
                let reply = match connected.as_mut() {
                    Some(link) => handle(link, &Steps { location, nonce }, request, &send),
                    None => unavailable_reply(request),
                };
                if !send(reply) {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if last_poll.elapsed() >= POLL_INTERVAL {
            last_poll = Instant::now();
            if let Some(link) = connected.as_mut() {
                match poll(link, &mut last_event_id) {
                    Ok(changed) if changed.is_empty() => {}
                    Ok(changed) => {
                        // A decision with a precedent changes its case too: read them again.
                        let precedents = link.store.load_precedents();
                        if !send(DeskReply::Changed(changed)) {
                            return;
                        }
                        if let Ok(precedents) = precedents
                            && !send(DeskReply::Precedents(precedents))
                        {
                            return;
                        }
                    }
                    Err(error) => {
                        // Drop the connection and reconnect on the next round.
                        connected = None;
                        unavailable = true;
                        if !send(DeskReply::Unavailable(error.to_string())) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Changes by other connections since the last look; the cheap `data_version` check first.
fn poll(link: &mut Connected, last_event_id: &mut i64) -> Result<Vec<Case>, StoreError> {
    let version = link.store.data_version()?;
    if version == link.data_version {
        return Ok(Vec::new());
    }
    link.data_version = version;
    let (cases, newest) = link.store.cases_changed_since(*last_event_id)?;
    *last_event_id = newest;
    Ok(cases)
}

/// Runs a write, trying again while another connection holds the database (SQLite's busy
/// timeout each time), and tells the UI once that it is waiting.
fn retry_while_busy<T>(
    ticket: u64,
    notify: &dyn Fn(DeskReply) -> bool,
    mut attempt: impl FnMut() -> Result<T, WorkflowError>,
) -> Result<T, WorkflowError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        match attempt() {
            Err(error) if error.is_busy() && started.elapsed() < BUSY_GIVE_UP => {
                if !told {
                    told = true;
                    notify(DeskReply::Busy { ticket, waited: started.elapsed() });
                }
            }
            other => return other,
        }
    }
}

/// Where the worker reconnects to, and what makes its step ids unique.
struct Steps<'a> {
    location: &'a Location,
    nonce: u64,
}

/// How long a step waits for a lost server to come back before it is given up (the seat is
/// told the server is unavailable meanwhile).
pub const RECONNECT_GIVE_UP: Duration = Duration::from_secs(120);

/// Takes a step with its id; when the connection to the server is lost on the way, connects
/// again (telling the seat meanwhile) and reads whether the step was committed before it was
/// lost: then its result is what `applied` reads, else the step is taken again. A step is thus
/// applied once, never lost, whatever the moment the server went away.
fn step_once<T>(
    link: &mut Connected,
    steps: &Steps<'_>,
    ticket: u64,
    notify: &dyn Fn(DeskReply) -> bool,
    mut attempt: impl FnMut(&Workflow, &mut Store) -> Result<T, WorkflowError>,
    applied: impl Fn(&Store, i64) -> Result<T, WorkflowError>,
) -> Result<T, WorkflowError> {
    let step_id = format!("{:016x}-{ticket}", steps.nonce);
    loop {
        let result = {
            let (workflow, store) = (&link.workflow, &mut link.store);
            retry_while_busy(ticket, notify, || {
                store.set_step_id(Some(step_id.clone()));
                let result = attempt(workflow, store);
                store.set_step_id(None);
                result
            })
        };
        match result {
            Err(error) if error.is_disconnected() => {
                notify(DeskReply::Unavailable(error.to_string()));
                let started = Instant::now();
                *link = loop {
                    match connect(steps.location) {
                        Ok(fresh) => break fresh,
                        Err(error) if started.elapsed() >= RECONNECT_GIVE_UP => return Err(error.into()),
                        Err(_) => std::thread::sleep(Duration::from_millis(500)),
                    }
                };
                notify(DeskReply::Available);
                if let Some(case_id) = link.store.step_applied(&step_id)? {
                    return applied(&link.store, case_id);
                }
            }
            other => return other,
        }
    }
}

/// A case as it is now, for a step found committed after a lost connection.
fn case_now(store: &Store, case_id: i64) -> Result<Case, WorkflowError> {
    store.load_case(case_id)?.ok_or(WorkflowError::NoSuchCase { case_id })
}

fn handle(link: &mut Connected, steps: &Steps<'_>, request: DeskRequest, notify: &dyn Fn(DeskReply) -> bool) -> DeskReply {
    match request {
        DeskRequest::SignIn { login, password, now } => {
            DeskReply::SignedIn(link.store.authenticate(login.trim(), &password).and_then(|user| {
                let clock_behind = link.store.newest_step_time()?.and_then(|newest_step| {
                    let minutes = (newest_step - now).num_minutes();
                    (minutes > CLOCK_WARNING_MINUTES).then_some(ClockBehind { minutes, newest_step })
                });
                Ok(Session { user, clock_behind })
            }))
        }
        DeskRequest::ChangePassword { actor, new_password } => {
            DeskReply::PasswordChanged(link.store.set_password(&actor, actor.id, &new_password))
        }
        DeskRequest::Apply { ticket, actor, case_id, revision, action, now } => {
            let result = step_once(
                link,
                steps,
                ticket,
                notify,
                |workflow, store| workflow.apply(store, &actor, case_id, revision, &action, now),
                case_now,
            );
            DeskReply::Applied { ticket, result }
        }
        DeskRequest::ApplyMany { ticket, actor, steps: batch, now } => {
            let mut results = Vec::with_capacity(batch.len());
            for (step_ticket, case_id, revision, action) in batch {
                let apply = |workflow: &Workflow, store: &mut Store| workflow.apply(store, &actor, case_id, revision, &action, now);
                results.push((case_id, step_once(link, steps, step_ticket, notify, apply, case_now)));
            }
            DeskReply::AppliedMany { ticket, results }
        }
        DeskRequest::Report { ticket, actor, new_case, now } => {
            let result = step_once(
                link,
                steps,
                ticket,
                notify,
                |workflow, store| workflow.report_case(store, &actor, new_case.clone(), now),
                |store, case_id| Ok(ReportedCase { case: case_now(store, case_id)?, possible_duplicates: Vec::new() }),
            );
            DeskReply::Reported { ticket, result }
        }
        DeskRequest::Timeline { case_id } => DeskReply::Timeline { case_id, result: timeline(&link.store, case_id) },
        DeskRequest::Ledger => DeskReply::Ledger(link.store.backlog_ledger(false)),
        DeskRequest::Handovers => DeskReply::Handovers(link.store.handovers(HANDOVERS_SHOWN)),
        DeskRequest::WriteHandover { actor, text, figures, now } => {
            DeskReply::HandoverWritten(link.store.write_handover(&actor, now, &text, &figures).map(|_| ()))
        }
        DeskRequest::ConfirmHandover { actor, id, now } => DeskReply::HandoverWritten(link.store.confirm_handover(&actor, id, now)),
        DeskRequest::Disputes => DeskReply::Disputes(disputes(&link.store)),
        DeskRequest::Outbox => DeskReply::Outbox(link.store.outbox_rows(200)),
        DeskRequest::Resend { actor, id, now } => DeskReply::Resent(link.store.resend_message(&actor, id, now)),
        DeskRequest::Assess { period, mut options, now } => DeskReply::Assessed(Box::new(
            // Every seat ranks with the weights stored in the database.
            crate::assess::Weights::load(&link.store)
                .and_then(|weights| {
                    options.weights = weights;
                    facts(link, now)
                })
                .map(|facts| Assessment::compute(facts, period, options)),
        )),
        DeskRequest::SaveWeights { actor, weights } => {
            // Who may change them is checked in the write's own transaction, on the account as
            // it is in the file then.
            DeskReply::WeightsSaved(weights.save(&mut link.store, &actor).map(|()| weights).map_err(|error| match error {
                StoreError::Access(access) => format!("{} / {}", access.message(true), access.message(false)),
                other => other.to_string(),
            }))
        }
        DeskRequest::AssessCases { scope, period, measure, label, now } => DeskReply::AssessedCases(facts(link, now).map(|facts| {
            let mut case_ids = facts.cases(&scope, &period, measure);
            case_ids.sort_unstable();
            case_ids.dedup();
            DrillDown { label, case_ids }
        })),
        DeskRequest::Dispute { ticket, actor, step, now } => {
            let result = step_once(
                link,
                steps,
                ticket,
                notify,
                |workflow, store| match &step {
                    DisputeCommand::Open { case_id, opening } => workflow.open_dispute(store, &actor, *case_id, opening, now),
                    DisputeCommand::SiteCheck { dispute_id, report } => workflow.record_site_check(store, &actor, *dispute_id, report, now),
                    DisputeCommand::Statement { dispute_id, statement } => {
                        workflow.add_statement(store, &actor, *dispute_id, statement, now)
                    }
                    DisputeCommand::Decide { dispute_id, decision } => workflow.decide_dispute(store, &actor, *dispute_id, decision, now),
                    DisputeCommand::Withdraw { dispute_id, reason } => workflow.withdraw_dispute(store, &actor, *dispute_id, reason, now),
                },
                |store, case_id| {
                    // The newest dispute of the case is the one the step wrote.
                    let dispute = store.disputes_of_case(case_id)?.into_iter().max_by_key(|dispute| dispute.id);
                    let record = dispute.map(|dispute| store.dispute_record(dispute.id)).transpose()?.flatten();
                    let record = record.ok_or(WorkflowError::NoSuchCase { case_id })?;
                    Ok(DisputeOutcome { record, case: case_now(store, case_id)? })
                },
            );
            DeskReply::DisputeDone { ticket, result: Box::new(result) }
        }
    }
}

/// The assessment facts from the audit trail: read once, and again only after a change.
/// The facts of every case, kept between requests (only changed cases are read again), measured
/// as of `now`.
fn facts(link: &mut Connected, now: NaiveDateTime) -> Result<&crate::assess::FactBook, StoreError> {
    let newest = link.store.last_case_event_id()?;
    match &mut link.facts {
        Some((seen, _)) if *seen == newest => {}
        // Only the cases changed since are recomputed.
        Some((seen, book)) => *seen = book.refresh(&mut link.store, link.workflow.calendar(), *seen)?,
        None => link.facts = Some((newest, crate::assess::FactBook::load(&link.store, link.workflow.calendar())?)),
    }
    if let Some((_, book)) = link.facts.as_mut() {
        book.as_of = Some(now);
    }
    link.facts.as_ref().map(|(_, facts)| facts).ok_or(StoreError::Unavailable)
}

fn disputes(store: &Store) -> Result<Vec<DisputeRecord>, StoreError> {
    let mut records = Vec::new();
    for dispute in store.load_disputes(false)? {
        if let Some(record) = store.dispute_record(dispute.id)? {
            records.push(record);
        }
    }
    Ok(records)
}

fn timeline(store: &Store, case_id: i64) -> Result<CaseTimeline, StoreError> {
    Ok(CaseTimeline {
        events: store.case_events(case_id)?,
        requests: store.case_requests(case_id)?,
        feedback: store.reporter_feedback(case_id)?,
    })
}

fn unavailable_reply(request: DeskRequest) -> DeskReply {
    let error = || StoreError::Unavailable;
    match request {
        DeskRequest::SignIn { .. } => DeskReply::SignedIn(Err(AuthError::Store(error()))),
        DeskRequest::ChangePassword { .. } => DeskReply::PasswordChanged(Err(AuthError::Store(error()))),
        DeskRequest::Apply { ticket, .. } => DeskReply::Applied { ticket, result: Err(WorkflowError::Store(error())) },
        DeskRequest::ApplyMany { ticket, steps, .. } => DeskReply::AppliedMany {
            ticket,
            results: steps.into_iter().map(|(_, case_id, ..)| (case_id, Err(WorkflowError::Store(error())))).collect(),
        },
        DeskRequest::Report { ticket, .. } => DeskReply::Reported { ticket, result: Err(WorkflowError::Store(error())) },
        DeskRequest::Timeline { case_id } => DeskReply::Timeline { case_id, result: Err(error()) },
        DeskRequest::Ledger => DeskReply::Ledger(Err(error())),
        DeskRequest::Handovers => DeskReply::Handovers(Err(error())),
        DeskRequest::WriteHandover { .. } | DeskRequest::ConfirmHandover { .. } => DeskReply::HandoverWritten(Err(error())),
        DeskRequest::Disputes => DeskReply::Disputes(Err(error())),
        DeskRequest::Outbox => DeskReply::Outbox(Err(error())),
        DeskRequest::Resend { .. } => DeskReply::Resent(Err(error())),
        DeskRequest::Assess { .. } => DeskReply::Assessed(Box::new(Err(error()))),
        DeskRequest::AssessCases { .. } => DeskReply::AssessedCases(Err(error())),
        DeskRequest::SaveWeights { .. } => DeskReply::WeightsSaved(Err(error().to_string())),
        DeskRequest::Dispute { ticket, .. } => DeskReply::DisputeDone { ticket, result: Box::new(Err(WorkflowError::Store(error()))) },
    }
}
