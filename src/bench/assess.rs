//! `citygrid bench assess`: the assessment over a year of synthetic cases. The per-case facts
//! are synthesised directly (a plausible trail per case: returns, rework, extensions,
//! deferrals, backlog, late handles, cases still open); the reports run the real aggregation.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::assess::{CaseFacts, CloseFact, FactBook, Period, Scope, StepFact, StepKind, Weights};
use crate::model::{CaseState, CloseType, Role, UnitClass, UnitId};

/// The figures of one run, in milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssessBench {
    pub cases: usize,
    pub units: usize,
    pub steps: usize,
    pub facts_ms: f64,
    pub district_month_ms: f64,
    pub region_month_ms: f64,
    pub unit_year_each_ms: f64,
    pub all_units_year_one_pass_ms: f64,
    pub ranking_year_ms: f64,
}

const UNITS: i64 = 40;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn synthetic_case(index: usize, count: usize, start: NaiveDateTime) -> CaseFacts {
    let i = i64::try_from(index).unwrap_or(0);
    let minutes_in_year = 365 * 24 * 60;
    let reported = start + Duration::minutes(i * minutes_in_year / i64::try_from(count.max(1)).unwrap_or(1));
    let unit = UnitId(1 + (i * 7919) % UNITS);
    let other = UnitId(1 + (i * 7919 + 1) % UNITS);
    let mut steps = Vec::with_capacity(12);
    let mut push = |at: NaiveDateTime, kind: StepKind, unit: Option<UnitId>, role: Role, state: CaseState, deadline, on_time| {
        steps.push(StepFact { at, kind, unit, role: Some(role), state, deadline, stage_on_time: on_time });
    };
    let filed = reported + Duration::minutes(5 + i % 40);
    let dispatched = filed + Duration::minutes(5 + (i / 3) % 40);
    let mut deadline = dispatched + Duration::days(3);
    push(reported, StepKind::Report, None, Role::FieldCollector, CaseState::Reported, None, None);
    push(filed, StepKind::File, None, Role::IntakeOperator, CaseState::Filed, None, Some(filed - reported <= Duration::minutes(30)));
    let first = if i % 17 == 0 { other } else { unit };
    push(
        dispatched,
        StepKind::Dispatch,
        Some(first),
        Role::Dispatcher,
        CaseState::Dispatched,
        Some(deadline),
        Some(dispatched - filed <= Duration::minutes(30)),
    );
    let mut now = dispatched;
    if i % 17 == 0 {
        now += Duration::hours(2);
        push(now, StepKind::Return, Some(first), Role::UnitOperator, CaseState::Returned, None, None);
        now += Duration::hours(1);
        deadline = now + Duration::days(3);
        push(now, StepKind::Redispatch, Some(unit), Role::Dispatcher, CaseState::Dispatched, Some(deadline), None);
    }
    let extended = i % 11 == 0;
    if extended {
        now += Duration::hours(20);
        deadline += Duration::days(2);
        push(now, StepKind::ExtensionApproved, Some(unit), Role::ShiftLeader, CaseState::Dispatched, Some(deadline), None);
    }
    if i % 53 == 0 {
        now += Duration::hours(5);
        push(now, StepKind::DeferralApproved, Some(unit), Role::ShiftLeader, CaseState::Deferred, Some(deadline), None);
        return CaseFacts { case_id: i, regions: vec![u32::try_from(i % 50).unwrap_or(0)], steps, close: None };
    }
    if i % 71 == 0 {
        now += Duration::hours(5);
        push(now, StepKind::BacklogEntered, Some(unit), Role::ShiftLeader, CaseState::Backlog, Some(deadline), None);
        return CaseFacts { case_id: i, regions: vec![u32::try_from(i % 50).unwrap_or(0)], steps, close: None };
    }
    // The last few hundred cases are still open.
    if index + 300 > count {
        return CaseFacts { case_id: i, regions: vec![u32::try_from(i % 50).unwrap_or(0)], steps, close: None };
    }
    let late = i % 9 == 0;
    let mut handled = if late { deadline + Duration::hours(6) } else { now + Duration::hours(4 + i % 40) };
    push(handled, StepKind::Handle, Some(unit), Role::UnitOperator, CaseState::Handled, Some(deadline), Some(handled <= deadline));
    if i % 13 == 0 {
        let verified = handled + Duration::minutes(30 + i % 60);
        push(
            verified,
            StepKind::VerifyFail,
            Some(unit),
            Role::FieldCollector,
            CaseState::Dispatched,
            Some(deadline),
            Some(verified - handled <= Duration::hours(1)),
        );
        handled = verified + Duration::hours(3);
        push(handled, StepKind::Handle, Some(unit), Role::UnitOperator, CaseState::Handled, Some(deadline), Some(handled <= deadline));
    }
    let verified = handled + Duration::minutes(20 + i % 50);
    push(
        verified,
        StepKind::VerifyPass,
        Some(unit),
        Role::FieldCollector,
        CaseState::Verified,
        Some(deadline),
        Some(verified - handled <= Duration::hours(1)),
    );
    let closed = verified + Duration::minutes(30);
    push(closed, StepKind::Close, Some(unit), Role::ShiftLeader, CaseState::Closed, Some(deadline), None);
    let on_time = handled <= deadline;
    let close = CloseFact {
        at: closed,
        close_type: if on_time { CloseType::Normal } else { CloseType::Overdue },
        while_deferred: false,
        on_time,
        extended,
        overrun_ratio: (!on_time).then_some(1.1),
        handling_minutes: Some((handled - dispatched).num_minutes() / 3),
    };
    CaseFacts { case_id: i, regions: vec![u32::try_from(i % 50).unwrap_or(0)], steps, close: Some(close) }
}

/// Builds the facts of `count` cases over 2025 and times the reports.
#[must_use]
pub fn assess_bench(count: usize, mut progress: impl FnMut(&str)) -> AssessBench {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).and_then(|date| date.and_hms_opt(0, 0, 0)).unwrap_or_default();
    let started = Instant::now();
    let facts: Vec<CaseFacts> = (0..count).map(|index| synthetic_case(index, count, start)).collect();
    let classes: HashMap<UnitId, UnitClass> = (1..=UNITS)
        .map(|id| {
            (
                UnitId(id),
                match id % 3 {
                    0 => UnitClass::First,
                    1 => UnitClass::Second,
                    _ => UnitClass::Third,
                },
            )
        })
        .collect();
    let regions = (0..50).map(|grid| format!("3410041000010{grid:02}")).collect();
    let book = FactBook::new(facts, classes, regions);
    let facts_ms = ms(started);
    let steps = book.facts.iter().map(|case| case.steps.len()).sum();
    progress(&format!("{count} cases, {steps} steps: facts in {facts_ms:.1} ms"));

    let month = Period::month(2025, 6);
    let year = Period::year(2025);
    let started = Instant::now();
    let district = book.indicators(&Scope::District, &month);
    let district_month_ms = ms(started);
    progress(&format!("district month: {district_month_ms:.1} ms ({} due, on time {:?})", district.due, district.on_time_rate()));
    let started = Instant::now();
    let region = book.indicators(&Scope::Region("341004100001007".into()), &month);
    let region_month_ms = ms(started);
    progress(&format!("grid cell month: {region_month_ms:.1} ms ({} reported)", region.reported));
    let started = Instant::now();
    let mut due = 0;
    for unit in 1..=UNITS {
        due += book.indicators(&Scope::Unit(UnitId(unit)), &year).due;
    }
    #[allow(clippy::cast_precision_loss)]
    let unit_year_each_ms = ms(started) / UNITS as f64;
    progress(&format!("one unit's year: {unit_year_each_ms:.1} ms ({due} due over all units)"));
    let started = Instant::now();
    let by_unit = book.by_unit(&year);
    let all_units_year_one_pass_ms = ms(started);
    progress(&format!("every unit's year in one pass: {all_units_year_one_pass_ms:.1} ms ({} units)", by_unit.len()));
    let started = Instant::now();
    let ranking = book.ranking(&year, &Weights::default());
    let ranking_year_ms = ms(started);
    progress(&format!("class rankings of the year: {ranking_year_ms:.1} ms ({} classes)", ranking.len()));
    AssessBench {
        cases: count,
        units: usize::try_from(UNITS).unwrap_or(0),
        steps,
        facts_ms,
        district_month_ms,
        region_month_ms,
        unit_year_each_ms,
        all_units_year_one_pass_ms,
        ranking_year_ms,
    }
}

/// The figures as text.
#[must_use]
pub fn assess_bench_text(bench: &AssessBench) -> String {
    format!(
        "assessment, {} cases ({} steps), {} units\n  facts (synthesised): {:.1} ms\n  district, one month: {:.1} ms\n  grid cell, one month: {:.1} ms\n  one unit, the year: {:.1} ms\n  every unit, the year (one pass): {:.1} ms\n  class rankings, the year: {:.1} ms\n",
        bench.cases,
        bench.steps,
        bench.units,
        bench.facts_ms,
        bench.district_month_ms,
        bench.region_month_ms,
        bench.unit_year_each_ms,
        bench.all_units_year_one_pass_ms,
        bench.ranking_year_ms
    )
}
