//! The dispatch desk: the sign-in form, the case list (virtualised, filtered, sorted, searched)
//! under the map, and the seat's state between frames (who is signed in, what the list shows,
//! the step waiting for the worker, the last message).

use chrono::NaiveDateTime;
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::desk::worker::CaseTimeline;
use crate::desk::{CaseBook, CaseFilter, CaseSort, Period, Scope, SortColumn, StatusFilter};
use crate::model::Labelled;
use crate::model::{CaseSubject, Keyword, SourceChannel, User};
use crate::session::{Command, Selection, World};
use crate::ui::Lang;
use crate::ui::View;
use crate::ui::design_tokens as tokens;
use crate::workflow::{ClockState, DeadlineStatus};

use super::case_actions::ActionDialog;
use super::new_case::NewCaseForm;

/// A message shown above the case list until the next one (or until dismissed).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The sign-in form (and the password change it asks for when an administrator set the password).
#[derive(Debug, Clone, Default)]
pub struct SignInForm {
    pub login: String,
    pub password: String,
    pub new_password: String,
    pub repeat: String,
    /// Waiting for the worker's answer.
    pub busy: bool,
    pub error: Option<String>,
}

/// The rows the list showed last, and what they were computed from.
#[derive(Debug, Default)]
struct RowCache {
    key: Option<(u64, CaseFilter, CaseSort, Lang)>,
    rows: Vec<usize>,
}

/// What the seat remembers between frames.
#[derive(Debug, Default)]
pub struct DeskState {
    /// Who is signed in at this seat.
    pub user: Option<User>,
    pub sign_in: SignInForm,
    /// The case list under the map: its filter, order and rows.
    pub list: CaseList,
    /// The history of the selected case: (case id, revision read at, what was read).
    pub timeline: Option<(i64, u32, Result<CaseTimeline, String>)>,
    /// The history asked for last: (case id, revision).
    pub timeline_requested: Option<(i64, u32)>,
    /// The step being filled in.
    pub dialog: Option<ActionDialog>,
    /// The alerts of this sign-in (new reports, returns, newly overdue).
    pub alerts: super::alerts::AlertFeed,
    /// The shift handover window (交接班).
    pub handover: super::handover::HandoverWindow,
    /// The batch dispatch window, while open.
    pub batch: Option<super::batch::BatchDispatch>,
    /// The new case being placed or filled in.
    pub new_case: Option<NewCaseForm>,
    /// A step or report sent to the worker and not answered yet: (ticket, what it is).
    pub pending: Option<(u64, String)>,
    pub notice: Option<Notice>,
    /// Why the database cannot be reached, while it cannot.
    pub unavailable: Option<String>,
    /// Since when the database cannot be reached (the data shown is from then).
    pub unavailable_since: Option<NaiveDateTime>,
    /// The backlog ledger window.
    pub ledger: super::ledger::LedgerWindow,
    pub exchange: super::exchange::ExchangeWindow,
    /// The dispute queue window and the dispute step being filled in.
    pub disputes: DisputesWindow,
    /// The assessment window.
    pub assessment: super::assessment::AssessmentState,
}

/// The case list's state.
#[derive(Debug, Default)]
pub struct CaseList {
    pub filter: CaseFilter,
    pub sort: CaseSort,
    rows: RowCache,
    /// The bottom panel is open.
    pub open: bool,
    /// Bring this case's row into view on the next frame (selected on the map or by search).
    pub reveal: Option<usize>,
    /// Scroll the list to this offset on the next frame (benchmarks).
    pub scroll_offset: Option<f32>,
    /// The cases ticked for a batch dispatch (database ids).
    pub ticked: std::collections::BTreeSet<i64>,
}

/// The dispute queue window's state.
#[derive(Debug, Default)]
pub struct DisputesWindow {
    /// Every dispute as last read, with its checks, statements and precedent.
    pub records: Vec<crate::model::DisputeRecord>,
    /// The queue window is open.
    pub open: bool,
    /// The queue shows decided and withdrawn disputes too.
    pub show_all: bool,
    /// The dispute step being filled in.
    pub dialog: Option<super::committee::DisputeDialog>,
}

impl DeskState {
    #[must_use]
    pub fn new() -> Self {
        Self { list: CaseList { open: true, ..CaseList::default() }, ..Self::default() }
    }

    /// The rows of the list for the current filter and sort (cached until the book, the filter
    /// or the sort change).
    pub fn rows(&mut self, world: &World, book: &CaseBook, lang: Lang, now: NaiveDateTime) -> &[usize] {
        let mut filter = self.list.filter.clone();
        filter.today = Some(now.date());
        if let Some(user) = &self.user {
            filter = filter.for_user(user);
        }
        let key = (book.generation(), filter, self.list.sort, lang);
        if self.list.rows.key.as_ref() != Some(&key) {
            let unit_names = |unit| world.unit_name(unit, lang);
            self.list.rows.rows = book.select(&key.1, key.2, &unit_names);
            self.list.rows.key = Some(key);
        }
        &self.list.rows.rows
    }
}

/// The warning a seat gets when its clock is well behind the newest step in the file.
#[must_use]
pub fn clock_behind_text(behind: crate::desk::worker::ClockBehind, lang: Lang) -> String {
    let newest = behind.newest_step.format("%Y-%m-%d %H:%M");
    if lang.is_chinese() {
        format!("本机时钟比数据库中最新一步（{newest}）慢约 {} 分钟：请校准时钟。早于案卷上一步时间的办理会被拒绝。", behind.minutes)
    } else {
        format!(
            "This computer's clock is about {} minutes behind the newest step in the database ({newest}): set it right. Steps timed before a case's last step are refused.",
            behind.minutes
        )
    }
}

/// The sign-in screen, or (`changing` an account whose password an administrator set) the
/// password change it must make first. Returns [`Command::SignIn`] or
/// [`Command::ChangePassword`] when the form is sent.
pub fn sign_in_ui(
    ui: &mut egui::Ui,
    district: &str,
    is_demo: bool,
    form: &mut SignInForm,
    changing: Option<&User>,
    lang: Lang,
) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space((ui.available_height() / 4.0).max(20.0));
            ui.heading(lang.pick("citygrid 数字城管指挥中心", "citygrid command centre"));
            ui.label(RichText::new(district).size(16.0));
            ui.add_space(20.0);
            if let Some(user) = changing {
                change_password_ui(ui, form, user, lang, &mut commands);
                return;
            }
            egui::Frame::group(ui.style()).inner_margin(18.0).show(ui, |ui| {
                ui.set_max_width(340.0);
                egui::Grid::new("sign_in").num_columns(2).spacing([10.0, 10.0]).show(ui, |ui| {
                    let login_label = ui.label(lang.pick("账号", "Login"));
                    let login = ui
                        .add(egui::TextEdit::singleline(&mut form.login).desired_width(220.0).hint_text("dispatch1"))
                        .labelled_by(login_label.id);
                    ui.end_row();
                    let password_label = ui.label(lang.pick("密码", "Password"));
                    let password = ui
                        .add(egui::TextEdit::singleline(&mut form.password).password(true).desired_width(220.0))
                        .labelled_by(password_label.id);
                    ui.end_row();
                    if form.login.is_empty() && !password.has_focus() {
                        login.request_focus();
                    }
                    let entered = password.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
                    ui.label("");
                    let ready = !form.busy && !form.login.trim().is_empty() && !form.password.is_empty();
                    let clicked =
                        ui.add_enabled(ready, egui::Button::new(lang.pick("登录", "Sign in")).min_size(egui::vec2(120.0, 28.0))).clicked();
                    ui.end_row();
                    if (clicked || entered) && ready {
                        form.busy = true;
                        form.error = None;
                        commands.push(Command::SignIn { login: form.login.trim().to_owned(), password: form.password.clone() });
                    }
                });
                if form.busy {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(lang.pick("正在验证…", "Checking…"));
                    });
                }
                if let Some(error) = &form.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            });
            // The shared demo password is shown for the demo district only.
            if is_demo {
                ui.add_space(12.0);
                ui.weak(lang.pick(
                    "演示数据库的账号：admin（导入）、intake1、dispatch1、leader1、collector1、committee1、wall1（大屏，只读）、unit_<单位代码>，密码均为 citygrid",
                    "Demo database accounts: admin (imports), intake1, dispatch1, leader1, collector1, committee1, wall1 (wall, read-only), unit_<unit code>; password citygrid",
                ));
            }
        });
    });
    commands
}

/// The password change an account must make before anything else.
fn change_password_ui(ui: &mut egui::Ui, form: &mut SignInForm, user: &User, lang: Lang, commands: &mut Vec<Command>) {
    egui::Frame::group(ui.style()).inner_margin(18.0).show(ui, |ui| {
        ui.set_max_width(380.0);
        ui.label(RichText::new(lang.pick("请先修改密码", "Change your password first")).strong());
        ui.label(format!(
            "{} {}",
            user.display_name,
            lang.pick("的密码由管理员设置，须修改后才能办理。", ": the administrator set this password; change it before anything else.")
        ));
        ui.add_space(8.0);
        let min = crate::desk::MIN_PASSWORD_CHARS;
        egui::Grid::new("change_password").num_columns(2).spacing([10.0, 10.0]).show(ui, |ui| {
            let label = ui.label(lang.pick("新密码", "New password"));
            ui.add(egui::TextEdit::singleline(&mut form.new_password).password(true).desired_width(220.0)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label(lang.pick("再输入一次", "Repeat it"));
            let repeat = ui.add(egui::TextEdit::singleline(&mut form.repeat).password(true).desired_width(220.0)).labelled_by(label.id);
            ui.end_row();
            let long_enough = form.new_password.chars().count() >= min;
            let same = form.new_password == form.repeat;
            ui.label("");
            let ready = !form.busy && long_enough && same;
            let clicked = ui
                .add_enabled(ready, egui::Button::new(lang.pick("修改密码", "Change password")).min_size(egui::vec2(120.0, 28.0)))
                .clicked();
            ui.end_row();
            let entered = repeat.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
            if !form.new_password.is_empty() && !long_enough {
                ui.label("");
                ui.weak(format!("{} {min} {}", lang.pick("至少", "At least"), lang.pick("个字符", "characters")));
                ui.end_row();
            } else if !form.repeat.is_empty() && !same {
                ui.label("");
                ui.weak(lang.pick("两次输入不一致", "The two do not match"));
                ui.end_row();
            }
            if (clicked || entered) && ready {
                commands.push(Command::ChangePassword { new_password: form.new_password.clone() });
            }
        });
        if form.busy {
            ui.spinner();
        }
        if let Some(error) = &form.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if ui.button(lang.pick("退出", "Sign out")).clicked() {
            commands.push(Command::SignOut);
        }
    });
}

/// A case's remaining (or overrun) time as a short text, in the limit's measure.
#[must_use]
pub fn remaining_text(status: &DeadlineStatus, lang: Lang) -> String {
    if status.deadline_at.is_none() || matches!(status.clock, ClockState::NotStarted | ClockState::Void) {
        return "—".to_owned();
    }
    let minutes = status.remaining_minutes();
    let working = status.limit_unit.is_none_or(crate::calendar::LimitUnit::counts_working_time);
    #[allow(clippy::cast_precision_loss)]
    let hours = minutes.unsigned_abs() as f64 / 60.0;
    let amount = if hours >= 10.0 { format!("{hours:.0}") } else { format!("{hours:.1}") };
    let text = left_or_over(minutes, &format!("{amount} {}", hours_word(working, lang)), lang);
    match status.clock {
        ClockState::Running => text,
        ClockState::Deferred | ClockState::Backlog => format!("{text} {}", lang.pick("（暂停）", "(paused)")),
        _ => format!("({text})"),
    }
}

fn light_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}

/// The colour of a case's dot in lists: its light while the clock runs, grey otherwise.
#[must_use]
pub fn status_color(status: &DeadlineStatus) -> Color32 {
    match status.clock {
        ClockState::Running => tokens::case_color(status.light),
        ClockState::Deferred | ClockState::Backlog => tokens::CASE_PAUSED,
        _ => tokens::case_color(None),
    }
}

/// The dot of a row in the case list: the handling light while the clock runs, otherwise the
/// light of the stage the case waits in (filing, dispatch, verification, close), so the
/// centre's own queues show their urgency too. The map keeps the handling lights of its legend.
#[must_use]
pub fn queue_color(status: &DeadlineStatus) -> Color32 {
    match (status.clock, status.stage) {
        (ClockState::NotStarted | ClockState::Stopped, Some(stage)) => tokens::case_color(Some(stage.light)),
        _ => status_color(status),
    }
}

/// The clock of the stage a case waits in, as a short text: `立案 剩 12 分钟`, `核查 超 1.5 小时`.
#[must_use]
pub fn stage_text(clock: &crate::workflow::StageClock, lang: Lang) -> String {
    let minutes = clock.remaining_minutes();
    let working = clock.limit_unit.counts_working_time();
    let magnitude = minutes.unsigned_abs();
    #[allow(clippy::cast_precision_loss)]
    let amount = match (magnitude < 60, lang) {
        (true, Lang::Zh) => format!("{magnitude} 分钟"),
        (true, Lang::En) => format!("{magnitude} min"),
        (false, _) => format!("{:.1} {}", magnitude as f64 / 60.0, hours_word(working, lang)),
    };
    let stage = if lang.is_chinese() { clock.stage.label_zh() } else { clock.stage.label_en() };
    let text = left_or_over(minutes, &amount, lang);
    match lang {
        Lang::Zh => format!("{stage} {text}"),
        Lang::En => format!("{stage}: {text}"),
    }
}

/// Hours in a limit's measure: 工时 (working) or 小时 (clock).
fn hours_word(working: bool, lang: Lang) -> &'static str {
    match (working, lang) {
        (true, Lang::Zh) => "工时",
        (false, Lang::Zh) => "小时",
        (true, Lang::En) => "working h",
        (false, Lang::En) => "h",
    }
}

/// `剩 amount` / `超 amount` (`amount left` / `amount over`) for minutes left, negative when late.
fn left_or_over(minutes: i64, amount: &str, lang: Lang) -> String {
    match (minutes >= 0, lang) {
        (true, Lang::Zh) => format!("剩 {amount}"),
        (false, Lang::Zh) => format!("超 {amount}"),
        (true, Lang::En) => format!("{amount} left"),
        (false, Lang::En) => format!("{amount} over"),
    }
}

/// What the state column adds to a case's state: 未签收, 已到场, 催×N, 督办, 协办 reported/all.
#[must_use]
pub fn state_marks(case: &crate::model::Case, lang: Lang) -> String {
    let mut marks = Vec::new();
    if case.state == crate::model::CaseState::Dispatched {
        if case.signed_at.is_none() {
            marks.push(lang.pick("未签收", "not signed for").to_owned());
        } else if case.arrived_at.is_some() {
            marks.push(lang.pick("已到场", "on site").to_owned());
        }
    }
    if case.state.is_open() {
        if case.urge_count > 0 {
            marks.push(format!("{}×{}", lang.pick("催", "urged "), case.urge_count));
        }
        if case.supervised_at.is_some() {
            marks.push(lang.pick("督办", "supervised").to_owned());
        }
        if !case.assisting.is_empty() {
            let reported = case.assisting.len() - case.assists_outstanding().count();
            marks.push(format!("{}{reported}/{}", lang.pick("协办", "assists "), case.assisting.len()));
        }
    }
    marks.join(" · ")
}

/// The case list in the bottom panel: filters, the count, the table.
#[allow(clippy::too_many_lines)]
pub fn case_list_ui(ui: &mut egui::Ui, view: View<'_>, state: &mut DeskState, selection: Option<Selection>) -> Vec<Command> {
    let View { world, cases: book, lang, now } = view;
    let mut commands = Vec::new();
    let unit_operator = state.user.as_ref().is_some_and(|user| user.role == crate::model::Role::UnitOperator);
    // Filters.
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(lang.pick("案卷列表", "Case list")).strong());
        for scope in Scope::ALL {
            if ui.selectable_label(state.list.filter.scope == scope, scope.label(lang.is_chinese())).clicked() {
                state.list.filter.scope = scope;
            }
        }
        ui.separator();
        let status_text = state.list.filter.status.map_or(lang.pick("全部预警", "Any light"), |status| status.label(lang.is_chinese()));
        let label = ui.label(lang.pick("预警", "Light"));
        egui::ComboBox::from_id_salt("filter_status")
            .selected_text(status_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.list.filter.status, None, lang.pick("全部预警", "Any light"));
                for status in StatusFilter::ALL {
                    ui.selectable_value(&mut state.list.filter.status, Some(status), status.label(lang.is_chinese()));
                }
            })
            .response
            .labelled_by(label.id);
        if !unit_operator {
            let unit_text = state
                .list
                .filter
                .unit
                .map_or_else(|| lang.pick("全部单位", "Any unit").to_owned(), |unit| world.unit_name(Some(unit), lang));
            let label = ui.label(lang.pick("单位", "Unit"));
            egui::ComboBox::from_id_salt("filter_unit")
                .selected_text(unit_text)
                .width(150.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut state.list.filter.unit, None, lang.pick("全部单位", "Any unit"));
                    for unit in &world.units {
                        ui.selectable_value(&mut state.list.filter.unit, Some(unit.id), unit.name(lang.is_chinese()));
                    }
                })
                .response
                .labelled_by(label.id);
        }
        let class_text = state.list.filter.class.as_ref().map_or_else(
            || lang.pick("全部类别", "Any class").to_owned(),
            |(subject, code)| format!("{code} {}", world.class_name(subject.item_kind(), code, lang)),
        );
        let label = ui.label(lang.pick("类别", "Class"));
        egui::ComboBox::from_id_salt("filter_class")
            .selected_text(class_text)
            .width(150.0)
            .height(400.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.list.filter.class, None, lang.pick("全部类别", "Any class"));
                for entry in &world.manual.entries {
                    let subject = match entry.kind {
                        crate::model::ItemKind::Part => CaseSubject::Part,
                        crate::model::ItemKind::Event => CaseSubject::Event,
                    };
                    let label = format!("{} · {} {}", subject.label(lang), entry.code, entry.name(lang.is_chinese()));
                    ui.selectable_value(&mut state.list.filter.class, Some((subject, entry.code.clone())), label);
                }
            })
            .response
            .labelled_by(label.id);
        let source_text = state.list.filter.source.map_or(lang.pick("全部来源", "Any source"), |source| source.label(lang));
        let label = ui.label(lang.pick("来源", "Source"));
        egui::ComboBox::from_id_salt("filter_source")
            .selected_text(source_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.list.filter.source, None, lang.pick("全部来源", "Any source"));
                for source in SourceChannel::ALL {
                    ui.selectable_value(&mut state.list.filter.source, Some(*source), source.label(lang));
                }
            })
            .response
            .labelled_by(label.id);
        let period_text = period_label(state.list.filter.period, lang);
        let label = ui.label(lang.pick("上报时间", "Reported"));
        egui::ComboBox::from_id_salt("filter_period")
            .selected_text(period_text)
            .show_ui(ui, |ui| {
                for period in [Period::Any, Period::Today, Period::Days7, Period::Days30] {
                    ui.selectable_value(&mut state.list.filter.period, period, period_label(period, lang));
                }
            })
            .response
            .labelled_by(label.id);
        ui.add(
            egui::TextEdit::singleline(&mut state.list.filter.text)
                .hint_text(lang.pick("案卷号、描述、部件编码…", "Case no., text, part code…"))
                .desired_width(180.0),
        );
        if let Some(cases) = &state.list.filter.cases {
            // Drill-down from the assessment: the cases behind one figure.
            let text = format!("{} {} ({}) ×", lang.pick("考核下钻：", "Assessment:"), cases.label, cases.ids.len());
            if ui.button(text).on_hover_text(lang.pick("取消此条件", "Remove this condition")).clicked() {
                state.list.filter.cases = None;
            }
        }
        if let Some(area) = &state.list.filter.area {
            let text = format!("{}{} ×", lang.pick("区域：", "Area: "), area.label);
            if ui.button(text).on_hover_text(lang.pick("取消此条件", "Remove this condition")).clicked() {
                state.list.filter.area = None;
            }
        }
        if state.list.filter != CaseFilter::default() && ui.button(lang.pick("清除筛选", "Clear filters")).clicked() {
            state.list.filter = CaseFilter::default();
        }
    });
    let rows = state.rows(world, book, lang, now).to_vec();
    ui.horizontal(|ui| {
        ui.weak(format!("{} {} / {}", lang.pick("显示", "Showing"), rows.len(), book.len()));
        if ui.small_button(lang.pick("导出列表…", "Export list…")).clicked() {
            commands.push(Command::OpenExport { what: crate::io::export::ExportWhat::Cases, scope: crate::session::ExportScope::CaseList });
        }
        if let Some(user) = &state.user
            && user.role == crate::model::Role::UnitOperator
        {
            ui.weak(format!("· {} {}", lang.pick("仅本单位：", "own unit only:"), world.unit_name(user.unit, lang)));
        }
    });
    let selected = match selection {
        Some(Selection::Case(position)) => Some(position),
        _ => None,
    };
    // Batch dispatch: a tick on each row the user may dispatch.
    let dispatcher = state
        .user
        .as_ref()
        .is_some_and(|user| crate::workflow::rules::transition(crate::workflow::ActionKind::Dispatch).roles.contains(&user.role));
    if dispatcher {
        crate::ui::batch::batch_bar_ui(ui, view, state, &rows);
    }
    // Arrow keys move through the list when nothing else has the keyboard.
    if let Some(position) = selected
        && !ui.ctx().egui_wants_keyboard_input()
    {
        let step = ui.input(|input| i64::from(input.key_pressed(egui::Key::ArrowDown)) - i64::from(input.key_pressed(egui::Key::ArrowUp)));
        if step != 0
            && let Some(row) = rows.iter().position(|row| *row == position)
        {
            let next = usize::try_from(i64::try_from(row).unwrap_or(0) + step).unwrap_or(0).min(rows.len().saturating_sub(1));
            commands.push(Command::Select(Some(Selection::Case(rows[next]))));
        }
    }
    let mut sort = state.list.sort;
    let header = |ui: &mut egui::Ui, column: SortColumn, zh: &'static str, en: &'static str, sort: &mut CaseSort| {
        let arrow = match (sort.column == column, sort.descending) {
            (true, false) => " ↑",
            (true, true) => " ↓",
            (false, _) => "",
        };
        if ui.add(egui::Button::new(RichText::new(format!("{}{arrow}", lang.pick(zh, en))).strong()).frame(false)).clicked() {
            if sort.column == column {
                sort.descending = !sort.descending;
            } else {
                *sort = CaseSort { column, descending: false };
            }
        }
    };
    let row_height = 22.0;
    // The fixed columns (dot, case number, two times, the time left) get what they need; state,
    // class, unit and source share the rest of the width, so nothing is cut while space is left.
    // Under 1000 points the source column gives its room to the others.
    let compact = ui.available_width() < 1000.0;
    let spacing = ui.spacing().item_spacing.x * 9.0;
    let first = if dispatcher { 40.0 } else { 16.0 };
    let shared = (ui.available_width() - first - 120.0 - 2.0 * 88.0 - 170.0 - spacing).max(200.0);
    let share = |fraction: f32| (shared * if compact { fraction / 0.84 } else { fraction }).floor();
    // A click anywhere on a row selects it (selectable text would take the click).
    ui.style_mut().interaction.selectable_labels = false;
    let mut table = TableBuilder::new(ui);
    if let Some(row) = state.list.reveal.take().and_then(|position| rows.iter().position(|row| *row == position)) {
        table = table.scroll_to_row(row, None);
    }
    if let Some(offset) = state.list.scroll_offset.take() {
        table = table.vertical_scroll_offset(offset);
    }
    let mut table = table
        .id_salt("case_list")
        .striped(true)
        .auto_shrink([false, false])
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(first))
        .column(Column::exact(120.0).clip(true))
        .column(Column::exact(share(0.22)).clip(true))
        .column(Column::exact(share(0.30)).clip(true))
        .column(Column::exact(share(0.32)).clip(true));
    if !compact {
        table = table.column(Column::exact(share(0.16)).clip(true));
    }
    table
        .column(Column::exact(88.0).clip(true))
        .column(Column::exact(88.0).clip(true))
        .column(Column::remainder().at_least(150.0).clip(true))
        .min_scrolled_height(0.0)
        .max_scroll_height(f32::INFINITY)
        .header(24.0, |mut row| {
            row.col(|_| {});
            row.col(|ui| header(ui, SortColumn::CaseNo, "案卷号", "Case no.", &mut sort));
            row.col(|ui| header(ui, SortColumn::State, "状态", "State", &mut sort));
            row.col(|ui| header(ui, SortColumn::Class, "类别", "Class", &mut sort));
            row.col(|ui| header(ui, SortColumn::Unit, "责任单位", "Unit", &mut sort));
            if !compact {
                row.col(|ui| header(ui, SortColumn::Source, "来源", "Source", &mut sort));
            }
            row.col(|ui| header(ui, SortColumn::Reported, "上报时间", "Reported", &mut sort));
            row.col(|ui| header(ui, SortColumn::Deadline, "处置时限", "Deadline", &mut sort));
            row.col(|ui| header(ui, SortColumn::Urgency, "剩余时间", "Time left", &mut sort));
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let position = rows[row.index()];
                let (Some(case), Some(status)) = (book.get(position), book.status(position)) else { return };
                row.set_selected(selected == Some(position));
                row.col(|ui| {
                    if dispatcher {
                        if crate::ui::batch::tickable(world, state.user.as_ref(), case) {
                            let mut ticked = state.list.ticked.contains(&case.id);
                            let tick =
                                ui.checkbox(&mut ticked, "").on_hover_text(lang.pick("勾选以批量派遣", "Tick to dispatch in a batch"));
                            if tick.changed() {
                                if ticked {
                                    state.list.ticked.insert(case.id);
                                } else {
                                    state.list.ticked.remove(&case.id);
                                }
                            }
                        } else {
                            ui.add_space(ui.spacing().interact_size.y + ui.spacing().item_spacing.x);
                        }
                    }
                    light_dot(ui, queue_color(status));
                });
                row.col(|ui| {
                    ui.label(RichText::new(&case.case_no).monospace());
                });
                row.col(|ui| {
                    let marks = state_marks(case, lang);
                    let label =
                        if marks.is_empty() { case.state.label(lang).to_owned() } else { format!("{} · {marks}", case.state.label(lang)) };
                    let mut text = RichText::new(label);
                    if case.pending_request.is_some() {
                        text = text.color(tokens::PENDING_REQUEST);
                    } else if case.supervised_at.is_some() || case.urge_count > 0 {
                        text = text.color(tokens::URGED);
                    }
                    ui.label(text);
                });
                row.col(|ui| {
                    ui.label(format!("{} {}", case.class_code, world.class_name(case.subject.item_kind(), &case.class_code, lang)));
                });
                row.col(|ui| {
                    ui.label(world.unit_name(case.unit, lang));
                });
                if !compact {
                    row.col(|ui| {
                        ui.label(case.source.label(lang));
                    });
                }
                row.col(|ui| {
                    ui.label(case.reported_at.format("%m-%d %H:%M").to_string());
                });
                row.col(|ui| {
                    ui.label(case.deadline_at.map_or_else(|| "—".to_owned(), |at| at.format("%m-%d %H:%M").to_string()));
                });
                row.col(|ui| {
                    // The handling clock while it runs; otherwise the clock of the stage the case
                    // waits in (filing, dispatch, verification, close).
                    let (text, late) = match (status.clock, status.stage) {
                        (ClockState::Running, _) | (_, None) => {
                            (remaining_text(status, lang), status.is_overdue() && status.clock == ClockState::Running)
                        }
                        (_, Some(clock)) => (stage_text(&clock, lang), clock.is_late()),
                    };
                    let color = if late { Some(tokens::OVERDUE_TEXT) } else { None };
                    match color {
                        Some(color) => ui.colored_label(color, text),
                        None => ui.label(text),
                    };
                });
                let response = row.response();
                if response.clicked() {
                    commands.push(Command::Select(Some(Selection::Case(position))));
                }
                if response.double_clicked() {
                    commands.push(Command::Select(Some(Selection::Case(position))));
                    commands.push(Command::ZoomToSelection);
                }
            });
        });
    state.list.sort = sort;
    commands
}

fn period_label(period: Period, lang: Lang) -> String {
    match period {
        Period::Any => lang.pick("全部时间", "Any time").to_owned(),
        Period::Today => lang.pick("今日上报", "Reported today").to_owned(),
        Period::Days7 => lang.pick("近 7 天", "Last 7 days").to_owned(),
        Period::Days30 => lang.pick("近 30 天", "Last 30 days").to_owned(),
        Period::Range(from, to) => format!("{from} – {to}"),
    }
}

/// The bottom panel of a signed-in seat: the database banner, the last message and the case
/// list (collapsible).
pub fn desk_panel_ui(ui: &mut egui::Ui, view: View<'_>, state: &mut DeskState, selection: Option<Selection>) -> Vec<Command> {
    let View { lang, now, .. } = view;
    let mut commands = Vec::new();
    if ui.input(|input| input.modifiers.command && input.key_pressed(egui::Key::N))
        && state.user.as_ref().is_some_and(|user| {
            matches!(user.role, crate::model::Role::IntakeOperator | crate::model::Role::FieldCollector | crate::model::Role::ShiftLeader)
        })
    {
        commands.push(Command::StartNewCase);
    }
    if let Some(message) = &state.unavailable {
        egui::Panel::top("db_unavailable").show(ui, |ui| {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "{} {message}",
                    lang.pick(
                        "！数据库暂时无法访问，显示的是最后读取的数据，正在重试：",
                        "! The database is unavailable; showing the last data read, retrying:"
                    )
                ),
            );
        });
    }
    let mut panel = egui::Panel::bottom("desk").resizable(true);
    // Two fifths of the window to begin with (about 15 rows at 1080 lines), resizable.
    let height = (ui.available_height() * 0.4).clamp(300.0, 640.0);
    panel = if state.list.open { panel.default_size(height).min_size(120.0) } else { panel.resizable(false) };
    panel.show(ui, |ui| {
        ui.horizontal(|ui| {
            let label = if state.list.open {
                lang.pick("收起案卷台", "Hide case desk")
            } else {
                lang.pick("展开案卷台", "Show case desk")
            };
            if ui.button(label).clicked() {
                state.list.open = !state.list.open;
            }
            let waiting = state.disputes.records.iter().filter(|record| record.dispute.is_open()).count();
            let label = format!("{} ({waiting})", lang.pick("责任争议", "Disputes"));
            if ui.selectable_label(state.disputes.open, label).clicked() {
                state.disputes.open = !state.disputes.open;
                if state.disputes.open {
                    commands.push(Command::LoadDisputes);
                }
            }
            if ui.selectable_label(state.assessment.open, lang.pick("考核评价", "Assessment")).clicked() {
                state.assessment.open = !state.assessment.open;
                if state.assessment.open {
                    commands.push(Command::Assess(state.assessment.choice.period(now.date())));
                }
            }
            if ui.selectable_label(state.ledger.entries.is_some(), lang.pick("挂账台账", "Backlog ledger")).clicked() {
                if state.ledger.entries.is_some() {
                    state.ledger.entries = None;
                } else {
                    commands.push(Command::OpenLedger);
                }
            }
            if state.user.as_ref().is_some_and(crate::ui::handover::takes_shifts)
                && ui.selectable_label(state.handover.open, lang.pick("交接班", "Handover")).clicked()
            {
                state.handover.open = !state.handover.open;
                if state.handover.open {
                    commands.push(Command::LoadHandovers);
                }
            }
            if ui.selectable_label(state.exchange.rows.is_some(), lang.pick("数据交换", "Exchange")).clicked() {
                if state.exchange.rows.is_some() {
                    state.exchange.rows = None;
                } else {
                    commands.push(Command::OpenExchange);
                }
            }
            if let Some(notice) = &state.notice {
                let color = if notice.error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                ui.colored_label(color, &notice.text);
                if ui.small_button("×").clicked() {
                    state.notice = None;
                }
            }
        });
        if state.list.open {
            ui.separator();
            commands.extend(case_list_ui(ui, view, state, selection));
        }
    });
    commands
}
