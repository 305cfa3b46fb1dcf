//! Assessment periods (a day, a week, a month, a quarter, a year, or any days) in China local
//! time, read from the command line, and the step of a trend.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;

/// A period `[from, to)` in China local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    let (year, month) = (year + (month as i32 - 1).div_euclid(12), (month as i32 - 1).rem_euclid(12) as u32 + 1);
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

impl Period {
    /// Reads `2026-11` (a month), `2026-Q4` (a quarter), `2026` (a year), `2026-11-25` (a day)
    /// or `2026-11-01..2026-11-30` (days, both included).
    ///
    /// # Errors
    /// Any other text, with the forms it accepts.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let day = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        let parsed = if let Some((from, to)) = text.split_once("..") {
            day(from)
                .zip(day(to))
                .filter(|(from, to)| from <= to)
                .map(|(from, to)| Self::range(midnight(from), midnight(to) + Duration::days(1)))
        } else if let Some(date) = day(text) {
            Some(Self::day(date))
        } else if let Some((year, quarter)) = text.split_once("-Q").or_else(|| text.split_once("-q")) {
            year.parse()
                .ok()
                .zip(quarter.parse().ok())
                .filter(|(_, quarter)| (1..=4).contains(quarter))
                .map(|(year, quarter)| Self::quarter(year, quarter))
        } else if let Some((year, month)) = text.split_once('-') {
            year.parse()
                .ok()
                .zip(month.parse().ok())
                .filter(|(_, month)| (1..=12).contains(month))
                .map(|(year, month)| Self::month(year, month))
        } else {
            text.parse().ok().filter(|year| (1900..=2200).contains(year)).map(Self::year)
        };
        parsed.ok_or_else(|| anyhow::anyhow!("period {text:?}: use 2026-11, 2026-Q4, 2026, 2026-11-25 or 2026-11-01..2026-11-30"))
    }

    /// Any range `[from, to)`.
    #[must_use]
    pub fn range(from: NaiveDateTime, to: NaiveDateTime) -> Self {
        Self { from, to }
    }

    /// One calendar day.
    #[must_use]
    pub fn day(date: NaiveDate) -> Self {
        Self::range(midnight(date), midnight(date) + Duration::days(1))
    }

    /// The week (Monday to Sunday) containing `date`.
    #[must_use]
    pub fn week(date: NaiveDate) -> Self {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        Self::range(midnight(monday), midnight(monday) + Duration::days(7))
    }

    /// A calendar month (1–12).
    #[must_use]
    pub fn month(year: i32, month: u32) -> Self {
        Self::range(midnight(first_of_month(year, month)), midnight(first_of_month(year, month + 1)))
    }

    /// A quarter (1–4).
    #[must_use]
    pub fn quarter(year: i32, quarter: u32) -> Self {
        let first = (quarter.clamp(1, 4) - 1) * 3 + 1;
        Self::range(midnight(first_of_month(year, first)), midnight(first_of_month(year, first + 3)))
    }

    /// A calendar year.
    #[must_use]
    pub fn year(year: i32) -> Self {
        Self::range(midnight(first_of_month(year, 1)), midnight(first_of_month(year + 1, 1)))
    }

    /// Whether `at` lies in the period.
    #[must_use]
    pub fn contains(&self, at: NaiveDateTime) -> bool {
        self.from <= at && at < self.to
    }

    /// The last day in the period.
    #[must_use]
    pub fn last_day(&self) -> NaiveDate {
        (self.to - Duration::seconds(1)).date()
    }
}

/// The step of a trend: weeks or months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub enum Granularity {
    Week,
    #[default]
    Month,
}

impl Granularity {
    /// The period of this granularity containing `date`.
    #[must_use]
    pub fn period(self, date: NaiveDate) -> Period {
        match self {
            Self::Week => Period::week(date),
            Self::Month => Period::month(date.year(), date.month()),
        }
    }

    /// The `count` periods up to and including the one containing `date`, oldest first.
    #[must_use]
    pub fn periods_ending(self, date: NaiveDate, count: usize) -> Vec<Period> {
        let mut periods = Vec::with_capacity(count);
        let mut period = self.period(date);
        for _ in 0..count {
            periods.push(period);
            period = self.period(period.from.date() - Duration::days(1));
        }
        periods.reverse();
        periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn periods_read_from_the_command_line() {
        assert_eq!(Period::parse("2026-11").expect("month"), Period::month(2026, 11));
        assert_eq!(Period::parse("2026-Q4").expect("quarter"), Period::quarter(2026, 4));
        assert_eq!(Period::parse("2026").expect("year"), Period::year(2026));
        assert_eq!(Period::parse("2026-11-25").expect("day"), Period::day(day("2026-11-25")));
        let range = Period::parse("2026-11-01..2026-11-30").expect("range");
        assert_eq!(range, Period::month(2026, 11), "both days included");
        for bad in ["2026-13", "2026-Q5", "26", "2026-11-30..2026-11-01", "last month"] {
            let error = Period::parse(bad).expect_err(bad).to_string();
            assert!(error.contains("2026-Q4"), "{bad}: {error}");
        }
    }
}
