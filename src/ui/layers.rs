//! The left panel: the layer list with visibility switches, feature counts and legend swatches.

use crate::app::{Command, LayerVisibility, World};
use crate::map::tile_sources::TileSourceInfo;
use crate::model::{JurisdictionKind, Keyword};
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;
use crate::ui::i18n::Labelled;

fn swatch_ui(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

/// Draws the layer panel; returns the new visibility when the user changed it.
pub fn layers_ui(
    ui: &mut egui::Ui,
    world: &World,
    layers: &LayerVisibility,
    basemap: Option<Result<&TileSourceInfo, &str>>,
    lang: Lang,
) -> Vec<Command> {
    let mut edited = layers.clone();
    let mut commands = Vec::new();
    egui::Panel::left("layers").default_size(tokens::SIDE_PANEL_WIDTH).show(ui, |ui| {
        ui.heading(lang.pick("图层", "Layers"));
        ui.add_space(4.0);
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.label(egui::RichText::new(lang.pick("辖区", "Jurisdictions")).strong());
            for kind in JurisdictionKind::ALL.iter().copied() {
                let count = world.outlines.get(&kind).map_or(0, Vec::len);
                ui.horizontal(|ui| {
                    swatch_ui(ui, tokens::jurisdiction_swatch(kind));
                    ui.checkbox(edited.switch_mut(kind), kind.label(lang));
                    ui.weak(count.to_string());
                });
            }
            ui.add_space(6.0);
            ui.label(egui::RichText::new(lang.pick("城市部件", "City parts")).strong());
            ui.horizontal(|ui| {
                swatch_ui(ui, tokens::part_color(1));
                ui.checkbox(&mut edited.parts, lang.pick("部件", "Parts"));
                ui.weak(world.parts.len().to_string());
            });
            ui.weak(format!(
                "{} {} · {} {} · {} {}",
                lang.pick("点", "points"),
                world.part_counts[0],
                lang.pick("线", "lines"),
                world.part_counts[1],
                lang.pick("面", "polygons"),
                world.part_counts[2]
            ));
            ui.weak(lang.pick("放大到 17 级以上显示单个部件", "Single parts show from zoom 17"));
            // The layer tree: major class → minor class, each with its count and a switch.
            for major in world.manual.major_classes.iter().filter(|major| major.kind == crate::model::ItemKind::Part) {
                let minors: Vec<(&String, usize)> = world
                    .class_counts
                    .iter()
                    .filter(|(code, _)| code.starts_with(&major.code))
                    .map(|(code, count)| (code, *count))
                    .collect();
                if minors.is_empty() {
                    continue;
                }
                let major_number: u8 = major.code.parse().unwrap_or(0);
                let total: usize = minors.iter().map(|(_, count)| count).sum();
                let name = if lang.is_chinese() { &major.name_zh } else { &major.name_en };
                let id = ui.make_persistent_id(("part_major", &major.code));
                egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
                    .show_header(ui, |ui| {
                        swatch_ui(ui, tokens::part_color(major_number));
                        let mut all_shown = minors.iter().all(|(code, _)| !edited.hidden_part_classes.contains(*code));
                        if ui.checkbox(&mut all_shown, format!("{} {name}", major.code)).changed() {
                            for (code, _) in &minors {
                                if all_shown {
                                    edited.hidden_part_classes.remove(*code);
                                } else {
                                    edited.hidden_part_classes.insert((*code).clone());
                                }
                            }
                        }
                        ui.weak(total.to_string());
                    })
                    .body(|ui| {
                        for (code, count) in &minors {
                            let mut shown = !edited.hidden_part_classes.contains(*code);
                            ui.horizontal(|ui| {
                                let label = format!("{code} {}", world.class_name(crate::model::ItemKind::Part, code, lang));
                                if ui.checkbox(&mut shown, label).changed() {
                                    if shown {
                                        edited.hidden_part_classes.remove(*code);
                                    } else {
                                        edited.hidden_part_classes.insert((*code).clone());
                                    }
                                }
                                ui.weak(count.to_string());
                            });
                        }
                    });
            }
            ui.horizontal(|ui| {
                swatch_ui(ui, tokens::STREET_MAIN.color);
                ui.checkbox(&mut edited.streets, lang.pick("街道（示意）", "Streets (schematic)"));
                ui.weak(world.streets.len().to_string());
            });
            ui.add_space(6.0);
            ui.label(egui::RichText::new(lang.pick("案卷预警", "Case warnings")).strong());
            ui.horizontal(|ui| {
                swatch_ui(ui, tokens::case_color(Some(crate::calendar::DeadlineLight::Red)));
                ui.checkbox(&mut edited.cases, lang.pick("案卷", "Cases"));
                ui.weak(world.cases.len().to_string());
            });
            for light in
                [crate::calendar::DeadlineLight::Green, crate::calendar::DeadlineLight::Yellow, crate::calendar::DeadlineLight::Red]
            {
                ui.horizontal(|ui| {
                    ui.add_space(18.0);
                    swatch_ui(ui, tokens::case_color(Some(light)));
                    ui.label(light.label(lang));
                });
            }
            ui.horizontal(|ui| {
                ui.add_space(18.0);
                swatch_ui(ui, tokens::case_color(None));
                ui.label(lang.pick("已结案 / 暂停计时", "Closed / clock paused"));
            });
            ui.add_space(6.0);
            ui.label(egui::RichText::new(lang.pick("底图", "Basemap")).strong());
            match basemap {
                None => {
                    ui.weak(lang.pick(
                        "未加载底图（--basemap 指定 MBTiles、PMTiles 或瓦片目录）",
                        "No basemap (--basemap opens MBTiles, PMTiles or a tile folder)",
                    ));
                }
                Some(Ok(info)) => {
                    ui.checkbox(&mut edited.basemap, info.name.as_str());
                    ui.weak(format!("{} {}–{}", lang.pick("缩放级别", "zoom"), info.min_zoom, info.max_zoom));
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, lang.pick("底图无法打开：", "The basemap could not be opened:"));
                    ui.add(egui::Label::new(egui::RichText::new(error).small()).wrap());
                }
            }
        });
    });
    if &edited != layers {
        commands.push(Command::SetLayers(edited));
    }
    commands
}
