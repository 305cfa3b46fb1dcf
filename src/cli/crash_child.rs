//! `citygrid crash-child` (feature `dev-tools`): the child process of the crash test. It writes
//! to a database and prints what it committed, one line each, until the test kills it with
//! SIGKILL at a random moment. Not in the product binary.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Mode {
    /// Workflow steps as every account in turn: prints `committed CASE_ID REVISION` each.
    Steps,
    /// One import of `--file` (parts) by the administrator: prints `imported N` when committed.
    Import,
    /// Opening a file of an older schema, which migrates it: prints `migrated VERSION`.
    Migrate,
}

#[derive(clap::Args)]
pub struct CrashChildArgs {
    #[arg(long, value_enum)]
    mode: Mode,
    /// The file to import (mode import).
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The time the steps are taken at, `YYYY-MM-DD HH:MM`.
    #[arg(long, default_value = "2026-11-25 10:00")]
    now: String,
}

pub fn run(db: &Path, args: CrashChildArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match args.mode {
        Mode::Steps => {
            let now = super::parse_as_of(&args.now)?;
            let mut failed = None;
            citygrid::desk::sim::run_until_killed(db, args.seed, now, &mut |case| {
                if let Err(error) = writeln!(out, "committed {} {}", case.id, case.revision).and_then(|()| out.flush()) {
                    failed = Some(error);
                }
            })?;
            if let Some(error) = failed {
                return Err(error.into());
            }
        }
        Mode::Import => {
            use citygrid::io::{self, OnIssue, Policy, SourceOptions, Target};
            let file = args.file.context("--file is needed to import")?;
            let mut store = citygrid::store::Store::open(db)?;
            let admin = store.user_by_login("admin")?.context("no administrator named admin")?;
            let inspection = io::inspect(&file, &SourceOptions::default())?;
            let layer = inspection.layers.first().context("no layer")?;
            let profile = io::auto_profile(Target::Parts, &layer.fields);
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let report = io::commit(&mut store, &admin, &file, &profile, &Policy::all(OnIssue::Stop), &mut |_| {}, &cancel)?;
            writeln!(out, "imported {}", report.accepted)?;
        }
        Mode::Migrate => {
            let store = citygrid::store::Store::open(db)?;
            writeln!(out, "migrated {}", store.schema_version()?)?;
        }
    }
    Ok(())
}
