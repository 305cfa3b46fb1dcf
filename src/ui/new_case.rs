//! A new case (上报) from the desk: click the map to place it, snap to the nearest part to attach
//! it, pick the class by code or name, urgency, source channel, reporter contact, description
//! and photos; open cases of the same class within 50 m are named before it is sent.

use egui::RichText;
use geo::Point;

use crate::desk::CaseBook;
use crate::model::Labelled;
use crate::model::{CaseSubject, ItemKind, JurisdictionKind, Keyword, SourceChannel, Urgency};
use crate::session::{Command, World};
use crate::ui::Lang;
use crate::ui::View;
use crate::workflow::NewCase;

use super::case_actions::photos_ui;

/// A part closer than this to the clicked spot is attached to the new case.
pub const SNAP_RADIUS_M: f64 = 15.0;

/// The form of a new case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCaseForm {
    /// Waiting for the map click that places it.
    pub placing: bool,
    pub location: Option<Point<f64>>,
    /// The part attached, snapped from the click.
    pub part: Option<crate::model::Part>,
    pub subject: CaseSubject,
    pub class_code: Option<String>,
    /// What is typed to find a class by code or name.
    pub class_search: String,
    pub urgency: Urgency,
    pub source: SourceChannel,
    /// The channels the reporting role takes reports from.
    pub sources: &'static [SourceChannel],
    pub contact: String,
    /// Street address, house number or place; proposed from the nearest street when placed.
    pub address: String,
    /// The proposal last written into `address` (replaced when the case is placed again,
    /// unless the operator typed something else).
    pub address_hint: String,
    pub description: String,
    pub photos: Vec<String>,
    pub photo_path: String,
}

impl Default for NewCaseForm {
    fn default() -> Self {
        Self {
            placing: true,
            location: None,
            part: None,
            subject: CaseSubject::Event,
            class_code: None,
            class_search: String::new(),
            urgency: Urgency::Normal,
            source: SourceChannel::Hotline12319,
            sources: SourceChannel::ALL,
            contact: String::new(),
            address: String::new(),
            address_hint: String::new(),
            description: String::new(),
            photos: Vec::new(),
            photo_path: String::new(),
        }
    }
}

impl NewCaseForm {
    /// A new report by `role`, its channel preset to the role's own (a collector's find, a
    /// hotline call at intake).
    #[must_use]
    pub fn for_role(role: crate::model::Role) -> Self {
        let source = crate::workflow::rules::sources_for(role).first().copied().unwrap_or(SourceChannel::Hotline12319);
        let sources = crate::workflow::rules::sources_for(role);
        Self { source, sources: if sources.is_empty() { SourceChannel::ALL } else { sources }, ..Self::default() }
    }

    /// Places the case at a clicked spot and attaches the nearest part within
    /// [`SNAP_RADIUS_M`], taking its class.
    pub fn place(&mut self, world: &World, lon: f64, lat: f64) {
        let spot = Point::new(lon, lat);
        self.placing = false;
        self.location = Some(spot);
        // From the chunks the map has read, else one small box read from the store (indexed).
        self.part = world.parts.near(lon, lat, SNAP_RADIUS_M).ok().and_then(|found| found.into_iter().next());
        if let Some(part) = &self.part {
            self.subject = CaseSubject::Part;
            self.class_code = Some(part.code.class_code());
            // Attached to the part: the case sits on it.
            self.location = Some(crate::spatial::anchor_of(part));
        } else if self.subject == CaseSubject::Part {
            self.class_code = None;
            self.subject = CaseSubject::Event;
        }
        if self.address.trim().is_empty() || self.address == self.address_hint {
            let placed = self.location.unwrap_or(spot);
            self.address_hint = world.address_hint(placed.x(), placed.y(), crate::model::Lang::Zh);
            self.address = self.address_hint.clone();
        }
    }

    /// Open cases of the same class within [`crate::workflow::DUPLICATE_RADIUS_M`]: (position, metres), nearest first.
    #[must_use]
    pub fn possible_duplicates(&self, book: &CaseBook) -> Vec<(usize, f64)> {
        let (Some(location), Some(code)) = (self.location, &self.class_code) else { return Vec::new() };
        book.same_class_near(location, self.subject, code, None)
    }

    /// The report as filled in, or what is missing (Chinese, English).
    ///
    /// # Errors
    /// No location, no class, or no description.
    pub fn new_case(&self, world: &World) -> Result<NewCase, (&'static str, &'static str)> {
        let location = self.location.ok_or(("请在地图上点击案卷位置", "Click the map where the problem is"))?;
        let class_code = self.class_code.clone().ok_or(("请选择案卷类别", "Choose the class"))?;
        if self.description.trim().is_empty() {
            return Err(("请填写问题描述", "Describe the problem"));
        }
        let grid_code = world
            .jurisdictions_at(location.x(), location.y())
            .into_iter()
            .find(|index| world.jurisdictions[*index].kind == JurisdictionKind::GridCell)
            .and_then(|index| world.jurisdictions[index].code.parse().ok());
        Ok(NewCase {
            source: self.source,
            subject: self.subject,
            class_code,
            urgency: self.urgency,
            location,
            part_code: self.part.as_ref().map(|part| part.code),
            grid_code,
            description: self.description.trim().to_owned(),
            photos: self.photos.clone(),
            reporter_contact: Some(self.contact.trim().to_owned()).filter(|contact| !contact.is_empty()),
            address: self.address.trim().to_owned(),
        })
    }
}

/// The new-case window. Returns [`Command::Report`] when sent.
pub fn new_case_ui(ctx: &egui::Context, view: View<'_>, form_slot: &mut Option<NewCaseForm>) -> Vec<Command> {
    let View { world, cases: book, lang, .. } = view;
    let mut commands = Vec::new();
    let Some(form) = form_slot.as_mut() else { return commands };
    let mut open = true;
    let mut close = false;
    egui::Window::new(lang.pick("新建案卷", "New case"))
        .id(egui::Id::unique("new_case_window"))
        .open(&mut open)
        .default_width(420.0)
        .default_pos(egui::pos2(310.0, 60.0))
        .collapsible(false)
        .show(ctx, |ui| {
            match form.location {
                None => {
                    // While placing, the window stays small and leaves the map free.
                    ui.label(RichText::new(lang.pick("请在地图上点击问题位置。", "Click the map where the problem is.")).strong());
                    ui.weak(lang.pick("15 米内有部件时自动关联该部件。", "A part within 15 m is attached."));
                    if ui.button(lang.pick("取消", "Cancel")).clicked() {
                        close = true;
                    }
                    return;
                }
                Some(location) => {
                    ui.horizontal(|ui| {
                        ui.label(format!("{} {:.6}, {:.6}", lang.pick("位置", "Location"), location.x(), location.y()));
                        if ui.small_button(lang.pick("重新选点", "Place again")).clicked() {
                            form.placing = true;
                        }
                    });
                    match &form.part {
                        Some(part) => {
                            ui.label(format!(
                                "{} {} {}",
                                lang.pick("关联部件", "Attached part"),
                                part.code,
                                world.class_name(ItemKind::Part, &part.code.class_code(), lang)
                            ));
                        }
                        None => {
                            ui.weak(lang.pick("附近 15 米内没有部件，按事件上报。", "No part within 15 m; reported as an event."));
                        }
                    }
                }
            }
            if form.placing && form.location.is_some() {
                ui.weak(lang.pick("在地图上点击新位置…", "Click the new spot on the map…"));
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.label(lang.pick("类型", "Kind"));
                let attached = form.part.is_some();
                for subject in [CaseSubject::Event, CaseSubject::Part] {
                    let enabled = !attached || subject == CaseSubject::Part;
                    if ui.add_enabled(enabled, egui::RadioButton::new(form.subject == subject, subject.label(lang))).clicked()
                        && form.subject != subject
                    {
                        form.subject = subject;
                        form.class_code = None;
                    }
                }
            });
            class_picker_ui(ui, world, form, lang);
            egui::Grid::new("new_case_fields").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
                ui.label(lang.pick("紧急程度", "Urgency"));
                ui.horizontal(|ui| {
                    for urgency in Urgency::ALL {
                        ui.radio_value(&mut form.urgency, *urgency, urgency.label(lang));
                    }
                });
                ui.end_row();
                let source_label = ui.label(lang.pick("来源", "Source"));
                egui::ComboBox::from_id_salt("new_case_source")
                    .selected_text(form.source.label(lang))
                    .show_ui(ui, |ui| {
                        for source in form.sources {
                            ui.selectable_value(&mut form.source, *source, source.label(lang));
                        }
                    })
                    .response
                    .labelled_by(source_label.id);
                ui.end_row();
                let contact = ui.label(lang.pick("举报人联系方式", "Reporter contact"));
                ui.add(egui::TextEdit::singleline(&mut form.contact).desired_width(240.0)).labelled_by(contact.id);
                ui.end_row();
                let address = ui.label(lang.pick("地址", "Address"));
                ui.add(
                    egui::TextEdit::singleline(&mut form.address)
                        .desired_width(240.0)
                        .hint_text(lang.pick("街道、门牌号或地名", "Street, house number or place")),
                )
                .labelled_by(address.id);
                ui.end_row();
            });
            let description = ui.label(lang.pick("问题描述（必填）", "Description (required)"));
            ui.add(egui::TextEdit::multiline(&mut form.description).desired_rows(3).desired_width(f32::INFINITY))
                .labelled_by(description.id);
            photos_ui(ui, &mut form.photos, &mut form.photo_path, lang);
            duplicates_ui(ui, book, &form.possible_duplicates(book), lang, &mut commands);
            let ready = form.new_case(world);
            if let Err((zh, en)) = &ready {
                ui.weak(lang.pick(zh, en));
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(ready.is_ok(), egui::Button::new(lang.pick("上报", "Report"))).clicked()
                    && let Ok(new_case) = ready
                {
                    commands.push(Command::Report(Box::new(new_case)));
                    close = true;
                }
                if ui.button(lang.pick("取消", "Cancel")).clicked() {
                    close = true;
                }
            });
        });
    if close || !open {
        *form_slot = None;
    }
    commands
}

fn class_picker_ui(ui: &mut egui::Ui, world: &World, form: &mut NewCaseForm, lang: Lang) {
    let kind = form.subject.item_kind();
    ui.horizontal(|ui| {
        let class_label = ui.label(lang.pick("类别", "Class"));
        let selected = form
            .class_code
            .as_ref()
            .map_or_else(|| lang.pick("请选择", "Choose").to_owned(), |code| format!("{code} {}", world.class_name(kind, code, lang)));
        egui::ComboBox::from_id_salt("new_case_class")
            .selected_text(selected)
            .width(260.0)
            .height(360.0)
            .show_ui(ui, |ui| {
                ui.add(egui::TextEdit::singleline(&mut form.class_search).hint_text(lang.pick("代码或名称", "Code or name")));
                let search = form.class_search.trim().to_lowercase();
                for entry in world.manual.entries.iter().filter(|entry| entry.kind == kind) {
                    let label = format!("{} {}", entry.code, entry.name(lang.is_chinese()));
                    let matches = search.is_empty()
                        || entry.code.contains(&search)
                        || entry.name_zh.contains(&search)
                        || entry.name_en.to_lowercase().contains(&search);
                    if matches {
                        ui.selectable_value(&mut form.class_code, Some(entry.code.clone()), label);
                    }
                }
            })
            .response
            .labelled_by(class_label.id);
    });
}

/// The warning that open cases of the same class are within [`crate::workflow::DUPLICATE_RADIUS_M`], each a link
/// that selects it; nothing when there are none.
pub(crate) fn duplicates_ui(ui: &mut egui::Ui, book: &CaseBook, duplicates: &[(usize, f64)], lang: Lang, commands: &mut Vec<Command>) {
    if duplicates.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).fill(ui.visuals().warn_fg_color.gamma_multiply(0.12)).show(ui, |ui| {
        ui.label(
            RichText::new(
                lang.pick(
                    "！50 米内已有同类在办案卷，可能重复：",
                    "! Open cases of the same class within 50 m, possibly the same problem:",
                ),
            )
            .strong(),
        );
        for (position, metres) in duplicates.iter().take(5) {
            if let Some(case) = book.get(*position)
                && ui.link(format!("{} · {} · {metres:.0} m", case.case_no, case.state.label(lang))).clicked()
            {
                commands.push(Command::Select(Some(crate::session::Selection::Case(*position))));
            }
        }
    });
}
