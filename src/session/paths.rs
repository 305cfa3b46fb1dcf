//! Where a seat keeps its files: the database, the tile cache, exports, and where the shipped
//! demo basemap is found.

use std::path::{Path, PathBuf};

/// The shipped demo basemap, `basemaps/huizhou-demo.pmtiles`, looked for in the working
/// directory and beside the executable's ancestors (a checkout running `cargo run`).
#[must_use]
pub fn demo_basemap_path() -> Option<PathBuf> {
    const RELATIVE: &str = "basemaps/huizhou-demo.pmtiles";
    let from_cwd = std::env::current_dir().ok().map(|dir| dir.join(RELATIVE));
    let from_exe =
        std::env::current_exe().ok().and_then(|exe| exe.ancestors().skip(1).map(|dir| dir.join(RELATIVE)).find(|path| path.exists()));
    from_cwd.filter(|path| path.exists()).or(from_exe)
}

/// Where online basemaps cache their tiles: `tiles` in the platform cache directory, else in the
/// temporary directory.
#[must_use]
pub fn tile_cache_dir() -> PathBuf {
    directories::ProjectDirs::from("cn", "citygrid", "citygrid")
        .map_or_else(|| std::env::temp_dir().join("citygrid"), |dirs| dirs.cache_dir().to_owned())
        .join("tiles")
}

/// Where the database lives when `--db` is not given: the platform data directory.
#[must_use]
pub fn default_database_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("cn", "citygrid", "citygrid").map(|dirs| dirs.data_dir().join("citygrid.gpkg"))
}

/// Where exported records go: the documents folder, else the data folder, else the temporary
/// folder.
#[must_use]
pub fn export_dir() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|dirs| dirs.document_dir().map(Path::to_owned))
        .or_else(|| directories::ProjectDirs::from("cn", "citygrid", "citygrid").map(|dirs| dirs.data_dir().to_owned()))
        .unwrap_or_else(std::env::temp_dir)
}
