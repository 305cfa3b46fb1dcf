//! The app as a person uses it, driven through its accessibility labels and rendered with wgpu
//! on the software Vulkan adapter (llvmpipe): no GPU needed.

mod common;

use std::time::Duration;

use citygrid::app::{CitygridApp, Selection, harness_for};
use citygrid::ui::Lang;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn open(lang: Lang) -> (tempfile::TempDir, Harness<'static, CitygridApp>) {
    let (dir, path, _) = common::small_demo(3_000, 60);
    let harness = harness_for(&path, [1400, 900], lang, Some(common::as_of()), Duration::from_secs(120)).expect("the app loads the demo");
    (dir, harness)
}

fn click_at(harness: &mut Harness<'static, CitygridApp>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    harness.run_steps(1);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers: egui::Modifiers::NONE });
        harness.run_steps(1);
    }
    harness.run_steps(2);
}

#[test]
fn the_main_window_speaks_chinese_and_switches_to_english() {
    let (_dir, mut harness) = open(Lang::Zh);
    harness.get_by_label("图层");
    harness.get_by_label("详情");
    harness.get_by_label("徽州区");
    harness.get_by_label("单元网格");
    harness.get_by_label("English").click();
    harness.run_steps(3);
    assert_eq!(harness.state().settings().lang, Lang::En);
    harness.get_by_label("Layers");
    harness.get_by_label("Details");
    harness.get_by_label("中文").click();
    harness.run_steps(3);
    harness.get_by_label("图层");
}

#[test]
fn layers_can_be_switched_off_and_on() {
    let (_dir, mut harness) = open(Lang::En);
    assert!(harness.state().settings().layers.grid);
    harness.get_by_label("Grid cell").click();
    harness.run_steps(2);
    assert!(!harness.state().settings().layers.grid);
    harness.get_by_label("Grid cell").click();
    harness.run_steps(2);
    assert!(harness.state().settings().layers.grid);
}

#[test]
fn clicking_the_map_identifies_the_area_and_shows_its_details() {
    let (_dir, mut harness) = open(Lang::En);
    // Hide cases so the click lands on an area, not a case marker.
    harness.get_by_label("Cases").click();
    harness.run_steps(2);
    harness.get_by_label("All").click();
    harness.run_steps(3);
    let zoom_in = harness.get_by_label("＋").rect();
    let centre = egui::pos2(zoom_in.left() - 330.0, zoom_in.top() + 420.0);
    click_at(&mut harness, centre);
    let Some(Selection::Jurisdiction(index)) = harness.state().selection() else {
        panic!("a click inside the district selects an area, got {:?}", harness.state().selection());
    };
    let name = harness.state().world().expect("loaded").jurisdictions[index].name.clone();
    assert!(harness.query_all_by_label_contains(&name).count() >= 1, "the details panel names {name}");
    harness.get_by_label("Zoom to area");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert_eq!(harness.state().selection(), None);
}

#[test]
fn the_map_renders_the_district_in_chinese() {
    let (_dir, mut harness) = open(Lang::Zh);
    harness.snapshot("main_window_zh");
}
