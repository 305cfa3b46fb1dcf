//! What the UI asks for: a [`Selection`] and the [`Command`]s a frame returns, carried out in
//! one place by the app. Plain data only (no egui types), so a remote client can send the same.

use std::path::PathBuf;

use crate::assess::output::ReportFormat;
use crate::io::ImportStep;
use crate::io::export::ExportWhat;
use crate::map::basemap_choice::BasemapChoice;
use crate::model::{JurisdictionKind, Lang, PartCode, UnitId};
use crate::workflow::{Action, NewCase};

use super::LayerVisibility;

/// What is selected on the map or in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// A part by code: the seat holds parts only while they are shown.
    Part(PartCode),
    Case(usize),
    Jurisdiction(usize),
}

/// A change requested by the UI, applied in one place by the app (`app::CitygridApp::apply`).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    SetLang(Lang),
    /// Which alerts the desk shows (remembered).
    SetAlerts(crate::desk::alerts::AlertSettings),
    SetLayers(LayerVisibility),
    Select(Option<Selection>),
    ZoomIn,
    ZoomOut,
    /// Search places, streets, parts and cases: go to what the text names if it names one
    /// thing, else list every match (see [`crate::session::World::search`]).
    Search(String),
    /// Show every case matching a search text in the case list (all states, all periods).
    ListCasesMatching(String),
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
    /// The signed-in account sets its own new password.
    ChangePassword {
        new_password: String,
    },
    SignOut,
    /// Take a step on a case, made on the copy at `revision`.
    Act {
        case_id: i64,
        revision: u32,
        action: Action,
    },
    /// Take several steps, each on its own case at its revision (batch dispatch); each is
    /// checked and recorded as if taken alone.
    ActMany(Vec<(i64, u32, Action)>),
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
    /// Open (or read again) the exchange window: messages to the city platform and the hotline.
    OpenExchange,
    /// Send an unsent exchange message at once.
    ResendMessage(i64),
    /// Read the shift handover notes (交接班).
    LoadHandovers,
    /// Write this shift's handover note with the desk's figures now.
    WriteHandover {
        text: String,
        figures: serde_json::Value,
    },
    /// Confirm reading another shift's handover note (by its id).
    ConfirmHandover(i64),
    /// Read the disputes again.
    LoadDisputes,
    /// One step of a responsibility dispute.
    DisputeStep(Box<crate::desk::worker::DisputeCommand>),
    /// Compute the assessment of a period (on the desk worker).
    Assess(crate::assess::Period),
    /// List a queue's cases (a counter of the top bar clicked).
    ShowQueue(crate::desk::Queue),
    /// Restrict the case list to the cases located inside a jurisdiction (by index), keeping
    /// its other filters.
    ShowAreaCases(usize),
    /// Show every case of a unit in the case list (drill-down from the assessment).
    ShowUnitCases(UnitId),
    /// Open the export window for this content and extent.
    OpenExport {
        what: crate::io::export::ExportWhat,
        scope: ExportScope,
    },
    /// Write an export file on a thread.
    StartExport(Box<ExportRequest>),
    /// Stop the running export; nothing is left under its file name.
    CancelExport,
    /// Open the import window.
    OpenImport,
    /// Read the database again in the background (after an import wrote to it).
    ReloadWorld,
    /// Read, check or import the file chosen in the import window (on a thread).
    ImportStep(ImportStep),
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
    ExportAssessment(ReportFormat),
    /// Write the backlog ledger of a period (挂账台账, for the committee) to the export folder
    /// as XLSX, from the entries the ledger window read.
    ExportLedger(crate::assess::Period),
    /// Check a jurisdiction layer for gaps and overlaps (on a thread), list and draw them.
    CheckTopology(JurisdictionKind),
    /// Save the window as it is now (the case on the map, its facts and the committee's
    /// decision in the panel) as a PNG for the minutes.
    ExportDecision {
        dispute_id: i64,
        case_no: String,
    },
}

/// Which features of the chosen kind go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Everything,
    /// What the map shows now.
    MapView,
    /// The case list's rows under its current filter (cases only).
    CaseList,
}

/// A request the app carries out on a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    pub what: ExportWhat,
    pub scope: ExportScope,
    pub jurisdiction_kind: Option<JurisdictionKind>,
    pub path: PathBuf,
    pub chinese_header: bool,
}
