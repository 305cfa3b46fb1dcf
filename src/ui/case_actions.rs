//! A case in the details panel as the dispatch desk works it: its deadline, the buttons for the
//! steps the signed-in user may take, the dialog asking for exactly what a step needs, and the
//! timeline read from the audit trail.

use chrono::NaiveDateTime;
use egui::RichText;

use crate::calendar::LimitUnit;
use crate::desk::CaseBook;
use crate::desk::worker::CaseTimeline;
use crate::model::Labelled;
use crate::model::{Case, CloseType, FeedbackChannel, Keyword, Satisfaction, UnitId, User};
use crate::session::{Command, World};
use crate::ui::Lang;
use crate::ui::View;
use crate::workflow::rules::{Need, transition};
use crate::workflow::{Action, ActionKind, RoutingQuery, Suggestion, allowed_actions, suggest_unit};

use super::desk::DeskState;

/// The dialog of one step on one case.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDialog {
    pub case_id: i64,
    pub case_no: String,
    /// The revision of the copy the step is made on.
    pub revision: u32,
    pub kind: ActionKind,
    /// Reason or note, whichever the step asks for.
    pub text: String,
    pub unit: Option<UnitId>,
    /// The routing suggestion shown with dispatches.
    pub suggestion: Option<Suggestion>,
    pub close_type: CloseType,
    pub amount: u32,
    pub limit_unit: LimitUnit,
    pub channel: FeedbackChannel,
    /// What the reporter said of the result (回访满意度), `None` when not asked.
    pub satisfaction: Option<Satisfaction>,
    /// 指定协办: the assisting units chosen (the case's current ones to start with).
    pub assisting: Vec<UnitId>,
    /// The lead unit (not offered as an assisting unit).
    pub lead: Option<UnitId>,
    /// When the reporter was told, `YYYY-MM-DD HH:MM`.
    pub told_at: String,
    pub photos: Vec<String>,
    pub photo_path: String,
    /// Why the OK button is not enabled, or what the engine refused last.
    pub problem: Option<String>,
    /// Part or event: the kind of the class.
    pub subject: crate::model::CaseSubject,
    /// Filing: the class and urgency the case is filed with (the report's, unless corrected).
    pub class_code: String,
    pub urgency: crate::model::Urgency,
    /// A dispatch: the manual's handling limit and the deadline it gives if sent now.
    pub deadline: Option<(crate::model::TimeLimit, NaiveDateTime)>,
}

impl ActionDialog {
    /// A dialog for `kind` on `case`, with what can be proposed filled in (the routing
    /// suggestion for dispatches, now for reporter feedback).
    #[must_use]
    pub fn new(world: &World, book: &CaseBook, case: &Case, kind: ActionKind, now: NaiveDateTime) -> Self {
        let mut suggestion = if matches!(kind, ActionKind::Dispatch | ActionKind::Redispatch) {
            suggest_unit(&world.routing_data(book.precedents()), &RoutingQuery::of_case(case))
        } else {
            None
        };
        // Nobody is offered the centre or the committee, and a returned case is not suggested
        // to the unit that returned it: the first other candidate is, saying why.
        if let Some(found) = suggestion.as_mut() {
            found.alternatives.retain(|candidate| dispatchable(world, candidate.unit));
        }
        let returned_by = (kind == ActionKind::Redispatch).then_some(case.unit).flatten();
        suggestion = suggestion.and_then(|mut found| {
            found.alternatives.retain(|candidate| Some(candidate.unit) != returned_by);
            if Some(found.unit) != returned_by && dispatchable(world, found.unit) {
                return Some(found);
            }
            if found.alternatives.is_empty() {
                return None;
            }
            let next = found.alternatives.remove(0);
            let (zh, en) = (world.unit_name(returned_by, crate::ui::Lang::Zh), world.unit_name(returned_by, crate::ui::Lang::En));
            Some(Suggestion {
                unit: next.unit,
                rule: next.rule,
                reason_zh: format!("{zh}已回退本案；{}", next.reason_zh),
                reason_en: format!("{en} returned this case; {}", next.reason_en),
                alternatives: found.alternatives,
            })
        });
        let unit = suggestion.as_ref().map(|found| found.unit);
        let deadline = matches!(kind, ActionKind::Dispatch | ActionKind::Redispatch)
            .then(|| world.workflow.manual().entry(case.subject.item_kind(), &case.class_code)?.limit_for(case.urgency))
            .flatten()
            .map(|limit| (limit, crate::calendar::deadline_from(&world.calendar, now, limit.amount, limit.unit)));
        // Filing records the near-boundary flag in the audit trail (the note says it).
        let text = match kind {
            ActionKind::File => world
                .near_boundary(case.location, case.reported_at.date())
                .map(|near| world.near_boundary_text(&near, crate::ui::Lang::Zh))
                .unwrap_or_default(),
            _ => String::new(),
        };
        Self {
            case_id: case.id,
            case_no: case.case_no.clone(),
            revision: case.revision,
            kind,
            text,
            unit,
            suggestion,
            close_type: CloseType::Normal,
            amount: 1,
            limit_unit: LimitUnit::WorkDays,
            channel: FeedbackChannel::Phone,
            satisfaction: None,
            assisting: case.assisting.iter().map(|assist| assist.unit).collect(),
            lead: case.unit,
            told_at: now.format("%Y-%m-%d %H:%M").to_string(),
            photos: Vec::new(),
            photo_path: String::new(),
            problem: None,
            subject: case.subject,
            class_code: case.class_code.clone(),
            urgency: case.urgency,
            deadline,
        }
    }

    fn needs(&self, need: Need) -> bool {
        transition(self.kind).needs.contains(&need)
    }

    /// Whether the free text is mandatory for this step as filled in.
    #[must_use]
    pub fn text_required(&self) -> bool {
        self.needs(Need::Reason)
            || self.needs(Need::Note)
            || (self.kind == ActionKind::Close && matches!(self.close_type, CloseType::Erroneous | CloseType::Special))
            || self.overrides_routing()
    }

    /// A dispatch to another unit than the one routing suggests must say why.
    #[must_use]
    pub fn overrides_routing(&self) -> bool {
        matches!(self.kind, ActionKind::Dispatch | ActionKind::Redispatch)
            && self.suggestion.as_ref().is_some_and(|suggestion| Some(suggestion.unit) != self.unit)
    }

    fn takes_photos(&self) -> bool {
        matches!(
            self.kind,
            ActionKind::Handle | ActionKind::VerifyPass | ActionKind::VerifyFail | ActionKind::Arrive | ActionKind::AssistReport
        )
    }

    /// The step as filled in, or what is missing (in both languages: Chinese, English).
    ///
    /// # Errors
    /// A mandatory field is empty or malformed.
    pub fn action(&self) -> Result<Action, (&'static str, &'static str)> {
        let text = self.text.trim().to_owned();
        if self.text_required() && text.is_empty() {
            return Err(if self.overrides_routing() {
                ("改派到非建议单位须说明理由", "Sending it to another unit than suggested needs a reason")
            } else {
                ("请填写理由或说明", "A reason or note is required")
            });
        }
        let photos = self.photos.clone();
        let unit = || self.unit.ok_or(("请选择责任单位", "Choose a responsible unit"));
        Ok(match self.kind {
            ActionKind::Report => return Err(("新案卷请用“新建案卷”", "Use “New case” to report")),
            ActionKind::File => Action::File {
                note: text,
                correction: Some(crate::workflow::FileCorrection { class_code: self.class_code.trim().to_owned(), urgency: self.urgency }),
            },
            ActionKind::Reject => Action::Reject { reason: text },
            ActionKind::RequestCancel => Action::RequestCancel { reason: text },
            ActionKind::ApproveCancel => Action::ApproveCancel { note: text },
            ActionKind::DenyCancel => Action::DenyCancel { reason: text },
            ActionKind::Dispatch => Action::Dispatch { unit: unit()?, note: text },
            ActionKind::ReturnToCentre => Action::ReturnToCentre { reason: text },
            ActionKind::Redispatch => Action::Redispatch { unit: unit()?, note: text },
            ActionKind::RefuseReturn => Action::RefuseReturn { reason: text },
            ActionKind::SignFor => Action::SignFor { note: text },
            ActionKind::Arrive => Action::Arrive { note: text, photos, location: None },
            ActionKind::Urge => Action::Urge { note: text },
            ActionKind::Supervise => Action::Supervise { reason: text },
            ActionKind::SetAssisting => Action::SetAssisting { units: self.assisting.clone(), reason: text },
            ActionKind::AssistReport => Action::AssistReport { note: text, photos },
            ActionKind::Handle => Action::Handle { note: text, photos },
            ActionKind::VerifyPass => Action::VerifyPass { note: text, photos },
            ActionKind::VerifyFail => Action::VerifyFail { reason: text, photos },
            ActionKind::Close => Action::Close { close_type: self.close_type, note: text },
            ActionKind::RequestExtension => {
                if self.amount == 0 {
                    return Err(("延期时长须大于零", "The extra time must be more than zero"));
                }
                Action::RequestExtension { amount: self.amount, unit: self.limit_unit, reason: text }
            }
            ActionKind::ApproveExtension => Action::ApproveExtension { note: text },
            ActionKind::DenyExtension => Action::DenyExtension { reason: text },
            ActionKind::RequestDeferral => Action::RequestDeferral { reason: text },
            ActionKind::ApproveDeferral => Action::ApproveDeferral { note: text },
            ActionKind::DenyDeferral => Action::DenyDeferral { reason: text },
            ActionKind::Resume => Action::Resume { note: text },
            ActionKind::RequestBacklog => Action::RequestBacklog { reason: text },
            ActionKind::ApproveBacklog => Action::ApproveBacklog { note: text },
            ActionKind::DenyBacklog => Action::DenyBacklog { reason: text },
            ActionKind::RestoreFromBacklog => Action::RestoreFromBacklog { note: text },
            ActionKind::RecordReporterFeedback => {
                let told_at = NaiveDateTime::parse_from_str(self.told_at.trim(), "%Y-%m-%d %H:%M")
                    .map_err(|_| ("回访时间格式应为 YYYY-MM-DD HH:MM", "The time must read YYYY-MM-DD HH:MM"))?;
                Action::RecordReporterFeedback { told_at, channel: self.channel, satisfaction: self.satisfaction, note: text }
            }
        })
    }
}

/// Filing: the class and urgency (correctable), with the manual's filing and closing conditions
/// of the class chosen.
fn filing_ui(ui: &mut egui::Ui, world: &World, dialog: &mut ActionDialog, lang: Lang) {
    let kind = dialog.subject.item_kind();
    ui.horizontal(|ui| {
        let class = ui.label(lang.pick("类别（小类代码）", "Class (code)"));
        ui.add(egui::TextEdit::singleline(&mut dialog.class_code).desired_width(60.0)).labelled_by(class.id);
        ui.label(world.class_name(kind, dialog.class_code.trim(), lang));
    });
    ui.horizontal(|ui| {
        ui.label(lang.pick("紧急程度", "Urgency"));
        for urgency in crate::model::Urgency::ALL {
            ui.radio_value(&mut dialog.urgency, *urgency, urgency.label(lang));
        }
    });
    match world.workflow.manual().entry(kind, dialog.class_code.trim()) {
        Some(entry) => {
            ui.label(egui::RichText::new(lang.pick("立案条件", "Filing condition")).strong());
            ui.label(&entry.filing_condition_zh);
            ui.label(egui::RichText::new(lang.pick("结案条件", "Closing condition")).strong());
            ui.label(&entry.closing_condition_zh);
        }
        None => {
            ui.colored_label(ui.visuals().warn_fg_color, lang.pick("指挥手册中没有这个小类", "The command manual has no such class"));
        }
    }
    ui.add_space(4.0);
}

/// The deadline, the step buttons and the timeline of a selected case (below its facts).
#[allow(clippy::too_many_arguments)]
pub fn case_work_ui(ui: &mut egui::Ui, view: View<'_>, case: &Case, desk: &mut DeskState, commands: &mut Vec<Command>) {
    let View { world, cases: book, lang, now } = view;
    let Some(user) = desk.user.clone() else { return };
    ui.add_space(8.0);
    ui.label(RichText::new(lang.pick("可办理操作", "Steps you can take")).strong());
    let actions = allowed_actions(&world.workflow, &user, case);
    let busy = desk.pending.is_some();
    if actions.is_empty() {
        ui.weak(no_action_reason(&user, case, lang));
    } else {
        ui.horizontal_wrapped(|ui| {
            for kind in actions {
                let button = egui::Button::new(kind.label(lang.is_chinese()));
                if ui.add_enabled(!busy, button).clicked() {
                    desk.dialog = Some(ActionDialog::new(world, book, case, kind, now));
                }
            }
        });
    }
    if let Some((_, what)) = &desk.pending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{} {what}", lang.pick("正在提交：", "Sending:")));
        });
    }
    ui.add_space(8.0);
    ui.label(RichText::new(lang.pick("办理过程", "Timeline")).strong());
    match &desk.timeline {
        Some((case_id, revision, Ok(timeline))) if *case_id == case.id => {
            if *revision != case.revision {
                ui.weak(lang.pick("（正在更新…）", "(updating…)"));
            }
            timeline_ui(ui, world, timeline, lang);
        }
        Some((case_id, _, Err(error))) if *case_id == case.id => {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak(lang.pick("正在读取办理过程…", "Reading the history…"));
            });
        }
    }
    let has_timeline = desk.timeline.as_ref().is_some_and(|(case_id, revision, _)| *case_id == case.id && *revision == case.revision);
    if !has_timeline && desk.timeline_requested != Some((case.id, case.revision)) {
        commands.push(Command::LoadTimeline { case_id: case.id, revision: case.revision });
    }
}

fn no_action_reason(user: &User, case: &Case, lang: Lang) -> String {
    match (user.role, case.state.is_open()) {
        (crate::model::Role::Administrator, _) => {
            lang.pick("系统管理员不办理案卷（每一步都须由岗位责任人完成）。", "Administrators take no step on cases.").to_owned()
        }
        (crate::model::Role::UnitOperator, true) if user.unit.is_some_and(|unit| case.assisted_by(unit)) => lang
            .pick(
                "本单位是此案卷的协办单位，协办反馈已提交或案卷不在处置环节；处置反馈由主办单位提交。",
                "Your unit assists on this case: its part is reported or the case is not being handled; the lead unit reports it handled.",
            )
            .to_owned(),
        (crate::model::Role::UnitOperator, true) if case.unit != user.unit => {
            lang.pick("此案卷不属于本单位。", "This case is not your unit's.").to_owned()
        }
        (_, false) => lang.pick("案卷已办结。", "The case is finished.").to_owned(),
        _ => format!("{} {}", lang.pick("当前环节由其他岗位办理：", "The current step is another post's:"), case.state.label(lang)),
    }
}

/// Who took a step: the person's name and what they were, their unit for a unit's operator
/// ("李强 · 派遣员", "陈刚 · 区城管局路灯所"), in the seat's language; "system" for steps no
/// account took.
fn actor_text(world: &World, event: &crate::model::CaseEvent, lang: Lang) -> String {
    let Some(name) = &event.actor_name else {
        return lang.pick("系统", "system").to_owned();
    };
    match (event.actor_role, event.actor_unit) {
        (Some(crate::model::Role::UnitOperator), Some(unit)) => format!("{name} · {}", world.unit_name(Some(unit), lang)),
        (Some(role), _) => format!("{name} · {}", role.label(lang)),
        (None, _) => name.clone(),
    }
}

fn timeline_ui(ui: &mut egui::Ui, world: &World, timeline: &CaseTimeline, lang: Lang) {
    for event in timeline.events.iter().rev() {
        egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 3)).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(event.at.format("%m-%d %H:%M").to_string()).monospace().weak());
                let action = ActionKind::from_keyword(&event.action)
                    .map(|kind| kind.label(lang.is_chinese()))
                    .or_else(|| crate::workflow::DisputeStep::from_keyword(&event.action).map(|step| step.label(lang.is_chinese())))
                    .unwrap_or(event.action.as_str());
                ui.label(RichText::new(action).strong());
                if let Some(from) = event.from_state
                    && from != event.to_state
                {
                    ui.weak(format!("{} → {}", from.label(lang), event.to_state.label(lang)));
                }
                ui.weak(actor_text(world, event, lang));
                // Steps taken at a unit's or a collector's terminal (`citygrid serve`).
                if event.data.get("channel").and_then(serde_json::Value::as_str) == Some("terminal") {
                    ui.label(RichText::new(lang.pick("（移动终端）", "(terminal)")).small().italics());
                }
            });
            for line in event_details(world, &event.data, lang) {
                ui.label(RichText::new(line).small());
            }
            // The photos a step carried (a unit's result, a collector's check), as the case's own.
            let photos: Vec<String> = event
                .data
                .get("photos")
                .and_then(serde_json::Value::as_array)
                .map(|photos| photos.iter().filter_map(serde_json::Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            if !photos.is_empty() {
                super::details::thumbnails_ui(ui, &photos);
            }
        });
    }
    if !timeline.feedback.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new(lang.pick("举报人回访", "Reporter feedback")).strong());
        for feedback in &timeline.feedback {
            let satisfaction =
                feedback.satisfaction.map_or_else(|| lang.pick("未评价", "not rated").to_owned(), |s| s.label(lang).to_owned());
            ui.label(format!(
                "{} · {} · {satisfaction} · {}",
                feedback.told_at.format("%Y-%m-%d %H:%M"),
                feedback.channel.label(lang),
                feedback.note
            ));
        }
    }
}

/// The readable lines of an audit entry's data: reason, note, unit, deadline, photos.
fn event_details(world: &World, data: &serde_json::Value, lang: Lang) -> Vec<String> {
    let mut lines = Vec::new();
    let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str).map(str::trim).filter(|text| !text.is_empty());
    if let Some(reason) = text("reason") {
        lines.push(format!("{}{reason}", lang.pick("理由：", "Reason: ")));
    }
    if let Some(note) = text("note") {
        lines.push(format!("{}{note}", lang.pick("说明：", "Note: ")));
    }
    if let Some(unit) = data.get("unit").and_then(serde_json::Value::as_i64) {
        lines.push(format!("{}{}", lang.pick("单位：", "Unit: "), world.unit_name(Some(UnitId(unit)), lang)));
    }
    if let Some(units) = data.get("units").and_then(serde_json::Value::as_array) {
        let names: Vec<&str> = units.iter().filter_map(serde_json::Value::as_str).collect();
        let names = if names.is_empty() { lang.pick("（无）", "(none)").to_owned() } else { names.join(lang.pick("、", ", ")) };
        lines.push(format!("{}{names}", lang.pick("协办单位：", "Assisting units: ")));
    }
    if let Some(satisfaction) = text("satisfaction").and_then(Satisfaction::from_keyword) {
        lines.push(format!("{}{}", lang.pick("满意度：", "Satisfaction: "), satisfaction.label(lang)));
    }
    if let Some(deadline) = text("deadline_at") {
        // Stored as UTC like every time in the file; shown in China time.
        let local = crate::calendar::local_from_utc_text(deadline)
            .map_or_else(|| deadline.to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string());
        lines.push(format!("{}{local}", lang.pick("时限：", "Deadline: ")));
    }
    lines
}

/// The open step dialog, if any, as a modal window. Returns [`Command::Act`] on OK.
pub fn dialog_ui(ctx: &egui::Context, world: &World, book: &crate::desk::CaseBook, desk: &mut DeskState, lang: Lang) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(dialog) = desk.dialog.as_mut() else { return commands };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("action_dialog")).show(ctx, |ui| {
        ui.set_width(440.0);
        ui.heading(format!("{} · {}", dialog.kind.label(lang.is_chinese()), dialog.case_no));
        ui.add_space(6.0);
        if matches!(dialog.kind, ActionKind::Dispatch | ActionKind::Redispatch) {
            unit_picker_ui(ui, world, book, dialog, lang);
        }
        if dialog.kind == ActionKind::File {
            filing_ui(ui, world, dialog, lang);
        }
        if dialog.kind == ActionKind::SetAssisting {
            assisting_ui(ui, world, dialog, lang);
        }
        if dialog.kind == ActionKind::Close {
            let kind = dialog.subject.item_kind();
            if let Some(entry) = world.workflow.manual().entry(kind, &dialog.class_code) {
                ui.label(egui::RichText::new(lang.pick("结案条件", "Closing condition")).strong());
                ui.label(&entry.closing_condition_zh);
                ui.add_space(4.0);
            }
            ui.horizontal(|ui| {
                ui.label(lang.pick("结案类型", "Close type"));
                for close_type in [CloseType::Normal, CloseType::Erroneous, CloseType::Special] {
                    ui.radio_value(&mut dialog.close_type, close_type, close_type.label(lang));
                }
            });
            if dialog.close_type == CloseType::Normal {
                ui.weak(lang.pick("超过处置时限的案卷自动记为超期结案。", "A case past its deadline is recorded as an overdue close."));
            }
        }
        if dialog.kind == ActionKind::RequestExtension {
            ui.horizontal(|ui| {
                let extend = ui.label(lang.pick("延长", "Extend by"));
                ui.add(egui::DragValue::new(&mut dialog.amount).range(1..=365)).labelled_by(extend.id);
                egui::ComboBox::from_id_salt("extension_unit")
                    .selected_text(if lang.is_chinese() { dialog.limit_unit.label_zh() } else { dialog.limit_unit.label_en() })
                    .show_ui(ui, |ui| {
                        for unit in LimitUnit::ALL {
                            ui.selectable_value(
                                &mut dialog.limit_unit,
                                unit,
                                if lang.is_chinese() { unit.label_zh() } else { unit.label_en() },
                            );
                        }
                    })
                    .response
                    .labelled_by(extend.id);
            });
        }
        if dialog.kind == ActionKind::RecordReporterFeedback {
            ui.horizontal(|ui| {
                let how = ui.label(lang.pick("回访方式", "How"));
                egui::ComboBox::from_id_salt("feedback_channel")
                    .selected_text(dialog.channel.label(lang))
                    .show_ui(ui, |ui| {
                        for channel in FeedbackChannel::ALL {
                            ui.selectable_value(&mut dialog.channel, *channel, channel.label(lang));
                        }
                    })
                    .response
                    .labelled_by(how.id);
                let when = ui.label(lang.pick("时间", "When"));
                ui.add(egui::TextEdit::singleline(&mut dialog.told_at).desired_width(130.0)).labelled_by(when.id);
            });
            ui.horizontal(|ui| {
                ui.label(lang.pick("满意度", "Satisfaction"));
                ui.radio_value(&mut dialog.satisfaction, None, lang.pick("未评价", "Not rated"));
                for satisfaction in Satisfaction::ALL {
                    ui.radio_value(&mut dialog.satisfaction, Some(*satisfaction), satisfaction.label(lang));
                }
            });
        }
        let required = dialog.text_required();
        let label = match (dialog.needs(Need::Reason), dialog.needs(Need::Note), required) {
            (true, _, _) => lang.pick("理由（必填）", "Reason (required)"),
            (_, true, _) => lang.pick("处置说明（必填）", "What was done (required)"),
            (_, _, true) => lang.pick("说明（必填）", "Note (required)"),
            _ => lang.pick("备注（选填）", "Note (optional)"),
        };
        let label = ui.label(label);
        ui.add(egui::TextEdit::multiline(&mut dialog.text).desired_rows(3).desired_width(f32::INFINITY)).labelled_by(label.id);
        if dialog.takes_photos() {
            photos_ui(ui, &mut dialog.photos, &mut dialog.photo_path, lang);
        }
        let ready = dialog.action();
        if let Err((zh, en)) = &ready {
            ui.weak(lang.pick(zh, en));
        }
        if let Some(problem) = &dialog.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        ui.add_space(8.0);
        let (ok, cancel) = ok_cancel_ui(ui, ready.is_ok(), lang);
        if ok && let Ok(action) = ready {
            commands.push(Command::Act { case_id: dialog.case_id, revision: dialog.revision, action });
        }
        close = ok || cancel;
    });
    if close || modal.should_close() {
        desk.dialog = None;
    }
    commands
}

/// 指定协办: a tick per unit (the lead unit is not offered); an empty choice removes them all.
fn assisting_ui(ui: &mut egui::Ui, world: &World, dialog: &mut ActionDialog, lang: Lang) {
    ui.label(format!("{}{}", lang.pick("主办单位：", "Lead unit: "), world.unit_name(dialog.lead, lang)));
    ui.weak(lang.pick(
        "协办单位可查看案卷并提交协办反馈；全部协办单位反馈后，主办单位方可提交处置反馈。",
        "Assisting units see the case and report their part; the lead unit reports it handled once they all have.",
    ));
    egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
        for unit in world.units.iter().filter(|unit| Some(unit.id) != dialog.lead) {
            let mut ticked = dialog.assisting.contains(&unit.id);
            if ui.checkbox(&mut ticked, unit.name(lang.is_chinese())).changed() {
                if ticked {
                    dialog.assisting.push(unit.id);
                } else {
                    dialog.assisting.retain(|chosen| *chosen != unit.id);
                }
            }
        }
    });
    ui.add_space(4.0);
}

/// What a unit has in hand now: cases it is handling (paused ones left out) and how many of them
/// are overdue.
pub(crate) fn unit_loads(book: &crate::desk::CaseBook) -> std::collections::HashMap<UnitId, (usize, usize)> {
    let mut loads = std::collections::HashMap::new();
    for (position, case) in book.cases().iter().enumerate() {
        if let Some(unit) = case.unit.filter(|_| case.state.is_open() && !case.state.is_paused()) {
            let entry: &mut (usize, usize) = loads.entry(unit).or_default();
            entry.0 += 1;
            entry.1 += usize::from(book.live_light(position) == Some(crate::calendar::DeadlineLight::Red));
        }
    }
    loads
}

/// A unit in the dispatch picker: its name, what it has in hand and its duty phone.
pub(crate) fn unit_choice_text(
    world: &World,
    loads: &std::collections::HashMap<UnitId, (usize, usize)>,
    unit: UnitId,
    star: bool,
    lang: Lang,
) -> String {
    let (open, overdue) = loads.get(&unit).copied().unwrap_or_default();
    let phone = world.unit(unit).map_or("", |unit| unit.phone.as_str());
    let load = match (overdue, lang) {
        (0, Lang::Zh) => format!("在办 {open}"),
        (_, Lang::Zh) => format!("在办 {open}，超期 {overdue}"),
        (0, Lang::En) => format!("{open} open"),
        (_, Lang::En) => format!("{open} open, {overdue} overdue"),
    };
    let phone = if phone.is_empty() { String::new() } else { format!(" · {}{phone}", lang.pick("电话 ", "tel. ")) };
    format!("{}{} · {load}{phone}", if star { "★ " } else { "" }, world.unit_name(Some(unit), lang))
}

fn unit_picker_ui(ui: &mut egui::Ui, world: &World, book: &crate::desk::CaseBook, dialog: &mut ActionDialog, lang: Lang) {
    let loads = unit_loads(book);
    if let Some(suggestion) = &dialog.suggestion {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!("{}{}", lang.pick("建议派遣：", "Suggested: "), world.unit_name(Some(suggestion.unit), lang)))
                    .strong(),
            );
            ui.label(RichText::new(if lang.is_chinese() { &suggestion.reason_zh } else { &suggestion.reason_en }).small());
        });
    } else {
        ui.weak(
            lang.pick(
                "指挥手册与管辖范围未给出建议单位，请手动选择。",
                "Neither the manual nor the boundaries suggest a unit; choose one.",
            ),
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label(lang.pick("责任单位", "Unit"));
        let selected = dialog.unit.map_or_else(|| lang.pick("请选择", "Choose").to_owned(), |unit| world.unit_name(Some(unit), lang));
        egui::ComboBox::from_id_salt("dispatch_unit")
            .selected_text(selected)
            .width(360.0)
            .height(360.0)
            .show_ui(ui, |ui| {
                let alternatives: Vec<UnitId> = dialog
                    .suggestion
                    .iter()
                    .flat_map(|suggestion| std::iter::once(suggestion.unit).chain(suggestion.alternatives.iter().map(|a| a.unit)))
                    .collect();
                for unit in &alternatives {
                    ui.selectable_value(&mut dialog.unit, Some(*unit), unit_choice_text(world, &loads, *unit, true, lang));
                }
                if !alternatives.is_empty() {
                    ui.separator();
                }
                for unit in world.units.iter().filter(|unit| !alternatives.contains(&unit.id) && dispatchable(world, unit.id)) {
                    ui.selectable_value(&mut dialog.unit, Some(unit.id), unit_choice_text(world, &loads, unit.id, false, lang));
                }
            })
            .response
            .labelled_by(label.id);
    });
    if let Some(unit) = dialog.unit {
        ui.weak(unit_choice_text(world, &loads, unit, false, lang));
    }
    if dialog.suggestion.is_some() {
        ui.weak(lang.pick(
            "★ 建议单位及备选单位（依据指挥手册的派遣规则、管辖范围与委员会先例）",
            "★ the suggested unit and the other candidates (by the manual's routing rule, the boundaries and the committee's precedents)",
        ));
    }
    if let Some((limit, due)) = dialog.deadline {
        let (unit_zh, unit_en) = (limit.unit.label_zh(), limit.unit.label_en());
        ui.label(format!(
            "{} {} {}{} {}",
            lang.pick("处置时限", "Handling limit"),
            limit.amount,
            lang.pick(unit_zh, unit_en),
            lang.pick("，现在派遣则截止", "; sent now, due"),
            due.format("%Y-%m-%d %H:%M")
        ));
    }
}

/// Whether cases may be sent to `unit` ([`crate::model::Unit::takes_dispatches`]).
pub(crate) fn dispatchable(world: &World, unit: UnitId) -> bool {
    world.unit(unit).is_none_or(crate::model::Unit::takes_dispatches)
}

/// A dialog's OK and Cancel buttons; OK is enabled only when what the step needs is there.
/// Returns whether each was clicked.
pub fn ok_cancel_ui(ui: &mut egui::Ui, complete: bool, lang: Lang) -> (bool, bool) {
    ui.horizontal(|ui| {
        let ok = ui.add_enabled(complete, egui::Button::new(lang.pick("确定", "OK")).min_size(egui::vec2(90.0, 26.0))).clicked();
        let cancel = ui.button(lang.pick("取消", "Cancel")).clicked();
        (ok, cancel)
    })
    .inner
}

/// Photo paths: typed or pasted, or dropped onto the window.
pub fn photos_ui(ui: &mut egui::Ui, photos: &mut Vec<String>, path: &mut String, lang: Lang) {
    let label = ui.label(lang.pick("照片（可将文件拖入窗口）", "Photos (drop files onto the window)"));
    let dropped: Vec<String> = ui.input(|input| input.raw.dropped_files.iter().map(|file| file.path().display().to_string()).collect());
    photos.extend(dropped);
    let mut remove = None;
    for (index, photo) in photos.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(RichText::new(photo).small());
            if ui.small_button("×").clicked() {
                remove = Some(index);
            }
        });
    }
    if let Some(index) = remove {
        photos.remove(index);
    }
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(path).hint_text(lang.pick("照片文件路径", "Photo file path")).desired_width(300.0))
            .labelled_by(label.id);
        if ui.add_enabled(!path.trim().is_empty(), egui::Button::new(lang.pick("添加", "Add"))).clicked() {
            photos.push(path.trim().to_owned());
            path.clear();
        }
    });
}
