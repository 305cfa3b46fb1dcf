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
        steps.push(StepFact {
            at,
            kind,
            unit,
            role: Some(role),
            user: None,
            satisfaction: None,
            state,
            deadline,
            stage_on_time: on_time,
            review: None,
        });
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
        untimed: false,
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

/// The figures of a run on a real database file, in milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RealAssessBench {
    pub cases: usize,
    pub units: usize,
    pub events: usize,
    /// Demo cases made through the workflow, then copied over the year.
    pub seed_cases: usize,
    pub build_s: f64,
    pub database_mb: f64,
    /// `FactBook::load`: cases, the whole audit trail, users, units, jurisdictions, facts.
    pub load_ms: f64,
    pub district_month_ms: f64,
    pub class_ranking_month_ms: f64,
    pub region_month_ms: f64,
    pub post_month_ms: f64,
    pub district_year_ms: f64,
    pub class_ranking_year_ms: f64,
    pub drill_down_month_ms: f64,
    /// The window's whole report of a month (figures, rankings, 12-month trend, cells, cases).
    pub window_report_month_ms: f64,
    pub notice_html_ms: f64,
    pub workbook_xlsx_ms: f64,
    /// Steps a dispatcher seat then took on the file.
    pub steps_after: usize,
    /// `FactBook::refresh` after those steps (what a seat with the window open does).
    pub refresh_ms: f64,
}

/// An audit entry as stored: at, actor, action, from state, to state, data.
type RawEvent = (String, Option<i64>, String, Option<String>, String, String);

/// Moves every time in an event's data (`deadline_at`, …) by `by`.
fn shift_data(data: &mut serde_json::Value, by: Duration) {
    match data {
        serde_json::Value::Object(map) => map.values_mut().for_each(|value| shift_data(value, by)),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|value| shift_data(value, by)),
        serde_json::Value::String(text) => {
            if let Some(at) = crate::store::local_from_utc_text(text) {
                *text = crate::store::utc_text_from_local(at - by);
            }
        }
        _ => {}
    }
}

/// Builds a real database in `dir`: a demo district whose `seed_cases` cases went through the
/// workflow (real audit trails), copied back week by week until `count` cases cover the year
/// before the demo's "now", every copy with its audit trail moved by the same whole weeks.
///
/// # Errors
/// The demo or the copies cannot be written.
pub fn build_year_database(
    dir: &std::path::Path,
    count: usize,
    seed_cases: usize,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<std::path::PathBuf> {
    use crate::model::{CaseState, Keyword as _};
    use crate::store::Store;
    let path = dir.join("assess-bench.gpkg");
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|date| date.and_hms_opt(9, 30, 0)).unwrap_or_default();
    let options = crate::demo::DemoOptions { parts: 5_000, cases: seed_cases, seed: 11, as_of };
    crate::demo::write_demo(&path, &options, &mut |_| {})?;
    progress(&format!("demo with {seed_cases} cases through the workflow written"));
    let mut store = Store::open(&path)?;
    let seeds = store.load_cases()?;
    let mut trails: HashMap<i64, Vec<RawEvent>> = HashMap::new();
    store.conn().each_row(
        "SELECT case_fid, at, actor_user_id, action, from_state, to_state, data FROM case_events ORDER BY case_fid, id",
        &[],
        |row| {
            trails.entry(row.get(0)?).or_default().push((row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?));
            Ok::<_, crate::store::SqlError>(())
        },
    )?;
    let copies = count.saturating_sub(seeds.len());
    let per_week = copies.div_ceil(50).max(1);
    store.write(|tx| {
        for index in 0..copies {
            let seed = &seeds[index % seeds.len()];
            // Whole weeks back (1 to 50), so office hours and weekdays stay as they were.
            let weeks = i64::try_from(1 + index / per_week).unwrap_or(50);
            let by = Duration::weeks(weeks);
            let mut case = seed.clone();
            case.case_no = format!("B{weeks:02}{index:08}");
            case.reported_at -= by;
            for time in [
                &mut case.filed_at,
                &mut case.dispatched_at,
                &mut case.deadline_at,
                &mut case.handled_at,
                &mut case.closed_at,
                &mut case.paused_at,
            ] {
                *time = time.map(|at| at - by);
            }
            let fid = Store::insert_case(tx, &case)?;
            for (at, actor, action, from_state, to_state, data) in trails.get(&seed.id).into_iter().flatten() {
                let Some(at) = crate::store::local_from_utc_text(at) else { continue };
                let mut data: serde_json::Value = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
                shift_data(&mut data, by);
                let (Some(to_state), from_state) =
                    (CaseState::from_keyword(to_state), from_state.as_deref().and_then(CaseState::from_keyword))
                else {
                    continue;
                };
                let event = crate::store::NewCaseEvent {
                    case_id: fid,
                    at: at - by,
                    actor_user_id: *actor,
                    action,
                    from_state,
                    to_state,
                    data: &data,
                };
                Store::append_case_event(tx, &event)?;
            }
        }
        Ok(())
    })?;
    store.checkpoint()?;
    progress(&format!("{copies} copies written"));
    Ok(path)
}

/// Builds a year of `count` cases in a real database (see [`build_year_database`]) and times
/// `FactBook::load` and every kind of report on it.
///
/// # Errors
/// The database cannot be built or read.
pub fn real_assess_bench(count: usize, seed_cases: usize, mut progress: impl FnMut(&str)) -> anyhow::Result<RealAssessBench> {
    use crate::assess::{Assessment, Measure, ReportOptions};
    let dir = tempfile_dir()?;
    let started = Instant::now();
    let path = build_year_database(&dir, count, seed_cases, &mut progress)?;
    let build_s = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let database_mb = std::fs::metadata(&path).map(|meta| meta.len() as f64 / 1_048_576.0).unwrap_or(0.0);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|date| date.and_hms_opt(9, 30, 0)).unwrap_or_default();
    let (world, _) = crate::session::load_everything(&path, as_of)?;
    let mut store = crate::store::Store::open(&path)?;
    let events: usize = store
        .conn()
        .query_row("SELECT count(*) FROM case_events", &[], |row| row.get::<i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))?;
    let started = Instant::now();
    let mut book = FactBook::load(&store, &world.calendar)?;
    let load_ms = ms(started);
    progress(&format!("{} cases, {events} audit entries: FactBook::load {load_ms:.0} ms", book.facts.len()));
    let month = Period::month(2026, 10);
    let year = Period::year(2026);
    let weights = Weights::default();
    let time = |what: &str, progress: &mut dyn FnMut(&str), work: &mut dyn FnMut() -> String| {
        let started = Instant::now();
        let said = work();
        let elapsed = ms(started);
        progress(&format!("{what}: {elapsed:.1} ms ({said})"));
        elapsed
    };
    let district_month_ms = time("district, a month", &mut progress, &mut || {
        let i = book.indicators(&Scope::District, &month);
        format!("{} received, on time {:?}", i.received, i.on_time_rate())
    });
    let class_ranking_month_ms =
        time("class rankings, a month", &mut progress, &mut || format!("{} classes", book.ranking(&month, &weights).len()));
    let grid =
        book.by_region(&month, Measure::Reported).into_iter().max_by_key(|(_, count)| *count).map(|(code, _)| code).unwrap_or_default();
    let region_month_ms = time("busiest region, a month", &mut progress, &mut || {
        format!("{grid}: {} reported", book.indicators(&Scope::Region(grid.clone()), &month).reported)
    });
    let post_month_ms = time("dispatchers' post, a month", &mut progress, &mut || {
        format!("{} dispatched", book.indicators(&Scope::Post(Role::Dispatcher), &month).dispatched)
    });
    let district_year_ms =
        time("district, the year", &mut progress, &mut || format!("{} received", book.indicators(&Scope::District, &year).received));
    let class_ranking_year_ms =
        time("class rankings, the year", &mut progress, &mut || format!("{} classes", book.ranking(&year, &weights).len()));
    let drill_down_month_ms = time("drill-down list (district overdue, a month)", &mut progress, &mut || {
        format!("{} cases", book.cases(&Scope::District, &month, Measure::Overdue).len())
    });
    let mut report = None;
    let window_report_month_ms = time("the window's report of a month", &mut progress, &mut || {
        let computed = Assessment::compute(&book, month, ReportOptions::default());
        let said = format!("{} trend periods, {} case rows", computed.trend.len(), computed.cases.len());
        report = Some(computed);
        said
    });
    let report = report.ok_or_else(|| anyhow::anyhow!("no report"))?;
    let notice_html_ms = time("the notice (HTML)", &mut progress, &mut || {
        format!("{} bytes", crate::assess::output::notice::html(&world.report_names(), &report, crate::model::Lang::Zh, as_of).len())
    });
    let workbook_xlsx_ms = time("the workbook (XLSX)", &mut progress, &mut || {
        crate::assess::output::workbook::xlsx(&world.report_names(), &report, crate::model::Lang::Zh)
            .map_or_else(|error| error.to_string(), |bytes| format!("{} bytes", bytes.len()))
    });
    // Another seat works on the file; this seat's facts catch up with only the changed cases.
    let seen = store.last_case_event_id()?;
    let seat = crate::desk::sim::run_seat(&path, "dispatch1", 50, 9, as_of, std::time::Duration::from_secs(120))?;
    let started = Instant::now();
    book.refresh(&mut store, &world.calendar, seen)?;
    let refresh_ms = ms(started);
    progress(&format!("{} steps at another seat: FactBook::refresh {refresh_ms:.1} ms", seat.applied));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(RealAssessBench {
        steps_after: seat.applied,
        refresh_ms,
        cases: book.facts.len(),
        units: world.units.len(),
        events,
        seed_cases,
        build_s,
        database_mb,
        load_ms,
        district_month_ms,
        class_ranking_month_ms,
        region_month_ms,
        post_month_ms,
        district_year_ms,
        class_ranking_year_ms,
        drill_down_month_ms,
        window_report_month_ms,
        notice_html_ms,
        workbook_xlsx_ms,
    })
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("citygrid-bench-assess-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The figures as text.
#[must_use]
pub fn real_assess_bench_text(bench: &RealAssessBench) -> String {
    format!(
        "assessment on a real database: {} cases ({} made through the workflow, copied over the year), {} audit entries, {} units, {:.0} MB, built in {:.0} s\n  FactBook::load: {:.0} ms\n  district, a month: {:.1} ms\n  class rankings, a month: {:.1} ms\n  busiest region, a month: {:.1} ms\n  a post, a month: {:.1} ms\n  district, the year: {:.1} ms\n  class rankings, the year: {:.1} ms\n  drill-down list, a month: {:.1} ms\n  the window's report of a month (figures, rankings, 12-month trend, cells, cases): {:.1} ms\n  notice (HTML): {:.1} ms\n  workbook (XLSX): {:.1} ms\n  FactBook::refresh after {} steps at another seat: {:.1} ms\n",
        bench.cases,
        bench.seed_cases,
        bench.events,
        bench.units,
        bench.database_mb,
        bench.build_s,
        bench.load_ms,
        bench.district_month_ms,
        bench.class_ranking_month_ms,
        bench.region_month_ms,
        bench.post_month_ms,
        bench.district_year_ms,
        bench.class_ranking_year_ms,
        bench.drill_down_month_ms,
        bench.window_report_month_ms,
        bench.notice_html_ms,
        bench.workbook_xlsx_ms,
        bench.steps_after,
        bench.refresh_ms,
    )
}

/// `bench assess`: synthetic facts in memory.
pub struct Synthetic {
    pub cases: usize,
}

impl super::Bench for Synthetic {
    type Figures = AssessBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<AssessBench> {
        Ok(assess_bench(self.cases, progress))
    }

    fn text(figures: &AssessBench) -> String {
        assess_bench_text(figures)
    }
}

/// `bench assess --real`: a real database built in a temporary folder.
pub struct Real {
    pub cases: usize,
    pub seed_cases: usize,
}

impl super::Bench for Real {
    type Figures = RealAssessBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<RealAssessBench> {
        real_assess_bench(self.cases, self.seed_cases, progress)
    }

    fn text(figures: &RealAssessBench) -> String {
        real_assess_bench_text(figures)
    }
}
