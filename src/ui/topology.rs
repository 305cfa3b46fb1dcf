//! The topology check of a jurisdiction layer, for the district's GIS staff and the committee:
//! land nobody claims (gaps) and land two claim (overlaps), each with its area and place, listed
//! in a window and drawn on the map. The check runs on its own thread.

use egui::{RichText, Stroke};

use crate::map::{ScreenTransform, mercator_from_lonlat};
use crate::model::JurisdictionKind;
use crate::model::Labelled;
use crate::session::{Command, World};
use crate::spatial::topology::{IssueKind, TopologyReport};
use crate::ui::Lang;

use crate::palette::{TOPOLOGY_GAP as GAP, TOPOLOGY_OVERLAP as OVERLAP};

/// The buttons that start a check, for the layer panel.
pub fn check_buttons_ui(ui: &mut egui::Ui, running: bool, lang: Lang, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.weak(lang.pick("拓扑检查：", "Topology check:"));
        for kind in [JurisdictionKind::Township, JurisdictionKind::Community, JurisdictionKind::GridCell] {
            let label = match (lang, kind) {
                (Lang::Zh, _) => format!("查{}", kind.label(lang)),
                (Lang::En, JurisdictionKind::Community) => "communities".to_owned(),
                (Lang::En, JurisdictionKind::GridCell) => "grid cells".to_owned(),
                (Lang::En, _) => "townships".to_owned(),
            };
            if ui.add_enabled(!running, egui::Button::new(label).small()).clicked() {
                commands.push(Command::CheckTopology(kind));
            }
        }
        if running {
            ui.spinner();
        }
    });
}

/// The result window: every gap and overlap with its area and members; "locate" flies there.
pub fn report_window_ui(
    ctx: &egui::Context,
    world: &World,
    kind: JurisdictionKind,
    report: &TopologyReport,
    lang: Lang,
    open: &mut bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Window::new(format!("{}{}", lang.pick("拓扑检查：", "Topology check: "), kind.label(lang)))
        .id(egui::Id::unique("topology_window"))
        .open(open)
        .default_width(560.0)
        .show(ctx, |ui| {
            let gap_area: f64 = report.gaps().map(|issue| issue.area_m2).sum();
            let overlap_area: f64 = report.overlaps().map(|issue| issue.area_m2).sum();
            ui.label(format!(
                "{} {} · {} {} ({:.0} m²) · {} {} ({:.0} m²) · {:.2} s",
                lang.pick("检查", "Checked"),
                report.checked,
                lang.pick("缝隙", "gaps"),
                report.gaps().count(),
                gap_area,
                lang.pick("重叠", "overlaps"),
                report.overlaps().count(),
                overlap_area,
                report.elapsed.as_secs_f64()
            ));
            if report.issues.is_empty() {
                ui.label(RichText::new(lang.pick("没有发现缝隙或重叠。", "No gap and no overlap found.")).strong());
            }
            egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                egui::Grid::new("topology_issues").striped(true).num_columns(4).show(ui, |ui| {
                    for header in [lang.pick("类型", "Kind"), lang.pick("面积", "Area"), lang.pick("涉及", "Members"), ""] {
                        ui.label(RichText::new(header).strong());
                    }
                    ui.end_row();
                    let mut issues: Vec<_> = report.issues.iter().collect();
                    issues.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
                    for issue in issues.into_iter().take(500) {
                        let (text, color) = match issue.kind {
                            IssueKind::Gap => (lang.pick("缝隙（无人管辖）", "Gap (nobody's)"), GAP),
                            IssueKind::Overlap => (lang.pick("重叠（重复管辖）", "Overlap (claimed twice)"), OVERLAP),
                        };
                        ui.colored_label(color, text);
                        ui.label(if issue.area_m2 >= 10_000.0 {
                            format!("{:.2} ha", issue.area_m2 / 10_000.0)
                        } else {
                            format!("{:.0} m²", issue.area_m2)
                        });
                        let members: Vec<String> =
                            issue.members.iter().take(3).map(|index| world.jurisdictions[*index].name.clone()).collect();
                        ui.label(members.join("、"));
                        if ui.small_button(lang.pick("定位", "Locate")).clicked() {
                            commands.push(Command::CenterAt { lon: issue.location.x(), lat: issue.location.y(), zoom: 17.0 });
                        }
                        ui.end_row();
                    }
                });
            });
        });
    commands
}

/// Draws the issues on the map: gaps outlined in orange, overlaps in magenta.
pub fn draw_issues(painter: &egui::Painter, transform: &ScreenTransform, report: &TopologyReport) {
    for issue in &report.issues {
        let color = match issue.kind {
            IssueKind::Gap => GAP,
            IssueKind::Overlap => OVERLAP,
        };
        for polygon in &issue.geometry.0 {
            let points: Vec<egui::Pos2> =
                polygon.exterior().points().map(|point| transform.screen(mercator_from_lonlat(point.x(), point.y()))).collect();
            if points.len() >= 3 && points.iter().any(|point| painter.clip_rect().contains(*point)) {
                painter.add(egui::Shape::closed_line(points, Stroke::new(3.0, color)));
            }
        }
        // Small issues still show: a ring around their inner point.
        let at = transform.screen(mercator_from_lonlat(issue.location.x(), issue.location.y()));
        if painter.clip_rect().contains(at) {
            painter.circle_stroke(at, 9.0, Stroke::new(2.0, color));
        }
    }
}
