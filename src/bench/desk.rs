//! `citygrid bench desk`: the dispatch desk holding a year of cases. The database's cases are
//! copied (new ids and numbers, report times spread back over a year, those older than 30 days
//! closed) up to the requested count, then the list is measured as the app builds it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use chrono::{NaiveDateTime, TimeDelta};
use egui::{Pos2, Rect, vec2};

use super::{percentile, sorted_ms};
use crate::desk::{CaseBook, CaseFilter, CaseSort, Scope, SortColumn, StatusFilter};
use crate::model::{Case, CaseState, CloseType};
use crate::session::{Selection, load_everything};
use crate::ui::Lang;
use crate::ui::desk::DeskState;

/// One way of filtering and sorting the list, timed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SelectFigure {
    pub name: String,
    pub rows: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What `citygrid bench desk` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeskBench {
    pub cases: usize,
    pub open_cases: usize,
    /// Indexing every case and measuring its deadline status.
    pub book_ms: f64,
    /// Measuring the running clocks again (every 20 s in the app).
    pub remeasure_ms: f64,
    /// Deadline status of every open case, measured afresh.
    pub open_status_ms: f64,
    /// Steps committed to a copy of the database (read, check, write, audit entry, fsync).
    pub commits: usize,
    pub commit_p50_ms: f64,
    pub commit_p99_ms: f64,
    pub selects: Vec<SelectFigure>,
    /// A frame of the desk panel at 1920×1080 while scrolling through every case.
    pub frames: usize,
    pub frame_p50_ms: f64,
    pub frame_p99_ms: f64,
    pub frame_max_ms: f64,
    pub peak_memory_mb: f64,
}

fn shifted(time: Option<NaiveDateTime>, by: TimeDelta) -> Option<NaiveDateTime> {
    time.and_then(|time| time.checked_sub_signed(by))
}

/// `count` cases made from `seeds`, reported over the year before `now`.
fn a_year_of_cases(seeds: &[Case], count: usize, open_target: usize, now: NaiveDateTime) -> Vec<Case> {
    let newest = seeds.iter().map(|case| case.reported_at).max().unwrap_or(now);
    let mut open_kept = 0usize;
    (0..count)
        .map(|index| {
            let mut case = seeds[index % seeds.len()].clone();
            #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
            let back = TimeDelta::minutes((index as i64 * 365 * 24 * 60) / count.max(1) as i64);
            let by = (newest - case.reported_at) + back;
            case.id = 10_000_000 + i64::try_from(index).unwrap_or(0);
            case.case_no = format!("{}{:05}", (now - back).format("%Y%m%d"), index % 100_000);
            case.reported_at -= by;
            case.filed_at = shifted(case.filed_at, by);
            case.dispatched_at = shifted(case.dispatched_at, by);
            case.deadline_at = shifted(case.deadline_at, by);
            case.handled_at = shifted(case.handled_at, by);
            case.closed_at = shifted(case.closed_at, by);
            case.paused_at = shifted(case.paused_at, by);
            #[allow(clippy::cast_precision_loss)]
            let jitter = (index % 997) as f64 * 2e-6;
            case.location = geo::Point::new(case.location.x() + jitter, case.location.y() - jitter);
            // The newest cases keep their state until `open_target` are open; older ones are closed.
            let keep_open = case.state.is_open() && open_kept < open_target;
            open_kept += usize::from(keep_open);
            if case.state.is_open() && !keep_open {
                case.state = CaseState::Closed;
                case.close_type = Some(CloseType::Normal);
                case.closed_at = Some(case.deadline_at.unwrap_or(case.reported_at + TimeDelta::days(2)));
                case.pending_request = None;
                case.paused_at = None;
            }
            case
        })
        .collect()
}

fn time_select(
    book: &CaseBook,
    filter: &CaseFilter,
    sort: CaseSort,
    names: &dyn Fn(Option<crate::model::UnitId>) -> String,
) -> (usize, Vec<Duration>) {
    let mut rows = 0;
    let times = (0..15)
        .map(|_| {
            let started = Instant::now();
            rows = book.select(filter, sort, names).len();
            started.elapsed()
        })
        .collect();
    (rows, times)
}

/// Steps committed one by one on a temporary copy of the database (the user's file is not
/// touched): the shift leader files, the dispatcher dispatches, and so on. Returns the count and
/// the p50 and p99 in milliseconds.
fn commit_figures(path: &Path, now: NaiveDateTime) -> Result<(usize, f64, f64)> {
    let copy = std::env::temp_dir().join(format!("citygrid-bench-cases-{}.gpkg", std::process::id()));
    let _ = std::fs::remove_file(&copy);
    {
        // A consistent copy through SQLite itself (the file may be in WAL mode).
        let store = crate::store::Store::open(path)?;
        store.copy_to(&copy)?;
    }
    let mut durations = Vec::new();
    // New reports first (each one a commit), so the centre has work to file and dispatch.
    {
        let mut store = crate::store::Store::open(&copy)?;
        let workflow = crate::workflow::Workflow::load(&store)?;
        let collector = store.user_by_login("collector1")?.ok_or_else(|| anyhow::anyhow!("no collector1 account to report with"))?;
        let class = workflow
            .manual()
            .entries
            .iter()
            .find(|entry| entry.kind == crate::model::ItemKind::Event && !entry.limits.is_empty())
            .map(|entry| entry.code.clone())
            .ok_or_else(|| anyhow::anyhow!("the command manual has no event class with a time limit"))?;
        let spots: Vec<geo::Point<f64>> = store.load_cases()?.iter().map(|case| case.location).collect();
        for index in 0..80 {
            let new_case = crate::workflow::NewCase {
                source: crate::model::SourceChannel::Collector,
                subject: crate::model::CaseSubject::Event,
                class_code: class.clone(),
                urgency: crate::model::Urgency::Normal,
                location: spots[index % spots.len().max(1)],
                part_code: None,
                grid_code: None,
                description: format!("基准测试上报 {index}"),
                photos: Vec::new(),
                reporter_contact: None,
                address: String::new(),
            };
            let started = Instant::now();
            if workflow.report_case(&mut store, &collector, new_case, now).is_ok() {
                durations.push(started.elapsed());
            }
        }
    }
    for (round, login) in ["leader1", "dispatch1", "leader1", "dispatch1"].iter().enumerate() {
        match crate::desk::sim::run_seat(&copy, login, 100, round as u64, now, std::time::Duration::from_secs(60)) {
            Ok(report) => durations.extend(report.commit_us.into_iter().map(Duration::from_micros)),
            Err(error) => tracing::warn!("bench seat {login}: {error:#}"),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    let sorted = sorted_ms(&durations);
    Ok((durations.len(), percentile(&sorted, 0.5), percentile(&sorted, 0.99)))
}

/// Runs the desk bench on the database at `path` with `count` cases.
///
/// # Errors
/// The database cannot be loaded or has no case to copy.
pub fn desk_bench(path: &Path, count: usize, mut progress: impl FnMut(&str)) -> Result<DeskBench> {
    let now = crate::calendar::china_now();
    let (world, seeds) = load_everything(path, now)?;
    if seeds.is_empty() {
        bail!("{}: no case to copy; make a demo with `citygrid demo --out … --cases 300`", path.display());
    }
    let cases = a_year_of_cases(seeds.cases(), count, count / 10, now);
    progress(&format!("made {} cases from the database's {}", cases.len(), seeds.len()));
    let started = Instant::now();
    // As the seat builds it: handling deadlines and the clocks of the centre's stages.
    let mut book =
        CaseBook::new(cases, &world.calendar, now).with_stage_limits(world.workflow.manual().stage_limits.clone(), &world.calendar);
    let book_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    book.remeasure(&world.calendar, now + TimeDelta::minutes(1));
    let remeasure_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let open_statuses = book
        .cases()
        .iter()
        .filter(|case| case.state.is_open())
        .map(|case| crate::workflow::deadline_status(case, &world.calendar, now))
        .filter(|status| status.light.is_some())
        .count();
    let open_status_ms = started.elapsed().as_secs_f64() * 1000.0;
    progress(&format!("measured {open_statuses} open cases with a light"));
    let (commits, commit_p50_ms, commit_p99_ms) = commit_figures(path, now)?;
    let names = |unit| world.unit_name(unit, Lang::Zh);
    let scenarios = [
        ("open, most pressing first (the default)", CaseFilter::default(), CaseSort::default()),
        (
            "all, newest report first",
            CaseFilter { scope: Scope::All, ..CaseFilter::default() },
            CaseSort { column: SortColumn::Reported, descending: true },
        ),
        (
            "all, by unit name",
            CaseFilter { scope: Scope::All, ..CaseFilter::default() },
            CaseSort { column: SortColumn::Unit, descending: false },
        ),
        ("overdue only", CaseFilter { status: Some(StatusFilter::Red), ..CaseFilter::default() }, CaseSort::default()),
        ("all, text search", CaseFilter { scope: Scope::All, text: "井盖".into(), ..CaseFilter::default() }, CaseSort::default()),
    ];
    let mut selects = Vec::new();
    for (name, filter, sort) in scenarios {
        let (rows, times) = time_select(&book, &filter, sort, &names);
        let sorted = sorted_ms(&times);
        selects.push(SelectFigure { name: name.to_owned(), rows, p50_ms: percentile(&sorted, 0.5), p99_ms: percentile(&sorted, 0.99) });
    }
    progress("measuring frames of the desk while scrolling");
    let ctx = egui::Context::default();
    crate::ui::fonts::install_fonts(&ctx);
    let mut desk = DeskState::new();
    desk.list.filter.scope = Scope::All;
    let total_rows = book.len();
    let frames = 240;
    let mut times = Vec::with_capacity(frames);
    for frame in 0..frames + 2 {
        // Two warm-up frames, then steps through the whole list.
        #[allow(clippy::cast_precision_loss)]
        let offset = (frame as f32 / frames as f32) * total_rows as f32 * 22.0;
        desk.list.scroll_offset = Some(offset);
        let input = egui::RawInput { screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1920.0, 1080.0))), ..Default::default() };
        let started = Instant::now();
        let output = ctx.run_ui(input, |ui| {
            let _ = crate::ui::desk::desk_panel_ui(
                ui,
                crate::ui::View { world: &world, cases: &book, lang: Lang::Zh, now },
                &mut desk,
                Some(Selection::Case(0)),
            );
        });
        let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        if frame >= 2 {
            times.push(started.elapsed());
        }
    }
    let sorted = sorted_ms(&times);
    Ok(DeskBench {
        cases: book.len(),
        open_cases: book.open_count(),
        book_ms,
        remeasure_ms,
        open_status_ms,
        commits,
        commit_p50_ms,
        commit_p99_ms,
        selects,
        frames,
        frame_p50_ms: percentile(&sorted, 0.5),
        frame_p99_ms: percentile(&sorted, 0.99),
        frame_max_ms: sorted.last().copied().unwrap_or(0.0),
        peak_memory_mb: super::peak_memory_mb(),
    })
}

/// The figures as text.
#[must_use]
pub fn desk_bench_text(bench: &DeskBench) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "cases: {} ({} open)", bench.cases, bench.open_cases);
    let _ = writeln!(out, "index and measure every case: {:.1} ms", bench.book_ms);
    let _ = writeln!(out, "re-measure running clocks (handling and stages): {:.2} ms", bench.remeasure_ms);
    let _ = writeln!(out, "deadline status of every open case: {:.2} ms", bench.open_status_ms);
    let _ = writeln!(
        out,
        "a step committed ({} steps on a copy of the file): p50 {:.2} ms, p99 {:.2} ms",
        bench.commits, bench.commit_p50_ms, bench.commit_p99_ms
    );
    for select in &bench.selects {
        let _ =
            writeln!(out, "filter + sort, {}: {} rows, p50 {:.2} ms, p99 {:.2} ms", select.name, select.rows, select.p50_ms, select.p99_ms);
    }
    let _ = writeln!(
        out,
        "desk frame at 1920×1080 scrolling all {} rows ({} frames): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        bench.cases, bench.frames, bench.frame_p50_ms, bench.frame_p99_ms, bench.frame_max_ms
    );
    let _ = writeln!(out, "peak memory: {:.0} MB", bench.peak_memory_mb);
    out
}

/// `bench cases`: the desk with `cases` cases copied from the database at `path`.
pub struct Cases {
    pub path: std::path::PathBuf,
    pub cases: usize,
}

impl super::Bench for Cases {
    type Figures = DeskBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<DeskBench> {
        desk_bench(&self.path, self.cases, progress)
    }

    fn text(figures: &DeskBench) -> String {
        desk_bench_text(figures)
    }
}
