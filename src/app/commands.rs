//! Commands from the UI, carried out in one place: selection and view, basemaps, the desk
//! worker's requests, the windows and their background jobs.

use std::sync::Arc;

use crate::desk::worker::{DeskRequest, DeskWorker};
use crate::job::Job;
use crate::model::JurisdictionKind;
use crate::session::{Command, Selection};
use crate::ui;
use crate::workflow::WorkflowError;

use super::basemap_slot::absolute_choice;
use super::jobs::{TopologyCheck, spawn_record_export};
use super::{CitygridApp, Phase};

impl CitygridApp {
    /// Shows why a step was refused; a stale copy is brought up to date by the next poll.
    pub(super) fn refused(&mut self, error: &WorkflowError) {
        let text = error.message(self.settings.lang.is_chinese());
        // The account was changed, disabled or removed at another seat: this seat signs out.
        if let WorkflowError::Store(crate::store::StoreError::Access(
            crate::store::AccessError::SignedOut { .. }
            | crate::store::AccessError::Disabled { .. }
            | crate::store::AccessError::NoSuchUser(_),
        )) = error
        {
            self.apply(Command::SignOut);
            self.desk.sign_in.error = Some(text);
            return;
        }
        self.desk.notice = Some(ui::desk::Notice { text, error: true });
    }

    pub(super) fn send_to_worker(&mut self, request: DeskRequest, what: Option<String>, ticket: Option<u64>) {
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
                // On a server the sign-in is the connection: the district is read as the account.
                if let Phase::Connect(location) = &self.phase {
                    let account = crate::store::pg::ServerAccount { login: login.clone(), password: password.clone() };
                    let server = location.clone();
                    match super::jobs::spawn_loader(location.with_account(account), &self.ctx) {
                        Ok(job) => {
                            self.loader = Some(job);
                            self.pending_sign_in = Some((login, password, server));
                            self.phase = Phase::Loading { demo: None, opening: true };
                        }
                        Err(message) => self.desk.sign_in.error = Some(message),
                    }
                    return;
                }
                let now = self.now();
                self.send_to_worker(DeskRequest::SignIn { login, password, now }, None, None);
            }
            Command::ChangePassword { new_password } => {
                if let Some(actor) = self.desk.user.clone() {
                    self.desk.sign_in.busy = true;
                    self.desk.sign_in.error = None;
                    self.send_to_worker(DeskRequest::ChangePassword { actor, new_password }, None, None);
                }
            }
            Command::SignOut => self.sign_out(),
            Command::Act { case_id, revision, action } => {
                let Some(actor) = self.desk.user.clone() else { return };
                let Some(ticket) = self.worker.as_mut().map(DeskWorker::ticket) else { return };
                let what = action.kind().label(self.settings.lang.is_chinese()).to_owned();
                let now = self.now();
                self.send_to_worker(DeskRequest::Apply { ticket, actor, case_id, revision, action, now }, Some(what), Some(ticket));
            }
            Command::ActMany(batch) => {
                let Some(actor) = self.desk.user.clone() else { return };
                let Some(worker) = self.worker.as_mut() else { return };
                let ticket = worker.ticket();
                let steps =
                    batch.into_iter().map(|(case_id, revision, action)| (worker.ticket(), case_id, revision, action)).collect::<Vec<_>>();
                let what = match self.settings.lang {
                    ui::Lang::Zh => format!("批量派遣 {} 件", steps.len()),
                    ui::Lang::En => format!("dispatching {} cases", steps.len()),
                };
                let now = self.now();
                self.send_to_worker(DeskRequest::ApplyMany { ticket, actor, steps, now }, Some(what), Some(ticket));
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
                    let location = world.location.clone();
                    self.import.start(step, &location, self.desk.user.clone(), &self.ctx);
                }
            }
            Command::CheckTopology(kind) => {
                let Phase::Ready(world) = &self.phase else { return };
                let world = Arc::clone(world);
                let today = self.now().date();
                let job = Job::spawn("citygrid-topology", (), ui::repaint_notify(&self.ctx), move |_| {
                    crate::spatial::topology::check_kind(&world.jurisdictions, &world.district_code, kind, today)
                });
                match job {
                    Ok(job) => self.topology = Some(TopologyCheck { kind, running: Some(job), report: None, window_open: true }),
                    Err(error) => tracing::error!("cannot start the topology check: {error}"),
                }
            }
            Command::Assess(period) => {
                self.desk.assessment.busy = true;
                let options = self.desk.assessment.options();
                let now = self.now();
                self.send_to_worker(DeskRequest::Assess { period, options, now }, None, None);
            }
            Command::AssessCases { scope, period, measure, label } => {
                let now = self.now();
                self.send_to_worker(DeskRequest::AssessCases { scope, period, measure, label, now }, None, None);
            }
            Command::SaveWeights(weights) => {
                if let Some(actor) = self.desk.user.clone() {
                    self.send_to_worker(DeskRequest::SaveWeights { actor, weights }, None, None);
                }
            }
            Command::ShowQueue(queue) => {
                self.desk.list.filter = queue.filter();
                self.desk.list.open = true;
            }
            Command::ShowAreaCases(index) => {
                if let Some(area) = self.world().and_then(|world| world.jurisdictions.get(index)) {
                    let label = format!("{} {}", area.name, area.code);
                    self.desk.list.filter.area = crate::desk::AreaFilter::new(area.code.clone(), label, area.geometry.clone());
                    self.desk.list.open = true;
                }
            }
            Command::ShowUnitCases(unit) => {
                self.desk.list.filter =
                    crate::desk::CaseFilter { scope: crate::desk::Scope::All, unit: Some(unit), ..crate::desk::CaseFilter::default() };
                self.desk.list.open = true;
            }
            Command::ExportAssessment(format) => {
                let lang = self.settings.lang;
                if let (Phase::Ready(world), Some(Ok(report))) = (&self.phase, &self.desk.assessment.report) {
                    let path = self.export_dir.join(crate::assess::output::export_file_name(report, format));
                    let (world, report, made_at) = (Arc::clone(world), report.clone(), self.now());
                    spawn_record_export(&self.record_exports, &self.ctx, path, move |path| {
                        crate::assess::output::write_report(&world.report_names(), &report, format, lang, made_at, path)
                            .map_err(|error| error.to_string())
                    });
                }
            }
            Command::ExportLedger(period) => {
                let lang = self.settings.lang;
                if let (Phase::Ready(world), Some(Some(Ok(entries)))) = (&self.phase, &self.desk.ledger.entries) {
                    let report = crate::assess::output::ledger::LedgerReport::new(entries, period);
                    let path = self.export_dir.join(report.file_name("xlsx"));
                    let world = Arc::clone(world);
                    spawn_record_export(&self.record_exports, &self.ctx, path, move |path| {
                        let bytes = report.xlsx(&world.report_names(), lang).map_err(|error| error.to_string())?;
                        std::fs::write(path, bytes).map_err(|error| error.to_string())
                    });
                }
            }
            Command::LoadDisputes => self.send_to_worker(DeskRequest::Disputes, None, None),
            Command::ExportDecision { dispute_id, case_no } => {
                let path = self.export_dir.join(format!("裁定记录-争议{dispute_id}-{case_no}.png"));
                let (exports, ctx) = (Arc::clone(&self.record_exports), self.ctx.clone());
                // The picture is the next frame; encoding and writing happen off the UI thread.
                self.ctx.request_screenshot(move |image| {
                    spawn_record_export(&exports, &ctx, path, move |path| {
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
            Command::OpenExchange => {
                if self.desk.exchange.rows.is_none() {
                    self.desk.exchange.rows = Some(None);
                }
                self.send_to_worker(DeskRequest::Outbox, None, None);
            }
            Command::ResendMessage(id) => {
                if let Some(actor) = self.desk.user.clone() {
                    let now = crate::calendar::china_now();
                    self.send_to_worker(DeskRequest::Resend { actor, id, now }, None, None);
                }
            }
            Command::LoadHandovers => self.send_to_worker(DeskRequest::Handovers, None, None),
            Command::WriteHandover { text, figures } => {
                let Some(actor) = self.desk.user.clone() else { return };
                let now = self.now();
                self.send_to_worker(DeskRequest::WriteHandover { actor, text, figures, now }, None, None);
            }
            Command::ConfirmHandover(id) => {
                let Some(actor) = self.desk.user.clone() else { return };
                let now = self.now();
                self.send_to_worker(DeskRequest::ConfirmHandover { actor, id, now }, None, None);
            }
            Command::OpenLedger => {
                self.desk.ledger.entries = Some(None);
                self.send_to_worker(DeskRequest::Ledger, None, None);
            }
            Command::StartNewCase => {
                let role = self.desk.user.as_ref().map_or(crate::model::Role::IntakeOperator, |user| user.role);
                self.desk.new_case = Some(ui::new_case::NewCaseForm::for_role(role));
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
            Command::SetAlerts(alerts) => self.settings.alerts = alerts,
            Command::SetLayers(layers) => self.settings.layers = layers,
            Command::Select(selection) => {
                if let Some(Selection::Case(position)) = selection {
                    self.desk.list.reveal = Some(position);
                }
                self.selection = selection;
            }
            Command::Search(text) => {
                let Phase::Ready(world) = &self.phase else { return };
                let world = Arc::clone(world);
                let held = world.search_held(&text, &self.book, self.desk.user.as_ref());
                self.search.results = None;
                self.search.pending = None;
                self.search.part_error = None;
                if !crate::session::search::may_name_parts(&text) || world.parts.is_empty() {
                    self.finish_search(held);
                    return;
                }
                // Parts are read from the store: on a job, the window says it is searching.
                self.search.found = None;
                let parts = Arc::clone(&world.parts);
                let notify = ui::repaint_notify(&self.ctx);
                match Job::spawn("citygrid-search", (), notify, move |_| crate::session::search::search_parts(&parts, &text)) {
                    Ok(job) => self.search.pending = Some(ui::top_bar::PendingSearch { held, job }),
                    Err(error) => {
                        tracing::error!("cannot start the search: {error}");
                        self.finish_search(held);
                    }
                }
            }
            Command::ListCasesMatching(text) => {
                self.desk.list.filter = crate::desk::CaseFilter {
                    scope: crate::desk::Scope::All,
                    period: crate::desk::Period::Any,
                    text,
                    ..crate::desk::CaseFilter::default()
                };
                self.desk.list.open = true;
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
                    (Some(Selection::Part(code)), Some(world)) => {
                        world.parts.by_code(code).map(|part| (crate::spatial::anchor_of(&part), 18.0))
                    }
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

    /// Goes where a finished search names one thing, else lists its matches.
    fn finish_search(&mut self, results: crate::session::SearchResults) {
        self.search.found = Some(results.total() > 0 || results.exact.is_some());
        self.search.results = None;
        if let (Some(target), Phase::Ready(world)) = (results.single(), &self.phase) {
            let world = Arc::clone(world);
            let view = ui::View { world: &world, cases: &self.book, lang: self.settings.lang, now: self.now() };
            for command in ui::search::go_to(view, target) {
                self.apply(command);
            }
        } else if results.total() > 0 {
            self.search.results = Some(results);
        }
    }

    /// Takes the parts of a search when their read is done.
    pub(super) fn poll_search(&mut self) {
        let Some(pending) = self.search.pending.as_mut() else { return };
        let Some(outcome) = pending.job.take_result() else { return };
        let Some(pending) = self.search.pending.take() else { return };
        let results = match outcome {
            Ok(parts) => pending.held.with_parts(parts),
            Err(message) => {
                tracing::error!("searching parts: {message}");
                self.search.part_error = Some(message);
                pending.held
            }
        };
        self.finish_search(results);
    }

    /// Whether a search is still reading parts (tests).
    #[must_use]
    pub fn is_searching(&self) -> bool {
        self.search.pending.is_some()
    }
}
