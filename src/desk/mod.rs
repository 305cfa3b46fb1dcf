//! The dispatch desk's data: the cases as the app holds them ([`CaseBook`]), what the case list
//! shows of them ([`CaseFilter`], [`CaseSort`]), and the worker thread that signs people in and
//! writes their steps to the database ([`worker`]), so the UI never waits on the disk.
//!
//! No egui here: the views in `ui::desk` read these types and return commands.

pub mod alerts;
mod filter;
use filter::matches_text;
pub use filter::{AreaFilter, CaseIdFilter};
#[cfg(feature = "dev-tools")]
pub mod sim;

/// Shortest password an account may set (the sign-in screen's password change checks it too).
pub use crate::store::MIN_PASSWORD_CHARS;
pub mod worker;

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::{DeadlineLight, WorkCalendar};
use crate::model::{Case, CaseState, CaseSubject, SourceChannel, StageLimit, UnitId, User};
use crate::spatial::PointIndex;
use crate::workflow::{ClockState, DeadlineStatus, deadline_status, stage_clock};

/// Every case the app knows, with its deadline status, indexed by id and by location.
///
/// Positions are stable: a case keeps its position for the life of the book, so a selection by
/// position survives updates. New cases are appended.
pub struct CaseBook {
    cases: Vec<Case>,
    statuses: Vec<DeadlineStatus>,
    positions: HashMap<i64, usize>,
    index: PointIndex,
    /// The moment the running clocks were last measured at.
    measured_at: NaiveDateTime,
    /// Grows with every change (an update, a new case, a new measurement), so views can cache.
    generation: u64,
    /// The committee's precedents (routing rules from decided disputes), newest last.
    precedents: Vec<crate::model::Precedent>,
    /// The command manual's stage limits: the clocks of filing, dispatch, signing,
    /// verification and close (none until [`Self::with_stage_limits`]).
    stage_limits: Vec<StageLimit>,
}

/// A case's deadline status with the clock of the stage it waits in.
fn measure(case: &Case, stage_limits: &[StageLimit], calendar: &WorkCalendar, now: NaiveDateTime) -> DeadlineStatus {
    let mut status = deadline_status(case, calendar, now);
    if (case.state.is_open() || case.owes_reply()) && !stage_limits.is_empty() {
        status.stage = stage_clock(case, stage_limits, calendar, now);
    }
    status
}

impl CaseBook {
    /// Indexes `cases` and measures each one's deadline status at `now`.
    #[must_use]
    pub fn new(cases: Vec<Case>, calendar: &WorkCalendar, now: NaiveDateTime) -> Self {
        let statuses = cases.iter().map(|case| deadline_status(case, calendar, now)).collect();
        let positions = cases.iter().enumerate().map(|(position, case)| (case.id, position)).collect();
        let index = PointIndex::of_cases(&cases);
        Self { cases, statuses, positions, index, measured_at: now, generation: 1, precedents: Vec::new(), stage_limits: Vec::new() }
    }

    /// The book measuring stage clocks too, against the command manual's stage limits.
    #[must_use]
    pub fn with_stage_limits(mut self, limits: Vec<StageLimit>, calendar: &WorkCalendar) -> Self {
        self.stage_limits = limits;
        for (case, status) in self.cases.iter().zip(self.statuses.iter_mut()) {
            if case.state.is_open() || case.owes_reply() {
                status.stage = stage_clock(case, &self.stage_limits, calendar, self.measured_at);
            }
        }
        self.generation += 1;
        self
    }

    /// The light of the stage the case at a position waits in (filing, dispatch, signing,
    /// verification, close), `None` when it waits in none.
    #[must_use]
    pub fn stage_light(&self, position: usize) -> Option<DeadlineLight> {
        self.statuses.get(position).and_then(|status| status.stage).map(|clock| clock.light)
    }

    /// The committee's precedents as last read.
    #[must_use]
    pub fn precedents(&self) -> &[crate::model::Precedent] {
        &self.precedents
    }

    /// Replaces the precedents (read again after a decision at any seat).
    pub fn set_precedents(&mut self, precedents: Vec<crate::model::Precedent>) {
        if precedents != self.precedents {
            self.precedents = precedents;
            self.generation += 1;
        }
    }

    /// A book with no case (before the database is loaded).
    #[must_use]
    pub fn empty() -> Self {
        Self::new(Vec::new(), &WorkCalendar::default(), NaiveDateTime::default())
    }

    #[must_use]
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// The case at a position.
    #[must_use]
    pub fn get(&self, position: usize) -> Option<&Case> {
        self.cases.get(position)
    }

    /// The deadline status of the case at a position, as last measured.
    #[must_use]
    pub fn status(&self, position: usize) -> Option<&DeadlineStatus> {
        self.statuses.get(position)
    }

    /// The warning light to draw for the case at a position: the light while its clock runs,
    /// `None` otherwise (not dispatched, handled, paused, closed).
    #[must_use]
    pub fn live_light(&self, position: usize) -> Option<DeadlineLight> {
        self.statuses.get(position).filter(|status| status.clock == ClockState::Running).and_then(|status| status.light)
    }

    /// How many cases `filter` lets through (no text search, no sorting).
    #[must_use]
    pub fn count(&self, filter: &CaseFilter) -> usize {
        self.cases.iter().zip(&self.statuses).filter(|(case, status)| filter.admits(case, status, "")).count()
    }

    /// Positions of the cases whose number, class, part code, description, reporter contact or
    /// address contains `text` (ignoring case): what the case list's search box lets through.
    pub fn matching<'a>(&'a self, text: &str) -> impl Iterator<Item = usize> + 'a {
        let text = text.trim().to_lowercase();
        self.cases.iter().enumerate().filter(move |(_, case)| !text.is_empty() && matches_text(case, &text)).map(|(position, _)| position)
    }

    /// The ids of the cases `filter` lets through (no text search).
    #[must_use]
    pub fn select_ids(&self, filter: &CaseFilter) -> std::collections::HashSet<i64> {
        self.cases.iter().zip(&self.statuses).filter(|(case, status)| filter.admits(case, status, "")).map(|(case, _)| case.id).collect()
    }

    /// Position of a case by database id.
    #[must_use]
    pub fn position_of(&self, case_id: i64) -> Option<usize> {
        self.positions.get(&case_id).copied()
    }

    /// Position of a case by its case number.
    #[must_use]
    pub fn position_of_no(&self, case_no: &str) -> Option<usize> {
        self.cases.iter().position(|case| case.case_no == case_no)
    }

    /// Open cases of `subject`'s class `class_code` within [`crate::workflow::DUPLICATE_RADIUS_M`] of
    /// `location`, other than the case at `except`: (position, metres), nearest first. The new-case
    /// dialog warns with them, and so does a report waiting for intake (a citizen's, the city's).
    #[must_use]
    pub fn same_class_near(
        &self,
        location: geo::Point<f64>,
        subject: CaseSubject,
        class_code: &str,
        except: Option<usize>,
    ) -> Vec<(usize, f64)> {
        use geo::Distance as _;
        let radius = crate::workflow::DUPLICATE_RADIUS_M;
        let reach = radius / 111_000.0 * 2.0;
        let mut found: Vec<(usize, f64)> = self
            .index()
            .in_box([location.x() - reach, location.y() - reach], [location.x() + reach, location.y() + reach])
            .filter(|position| Some(*position) != except)
            .filter_map(|position| {
                let case = self.get(position)?;
                let same = case.state.is_open() && case.subject == subject && case.class_code == class_code;
                let metres = geo::Haversine.distance(location, case.location);
                (same && metres <= radius).then_some((position, metres))
            })
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found
    }

    /// The spatial index of case locations (by position).
    #[must_use]
    pub fn index(&self) -> &PointIndex {
        &self.index
    }

    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Takes the place of `previous` (a reload): the generation moves on from it, so whatever
    /// was cached against the old book is computed again.
    pub fn succeed(&mut self, previous: &Self) {
        self.generation = self.generation.max(previous.generation) + 1;
    }

    #[must_use]
    pub fn measured_at(&self) -> NaiveDateTime {
        self.measured_at
    }

    /// Open cases (not closed, rejected or cancelled).
    #[must_use]
    pub fn open_count(&self) -> usize {
        self.cases.iter().filter(|case| case.state.is_open()).count()
    }

    /// Puts a case read from the database in the book: replaces the copy with the same id when
    /// it is newer (or the same), appends it otherwise. Returns its position.
    pub fn upsert(&mut self, case: Case, calendar: &WorkCalendar) -> usize {
        let status = measure(&case, &self.stage_limits, calendar, self.measured_at);
        self.generation += 1;
        if let Some(position) = self.position_of(case.id) {
            if case.revision >= self.cases[position].revision {
                let before = self.cases[position].location;
                if before != case.location {
                    self.index.relocate(position, before, case.location);
                }
                self.cases[position] = case;
                self.statuses[position] = status;
            }
            return position;
        }
        let position = self.cases.len();
        self.positions.insert(case.id, position);
        self.index.insert(case.location, position);
        self.cases.push(case);
        self.statuses.push(status);
        position
    }

    /// Measures the running clocks again at `now` (the others do not change with time). Cheap
    /// enough to call every few seconds: only cases with a running clock are measured.
    pub fn remeasure(&mut self, calendar: &WorkCalendar, now: NaiveDateTime) {
        let mut changed = false;
        for (case, status) in self.cases.iter().zip(self.statuses.iter_mut()) {
            if status.clock == ClockState::Running || status.stage.is_some() {
                let fresh = measure(case, &self.stage_limits, calendar, now);
                changed |= fresh != *status;
                *status = fresh;
            }
        }
        self.measured_at = now;
        if changed {
            self.generation += 1;
        }
    }

    /// Positions of the cases `filter` lets through, in `sort` order.
    #[must_use]
    pub fn select(&self, filter: &CaseFilter, sort: CaseSort, unit_names: &dyn Fn(Option<UnitId>) -> String) -> Vec<usize> {
        let text = filter.text.trim().to_lowercase();
        let mut rows: Vec<usize> =
            (0..self.cases.len()).filter(|position| filter.admits(&self.cases[*position], &self.statuses[*position], &text)).collect();
        // Unit names are looked up once per unit, not once per case.
        let unit_rank: HashMap<Option<UnitId>, i64> = if sort.column == SortColumn::Unit {
            let mut units: Vec<(String, Option<UnitId>)> = rows
                .iter()
                .map(|position| self.cases[*position].unit)
                .collect::<std::collections::HashSet<_>>()
                .into_iter()
                .map(|unit| (unit_names(unit), unit))
                .collect();
            units.sort();
            units.into_iter().enumerate().map(|(rank, (_, unit))| (unit, i64::try_from(rank).unwrap_or(i64::MAX))).collect()
        } else {
            HashMap::new()
        };
        let key = |position: &usize| -> SortKey {
            let case = &self.cases[*position];
            let status = &self.statuses[*position];
            match sort.column {
                SortColumn::CaseNo => SortKey::Text(case.case_no.clone()),
                SortColumn::State => SortKey::Number(case.state as i64),
                SortColumn::Class => SortKey::Text(case.class_code.clone()),
                SortColumn::Unit => SortKey::Number(unit_rank.get(&case.unit).copied().unwrap_or(i64::MAX)),
                SortColumn::Source => SortKey::Number(case.source as i64),
                SortColumn::Reported => SortKey::Time(Some(case.reported_at)),
                SortColumn::Deadline => SortKey::Time(case.deadline_at),
                SortColumn::Urgency => urgency_key(case, status),
            }
        };
        let mut keyed: Vec<(SortKey, usize)> = rows.iter().map(|position| (key(position), *position)).collect();
        // Ties keep the book's order (by position), so the list does not shuffle between frames.
        keyed.sort_unstable_by(|a, b| {
            let order = match (&a.0, &b.0) {
                // Cases whose clock runs come first either way; the direction orders the time
                // left among them (and each other group by itself).
                (SortKey::Grouped(group_a, left_a, tie_a), SortKey::Grouped(group_b, left_b, tie_b)) => {
                    let within = left_a.cmp(left_b);
                    group_a.cmp(group_b).then(if sort.descending { within.reverse() } else { within }).then(tie_a.cmp(tie_b))
                }
                (a, b) => {
                    let order = a.cmp(b);
                    if sort.descending { order.reverse() } else { order }
                }
            };
            order.then(a.1.cmp(&b.1))
        });
        rows.clear();
        rows.extend(keyed.into_iter().map(|(_, position)| position));
        rows
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    /// A group sorted ascending whatever the direction, then a value within it, then a tie-break
    /// sorted ascending whatever the direction.
    Grouped(i64, i64, i64),
    Number(i64),
    Text(String),
    Time(Option<NaiveDateTime>),
}

/// The minutes left (negative when late) on the clock the "time left" column shows: the
/// handling clock while it runs, otherwise the clock of the stage the case waits in (filing and
/// dispatch at the centre, signing, verification, close, the reply); `None` when neither runs.
#[must_use]
pub fn shown_minutes_left(status: &DeadlineStatus) -> Option<i64> {
    match (status.clock, status.stage) {
        (ClockState::Running, _) => Some(status.remaining_minutes()),
        (_, Some(stage)) => Some(stage.remaining_minutes()),
        _ => None,
    }
}

/// How pressing a case is, for the "time left" column: cases with a clock the column shows
/// first, by the minutes left on it (the most behind first), as the column reads; on a tie an
/// urgent case, then a returned one, first. Then those whose clock has not started, has stopped
/// or is paused, and the finished last, in either direction.
fn urgency_key(case: &Case, status: &DeadlineStatus) -> SortKey {
    if let Some(left) = shown_minutes_left(status) {
        let urgency = match case.urgency {
            crate::model::Urgency::Emergency => 0,
            crate::model::Urgency::Urgent => 1,
            crate::model::Urgency::Normal => 2,
        };
        let returned = i64::from(case.state != CaseState::Returned);
        return SortKey::Grouped(0, left, urgency * 2 + returned);
    }
    match status.clock {
        ClockState::Running | ClockState::NotStarted => SortKey::Grouped(1, 0, 0),
        ClockState::Stopped => SortKey::Grouped(2, 0, 0),
        ClockState::Deferred | ClockState::Backlog => SortKey::Grouped(3, 0, 0),
        ClockState::Closed | ClockState::Void => SortKey::Grouped(4, i64::from(!case.state.is_open()), 0),
    }
}

/// Which cases the list shows by their life-cycle stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// Every case that still needs work.
    #[default]
    Open,
    /// Waiting for the centre: reported, filed, returned, or with a pending request.
    Centre,
    /// With the units: dispatched or handled.
    Units,
    /// 待回访 (Art. 21): finished, and the reporter who left a contact not told yet.
    Reply,
    Closed,
    All,
}

impl Scope {
    pub const ALL: [Self; 6] = [Self::Open, Self::Centre, Self::Units, Self::Reply, Self::Closed, Self::All];

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Open, true) => "在办",
            (Self::Open, false) => "In progress",
            (Self::Centre, true) => "待中心处理",
            (Self::Centre, false) => "At the centre",
            (Self::Units, true) => "在单位",
            (Self::Units, false) => "With units",
            (Self::Reply, true) => "待回访",
            (Self::Reply, false) => "Reply owed",
            (Self::Closed, true) => "已办结",
            (Self::Closed, false) => "Finished",
            (Self::All, true) => "全部案卷",
            (Self::All, false) => "All cases",
        }
    }

    fn admits(self, case: &Case) -> bool {
        match self {
            Self::Open => case.state.is_open(),
            Self::Centre => {
                matches!(case.state, CaseState::Reported | CaseState::Filed | CaseState::Returned | CaseState::Verified)
                    || case.pending_request.is_some()
            }
            Self::Units => matches!(case.state, CaseState::Dispatched | CaseState::Handled),
            Self::Reply => case.owes_reply(),
            Self::Closed => !case.state.is_open(),
            Self::All => true,
        }
    }
}

/// The deadline statuses the list can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StatusFilter {
    Green,
    Yellow,
    Red,
    Extended,
    /// Deferred or in the backlog ledger.
    Paused,
    NotDispatched,
    /// Overdue with its clock running: the wall's 当前超期 and the desk's counter.
    OverdueNow,
    /// Open and late in the stage it waits in (filing, dispatch, signing, verification, close).
    StageLate,
}

impl StatusFilter {
    pub const ALL: [Self; 8] =
        [Self::OverdueNow, Self::Red, Self::Yellow, Self::Green, Self::StageLate, Self::Extended, Self::Paused, Self::NotDispatched];

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Green, true) => "绿灯",
            (Self::Green, false) => "Green",
            (Self::Yellow, true) => "黄灯",
            (Self::Yellow, false) => "Yellow",
            (Self::Red, true) => "红灯（超期）",
            (Self::Red, false) => "Red (overdue)",
            (Self::Extended, true) => "已延期",
            (Self::Extended, false) => "Extended",
            (Self::Paused, true) => "缓办或挂账",
            (Self::Paused, false) => "Deferred or backlog",
            (Self::NotDispatched, true) => "未派遣",
            (Self::NotDispatched, false) => "Not dispatched",
            (Self::OverdueNow, true) => "当前超期（处置中）",
            (Self::OverdueNow, false) => "Overdue now (in handling)",
            (Self::StageLate, true) => "环节超时",
            (Self::StageLate, false) => "Late in its stage",
        }
    }

    fn admits(self, status: &DeadlineStatus) -> bool {
        let running = status.clock == ClockState::Running;
        match self {
            Self::Green => running && status.light == Some(DeadlineLight::Green),
            Self::Yellow => running && status.light == Some(DeadlineLight::Yellow),
            // Overdue and still with the unit, or handled late (to be closed as overdue);
            // paused cases are listed under their own filter.
            Self::Red => status.light == Some(DeadlineLight::Red) && matches!(status.clock, ClockState::Running | ClockState::Stopped),
            Self::Extended => status.extended,
            Self::Paused => matches!(status.clock, ClockState::Deferred | ClockState::Backlog),
            Self::NotDispatched => status.clock == ClockState::NotStarted,
            Self::OverdueNow => running && status.light == Some(DeadlineLight::Red),
            Self::StageLate => status.stage.is_some_and(|stage| stage.is_late()),
        }
    }
}

/// The queues the desk counts at the top and the wall shows in its tiles: one definition for
/// both, as a filter, so a counter is the number of rows its click lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// In progress (not finished).
    Open,
    /// Overdue with the clock running (当前超期).
    OverdueNow,
    /// Yellow light: the clock running past its warning share (临期).
    DueSoon,
    /// Waiting for the centre: to file, dispatch, redispatch, verify-close, or a pending request.
    AtCentre,
    /// Late in the stage it waits in (环节超时).
    StageLate,
}

impl Queue {
    pub const ALL: [Self; 5] = [Self::Open, Self::OverdueNow, Self::DueSoon, Self::AtCentre, Self::StageLate];

    /// A stable key (the figures a handover note keeps).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::OverdueNow => "overdue_now",
            Self::DueSoon => "due_soon",
            Self::AtCentre => "at_centre",
            Self::StageLate => "stage_late",
        }
    }

    /// The case-list filter that lists exactly the cases counted.
    #[must_use]
    pub fn filter(self) -> CaseFilter {
        let (scope, status) = match self {
            Self::Open => (Scope::Open, None),
            Self::OverdueNow => (Scope::Open, Some(StatusFilter::OverdueNow)),
            Self::DueSoon => (Scope::Open, Some(StatusFilter::Yellow)),
            Self::AtCentre => (Scope::Centre, None),
            Self::StageLate => (Scope::Open, Some(StatusFilter::StageLate)),
        };
        CaseFilter { scope, status, ..CaseFilter::default() }
    }

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Open, true) => "在办",
            (Self::Open, false) => "Open",
            (Self::OverdueNow, true) => "当前超期",
            (Self::OverdueNow, false) => "Overdue",
            (Self::DueSoon, true) => "临期",
            (Self::DueSoon, false) => "Due soon",
            (Self::AtCentre, true) => "待中心处理",
            (Self::AtCentre, false) => "At centre",
            (Self::StageLate, true) => "环节超时",
            (Self::StageLate, false) => "Stage late",
        }
    }
}

/// Reported within a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Period {
    #[default]
    Any,
    Today,
    Days7,
    Days30,
    /// From one day to another, both included.
    Range(NaiveDate, NaiveDate),
}

impl Period {
    fn admits(self, reported_at: NaiveDateTime, today: NaiveDate) -> bool {
        let day = reported_at.date();
        match self {
            Self::Any => true,
            Self::Today => day == today,
            Self::Days7 => day > today - chrono::Days::new(7) && day <= today,
            Self::Days30 => day > today - chrono::Days::new(30) && day <= today,
            Self::Range(from, to) => day >= from && day <= to,
        }
    }
}

/// What the case list shows. Empty or `None` fields let everything through.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CaseFilter {
    pub scope: Scope,
    pub state: Option<CaseState>,
    pub status: Option<StatusFilter>,
    pub unit: Option<UnitId>,
    /// Part or event, and the four-digit class code (part and event codes overlap).
    pub class: Option<(CaseSubject, String)>,
    pub source: Option<SourceChannel>,
    pub period: Period,
    /// The day `period` counts back from (the app's today).
    #[serde(skip)]
    pub today: Option<NaiveDate>,
    /// Case number, class code, part code, description or reporter contact containing this.
    pub text: String,
    /// Only the cases this unit leads or assists on (a unit operator's view, see
    /// [`Self::for_user`]).
    #[serde(skip)]
    pub involving: Option<UnitId>,
    /// Only these cases: the cases behind a figure of the assessment (drill-down). Not kept
    /// between sessions.
    #[serde(skip)]
    pub cases: Option<CaseIdFilter>,
    /// Only the cases located inside one area (a township, community or grid cell picked on
    /// the map). Not kept between sessions.
    #[serde(skip)]
    pub area: Option<AreaFilter>,
}

impl CaseFilter {
    /// Whether the case passes. `text` is the lower-cased search text.
    fn admits(&self, case: &Case, status: &DeadlineStatus, text: &str) -> bool {
        self.scope.admits(case)
            && self.state.is_none_or(|state| case.state == state)
            && self.status.is_none_or(|filter| filter.admits(status))
            && self.unit.is_none_or(|unit| case.unit == Some(unit))
            && self.involving.is_none_or(|unit| case.involves(unit))
            && self.class.as_ref().is_none_or(|(subject, code)| case.subject == *subject && case.class_code == *code)
            && self.source.is_none_or(|source| case.source == source)
            && self.today.is_none_or(|today| self.period.admits(case.reported_at, today))
            && self.cases.as_ref().is_none_or(|cases| cases.admits(case.id))
            && self.area.as_ref().is_none_or(|area| area.admits(case.location))
            && (text.is_empty() || matches_text(case, text))
    }

    /// Restricts the filter to what `user` may see: a unit operator sees only the cases its
    /// unit leads or assists on (协办).
    #[must_use]
    pub fn for_user(mut self, user: &User) -> Self {
        if let (crate::model::Role::UnitOperator, Some(unit)) = (user.role, user.unit) {
            self.unit = None;
            self.involving = Some(unit);
        }
        self
    }
}

/// A column the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SortColumn {
    CaseNo,
    State,
    Class,
    Unit,
    Source,
    Reported,
    Deadline,
    /// Overdue first, then by the share of the limit left.
    #[default]
    Urgency,
}

/// Sort order of the case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct CaseSort {
    pub column: SortColumn,
    pub descending: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::LimitUnit;
    use crate::model::{Role, Urgency};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time")
    }

    /// Wednesday 2026-11-25 10:00: a working morning.
    fn now() -> NaiveDateTime {
        at("2026-11-25 10:00")
    }

    fn case(id: i64, state: CaseState, unit: Option<u32>, dispatched: Option<(&str, &str)>) -> Case {
        let mut case = Case {
            id,
            unit: unit.map(|unit| UnitId(i64::from(unit))),
            state,
            description: format!("问题 {id}"),
            ..Case::reported(
                format!("2026112500{id:03}"),
                SourceChannel::Collector,
                CaseSubject::Part,
                "0101".into(),
                Urgency::Normal,
                geo::Point::new(118.3 + id as f64 * 1e-4, 29.8),
                at("2026-11-24 09:00"),
            )
        };
        if let Some((from, to)) = dispatched {
            case.dispatched_at = Some(at(from));
            case.deadline_at = Some(at(to));
            case.limit_unit = Some(LimitUnit::WorkHours);
        }
        case
    }

    fn book() -> CaseBook {
        let calendar = WorkCalendar::default();
        CaseBook::new(
            vec![
                // Overdue since Tuesday evening.
                case(1, CaseState::Dispatched, Some(1), Some(("2026-11-24 09:00", "2026-11-24 17:00"))),
                // 8 working hours allowed, 7 used by 10:00 Wednesday: yellow.
                case(2, CaseState::Dispatched, Some(2), Some(("2026-11-24 11:00", "2026-11-25 11:00"))),
                // Plenty of time: green.
                case(3, CaseState::Dispatched, Some(1), Some(("2026-11-25 09:00", "2026-11-30 09:00"))),
                case(4, CaseState::Filed, None, None),
                case(5, CaseState::Closed, Some(2), Some(("2026-11-20 09:00", "2026-11-23 09:00"))),
                case(6, CaseState::Deferred, Some(1), Some(("2026-11-20 09:00", "2026-11-23 09:00"))),
            ],
            &calendar,
            now(),
        )
    }

    fn ids(book: &CaseBook, rows: &[usize]) -> Vec<i64> {
        rows.iter().map(|row| book.get(*row).expect("row").id).collect()
    }

    fn names(_: Option<UnitId>) -> String {
        String::new()
    }

    #[test]
    fn the_default_list_shows_open_cases_most_pressing_first() {
        let book = book();
        let rows = book.select(&CaseFilter::default(), CaseSort::default(), &names);
        assert_eq!(ids(&book, &rows), vec![1, 2, 3, 4, 6], "overdue, yellow, green, not dispatched, paused; the closed one is left out");
        assert_eq!(book.live_light(0), Some(DeadlineLight::Red));
        assert_eq!(book.live_light(1), Some(DeadlineLight::Yellow));
        assert_eq!(book.live_light(2), Some(DeadlineLight::Green));
        assert_eq!(book.live_light(5), None, "a paused clock has no live light");
    }

    #[test]
    fn every_filter_narrows_the_list() {
        let book = book();
        let select = |filter: CaseFilter| ids(&book, &book.select(&filter, CaseSort::default(), &names));
        assert_eq!(select(CaseFilter { scope: Scope::All, ..CaseFilter::default() }).len(), 6);
        assert_eq!(select(CaseFilter { scope: Scope::Closed, ..CaseFilter::default() }), vec![5]);
        assert_eq!(select(CaseFilter { scope: Scope::Centre, ..CaseFilter::default() }), vec![4]);
        assert_eq!(select(CaseFilter { status: Some(StatusFilter::Red), ..CaseFilter::default() }), vec![1]);
        assert_eq!(select(CaseFilter { status: Some(StatusFilter::Paused), ..CaseFilter::default() }), vec![6]);
        assert_eq!(select(CaseFilter { unit: Some(UnitId(2)), ..CaseFilter::default() }), vec![2]);
        assert_eq!(select(CaseFilter { text: "问题 3".into(), ..CaseFilter::default() }), vec![3]);
        assert_eq!(select(CaseFilter { text: "2026112500004".into(), ..CaseFilter::default() }), vec![4]);
        assert!(select(CaseFilter { class: Some((CaseSubject::Event, "0101".into())), ..CaseFilter::default() }).is_empty());
        let reported_today = CaseFilter { period: Period::Today, today: Some(now().date()), ..CaseFilter::default() };
        assert!(select(reported_today).is_empty(), "all were reported yesterday");
    }

    #[test]
    fn a_unit_operator_sees_only_the_units_cases_whatever_the_filter_says() {
        let book = book();
        let operator = User::new(9, "unit_a", "A", Role::UnitOperator, Some(UnitId(1)));
        let filter = CaseFilter { unit: Some(UnitId(2)), scope: Scope::All, ..CaseFilter::default() }.for_user(&operator);
        assert_eq!(ids(&book, &book.select(&filter, CaseSort::default(), &names)), vec![1, 3, 6]);
    }

    #[test]
    fn sorting_by_a_column_and_back() {
        let book = book();
        let filter = CaseFilter { scope: Scope::All, ..CaseFilter::default() };
        let by_no = CaseSort { column: SortColumn::CaseNo, descending: true };
        assert_eq!(ids(&book, &book.select(&filter, by_no, &names)), vec![6, 5, 4, 3, 2, 1]);
        let by_deadline = CaseSort { column: SortColumn::Deadline, descending: false };
        assert_eq!(ids(&book, &book.select(&filter, by_deadline, &names))[0], 4, "no deadline sorts first");
    }

    #[test]
    fn an_update_keeps_positions_and_an_older_copy_never_wins() {
        let calendar = WorkCalendar::default();
        let mut book = book();
        let generation = book.generation();
        let mut newer = book.get(3).expect("filed").clone();
        newer.state = CaseState::Dispatched;
        newer.revision += 1;
        newer.dispatched_at = Some(now());
        newer.deadline_at = Some(at("2026-11-26 10:00"));
        assert_eq!(book.upsert(newer.clone(), &calendar), 3);
        assert_eq!(book.get(3).expect("case").state, CaseState::Dispatched);
        assert!(book.generation() > generation);
        let mut stale = newer;
        stale.revision -= 1;
        stale.state = CaseState::Filed;
        book.upsert(stale, &calendar);
        assert_eq!(book.get(3).expect("case").state, CaseState::Dispatched, "a late poll with an older copy is ignored");
        let mut fresh = case(7, CaseState::Reported, None, None);
        fresh.revision = 1;
        assert_eq!(book.upsert(fresh, &calendar), 6, "a new case is appended");
        assert_eq!(book.position_of(7), Some(6));
        assert_eq!(book.index().in_box([118.0, 29.0], [119.0, 30.0]).count(), 7, "and indexed on the map");
    }

    #[test]
    fn the_lights_follow_the_clock() {
        let calendar = WorkCalendar::default();
        let mut book = book();
        assert_eq!(book.live_light(2), Some(DeadlineLight::Green));
        book.remeasure(&calendar, at("2026-12-01 09:00"));
        assert_eq!(book.live_light(2), Some(DeadlineLight::Red), "a week later the green case is overdue");
    }
}
