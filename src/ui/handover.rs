//! The shift handover window (交接班): the notes the shifts left, newest first, with the
//! figures of the desk when each was written and who confirmed it; the form for this shift's
//! note; and, at sign-in, the last note of another shift to read and confirm.

use egui::RichText;

use crate::desk::{CaseBook, Queue};
use crate::model::{HANDOVER_MAX_CHARS, Handover};
use crate::model::{Role, User};
use crate::session::Command;
use crate::ui::{Lang, View};

/// The handover window's state.
#[derive(Debug, Default)]
pub struct HandoverWindow {
    pub open: bool,
    /// What was read: `None` until read.
    pub notes: Option<Result<Vec<Handover>, String>>,
    /// This shift's note being written.
    pub draft: String,
    /// The window opened itself once for this sign-in (a note of another shift to confirm).
    pub prompted: bool,
}

/// Whether `user` writes and confirms handover notes (the centre's shifts).
#[must_use]
pub fn takes_shifts(user: &User) -> bool {
    matches!(user.role, Role::IntakeOperator | Role::Dispatcher | Role::ShiftLeader)
}

/// The desk's figures when a note is written: each queue's count, and the cases reported and
/// finished in the last eight hours (a shift).
#[must_use]
pub fn figures(book: &CaseBook, now: chrono::NaiveDateTime) -> serde_json::Value {
    let since = now - chrono::Duration::hours(8);
    let mut figures = serde_json::Map::new();
    for queue in Queue::ALL {
        figures.insert(queue.key().to_owned(), book.count(&queue.filter()).into());
    }
    let reported = book.cases().iter().filter(|case| case.reported_at > since && case.reported_at <= now).count();
    let closed = book.cases().iter().filter(|case| case.closed_at.is_some_and(|at| at > since && at <= now)).count();
    figures.insert("reported_8h".into(), reported.into());
    figures.insert("closed_8h".into(), closed.into());
    serde_json::Value::Object(figures)
}

fn figures_text(figures: &serde_json::Value, lang: Lang) -> String {
    let mut parts = Vec::new();
    for queue in Queue::ALL {
        if let Some(count) = figures.get(queue.key()).and_then(serde_json::Value::as_u64) {
            parts.push(format!("{} {count}", queue.label(lang.is_chinese())));
        }
    }
    for (key, zh, en) in [("reported_8h", "8 小时内上报", "reported in 8 h"), ("closed_8h", "8 小时内结案", "closed in 8 h")] {
        if let Some(count) = figures.get(key).and_then(serde_json::Value::as_u64) {
            parts.push(format!("{} {count}", lang.pick(zh, en)));
        }
    }
    parts.join(" · ")
}

/// The newest note of another shift that `user` has not confirmed.
#[must_use]
pub fn unconfirmed<'a>(notes: &'a [Handover], user: &User) -> Option<&'a Handover> {
    notes.first().filter(|note| note.author_id != Some(user.id) && note.read_by.iter().all(|(reader, ..)| *reader != user.id))
}

/// The window, while open. Opens itself once after sign-in when the last note is another
/// shift's and unconfirmed.
pub fn handover_ui(ctx: &egui::Context, view: View<'_>, window: &mut HandoverWindow, user: Option<&User>) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(user) = user.filter(|user| takes_shifts(user)) else { return commands };
    if !window.prompted
        && let Some(Ok(notes)) = &window.notes
    {
        window.prompted = true;
        window.open |= unconfirmed(notes, user).is_some();
    }
    if !window.open {
        return commands;
    }
    let View { cases: book, lang, now, .. } = view;
    let mut open = true;
    egui::Window::new(lang.pick("交接班", "Shift handover"))
        .id(egui::Id::unique("handover_window"))
        .open(&mut open)
        .default_width(640.0)
        .default_pos(egui::pos2(420.0, 120.0))
        .show(ctx, |ui| match &window.notes {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(lang.pick("正在读取…", "Reading…"));
                });
            }
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            Some(Ok(notes)) => {
                if let Some(note) = unconfirmed(notes, user) {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.label(
                            RichText::new(lang.pick("上一班的交接记录（请阅后确认）", "The last shift's note (read and confirm)")).strong(),
                        );
                        note_ui(ui, note, lang);
                        if ui.button(lang.pick("确认已阅，接班", "Confirm read: I take over")).clicked() {
                            commands.push(Command::ConfirmHandover(note.id));
                        }
                    });
                    ui.add_space(6.0);
                }
                ui.label(RichText::new(lang.pick("本班交班记录", "This shift's note")).strong());
                ui.weak(format!(
                    "{}{}",
                    lang.pick("当前数字（随记录保存）：", "The desk now (saved with the note): "),
                    figures_text(&figures(book, now), lang)
                ));
                let label = ui.label(lang.pick("需要下一班关注的事项", "What the next shift must know"));
                ui.add(
                    egui::TextEdit::multiline(&mut window.draft)
                        .desired_rows(4)
                        .desired_width(f32::INFINITY)
                        .char_limit(HANDOVER_MAX_CHARS)
                        .hint_text(
                            lang.pick(
                                "待跟进的案卷、预约的回访、设备故障……",
                                "Cases to follow up, calls promised, equipment out of order…",
                            ),
                        ),
                )
                .labelled_by(label.id);
                let ready = !window.draft.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new(lang.pick("提交交班记录", "Hand over"))).clicked() {
                    commands.push(Command::WriteHandover { text: window.draft.trim().to_owned(), figures: figures(book, now) });
                }
                ui.separator();
                ui.label(RichText::new(lang.pick("最近的交接记录", "Recent notes")).strong());
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    if notes.is_empty() {
                        ui.weak(lang.pick("还没有交接记录", "No note yet"));
                    }
                    for note in notes {
                        note_ui(ui, note, lang);
                        ui.separator();
                    }
                });
            }
        });
    window.open = open;
    commands
}

fn note_ui(ui: &mut egui::Ui, note: &Handover, lang: Lang) {
    ui.label(RichText::new(format!("{} · {}", note.at.format("%Y-%m-%d %H:%M"), note.author)).strong());
    ui.add(egui::Label::new(&note.text).wrap());
    ui.weak(figures_text(&note.figures, lang));
    let read: Vec<String> = note.read_by.iter().map(|(_, name, at)| format!("{name} {}", at.format("%m-%d %H:%M"))).collect();
    if read.is_empty() {
        ui.weak(lang.pick("尚无人确认", "Not confirmed yet"));
    } else {
        ui.weak(format!("{}{}", lang.pick("已确认：", "Confirmed: "), read.join("，")));
    }
}
