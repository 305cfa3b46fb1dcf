//! `citygrid seat-sim` (feature `dev-tools`): a simulated seat taking real workflow steps as
//! fast as it can, for the several-seats test. Not in the product binary.

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

/// On a server the seat connects as the account's own login, whose password is in
/// CITYGRID_AS_PASSWORD.
pub fn run(location: citygrid::session::Location, args: SeatSimArgs) -> Result<()> {
    let now = super::parse_as_of(&args.now)?;
    let location = super::server_account(location, Some(&args.login))?;
    let seat = citygrid::desk::sim::Seat {
        login: &args.login,
        steps: args.steps,
        seed: args.seed,
        now,
        deadline: Duration::from_secs(60),
        think: Duration::from_millis(5),
    };
    let report = citygrid::desk::sim::run_seat_at(&location, &seat)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
