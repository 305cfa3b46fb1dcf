//! Assessment (监督考核, Art. 22–26 of the 2018 measures): indicators per unit, unit class,
//! region, post and period, a composite score with configurable weights and the ranking of
//! units within each unit class (Art. 24).
//!
//! Two stages. [`FactBook::load`] (or [`FactBook::new`]) derives per-case [`CaseFacts`] once from
//! the audit trail: every step with its time, the unit holding the case, the role that took it
//! and the deadline in effect, and the close judged under Art. 26. Each report is then one pass
//! over the facts: [`FactBook::indicators`] for one [`Scope`], [`FactBook::by_unit`] for every
//! unit at once, [`FactBook::ranking`] for the class rankings. Only steps dated before a
//! period's end are read for it, so a past period gives the same numbers tomorrow.
//!
//! The exact definition of every indicator, and which period each event counts in, is in
//! `docs/INDICATORS.md`.
//!
//! What it must not do: know about egui, write to the database (but for the one shared setting,
//! the score's weights: [`Weights::save`]), or read the wall clock.

mod facts;
mod measure;
pub mod output;
mod period;
mod person;
mod report;
mod score;

pub use facts::{CaseFacts, CloseFact, FactContext, StepFact, StepKind, case_facts};
pub use measure::{Column, Measure, Rate};
pub use period::{Granularity, Period};
pub use person::{Grade, PersonFigures, PersonRate, PersonRow};
pub use report::{Assessment, CaseRow, ReportOptions, TREND_PERIODS};
pub use score::{BodyRow, ClassRanking, Mark, RankedUnit, WEIGHTS_KEY, Weights, bottom_count, composite_score};

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::calendar::WorkCalendar;
use crate::model::{CaseState, CloseType, CommandManual, Role, UnitClass, UnitId};
use crate::spatial::JurisdictionIndex;
use crate::store::{Store, StoreError};

/// Whose indicators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole district.
    District,
    /// One responsible unit.
    Unit(UnitId),
    /// Every unit of a class (Art. 6).
    UnitClass(UnitClass),
    /// A jurisdiction (township, community, grid cell) by its code: cases located in it.
    Region(String),
    /// A post: the steps taken by people of this role.
    Post(Role),
}

/// Counts and sums of one scope and period; rates are methods. See `docs/INDICATORS.md`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Indicators {
    /// 上报数: reports in the period.
    pub reported: u64,
    /// 立案数.
    pub filed: u64,
    /// 派遣数: first dispatches.
    pub dispatched: u64,
    /// 接收数: dispatches, redispatches and committee dispatches to the scope's units.
    pub received: u64,
    /// 回退数: every return.
    pub returned: u64,
    /// 回退被认可数: returns the centre accepted (redispatched to another unit) before the
    /// period's end; the others — refused or still unreviewed — count against the unit.
    pub returns_accepted: u64,
    /// 回退被驳回数: returns the centre refused before the period's end.
    pub returns_refused: u64,
    /// 催办数: times the centre urged the scope's units.
    pub urged: u64,
    /// 督办数: cases put under supervision.
    pub supervised: u64,
    /// 争议数: disputes opened.
    pub disputes: u64,
    /// 处置反馈数.
    pub handled: u64,
    /// 核查数 (passed and failed).
    pub verifications: u64,
    /// 返工数: failed verifications.
    pub reworks: u64,
    /// 批准延期数.
    pub extensions_approved: u64,
    /// 批准缓办数.
    pub deferrals_approved: u64,
    /// 挂账数: entries into the backlog ledger.
    pub backlog_entered: u64,
    /// 误报结案数 (out of the assessment).
    pub closed_erroneous: u64,
    /// 应结案数.
    pub due: u64,
    /// 缓办数 among the cases due.
    pub deferred: u64,
    /// 结案数 (assessed).
    pub closed: u64,
    /// 按期结案数 (Art. 26).
    pub closed_on_time: u64,
    /// 超期结案数.
    pub closed_late: u64,
    /// 超期未结数: due, open at the period's end, over the deadline.
    pub open_overdue: u64,
    /// 延期案件数 among the assessed cases.
    pub extended_cases: u64,
    /// Sum and count of the 超时倍数 of late closes.
    pub overrun_sum: f64,
    pub overrun_count: u64,
    /// Sum and count of handling working minutes of assessed closes.
    pub handling_minutes: i64,
    pub handling_count: u64,
    /// Stage timeliness: [on time, total] for file, first dispatch, handle, verify, sign,
    /// arrive, return (`STAGE_…`).
    pub stages: [[u64; 2]; 7],
    /// 期末未结数: open at the period's end (any open state).
    pub open_at_end: u64,
    /// 期末挂账数: in the backlog ledger at the period's end.
    pub backlog_at_end: u64,
    /// 回访数: replies to reporters about the scope's cases (Art. 21).
    pub replies: u64,
    /// Replies where the reporter rated the result.
    pub replies_rated: u64,
    /// Rated 满意 or 基本满意.
    pub replies_satisfied: u64,
    /// Rated 不满意.
    pub replies_dissatisfied: u64,
}

/// Index into [`Indicators::stages`].
pub const STAGE_FILE: usize = 0;
pub const STAGE_DISPATCH: usize = 1;
pub const STAGE_HANDLE: usize = 2;
pub const STAGE_VERIFY: usize = 3;
/// 签收: signed for within the limit from dispatch.
pub const STAGE_SIGN: usize = 4;
/// 到场: on site within the limit from dispatch (Art. 25).
pub const STAGE_ARRIVE: usize = 5;
/// 回退: returned within the limit from dispatch (a late return is 推诿 too).
pub const STAGE_RETURN: usize = 6;

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

impl Indicators {
    /// 考核案件数 = due − deferred.
    #[must_use]
    pub fn assessed(&self) -> u64 {
        self.due - self.deferred
    }
    /// 按期结案率 = closed on time ÷ (due − deferred).
    #[must_use]
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.closed_on_time, self.assessed())
    }
    /// 结案率 = closed ÷ (due − deferred).
    #[must_use]
    pub fn closure_rate(&self) -> Option<f64> {
        ratio(self.closed, self.assessed())
    }
    /// 返工率 = failed verifications ÷ verifications.
    #[must_use]
    pub fn rework_rate(&self) -> Option<f64> {
        ratio(self.reworks, self.verifications)
    }
    /// 延期率 = extended cases ÷ (due − deferred).
    #[must_use]
    pub fn extension_rate(&self) -> Option<f64> {
        ratio(self.extended_cases, self.assessed())
    }
    /// 超期数 = closed late + open overdue.
    #[must_use]
    pub fn overdue(&self) -> u64 {
        self.closed_late + self.open_overdue
    }
    /// 超期率 = overdue ÷ (due − deferred).
    #[must_use]
    pub fn overdue_rate(&self) -> Option<f64> {
        ratio(self.overdue(), self.assessed())
    }
    /// 回退计入数: returns the centre did not accept (refused, or unreviewed at the period's end).
    #[must_use]
    pub fn returns_counted(&self) -> u64 {
        self.returned.saturating_sub(self.returns_accepted)
    }
    /// 回退率 = returns not accepted ÷ received: a return the centre accepts (the case really
    /// was not the unit's) costs the unit nothing; a refused or unreviewed one is 推诿.
    #[must_use]
    pub fn return_rate(&self) -> Option<f64> {
        ratio(self.returns_counted(), self.received)
    }
    /// Mean 超时倍数 of late closes.
    #[must_use]
    pub fn mean_overrun_ratio(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        (self.overrun_count > 0).then(|| self.overrun_sum / self.overrun_count as f64)
    }
    /// 平均处置时长 in working hours.
    #[must_use]
    pub fn average_handling_hours(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        (self.handling_count > 0).then(|| self.handling_minutes as f64 / 60.0 / self.handling_count as f64)
    }
    /// Stage timeliness rate (`STAGE_FILE` …).
    #[must_use]
    pub fn stage_rate(&self, stage: usize) -> Option<f64> {
        ratio(self.stages[stage][0], self.stages[stage][1])
    }

    /// 满意率 = rated 满意 or 基本满意 ÷ replies rated.
    #[must_use]
    pub fn satisfaction_rate(&self) -> Option<f64> {
        ratio(self.replies_satisfied, self.replies_rated)
    }

    fn add(&mut self, delta: &Delta) {
        match *delta {
            Delta::Replied(rated) => {
                self.replies += 1;
                if let Some(satisfaction) = rated {
                    self.replies_rated += 1;
                    self.replies_satisfied += u64::from(satisfaction != crate::model::Satisfaction::Dissatisfied);
                    self.replies_dissatisfied += u64::from(satisfaction == crate::model::Satisfaction::Dissatisfied);
                }
            }
            Delta::Reported => self.reported += 1,
            Delta::Filed(on_time) => {
                self.filed += 1;
                self.stage(STAGE_FILE, on_time);
            }
            Delta::Dispatched { first, on_time } => {
                self.received += 1;
                if first {
                    self.dispatched += 1;
                    self.stage(STAGE_DISPATCH, on_time);
                }
            }
            Delta::Returned { accepted, refused, on_time } => {
                self.returned += 1;
                self.returns_accepted += u64::from(accepted);
                self.returns_refused += u64::from(refused);
                self.stage(STAGE_RETURN, on_time);
            }
            Delta::Signed(on_time) => self.stage(STAGE_SIGN, on_time),
            Delta::Arrived(on_time) => self.stage(STAGE_ARRIVE, on_time),
            Delta::Urged => self.urged += 1,
            Delta::Supervised => self.supervised += 1,
            Delta::Dispute => self.disputes += 1,
            Delta::Handled(on_time) => {
                self.handled += 1;
                self.stage(STAGE_HANDLE, on_time);
            }
            Delta::Verified { failed, on_time } => {
                self.verifications += 1;
                self.reworks += u64::from(failed);
                self.stage(STAGE_VERIFY, on_time);
            }
            Delta::Extension => self.extensions_approved += 1,
            Delta::Deferral => self.deferrals_approved += 1,
            Delta::Backlog => self.backlog_entered += 1,
            Delta::ClosedErroneous => self.closed_erroneous += 1,
            Delta::DueDeferred => {
                self.due += 1;
                self.deferred += 1;
            }
            Delta::DueClosed { on_time, extended, overrun, handling } => {
                self.due += 1;
                self.closed += 1;
                self.extended_cases += u64::from(extended);
                if on_time {
                    self.closed_on_time += 1;
                } else {
                    self.closed_late += 1;
                    if let Some(overrun) = overrun {
                        self.overrun_sum += overrun;
                        self.overrun_count += 1;
                    }
                }
                if let Some(minutes) = handling {
                    self.handling_minutes += minutes;
                    self.handling_count += 1;
                }
            }
            Delta::DueOpen { overdue, extended } => {
                self.due += 1;
                self.open_overdue += u64::from(overdue);
                self.extended_cases += u64::from(extended);
            }
            Delta::OpenAtEnd { backlog } => {
                self.open_at_end += 1;
                self.backlog_at_end += u64::from(backlog);
            }
        }
    }

    fn stage(&mut self, stage: usize, on_time: Option<bool>) {
        if let Some(on_time) = on_time {
            self.stages[stage][1] += 1;
            self.stages[stage][0] += u64::from(on_time);
        }
    }
}

/// One contribution of a case to a period's indicators.
#[derive(Debug, Clone, PartialEq)]
enum Delta {
    Reported,
    Filed(Option<bool>),
    Dispatched {
        first: bool,
        on_time: Option<bool>,
    },
    Returned {
        accepted: bool,
        refused: bool,
        on_time: Option<bool>,
    },
    Signed(Option<bool>),
    Arrived(Option<bool>),
    Urged,
    Supervised,
    Dispute,
    Handled(Option<bool>),
    Verified {
        failed: bool,
        on_time: Option<bool>,
    },
    Extension,
    Deferral,
    Backlog,
    ClosedErroneous,
    DueDeferred,
    DueClosed {
        on_time: bool,
        extended: bool,
        overrun: Option<f64>,
        handling: Option<i64>,
    },
    DueOpen {
        overdue: bool,
        extended: bool,
    },
    OpenAtEnd {
        backlog: bool,
    },
    /// A reply to the reporter, with the satisfaction when rated.
    Replied(Option<crate::model::Satisfaction>),
}

/// Calls `sink(unit, role, delta)` for every contribution of `case` to `period`. Only steps
/// dated before the period's end are read.
fn visit(case: &CaseFacts, period: &Period, as_of: Option<NaiveDateTime>, sink: &mut impl FnMut(Option<UnitId>, Option<Role>, &Delta)) {
    let mut last: Option<&StepFact> = None;
    let mut extended_since_dispatch = false;
    // The last handling and backlog entry before the period's end: whether each came in time.
    let mut last_handle: Option<bool> = None;
    let mut last_backlog: Option<bool> = None;
    for step in case.steps.iter().take_while(|step| step.at < period.to) {
        match step.kind {
            StepKind::Dispatch | StepKind::Redispatch => {
                extended_since_dispatch = false;
                last_handle = None;
            }
            StepKind::ExtensionApproved => extended_since_dispatch = true,
            StepKind::Handle => last_handle = Some(step.stage_on_time != Some(false)),
            StepKind::BacklogEntered => last_backlog = Some(step.stage_on_time != Some(false)),
            _ => {}
        }
        last = Some(step);
        if !period.contains(step.at) {
            continue;
        }
        let delta = match step.kind {
            StepKind::Report => Delta::Reported,
            StepKind::File => Delta::Filed(step.stage_on_time),
            StepKind::Dispatch => Delta::Dispatched { first: true, on_time: step.stage_on_time },
            StepKind::Redispatch => Delta::Dispatched { first: false, on_time: None },
            StepKind::Return => {
                // The review counts if it came before the period's end: a past period's figure
                // does not change when a return is reviewed later.
                let review = step.review.filter(|(at, _)| *at < period.to);
                Delta::Returned {
                    accepted: review.is_some_and(|(_, accepted)| accepted),
                    refused: review.is_some_and(|(_, accepted)| !accepted),
                    on_time: step.stage_on_time,
                }
            }
            StepKind::Sign => Delta::Signed(step.stage_on_time),
            StepKind::Arrive => Delta::Arrived(step.stage_on_time),
            StepKind::Urge => Delta::Urged,
            StepKind::Supervise => Delta::Supervised,
            StepKind::DisputeOpened => Delta::Dispute,
            StepKind::Handle => Delta::Handled(step.stage_on_time),
            StepKind::VerifyPass | StepKind::VerifyFail => {
                Delta::Verified { failed: step.kind == StepKind::VerifyFail, on_time: step.stage_on_time }
            }
            StepKind::ExtensionApproved => Delta::Extension,
            StepKind::DeferralApproved => Delta::Deferral,
            StepKind::BacklogEntered => Delta::Backlog,
            StepKind::Close => match &case.close {
                // Never timed (never dispatched, imported without a deadline): not due.
                Some(close) if close.at == step.at && close.untimed => continue,
                Some(close) if close.at == step.at => {
                    if close.close_type == CloseType::Erroneous {
                        Delta::ClosedErroneous
                    } else if close.while_deferred {
                        Delta::DueDeferred
                    } else {
                        Delta::DueClosed {
                            on_time: close.on_time,
                            extended: close.extended,
                            overrun: close.overrun_ratio,
                            handling: close.handling_minutes,
                        }
                    }
                }
                _ => continue,
            },
            StepKind::Reply => Delta::Replied(step.satisfaction),
            StepKind::Void | StepKind::Resume | StepKind::BacklogLeft | StepKind::ReturnRefused | StepKind::Other => {
                continue;
            }
        };
        sink(step.unit, step.role, &delta);
    }
    // The case as it stood at the period's end.
    let Some(last) = last else { return };
    if !last.state.is_open() {
        return;
    }
    sink(last.unit, last.role, &Delta::OpenAtEnd { backlog: last.state == CaseState::Backlog });
    // Measured as of now in a period that has not ended: a deadline still ahead is not due yet.
    let end = as_of.map_or(period.to, |now| now.min(period.to));
    if !last.deadline.is_some_and(|deadline| period.contains(deadline) && deadline < end) {
        return;
    }
    let delta = match last.state {
        CaseState::Deferred => Delta::DueDeferred,
        CaseState::Dispatched => Delta::DueOpen { overdue: true, extended: extended_since_dispatch },
        CaseState::Handled | CaseState::Verified => {
            Delta::DueOpen { overdue: last_handle.is_some_and(|in_time| !in_time), extended: extended_since_dispatch }
        }
        CaseState::Backlog => Delta::DueOpen { overdue: last_backlog.is_some_and(|in_time| !in_time), extended: extended_since_dispatch },
        _ => return,
    };
    sink(last.unit, last.role, &delta);
}

/// The facts of every case, ready for any number of reports.
#[derive(Debug, Clone, Default)]
pub struct FactBook {
    pub facts: Vec<CaseFacts>,
    /// The moment the figures are measured at (the seat's clock): a period that has not ended
    /// counts a case as due, and overdue, only once its deadline has passed. `None`: at the
    /// period's end.
    pub as_of: Option<NaiveDateTime>,
    /// Each unit's class.
    pub unit_classes: HashMap<UnitId, UnitClass>,
    /// Jurisdiction codes that [`CaseFacts::regions`] index.
    pub region_codes: Vec<String>,
    /// Each case's number (案卷号), when read from the database.
    pub case_numbers: HashMap<i64, String>,
    /// Each unit's parent (a section's department), when read from the database (the roll-up
    /// to the Art. 6 body).
    pub unit_parents: HashMap<UnitId, UnitId>,
    /// Each account's display name and role, when read from the database (the evaluation of
    /// each person).
    pub people: HashMap<i64, (String, Role)>,
    /// What [`FactBook::refresh`] needs to recompute single cases (absent for books made by
    /// hand).
    sources: Option<Box<FactSources>>,
}

/// The reference data facts are computed with, kept so a change recomputes only its cases.
struct FactSources {
    manual: CommandManual,
    jurisdictions: Vec<crate::model::Jurisdiction>,
    index: JurisdictionIndex,
    region_ids: HashMap<String, u32>,
    /// Where each case's facts are in [`FactBook::facts`].
    positions: HashMap<i64, usize>,
}

impl Clone for FactSources {
    fn clone(&self) -> Self {
        Self {
            manual: self.manual.clone(),
            jurisdictions: self.jurisdictions.clone(),
            index: JurisdictionIndex::new(&self.jurisdictions),
            region_ids: self.region_ids.clone(),
            positions: self.positions.clone(),
        }
    }
}

impl std::fmt::Debug for FactSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactSources")
            .field("jurisdictions", &self.jurisdictions.len())
            .field("regions", &self.region_ids.len())
            .field("cases", &self.positions.len())
            .finish_non_exhaustive()
    }
}

impl FactSources {
    /// The regions a case lies in: the jurisdictions in force when it was reported, and its
    /// grid cell; codes are interned into `region_codes`.
    fn regions_of(&mut self, region_codes: &mut Vec<String>, case: &crate::model::Case) -> Vec<u32> {
        let mut intern = |code: &str| -> u32 {
            if let Some(id) = self.region_ids.get(code) {
                return *id;
            }
            let id = u32::try_from(region_codes.len()).unwrap_or(u32::MAX);
            region_codes.push(code.to_owned());
            self.region_ids.insert(code.to_owned(), id);
            id
        };
        let mut regions: Vec<u32> = self
            .index
            .containing_on(&self.jurisdictions, case.location, case.reported_at.date())
            .into_iter()
            .map(|found| intern(&self.jurisdictions[found].code))
            .collect();
        if let Some(grid) = case.grid_code {
            let id = intern(&grid.to_string());
            if !regions.contains(&id) {
                regions.push(id);
            }
        }
        regions
    }
}

impl FactBook {
    #[must_use]
    pub fn new(facts: Vec<CaseFacts>, unit_classes: HashMap<UnitId, UnitClass>, region_codes: Vec<String>) -> Self {
        Self {
            facts,
            unit_classes,
            region_codes,
            case_numbers: HashMap::new(),
            unit_parents: HashMap::new(),
            people: HashMap::new(),
            sources: None,
            as_of: None,
        }
    }

    /// Reads cases, the whole audit trail, users, units, the manual, the calendar and the
    /// jurisdictions, and derives every case's facts.
    ///
    /// # Errors
    /// SQL errors or undecodable rows.
    pub fn load(store: &Store, calendar: &WorkCalendar) -> Result<Self, StoreError> {
        let manual: CommandManual = store.load_manual()?;
        let people: HashMap<i64, (String, Role)> =
            store.load_users()?.into_iter().map(|user| (user.id, (user.display_name, user.role))).collect();
        let roles: HashMap<i64, Role> = people.iter().map(|(id, (_, role))| (*id, *role)).collect();
        let units = store.load_units()?;
        let unit_classes = units.iter().map(|unit| (unit.id, unit.class)).collect();
        let unit_parents = units.iter().filter_map(|unit| Some((unit.id, unit.parent?))).collect();
        let jurisdictions = store.load_jurisdictions()?;
        let index = JurisdictionIndex::new(&jurisdictions);
        let mut sources = FactSources { manual, jurisdictions, index, region_ids: HashMap::new(), positions: HashMap::new() };
        let mut region_codes: Vec<String> = Vec::new();
        let mut events = store.audit_trail_by_case(&facts::reads_data)?;
        let mut facts = Vec::new();
        let mut case_numbers = HashMap::new();
        for case in store.load_cases()? {
            case_numbers.insert(case.id, case.case_no.clone());
            let regions = sources.regions_of(&mut region_codes, &case);
            let trail = events.remove(&case.id).unwrap_or_default();
            let context = FactContext { manual: &sources.manual, calendar, roles: &roles };
            sources.positions.insert(case.id, facts.len());
            facts.push(case_facts(&context, case.id, case.urgency, regions, &trail));
        }
        Ok(Self { facts, unit_classes, region_codes, case_numbers, unit_parents, people, sources: Some(Box::new(sources)), as_of: None })
    }

    /// Brings the facts up to the audit trail's newest entry, recomputing only the cases with
    /// entries after `after_event_id` (what a busy seat needs: a full [`FactBook::load`] of
    /// 100,000 cases takes seconds). Returns the newest entry now reflected. A book made by hand
    /// is loaded whole.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be decoded.
    pub fn refresh(&mut self, store: &mut Store, calendar: &WorkCalendar, after_event_id: i64) -> Result<i64, StoreError> {
        if self.sources.is_none() {
            *self = Self::load(store, calendar)?;
            return store.last_case_event_id();
        }
        let (cases, newest) = store.cases_changed_since(after_event_id)?;
        if cases.is_empty() {
            return Ok(newest);
        }
        // Users may have been added since (a new collector's first report).
        let roles: HashMap<i64, Role> = store.load_users()?.into_iter().map(|user| (user.id, user.role)).collect();
        let mut events = store.audit_trail_of_cases_changed(after_event_id, newest, &facts::reads_data)?;
        let Some(sources) = self.sources.as_deref_mut() else { return Ok(newest) };
        for case in cases {
            self.case_numbers.insert(case.id, case.case_no.clone());
            let regions = sources.regions_of(&mut self.region_codes, &case);
            let trail = events.remove(&case.id).unwrap_or_default();
            let context = FactContext { manual: &sources.manual, calendar, roles: &roles };
            let fresh = case_facts(&context, case.id, case.urgency, regions, &trail);
            match sources.positions.get(&case.id) {
                Some(position) => self.facts[*position] = fresh,
                None => {
                    sources.positions.insert(case.id, self.facts.len());
                    self.facts.push(fresh);
                }
            }
        }
        Ok(newest)
    }

    fn matches(&self, scope: &Scope, region: Option<u32>, case: &CaseFacts, unit: Option<UnitId>, role: Option<Role>) -> bool {
        match scope {
            Scope::District => true,
            Scope::Unit(wanted) => unit == Some(*wanted),
            Scope::UnitClass(class) => unit.and_then(|unit| self.unit_classes.get(&unit)) == Some(class),
            Scope::Region(_) => region.is_some_and(|region| case.regions.contains(&region)),
            Scope::Post(wanted) => role == Some(*wanted),
        }
    }

    /// The indicators of one scope and period.
    #[must_use]
    pub fn indicators(&self, scope: &Scope, period: &Period) -> Indicators {
        let region = self.region_index(scope);
        let mut total = Indicators::default();
        for case in &self.facts {
            if matches!(scope, Scope::Region(_)) && !region.is_some_and(|region| case.regions.contains(&region)) {
                continue;
            }
            visit(case, period, self.as_of, &mut |unit, role, delta| {
                if self.matches(scope, region, case, unit, role) {
                    total.add(delta);
                }
            });
        }
        total
    }

    /// Every unit's indicators for the period in one pass (units without any contribution are
    /// absent).
    #[must_use]
    pub fn by_unit(&self, period: &Period) -> BTreeMap<UnitId, Indicators> {
        let mut units: BTreeMap<UnitId, Indicators> = BTreeMap::new();
        for case in &self.facts {
            visit(case, period, self.as_of, &mut |unit, _, delta| {
                if let Some(unit) = unit {
                    units.entry(unit).or_default().add(delta);
                }
            });
        }
        units
    }

    /// The cases behind one count of [`FactBook::indicators`] (drill-down, 下钻): one entry per
    /// contribution, so the list's length is the count, and a case that counts twice (received
    /// by two units, handled twice) appears twice. In the order of the facts.
    #[must_use]
    pub fn cases(&self, scope: &Scope, period: &Period, measure: Measure) -> Vec<i64> {
        let region = self.region_index(scope);
        let mut ids = Vec::new();
        for case in &self.facts {
            if matches!(scope, Scope::Region(_)) && !region.is_some_and(|region| case.regions.contains(&region)) {
                continue;
            }
            visit(case, period, self.as_of, &mut |unit, role, delta| {
                if measure.counts(delta) && self.matches(scope, region, case, unit, role) {
                    ids.push(case.case_id);
                }
            });
        }
        ids
    }

    /// One count for every region code in one pass (codes with nothing to count are absent):
    /// a case counts for every jurisdiction containing it.
    #[must_use]
    pub fn by_region(&self, period: &Period, measure: Measure) -> BTreeMap<String, u64> {
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for case in &self.facts {
            let mut count = 0;
            visit(case, period, self.as_of, &mut |_, _, delta| count += u64::from(measure.counts(delta)));
            if count > 0 {
                for region in &case.regions {
                    *counts.entry(*region).or_default() += count;
                }
            }
        }
        counts.into_iter().filter_map(|(region, count)| self.region_codes.get(region as usize).map(|code| (code.clone(), count))).collect()
    }

    /// The indicators of one scope in each of `periods` (a trend).
    #[must_use]
    pub fn trend(&self, scope: &Scope, periods: &[Period]) -> Vec<Indicators> {
        let region = self.region_index(scope);
        let mut totals = vec![Indicators::default(); periods.len()];
        // Case by case, every period while the case's steps are in the cache: one pass over
        // the facts instead of one per period.
        for case in &self.facts {
            if matches!(scope, Scope::Region(_)) && !region.is_some_and(|region| case.regions.contains(&region)) {
                continue;
            }
            for (total, period) in totals.iter_mut().zip(periods) {
                visit(case, period, self.as_of, &mut |unit, role, delta| {
                    if self.matches(scope, region, case, unit, role) {
                        total.add(delta);
                    }
                });
            }
        }
        totals
    }

    fn region_index(&self, scope: &Scope) -> Option<u32> {
        match scope {
            Scope::Region(code) => self.region_codes.iter().position(|known| known == code).and_then(|at| u32::try_from(at).ok()),
            _ => None,
        }
    }

    /// Every unit scored and ranked within its class (Art. 24); see [`score`].
    #[must_use]
    pub fn ranking(&self, period: &Period, weights: &Weights) -> Vec<ClassRanking> {
        score::rank(&self.by_unit(period), &self.unit_classes, weights)
    }
}
