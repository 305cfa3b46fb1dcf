//! Alerts on the desk: a notice in the corner of the map for each new report, returned case,
//! case dispatched to the user's unit or case newly overdue (one click shows the case), and the
//! top bar's 提醒 menu with the recent ones and a switch per kind.

use std::time::{Duration, Instant};

use crate::desk::alerts::{Alert, AlertKind, AlertSettings};
use crate::model::{ItemKind, Lang};
use crate::session::{Command, Selection};

use super::View;

/// How long a notice stays in the corner of the map (it stays in the menu afterwards).
pub const NOTICE_SECONDS: u64 = 90;
/// Notices shown at once; the rest are counted.
const SHOWN: usize = 4;
/// Alerts the menu remembers.
const REMEMBERED: usize = 50;

/// The alerts of this sign-in, newest first.
#[derive(Debug, Default)]
pub struct AlertFeed {
    items: Vec<(Alert, Instant, chrono::NaiveDateTime, bool)>,
}

impl AlertFeed {
    /// Adds alerts that arrived at `now`.
    pub fn push(&mut self, alerts: Vec<Alert>, now: chrono::NaiveDateTime) {
        let arrived = Instant::now();
        for alert in alerts {
            self.items.insert(0, (alert, arrived, now, false));
        }
        self.items.truncate(REMEMBERED);
    }

    /// The alerts in the corner now: not dismissed, younger than [`NOTICE_SECONDS`].
    pub fn showing(&self) -> impl Iterator<Item = &Alert> {
        self.items
            .iter()
            .filter(|(_, arrived, _, dismissed)| !dismissed && arrived.elapsed() < Duration::from_secs(NOTICE_SECONDS))
            .map(|(alert, ..)| alert)
    }

    /// Every remembered alert with when it arrived (the seat's clock), newest first.
    pub fn recent(&self) -> impl Iterator<Item = (&Alert, chrono::NaiveDateTime)> {
        self.items.iter().map(|(alert, _, at, _)| (alert, *at))
    }

    fn dismiss(&mut self, case_id: i64, kind: AlertKind) {
        for item in &mut self.items {
            if item.0.case_id == case_id && item.0.kind == kind {
                item.3 = true;
            }
        }
    }

    fn dismiss_all(&mut self) {
        for item in &mut self.items {
            item.3 = true;
        }
    }
}

/// One line for an alert: its kind, the case number, class and place.
#[must_use]
pub fn alert_text(view: View<'_>, alert: &Alert) -> String {
    let View { world, cases, lang, .. } = view;
    let case = cases.position_of(alert.case_id).and_then(|position| cases.get(position));
    let detail = case
        .map(|case| {
            let kind = match case.subject {
                crate::model::CaseSubject::Part => ItemKind::Part,
                crate::model::CaseSubject::Event => ItemKind::Event,
            };
            let unit = match alert.kind {
                AlertKind::Returned => format!(" · {}", world.unit_name(case.unit, lang)),
                _ => String::new(),
            };
            format!(" · {}{unit}", world.class_name(kind, &case.class_code, lang))
        })
        .unwrap_or_default();
    format!("{} · {}{detail}", alert.kind.label(lang), alert.case_no)
}

fn kind_color(kind: AlertKind) -> egui::Color32 {
    match kind {
        AlertKind::NewReport | AlertKind::Dispatched => crate::ui::design_tokens::case_color(Some(crate::calendar::DeadlineLight::Yellow)),
        AlertKind::Returned | AlertKind::NewlyOverdue => crate::ui::design_tokens::case_color(Some(crate::calendar::DeadlineLight::Red)),
    }
}

fn show_case(view: View<'_>, case_id: i64) -> Vec<Command> {
    view.cases
        .position_of(case_id)
        .map(|position| vec![Command::Select(Some(Selection::Case(position))), Command::ZoomToSelection])
        .unwrap_or_default()
}

/// The notices in the top-left corner of the map.
pub fn notices_ui(ctx: &egui::Context, view: View<'_>, feed: &mut AlertFeed) -> Vec<Command> {
    let mut commands = Vec::new();
    let showing: Vec<Alert> = feed.showing().cloned().collect();
    if showing.is_empty() {
        return commands;
    }
    // Repaint to let the notices go when their time is up.
    ctx.request_repaint_after(Duration::from_secs(1));
    let Some(map) = crate::ui::map_view::last_map_rect(ctx) else { return commands };
    let lang = view.lang;
    egui::Area::new(egui::Id::unique("alert_notices"))
        .order(egui::Order::Foreground)
        .fixed_pos(map.left_top() + egui::vec2(10.0, 10.0))
        .show(ctx, |ui| {
            ui.set_max_width(420.0);
            for alert in showing.iter().take(SHOWN) {
                egui::Frame::popup(ui.style()).stroke(egui::Stroke::new(2.0, kind_color(alert.kind))).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(alert_text(view, alert));
                        if ui.button(lang.pick("查看", "Show")).clicked() {
                            commands.extend(show_case(view, alert.case_id));
                            feed.dismiss(alert.case_id, alert.kind);
                        }
                        if ui.small_button("×").on_hover_text(lang.pick("关闭此提醒", "Dismiss")).clicked() {
                            feed.dismiss(alert.case_id, alert.kind);
                        }
                    });
                });
            }
            let more = showing.len().saturating_sub(SHOWN);
            ui.horizontal(|ui| {
                if more > 0 {
                    ui.label(match lang {
                        Lang::Zh => format!("另有 {more} 条提醒（见顶栏“提醒”）"),
                        Lang::En => format!("{more} more (see Alerts in the top bar)"),
                    });
                }
                if ui.small_button(lang.pick("全部关闭", "Dismiss all")).clicked() {
                    feed.dismiss_all();
                }
            });
        });
    commands
}

/// The top bar's alerts menu: a switch per kind and the recent alerts.
pub fn menu_ui(ui: &mut egui::Ui, view: View<'_>, feed: &AlertFeed, settings: &AlertSettings, unit_operator: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    let lang = view.lang;
    let count = feed.showing().count();
    let title = if count > 0 { format!("{} {count}", lang.pick("提醒", "Alerts")) } else { lang.pick("提醒", "Alerts").to_owned() };
    ui.menu_button(title, |ui| {
        ui.set_min_width(380.0);
        ui.label(egui::RichText::new(lang.pick("提醒我", "Alert me of")).strong());
        let mut changed = *settings;
        if unit_operator {
            ui.checkbox(&mut changed.dispatched, lang.pick("派遣给本单位的案卷", "Cases dispatched to my unit"));
        } else {
            ui.checkbox(&mut changed.new_reports, lang.pick("新上报的案卷", "New reports"));
            ui.checkbox(&mut changed.returns, lang.pick("单位回退的案卷", "Cases returned by units"));
        }
        ui.checkbox(&mut changed.overdue, lang.pick("新超期的案卷", "Cases newly overdue"));
        ui.checkbox(
            &mut changed.flash_window,
            lang.pick("窗口在后台时闪烁任务栏", "Flash the taskbar when the window is in the background"),
        );
        if changed != *settings {
            commands.push(Command::SetAlerts(changed));
        }
        ui.separator();
        ui.label(egui::RichText::new(lang.pick("最近的提醒", "Recent alerts")).strong());
        let mut any = false;
        for (alert, at) in feed.recent().take(20) {
            any = true;
            if ui.link(format!("{} {}", at.format("%H:%M"), alert_text(view, alert))).clicked() {
                commands.extend(show_case(view, alert.case_id));
                ui.close();
            }
        }
        if !any {
            ui.weak(lang.pick("本次登录以来没有提醒", "None since you signed in"));
        }
    });
    commands
}
