//! What a seat is told as it happens (提醒): a new report or a returned case waiting for the
//! centre, a case dispatched to a unit operator's own unit, and a case whose handling time has
//! just run out. Worked out here from the cases before and after a change (no egui); the desk
//! shows them as notices and the seat's alert settings switch each kind off.

use std::collections::HashSet;

use crate::model::{Case, CaseState, Role, User};

use super::{CaseBook, Queue};

/// Which kinds of alert a seat shows (remembered with the seat's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// A new case reported (citizens, hotlines, collectors, the city platform).
    pub new_reports: bool,
    /// A unit returned a case to the centre (回退).
    pub returns: bool,
    /// A case's handling time ran out (newly overdue).
    pub overdue: bool,
    /// A case dispatched to the signed-in unit operator's unit.
    pub dispatched: bool,
    /// Ask the window system to flash the window when an alert arrives while the window is
    /// in the background.
    pub flash_window: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { new_reports: true, returns: true, overdue: true, dispatched: true, flash_window: true }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    NewReport,
    Returned,
    Dispatched,
    NewlyOverdue,
}

impl AlertKind {
    #[must_use]
    pub fn label(self, lang: crate::model::Lang) -> &'static str {
        match self {
            Self::NewReport => lang.pick("新上报", "New report"),
            Self::Returned => lang.pick("回退", "Returned"),
            Self::Dispatched => lang.pick("新派遣", "Dispatched to you"),
            Self::NewlyOverdue => lang.pick("新超期", "Now overdue"),
        }
    }

    /// Whether `settings` shows this kind.
    #[must_use]
    pub fn enabled(self, settings: &AlertSettings) -> bool {
        match self {
            Self::NewReport => settings.new_reports,
            Self::Returned => settings.returns,
            Self::Dispatched => settings.dispatched,
            Self::NewlyOverdue => settings.overdue,
        }
    }
}

/// One alert about one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub case_id: i64,
    pub case_no: String,
}

fn centre(user: &User) -> bool {
    matches!(user.role, Role::IntakeOperator | Role::Dispatcher | Role::ShiftLeader)
}

/// The alerts for `user` in cases changed at other seats, judged against the book before the
/// change is applied.
#[must_use]
pub fn on_change(before: &CaseBook, changed: &[Case], user: &User, settings: &AlertSettings) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for case in changed {
        let old = before.position_of(case.id).and_then(|position| before.get(position));
        let kind = if centre(user) && old.is_none() && matches!(case.state, CaseState::Reported | CaseState::Filed) {
            Some(AlertKind::NewReport)
        } else if centre(user) && case.state == CaseState::Returned && old.is_none_or(|old| old.state != CaseState::Returned) {
            Some(AlertKind::Returned)
        } else if user.role == Role::UnitOperator
            && user.unit.is_some()
            && case.unit == user.unit
            && case.state == CaseState::Dispatched
            && old.is_none_or(|old| old.state != CaseState::Dispatched || old.unit != case.unit)
        {
            Some(AlertKind::Dispatched)
        } else {
            None
        };
        if let Some(kind) = kind.filter(|kind| kind.enabled(settings)) {
            alerts.push(Alert { kind, case_id: case.id, case_no: case.case_no.clone() });
        }
    }
    alerts
}

/// The cases now overdue that `user` watches (当前超期: the handling clock runs and the time is
/// up); compared before and after the lights are measured again.
#[must_use]
pub fn overdue_now(book: &CaseBook, user: &User) -> HashSet<i64> {
    let filter = Queue::OverdueNow.filter().for_user(user);
    book.select_ids(&filter)
}

/// The alerts for the cases overdue now that were not before.
#[must_use]
pub fn newly_overdue(book: &CaseBook, before: &HashSet<i64>, user: &User, settings: &AlertSettings) -> Vec<Alert> {
    if !settings.overdue {
        return Vec::new();
    }
    let mut fresh: Vec<i64> = overdue_now(book, user).difference(before).copied().collect();
    fresh.sort_unstable();
    fresh
        .into_iter()
        .filter_map(|id| book.position_of(id).and_then(|position| book.get(position)))
        .map(|case| Alert { kind: AlertKind::NewlyOverdue, case_id: case.id, case_no: case.case_no.clone() })
        .collect()
}
