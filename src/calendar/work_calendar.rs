//! The working calendar (工作日历): a holiday table plus a working-time scheme, and the deadline
//! arithmetic on top of them.
//!
//! Cost matters: the status of every open case is recomputed each second. Both
//! [`WorkCalendar::add_working_minutes`] and [`WorkCalendar::working_minutes_between`] handle the
//! first and last day window by window and count the days in between with a weekday formula
//! corrected by the listed holidays, so their cost grows with the number of listed holidays in the
//! span, not with its length in minutes. It must not step minute by minute, and must not panic on
//! extreme inputs (results saturate at [`NaiveDateTime::MAX`]).

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::holidays::HolidayTable;
use super::scheme::{NS_PER_DAY, NS_PER_MINUTE, WorkScheme, offset_ns_from_time};

/// A holiday table and a working-time scheme: answers "is this working time" and computes
/// deadlines in working minutes.
///
/// ```
/// use chrono::NaiveDate;
/// use citygrid::calendar::WorkCalendar;
///
/// let calendar = WorkCalendar::office_hours();
/// // Tuesday 2025-09-30 09:00, one working day (480 min) before the 国庆节 holiday week.
/// let dispatched_at = NaiveDate::from_ymd_opt(2025, 9, 30).unwrap().and_hms_opt(9, 0, 0).unwrap();
/// let deadline = calendar.add_working_minutes(dispatched_at, 480);
/// let expected = NaiveDate::from_ymd_opt(2025, 10, 9).unwrap().and_hms_opt(9, 0, 0).unwrap();
/// assert_eq!(deadline, expected);
/// assert_eq!(calendar.working_minutes_between(dispatched_at, deadline), 480);
/// ```
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    holidays: HolidayTable,
    scheme: WorkScheme,
    /// The scheme's windows in nanoseconds since midnight, sorted and merged.
    windows_ns: Vec<(i64, i64)>,
    /// Working time in one working day, nanoseconds.
    daily_ns: i64,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        Self::office_hours()
    }
}

impl WorkCalendar {
    /// A calendar from a holiday table and a scheme. Bad windows of the scheme are ignored
    /// (see [`WorkScheme::check`]).
    pub fn new(holidays: HolidayTable, scheme: WorkScheme) -> Self {
        let windows_ns = scheme.windows_ns();
        let daily_ns = windows_ns.iter().map(|(start, end)| end - start).sum();
        Self { holidays, scheme, windows_ns, daily_ns }
    }

    /// The embedded 2024–2026 holidays with office hours (08:00–12:00, 14:00–18:00).
    pub fn office_hours() -> Self {
        Self::new(HolidayTable::embedded(), WorkScheme::office_hours())
    }

    /// The holiday table in use.
    pub fn holidays(&self) -> &HolidayTable {
        &self.holidays
    }

    /// The working-time scheme in use.
    pub fn scheme(&self) -> &WorkScheme {
        &self.scheme
    }

    /// Whether the clock runs on `date` at all: always for an every-day scheme; otherwise
    /// weekends are off unless listed as a make-up working day (调休), listed days off are off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.scheme.every_day || self.holidays.is_working_day(date)
    }

    /// Whether the instant `at` lies inside a working window (start included, end excluded) of a
    /// working day.
    pub fn is_working_minute(&self, at: NaiveDateTime) -> bool {
        let offset_ns = offset_ns_from_time(at.time());
        self.is_working_day(at.date()) && self.windows_ns.iter().any(|&(start_ns, end_ns)| start_ns <= offset_ns && offset_ns < end_ns)
    }

    /// Deadline: the instant when `minutes` working minutes have elapsed after `start`.
    ///
    /// A deadline never falls inside a non-working stretch, except exactly at the end of a window:
    /// a deadline that lands at 12:00 stays 12:00, not 14:00. `minutes <= 0` returns `start`.
    /// A scheme with no working time, or a deadline past the end of the calendar, gives
    /// [`NaiveDateTime::MAX`] (never reached).
    pub fn add_working_minutes(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        if minutes <= 0 {
            return start;
        }
        if self.daily_ns <= 0 {
            return NaiveDateTime::MAX;
        }
        let mut remaining_ns = i128::from(minutes) * i128::from(NS_PER_MINUTE);

        // The rest of the first day.
        let start_day = start.date();
        let start_offset_ns = offset_ns_from_time(start.time());
        if self.is_working_day(start_day) {
            for &(window_start_ns, window_end_ns) in &self.windows_ns {
                if window_end_ns <= start_offset_ns {
                    continue;
                }
                let from_ns = window_start_ns.max(start_offset_ns);
                let available_ns = i128::from(window_end_ns - from_ns);
                if remaining_ns <= available_ns {
                    return instant_or_max(start_day, from_ns, remaining_ns);
                }
                remaining_ns -= available_ns;
            }
        }

        // Whole working days, then the day on which the last minute is used up.
        let daily_ns = i128::from(self.daily_ns);
        let whole_days = (remaining_ns - 1) / daily_ns;
        remaining_ns -= whole_days * daily_ns; // now in (0, daily_ns]
        let Some(last_day) = start_day
            .succ_opt()
            .zip(i64::try_from(whole_days + 1).ok())
            .and_then(|(next_day, count)| self.nth_working_day(next_day, count))
        else {
            return NaiveDateTime::MAX;
        };
        for &(window_start_ns, window_end_ns) in &self.windows_ns {
            let available_ns = i128::from(window_end_ns - window_start_ns);
            if remaining_ns <= available_ns {
                return instant_or_max(last_day, window_start_ns, remaining_ns);
            }
            remaining_ns -= available_ns;
        }
        // Unreachable: what remains fits into one working day.
        NaiveDateTime::MAX
    }

    /// Working minutes between two instants, whole minutes rounded down; 0 if `to <= from`.
    ///
    /// The inverse of [`WorkCalendar::add_working_minutes`]:
    /// `working_minutes_between(start, add_working_minutes(start, m)) == m`.
    pub fn working_minutes_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let (from_day, from_offset_ns) = (from.date(), offset_ns_from_time(from.time()));
        let (to_day, to_offset_ns) = (to.date(), offset_ns_from_time(to.time()));
        let mut working_ns: i128 = 0;
        if from_day == to_day {
            if self.is_working_day(from_day) {
                working_ns += i128::from(self.working_ns_within_day(from_offset_ns, to_offset_ns));
            }
        } else {
            if self.is_working_day(from_day) {
                working_ns += i128::from(self.working_ns_within_day(from_offset_ns, NS_PER_DAY));
            }
            if self.is_working_day(to_day) {
                working_ns += i128::from(self.working_ns_within_day(0, to_offset_ns));
            }
            if let Some(day_after_from) = from_day.succ_opt() {
                let whole_days = self.count_working_days(day_after_from, to_day);
                working_ns += i128::from(whole_days) * i128::from(self.daily_ns);
            }
        }
        i64::try_from(working_ns / i128::from(NS_PER_MINUTE)).unwrap_or(i64::MAX)
    }

    /// Working time inside `[from_ns, to_ns)` of one working day, nanoseconds.
    fn working_ns_within_day(&self, from_ns: i64, to_ns: i64) -> i64 {
        self.windows_ns.iter().map(|&(start_ns, end_ns)| (end_ns.min(to_ns) - start_ns.max(from_ns)).max(0)).sum()
    }

    /// Number of working days in `[from, to)`.
    fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if self.scheme.every_day { (to - from).num_days().max(0) } else { self.holidays.count_working_days(from, to) }
    }

    /// The `count`-th working day (`count >= 1`) on or after `from`; `None` past the end of the
    /// calendar.
    fn nth_working_day(&self, from: NaiveDate, count: i64) -> Option<NaiveDate> {
        if count < 1 {
            return Some(from);
        }
        if self.scheme.every_day {
            return from.checked_add_days(Days::new(u64::try_from(count - 1).ok()?));
        }
        // A span of `still_needed` days holds at most that many working days, so jumping by the
        // shortfall never overshoots; with five working days in seven the shortfall shrinks
        // geometrically, and near the end the jumps cross holidays a few days at a time.
        let mut span_start = from;
        let mut still_needed = count;
        loop {
            let span_end = span_start.checked_add_days(Days::new(u64::try_from(still_needed).ok()?))?;
            let found = self.count_working_days(span_start, span_end);
            if found >= still_needed {
                // The last working day of the span is the one we want.
                let mut day = span_end.pred_opt()?;
                while !self.is_working_day(day) {
                    day = day.pred_opt()?;
                }
                return Some(day);
            }
            still_needed -= found;
            span_start = span_end;
        }
    }
}

/// `day` at `offset_ns + extra_ns` after midnight (may be 24:00, i.e. the next midnight), or
/// [`NaiveDateTime::MAX`] past the end of the calendar.
fn instant_or_max(day: NaiveDate, offset_ns: i64, extra_ns: i128) -> NaiveDateTime {
    i64::try_from(i128::from(offset_ns) + extra_ns)
        .ok()
        .and_then(|total_ns| day.and_time(NaiveTime::MIN).checked_add_signed(TimeDelta::nanoseconds(total_ns)))
        .unwrap_or(NaiveDateTime::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day).and_then(|date| date.and_hms_opt(hour, minute, 0)).expect("valid test instant")
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn round_the_clock() -> WorkCalendar {
        WorkCalendar::new(HolidayTable::embedded(), WorkScheme::round_the_clock())
    }

    /// Whether `instant` is exactly the end of a working window on a working day (an end at
    /// 24:00 shows as the next day's 00:00).
    fn is_window_end(calendar: &WorkCalendar, instant: NaiveDateTime) -> bool {
        let offset_ns = offset_ns_from_time(instant.time());
        let ends_today = calendar.is_working_day(instant.date()) && calendar.windows_ns.iter().any(|&(_, end_ns)| end_ns == offset_ns);
        let ends_at_midnight = offset_ns == 0
            && instant.date().pred_opt().is_some_and(|yesterday| calendar.is_working_day(yesterday))
            && calendar.windows_ns.iter().any(|&(_, end_ns)| end_ns == NS_PER_DAY);
        ends_today || ends_at_midnight
    }

    #[test]
    fn national_day_week_is_not_working_time() {
        let calendar = WorkCalendar::office_hours();
        for day in 1..=8 {
            assert!(!calendar.is_working_day(date(2025, 10, day)), "2025-10-{day:02}");
            assert!(!calendar.is_working_minute(at(2025, 10, day, 10, 0)));
        }
        assert!(calendar.is_working_day(date(2025, 10, 9)));
        assert_eq!(calendar.working_minutes_between(at(2025, 9, 30, 18, 0), at(2025, 10, 9, 8, 0)), 0);
    }

    #[test]
    fn make_up_saturday_is_a_working_day() {
        let calendar = WorkCalendar::office_hours();
        // 2025-10-11 (Saturday) and 2026-02-28 (Saturday), 2025-09-28 (Sunday) are 调休 days.
        for make_up_day in [date(2025, 10, 11), date(2026, 2, 28), date(2025, 9, 28)] {
            assert!(calendar.is_working_day(make_up_day), "{make_up_day}");
        }
        assert!(calendar.is_working_minute(at(2025, 10, 11, 9, 30)));
        // An ordinary Saturday is not.
        assert!(!calendar.is_working_day(date(2025, 10, 18)));
    }

    #[test]
    fn lunch_break_and_evening_are_not_working_time() {
        let calendar = WorkCalendar::office_hours();
        // Tuesday 2025-03-04.
        assert!(calendar.is_working_minute(at(2025, 3, 4, 8, 0)));
        assert!(calendar.is_working_minute(at(2025, 3, 4, 11, 59)));
        assert!(!calendar.is_working_minute(at(2025, 3, 4, 12, 0)));
        assert!(!calendar.is_working_minute(at(2025, 3, 4, 13, 59)));
        assert!(calendar.is_working_minute(at(2025, 3, 4, 14, 0)));
        assert!(!calendar.is_working_minute(at(2025, 3, 4, 18, 0)));
        assert!(!calendar.is_working_minute(at(2025, 3, 4, 7, 59)));
    }

    #[test]
    fn years_outside_the_table_follow_the_weekend_rule() {
        let calendar = WorkCalendar::office_hours();
        // 2030-10-01 is a Tuesday; without a 2030 notice it is a working day.
        assert!(calendar.is_working_day(date(2030, 10, 1)));
        assert!(!calendar.is_working_day(date(2030, 10, 5)));
        assert_eq!(calendar.working_minutes_between(at(2030, 9, 30, 8, 0), at(2030, 10, 7, 8, 0)), 5 * 480);
    }

    #[test]
    fn deadline_at_noon_stays_at_noon() {
        let calendar = WorkCalendar::office_hours();
        // Monday 2025-03-03.
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 3, 8, 0), 240), at(2025, 3, 3, 12, 0));
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 3, 10, 0), 480), at(2025, 3, 4, 10, 0));
        // A deadline at the end of the day stays 18:00.
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 3, 14, 0), 240), at(2025, 3, 3, 18, 0));
    }

    #[test]
    fn zero_minutes_returns_the_start_even_outside_working_time() {
        let calendar = WorkCalendar::office_hours();
        let sunday_night = at(2025, 3, 9, 23, 0);
        assert_eq!(calendar.add_working_minutes(sunday_night, 0), sunday_night);
        assert_eq!(calendar.add_working_minutes(sunday_night, -5), sunday_night);
    }

    #[test]
    fn a_case_dispatched_in_the_lunch_break_starts_counting_at_1400() {
        let calendar = WorkCalendar::office_hours();
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 4, 12, 30), 30), at(2025, 3, 4, 14, 30));
    }

    #[test]
    fn four_working_hours_from_friday_1700_ends_monday_1100() {
        let calendar = WorkCalendar::office_hours();
        // Friday 2025-03-07, Monday 2025-03-10: no holiday in between.
        let start = at(2025, 3, 7, 17, 0);
        let deadline = calendar.add_working_minutes(start, 4 * 60);
        assert_eq!(deadline, at(2025, 3, 10, 11, 0));
        assert_eq!(calendar.working_minutes_between(start, deadline), 240);
    }

    #[test]
    fn one_working_day_before_national_day_ends_after_the_holiday() {
        let calendar = WorkCalendar::office_hours();
        // Tuesday 2025-09-30 09:00: 7 h left that day, holiday 10-01..10-08, 1 h on Thursday 10-09.
        assert_eq!(calendar.add_working_minutes(at(2025, 9, 30, 9, 0), 480), at(2025, 10, 9, 9, 0));
    }

    #[test]
    fn deadline_before_spring_festival_make_up_saturday_lands_on_that_saturday() {
        let calendar = WorkCalendar::office_hours();
        // Friday 2025-02-07 17:00 + 2 h: 1 h on Friday, 1 h on make-up Saturday 2025-02-08.
        assert_eq!(calendar.add_working_minutes(at(2025, 2, 7, 17, 0), 120), at(2025, 2, 8, 9, 0));
    }

    #[test]
    fn twenty_working_days_for_an_illegal_building_skip_spring_festival_2026() {
        let calendar = WorkCalendar::office_hours();
        let start = at(2026, 2, 2, 8, 0); // Monday
        let deadline = calendar.add_working_minutes(start, 20 * 480);
        // Working days from 02-02: 02-02..02-06 (5), 02-09..02-13 (5), 02-14 Sat make-up (1),
        // holiday 02-15..02-23, 02-24..02-27 (4), 02-28 Sat make-up (1), 03-02..03-05 (4) = 20.
        assert_eq!(deadline, at(2026, 3, 5, 18, 0));
        assert_eq!(calendar.working_minutes_between(start, deadline), 20 * 480);
    }

    #[test]
    fn a_working_week_has_2400_working_minutes() {
        let calendar = WorkCalendar::office_hours();
        assert_eq!(calendar.working_minutes_between(at(2025, 3, 3, 8, 0), at(2025, 3, 10, 8, 0)), 2400);
        assert_eq!(calendar.working_minutes_between(at(2025, 3, 10, 8, 0), at(2025, 3, 3, 8, 0)), 0);
    }

    #[test]
    fn round_the_clock_counts_wall_time_through_holidays() {
        let calendar = round_the_clock();
        let start = at(2025, 10, 1, 23, 0);
        assert!(calendar.is_working_minute(start));
        assert_eq!(calendar.add_working_minutes(start, 120), at(2025, 10, 2, 1, 0));
        assert_eq!(calendar.working_minutes_between(start, at(2025, 10, 8, 23, 0)), 7 * 1440);
    }

    #[test]
    fn a_scheme_without_working_time_never_reaches_a_deadline() {
        let scheme = WorkScheme { name: "none".to_owned(), windows: Vec::new(), every_day: false };
        let calendar = WorkCalendar::new(HolidayTable::new(), scheme);
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 3, 8, 0), 1), NaiveDateTime::MAX);
        assert_eq!(calendar.working_minutes_between(at(2025, 3, 3, 8, 0), at(2026, 3, 3, 8, 0)), 0);
    }

    #[test]
    fn huge_limits_saturate_instead_of_panicking() {
        let calendar = WorkCalendar::office_hours();
        let start = at(2025, 3, 3, 8, 0);
        assert_eq!(calendar.add_working_minutes(start, i64::MAX), NaiveDateTime::MAX);
        assert_eq!(round_the_clock().add_working_minutes(start, i64::MAX), NaiveDateTime::MAX);
        assert!(calendar.working_minutes_between(NaiveDateTime::MIN, NaiveDateTime::MAX) > 0);
    }

    #[test]
    fn window_ending_at_midnight_gives_midnight_deadlines() {
        let scheme = WorkScheme {
            name: "evening".to_owned(),
            windows: vec![(NaiveTime::from_hms_opt(22, 0, 0).expect("valid"), NaiveTime::MIN)],
            every_day: false,
        };
        let calendar = WorkCalendar::new(HolidayTable::embedded(), scheme);
        // Friday 2025-03-07 22:00 + 2 h ends at midnight, not Monday 22:00.
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 7, 22, 0), 120), at(2025, 3, 8, 0, 0));
        assert_eq!(calendar.add_working_minutes(at(2025, 3, 7, 22, 0), 121), at(2025, 3, 10, 22, 1));
    }

    /// Start instants from late 2023 to early 2027, inside and outside the holiday table,
    /// with seconds.
    fn any_start() -> impl Strategy<Value = NaiveDateTime> {
        let first = at(2023, 11, 1, 0, 0);
        (0_i64..(3 * 365 + 150) * 86_400).prop_map(move |offset_s| first + TimeDelta::seconds(offset_s))
    }

    /// Minute-aligned start instants, for the minute-stepping reference.
    fn any_minute_start() -> impl Strategy<Value = NaiveDateTime> {
        let first = at(2023, 11, 1, 0, 0);
        (0_i64..(3 * 365 + 150) * 1440).prop_map(move |offset_min| first + TimeDelta::minutes(offset_min))
    }

    fn any_scheme() -> impl Strategy<Value = WorkScheme> {
        let any_time = (0_u32..24, 0_u32..60).prop_map(|(hour, minute)| NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN));
        (proptest::collection::vec((any_time.clone(), any_time), 1..4), any::<bool>()).prop_map(|(windows, every_day)| WorkScheme {
            name: "random".to_owned(),
            windows,
            every_day,
        })
    }

    fn calendars() -> [WorkCalendar; 2] {
        [WorkCalendar::office_hours(), round_the_clock()]
    }

    proptest! {
        #[test]
        fn working_minutes_between_undoes_add_working_minutes(start in any_start(), minutes in 0_i64..50_000) {
            for calendar in calendars() {
                let deadline = calendar.add_working_minutes(start, minutes);
                prop_assert_eq!(calendar.working_minutes_between(start, deadline), minutes);
            }
        }

        #[test]
        fn deadline_is_working_time_or_the_end_of_a_window(start in any_start(), minutes in 1_i64..50_000) {
            for calendar in calendars() {
                let deadline = calendar.add_working_minutes(start, minutes);
                prop_assert!(deadline > start);
                // The last instant counted is working time, and the deadline itself is working
                // time unless it is exactly a window end.
                prop_assert!(calendar.is_working_minute(deadline - TimeDelta::nanoseconds(1)));
                prop_assert!(
                    calendar.is_working_minute(deadline) || is_window_end(&calendar, deadline),
                    "deadline {} from {} + {} min", deadline, start, minutes
                );
            }
        }

        #[test]
        fn more_minutes_never_give_an_earlier_deadline(start in any_start(), minutes in 0_i64..50_000, extra in 0_i64..5_000) {
            for calendar in calendars() {
                prop_assert!(
                    calendar.add_working_minutes(start, minutes)
                        <= calendar.add_working_minutes(start, minutes + extra)
                );
            }
        }

        #[test]
        fn random_schemes_keep_add_and_between_consistent(scheme in any_scheme(), start in any_start(), minutes in 0_i64..50_000) {
            let calendar = WorkCalendar::new(HolidayTable::embedded(), scheme);
            let deadline = calendar.add_working_minutes(start, minutes);
            if calendar.daily_ns > 0 {
                prop_assert_eq!(calendar.working_minutes_between(start, deadline), minutes);
                if minutes > 0 {
                    prop_assert!(calendar.is_working_minute(deadline - TimeDelta::nanoseconds(1)));
                    prop_assert!(calendar.is_working_minute(deadline) || is_window_end(&calendar, deadline));
                }
            } else {
                prop_assert!(minutes == 0 || deadline == NaiveDateTime::MAX);
            }
        }

        /// Cross-check against the slow definition: step minute by minute, counting working minutes.
        #[test]
        fn deadline_matches_minute_by_minute_reference(start in any_minute_start(), minutes in 1_i64..3_000) {
            for calendar in calendars() {
                let mut instant = start;
                let mut counted = 0;
                while counted < minutes {
                    if calendar.is_working_minute(instant) {
                        counted += 1;
                    }
                    instant += TimeDelta::minutes(1);
                }
                prop_assert_eq!(calendar.add_working_minutes(start, minutes), instant);
            }
        }

        #[test]
        fn between_matches_minute_by_minute_reference(from in any_minute_start(), span_minutes in 0_i64..20_000) {
            let calendar = WorkCalendar::office_hours();
            let to = from + TimeDelta::minutes(span_minutes);
            let reference = (0..span_minutes)
                .filter(|step| calendar.is_working_minute(from + TimeDelta::minutes(*step)))
                .count();
            prop_assert_eq!(
                calendar.working_minutes_between(from, to),
                i64::try_from(reference).unwrap_or(i64::MAX)
            );
        }
    }
}
