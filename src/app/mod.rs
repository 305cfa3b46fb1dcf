//! eframe wiring: the app struct and its frame. Commands are carried out in [`commands`], the
//! desk worker's replies in [`replies`], the basemap in [`basemap_slot`], the wall in [`wall`],
//! background work in [`jobs`]; the test harness lives in [`harness`] (feature `dev-tools`).

mod basemap_slot;
mod commands;
#[cfg(feature = "dev-tools")]
mod harness;
mod jobs;
mod replies;
mod wall;

#[cfg(feature = "dev-tools")]
pub use harness::*;
pub use wall::WALL_CYCLE;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use chrono::NaiveDateTime;
use walkers::MapMemory;

use crate::demo::DemoProgress;
use crate::desk::CaseBook;
use crate::desk::worker::DeskWorker;
use crate::map::basemap_choice::BasemapChoice;
use crate::map::scene::MapScene;
use crate::model::Lang;
use crate::session::{
    BasemapProblem, Command, Location, SETTINGS_KEY, Selection, Settings, World, demo_basemap_path, export_dir, tile_cache_dir,
};
use crate::ui;

use basemap_slot::{ActiveBasemap, OpeningBasemap};
use jobs::TopologyCheck;
use wall::WallState;

enum Phase {
    /// A seat on a server signs in first: nothing can be read before the server knows who asks.
    Connect(Location),
    Loading {
        demo: Option<DemoProgress>,
        opening: bool,
    },
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
    /// The queue counters of the top bar.
    counts: ui::top_bar::QueueCounts,
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
    /// The loader thread until it has handed over the world.
    loader: Option<jobs::LoaderJob>,
    /// A seat on a server that is connecting as an account: its sign-in, sent to the desk worker
    /// once the district is read, and the server to go back to if the connection is refused.
    pending_sign_in: Option<(String, String, Location)>,
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
    record_exports: jobs::RecordExports,
    /// Where exports go (tests point it at a temporary folder).
    pub export_dir: PathBuf,
    /// The topology check asked for last: the layer, and the report once the thread is done.
    topology: Option<TopologyCheck>,
    /// The data export window and the export running from it.
    pub(crate) export: ui::export_dialog::ExportDialog,
    /// The data import window and the step running from it.
    pub(crate) import: ui::import_dialog::ImportDialog,
}

/// Without the GPU scene, at most this many parts go through egui's painter per frame.
pub(super) const PAINTER_PART_LIMIT: usize = 40_000;

impl CitygridApp {
    /// Creates the app and starts loading `db_path` (and opening the basemap: the offline file
    /// `basemap`, else the one used last time) in the background. With no basemap given or
    /// remembered, `use_demo_basemap` opens the shipped demo basemap.
    #[must_use]
    pub fn new(cc: &eframe::CreationContext<'_>, location: Location, basemap: Option<PathBuf>, use_demo_basemap: bool) -> Self {
        ui::fonts::install_fonts(&cc.egui_ctx);
        // Photos of cases and disputes are shown from their files.
        egui_extras::install_image_loaders(&cc.egui_ctx);
        // …through our own loader: someone else's files, decoded with limits into thumbnails.
        cc.egui_ctx.add_image_loader(std::sync::Arc::new(ui::photos::PhotoLoader::default()));
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
        let connect = location.needs_account().then(|| location.clone());
        let loader = if connect.is_some() { Err(String::new()) } else { jobs::spawn_loader(location, &cc.egui_ctx) };
        let mut map_memory = MapMemory::default();
        let _ = map_memory.set_zoom(11.0);
        let mut basemap_panel = ui::layers::BasemapPanelState { tianditu_key: settings.tianditu_key.clone(), ..Default::default() };
        if let Some(BasemapChoice::Custom { template, attribution }) = &settings.basemap_choice {
            basemap_panel.custom_template.clone_from(template);
            basemap_panel.custom_attribution.clone_from(attribution);
        }
        let mut app = Self {
            settings,
            phase: match (&loader, connect) {
                (_, Some(location)) => Phase::Connect(location),
                (Ok(_), None) => Phase::Loading { demo: None, opening: false },
                (Err(message), None) => Phase::Failed(message.clone()),
            },
            map_memory,
            selection: None,
            clock_override: None,
            search: ui::top_bar::SearchState::default(),
            counts: ui::top_bar::QueueCounts::default(),
            basemap: None,
            basemap_opening: None,
            basemap_target: None,
            basemap_problem: None,
            demo_basemap,
            tile_cache_dir: tile_cache_dir(),
            basemap_panel,
            loader: loader.ok(),
            pending_sign_in: None,
            ctx: cc.egui_ctx.clone(),
            gpu,
            scene: None,
            book: CaseBook::empty(),
            desk: ui::desk::DeskState::new(),
            worker: None,
            wall: None,
            record_exports: Arc::default(),
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

    /// The case list's rows under its current filter and sort (positions in the book).
    pub fn case_list_rows(&mut self) -> Vec<usize> {
        let Phase::Ready(world) = &self.phase else { return Vec::new() };
        let now = self.now();
        self.desk.rows(world, &self.book, self.settings.lang, now).to_vec()
    }

    /// Signs the seat's user out: the next user starts from a clean desk (no selected case, no
    /// search, the default filters, the whole district), and on a server the connection made as
    /// the account's own login is closed, so the next sign-in connects as the next account.
    fn sign_out(&mut self) {
        let open = self.desk.list.open;
        self.desk = ui::desk::DeskState::new();
        self.desk.list.open = open;
        self.selection = None;
        self.search = ui::top_bar::SearchState::default();
        self.topology = None;
        let server = match &self.phase {
            Phase::Ready(world) => match &world.location {
                Location::Server { url, .. } => Some(Location::Server { url: url.clone(), account: None }),
                Location::File(_) => None,
            },
            _ => None,
        };
        if let Some(server) = server {
            self.worker = None;
            self.scene = None;
            self.book = CaseBook::empty();
            self.phase = Phase::Connect(server);
        } else {
            self.apply(Command::ZoomToDistrict);
        }
    }

    /// Reads the database again in the background (after an import); the map shown stays until
    /// the new one is ready, and the seat stays signed in.
    fn reload_world(&mut self) {
        if let Phase::Ready(world) = &self.phase
            && self.loader.is_none()
        {
            match jobs::spawn_loader(world.location.clone(), &self.ctx) {
                Ok(job) => self.loader = Some(job),
                Err(message) => self.desk.notice = Some(ui::desk::Notice { text: message, error: true }),
            }
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

    /// Whether a sign-in is on its way (tests).
    #[must_use]
    pub fn sign_in_busy(&self) -> bool {
        self.desk.sign_in.busy
    }

    /// The login of the account signed in, if any (tests).
    #[must_use]
    pub fn signed_in_login(&self) -> Option<String> {
        self.desk.user.as_ref().map(|user| user.login.clone())
    }

    /// How many cases the seat holds (tests).
    #[must_use]
    pub fn case_count(&self) -> usize {
        self.book.len()
    }

    /// The failure message, if loading failed.
    #[must_use]
    pub fn failure(&self) -> Option<&str> {
        match &self.phase {
            Phase::Failed(message) => Some(message),
            _ => None,
        }
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

    /// The positions the case list shows now, for the user signed in (tests).
    pub fn visible_case_rows(&mut self) -> Vec<usize> {
        let (lang, now) = (self.settings.lang, self.now());
        match &self.phase {
            Phase::Ready(world) => self.desk.rows(world, &self.book, lang, now).to_vec(),
            _ => Vec::new(),
        }
    }

    pub(super) fn loading_ui(&self, ui: &mut egui::Ui) {
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
        self.poll_search();
        let now = self.now();
        let mut commands = Vec::new();
        match &self.phase {
            Phase::Connect(location) => {
                let lang = self.settings.lang;
                let heading = location.short_name();
                commands.extend(ui::desk::sign_in_ui(ui, &heading, false, &mut self.desk.sign_in, None, lang));
            }
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
            Phase::Ready(world) if self.desk.user.as_ref().is_none_or(|user| user.must_change_password) => {
                let lang = self.settings.lang;
                let changing = self.desk.user.as_ref();
                commands.extend(ui::desk::sign_in_ui(ui, &world.district_name, world.is_demo, &mut self.desk.sign_in, changing, lang));
            }
            Phase::Ready(world) => {
                let lang = self.settings.lang;
                let view = ui::View { world, cases: &self.book, lang, now };
                let counts = self.counts.refresh(&self.book, self.desk.user.as_ref());
                commands.extend(ui::top_bar::top_bar_ui(
                    ui,
                    view,
                    counts,
                    self.desk.user.as_ref(),
                    &mut self.search,
                    (&self.desk.alerts, &self.settings.alerts),
                ));
                commands.extend(ui::search::search_results_ui(ui.ctx(), view, &mut self.search, self.selection));
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
                    view,
                    &self.settings.layers,
                    panel,
                    &mut self.basemap_panel,
                    self.topology.as_ref().is_some_and(|check| check.running.is_some()),
                ));
                commands.extend(ui::details::details_ui(ui, view, &mut self.desk, self.selection));
                commands.extend(ui::desk::desk_panel_ui(ui, view, &mut self.desk, self.selection));
                commands.extend(ui::case_actions::dialog_ui(ui.ctx(), world, &self.book, &mut self.desk, lang));
                commands.extend(ui::batch::batch_ui(ui.ctx(), world, &self.book, &mut self.desk, lang));
                commands.extend(ui::alerts::notices_ui(ui.ctx(), view, &mut self.desk.alerts));
                commands.extend(ui::handover::handover_ui(ui.ctx(), view, &mut self.desk.handover, self.desk.user.as_ref()));
                commands.extend(ui::new_case::new_case_ui(ui.ctx(), view, &mut self.desk.new_case));
                commands.extend(ui::ledger::ledger_ui(ui.ctx(), view, &mut self.desk));
                commands.extend(ui::exchange::exchange_ui(ui.ctx(), view, &mut self.desk));
                commands.extend(ui::committee::disputes_window_ui(ui.ctx(), view, &mut self.desk));
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
                commands.extend(ui::committee::dispute_dialog_ui(ui.ctx(), view, &mut self.desk));
                commands.extend(ui::export_dialog::export_window_ui(ui.ctx(), &mut self.export, lang));
                let refusal = ui::import_dialog::refusal(self.desk.user.as_ref(), &world.location, lang);
                commands.extend(ui::import_dialog::import_window_ui(ui.ctx(), &mut self.import, refusal.as_deref(), lang));
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
                        let english = lang == crate::model::Lang::En;
                        // A tile server's terms want it named at least: a custom one with no
                        // attribution is credited by its host.
                        let attribution = if info.attribution.is_empty() && choice.is_online() {
                            info.name.clone()
                        } else {
                            info.attribution_for(english).to_owned()
                        };
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
                    wall: false,
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
pub fn run_native(location: Location, basemap: Option<PathBuf>) -> Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("citygrid 数字城管")
            .with_inner_size([1600.0, 1000.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native("citygrid", options, Box::new(move |cc| Ok(Box::new(CitygridApp::new(cc, location, basemap, true)))))
        .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}

/// Opens the video wall on `db_path`: full screen (or a window with `windowed`), read-only, no
/// sign-in; `cycle` moves through focus areas every minute.
///
/// # Errors
/// The window cannot be created (no display, no graphics driver).
pub fn run_wall(location: Location, basemap: Option<PathBuf>, windowed: bool, cycle: bool) -> Result<()> {
    let viewport = egui::ViewportBuilder::default().with_title("citygrid 大屏").with_inner_size([1920.0, 1080.0]);
    let options =
        eframe::NativeOptions { viewport: if windowed { viewport } else { viewport.with_fullscreen(true) }, ..Default::default() };
    eframe::run_native(
        "citygrid-wall",
        options,
        Box::new(move |cc| {
            let mut app = CitygridApp::new(cc, location, basemap, true);
            app.set_wall(cycle);
            Ok(Box::new(app))
        }),
    )
    .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}
