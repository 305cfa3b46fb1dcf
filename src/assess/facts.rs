//! Per-case facts derived once from the audit trail (`case_events`): every step that matters to
//! the assessment, with its time, the unit holding the case and the role that took it, the
//! deadline in effect after it, and the stage timeliness; plus a summary of the close.
//!
//! Nothing here reads the case row's current state for a figure: the case row only gives the
//! urgency (stage limits) and the id. So a past period's numbers never change when later steps
//! are taken.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::calendar::local_from_utc_text;
use crate::calendar::{LimitUnit, WorkCalendar, elapsed_minutes, overrun_ratio};
use crate::model::{CaseEvent, CaseState, CloseType, CommandManual, Keyword, Role, Satisfaction, Stage, UnitId, Urgency};

/// What a step did, as far as the assessment cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// 上报.
    Report,
    /// 立案.
    File,
    /// 不予立案 or 作废 (void).
    Void,
    /// 派遣: the first dispatch of the case.
    Dispatch,
    /// 重新派遣, or a committee decision that dispatched the case.
    Redispatch,
    /// 回退.
    Return,
    /// 驳回回退: the centre refused a return; the case is back with the unit under its deadline.
    ReturnRefused,
    /// 签收.
    Sign,
    /// 到场.
    Arrive,
    /// 催办.
    Urge,
    /// 督办.
    Supervise,
    /// 处置反馈.
    Handle,
    /// 核查通过.
    VerifyPass,
    /// 核查不通过 (返工).
    VerifyFail,
    /// 结案 (any close type).
    Close,
    /// 批准延期.
    ExtensionApproved,
    /// 批准缓办.
    DeferralApproved,
    /// 恢复办理 (end of a deferral).
    Resume,
    /// 批准挂账.
    BacklogEntered,
    /// 挂账恢复.
    BacklogLeft,
    /// 发起责任争议.
    DisputeOpened,
    /// 回访: the reporter told the result (Art. 21).
    Reply,
    /// Anything else (requests, denials, statements, reporter feedback).
    Other,
}

/// One step of a case's trail.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFact {
    pub at: NaiveDateTime,
    pub kind: StepKind,
    /// The unit holding the case after the step (for a return: the unit that returned it).
    pub unit: Option<UnitId>,
    /// The role of the person who took the step.
    pub role: Option<Role>,
    /// Who took the step (a user id), for the evaluation of each person.
    pub user: Option<i64>,
    /// For a reply to the reporter: what the reporter said of the result, when asked.
    pub satisfaction: Option<Satisfaction>,
    /// The case's state after the step.
    pub state: CaseState,
    /// The handling deadline in effect after the step (extensions and pauses included).
    pub deadline: Option<NaiveDateTime>,
    /// Stage timeliness (file, first dispatch, sign, arrive, return, handle, verify): whether
    /// the step came within its stage limit. `None` for other steps or when no limit applies.
    pub stage_on_time: Option<bool>,
    /// For a return: when the centre reviewed it and whether it accepted it (a redispatch to
    /// another unit, or a committee decision for another unit) or refused it (驳回回退, or a
    /// decision for the unit that returned it). `None` while not reviewed.
    pub review: Option<(NaiveDateTime, bool)>,
}

/// How a case was closed, judged under Art. 26.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseFact {
    pub at: NaiveDateTime,
    pub close_type: CloseType,
    /// The case was deferred (缓办) when it was closed: out of the assessment.
    pub while_deferred: bool,
    /// Handled (or, never handled, closed) no later than the deadline in effect, extensions
    /// included (Art. 26).
    pub on_time: bool,
    /// An extension was approved after the last dispatch.
    pub extended: bool,
    /// 超时倍数 at the moment the unit's clock stopped (used ÷ allowed, paused time left out).
    pub overrun_ratio: Option<f64>,
    /// A special close of a case that never had a handling deadline (filed and never
    /// dispatched, or imported without one): nobody was timed, so it is not a due case and
    /// counts in neither rate.
    pub untimed: bool,
    /// Working minutes from the last dispatch to the last handle, paused working time left out.
    pub handling_minutes: Option<i64>,
}

/// Everything the assessment knows about one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub case_id: i64,
    /// Indexes into [`super::FactBook::region_codes`]: the jurisdictions containing the case.
    pub regions: Vec<u32>,
    /// Steps in trail order (time order).
    pub steps: Vec<StepFact>,
    /// The (last) close, if the case is closed.
    pub close: Option<CloseFact>,
}

fn text_time(data: &Value, key: &str) -> Option<NaiveDateTime> {
    data.get(key).and_then(Value::as_str).and_then(local_from_utc_text)
}

/// Whether [`case_facts`] reads the data of a step with this action (the others' data need
/// not be parsed).
#[must_use]
pub fn reads_data(action: &str) -> bool {
    matches!(
        action,
        "dispatch"
            | "redispatch"
            | "dispute_decide"
            | "handle"
            | "approve_extension"
            | "resume"
            | "restore_from_backlog"
            | "close"
            | "refuse_return"
            | "return"
            | "sign"
            | "arrive"
            | "reporter_feedback"
    )
}

fn within(data: &Value, key: &str) -> Option<bool> {
    data.get(key).and_then(Value::as_bool)
}

/// Marks each return with the centre's review: the next redispatch (accepted: another unit),
/// refusal, or committee dispatch after it (accepted when it names another unit).
fn review_returns(steps: &mut [StepFact]) {
    for index in 0..steps.len() {
        if steps[index].kind != StepKind::Return {
            continue;
        }
        let returned_by = steps[index].unit;
        let review = steps[index + 1..].iter().find_map(|later| match later.kind {
            StepKind::ReturnRefused => Some((later.at, false)),
            StepKind::Redispatch => Some((later.at, later.unit != returned_by)),
            _ => None,
        });
        steps[index].review = review;
    }
}

/// What the fact builder needs besides the trail.
pub struct FactContext<'a> {
    pub manual: &'a CommandManual,
    pub calendar: &'a WorkCalendar,
    /// Role of each user id.
    pub roles: &'a HashMap<i64, Role>,
}

/// Derives the facts of one case from its trail (oldest first).
#[must_use]
pub fn case_facts(context: &FactContext<'_>, case_id: i64, urgency: Urgency, regions: Vec<u32>, events: &[CaseEvent]) -> CaseFacts {
    let FactContext { manual, calendar, roles } = *context;
    let mut steps = Vec::with_capacity(events.len());
    let mut unit: Option<UnitId> = None;
    let mut deadline: Option<NaiveDateTime> = None;
    let mut limit_unit = LimitUnit::WorkHours;
    let mut reported_at: Option<NaiveDateTime> = None;
    let mut filed_at: Option<NaiveDateTime> = None;
    let mut dispatched_at: Option<NaiveDateTime> = None;
    let mut dispatched_before = false;
    let mut handled_at: Option<NaiveDateTime> = None;
    let mut verified_at: Option<NaiveDateTime> = None;
    let mut extended = false;
    // Paused time since the last dispatch, in the limit's measure and in working minutes.
    let mut paused_measured = 0i64;
    let mut paused_working = 0i64;
    let mut paused_since: Option<NaiveDateTime> = None;
    let mut close = None;
    for event in events {
        let at = event.at;
        let data = &event.data;
        let role = event.actor_user_id.and_then(|id| roles.get(&id).copied());
        let mut on_time = None;
        let end_pause = |paused_since: &mut Option<NaiveDateTime>, measured: &mut i64, working: &mut i64| {
            if let Some(since) = paused_since.take() {
                *measured += elapsed_minutes(calendar, limit_unit, since, at);
                *working += calendar.working_minutes_between(since, at);
            }
        };
        let kind = match event.action.as_str() {
            "report" => {
                reported_at = Some(at);
                StepKind::Report
            }
            "file" => {
                filed_at = Some(at);
                on_time = reported_at.and_then(|from| manual.stage_on_time(Stage::File, urgency, calendar, from, at));
                StepKind::File
            }
            "reject" | "approve_cancel" => StepKind::Void,
            "dispatch" | "redispatch" => {
                unit = data.get("unit_id").and_then(Value::as_i64).map(UnitId).or(unit);
                deadline = text_time(data, "deadline_at");
                limit_unit = data.get("limit_unit").and_then(Value::as_str).and_then(LimitUnit::parse).unwrap_or(LimitUnit::WorkHours);
                dispatched_at = Some(at);
                (handled_at, extended, paused_measured, paused_working, paused_since) = (None, false, 0, 0, None);
                if dispatched_before {
                    StepKind::Redispatch
                } else {
                    dispatched_before = true;
                    on_time = filed_at.and_then(|from| manual.stage_on_time(Stage::Dispatch, urgency, calendar, from, at));
                    StepKind::Dispatch
                }
            }
            "dispute_decide" if data.get("dispatched").and_then(Value::as_bool) == Some(true) => {
                unit = data.get("designated_unit_id").and_then(Value::as_i64).map(UnitId).or(unit);
                deadline = text_time(data, "deadline_at");
                limit_unit = data.get("limit_unit").and_then(Value::as_str).and_then(LimitUnit::parse).unwrap_or(LimitUnit::WorkHours);
                dispatched_at = Some(at);
                (handled_at, extended, paused_measured, paused_working, paused_since) = (None, false, 0, 0, None);
                dispatched_before = true;
                StepKind::Redispatch
            }
            "dispute_open" => StepKind::DisputeOpened,
            "return" => {
                // Not timed while the centre reviews it; a refusal puts the deadline back.
                deadline = None;
                on_time = within(data, "within_limit");
                StepKind::Return
            }
            "refuse_return" => {
                deadline = text_time(data, "deadline_at");
                StepKind::ReturnRefused
            }
            "sign" => {
                on_time = within(data, "within_limit");
                StepKind::Sign
            }
            "arrive" => {
                on_time = within(data, "within_limit");
                StepKind::Arrive
            }
            "urge" => StepKind::Urge,
            "supervise" => StepKind::Supervise,
            "handle" => {
                handled_at = Some(at);
                on_time = Some(data.get("on_time").and_then(Value::as_bool).unwrap_or_else(|| deadline.is_none_or(|d| at <= d)));
                StepKind::Handle
            }
            "verify_pass" | "verify_fail" => {
                on_time = handled_at.and_then(|from| manual.stage_on_time(Stage::Verify, urgency, calendar, from, at));
                verified_at = (event.action == "verify_pass").then_some(at);
                if event.action == "verify_pass" { StepKind::VerifyPass } else { StepKind::VerifyFail }
            }
            "approve_extension" => {
                deadline = text_time(data, "deadline_at").or(deadline);
                extended = true;
                StepKind::ExtensionApproved
            }
            "approve_deferral" | "approve_backlog" => {
                paused_since = Some(at);
                // Entered before the deadline ran out, measured as the case list measures it
                // (working time for working-time limits: after hours past a 18:00 deadline is
                // not yet late).
                on_time = deadline.map(|due| at <= due || elapsed_minutes(calendar, limit_unit, due, at) <= 0);
                if event.action == "approve_deferral" { StepKind::DeferralApproved } else { StepKind::BacklogEntered }
            }
            "resume" | "restore_from_backlog" => {
                end_pause(&mut paused_since, &mut paused_measured, &mut paused_working);
                deadline = text_time(data, "deadline_at").or(deadline);
                if event.action == "resume" { StepKind::Resume } else { StepKind::BacklogLeft }
            }
            "close" => {
                // The shift leader's own clock: from the passed verification to the close.
                on_time = verified_at.and_then(|from| manual.stage_on_time(Stage::Close, urgency, calendar, from, at));
                let while_deferred = event.from_state == Some(CaseState::Deferred);
                end_pause(&mut paused_since, &mut paused_measured, &mut paused_working);
                let close_type =
                    data.get("close_type").and_then(Value::as_str).and_then(CloseType::from_keyword).unwrap_or(CloseType::Special);
                let stopped = handled_at.unwrap_or(at);
                let on_time = match close_type {
                    CloseType::Normal => true,
                    CloseType::Overdue => false,
                    CloseType::Erroneous | CloseType::Special => deadline.is_some_and(|d| stopped <= d),
                };
                let untimed = close_type == CloseType::Special && deadline.is_none();
                let (overrun, handling_minutes) = match (dispatched_at, deadline) {
                    (Some(from), Some(due)) => {
                        let used = (elapsed_minutes(calendar, limit_unit, from, stopped) - paused_measured).max(0);
                        let allowed = (elapsed_minutes(calendar, limit_unit, from, due) - paused_measured).max(0);
                        let handling = handled_at.map(|handled| (calendar.working_minutes_between(from, handled) - paused_working).max(0));
                        (overrun_ratio(used, allowed), handling)
                    }
                    _ => (None, None),
                };
                close = Some(CloseFact {
                    at,
                    close_type,
                    while_deferred,
                    on_time,
                    extended,
                    overrun_ratio: overrun,
                    untimed,
                    handling_minutes,
                });
                StepKind::Close
            }
            "reporter_feedback" => {
                on_time = within(data, "within_limit");
                StepKind::Reply
            }
            _ => StepKind::Other,
        };
        let user = event.actor_user_id;
        let satisfaction = if kind == StepKind::Reply {
            data.get("satisfaction").and_then(Value::as_str).and_then(Satisfaction::from_keyword)
        } else {
            None
        };
        steps.push(StepFact {
            at,
            kind,
            unit,
            role,
            user,
            satisfaction,
            state: event.to_state,
            deadline,
            stage_on_time: on_time,
            review: None,
        });
        // Arriving signs for the case when nobody had: that signing is timed too.
        if kind == StepKind::Arrive && data.get("signed").and_then(Value::as_bool) == Some(true) {
            let sign_on_time = within(data, "sign_within_limit");
            steps.push(StepFact {
                at,
                kind: StepKind::Sign,
                unit,
                role,
                user,
                satisfaction: None,
                state: event.to_state,
                deadline,
                stage_on_time: sign_on_time,
                review: None,
            });
        }
    }
    review_returns(&mut steps);
    CaseFacts { case_id, regions, steps, close }
}
