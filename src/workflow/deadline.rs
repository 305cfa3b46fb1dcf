//! Where a case stands against its handling deadline: the warning light (预警) and overrun ratio
//! (超时倍数), and whether the clock runs, is paused (缓办, 挂账), stopped (handled) or over.
//!
//! Time is measured like the limit set at dispatch: working minutes for working-time limits,
//! wall-clock minutes for clock limits. Paused time is left out of both the time used and the
//! time allowed, so a pause neither uses up nor adds to the limit.

use chrono::NaiveDateTime;

use crate::calendar::{DeadlineLight, LimitUnit, WorkCalendar, elapsed_minutes, light_for, overrun_ratio};
use crate::model::{Case, CaseState, keyword_enum};

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
    };
    let (Some(dispatched_at), Some(deadline_at)) = (case.dispatched_at, case.deadline_at) else { return status };
    if matches!(clock, ClockState::NotStarted | ClockState::Void) {
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
