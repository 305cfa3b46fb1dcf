//! The map engine on a real demo database: levels of detail switch as designed, the previous
//! picture stays while a build is on its way, hidden classes and data changes rebuild only what
//! they touch, and identify picks the right feature in crowded spots.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use citygrid::map::ScreenTransform;
use citygrid::map::mercator_from_lonlat;
use citygrid::map::scene::{MapScene, SceneData, SceneKey, SceneLayers};
use citygrid::map::scene_build::{PartFilter, chunk_of};
use citygrid::model::{Part, PartGeometry};
use citygrid::session::{LayerVisibility, Selection, World, load_everything};
use citygrid::ui::Lang;
use citygrid::ui::map_view::MapView;
use egui::{Pos2, Rect, pos2, vec2};

/// One demo world shared by the tests (loading it is the slow part).
fn world() -> Arc<World> {
    static WORLD: OnceLock<(tempfile::TempDir, Arc<World>)> = OnceLock::new();
    let (_, world) = WORLD.get_or_init(|| {
        let (dir, path, _) = common::small_demo(40_000, 200);
        let (world, _) = load_everything(&path, common::as_of()).expect("loads");
        let world = Arc::new(world);
        (dir, world)
    });
    Arc::clone(world)
}

/// Every part of the shared world, read once from its file (the seat itself never holds them).
fn all_parts() -> &'static [Part] {
    static PARTS: OnceLock<Vec<Part>> = OnceLock::new();
    PARTS.get_or_init(|| world().parts.read_all().expect("the parts read"))
}

/// Reads the chunks a view shows, as the map's workers do before anything can be identified.
fn read_chunks(world: &World, transform: &ScreenTransform) {
    for tile in world.parts.tiles().tiles_in(transform.view_min, transform.view_max) {
        world.parts.chunk(tile).expect("a chunk read");
    }
}

fn screen() -> Rect {
    Rect::from_min_size(Pos2::ZERO, vec2(1600.0, 1000.0))
}

fn view_at(zoom: f64) -> ScreenTransform {
    let home = citygrid::demo::CORE_CENTRE;
    ScreenTransform::centred(mercator_from_lonlat(home.0, home.1), zoom, screen())
}

fn parts_only(filter: PartFilter) -> SceneLayers {
    SceneLayers { outlines: Vec::new(), streets: false, parts: Some(filter) }
}

/// Frames until everything wanted is built.
fn settle(scene: &mut MapScene, transform: &ScreenTransform, zoom: f64, layers: &SceneLayers) {
    let started = Instant::now();
    loop {
        let _ = scene.frame(transform, zoom, layers);
        if scene.is_settled() {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the scene did not settle: {:?}", scene.stats());
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn new_scene(world: &Arc<World>) -> MapScene {
    MapScene::new(Arc::clone(world) as Arc<dyn SceneData>, egui::Context::default())
}

#[test]
fn below_street_zoom_parts_are_a_density_grid_and_from_it_single_parts_per_chunk() {
    let world = world();
    let mut scene = new_scene(&world);
    let layers = parts_only(PartFilter::default());
    let filter = PartFilter::default().key();

    settle(&mut scene, &view_at(16.4), 16.4, &layers);
    assert!(scene.has(SceneKey::PartDensity { zoom: 16, filter }));
    assert!(scene.cached_keys().iter().all(|key| !matches!(key, SceneKey::PartDetail { .. })), "no single parts below zoom 17");
    let density_cells = scene.stats().drawn_features;
    assert!(density_cells > 10, "{density_cells} cells");

    let zoom = 17.2;
    settle(&mut scene, &view_at(zoom), zoom, &layers);
    let details: Vec<SceneKey> =
        scene.cached_keys().into_iter().filter(|key| matches!(key, SceneKey::PartDetail { band: 34, .. })).collect();
    assert!(!details.is_empty());
    // Every chunk in view is built, and the features drawn are the parts of those chunks.
    let transform = view_at(zoom);
    let tiles = world.parts.tiles().tiles_in(transform.view_min, transform.view_max);
    assert_eq!(details.len(), tiles.len());
    // The chunks read from the file hold exactly the parts anchored in them.
    let expected = all_parts()
        .iter()
        .filter(|part| {
            let anchor = citygrid::spatial::anchor_of(part);
            tiles.contains(&chunk_of(mercator_from_lonlat(anchor.x(), anchor.y())))
        })
        .count();
    let read: usize = tiles.iter().map(|tile| world.parts.chunk(*tile).expect("read").len()).sum();
    assert_eq!(read, expected);
    assert_eq!(scene.stats().drawn_features, expected);
    // A seat holds the parts it shows, not the district's (a fresh reader: the shared world's
    // cache also holds what the other tests read).
    let fresh = citygrid::session::StoredParts::new(world.location.clone(), &world.part_cells);
    for tile in &tiles {
        fresh.chunk(*tile).expect("read");
    }
    assert_eq!(fresh.cached_parts(), expected);
    assert!(expected < fresh.len(), "{expected} of {} parts held", fresh.len());

    // Points are sized per half zoom level: zoom 18.6 is band 37.
    settle(&mut scene, &view_at(18.6), 18.6, &layers);
    assert!(scene.cached_keys().iter().any(|key| matches!(key, SceneKey::PartDetail { band: 37, .. })));
}

#[test]
fn the_previous_picture_stays_while_the_next_level_is_built() {
    let world = world();
    let mut scene = new_scene(&world);
    let layers = parts_only(PartFilter::default());
    settle(&mut scene, &view_at(16.0), 16.0, &layers);

    // The first frame at street zoom has nothing of its own yet: it draws the density grid.
    let drawn = scene.frame(&view_at(17.5), 17.5, &layers);
    assert!(scene.stats().missing > 0);
    assert_eq!(drawn.len(), 1, "the density grid stands in");

    settle(&mut scene, &view_at(17.5), 17.5, &layers);
    let built = scene.stats().drawn;
    // Zooming further: the band-35 chunks stand in for band 38 until it is ready.
    let drawn = scene.frame(&view_at(19.0), 19.0, &layers);
    assert!(scene.stats().missing > 0);
    assert!(!drawn.is_empty() && drawn.len() <= built);
    settle(&mut scene, &view_at(19.0), 19.0, &layers);
    assert_eq!(scene.stats().missing, 0);
}

#[test]
fn a_hidden_class_is_left_out_of_new_builds() {
    let world = world();
    let mut scene = new_scene(&world);
    let zoom = 17.0;
    settle(&mut scene, &view_at(zoom), zoom, &parts_only(PartFilter::default()));
    let all = scene.stats().drawn_features;

    // Hide the commonest class in view.
    let transform = view_at(zoom);
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for tile in world.parts.tiles().tiles_in(transform.view_min, transform.view_max) {
        for part in &world.parts.chunk(tile).expect("read").parts {
            *counts.entry(part.code.class_code()).or_default() += 1;
        }
    }
    let (class, hidden) = counts.into_iter().max_by_key(|(_, count)| *count).expect("parts in view");
    let filter = PartFilter::from_codes(&[class]);
    settle(&mut scene, &transform, zoom, &parts_only(filter));
    assert_eq!(scene.stats().drawn_features, all - hidden);
}

#[test]
fn a_changed_part_rebuilds_only_its_chunk_and_the_density_grids() {
    let world = world();
    let mut scene = new_scene(&world);
    let layers = parts_only(PartFilter::default());
    settle(&mut scene, &view_at(16.0), 16.0, &layers);
    settle(&mut scene, &view_at(17.0), 17.0, &layers);
    let before: Vec<SceneKey> = scene.cached_keys();
    let details = before.iter().filter(|key| matches!(key, SceneKey::PartDetail { .. })).count();
    assert!(details >= 2, "needs several chunks in view, got {details}");

    let transform = view_at(17.0);
    let tile = world.parts.tiles().tiles_in(transform.view_min, transform.view_max)[0];
    let chunk = world.parts.chunk(tile).expect("read");
    assert!(chunk.anchors.iter().all(|anchor| chunk_of(*anchor) == tile));
    scene.invalidate_tiles(&[tile]);

    let after = scene.cached_keys();
    for key in &before {
        let kept = after.contains(key);
        match key {
            SceneKey::PartDetail { tile: of, .. } => assert_eq!(kept, *of != tile, "{key:?}"),
            SceneKey::PartDensity { .. } => assert!(!kept, "{key:?}"),
            _ => assert!(kept, "{key:?}"),
        }
    }
    // And it comes back.
    settle(&mut scene, &transform, 17.0, &layers);
    assert_eq!(scene.cached_keys().iter().filter(|key| matches!(key, SceneKey::PartDetail { .. })).count(), details);
}

fn identify(world: &World, transform: &ScreenTransform, zoom: f64, pointer: Pos2) -> Option<Selection> {
    let layers = LayerVisibility { cases: false, ..LayerVisibility::default() };
    let cases = citygrid::desk::CaseBook::empty();
    let view = MapView {
        world,
        cases: &cases,
        placing: false,
        dispute: None,
        topology: None,
        layers: &layers,
        selection: None,
        lang: Lang::Zh,
        now: common::as_of(),
        basemap_attribution: None,
        painter_part_limit: 0,
        painter_parts_min_zoom: 17.0,
        wall: false,
    };
    view.identify(transform, pointer, zoom)
}

#[test]
fn identify_picks_the_nearest_point_then_lines_then_polygons_in_crowded_spots() {
    let world = world();
    let zoom = 19.0;
    let screen_of = |transform: &ScreenTransform, lon: f64, lat: f64| transform.screen(mercator_from_lonlat(lon, lat));
    let mut checked_points = 0;
    let mut checked_lines = 0;
    let by_code = |code: citygrid::model::PartCode| all_parts().iter().find(|part| part.code == code).expect("a part");
    for part in all_parts().iter().step_by(97).take(400) {
        match &part.geometry {
            PartGeometry::Point(point) => {
                let transform = ScreenTransform::centred(mercator_from_lonlat(point.x(), point.y()), zoom, screen());
                let at = screen_of(&transform, point.x(), point.y());
                // Two points from its centre: the nearest point part, which is this one unless
                // another lies even closer.
                let pointer = at + vec2(2.0, 0.0);
                read_chunks(&world, &transform);
                let Some(Selection::Part(found)) = identify(&world, &transform, zoom, pointer) else {
                    panic!("nothing found at part {}", part.code);
                };
                let PartGeometry::Point(found_point) = by_code(found).geometry else {
                    panic!("a point must win over lines and polygons at part {}", part.code);
                };
                let distance = |p: geo::Point<f64>| screen_of(&transform, p.x(), p.y()).distance(pointer);
                assert!(distance(found_point) <= distance(*point) + 1e-3, "part {} lost to a farther one", part.code);
                if found == part.code {
                    checked_points += 1;
                }
            }
            PartGeometry::Line(line) => {
                // Half way along the middle segment, where no point part lies within 6 points.
                let middle = line.0.len() / 2;
                let (a, b) = (line.0[middle.saturating_sub(1)], line.0[middle]);
                let (lon, lat) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
                let transform = ScreenTransform::centred(mercator_from_lonlat(lon, lat), zoom, screen());
                let pointer = screen_of(&transform, lon, lat);
                let near_point = all_parts().iter().any(|other| match other.geometry {
                    PartGeometry::Point(p) => screen_of(&transform, p.x(), p.y()).distance(pointer) <= 6.0,
                    _ => false,
                });
                if near_point {
                    continue;
                }
                read_chunks(&world, &transform);
                let found = identify(&world, &transform, zoom, pointer);
                let Some(Selection::Part(found)) = found else { panic!("nothing found on line part {}", part.code) };
                assert!(
                    matches!(by_code(found).geometry, PartGeometry::Line(_)),
                    "a line must win over polygons on line part {}",
                    part.code
                );
                checked_lines += 1;
            }
            PartGeometry::Polygon(_) => {}
        }
    }
    assert!(checked_points > 50, "{checked_points}");
    assert!(checked_lines > 10, "{checked_lines}");
    // Below street zoom single parts are not identified (the density grid shows instead).
    let transform = view_at(15.0);
    let found = identify(&world, &transform, 15.0, pos2(800.0, 500.0));
    assert!(!matches!(found, Some(Selection::Part(_))));
}
