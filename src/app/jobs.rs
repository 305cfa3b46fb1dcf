//! The app's background work: loading the database (writing the demo first when there is
//! none), the topology check and the export threads; each reports back to the next frame.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::demo::{DemoOptions, DemoProgress, write_demo};
use crate::desk::CaseBook;
use crate::desk::worker::DeskWorker;
use crate::io::export::ExportProgress;
use crate::job::Job;
use crate::map::scene::{MapScene, SceneData};
use crate::model::JurisdictionKind;
use crate::session::{Command, ExportRequest, ExportScope, Location, World, load_from};
use crate::ui;

use super::{CitygridApp, Phase};

/// How far loading has come: writing the demo database (when there was none), then opening.
#[derive(Debug, Clone, Default)]
pub(super) struct LoadProgress {
    pub demo: Option<DemoProgress>,
    pub opening: bool,
}

/// The loader: the world and the cases, or why they could not be read.
pub(super) type LoaderJob = Job<LoadProgress, Result<Box<(World, CaseBook)>, String>>;

/// Starts loading the district on a worker thread; creates the demo database first when the
/// file does not exist yet.
pub(super) fn spawn_loader(location: Location, ctx: &egui::Context) -> Result<LoaderJob, String> {
    Job::spawn("citygrid-loader", LoadProgress::default(), ui::repaint_notify(ctx), move |job| {
        let mut demo = None;
        if let Some(path) = location.path()
            && !path.exists()
        {
            let mut last_sent = Instant::now();
            write_demo(path, &DemoOptions::standard(), &mut |progress| {
                if last_sent.elapsed() > Duration::from_millis(50) || progress.fraction >= 1.0 {
                    last_sent = Instant::now();
                    demo = Some(progress.clone());
                    job.report(LoadProgress { demo: Some(progress), opening: false });
                }
            })
            .map_err(|error| format!("{error:#}"))?;
        }
        job.report(LoadProgress { demo, opening: true });
        load_from(&location, crate::calendar::china_now()).map(Box::new).map_err(|error| format!("{error:#}"))
    })
    .map_err(|error| format!("cannot start the loader thread: {error}"))
}

/// Record exports (the assessment's files, a decision's picture) writing or written, each on
/// its own thread; the frame shows each outcome once. Shared, so a screenshot callback can add
/// one.
pub(super) type RecordExports = Arc<Mutex<Vec<Job<(), Result<PathBuf, String>>>>>;

/// Writes a record on its own thread (creating the folder first); the outcome is collected by
/// [`CitygridApp::poll_record_exports`].
pub(super) fn spawn_record_export(
    exports: &RecordExports,
    ctx: &egui::Context,
    path: PathBuf,
    write: impl FnOnce(&Path) -> Result<(), String> + Send + 'static,
) {
    let job = Job::spawn("citygrid-export", (), ui::repaint_notify(ctx), move |_| {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
            .map_err(|error| error.to_string())
            .and_then(|()| write(&path))
            .map(|()| path.clone())
            .map_err(|error| format!("{}: {error}", path.display()))
    });
    match job {
        Ok(job) => exports.lock().unwrap_or_else(PoisonError::into_inner).push(job),
        Err(error) => tracing::error!("cannot start the export thread: {error}"),
    }
}

/// A topology check running or done.
pub(super) struct TopologyCheck {
    pub kind: JurisdictionKind,
    pub running: Option<Job<(), crate::spatial::topology::TopologyReport>>,
    pub report: Option<crate::spatial::topology::TopologyReport>,
    pub window_open: bool,
}

impl CitygridApp {
    /// Starts writing an export on its own thread: the world is shared, the chosen cases are
    /// copied with their deadline status as the desk shows them now.
    pub(super) fn start_export(&mut self, request: ExportRequest) {
        use crate::io::export::{CsvHeader, ExportWhat, Names, Selection, Sources, export, layers_for};
        let Phase::Ready(world) = &self.phase else { return };
        let world = Arc::clone(world);
        if let Some(live) = world.location.path()
            && let Err(refused) = crate::io::export::refuse_live_database(&request.path, live)
        {
            self.export.outcome = Some(Err(refused.to_string()));
            return;
        }
        let lang = self.settings.lang;
        let now = self.now();
        let positions: Vec<usize> = if !matches!(request.what, ExportWhat::Cases | ExportWhat::All) {
            Vec::new()
        } else if request.scope == ExportScope::CaseList {
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
        let within = (request.scope == ExportScope::MapView)
            .then(|| ui::map_view::last_visible_lonlat(&self.ctx))
            .flatten()
            .map(|(min, max)| geo::Rect::new((min[0], min[1]), (max[0], max[1])));
        self.export.outcome = None;
        let job = Job::spawn("citygrid-export-data", ExportProgress { done: 0, total: 0 }, ui::repaint_notify(&self.ctx), move |job| {
            let names = Names::new(&world.units, &world.manual);
            // The seat holds only the parts it shows: the export reads them from the store.
            let parts = match request.what {
                ExportWhat::Jurisdictions | ExportWhat::Cases => Ok(Vec::new()),
                ExportWhat::Parts | ExportWhat::All => world
                    .parts
                    .read_all()
                    .map_err(|error| crate::io::export::ExportError::ReadParts { path: request.path.clone(), problem: error.to_string() }),
            }
            .map_err(|error| error.to_string())?;
            let sources = Sources {
                parts: &parts,
                jurisdictions: &world.jurisdictions,
                cases: cases.iter().map(|(case, status)| (case, status)).collect(),
            };
            let selection = Selection { within, jurisdiction_kind: request.jurisdiction_kind, ..Selection::default() };
            crate::io::export::ExportFormat::from_path(&request.path)
                .map(|format| layers_for(sources, request.what, &selection, format, &names))
                .and_then(|layers| {
                    let header = if request.chinese_header { CsvHeader::ChineseTitles } else { CsvHeader::Names };
                    if let Some(parent) = request.path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                        std::fs::create_dir_all(parent)
                            .map_err(|source| crate::io::export::ExportError::Io { path: parent.to_owned(), source })?;
                    }
                    export(&request.path, layers, header, &mut |now| {
                        job.report(now);
                        !job.is_cancelled()
                    })
                })
                .map_err(|error| error.to_string())
        });
        match job {
            Ok(job) => self.export.running = Some(job),
            Err(error) => self.export.outcome = Some(Err(format!("cannot start the export thread: {error}"))),
        }
    }

    pub(super) fn poll_loader(&mut self) {
        let Some(job) = &mut self.loader else { return };
        if let Phase::Loading { demo, opening } = &mut self.phase {
            let progress = job.progress();
            *demo = progress.demo;
            *opening = progress.opening;
        }
        let Some(result) = job.take_result() else { return };
        self.loader = None;
        match result {
            Ok(loaded) => {
                // A reload (after an import) keeps the seat: its worker, its sign-in, the view.
                let reload = matches!(self.phase, Phase::Ready(_));
                let (world, mut book) = *loaded;
                let world: Arc<World> = Arc::new(world);
                book.succeed(&self.book);
                self.book = book;
                if self.worker.is_none() {
                    let ctx = self.ctx.clone();
                    match DeskWorker::start(world.location.clone(), world.since_event_id, move || ctx.request_repaint()) {
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
                if let Some((login, password, _)) = self.pending_sign_in.take() {
                    self.apply(Command::SignIn { login, password });
                }
            }
            // A refused sign-in on a server: back to the form, with why.
            Err(message) if self.pending_sign_in.is_some() => {
                if let Some((_, _, server)) = self.pending_sign_in.take() {
                    self.phase = Phase::Connect(server);
                }
                self.desk.sign_in.busy = false;
                let chinese = self.settings.lang == crate::model::Lang::Zh;
                // The server's refusal reads as the file's sign-in does; anything else says the
                // server could not be reached, with why.
                self.desk.sign_in.error = Some(if message.contains("wrong login or password") {
                    crate::store::AuthError::WrongCredentials.message(chinese)
                } else if chinese {
                    format!("无法连接服务器：{message}")
                } else {
                    format!("Cannot reach the server: {message}")
                });
            }
            Err(message) => self.phase = Phase::Failed(message),
        }
    }

    /// Shows the outcome of each record export that has finished.
    pub(super) fn poll_record_exports(&mut self) {
        let finished: Vec<Result<PathBuf, String>> = {
            let mut jobs = self.record_exports.lock().unwrap_or_else(PoisonError::into_inner);
            let results = jobs.iter_mut().filter_map(Job::take_result).collect();
            jobs.retain(Job::is_running);
            results
        };
        let lang = self.settings.lang;
        for result in finished {
            self.desk.notice = Some(match result {
                Ok(path) => {
                    ui::desk::Notice { text: format!("{}{}", lang.pick("已导出：", "Exported: "), path.display()), error: false }
                }
                Err(error) => ui::desk::Notice { text: format!("{}{error}", lang.pick("导出失败：", "Export failed: ")), error: true },
            });
        }
    }

    /// The topology check's report, when its thread is done.
    #[must_use]
    pub fn topology_report(&self) -> Option<&crate::spatial::topology::TopologyReport> {
        self.topology.as_ref().and_then(|check| check.report.as_ref())
    }

    pub(super) fn poll_topology(&mut self) {
        if let Some(check) = &mut self.topology
            && let Some(job) = &mut check.running
            && let Some(report) = job.take_result()
        {
            check.report = Some(report);
            check.running = None;
        }
    }
}
