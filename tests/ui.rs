//! The app as a person uses it, driven through its accessibility labels and rendered with wgpu
//! on the software Vulkan adapter (llvmpipe): no GPU needed.

mod common;

use std::time::Duration;

use citygrid::app::{CitygridApp, harness, harness_for, wait_for_tiles, wait_until_loaded};
use citygrid::session::{Command, Selection};
use citygrid::ui::Lang;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn open(lang: Lang) -> (tempfile::TempDir, Harness<'static, CitygridApp>) {
    let (dir, path, _) = common::small_demo(20_000, 300);
    let harness =
        harness_for(&path, None, [1400, 900], lang, Some(common::as_of()), Duration::from_secs(120)).expect("the app loads the demo");
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
    harness.get_by_label("Home").click();
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
    wait_for_tiles(&mut harness, Duration::from_secs(60));
    harness.snapshot("main_window_zh");
}

#[test]
fn the_urban_core_shows_grid_streets_and_cases_by_warning_light() {
    let (_dir, mut harness) = open(Lang::En);
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    harness.state_mut().apply(Command::CenterAt { lon, lat, zoom: 15.0 });
    harness.run_steps(4);
    wait_for_tiles(&mut harness, Duration::from_secs(60));
    harness.snapshot("urban_core_en");
}

#[test]
fn street_zoom_shows_single_parts_and_identifies_them() {
    let (_dir, mut harness) = open(Lang::Zh);
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    harness.get_by_label("案卷").click();
    harness.state_mut().apply(Command::CenterAt { lon, lat, zoom: 18.5 });
    harness.run_steps(4);
    wait_for_tiles(&mut harness, Duration::from_secs(60));
    harness.snapshot("street_parts_zh");
    // A click beside the centre lands on a part or, between parts, on the grid cell.
    let zoom_in = harness.get_by_label("＋").rect();
    click_at(&mut harness, egui::pos2(zoom_in.left() - 330.0, zoom_in.top() + 420.0));
    assert!(harness.state().selection().is_some());
}

#[test]
fn first_start_creates_the_demo_database_with_progress_then_opens_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data").join("citygrid.gpkg");
    let mut harness = harness(&path, None, [1200, 800], Lang::Zh, Some(common::as_of()));
    // The loader reports its first progress within moments; the demo takes seconds to write.
    let mut saw_progress = false;
    for _ in 0..500 {
        harness.step();
        if harness.query_by_label_contains("首次启动").is_some() {
            saw_progress = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(saw_progress, "the first-start progress screen is shown while the demo is written");
    wait_until_loaded(&mut harness, Duration::from_secs(600)).expect("the demo is created and opened");
    assert!(path.exists(), "the demo database was written to the default location");
    assert_eq!(harness.state().world().expect("loaded").parts.len(), 100_000);
    // The app starts with the sign-in form.
    assert!(harness.state().user().is_none());
    harness.get_by_label("账号").click();
    harness.run_steps(1);
    harness.get_by_label("账号").type_text("dispatch1");
    harness.get_by_label("密码").click();
    harness.run_steps(1);
    harness.get_by_label("密码").type_text(citygrid::demo::DEMO_PASSWORD);
    harness.run_steps(1);
    harness.get_by_label("登录").click();
    let started = std::time::Instant::now();
    while harness.state().user().is_none() && started.elapsed() < Duration::from_secs(30) {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(3);
    assert_eq!(harness.state().user().map(|user| user.login.as_str()), Some("dispatch1"));
    harness.get_by_label("图层");
    harness.get_by_label("退出");
}

#[test]
fn a_file_that_is_not_a_database_shows_a_clear_message_and_stays_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.gpkg");
    std::fs::write(&path, "minutes of the committee meeting").expect("write");
    let mut harness = harness(&path, None, [1200, 800], Lang::En, Some(common::as_of()));
    let error = wait_until_loaded(&mut harness, Duration::from_secs(60)).expect_err("must not open");
    assert!(error.to_string().contains("not an SQLite database"), "{error}");
    harness.run_steps(2);
    harness.get_by_label("The database could not be opened");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "minutes of the committee meeting");
}

/// eframe's storage, in memory.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_language_and_layer_choices_are_remembered() {
    let (_dir, mut harness) = open(Lang::Zh);
    harness.get_by_label("English").click();
    harness.run_steps(2);
    harness.get_by_label("Community").click();
    harness.run_steps(2);
    let mut storage = MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    let saved: citygrid::session::Settings = eframe::get_value(&storage, citygrid::session::SETTINGS_KEY).expect("settings were saved");
    assert_eq!(saved.lang, Lang::En);
    assert!(!saved.layers.communities);
    assert!(saved.layers.townships);
}

fn search_for(harness: &mut Harness<'static, CitygridApp>, text: &str) {
    // The first text field of the window is the top bar's search box.
    let search_box = egui::accesskit::Role::TextInput;
    harness.query_all_by_role(search_box).next().expect("the search box").click();
    harness.run_steps(1);
    harness.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    harness.query_all_by_role(search_box).next().expect("the search box").type_text(text);
    harness.run_steps(1);
    harness.get_by_label("Find").click();
    harness.run_steps(1);
    // Parts are read from the store on a job; the window says so meanwhile.
    let started = std::time::Instant::now();
    while harness.state().is_searching() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the search of {text:?} did not finish");
        std::thread::sleep(std::time::Duration::from_millis(10));
        harness.run_steps(1);
    }
    harness.run_steps(3);
}

/// Issue 22: the search box goes straight to what an identifier names, lists every match of a
/// name or of a few digits (places, streets, parts, cases) for the user to pick, and says when
/// nothing matches.
#[test]
fn the_search_box_goes_to_an_identifier_and_lists_every_match_of_a_name() {
    let (_dir, mut harness) = open(Lang::En);
    let parts = harness.state().world().expect("loaded").parts.read_all().expect("the parts");
    let code = parts[1234].code;
    let part_code = code.to_string();
    search_for(&mut harness, &part_code);
    assert_eq!(harness.state().selection(), Some(Selection::Part(code)));
    harness.get_by_label(&part_code);
    assert!(harness.query_by_label_contains("Search “").is_none(), "an exact code opens no list");

    // A name matching one area goes there (its grid cells, named after it, are not listed).
    harness.state_mut().apply(Command::Select(None));
    search_for(&mut harness, "龙井");
    let world = harness.state().world().expect("loaded");
    let community = world.jurisdictions.iter().position(|area| area.name == "龙井社区居委会").expect("the community");
    assert_eq!(harness.state().selection(), Some(Selection::Jurisdiction(community)));

    // A name several areas share: every one is listed; nothing is chosen for the user.
    harness.state_mut().apply(Command::Select(None));
    search_for(&mut harness, "镇");
    assert_eq!(harness.state().selection(), None, "several matches: nothing is chosen");
    harness.get_by_label_contains("Search “镇”");
    let world = harness.state().world().expect("loaded");
    let towns = world
        .jurisdictions
        .iter()
        .filter(|area| area.name.contains('镇') && area.kind == citygrid::model::JurisdictionKind::Township)
        .count();
    assert!(towns > 1);
    let township = world.jurisdictions.iter().position(|area| area.name == "岩寺镇").expect("the township");
    let line = format!("岩寺镇 · Township · {}", world.jurisdictions[township].code);
    harness.get_by_label(&line).click();
    harness.run_steps(3);
    assert_eq!(harness.state().selection(), Some(Selection::Jurisdiction(township)));

    // The serial painted on a part (its last six digits) lists every part ending so.
    let serial = &part_code[10..];
    let expected = parts.iter().filter(|part| part.code.to_string().ends_with(serial) || part.code.to_string().starts_with(serial)).count();
    search_for(&mut harness, serial);
    if expected > 1 {
        harness.get_by_label_contains(&format!("Parts ({expected})"));
        harness.get_by_label_contains(&format!("{part_code} · ")).click();
        harness.run_steps(3);
    }
    assert_eq!(harness.state().selection(), Some(Selection::Part(code)));

    // Words of a case's description: the cases are listed, newest first, and all of them can go
    // to the case list.
    let book = harness.state().cases();
    let word: String = book
        .cases()
        .iter()
        .find(|case| case.description.chars().count() >= 4)
        .expect("a description")
        .description
        .chars()
        .take(3)
        .collect();
    let matching = book.matching(&word).count();
    assert!(matching > 1, "{word} matches {matching} cases");
    search_for(&mut harness, &word);
    harness.get_by_label_contains(&format!("Cases ({matching})"));
    harness.get_by_label(&format!("List all {matching} in the case list")).click();
    harness.run_steps(3);
    assert_eq!(harness.state_mut().case_list_rows().len(), matching);

    search_for(&mut harness, "no such place");
    harness.get_by_label("Not found");
    assert!(harness.query_by_label_contains("Search “").is_none());
}

/// A real MBTiles file of solid-colour PNG tiles over the district, zooms 8–12.
fn solid_mbtiles(path: &std::path::Path, rgb: [u8; 3]) {
    let conn = rusqlite::Connection::open(path).expect("create mbtiles");
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         INSERT INTO metadata VALUES ('name', 'Test basemap'), ('format', 'png'), ('minzoom', '8'), ('maxzoom', '12'),
                                     ('attribution', 'Test tiles');",
    )
    .expect("schema");
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(256, 256, image::Rgba([rgb[0], rgb[1], rgb[2], 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    for zoom in 8u32..=12 {
        let tiles = 1u32 << zoom;
        let column = |lon: f64| ((lon + 180.0) / 360.0 * f64::from(tiles)) as u32;
        let row = |lat: f64| {
            let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0;
            (y * f64::from(tiles)) as u32
        };
        for x in column(117.6)..=column(119.0) {
            for y in row(30.5)..=row(29.3) {
                let tms_row = tiles - 1 - y;
                conn.execute("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", rusqlite::params![zoom, x, tms_row, png]).expect("tile");
            }
        }
    }
}

#[test]
fn an_offline_mbtiles_basemap_is_drawn_under_the_layers_even_beyond_its_max_zoom() {
    let (_dir, path, _) = common::small_demo(3_000, 20);
    let tiles = path.with_file_name("basemap.mbtiles");
    let colour = [40u8, 90, 160];
    solid_mbtiles(&tiles, colour);
    let mut harness =
        harness_for(&path, Some(&tiles), [1200, 800], Lang::En, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    assert!(matches!(harness.state().basemap(), Some(Ok(_))), "the basemap opened");
    assert_eq!(harness.state().settings().basemap.as_deref(), Some(tiles.as_path()), "an opened basemap is remembered");
    harness.get_by_label("Test basemap");
    // The case desk under the map is folded away so the map fills the window.
    harness.get_by_label("Hide case desk").click();
    harness.run_steps(2);
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    for zoom in [11.0, 16.0] {
        // 16 is beyond the file's max zoom 12: the z12 tiles are stretched (overzoom).
        harness.state_mut().apply(Command::CenterAt { lon, lat, zoom });
        wait_for_tiles(&mut harness, Duration::from_secs(30));
        let image = harness.render().expect("render");
        let map_area = (400..800).flat_map(|x| (300..600).map(move |y| (x, y)));
        let total = 400 * 300;
        let tinted = map_area.filter(|(x, y)| {
            let pixel = image.get_pixel(*x, *y).0;
            (0..3).all(|channel| pixel[channel].abs_diff(colour[channel]) < 12)
        });
        let tinted = tinted.count();
        assert!(tinted * 2 > total, "zoom {zoom}: most of the map shows the basemap colour ({tinted} of {total} pixels)");
    }
}

#[test]
fn a_broken_basemap_file_is_reported_and_the_map_still_works() {
    let (_dir, path, _) = common::small_demo(1_000, 10);
    let tiles = path.with_file_name("broken.mbtiles");
    std::fs::write(&tiles, "not tiles").expect("write");
    let mut harness =
        harness_for(&path, Some(&tiles), [1200, 800], Lang::En, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.run_steps(2);
    assert!(matches!(harness.state().basemap(), Some(Err(_))));
    assert_eq!(harness.state().settings().basemap, None, "a broken basemap is not remembered");
    harness.get_by_label("The basemap could not be opened:");
    harness.get_by_label("Layers");
}

#[test]
fn the_shipped_demo_basemap_lies_under_the_urban_core() {
    let (_dir, path, _) = common::small_demo(20_000, 300);
    let basemap = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("basemaps/huizhou-demo.pmtiles");
    let mut harness =
        harness_for(&path, Some(&basemap), [1400, 900], Lang::Zh, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.get_by_label("徽州区示意底图");
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    harness.state_mut().apply(Command::CenterAt { lon, lat, zoom: 15.5 });
    wait_for_tiles(&mut harness, Duration::from_secs(30));
    wait_for_tiles(&mut harness, Duration::from_secs(60));
    harness.snapshot("urban_core_basemap_zh");
}

#[test]
fn the_layer_tree_switches_a_whole_major_class_off_and_on() {
    let (_dir, mut harness) = open(Lang::En);
    harness.get_by_label("04 Greening").click();
    harness.run_steps(2);
    let hidden = harness.state().settings().layers.hidden_part_classes.clone();
    assert!(hidden.contains("0402") && hidden.contains("0405"), "street trees and green spaces are hidden: {hidden:?}");
    assert!(!hidden.contains("0118"), "street lamps stay");
    assert!(!harness.state().settings().layers.shows_part_class(4, 2));
    harness.get_by_label("04 Greening").click();
    harness.run_steps(2);
    assert!(harness.state().settings().layers.hidden_part_classes.is_empty());
}

/// The shipped demo basemap, as the menu lists it.
fn demo_basemap() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("basemaps/huizhou-demo.pmtiles")
}

/// The real app on a small demo database with the shipped demo basemap open.
fn open_with_demo_basemap(lang: Lang) -> (tempfile::TempDir, Harness<'static, CitygridApp>) {
    let (dir, path, _) = common::small_demo(3_000, 20);
    let mut harness =
        harness_for(&path, Some(&demo_basemap()), [1400, 900], lang, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.run_steps(2);
    // The basemap's name from the file's metadata, in the seat's language (`name:en`).
    harness.get_by_label(if lang == Lang::En { "Huizhou District schematic basemap" } else { "徽州区示意底图" });
    (dir, harness)
}

/// A `{z}/{x}/{y}` tile folder with one solid PNG tile at zoom 0, named in its `metadata.json`.
fn tiny_tile_folder(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let root = dir.join("tiny-tiles");
    std::fs::create_dir_all(root.join("0").join("0")).expect("tile folders");
    image::RgbaImage::from_pixel(256, 256, image::Rgba([200, 120, 40, 255])).save(root.join("0/0/0.png")).expect("tile");
    std::fs::write(root.join("metadata.json"), format!(r#"{{"name": "{name}", "attribution": "Tiny tiles"}}"#)).expect("metadata");
    root
}

/// Picks `entry` in the basemap menu.
fn pick_basemap(harness: &mut Harness<'static, CitygridApp>, menu: &str, entry: &str) {
    harness.get_by_label(menu).click();
    harness.run_steps(2);
    harness.get_by_label(entry).click();
    harness.run_steps(3);
}

/// Picks the local file entry of the basemap menu, types `path` into the path field it shows
/// and presses its open button.
fn open_typed_path(harness: &mut Harness<'static, CitygridApp>, lang: Lang, path: &std::path::Path) {
    let (menu, entry, field, button) = match lang {
        Lang::Zh => ("选择底图", "打开本机文件…", "底图文件路径", "打开"),
        Lang::En => ("Choose basemap", "Open a local file…", "Basemap file path", "Open"),
    };
    pick_basemap(harness, menu, entry);
    harness.get_by_label(field).click();
    harness.run_steps(1);
    harness.get_by_label(field).type_text(path.to_str().expect("UTF-8 path"));
    harness.run_steps(1);
    harness.get_by_label(button).click();
    harness.run_steps(2);
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.run_steps(3);
}

#[test]
fn the_basemap_switches_from_the_demo_to_a_typed_tile_folder_and_back_through_the_menu() {
    let (dir, mut harness) = open_with_demo_basemap(Lang::Zh);
    let folder = tiny_tile_folder(dir.path(), "小样瓦片");
    // The menu lists the demo, the online maps and a custom URL.
    harness.get_by_label("选择底图").click();
    harness.run_steps(2);
    for entry in ["离线示意底图", "打开本机文件…", "OpenStreetMap", "天地图矢量", "天地图影像", "自定义 URL"] {
        harness.get_by_label(entry);
    }
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);

    open_typed_path(&mut harness, Lang::Zh, &folder);
    harness.get_by_label("小样瓦片");
    assert!(harness.query_by_label("底图文件路径").is_none(), "the path field closes once the file has opened");
    assert!(harness.query_by_label("徽州区示意底图").is_none(), "the demo basemap was closed");
    harness.get_by_label("缩放级别 0–0");
    let settings = harness.state().settings();
    let opened = citygrid::map::basemap_choice::BasemapChoice::Offline { path: folder.clone() };
    assert_eq!(settings.basemap_choice.as_ref(), Some(&opened), "the opened folder is remembered");
    assert_eq!(settings.recent_offline, vec![folder.clone()]);

    // Back to the demo through the menu, where the folder is now listed as a recent file.
    harness.get_by_label("选择底图").click();
    harness.run_steps(2);
    harness.get_by_label("tiny-tiles");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    pick_basemap(&mut harness, "选择底图", "离线示意底图");
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.run_steps(3);
    harness.get_by_label("徽州区示意底图");
    assert!(harness.query_by_label("小样瓦片").is_none());
    assert_eq!(harness.state().settings().recent_offline, vec![folder], "the demo is not listed twice");
}

#[test]
fn tianditu_without_a_key_asks_for_one_and_keeps_the_basemap_until_a_key_is_entered() {
    use citygrid::map::basemap_choice::BasemapChoice;
    let (_dir, mut harness) = open_with_demo_basemap(Lang::En);
    pick_basemap(&mut harness, "Choose basemap", "Tianditu vector");
    assert!(!harness.state().is_opening_basemap(), "nothing is opened without a key");
    assert_eq!(harness.state().basemap_problem(), Some(&citygrid::session::BasemapProblem::MissingTiandituKey));
    harness.get_by_label_contains("Tianditu needs a key");
    harness.get_by_label_contains("服务端 (server) key");
    harness.get_by_label("The map keeps the previous basemap.");
    harness.get_by_label("Huizhou District schematic basemap");
    assert!(matches!(harness.state().basemap_choice(), Some(BasemapChoice::Offline { .. })));
    assert!(matches!(harness.state().basemap(), Some(Ok(_))), "the demo basemap stays on the map");

    // Hide the basemap layer so the test asks no server for tiles, then enter a key: Tianditu
    // opens (opening reaches no server) and replaces the demo.
    harness.get_by_label("Huizhou District schematic basemap").click();
    harness.run_steps(2);
    assert!(!harness.state().settings().layers.basemap);
    let key = "0123456789abcdef0123456789abcdef";
    harness.get_by_label("Tianditu key").click();
    harness.run_steps(1);
    harness.get_by_label("Tianditu key").type_text(key);
    harness.run_steps(1);
    harness.get_by_label("Apply").click();
    harness.run_steps(2);
    harness.state_mut().wait_for_basemap(Duration::from_secs(30));
    harness.run_steps(3);
    assert_eq!(harness.state().settings().tianditu_key, key);
    assert_eq!(harness.state().basemap_choice(), Some(&BasemapChoice::TiandituVector));
    assert_eq!(harness.state().settings().basemap_choice, Some(BasemapChoice::TiandituVector));
    assert_eq!(harness.state().basemap_problem(), None);
    harness.get_by_label("天地图 矢量 / Tianditu vector");
    harness.get_by_label("online");
    let shown = harness.get_by_label("Tianditu key").value().unwrap_or_default();
    assert!(!shown.contains(key), "the key field shows the key masked: {shown:?}");
}

#[test]
fn a_basemap_path_that_does_not_exist_is_named_in_the_error_and_the_old_basemap_stays() {
    let (dir, mut harness) = open_with_demo_basemap(Lang::En);
    let missing = dir.path().join("没有这个底图.pmtiles");
    open_typed_path(&mut harness, Lang::En, &missing);
    harness.get_by_label("The basemap could not be opened:");
    harness.get_by_label_contains(&missing.display().to_string());
    harness.get_by_label("The map keeps the previous basemap.");
    harness.get_by_label("Huizhou District schematic basemap");
    assert!(matches!(harness.state().basemap(), Some(Ok(_))), "the demo basemap stays on the map");
    let settings = harness.state().settings();
    assert!(
        matches!(&settings.basemap_choice, Some(citygrid::map::basemap_choice::BasemapChoice::Offline { path }) if *path != missing),
        "the missing file is not remembered"
    );
    assert!(settings.recent_offline.is_empty());
    let typed = harness.get_by_label("Basemap file path").value().unwrap_or_default();
    assert_eq!(typed, missing.display().to_string(), "the path stays in its field, to be corrected");
}

#[test]
fn the_layer_panel_has_a_legend_for_the_part_density_grid() {
    let (_dir, harness) = open(Lang::En);
    harness.get_by_label("Parts per cell (share of the fullest)");
    for stop in ["1%", "10%", "50%", "100%"] {
        harness.get_by_label(stop);
    }
    harness.get_by_label("Single parts show from zoom 17");
}

/// A password an administrator set must be changed before the desk opens; the shared demo
/// password is shown on the demo district only; a seat whose clock is behind the newest step
/// is warned when it signs in.
#[test]
fn a_reset_password_is_changed_first_and_a_slow_clock_is_warned() {
    let (_dir, path, _) = common::small_demo(2_000, 60);
    {
        let mut store = citygrid::store::Store::open(&path).expect("open");
        let admin = store.authenticate("admin", citygrid::demo::DEMO_PASSWORD).expect("admin");
        let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("dispatch1");
        store.set_password(&admin, dispatcher.id, "temporary pass").expect("reset");
        // No longer the demo district: its shared password is not shown.
        let conn = rusqlite::Connection::open(&path).expect("raw");
        conn.execute("DELETE FROM citygrid_meta WHERE key = 'demo'", []).expect("unmark");
    }
    // The seat's clock is a day behind the demo's newest step.
    let slow = common::as_of() - chrono::TimeDelta::days(1);
    let mut harness = harness(&path, None, [1400, 900], Lang::Zh, Some(slow));
    wait_until_loaded(&mut harness, Duration::from_secs(120)).expect("loads");
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("密码均为").is_none(), "the demo password is not shown for another district");
    harness.state_mut().sign_in_blocking("dispatch1", "temporary pass", Duration::from_secs(30)).expect("signs in");
    harness.run_steps(3);
    harness.get_by_label("请先修改密码");
    assert!(harness.query_by_label("图层").is_none(), "the desk stays closed until the password is changed");
    harness.get_by_label("新密码").click();
    harness.run_steps(1);
    harness.get_by_label("新密码").type_text("my own password");
    harness.get_by_label("再输入一次").click();
    harness.run_steps(1);
    harness.get_by_label("再输入一次").type_text("my own password");
    harness.run_steps(1);
    harness.get_by_label("修改密码").click();
    let started = std::time::Instant::now();
    while harness.state().user().is_some_and(|user| user.must_change_password) && started.elapsed() < Duration::from_secs(30) {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(3);
    harness.get_by_label("图层");
    harness.get_by_label_contains("密码已修改");
    let store = citygrid::store::Store::open(&path).expect("open");
    assert!(!store.authenticate("dispatch1", "my own password").expect("the new password works").must_change_password);
    drop(store);
    // Signing in again from the slow seat: warned about its clock.
    harness.state_mut().apply(Command::SignOut);
    harness.run_steps(2);
    harness.state_mut().sign_in_blocking("dispatch1", "my own password", Duration::from_secs(30)).expect("signs in");
    harness.run_steps(3);
    harness.get_by_label_contains("本机时钟比数据库中最新一步");
}

/// Issue 22 (6): Ctrl+F puts the cursor in the top bar's search box, from anywhere on the desk,
/// even while another text field (the case list's search) has the focus.
#[test]
fn ctrl_f_focuses_the_search_box() {
    use egui_kittest::kittest::NodeT as _;
    let (_dir, path, _) = common::small_demo(500, 20);
    let mut seat = harness_for(&path, None, [1400, 900], Lang::En, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    let focused = |seat: &Harness<'static, CitygridApp>| {
        seat.query_all_by_role(egui::accesskit::Role::TextInput).map(|node| node.accesskit_node().is_focused()).collect::<Vec<_>>()
    };
    assert_eq!(focused(&seat).first(), Some(&false));
    seat.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    seat.run_steps(3);
    assert_eq!(focused(&seat).first(), Some(&true), "from the map: {:?}", focused(&seat));
    seat.key_press(egui::Key::Escape);
    seat.run_steps(2);
    // From the list's own search field.
    seat.query_all_by_role(egui::accesskit::Role::TextInput).nth(1).expect("the list's search").click();
    seat.run_steps(2);
    seat.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    seat.run_steps(3);
    assert_eq!(focused(&seat).first(), Some(&true), "the top bar's search has the focus: {:?}", focused(&seat));
}

/// Issue 22 (3): the default order follows its header, 剩余时间 (time left): running clocks
/// first, least time left (most overdue) on top; the other direction reverses them, and the cases
/// whose clock does not run stay below in both.
#[test]
fn the_time_left_column_orders_by_the_time_left_and_finished_cases_stay_below() {
    use citygrid::desk::shown_minutes_left;
    let (_dir, path, _) = common::small_demo(1_000, 300);
    let mut seat = harness_for(&path, None, [1500, 950], Lang::En, Some(common::as_of()), Duration::from_secs(120)).expect("loads");
    seat.get_by_label("All cases").click();
    seat.run_steps(3);
    // (the clock the column shows runs, its minutes left, the case is open)
    let order = |seat: &mut Harness<'static, CitygridApp>| -> Vec<(bool, i64, bool)> {
        let rows = seat.state_mut().case_list_rows();
        let book = seat.state().cases();
        rows.iter()
            .map(|position| {
                let status = book.status(*position).expect("status");
                let left = shown_minutes_left(status);
                (left.is_some(), left.unwrap_or_default(), book.get(*position).expect("case").state.is_open())
            })
            .collect()
    };
    let ascending = order(&mut seat);
    let timed = ascending.iter().take_while(|(timed, ..)| *timed).count();
    assert!(timed > 10 && timed < ascending.len(), "cases with a clock first ({timed} of {})", ascending.len());
    assert!(ascending[..timed].windows(2).all(|pair| pair[0].1 <= pair[1].1), "least time left first");
    assert!(ascending[timed..].iter().all(|(timed, ..)| !timed));
    seat.get_by_label("Time left ↑").click();
    seat.run_steps(3);
    let descending = order(&mut seat);
    assert!(descending[..timed].iter().all(|(timed, ..)| *timed), "cases without a clock do not come to the top");
    assert!(descending[..timed].windows(2).all(|pair| pair[0].1 >= pair[1].1), "most time left first");
    let closed_without_clock = descending.iter().position(|(timed, _, open)| !timed && !open).expect("finished cases");
    assert!(closed_without_clock >= timed, "finished cases stay below");
}
