//! `citygrid bench load`: open a database and load every part, jurisdiction and case into
//! memory, as a seat does at start: a file, or a district on a server (`--db postgresql://…`,
//! as the URL's login).

use std::path::PathBuf;
use std::time::Instant;

use super::Bench;

/// Figures of `bench load`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadBench {
    pub db: String,
    pub parts: usize,
    pub jurisdictions: usize,
    pub cases: usize,
    /// Reading the database.
    pub read_s: f64,
    /// Building the indexes and projections.
    pub index_s: f64,
    /// Everything, as a seat waits for it.
    pub load_s: f64,
    /// Occupied density cells (`part_cells`).
    pub cells: usize,
    /// Reading `part_cells` alone on a fresh connection: what the first picture of the whole
    /// district's parts needs once a seat no longer reads every part (issue 20).
    pub cells_read_s: f64,
    /// The zoom-12 density layer summed from the cells.
    pub density_from_cells_ms: f64,
    /// The same layer counted from every part in memory, as before `part_cells`.
    pub density_from_parts_ms: f64,
}

/// `bench load` on the database at `path`.
pub struct Load {
    pub path: PathBuf,
}

impl Bench for Load {
    type Figures = LoadBench;

    fn run(&self, _progress: &mut dyn FnMut(&str)) -> anyhow::Result<LoadBench> {
        let started = Instant::now();
        let location = crate::store::Location::parse(&self.path.to_string_lossy());
        let (world, cases) = crate::session::load_from(&location, crate::calendar::china_now())?;
        let load_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let cells = location.open()?.load_part_cells()?;
        let cells_read_s = started.elapsed().as_secs_f64();
        let filter = crate::map::scene_build::PartFilter::default();
        let started = Instant::now();
        let from_cells = crate::map::scene_build::build_part_density(&cells, 12, &filter);
        let density_from_cells_ms = started.elapsed().as_secs_f64() * 1e3;
        let parts = world.parts.read_all()?;
        let started = Instant::now();
        let from_parts =
            crate::map::scene_build::build_part_density(&crate::spatial::part_cells::PartCells::from_parts(&parts), 12, &filter);
        let density_from_parts_ms = started.elapsed().as_secs_f64() * 1e3;
        anyhow::ensure!(
            from_cells.1 == from_parts.1,
            "the density from the cells differs from the parts' ({} ≠ {})",
            from_cells.1,
            from_parts.1
        );
        Ok(LoadBench {
            db: location.display(),
            parts: world.parts.len(),
            jurisdictions: world.jurisdictions.len(),
            cases: cases.len(),
            read_s: world.read_time.as_secs_f64(),
            index_s: (world.load_time - world.read_time).as_secs_f64(),
            load_s,
            cells: cells.len(),
            cells_read_s,
            density_from_cells_ms,
            density_from_parts_ms,
        })
    }

    fn text(figures: &LoadBench) -> String {
        format!(
            "opened {} ({} parts, counted by cell; the parts stay in the store) and loaded {} jurisdictions and {} cases in {:.3} s (read {:.3} s, index {:.3} s)\n\
             part counts: {} cells read in {:.3} s; zoom-12 density from them {:.1} ms, from every part {:.1} ms\n",
            figures.db,
            figures.parts,
            figures.jurisdictions,
            figures.cases,
            figures.load_s,
            figures.read_s,
            figures.index_s,
            figures.cells,
            figures.cells_read_s,
            figures.density_from_cells_ms,
            figures.density_from_parts_ms
        )
    }
}
