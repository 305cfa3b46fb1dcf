//! The export window (导出数据): what to export (parts, jurisdictions, cases, everything), which of
//! it (all, the map view, the case list's current rows), the format and the file. The export runs
//! on its own thread with a progress bar, time left and a cancel button; the UI never waits.
//!
//! The writing is `io::export`; this file only asks and shows.

use std::path::PathBuf;

use crate::io::export::{ExportFormat, ExportProgress, ExportSummary, ExportWhat};
use crate::model::Labelled as _;
use crate::model::{JurisdictionKind, Keyword as _};
use crate::session::{Command, ExportRequest, ExportScope};
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

/// An export under way: its progress (features written of all) and, at the end, what it wrote.
pub type ExportRun = crate::job::Job<ExportProgress, Result<ExportSummary, String>>;

/// The window's state.
pub struct ExportDialog {
    pub open: bool,
    what: ExportWhat,
    scope: ExportScope,
    jurisdiction_kind: Option<JurisdictionKind>,
    format: ExportFormat,
    path: String,
    /// The folder new file names go to.
    dir: PathBuf,
    chinese_header: bool,
    pub running: Option<ExportRun>,
    /// The last export's result, shown until the next one starts.
    pub outcome: Option<Result<ExportSummary, String>>,
}

impl Default for ExportDialog {
    fn default() -> Self {
        Self {
            open: false,
            what: ExportWhat::All,
            scope: ExportScope::Everything,
            jurisdiction_kind: None,
            format: ExportFormat::GeoPackage,
            path: String::new(),
            dir: PathBuf::new(),
            chinese_header: true,
            running: None,
            outcome: None,
        }
    }
}

impl ExportDialog {
    /// Opens the window for `what` over `scope` (the case list's button opens it for its rows),
    /// proposing a new file in `dir`.
    pub fn open_for(&mut self, what: ExportWhat, scope: ExportScope, dir: &std::path::Path) {
        self.open = true;
        dir.clone_into(&mut self.dir);
        self.what = what;
        self.scope = scope;
        if what == ExportWhat::All {
            self.format = ExportFormat::GeoPackage;
        }
        if what != ExportWhat::Cases && self.format == ExportFormat::Csv {
            self.format = ExportFormat::GeoPackage;
        }
        self.path = default_path(&self.dir, what, self.format).to_string_lossy().into_owned();
    }

    /// The file the window will write.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Takes the finished run's result, when its thread is done.
    pub fn collect(&mut self) {
        let finished = self.running.as_mut().and_then(ExportRun::take_result);
        if let Some(result) = finished {
            self.running = None;
            self.outcome = Some(result);
        }
    }
}

fn what_label(what: ExportWhat, lang: Lang) -> &'static str {
    match what {
        ExportWhat::Parts => lang.pick("城市部件", "City parts"),
        ExportWhat::Jurisdictions => lang.pick("辖区", "Jurisdictions"),
        ExportWhat::Cases => lang.pick("案卷（含时限状态）", "Cases (with deadline status)"),
        ExportWhat::All => lang.pick("全部图层（GeoPackage）", "All layers (GeoPackage)"),
    }
}

fn format_label(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::GeoPackage => "GeoPackage (.gpkg)",
        ExportFormat::GeoJson => "GeoJSON (.geojson)",
        ExportFormat::Csv => "CSV (.csv)",
    }
}

/// `<dir>/citygrid_cases_20261125-0930.gpkg`.
fn default_path(dir: &std::path::Path, what: ExportWhat, format: ExportFormat) -> PathBuf {
    let name = match what {
        ExportWhat::Parts => "parts",
        ExportWhat::Jurisdictions => "jurisdictions",
        ExportWhat::Cases => "cases",
        ExportWhat::All => "city",
    };
    let stamp = crate::calendar::china_now().format("%Y%m%d-%H%M");
    dir.join(format!("citygrid_{name}_{stamp}.{}", format.extension()))
}

/// The path with its extension set to `format`'s.
fn with_extension(path: &str, format: ExportFormat) -> String {
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return String::new();
    }
    path.with_extension(format.extension()).to_string_lossy().into_owned()
}

/// Draws the window; returns the export to start or cancel.
#[must_use]
pub fn export_window_ui(ctx: &egui::Context, dialog: &mut ExportDialog, lang: Lang) -> Vec<Command> {
    let mut commands = Vec::new();
    dialog.collect();
    if !dialog.open {
        return commands;
    }
    let mut open = true;
    crate::ui::centred_window(ctx, lang.pick("导出数据", "Export data"), 460.0).open(&mut open).resizable(false).show(ctx, |ui| {
        let busy = dialog.running.is_some();
        ui.add_enabled_ui(!busy, |ui| settings_ui(ui, dialog, lang));
        ui.add_space(6.0);
        if let Some(run) = &dialog.running {
            let progress = run.progress();
            let share = progress.done as f32 / progress.total.max(1) as f32;
            let elapsed = run.elapsed().as_secs_f32();
            let left = if share > 0.02 { Some(elapsed / share - elapsed) } else { None };
            let text = match left {
                Some(seconds) => format!(
                    "{} / {} · {} {:.0} {}",
                    progress.done,
                    progress.total,
                    lang.pick("剩余约", "about"),
                    seconds.ceil(),
                    lang.pick("秒", "s left")
                ),
                None => format!("{} / {}", progress.done, progress.total),
            };
            ui.add(egui::ProgressBar::new(share).text(text));
            if ui.button(lang.pick("取消导出", "Cancel export")).clicked() {
                commands.push(Command::CancelExport);
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(200));
        } else {
            let path = dialog.path.trim();
            let ready = !path.is_empty();
            if ui.add_enabled(ready, egui::Button::new(lang.pick("导出", "Export"))).clicked() {
                commands.push(Command::StartExport(Box::new(ExportRequest {
                    what: dialog.what,
                    scope: dialog.scope,
                    jurisdiction_kind: dialog.jurisdiction_kind,
                    path: PathBuf::from(path),
                    chinese_header: dialog.chinese_header,
                })));
            }
        }
        match &dialog.outcome {
            Some(Ok(summary)) => {
                let layers: Vec<String> = summary.layers.iter().map(|(name, count)| format!("{name} {count}")).collect();
                ui.label(format!(
                    "{} {} {}：{}",
                    lang.pick("已导出", "Exported"),
                    summary.total(),
                    lang.pick("个要素", "features"),
                    summary.path.display()
                ));
                ui.weak(layers.join(" · "));
            }
            Some(Err(message)) => {
                ui.colored_label(tokens::OVERDUE_TEXT, message);
            }
            None => {}
        }
    });
    if !open {
        dialog.open = false;
    }
    commands
}

fn settings_ui(ui: &mut egui::Ui, dialog: &mut ExportDialog, lang: Lang) {
    let before = (dialog.what, dialog.format);
    egui::Grid::new("export_settings").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let label = ui.label(lang.pick("内容", "Content"));
        egui::ComboBox::from_id_salt("export_what")
            .selected_text(what_label(dialog.what, lang))
            .width(260.0)
            .show_ui(ui, |ui| {
                for what in [ExportWhat::Parts, ExportWhat::Jurisdictions, ExportWhat::Cases, ExportWhat::All] {
                    ui.selectable_value(&mut dialog.what, what, what_label(what, lang));
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();

        ui.label(lang.pick("范围", "Extent"));
        ui.vertical(|ui| {
            ui.radio_value(&mut dialog.scope, ExportScope::Everything, lang.pick("全部", "Everything"));
            ui.radio_value(&mut dialog.scope, ExportScope::MapView, lang.pick("当前地图范围", "The map view"));
            if dialog.what == ExportWhat::Cases {
                ui.radio_value(&mut dialog.scope, ExportScope::CaseList, lang.pick("案卷列表的当前结果", "The case list's current rows"));
            } else if dialog.scope == ExportScope::CaseList {
                dialog.scope = ExportScope::Everything;
            }
        });
        ui.end_row();

        if dialog.what == ExportWhat::Jurisdictions {
            let label = ui.label(lang.pick("辖区类型", "Jurisdiction kind"));
            let current = dialog.jurisdiction_kind.map_or(lang.pick("全部类型", "Every kind"), |kind| kind.label(lang));
            egui::ComboBox::from_id_salt("export_kind")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut dialog.jurisdiction_kind, None, lang.pick("全部类型", "Every kind"));
                    for kind in JurisdictionKind::ALL.iter().copied() {
                        ui.selectable_value(&mut dialog.jurisdiction_kind, Some(kind), kind.label(lang));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
        }

        ui.label(lang.pick("格式", "Format"));
        ui.vertical(|ui| {
            ui.radio_value(&mut dialog.format, ExportFormat::GeoPackage, format_label(ExportFormat::GeoPackage));
            ui.add_enabled_ui(dialog.what != ExportWhat::All, |ui| {
                ui.radio_value(&mut dialog.format, ExportFormat::GeoJson, format_label(ExportFormat::GeoJson));
            });
            ui.add_enabled_ui(dialog.what == ExportWhat::Cases, |ui| {
                ui.radio_value(&mut dialog.format, ExportFormat::Csv, format_label(ExportFormat::Csv));
            });
        });
        ui.end_row();
        if dialog.format == ExportFormat::Csv {
            ui.label("");
            ui.checkbox(&mut dialog.chinese_header, lang.pick("表头用中文（便于 Excel）", "Chinese header row (for Excel)"));
            ui.end_row();
        }

        let label = ui.label(lang.pick("保存到", "Save to"));
        ui.add(egui::TextEdit::singleline(&mut dialog.path).desired_width(320.0)).labelled_by(label.id);
        ui.end_row();
    });
    // Keep the choices consistent: everything is GeoPackage only, CSV is for cases.
    if dialog.what == ExportWhat::All && dialog.format != ExportFormat::GeoPackage
        || dialog.what != ExportWhat::Cases && dialog.format == ExportFormat::Csv
    {
        dialog.format = ExportFormat::GeoPackage;
    }
    if (dialog.what, dialog.format) != before {
        dialog.path = if dialog.path.trim().is_empty() || before.0 != dialog.what {
            default_path(&dialog.dir, dialog.what, dialog.format).to_string_lossy().into_owned()
        } else {
            with_extension(&dialog.path, dialog.format)
        };
    }
}

/// Asks a running export to stop; its thread removes its partial file.
pub fn cancel(dialog: &ExportDialog) {
    if let Some(run) = &dialog.running {
        run.cancel();
    }
}
