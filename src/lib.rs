//! citygrid: a desktop GIS command centre for digital city management (数字化城市管理).
//!
//! Modules are layered; `ARCHITECTURE.md` ("Layers") lists what each may use and
//! `tests/architecture.rs` holds the code to it. Bottom up:
//! - [`assets`], [`job`], [`calendar`]: embedded files, background jobs, working time.
//! - [`model`]: plain domain types and the interface language; no egui, no SQL.
//! - [`palette`]: every colour drawn.
//! - [`spatial`]: rstar indexes, point-in-jurisdiction look-up, nearest feature, topology.
//! - [`store`]: the SQLite/GeoPackage file: schema, migrations, queries.
//! - [`workflow`]: the case state machine: roles and permissions, deadlines, routing, audit trail.
//! - [`assess`]: assessment indicators, scores and rankings, and their CSV/XLSX/HTML output.
//! - [`desk`]: the dispatch desk's cases, filters and the worker thread that writes steps.
//! - [`io`]: import and export of GeoJSON, shapefiles, GeoPackage layers and CSV.
//! - [`map`]: map layers, the GPU scene built per chunk and level of detail, basemaps.
//! - [`demo`]: the embedded demo district.
//! - [`session`]: the world a seat shows, its selection, commands and settings.
//! - [`ui`]: one file per view; returns commands, never touches the store.
//! - [`app`]: eframe wiring: the frame, commands, worker replies, jobs, the wall.
//! - `bench` (feature `bench`): benchmarks that print their figures.
#![forbid(unsafe_code)]

pub mod app;
pub mod assess;
pub mod assets;
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
pub mod serve;
pub mod session;
pub mod spatial;
pub mod store;
pub mod text;
pub mod ui;
pub mod untrusted;
pub mod workflow;
