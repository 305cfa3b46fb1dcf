//! The left panel: the layer list with visibility switches, feature counts and legend swatches,
//! and the basemap switcher.

use std::path::{Path, PathBuf};

use crate::map::basemap_choice::BasemapChoice;
use crate::map::tile_sources::TileSourceInfo;
use crate::model::Labelled;
use crate::model::{JurisdictionKind, Keyword};
use crate::session::{BasemapProblem, Command, LayerVisibility};
use crate::ui::Lang;
use crate::ui::View;
use crate::ui::design_tokens as tokens;

fn swatch_ui(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

/// Shares of the fullest cell the density legend shows, in per cent.
const DENSITY_LEGEND_PERCENT: [u32; 4] = [1, 10, 50, 100];

/// The legend of the part-density grid drawn below zoom 17: a ramp of swatches coloured by the
/// very function that colours the cells (`tokens::density_color`), so the two cannot drift apart.
/// The grid is scaled to its fullest cell at each zoom, so the stops are shares of that cell.
fn density_legend_ui(ui: &mut egui::Ui, lang: Lang) {
    ui.horizontal(|ui| {
        ui.add_space(18.0);
        ui.weak(lang.pick("每格部件数（相对最密一格）", "Parts per cell (share of the fullest)"));
    });
    ui.horizontal(|ui| {
        ui.add_space(18.0);
        ui.spacing_mut().item_spacing.x = 3.0;
        for (index, percent) in DENSITY_LEGEND_PERCENT.into_iter().enumerate() {
            if index > 0 {
                ui.add_space(4.0);
            }
            // On the district's own fill, as on the map: the cells are translucent.
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, tokens::DISTRICT_FILL);
            ui.painter().rect_filled(rect, 2.0, tokens::density_color(percent, 100));
            ui.label(egui::RichText::new(format!("{percent}%")).small());
        }
    });
    ui.horizontal(|ui| {
        ui.add_space(18.0);
        ui.weak(lang.pick("放大到 17 级显示单个部件", "Single parts show from zoom 17"));
    });
}

/// What the basemap section shows, read from the app.
pub struct BasemapPanel<'a> {
    /// The basemap on the map, with the choice it was opened from.
    pub active: Option<(&'a BasemapChoice, &'a TileSourceInfo)>,
    /// The latest tile of the active basemap that failed to come.
    pub tile_error: Option<&'a str>,
    /// The basemap asked for last that is not on the map: opening, refused or waiting for a key.
    pub target: Option<&'a BasemapChoice>,
    /// Whether `target` is being opened.
    pub opening: bool,
    /// Why `target` did not open.
    pub problem: Option<&'a BasemapProblem>,
    /// The shipped demo basemap, when found.
    pub demo: Option<&'a Path>,
    /// Offline basemaps that opened before, most recent first.
    pub recent: &'a [PathBuf],
}

/// A form of the basemap section opened from its menu.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BasemapForm {
    #[default]
    None,
    /// The URL template and attribution of a custom tile server.
    Custom,
    /// A path field for a local file or folder.
    LocalFile,
}

/// What is being typed in the basemap section; applied only by its buttons (or Enter).
#[derive(Default)]
pub struct BasemapPanelState {
    /// The Tianditu key field (a password field; the key itself lives in the settings).
    pub tianditu_key: String,
    /// The URL template and attribution of a custom tile server.
    pub custom_template: String,
    pub custom_attribution: String,
    /// The form picked in the menu, shown until another entry is picked (a local file's also
    /// closes once the file has opened).
    pub form: BasemapForm,
    /// A local basemap path to open.
    pub path: String,
}

impl BasemapPanelState {
    /// Called when a basemap has opened: a local file's form has done its job.
    pub fn basemap_opened(&mut self) {
        if self.form == BasemapForm::LocalFile {
            self.form = BasemapForm::None;
            self.path.clear();
        }
    }
}

/// An entry of the basemap menu.
#[derive(Clone, PartialEq)]
enum MenuEntry {
    Choice(BasemapChoice),
    /// Custom URL: picking it shows the template fields; their button opens it.
    Custom,
    /// A local file or folder: picking it shows a path field; its button opens it.
    LocalFile,
}

impl MenuEntry {
    fn of(choice: &BasemapChoice) -> Self {
        match choice {
            BasemapChoice::Custom { .. } => Self::Custom,
            other => Self::Choice(other.clone()),
        }
    }

    fn needs_tianditu_key(&self) -> bool {
        matches!(self, Self::Choice(choice) if choice.needs_tianditu_key())
    }

    /// The menu text, and the full path to show on hover for a file.
    fn label(&self, demo: Option<&Path>, lang: Lang) -> (String, Option<String>) {
        match self {
            Self::Choice(BasemapChoice::Offline { path }) if Some(path.as_path()) == demo => {
                (lang.pick("离线示意底图", "Offline demo basemap").to_owned(), Some(path.display().to_string()))
            }
            Self::Choice(BasemapChoice::Offline { path }) => {
                let name = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
                (name, Some(path.display().to_string()))
            }
            Self::Choice(BasemapChoice::OpenStreetMap) => ("OpenStreetMap".to_owned(), None),
            Self::Choice(BasemapChoice::TiandituVector) => (lang.pick("天地图矢量", "Tianditu vector").to_owned(), None),
            Self::Choice(BasemapChoice::TiandituImagery) => (lang.pick("天地图影像", "Tianditu imagery").to_owned(), None),
            Self::Custom | Self::Choice(BasemapChoice::Custom { .. }) => (lang.pick("自定义 URL", "Custom URL").to_owned(), None),
            Self::LocalFile => (lang.pick("打开本机文件…", "Open a local file…").to_owned(), None),
        }
    }
}

/// A path as typed or pasted: surrounding blanks and quotes (Windows' "copy as path") removed.
pub(crate) fn typed_path(text: &str) -> Option<PathBuf> {
    let text = text.trim();
    let unquoted =
        ['"', '\''].iter().find_map(|quote| text.strip_prefix(*quote).and_then(|rest| rest.strip_suffix(*quote))).unwrap_or(text).trim();
    (!unquoted.is_empty()).then(|| PathBuf::from(unquoted))
}

/// A text field with a button beside it filling the rest of the row; returns whether the button
/// was pressed or Enter was hit in the field.
fn field_with_button(ui: &mut egui::Ui, edit: egui::TextEdit<'_>, name: &str, button: &str, enabled: bool) -> bool {
    ui.horizontal(|ui| {
        // Right to left: the button takes its width, the field the rest.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let pressed = ui.add_enabled(enabled, egui::Button::new(button)).clicked();
            let field = ui.add(edit.desired_width(ui.available_width())).accessible_name(name);
            let entered = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
            enabled && (pressed || entered)
        })
        .inner
    })
    .inner
}

/// The basemap section: the menu of basemaps, the show/hide switch with the active basemap's
/// name and zoom range, opening state and errors, the Tianditu key, custom URL and local path
/// fields.
fn basemap_ui(
    ui: &mut egui::Ui,
    shown: &mut bool,
    panel: &BasemapPanel<'_>,
    state: &mut BasemapPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let mut entries = Vec::new();
    if let Some(demo) = panel.demo {
        entries.push(MenuEntry::Choice(BasemapChoice::Offline { path: demo.to_owned() }));
    }
    for path in panel.recent.iter().filter(|path| Some(path.as_path()) != panel.demo) {
        entries.push(MenuEntry::Choice(BasemapChoice::Offline { path: path.clone() }));
    }
    entries.push(MenuEntry::LocalFile);
    entries.extend(
        [BasemapChoice::OpenStreetMap, BasemapChoice::TiandituVector, BasemapChoice::TiandituImagery].into_iter().map(MenuEntry::Choice),
    );
    entries.push(MenuEntry::Custom);

    // The menu shows what is being set up: a form while it is open, a choice being opened or
    // waiting for its key; otherwise the basemap on the map.
    let current = if state.form == BasemapForm::Custom {
        Some(MenuEntry::Custom)
    } else if state.form == BasemapForm::LocalFile {
        Some(MenuEntry::LocalFile)
    } else if let Some(target) = panel.target.filter(|target| panel.opening || target.needs_tianditu_key()) {
        Some(MenuEntry::of(target))
    } else {
        panel.active.map(|(choice, _)| MenuEntry::of(choice))
    };
    // The active file may be neither the demo nor a recent one (not yet remembered).
    if let Some(entry @ MenuEntry::Choice(BasemapChoice::Offline { .. })) = &current
        && !entries.contains(entry)
    {
        entries.insert(usize::from(panel.demo.is_some()), entry.clone());
    }
    let selected_text = current.as_ref().map_or_else(|| lang.pick("（无）", "(none)").to_owned(), |entry| entry.label(panel.demo, lang).0);
    let mut picked = None;
    let combo =
        egui::ComboBox::from_id_salt("basemap_source").width(ui.available_width() - 8.0).selected_text(selected_text).show_ui(ui, |ui| {
            for entry in &entries {
                let (label, hover) = entry.label(panel.demo, lang);
                let mut response = ui.selectable_label(current.as_ref() == Some(entry), label);
                if let Some(hover) = hover {
                    response = response.on_hover_text(hover);
                }
                if response.clicked() {
                    picked = Some(entry.clone());
                }
            }
        });
    let _ = combo.response.accessible_name(lang.pick("选择底图", "Choose basemap"));
    match picked {
        Some(MenuEntry::Custom) => state.form = BasemapForm::Custom,
        Some(MenuEntry::LocalFile) => state.form = BasemapForm::LocalFile,
        Some(MenuEntry::Choice(choice)) => {
            state.form = BasemapForm::None;
            commands.push(Command::SetBasemap(choice));
        }
        None => {}
    }

    match panel.active {
        Some((choice, info)) => {
            ui.horizontal(|ui| {
                ui.checkbox(shown, info.name_for(lang == Lang::En));
                if choice.is_online() {
                    ui.label(egui::RichText::new(lang.pick("联网", "online")).small().strong().color(ui.visuals().hyperlink_color))
                        .on_hover_text(
                            lang.pick("瓦片从网络获取，并缓存在本机", "Tiles come over the network and are cached on this computer"),
                        );
                }
            });
            ui.weak(format!("{} {}–{}", lang.pick("缩放级别", "zoom"), info.min_zoom, info.max_zoom));
            if let Some(error) = panel.tile_error {
                ui.colored_label(ui.visuals().warn_fg_color, lang.pick("部分瓦片未能加载：", "Some tiles did not load:"));
                ui.add(egui::Label::new(egui::RichText::new(error).small()).wrap());
            }
        }
        None if !panel.opening && panel.problem.is_none() => {
            ui.weak(lang.pick("未加载底图", "No basemap"));
        }
        None => {}
    }
    if panel.opening {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak(lang.pick("正在打开底图…", "Opening the basemap…"));
        });
    }
    // A missing key matters only while a Tianditu map is what the menu is set to.
    let problem = panel
        .problem
        .filter(|problem| **problem != BasemapProblem::MissingTiandituKey || current.as_ref().is_some_and(MenuEntry::needs_tianditu_key));
    match problem {
        Some(BasemapProblem::MissingTiandituKey) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                lang.pick(
                    "天地图需要密钥：请在下方输入天地图密钥后点击“应用”",
                    "Tianditu needs a key: enter your Tianditu key below and press Apply",
                ),
            );
        }
        Some(BasemapProblem::Failed(message)) => {
            ui.colored_label(ui.visuals().error_fg_color, lang.pick("底图无法打开：", "The basemap could not be opened:"));
            ui.add(egui::Label::new(egui::RichText::new(message).color(ui.visuals().error_fg_color)).wrap());
        }
        None => {}
    }
    if problem.is_some() && panel.active.is_some() {
        ui.weak(lang.pick("地图仍使用原底图。", "The map keeps the previous basemap."));
    }

    // The key field, while a Tianditu map is what the menu is set to (on the map or wanted).
    if current.as_ref().is_some_and(MenuEntry::needs_tianditu_key) {
        ui.add_space(4.0);
        ui.label(lang.pick("天地图密钥 (tk)", "Tianditu key (tk)"));
        let enabled = !state.tianditu_key.trim().is_empty();
        let edit = egui::TextEdit::singleline(&mut state.tianditu_key)
            .password(true)
            .hint_text(lang.pick("天地图服务端密钥", "Tianditu server key"));
        let name = lang.pick("天地图密钥", "Tianditu key");
        if field_with_button(ui, edit, name, lang.pick("应用", "Apply"), enabled) {
            commands.push(Command::SetTiandituKey(state.tianditu_key.trim().to_owned()));
        }
        ui.weak(lang.pick(
            "须使用“服务端”类型的密钥（浏览器端密钥不能用于桌面程序），在天地图控制台申请。",
            "A 服务端 (server) key is required (a browser key does not work in a desktop program); apply for one in the Tianditu console.",
        ));
    }

    if current == Some(MenuEntry::Custom) {
        ui.add_space(4.0);
        ui.label(lang.pick("瓦片 URL 模板", "Tile URL template"));
        ui.add(
            egui::TextEdit::singleline(&mut state.custom_template)
                .hint_text("https://tiles.example.org/{z}/{x}/{y}.png")
                .desired_width(ui.available_width() - 8.0),
        )
        .accessible_name(lang.pick("瓦片 URL 模板", "Tile URL template"));
        ui.label(lang.pick("版权说明（显示在地图上）", "Attribution (shown on the map)"));
        let edit = egui::TextEdit::singleline(&mut state.custom_attribution).hint_text(lang.pick("© 数据提供方", "© data provider"));
        let enabled = !state.custom_template.trim().is_empty();
        if field_with_button(ui, edit, lang.pick("版权说明", "Attribution"), lang.pick("应用", "Apply"), enabled) {
            commands.push(Command::SetBasemap(BasemapChoice::Custom {
                template: state.custom_template.trim().to_owned(),
                attribution: state.custom_attribution.trim().to_owned(),
            }));
        }
    }

    if state.form == BasemapForm::LocalFile {
        ui.add_space(4.0);
        ui.label(lang.pick("MBTiles、PMTiles 文件或瓦片目录的路径", "Path of an MBTiles or PMTiles file or a tile folder"));
        let enabled = typed_path(&state.path).is_some();
        let edit = egui::TextEdit::singleline(&mut state.path).hint_text(lang.pick("文件或目录路径", "File or folder path"));
        if field_with_button(ui, edit, lang.pick("底图文件路径", "Basemap file path"), lang.pick("打开", "Open"), enabled)
            && let Some(path) = typed_path(&state.path)
        {
            commands.push(Command::SetBasemap(BasemapChoice::Offline { path }));
        }
    }
}

/// Draws the layer panel; returns the new visibility when the user changed it, and the basemap
/// commands.
pub fn layers_ui(
    ui: &mut egui::Ui,
    view: View<'_>,
    layers: &LayerVisibility,
    basemap: BasemapPanel<'_>,
    basemap_state: &mut BasemapPanelState,
    topology_running: bool,
) -> Vec<Command> {
    let View { world, lang, .. } = view;
    let case_count = view.cases.len();
    let mut edited = layers.clone();
    let mut commands = Vec::new();
    egui::Panel::left("layers").default_size(tokens::SIDE_PANEL_WIDTH).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(lang.pick("图层", "Layers"));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button(lang.pick("导入数据…", "Import data…"))
                    .on_hover_text(lang.pick(
                        "导入部件普查、辖区或案件（GeoJSON、Shapefile、GeoPackage、CSV）",
                        "Import parts, jurisdictions or cases (GeoJSON, shapefile, GeoPackage, CSV)",
                    ))
                    .clicked()
                {
                    commands.push(Command::OpenImport);
                }
                let export = ui.button(lang.pick("导出数据…", "Export data…"));
                if export
                    .on_hover_text(lang.pick(
                        "部件、辖区、案卷导出为 GeoPackage、GeoJSON 或 CSV",
                        "Parts, jurisdictions, cases to GeoPackage, GeoJSON or CSV",
                    ))
                    .clicked()
                {
                    commands.push(Command::OpenExport {
                        what: crate::io::export::ExportWhat::All,
                        scope: crate::session::ExportScope::Everything,
                    });
                }
            });
        });
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
            crate::ui::topology::check_buttons_ui(ui, topology_running, lang, &mut commands);
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
            density_legend_ui(ui, lang);
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
                ui.weak(case_count.to_string());
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
                swatch_ui(ui, tokens::CASE_PAUSED);
                ui.label(lang.pick("缓办 / 挂账（暂停计时）", "Deferred / backlog (paused)"));
            });
            ui.horizontal(|ui| {
                ui.add_space(18.0);
                swatch_ui(ui, tokens::case_color(None));
                ui.label(lang.pick("未派遣 / 已处置 / 已结案", "Not dispatched / handled / closed"));
            });
            ui.add_space(6.0);
            ui.label(egui::RichText::new(lang.pick("底图", "Basemap")).strong());
            basemap_ui(ui, &mut edited.basemap, &basemap, basemap_state, lang, &mut commands);
        });
    });
    if &edited != layers {
        commands.push(Command::SetLayers(edited));
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn typed_and_pasted_paths_are_cleaned_up() {
        assert_eq!(typed_path(r#"  "C:\maps\city.mbtiles" "#), Some(PathBuf::from(r"C:\maps\city.mbtiles")));
        assert_eq!(typed_path("'/data/a b.pmtiles'"), Some(PathBuf::from("/data/a b.pmtiles")));
        assert_eq!(typed_path("/data/tiles\n"), Some(PathBuf::from("/data/tiles")));
        assert_eq!(typed_path("  \"\" "), None);
    }
}
