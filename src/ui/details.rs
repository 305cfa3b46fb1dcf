//! The right panel: attributes of what is selected (a part, a case or a jurisdiction), with the
//! cases raised on a part and the jurisdictions a spot falls in.

use chrono::NaiveDateTime;
use geo::GeodesicArea;

use crate::model::Labelled;
use crate::model::{CaseSubject, ItemKind, PartGeometry};
use crate::session::{Command, Selection, World};
use crate::ui::Lang;
use crate::ui::View;
use crate::ui::design_tokens as tokens;
use crate::ui::desk::{DeskState, remaining_text, status_color};

fn row_ui(ui: &mut egui::Ui, key: &str, value: impl Into<egui::WidgetText>) {
    ui.label(egui::RichText::new(key).weak());
    ui.add(egui::Label::new(value).wrap());
    ui.end_row();
}

/// A key–value grid whose values wrap at the panel's edge instead of widening the panel.
fn details_grid(ui: &egui::Ui, id: &str) -> egui::Grid {
    egui::Grid::new(id).num_columns(2).striped(true).max_col_width((ui.available_width() - KEY_WIDTH).max(120.0))
}

/// Room for the key column of the details grids (the longest keys, in either language).
const KEY_WIDTH: f32 = 120.0;

/// Photo thumbnails, read from their files off the UI thread with size limits and shrunk
/// (`ui::photos`); a file that is not an acceptable image shows as an error in its place.
pub fn thumbnails_ui(ui: &mut egui::Ui, photos: &[String]) {
    ui.horizontal_wrapped(|ui| {
        for photo in photos {
            let path = std::path::absolute(photo).unwrap_or_else(|_| std::path::PathBuf::from(photo));
            // A photo taken on a collector's device may not be on this machine (yet): its name only.
            if path.is_file() {
                let uri = super::photos::thumbnail_uri(&path);
                ui.add(egui::Image::new(uri).max_size(egui::vec2(120.0, 90.0)).alt_text(photo.as_str())).on_hover_text(photo.as_str());
            } else {
                ui.label(egui::RichText::new(photo).small().weak()).on_hover_text(path.display().to_string());
            }
        }
    });
}

fn time_text(time: Option<NaiveDateTime>) -> String {
    time.map_or_else(|| "—".to_owned(), |time| time.format("%Y-%m-%d %H:%M").to_string())
}

/// Draws the details panel; returns commands (selecting a related item, zooming to it).
pub fn details_ui(ui: &mut egui::Ui, view: View<'_>, desk: &mut DeskState, selection: Option<Selection>) -> Vec<Command> {
    let View { world, lang, .. } = view;
    let mut commands = Vec::new();
    // A steady width: content wraps inside it rather than pushing the map and the filters
    // around as the selection changes; the user may drag it between the bounds.
    egui::Panel::right("details")
        .resizable(true)
        .default_size((ui.available_width() * 0.24).clamp(tokens::SIDE_PANEL_WIDTH, tokens::DETAILS_PANEL_WIDTH))
        .min_size(tokens::SIDE_PANEL_WIDTH)
        .max_size(tokens::DETAILS_PANEL_WIDTH * 1.6)
        .show(ui, |ui| {
            ui.heading(lang.pick("详情", "Details"));
            ui.add_space(4.0);
            egui::ScrollArea::vertical().show(ui, |ui| match selection {
                None => {
                    ui.label(
                        lang.pick(
                            "在地图上点击部件、案卷或区域查看详情。",
                            "Click a part, a case or an area on the map to see its details.",
                        ),
                    );
                    ui.add_space(8.0);
                    summary_ui(ui, view);
                }
                Some(Selection::Part(code)) => part_ui(ui, view, code, &mut commands),
                Some(Selection::Case(index)) => case_ui(ui, view, desk, index, &mut commands),
                Some(Selection::Jurisdiction(index)) => jurisdiction_ui(ui, world, index, lang, &mut commands),
            });
        });
    commands
}

fn summary_ui(ui: &mut egui::Ui, view: View<'_>) {
    let View { world, cases: book, lang, .. } = view;
    details_grid(ui, "summary").show(ui, |ui| {
        let file_name = world.location.short_name();
        ui.label(egui::RichText::new(lang.pick("数据库", "Database")).weak());
        ui.label(file_name).on_hover_text(world.location.display());
        ui.end_row();
        row_ui(ui, lang.pick("部件总数", "Parts in database"), world.parts.len().to_string());
        row_ui(ui, lang.pick("案卷总数", "Cases in database"), book.len().to_string());
        row_ui(ui, lang.pick("责任单位", "Responsible units"), world.units.len().to_string());
        row_ui(ui, lang.pick("指挥手册条目", "Command manual classes"), world.manual.entries.len().to_string());
    });
}

fn spot_ui(ui: &mut egui::Ui, world: &World, lon: f64, lat: f64, lang: Lang, commands: &mut Vec<Command>) {
    ui.label(egui::RichText::new(lang.pick("所在区域", "Located in")).strong());
    for index in world.jurisdictions_at(lon, lat) {
        let jurisdiction = &world.jurisdictions[index];
        let text = format!("{} {} {}", jurisdiction.kind.label(lang), jurisdiction.code, jurisdiction.name);
        if ui.link(text).clicked() {
            commands.push(Command::Select(Some(Selection::Jurisdiction(index))));
        }
    }
}

fn part_ui(ui: &mut egui::Ui, view: View<'_>, code: crate::model::PartCode, commands: &mut Vec<Command>) {
    let View { world, cases: book, lang, .. } = view;
    let Some(part) = world.parts.by_code(code) else {
        ui.label(format!("{} {code}", lang.pick("未找到部件", "No part with code")));
        return;
    };
    let part = part.as_ref();
    let class = world.class_name(ItemKind::Part, &part.code.class_code(), lang);
    ui.label(egui::RichText::new(format!("{} {}", lang.pick("部件", "Part"), class)).size(18.0));
    details_grid(ui, "part").show(ui, |ui| {
        row_ui(ui, lang.pick("部件编码", "Part code"), egui::RichText::new(part.code.to_string()).monospace());
        row_ui(ui, lang.pick("小类", "Minor class"), format!("{} {}", part.code.class_code(), class));
        row_ui(ui, lang.pick("几何", "Geometry"), part.geometry.kind().label_zh_or_en(lang));
        row_ui(ui, lang.pick("状态", "State"), part.state.label(lang));
        row_ui(ui, lang.pick("主管单位", "Supervising unit"), world.unit_name(part.supervising_unit, lang));
        row_ui(ui, lang.pick("权属单位", "Owning unit"), world.unit_name(part.owner_unit, lang));
        row_ui(ui, lang.pick("养护单位", "Maintaining unit"), world.unit_name(part.maintainer_unit, lang));
        row_ui(
            ui,
            lang.pick("单元网格", "Grid cell"),
            part.grid_code.map_or_else(|| lang.pick("网格外", "outside the grid").to_owned(), |code| code.to_string()),
        );
        row_ui(ui, lang.pick("设立日期", "Installed"), part.installed_on.map_or_else(|| "—".into(), |date| date.to_string()));
        row_ui(ui, lang.pick("变更日期", "Changed"), part.changed_on.map_or_else(|| "—".into(), |date| date.to_string()));
        row_ui(ui, lang.pick("数据来源", "Source"), part.source.label(lang));
        if let PartGeometry::Line(line) = &part.geometry {
            use geo::{Distance, Haversine};
            let length_m: f64 = line.lines().map(|segment| Haversine.distance(geo::Point(segment.start), geo::Point(segment.end))).sum();
            row_ui(ui, lang.pick("长度", "Length"), format!("{length_m:.1} m"));
        }
        if let PartGeometry::Polygon(polygon) = &part.geometry {
            row_ui(ui, lang.pick("面积", "Area"), format!("{:.0} m²", polygon.geodesic_area_unsigned()));
        }
    });
    if ui.button(lang.pick("缩放到部件", "Zoom to part")).clicked() {
        commands.push(Command::ZoomToSelection);
    }
    ui.add_space(8.0);
    let anchor = crate::spatial::anchor_of(part);
    spot_ui(ui, world, anchor.x(), anchor.y(), lang, commands);
    ui.add_space(8.0);
    ui.label(egui::RichText::new(lang.pick("相关案卷", "Cases on this part")).strong());
    let related: Vec<usize> =
        book.cases().iter().enumerate().filter(|(_, case)| case.part_code == Some(part.code)).map(|(index, _)| index).collect();
    if related.is_empty() {
        ui.weak(lang.pick("无", "None"));
    }
    for case_index in related {
        let case = &book.cases()[case_index];
        if ui.link(format!("{} {}", case.case_no, case.state.label(lang))).clicked() {
            commands.push(Command::Select(Some(Selection::Case(case_index))));
        }
    }
}

trait GeometryLabel {
    fn label_zh_or_en(self, lang: Lang) -> &'static str;
}

impl GeometryLabel for crate::model::GeometryKind {
    fn label_zh_or_en(self, lang: Lang) -> &'static str {
        if lang.is_chinese() { self.label_zh() } else { self.label_en() }
    }
}

#[allow(clippy::too_many_arguments)]
fn case_ui(ui: &mut egui::Ui, view: View<'_>, desk: &mut DeskState, index: usize, commands: &mut Vec<Command>) {
    let View { world, cases: book, lang, .. } = view;
    let (Some(case), Some(status)) = (book.get(index), book.status(index)) else { return };
    let kind = match case.subject {
        CaseSubject::Part => ItemKind::Part,
        CaseSubject::Event => ItemKind::Event,
    };
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 6.0, status_color(status));
        ui.label(egui::RichText::new(format!("{} {}", lang.pick("案卷", "Case"), case.case_no)).size(18.0));
    });
    details_grid(ui, "case").show(ui, |ui| {
        let state = match case.pending_request {
            Some(request) => format!("{} · {}", case.state.label(lang), request.label(lang)),
            None => case.state.label(lang).to_owned(),
        };
        row_ui(ui, lang.pick("状态", "State"), state);
        row_ui(ui, lang.pick("预警", "Warning light"), status.label(lang.is_chinese()));
        row_ui(ui, lang.pick("剩余时间", "Time left"), remaining_text(status, lang));
        if let Some(clock) = status.stage {
            let text = crate::ui::desk::stage_text(&clock, lang);
            let label = lang.pick("环节时限", "Stage limit");
            ui.label(egui::RichText::new(label).weak());
            let color = crate::ui::design_tokens::case_color(Some(clock.light));
            ui.add(egui::Label::new(egui::RichText::new(format!("{text}（{}）", clock.due_at.format("%m-%d %H:%M"))).color(color)).wrap());
            ui.end_row();
        }
        let marks = crate::ui::desk::state_marks(case, lang);
        if !marks.is_empty() {
            row_ui(ui, lang.pick("督促", "Follow-up"), marks);
        }
        if let Some(near) = world.near_boundary(case.location, case.reported_at.date()) {
            ui.label(egui::RichText::new(lang.pick("责任边界", "Boundary")).weak());
            let warn = ui.visuals().warn_fg_color;
            ui.add(egui::Label::new(egui::RichText::new(world.near_boundary_text(&near, lang)).color(warn)).wrap());
            ui.end_row();
        }
        if let Some(ratio) = status.overrun_ratio.filter(|ratio| *ratio > 1.0) {
            row_ui(ui, lang.pick("超时倍数", "Overrun ratio"), format!("{ratio:.2}"));
        }
        row_ui(
            ui,
            lang.pick("类别", "Class"),
            format!("{} · {} {}", case.subject.label(lang), case.class_code, world.class_name(kind, &case.class_code, lang)),
        );
        row_ui(ui, lang.pick("紧急程度", "Urgency"), case.urgency.label(lang));
        row_ui(ui, lang.pick("来源", "Source"), case.source.label(lang));
        if let Some(external) = &case.external {
            row_ui(ui, lang.pick("对方编号", "Number there"), external.label(lang.is_chinese()));
            if let Some(due) = external.due_at {
                let label = if external.system == "12345" {
                    lang.pick("热线答复时限", "Hotline reply due")
                } else {
                    lang.pick("市级时限", "City deadline")
                };
                let late = due < view.now && (case.state.is_open() || case.owes_reply());
                let text = due.format("%Y-%m-%d %H:%M").to_string();
                ui.label(egui::RichText::new(label).weak());
                if late {
                    ui.colored_label(ui.visuals().error_fg_color, text)
                } else {
                    ui.label(text)
                };
                ui.end_row();
            }
        }
        let lead =
            if case.assisting.is_empty() { lang.pick("责任单位", "Responsible unit") } else { lang.pick("主办单位", "Lead unit") };
        row_ui(ui, lead, world.unit_name(case.unit, lang));
        for assist in &case.assisting {
            let done = assist.reported_at.map_or_else(
                || lang.pick("未反馈", "not reported yet").to_owned(),
                |at| format!("{} {}", lang.pick("已反馈", "reported"), at.format("%m-%d %H:%M")),
            );
            row_ui(ui, lang.pick("协办单位", "Assisting unit"), format!("{} · {done}", world.unit_name(Some(assist.unit), lang)));
        }
        row_ui(ui, lang.pick("上报时间", "Reported"), time_text(Some(case.reported_at)));
        row_ui(ui, lang.pick("立案时间", "Filed"), time_text(case.filed_at));
        row_ui(ui, lang.pick("派遣时间", "Dispatched"), time_text(case.dispatched_at));
        if case.dispatched_at.is_some() {
            row_ui(ui, lang.pick("签收时间", "Signed for at"), time_text(case.signed_at));
            row_ui(ui, lang.pick("到场时间", "On site at"), time_text(case.arrived_at));
        }
        row_ui(
            ui,
            lang.pick("处置时限", "Deadline"),
            format!("{}{}", time_text(case.deadline_at), if case.extended { lang.pick("（已延期）", " (extended)") } else { "" }),
        );
        row_ui(ui, lang.pick("结案时间", "Closed"), time_text(case.closed_at));
        if let Some(close_type) = case.close_type {
            row_ui(ui, lang.pick("结案类型", "Close type"), close_type.label(lang));
        }
        row_ui(ui, lang.pick("返工次数", "Rework count"), case.rework_count.to_string());
        row_ui(ui, lang.pick("单元网格", "Grid cell"), case.grid_code.map_or_else(|| "—".to_owned(), |code| code.to_string()));
        if !case.address.is_empty() {
            row_ui(ui, lang.pick("地址", "Address"), case.address.as_str());
        }
        row_ui(ui, lang.pick("位置", "Location"), format!("{:.6}, {:.6}", case.location.x(), case.location.y()));
        if let Some(contact) = &case.reporter_contact {
            row_ui(ui, lang.pick("举报人联系方式", "Reporter contact"), contact.as_str());
            let replied = match (case.replied_at, case.owes_reply()) {
                (Some(at), _) => time_text(Some(at)),
                (None, true) => lang.pick("待回访", "reply owed").to_owned(),
                (None, false) => lang.pick("办结后回访", "after the case is finished").to_owned(),
            };
            row_ui(ui, lang.pick("回访时间", "Reporter told at"), replied);
        }
    });
    // A report waiting for intake (a citizen's through Open311, a hotline's): the new-case
    // dialog's duplicate check, for the intake operator to file or reject it.
    if case.state == crate::model::CaseState::Reported {
        let duplicates = book.same_class_near(case.location, case.subject, &case.class_code, Some(index));
        crate::ui::new_case::duplicates_ui(ui, book, &duplicates, lang, commands);
    }
    ui.add_space(6.0);
    ui.label(egui::RichText::new(lang.pick("问题描述", "Description")).strong());
    ui.label(&case.description);
    if !case.photos.is_empty() {
        ui.add_space(4.0);
        ui.label(egui::RichText::new(format!("{} ({})", lang.pick("照片", "Photos"), case.photos.len())).strong());
        thumbnails_ui(ui, &case.photos);
    }
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.button(lang.pick("缩放到案卷", "Zoom to case")).clicked() {
            commands.push(Command::ZoomToSelection);
        }
        // The part is looked up once, on click, not on every frame.
        if let Some(code) = case.part_code
            && ui.button(lang.pick("查看部件", "Show part")).clicked()
        {
            commands.push(Command::Search(code.to_string()));
        }
    });
    crate::ui::case_actions::case_work_ui(ui, view, case, desk, commands);
    crate::ui::committee::dispute_section_ui(ui, view, case, desk, commands);
    ui.add_space(8.0);
    spot_ui(ui, world, case.location.x(), case.location.y(), lang, commands);
}

fn jurisdiction_ui(ui: &mut egui::Ui, world: &World, index: usize, lang: Lang, commands: &mut Vec<Command>) {
    let jurisdiction = &world.jurisdictions[index];
    ui.label(egui::RichText::new(format!("{} {}", jurisdiction.kind.label(lang), jurisdiction.name)).size(18.0));
    details_grid(ui, "jurisdiction").show(ui, |ui| {
        row_ui(ui, lang.pick("代码", "Code"), egui::RichText::new(&jurisdiction.code).monospace());
        row_ui(ui, lang.pick("类型", "Kind"), jurisdiction.kind.label(lang));
        row_ui(ui, lang.pick("责任单位", "Owner unit"), world.unit_name(jurisdiction.owner_unit, lang));
        row_ui(ui, lang.pick("上级代码", "Parent code"), jurisdiction.parent_code.clone().unwrap_or_else(|| "—".into()));
        row_ui(ui, lang.pick("面积", "Area"), format_area(jurisdiction.geometry.geodesic_area_unsigned()));
        row_ui(ui, lang.pick("生效日期", "Valid from"), jurisdiction.valid_from.to_string());
        row_ui(
            ui,
            lang.pick("失效日期", "Valid to"),
            jurisdiction.valid_to.map_or_else(|| lang.pick("现行", "in force").to_owned(), |date| date.to_string()),
        );
    });
    ui.add_space(6.0);
    ui.label(egui::RichText::new(lang.pick("数据来源", "Source")).strong());
    ui.label(egui::RichText::new(&jurisdiction.source).small());
    ui.horizontal(|ui| {
        if ui.button(lang.pick("缩放到区域", "Zoom to area")).clicked() {
            commands.push(Command::ZoomToSelection);
        }
        if ui
            .button(lang.pick("列出区域内案卷", "List cases in this area"))
            .on_hover_text(lang.pick(
                "案卷列表只显示位于此区域内的案卷（保留其他筛选）",
                "The case list shows only the cases located in this area (other filters stay)",
            ))
            .clicked()
        {
            commands.push(Command::ShowAreaCases(index));
        }
    });
}

fn format_area(area_m2: f64) -> String {
    if area_m2 >= 1_000_000.0 { format!("{:.2} km²", area_m2 / 1_000_000.0) } else { format!("{area_m2:.0} m²") }
}
