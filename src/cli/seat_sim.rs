//! `citygrid seat-sim` (feature `dev-tools`): a simulated seat taking real workflow steps as
//! fast as it can, for the several-seats test. Not in the product binary.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

#[derive(clap::Args)]
pub struct SeatSimArgs {
    #[arg(long)]
    login: String,
    #[arg(long, default_value_t = 50)]
    steps: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The time the steps are taken at, `YYYY-MM-DD HH:MM`.
    #[arg(long)]
    now: String,
}

pub fn run(db: &Path, args: SeatSimArgs) -> Result<()> {
    let now = super::parse_as_of(&args.now)?;
    let report = citygrid::desk::sim::run_seat(db, &args.login, args.steps, args.seed, now, Duration::from_secs(60))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
