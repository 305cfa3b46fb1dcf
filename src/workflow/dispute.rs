//! Responsibility disputes (责任争议, Art. 18–19): when a unit returns a case as not its own, or
//! the centre finds the responsible unit unclear, the centre opens a dispute, organises the
//! on-site confirmation (现场确认) with the units involved, each unit states its case, and the
//! coordination committee (城管委) decides, citing the Art. 19 rule it applied. Its decision
//! binds: a returned (or not yet dispatched) case goes to the designated unit with a new handling
//! deadline, through the engine's own dispatch. A decision may set a precedent: a polygon, or a
//! point with a radius, where later cases (of one class, or all) go straight to that unit.
//!
//! Every step is one transaction: the permission checks, the dispute rows, the case row
//! (revision + 1, so other seats see the change) and an audit entry in the case's trail
//! (`dispute_open`, `dispute_site_check`, `dispute_statement`, `dispute_decide`,
//! `dispute_withdraw`) — all of it, or nothing. Dispute steps are not [`super::ActionKind`]s:
//! they act on a dispute, not on the case's state, and carry their own data.
//!
//! What it must not do: know about egui, write SQL itself, or read the wall clock.

use crate::store::Tx;
use chrono::{NaiveDate, NaiveDateTime};
use geo::{Area, Point};
use serde_json::{Value, json};

use crate::calendar::LimitUnit;
use crate::model::{
    Art19Rule, Case, CaseState, CaseSubject, Dispute, DisputeOrigin, DisputeRecord, DisputeState, ItemKind, Keyword, Precedent,
    PrecedentArea, PrecedentClass, Role, SiteCheck, Statement, UnitId, User, keyword_enum,
};
use crate::store::{NewCaseEvent, Store, StoreError, utc_text_from_local};

use super::{ActionKind, Refusal, Workflow, WorkflowError, engine};

keyword_enum! {
    /// A step of a responsibility dispute; the keyword is the `action` written to the case's
    /// audit trail.
    pub enum DisputeStep {
        /// 发起责任争议: the centre opens a dispute over a returned or unclear case.
        Open = ("dispute_open", "发起责任争议", "Open a dispute"),
        /// 现场确认 (Art. 18): the centre records the on-site confirmation with the units.
        SiteCheck = ("dispute_site_check", "记录现场确认", "Record the site check"),
        /// 单位陈述: a unit party to the dispute states its case.
        Statement = ("dispute_statement", "提交单位陈述", "Add a unit statement"),
        /// 城管委裁定 (Art. 18–19): the committee designates the responsible unit.
        Decide = ("dispute_decide", "城管委裁定", "Committee decision"),
        /// 撤销争议: settled without a decision.
        Withdraw = ("dispute_withdraw", "撤销争议", "Withdraw the dispute"),
    }
}

use CaseState::{Backlog, Closed, Deferred, Dispatched, Filed, Handled, Returned, Verified};
use Role::{CommitteeMember, Dispatcher, ShiftLeader, UnitOperator};

/// Cases a dispute may be opened on: filed, and not rejected or cancelled. A closed case
/// qualifies: under Art. 19 (2) the unit acts first and responsibility is settled after.
const OPENABLE: &[CaseState] = &[Filed, Dispatched, Returned, Handled, Verified, Closed, Deferred, Backlog];
/// Cases a decision sends to the designated unit: those with no unit working on them.
const DISPATCHABLE: &[CaseState] = &[Filed, Returned];

impl DisputeStep {
    /// The roles that may take the step.
    #[must_use]
    pub fn roles(self) -> &'static [Role] {
        match self {
            Self::Open | Self::SiteCheck | Self::Withdraw => &[Dispatcher, ShiftLeader],
            Self::Statement => &[UnitOperator],
            Self::Decide => &[CommitteeMember],
        }
    }

    /// The label in the requested language.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        if chinese { self.label_zh() } else { self.label_en() }
    }
}

/// What the centre gives when it opens a dispute.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeOpening {
    /// The units party to it besides the one holding the case, which is always a party.
    pub units: Vec<UnitId>,
    /// What is disputed (mandatory).
    pub summary: String,
}

/// The on-site confirmation as the centre records it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteCheckReport {
    pub checked_on: NaiveDate,
    pub units_present: Vec<UnitId>,
    /// Where the problem was measured to be (WGS84).
    pub location: Point<f64>,
    pub photos: Vec<String>,
    /// What was found (mandatory).
    pub notes: String,
}

/// A unit's statement; the unit is the signed-in operator's own.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitStatement {
    /// Why the case is, or is not, the unit's (mandatory).
    pub text: String,
    pub photos: Vec<String>,
}

/// The precedent a decision sets.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecedentDraft {
    pub area: PrecedentArea,
    /// `None`: every class.
    pub class: Option<PrecedentClass>,
    /// First day in force; the day of the decision when `None`.
    pub valid_from: Option<NaiveDate>,
    pub note: String,
}

/// The committee's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeDecision {
    pub designated_unit: UnitId,
    pub art19_rule: Art19Rule,
    /// Why (mandatory).
    pub reasoning: String,
    pub precedent: Option<PrecedentDraft>,
}

/// A dispute after a step, and its case.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeOutcome {
    pub record: DisputeRecord,
    /// The case as it now is (revision + 1; dispatched to the designated unit after a decision
    /// on a returned or undispatched case).
    pub case: Case,
}

/// What a dispute step writes to its case: the row after the step and the audit entry.
struct CaseEntry<'a> {
    before: &'a Case,
    after: Case,
    step: DisputeStep,
    data: Value,
}

/// Trimmed text, or the refusal when it is empty.
fn required(text: &str, step: DisputeStep) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() { Err(Refusal::DisputeTextRequired { step }) } else { Ok(text.to_owned()) }
}

fn check_role(actor: &User, step: DisputeStep) -> Result<(), Refusal> {
    if step.roles().contains(&actor.role) {
        Ok(())
    } else {
        Err(Refusal::DisputeRoleNotAllowed { step, role: actor.role, allowed: step.roles().to_vec() })
    }
}

/// A WGS84 longitude and latitude.
pub(super) fn lonlat_ok(point: Point<f64>) -> bool {
    point.x().is_finite() && point.y().is_finite() && point.x().abs() <= 180.0 && point.y().abs() <= 90.0
}

fn check_area(area: &PrecedentArea) -> Result<(), Refusal> {
    let usable = match area {
        PrecedentArea::Polygon(polygon) => {
            let corners = polygon.exterior().0.len().saturating_sub(usize::from(polygon.exterior().is_closed()));
            corners >= 3 && polygon.exterior().points().all(lonlat_ok) && polygon.unsigned_area() > 0.0
        }
        PrecedentArea::Circle { centre, radius_m } => lonlat_ok(*centre) && radius_m.is_finite() && *radius_m > 0.0,
    };
    if usable { Ok(()) } else { Err(Refusal::InvalidPrecedentArea) }
}

fn units_data(units: &[UnitId]) -> Value {
    units.iter().map(|unit| unit.0).collect()
}

impl Workflow {
    fn check_units(&self, units: &[UnitId]) -> Result<(), Refusal> {
        units.iter().try_for_each(|unit| self.check_handling_unit(*unit))
    }

    /// The open dispute `dispute_id` with everything recorded on it, and its case.
    fn open_record(&self, tx: &Tx<'_>, dispute_id: i64, step: DisputeStep) -> Result<(DisputeRecord, Case), WorkflowError> {
        let record = Store::dispute_record_in(tx, dispute_id)?.ok_or(Refusal::NoSuchDispute { dispute_id })?;
        if !record.dispute.is_open() {
            return Err(Refusal::DisputeNotOpen { step, dispute_id, state: record.dispute.state }.into());
        }
        let case_id = record.dispute.case_id;
        let case = Store::case_by_id(tx, case_id)?.ok_or(WorkflowError::NoSuchCase { case_id })?;
        Ok((record, case))
    }

    /// Writes the case row (revision + 1) and the audit entry of a dispute step; returns the
    /// case as it now is.
    fn record_step(&self, tx: &Tx<'_>, actor: &User, entry: CaseEntry<'_>, now: NaiveDateTime) -> Result<Case, WorkflowError> {
        let CaseEntry { before, after, step, data } = entry;
        super::not_before_last_step(tx, before, now)?;
        if !Store::update_case(tx, &after, before.revision)? {
            // Only reachable if the row changed between our read and write in this transaction.
            return Err(self.stale(tx, before, before.revision)?);
        }
        let mut updated = after;
        updated.revision = before.revision + 1;
        Store::append_case_event(
            tx,
            &NewCaseEvent {
                case_id: before.id,
                at: now,
                actor_user_id: Some(actor.id),
                action: step.keyword(),
                from_state: Some(before.state),
                to_state: updated.state,
                data: &data,
            },
        )?;
        Ok(updated)
    }

    fn outcome(tx: &Tx<'_>, dispute_id: i64, case: Case) -> Result<DisputeOutcome, WorkflowError> {
        let record = Store::dispute_record_in(tx, dispute_id)?.ok_or(Refusal::NoSuchDispute { dispute_id })?;
        Ok(DisputeOutcome { record, case })
    }

    /// Opens a dispute on a case (Dispatcher, Shift leader). The unit holding the case is a
    /// party; on a returned case the origin is the unit's return (Art. 18), otherwise the
    /// centre. One open dispute per case.
    ///
    /// # Errors
    /// [`WorkflowError::Refused`] for the wrong role, a case not filed or already closed as
    /// rejected/cancelled, an open dispute on the case, no summary, no party or an unknown
    /// unit; [`WorkflowError::NoSuchCase`]; SQL errors. Nothing is written then.
    pub fn open_dispute_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        case_id: i64,
        opening: &DisputeOpening,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let step = DisputeStep::Open;
        check_role(actor, step)?;
        let case = Store::case_by_id(tx, case_id)?.ok_or(WorkflowError::NoSuchCase { case_id })?;
        if !OPENABLE.contains(&case.state) {
            return Err(Refusal::DisputeWrongCaseState { step, state: case.state, allowed: OPENABLE.to_vec() }.into());
        }
        if let Some(open) = Store::open_dispute_of_case(tx, case_id)? {
            return Err(Refusal::DisputeAlreadyOpen { case_no: case.case_no, dispute_id: open.id }.into());
        }
        let summary = required(&opening.summary, step)?;
        let mut units: Vec<UnitId> = case.unit.into_iter().collect();
        for unit in &opening.units {
            if !units.contains(unit) {
                units.push(*unit);
            }
        }
        if units.is_empty() {
            return Err(Refusal::DisputeNeedsUnits.into());
        }
        self.check_units(&units)?;
        let origin = if case.state == Returned { DisputeOrigin::Return } else { DisputeOrigin::Centre };
        let dispute = Dispute {
            id: 0,
            case_id,
            opened_at: now,
            opened_by: Some(actor.id),
            origin,
            summary,
            units,
            state: DisputeState::Open,
            art19_rule: None,
            decided_at: None,
            decided_by: None,
            designated_unit: None,
            reasoning: String::new(),
            withdrawn_at: None,
            withdrawn_by: None,
            withdraw_reason: String::new(),
        };
        let dispute_id = Store::insert_dispute(tx, &dispute)?;
        let data = json!({
            "dispute_id": dispute_id,
            "origin": origin.keyword(),
            "units": units_data(&dispute.units),
            "summary": dispute.summary,
        });
        let case = self.record_step(tx, actor, CaseEntry { before: &case, after: case.clone(), step, data }, now)?;
        Self::outcome(tx, dispute_id, case)
    }

    /// [`Self::open_dispute_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::open_dispute_in`].
    pub fn open_dispute(
        &self,
        store: &mut Store,
        actor: &User,
        case_id: i64,
        opening: &DisputeOpening,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        store.atomically(|tx| self.open_dispute_in(tx, actor, case_id, opening, now))
    }

    /// Records the on-site confirmation (Dispatcher, Shift leader). Units present become
    /// parties to the dispute.
    ///
    /// # Errors
    /// The wrong role, no such dispute or one no longer open, a day after `now`, no notes, an
    /// unknown unit or a location that is not longitude/latitude; SQL errors. Nothing is
    /// written then.
    pub fn record_site_check_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        dispute_id: i64,
        report: &SiteCheckReport,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let step = DisputeStep::SiteCheck;
        check_role(actor, step)?;
        let (_, case) = self.open_record(tx, dispute_id, step)?;
        if report.checked_on > now.date() {
            return Err(Refusal::DateInFuture { date: report.checked_on }.into());
        }
        let notes = required(&report.notes, step)?;
        // The centre and the committee may well be on site: only unknown units are refused.
        if let Some(unit) = report.units_present.iter().find(|unit| !self.units.iter().any(|known| known.id == **unit)) {
            return Err(Refusal::UnknownUnit { unit: *unit }.into());
        }
        if !lonlat_ok(report.location) {
            return Err(Refusal::InvalidLocation.into());
        }
        let mut units_present = Vec::new();
        for unit in &report.units_present {
            if !units_present.contains(unit) {
                units_present.push(*unit);
            }
        }
        let check = SiteCheck {
            id: 0,
            dispute_id,
            checked_on: report.checked_on,
            units_present,
            location: report.location,
            photos: report.photos.clone(),
            notes,
            by: Some(actor.id),
            at: now,
        };
        let check_id = Store::insert_site_check(tx, &check)?;
        let data = json!({
            "dispute_id": dispute_id,
            "site_check_id": check_id,
            "checked_on": check.checked_on.format("%Y-%m-%d").to_string(),
            "units_present": units_data(&check.units_present),
            "location": [check.location.x(), check.location.y()],
            "photos": check.photos,
            "notes": check.notes,
        });
        let case = self.record_step(tx, actor, CaseEntry { before: &case, after: case.clone(), step, data }, now)?;
        Self::outcome(tx, dispute_id, case)
    }

    /// [`Self::record_site_check_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::record_site_check_in`].
    pub fn record_site_check(
        &self,
        store: &mut Store,
        actor: &User,
        dispute_id: i64,
        report: &SiteCheckReport,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        store.atomically(|tx| self.record_site_check_in(tx, actor, dispute_id, report, now))
    }

    /// Adds the signed-in unit operator's statement for its own unit, which must be party to
    /// the dispute (named when it was opened or present at a site check).
    ///
    /// # Errors
    /// The wrong role, an account bound to no unit, no such dispute or one no longer open, a
    /// unit not party to it, no text; SQL errors. Nothing is written then.
    pub fn add_statement_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        dispute_id: i64,
        statement: &UnitStatement,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let step = DisputeStep::Statement;
        check_role(actor, step)?;
        let Some(own) = actor.unit else { return Err(Refusal::DisputeNotBoundToUnit { step }.into()) };
        let (record, case) = self.open_record(tx, dispute_id, step)?;
        if !record.involves(own) {
            let parties = record.parties().into_iter().map(|unit| self.unit_label(unit)).collect();
            return Err(Refusal::UnitNotParty { step, own_unit: self.unit_label(own), parties }.into());
        }
        let text = required(&statement.text, step)?;
        let row = Statement { id: 0, dispute_id, unit: own, at: now, by: Some(actor.id), text, photos: statement.photos.clone() };
        let statement_id = Store::insert_dispute_statement(tx, &row)?;
        let data = json!({
            "dispute_id": dispute_id,
            "statement_id": statement_id,
            "unit_id": own.0,
            "unit": self.unit_label(own).name_zh,
            "text": row.text,
            "photos": row.photos,
        });
        let case = self.record_step(tx, actor, CaseEntry { before: &case, after: case.clone(), step, data }, now)?;
        Self::outcome(tx, dispute_id, case)
    }

    /// [`Self::add_statement_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::add_statement_in`].
    pub fn add_statement(
        &self,
        store: &mut Store,
        actor: &User,
        dispute_id: i64,
        statement: &UnitStatement,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        store.atomically(|tx| self.add_statement_in(tx, actor, dispute_id, statement, now))
    }

    /// Records the committee's decision (Committee member). A case that is returned, or filed
    /// and not yet dispatched, is dispatched to the designated unit with a new handling
    /// deadline from the command manual, exactly as a redispatch; a case a unit is already
    /// working on, or that is finished, is left as it is (Art. 19 (2): responsibility settled
    /// after). A precedent, if given, becomes a routing rule from its first day.
    ///
    /// # Errors
    /// The wrong role, no such dispute or one no longer open, an unknown unit or class, no
    /// reasoning, an unusable precedent area, a request pending on a case to be dispatched, no
    /// handling limit for the case's class; SQL errors. Nothing is written then.
    pub fn decide_dispute_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        dispute_id: i64,
        decision: &DisputeDecision,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let step = DisputeStep::Decide;
        check_role(actor, step)?;
        let (_, case) = self.open_record(tx, dispute_id, step)?;
        let unit = decision.designated_unit;
        self.check_units(&[unit])?;
        let reasoning = required(&decision.reasoning, step)?;
        if let Some(draft) = &decision.precedent {
            check_area(&draft.area)?;
            if let Some(class) = &draft.class
                && self.manual.entry(class.kind, &class.code).is_none()
            {
                let subject = if class.kind == ItemKind::Part { CaseSubject::Part } else { CaseSubject::Event };
                return Err(Refusal::UnknownClass { subject, class_code: class.code.clone() }.into());
            }
        }
        let mut next = case.clone();
        let dispatched = DISPATCHABLE.contains(&case.state);
        if dispatched {
            if let Some(pending) = case.pending_request {
                return Err(Refusal::RequestPending { action: ActionKind::Redispatch, pending }.into());
            }
            engine::dispatch(self, &mut next, unit, now)?;
            next.state = Dispatched;
        }
        if !Store::record_dispute_decision(tx, dispute_id, now, Some(actor.id), unit, decision.art19_rule, &reasoning)? {
            // The dispute was read as open in this transaction; only bad data gets here.
            return Err(StoreError::BadRow { table: "disputes", row: dispute_id, problem: "not open while deciding".into() }.into());
        }
        let precedent_id = match &decision.precedent {
            Some(draft) => {
                let precedent = Precedent {
                    id: 0,
                    dispute_id,
                    unit,
                    area: draft.area.clone(),
                    class: draft.class.clone(),
                    decided_on: now.date(),
                    valid_from: draft.valid_from.unwrap_or(now.date()),
                    valid_to: None,
                    note: draft.note.trim().to_owned(),
                };
                Some(Store::insert_precedent(tx, &precedent)?)
            }
            None => None,
        };
        let data = json!({
            "dispute_id": dispute_id,
            "designated_unit_id": unit.0,
            "unit": self.unit_label(unit).name_zh,
            "art19_rule": decision.art19_rule.keyword(),
            "reasoning": reasoning,
            "dispatched": dispatched,
            "previous_unit_id": case.unit.map(|unit| unit.0),
            "deadline_at": next.deadline_at.map(utc_text_from_local),
            "limit_unit": next.limit_unit.map(LimitUnit::as_str),
            "precedent_id": precedent_id,
        });
        let case = self.record_step(tx, actor, CaseEntry { before: &case, after: next, step, data }, now)?;
        Self::outcome(tx, dispute_id, case)
    }

    /// [`Self::decide_dispute_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::decide_dispute_in`].
    pub fn decide_dispute(
        &self,
        store: &mut Store,
        actor: &User,
        dispute_id: i64,
        decision: &DisputeDecision,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        store.atomically(|tx| self.decide_dispute_in(tx, actor, dispute_id, decision, now))
    }

    /// Withdraws an open dispute without a decision (Dispatcher, Shift leader), e.g. when the
    /// units agreed at the site check; the case is left as it is.
    ///
    /// # Errors
    /// The wrong role, no such dispute or one no longer open, no reason; SQL errors. Nothing
    /// is written then.
    pub fn withdraw_dispute_in(
        &self,
        tx: &Tx<'_>,
        actor: &User,
        dispute_id: i64,
        reason: &str,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let step = DisputeStep::Withdraw;
        check_role(actor, step)?;
        let (_, case) = self.open_record(tx, dispute_id, step)?;
        let reason = required(reason, step)?;
        if !Store::record_dispute_withdrawal(tx, dispute_id, now, Some(actor.id), &reason)? {
            return Err(StoreError::BadRow { table: "disputes", row: dispute_id, problem: "not open while withdrawing".into() }.into());
        }
        let data = json!({ "dispute_id": dispute_id, "reason": reason });
        let case = self.record_step(tx, actor, CaseEntry { before: &case, after: case.clone(), step, data }, now)?;
        Self::outcome(tx, dispute_id, case)
    }

    /// [`Self::withdraw_dispute_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::withdraw_dispute_in`].
    pub fn withdraw_dispute(
        &self,
        store: &mut Store,
        actor: &User,
        dispute_id: i64,
        reason: &str,
        now: NaiveDateTime,
    ) -> Result<DisputeOutcome, WorkflowError> {
        store.atomically(|tx| self.withdraw_dispute_in(tx, actor, dispute_id, reason, now))
    }
}

/// The dispute steps `actor` may take now on `case`, whose open dispute (if any) is `open`
/// (the data a step needs is checked only when it is taken). For the UI's buttons.
#[must_use]
pub fn allowed_dispute_steps(actor: &User, case: &Case, open: Option<&DisputeRecord>) -> Vec<DisputeStep> {
    DisputeStep::ALL
        .iter()
        .copied()
        .filter(|step| step.roles().contains(&actor.role))
        .filter(|step| match (step, open) {
            (DisputeStep::Open, None) => OPENABLE.contains(&case.state),
            (DisputeStep::Open, Some(_)) | (_, None) => false,
            (DisputeStep::Statement, Some(record)) => record.dispute.is_open() && actor.unit.is_some_and(|unit| record.involves(unit)),
            (_, Some(record)) => record.dispute.is_open(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon, polygon};

    #[test]
    fn every_step_has_roles_and_no_step_is_the_administrators() {
        for step in DisputeStep::ALL {
            assert!(!step.roles().is_empty(), "{step:?}");
            assert!(!step.roles().contains(&Role::Administrator), "{step:?}");
            assert!(step.keyword().starts_with("dispute_"));
            assert!(<ActionKind as Keyword>::from_keyword(step.keyword()).is_none(), "keywords do not clash with case actions");
        }
    }

    #[test]
    fn unusable_precedent_areas_are_refused() {
        let square = polygon![(x: 118.0, y: 29.0), (x: 118.01, y: 29.0), (x: 118.01, y: 29.01), (x: 118.0, y: 29.01)];
        assert_eq!(check_area(&PrecedentArea::Polygon(square)), Ok(()));
        let line = Polygon::new(LineString::from(vec![(118.0, 29.0), (118.01, 29.0), (118.0, 29.0)]), vec![]);
        assert_eq!(check_area(&PrecedentArea::Polygon(line)), Err(Refusal::InvalidPrecedentArea));
        let flat = Polygon::new(LineString::from(vec![(118.0, 29.0), (118.01, 29.0), (118.02, 29.0)]), vec![]);
        assert_eq!(check_area(&PrecedentArea::Polygon(flat)), Err(Refusal::InvalidPrecedentArea));
        let centre = Point::new(118.3, 29.8);
        assert_eq!(check_area(&PrecedentArea::Circle { centre, radius_m: 0.0 }), Err(Refusal::InvalidPrecedentArea));
        assert_eq!(check_area(&PrecedentArea::Circle { centre, radius_m: f64::NAN }), Err(Refusal::InvalidPrecedentArea));
        assert_eq!(
            check_area(&PrecedentArea::Circle { centre: Point::new(2000.0, 29.8), radius_m: 50.0 }),
            Err(Refusal::InvalidPrecedentArea)
        );
        assert_eq!(check_area(&PrecedentArea::Circle { centre, radius_m: 50.0 }), Ok(()));
    }
}
