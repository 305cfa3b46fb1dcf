//! Everything drawn with egui: design tokens, fonts, translations and one file per view.
//!
//! UI functions read the app state and return commands; they never touch the store or disk.

pub mod alerts;
pub mod assessment;
pub mod batch;
pub mod case_actions;
pub mod committee;
pub mod design_tokens;
pub mod desk;
pub mod details;
pub mod exchange;
pub mod export_dialog;
pub mod fonts;
pub mod handover;
pub mod import_dialog;
pub mod layers;
pub mod ledger;
pub mod map_view;
pub mod new_case;
pub mod photos;
pub mod report_charts;
pub mod search;

pub mod top_bar;
pub mod topology;
pub mod wall;

pub use crate::model::{Labelled, Lang};

/// What every view reads: the world, the cases as this seat knows them, the interface language
/// and the clock the lights are measured at. Cheap to copy; views take it instead of four
/// arguments.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub world: &'a crate::session::World,
    pub cases: &'a crate::desk::CaseBook,
    pub lang: Lang,
    pub now: chrono::NaiveDateTime,
}

/// A window that opens in the middle of the screen, clear of the side panels and the case list
/// whose buttons open it (the export and import windows).
pub fn centred_window(ctx: &egui::Context, title: &str, default_width: f32) -> egui::Window<'static> {
    egui::Window::new(title.to_owned())
        .collapsible(false)
        .default_width(default_width)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
}

/// A job's notify that repaints the UI (a job's progress or result shows in the next frame).
#[must_use]
/// What a window read on the desk worker: a spinner while it is being read, the error when it
/// failed, and what was read otherwise.
pub fn read_or_wait<'a, T>(ui: &mut egui::Ui, read: Option<&'a Result<T, String>>, lang: Lang) -> Option<&'a T> {
    match read {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(lang.pick("正在读取…", "Reading…"));
            });
            None
        }
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
            None
        }
        Some(Ok(read)) => Some(read),
    }
}

/// A grid's header row: each heading strong, then the row's end.
pub fn header_row(ui: &mut egui::Ui, headings: &[&str]) {
    for heading in headings {
        ui.label(egui::RichText::new(*heading).strong());
    }
    ui.end_row();
}

pub fn repaint_notify(ctx: &egui::Context) -> crate::job::Notify {
    let ctx = ctx.clone();
    std::sync::Arc::new(move || ctx.request_repaint())
}
