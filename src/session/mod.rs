//! The seat's session, below the UI: the loaded [`World`], what is selected, the [`Command`]s a
//! frame asks for, the remembered [`Settings`] and where files go.
//!
//! `ui`, `app`, the wall, the benches and a future remote client all speak these types; nothing
//! here draws or knows about egui windows.

pub mod command;
pub mod parts;
pub mod paths;
pub mod search;
pub mod settings;
pub mod world;

pub use crate::store::Location;
pub use command::{Command, ExportRequest, ExportScope, Selection};
pub use parts::StoredParts;
pub use paths::{default_database_path, demo_basemap_path, export_dir, tile_cache_dir};
pub use search::{HitGroup, HitKind, SearchResults, SearchTarget};
pub use settings::{BasemapProblem, LayerVisibility, RECENT_OFFLINE_LIMIT, SETTINGS_KEY, Settings};
pub use world::{World, load_everything, load_from};
