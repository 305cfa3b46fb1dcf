//! The top bar: who we are, which district, the clock, the language switch.

use chrono::NaiveDateTime;

use crate::model::Labelled;
use crate::model::{Role, User};
use crate::session::{Command, World};
use crate::ui::Lang;

/// The search box's own state.
#[derive(Debug, Default)]
pub struct SearchState {
    pub text: String,
    /// Whether the last search found something (`None` before the first).
    pub found: Option<bool>,
}

/// Draws the top bar; returns the commands the user gave.
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    world: &World,
    open_cases: (usize, usize),
    user: Option<&User>,
    lang: Lang,
    now: NaiveDateTime,
    search: &mut SearchState,
) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("citygrid").size(18.0).strong())
                .on_hover_text(lang.pick("citygrid 数字城管指挥中心", "citygrid command centre"));
            ui.separator();
            ui.label(egui::RichText::new(&world.district_name).strong()).on_hover_text(&world.district_code);
            ui.separator();
            ui.label(format!("{} {}", lang.pick("在办案卷", "Open cases"), open_cases.0));
            if open_cases.1 > 0 {
                ui.colored_label(crate::ui::design_tokens::OVERDUE_TEXT, format!("{} {}", lang.pick("超期", "Overdue"), open_cases.1));
            }
            ui.separator();
            let hint = lang.pick("部件编码、网格编码、案卷号或地名 (Ctrl+F)", "Part, grid, case no. or place (Ctrl+F)");
            let label = ui.label(lang.pick("定位", "Go to"));
            let edit = ui.add(egui::TextEdit::singleline(&mut search.text).hint_text(hint).desired_width(240.0)).labelled_by(label.id);
            if ui.input(|input| input.modifiers.command && input.key_pressed(egui::Key::F)) {
                edit.request_focus();
            }
            if edit.changed() {
                search.found = None;
            }
            let submitted = edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
            if ui.button(lang.pick("查找", "Find")).clicked() || submitted {
                commands.push(Command::Search(search.text.clone()));
            }
            if search.found == Some(false) {
                ui.colored_label(ui.visuals().warn_fg_color, lang.pick("未找到", "Not found"));
            }
            if user.is_some_and(|user| matches!(user.role, Role::IntakeOperator | Role::FieldCollector | Role::ShiftLeader))
                && ui.button(lang.pick("＋ 新建案卷", "＋ New case")).on_hover_text("Ctrl+N").clicked()
            {
                commands.push(Command::StartNewCase);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(user) = user {
                    if ui.button(lang.pick("退出", "Sign out")).clicked() {
                        commands.push(Command::SignOut);
                    }
                    ui.label(format!("{} · {}", user.display_name, user.role.label(lang)));
                    ui.separator();
                }
                let english = ui.selectable_label(lang == Lang::En, "English");
                if english.clicked() {
                    commands.push(Command::SetLang(Lang::En));
                }
                if ui.selectable_label(lang == Lang::Zh, "中文").clicked() {
                    commands.push(Command::SetLang(Lang::Zh));
                }
                ui.separator();
                let weekday = match lang {
                    Lang::Zh => ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
                    Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                };
                let day = weekday[chrono::Datelike::weekday(&now).num_days_from_monday() as usize];
                let working = world.calendar.is_working_minute(now);
                ui.label(egui::RichText::new(format!("{} {} {}", now.format("%Y-%m-%d"), day, now.format("%H:%M:%S"))).monospace())
                    .on_hover_text(lang.pick("北京时间", "China Standard Time"));
                ui.label(if working {
                    lang.pick("工作时间", "Working time")
                } else {
                    lang.pick("非工作时间", "Outside working time")
                });
            });
        });
    });
    commands
}
