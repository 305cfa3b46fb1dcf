//! Responsibility disputes (责任争议) as the centre, the units and the coordination committee
//! work them: the queue of open disputes, the dispute of the selected case with the site check,
//! each unit's statement side by side and the decision, the step dialogs, and what the map
//! draws for it (the candidate jurisdictions, the measured distance to their shared boundary,
//! past decisions nearby).

use chrono::{NaiveDate, NaiveDateTime};
use egui::{Color32, RichText};
use geo::Point;

use crate::desk::worker::DisputeCommand;
use crate::model::Labelled;
use crate::model::{Art19Rule, Case, DisputeRecord, ItemKind, JurisdictionKind, Keyword, Part, PrecedentArea, PrecedentClass, UnitId};
use crate::session::{Command, Selection, World};
use crate::ui::Lang;
use crate::ui::View;
use crate::workflow::{
    Candidate, DisputeDecision, DisputeOpening, DisputeStep, PrecedentDraft, SiteCheckReport, UnitStatement, allowed_dispute_steps,
};

use super::desk::DeskState;

/// How a decision's precedent is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrecedentShape {
    None,
    /// A circle of this many metres around the measured (or reported) spot.
    Circle,
    /// The grid cell the case lies in.
    GridCell,
}

/// The dialog of one dispute step.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeDialog {
    pub step: DisputeStep,
    pub case_id: i64,
    pub case_no: String,
    pub dispute_id: Option<i64>,
    /// Summary, notes, statement, reasoning or reason: whichever the step asks for.
    pub text: String,
    pub units: Vec<UnitId>,
    pub designated: Option<UnitId>,
    pub rule: Art19Rule,
    pub checked_on: String,
    pub lon: String,
    pub lat: String,
    pub photos: Vec<String>,
    pub photo_path: String,
    pub precedent: PrecedentShape,
    pub radius_m: f64,
    pub this_class_only: bool,
    /// Statements and site checks on the dispute when the dialog opened.
    pub evidence: usize,
    /// A decision with no statement and no site check must be confirmed as such.
    pub without_evidence: bool,
    /// Opening: the units the class's routing rule names, each with its reason.
    pub candidates: Vec<Candidate>,
}

impl DisputeDialog {
    /// A dialog for `step` on `case` (and its open dispute), with what can be proposed filled in.
    #[must_use]
    pub fn new(step: DisputeStep, case: &Case, record: Option<&DisputeRecord>, now: NaiveDateTime) -> Self {
        let spot = record.and_then(|record| record.site_checks.last()).map_or(case.location, |check| check.location);
        Self {
            step,
            case_id: case.id,
            case_no: case.case_no.clone(),
            dispute_id: record.map(|record| record.dispute.id),
            evidence: record.map_or(0, |record| record.statements.len() + record.site_checks.len()),
            without_evidence: false,
            candidates: Vec::new(),
            text: String::new(),
            units: record.map(DisputeRecord::parties).unwrap_or_default(),
            designated: None,
            rule: Art19Rule::PolicyOrBoundary,
            checked_on: now.date().to_string(),
            lon: format!("{:.6}", spot.x()),
            lat: format!("{:.6}", spot.y()),
            photos: Vec::new(),
            photo_path: String::new(),
            precedent: PrecedentShape::Circle,
            radius_m: 50.0,
            this_class_only: false,
        }
    }

    /// The step as filled in, or what is missing (Chinese, English).
    ///
    /// # Errors
    /// A mandatory field is empty or malformed.
    pub fn command(&self, world: &World, case: &Case) -> Result<DisputeCommand, (&'static str, &'static str)> {
        let text = self.text.trim().to_owned();
        if text.is_empty() {
            return Err(("请填写说明（必填）", "The text is required"));
        }
        let dispute_id = || self.dispute_id.ok_or(("没有进行中的争议", "No open dispute"));
        Ok(match self.step {
            DisputeStep::Open => {
                DisputeCommand::Open { case_id: self.case_id, opening: DisputeOpening { units: self.units.clone(), summary: text } }
            }
            DisputeStep::SiteCheck => {
                let checked_on = NaiveDate::parse_from_str(self.checked_on.trim(), "%Y-%m-%d")
                    .map_err(|_| ("核查日期格式应为 YYYY-MM-DD", "The date must read YYYY-MM-DD"))?;
                let location = self.spot().ok_or(("经纬度格式不正确", "Longitude and latitude must be numbers"))?;
                DisputeCommand::SiteCheck {
                    dispute_id: dispute_id()?,
                    report: SiteCheckReport {
                        checked_on,
                        units_present: self.units.clone(),
                        location,
                        photos: self.photos.clone(),
                        notes: text,
                    },
                }
            }
            DisputeStep::Statement => {
                DisputeCommand::Statement { dispute_id: dispute_id()?, statement: UnitStatement { text, photos: self.photos.clone() } }
            }
            DisputeStep::Decide => {
                if self.evidence == 0 && !self.without_evidence {
                    return Err((
                        "尚无单位陈述和现场核查：请先核查，或确认在没有陈述和核查的情况下裁定",
                        "No statement and no site check yet: check first, or confirm deciding without them",
                    ));
                }
                let designated_unit = self.designated.ok_or(("请选择责任单位", "Choose the responsible unit"))?;
                let area = match self.precedent {
                    PrecedentShape::None => None,
                    PrecedentShape::Circle => {
                        let centre = self.spot().ok_or(("经纬度格式不正确", "Longitude and latitude must be numbers"))?;
                        Some(PrecedentArea::Circle { centre, radius_m: self.radius_m })
                    }
                    PrecedentShape::GridCell => {
                        let cell = world
                            .jurisdictions_at(case.location.x(), case.location.y())
                            .into_iter()
                            .find(|index| world.jurisdictions[*index].kind == JurisdictionKind::GridCell)
                            .ok_or(("案卷不在任何单元网格内", "The case lies in no grid cell"))?;
                        let polygon =
                            world.jurisdictions[cell].geometry.0.first().cloned().ok_or(("网格没有几何", "The grid cell has no shape"))?;
                        Some(PrecedentArea::Polygon(polygon))
                    }
                };
                let precedent = area.map(|area| PrecedentDraft {
                    area,
                    class: self.this_class_only.then(|| PrecedentClass { kind: case.subject.item_kind(), code: case.class_code.clone() }),
                    valid_from: None,
                    note: String::new(),
                });
                DisputeCommand::Decide {
                    dispute_id: dispute_id()?,
                    decision: DisputeDecision { designated_unit, art19_rule: self.rule, reasoning: text, precedent },
                }
            }
            DisputeStep::Withdraw => DisputeCommand::Withdraw { dispute_id: dispute_id()?, reason: text },
        })
    }

    fn spot(&self) -> Option<Point<f64>> {
        let lon: f64 = self.lon.trim().parse().ok()?;
        let lat: f64 = self.lat.trim().parse().ok()?;
        ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then(|| Point::new(lon, lat))
    }
}

/// The newest dispute of a case, if any.
#[must_use]
pub fn dispute_of(desk: &DeskState, case_id: i64) -> Option<&DisputeRecord> {
    desk.disputes.records.iter().filter(|record| record.dispute.case_id == case_id).max_by_key(|record| record.dispute.id)
}

fn age_text(since: NaiveDateTime, now: NaiveDateTime, lang: Lang) -> String {
    let hours = (now - since).num_hours().max(0);
    match (hours >= 48, lang) {
        (true, Lang::Zh) => format!("{} 天", hours / 24),
        (true, Lang::En) => format!("{} days", hours / 24),
        (false, Lang::Zh) => format!("{hours} 小时"),
        (false, Lang::En) => format!("{hours} h"),
    }
}

fn unit_list(world: &World, units: &[UnitId], lang: Lang) -> String {
    units.iter().map(|unit| world.unit_name(Some(*unit), lang)).collect::<Vec<_>>().join("、")
}

/// The queue of disputes (a window): open ones with their age and parties; decided ones on
/// request. Clicking a case number selects the case.
pub fn disputes_window_ui(ctx: &egui::Context, view: View<'_>, desk: &mut DeskState) -> Vec<Command> {
    let View { world, cases: book, lang, now } = view;
    let mut commands = Vec::new();
    if !desk.disputes.open {
        return commands;
    }
    let mut open = true;
    let mut show_decided = desk.disputes.show_all;
    egui::Window::new(lang.pick("责任争议", "Responsibility disputes"))
        .id(egui::Id::unique("disputes_window"))
        .open(&mut open)
        .default_width(720.0)
        .show(ctx, |ui| {
            let waiting = desk.disputes.records.iter().filter(|record| record.dispute.is_open()).count();
            ui.horizontal(|ui| {
                ui.label(format!("{} {waiting}", lang.pick("待裁定", "Waiting for a decision:")));
                ui.checkbox(&mut show_decided, lang.pick("显示已裁定、已撤回的争议", "Show decided and withdrawn disputes"));
            });
            ui.separator();
            egui::Grid::new("disputes").striped(true).num_columns(6).show(ui, |ui| {
                for header in [
                    lang.pick("争议", "Dispute"),
                    lang.pick("案卷号", "Case no."),
                    lang.pick("已历时", "Age"),
                    lang.pick("涉及单位", "Units"),
                    lang.pick("陈述 / 核查", "Statements / checks"),
                    lang.pick("状态", "State"),
                ] {
                    ui.label(RichText::new(header).strong());
                }
                ui.end_row();
                let mut records: Vec<&DisputeRecord> =
                    desk.disputes.records.iter().filter(|record| show_decided || record.dispute.is_open()).collect();
                records.sort_by_key(|record| (!record.dispute.is_open(), record.dispute.opened_at));
                for record in records {
                    ui.label(format!("#{}", record.dispute.id));
                    let case_no =
                        book.position_of(record.dispute.case_id).and_then(|position| book.get(position)).map(|case| case.case_no.clone());
                    if ui.link(RichText::new(case_no.unwrap_or_else(|| "—".into())).monospace()).clicked()
                        && let Some(position) = book.position_of(record.dispute.case_id)
                    {
                        commands.push(Command::Select(Some(Selection::Case(position))));
                        commands.push(Command::ZoomToSelection);
                    }
                    ui.label(age_text(
                        record.dispute.opened_at,
                        record.dispute.decided_at.or(record.dispute.withdrawn_at).unwrap_or(now),
                        lang,
                    ));
                    ui.label(unit_list(world, &record.parties(), lang));
                    ui.label(format!("{} / {}", record.statements.len(), record.site_checks.len()));
                    ui.label(record.dispute.state.label(lang));
                    ui.end_row();
                }
            });
        });
    desk.disputes.show_all = show_decided;
    if !open {
        desk.disputes.open = false;
    }
    commands
}

/// The part a part case names, when its owner or maintainer is on record: then ownership, not
/// a boundary, decides who is responsible (先属主).
fn owned_part(world: &World, case: &Case) -> Option<std::sync::Arc<Part>> {
    let code = case.part_code.filter(|_| case.subject.item_kind() == ItemKind::Part)?;
    world.parts.by_code(code).filter(|part| part.owner_unit.is_some() || part.maintainer_unit.is_some())
}

/// The dispute part of a selected case: its record and the steps the user may take.
#[allow(clippy::too_many_arguments)]
pub fn dispute_section_ui(ui: &mut egui::Ui, view: View<'_>, case: &Case, desk: &mut DeskState, commands: &mut Vec<Command>) {
    let View { world, lang, now, .. } = view;
    let Some(user) = desk.user.clone() else { return };
    let record = dispute_of(desk, case.id).cloned();
    let open_record = record.as_ref().filter(|record| record.dispute.is_open());
    let steps = allowed_dispute_steps(&user, case, open_record);
    if record.is_none() && steps.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(RichText::new(lang.pick("责任争议", "Responsibility dispute")).strong());
    if let Some(record) = &record {
        record_ui(ui, world, record, lang, now);
        if !record.dispute.is_open() && ui.button(lang.pick("导出裁定记录（PNG）", "Export the decision record (PNG)")).clicked() {
            commands.push(Command::ExportDecision { dispute_id: record.dispute.id, case_no: case.case_no.clone() });
        }
    }
    if !steps.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for step in steps {
                if ui.add_enabled(desk.pending.is_none(), egui::Button::new(step.label(lang.is_chinese()))).clicked() {
                    let mut dialog = DisputeDialog::new(step, case, open_record, now);
                    if step == DisputeStep::Open {
                        // Propose the candidates of the class's routing rule as parties.
                        dialog.candidates = crate::workflow::dispute_candidates(
                            &world.routing_data(view.cases.precedents()),
                            &crate::workflow::RoutingQuery::of_case(case),
                        )
                        .into_iter()
                        .filter(|candidate| Some(candidate.unit) != case.unit)
                        .collect();
                        dialog.units = dialog.candidates.iter().map(|candidate| candidate.unit).collect();
                    }
                    desk.disputes.dialog = Some(dialog);
                }
            }
        });
    }
    near_boundary_ui(ui, world, case, lang);
}

fn record_ui(ui: &mut egui::Ui, world: &World, record: &DisputeRecord, lang: Lang, now: NaiveDateTime) {
    let dispute = &record.dispute;
    ui.label(format!(
        "#{} · {} · {} {}",
        dispute.id,
        dispute.state.label(lang),
        lang.pick("已历时", "age"),
        age_text(dispute.opened_at, dispute.decided_at.or(dispute.withdrawn_at).unwrap_or(now), lang)
    ));
    ui.label(RichText::new(&dispute.summary).italics());
    ui.label(format!("{}{}", lang.pick("涉及单位：", "Parties: "), unit_list(world, &record.parties(), lang)));
    for check in &record.site_checks {
        ui.label(format!(
            "{} {} · {} {:.6}, {:.6} · {}",
            lang.pick("现场核查", "Site check"),
            check.checked_on,
            lang.pick("实测位置", "measured at"),
            check.location.x(),
            check.location.y(),
            check.notes
        ));
        if !check.units_present.is_empty() {
            ui.weak(format!("{}{}", lang.pick("到场单位：", "Present: "), unit_list(world, &check.units_present, lang)));
        }
        super::details::thumbnails_ui(ui, &check.photos);
    }
    if !record.statements.is_empty() {
        // Each unit's statements side by side.
        let parties: Vec<UnitId> = record.parties().into_iter().filter(|unit| record.statements.iter().any(|s| s.unit == *unit)).collect();
        egui::Grid::new(("statements", dispute.id)).num_columns(parties.len()).striped(true).show(ui, |ui| {
            for unit in &parties {
                ui.label(RichText::new(world.unit_name(Some(*unit), lang)).strong());
            }
            ui.end_row();
            for unit in &parties {
                ui.vertical(|ui| {
                    ui.set_max_width(220.0);
                    for statement in record.statements.iter().filter(|s| s.unit == *unit) {
                        ui.label(RichText::new(statement.at.format("%m-%d %H:%M").to_string()).small().weak());
                        ui.label(&statement.text);
                        super::details::thumbnails_ui(ui, &statement.photos);
                    }
                });
            }
            ui.end_row();
        });
    }
    if let Some(unit) = dispute.designated_unit {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!("{}{}", lang.pick("裁定责任单位：", "Designated: "), world.unit_name(Some(unit), lang))).strong(),
            );
            if let Some(rule) = dispute.art19_rule {
                ui.label(rule.label(lang.is_chinese()));
            }
            ui.label(&dispute.reasoning);
            if record.precedent.is_some() {
                ui.weak(lang.pick("已形成先例：此处后续案卷直接派往该单位。", "A precedent: later cases here go straight to this unit."));
            }
        });
    }
    if dispute.withdrawn_at.is_some() {
        ui.weak(format!("{}{}", lang.pick("撤回理由：", "Withdrawn: "), dispute.withdraw_reason));
    }
}

/// What places the case between units. For a part whose owner or maintainer is on record, the
/// part's own units (a boundary says nothing of who owns a pipe); otherwise the boundaries near
/// the case: which jurisdictions are candidates and how far the case lies from their shared
/// boundary.
fn near_boundary_ui(ui: &mut egui::Ui, world: &World, case: &Case, lang: Lang) {
    if let Some(part) = owned_part(world, case) {
        ui.label(format!("{} {}{}{}", lang.pick("部件", "Part"), part.code, lang.pick("：", ": "), part_units_text(world, &part, lang)));
        ui.weak(lang.pick(
            "部件按“先属主、后属地”：责任由权属和养护关系决定，不看辖区边界。",
            "Parts go owner first: ownership and maintenance decide, not the area boundaries.",
        ));
        return;
    }
    for kind in [JurisdictionKind::UnitZone, JurisdictionKind::Community, JurisdictionKind::Township] {
        for near in world
            .jurisdiction_index
            .near_boundaries(&world.jurisdictions, kind, case.location, case.reported_at.date(), 200.0)
            .iter()
            .take(2)
        {
            let (inside, neighbour) = (&world.jurisdictions[near.inside], &world.jurisdictions[near.neighbour]);
            ui.label(format!(
                "{} {} → {} {}: {:.1} m",
                kind.label(lang),
                inside.name,
                neighbour.name,
                lang.pick("边界", "boundary"),
                near.metres
            ));
        }
    }
}

/// "权属 A · 养护 B · 主管 C", the part's units on record.
fn part_units_text(world: &World, part: &Part, lang: Lang) -> String {
    [
        (part.owner_unit, lang.pick("权属", "owner")),
        (part.maintainer_unit, lang.pick("养护", "maintainer")),
        (part.supervising_unit, lang.pick("主管", "supervisor")),
    ]
    .into_iter()
    .filter_map(|(unit, role)| unit.map(|unit| format!("{role} {}", world.unit_name(Some(unit), lang))))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The open dispute dialog, as a modal window.
pub fn dispute_dialog_ui(ctx: &egui::Context, view: View<'_>, desk: &mut DeskState) -> Vec<Command> {
    let View { world, cases: book, lang, .. } = view;
    let mut commands = Vec::new();
    let Some(dialog) = desk.disputes.dialog.as_mut() else { return commands };
    let Some(case) = book.position_of(dialog.case_id).and_then(|position| book.get(position)).cloned() else {
        desk.disputes.dialog = None;
        return commands;
    };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("dispute_dialog")).show(ctx, |ui| {
        ui.set_width(480.0);
        ui.heading(format!("{} · {}", dialog.step.label(lang.is_chinese()), dialog.case_no));
        match dialog.step {
            DisputeStep::Open | DisputeStep::SiteCheck => {
                ui.label(if dialog.step == DisputeStep::Open {
                    lang.pick("涉及单位（持有案卷的单位自动列入）", "Units party to it (the unit holding the case is added)")
                } else {
                    lang.pick("到场单位", "Units present")
                });
                let toggle = |ui: &mut egui::Ui, units: &mut Vec<UnitId>, unit: UnitId, name: &str| {
                    let mut on = units.contains(&unit);
                    if ui.checkbox(&mut on, name).changed() {
                        if on {
                            units.push(unit);
                        } else {
                            units.retain(|other| *other != unit);
                        }
                    }
                };
                if dialog.step == DisputeStep::Open && !dialog.candidates.is_empty() {
                    ui.weak(lang.pick("按本类案卷的派遣规则，可能的责任单位：", "By the routing rule of this class, the units that may be responsible:"));
                    for candidate in &dialog.candidates {
                        toggle(ui, &mut dialog.units, candidate.unit, &world.unit_name(Some(candidate.unit), lang));
                        ui.indent(("candidate_reason", candidate.unit.0), |ui| {
                            ui.weak(if lang.is_chinese() { candidate.reason_zh.as_str() } else { candidate.reason_en.as_str() });
                        });
                    }
                }
                if dialog.step == DisputeStep::Open && dialog.candidates.is_empty() {
                    ui.weak(lang.pick(
                        "本类案卷的派遣规则只指向持有案卷的单位（权属、养护或手册规定）：请在下面选择对方单位。",
                        "The routing rule of this class names only the unit holding the case (owner, maintainer or the manual): choose the other side below.",
                    ));
                }
                let others = lang.pick("其他单位", "Other units");
                egui::CollapsingHeader::new(others).default_open(dialog.step == DisputeStep::SiteCheck || dialog.candidates.is_empty()).show(ui, |ui| {
                    egui::ScrollArea::vertical().max_height(140.0).show(ui, |ui| {
                        // The centre and the committee are on site at a check, never a party.
                        let listed = world.units.iter().filter(|unit| dialog.step == DisputeStep::SiteCheck || unit.takes_dispatches());
                        for unit in listed.filter(|unit| !dialog.candidates.iter().any(|candidate| candidate.unit == unit.id)) {
                            toggle(ui, &mut dialog.units, unit.id, unit.name(lang.is_chinese()));
                        }
                    });
                });
            }
            _ => {}
        }
        if dialog.step == DisputeStep::SiteCheck {
            ui.horizontal(|ui| {
                let date = ui.label(lang.pick("核查日期", "Checked on"));
                ui.add(egui::TextEdit::singleline(&mut dialog.checked_on).desired_width(100.0)).labelled_by(date.id);
            });
        }
        if matches!(dialog.step, DisputeStep::SiteCheck | DisputeStep::Decide) {
            ui.horizontal(|ui| {
                let spot = ui.label(lang.pick("实测位置（经度, 纬度）", "Measured spot (lon, lat)"));
                ui.add(egui::TextEdit::singleline(&mut dialog.lon).desired_width(110.0)).labelled_by(spot.id);
                ui.add(egui::TextEdit::singleline(&mut dialog.lat).desired_width(110.0)).labelled_by(spot.id);
            });
        }
        if dialog.step == DisputeStep::Decide && dialog.evidence == 0 {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                lang.pick(
                    "！本争议尚无单位陈述，也无现场核查记录（第十九条：依据边界与现场证据裁定）",
                    "! This dispute has no unit statement and no site check yet (Art. 19: decide from the boundaries and the evidence on site)",
                ),
            );
            ui.checkbox(&mut dialog.without_evidence, lang.pick("确认在没有陈述和核查的情况下裁定", "Decide without statements or a site check"));
        }
        if dialog.step == DisputeStep::Decide {
            ui.horizontal(|ui| {
                let label = ui.label(lang.pick("责任单位", "Responsible unit"));
                let selected =
                    dialog.designated.map_or_else(|| lang.pick("请选择", "Choose").to_owned(), |unit| world.unit_name(Some(unit), lang));
                egui::ComboBox::from_id_salt("designated_unit")
                    .selected_text(selected)
                    .width(240.0)
                    .height(320.0)
                    .show_ui(ui, |ui| {
                        for unit in &dialog.units {
                            ui.selectable_value(&mut dialog.designated, Some(*unit), format!("★ {}", world.unit_name(Some(*unit), lang)));
                        }
                        ui.separator();
                        for unit in world.units.iter().filter(|unit| unit.takes_dispatches() && !dialog.units.contains(&unit.id)) {
                            ui.selectable_value(&mut dialog.designated, Some(unit.id), unit.name(lang.is_chinese()));
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.label(lang.pick("适用第十九条", "Art. 19 rule applied"));
            for rule in Art19Rule::ALL {
                ui.radio_value(&mut dialog.rule, *rule, rule.label(lang.is_chinese()));
            }
            ui.horizontal(|ui| {
                ui.label(lang.pick("形成先例", "Precedent"));
                ui.radio_value(&mut dialog.precedent, PrecedentShape::None, lang.pick("不形成", "none"));
                ui.radio_value(&mut dialog.precedent, PrecedentShape::Circle, lang.pick("实测点周边", "around the spot"));
                ui.radio_value(&mut dialog.precedent, PrecedentShape::GridCell, lang.pick("所在单元网格", "its grid cell"));
            });
            if dialog.precedent == PrecedentShape::Circle {
                ui.horizontal(|ui| {
                    let radius = ui.label(lang.pick("半径（米）", "Radius (m)"));
                    ui.add(egui::DragValue::new(&mut dialog.radius_m).range(5.0..=1000.0)).labelled_by(radius.id);
                });
            }
            if dialog.precedent != PrecedentShape::None {
                ui.checkbox(&mut dialog.this_class_only, lang.pick("仅限本类别案卷", "This class only"));
            }
        }
        let label = match dialog.step {
            DisputeStep::Open => lang.pick("争议事项（必填）", "What is disputed (required)"),
            DisputeStep::SiteCheck => lang.pick("核查情况（必填）", "What was found (required)"),
            DisputeStep::Statement => lang.pick("本单位陈述（必填）", "Your unit's statement (required)"),
            DisputeStep::Decide => lang.pick("裁定理由（必填）", "Reasoning (required)"),
            DisputeStep::Withdraw => lang.pick("撤回理由（必填）", "Why it is withdrawn (required)"),
        };
        let label = ui.label(label);
        ui.add(egui::TextEdit::multiline(&mut dialog.text).desired_rows(3).desired_width(f32::INFINITY)).labelled_by(label.id);
        if matches!(dialog.step, DisputeStep::SiteCheck | DisputeStep::Statement) {
            super::case_actions::photos_ui(ui, &mut dialog.photos, &mut dialog.photo_path, lang);
        }
        let ready = dialog.command(world, &case);
        if let Err((zh, en)) = &ready {
            ui.weak(lang.pick(zh, en));
        }
        let (ok, cancel) = super::case_actions::ok_cancel_ui(ui, ready.is_ok(), lang);
        if ok && let Ok(step) = ready {
            commands.push(Command::DisputeStep(Box::new(step)));
        }
        close = ok || cancel;
    });
    if close || modal.should_close() {
        desk.disputes.dialog = None;
    }
    commands
}

/// Colours of the two sides of a disputed boundary on the map.
const SIDE_A: Color32 = Color32::from_rgb(0x2E, 0x6F, 0xD6);
const SIDE_B: Color32 = Color32::from_rgb(0xD6, 0x7A, 0x1E);

/// What the map draws for the selected case's dispute: the two nearest candidate jurisdictions
/// filled in their own colours, their shared boundary in bold, the measured line from the case
/// (or the site-check spot) to it with its length.
pub fn draw_dispute_map(
    painter: &egui::Painter,
    transform: &crate::map::ScreenTransform,
    world: &World,
    case: &Case,
    record: &DisputeRecord,
    lang: Lang,
) {
    use crate::map::mercator_from_lonlat;
    let screen = |point: Point<f64>| transform.screen(mercator_from_lonlat(point.x(), point.y()));
    let spot = record.site_checks.last().map_or(case.location, |check| check.location);
    if let Some(part) = owned_part(world, case) {
        // Ownership decides a part's dispute: the part and its units, no boundary.
        draw_part_ownership(painter, &screen, world, &part, lang);
        draw_measured_spot(painter, &screen, spot, case, lang);
        return;
    }
    let near = [JurisdictionKind::UnitZone, JurisdictionKind::Community, JurisdictionKind::Township].into_iter().find_map(|kind| {
        world.jurisdiction_index.near_boundaries(&world.jurisdictions, kind, spot, case.reported_at.date(), 500.0).into_iter().next()
    });
    if let Some(near) = near {
        for (index, color) in [(near.inside, SIDE_A), (near.neighbour, SIDE_B)] {
            for polygon in &world.jurisdictions[index].geometry.0 {
                let points: Vec<egui::Pos2> = polygon.exterior().points().map(screen).collect();
                painter.add(egui::Shape::closed_line(points, egui::Stroke::new(3.0, color)));
            }
        }
        let shared = crate::spatial::boundary::shared_boundary(
            &world.jurisdictions[near.inside].geometry,
            &world.jurisdictions[near.neighbour].geometry,
            2.0,
        );
        for line in &shared.0 {
            let points: Vec<egui::Pos2> = line.points().map(screen).collect();
            painter.add(egui::Shape::line(points, egui::Stroke::new(4.0, Color32::from_rgb(0xB0, 0x1E, 0x68))));
        }
        let (from, to) = (screen(spot), screen(near.nearest));
        painter.add(egui::Shape::dashed_line(&[from, to], egui::Stroke::new(2.0, Color32::BLACK), 6.0, 4.0));
        let label = format!("{:.1} m", near.metres);
        crate::map::halo_label(painter, from + (to - from) * 0.5, &label, 14.0, Color32::BLACK, crate::ui::design_tokens::MAP_TEXT_HALO);
        let names = format!("{} | {}", world.jurisdictions[near.inside].name, world.jurisdictions[near.neighbour].name);
        crate::map::halo_label(
            painter,
            from + egui::vec2(0.0, -22.0),
            &names,
            13.0,
            Color32::BLACK,
            crate::ui::design_tokens::MAP_TEXT_HALO,
        );
    }
    draw_measured_spot(painter, &screen, spot, case, lang);
}

/// The site-check spot, where it differs from the reported one.
fn draw_measured_spot(painter: &egui::Painter, screen: &impl Fn(Point<f64>) -> egui::Pos2, spot: Point<f64>, case: &Case, lang: Lang) {
    if spot != case.location {
        painter.circle_stroke(screen(spot), 7.0, egui::Stroke::new(2.0, Color32::from_rgb(0xB0, 0x1E, 0x68)));
        crate::map::halo_label(
            painter,
            screen(spot) + egui::vec2(0.0, 16.0),
            lang.pick("实测位置", "measured"),
            12.0,
            Color32::BLACK,
            crate::ui::design_tokens::MAP_TEXT_HALO,
        );
    }
}

/// The disputed part drawn bold in the first side's colour, with its units on record beside it.
fn draw_part_ownership(painter: &egui::Painter, screen: &impl Fn(Point<f64>) -> egui::Pos2, world: &World, part: &Part, lang: Lang) {
    use crate::model::PartGeometry;
    let stroke = egui::Stroke::new(5.0, SIDE_A);
    let anchor = match &part.geometry {
        PartGeometry::Point(point) => {
            painter.circle_stroke(screen(*point), 11.0, stroke);
            screen(*point)
        }
        PartGeometry::Line(line) => {
            let points: Vec<egui::Pos2> = line.points().map(screen).collect();
            painter.add(egui::Shape::line(points.clone(), stroke));
            points.get(points.len() / 2).copied().unwrap_or_default()
        }
        PartGeometry::Polygon(polygon) => {
            let points: Vec<egui::Pos2> = polygon.exterior().points().map(screen).collect();
            let centre = points.iter().fold(egui::Vec2::ZERO, |sum, point| sum + point.to_vec2()) / points.len().max(1) as f32;
            painter.add(egui::Shape::closed_line(points, stroke));
            centre.to_pos2()
        }
    };
    let label = format!("{} · {}", part.code, part_units_text(world, part, lang));
    crate::map::halo_label(painter, anchor + egui::vec2(0.0, -24.0), &label, 13.0, Color32::BLACK, crate::ui::design_tokens::MAP_TEXT_HALO);
}
