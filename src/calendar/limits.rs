//! Time limits as the command manual (部件事件立案结案标准) gives them — "2 hours", "4 working
//! hours", "15 working days" — turned into deadlines, and the warning light (预警) that shows how
//! much of a limit a case has used.
//!
//! It must not decide which limit applies to a case (that is the command manual in `model`) nor
//! when the clock pauses (that is `workflow`); it only counts.

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::WorkCalendar;

/// How a time limit is counted (command manual).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Wall-clock minutes, e.g. filing within 10 minutes (urgent).
    ClockMinutes,
    /// Wall-clock hours, e.g. a missing manhole cover within 2 hours (urgent).
    ClockHours,
    /// Working hours (工作时), counted in the calendar's working windows.
    WorkHours,
    /// Working days (工作日), each worth the scheme's daily working minutes.
    WorkDays,
}

impl LimitUnit {
    /// Every unit, in the order a form lists them.
    pub const ALL: [LimitUnit; 4] = [LimitUnit::ClockMinutes, LimitUnit::ClockHours, LimitUnit::WorkHours, LimitUnit::WorkDays];

    /// Stable identifier for storage, the same as the serde name (`work_days`).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitUnit::ClockMinutes => "clock_minutes",
            LimitUnit::ClockHours => "clock_hours",
            LimitUnit::WorkHours => "work_hours",
            LimitUnit::WorkDays => "work_days",
        }
    }

    /// Reads the identifier written by [`LimitUnit::as_str`], or the Chinese label
    /// ([`LimitUnit::label_zh`]) as found in a command manual; surrounding spaces are ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        LimitUnit::ALL.into_iter().find(|unit| unit.as_str() == text || unit.label_zh() == text)
    }

    /// Chinese label for tables and forms.
    pub fn label_zh(self) -> &'static str {
        match self {
            LimitUnit::ClockMinutes => "分钟",
            LimitUnit::ClockHours => "小时",
            LimitUnit::WorkHours => "工作时",
            LimitUnit::WorkDays => "工作日",
        }
    }

    /// English label for tables and forms.
    pub fn label_en(self) -> &'static str {
        match self {
            LimitUnit::ClockMinutes => "minutes",
            LimitUnit::ClockHours => "hours",
            LimitUnit::WorkHours => "working hours",
            LimitUnit::WorkDays => "working days",
        }
    }

    /// True for units counted in working time, false for wall-clock units.
    pub fn counts_working_time(self) -> bool {
        matches!(self, LimitUnit::WorkHours | LimitUnit::WorkDays)
    }
}

/// Deadline for a limit of `amount` `unit`s starting at `start`.
///
/// Clock units add wall-clock time; [`LimitUnit::WorkHours`] adds `amount × 60` working minutes;
/// [`LimitUnit::WorkDays`] adds `amount ×` the scheme's daily working minutes (so one working day
/// from Friday 10:00 under office hours ends Monday 10:00). Saturates at [`NaiveDateTime::MAX`].
pub fn deadline_from(calendar: &WorkCalendar, start: NaiveDateTime, amount: u32, unit: LimitUnit) -> NaiveDateTime {
    let limit_minutes = allowed_minutes(calendar, amount, unit);
    if unit.counts_working_time() {
        calendar.add_working_minutes(start, limit_minutes)
    } else {
        start.checked_add_signed(TimeDelta::minutes(limit_minutes)).unwrap_or(NaiveDateTime::MAX)
    }
}

/// Minutes allowed by the limit, in the measure of its unit: wall-clock minutes for clock units,
/// working minutes for work units.
pub fn allowed_minutes(calendar: &WorkCalendar, amount: u32, unit: LimitUnit) -> i64 {
    let amount = i64::from(amount);
    match unit {
        LimitUnit::ClockMinutes => amount,
        LimitUnit::ClockHours | LimitUnit::WorkHours => amount * 60,
        LimitUnit::WorkDays => amount * calendar.scheme().daily_working_minutes(),
    }
}

/// Minutes used between `from` and `to`, in the same measure as [`allowed_minutes`]: wall-clock
/// minutes for clock units, working minutes for work units. 0 if `to <= from`.
pub fn elapsed_minutes(calendar: &WorkCalendar, unit: LimitUnit, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    if unit.counts_working_time() { calendar.working_minutes_between(from, to) } else { (to - from).num_minutes().max(0) }
}

/// Warning light 预警 for a running case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineLight {
    /// 绿灯: less than 80 % of the limit used.
    Green,
    /// 黄灯: 80 % to 100 % used, about to run out.
    Yellow,
    /// 红灯: overdue (超期), more than 100 % used.
    Red,
}

impl DeadlineLight {
    /// Chinese label, e.g. for a case list.
    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineLight::Green => "绿灯",
            DeadlineLight::Yellow => "黄灯",
            DeadlineLight::Red => "红灯",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineLight::Green => "green",
            DeadlineLight::Yellow => "yellow",
            DeadlineLight::Red => "red",
        }
    }
}

/// Warning light for `elapsed_minutes` of `allowed_minutes` used: green below 80 %, yellow from
/// 80 % up to and including 100 %, red beyond (overdue). A zero limit is yellow until any time
/// is used, then red.
///
/// ```
/// use citygrid::calendar::{DeadlineLight, light_for};
///
/// assert_eq!(light_for(190, 240), DeadlineLight::Green);
/// assert_eq!(light_for(192, 240), DeadlineLight::Yellow);
/// assert_eq!(light_for(241, 240), DeadlineLight::Red);
/// ```
pub fn light_for(elapsed_minutes: i64, allowed_minutes: i64) -> DeadlineLight {
    if elapsed_minutes > allowed_minutes {
        DeadlineLight::Red
    } else if allowed_minutes > 0 && i128::from(elapsed_minutes) * 5 < i128::from(allowed_minutes) * 4 {
        DeadlineLight::Green
    } else {
        DeadlineLight::Yellow
    }
}

/// Overrun ratio 超时倍数 = time used ÷ time allowed (1.0 means exactly at the limit); `None` for
/// a limit of zero or less.
pub fn overrun_ratio(elapsed_minutes: i64, allowed_minutes: i64) -> Option<f64> {
    // Minutes stay far below 2^53, so the conversions are exact in practice.
    (allowed_minutes > 0).then(|| elapsed_minutes as f64 / allowed_minutes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{HolidayTable, WorkScheme};
    use chrono::NaiveDate;

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day).and_then(|date| date.and_hms_opt(hour, minute, 0)).expect("valid test instant")
    }

    #[test]
    fn units_round_trip_through_their_names() {
        for unit in LimitUnit::ALL {
            assert_eq!(LimitUnit::parse(unit.as_str()), Some(unit));
            assert_eq!(LimitUnit::parse(unit.label_zh()), Some(unit));
            let json = serde_json::to_string(&unit).expect("serialisable");
            assert_eq!(json, format!("\"{}\"", unit.as_str()));
            let back: LimitUnit = serde_json::from_str(&json).expect("deserialisable");
            assert_eq!(back, unit);
        }
        assert_eq!(LimitUnit::parse(" work_days "), Some(LimitUnit::WorkDays));
        assert_eq!(LimitUnit::parse("fortnights"), None);
        assert_eq!(LimitUnit::WorkHours.label_en(), "working hours");
    }

    #[test]
    fn urgent_manhole_cover_limit_counts_clock_hours_through_the_holiday() {
        let calendar = WorkCalendar::office_hours();
        let start = at(2025, 10, 1, 11, 0);
        assert_eq!(deadline_from(&calendar, start, 2, LimitUnit::ClockHours), at(2025, 10, 1, 13, 0));
        assert_eq!(deadline_from(&calendar, start, 10, LimitUnit::ClockMinutes), at(2025, 10, 1, 11, 10));
    }

    #[test]
    fn exposed_garbage_limit_of_four_working_hours_waits_for_monday() {
        let calendar = WorkCalendar::office_hours();
        // Friday 2025-03-07 17:00.
        assert_eq!(deadline_from(&calendar, at(2025, 3, 7, 17, 0), 4, LimitUnit::WorkHours), at(2025, 3, 10, 11, 0));
    }

    #[test]
    fn one_working_day_from_friday_morning_ends_monday_morning() {
        let calendar = WorkCalendar::office_hours();
        assert_eq!(deadline_from(&calendar, at(2025, 3, 7, 10, 0), 1, LimitUnit::WorkDays), at(2025, 3, 10, 10, 0));
        assert_eq!(allowed_minutes(&calendar, 15, LimitUnit::WorkDays), 15 * 480);
    }

    #[test]
    fn work_days_under_round_the_clock_are_calendar_days() {
        let calendar = WorkCalendar::new(HolidayTable::embedded(), WorkScheme::round_the_clock());
        assert_eq!(deadline_from(&calendar, at(2025, 10, 1, 10, 0), 2, LimitUnit::WorkDays), at(2025, 10, 3, 10, 0));
    }

    #[test]
    fn elapsed_is_measured_like_the_limit() {
        let calendar = WorkCalendar::office_hours();
        let (friday_1700, monday_0900) = (at(2025, 3, 7, 17, 0), at(2025, 3, 10, 9, 0));
        assert_eq!(elapsed_minutes(&calendar, LimitUnit::WorkHours, friday_1700, monday_0900), 120);
        assert_eq!(elapsed_minutes(&calendar, LimitUnit::ClockHours, friday_1700, monday_0900), 64 * 60);
        assert_eq!(elapsed_minutes(&calendar, LimitUnit::ClockMinutes, monday_0900, friday_1700), 0);
    }

    #[test]
    fn warning_light_turns_yellow_at_80_percent_and_red_when_overdue() {
        assert_eq!(light_for(0, 100), DeadlineLight::Green);
        assert_eq!(light_for(79, 100), DeadlineLight::Green);
        assert_eq!(light_for(80, 100), DeadlineLight::Yellow);
        assert_eq!(light_for(100, 100), DeadlineLight::Yellow);
        assert_eq!(light_for(101, 100), DeadlineLight::Red);
        assert_eq!(light_for(0, 0), DeadlineLight::Yellow);
        assert_eq!(light_for(1, 0), DeadlineLight::Red);
        assert_eq!(light_for(i64::MAX - 1, i64::MAX), DeadlineLight::Yellow);
        assert_eq!(DeadlineLight::Red.label_zh(), "红灯");
    }

    #[test]
    fn light_for_a_real_case_four_working_hours() {
        let calendar = WorkCalendar::office_hours();
        let dispatched_at = at(2025, 3, 7, 17, 0);
        let allowed = allowed_minutes(&calendar, 4, LimitUnit::WorkHours);
        let light_at = |now| light_for(elapsed_minutes(&calendar, LimitUnit::WorkHours, dispatched_at, now), allowed);
        // Over the weekend the clock stands still: still green on Sunday night.
        assert_eq!(light_at(at(2025, 3, 9, 23, 0)), DeadlineLight::Green);
        assert_eq!(light_at(at(2025, 3, 10, 10, 30)), DeadlineLight::Yellow);
        assert_eq!(light_at(at(2025, 3, 10, 11, 0)), DeadlineLight::Yellow);
        assert_eq!(light_at(at(2025, 3, 10, 11, 1)), DeadlineLight::Red);
    }

    #[test]
    fn overrun_ratio_is_used_over_allowed() {
        assert_eq!(overrun_ratio(360, 240), Some(1.5));
        assert_eq!(overrun_ratio(10, 0), None);
    }
}
