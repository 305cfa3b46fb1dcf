//! Where a case stands against its handling deadline: the warning light (预警) and overrun ratio
//! (超时倍数), and whether the clock runs, is paused (缓办, 挂账), stopped (handled) or over.
//!
//! Time is measured like the limit set at dispatch: working minutes for working-time limits,
//! wall-clock minutes for clock limits. Paused time is left out of both the time used and the
//! time allowed, so a pause neither uses up nor adds to the limit.

use chrono::NaiveDateTime;

use crate::calendar::{DeadlineLight, LimitUnit, WorkCalendar, allowed_minutes, deadline_from, elapsed_minutes, light_for, overrun_ratio};
use crate::model::{Case, CaseState, Stage, StageLimit, keyword_enum};

keyword_enum! {
    /// Whether the handling clock of a case runs.
    pub enum ClockState {
        /// Not with a unit yet (reported, filed) or returned to the centre.
        NotStarted = ("not_started", "未派遣", "Not dispatched"),
        /// With the unit, counting.
        Running = ("running", "处置计时中", "Running"),
        /// Reported handled: the unit's clock stopped; verification and close follow.
        Stopped = ("stopped", "已处置", "Handled"),
        /// 缓办: paused, out of the assessment.
        Deferred = ("deferred", "缓办（暂停计时）", "Deferred (paused)"),
        /// 挂账: paused, in the backlog ledger.
        Backlog = ("backlog", "挂账（暂停计时）", "Backlog (paused)"),
        Closed = ("closed", "已结案", "Closed"),
        /// Rejected or cancelled: never had a deadline that counts.
        Void = ("void", "不予立案或作废", "Rejected or cancelled"),
    }
}

/// A case against its deadline at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineStatus {
    pub clock: ClockState,
    /// Green, yellow or red; `None` before dispatch and for rejected or cancelled cases. For a
    /// paused, handled or closed case it is the light at the moment the clock stopped.
    pub light: Option<DeadlineLight>,
    /// An approved extension applies (延期).
    pub extended: bool,
    pub deadline_at: Option<NaiveDateTime>,
    /// The measure of the minutes below.
    pub limit_unit: Option<LimitUnit>,
    /// Time used, paused time left out.
    pub used_minutes: i64,
    /// Time allowed, extensions included, paused time left out.
    pub allowed_minutes: i64,
    /// 超时倍数 = used ÷ allowed (above 1 when overdue).
    pub overrun_ratio: Option<f64>,
    /// The clock of the stage the case waits in besides handling (filing, dispatch, signing,
    /// verification, close), when the stage has a limit; see [`stage_clock`].
    pub stage: Option<StageClock>,
}

/// Where a case stands against the limit of the stage it waits in (立案, 派遣, 签收, 核查, 结案).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageClock {
    pub stage: Stage,
    /// When the stage began (report, filing, return, dispatch, handling, verification).
    pub since: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub light: DeadlineLight,
    pub used_minutes: i64,
    pub allowed_minutes: i64,
    /// The measure of the minutes.
    pub limit_unit: LimitUnit,
}

impl StageClock {
    /// Minutes left (negative when late), in the limit's measure.
    #[must_use]
    pub fn remaining_minutes(&self) -> i64 {
        self.allowed_minutes - self.used_minutes
    }

    /// Late (red).
    #[must_use]
    pub fn is_late(&self) -> bool {
        self.light == DeadlineLight::Red
    }
}

/// The stage a case waits in and since when: a report waits for filing, a filed or returned case
/// for (re)dispatch, a dispatched case nobody signed for for signing, a handled case for
/// verification, a verified one for its close. `None` for the others, and for rows from before
/// schema 5 that do not say when they entered a returned or verified state.
#[must_use]
pub fn waiting_stage(case: &Case) -> Option<(Stage, NaiveDateTime)> {
    match case.state {
        CaseState::Reported => Some((Stage::File, case.reported_at)),
        CaseState::Filed => Some((Stage::Dispatch, case.filed_at.or(case.state_since)?)),
        CaseState::Returned => Some((Stage::Dispatch, case.state_since?)),
        CaseState::Dispatched if case.signed_at.is_none() => Some((Stage::Sign, case.dispatched_at?)),
        CaseState::Handled => Some((Stage::Verify, case.handled_at.or(case.state_since)?)),
        CaseState::Verified => Some((Stage::Close, case.state_since?)),
        CaseState::Closed | CaseState::Rejected if case.owes_reply() => Some((Stage::Reply, case.closed_at?)),
        _ => None,
    }
}

/// The clock of the stage `case` waits in at `now`, measured against `limits` (the command
/// manual's stage limits).
#[must_use]
pub fn stage_clock(case: &Case, limits: &[StageLimit], calendar: &WorkCalendar, now: NaiveDateTime) -> Option<StageClock> {
    let (stage, since) = waiting_stage(case)?;
    let limit = limits.iter().find(|limit| limit.stage == stage && limit.urgency == case.urgency)?;
    let used_minutes = elapsed_minutes(calendar, limit.unit, since, now);
    let mut allowed = allowed_minutes(calendar, limit.amount, limit.unit);
    let mut due_at = deadline_from(calendar, since, limit.amount, limit.unit);
    // A 12345 ticket's reply is due when the hotline wants it, if that is sooner (Art. 21).
    if stage == Stage::Reply
        && let Some(hotline_due) = case.external.as_ref().filter(|external| external.system == "12345").and_then(|external| external.due_at)
        && hotline_due < due_at
    {
        due_at = hotline_due.max(since);
        allowed = elapsed_minutes(calendar, limit.unit, since, due_at);
    }
    Some(StageClock {
        stage,
        since,
        due_at,
        light: light_for(used_minutes, allowed),
        used_minutes,
        allowed_minutes: allowed,
        limit_unit: limit.unit,
    })
}

impl DeadlineStatus {
    /// Minutes left before the deadline (negative when overdue), in the limit's measure.
    #[must_use]
    pub fn remaining_minutes(&self) -> i64 {
        self.allowed_minutes - self.used_minutes
    }

    /// Overdue (red) now or when the clock stopped.
    #[must_use]
    pub fn is_overdue(&self) -> bool {
        self.light == Some(DeadlineLight::Red)
    }

    /// A short label for lists: the light, or the clock state when there is no light to show
    /// (`红灯（已延期）`, `缓办（暂停计时）`).
    #[must_use]
    pub fn label(&self, chinese: bool) -> String {
        let base = match (self.clock, self.light) {
            (ClockState::Running, Some(light)) => if chinese { light.label_zh() } else { light.label_en() }.to_owned(),
            (clock, _) => if chinese { clock.label_zh() } else { clock.label_en() }.to_owned(),
        };
        match (self.extended, chinese) {
            (true, true) => format!("{base}（已延期）"),
            (true, false) => format!("{base} (extended)"),
            (false, _) => base,
        }
    }
}

/// The deadline status of `case` at `now`: the light while the clock runs, the light at the
/// moment it stopped for a paused, handled or closed case, none before dispatch.
#[must_use]
pub fn deadline_status(case: &Case, calendar: &WorkCalendar, now: NaiveDateTime) -> DeadlineStatus {
    let clock = match case.state {
        CaseState::Rejected | CaseState::Cancelled => ClockState::Void,
        CaseState::Reported | CaseState::Filed | CaseState::Returned => ClockState::NotStarted,
        CaseState::Dispatched => ClockState::Running,
        CaseState::Handled | CaseState::Verified => ClockState::Stopped,
        CaseState::Deferred => ClockState::Deferred,
        CaseState::Backlog => ClockState::Backlog,
        CaseState::Closed => ClockState::Closed,
    };
    let mut status = DeadlineStatus {
        clock,
        light: None,
        extended: case.extended,
        deadline_at: case.deadline_at,
        limit_unit: case.limit_unit,
        used_minutes: 0,
        allowed_minutes: 0,
        overrun_ratio: None,
        stage: None,
    };
    let (Some(dispatched_at), Some(deadline_at)) = (case.dispatched_at, case.deadline_at) else { return status };
    if matches!(clock, ClockState::NotStarted | ClockState::Void) {
        // A returned case keeps its deadline for a refused return; it is not running now.
        status.deadline_at = None;
        return status;
    }
    // Databases from before the limit unit was recorded: count working time.
    let unit = case.limit_unit.unwrap_or(LimitUnit::WorkHours);
    let clock_stopped_at = match clock {
        ClockState::Deferred | ClockState::Backlog => case.paused_at.unwrap_or(now),
        ClockState::Stopped => case.handled_at.unwrap_or(now),
        ClockState::Closed => case.handled_at.or(case.closed_at).unwrap_or(now),
        _ => now,
    };
    status.used_minutes = (elapsed_minutes(calendar, unit, dispatched_at, clock_stopped_at) - case.paused_minutes).max(0);
    status.allowed_minutes = (elapsed_minutes(calendar, unit, dispatched_at, deadline_at) - case.paused_minutes).max(0);
    status.light = Some(light_for(status.used_minutes, status.allowed_minutes));
    status.overrun_ratio = overrun_ratio(status.used_minutes, status.allowed_minutes);
    status
}
