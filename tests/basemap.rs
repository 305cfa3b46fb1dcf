//! The demo basemap is built from the project's own vector data, reproducibly, and reads back
//! through our PMTiles reader beyond walkers' z15 limit.

mod common;

use std::process::Command;

use citygrid::map::tile_sources::{PmTiles, TileKey, TileSource};

fn build(db: &std::path::Path, out: &std::path::Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .arg("--db")
        .arg(db)
        .args(["basemap", "build", "--region-max-zoom", "10", "--core-max-zoom", "16", "--out"])
        .arg(out)
        .status()
        .expect("run citygrid basemap build");
    assert!(status.success());
}

#[test]
fn the_demo_basemap_is_reproducible_and_reaches_street_zoom() {
    let (dir, db, _) = common::small_demo(3_000, 5);
    let first = dir.path().join("first.pmtiles");
    let second = dir.path().join("second.pmtiles");
    build(&db, &first);
    build(&db, &second);
    assert_eq!(std::fs::read(&first).expect("read"), std::fs::read(&second).expect("read"), "same input, same bytes");
    let tiles = PmTiles::open(&first).expect("our reader opens it");
    let info = tiles.info();
    assert_eq!((info.min_zoom, info.max_zoom), (7, 16));
    assert!(info.attribution.contains("示意底图"), "it says it is a schematic demo basemap: {}", info.attribution);
    // The tile over the core centre at z16 exists and is not a blank sheet: streets are drawn.
    let (lon, lat) = citygrid::demo::CORE_CENTRE;
    let [x, y] = citygrid::map::mercator_from_lonlat(lon, lat);
    let key = TileKey::new(16, (x * 65_536.0) as u32, (y * 65_536.0) as u32).expect("key");
    let png = tiles.read_tile(key).expect("read").expect("the core tile exists");
    let image = image::load_from_memory(&png).expect("a PNG").to_rgba8();
    let colours: std::collections::BTreeSet<[u8; 4]> = image.pixels().map(|pixel| pixel.0).collect();
    assert!(colours.len() > 20, "the tile has drawing on it ({} colours)", colours.len());
}
