//! Benchmarks that print their figures (`citygrid bench …`, feature `bench`): each is a
//! [`Bench`] that runs on a real database and says what it measured as text or JSON. Figures
//! go into the README with the machine and the command; no test asserts a time.

pub mod assess;
pub mod desk;
pub mod exchange;
pub mod fuzz;
pub mod import;
pub mod load;
pub mod map;
pub mod open311;
pub mod seats;
pub mod serve;
pub mod soak;
pub mod spatial;

use std::time::Duration;

pub use map::{MapBench, map_bench, map_bench_text};
pub use spatial::{SpatialBench, spatial_bench, spatial_bench_text};

/// One benchmark: runs, reporting progress lines, and writes its figures as text.
pub trait Bench {
    /// What it measured (printed as JSON with `--json`).
    type Figures: serde::Serialize;

    /// Runs the benchmark; `progress` receives a line now and then.
    ///
    /// # Errors
    /// The database or files it needs cannot be read or written.
    fn run(&self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Self::Figures>;

    /// The figures as the text the command prints.
    fn text(figures: &Self::Figures) -> String;
}

/// Runs `bench` with progress on standard error and prints its figures on standard output,
/// as JSON or as text.
///
/// # Errors
/// The bench failed, or its figures could not be written as JSON.
pub fn run_and_print<B: Bench>(bench: &B, json: bool) -> anyhow::Result<()> {
    let figures = bench.run(&mut |line| eprintln!("{line}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print!("{}", B::text(&figures));
    }
    Ok(())
}

/// The value at `fraction` (0.5 = median, 0.99 = p99) of sorted values.
pub(crate) fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub(crate) fn sorted_ms(durations: &[Duration]) -> Vec<f64> {
    let mut values: Vec<f64> = durations.iter().map(|duration| duration.as_secs_f64() * 1_000.0).collect();
    values.sort_by(f64::total_cmp);
    values
}

/// The process's peak resident memory, MB (Linux; 0 elsewhere).
#[must_use]
pub fn peak_memory_mb() -> f64 {
    process_status_mb("VmHWM:")
}

/// The process's resident memory now, MB (Linux; 0 elsewhere).
#[must_use]
pub fn current_memory_mb() -> f64 {
    process_status_mb("VmRSS:")
}

/// A `kB` line of `/proc/self/status`, in MB (0 where there is none).
fn process_status_mb(field: &str) -> f64 {
    status_field_mb(&std::fs::read_to_string("/proc/self/status").unwrap_or_default(), field)
}

/// A `kB` line of a process's `/proc/PID/status` text, in MB (0 where there is none).
pub(crate) fn status_field_mb(status: &str, field: &str) -> f64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Joins worker threads of a bench: what each that failed said.
pub(crate) fn join_all(threads: Vec<std::thread::JoinHandle<anyhow::Result<()>>>, what: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for thread in threads {
        match thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => failures.push(error.to_string()),
            Err(_) => failures.push(format!("a {what} thread panicked")),
        }
    }
    failures
}
