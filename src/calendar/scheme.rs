//! Working-time schemes (工作时间制度): the daily windows in which the clock of a case runs, and
//! whether it also runs on weekends and holidays.
//!
//! Several schemes coexist: office hours for ordinary cases, 24 h duty for emergencies (e.g. a
//! missing manhole cover). A scheme only describes one day; which days count is decided with the
//! holiday table in [`super::WorkCalendar`]. It must not do any deadline arithmetic itself.

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::CalendarError;

pub(crate) const NS_PER_SECOND: i64 = 1_000_000_000;
pub(crate) const NS_PER_MINUTE: i64 = 60 * NS_PER_SECOND;
pub(crate) const NS_PER_DAY: i64 = 24 * 60 * NS_PER_MINUTE;

/// A working-time scheme: daily windows, and whether weekends and holidays count.
///
/// Each window is `(start, end)` on one day, start included, end excluded. An end of `00:00`
/// means midnight at the end of the day (24:00), so `(00:00, 00:00)` is the whole day. Windows
/// may be given in any order; overlapping or touching windows count once, and a window that ends
/// before it starts is ignored (see [`WorkScheme::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkScheme {
    /// Short identifier of the scheme, e.g. `office_hours`.
    pub name: String,
    /// Daily working windows, China wall-clock time.
    pub windows: Vec<(NaiveTime, NaiveTime)>,
    /// True when every day counts (weekends and holidays too), as for 24 h emergency duty.
    pub every_day: bool,
}

impl WorkScheme {
    /// Office hours (办公时间): 08:00–12:00 and 14:00–18:00 on working days only.
    pub fn office_hours() -> Self {
        Self {
            name: "office_hours".to_owned(),
            windows: vec![(time_of_day(8, 0), time_of_day(12, 0)), (time_of_day(14, 0), time_of_day(18, 0))],
            every_day: false,
        }
    }

    /// Round-the-clock duty (24 小时): every minute of every day counts, for emergencies.
    pub fn round_the_clock() -> Self {
        Self { name: "round_the_clock".to_owned(), windows: vec![(NaiveTime::MIN, NaiveTime::MIN)], every_day: true }
    }

    /// Working minutes in one working day (480 for office hours, 1440 round the clock).
    /// Seconds in window bounds are rounded down to whole minutes.
    pub fn daily_working_minutes(&self) -> i64 {
        let daily_ns: i64 = self.windows_ns().iter().map(|(start, end)| end - start).sum();
        daily_ns / NS_PER_MINUTE
    }

    /// Reports a window that ends before it starts, or a scheme without any working time.
    /// Such schemes still work (bad windows are ignored), but a settings form should refuse them.
    pub fn check(&self) -> Result<(), CalendarError> {
        for &(start, end) in &self.windows {
            if end != NaiveTime::MIN && end <= start {
                return Err(CalendarError::InvalidWindow { scheme: self.name.clone(), start, end });
            }
        }
        if self.windows_ns().is_empty() {
            return Err(CalendarError::NoWorkingTime { scheme: self.name.clone() });
        }
        Ok(())
    }

    /// The windows as nanoseconds since midnight, sorted, merged where they overlap or touch,
    /// empty and reversed windows dropped.
    pub(crate) fn windows_ns(&self) -> Vec<(i64, i64)> {
        let mut spans: Vec<(i64, i64)> = self
            .windows
            .iter()
            .filter_map(|&(start, end)| {
                let start_ns = offset_ns_from_time(start);
                let end_ns = if end == NaiveTime::MIN { NS_PER_DAY } else { offset_ns_from_time(end) };
                (start_ns < end_ns).then_some((start_ns, end_ns))
            })
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
        for (start_ns, end_ns) in spans {
            if let Some(last) = merged.last_mut()
                && start_ns <= last.1
            {
                last.1 = last.1.max(end_ns);
            } else {
                merged.push((start_ns, end_ns));
            }
        }
        merged
    }
}

/// Nanoseconds since midnight. A leap second (nanosecond field ≥ 1 s) counts as the last
/// nanosecond of its second, so the result stays below the next second.
pub(crate) fn offset_ns_from_time(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) * NS_PER_SECOND + i64::from(time.nanosecond().min(999_999_999))
}

fn time_of_day(hour: u32, minute: u32) -> NaiveTime {
    // Only called with constant, valid times; midnight is a harmless fallback.
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).expect("valid test time")
    }

    #[test]
    fn office_hours_are_eight_hours_a_day() {
        let scheme = WorkScheme::office_hours();
        assert_eq!(scheme.daily_working_minutes(), 480);
        assert!(!scheme.every_day);
        assert!(scheme.check().is_ok());
    }

    #[test]
    fn round_the_clock_is_1440_minutes_every_day() {
        let scheme = WorkScheme::round_the_clock();
        assert_eq!(scheme.daily_working_minutes(), 1440);
        assert!(scheme.every_day);
        assert!(scheme.check().is_ok());
    }

    #[test]
    fn overlapping_windows_count_once() {
        let scheme = WorkScheme {
            name: "overlap".to_owned(),
            windows: vec![(hm(14, 0), hm(18, 0)), (hm(8, 0), hm(12, 0)), (hm(11, 0), hm(14, 0))],
            every_day: false,
        };
        assert_eq!(scheme.daily_working_minutes(), 10 * 60);
        assert_eq!(scheme.windows_ns().len(), 1);
    }

    #[test]
    fn evening_window_may_end_at_midnight() {
        let scheme = WorkScheme { name: "evening".to_owned(), windows: vec![(hm(22, 0), hm(0, 0))], every_day: true };
        assert_eq!(scheme.daily_working_minutes(), 120);
        assert!(scheme.check().is_ok());
    }

    #[test]
    fn a_window_ending_before_it_starts_is_reported_and_ignored() {
        let scheme = WorkScheme { name: "night".to_owned(), windows: vec![(hm(22, 0), hm(6, 0)), (hm(8, 0), hm(9, 0))], every_day: false };
        let error = scheme.check().expect_err("22:00–06:00 crosses midnight");
        assert!(matches!(error, CalendarError::InvalidWindow { .. }));
        assert!(error.to_string().contains("22:00:00"), "{error}");
        assert_eq!(scheme.daily_working_minutes(), 60);
    }

    #[test]
    fn a_scheme_without_windows_is_reported() {
        let scheme = WorkScheme { name: "empty".to_owned(), windows: Vec::new(), every_day: false };
        assert!(matches!(scheme.check(), Err(CalendarError::NoWorkingTime { .. })));
        assert_eq!(scheme.daily_working_minutes(), 0);
    }

    #[test]
    fn scheme_round_trips_through_json() {
        let scheme = WorkScheme::office_hours();
        let json = serde_json::to_string(&scheme).expect("serialisable");
        let back: WorkScheme = serde_json::from_str(&json).expect("deserialisable");
        assert_eq!(back, scheme);
    }
}
