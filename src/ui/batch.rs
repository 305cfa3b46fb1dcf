//! Batch dispatch (批量派遣): the filed and returned cases a dispatcher ticked in the case list, each with
//! the unit routing suggests and the deadline it will get, sent in one go. Each case is its own
//! step, checked and recorded by the workflow as if sent alone; the ones refused are listed
//! with the reason and stay ticked.

use egui::RichText;

use crate::desk::CaseBook;
use crate::model::{Case, UnitId, User};
use crate::session::{Command, World};
use crate::ui::{Lang, View};
use crate::workflow::{ActionKind, may_take};

use super::case_actions::{ActionDialog, dispatchable, ok_cancel_ui, unit_choice_text, unit_loads};
use super::desk::DeskState;

/// One step of the batch: (case id, revision, the dispatch).
pub type Step = (i64, u32, crate::workflow::Action);

/// The batch dispatch window: one dispatch per ticked case.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchDispatch {
    /// One dispatch dialog per case, the suggested unit chosen.
    pub rows: Vec<ActionDialog>,
    /// Why cases go to another unit than suggested (required when any does).
    pub reason: String,
}

impl BatchDispatch {
    /// The dispatches of the ticked cases `actor` may dispatch now, in the list's order.
    #[must_use]
    pub fn new(world: &World, book: &CaseBook, cases: &[&Case], now: chrono::NaiveDateTime) -> Self {
        let rows = cases
            .iter()
            .map(|case| {
                // A returned case is sent again (改派): routing then proposes another unit than
                // the one that returned it.
                let kind = if case.state == crate::model::CaseState::Returned { ActionKind::Redispatch } else { ActionKind::Dispatch };
                ActionDialog::new(world, book, case, kind, now)
            })
            .collect();
        Self { rows, reason: String::new() }
    }

    /// The steps to send, or what is missing (Chinese, English).
    ///
    /// # Errors
    /// A case has no unit, or a case goes to another unit than suggested and no reason is given.
    pub fn steps(&self) -> Result<Vec<Step>, (String, String)> {
        if self.rows.is_empty() {
            return Err(("没有可派遣的案卷".into(), "No case to dispatch".into()));
        }
        self.rows
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.text.clone_from(&self.reason);
                row.action()
                    .map(|action| (row.case_id, row.revision, action))
                    .map_err(|(zh, en)| (format!("{}：{zh}", row.case_no), format!("{}: {en}", row.case_no)))
            })
            .collect()
    }
}

/// Whether the case list offers a tick for this case: `user` may dispatch it (or, returned,
/// send it again) now.
#[must_use]
pub fn tickable(world: &World, user: Option<&User>, case: &Case) -> bool {
    // The list asks this of every row every frame: the workflow's full check (which builds its
    // refusal) runs only for a case in a state the step starts from.
    let from = |kind| crate::workflow::rules::transition(kind).from.contains(&case.state);
    user.is_some_and(|user| {
        [ActionKind::Dispatch, ActionKind::Redispatch].into_iter().any(|kind| from(kind) && may_take(&world.workflow, user, case, kind))
    })
}

/// The batch dispatch window, while open.
pub fn batch_ui(ctx: &egui::Context, world: &World, book: &CaseBook, desk: &mut DeskState, lang: Lang) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(batch) = desk.batch.as_mut() else { return commands };
    let loads = unit_loads(book);
    let mut close = false;
    let title = match lang {
        Lang::Zh => format!("批量派遣 · {} 件", batch.rows.len()),
        Lang::En => format!("Dispatch {} cases", batch.rows.len()),
    };
    let modal = egui::Modal::new(egui::Id::unique("batch_dispatch")).show(ctx, |ui| {
        ui.set_width(860.0);
        ui.heading(title);
        ui.weak(lang.pick(
            "每件案卷默认派往派遣规则建议的单位；改为其他单位须填写理由。各案卷分别派遣、分别记录。",
            "Each case goes to the unit routing suggests unless changed; changing one needs a reason. Each case is dispatched and recorded on its own.",
        ));
        ui.add_space(6.0);
        let mut remove = None;
        egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
            egui::Grid::new("batch_rows").striped(true).num_columns(5).spacing([10.0, 6.0]).show(ui, |ui| {
                super::header_row(
                    ui,
                    &[
                        lang.pick("案卷号", "Case no."),
                        lang.pick("类别", "Class"),
                        lang.pick("责任单位", "Unit"),
                        lang.pick("现在派遣则截止", "Due if sent now"),
                        "",
                    ],
                );
                for (index, row) in batch.rows.iter_mut().enumerate() {
                    ui.label(RichText::new(&row.case_no).monospace()).on_hover_text(suggestion_text(row, lang));
                    ui.label(format!("{} {}", row.class_code, world.class_name(row.subject.item_kind(), &row.class_code, lang)));
                    unit_cell_ui(ui, world, &loads, row, index, lang);
                    ui.label(row.deadline.map_or_else(|| "—".to_owned(), |(_, due)| due.format("%m-%d %H:%M").to_string()));
                    if ui.small_button("×").on_hover_text(lang.pick("不派遣此件", "Leave this case out")).clicked() {
                        remove = Some(index);
                    }
                    ui.end_row();
                }
            });
        });
        if let Some(index) = remove {
            batch.rows.remove(index);
        }
        let overriding = batch.rows.iter().filter(|row| row.overrides_routing()).count();
        let label = if overriding > 0 {
            match lang {
                Lang::Zh => format!("改派理由（{overriding} 件未派往建议单位，必填）"),
                Lang::En => format!("Reason ({overriding} not to the suggested unit: required)"),
            }
        } else {
            lang.pick("备注（选填）", "Note (optional)").to_owned()
        };
        let label = ui.label(label);
        ui.add(egui::TextEdit::multiline(&mut batch.reason).desired_rows(2).desired_width(f32::INFINITY)).labelled_by(label.id);
        let steps = batch.steps();
        if let Err((zh, en)) = &steps {
            ui.weak(if lang.is_chinese() { zh.as_str() } else { en.as_str() });
        }
        ui.add_space(8.0);
        let (ok, cancel) = ok_cancel_ui(ui, steps.is_ok() && desk.pending.is_none(), lang);
        if ok && let Ok(steps) = steps {
            commands.push(Command::ActMany(steps));
        }
        close = ok || cancel;
    });
    if close || modal.should_close() {
        desk.batch = None;
    }
    commands
}

/// A row's unit: the suggestion (★) and its alternatives first, then every other unit.
fn unit_cell_ui(
    ui: &mut egui::Ui,
    world: &World,
    loads: &std::collections::HashMap<UnitId, (usize, usize)>,
    row: &mut ActionDialog,
    index: usize,
    lang: Lang,
) {
    let selected = row.unit.map_or_else(|| lang.pick("请选择", "Choose").to_owned(), |unit| world.unit_name(Some(unit), lang));
    let suggested: Vec<UnitId> = row
        .suggestion
        .iter()
        .flat_map(|suggestion| std::iter::once(suggestion.unit).chain(suggestion.alternatives.iter().map(|candidate| candidate.unit)))
        .collect();
    let changed = row.overrides_routing();
    let text = if changed {
        RichText::new(format!("{selected} {}", lang.pick("（已改）", "(changed)"))).color(ui.visuals().warn_fg_color)
    } else {
        RichText::new(selected)
    };
    egui::ComboBox::from_id_salt(("batch_unit", index)).selected_text(text).width(300.0).height(360.0).show_ui(ui, |ui| {
        for unit in &suggested {
            ui.selectable_value(&mut row.unit, Some(*unit), unit_choice_text(world, loads, *unit, true, lang));
        }
        if !suggested.is_empty() {
            ui.separator();
        }
        for unit in world.units.iter().filter(|unit| !suggested.contains(&unit.id) && dispatchable(world, unit.id)) {
            ui.selectable_value(&mut row.unit, Some(unit.id), unit_choice_text(world, loads, unit.id, false, lang));
        }
    });
}

/// Why routing suggests a row's unit (a tooltip on the row's case number: a tooltip on the
/// picker itself would close its open list).
fn suggestion_text(row: &ActionDialog, lang: Lang) -> String {
    row.suggestion.as_ref().map_or_else(
        || lang.pick("无建议单位，请选择", "No suggestion: choose a unit").to_owned(),
        |suggestion| {
            format!(
                "{}{}",
                lang.pick("建议：", "Suggested: "),
                if lang.is_chinese() { &suggestion.reason_zh } else { &suggestion.reason_en }
            )
        },
    )
}

/// Above the list of a dispatcher's seat: how many cases are ticked, the batch dispatch button,
/// and ticking every dispatchable row the filter shows.
pub fn batch_bar_ui(ui: &mut egui::Ui, view: View<'_>, state: &mut DeskState, rows: &[usize]) {
    let View { world, cases: book, lang, now } = view;
    let user = state.user.clone();
    // Ticks on cases that can no longer be dispatched (sent from another seat) fall away.
    let ticked: Vec<&crate::model::Case> = state
        .list
        .ticked
        .iter()
        .filter_map(|id| book.position_of(*id).and_then(|position| book.get(position)))
        .filter(|case| crate::ui::batch::tickable(world, user.as_ref(), case))
        .collect();
    if ticked.len() != state.list.ticked.len() {
        state.list.ticked = ticked.iter().map(|case| case.id).collect();
    }
    let shown: Vec<i64> = rows
        .iter()
        .filter_map(|position| book.get(*position))
        .filter(|case| crate::ui::batch::tickable(world, user.as_ref(), case))
        .map(|case| case.id)
        .collect();
    if shown.is_empty() && ticked.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        let text = match lang {
            Lang::Zh => format!("批量派遣（已勾选 {} 件）…", ticked.len()),
            Lang::En => format!("Dispatch ticked ({})…", ticked.len()),
        };
        let busy = state.pending.is_some();
        if ui.add_enabled(!ticked.is_empty() && !busy, egui::Button::new(text)).clicked() {
            state.batch = Some(crate::ui::batch::BatchDispatch::new(world, book, &ticked, now));
        }
        let all = match lang {
            Lang::Zh => format!("勾选列表中全部可派遣的 {} 件", shown.len()),
            Lang::En => format!("Tick all {} dispatchable in the list", shown.len()),
        };
        if !shown.is_empty() && ui.small_button(all).clicked() {
            state.list.ticked.extend(shown.iter().copied());
        }
        if !ticked.is_empty() && ui.small_button(lang.pick("取消勾选", "Untick all")).clicked() {
            state.list.ticked.clear();
        }
    });
}
