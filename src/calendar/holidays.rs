//! The statutory holiday table (法定节假日安排): which dates are days off (放假) and which weekend
//! dates are make-up working days (调休上班), read from the holiday-cn JSON layout
//! (<https://github.com/NateScarlet/holiday-cn>).
//!
//! It only answers "is this date a working day by the State Council's notice"; working hours
//! within the day belong to [`super::WorkScheme`]. It must not read files at run time: the
//! 2024–2026 files are embedded, and newer years arrive as text through
//! [`HolidayTable::from_holiday_cn_json`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use super::CalendarError;

/// The holiday-cn files shipped with the program, by year.
const EMBEDDED_HOLIDAY_FILES: [(i32, &str); 3] = [
    (2024, include_str!("../../assets/calendar/2024.json")),
    (2025, include_str!("../../assets/calendar/2025.json")),
    (2026, include_str!("../../assets/calendar/2026.json")),
];

/// Per-date exceptions to the weekend rule, for the years whose notice has been loaded.
///
/// A date that is not listed follows the plain rule: Monday–Friday work, Saturday–Sunday off.
/// A listed date is either a day off (`is_off_day == true`, e.g. 国庆节 on a Wednesday) or a
/// make-up working day (`false`, 调休, e.g. a Saturday worked to bridge a holiday).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    days: BTreeMap<NaiveDate, ListedDay>,
    /// Years whose notice was loaded, so a caller can warn when a deadline runs into a year
    /// the table does not know yet.
    years: BTreeSet<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ListedDay {
    is_off_day: bool,
    /// Holiday name as published, e.g. 春节 or 国庆节、中秋节.
    name: String,
}

/// One holiday-cn file. Other keys (`$schema`, `papers`, …) are ignored.
#[derive(Deserialize)]
struct HolidayCnFile {
    year: i32,
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HolidayCnDay {
    name: String,
    date: String,
    is_off_day: bool,
}

impl HolidayTable {
    /// An empty table: every year follows the weekend rule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one year in the holiday-cn layout:
    /// `{"year": 2026, "days": [{"name": "元旦", "date": "2026-01-01", "isOffDay": true}, …]}`.
    ///
    /// The error names the entry and what is wrong with it (bad date, date far from `year`,
    /// a date listed both as off and as make-up day, or JSON that does not fit the layout).
    pub fn from_holiday_cn_json(json: &str) -> Result<Self, CalendarError> {
        let file: HolidayCnFile = serde_json::from_str(json).map_err(CalendarError::InvalidJson)?;
        let year = file.year;
        let mut days = BTreeMap::new();
        for (index, day) in file.days.into_iter().enumerate() {
            let HolidayCnDay { name, date: text, is_off_day } = day;
            let date = match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(date) => date,
                Err(source) => {
                    return Err(CalendarError::InvalidDate { year, index, name, text, source });
                }
            };
            // holiday-cn files may touch the neighbouring year (a holiday around New Year),
            // never a year further away.
            if (date.year() - year).abs() > 1 {
                return Err(CalendarError::DateOutsideYear { year, date, name });
            }
            let listed = ListedDay { is_off_day, name };
            if let Some(previous) = days.insert(date, listed)
                && previous.is_off_day != is_off_day
            {
                return Err(CalendarError::ConflictingDay { year, date });
            }
        }
        Ok(Self { days, years: BTreeSet::from([year]) })
    }

    /// Builds a table from listed days (as stored in the database): `(date, is_off_day, name)`.
    /// Every year that has a listed day counts as covered.
    pub fn from_days(days: impl IntoIterator<Item = (NaiveDate, bool, String)>) -> Self {
        let mut table = Self::new();
        for (date, is_off_day, name) in days {
            table.years.insert(date.year());
            table.days.insert(date, ListedDay { is_off_day, name });
        }
        table
    }

    /// Adds another table; where both list a date, `other` wins (a corrected notice replaces the
    /// shipped one).
    pub fn merge(&mut self, other: HolidayTable) {
        let HolidayTable { days, years } = other;
        self.days.extend(days);
        self.years.extend(years);
    }

    /// The tables shipped with the program (2024–2026), parsed once per process.
    pub fn embedded() -> Self {
        static EMBEDDED: OnceLock<HolidayTable> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                let mut table = HolidayTable::new();
                // A year that fails to parse is left out (that year then follows the weekend
                // rule); the tests check that every shipped file parses.
                for (_, json) in EMBEDDED_HOLIDAY_FILES {
                    if let Ok(year_table) = HolidayTable::from_holiday_cn_json(json) {
                        table.merge(year_table);
                    }
                }
                table
            })
            .clone()
    }

    /// Like [`HolidayTable::embedded`], but reports a shipped file that does not parse.
    pub fn try_embedded() -> Result<Self, CalendarError> {
        let mut table = HolidayTable::new();
        for (_, json) in EMBEDDED_HOLIDAY_FILES {
            table.merge(HolidayTable::from_holiday_cn_json(json)?);
        }
        Ok(table)
    }

    /// Every listed date, sorted by date: `(date, is_off_day, holiday name)`, for saving in the
    /// database.
    pub fn entries(&self) -> impl Iterator<Item = (NaiveDate, bool, &str)> {
        self.days.iter().map(|(date, day)| (*date, day.is_off_day, day.name.as_str()))
    }

    /// Whether the notice for `year` has been loaded. Dates in other years follow the weekend rule.
    pub fn covers_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Years whose notice has been loaded, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// `Some(true)` for a listed day off, `Some(false)` for a listed make-up working day, `None`
    /// for a date the table does not list.
    pub fn is_off_day(&self, date: NaiveDate) -> Option<bool> {
        self.days.get(&date).map(|day| day.is_off_day)
    }

    /// Whether `date` is a working day by the statutory rule: weekends off unless listed as a
    /// make-up working day, listed days off off, every other day on.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.is_off_day(date) {
            Some(is_off_day) => !is_off_day,
            None => !is_weekend(date),
        }
    }

    /// Number of working days in `[from, to)` by the statutory rule, in time proportional to the
    /// number of listed dates in the range (not the number of days).
    pub(crate) fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        let day_count = (to - from).num_days();
        let mut working_days = day_count / 7 * 5;
        // The leftover days start on the same weekday as `from`.
        let mut weekday = from.weekday();
        for _ in 0..day_count % 7 {
            if !matches!(weekday, Weekday::Sat | Weekday::Sun) {
                working_days += 1;
            }
            weekday = weekday.succ();
        }
        for (date, day) in self.days.range(from..to) {
            match (is_weekend(*date), day.is_off_day) {
                (true, false) => working_days += 1,
                (false, true) => working_days -= 1,
                _ => {}
            }
        }
        working_days
    }

    /// Number of listed dates.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// True when no date is listed (weekend rule everywhere).
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    #[test]
    fn every_shipped_holiday_file_parses() {
        for (year, json) in EMBEDDED_HOLIDAY_FILES {
            let table = HolidayTable::from_holiday_cn_json(json).unwrap_or_else(|error| panic!("{year}.json: {error}"));
            assert!(table.covers_year(year));
            assert!(!table.is_empty());
        }
        assert!(HolidayTable::try_embedded().is_ok());
    }

    #[test]
    fn embedded_table_covers_2024_to_2026_only() {
        let table = HolidayTable::embedded();
        assert_eq!(table.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
        assert!(!table.covers_year(2023));
        assert!(!table.covers_year(2027));
        assert_eq!(table, HolidayTable::try_embedded().expect("shipped files parse"));
    }

    #[test]
    fn entries_are_sorted_by_date_with_names() {
        let table = HolidayTable::embedded();
        let entries: Vec<_> = table.entries().collect();
        assert_eq!(entries.len(), 36 + 33 + 39);
        assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(entries[0], (date(2024, 1, 1), true, "元旦"));
        assert!(entries.contains(&(date(2025, 10, 11), false, "国庆节、中秋节")));
        assert!(entries.contains(&(date(2026, 2, 17), true, "春节")));
    }

    #[test]
    fn spring_festival_2026_is_off_and_its_make_up_saturday_is_on() {
        let table = HolidayTable::embedded();
        assert_eq!(table.is_off_day(date(2026, 2, 16)), Some(true));
        assert!(!table.is_working_day(date(2026, 2, 16)));
        assert_eq!(table.is_off_day(date(2026, 2, 28)), Some(false));
        assert!(table.is_working_day(date(2026, 2, 28)));
        // An ordinary Wednesday is not listed.
        assert_eq!(table.is_off_day(date(2026, 3, 11)), None);
        assert!(table.is_working_day(date(2026, 3, 11)));
    }

    #[test]
    fn counting_working_days_matches_day_by_day_count() {
        let table = HolidayTable::embedded();
        let first = date(2023, 12, 20);
        for offset_days in [0_u64, 1, 6, 7, 13, 40, 300, 800, 1200] {
            let from = first + chrono::Days::new(offset_days);
            for span_days in [0_u64, 1, 2, 5, 7, 9, 31, 400] {
                let to = from + chrono::Days::new(span_days);
                let day_by_day = from.iter_days().take_while(|day| *day < to).filter(|day| table.is_working_day(*day)).count();
                let day_by_day = i64::try_from(day_by_day).expect("small count");
                assert_eq!(table.count_working_days(from, to), day_by_day, "{from}..{to}");
            }
        }
    }

    #[test]
    fn a_later_table_overrides_an_earlier_one() {
        let mut table = HolidayTable::embedded();
        let correction =
            HolidayTable::from_holiday_cn_json(r#"{"year": 2026, "days": [{"name": "测试", "date": "2026-03-11", "isOffDay": true}]}"#)
                .expect("valid table");
        table.merge(correction);
        assert_eq!(table.is_off_day(date(2026, 3, 11)), Some(true));
        assert_eq!(table.is_off_day(date(2026, 10, 1)), Some(true));
    }

    #[test]
    fn holiday_json_without_is_off_day_is_rejected() {
        let error = HolidayTable::from_holiday_cn_json(r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01"}]}"#)
            .expect_err("isOffDay is required");
        assert!(matches!(error, CalendarError::InvalidJson(_)));
        assert!(error.to_string().contains("isOffDay"), "{error}");
    }

    #[test]
    fn holiday_json_with_date_far_from_its_year_is_rejected() {
        let error =
            HolidayTable::from_holiday_cn_json(r#"{"year": 2027, "days": [{"name": "元旦", "date": "2025-01-01", "isOffDay": true}]}"#)
                .expect_err("a 2025 date in the 2027 file");
        assert!(matches!(error, CalendarError::DateOutsideYear { .. }), "{error}");
    }

    #[test]
    fn a_date_both_off_and_make_up_is_rejected() {
        let error = HolidayTable::from_holiday_cn_json(
            r#"{"year": 2027, "days": [
                {"name": "春节", "date": "2027-02-06", "isOffDay": true},
                {"name": "春节", "date": "2027-02-06", "isOffDay": false}
            ]}"#,
        )
        .expect_err("contradictory entries");
        assert!(matches!(error, CalendarError::ConflictingDay { .. }), "{error}");
        assert!(error.to_string().contains("2027-02-06"), "{error}");
    }

    #[test]
    fn not_json_at_all_is_rejected() {
        let error = HolidayTable::from_holiday_cn_json("放假通知").expect_err("not JSON");
        assert!(matches!(error, CalendarError::InvalidJson(_)));
    }
}
