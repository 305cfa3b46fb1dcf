//! citygrid: a desktop GIS command centre for digital city management (数字化城市管理).
//!
//! Module map (dependencies point down the list, never up):
//! - [`bench`]: `citygrid bench map`, measuring the map view as the app draws it.
//! - [`app`]: eframe wiring: state, commands, background workers.
//! - [`ui`]: design tokens, fonts, translations and one file per view.
//! - [`map`]: map layers, the GPU scene built per chunk and level of detail, basemaps (styles
//!   come from `ui::design_tokens`, the one exception to the direction).
//! - [`demo`]: the embedded demo district.
//! - [`io`]: import of a district's own GeoJSON, shapefiles, GeoPackage layers and CSV.
//! - [`assess`]: assessment indicators per unit, class, region, post and period; scores and rankings.
//! - [`desk`]: the dispatch desk's cases, filters and the worker thread that writes steps.
//! - [`workflow`]: the case state machine: roles and permissions, deadlines, routing, audit trail.
//! - [`spatial`]: rstar indexes, point-in-jurisdiction look-up, nearest feature.
//! - [`store`]: the SQLite/GeoPackage file: schema, migrations, queries.
//! - [`calendar`]: working-time arithmetic, deadlines and warning lights.
//! - [`model`]: plain domain types; no egui, no SQL.
#![forbid(unsafe_code)]

pub mod app;
pub mod assets;
pub mod assess;
#[cfg(feature = "bench")]
pub mod bench;
pub mod calendar;
pub mod demo;
pub mod desk;
pub mod io;
pub mod job;
pub mod map;
pub mod model;
pub mod palette;
pub mod session;
pub mod spatial;
pub mod store;
pub mod ui;
pub mod workflow;
