//! The assessment window (考核评价): a period, the district's figures and every unit ranked
//! within its class by the composite score, computed by the desk worker from the audit trail
//! (see `docs/INDICATORS.md`); the trend, the ranked bars and the cases per grid cell as
//! charts; every figure drills down to its cases in the case list; exports as CSV (UTF-8 with
//! BOM), an XLSX workbook and a printable HTML notice (通报).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use egui::RichText;

use crate::assess::output::{ReportFormat, class_name, period_text};
use crate::assess::{Assessment, Column, Granularity, Indicators, Mark, Measure, Period, ReportOptions, Scope, Weights};
use crate::model::UnitId;
use crate::session::{Command, World};
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

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
    /// The trend's step.
    pub granularity: Granularity,
    /// The trend's unit; the district when `None`.
    pub trend_unit: Option<UnitId>,
    /// The unit class whose ranking the bars show (index into the report's ranking).
    pub bars_class: usize,
    /// Waiting for the worker.
    pub busy: bool,
    pub report: Option<Result<Assessment, String>>,
    /// The weights being edited (a copy of the report's until saved); `None` when closed.
    pub weights_draft: Option<Weights>,
    /// Why the weights were not saved.
    pub weights_error: Option<String>,
}

impl AssessmentState {
    /// What the worker computes besides the period's figures.
    #[must_use]
    pub fn options(&self) -> ReportOptions {
        ReportOptions { granularity: self.granularity, trend_unit: self.trend_unit, ..ReportOptions::default() }
    }
}

/// The label of a drill-down list: period, whose, which figure.
fn drill_label(report: &Assessment, whose: &str, measure: Measure, lang: Lang) -> String {
    format!("{} · {} · {}", period_text(&report.period), whose, measure.label(lang.is_chinese()))
}

/// One row of the figures table: whose figures, for which scope (what a click drills into).
struct FiguresRow<'a> {
    indicators: &'a Indicators,
    scope: Scope,
    whose: &'a str,
    /// The district's row stands out.
    strong: bool,
}

/// One row of figures; every count and rate is a link to its cases.
fn figures_row_ui(ui: &mut egui::Ui, report: &Assessment, row: &FiguresRow<'_>, lang: Lang, commands: &mut Vec<Command>) {
    let FiguresRow { indicators, scope, whose, strong } = row;
    let (indicators, whose, strong) = (*indicators, *whose, *strong);
    for column in Column::TABLE {
        let text = column.text(indicators);
        let text = if strong { RichText::new(text).strong() } else { RichText::new(text) };
        match column.drill_down() {
            Some(measure) if column.number(indicators).is_some() => {
                let hover = format!("{}: {}", lang.pick("查看案卷", "Show the cases"), measure.label(lang.is_chinese()));
                if ui.link(text).on_hover_text(hover).clicked() {
                    commands.push(Command::AssessCases {
                        scope: scope.clone(),
                        period: report.period,
                        measure,
                        label: drill_label(report, whose, measure, lang),
                    });
                }
            }
            _ => {
                ui.label(text);
            }
        }
    }
}

/// 主管部门汇总: each Art. 6 body with its sections rolled up, scored like a unit.
fn bodies_ui(ui: &mut egui::Ui, world: &World, report: &Assessment, lang: Lang) {
    if report.bodies.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(lang.pick("主管部门汇总（含下属科所）", "Departments with their sections")).default_open(false).show(
        ui,
        |ui| {
            egui::Grid::new("assessment_bodies").striped(true).show(ui, |ui| {
                for header in [lang.pick("主管部门", "Department"), lang.pick("下属科所", "Sections"), lang.pick("得分", "Score")]
                {
                    ui.label(RichText::new(header).strong());
                }
                for column in &Column::TABLE[..6] {
                    ui.label(RichText::new(column.label(lang.is_chinese())).strong());
                }
                ui.end_row();
                for body in &report.bodies {
                    ui.label(world.unit_name(Some(body.body), lang));
                    let sections: Vec<String> = body.sections.iter().map(|unit| world.unit_name(Some(*unit), lang)).collect();
                    ui.label(sections.join(lang.pick("、", ", ")));
                    ui.label(format!("{:.1}", body.score));
                    for column in &Column::TABLE[..6] {
                        ui.label(column.text(&body.indicators));
                    }
                    ui.end_row();
                }
            });
        },
    );
}

/// 岗位考核: each person at the centre and in the field on their post's rates, with a grade.
fn people_ui(ui: &mut egui::Ui, report: &Assessment, lang: Lang) {
    use crate::assess::PersonRate;
    let chinese = lang.is_chinese();
    let title = format!("{} ({})", lang.pick("岗位考核（个人）", "Posts: each person"), report.people.len());
    egui::CollapsingHeader::new(title).id_salt("assessment_people").default_open(false).show(ui, |ui| {
        if report.people.is_empty() {
            ui.weak(lang.pick("本期无岗位人员办理记录。", "Nobody at the centre took a step in this period."));
            return;
        }
        egui::Grid::new("assessment_people_grid").striped(true).show(ui, |ui| {
            for header in [
                lang.pick("岗位", "Post"),
                lang.pick("姓名", "Name"),
                lang.pick("考核指标", "Rates"),
                lang.pick("得分", "Score"),
                lang.pick("等级", "Grade"),
            ] {
                ui.label(RichText::new(header).strong());
            }
            ui.end_row();
            for person in &report.people {
                ui.label(if chinese { person.role.label_zh() } else { person.role.label_en() });
                ui.label(&person.name);
                let rates: Vec<String> = PersonRate::of_post(person.role)
                    .iter()
                    .map(|rate| {
                        let value = rate.value(&person.figures).map_or_else(|| "—".to_owned(), |value| format!("{:.1}%", value * 100.0));
                        format!("{} {value}", rate.label(chinese))
                    })
                    .collect();
                ui.label(rates.join(" · "));
                ui.label(person.score.map_or_else(|| "—".to_owned(), |score| format!("{score:.1}")));
                ui.label(person.grade.map_or("—", |grade| grade.label(chinese)));
                ui.end_row();
            }
        });
    });
}

/// The composite score's weights: shown to everyone, edited by administrators and shift
/// leaders, stored in the database for every seat.
fn weights_ui(
    ui: &mut egui::Ui,
    (draft, error): (&mut Option<Weights>, &mut Option<String>),
    report: &Assessment,
    may_edit: bool,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let weights = &report.options.weights;
    ui.horizontal_wrapped(|ui| {
        ui.weak(format!(
            "{} {} × {} + {} × {} + {} × {} + {} {} − {} × {}",
            lang.pick("综合得分 = 结案率%", "Score = closure %"),
            weights.closure,
            lang.pick("按期结案率%", "on-time %"),
            weights.on_time,
            lang.pick("(100 − 返工率%)", "(100 − rework %)"),
            weights.rework,
            lang.pick("接收少者最多", "up to"),
            weights.few_cases,
            lang.pick("分", "points for few cases"),
            lang.pick("回退率%", "return %"),
            weights.returns
        ));
        ui.weak(format!(
            "{} {} · {} {} · {} {}",
            lang.pick("每件驳回回退扣", "less per refused return"),
            weights.per_refused_return,
            lang.pick("每件超期扣", "per overdue case"),
            weights.per_overdue,
            lang.pick("每次返工扣", "per rework"),
            weights.per_rework
        ));
        if may_edit && draft.is_none() && ui.button(lang.pick("修改权重…", "Edit weights…")).clicked() {
            *draft = Some(weights.clone());
            *error = None;
        }
    });
    let Some(editing) = draft else { return };
    let mut close = false;
    ui.horizontal_wrapped(|ui| {
        for (label, value) in [
            (lang.pick("结案率权重", "Closure weight"), &mut editing.closure),
            (lang.pick("按期结案率权重", "On-time weight"), &mut editing.on_time),
            (lang.pick("返工率权重", "Rework weight"), &mut editing.rework),
            (lang.pick("接收少加分", "Few-cases points"), &mut editing.few_cases),
            (lang.pick("回退扣分", "Return deduction"), &mut editing.returns),
            (lang.pick("每件驳回回退扣分", "Per refused return"), &mut editing.per_refused_return),
            (lang.pick("每件超期扣分", "Per overdue case"), &mut editing.per_overdue),
            (lang.pick("每次返工扣分", "Per rework"), &mut editing.per_rework),
        ] {
            let label = ui.label(label);
            ui.add(egui::DragValue::new(value).speed(0.01).range(0.0..=1000.0).max_decimals(2)).labelled_by(label.id);
        }
        if ui.button(lang.pick("保存权重", "Save weights")).clicked() {
            match editing.validate() {
                Ok(()) => {
                    commands.push(Command::SaveWeights(editing.clone()));
                    close = true;
                }
                Err(problem) => *error = Some(problem),
            }
        }
        if ui.button(lang.pick("恢复默认", "Defaults")).clicked() {
            *editing = Weights::default();
        }
        if ui.button(lang.pick("取消", "Cancel")).clicked() {
            close = true;
            *error = None;
        }
    });
    if let Some(problem) = error {
        ui.colored_label(ui.visuals().error_fg_color, problem.as_str());
    }
    if close {
        *draft = None;
    }
}

/// The window. Returns [`Command::Assess`] when a period is chosen (and on opening).
#[allow(clippy::too_many_lines)]
pub fn assessment_window_ui(
    ctx: &egui::Context,
    world: &World,
    state: &mut AssessmentState,
    lang: Lang,
    now: NaiveDateTime,
    may_edit_weights: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    if !state.open {
        return commands;
    }
    let mut open = true;
    egui::Window::new(lang.pick("考核评价", "Assessment"))
        .id(egui::Id::unique("assessment_window"))
        .open(&mut open)
        .default_width(1100.0)
        // The departments and each person open below the ranking: the window scrolls rather
        // than push the export buttons off the screen, and starts as tall as the screen allows.
        .vscroll(true)
        .default_height((ctx.content_rect().height() - 60.0).max(400.0))
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
            let report = match &state.report {
                None => {
                    ui.label(lang.pick("正在按审计记录计算…", "Computing from the audit trail…"));
                    return;
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                    return;
                }
                Some(Ok(report)) => report,
            };
            ui.weak(format!(
                "{} {} · {}",
                lang.pick("统计期", "Period"),
                period_text(&report.period),
                lang.pick(
                    "指标定义见 docs/INDICATORS.md；点击数字查看其案卷",
                    "definitions in docs/INDICATORS.md; click a figure for its cases"
                )
            ));
            // Charts.
            let chart_width = ((ui.available_width() - 24.0) / 3.0).max(220.0);
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(chart_width);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(lang.pick("趋势", "Trend")).strong());
                        for (granularity, label) in
                            [(Granularity::Week, lang.pick("按周", "Weekly")), (Granularity::Month, lang.pick("按月", "Monthly"))]
                        {
                            if ui.selectable_label(state.granularity == granularity, label).clicked() && state.granularity != granularity {
                                state.granularity = granularity;
                                commands.push(Command::Assess(report.period));
                            }
                        }
                        let label = ui.label(lang.pick("范围", "Scope"));
                        let shown = state.trend_unit.map_or_else(|| world.district_name.clone(), |unit| world.unit_name(Some(unit), lang));
                        let mut chosen = state.trend_unit;
                        egui::ComboBox::from_id_salt("assessment_trend_scope")
                            .selected_text(shown)
                            .width(140.0)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut chosen, None, &world.district_name);
                                for class in &report.ranking {
                                    for unit in &class.units {
                                        ui.selectable_value(&mut chosen, Some(unit.unit), world.unit_name(Some(unit.unit), lang));
                                    }
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        if chosen != state.trend_unit {
                            state.trend_unit = chosen;
                            commands.push(Command::Assess(report.period));
                        }
                    });
                    if let Some(index) = super::report_charts::trend_chart_ui(ui, report, lang, chart_width)
                        && let Some((period, _)) = report.trend.get(index)
                    {
                        let scope = report.options.trend_unit.map_or(Scope::District, Scope::Unit);
                        let whose =
                            report.options.trend_unit.map_or_else(|| world.district_name.clone(), |unit| world.unit_name(Some(unit), lang));
                        let measure = Measure::Received;
                        commands.push(Command::AssessCases {
                            scope,
                            period: *period,
                            measure,
                            label: format!("{} · {} · {}", period_text(period), whose, measure.label(lang.is_chinese())),
                        });
                    }
                });
                ui.vertical(|ui| {
                    ui.set_width(chart_width);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(lang.pick("综合得分排名", "Composite score ranking")).strong());
                        for (index, class) in report.ranking.iter().enumerate() {
                            if ui.selectable_label(state.bars_class == index, class_name(class.class, lang)).clicked() {
                                state.bars_class = index;
                            }
                        }
                    });
                    match report.ranking.get(state.bars_class).or_else(|| report.ranking.first()) {
                        Some(class) => {
                            if let Some(unit) = super::report_charts::ranking_bars_ui(ui, world, class, lang, chart_width) {
                                commands.push(Command::ShowUnitCases(unit));
                            }
                            ui.horizontal(|ui| {
                                ui.colored_label(tokens::CHART_BAR_BOTTOM, "●");
                                ui.weak(lang.pick("末位单位", "bottom units"));
                            });
                        }
                        None => {
                            ui.weak(lang.pick("本期无单位参与排名", "No unit ranked in this period"));
                        }
                    }
                });
                ui.vertical(|ui| {
                    ui.label(RichText::new(lang.pick("单元网格案件密度", "Cases per grid cell")).strong());
                    let size = egui::vec2(chart_width, 220.0);
                    if let Some(code) = super::report_charts::density_map_ui(ui, world, report, lang, size) {
                        let measure = Measure::Reported;
                        commands.push(Command::AssessCases {
                            scope: Scope::Region(code.clone()),
                            period: report.period,
                            measure,
                            label: drill_label(report, &code, measure, lang),
                        });
                    }
                });
            });
            ui.separator();
            egui::ScrollArea::both().max_height(420.0).show(ui, |ui| {
                egui::Grid::new("assessment").striped(true).num_columns(5 + Column::TABLE.len()).show(ui, |ui| {
                    for header in [
                        lang.pick("类别", "Class"),
                        lang.pick("名次", "Rank"),
                        lang.pick("单位", "Unit"),
                        lang.pick("得分", "Score"),
                        lang.pick("评价", "Mark"),
                    ] {
                        ui.label(RichText::new(header).strong());
                    }
                    for column in Column::TABLE {
                        ui.label(RichText::new(column.label(lang.is_chinese())).strong());
                    }
                    ui.end_row();
                    ui.label("");
                    ui.label("");
                    ui.label(RichText::new(&world.district_name).strong());
                    ui.label("");
                    ui.label("");
                    let row =
                        FiguresRow { indicators: &report.district, scope: Scope::District, whose: &world.district_name, strong: true };
                    figures_row_ui(ui, report, &row, lang, &mut commands);
                    ui.end_row();
                    for class in &report.ranking {
                        for (index, unit) in class.units.iter().enumerate() {
                            let name = world.unit_name(Some(unit.unit), lang);
                            ui.label(class_name(class.class, lang));
                            let rank = unit.rank.to_string();
                            if class.is_bottom(index) {
                                ui.colored_label(tokens::MARK_RED, format!("{rank} {}", lang.pick("末位", "bottom")));
                            } else {
                                ui.label(rank);
                            }
                            // Drill down: the unit's cases in the case list.
                            if ui.link(&name).clicked() {
                                commands.push(Command::ShowUnitCases(unit.unit));
                            }
                            ui.label(format!("{:.1}", unit.score));
                            let mark = Mark::of_score(unit.score);
                            ui.colored_label(tokens::mark_color(mark), format!("● {}", mark.label(lang.is_chinese())));
                            let row =
                                FiguresRow { indicators: &unit.indicators, scope: Scope::Unit(unit.unit), whose: &name, strong: false };
                            figures_row_ui(ui, report, &row, lang, &mut commands);
                            ui.end_row();
                        }
                    }
                });
            });
            bodies_ui(ui, world, report, lang);
            people_ui(ui, report, lang);
            weights_ui(ui, (&mut state.weights_draft, &mut state.weights_error), report, may_edit_weights, lang, &mut commands);
            ui.horizontal(|ui| {
                if ui.button(lang.pick("导出 CSV（Excel 可直接打开）", "Export CSV (opens in Excel)")).clicked() {
                    commands.push(Command::ExportAssessment(ReportFormat::Csv));
                }
                if ui.button(lang.pick("导出 Excel（XLSX）", "Export workbook (XLSX)")).clicked() {
                    commands.push(Command::ExportAssessment(ReportFormat::Xlsx));
                }
                if ui.button(lang.pick("导出通报（HTML）…", "Export notice (HTML)…")).clicked() {
                    commands.push(Command::ExportAssessment(ReportFormat::Html));
                }
            });
        });
    if !open {
        state.open = false;
    }
    commands
}
