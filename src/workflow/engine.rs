//! The pure part of a step: given the case as it is, who acts, what they do and when, either the
//! case as it will be, the audit data and the side rows to write, or a [`Refusal`]. No I/O, so
//! every rule is testable without a database; [`super::Workflow::apply_in`] does the writing.

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::{Value, json};

use crate::calendar::{LimitUnit, WorkCalendar, deadline_from, elapsed_minutes};
use crate::model::{
    Assist, BacklogEnd, Case, CaseRequest, CaseState, CloseType, FeedbackChannel, Keyword, RequestDecision, RequestKind, Role,
    Satisfaction, Stage, UnitId, Urgency, User,
};
use crate::store::utc_text_from_local;

use super::rules::{Target, transition};
use super::{Action, ActionKind, Refusal, Workflow};

/// Something to write besides the case row and its audit entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    OpenRequest { kind: RequestKind, reason: String, extension: Option<(u32, LimitUnit)> },
    DecideRequest { request_id: i64, decision: RequestDecision, note: String },
    StartPause { kind: RequestKind },
    EndPause { paused_minutes: i64 },
    EnterLedger { reason: String },
    LeaveLedger { how: BacklogEnd, note: String },
    ReporterFeedback { told_at: NaiveDateTime, channel: FeedbackChannel, satisfaction: Option<Satisfaction>, note: String },
}

/// What a permitted step changes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// The case after the step (revision not yet bumped).
    pub case: Case,
    pub action: ActionKind,
    /// Audit data (`case_events.data`).
    pub data: Value,
    pub effects: Vec<Effect>,
}

/// Trimmed text, or the refusal when it is empty.
fn required(text: &str, refusal: Refusal) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() { Err(refusal) } else { Ok(text.to_owned()) }
}

fn time_text(at: Option<NaiveDateTime>) -> Value {
    at.map_or(Value::Null, |at| Value::String(utc_text_from_local(at)))
}

/// The checks every step shares: role, state, the unit operator's own unit, pending requests.
pub(crate) fn check_permission(workflow: &Workflow, actor: &User, case: &Case, action: ActionKind) -> Result<(), Refusal> {
    let row = transition(action);
    if !row.roles.contains(&actor.role) {
        return Err(Refusal::RoleNotAllowed { action, role: actor.role, allowed: row.roles.to_vec() });
    }
    if !row.from.contains(&case.state) {
        return Err(Refusal::WrongState { action, state: case.state, allowed: row.from.to_vec() });
    }
    if actor.role == Role::UnitOperator {
        let Some(own) = actor.unit else { return Err(Refusal::NotBoundToUnit { action }) };
        if action == ActionKind::AssistReport {
            // Only an assisting unit reports a part; the lead unit handles the case.
            match case.assisting.iter().find(|assist| assist.unit == own) {
                None => return Err(Refusal::NotAssisting { unit: workflow.unit_label(own) }),
                Some(Assist { reported_at: Some(at), .. }) => return Err(Refusal::AlreadyReportedAssist { at: *at }),
                Some(_) => {}
            }
        } else if case.unit != Some(own) {
            return Err(Refusal::NotYourUnit {
                action,
                case_unit: case.unit.map(|unit| workflow.unit_label(unit)),
                own_unit: workflow.unit_label(own),
            });
        }
    }
    match (case.pending_request, action.decides_request()) {
        (Some(pending), Some(decided)) if pending == decided => Ok(()),
        (Some(pending), _) => {
            // The unit finishing or returning the case makes its request moot; feedback to the
            // reporter is independent of it.
            if matches!(
                action,
                ActionKind::Handle
                    | ActionKind::ReturnToCentre
                    | ActionKind::RecordReporterFeedback
                    | ActionKind::SignFor
                    | ActionKind::Arrive
                    | ActionKind::Urge
                    | ActionKind::Supervise
                    | ActionKind::AssistReport
            ) {
                Ok(())
            } else {
                Err(Refusal::RequestPending { action, pending })
            }
        }
        (None, Some(kind)) => Err(Refusal::NoPendingRequest { action, kind }),
        (None, None) => Ok(()),
    }?;
    once_per_dispatch(case, action)
}

/// Steps a dispatch takes once: signing for it, arriving, supervision.
fn once_per_dispatch(case: &Case, action: ActionKind) -> Result<(), Refusal> {
    match (action, case.signed_at, case.arrived_at, case.supervised_at) {
        (ActionKind::SignFor, Some(at), _, _) => Err(Refusal::AlreadySigned { at }),
        (ActionKind::Arrive, _, Some(at), _) => Err(Refusal::AlreadyArrived { at }),
        (ActionKind::Supervise, _, _, Some(at)) => Err(Refusal::AlreadySupervised { at }),
        _ => Ok(()),
    }
}

/// Adds `minutes` measured like `unit` (working minutes for working-time limits, wall-clock
/// minutes otherwise) to `start`.
fn add_measured(calendar: &WorkCalendar, unit: LimitUnit, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    if unit.counts_working_time() {
        calendar.add_working_minutes(start, minutes)
    } else {
        start.checked_add_signed(TimeDelta::minutes(minutes)).unwrap_or(NaiveDateTime::MAX)
    }
}

/// Ends a clock pause: the paused time, measured like the limit, is added to the deadline and
/// to the case's paused total. Returns the paused minutes.
fn end_pause(case: &mut Case, calendar: &WorkCalendar, now: NaiveDateTime) -> i64 {
    let Some(paused_at) = case.paused_at.take() else { return 0 };
    let unit = case.limit_unit.unwrap_or(LimitUnit::WorkHours);
    let paused_minutes = elapsed_minutes(calendar, unit, paused_at, now);
    case.paused_minutes += paused_minutes;
    case.deadline_at = case.deadline_at.map(|deadline| add_measured(calendar, unit, deadline, paused_minutes));
    paused_minutes
}

/// Decides a step. `pending` is the case's undecided request row, if it has one.
pub(crate) fn decide(
    workflow: &Workflow,
    actor: &User,
    case: &Case,
    pending: Option<&CaseRequest>,
    action: &Action,
    now: NaiveDateTime,
) -> Result<Step, Refusal> {
    let kind = action.kind();
    check_permission(workflow, actor, case, kind)?;
    let mut next = case.clone();
    let mut effects = Vec::new();
    let calendar = &workflow.calendar;
    // The request an approval or denial decides.
    let decided: Option<&CaseRequest> = match kind.decides_request() {
        Some(expected) => {
            Some(pending.filter(|request| request.kind == expected).ok_or(Refusal::NoPendingRequest { action: kind, kind: expected })?)
        }
        None => None,
    };
    let data = match action {
        Action::File { note, correction } => {
            next.filed_at = Some(now);
            let mut data = json!({ "note": note.trim() });
            if let Some(correction) = correction {
                let class_code = correction.class_code.trim();
                let Some(entry) = workflow.manual.entry(case.subject.item_kind(), class_code) else {
                    return Err(Refusal::UnknownClass { subject: case.subject, class_code: class_code.to_owned() });
                };
                if entry.limit_for(correction.urgency).is_none() {
                    return Err(Refusal::NoTimeLimit { class_code: class_code.to_owned(), urgency: correction.urgency });
                }
                if class_code != case.class_code || correction.urgency != case.urgency {
                    data["corrected"] = json!({
                        "class_code": { "from": case.class_code, "to": class_code },
                        "urgency": { "from": case.urgency.keyword(), "to": correction.urgency.keyword() },
                    });
                    next.class_code = class_code.to_owned();
                    next.urgency = correction.urgency;
                }
            }
            data
        }
        Action::Reject { reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            next.closed_at = Some(now);
            json!({ "reason": reason })
        }
        Action::RequestCancel { reason }
        | Action::RequestDeferral { reason }
        | Action::RequestBacklog { reason }
        | Action::RequestExtension { reason, .. } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            // Art. 26: an extension or deferral the centre approves counts as on time — when it
            // is asked for in time. Asked for after the deadline it would turn an overdue case
            // into an on-time one.
            if matches!(action, Action::RequestExtension { .. } | Action::RequestDeferral { .. })
                && case.paused_at.is_none()
                && let Some(deadline) = case.deadline_at
                && now > deadline
            {
                return Err(Refusal::RequestAfterDeadline { action: kind, deadline });
            }
            let request = kind.opens_request().unwrap_or(RequestKind::Cancel);
            let extension = match action {
                Action::RequestExtension { amount: 0, .. } => return Err(Refusal::ZeroExtension),
                Action::RequestExtension { amount, unit, .. } => Some((*amount, *unit)),
                _ => None,
            };
            effects.push(Effect::OpenRequest { kind: request, reason: reason.clone(), extension });
            next.pending_request = Some(request);
            match extension {
                Some((amount, unit)) => json!({ "reason": reason, "amount": amount, "unit": unit.as_str() }),
                None => json!({ "reason": reason }),
            }
        }
        Action::ApproveCancel { note } => {
            let request_id = record_decision(decided, RequestDecision::Approved, note, &mut next, &mut effects);
            next.closed_at = Some(now);
            json!({ "request_id": request_id, "note": note.trim() })
        }
        Action::DenyCancel { reason }
        | Action::DenyExtension { reason }
        | Action::DenyDeferral { reason }
        | Action::DenyBacklog { reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            let request_id = record_decision(decided, RequestDecision::Denied, &reason, &mut next, &mut effects);
            json!({ "request_id": request_id, "reason": reason })
        }
        Action::Dispatch { unit, note } | Action::Redispatch { unit, note } => {
            let previous_unit = case.unit;
            // The unit that returned a case does not get it back with a fresh deadline.
            if kind == ActionKind::Redispatch && previous_unit == Some(*unit) {
                return Err(Refusal::RedispatchToReturningUnit { unit: workflow.unit_label(*unit) });
            }
            dispatch(workflow, &mut next, *unit, now)?;
            json!({
                "unit_id": unit.0,
                "unit": workflow.unit_label(*unit).name_zh,
                "previous_unit_id": if kind == ActionKind::Redispatch { previous_unit.map(|unit| unit.0) } else { None },
                "return_accepted": kind == ActionKind::Redispatch,
                "deadline_at": time_text(next.deadline_at),
                "limit_unit": next.limit_unit.map(LimitUnit::as_str),
                "note": note.trim(),
            })
        }
        Action::ReturnToCentre { reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            let lapsed = lapse_pending(pending, &mut next, &mut effects);
            // The deadline stays on the row: a refused return puts the case back under it.
            let within_limit = stage_within(workflow, Stage::Return, case.urgency, case.dispatched_at, now);
            json!({
                "reason": reason,
                "previous_deadline_at": time_text(case.deadline_at),
                "lapsed_request": lapsed,
                "within_limit": within_limit,
            })
        }
        Action::RefuseReturn { reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            let overdue = next.deadline_at.is_some_and(|deadline| now > deadline);
            json!({
                "reason": reason,
                "unit_id": next.unit.map(|unit| unit.0),
                "deadline_at": time_text(next.deadline_at),
                "limit_unit": next.limit_unit.map(LimitUnit::as_str),
                "overdue": overdue,
            })
        }
        Action::SignFor { note } => {
            next.signed_at = Some(now);
            let within_limit = stage_within(workflow, Stage::Sign, case.urgency, case.dispatched_at, now);
            json!({ "note": note.trim(), "within_limit": within_limit })
        }
        Action::Arrive { note, photos, location } => {
            if let Some([lon, lat]) = location
                && !super::dispute::lonlat_ok(geo::Point::new(*lon, *lat))
            {
                return Err(Refusal::BadLocation { location: format!("{lon}, {lat}") });
            }
            // Being on site acknowledges the case as well.
            let signed_now = case.signed_at.is_none();
            next.signed_at = next.signed_at.or(Some(now));
            next.arrived_at = Some(now);
            let within_limit = stage_within(workflow, Stage::Arrive, case.urgency, case.dispatched_at, now);
            let sign_within_limit =
                if signed_now { stage_within(workflow, Stage::Sign, case.urgency, case.dispatched_at, now) } else { None };
            json!({
                "note": note.trim(),
                "photos": photos,
                "location": location,
                "within_limit": within_limit,
                "signed": signed_now,
                "sign_within_limit": sign_within_limit,
            })
        }
        Action::Urge { note } => {
            next.urge_count += 1;
            json!({ "note": note.trim(), "urge_count": next.urge_count, "overdue": case.deadline_at.is_some_and(|deadline| now > deadline) })
        }
        Action::Supervise { reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            next.supervised_at = Some(now);
            json!({ "reason": reason })
        }
        Action::SetAssisting { units, reason } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            let mut chosen: Vec<UnitId> = Vec::with_capacity(units.len());
            for unit in units {
                workflow.check_handling_unit(*unit)?;
                if case.unit == Some(*unit) {
                    return Err(Refusal::LeadCannotAssist { unit: workflow.unit_label(*unit) });
                }
                if !chosen.contains(unit) {
                    chosen.push(*unit);
                }
            }
            // A unit that stays keeps the report it made.
            next.assisting = chosen
                .iter()
                .map(|unit| {
                    case.assisting.iter().find(|assist| assist.unit == *unit).copied().unwrap_or(Assist { unit: *unit, reported_at: None })
                })
                .collect();
            let names = |list: &[Assist]| -> Vec<String> { list.iter().map(|assist| workflow.unit_label(assist.unit).name_zh).collect() };
            json!({
                "reason": reason,
                "unit_ids": chosen.iter().map(|unit| unit.0).collect::<Vec<_>>(),
                "units": names(&next.assisting),
                "previous_unit_ids": case.assisting.iter().map(|assist| assist.unit.0).collect::<Vec<_>>(),
            })
        }
        Action::AssistReport { note, photos } => {
            let note = required(note, Refusal::NoteRequired { action: kind })?;
            let own = actor.unit;
            for assist in next.assisting.iter_mut().filter(|assist| Some(assist.unit) == own) {
                assist.reported_at = Some(now);
            }
            json!({ "note": note, "photos": photos, "unit_id": own.map(|unit| unit.0) })
        }
        Action::Handle { note, photos } => {
            let note = required(note, Refusal::NoteRequired { action: kind })?;
            // The lead unit reports the case handled once every assisting unit has done its part
            // (the centre can take an assisting unit off the case).
            let outstanding: Vec<String> = case.assists_outstanding().map(|unit| workflow.unit_label(unit).name_zh).collect();
            if !outstanding.is_empty() {
                return Err(Refusal::AssistsOutstanding { units: outstanding });
            }
            let lapsed = lapse_pending(pending, &mut next, &mut effects);
            next.handled_at = Some(now);
            let on_time = next.deadline_at.is_none_or(|deadline| now <= deadline);
            json!({ "note": note, "photos": photos, "on_time": on_time, "lapsed_request": lapsed })
        }
        Action::VerifyPass { note, photos } => json!({ "note": note.trim(), "photos": photos }),
        Action::VerifyFail { reason, photos } => {
            let reason = required(reason, Refusal::ReasonRequired { action: kind })?;
            next.rework_count += 1;
            json!({ "reason": reason, "photos": photos, "rework_count": next.rework_count })
        }
        Action::Close { close_type, note } => {
            let close_type = match close_type {
                CloseType::Normal | CloseType::Overdue => {
                    if case.state != CaseState::Verified {
                        return Err(Refusal::CloseNeedsVerification { state: case.state });
                    }
                    let late = matches!((case.handled_at, case.deadline_at), (Some(handled), Some(deadline)) if handled > deadline);
                    if late { CloseType::Overdue } else { CloseType::Normal }
                }
                CloseType::Erroneous | CloseType::Special => {
                    required(note, Refusal::ReasonRequired { action: kind })?;
                    *close_type
                }
            };
            if case.state == CaseState::Backlog {
                effects.push(Effect::LeaveLedger { how: BacklogEnd::Closed, note: note.trim().to_owned() });
            }
            if case.state.is_paused() {
                let paused_minutes = end_pause(&mut next, calendar, now);
                effects.push(Effect::EndPause { paused_minutes });
            }
            next.closed_at = Some(now);
            next.close_type = Some(close_type);
            json!({ "close_type": close_type.keyword(), "note": note.trim() })
        }
        Action::ApproveExtension { note } => {
            // A request row always carries its extension; one day is a harmless default for a hand-edited row.
            let (amount, unit) = decided.and_then(|request| request.extension).unwrap_or((1, LimitUnit::WorkDays));
            let request_id = record_decision(decided, RequestDecision::Approved, note, &mut next, &mut effects);
            let old_deadline = case.deadline_at;
            next.deadline_at = Some(deadline_from(calendar, old_deadline.unwrap_or(now), amount, unit));
            next.extended = true;
            json!({
                "request_id": request_id,
                "amount": amount,
                "unit": unit.as_str(),
                "previous_deadline_at": time_text(old_deadline),
                "deadline_at": time_text(next.deadline_at),
                "note": note.trim(),
            })
        }
        Action::ApproveDeferral { note } | Action::ApproveBacklog { note } => {
            let reason = decided.map(|request| request.reason.clone()).unwrap_or_default();
            let request_id = record_decision(decided, RequestDecision::Approved, note, &mut next, &mut effects);
            let pause = if kind == ActionKind::ApproveBacklog { RequestKind::Backlog } else { RequestKind::Deferral };
            next.paused_at = Some(now);
            effects.push(Effect::StartPause { kind: pause });
            if pause == RequestKind::Backlog {
                effects.push(Effect::EnterLedger { reason });
            }
            json!({ "request_id": request_id, "note": note.trim(), "deadline_at": time_text(case.deadline_at) })
        }
        Action::Resume { note } | Action::RestoreFromBacklog { note } => {
            let previous_deadline = next.deadline_at;
            let paused_minutes = end_pause(&mut next, calendar, now);
            effects.push(Effect::EndPause { paused_minutes });
            if kind == ActionKind::RestoreFromBacklog {
                effects.push(Effect::LeaveLedger { how: BacklogEnd::Restored, note: note.trim().to_owned() });
            }
            json!({
                "note": note.trim(),
                "paused_minutes": paused_minutes,
                "limit_unit": next.limit_unit.map(LimitUnit::as_str),
                "previous_deadline_at": time_text(previous_deadline),
                "deadline_at": time_text(next.deadline_at),
            })
        }
        Action::RecordReporterFeedback { told_at, channel, satisfaction, note } => {
            if case.reporter_contact.as_deref().is_none_or(|contact| contact.trim().is_empty()) {
                return Err(Refusal::NoReporterContact);
            }
            if *told_at > now {
                return Err(Refusal::TimeInFuture { at: *told_at });
            }
            effects.push(Effect::ReporterFeedback {
                told_at: *told_at,
                channel: *channel,
                satisfaction: *satisfaction,
                note: note.trim().to_owned(),
            });
            next.replied_at = Some(next.replied_at.map_or(*told_at, |before| before.max(*told_at)));
            let within_limit =
                if case.owes_reply() { stage_within(workflow, Stage::Reply, case.urgency, case.closed_at, *told_at) } else { None };
            json!({
                "told_at": time_text(Some(*told_at)),
                "channel": channel.keyword(),
                "satisfaction": satisfaction.map(Keyword::keyword),
                "note": note.trim(),
                "within_limit": within_limit,
            })
        }
    };
    if let Target::To(state) = transition(kind).to {
        next.state = state;
        next.state_since = Some(now);
    }
    Ok(Step { case: next, action: kind, data, effects })
}

/// Sends the case to `unit`: the handling clock starts now with the command manual's limit.
pub(super) fn dispatch(workflow: &Workflow, case: &mut Case, unit: UnitId, now: NaiveDateTime) -> Result<(), Refusal> {
    workflow.check_handling_unit(unit)?;
    let entry = workflow
        .manual
        .entry(case.subject.item_kind(), &case.class_code)
        .ok_or_else(|| Refusal::UnknownClass { subject: case.subject, class_code: case.class_code.clone() })?;
    let limit =
        entry.limit_for(case.urgency).ok_or_else(|| Refusal::NoTimeLimit { class_code: case.class_code.clone(), urgency: case.urgency })?;
    case.unit = Some(unit);
    case.dispatched_at = Some(now);
    case.deadline_at = Some(deadline_from(&workflow.calendar, now, limit.amount, limit.unit));
    case.limit_unit = Some(limit.unit);
    case.handled_at = None;
    case.paused_at = None;
    case.paused_minutes = 0;
    case.extended = false;
    case.signed_at = None;
    case.arrived_at = None;
    case.urge_count = 0;
    case.supervised_at = None;
    case.assisting.clear();
    Ok(())
}

/// Whether a step at `now` came within the stage limit counted from `from`; `None` when the
/// manual has no limit for the stage or there is no start.
fn stage_within(workflow: &Workflow, stage: Stage, urgency: Urgency, from: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<bool> {
    workflow.manual.stage_on_time(stage, urgency, &workflow.calendar, from?, now)
}

/// Records the decision on the request being decided; returns its id.
fn record_decision(
    request: Option<&CaseRequest>,
    decision: RequestDecision,
    note: &str,
    case: &mut Case,
    effects: &mut Vec<Effect>,
) -> Option<i64> {
    let request = request?;
    case.pending_request = None;
    effects.push(Effect::DecideRequest { request_id: request.id, decision, note: note.trim().to_owned() });
    Some(request.id)
}

/// A request that is moot once the unit handles or returns the case.
fn lapse_pending(pending: Option<&CaseRequest>, case: &mut Case, effects: &mut Vec<Effect>) -> Option<&'static str> {
    let request = pending?;
    case.pending_request = None;
    effects.push(Effect::DecideRequest { request_id: request.id, decision: RequestDecision::Lapsed, note: String::new() });
    Some(request.kind.keyword())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CaseSubject, CommandManual, PartCode, SourceChannel, Unit, UnitClass, Urgency};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid time")
    }

    fn workflow() -> Workflow {
        let unit = |id, code: &str| Unit {
            id: UnitId(id),
            code: code.to_owned(),
            name_zh: format!("单位{code}"),
            name_en: format!("Unit {code}"),
            class: UnitClass::First,
            parent: None,
            contact: String::new(),
            phone: String::new(),
            enforcement: false,
        };
        Workflow::new(CommandManual::embedded().expect("manual"), WorkCalendar::office_hours(), vec![unit(1, "CGJ-LD"), unit(2, "CGJ-SZ")])
    }

    fn user(role: Role, unit: Option<i64>) -> User {
        User::new(1, "u", "U", role, unit.map(UnitId))
    }

    fn lamp_case(state: CaseState) -> Case {
        Case {
            id: 1,
            part_code: PartCode::parse("3410040118000042").ok(),
            description: "路灯不亮".into(),
            state,
            unit: Some(UnitId(1)),
            ..Case::reported(
                "202611250001".into(),
                SourceChannel::Collector,
                CaseSubject::Part,
                "0118".into(),
                Urgency::Normal,
                geo::Point::new(118.33, 29.84),
                at("2026-11-25 09:00"),
            )
        }
    }

    #[test]
    fn dispatch_sets_the_deadline_from_the_manual_on_the_working_calendar() {
        let workflow = workflow();
        let filed = lamp_case(CaseState::Filed);
        // Street lamp, normal urgency: 3 working days. Friday 2026-11-27 10:00 → Wednesday 10:00.
        let step = decide(
            &workflow,
            &user(Role::Dispatcher, None),
            &filed,
            None,
            &Action::Dispatch { unit: UnitId(1), note: String::new() },
            at("2026-11-27 10:00"),
        )
        .expect("dispatch");
        assert_eq!(step.case.state, CaseState::Dispatched);
        assert_eq!(step.case.deadline_at, Some(at("2026-12-02 10:00")));
        assert_eq!(step.case.limit_unit, Some(LimitUnit::WorkDays));
    }

    #[test]
    fn a_unit_operator_of_another_unit_is_refused_with_both_unit_names() {
        let workflow = workflow();
        let mut case = lamp_case(CaseState::Dispatched);
        case.unit = Some(UnitId(1));
        let refusal = decide(
            &workflow,
            &user(Role::UnitOperator, Some(2)),
            &case,
            None,
            &Action::Handle { note: "修好".into(), photos: vec![] },
            at("2026-11-25 10:00"),
        )
        .expect_err("other unit");
        let message = refusal.message(true);
        assert!(message.contains("单位CGJ-LD") && message.contains("单位CGJ-SZ"), "{message}");
    }

    #[test]
    fn a_request_blocks_other_steps_until_decided() {
        let workflow = workflow();
        let mut case = lamp_case(CaseState::Dispatched);
        case.pending_request = Some(RequestKind::Extension);
        let refusal = decide(
            &workflow,
            &user(Role::UnitOperator, Some(1)),
            &case,
            None,
            &Action::RequestDeferral { reason: "下雨".into() },
            at("2026-11-25 10:00"),
        )
        .expect_err("pending");
        assert_eq!(refusal, Refusal::RequestPending { action: ActionKind::RequestDeferral, pending: RequestKind::Extension });
    }
}
