//! `citygrid bench …` (feature `bench`): every benchmark is a [`citygrid::bench::Bench`], run
//! and printed the same way.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use citygrid::bench::{self, run_and_print};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The map engine: per-frame CPU time while panning at zooms 11–19 on 1920×1080 and
    /// 3840×2160 (GPU scene and the naive painter), identify latency, load time, peak memory.
    Map {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Jurisdictions: point look-up, boundary distance, near-boundary check and the topology
    /// check of 10,000 grid cells and of the database's own layers.
    Spatial {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The dispatch desk with a year of cases (the database's cases copied up to `--cases`):
    /// indexing, filtering and sorting, frames of the list while scrolling.
    #[command(alias = "desk")]
    Cases {
        /// How many cases to hold.
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The video wall left running on an accelerated clock (an hour a step) on a copy of the
    /// database while seats change it: resident memory, textures and the map cache per day.
    /// Uses `--basemap`, else the shipped demo basemap, as the wall does.
    Soak {
        /// Simulated days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The assessment over a year of cases: with `--real`, a real database built in a
    /// temporary folder (demo cases made through the workflow, copied over the year with their
    /// audit trails), timing `FactBook::load` and every kind of report and export; without it,
    /// synthetic facts in memory.
    Assess {
        /// How many cases.
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        /// Build and read a real SQLite database.
        #[arg(long)]
        real: bool,
        /// With `--real`: how many demo cases go through the workflow before being copied.
        #[arg(long, default_value_t = 2_000)]
        seed_cases: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import N point parts as GeoJSON, GeoPackage and shapefile into fresh databases.
    Import {
        /// How many features.
        #[arg(long, default_value_t = 1_000_000)]
        features: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Feed every reader of outside bytes mutated inputs (GeoPackage blobs and files, GeoJSON,
    /// CSV, shapefile, DBF, PMTiles, MBTiles, tile images) for a while; failing inputs go to
    /// --crashes. Exits non-zero on any panic or input slower than 5 s.
    Fuzz {
        /// One target, or all of them one after the other.
        #[arg(long, default_value = "all")]
        target: String,
        /// Seconds per target.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "fuzz-crashes")]
        crashes: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Open a database and load every part, jurisdiction and case into memory.
    Load {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The city platform's burst against `citygrid serve` on loopback: new cases from several
    /// senders until all are filed, then every case worked to its close and every step
    /// acknowledged by the city's inbox (played by the bench).
    Exchange {
        /// Cases in the burst.
        #[arg(long, default_value_t = 1_000)]
        cases: usize,
        /// Threads sending at once.
        #[arg(long, default_value_t = 16)]
        senders: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Citizen apps against `citygrid serve`'s Open311 endpoint on loopback: POST requests and
    /// list them, many clients at once; every request written once.
    Open311 {
        /// Clients posting at once (threads).
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// Requests in all.
        #[arg(long, default_value_t = 5_000)]
        requests: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Many terminals at once against `citygrid serve` on loopback (a copy of `--db`): photo
    /// uploads, reports and task polls; throughput, p50/p99, nothing lost or doubled, the
    /// service's memory.
    Serve {
        /// Terminals working at once (threads, each signed in).
        #[arg(long, default_value_t = 200)]
        terminals: usize,
        /// Reports in all, each with a photo.
        #[arg(long, default_value_t = 10_000)]
        reports: usize,
        /// Size of each photo, bytes (about).
        #[arg(long, default_value_t = 200_000)]
        photo_bytes: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Many seats at once on a district on a server (`--db postgresql://OWNER…/DB`, a moved
    /// demo): each its own connection as its account's login, taking steps as fast as it can;
    /// commit p50/p99, steps a second, and the audit trail verified afterwards.
    Seats {
        /// How many seats (connections).
        #[arg(long, default_value_t = 50)]
        seats: usize,
        /// Steps each seat attempts.
        #[arg(long, default_value_t = 40)]
        steps: usize,
        /// The longest pause before each step, ms (a person reading the case); 0 saturates.
        #[arg(long, default_value_t = 4000)]
        think_ms: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(db: Option<PathBuf>, basemap: Option<PathBuf>, which: BenchCommand) -> Result<()> {
    let path = || super::database_path(db.clone());
    match which {
        BenchCommand::Map { json } => run_and_print(&bench::map::Map { path: path()? }, json),
        BenchCommand::Spatial { json } => run_and_print(&bench::spatial::Spatial { path: path()? }, json),
        BenchCommand::Cases { cases, json } => run_and_print(&bench::desk::Cases { path: path()?, cases }, json),
        BenchCommand::Assess { cases, real: true, seed_cases, json } => run_and_print(&bench::assess::Real { cases, seed_cases }, json),
        BenchCommand::Assess { cases, real: false, json, .. } => run_and_print(&bench::assess::Synthetic { cases }, json),
        BenchCommand::Soak { days, json } => {
            let basemap = basemap.or_else(citygrid::session::demo_basemap_path);
            run_and_print(&bench::soak::Soak { path: path()?, basemap, days }, json)
        }
        BenchCommand::Import { features, json } => run_and_print(&bench::import::Import { features }, json),
        BenchCommand::Serve { terminals, reports, photo_bytes, json } => {
            anyhow::ensure!(terminals > 0 && reports > 0, "bench serve: --terminals and --reports above 0");
            run_and_print(&bench::serve::Serve { path: path()?, terminals, reports, photo_bytes }, json)
        }
        BenchCommand::Exchange { cases, senders, json } => {
            anyhow::ensure!(cases > 0 && senders > 0, "bench exchange: --cases and --senders above 0");
            run_and_print(&bench::exchange::Exchange { path: path()?, cases, senders }, json)
        }
        BenchCommand::Open311 { clients, requests, json } => {
            anyhow::ensure!(clients > 0 && requests > 0, "bench open311: --clients and --requests above 0");
            run_and_print(&bench::open311::Open311 { path: path()?, clients, requests }, json)
        }
        BenchCommand::Load { json } => run_and_print(&bench::load::Load { path: path()? }, json),
        BenchCommand::Seats { seats, steps, think_ms, json } => {
            let url = path()?.to_string_lossy().into_owned();
            anyhow::ensure!(citygrid::store::pg::is_server_url(&url), "bench seats runs on a server: --db postgresql://…");
            run_and_print(&bench::seats::Seats { url, seats, steps, think: std::time::Duration::from_millis(think_ms) }, json)
        }
        BenchCommand::Fuzz { target, seconds, seed, crashes, json } => {
            let targets: Vec<&str> =
                if target == "all" { bench::fuzz::TARGETS.iter().map(|target| target.name).collect() } else { vec![target.as_str()] };
            let mut failed = 0;
            for name in targets {
                eprintln!("fuzzing {name} for {seconds} s");
                let report = bench::fuzz::fuzz(name, seconds, seed, &crashes)?;
                failed += report.panics.len() + report.slow.len();
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    print!("{}", report.text());
                }
            }
            anyhow::ensure!(failed == 0, "{failed} failing inputs, written to {}", crashes.display());
            Ok(())
        }
    }
}
