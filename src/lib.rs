//! citygrid: a desktop GIS command centre for digital city management (数字化城市管理).
//!
//! Module map (dependencies point down the list, never up):
//! - [`app`]: eframe wiring: state, commands, background workers.
//! - [`ui`]: design tokens, fonts, translations and one file per view.
//! - [`map`]: map layers, styles and the walkers plugin that draws them.
//! - [`demo`]: the embedded demo district.
//! - [`spatial`]: rstar indexes, point-in-jurisdiction look-up, nearest feature.
//! - [`store`]: the SQLite/GeoPackage file: schema, migrations, queries.
//! - [`calendar`]: working-time arithmetic, deadlines and warning lights.
//! - [`model`]: plain domain types; no egui, no SQL.
#![forbid(unsafe_code)]

pub mod app;
pub mod bench;
pub mod calendar;
pub mod demo;
pub mod map;
pub mod model;
pub mod spatial;
pub mod store;
pub mod ui;
