//! citygrid's own shapefile (GBK) and PMTiles readers against the `shapefile` and `pmtiles`
//! crates, on the same files, in the same run: time, and whether they read the same things.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

fn main() {
    let dir = std::env::temp_dir().join(format!("citygrid-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    shapefiles(&dir);
    pmtiles(Path::new("../../basemaps/huizhou-demo.pmtiles"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn shapefiles(dir: &Path) {
    const COUNT: usize = 1_000_000;
    let path = dir.join("parts.shp");
    let mut features = (0..COUNT).map(|index| {
        let coord = geo::coord! { x: 118.2 + (index % 1000) as f64 * 1e-4, y: 29.8 + (index / 1000) as f64 * 1e-4 };
        (coord, vec![format!("34100401{:08}", index), format!("岩寺镇井盖{index}号")])
    });
    citygrid::io::shapefile::write_point_shapefile(&path, &[("BJBM", 16), ("MC", 40)], &mut features, "GBK").expect("written");
    println!("shapefile: {COUNT} points, GBK attributes (BJBM, MC), .cpg says GBK");

    let started = Instant::now();
    let mut ours = (0usize, 0.0f64, 0usize, String::new());
    citygrid::io::read_layer(&path, &citygrid::io::SourceOptions::default(), &mut |feature| {
        if let Some(geo::Geometry::Point(point)) = &feature.geometry {
            ours.1 += point.x() + point.y();
        }
        let name = feature.attribute("MC").and_then(citygrid::io::Value::as_text).unwrap_or_default();
        ours.2 += name.chars().count();
        if ours.0 == 123_456 {
            ours.3 = name;
        }
        ours.0 += 1;
        Ok(ControlFlow::Continue(()))
    })
    .expect("ours reads");
    let ours_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut theirs = (0usize, 0.0f64, 0usize, String::new());
    let mut reader = shapefile::Reader::from_path(&path).expect("crate opens");
    for result in reader.iter_shapes_and_records() {
        let (shape, record) = result.expect("crate reads");
        if let shapefile::Shape::Point(point) = shape {
            theirs.1 += point.x + point.y;
        }
        let name = match record.get("MC") {
            Some(shapefile::dbase::FieldValue::Character(Some(text))) => text.trim().to_owned(),
            _ => String::new(),
        };
        theirs.2 += name.chars().count();
        if theirs.0 == 123_456 {
            theirs.3 = name;
        }
        theirs.0 += 1;
    }
    let theirs_s = started.elapsed().as_secs_f64();
    println!(
        "  citygrid: {:.2} s ({} features, {} name chars, feature 123456 named {:?})",
        ours_s, ours.0, ours.2, ours.3
    );
    println!(
        "  shapefile 0.8 + dbase (encoding_rs): {:.2} s ({} features, {} name chars, feature 123456 named {:?})",
        theirs_s, theirs.0, theirs.2, theirs.3
    );
    println!("  same coordinates: {}", (ours.1 - theirs.1).abs() < 1e-6);
}

fn pmtiles(path: &Path) {
    use citygrid::map::tile_sources::{TileKey, TileSource};
    let ours = citygrid::map::tile_sources::PmTiles::open(path).expect("ours opens");
    // Every tile of zooms 12–17 over the urban core (hits and misses), as the map asks for them.
    let mut keys = Vec::new();
    for zoom in 12u8..=17 {
        let n = 1u32 << zoom;
        let (lon, lat) = (118.33f64, 29.83f64);
        let x = ((lon + 180.0) / 360.0 * f64::from(n)) as u32;
        let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * f64::from(n)) as u32;
        for dx in 0..12u32 {
            for dy in 0..12u32 {
                if let Some(key) = TileKey::new(zoom, (x + dx).saturating_sub(6), (y + dy).saturating_sub(6)) {
                    keys.push(key);
                }
            }
        }
    }
    let rounds = 20;
    let started = Instant::now();
    let mut ours_bytes = 0usize;
    let mut ours_hits = 0usize;
    for _ in 0..rounds {
        for key in &keys {
            if let Some(bytes) = ours.read_tile(*key).expect("ours reads") {
                ours_bytes += bytes.len();
                ours_hits += 1;
            }
        }
    }
    let ours_s = started.elapsed().as_secs_f64();

    // The crate reads asynchronously (tokio); the map's tile workers are plain threads, so each
    // read is a block_on on a current-thread runtime, as a worker would have to do it.
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let reader = runtime.block_on(pmtiles::AsyncPmTilesReader::new_with_path(path)).expect("crate opens");
    let started = Instant::now();
    let mut theirs_bytes = 0usize;
    let mut theirs_hits = 0usize;
    for _ in 0..rounds {
        for key in &keys {
            let coord = pmtiles::TileCoord::new(key.zoom, key.x, key.y).expect("coord");
            if let Some(bytes) = runtime.block_on(reader.get_tile(coord)).expect("crate reads") {
                theirs_bytes += bytes.len();
                theirs_hits += 1;
            }
        }
    }
    let theirs_s = started.elapsed().as_secs_f64();
    // What a read is next to: decoding the tile, which the map does for every tile it shows.
    let started = Instant::now();
    let mut decoded = 0usize;
    for key in &keys {
        if let Some(bytes) = ours.read_tile(*key).expect("ours reads") {
            decoded += image::load_from_memory(&bytes).map(|image| image.width() as usize).unwrap_or(0).min(1);
        }
    }
    let decode_us = started.elapsed().as_secs_f64() * 1e6 / decoded.max(1) as f64;
    let reads = (keys.len() * rounds) as f64;
    println!("pmtiles: {} reads of {} keys (zooms 12–17 over the urban core) from basemaps/huizhou-demo.pmtiles", reads, keys.len());
    println!("  citygrid: {:.1} µs a read, {ours_hits} hits, {ours_bytes} bytes", ours_s * 1e6 / reads);
    println!("  pmtiles 0.23 (mmap-async-tokio, block_on per read): {:.1} µs a read, {theirs_hits} hits, {theirs_bytes} bytes", theirs_s * 1e6 / reads);
    println!("  decoding one of those tiles (PNG, image crate), as the map does: {decode_us:.0} µs ({decoded} tiles)");
}
