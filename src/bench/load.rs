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
        Ok(LoadBench {
            db: location.display(),
            parts: world.parts.len(),
            jurisdictions: world.jurisdictions.len(),
            cases: cases.len(),
            read_s: world.read_time.as_secs_f64(),
            index_s: (world.load_time - world.read_time).as_secs_f64(),
            load_s,
        })
    }

    fn text(figures: &LoadBench) -> String {
        format!(
            "opened {} and loaded {} parts, {} jurisdictions, {} cases into memory in {:.3} s (read {:.3} s, index {:.3} s)\n",
            figures.db, figures.parts, figures.jurisdictions, figures.cases, figures.load_s, figures.read_s, figures.index_s
        )
    }
}
