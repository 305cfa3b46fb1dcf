//! `citygrid basemap build`: draws the schematic demo basemap (PMTiles) from a database.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BasemapCommand {
    /// Draw the schematic demo basemap (PMTiles) from a demo database's streets, green spaces and
    /// boundaries, plus the rivers shipped in assets.
    Build {
        /// PMTiles file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        /// Deepest zoom for the whole of 黄山市.
        #[arg(long, default_value_t = 12)]
        region_max_zoom: u8,
        /// Deepest zoom for the urban core (where the streets are).
        #[arg(long, default_value_t = 17)]
        core_max_zoom: u8,
    },
}

pub fn run(path: &Path, which: BasemapCommand) -> Result<()> {
    let BasemapCommand::Build { out, region_max_zoom, core_max_zoom } = which;
    let started = Instant::now();
    let (input, plan) = citygrid::demo::basemap_input(path, region_max_zoom, core_max_zoom)?;
    let summary = citygrid::map::basemap_build::build_basemap(&input, &plan, citygrid::assets::NOTO_SANS_SC, &out, &mut |_, _| {})
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {}: {} tiles, z{}–{} (core to z{}), {:.1} MB in {:.1} s",
        out.display(),
        summary.tiles,
        plan.min_zoom,
        plan.region_max_zoom,
        plan.core_max_zoom,
        summary.bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
