//! The case workflow (案卷流转, Art. 13–19, 21, 26 of the 2018 measures): which step each role
//! may take in which state, what it needs and what it changes — the handling deadline on the
//! working calendar, extensions (延期), deferrals (缓办) and the backlog ledger (挂账) that pause
//! the clock, rework (返工) counts, the close type — and the audit trail entry of every step.
//!
//! A step is [`Workflow::apply`]: in one transaction it reads the case, refuses a stale copy
//! (naming who changed it last and when), checks the [transition table](rules::TRANSITIONS),
//! updates the case row (revision + 1) and appends the audit entry with the step's data, plus the
//! side rows (requests, pauses, ledger, reporter feedback): all of it, or nothing. The decision
//! itself is a pure function of the case, the actor, the action and the time, so the rules are
//! tested without a database. [`suggest_unit`] proposes the responsible unit; [`deadline_status`]
//! gives the warning light; [`Workflow::report_case`] writes a new case with a duplicate check.
//!
//! What it must not do: know about egui (the UI reads [`allowed_actions`] and shows
//! [`WorkflowError::message`]); write SQL itself (rows go through `store`'s small API); read the
//! wall clock (every step is given its `now`, China local time, so the demo and tests can replay
//! history). Times inside the audit data are UTC ISO-8601 (`…Z`), like the DATETIME columns.

mod action;
mod deadline;
mod dispute;
mod engine;
mod error;
mod report;
mod routing;
pub mod rules;

pub use action::{Action, ActionKind, FileCorrection};
pub use deadline::{ClockState, DeadlineStatus, StageClock, deadline_status, stage_clock, waiting_stage};
pub use dispute::{
    DisputeDecision, DisputeOpening, DisputeOutcome, DisputeStep, PrecedentDraft, SiteCheckReport, UnitStatement, allowed_dispute_steps,
};
pub use error::{Refusal, StaleCase, UnitLabel, WorkflowError};
pub use report::{DUPLICATE_RADIUS_M, DuplicateWarning, NewCase, ReportedCase};
pub use routing::{
    Candidate, PartLookup, PartsByCode, RoutingData, RoutingQuery, RoutingRule, Suggestion, dispute_candidates, suggest_unit,
};

use crate::store::Tx;
use chrono::NaiveDateTime;

use crate::calendar::{WorkCalendar, WorkScheme};
use crate::model::{Case, CommandManual, Keyword, Unit, UnitId, User};
use crate::store::{NewCaseEvent, Store, StoreError};

use engine::Effect;

/// What the rules need to know besides the case: the command manual (time limits), the working
/// calendar (deadlines) and the responsible units (dispatch targets, names in messages).
#[derive(Debug, Clone)]
pub struct Workflow {
    manual: CommandManual,
    calendar: WorkCalendar,
    units: Vec<Unit>,
}

impl Workflow {
    #[must_use]
    pub fn new(manual: CommandManual, calendar: WorkCalendar, units: Vec<Unit>) -> Self {
        Self { manual, calendar, units }
    }

    /// The manual, holiday calendar (office hours) and units stored in the database.
    ///
    /// # Errors
    /// SQL errors or undecodable rows.
    pub fn load(store: &Store) -> Result<Self, StoreError> {
        let calendar = WorkCalendar::new(store.load_holidays()?, WorkScheme::office_hours());
        Ok(Self::new(store.load_manual()?, calendar, store.load_units()?))
    }

    #[must_use]
    pub fn manual(&self) -> &CommandManual {
        &self.manual
    }

    #[must_use]
    pub fn calendar(&self) -> &WorkCalendar {
        &self.calendar
    }

    #[must_use]
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// A unit's names for messages (its id when unknown).
    #[must_use]
    pub fn unit_label(&self, unit: UnitId) -> UnitLabel {
        self.units.iter().find(|known| known.id == unit).map_or_else(
            || UnitLabel { id: unit, name_zh: format!("单位 {}", unit.0), name_en: format!("unit {}", unit.0) },
            |known| UnitLabel { id: unit, name_zh: known.name_zh.clone(), name_en: known.name_en.clone() },
        )
    }

    /// Whether `unit` exists and handles cases (not the centre nor the committee).
    ///
    /// # Errors
    /// [`Refusal::UnknownUnit`], [`Refusal::NotAHandlingUnit`].
    pub(crate) fn check_handling_unit(&self, unit: UnitId) -> Result<(), Refusal> {
        match self.units.iter().find(|known| known.id == unit) {
            None => Err(Refusal::UnknownUnit { unit }),
            Some(known) if !known.takes_dispatches() => Err(Refusal::NotAHandlingUnit { unit: self.unit_label(unit) }),
            Some(_) => Ok(()),
        }
    }

    /// Takes one step on a case in a transaction of its own.
    ///
    /// # Errors
    /// See [`Self::apply_in`]; nothing is written on any error.
    pub fn apply(
        &self,
        store: &mut Store,
        actor: &User,
        case_id: i64,
        expected_revision: u32,
        action: &Action,
        now: NaiveDateTime,
    ) -> Result<Case, WorkflowError> {
        store.atomically(|tx| self.apply_in(tx, actor, case_id, expected_revision, action, now))
    }

    /// Takes one step on a case inside the caller's transaction: reads the case, checks the
    /// revision, the rules and the data, writes the case row (revision + 1), the audit entry and
    /// the side rows. Returns the case as it now is.
    ///
    /// # Errors
    /// [`WorkflowError::NoSuchCase`]; [`WorkflowError::Stale`] when the case's revision is not
    /// `expected_revision`; [`WorkflowError::Refused`] when the rules say no; SQL errors. The
    /// caller's transaction must then be rolled back (dropping it does), and nothing of the step
    /// remains.
    pub fn apply_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        case_id: i64,
        expected_revision: u32,
        action: &Action,
        now: NaiveDateTime,
    ) -> Result<Case, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let case = Store::case_by_id(tx, case_id)?.ok_or(WorkflowError::NoSuchCase { case_id })?;
        if case.revision != expected_revision {
            return Err(self.stale(tx, &case, expected_revision)?);
        }
        not_before_last_step(tx, &case, now)?;
        if matches!(action, Action::ReturnToCentre { .. }) {
            decision_binds(tx, &case)?;
        }
        let pending = if case.pending_request.is_some() { Store::pending_case_request(tx, case_id)? } else { None };
        let step = engine::decide(self, actor, &case, pending.as_ref(), action, now)?;
        if !Store::update_case(tx, &step.case, expected_revision)? {
            // Only reachable if the row changed between our read and write in this transaction.
            return Err(self.stale(tx, &case, expected_revision)?);
        }
        let mut updated = step.case;
        updated.revision = expected_revision + 1;
        Store::append_case_event(
            tx,
            &NewCaseEvent {
                case_id,
                at: now,
                actor_user_id: Some(actor.id),
                action: step.action.keyword(),
                from_state: Some(case.state),
                to_state: updated.state,
                data: &step.data,
            },
        )?;
        for effect in step.effects {
            write_effect(tx, &updated, actor, now, effect)?;
        }
        Ok(updated)
    }

    fn stale(&self, tx: &Tx<'_>, case: &Case, expected_revision: u32) -> Result<WorkflowError, StoreError> {
        let last = Store::last_case_event(tx, case.id)?;
        Ok(WorkflowError::Stale(StaleCase {
            case_id: case.id,
            case_no: case.case_no.clone(),
            expected_revision,
            current_revision: case.revision,
            changed_by: last.as_ref().and_then(|event| event.actor_name.clone()),
            changed_at: last.as_ref().map(|event| event.at),
            last_action: last.map(|event| event.action),
        }))
    }
}

/// Art. 18: the committee's decision "必须严格执行". The unit it designated for a case cannot
/// return that case again.
fn decision_binds(tx: &Tx<'_>, case: &Case) -> Result<(), WorkflowError> {
    let Some(unit) = case.unit else { return Ok(()) };
    let binding = Store::disputes_of_case_in(tx, case.id)?
        .into_iter()
        .rev()
        .find(|dispute| dispute.state == crate::model::DisputeState::Decided && dispute.designated_unit == Some(unit));
    match binding {
        Some(dispute) => Err(Refusal::DecisionBinds { case_no: case.case_no.clone(), dispute_id: dispute.id }.into()),
        None => Ok(()),
    }
}

/// Refuses a step timed before the case's last one: a seat whose clock was set back cannot make
/// a late case on time.
pub(crate) fn not_before_last_step(tx: &Tx<'_>, case: &Case, now: NaiveDateTime) -> Result<(), WorkflowError> {
    match Store::last_case_event(tx, case.id)? {
        Some(last) if now < last.at => Err(Refusal::EarlierThanLastStep { case_no: case.case_no.clone(), last_at: last.at, now }.into()),
        _ => Ok(()),
    }
}

fn write_effect(tx: &Tx<'_>, case: &Case, actor: &User, now: NaiveDateTime, effect: Effect) -> Result<(), StoreError> {
    match effect {
        Effect::OpenRequest { kind, reason, extension } => {
            let request = crate::model::CaseRequest {
                id: 0,
                case_id: case.id,
                kind,
                requested_at: now,
                requested_by: Some(actor.id),
                reason,
                extension,
                decision: None,
                decided_at: None,
                decided_by: None,
                decision_note: String::new(),
            };
            Store::insert_case_request(tx, &request)?;
        }
        Effect::DecideRequest { request_id, decision, note } => {
            Store::decide_case_request(tx, request_id, decision, now, Some(actor.id), &note)?
        }
        Effect::StartPause { kind } => Store::open_case_pause(tx, case.id, kind, now, case.limit_unit)?,
        Effect::EndPause { paused_minutes } => Store::close_case_pause(tx, case.id, now, paused_minutes)?,
        Effect::EnterLedger { reason } => {
            Store::open_backlog_entry(tx, case, &reason, now, Some(actor.id))?;
        }
        Effect::LeaveLedger { how, note } => Store::end_backlog_entry(tx, case.id, now, Some(actor.id), how, &note)?,
        Effect::ReporterFeedback { told_at, channel, satisfaction, note } => {
            let feedback = crate::model::ReporterFeedback {
                id: 0,
                case_id: case.id,
                told_at,
                channel,
                satisfaction,
                note,
                recorded_at: now,
                recorded_by: Some(actor.id),
            };
            Store::insert_reporter_feedback(tx, &feedback)?;
        }
    }
    Ok(())
}

/// Whether `actor` may take the step `kind` on `case` now (see [`allowed_actions`]).
#[must_use]
pub fn may_take(workflow: &Workflow, actor: &User, case: &Case, kind: ActionKind) -> bool {
    engine::check_permission(workflow, actor, case, kind).is_ok()
}

/// The steps `actor` may take on `case` now, by role, state, own unit and pending request (the
/// data a step needs is checked only when it is taken). For the UI's buttons.
#[must_use]
pub fn allowed_actions(workflow: &Workflow, actor: &User, case: &Case) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|action| *action != ActionKind::Report)
        .filter(|action| engine::check_permission(workflow, actor, case, *action).is_ok())
        .collect()
}
