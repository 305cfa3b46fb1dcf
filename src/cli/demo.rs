//! `citygrid demo`: writes the demo district's database.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use citygrid::demo::{DemoOptions, write_demo};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where to write it; the file must not exist.
    #[arg(long)]
    out: PathBuf,
    /// Number of city parts.
    #[arg(long, default_value_t = 100_000)]
    parts: usize,
    /// Number of cases.
    #[arg(long, default_value_t = 300)]
    cases: usize,
    /// Random seed; the same seed and --as-of give the same database.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The demo's "now", China time, `YYYY-MM-DD HH:MM` (default: the current hour).
    #[arg(long)]
    as_of: Option<String>,
}

pub fn run(args: DemoArgs) -> Result<()> {
    let DemoArgs { out, parts, cases, seed, as_of } = args;
    let mut options = DemoOptions::standard();
    options.parts = parts;
    options.cases = cases;
    options.seed = seed;
    if let Some(text) = as_of {
        options.as_of = super::parse_as_of(&text)?;
    }
    let mut last_stage = None;
    let summary = write_demo(&out, &options, &mut |progress| {
        if last_stage != Some(progress.stage) {
            eprintln!("{:>3.0}%  {}", progress.fraction * 100.0, progress.stage.label(false));
            last_stage = Some(progress.stage);
        }
    })
    .with_context(|| format!("writing the demo database {}", out.display()))?;
    println!(
        "wrote {}: {} parts, {} cases, {} townships, {} communities, {} grid cells, {} unit zones, {} street segments in {:.1} s",
        out.display(),
        summary.parts,
        summary.cases,
        summary.townships,
        summary.communities,
        summary.grid_cells,
        summary.unit_zones,
        summary.streets,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}
