//! eframe wiring: the app state, the background loader, commands from the UI applied in one
//! place, and the offscreen screenshot used by tests and by `citygrid screenshot`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use chrono::NaiveDateTime;
use walkers::MapMemory;

use crate::calendar::{WorkCalendar, WorkScheme};
use crate::demo::{DemoOptions, DemoProgress, write_demo};
use crate::desk::CaseBook;
use crate::desk::worker::{DeskReply, DeskRequest, DeskWorker};
use crate::map::ProjectedFeature;
use crate::map::basemap::{Basemap, OFFLINE_WORKERS, ONLINE_WORKERS};
use crate::map::basemap_choice::BasemapChoice;
use crate::map::scene::{MapScene, SceneData};
use crate::map::scene_build::PartChunks;
use crate::map::tile_sources::TileSource;
use crate::model::{CommandManual, ItemKind, Jurisdiction, JurisdictionKind, Part, Unit, UnitId};
use crate::spatial::{JurisdictionIndex, PointIndex};
use crate::store::{Store, StreetRecord};
use crate::ui::{self, Lang};
use crate::workflow::{Action, NewCase, RoutingData, Workflow, WorkflowError};
use std::sync::Arc;

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

/// Everything the app shows, loaded and indexed off the UI thread.
pub struct World {
    pub path: PathBuf,
    pub district_code: String,
    pub district_name: String,
    pub units: Vec<Unit>,
    unit_positions: HashMap<UnitId, usize>,
    pub manual: CommandManual,
    pub calendar: WorkCalendar,
    /// The rules, for the buttons a user is offered (the worker applies them on its own copy).
    pub workflow: Workflow,
    /// Cases closer than this to a boundary between two responsibility areas are flagged
    /// "near boundary" (the database's `near_boundary_m` setting, 30 m by default).
    pub near_boundary_m: f64,
    pub jurisdictions: Vec<Jurisdiction>,
    pub parts: Vec<Part>,
    /// Parts bucketed into map chunks, anchors projected.
    pub part_chunks: PartChunks,
    pub streets: Vec<StreetRecord>,
    pub jurisdiction_index: JurisdictionIndex,
    pub part_index: PointIndex,
    /// The newest audit-trail entry when the cases were read: the desk worker reports every
    /// change after it.
    pub since_event_id: i64,
    /// Jurisdiction outlines per kind, projected once.
    pub outlines: HashMap<JurisdictionKind, Vec<ProjectedFeature>>,
    pub street_lines: Vec<ProjectedFeature>,
    /// Count of parts per geometry kind: points, lines, polygons.
    pub part_counts: [usize; 3],
    /// Count of parts per four-digit class code, sorted by code.
    pub class_counts: std::collections::BTreeMap<String, usize>,
    /// How long reading the database took.
    pub read_time: Duration,
    /// How long reading and indexing took together.
    pub load_time: Duration,
}

impl World {
    /// A unit by id.
    #[must_use]
    pub fn unit(&self, id: UnitId) -> Option<&Unit> {
        self.unit_positions.get(&id).map(|position| &self.units[*position])
    }

    /// Name of a unit in the chosen language, or a dash.
    #[must_use]
    pub fn unit_name(&self, id: Option<UnitId>, lang: Lang) -> String {
        id.and_then(|id| self.unit(id)).map_or_else(|| "—".to_owned(), |unit| unit.name(lang.is_chinese()).to_owned())
    }

    /// The nearest boundary between two responsibility areas (unit zone, community, township)
    /// within [`Self::near_boundary_m`] of a point, by the boundaries valid on `date`.
    #[must_use]
    pub fn near_boundary(&self, point: geo::Point<f64>, date: chrono::NaiveDate) -> Option<crate::spatial::NearBoundary> {
        [JurisdictionKind::UnitZone, JurisdictionKind::Community, JurisdictionKind::Township]
            .into_iter()
            .filter_map(|kind| {
                self.jurisdiction_index.near_boundaries(&self.jurisdictions, kind, point, date, self.near_boundary_m).into_iter().next()
            })
            .min_by(|a, b| a.metres.total_cmp(&b.metres))
    }

    /// "Near the A | B boundary, 12.3 m" for a flagged spot.
    #[must_use]
    pub fn near_boundary_text(&self, near: &crate::spatial::NearBoundary, lang: Lang) -> String {
        let (a, b) = (&self.jurisdictions[near.inside].name, &self.jurisdictions[near.neighbour].name);
        match lang {
            Lang::Zh => format!("近边界：距 {a}｜{b} 边界 {:.1} 米", near.metres),
            Lang::En => format!("Near a boundary: {:.1} m from {a} | {b}", near.metres),
        }
    }

    /// What routing reads, for the dispatch dialog's suggestion.
    #[must_use]
    pub fn routing_data<'a>(&'a self, precedents: &'a [crate::model::Precedent]) -> RoutingData<'a> {
        RoutingData {
            manual: &self.manual,
            units: &self.units,
            jurisdictions: &self.jurisdictions,
            index: &self.jurisdiction_index,
            parts: &self.parts,
            precedents,
        }
    }

    /// Name of a command-manual class in the chosen language.
    #[must_use]
    pub fn class_name(&self, kind: ItemKind, code: &str, lang: Lang) -> String {
        self.manual.entry(kind, code).map_or_else(|| code.to_owned(), |entry| entry.name(lang.is_chinese()).to_owned())
    }

    /// What a search box entry names: a 16-digit part code, a case number, a grid, community,
    /// township or district code, or (part of) an area's name.
    #[must_use]
    pub fn find(&self, text: &str, cases: &CaseBook) -> Option<Selection> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Ok(code) = crate::model::PartCode::parse(text) {
            return self.parts.iter().position(|part| part.code == code).map(Selection::Part);
        }
        if let Some(index) = cases.position_of_no(text) {
            return Some(Selection::Case(index));
        }
        if let Some(index) = self.jurisdictions.iter().position(|jurisdiction| jurisdiction.code == text) {
            return Some(Selection::Jurisdiction(index));
        }
        // Names: the smallest kind first, so 岩寺 finds the township before a grid cell label.
        let mut by_name: Vec<usize> =
            (0..self.jurisdictions.len()).filter(|index| self.jurisdictions[*index].name.contains(text)).collect();
        by_name.sort_by_key(|index| (self.jurisdictions[*index].kind, self.jurisdictions[*index].name.len()));
        by_name.first().copied().map(Selection::Jurisdiction)
    }

    /// Jurisdictions containing a lon/lat point, smallest kind first.
    #[must_use]
    pub fn jurisdictions_at(&self, lon: f64, lat: f64) -> Vec<usize> {
        let mut found = self.jurisdiction_index.containing(&self.jurisdictions, geo::Point::new(lon, lat));
        found.sort_by_key(|index| std::cmp::Reverse(self.jurisdictions[*index].kind));
        found
    }
}

/// Opens a database and loads and indexes everything the app shows: the map's world and the
/// cases, measured against their deadlines at `now`.
///
/// # Errors
/// The file cannot be opened (see [`crate::store::StoreError`]) or has bad rows.
pub fn load_everything(path: &Path, now: NaiveDateTime) -> Result<(World, CaseBook)> {
    let started = Instant::now();
    // Store errors name the file themselves.
    let store = Store::open(path)?;
    let units = store.load_units()?;
    let manual = store.load_manual()?;
    let calendar = WorkCalendar::new(store.load_holidays()?, WorkScheme::office_hours());
    let jurisdictions = store.load_jurisdictions()?;
    let parts = store.load_parts()?;
    // Read before the cases: a change between the two is then reported again, never missed.
    let since_event_id = store.last_case_event_id()?;
    let cases = store.load_cases()?;
    let precedents = store.load_precedents()?;
    let streets = store.load_streets()?;
    let district_code = store.meta("district_code")?.unwrap_or_default();
    let district_name = store.meta("district_name")?.unwrap_or_default();
    let near_boundary_m = store
        .meta("near_boundary_m")?
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|metres| metres.is_finite() && *metres > 0.0)
        .unwrap_or(crate::spatial::NEAR_BOUNDARY_M);
    drop(store);
    let read_time = started.elapsed();
    let (part_index, (jurisdiction_index, outlines, part_chunks)) = std::thread::scope(|scope| {
        let parts_job =
            std::thread::Builder::new().name("citygrid-index-parts".into()).spawn_scoped(scope, || PointIndex::of_parts(&parts));
        let others = (JurisdictionIndex::new(&jurisdictions), project_outlines(&jurisdictions), PartChunks::new(&parts));
        let part_index = match parts_job {
            Ok(job) => job.join().unwrap_or_else(|_| PointIndex::of_parts(&[])),
            Err(_) => PointIndex::of_parts(&parts),
        };
        (part_index, others)
    });
    let mut part_counts = [0; 3];
    let mut class_counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut counts_by_number: HashMap<(u8, u8), usize> = HashMap::new();
    for part in &parts {
        *counts_by_number.entry((part.code.major(), part.code.minor())).or_default() += 1;
        part_counts[match part.geometry {
            crate::model::PartGeometry::Point(_) => 0,
            crate::model::PartGeometry::Line(_) => 1,
            crate::model::PartGeometry::Polygon(_) => 2,
        }] += 1;
    }
    for ((major, minor), count) in counts_by_number {
        class_counts.insert(format!("{major:02}{minor:02}"), count);
    }
    let street_lines = streets.iter().enumerate().map(|(index, street)| ProjectedFeature::from_line(&street.line, index)).collect();
    let unit_positions = units.iter().enumerate().map(|(position, unit)| (unit.id, position)).collect();
    let mut book = CaseBook::new(cases, &calendar, now);
    book.set_precedents(precedents);
    let workflow = Workflow::new(manual.clone(), calendar.clone(), units.clone());
    let world = World {
        path: path.to_owned(),
        district_code,
        district_name,
        units,
        unit_positions,
        manual,
        calendar,
        workflow,
        near_boundary_m,
        jurisdictions,
        parts,
        part_chunks,
        streets,
        since_event_id,
        jurisdiction_index,
        part_index,
        outlines,
        street_lines,
        part_counts,
        class_counts,
        read_time,
        load_time: started.elapsed(),
    };
    Ok((world, book))
}

fn project_outlines(jurisdictions: &[Jurisdiction]) -> HashMap<JurisdictionKind, Vec<ProjectedFeature>> {
    let mut outlines: HashMap<JurisdictionKind, Vec<ProjectedFeature>> = HashMap::new();
    for (index, jurisdiction) in jurisdictions.iter().enumerate() {
        outlines.entry(jurisdiction.kind).or_default().push(ProjectedFeature::from_multipolygon(&jurisdiction.geometry, index));
    }
    outlines
}

impl SceneData for World {
    fn parts(&self) -> &[Part] {
        &self.parts
    }

    fn part_chunks(&self) -> &PartChunks {
        &self.part_chunks
    }

    fn outlines(&self, kind: JurisdictionKind) -> &[ProjectedFeature] {
        self.outlines.get(&kind).map_or(&[], Vec::as_slice)
    }

    fn outline_stroke(&self, kind: JurisdictionKind, source: usize) -> egui::Stroke {
        let managed = kind != JurisdictionKind::District || self.jurisdictions.get(source).is_some_and(|j| j.code == self.district_code);
        ui::design_tokens::jurisdiction_stroke(kind, managed)
    }

    fn street_lines(&self) -> &[ProjectedFeature] {
        &self.street_lines
    }

    fn street_style(&self, source: usize) -> (egui::Stroke, f32) {
        use ui::design_tokens as tokens;
        if self.streets.get(source).is_some_and(|street| street.class == "main") {
            (tokens::STREET_MAIN, tokens::MAIN_ROAD_WIDTH_M)
        } else {
            (tokens::STREET_MINOR, tokens::MINOR_ROAD_WIDTH_M)
        }
    }
}

/// Messages from the loader thread.
enum LoaderMessage {
    Demo(DemoProgress),
    Opening,
    Loaded(Box<(World, CaseBook)>),
    Failed(String),
}

/// Starts loading `path` on a worker thread; creates the demo database first when the file
/// does not exist yet.
fn spawn_loader(path: PathBuf, ctx: egui::Context) -> Receiver<LoaderMessage> {
    let (sender, receiver) = sync_channel(64);
    let spawned = std::thread::Builder::new().name("citygrid-loader".into()).spawn(move || {
        let send = |message| {
            // The UI may have gone away; nothing to do then.
            let _ = sender.send(message);
            ctx.request_repaint();
        };
        if !path.exists() {
            let mut last_sent = Instant::now();
            let result = write_demo(&path, &DemoOptions::standard(), &mut |progress| {
                if last_sent.elapsed() > Duration::from_millis(50) || progress.fraction >= 1.0 {
                    last_sent = Instant::now();
                    send(LoaderMessage::Demo(progress));
                }
            });
            if let Err(error) = result {
                send(LoaderMessage::Failed(format!("{error:#}")));
                return;
            }
        }
        send(LoaderMessage::Opening);
        match load_everything(&path, crate::calendar::china_now()) {
            Ok(loaded) => send(LoaderMessage::Loaded(Box::new(loaded))),
            Err(error) => send(LoaderMessage::Failed(format!("{error:#}"))),
        }
    });
    if let Err(error) = spawned {
        tracing::error!("cannot start the loader thread: {error}");
    }
    receiver
}

/// An offline choice with its path made absolute: a relative path is taken from the working
/// directory now, not whenever the remembered choice is reopened. (No disk access.)
fn absolute_choice(choice: BasemapChoice) -> BasemapChoice {
    match choice {
        BasemapChoice::Offline { path } => BasemapChoice::Offline { path: std::path::absolute(&path).unwrap_or(path) },
        other => other,
    }
}

/// The answer of a basemap opener thread: the source, or why it did not open.
type OpenedBasemap = Result<Arc<dyn TileSource>, String>;

/// Opens `choice` on a short-lived thread (a file's header is read, an HTTP client set up; no
/// tile is fetched) and hands the result back through the returned channel.
fn spawn_basemap_opener(choice: BasemapChoice, tianditu_key: String, cache_dir: PathBuf, ctx: egui::Context) -> Receiver<OpenedBasemap> {
    let (sender, receiver) = sync_channel(1);
    let spawned = std::thread::Builder::new().name("citygrid-basemap-open".into()).spawn(move || {
        let opened = choice.open(Some(&tianditu_key), &cache_dir).map_err(|error| error.to_string());
        // The app may have asked for another basemap meanwhile; this one is dropped then.
        let _ = sender.send(opened);
        ctx.request_repaint();
    });
    if let Err(error) = spawned {
        // The sender went down with the closure: the receiver reports the thread as gone.
        tracing::error!("cannot start the basemap opener thread: {error}");
    }
    receiver
}

/// What the user chose to show; remembered between runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LayerVisibility {
    pub districts: bool,
    pub townships: bool,
    pub communities: bool,
    pub grid: bool,
    pub unit_zones: bool,
    pub streets: bool,
    pub parts: bool,
    pub cases: bool,
    pub basemap: bool,
    /// Part classes (four-digit codes) switched off in the layer tree.
    pub hidden_part_classes: std::collections::BTreeSet<String>,
}

impl Default for LayerVisibility {
    fn default() -> Self {
        Self {
            districts: true,
            townships: true,
            communities: true,
            grid: true,
            unit_zones: false,
            streets: true,
            parts: true,
            cases: true,
            basemap: true,
            hidden_part_classes: std::collections::BTreeSet::new(),
        }
    }
}

impl LayerVisibility {
    /// Whether a jurisdiction layer is shown.
    #[must_use]
    pub fn shows(&self, kind: JurisdictionKind) -> bool {
        match kind {
            JurisdictionKind::District => self.districts,
            JurisdictionKind::Township => self.townships,
            JurisdictionKind::Community => self.communities,
            JurisdictionKind::GridCell => self.grid,
            JurisdictionKind::UnitZone => self.unit_zones,
        }
    }

    /// Whether parts of a class (`major`, `minor`) are drawn.
    #[must_use]
    pub fn shows_part_class(&self, major: u8, minor: u8) -> bool {
        if !self.parts {
            return false;
        }
        if self.hidden_part_classes.is_empty() {
            return true;
        }
        // Called for every visible part each frame: build the code on the stack.
        let digits = [b'0' + major / 10 % 10, b'0' + major % 10, b'0' + minor / 10 % 10, b'0' + minor % 10];
        std::str::from_utf8(&digits).is_ok_and(|code| !self.hidden_part_classes.contains(code))
    }

    /// Switch for a jurisdiction layer.
    pub fn switch_mut(&mut self, kind: JurisdictionKind) -> &mut bool {
        match kind {
            JurisdictionKind::District => &mut self.districts,
            JurisdictionKind::Township => &mut self.townships,
            JurisdictionKind::Community => &mut self.communities,
            JurisdictionKind::GridCell => &mut self.grid,
            JurisdictionKind::UnitZone => &mut self.unit_zones,
        }
    }
}

/// How many offline basemaps the basemap list remembers besides the shipped demo.
pub const RECENT_OFFLINE_LIMIT: usize = 5;

/// Persisted settings.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    pub layers: LayerVisibility,
    /// The offline basemap file last opened (MBTiles, PMTiles or a z/x/y folder), while the
    /// remembered basemap is an offline one. This is all that versions before the basemap
    /// switcher stored; it is kept in step with `basemap_choice`, so each version reads the
    /// other's settings. Unreadable values are dropped, not the whole settings.
    #[serde(deserialize_with = "lenient")]
    pub basemap: Option<PathBuf>,
    /// The basemap last opened, offline or online. Remembered only once it has opened.
    #[serde(deserialize_with = "lenient")]
    pub basemap_choice: Option<BasemapChoice>,
    /// The Tianditu key (tk, a 服务端 / server key), shared by both Tianditu maps.
    pub tianditu_key: String,
    /// Offline basemaps that opened, most recent first, at most [`RECENT_OFFLINE_LIMIT`]; the
    /// shipped demo basemap is listed on its own and not here.
    #[serde(deserialize_with = "lenient")]
    pub recent_offline: Vec<PathBuf>,
}

impl Settings {
    /// The remembered basemap: the choice, or for settings written before the switcher, the
    /// offline file.
    #[must_use]
    pub fn remembered_basemap(&self) -> Option<BasemapChoice> {
        self.basemap_choice.clone().or_else(|| self.basemap.clone().map(|path| BasemapChoice::Offline { path }))
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: say only whether there is one.
        formatter
            .debug_struct("Settings")
            .field("lang", &self.lang)
            .field("layers", &self.layers)
            .field("basemap", &self.basemap)
            .field("basemap_choice", &self.basemap_choice)
            .field("tianditu_key", &if self.tianditu_key.is_empty() { "" } else { "<set>" })
            .field("recent_offline", &self.recent_offline)
            .finish()
    }
}

/// A settings field that does not read (written by another version, or damaged) takes its
/// default instead of throwing away every other setting.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Lenient<T> {
        Valid(T),
        Invalid(serde::de::IgnoredAny),
    }
    Ok(match <Lenient<T> as serde::Deserialize>::deserialize(deserializer)? {
        Lenient::Valid(value) => value,
        Lenient::Invalid(_) => T::default(),
    })
}

/// Why the basemap asked for last did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasemapProblem {
    /// A Tianditu map was chosen and no key has been entered.
    MissingTiandituKey,
    /// Opening failed; the message names the file or the server.
    Failed(String),
}

impl BasemapProblem {
    /// The problem in English (the panel shows it translated).
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::MissingTiandituKey => "天地图 Tianditu: enter a Tianditu key (a 服务端 / server key) to use the Tianditu basemap",
            Self::Failed(message) => message,
        }
    }
}

/// The basemap on the map, with the choice it was opened from.
struct ActiveBasemap {
    choice: BasemapChoice,
    tiles: Basemap,
}

/// A basemap being opened on its opener thread.
struct OpeningBasemap {
    choice: BasemapChoice,
    receiver: Receiver<OpenedBasemap>,
}

/// What is selected on the map or in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Part(usize),
    Case(usize),
    Jurisdiction(usize),
}

/// A change requested by the UI, applied in [`CitygridApp::apply`].
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    SetLang(Lang),
    SetLayers(LayerVisibility),
    Select(Option<Selection>),
    ZoomIn,
    ZoomOut,
    /// Find a part code, grid code, case number, area code or area name, select it and zoom there.
    Search(String),
    /// Centre the map on a WGS84 point at a zoom level.
    CenterAt {
        lon: f64,
        lat: f64,
        zoom: f64,
    },
    ZoomToDistrict,
    ZoomToSelection,
    /// Open this basemap in the background; it replaces the one on the map once it has opened
    /// (and is remembered then). If it fails, the old one stays and the panel says why.
    SetBasemap(BasemapChoice),
    /// Store the Tianditu key; a Tianditu map waiting for a key, or on the map, reopens with it.
    SetTiandituKey(String),
    SignIn {
        login: String,
        password: String,
    },
    SignOut,
    /// Take a step on a case, made on the copy at `revision`.
    Act {
        case_id: i64,
        revision: u32,
        action: Action,
    },
    /// Read the history of a case (for the details panel).
    LoadTimeline {
        case_id: i64,
        revision: u32,
    },
    /// Open the new-case form and wait for a click on the map.
    StartNewCase,
    /// Place the new case being filled in at a clicked spot.
    PlaceNewCase {
        lon: f64,
        lat: f64,
    },
    /// Send a new case.
    Report(Box<NewCase>),
    /// Open the backlog ledger window (and read it).
    OpenLedger,
    /// Read the disputes again.
    LoadDisputes,
    /// One step of a responsibility dispute.
    DisputeStep(Box<crate::desk::worker::DisputeCommand>),
    /// Compute the assessment of a period (on the desk worker).
    Assess(crate::assess::Period),
    /// Show every case of a unit in the case list (drill-down from the assessment).
    ShowUnitCases(UnitId),
    /// Open the export window for this content and extent.
    OpenExport {
        what: crate::io::export::ExportWhat,
        scope: ui::export_dialog::ExportScope,
    },
    /// Write an export file on a thread.
    StartExport(Box<ui::export_dialog::ExportRequest>),
    /// Stop the running export; nothing is left under its file name.
    CancelExport,
    /// Open the import window.
    OpenImport,
    /// Read the database again in the background (after an import wrote to it).
    ReloadWorld,
    /// Read, check or import the file chosen in the import window (on a thread).
    ImportStep(ui::import_dialog::ImportStep),
    /// Show the cases behind one figure of the assessment in the case list (drill-down).
    AssessCases {
        scope: crate::assess::Scope,
        period: crate::assess::Period,
        measure: crate::assess::Measure,
        /// What the list is, shown in the case list's filter.
        label: String,
    },
    /// Store the composite score's weights for every seat, then rank again.
    SaveWeights(crate::assess::Weights),
    /// Write the assessment shown to the export folder (CSV, XLSX or the HTML notice), on a
    /// background thread.
    ExportAssessment(ui::assessment::ReportFormat),
    /// Check a jurisdiction layer for gaps and overlaps (on a thread), list and draw them.
    CheckTopology(JurisdictionKind),
    /// Save the window as it is now (the case on the map, its facts and the committee's
    /// decision in the panel) as a PNG for the minutes.
    ExportDecision {
        dispute_id: i64,
        case_no: String,
    },
}

/// Writes an export on its own thread (creating the folder first) and leaves the outcome in
/// `slot` for the next frame's message.
fn spawn_export(
    slot: &Arc<std::sync::Mutex<Option<Result<PathBuf, String>>>>,
    ctx: &egui::Context,
    path: PathBuf,
    write: impl FnOnce(&Path) -> Result<(), String> + Send + 'static,
) {
    let (slot, ctx) = (Arc::clone(slot), ctx.clone());
    let spawned = std::thread::Builder::new().name("citygrid-export".into()).spawn(move || {
        let result = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
            .map_err(|error| error.to_string())
            .and_then(|()| write(&path))
            .map(|()| path.clone())
            .map_err(|error| format!("{}: {error}", path.display()));
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(result);
        }
        ctx.request_repaint();
    });
    if let Err(error) = spawned {
        tracing::error!("cannot start the export thread: {error}");
    }
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

enum Phase {
    Loading { demo: Option<DemoProgress>, opening: bool },
    Ready(Arc<World>),
    Failed(String),
}

/// The application.
pub struct CitygridApp {
    settings: Settings,
    phase: Phase,
    pub(crate) map_memory: MapMemory,
    pub(crate) selection: Option<Selection>,
    /// Fixed clock for screenshots and tests; `None` follows China time.
    clock_override: Option<NaiveDateTime>,
    /// The search box: what is typed and what the last search found.
    search: ui::top_bar::SearchState,
    /// The basemap on the map.
    basemap: Option<ActiveBasemap>,
    /// The basemap being opened; it replaces `basemap` once open.
    basemap_opening: Option<OpeningBasemap>,
    /// The basemap asked for last that is not on the map: still opening, refused, or waiting
    /// for a Tianditu key.
    basemap_target: Option<BasemapChoice>,
    /// Why `basemap_target` did not open.
    basemap_problem: Option<BasemapProblem>,
    /// The shipped demo basemap, when found; listed first in the basemap menu.
    demo_basemap: Option<PathBuf>,
    /// Where online basemaps cache their tiles.
    tile_cache_dir: PathBuf,
    /// What is typed in the basemap section of the layer panel.
    basemap_panel: ui::layers::BasemapPanelState,
    /// Messages from the loader thread until it finishes.
    loader: Option<Receiver<LoaderMessage>>,
    ctx: egui::Context,
    /// Whether walkers' GPU renderer is installed (egui on wgpu).
    gpu: bool,
    /// The GPU-drawn layers of the loaded world.
    scene: Option<MapScene>,
    /// The cases as this seat knows them.
    book: CaseBook,
    /// The dispatch desk's state: who is signed in, the list's filters, the open dialog.
    pub(crate) desk: ui::desk::DeskState,
    /// The thread that reads and writes the database for the desk.
    worker: Option<DeskWorker>,
    /// Video-wall mode: read-only, no sign-in, full screen.
    wall: Option<WallState>,
    /// What the last export wrote (or why it failed), set by the saving thread.
    export_result: Arc<std::sync::Mutex<Option<Result<PathBuf, String>>>>,
    /// Where exports go (tests point it at a temporary folder).
    pub export_dir: PathBuf,
    /// The topology check asked for last: the layer, and the report once the thread is done.
    topology: Option<TopologyCheck>,
    /// The data export window and the export running from it.
    pub(crate) export: ui::export_dialog::ExportDialog,
    /// The data import window and the step running from it.
    pub(crate) import: ui::import_dialog::ImportDialog,
}

/// A topology check running or done.
struct TopologyCheck {
    kind: JurisdictionKind,
    running: Option<Receiver<crate::spatial::topology::TopologyReport>>,
    report: Option<crate::spatial::topology::TopologyReport>,
    window_open: bool,
}

/// How often the wall moves to its next focus area.
pub const WALL_CYCLE: Duration = Duration::from_secs(60);

/// The wall's own state between frames.
#[derive(Debug)]
struct WallState {
    /// Move through focus areas (the district, each township, the hot spot) every [`WALL_CYCLE`].
    cycle: bool,
    /// When (on the app's clock) the wall last moved: an accelerated clock cycles it too.
    last_move: Option<NaiveDateTime>,
    next_focus: usize,
    /// The first view (all open cases in sight) has been set.
    fitted: bool,
}

/// The zoom at which a lon/lat box fills a map of `size` points, less a margin.
fn zoom_to_fit(min: [f64; 2], max: [f64; 2], size: egui::Vec2) -> f64 {
    let a = crate::map::mercator_from_lonlat(min[0], min[1]);
    let b = crate::map::mercator_from_lonlat(max[0], max[1]);
    let (dx, dy) = ((a[0] - b[0]).abs().max(1e-9), (a[1] - b[1]).abs().max(1e-9));
    let fit = (f64::from(size.x) / (dx * 256.0)).min(f64::from(size.y) / (dy * 256.0));
    (fit.log2() - 0.4).clamp(10.0, 17.0)
}

/// Without the GPU scene, at most this many parts go through egui's painter per frame.
const PAINTER_PART_LIMIT: usize = 40_000;

/// Key of the persisted [`Settings`] in eframe's storage.
pub const SETTINGS_KEY: &str = "citygrid.settings";

impl CitygridApp {
    /// Creates the app and starts loading `db_path` (and opening the basemap: the offline file
    /// `basemap`, else the one used last time) in the background. With no basemap given or
    /// remembered, `use_demo_basemap` opens the shipped demo basemap.
    #[must_use]
    pub fn new(cc: &eframe::CreationContext<'_>, db_path: PathBuf, basemap: Option<PathBuf>, use_demo_basemap: bool) -> Self {
        ui::fonts::install_fonts(&cc.egui_ctx);
        // Photos of cases and disputes are shown from their files.
        egui_extras::install_image_loaders(&cc.egui_ctx);
        // The city-scale layers are drawn by walkers' renderer on wgpu; under another renderer
        // the map falls back to egui's painter.
        let gpu = cc.wgpu_render_state.is_some();
        if gpu {
            walkers::install_renderer(cc.wgpu_render_state.as_ref());
        }
        let settings: Settings = cc.storage.and_then(|storage| eframe::get_value(storage, SETTINGS_KEY)).unwrap_or_default();
        let demo_basemap = demo_basemap_path().map(|path| std::path::absolute(&path).unwrap_or(path));
        // Remembered only once it has opened: a broken file must not stick.
        let requested_basemap = basemap
            .map(|path| BasemapChoice::Offline { path })
            .or_else(|| settings.remembered_basemap())
            .or_else(|| if use_demo_basemap { demo_basemap.clone().map(|path| BasemapChoice::Offline { path }) } else { None });
        let receiver = spawn_loader(db_path, cc.egui_ctx.clone());
        let mut map_memory = MapMemory::default();
        let _ = map_memory.set_zoom(11.0);
        let mut basemap_panel = ui::layers::BasemapPanelState { tianditu_key: settings.tianditu_key.clone(), ..Default::default() };
        if let Some(BasemapChoice::Custom { template, attribution }) = &settings.basemap_choice {
            basemap_panel.custom_template.clone_from(template);
            basemap_panel.custom_attribution.clone_from(attribution);
        }
        let mut app = Self {
            settings,
            phase: Phase::Loading { demo: None, opening: false },
            map_memory,
            selection: None,
            clock_override: None,
            search: ui::top_bar::SearchState::default(),
            basemap: None,
            basemap_opening: None,
            basemap_target: None,
            basemap_problem: None,
            demo_basemap,
            tile_cache_dir: tile_cache_dir(),
            basemap_panel,
            loader: Some(receiver),
            ctx: cc.egui_ctx.clone(),
            gpu,
            scene: None,
            book: CaseBook::empty(),
            desk: ui::desk::DeskState::new(),
            worker: None,
            wall: None,
            export_result: Arc::default(),
            export_dir: export_dir(),
            topology: None,
            export: ui::export_dialog::ExportDialog::default(),
            import: ui::import_dialog::ImportDialog::default(),
        };
        // Opens alongside the database; it is drawn once the world is there.
        if let Some(choice) = requested_basemap {
            app.open_basemap(choice);
        }
        app
    }

    /// Sets the language regardless of saved settings (command line, tests).
    pub fn set_lang(&mut self, lang: Lang) {
        self.settings.lang = lang;
    }

    /// Turns the video-wall mode on: read-only, no sign-in, the whole district on a large map
    /// with today's figures; `cycle` moves through focus areas every minute.
    pub fn set_wall(&mut self, cycle: bool) {
        self.wall = Some(WallState { cycle, last_move: None, next_focus: 0, fitted: false });
    }

    /// Whether the app runs as the video wall.
    #[must_use]
    pub fn is_wall(&self) -> bool {
        self.wall.is_some()
    }

    /// Where the wall looks next: the district, each of its townships, then the grid cell with
    /// the most open cases (the hot spot).
    fn wall_focus(&self, index: usize) -> Option<(f64, f64, f64)> {
        let Phase::Ready(world) = &self.phase else { return None };
        let centre_of = |geometry: &geo::MultiPolygon<f64>| geo::BoundingRect::bounding_rect(geometry).map(|rect| rect.center());
        let mut focus: Vec<(f64, f64, f64)> = Vec::new();
        if let Some(district) = world.jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.code == world.district_code)
            && let Some(centre) = centre_of(&district.geometry)
        {
            focus.push((centre.x, centre.y, 11.0));
        }
        for township in world.jurisdictions.iter().filter(|j| j.kind == JurisdictionKind::Township) {
            if let Some(centre) = centre_of(&township.geometry) {
                focus.push((centre.x, centre.y, 13.0));
            }
        }
        let mut open_by_cell: HashMap<u64, (usize, f64, f64)> = HashMap::new();
        for case in self.book.cases().iter().filter(|case| case.state.is_open()) {
            if let Some(cell) = case.grid_code {
                let entry = open_by_cell.entry(cell).or_insert((0, case.location.x(), case.location.y()));
                entry.0 += 1;
            }
        }
        if let Some((_, (_, lon, lat))) = open_by_cell.into_iter().max_by_key(|(cell, (count, _, _))| (*count, std::cmp::Reverse(*cell))) {
            focus.push((lon, lat, 16.0));
        }
        (!focus.is_empty()).then(|| focus[index % focus.len()])
    }

    fn wall_ui(&mut self, ui: &mut egui::Ui, world: &Arc<World>, now: NaiveDateTime) {
        let lang = self.settings.lang;
        // Laid out for 1080 lines and scaled with the display.
        let ctx = ui.ctx().clone();
        let pixels = ctx.content_rect().size() * ctx.pixels_per_point();
        let native = ctx.native_pixels_per_point().unwrap_or(1.0);
        let zoom = ui::wall::wall_zoom(pixels) / native;
        if (ctx.zoom_factor() - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(zoom);
        }
        ctx.set_visuals(egui::Visuals::dark());
        // First view: every open case in sight.
        if let Some(map) = ui::map_view::last_map_rect(&ctx)
            && self.wall.as_ref().is_some_and(|wall| !wall.fitted)
        {
            let open: Vec<[f64; 2]> =
                self.book.cases().iter().filter(|case| case.state.is_open()).map(|case| [case.location.x(), case.location.y()]).collect();
            if !open.is_empty() {
                let min = open.iter().fold([f64::MAX, f64::MAX], |min, p| [min[0].min(p[0]), min[1].min(p[1])]);
                let max = open.iter().fold([f64::MIN, f64::MIN], |max, p| [max[0].max(p[0]), max[1].max(p[1])]);
                let zoom = zoom_to_fit(min, max, map.size());
                self.apply(Command::CenterAt { lon: (min[0] + max[0]) / 2.0, lat: (min[1] + max[1]) / 2.0, zoom });
            }
            if let Some(wall) = &mut self.wall {
                wall.fitted = true;
            }
        }
        if let Some(wall) = &mut self.wall
            && wall.cycle
            && wall.last_move.get_or_insert(now).and_utc() + WALL_CYCLE <= now.and_utc()
        {
            wall.last_move = Some(now);
            wall.next_focus += 1;
            let index = wall.next_focus;
            if let Some((lon, lat, zoom)) = self.wall_focus(index) {
                self.apply(Command::CenterAt { lon, lat, zoom });
            }
        }
        ui::wall::wall_panels_ui(ui, world, &self.book, lang, now, self.desk.unavailable_since);
        let layers = LayerVisibility { parts: false, grid: false, communities: true, ..LayerVisibility::default() };
        let (tiles, basemap_attribution): (Option<&mut dyn walkers::Tiles>, Option<String>) = match &mut self.basemap {
            Some(ActiveBasemap { tiles, .. }) => {
                let attribution = tiles.info().attribution.clone();
                (Some(tiles), Some(attribution))
            }
            None => (None, None),
        };
        let view = ui::map_view::MapView {
            world,
            cases: &self.book,
            placing: false,
            dispute: None,
            topology: None,
            layers: &layers,
            selection: None,
            lang,
            now,
            basemap_attribution: basemap_attribution.as_deref(),
            painter_part_limit: PAINTER_PART_LIMIT,
            painter_parts_min_zoom: ui::map_view::PART_MIN_ZOOM,
        };
        // The wall is not clicked; whatever the map reports is dropped.
        let _ = view.show(ui, &mut self.map_memory, tiles, self.scene.as_mut());
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    }

    /// Starts writing an export on its own thread: the world is shared, the chosen cases are
    /// copied with their deadline status as the desk shows them now.
    fn start_export(&mut self, request: ui::export_dialog::ExportRequest) {
        use crate::io::export::{CsvHeader, ExportWhat, Names, Selection, Sources, export, layers_for};
        let Phase::Ready(world) = &self.phase else { return };
        let world = Arc::clone(world);
        let lang = self.settings.lang;
        let now = self.now();
        let positions: Vec<usize> = if !matches!(request.what, ExportWhat::Cases | ExportWhat::All) {
            Vec::new()
        } else if request.scope == ui::export_dialog::ExportScope::CaseList {
            self.desk.rows(&world, &self.book, lang, now).to_vec()
        } else {
            // A unit operator exports only its own unit's cases, as its list shows.
            let own_unit = self.desk.user.as_ref().filter(|user| user.role == crate::model::Role::UnitOperator).map(|user| user.unit);
            (0..self.book.len())
                .filter(|position| own_unit.is_none_or(|unit| self.book.get(*position).is_some_and(|case| case.unit == unit)))
                .collect()
        };
        let cases: Vec<(crate::model::Case, crate::workflow::DeadlineStatus)> = positions
            .into_iter()
            .filter_map(|position| Some((self.book.get(position)?.clone(), self.book.status(position)?.clone())))
            .collect();
        let within = (request.scope == ui::export_dialog::ExportScope::MapView)
            .then(|| ui::map_view::last_visible_lonlat(&self.ctx))
            .flatten()
            .map(|(min, max)| geo::Rect::new((min[0], min[1]), (max[0], max[1])));
        let run = ui::export_dialog::ExportRun::new();
        let (progress, cancel, result) = (Arc::clone(&run.progress), Arc::clone(&run.cancel), Arc::clone(&run.result));
        let ctx = self.ctx.clone();
        self.export.outcome = None;
        let spawned = std::thread::Builder::new().name("citygrid-export-data".into()).spawn(move || {
            let names = Names::new(&world.units, &world.manual);
            let sources = Sources {
                parts: &world.parts,
                jurisdictions: &world.jurisdictions,
                cases: cases.iter().map(|(case, status)| (case, status)).collect(),
            };
            let selection = Selection { within, jurisdiction_kind: request.jurisdiction_kind, ..Selection::default() };
            let outcome = crate::io::export::ExportFormat::from_path(&request.path)
                .map(|format| layers_for(sources, request.what, &selection, format, &names))
                .and_then(|layers| {
                    let header = if request.chinese_header { CsvHeader::ChineseTitles } else { CsvHeader::Names };
                    if let Some(parent) = request.path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                        std::fs::create_dir_all(parent)
                            .map_err(|source| crate::io::export::ExportError::Io { path: parent.to_owned(), source })?;
                    }
                    export(&request.path, layers, header, &mut |now| {
                        if let Ok(mut shared) = progress.lock() {
                            *shared = now;
                        }
                        ctx.request_repaint();
                        !cancel.load(std::sync::atomic::Ordering::Relaxed)
                    })
                })
                .map_err(|error| error.to_string());
            if let Ok(mut slot) = result.lock() {
                *slot = Some(outcome);
            }
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => self.export.running = Some(run),
            Err(error) => self.export.outcome = Some(Err(format!("cannot start the export thread: {error}"))),
        }
    }

    /// The case list's rows under its current filter and sort (positions in the book).
    pub fn case_list_rows(&mut self) -> Vec<usize> {
        let Phase::Ready(world) = &self.phase else { return Vec::new() };
        let now = self.now();
        self.desk.rows(world, &self.book, self.settings.lang, now).to_vec()
    }

    /// Reads the database again in the background (after an import); the map shown stays until
    /// the new one is ready, and the seat stays signed in.
    fn reload_world(&mut self) {
        if let Phase::Ready(world) = &self.phase
            && self.loader.is_none()
        {
            self.loader = Some(spawn_loader(world.path.clone(), self.ctx.clone()));
        }
    }

    /// The import window (tests read its reports).
    #[must_use]
    pub fn import_dialog(&self) -> &ui::import_dialog::ImportDialog {
        &self.import
    }

    /// The export window (tests read its file name and outcome).
    #[must_use]
    pub fn export_dialog(&self) -> &ui::export_dialog::ExportDialog {
        &self.export
    }

    /// Freezes the clock (screenshots, tests).
    pub fn set_clock(&mut self, now: NaiveDateTime) {
        self.clock_override = Some(now);
    }

    /// The loaded world, once ready.
    #[must_use]
    pub fn world(&self) -> Option<&World> {
        match &self.phase {
            Phase::Ready(world) => Some(world),
            _ => None,
        }
    }

    /// The failure message, if loading failed.
    #[must_use]
    pub fn failure(&self) -> Option<&str> {
        match &self.phase {
            Phase::Failed(message) => Some(message),
            _ => None,
        }
    }

    /// The basemap's state: the one on the map; else why the last one asked for did not open;
    /// `None` while none is configured or the first is still opening.
    #[must_use]
    pub fn basemap(&self) -> Option<Result<&Basemap, &str>> {
        match (&self.basemap, &self.basemap_problem) {
            (Some(active), _) => Some(Ok(&active.tiles)),
            (None, Some(problem)) => Some(Err(problem.message())),
            (None, None) => None,
        }
    }

    /// The choice the basemap on the map was opened from.
    #[must_use]
    pub fn basemap_choice(&self) -> Option<&BasemapChoice> {
        self.basemap.as_ref().map(|active| &active.choice)
    }

    /// Why the basemap asked for last did not open (the map keeps the previous one).
    #[must_use]
    pub fn basemap_problem(&self) -> Option<&BasemapProblem> {
        self.basemap_problem.as_ref()
    }

    /// Whether a basemap is being opened.
    #[must_use]
    pub fn is_opening_basemap(&self) -> bool {
        self.basemap_opening.is_some()
    }

    /// Waits until the basemap being opened, if any, has opened or failed.
    pub fn wait_for_basemap(&mut self, timeout: Duration) {
        let started = Instant::now();
        while self.basemap_opening.is_some() && started.elapsed() < timeout {
            self.poll_basemap();
            std::thread::sleep(Duration::from_millis(10));
        }
        self.poll_basemap();
    }

    /// Starts opening `choice` in the background, replacing any opening still under way. A
    /// Tianditu choice with no key is refused at once.
    fn open_basemap(&mut self, choice: BasemapChoice) {
        let choice = absolute_choice(choice);
        self.basemap_target = Some(choice.clone());
        if choice.needs_tianditu_key() && self.settings.tianditu_key.trim().is_empty() {
            self.basemap_opening = None;
            self.basemap_problem = Some(BasemapProblem::MissingTiandituKey);
            return;
        }
        self.basemap_problem = None;
        let receiver =
            spawn_basemap_opener(choice.clone(), self.settings.tianditu_key.clone(), self.tile_cache_dir.clone(), self.ctx.clone());
        self.basemap_opening = Some(OpeningBasemap { choice, receiver });
    }

    /// Takes the opener's answer, if it has come: an opened basemap replaces the old one (whose
    /// workers then stop) and is remembered; a failure leaves the old one on the map.
    fn poll_basemap(&mut self) {
        let Some(opening) = &self.basemap_opening else { return };
        let opened = match opening.receiver.try_recv() {
            Ok(opened) => opened,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the basemap could not be opened: its opener thread stopped".to_owned()),
        };
        let Some(OpeningBasemap { choice, .. }) = self.basemap_opening.take() else { return };
        match opened {
            Ok(source) => {
                let workers = if choice.is_online() { ONLINE_WORKERS } else { OFFLINE_WORKERS };
                let tiles = Basemap::with_workers(source, self.ctx.clone(), workers);
                self.basemap = Some(ActiveBasemap { choice: choice.clone(), tiles });
                self.basemap_target = None;
                self.basemap_problem = None;
                self.basemap_panel.basemap_opened();
                self.remember_basemap(choice);
            }
            Err(message) => {
                tracing::warn!("basemap: {message}");
                self.basemap_problem = Some(BasemapProblem::Failed(message));
            }
        }
    }

    /// Remembers a basemap that has opened, and an offline one among the recent files.
    fn remember_basemap(&mut self, choice: BasemapChoice) {
        self.settings.basemap = match &choice {
            BasemapChoice::Offline { path } => Some(path.clone()),
            _ => None,
        };
        if let BasemapChoice::Offline { path } = &choice
            && self.demo_basemap.as_ref() != Some(path)
        {
            let recent = &mut self.settings.recent_offline;
            recent.retain(|known| known != path);
            recent.insert(0, path.clone());
            recent.truncate(RECENT_OFFLINE_LIMIT);
        }
        self.settings.basemap_choice = Some(choice);
    }

    /// The GPU-drawn map layers, once the world has loaded on a wgpu renderer.
    #[must_use]
    pub fn scene(&self) -> Option<&MapScene> {
        self.scene.as_ref()
    }

    /// What is selected.
    #[must_use]
    pub fn selection(&self) -> Option<Selection> {
        self.selection
    }

    /// Current settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn now(&self) -> NaiveDateTime {
        self.clock_override.unwrap_or_else(crate::calendar::china_now)
    }

    fn poll_loader(&mut self) {
        let Some(receiver) = &self.loader else { return };
        let mut messages = Vec::new();
        let mut disconnected = false;
        loop {
            match receiver.try_recv() {
                Ok(message) => messages.push(message),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        for message in messages {
            match (message, &mut self.phase) {
                (LoaderMessage::Demo(progress), Phase::Loading { demo, .. }) => *demo = Some(progress),
                (LoaderMessage::Opening, Phase::Loading { opening, .. }) => *opening = true,
                (LoaderMessage::Loaded(loaded), _) => {
                    // A reload (after an import) keeps the seat: its worker, its sign-in, the view.
                    let reload = matches!(self.phase, Phase::Ready(_));
                    let (world, mut book) = *loaded;
                    let world: Arc<World> = Arc::new(world);
                    book.succeed(&self.book);
                    self.book = book;
                    if self.worker.is_none() {
                        let ctx = self.ctx.clone();
                        match DeskWorker::start(world.path.clone(), world.since_event_id, move || ctx.request_repaint()) {
                            Ok(worker) => self.worker = Some(worker),
                            Err(error) => self.desk.unavailable = Some(format!("cannot start the desk worker: {error}")),
                        }
                    }
                    if self.gpu {
                        self.scene = Some(MapScene::new(Arc::clone(&world) as Arc<dyn SceneData>, self.ctx.clone()));
                    }
                    self.phase = Phase::Ready(world);
                    if reload {
                        self.selection = None;
                    } else {
                        self.apply(Command::ZoomToDistrict);
                    }
                }
                (LoaderMessage::Failed(message), _) => self.phase = Phase::Failed(message),
                _ => {}
            }
        }
        if disconnected {
            self.loader = None;
            if matches!(self.phase, Phase::Loading { .. }) {
                self.phase = Phase::Failed("the loader stopped unexpectedly".into());
            }
        }
    }

    /// The cases as this seat knows them.
    #[must_use]
    pub fn cases(&self) -> &CaseBook {
        &self.book
    }

    /// The user signed in at this seat.
    #[must_use]
    pub fn user(&self) -> Option<&crate::model::User> {
        self.desk.user.as_ref()
    }

    /// The desk's state (tests).
    #[must_use]
    pub fn desk(&self) -> &ui::desk::DeskState {
        &self.desk
    }

    /// Signs in and waits for the answer (tests, screenshots). The UI sends the same request
    /// from the sign-in form without waiting.
    ///
    /// # Errors
    /// Wrong credentials, an unloaded database, or no answer within `timeout`.
    pub fn sign_in_blocking(&mut self, login: &str, password: &str, timeout: Duration) -> Result<()> {
        self.apply(Command::SignIn { login: login.to_owned(), password: password.to_owned() });
        let started = Instant::now();
        while self.desk.sign_in.busy && started.elapsed() < timeout {
            if let Some(reply) = self.worker.as_ref().and_then(|worker| worker.wait_reply(Duration::from_millis(50))) {
                self.handle_reply(reply);
            }
        }
        match (&self.desk.user, &self.desk.sign_in.error) {
            (Some(_), _) => Ok(()),
            (None, Some(error)) => bail!("{error}"),
            (None, None) => bail!("no answer to the sign-in within {} s", timeout.as_secs()),
        }
    }

    /// Waits until the step or report sent last is answered (tests).
    pub fn wait_for_desk(&mut self, timeout: Duration) {
        let started = Instant::now();
        while self.desk.pending.is_some() && started.elapsed() < timeout {
            if let Some(reply) = self.worker.as_ref().and_then(|worker| worker.wait_reply(Duration::from_millis(50))) {
                self.handle_reply(reply);
            }
        }
    }

    /// The topology check's report, when its thread is done.
    #[must_use]
    pub fn topology_report(&self) -> Option<&crate::spatial::topology::TopologyReport> {
        self.topology.as_ref().and_then(|check| check.report.as_ref())
    }

    fn poll_topology(&mut self) {
        if let Some(check) = &mut self.topology
            && let Some(receiver) = &check.running
        {
            match receiver.try_recv() {
                Ok(report) => {
                    check.report = Some(report);
                    check.running = None;
                }
                Err(TryRecvError::Disconnected) => check.running = None,
                Err(TryRecvError::Empty) => {}
            }
        }
    }

    fn poll_desk(&mut self) {
        let exported = self.export_result.lock().ok().and_then(|mut slot| slot.take());
        if let Some(result) = exported {
            let lang = self.settings.lang;
            self.desk.notice = Some(match result {
                Ok(path) => {
                    ui::desk::Notice { text: format!("{}{}", lang.pick("已导出：", "Exported: "), path.display()), error: false }
                }
                Err(error) => ui::desk::Notice { text: format!("{}{error}", lang.pick("导出失败：", "Export failed: ")), error: true },
            });
        }
        let replies = self.worker.as_ref().map(DeskWorker::replies).unwrap_or_default();
        for reply in replies {
            self.handle_reply(reply);
        }
        // The lights follow the clock: running clocks are measured again every 20 s.
        let now = self.now();
        if let Phase::Ready(world) = &self.phase
            && (now - self.book.measured_at()).num_seconds().abs() >= 20
        {
            self.book.remeasure(&world.calendar, now);
        }
    }

    fn handle_reply(&mut self, reply: DeskReply) {
        let lang = self.settings.lang;
        let Phase::Ready(world) = &self.phase else { return };
        let world = Arc::clone(world);
        match reply {
            DeskReply::SignedIn(result) => {
                self.desk.sign_in.busy = false;
                match result {
                    Ok(user) => {
                        self.desk.sign_in = ui::desk::SignInForm::default();
                        self.desk.notice = None;
                        self.desk.user = Some(user);
                        self.send_to_worker(DeskRequest::Disputes, None, None);
                    }
                    Err(error) => self.desk.sign_in.error = Some(error.message(lang.is_chinese())),
                }
            }
            DeskReply::Applied { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match result {
                    Ok(case) => {
                        let text = format!("{} {}", case.case_no, lang.pick("已办理", "updated"));
                        let position = self.book.upsert(case, &world.calendar);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.desk.timeline = None;
                        self.selection = Some(Selection::Case(position));
                        if self.desk.ledger.is_some() {
                            self.send_to_worker(DeskRequest::Ledger, None, None);
                        }
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::Reported { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match result {
                    Ok(reported) => {
                        let mut text = format!("{} {}", lang.pick("已上报案卷", "Reported case"), reported.case.case_no);
                        if !reported.possible_duplicates.is_empty() {
                            let numbers: Vec<&str> = reported.possible_duplicates.iter().map(|d| d.case_no.as_str()).collect();
                            text.push_str(&format!(
                                "{}{}",
                                lang.pick("；可能与以下案卷重复：", "; possibly the same as: "),
                                numbers.join(", ")
                            ));
                        }
                        let position = self.book.upsert(reported.case, &world.calendar);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.selection = Some(Selection::Case(position));
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::Timeline { case_id, result } => {
                let revision = self.book.position_of(case_id).and_then(|position| self.book.get(position)).map_or(0, |case| case.revision);
                self.desk.timeline = Some((case_id, revision, result.map_err(|error| error.to_string())));
            }
            DeskReply::Changed(cases) => {
                // Any change may move a case into or out of the ledger, or be a dispute step.
                let backlog_touched = !cases.is_empty();
                if !cases.is_empty() && self.desk.user.is_some() {
                    self.send_to_worker(DeskRequest::Disputes, None, None);
                    if self.desk.assessment.open {
                        let period = self.desk.assessment.choice.period(self.now().date());
                        let options = self.desk.assessment.options();
                        self.send_to_worker(DeskRequest::Assess { period, options }, None, None);
                    }
                }
                for case in cases {
                    self.book.upsert(case, &world.calendar);
                }
                if backlog_touched && self.desk.ledger.is_some() {
                    self.send_to_worker(DeskRequest::Ledger, None, None);
                }
            }
            DeskReply::Ledger(result) => {
                if self.desk.ledger.is_some() {
                    self.desk.ledger = Some(Some(result.map_err(|error| error.to_string())));
                }
            }
            DeskReply::Precedents(precedents) => self.book.set_precedents(precedents),
            DeskReply::Assessed(result) => {
                self.desk.assessment.busy = false;
                self.desk.assessment.report = Some((*result).map_err(|error| error.to_string()));
            }
            DeskReply::WeightsSaved(result) => {
                let lang = self.settings.lang;
                match result {
                    Ok(_) => {
                        self.desk.assessment.weights_error = None;
                        self.desk.notice =
                            Some(ui::desk::Notice { text: lang.pick("权重已保存", "Weights saved").to_owned(), error: false });
                        let period = self
                            .desk
                            .assessment
                            .report
                            .as_ref()
                            .and_then(|report| report.as_ref().ok())
                            .map_or_else(|| self.desk.assessment.choice.period(self.now().date()), |report| report.period);
                        self.apply(Command::Assess(period));
                    }
                    Err(error) => self.desk.assessment.weights_error = Some(error),
                }
            }
            DeskReply::AssessedCases(result) => match result {
                Ok(drill) => {
                    self.desk.filter = crate::desk::CaseFilter {
                        scope: crate::desk::Scope::All,
                        cases: Some(crate::desk::CaseIdFilter::new(drill.label, drill.case_ids)),
                        ..crate::desk::CaseFilter::default()
                    };
                    self.desk.list_open = true;
                }
                Err(error) => self.desk.notice = Some(ui::desk::Notice { text: error.to_string(), error: true }),
            },
            DeskReply::Disputes(result) => match result {
                Ok(records) => self.desk.disputes = records,
                Err(error) => self.desk.notice = Some(ui::desk::Notice { text: error.to_string(), error: true }),
            },
            DeskReply::DisputeDone { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match *result {
                    Ok(outcome) => {
                        let text = format!(
                            "{} #{} · {}",
                            lang.pick("争议", "Dispute"),
                            outcome.record.dispute.id,
                            ui::i18n::Labelled::label(outcome.record.dispute.state, lang)
                        );
                        if let Some(precedent) = outcome.record.precedent.clone() {
                            let mut precedents = self.book.precedents().to_vec();
                            precedents.retain(|known| known.id != precedent.id);
                            precedents.push(precedent);
                            self.book.set_precedents(precedents);
                        }
                        let position = self.book.upsert(outcome.case, &world.calendar);
                        self.desk.disputes.retain(|record| record.dispute.id != outcome.record.dispute.id);
                        self.desk.disputes.push(outcome.record);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.desk.timeline = None;
                        self.selection = Some(Selection::Case(position));
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::Unavailable(message) => {
                self.desk.unavailable = Some(message);
                if self.desk.unavailable_since.is_none() {
                    self.desk.unavailable_since = Some(self.now());
                }
            }
            DeskReply::Available => {
                self.desk.unavailable = None;
                self.desk.unavailable_since = None;
            }
        }
    }

    /// Shows why a step was refused; a stale copy is brought up to date by the next poll.
    fn refused(&mut self, error: &WorkflowError) {
        let text = error.message(self.settings.lang.is_chinese());
        self.desk.notice = Some(ui::desk::Notice { text, error: true });
    }

    fn send_to_worker(&mut self, request: DeskRequest, what: Option<String>, ticket: Option<u64>) {
        let sent = self.worker.as_ref().is_some_and(|worker| worker.send(request));
        if !sent {
            let lang = self.settings.lang;
            self.desk.sign_in.busy = false;
            self.desk.notice = Some(ui::desk::Notice {
                text: lang.pick("数据库连接已停止，请重新启动程序。", "The database link stopped; restart the app.").to_owned(),
                error: true,
            });
            return;
        }
        if let (Some(what), Some(ticket)) = (what, ticket) {
            self.desk.pending = Some((ticket, what));
        }
    }

    /// Applies a command from the UI.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::SignIn { login, password } => {
                self.desk.sign_in.busy = true;
                self.desk.sign_in.error = None;
                self.send_to_worker(DeskRequest::SignIn { login, password }, None, None);
            }
            Command::SignOut => {
                self.desk.user = None;
                self.desk.dialog = None;
                self.desk.new_case = None;
                self.desk.notice = None;
            }
            Command::Act { case_id, revision, action } => {
                let Some(actor) = self.desk.user.clone() else { return };
                let Some(ticket) = self.worker.as_mut().map(DeskWorker::ticket) else { return };
                let what = action.kind().label(self.settings.lang.is_chinese()).to_owned();
                let now = self.now();
                self.send_to_worker(DeskRequest::Apply { ticket, actor, case_id, revision, action, now }, Some(what), Some(ticket));
            }
            Command::LoadTimeline { case_id, revision } => {
                // Asked for once per case and revision.
                if self.desk.timeline_requested != Some((case_id, revision)) {
                    self.desk.timeline_requested = Some((case_id, revision));
                    self.send_to_worker(DeskRequest::Timeline { case_id }, None, None);
                }
            }
            Command::OpenExport { what, scope } => self.export.open_for(what, scope, &self.export_dir),
            Command::StartExport(request) => self.start_export(*request),
            Command::CancelExport => ui::export_dialog::cancel(&self.export),
            Command::OpenImport => self.import.open(),
            Command::ReloadWorld => self.reload_world(),
            Command::ImportStep(step) => {
                if let Phase::Ready(world) = &self.phase {
                    let path = world.path.clone();
                    self.import.start(step, &path, &self.ctx);
                }
            }
            Command::CheckTopology(kind) => {
                let Phase::Ready(world) = &self.phase else { return };
                let world = Arc::clone(world);
                let today = self.now().date();
                let (sender, receiver) = sync_channel(1);
                let ctx = self.ctx.clone();
                let spawned = std::thread::Builder::new().name("citygrid-topology".into()).spawn(move || {
                    let _ = sender.send(ui::topology::check(&world, kind, today));
                    ctx.request_repaint();
                });
                if spawned.is_ok() {
                    self.topology = Some(TopologyCheck { kind, running: Some(receiver), report: None, window_open: true });
                }
            }
            Command::Assess(period) => {
                self.desk.assessment.busy = true;
                let options = self.desk.assessment.options();
                self.send_to_worker(DeskRequest::Assess { period, options }, None, None);
            }
            Command::AssessCases { scope, period, measure, label } => {
                self.send_to_worker(DeskRequest::AssessCases { scope, period, measure, label }, None, None);
            }
            Command::SaveWeights(weights) => {
                if let Some(actor) = self.desk.user.clone() {
                    self.send_to_worker(DeskRequest::SaveWeights { actor, weights }, None, None);
                }
            }
            Command::ShowUnitCases(unit) => {
                self.desk.filter =
                    crate::desk::CaseFilter { scope: crate::desk::Scope::All, unit: Some(unit), ..crate::desk::CaseFilter::default() };
                self.desk.list_open = true;
            }
            Command::ExportAssessment(format) => {
                let lang = self.settings.lang;
                if let (Phase::Ready(world), Some(Ok(report))) = (&self.phase, &self.desk.assessment.report) {
                    let path = self.export_dir.join(ui::assessment::export_file_name(report, format));
                    let (world, report, made_at) = (Arc::clone(world), report.clone(), self.now());
                    spawn_export(&self.export_result, &self.ctx, path, move |path| {
                        ui::assessment::write_report(&world, &report, format, lang, made_at, path).map_err(|error| error.to_string())
                    });
                }
            }
            Command::LoadDisputes => self.send_to_worker(DeskRequest::Disputes, None, None),
            Command::ExportDecision { dispute_id, case_no } => {
                let path = self.export_dir.join(format!("裁定记录-争议{dispute_id}-{case_no}.png"));
                let (slot, ctx) = (Arc::clone(&self.export_result), self.ctx.clone());
                // The picture is the next frame; encoding and writing happen off the UI thread.
                self.ctx.request_screenshot(move |image| {
                    spawn_export(&slot, &ctx, path, move |path| {
                        let [width, height] = image.size;
                        let rgba: Vec<u8> = image.pixels.iter().flat_map(|pixel| pixel.to_array()).collect();
                        image::RgbaImage::from_raw(u32::try_from(width).unwrap_or(0), u32::try_from(height).unwrap_or(0), rgba)
                            .ok_or_else(|| "the screenshot has no pixels".to_owned())?
                            .save(path)
                            .map_err(|error| error.to_string())
                    });
                });
                self.ctx.request_repaint();
            }
            Command::DisputeStep(step) => {
                let Some(actor) = self.desk.user.clone() else { return };
                let Some(ticket) = self.worker.as_mut().map(DeskWorker::ticket) else { return };
                let what = self.settings.lang.pick("责任争议", "Dispute").to_owned();
                let now = self.now();
                self.send_to_worker(DeskRequest::Dispute { ticket, actor, step: *step, now }, Some(what), Some(ticket));
            }
            Command::OpenLedger => {
                self.desk.ledger = Some(None);
                self.send_to_worker(DeskRequest::Ledger, None, None);
            }
            Command::StartNewCase => {
                self.desk.new_case = Some(ui::new_case::NewCaseForm::default());
            }
            Command::PlaceNewCase { lon, lat } => {
                if let (Some(form), Phase::Ready(world)) = (self.desk.new_case.as_mut(), &self.phase) {
                    form.place(world, lon, lat);
                }
            }
            Command::Report(new_case) => {
                let Some(actor) = self.desk.user.clone() else { return };
                let Some(ticket) = self.worker.as_mut().map(DeskWorker::ticket) else { return };
                let what = self.settings.lang.pick("上报新案卷", "New case").to_owned();
                let now = self.now();
                self.send_to_worker(DeskRequest::Report { ticket, actor, new_case: *new_case, now }, Some(what), Some(ticket));
            }
            Command::SetLang(lang) => self.settings.lang = lang,
            Command::SetLayers(layers) => self.settings.layers = layers,
            Command::Select(selection) => {
                if let Some(Selection::Case(position)) = selection {
                    self.desk.reveal = Some(position);
                }
                self.selection = selection;
            }
            Command::Search(text) => {
                let found = self.world().and_then(|world| world.find(&text, &self.book));
                self.search.found = Some(found.is_some());
                if let Some(selection) = found {
                    self.selection = Some(selection);
                    self.apply(Command::ZoomToSelection);
                }
            }
            Command::ZoomIn => {
                let _ = self.map_memory.zoom_in();
            }
            Command::ZoomOut => {
                let _ = self.map_memory.zoom_out();
            }
            Command::CenterAt { lon, lat, zoom } => {
                self.map_memory.center_at(walkers::lon_lat(lon, lat));
                let _ = self.map_memory.set_zoom(zoom.clamp(2.0, 21.0));
            }
            Command::ZoomToDistrict => {
                if let Some(world) = self.world()
                    && let Some(district) =
                        world.jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.code == world.district_code)
                {
                    let target = geo::BoundingRect::bounding_rect(&district.geometry);
                    if let Some(rect) = target {
                        self.map_memory.center_at(walkers::lon_lat(rect.center().x, rect.center().y));
                        let _ = self.map_memory.set_zoom(11.0);
                    }
                }
            }
            Command::ZoomToSelection => {
                let target = match (self.selection, self.world()) {
                    (Some(Selection::Part(index)), Some(world)) => Some((crate::spatial::anchor_of(&world.parts[index]), 18.0)),
                    (Some(Selection::Case(index)), Some(_)) => self.book.get(index).map(|case| (case.location, 17.0)),
                    (Some(Selection::Jurisdiction(index)), Some(world)) => {
                        let jurisdiction = &world.jurisdictions[index];
                        let zoom = match jurisdiction.kind {
                            JurisdictionKind::District => 11.0,
                            JurisdictionKind::Township => 12.5,
                            JurisdictionKind::Community | JurisdictionKind::UnitZone => 14.0,
                            JurisdictionKind::GridCell => 17.0,
                        };
                        geo::BoundingRect::bounding_rect(&jurisdiction.geometry).map(|rect| (geo::Point(rect.center()), zoom))
                    }
                    _ => None,
                };
                if let Some((point, zoom)) = target {
                    self.map_memory.center_at(walkers::lon_lat(point.x(), point.y()));
                    let _ = self.map_memory.set_zoom(zoom);
                }
            }
            Command::SetBasemap(choice) => {
                if self.basemap_choice() == Some(&absolute_choice(choice.clone())) {
                    // Already on the map: drop whatever was asked for since.
                    self.basemap_opening = None;
                    self.basemap_target = None;
                    self.basemap_problem = None;
                } else {
                    self.open_basemap(choice);
                }
            }
            Command::SetTiandituKey(key) => {
                self.settings.tianditu_key = key.trim().to_owned();
                self.basemap_panel.tianditu_key.clone_from(&self.settings.tianditu_key);
                // A Tianditu map waiting for a key, or on the map with the old one, opens anew
                // (but another basemap being opened is not interrupted for it).
                let waiting = match &self.basemap_target {
                    Some(target) => Some(target).filter(|target| target.needs_tianditu_key()),
                    None => self.basemap_choice().filter(|active| active.needs_tianditu_key()),
                };
                if let Some(choice) = waiting.cloned() {
                    self.open_basemap(choice);
                }
            }
        }
    }

    fn loading_ui(&self, ui: &mut egui::Ui) {
        let lang = self.settings.lang;
        let Phase::Loading { demo, opening, .. } = &self.phase else { return };
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 3.0);
                ui.heading(lang.pick("citygrid 数字城管指挥中心", "citygrid command centre"));
                ui.add_space(16.0);
                match (demo, opening) {
                    (_, true) => {
                        ui.label(lang.pick("正在打开数据库并建立空间索引…", "Opening the database and building spatial indexes…"));
                        ui.spinner();
                    }
                    (Some(progress), false) => {
                        ui.label(lang.pick(
                            "首次启动：正在生成徽州区演示数据库（真实边界，示意街道与部件）",
                            "First start: creating the Huizhou demo database (real boundaries, schematic streets and parts)",
                        ));
                        ui.label(progress.stage.label(lang.is_chinese()));
                        ui.add(egui::ProgressBar::new(progress.fraction).show_percentage().desired_width(420.0));
                    }
                    (None, false) => {
                        ui.label(lang.pick("正在准备…", "Preparing…"));
                        ui.spinner();
                    }
                }
            });
        });
    }

    fn failed_ui(&self, ui: &mut egui::Ui, message: &str) {
        let lang = self.settings.lang;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 3.0);
                ui.heading(lang.pick("无法打开数据库", "The database could not be opened"));
                ui.add_space(12.0);
                ui.label(egui::RichText::new(message).color(ui.visuals().error_fg_color));
                ui.add_space(12.0);
                ui.label(lang.pick(
                    "文件未被修改。请用 --db 指定另一个 citygrid 数据库。",
                    "The file was not changed. Use --db to open another citygrid database.",
                ));
            });
        });
    }
}

impl eframe::App for CitygridApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_loader();
        self.poll_basemap();
        self.poll_desk();
        self.poll_topology();
        let now = self.now();
        let mut commands = Vec::new();
        match &self.phase {
            Phase::Loading { .. } => {
                self.loading_ui(ui);
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
            Phase::Failed(message) => {
                let message = message.clone();
                self.failed_ui(ui, &message);
            }
            Phase::Ready(world) if self.wall.is_some() => {
                let world = Arc::clone(world);
                self.wall_ui(ui, &world, now);
            }
            Phase::Ready(world) if self.desk.user.is_none() => {
                let lang = self.settings.lang;
                commands.extend(ui::desk::sign_in_ui(ui, world, &mut self.desk.sign_in, lang));
            }
            Phase::Ready(world) => {
                let lang = self.settings.lang;
                let overdue = (0..self.book.len())
                    .filter(|position| self.book.live_light(*position) == Some(crate::calendar::DeadlineLight::Red))
                    .count();
                let open_cases = (self.book.open_count(), overdue);
                commands.extend(ui::top_bar::top_bar_ui(ui, world, open_cases, self.desk.user.as_ref(), lang, now, &mut self.search));
                let panel = ui::layers::BasemapPanel {
                    active: self.basemap.as_ref().map(|active| (&active.choice, active.tiles.info())),
                    tile_error: self.basemap.as_ref().and_then(|active| active.tiles.last_error()),
                    target: self.basemap_target.as_ref(),
                    opening: self.basemap_opening.is_some(),
                    problem: self.basemap_problem.as_ref(),
                    demo: self.demo_basemap.as_deref(),
                    recent: &self.settings.recent_offline,
                };
                commands.extend(ui::layers::layers_ui(
                    ui,
                    world,
                    self.book.len(),
                    &self.settings.layers,
                    panel,
                    &mut self.basemap_panel,
                    lang,
                    self.topology.as_ref().is_some_and(|check| check.running.is_some()),
                ));
                commands.extend(ui::details::details_ui(ui, world, &self.book, &mut self.desk, self.selection, lang, now));
                commands.extend(ui::desk::desk_panel_ui(ui, world, &self.book, &mut self.desk, self.selection, lang, now));
                commands.extend(ui::case_actions::dialog_ui(ui.ctx(), world, &mut self.desk, lang));
                commands.extend(ui::new_case::new_case_ui(ui.ctx(), world, &self.book, &mut self.desk.new_case, lang));
                commands.extend(ui::desk::ledger_ui(ui.ctx(), world, &self.book, &mut self.desk, lang, now));
                commands.extend(ui::committee::disputes_window_ui(ui.ctx(), world, &self.book, &mut self.desk, lang, now));
                let may_edit_weights = self
                    .desk
                    .user
                    .as_ref()
                    .is_some_and(|user| matches!(user.role, crate::model::Role::Administrator | crate::model::Role::ShiftLeader));
                commands.extend(ui::assessment::assessment_window_ui(
                    ui.ctx(),
                    world,
                    &mut self.desk.assessment,
                    lang,
                    now,
                    may_edit_weights,
                ));
                commands.extend(ui::committee::dispute_dialog_ui(ui.ctx(), world, &self.book, &mut self.desk, lang));
                commands.extend(ui::export_dialog::export_window_ui(ui.ctx(), &mut self.export, lang));
                let may_import = self.desk.user.as_ref().is_some_and(|user| user.role == crate::model::Role::Administrator);
                commands.extend(ui::import_dialog::import_window_ui(ui.ctx(), &mut self.import, may_import, lang));
                if self.import.take_written() {
                    // New parts or areas: read the file again; the old map stays until then.
                    commands.push(Command::ReloadWorld);
                }
                if let Some(check) = &mut self.topology
                    && let Some(report) = &check.report
                    && check.window_open
                {
                    commands.extend(ui::topology::report_window_ui(ui.ctx(), world, check.kind, report, lang, &mut check.window_open));
                }
                let (tiles, basemap_attribution): (Option<&mut dyn walkers::Tiles>, Option<String>) = match &mut self.basemap {
                    Some(ActiveBasemap { choice, tiles }) if self.settings.layers.basemap => {
                        let info = tiles.info();
                        // A tile server's terms want it named at least: a custom one with no
                        // attribution is credited by its host.
                        let attribution =
                            if info.attribution.is_empty() && choice.is_online() { info.name.clone() } else { info.attribution.clone() };
                        (Some(tiles), Some(attribution))
                    }
                    _ => (None, None),
                };
                let view = ui::map_view::MapView {
                    world,
                    cases: &self.book,
                    placing: self.desk.new_case.as_ref().is_some_and(|form| form.placing),
                    topology: self.topology.as_ref().and_then(|check| check.report.as_ref()),
                    dispute: match self.selection {
                        Some(Selection::Case(position)) => {
                            self.book.get(position).and_then(|case| ui::committee::dispute_of(&self.desk, case.id))
                        }
                        _ => None,
                    },
                    layers: &self.settings.layers,
                    selection: self.selection,
                    lang,
                    now,
                    basemap_attribution: basemap_attribution.as_deref(),
                    painter_part_limit: PAINTER_PART_LIMIT,
                    painter_parts_min_zoom: ui::map_view::PART_MIN_ZOOM,
                };
                commands.extend(view.show(ui, &mut self.map_memory, tiles, self.scene.as_mut()));
                // The clock in the top bar and the warning lights follow the time.
                ui.ctx().request_repaint_after(Duration::from_secs(1));
            }
        }
        for command in commands {
            self.apply(command);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// Opens the app window on `db_path`.
///
/// # Errors
/// The window cannot be created (no display, no graphics driver).
pub fn run_native(db_path: PathBuf, basemap: Option<PathBuf>) -> Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("citygrid 数字城管")
            .with_inner_size([1600.0, 1000.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native("citygrid", options, Box::new(move |cc| Ok(Box::new(CitygridApp::new(cc, db_path, basemap, true)))))
        .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}

/// Opens the video wall on `db_path`: full screen (or a window with `windowed`), read-only, no
/// sign-in; `cycle` moves through focus areas every minute.
///
/// # Errors
/// The window cannot be created (no display, no graphics driver).
pub fn run_wall(db_path: PathBuf, basemap: Option<PathBuf>, windowed: bool, cycle: bool) -> Result<()> {
    let viewport = egui::ViewportBuilder::default().with_title("citygrid 大屏").with_inner_size([1920.0, 1080.0]);
    let options =
        eframe::NativeOptions { viewport: if windowed { viewport } else { viewport.with_fullscreen(true) }, ..Default::default() };
    eframe::run_native(
        "citygrid-wall",
        options,
        Box::new(move |cc| {
            let mut app = CitygridApp::new(cc, db_path, basemap, true);
            app.set_wall(cycle);
            Ok(Box::new(app))
        }),
    )
    .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}

/// Builds a kittest harness running the real app on `db_path` (tests, screenshots). The app
/// starts loading at once; see [`wait_until_loaded`].
#[must_use]
pub fn harness(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
) -> egui_kittest::Harness<'static, CitygridApp> {
    let path = db_path.to_owned();
    let basemap = basemap.map(Path::to_owned);
    #[allow(clippy::cast_precision_loss)]
    let size = egui::vec2(size[0] as f32, size[1] as f32);
    egui_kittest::Harness::builder()
        .with_size(size)
        .with_max_steps(10_000)
        .with_context_setup(ui::fonts::install_fonts)
        .wgpu()
        .build_eframe(move |cc| {
            // Tests and screenshots get exactly the basemap they ask for.
            let mut app = CitygridApp::new(cc, path, basemap, false);
            app.set_lang(lang);
            if let Some(now) = now {
                app.set_clock(now);
            }
            app
        })
}

/// Steps the harness until the world is loaded, then a few frames more so the layout settles.
///
/// # Errors
/// Loading failed, or took longer than `timeout`.
pub fn wait_until_loaded(harness: &mut egui_kittest::Harness<'static, CitygridApp>, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        harness.step();
        if harness.state().world().is_some() {
            break;
        }
        if let Some(message) = harness.state().failure() {
            bail!("{message}");
        }
        if started.elapsed() > timeout {
            bail!("the database did not load within {} s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(4);
    Ok(())
}

/// Steps the harness until the basemap has no tile in flight and the map scene has drawn
/// everything it wants (two quiet frames in a row).
pub fn wait_for_tiles(harness: &mut egui_kittest::Harness<'static, CitygridApp>, timeout: Duration) {
    let started = Instant::now();
    let mut quiet_frames = 0;
    while quiet_frames < 2 && started.elapsed() < timeout {
        harness.step();
        let tiles_idle = harness.state().basemap().is_none_or(|basemap| basemap.is_err() || basemap.is_ok_and(Basemap::is_idle));
        let scene_settled = harness.state().scene().is_none_or(MapScene::is_settled);
        let idle = tiles_idle && scene_settled;
        quiet_frames = if idle { quiet_frames + 1 } else { 0 };
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The demo account [`harness_for`] signs in with: a dispatcher.
pub const DEMO_DISPATCHER: &str = "dispatch1";

/// [`harness`] and [`wait_until_loaded`] in one, signed in as the demo dispatcher.
///
/// # Errors
/// Loading failed or took longer than `timeout`, or the sign-in failed.
pub fn harness_for(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
    timeout: Duration,
) -> Result<egui_kittest::Harness<'static, CitygridApp>> {
    harness_as(db_path, basemap, size, lang, now, timeout, DEMO_DISPATCHER, crate::demo::DEMO_PASSWORD)
}

/// [`harness`] and [`wait_until_loaded`], then signed in as `login`.
///
/// # Errors
/// Loading failed or took longer than `timeout`, or the sign-in failed.
#[allow(clippy::too_many_arguments)]
pub fn harness_as(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
    timeout: Duration,
    login: &str,
    password: &str,
) -> Result<egui_kittest::Harness<'static, CitygridApp>> {
    let mut harness = harness(db_path, basemap, size, lang, now);
    wait_until_loaded(&mut harness, timeout)?;
    harness.state_mut().sign_in_blocking(login, password, Duration::from_secs(30)).with_context(|| format!("signing in as {login}"))?;
    harness.run_steps(4);
    Ok(harness)
}

/// Renders a view of the real app offscreen to a PNG.
///
/// # Errors
/// Unknown view or language, loading failure, rendering failure, or the PNG cannot be written.
#[allow(clippy::too_many_arguments)]
pub fn screenshot(
    db_path: &Path,
    basemap: Option<&Path>,
    view: &str,
    size: [u32; 2],
    lang: &str,
    center: Option<(f64, f64, f64)>,
    now: Option<NaiveDateTime>,
    out: &Path,
) -> Result<()> {
    if !matches!(view, "map" | "desk" | "wall") {
        bail!("unknown view {view:?}; available views: map, desk (the most pressing case selected, its steps and timeline), wall");
    }
    let lang = Lang::from_code(lang).with_context(|| format!("unknown language {lang:?}; use zh or en"))?;
    if !db_path.exists() {
        bail!("{}: no such database (create one with `citygrid demo --out …`)", db_path.display());
    }
    let mut harness = if view == "wall" {
        // The wall needs no sign-in.
        let mut harness = harness(db_path, basemap, size, lang, now);
        harness.state_mut().set_wall(false);
        wait_until_loaded(&mut harness, Duration::from_secs(300))?;
        harness
    } else {
        harness_for(db_path, basemap, size, lang, now, Duration::from_secs(300))?
    };
    if basemap.is_some() {
        harness.state_mut().wait_for_basemap(Duration::from_secs(60));
    }
    if let Some((lon, lat, zoom)) = center {
        harness.state_mut().apply(Command::CenterAt { lon, lat, zoom });
        harness.run_steps(4);
    }
    if view == "desk" {
        // The case at the top of the list: the most pressing open one.
        let app = harness.state_mut();
        let now = app.now();
        let first = {
            let world = match &app.phase {
                Phase::Ready(world) => Arc::clone(world),
                _ => bail!("the database is not loaded"),
            };
            let mut desk = ui::desk::DeskState::new();
            desk.user.clone_from(&app.desk.user);
            desk.rows(&world, &app.book, lang, now).first().copied()
        };
        if let Some(position) = first {
            app.apply(Command::Select(Some(Selection::Case(position))));
            if center.is_none() {
                app.apply(Command::ZoomToSelection);
            }
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30)
            && harness.state().desk.timeline.as_ref().is_none_or(|(_, _, timeline)| timeline.as_ref().is_ok_and(|t| t.events.is_empty()))
        {
            harness.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        harness.run_steps(4);
    }
    wait_for_tiles(&mut harness, Duration::from_secs(120));
    let image = harness.render().map_err(|error| anyhow::anyhow!("rendering failed: {error}"))?;
    image.save(out).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({}×{})", out.display(), image.width(), image.height());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use eframe::Storage as _;

    /// eframe's storage, in memory.
    #[derive(Default)]
    struct MemoryStorage(HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn every_basemap_choice_survives_eframe_storage() {
        let choices = [
            BasemapChoice::Offline { path: PathBuf::from("/data/城区.mbtiles") },
            BasemapChoice::OpenStreetMap,
            BasemapChoice::TiandituVector,
            BasemapChoice::TiandituImagery,
            BasemapChoice::Custom { template: "https://tiles.example.org/{z}/{x}/{y}.png".into(), attribution: "© Example".into() },
        ];
        for choice in choices {
            let settings = Settings {
                lang: Lang::En,
                basemap_choice: Some(choice),
                tianditu_key: "0123456789abcdef".into(),
                recent_offline: vec![PathBuf::from("/data/a.pmtiles"), PathBuf::from("/data/tiles")],
                ..Settings::default()
            };
            let mut storage = MemoryStorage::default();
            eframe::set_value(&mut storage, SETTINGS_KEY, &settings);
            let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("settings read back");
            assert_eq!(read, settings, "{:?}", storage.0);
        }
    }

    #[test]
    fn settings_of_older_and_newer_versions_keep_what_they_can() {
        let mut storage = MemoryStorage::default();
        // Before the basemap switcher: only a path.
        storage.set_string(SETTINGS_KEY, r#"(lang: En, basemap: Some("/data/old.pmtiles"))"#.into());
        let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("old settings read");
        assert_eq!(read.lang, Lang::En);
        assert_eq!(read.remembered_basemap(), Some(BasemapChoice::Offline { path: PathBuf::from("/data/old.pmtiles") }));
        // A basemap kind this version does not know, and a damaged recent list: both dropped,
        // the rest kept.
        storage.set_string(
            SETTINGS_KEY,
            r#"(lang: En, basemap_choice: Some((kind: "baidu", style: "dark")), recent_offline: 7, tianditu_key: "abc")"#.into(),
        );
        let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("newer settings read");
        assert_eq!((read.lang, read.basemap_choice, read.recent_offline.len(), read.tianditu_key.as_str()), (Lang::En, None, 0, "abc"));
    }

    #[test]
    fn the_key_stays_out_of_debug_output() {
        let settings = Settings { tianditu_key: "0123456789abcdef".into(), ..Settings::default() };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("0123456789abcdef") && printed.contains("<set>"), "{printed}");
    }

    #[test]
    fn typed_and_pasted_paths_are_cleaned_up() {
        assert_eq!(ui::layers::typed_path(r#"  "C:\maps\city.mbtiles" "#), Some(PathBuf::from(r"C:\maps\city.mbtiles")));
        assert_eq!(ui::layers::typed_path("'/data/a b.pmtiles'"), Some(PathBuf::from("/data/a b.pmtiles")));
        assert_eq!(ui::layers::typed_path("/data/tiles\n"), Some(PathBuf::from("/data/tiles")));
        assert_eq!(ui::layers::typed_path("  \"\" "), None);
    }
}
