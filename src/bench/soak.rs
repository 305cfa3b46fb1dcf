//! `citygrid bench soak`: the video wall left running for weeks, on an accelerated clock. The
//! real app runs as the wall (clock-based cycling on) on a copy of the database; every
//! simulated hour its clock moves on an hour and a frame is rendered, and every two simulated
//! hours other seats take a few steps on the copy (and a collector reports a new case), so the
//! wall has live changes to follow. Resident memory, egui's textures and the map scene's cache
//! are sampled at the end of every simulated day: after the first day they must stay flat.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use chrono::{NaiveDateTime, TimeDelta};
use egui_kittest::Harness;

use super::{current_memory_mb, peak_memory_mb, percentile, sorted_ms};
use crate::app::{CitygridApp, harness, wait_for_tiles, wait_until_loaded};
use crate::desk::sim::run_seat;
use crate::model::{CaseState, Role, SourceChannel};
use crate::store::Store;
use crate::ui::Lang;
use crate::workflow::{NewCase, Workflow};

/// How the soak runs.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Simulated days.
    pub days: u32,
    /// A frame is rendered every this many simulated hours (1: every hour).
    pub render_every_hours: u32,
    /// Seats act every this many simulated hours.
    pub seat_every_hours: u32,
    /// Steps each seat round attempts.
    pub seat_steps: usize,
    /// The wall's size in pixels.
    pub size: [u32; 2],
}

impl SoakOptions {
    /// `days` simulated days at 1920×1080, a frame every simulated hour, seats every two.
    #[must_use]
    pub fn days(days: u32) -> Self {
        Self { days, render_every_hours: 1, seat_every_hours: 2, seat_steps: 3, size: [1920, 1080] }
    }
}

/// The wall at one moment of the soak.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakSample {
    /// Simulated days since the start.
    pub day: u32,
    /// The wall's clock.
    pub at: String,
    /// Resident memory of the process, MB.
    pub memory_mb: f64,
    /// Textures egui holds (fonts, basemap tiles, …) and their size.
    pub textures: usize,
    pub texture_mb: f64,
    /// Builds in the map scene's cache and their approximate size (0 without the GPU scene).
    pub scene_cached: usize,
    pub scene_cached_mb: f64,
    /// Cases the wall knows, and how many are open.
    pub cases: usize,
    pub open_cases: usize,
    /// Steps the seats applied and cases the collector reported so far.
    pub steps_applied: usize,
    pub reported: usize,
    /// Different map views (centre and zoom) the wall has shown so far.
    pub map_views: usize,
}

/// What `citygrid bench soak` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakBench {
    pub db: String,
    pub basemap: Option<String>,
    pub width: u32,
    pub height: u32,
    pub days: u32,
    /// The simulated clock at the start and at the end.
    pub start: String,
    pub end: String,
    pub render_every_hours: u32,
    pub renders: usize,
    pub render_p50_ms: f64,
    pub render_max_ms: f64,
    /// Right after loading, before the first simulated hour.
    pub loaded: SoakSample,
    /// At the end of every simulated day.
    pub samples: Vec<SoakSample>,
    /// Seat rounds, and what their steps did.
    pub seat_rounds: usize,
    pub steps_applied: usize,
    pub steps_stale: usize,
    pub steps_refused: usize,
    pub steps_locked: usize,
    pub step_errors: Vec<String>,
    pub reported: usize,
    /// Rounds after which the wall's book had not caught up with the file within 5 s.
    pub late_rounds: usize,
    /// At the end, the wall's book holds exactly the file's cases at their revisions.
    pub book_matches_file: bool,
    /// Different map views the cycling showed, and how many times the view changed.
    pub map_views: usize,
    pub map_moves: usize,
    /// Real time the soak took, s.
    pub wall_s: f64,
    pub peak_memory_mb: f64,
}

impl SoakBench {
    /// The sample after the first simulated day (the reference: everything is warm by then).
    #[must_use]
    pub fn first_day(&self) -> &SoakSample {
        self.samples.first().unwrap_or(&self.loaded)
    }

    /// The sample at the end.
    #[must_use]
    pub fn last_day(&self) -> &SoakSample {
        self.samples.last().unwrap_or(&self.loaded)
    }
}

/// A copy of the database in the temporary directory, removed (with its journal files) when
/// dropped.
struct TempCopy(PathBuf);

impl TempCopy {
    fn of(path: &Path) -> Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let copy = std::env::temp_dir().join(format!("citygrid-soak-{}-{nanos}.gpkg", std::process::id()));
        let guard = Self(copy);
        std::fs::copy(path, &guard.0).with_context(|| format!("copying {} to {}", path.display(), guard.0.display()))?;
        // A write-ahead log not yet checkpointed holds part of the data.
        let wal = with_suffix(path, "-wal");
        if wal.exists() {
            std::fs::copy(&wal, with_suffix(&guard.0, "-wal")).with_context(|| format!("copying {}", wal.display()))?;
        }
        Ok(guard)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(with_suffix(&self.0, suffix));
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The cases' ids and revisions, sorted.
fn revisions<'a>(cases: impl Iterator<Item = &'a crate::model::Case>) -> Vec<(i64, u32)> {
    let mut revisions: Vec<(i64, u32)> = cases.map(|case| (case.id, case.revision)).collect();
    revisions.sort_unstable();
    revisions
}

/// The view the wall's map shows: centre and zoom, rounded.
fn map_view(harness: &Harness<'static, CitygridApp>) -> Option<(i64, i64, i64)> {
    let memory = &harness.state().map_memory;
    let centre = memory.detached()?;
    #[allow(clippy::cast_possible_truncation)]
    Some(((centre.x() * 1e5).round() as i64, (centre.y() * 1e5).round() as i64, (memory.zoom() * 100.0).round() as i64))
}

/// What the seats did so far.
#[derive(Default)]
struct Seats {
    rounds: usize,
    applied: usize,
    stale: usize,
    refused: usize,
    locked: usize,
    errors: Vec<String>,
    reported: usize,
}

impl Seats {
    /// One round at `now`: a collector reports a new case (a copy of an existing one's class
    /// and place), then one seat takes up to `steps` steps. The seats take turns: the
    /// dispatcher, the shift leader, the collector and the operator of the unit with the most
    /// dispatched cases.
    fn round(&mut self, path: &Path, now: NaiveDateTime, steps: usize) -> Result<()> {
        let round = self.rounds;
        self.rounds += 1;
        let mut store = Store::open(path)?;
        let cases = store.load_cases()?;
        if let (Some(collector), false) = (store.user_by_login("collector1")?, cases.is_empty()) {
            let workflow = Workflow::load(&store)?;
            let template = &cases[(round * 7919) % cases.len()];
            #[allow(clippy::cast_precision_loss)]
            let jitter = ((round % 41) as f64 - 20.0) * 2e-5;
            let new_case = NewCase {
                source: SourceChannel::Collector,
                subject: template.subject,
                class_code: template.class_code.clone(),
                urgency: template.urgency,
                location: geo::Point::new(template.location.x() + jitter, template.location.y() - jitter),
                part_code: template.part_code,
                grid_code: template.grid_code,
                description: format!("模拟巡查上报 {round}"),
                photos: Vec::new(),
                reporter_contact: None,
                address: String::new(),
            };
            match workflow.report_case(&mut store, &collector, new_case, now) {
                Ok(_) => self.reported += 1,
                Err(error) => self.errors.push(format!("report: {error}")),
            }
        }
        let login = match round % 4 {
            0 => Some("dispatch1".to_owned()),
            1 => Some("leader1".to_owned()),
            2 => Some("collector1".to_owned()),
            _ => {
                let mut dispatched: std::collections::HashMap<crate::model::UnitId, usize> = std::collections::HashMap::new();
                for case in cases.iter().filter(|case| case.state == CaseState::Dispatched) {
                    if let Some(unit) = case.unit {
                        *dispatched.entry(unit).or_default() += 1;
                    }
                }
                let users = store.load_users()?;
                users
                    .iter()
                    .filter(|user| user.role == Role::UnitOperator)
                    .max_by_key(|user| (user.unit.and_then(|unit| dispatched.get(&unit)).copied().unwrap_or(0), std::cmp::Reverse(user.id)))
                    .map(|user| user.login.clone())
            }
        };
        drop(store);
        if let Some(login) = login {
            let report = run_seat(path, &login, steps, round as u64, now, Duration::from_secs(10))?;
            self.applied += report.applied;
            self.stale += report.stale;
            self.refused += report.refused;
            self.locked += report.locked;
            self.errors.extend(report.errors.into_iter().map(|error| format!("{login}: {error}")));
        }
        Ok(())
    }
}

/// Runs the soak for `days` simulated days on a copy of the database at `path` (the file itself
/// is not touched), rendering at 1920×1080 every simulated hour.
///
/// # Errors
/// The database cannot be copied, loaded or stepped on; rendering fails.
pub fn soak_bench(path: &Path, basemap: Option<&Path>, days: u32, progress: impl FnMut(&str)) -> Result<SoakBench> {
    soak_bench_with(path, basemap, &SoakOptions::days(days), progress)
}

/// [`soak_bench`] with every setting.
///
/// # Errors
/// The database cannot be copied, loaded or stepped on; rendering fails.
#[allow(clippy::too_many_lines)]
pub fn soak_bench_with(path: &Path, basemap: Option<&Path>, options: &SoakOptions, mut progress: impl FnMut(&str)) -> Result<SoakBench> {
    if !path.exists() {
        bail!("{}: no such database (create one with `citygrid demo --out …`)", path.display());
    }
    let began = Instant::now();
    let copy = TempCopy::of(path)?;
    let reader = Store::open(&copy.0)?;
    let start = reader.load_cases()?.iter().map(|case| case.reported_at).max().unwrap_or_else(crate::calendar::china_now);
    let mut harness = harness(&copy.0, basemap, options.size, Lang::Zh, Some(start));
    harness.state_mut().set_wall(true);
    wait_until_loaded(&mut harness, Duration::from_secs(300))?;
    if basemap.is_some() {
        harness.state_mut().wait_for_basemap(Duration::from_secs(60));
        if let Some(Err(problem)) = harness.state().basemap() {
            bail!("the basemap did not open: {problem}");
        }
    }
    wait_for_tiles(&mut harness, Duration::from_secs(30));
    progress(&format!(
        "loaded {} with {} cases; soaking {} simulated days from {}",
        path.display(),
        harness.state().cases().len(),
        options.days,
        start.format("%Y-%m-%d %H:%M")
    ));

    let mut seats = Seats::default();
    let mut views: HashSet<(i64, i64, i64)> = HashSet::new();
    let mut last_view = map_view(&harness);
    views.extend(last_view);
    let mut moves = 0;
    let mut late_rounds = 0;
    let mut render_times = Vec::new();
    let sample = |harness: &Harness<'static, CitygridApp>, seats: &Seats, views: usize, day: u32, at: NaiveDateTime| {
        let (textures, texture_bytes) = {
            let manager = harness.ctx.tex_manager();
            let manager = manager.read();
            (manager.num_allocated(), manager.allocated().map(|(_, meta)| meta.bytes_used()).sum::<usize>())
        };
        let scene = harness.state().scene().map(crate::map::scene::MapScene::stats);
        let book = harness.state().cases();
        #[allow(clippy::cast_precision_loss)]
        SoakSample {
            day,
            at: at.format("%Y-%m-%d %H:%M").to_string(),
            memory_mb: current_memory_mb(),
            textures,
            texture_mb: texture_bytes as f64 / 1_048_576.0,
            scene_cached: scene.as_ref().map_or(0, |stats| stats.cached),
            scene_cached_mb: scene.as_ref().map_or(0.0, |stats| stats.cached_bytes as f64 / 1_048_576.0),
            cases: book.len(),
            open_cases: book.open_count(),
            steps_applied: seats.applied,
            reported: seats.reported,
            map_views: views,
        }
    };
    let loaded = sample(&harness, &seats, views.len(), 0, start);
    let mut samples = Vec::new();
    let hours = options.days * 24;
    let mut now = start;
    for hour in 0..hours {
        now = start + TimeDelta::hours(i64::from(hour));
        harness.state_mut().set_clock(now);
        harness.run_steps(2);
        if hour % options.seat_every_hours.max(1) == 0 {
            seats.round(&copy.0, now, options.seat_steps)?;
            // The wall follows the file by itself (the desk worker polls it every 0.7 s).
            let expected = revisions(reader.load_cases()?.iter());
            let waiting = Instant::now();
            while revisions(harness.state().cases().cases().iter()) != expected {
                if waiting.elapsed() > Duration::from_secs(5) {
                    late_rounds += 1;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
                harness.step();
            }
        }
        // The new view's tiles and scene builds, bounded.
        wait_for_tiles(&mut harness, Duration::from_secs(3));
        let view = map_view(&harness);
        if view != last_view {
            moves += 1;
            views.extend(view);
            last_view = view;
        }
        if hour % options.render_every_hours.max(1) == 0 {
            let started = Instant::now();
            harness.render().map_err(|error| anyhow::anyhow!("rendering failed: {error}"))?;
            render_times.push(started.elapsed());
        }
        if (hour + 1) % 24 == 0 {
            let day = (hour + 1) / 24;
            let at = sample(&harness, &seats, views.len(), day, now);
            progress(&format!(
                "day {day}/{}: {:.0} MB resident, {} textures ({:.1} MB), scene cache {:.1} MB, {} cases ({} open), {} steps, {} views, {:.0} s",
                options.days,
                at.memory_mb,
                at.textures,
                at.texture_mb,
                at.scene_cached_mb,
                at.cases,
                at.open_cases,
                at.steps_applied,
                at.map_views,
                began.elapsed().as_secs_f64()
            ));
            samples.push(at);
        }
    }
    // The last changes, then the wall's book against the file.
    let expected = revisions(reader.load_cases()?.iter());
    let waiting = Instant::now();
    while revisions(harness.state().cases().cases().iter()) != expected && waiting.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    let book_matches_file = revisions(harness.state().cases().cases().iter()) == expected;
    let sorted = sorted_ms(&render_times);
    let bench = SoakBench {
        db: path.display().to_string(),
        basemap: basemap.map(|path| path.display().to_string()),
        width: options.size[0],
        height: options.size[1],
        days: options.days,
        start: start.format("%Y-%m-%d %H:%M").to_string(),
        end: now.format("%Y-%m-%d %H:%M").to_string(),
        render_every_hours: options.render_every_hours.max(1),
        renders: render_times.len(),
        render_p50_ms: percentile(&sorted, 0.5),
        render_max_ms: sorted.last().copied().unwrap_or_default(),
        loaded,
        samples,
        seat_rounds: seats.rounds,
        steps_applied: seats.applied,
        steps_stale: seats.stale,
        steps_refused: seats.refused,
        steps_locked: seats.locked,
        step_errors: seats.errors.iter().take(20).cloned().collect(),
        reported: seats.reported,
        late_rounds,
        book_matches_file,
        map_views: views.len(),
        map_moves: moves,
        wall_s: began.elapsed().as_secs_f64(),
        peak_memory_mb: peak_memory_mb(),
    };
    // The harness (and its desk worker) let go of the copy before it is removed.
    drop(harness);
    drop(reader);
    drop(copy);
    Ok(bench)
}

/// The figures as text.
#[must_use]
pub fn soak_bench_text(bench: &SoakBench) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wall {}×{} on a copy of {}{}, {} simulated days from {} to {}, a frame rendered every {} simulated hour(s)",
        bench.width,
        bench.height,
        bench.db,
        bench.basemap.as_ref().map_or_else(String::new, |basemap| format!(" over {basemap}")),
        bench.days,
        bench.start,
        bench.end,
        bench.render_every_hours
    );
    let _ = writeln!(
        out,
        "{:>4} {:>16} {:>10} {:>9} {:>11} {:>11} {:>11} {:>7} {:>6} {:>7} {:>6}",
        "day", "clock", "memory MB", "textures", "texture MB", "scene MB", "builds", "cases", "open", "steps", "views"
    );
    for sample in std::iter::once(&bench.loaded).chain(&bench.samples) {
        let _ = writeln!(
            out,
            "{:>4} {:>16} {:>10.0} {:>9} {:>11.1} {:>11.1} {:>11} {:>7} {:>6} {:>7} {:>6}",
            sample.day,
            sample.at,
            sample.memory_mb,
            sample.textures,
            sample.texture_mb,
            sample.scene_cached_mb,
            sample.scene_cached,
            sample.cases,
            sample.open_cases,
            sample.steps_applied,
            sample.map_views
        );
    }
    let (first, last) = (bench.first_day(), bench.last_day());
    let _ = writeln!(
        out,
        "after day {} → day {}: memory {:.0} → {:.0} MB ({:+.0} MB), textures {} → {}, scene cache {:.1} → {:.1} MB",
        first.day,
        last.day,
        first.memory_mb,
        last.memory_mb,
        last.memory_mb - first.memory_mb,
        first.textures,
        last.textures,
        first.scene_cached_mb,
        last.scene_cached_mb
    );
    let _ = writeln!(
        out,
        "seats: {} rounds, {} steps applied ({} stale, {} refused, {} locked, {} errors), {} cases reported; late rounds: {}; wall's book equals the file: {}",
        bench.seat_rounds,
        bench.steps_applied,
        bench.steps_stale,
        bench.steps_refused,
        bench.steps_locked,
        bench.step_errors.len(),
        bench.reported,
        bench.late_rounds,
        if bench.book_matches_file { "yes" } else { "NO" }
    );
    for error in &bench.step_errors {
        let _ = writeln!(out, "  error: {error}");
    }
    let _ = writeln!(out, "map: {} different views, {} moves", bench.map_views, bench.map_moves);
    let _ = writeln!(
        out,
        "renders: {} (p50 {:.0} ms, max {:.0} ms); took {:.0} s; peak memory {:.0} MB",
        bench.renders, bench.render_p50_ms, bench.render_max_ms, bench.wall_s, bench.peak_memory_mb
    );
    out
}

/// `bench soak`: the wall on a copy of the database at `path` for `days` simulated days.
pub struct Soak {
    pub path: std::path::PathBuf,
    pub basemap: Option<std::path::PathBuf>,
    pub days: u32,
}

impl super::Bench for Soak {
    type Figures = SoakBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<SoakBench> {
        soak_bench(&self.path, self.basemap.as_deref(), self.days, progress)
    }

    fn text(figures: &SoakBench) -> String {
        soak_bench_text(figures)
    }
}
