//! The backlog ledger window (挂账台账, Art. 18): every case in the ledger, why, since when, how it
//! left; and the export of a period's ledger for the committee.

use egui::RichText;

use crate::session::{Command, Selection};
use crate::ui::View;

use super::desk::DeskState;

/// The backlog ledger window's state.
#[derive(Debug, Default)]
pub struct LedgerWindow {
    /// `None` while closed; what was read, once read.
    pub entries: Option<Option<Result<Vec<crate::model::BacklogEntry>, String>>>,
    /// Show ended entries (restored or closed) too.
    pub show_all: bool,
    /// The period the export covers, as `citygrid report --period` reads it (`2026-11`,
    /// `2026-Q4`, `2026`); this month when empty.
    pub period: String,
}

/// The backlog ledger (挂账问题库, Art. 18) as a window: every case entered, why, when, for how
/// long, and how it left. Click a case number to select it.
pub fn ledger_ui(ctx: &egui::Context, view: View<'_>, state: &mut DeskState) -> Vec<Command> {
    let View { world, cases: book, lang, now } = view;
    let mut commands = Vec::new();
    let Some(ledger) = &state.ledger.entries else { return commands };
    let mut open = true;
    let mut show_all = state.ledger.show_all;
    egui::Window::new(lang.pick("挂账台账", "Backlog ledger"))
        .id(egui::Id::unique("ledger_window"))
        .open(&mut open)
        .default_width(760.0)
        .show(ctx, |ui| {
            if let Some(entries) = super::read_or_wait(ui, ledger.as_ref(), lang) {
                let in_ledger = entries.iter().filter(|entry| entry.ended_at.is_none()).count();
                ui.horizontal(|ui| {
                    ui.label(format!("{} {in_ledger}", lang.pick("在账", "In the ledger:")));
                    ui.checkbox(&mut show_all, lang.pick("显示已恢复、已结案的记录", "Show restored and closed entries"));
                });
                ui.horizontal(|ui| {
                    if state.ledger.period.trim().is_empty() {
                        state.ledger.period = now.format("%Y-%m").to_string();
                    }
                    let label = ui.label(lang.pick("统计期", "Period"));
                    ui.add(egui::TextEdit::singleline(&mut state.ledger.period).desired_width(150.0).hint_text("2026-11 / 2026-Q4 / 2026"))
                        .labelled_by(label.id);
                    match crate::assess::Period::parse(state.ledger.period.trim()) {
                        Ok(period) => {
                            let export = lang.pick("导出本期挂账台账（Excel）", "Export the period's ledger (XLSX)");
                            if ui.button(export).clicked() {
                                commands.push(Command::ExportLedger(period));
                            }
                        }
                        Err(error) => {
                            ui.colored_label(ui.visuals().error_fg_color, error.to_string());
                        }
                    }
                });
                ui.separator();
                egui::Grid::new("ledger").striped(true).num_columns(7).show(ui, |ui| {
                    for header in [
                        lang.pick("案卷号", "Case no."),
                        lang.pick("类别", "Class"),
                        lang.pick("责任单位", "Unit"),
                        lang.pick("挂账理由", "Reason"),
                        lang.pick("挂账时间", "Entered"),
                        lang.pick("在账天数", "Days"),
                        lang.pick("状态", "Status"),
                    ] {
                        ui.label(RichText::new(header).strong());
                    }
                    ui.end_row();
                    for entry in entries.iter().rev().filter(|entry| show_all || entry.ended_at.is_none()) {
                        if ui.link(RichText::new(&entry.case_no).monospace()).clicked()
                            && let Some(position) = book.position_of(entry.case_id)
                        {
                            commands.push(Command::Select(Some(Selection::Case(position))));
                        }
                        ui.label(&entry.class_code);
                        ui.label(world.unit_name(entry.unit, lang));
                        ui.label(&entry.reason);
                        ui.label(entry.entered_at.format("%Y-%m-%d").to_string());
                        let days = (entry.ended_at.unwrap_or(now) - entry.entered_at).num_days();
                        ui.label(days.to_string());
                        let status = match entry.ended_how {
                            None => lang.pick("在账", "In ledger").to_owned(),
                            Some(how) => format!(
                                "{} {}",
                                if lang.is_chinese() { how.label_zh() } else { how.label_en() },
                                entry.ended_at.map(|at| at.format("%m-%d").to_string()).unwrap_or_default()
                            ),
                        };
                        ui.label(status);
                        ui.end_row();
                    }
                });
            }
        });
    state.ledger.show_all = show_all;
    if !open {
        state.ledger.entries = None;
    }
    commands
}
