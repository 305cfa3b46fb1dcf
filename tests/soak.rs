//! The wall left running unattended: three simulated days on an accelerated clock (an hour a
//! step) over the demo basemap, with seats changing the database every two simulated hours.
//! After the first day everything is warm; from then on textures and memory stay flat, the
//! wall keeps up with the file and the clock keeps cycling the map through the district.

mod common;

use citygrid::bench::soak::{SoakOptions, soak_bench_text, soak_bench_with};
use citygrid::store::Store;

#[test]
fn three_simulated_days_on_the_wall_keep_memory_and_textures_flat() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let before = std::fs::read(&path).expect("reads the database");
    let basemap = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("basemaps/huizhou-demo.pmtiles");
    let options = SoakOptions { days: 3, render_every_hours: 3, ..SoakOptions::days(3) };
    let bench = soak_bench_with(&path, Some(&basemap), &options, |line| eprintln!("{line}")).expect("the soak runs");
    eprint!("{}", soak_bench_text(&bench));

    assert_eq!(bench.samples.len(), 3, "a sample at the end of every simulated day");
    let (first, last) = (bench.first_day(), bench.last_day());
    // The seats really changed the file, and the wall followed every change.
    assert!(bench.steps_applied > 0 && bench.reported > 0, "the seats acted: {} steps, {} reports", bench.steps_applied, bench.reported);
    assert!(bench.step_errors.is_empty() && bench.steps_locked == 0, "{:?}, {} locked", bench.step_errors, bench.steps_locked);
    assert!(bench.book_matches_file, "at the end the wall's book holds the file's cases at their revisions");
    assert!(last.cases > first.cases, "new cases reached the wall: {} → {}", first.cases, last.cases);
    // The clock-based cycling moved the map through several views.
    assert!(bench.map_moves >= 3 && bench.map_views >= 3, "{} moves through {} views", bench.map_moves, bench.map_views);
    // Nothing grows without bound once warm.
    assert!(first.textures > 0, "egui's textures were counted");
    assert!(
        last.textures <= first.textures + 8,
        "textures after day 1: {}, at the end: {} (basemap tiles must be freed)",
        first.textures,
        last.textures
    );
    assert!(
        last.texture_mb <= first.texture_mb * 1.5 + 8.0,
        "texture memory after day 1: {:.1} MB, at the end: {:.1} MB",
        first.texture_mb,
        last.texture_mb
    );
    assert!(
        last.scene_cached_mb <= first.scene_cached_mb * 1.5 + 16.0,
        "the map scene's cache after day 1: {:.1} MB, at the end: {:.1} MB",
        first.scene_cached_mb,
        last.scene_cached_mb
    );
    assert!(
        last.memory_mb - first.memory_mb < 150.0,
        "resident memory after day 1: {:.0} MB, at the end: {:.0} MB",
        first.memory_mb,
        last.memory_mb
    );
    // The soak worked on a copy: the database given is untouched and its copy is gone.
    assert_eq!(std::fs::read(&path).expect("reads the database"), before, "the database given is not modified");
    let prefix = format!("citygrid-soak-{}-", std::process::id());
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .expect("lists the temporary directory")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "the copy was removed: {left:?}");
    let store = Store::open(&path).expect("opens");
    assert!(store.load_cases().expect("cases").iter().all(|case| !case.description.starts_with("模拟巡查上报")));
}
