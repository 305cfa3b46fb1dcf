//! The import window (导入数据), for an administrator bringing the district's own data in:
//! 1. a file and what it becomes (parts, jurisdictions, cases) → *Read* shows its layers, fields,
//!    first rows, count, coordinate system and encoding with the evidence;
//! 2. the mapping (source field or a constant per target field, prefilled by name guesses;
//!    loaded from and saved to a reusable profile) and the choice per issue family (stop, skip,
//!    fix) → *Check* lists every issue with its feature and field, and writes nothing;
//! 3. *Import* writes the accepted features in one transaction with progress, time left and a
//!    cancel button; a failed or cancelled import leaves the database as it was.
//!
//! Every step runs on its own thread with its own connection; the map reloads when an import
//! has written. The work is `io`; this file asks and shows.

use std::path::PathBuf;

use crate::io::{
    ImportJob, ImportReport, ImportStep, Inspection, IssueClass, MappingProfile, OnIssue, Policy, StepResult, Target, start_step,
    target_fields,
};
use crate::session::Command;
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

/// The window's state.
pub struct ImportDialog {
    pub open: bool,
    path: String,
    target: Target,
    /// The layer chosen in a file with several.
    layer: Option<String>,
    inspection: Option<Result<Inspection, String>>,
    profile: MappingProfile,
    policy: Policy,
    profile_path: String,
    profile_message: Option<Result<String, String>>,
    running: Option<ImportJob>,
    validated: Option<Result<ImportReport, String>>,
    committed: Option<Result<ImportReport, String>>,
    /// Set when an import wrote to the database: the app reloads the map once.
    wrote: bool,
}

impl Default for ImportDialog {
    fn default() -> Self {
        Self {
            open: false,
            path: String::new(),
            target: Target::Parts,
            layer: None,
            inspection: None,
            profile: MappingProfile::default(),
            policy: Policy::all(OnIssue::Stop),
            profile_path: String::new(),
            profile_message: None,
            running: None,
            validated: None,
            committed: None,
            wrote: false,
        }
    }
}

fn target_label(target: Target, lang: Lang) -> &'static str {
    match target {
        Target::Parts => lang.pick("城市部件", "City parts"),
        Target::Jurisdictions => lang.pick("辖区（乡镇、社区、网格、责任区）", "Jurisdictions (townships, communities, grid, zones)"),
        Target::Cases => lang.pick("案卷（城市平台历史案件）", "Cases (city platform history)"),
    }
}

fn on_issue_label(choice: OnIssue, lang: Lang) -> &'static str {
    match choice {
        OnIssue::Stop => lang.pick("停止导入", "Stop"),
        OnIssue::Skip => lang.pick("跳过该要素", "Skip the feature"),
        OnIssue::Fix => lang.pick("自动修复，无法修复则跳过", "Fix, else skip"),
    }
}

impl ImportDialog {
    /// Opens the window.
    pub fn open(&mut self) {
        self.open = true;
    }

    /// Whether an import wrote since the last call (the app then reloads the map).
    pub fn take_written(&mut self) -> bool {
        std::mem::take(&mut self.wrote)
    }

    /// The last check's report (tests read it).
    #[must_use]
    pub fn validated(&self) -> Option<&Result<ImportReport, String>> {
        self.validated.as_ref()
    }

    /// The last import's report (tests read it).
    #[must_use]
    pub fn committed(&self) -> Option<&Result<ImportReport, String>> {
        self.committed.as_ref()
    }

    /// Whether a file has been read (its layers and fields are shown).
    #[must_use]
    pub fn inspected(&self) -> bool {
        matches!(self.inspection, Some(Ok(_)))
    }

    /// Why the file could not be read, if it could not.
    #[must_use]
    pub fn inspection_error(&self) -> Option<&str> {
        match &self.inspection {
            Some(Err(message)) => Some(message),
            _ => None,
        }
    }

    /// The file path as typed.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether a step is running.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// The profile as it stands, with the file's layer.
    fn profile_for_run(&self) -> MappingProfile {
        let mut profile = self.profile.clone();
        profile.target = self.target;
        profile.source.layer.clone_from(&self.layer);
        profile
    }

    /// Starts `step` on a thread against the database at `db`.
    pub fn start(&mut self, step: ImportStep, db: &crate::session::Location, actor: Option<crate::model::User>, ctx: &egui::Context) {
        if self.running.is_some() {
            return;
        }
        let path = PathBuf::from(self.path.trim());
        match step {
            ImportStep::Inspect => {
                self.inspection = None;
                self.validated = None;
                self.committed = None;
            }
            ImportStep::Validate => {
                self.validated = None;
                self.committed = None;
            }
            ImportStep::Commit => self.committed = None,
        }
        match start_step(step, path, db.clone(), actor, self.profile_for_run(), self.policy.clone(), super::repaint_notify(ctx)) {
            Ok(job) => self.running = Some(job),
            Err(error) => self.inspection = Some(Err(format!("cannot start the import thread: {error}"))),
        }
    }

    /// Takes a finished step's result.
    fn collect(&mut self) {
        let Some(result) = self.running.as_mut().and_then(|running| running.job.take_result()) else { return };
        self.running = None;
        match result {
            StepResult::Inspected(inspection) => {
                if let Ok(found) = &inspection {
                    let layer =
                        self.layer.as_ref().and_then(|name| found.layers.iter().find(|layer| &layer.name == name)).or(found.layers.first());
                    if let Some(layer) = layer {
                        self.layer = Some(layer.name.clone());
                        let mut profile = crate::io::auto_profile(self.target, &layer.fields);
                        profile.source = self.profile.source.clone();
                        profile.source.layer = Some(layer.name.clone());
                        self.profile = profile;
                    }
                }
                self.inspection = Some(inspection);
            }
            StepResult::Validated(report) => self.validated = Some(report),
            StepResult::Committed(report) => {
                self.wrote = report.as_ref().is_ok_and(|report| report.written && report.accepted > 0);
                if self.wrote {
                    // What was checked is in the database now: importing it again needs a new check.
                    self.validated = None;
                }
                self.committed = Some(report);
            }
        }
    }
}

/// Why this seat may not import, if it may not: only an administrator imports, and into a
/// district on a server only its owner's login writes parts and areas (the seats' logins may
/// not, whatever program uses them), so there the import is made with `citygrid import`.
#[must_use]
pub fn refusal(user: Option<&crate::model::User>, location: &crate::session::Location, lang: Lang) -> Option<String> {
    if user.is_none_or(|user| user.role != crate::model::Role::Administrator) {
        return Some(lang.pick("仅系统管理员可以导入数据。", "Only an administrator may import data.").to_owned());
    }
    let login = user.map_or("admin", |user| user.login.as_str());
    location.path().is_none().then(|| {
        let command = format!("citygrid --db {} import --as {login} FILE", location.display());
        match lang {
            Lang::Zh => format!("服务器上的区数据由数据库所有者的登录导入，席位的登录无权写入部件和区域。请在服务器上运行：\n{command}"),
            Lang::En => format!(
                "Into a district on a server, data is imported with the database owner's login; a seat's login may not write parts or areas. Run, with the owner's login in the URL:\n{command}"
            ),
        }
    })
}

/// Draws the window; returns the step to start. `refusal` says why this seat may not import.
#[must_use]
pub fn import_window_ui(ctx: &egui::Context, dialog: &mut ImportDialog, refusal: Option<&str>, lang: Lang) -> Vec<Command> {
    let mut commands = Vec::new();
    dialog.collect();
    if !dialog.open {
        return commands;
    }
    let mut open = true;
    crate::ui::centred_window(ctx, lang.pick("导入数据", "Import data"), 720.0).open(&mut open).default_height(620.0).show(ctx, |ui| {
        if let Some(refusal) = refusal {
            ui.colored_label(tokens::OVERDUE_TEXT, refusal);
            return;
        }
        egui::ScrollArea::vertical().auto_shrink([false, true]).max_height(420.0).show(ui, |ui| {
            let busy = dialog.running.is_some();
            ui.add_enabled_ui(!busy, |ui| source_ui(ui, dialog, lang, &mut commands));
            if let Some(Err(message)) = &dialog.inspection {
                ui.colored_label(tokens::OVERDUE_TEXT, message);
            }
            if matches!(dialog.inspection, Some(Ok(_))) {
                ui.separator();
                ui.add_enabled_ui(!busy, |ui| mapping_ui(ui, dialog, lang));
            }
        });
        ui.separator();
        actions_ui(ui, dialog, lang, &mut commands);
        running_ui(ui, dialog, lang);
        // The outcome stays in view under the buttons.
        report_ui(ui, dialog, lang);
    });
    if !open {
        if let Some(running) = &dialog.running {
            running.job.cancel();
        }
        dialog.open = false;
    }
    commands
}

fn source_ui(ui: &mut egui::Ui, dialog: &mut ImportDialog, lang: Lang, commands: &mut Vec<Command>) {
    egui::Grid::new("import_source").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let label = ui.label(lang.pick("文件", "File"));
        ui.add(
            egui::TextEdit::singleline(&mut dialog.path)
                .desired_width(460.0)
                .hint_text(lang.pick(".geojson、.shp、.gpkg 或 .csv 的路径", "Path of a .geojson, .shp, .gpkg or .csv")),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label(lang.pick("导入为", "Import as"));
        let before = dialog.target;
        egui::ComboBox::from_id_salt("import_target")
            .selected_text(target_label(dialog.target, lang))
            .width(300.0)
            .show_ui(ui, |ui| {
                for target in [Target::Parts, Target::Jurisdictions, Target::Cases] {
                    ui.selectable_value(&mut dialog.target, target, target_label(target, lang));
                }
            })
            .response
            .labelled_by(label.id);
        if dialog.target != before {
            // The mapping is per target: guess again from the same fields.
            if let Some(Ok(inspection)) = &dialog.inspection
                && let Some(layer) = inspection.layers.iter().find(|layer| Some(&layer.name) == dialog.layer.as_ref())
            {
                let source = dialog.profile.source.clone();
                dialog.profile = crate::io::auto_profile(dialog.target, &layer.fields);
                dialog.profile.source = source;
            }
            dialog.validated = None;
        }
        ui.end_row();
        let label = ui.label(lang.pick("坐标系", "Coordinates"));
        let mut crs = dialog.profile.source.crs.clone().unwrap_or_default();
        let edit = ui
            .add(egui::TextEdit::singleline(&mut crs).desired_width(160.0).hint_text(lang.pick("按文件声明", "as the file declares")))
            .labelled_by(label.id)
            .on_hover_text(
                lang.pick("例如 EPSG:4527（CGCS2000 3度带 39带）；留空则按文件声明", "e.g. EPSG:4527; empty: as the file declares"),
            );
        if edit.changed() {
            dialog.profile.source.crs = Some(crs.trim().to_owned()).filter(|text| !text.is_empty());
        }
        ui.end_row();
    });
    if ui.add_enabled(!dialog.path.trim().is_empty(), egui::Button::new(lang.pick("读取文件", "Read file"))).clicked() {
        commands.push(Command::ImportStep(ImportStep::Inspect));
    }
    let Some(Ok(inspection)) = &dialog.inspection else { return };
    ui.add_space(4.0);
    if inspection.layers.len() > 1 {
        let label = ui.label(lang.pick("图层", "Layer"));
        let mut chosen = dialog.layer.clone();
        egui::ComboBox::from_id_salt("import_layer")
            .selected_text(chosen.clone().unwrap_or_default())
            .show_ui(ui, |ui| {
                for layer in &inspection.layers {
                    ui.selectable_value(&mut chosen, Some(layer.name.clone()), &layer.name);
                }
            })
            .response
            .labelled_by(label.id);
        if chosen != dialog.layer
            && let Some(layer) = inspection.layers.iter().find(|layer| Some(&layer.name) == chosen.as_ref())
        {
            let source = dialog.profile.source.clone();
            dialog.profile = crate::io::auto_profile(dialog.target, &layer.fields);
            dialog.profile.source = source;
            dialog.layer = chosen;
            dialog.validated = None;
        }
    }
    let Some(layer) = inspection.layers.iter().find(|layer| Some(&layer.name) == dialog.layer.as_ref()) else { return };
    ui.label(format!(
        "{} · {} · {} {} {}",
        inspection.format.name(),
        layer.geometry_type,
        layer.feature_count,
        lang.pick("个要素", "features"),
        layer.encoding.as_ref().map(|encoding| format!("· {} ({})", encoding.name, encoding.evidence)).unwrap_or_default()
    ));
    match &layer.crs {
        Ok(guess) => {
            ui.label(format!("{}{}", lang.pick("坐标系：", "Coordinates: "), guess.evidence));
        }
        Err(error) => {
            ui.colored_label(tokens::OVERDUE_TEXT, format!("{}{error}", lang.pick("坐标系无法使用：", "Coordinate system refused: ")));
        }
    }
    // The first rows as the file has them.
    egui::ScrollArea::horizontal().id_salt("import_samples").show(ui, |ui| {
        egui::Grid::new("import_sample_rows").striped(true).show(ui, |ui| {
            for field in &layer.fields {
                ui.strong(&field.name);
            }
            ui.end_row();
            for sample in &layer.samples {
                for field in &layer.fields {
                    let text = sample.attribute(&field.name).and_then(crate::io::Value::as_text).unwrap_or_default();
                    ui.label(text.chars().take(24).collect::<String>());
                }
                ui.end_row();
            }
        });
    });
}

fn mapping_ui(ui: &mut egui::Ui, dialog: &mut ImportDialog, lang: Lang) {
    let Some(Ok(inspection)) = &dialog.inspection else { return };
    let Some(layer) = inspection.layers.iter().find(|layer| Some(&layer.name) == dialog.layer.as_ref()) else { return };
    let fields: Vec<String> = layer.fields.iter().map(|field| field.name.clone()).collect();
    ui.strong(lang.pick("字段对应", "Field mapping"));
    let before = dialog.profile.clone();
    egui::Grid::new("import_mapping").num_columns(3).spacing([12.0, 4.0]).striped(true).show(ui, |ui| {
        ui.weak(lang.pick("目标字段", "Target field"));
        ui.weak(lang.pick("来源字段", "Source field"));
        ui.weak(lang.pick("或固定值", "or a constant"));
        ui.end_row();
        for target in target_fields(dialog.target) {
            let title = if lang.is_chinese() { target.label_zh.to_owned() } else { target.name.to_owned() };
            let label = ui.label(if target.required { format!("{title} *") } else { title });
            let mut chosen = dialog.profile.fields.get(target.name).cloned();
            egui::ComboBox::from_id_salt(("import_field", target.name))
                .selected_text(chosen.clone().unwrap_or_else(|| lang.pick("（不导入）", "(none)").to_owned()))
                .width(180.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut chosen, None, lang.pick("（不导入）", "(none)"));
                    for field in &fields {
                        ui.selectable_value(&mut chosen, Some(field.clone()), field);
                    }
                })
                .response
                .labelled_by(label.id);
            match chosen {
                Some(field) => {
                    dialog.profile.fields.insert(target.name.to_owned(), field);
                }
                None => {
                    dialog.profile.fields.remove(target.name);
                }
            }
            let mut constant = dialog.profile.constants.get(target.name).cloned().unwrap_or_default();
            if ui.add(egui::TextEdit::singleline(&mut constant).desired_width(140.0)).labelled_by(label.id).changed() {
                if constant.trim().is_empty() {
                    dialog.profile.constants.remove(target.name);
                } else {
                    dialog.profile.constants.insert(target.name.to_owned(), constant);
                }
            }
            ui.end_row();
        }
    });
    if dialog.profile != before {
        dialog.validated = None;
    }
    ui.horizontal(|ui| {
        let label = ui.label(lang.pick("映射方案文件", "Profile file"));
        ui.add(egui::TextEdit::singleline(&mut dialog.profile_path).desired_width(300.0).hint_text("profile.json")).labelled_by(label.id);
        let path = PathBuf::from(dialog.profile_path.trim());
        let has_path = !dialog.profile_path.trim().is_empty();
        if ui.add_enabled(has_path, egui::Button::new(lang.pick("载入", "Load"))).clicked() {
            dialog.profile_message = Some(
                std::fs::read_to_string(&path)
                    .map_err(|error| format!("{}: {error}", path.display()))
                    .and_then(|text| MappingProfile::from_json(&text).map_err(|error| format!("{}: {error}", path.display())))
                    .map(|profile| {
                        dialog.target = profile.target;
                        dialog.profile = profile;
                        dialog.validated = None;
                        format!("{} {}", lang.pick("已载入", "Loaded"), path.display())
                    }),
            );
        }
        if ui.add_enabled(has_path, egui::Button::new(lang.pick("保存", "Save"))).clicked() {
            let profile = dialog.profile_for_run();
            dialog.profile_message = Some(
                std::fs::write(&path, profile.to_json())
                    .map(|()| format!("{} {}", lang.pick("已保存", "Saved"), path.display()))
                    .map_err(|error| format!("{}: {error}", path.display())),
            );
        }
    });
    match &dialog.profile_message {
        Some(Ok(message)) => {
            ui.weak(message);
        }
        Some(Err(message)) => {
            ui.colored_label(tokens::OVERDUE_TEXT, message);
        }
        None => {}
    }
    ui.add_space(4.0);
    ui.strong(lang.pick("发现问题时", "When a feature has an issue"));
    egui::Grid::new("import_policy").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        for class in IssueClass::ALL {
            let label = ui.label(class.label(lang.is_chinese()));
            let mut choice = dialog.policy.for_class(class);
            egui::ComboBox::from_id_salt(("import_policy", class))
                .selected_text(on_issue_label(choice, lang))
                .width(220.0)
                .show_ui(ui, |ui| {
                    for option in [OnIssue::Stop, OnIssue::Skip, OnIssue::Fix] {
                        ui.selectable_value(&mut choice, option, on_issue_label(option, lang));
                    }
                })
                .response
                .labelled_by(label.id);
            if choice != dialog.policy.for_class(class) {
                dialog.policy.per_class.insert(class, choice);
                dialog.validated = None;
            }
            ui.end_row();
        }
    });
}

/// The step buttons, kept below the scrolled part so they are always in view.
fn actions_ui(ui: &mut egui::Ui, dialog: &ImportDialog, lang: Lang, commands: &mut Vec<Command>) {
    if !matches!(dialog.inspection, Some(Ok(_))) || dialog.running.is_some() {
        return;
    }
    ui.horizontal(|ui| {
        if ui.button(lang.pick("检查（不写入）", "Check (writes nothing)")).clicked() {
            commands.push(Command::ImportStep(ImportStep::Validate));
        }
        let ready = matches!(&dialog.validated, Some(Ok(report)) if report.accepted > 0);
        let text = match &dialog.validated {
            Some(Ok(report)) => format!("{} {} {}", lang.pick("导入", "Import"), report.accepted, lang.pick("个要素", "features")),
            _ => lang.pick("导入（先检查）", "Import (check first)").to_owned(),
        };
        if ui.add_enabled(ready, egui::Button::new(text)).clicked() {
            commands.push(Command::ImportStep(ImportStep::Commit));
        }
    });
}

fn running_ui(ui: &mut egui::Ui, dialog: &ImportDialog, lang: Lang) {
    let Some(running) = &dialog.running else { return };
    let progress = running.job.progress();
    let what = match running.step {
        ImportStep::Inspect => lang.pick("正在读取…", "Reading…"),
        ImportStep::Validate => lang.pick("正在检查…", "Checking…"),
        ImportStep::Commit => lang.pick("正在导入…", "Importing…"),
    };
    match progress {
        Some(progress) => {
            let total = progress.total.map(|total| total.value()).unwrap_or(0);
            let share = if total > 0 { (progress.done as f32 / total as f32).min(1.0) } else { 0.0 };
            let left = progress
                .remaining()
                .map(|left| format!(" · {} {:.0} {}", lang.pick("剩余约", "about"), left.as_secs_f64().ceil(), lang.pick("秒", "s left")))
                .unwrap_or_default();
            ui.add(egui::ProgressBar::new(share).text(format!("{what} {} / {}{left}", progress.done, total)));
        }
        None => {
            ui.add(egui::ProgressBar::new(0.0).animate(true).text(format!("{what} {:.0} s", running.job.elapsed().as_secs_f32())));
        }
    }
    if running.step != ImportStep::Inspect && ui.button(lang.pick("取消", "Cancel")).clicked() {
        running.job.cancel();
    }
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
}

fn report_ui(ui: &mut egui::Ui, dialog: &ImportDialog, lang: Lang) {
    let chinese = lang.is_chinese();
    for (title, report) in [(lang.pick("检查结果", "Check"), &dialog.validated), (lang.pick("导入结果", "Import"), &dialog.committed)]
    {
        let Some(report) = report else { continue };
        ui.separator();
        ui.strong(title);
        match report {
            Err(message) => {
                ui.colored_label(tokens::OVERDUE_TEXT, message);
            }
            Ok(report) => {
                let verb = if report.written { lang.pick("已写入", "written") } else { lang.pick("可写入", "to write") };
                ui.label(format!(
                    "{} {} · {verb} {} · {} {} · {} {} · {:.1} s",
                    lang.pick("读取", "read"),
                    report.read,
                    report.accepted,
                    lang.pick("跳过", "skipped"),
                    report.skipped,
                    lang.pick("问题", "issues"),
                    report.issue_count,
                    report.elapsed_s
                ));
                if report.target == Target::Parts && report.accepted > 0 {
                    let [points, lines, polygons] = report.parts_by_geometry;
                    ui.weak(format!(
                        "{} {points} · {} {lines} · {} {polygons}",
                        lang.pick("点", "points"),
                        lang.pick("线", "lines"),
                        lang.pick("面", "polygons")
                    ));
                }
                if !report.issues_by_class.is_empty() {
                    let classes: Vec<String> =
                        report.issues_by_class.iter().map(|(class, count)| format!("{} {count}", class.label(chinese))).collect();
                    ui.label(classes.join(" · "));
                }
                egui::ScrollArea::vertical().id_salt(("import_issues", report.written)).max_height(140.0).show(ui, |ui| {
                    for issue in report.issues.iter().take(200) {
                        ui.label(issue.describe(chinese));
                    }
                    if report.issue_count > 200 {
                        ui.weak(format!("… {} {}", report.issue_count - 200, lang.pick("个问题未列出", "more issues")));
                    }
                    for fix in report.fixes.iter().take(100) {
                        ui.weak(fix.describe(chinese));
                    }
                });
            }
        }
    }
}
