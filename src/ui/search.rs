//! The search results window: every place, street, part and case the top bar's text matched,
//! grouped by kind; a click goes there.

use crate::model::{ItemKind, Labelled, Lang};
use crate::session::{Command, HitKind, SearchResults, SearchTarget, Selection, World};

use super::View;
use super::top_bar::SearchState;

/// The lines of the results window, one per listed hit in the groups' order, with what they
/// were made for: the search's text, the language and the case book's generation.
#[derive(Debug, Default)]
pub struct HitLines {
    key: Option<(String, Lang, u64)>,
    lines: Vec<String>,
}

impl HitLines {
    /// The lines for `results`, made again only when the search, language or cases changed.
    fn refresh(&mut self, view: View<'_>, results: &SearchResults) -> &[String] {
        let key = (results.text.clone(), view.lang, view.cases.generation());
        if self.key.as_ref() != Some(&key) {
            self.lines = results.groups.iter().flat_map(|group| group.hits.iter().map(|target| hit_text(view, *target))).collect();
            self.key = Some(key);
        }
        &self.lines
    }
}

/// One line of the list for a match.
#[must_use]
pub fn hit_text(view: View<'_>, target: SearchTarget) -> String {
    let View { world, cases, lang, .. } = view;
    match target {
        SearchTarget::Place(index) => {
            let area = &world.jurisdictions[index];
            let ended = match area.valid_to {
                Some(to) => format!(" · {}{}", lang.pick("止于 ", "until "), to),
                None => String::new(),
            };
            format!("{} · {} · {}{ended}", area.name, area.kind.label(lang), area.code)
        }
        SearchTarget::Street(index) => {
            let street = &world.streets[index];
            let middle = street_middle(world, index);
            let area = middle
                .and_then(|(lon, lat)| {
                    world
                        .jurisdictions_at(lon, lat)
                        .into_iter()
                        .rev()
                        .find(|found| world.jurisdictions[*found].kind == crate::model::JurisdictionKind::Township)
                })
                .map(|found| format!(" · {}", world.jurisdictions[found].name))
                .unwrap_or_default();
            let class = if street.class == "main" { lang.pick("主干道", "main road") } else { lang.pick("支路", "minor road") };
            format!("{} · {class}{area}", street.name)
        }
        SearchTarget::Part(code) => {
            let Some(part) = world.parts.by_code(code) else { return code.to_string() };
            let part = part.as_ref();
            let class = world.class_name(ItemKind::Part, &part.code.class_code(), lang);
            let name = if part.name.is_empty() { String::new() } else { format!(" {}", part.name) };
            let anchor = crate::spatial::anchor_of(part);
            let area = world
                .jurisdictions_at(anchor.x(), anchor.y())
                .into_iter()
                .find(|found| world.jurisdictions[*found].kind == crate::model::JurisdictionKind::Community)
                .map(|found| format!(" · {}", world.jurisdictions[found].name))
                .unwrap_or_default();
            format!("{}{name} · {class}{area}", part.code)
        }
        SearchTarget::Case(id) => match cases.position_of(id).and_then(|position| cases.get(position)) {
            Some(case) => {
                let class = world.class_name(case.subject.item_kind(), &case.class_code, lang);
                let address = if case.address.is_empty() { String::new() } else { format!(" · {}", case.address) };
                format!("{} · {class} · {}{address}", case.case_no, case.state.label(lang))
            }
            None => lang.pick("（案卷已不在本席位）", "(case no longer on this seat)").to_owned(),
        },
    }
}

/// The middle vertex of a street's line (lon, lat).
#[must_use]
pub fn street_middle(world: &World, index: usize) -> Option<(f64, f64)> {
    let line = &world.streets.get(index)?.line;
    let middle = line.0.get(line.0.len() / 2)?;
    Some((middle.x, middle.y))
}

/// What a click on a match does: select it and zoom there (a street: centre on it).
#[must_use]
pub fn go_to(view: View<'_>, target: SearchTarget) -> Vec<Command> {
    let selection = match target {
        SearchTarget::Place(index) => Some(Selection::Jurisdiction(index)),
        SearchTarget::Part(code) => Some(Selection::Part(code)),
        SearchTarget::Case(id) => view.cases.position_of(id).map(Selection::Case),
        SearchTarget::Street(index) => {
            return street_middle(view.world, index).map(|(lon, lat)| vec![Command::CenterAt { lon, lat, zoom: 17.0 }]).unwrap_or_default();
        }
    };
    selection.map(|selection| vec![Command::Select(Some(selection)), Command::ZoomToSelection]).unwrap_or_default()
}

fn is_selected(view: View<'_>, target: SearchTarget, selection: Option<Selection>) -> bool {
    match (target, selection) {
        (SearchTarget::Place(a), Some(Selection::Jurisdiction(b))) => a == b,
        (SearchTarget::Part(a), Some(Selection::Part(b))) => a == b,
        (SearchTarget::Case(id), Some(Selection::Case(position))) => view.cases.get(position).is_some_and(|case| case.id == id),
        _ => false,
    }
}

/// The results window, while the last search listed several matches.
pub fn search_results_ui(ctx: &egui::Context, view: View<'_>, search: &mut SearchState, selection: Option<Selection>) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(results) = &search.results else { return commands };
    let lang = view.lang;
    let mut open = true;
    let title = match lang {
        Lang::Zh => format!("查找“{}”：{} 项", results.text, results.total()),
        Lang::En => format!("Search “{}”: {} matches", results.text, results.total()),
    };
    egui::Window::new(title)
        .id(egui::Id::unique("search_results"))
        .open(&mut open)
        .collapsible(false)
        .default_pos(egui::pos2(360.0, 48.0))
        .default_width(460.0)
        .default_height(520.0)
        .show(ctx, |ui| {
            let lines = search.lines.refresh(view, results);
            egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
                results_ui(ui, view, (results, lines), selection, &mut commands);
            });
        });
    if !open || ctx.input(|input| input.key_pressed(egui::Key::Escape)) {
        search.results = None;
    }
    commands
}

fn results_ui(
    ui: &mut egui::Ui,
    view: View<'_>,
    (results, lines): (&SearchResults, &[String]),
    selection: Option<Selection>,
    commands: &mut Vec<Command>,
) {
    let lang = view.lang;
    let mut lines = lines.iter();
    for group in &results.groups {
        ui.add_space(4.0);
        ui.label(egui::RichText::new(format!("{} ({})", group.kind.label(lang), group.total)).strong());
        for target in &group.hits {
            let text = lines.next().cloned().unwrap_or_default();
            let line = ui.add(egui::Button::selectable(is_selected(view, *target, selection), text).truncate());
            if line.clicked() {
                commands.extend(go_to(view, *target));
            }
        }
        let left_off = group.total - group.hits.len();
        if group.kind == HitKind::Case && group.total > 1 {
            let text = match lang {
                Lang::Zh => format!("在案卷列表中列出全部 {} 件", group.total),
                Lang::En => format!("List all {} in the case list", group.total),
            };
            if ui.button(text).clicked() {
                commands.push(Command::ListCasesMatching(results.text.clone()));
            }
        } else if left_off > 0 {
            let text = match lang {
                Lang::Zh => format!("另有 {left_off} 项未列出：请输入更多文字缩小范围"),
                Lang::En => format!("{left_off} more not listed: type more to narrow the search"),
            };
            ui.weak(text);
        }
    }
}
