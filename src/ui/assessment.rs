//! The assessment window (考核评价): a period, the district's figures and every unit ranked
//! within its class by the composite score, computed by the desk worker from the audit trail
//! (see `docs/INDICATORS.md`), with a CSV export Excel opens (UTF-8 with BOM).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use egui::RichText;

use crate::app::{Command, World};
use crate::assess::{Indicators, Period};
use crate::desk::worker::Assessment;
use crate::ui::Lang;

/// The periods the window offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodChoice {
    Today,
    ThisWeek,
    #[default]
    ThisMonth,
    LastMonth,
    ThisQuarter,
    ThisYear,
}

impl PeriodChoice {
    pub const ALL: [Self; 6] = [Self::Today, Self::ThisWeek, Self::ThisMonth, Self::LastMonth, Self::ThisQuarter, Self::ThisYear];

    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Today => lang.pick("今日", "Today"),
            Self::ThisWeek => lang.pick("本周", "This week"),
            Self::ThisMonth => lang.pick("本月", "This month"),
            Self::LastMonth => lang.pick("上月", "Last month"),
            Self::ThisQuarter => lang.pick("本季度", "This quarter"),
            Self::ThisYear => lang.pick("本年度", "This year"),
        }
    }

    /// The period at `today`.
    #[must_use]
    pub fn period(self, today: NaiveDate) -> Period {
        match self {
            Self::Today => Period::day(today),
            Self::ThisWeek => Period::week(today),
            Self::ThisMonth => Period::month(today.year(), today.month()),
            Self::LastMonth => {
                if today.month() == 1 {
                    Period::month(today.year() - 1, 12)
                } else {
                    Period::month(today.year(), today.month() - 1)
                }
            }
            Self::ThisQuarter => Period::quarter(today.year(), (today.month() - 1) / 3 + 1),
            Self::ThisYear => Period::year(today.year()),
        }
    }
}

/// The window's own state.
#[derive(Debug, Default)]
pub struct AssessmentState {
    pub open: bool,
    pub choice: PeriodChoice,
    /// Waiting for the worker.
    pub busy: bool,
    pub report: Option<Result<Assessment, String>>,
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

/// The columns of the table and the CSV, with their values.
fn columns(lang: Lang) -> [&'static str; 9] {
    [
        lang.pick("接收", "Received"),
        lang.pick("应结案", "Due"),
        lang.pick("结案", "Closed"),
        lang.pick("按期结案率", "On time"),
        lang.pick("结案率", "Closure"),
        lang.pick("超期", "Overdue"),
        lang.pick("返工率", "Rework"),
        lang.pick("延期率", "Extension"),
        lang.pick("平均处置（工时）", "Avg handling (working h)"),
    ]
}

fn values(indicators: &Indicators) -> [String; 9] {
    [
        indicators.received.to_string(),
        indicators.due.to_string(),
        indicators.closed.to_string(),
        percent(indicators.on_time_rate()),
        percent(indicators.closure_rate()),
        indicators.overdue().to_string(),
        percent(indicators.rework_rate()),
        percent(indicators.extension_rate()),
        indicators.average_handling_hours().map_or_else(|| "—".to_owned(), |hours| format!("{hours:.1}")),
    ]
}

/// The report as CSV: UTF-8 with a byte-order mark so Excel reads the Chinese names.
#[must_use]
pub fn csv(world: &World, report: &Assessment, lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let mut header =
        vec![lang.pick("单位类别", "Unit class"), lang.pick("名次", "Rank"), lang.pick("单位", "Unit"), lang.pick("综合得分", "Score")];
    header.extend(columns(lang));
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let quote = |text: &str| if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() };
    let mut district = vec![String::new(), String::new(), quote(&world.district_name), String::new()];
    district.extend(values(&report.district));
    out.push_str(&district.join(","));
    out.push_str("\r\n");
    for class in &report.ranking {
        for unit in &class.units {
            let mut row = vec![
                class.class.to_owned(),
                unit.rank.to_string(),
                quote(&world.unit_name(Some(unit.unit), lang)),
                format!("{:.1}", unit.score),
            ];
            row.extend(values(&unit.indicators));
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The window. Returns [`Command::Assess`] when a period is chosen (and on opening).
pub fn assessment_window_ui(
    ctx: &egui::Context,
    world: &World,
    state: &mut AssessmentState,
    lang: Lang,
    now: NaiveDateTime,
) -> Vec<Command> {
    let mut commands = Vec::new();
    if !state.open {
        return commands;
    }
    let mut open = true;
    egui::Window::new(lang.pick("考核评价", "Assessment"))
        .id(egui::Id::unique("assessment_window"))
        .open(&mut open)
        .default_width(900.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                for choice in PeriodChoice::ALL {
                    if ui.selectable_label(state.choice == choice, choice.label(lang)).clicked() && state.choice != choice {
                        state.choice = choice;
                        commands.push(Command::Assess(choice.period(now.date())));
                    }
                }
                if state.busy {
                    ui.spinner();
                }
            });
            match &state.report {
                None => {
                    ui.label(lang.pick("正在按审计记录计算…", "Computing from the audit trail…"));
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                Some(Ok(report)) => {
                    ui.weak(format!(
                        "{} {} – {} · {}",
                        lang.pick("统计期", "Period"),
                        report.period.from.format("%Y-%m-%d"),
                        (report.period.to - chrono::TimeDelta::seconds(1)).format("%Y-%m-%d"),
                        lang.pick("指标定义见 docs/INDICATORS.md", "definitions in docs/INDICATORS.md")
                    ));
                    egui::ScrollArea::vertical().max_height(520.0).show(ui, |ui| {
                        egui::Grid::new("assessment").striped(true).num_columns(12).show(ui, |ui| {
                            for header in [
                                lang.pick("类别", "Class"),
                                lang.pick("名次", "Rank"),
                                lang.pick("单位", "Unit"),
                                lang.pick("得分", "Score"),
                            ] {
                                ui.label(RichText::new(header).strong());
                            }
                            for header in columns(lang) {
                                ui.label(RichText::new(header).strong());
                            }
                            ui.end_row();
                            ui.label("");
                            ui.label("");
                            ui.label(RichText::new(&world.district_name).strong());
                            ui.label("");
                            for value in values(&report.district) {
                                ui.label(RichText::new(value).strong());
                            }
                            ui.end_row();
                            for class in &report.ranking {
                                for unit in &class.units {
                                    ui.label(class.class);
                                    ui.label(unit.rank.to_string());
                                    // Drill down: the unit's cases in the case list.
                                    if ui.link(world.unit_name(Some(unit.unit), lang)).clicked() {
                                        commands.push(Command::ShowUnitCases(unit.unit));
                                    }
                                    ui.label(format!("{:.1}", unit.score));
                                    for value in values(&unit.indicators) {
                                        ui.label(value);
                                    }
                                    ui.end_row();
                                }
                            }
                        });
                    });
                    if ui.button(lang.pick("导出 CSV（Excel 可直接打开）", "Export CSV (opens in Excel)")).clicked() {
                        commands.push(Command::ExportAssessment);
                    }
                }
            }
        });
    if !open {
        state.open = false;
    }
    commands
}
