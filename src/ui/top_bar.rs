//! The top bar: who we are, which district, the clock, the language switch.

use crate::desk::{CaseBook, Queue};
use crate::model::Labelled;
use crate::model::{Role, User};
use crate::session::Command;
use crate::ui::Lang;

/// The search box's own state.
#[derive(Debug, Default)]
pub struct SearchState {
    pub text: String,
    /// Whether the last search found something (`None` before the first).
    pub found: Option<bool>,
    /// The matches of the last search, while its window is open (several matches).
    pub results: Option<crate::session::SearchResults>,
    /// The results window's lines, made once per search, language and change of the cases
    /// (finding each hit's area every frame would be wasted work).
    pub lines: crate::ui::search::HitLines,
    /// A search whose part read (a store query) is under way.
    pub pending: Option<PendingSearch>,
    /// Why the last search found no parts, when reading them failed.
    pub part_error: Option<String>,
}

/// A search waiting for its parts: what the seat holds matched at once, the parts come from
/// the store on a job.
pub struct PendingSearch {
    pub held: crate::session::SearchResults,
    pub job: crate::job::Job<(), Result<crate::session::search::PartHits, String>>,
}

impl std::fmt::Debug for PendingSearch {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("PendingSearch").field("text", &self.held.text).finish_non_exhaustive()
    }
}

/// The desk's queue counters, counted again only when the cases or the user change.
#[derive(Debug, Default)]
pub struct QueueCounts {
    key: Option<(u64, Option<i64>)>,
    counts: Vec<(Queue, usize)>,
}

impl QueueCounts {
    /// The counts for what `user` may see (a unit operator: its own unit's cases), each the
    /// number of rows its queue's filter lists.
    pub fn refresh(&mut self, book: &CaseBook, user: Option<&User>) -> &[(Queue, usize)] {
        let key = (book.generation(), user.map(|user| user.id));
        if self.key != Some(key) {
            self.counts = Queue::ALL
                .into_iter()
                .filter(|queue| *queue != Queue::AtCentre || user.is_none_or(|user| user.role != Role::UnitOperator))
                .map(|queue| {
                    let filter = queue.filter();
                    let filter = match user {
                        Some(user) => filter.for_user(user),
                        None => filter,
                    };
                    (queue, book.count(&filter))
                })
                .collect();
            self.key = Some(key);
        }
        &self.counts
    }
}

/// Draws the top bar; returns the commands the user gave.
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    view: crate::ui::View<'_>,
    counts: &[(Queue, usize)],
    user: Option<&User>,
    search: &mut SearchState,
    alerts: (&crate::ui::alerts::AlertFeed, &crate::desk::alerts::AlertSettings),
) -> Vec<Command> {
    let crate::ui::View { world, lang, now, .. } = view;
    let mut commands = Vec::new();
    egui::Panel::top("top_bar").show(ui, |ui| {
        let narrow = ui.available_width() < 1700.0;
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("citygrid").size(18.0).strong())
                .on_hover_text(lang.pick("citygrid 数字城管指挥中心", "citygrid command centre"));
            ui.separator();
            ui.label(egui::RichText::new(&world.district_name).strong()).on_hover_text(&world.district_code);
            ui.separator();
            for (queue, count) in counts {
                counter_ui(ui, *queue, *count, lang, &mut commands);
            }
            ui.separator();
            let hint = lang.pick("部件编码、网格编码、案卷号或地名 (Ctrl+F)", "Part, grid, case no. or place (Ctrl+F)");
            let label = ui.label(lang.pick("定位", "Go to"));
            let edit = ui.add(egui::TextEdit::singleline(&mut search.text).hint_text(hint).desired_width(200.0)).labelled_by(label.id);
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
            if search.pending.is_some() {
                ui.spinner();
                ui.weak(lang.pick("正在查找部件…", "Searching parts…"));
            } else if search.found == Some(false) {
                ui.colored_label(ui.visuals().warn_fg_color, lang.pick("未找到", "Not found"));
            }
            if let Some(problem) = search.part_error.as_ref().filter(|_| search.pending.is_none()) {
                ui.colored_label(ui.visuals().error_fg_color, lang.pick("部件读取失败", "Parts could not be read")).on_hover_text(problem);
            }
            if user.is_some_and(|user| matches!(user.role, Role::IntakeOperator | Role::FieldCollector | Role::ShiftLeader))
                && ui.button(lang.pick("＋ 新建案卷", "＋ New case")).on_hover_text("Ctrl+N").clicked()
            {
                commands.push(Command::StartNewCase);
            }
            if let Some(user) = user.filter(|user| !matches!(user.role, Role::Viewer | Role::Interface)) {
                ui.separator();
                let (feed, settings) = alerts;
                commands.extend(crate::ui::alerts::menu_ui(ui, view, feed, settings, user.role == Role::UnitOperator));
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
                let working = if world.calendar.is_working_minute(now) {
                    lang.pick("工作时间", "Working time")
                } else {
                    lang.pick("非工作时间", "Outside working time")
                };
                // A narrow window (under 1700 points) keeps the bar on one line: the year and
                // the working-time word move into the clock's tooltip.
                let date = if narrow { now.format("%m-%d") } else { now.format("%Y-%m-%d") };
                let clock = ui.label(egui::RichText::new(format!("{date} {day} {}", now.format("%H:%M:%S"))).monospace());
                if narrow {
                    clock.on_hover_text(format!(
                        "{} · {} · {working}",
                        lang.pick("北京时间", "China Standard Time"),
                        now.format("%Y-%m-%d")
                    ));
                } else {
                    clock.on_hover_text(lang.pick("北京时间", "China Standard Time"));
                    ui.label(working);
                }
            });
        });
    });
    commands
}

/// One counter: its figure in the queue's colour, a click lists its cases.
fn counter_ui(ui: &mut egui::Ui, queue: Queue, count: usize, lang: Lang, commands: &mut Vec<Command>) {
    use crate::calendar::DeadlineLight;
    use crate::ui::design_tokens as tokens;
    let color = match queue {
        Queue::OverdueNow | Queue::StageLate if count > 0 => Some(tokens::OVERDUE_TEXT),
        Queue::DueSoon if count > 0 => Some(tokens::case_color(Some(DeadlineLight::Yellow))),
        _ => None,
    };
    let mut text = egui::RichText::new(format!("{} {count}", queue.label(lang.is_chinese())));
    if let Some(color) = color {
        text = text.color(color).strong();
    }
    let hover = match queue {
        Queue::Open => lang.pick("未办结的案卷", "Cases not finished"),
        Queue::OverdueNow => lang.pick(
            "处置时限已过、仍在处置的案卷（与大屏“当前超期”相同；考核只计本期到期的）",
            "Past the handling deadline and still in handling (the wall's “Overdue now”; the assessment counts only those due in its period)",
        ),
        Queue::DueSoon => lang.pick("处置时限将到（黄灯）", "The handling deadline is near (yellow light)"),
        Queue::AtCentre => lang.pick("待立案、待派遣、被回退、待结案或有待审批申请", "To file, dispatch, redispatch, close, or with a request to decide"),
        Queue::StageLate => lang.pick("立案、派遣、签收、核查或结案环节已超时", "Late to file, dispatch, sign for, verify or close"),
    };
    if ui.add(egui::Button::new(text).frame(false)).on_hover_text(hover).clicked() {
        commands.push(Command::ShowQueue(queue));
    }
}
