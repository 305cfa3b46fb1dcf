//! `citygrid --db postgresql://… bench seats`: many seats at once on a district on a server,
//! each a connection of its own as its account's own login, taking every step its role allows
//! as fast as it can (`desk::sim`): how long a step takes to commit (the workflow's checks,
//! the case row, the audit entry under the write lock, the commit) at p50 and p99, how many
//! steps a second the server takes, and that the trail still verifies afterwards.
//!
//! The district must be a moved demo (its accounts with the demo password): each seat account
//! the bench uses sets its own server login's password first, as a person would.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::{percentile, sorted_ms};
use crate::store::Location;
use crate::store::pg::{PgStore, ServerAccount};

/// The figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeatsBench {
    pub seats: usize,
    pub attempts_per_seat: usize,
    pub think_ms: u64,
    pub applied: usize,
    pub stale: usize,
    pub refused: usize,
    pub errors: usize,
    /// The first error, if any (there should be none).
    pub first_error: Option<String>,
    pub commit_p50_ms: f64,
    pub commit_p99_ms: f64,
    pub commit_max_ms: f64,
    pub steps_per_second: f64,
    pub wall_s: f64,
    pub audit_intact: bool,
}

/// `bench seats`.
pub struct Seats {
    pub url: String,
    pub seats: usize,
    pub steps: usize,
    /// The longest pause a seat takes before a step (a random share of it each time); zero
    /// measures the server saturated.
    pub think: Duration,
}

/// The password the bench gives the seat accounts' server logins.
const BENCH_PASSWORD: &str = "citygrid-bench-seat";
/// The posts the seats take in turn: the centre's, who act on every case.
const LOGINS: [&str; 2] = ["leader1", "dispatch1"];

impl super::Bench for Seats {
    type Figures = SeatsBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<SeatsBench> {
        // As the owner first: a district of an older server schema is upgraded.
        crate::store::Store::connect(&self.url, None)?;
        let mut owner = PgStore::connect(&self.url)?;
        for login in LOGINS {
            // The demo's password the first time, the bench's own on a later run.
            owner
                .set_password(login, crate::demo::DEMO_PASSWORD, login, BENCH_PASSWORD)
                .or_else(|_| owner.set_password(login, BENCH_PASSWORD, login, BENCH_PASSWORD))
                .with_context(|| format!("giving {login} a server login (the district must be a moved demo)"))?;
        }
        let now = crate::calendar::china_now();
        progress(&format!("{} seats, {} attempts each", self.seats, self.steps));
        let started = Instant::now();
        let reports: Vec<Result<crate::desk::sim::SeatReport>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.seats)
                .map(|seat| {
                    let login = LOGINS[seat % LOGINS.len()];
                    let location = Location::parse(&self.url)
                        .with_account(ServerAccount { login: login.to_owned(), password: BENCH_PASSWORD.to_owned() });
                    let plan = crate::desk::sim::Seat {
                        login,
                        steps: self.steps,
                        seed: seat as u64,
                        now,
                        deadline: Duration::from_secs(900),
                        think: self.think,
                    };
                    scope.spawn(move || crate::desk::sim::run_seat_at(&location, &plan))
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a seat panicked")))).collect()
        });
        let wall_s = started.elapsed().as_secs_f64();
        let mut durations = Vec::new();
        let (mut applied, mut stale, mut refused, mut errors, mut first_error) = (0, 0, 0, 0, None);
        for report in reports {
            let report = report?;
            applied += report.applied;
            stale += report.stale;
            refused += report.refused;
            errors += report.errors.len() + report.locked;
            if first_error.is_none() {
                first_error = report.errors.first().cloned();
            }
            durations.extend(report.commit_us.into_iter().map(Duration::from_micros));
        }
        progress("verifying the audit trail on the server");
        let audit_intact = PgStore::connect(&self.url)?.verify_audit(None)?.is_intact();
        let sorted = sorted_ms(&durations);
        #[allow(clippy::cast_precision_loss)]
        Ok(SeatsBench {
            seats: self.seats,
            attempts_per_seat: self.steps,
            think_ms: u64::try_from(self.think.as_millis()).unwrap_or(u64::MAX),
            applied,
            stale,
            refused,
            errors,
            first_error,
            commit_p50_ms: percentile(&sorted, 0.5),
            commit_p99_ms: percentile(&sorted, 0.99),
            commit_max_ms: sorted.last().copied().unwrap_or(0.0),
            steps_per_second: applied as f64 / wall_s.max(1e-9),
            wall_s,
            audit_intact,
        })
    }

    fn text(figures: &SeatsBench) -> String {
        format!(
            "{} seats on the server, {} attempts each, a pause of up to {} ms before each, {:.1} s\n\
             steps applied: {} ({:.0} a second); stale (another seat first): {}; refused by the rules: {}; errors: {}\n\
             a step committed: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n\
             audit trail verifies afterwards: {}\n{}",
            figures.seats,
            figures.attempts_per_seat,
            figures.think_ms,
            figures.wall_s,
            figures.applied,
            figures.steps_per_second,
            figures.stale,
            figures.refused,
            figures.errors,
            figures.commit_p50_ms,
            figures.commit_p99_ms,
            figures.commit_max_ms,
            if figures.audit_intact { "yes" } else { "NO" },
            figures.first_error.as_ref().map(|error| format!("first error: {error}\n")).unwrap_or_default()
        )
    }
}
