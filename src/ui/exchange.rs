//! The exchange window (数据交换, issue 19): the messages going to the city platform and the 12345
//! hotline, each with where its delivery stands: waiting, failed with the other side's reason
//! and when it is tried again, or sent. A shift leader or an administrator sends a waiting one
//! at once (the store checks who, and records it).

use egui::RichText;

use crate::model::Role;
use crate::session::{Command, Selection};
use crate::ui::View;

use super::desk::DeskState;

/// The exchange window's state.
#[derive(Debug, Default)]
pub struct ExchangeWindow {
    /// `None` while closed; what was read, once read.
    pub rows: Option<Option<Result<Vec<crate::model::OutboxRow>, String>>>,
}

/// The window: counts, then one row per message, unsent first.
pub fn exchange_ui(ctx: &egui::Context, view: View<'_>, state: &mut DeskState) -> Vec<Command> {
    let View { cases: book, lang, .. } = view;
    let mut commands = Vec::new();
    let Some(rows) = &state.exchange.rows else { return commands };
    let may_resend = state.user.as_ref().is_some_and(|user| matches!(user.role, Role::ShiftLeader | Role::Administrator));
    let mut open = true;
    egui::Window::new(lang.pick("数据交换", "Exchange")).id(egui::Id::unique("exchange_window")).open(&mut open).default_width(900.0).show(
        ctx,
        |ui| {
            if let Some(rows) = super::read_or_wait(ui, rows.as_ref(), lang) {
                let waiting = rows.iter().filter(|row| row.sent_at.is_none()).count();
                let failing = rows.iter().filter(|row| row.failing()).count();
                ui.horizontal(|ui| {
                    ui.label(format!("{} {waiting}", lang.pick("待发送", "Waiting:")));
                    let color = if failing > 0 { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                    ui.colored_label(color, format!("{} {failing}", lang.pick("发送失败", "Failing:")));
                    if ui.button(lang.pick("刷新", "Refresh")).clicked() {
                        commands.push(Command::OpenExchange);
                    }
                });
                ui.separator();
                egui::ScrollArea::vertical().max_height(520.0).show(ui, |ui| {
                    egui::Grid::new("exchange").striped(true).num_columns(8).show(ui, |ui| {
                        super::header_row(
                            ui,
                            &[
                                lang.pick("状态", "Status"),
                                lang.pick("发往", "To"),
                                lang.pick("案卷号", "Case no."),
                                lang.pick("对方编号", "Their no."),
                                lang.pick("步骤", "Step"),
                                lang.pick("生成时间", "Queued"),
                                lang.pick("原因", "Reason"),
                                "",
                            ],
                        );
                        for row in rows {
                            let status = match (row.sent_at, row.attempts) {
                                (Some(at), _) => format!("{} {}", lang.pick("已发送", "Sent"), at.format("%m-%d %H:%M:%S")),
                                (None, 0) => lang.pick("待发送", "Waiting").to_owned(),
                                (None, tries) => {
                                    let next = row.next_attempt_at.map(|at| at.format("%H:%M:%S").to_string()).unwrap_or_default();
                                    format!("{} ×{tries}，{} {next}", lang.pick("失败", "Failed"), lang.pick("下次", "next"))
                                }
                            };
                            if row.failing() {
                                ui.colored_label(ui.visuals().error_fg_color, status);
                            } else {
                                ui.label(status);
                            }
                            ui.label(crate::model::exchange::system_name(&row.system, lang.is_chinese()));
                            if ui.link(RichText::new(&row.case_no).monospace()).clicked()
                                && let Some(position) = book.position_of(row.case_id)
                            {
                                commands.push(Command::Select(Some(Selection::Case(position))));
                            }
                            ui.label(&row.external_id);
                            let action = <crate::workflow::ActionKind as crate::model::Keyword>::from_keyword(&row.action)
                                .map_or_else(|| row.action.clone(), |kind| kind.label(lang.is_chinese()).to_owned());
                            ui.label(action);
                            ui.label(row.created_at.format("%m-%d %H:%M:%S").to_string());
                            // The reason cut to its column; whole on hover.
                            let reason = row.last_error.as_deref().unwrap_or("");
                            ui.add_sized([300.0, 18.0], egui::Label::new(reason).truncate()).on_hover_text(reason);
                            if row.sent_at.is_none() && may_resend {
                                if ui.button(lang.pick("立即重发", "Send now")).clicked() {
                                    commands.push(Command::ResendMessage(row.id));
                                }
                            } else {
                                ui.label("");
                            }
                            ui.end_row();
                        }
                    });
                });
            }
        },
    );
    if !open {
        state.exchange.rows = None;
    }
    commands
}
