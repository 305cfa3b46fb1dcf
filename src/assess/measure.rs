//! Drill-down (下钻): which cases make up each count of [`super::Indicators`]. A [`Measure`] names
//! one count; [`super::FactBook::cases`] lists the cases behind it with the same definitions,
//! because both walk the same contributions of each case to the period.

use serde::{Deserialize, Serialize};

use super::{Delta, Indicators};

/// One count of [`Indicators`] (a rate drills down to its numerator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Measure {
    Reported,
    Filed,
    Dispatched,
    Received,
    Returned,
    ReturnsAccepted,
    ReturnsRefused,
    ReturnsCounted,
    Urged,
    Supervised,
    Disputes,
    Handled,
    Verifications,
    Reworks,
    ExtensionsApproved,
    DeferralsApproved,
    BacklogEntered,
    ClosedErroneous,
    Due,
    Deferred,
    Assessed,
    Closed,
    ClosedOnTime,
    ClosedLate,
    OpenOverdue,
    Overdue,
    ExtendedCases,
    OpenAtEnd,
    BacklogAtEnd,
    Replies,
    RepliesSatisfied,
    RepliesDissatisfied,
}

impl Measure {
    pub const ALL: [Self; 32] = [
        Self::Reported,
        Self::Filed,
        Self::Dispatched,
        Self::Received,
        Self::Returned,
        Self::ReturnsAccepted,
        Self::ReturnsRefused,
        Self::ReturnsCounted,
        Self::Urged,
        Self::Supervised,
        Self::Disputes,
        Self::Handled,
        Self::Verifications,
        Self::Reworks,
        Self::ExtensionsApproved,
        Self::DeferralsApproved,
        Self::BacklogEntered,
        Self::ClosedErroneous,
        Self::Due,
        Self::Deferred,
        Self::Assessed,
        Self::Closed,
        Self::ClosedOnTime,
        Self::ClosedLate,
        Self::OpenOverdue,
        Self::Overdue,
        Self::ExtendedCases,
        Self::OpenAtEnd,
        Self::BacklogAtEnd,
        Self::Replies,
        Self::RepliesSatisfied,
        Self::RepliesDissatisfied,
    ];

    /// The count in `indicators`.
    #[must_use]
    pub fn value(self, indicators: &Indicators) -> u64 {
        match self {
            Self::Reported => indicators.reported,
            Self::Filed => indicators.filed,
            Self::Dispatched => indicators.dispatched,
            Self::Received => indicators.received,
            Self::Returned => indicators.returned,
            Self::ReturnsAccepted => indicators.returns_accepted,
            Self::ReturnsRefused => indicators.returns_refused,
            Self::ReturnsCounted => indicators.returns_counted(),
            Self::Urged => indicators.urged,
            Self::Supervised => indicators.supervised,
            Self::Disputes => indicators.disputes,
            Self::Handled => indicators.handled,
            Self::Verifications => indicators.verifications,
            Self::Reworks => indicators.reworks,
            Self::ExtensionsApproved => indicators.extensions_approved,
            Self::DeferralsApproved => indicators.deferrals_approved,
            Self::BacklogEntered => indicators.backlog_entered,
            Self::ClosedErroneous => indicators.closed_erroneous,
            Self::Due => indicators.due,
            Self::Deferred => indicators.deferred,
            Self::Assessed => indicators.assessed(),
            Self::Closed => indicators.closed,
            Self::ClosedOnTime => indicators.closed_on_time,
            Self::ClosedLate => indicators.closed_late,
            Self::OpenOverdue => indicators.open_overdue,
            Self::Overdue => indicators.overdue(),
            Self::ExtendedCases => indicators.extended_cases,
            Self::OpenAtEnd => indicators.open_at_end,
            Self::BacklogAtEnd => indicators.backlog_at_end,
            Self::Replies => indicators.replies,
            Self::RepliesSatisfied => indicators.replies_satisfied,
            Self::RepliesDissatisfied => indicators.replies_dissatisfied,
        }
    }

    /// The indicator's name as the window and the notice show it.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        let pick = |zh: &'static str, en: &'static str| if chinese { zh } else { en };
        match self {
            Self::Reported => pick("上报", "Reported"),
            Self::Filed => pick("立案", "Filed"),
            Self::Dispatched => pick("派遣", "Dispatched"),
            Self::Received => pick("接收", "Received"),
            Self::Returned => pick("回退", "Returns"),
            Self::ReturnsAccepted => pick("回退被认可", "Returns accepted"),
            Self::ReturnsRefused => pick("回退被驳回", "Returns refused"),
            Self::ReturnsCounted => pick("回退计入", "Returns counted"),
            Self::Urged => pick("催办", "Urged"),
            Self::Supervised => pick("督办", "Supervised"),
            Self::Disputes => pick("争议", "Disputes"),
            Self::Handled => pick("处置反馈", "Handled"),
            Self::Verifications => pick("核查", "Verifications"),
            Self::Reworks => pick("返工", "Reworks"),
            Self::ExtensionsApproved => pick("批准延期", "Extensions"),
            Self::DeferralsApproved => pick("批准缓办", "Deferrals"),
            Self::BacklogEntered => pick("挂账", "Backlog"),
            Self::ClosedErroneous => pick("误报结案", "Erroneous"),
            Self::Due => pick("应结案", "Due"),
            Self::Deferred => pick("缓办", "Deferred"),
            Self::Assessed => pick("考核案件", "Assessed"),
            Self::Closed => pick("结案", "Closed"),
            Self::ClosedOnTime => pick("按期结案", "Closed on time"),
            Self::ClosedLate => pick("超期结案", "Closed late"),
            Self::OpenOverdue => pick("超期未结", "Open overdue"),
            Self::Overdue => pick("超期", "Overdue"),
            Self::ExtendedCases => pick("延期案件", "Extended"),
            Self::OpenAtEnd => pick("期末未结", "Open at end"),
            Self::BacklogAtEnd => pick("期末挂账", "Backlog at end"),
            Self::Replies => pick("回访", "Replies"),
            Self::RepliesSatisfied => pick("回访满意", "Satisfied"),
            Self::RepliesDissatisfied => pick("回访不满意", "Dissatisfied"),
        }
    }

    /// Whether one contribution counts one towards this measure (each counts at most one).
    pub(super) fn counts(self, delta: &Delta) -> bool {
        matches!(
            (self, delta),
            (Self::Reported, Delta::Reported)
                | (Self::Filed, Delta::Filed(_))
                | (Self::Received, Delta::Dispatched { .. })
                | (Self::Dispatched, Delta::Dispatched { first: true, .. })
                | (Self::Returned, Delta::Returned { .. })
                | (Self::ReturnsAccepted, Delta::Returned { accepted: true, .. })
                | (Self::ReturnsRefused, Delta::Returned { refused: true, .. })
                | (Self::ReturnsCounted, Delta::Returned { accepted: false, .. })
                | (Self::Urged, Delta::Urged)
                | (Self::Supervised, Delta::Supervised)
                | (Self::Disputes, Delta::Dispute)
                | (Self::Handled, Delta::Handled(_))
                | (Self::Verifications, Delta::Verified { .. })
                | (Self::Reworks, Delta::Verified { failed: true, .. })
                | (Self::ExtensionsApproved, Delta::Extension)
                | (Self::DeferralsApproved, Delta::Deferral)
                | (Self::BacklogEntered, Delta::Backlog)
                | (Self::ClosedErroneous, Delta::ClosedErroneous)
                | (Self::Due | Self::Deferred, Delta::DueDeferred)
                | (Self::Due | Self::Assessed | Self::Closed, Delta::DueClosed { .. })
                | (Self::Due | Self::Assessed, Delta::DueOpen { .. })
                | (Self::ClosedOnTime, Delta::DueClosed { on_time: true, .. })
                | (Self::ClosedLate | Self::Overdue, Delta::DueClosed { on_time: false, .. })
                | (Self::OpenOverdue | Self::Overdue, Delta::DueOpen { overdue: true, .. })
                | (Self::ExtendedCases, Delta::DueClosed { extended: true, .. } | Delta::DueOpen { extended: true, .. })
                | (Self::OpenAtEnd, Delta::OpenAtEnd { .. })
                | (Self::BacklogAtEnd, Delta::OpenAtEnd { backlog: true })
                | (Self::Replies, Delta::Replied(_))
                | (Self::RepliesSatisfied, Delta::Replied(Some(crate::model::Satisfaction::Satisfied | crate::model::Satisfaction::Fair)))
                | (Self::RepliesDissatisfied, Delta::Replied(Some(crate::model::Satisfaction::Dissatisfied)))
        )
    }
}

/// A rate of [`Indicators`]; it drills down to its numerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rate {
    OnTime,
    Closure,
    Rework,
    Extension,
    Overdue,
    Return,
    /// 满意率 (Art. 21): rated 满意 or 基本满意 ÷ replies rated.
    Satisfaction,
}

impl Rate {
    /// The rate in `indicators` (0–1), `None` without a denominator.
    #[must_use]
    pub fn value(self, indicators: &Indicators) -> Option<f64> {
        match self {
            Self::OnTime => indicators.on_time_rate(),
            Self::Closure => indicators.closure_rate(),
            Self::Rework => indicators.rework_rate(),
            Self::Extension => indicators.extension_rate(),
            Self::Overdue => indicators.overdue_rate(),
            Self::Return => indicators.return_rate(),
            Self::Satisfaction => indicators.satisfaction_rate(),
        }
    }

    /// The count the rate divides.
    #[must_use]
    pub fn numerator(self) -> Measure {
        match self {
            Self::OnTime => Measure::ClosedOnTime,
            Self::Closure => Measure::Closed,
            Self::Rework => Measure::Reworks,
            Self::Extension => Measure::ExtendedCases,
            Self::Overdue => Measure::Overdue,
            Self::Return => Measure::ReturnsCounted,
            Self::Satisfaction => Measure::RepliesSatisfied,
        }
    }

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        let pick = |zh: &'static str, en: &'static str| if chinese { zh } else { en };
        match self {
            Self::OnTime => pick("按期结案率", "On time"),
            Self::Closure => pick("结案率", "Closure"),
            Self::Rework => pick("返工率", "Rework"),
            Self::Extension => pick("延期率", "Extension"),
            Self::Overdue => pick("超期率", "Overdue rate"),
            Self::Return => pick("回退率", "Return rate"),
            Self::Satisfaction => pick("满意率", "Satisfaction"),
        }
    }
}

/// A column of the assessment tables (window, CSV, workbook, notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Count(Measure),
    Rate(Rate),
    /// 平均处置时长, working hours.
    AverageHandlingHours,
}

impl Column {
    /// The columns every table shows, in order.
    pub const TABLE: [Self; 16] = [
        Self::Count(Measure::Received),
        Self::Count(Measure::Due),
        Self::Count(Measure::Closed),
        Self::Rate(Rate::OnTime),
        Self::Rate(Rate::Closure),
        Self::Count(Measure::Overdue),
        Self::Rate(Rate::Rework),
        Self::Rate(Rate::Extension),
        Self::AverageHandlingHours,
        Self::Count(Measure::Returned),
        Self::Count(Measure::ReturnsCounted),
        Self::Count(Measure::Urged),
        Self::Count(Measure::Reworks),
        Self::Count(Measure::ExtendedCases),
        Self::Count(Measure::Disputes),
        Self::Count(Measure::BacklogAtEnd),
    ];

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match self {
            Self::Count(measure) => measure.label(chinese),
            Self::Rate(rate) => rate.label(chinese),
            Self::AverageHandlingHours => {
                if chinese {
                    "平均处置（工时）"
                } else {
                    "Avg handling (working h)"
                }
            }
        }
    }

    /// The number (a rate as 0–1), `None` when it has no denominator.
    #[must_use]
    pub fn number(self, indicators: &Indicators) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        match self {
            Self::Count(measure) => Some(measure.value(indicators) as f64),
            Self::Rate(rate) => rate.value(indicators),
            Self::AverageHandlingHours => indicators.average_handling_hours(),
        }
    }

    /// The number as the tables write it: counts whole, rates in percent with one decimal, "—"
    /// without a denominator.
    #[must_use]
    pub fn text(self, indicators: &Indicators) -> String {
        match (self, self.number(indicators)) {
            (_, None) => "—".to_owned(),
            (Self::Count(measure), Some(_)) => measure.value(indicators).to_string(),
            (Self::Rate(_), Some(rate)) => format!("{:.1}%", rate * 100.0),
            (Self::AverageHandlingHours, Some(hours)) => format!("{hours:.1}"),
        }
    }

    /// The cases behind the figure: a count's own, a rate's numerator's, none for the average.
    #[must_use]
    pub fn drill_down(self) -> Option<Measure> {
        match self {
            Self::Count(measure) => Some(measure),
            Self::Rate(rate) => Some(rate.numerator()),
            Self::AverageHandlingHours => None,
        }
    }
}
