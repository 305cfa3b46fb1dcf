//! `citygrid bench fuzz`: every reader of bytes from outside, fed mutated inputs for a while.
//!
//! The toolchain here is stable Rust only, so this is not libFuzzer: it is a mutation fuzzer
//! with a crude feedback signal. Each target starts from a seed corpus (real files from
//! `tests/data`, files made here, and the hostile cases the issues named: a 9000×1 tile, an
//! image header claiming 60000×60000 pixels, a PMTiles directory claiming a billion entries, a
//! recursive view in a GeoPackage and an MBTiles file, a 20-digit case number); each input is
//! one to eight mutations of a corpus entry (bit flips, bytes set to boundary values, inserted,
//! deleted or duplicated runs, splices of two entries, truncation). An input whose outcome (ok,
//! or the start of its error message) was not seen before joins the corpus.
//!
//! A panic is a failure: its input is written to the crash folder. Every input is timed: one
//! over [`SLOW`] is a failure too. Peak memory of the process is reported.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use geo::{line_string, polygon};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use crate::map::tile_sources::{MbTiles, PmTiles, PmTilesWriter, TileFormat, TileKey, TileSource, TileSourceInfo};

/// An input taking longer than this is a failure.
pub const SLOW: Duration = Duration::from_secs(5);
/// Corpus entries kept per target.
const MAX_CORPUS: usize = 256;
/// Largest input made by mutation.
const MAX_INPUT: usize = 1 << 20;

/// One reader under test.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub what: &'static str,
}

pub const TARGETS: [Target; 9] = [
    Target { name: "gpkg-blob", what: "GeoPackage geometry blobs (store::gpkg::geometry_from_blob)" },
    Target { name: "geojson", what: "GeoJSON files: inspect and read every feature" },
    Target { name: "csv", what: "CSV files (UTF-8 and GBK): inspect and read every row" },
    Target { name: "shp", what: "shapefile geometry records (.shp, with its .shx/.dbf/.prj/.cpg)" },
    Target { name: "dbf", what: "DBF attribute records (.dbf, with its .shp/.shx/.prj/.cpg)" },
    Target { name: "gpkg", what: "GeoPackage files being imported: inspect and read" },
    Target { name: "pmtiles", what: "PMTiles header, directories and tiles" },
    Target { name: "mbtiles", what: "MBTiles files: open, metadata, tiles" },
    Target { name: "tile-image", what: "tile and photo images (untrusted::decode_image)" },
];

/// What a run of one target found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FuzzReport {
    pub target: String,
    pub seconds: f64,
    pub execs: u64,
    pub corpus: usize,
    /// Distinct outcomes seen (ok, and each kind of error).
    pub outcomes: usize,
    pub slowest_ms: f64,
    pub peak_memory_mb: f64,
    /// Inputs that panicked, written to the crash folder.
    pub panics: Vec<String>,
    /// Inputs slower than [`SLOW`], written to the crash folder.
    pub slow: Vec<String>,
}

impl FuzzReport {
    #[must_use]
    pub fn text(&self) -> String {
        let rate = if self.seconds > 0.0 { self.execs as f64 / self.seconds } else { 0.0 };
        let mut text = format!(
            "{:<11} {:>6.0} s {:>9} inputs ({:>7.0}/s), corpus {:>3}, {:>3} outcomes, slowest {:>7.1} ms, peak {:>6.0} MB, {} panics, {} slow\n",
            self.target,
            self.seconds,
            self.execs,
            rate,
            self.corpus,
            self.outcomes,
            self.slowest_ms,
            self.peak_memory_mb,
            self.panics.len(),
            self.slow.len()
        );
        for found in self.panics.iter().chain(&self.slow) {
            text.push_str(&format!("  {found}\n"));
        }
        text
    }
}

fn data(name: &str) -> Option<Vec<u8>> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import").join(name)).ok()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let image = image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
    let _ = image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png);
    bytes
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 40]));
    let _ = image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg);
    bytes
}

/// A small PMTiles archive of PNG tiles, zooms 0–2.
fn pmtiles_seed(scratch: &Path) -> Option<Vec<u8>> {
    let info = TileSourceInfo {
        name: "seed".into(),
        attribution: String::new(),
        english: None,
        min_zoom: 0,
        max_zoom: 2,
        tile_size_px: 256,
        format: TileFormat::Png,
        bounds: None,
    };
    let mut writer = PmTilesWriter::new(info);
    let tile = png(8, 8);
    for zoom in 0..=2u8 {
        for x in 0..(1u32 << zoom) {
            for y in 0..(1u32 << zoom) {
                writer.add_tile(TileKey { zoom, x, y }, tile.clone());
            }
        }
    }
    let path = scratch.join("seed.pmtiles");
    writer.write(&path).ok()?;
    std::fs::read(path).ok()
}

/// An SQLite file made by `sql`.
fn sqlite_seed(scratch: &Path, name: &str, sql: &str, tile: &[u8]) -> Option<Vec<u8>> {
    let path = scratch.join(name);
    let _ = std::fs::remove_file(&path);
    let conn = rusqlite::Connection::open(&path).ok()?;
    conn.execute_batch(sql).ok()?;
    conn.execute("UPDATE tiles_table SET tile_data = ?1", [tile]).ok();
    drop(conn);
    std::fs::read(path).ok()
}

const MBTILES_SQL: &str = "
CREATE TABLE metadata (name TEXT, value TEXT);
INSERT INTO metadata VALUES ('name', 'seed'), ('format', 'png'), ('minzoom', '0'), ('maxzoom', '1');
CREATE TABLE tiles_table (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
INSERT INTO tiles_table VALUES (0, 0, 0, x''), (1, 0, 0, x''), (1, 1, 1, x'');
CREATE VIEW tiles AS SELECT * FROM tiles_table;";

const RECURSIVE_MBTILES_SQL: &str = "
CREATE TABLE metadata (name TEXT, value TEXT);
CREATE TABLE tiles_table (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE VIEW tiles AS WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n)
  SELECT 0 AS zoom_level, 0 AS tile_column, 0 AS tile_row, x'00' AS tile_data FROM n WHERE x < 0;";

/// The seed corpus of `target`: real files, files made here, and the hostile cases.
fn seeds(target: &str, scratch: &Path) -> Vec<Vec<u8>> {
    use crate::store::gpkg::blob_from_geometry;
    let mut seeds: Vec<Option<Vec<u8>>> = Vec::new();
    match target {
        "gpkg-blob" => {
            let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
            for geometry in [
                geo::Geometry::Point(geo::point!(x: 118.3, y: 29.8)),
                geo::Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]),
                geo::Geometry::Polygon(square.clone()),
                geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![square.clone(), square])),
            ] {
                seeds.push(Some(blob_from_geometry(&geometry)));
            }
            // Flagged empty, and an envelope claiming more bytes than there are.
            seeds.push(Some(vec![b'G', b'P', 0, 0b0001_0001, 0xE6, 0x10, 0, 0]));
            seeds.push(Some(vec![b'G', b'P', 0, 0b0000_1001, 0xE6, 0x10, 0, 0, 1, 2, 3]));
        }
        "geojson" => {
            for name in ["parts.geojson", "zones.geojson"] {
                seeds.push(data(name));
            }
            for name in [
                "malformed/syntax_error.geojson",
                "malformed/swapped.geojson",
                "malformed/self_intersection.geojson",
                "malformed/empty.geojson",
            ] {
                seeds.push(data(name));
            }
            seeds.push(Some(br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"BJBM":"341004011899999999999999"},"geometry":{"type":"Point","coordinates":[1e308,-1e308]}}]}"#.to_vec()));
        }
        "csv" => {
            for name in ["cases.csv", "cases_gbk.csv", "malformed/nan.csv"] {
                seeds.push(data(name));
            }
            // A 20-digit case-number serial, and a formula.
            seeds.push(Some(
                "case_no,subject,class_code,urgency,description,state,reported_at,lon,lat\n2026112599999999999999999999,event,0101,normal,=cmd|' /C calc'!A0,reported,2026-11-25 09:00,118.33,29.82\n"
                    .as_bytes()
                    .to_vec(),
            ));
        }
        "shp" => {
            for name in ["parts_gbk.shp", "malformed/dbf_lies.shp", "malformed/truncated.shp", "parts_cm.shp"] {
                seeds.push(data(name));
            }
        }
        "dbf" => {
            for name in ["parts_gbk.dbf", "malformed/dbf_lies.dbf", "malformed/truncated.dbf", "parts_cm.dbf"] {
                seeds.push(data(name));
            }
        }
        "gpkg" => {
            seeds.push(data("parts.gpkg"));
            // A GeoPackage whose layer is a view that never ends.
            seeds.push(sqlite_seed(
                scratch,
                "recursive.gpkg",
                "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
                 CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);
                 CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
                 CREATE VIEW lamps AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x AS fid, 'a' AS name FROM n;
                 INSERT INTO gpkg_contents VALUES ('lamps', 'attributes', 'lamps', 0);
                 CREATE TABLE tiles_table (tile_data BLOB);",
                &[],
            ));
        }
        "pmtiles" => {
            let seed = pmtiles_seed(scratch);
            if let Some(seed) = &seed {
                // The root directory claims a billion entries (a varint at the directory's start).
                let mut huge = seed.clone();
                let root_offset = u64::from_le_bytes(huge[8..16].try_into().unwrap_or_default()) as usize;
                if root_offset + 5 <= huge.len() {
                    huge[root_offset..root_offset + 5].copy_from_slice(&[0x80, 0x94, 0xEB, 0xDC, 0x03]);
                }
                seeds.push(Some(huge));
            }
            seeds.push(seed);
        }
        "mbtiles" => {
            seeds.push(sqlite_seed(scratch, "seed.mbtiles", MBTILES_SQL, &png(8, 8)));
            seeds.push(sqlite_seed(scratch, "wide.mbtiles", MBTILES_SQL, &png(9000, 1)));
            seeds.push(sqlite_seed(scratch, "recursive.mbtiles", RECURSIVE_MBTILES_SQL, &[]));
        }
        "tile-image" => {
            seeds.extend([
                Some(png(256, 256)),
                Some(jpeg(64, 64)),
                Some(png(9000, 1)),
                Some(crate::untrusted::png_claiming(60_000, 60_000)),
            ]);
        }
        _ => {}
    }
    seeds.into_iter().flatten().filter(|seed| !seed.is_empty()).collect()
}

/// Runs one input through `target`; `Err` is a refusal (fine), a panic is a failure.
fn exec(target: &str, input: &[u8], scratch: &Path) -> Result<(), String> {
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, String> {
        let path = scratch.join(name);
        std::fs::write(&path, bytes).map_err(|error| error.to_string())?;
        Ok(path)
    };
    let read_all = |path: &Path| -> Result<(), String> {
        let options = crate::io::SourceOptions::default();
        let inspection = crate::io::inspect(path, &options).map_err(|error| error.to_string())?;
        for layer in &inspection.layers {
            let options = crate::io::SourceOptions { layer: Some(layer.name.clone()), ..crate::io::SourceOptions::default() };
            crate::io::read_layer(path, &options, &mut |_| Ok(std::ops::ControlFlow::Continue(()))).map_err(|error| error.to_string())?;
        }
        Ok(())
    };
    let tiles = |source: &dyn TileSource| {
        for zoom in 0..=2u8 {
            for x in 0..(1u32 << zoom) {
                for y in 0..(1u32 << zoom) {
                    if let Ok(Some(bytes)) = source.read_tile(TileKey { zoom, x, y }) {
                        let _ = crate::untrusted::decode_image(&bytes, crate::map::basemap::MAX_TILE_SIDE);
                    }
                }
            }
        }
    };
    match target {
        "gpkg-blob" => crate::store::gpkg::geometry_from_blob(input).map(drop).map_err(|error| error.to_string()),
        "geojson" => read_all(&write("input.geojson", input)?),
        "csv" => read_all(&write("input.csv", input)?),
        "shp" | "dbf" => {
            let (base, ext) = if target == "shp" { ("parts_gbk", "shp") } else { ("parts_gbk", "dbf") };
            for other in ["shp", "shx", "dbf", "prj", "cpg"] {
                if other != ext
                    && let Some(bytes) = data(&format!("{base}.{other}"))
                {
                    write(&format!("input.{other}"), &bytes)?;
                }
            }
            read_all(&write(&format!("input.{ext}"), input)?)
        }
        "gpkg" => read_all(&write("input.gpkg", input)?),
        "pmtiles" => {
            let source = PmTiles::open(&write("input.pmtiles", input)?).map_err(|error| error.to_string())?;
            tiles(&source);
            Ok(())
        }
        "mbtiles" => {
            let path = write("input.mbtiles", input)?;
            let _ = std::fs::remove_file(scratch.join("input.mbtiles-wal"));
            let source = MbTiles::open(&path).map_err(|error| error.to_string())?;
            tiles(&source);
            Ok(())
        }
        "tile-image" => crate::untrusted::decode_image(input, crate::map::basemap::MAX_TILE_SIDE).map(drop),
        other => Err(format!("unknown target {other}")),
    }
}

/// A mutation of `corpus[pick]`: one to eight edits, sometimes a splice with another entry.
fn mutate(corpus: &[Vec<u8>], rng: &mut ChaCha8Rng) -> Vec<u8> {
    const INTERESTING: [u8; 8] = [0, 1, 0x7F, 0x80, 0xFF, b'0', b'"', b'\n'];
    let mut input = corpus[rng.random_range(0..corpus.len())].clone();
    for _ in 0..rng.random_range(1..=8) {
        let len = input.len();
        match rng.random_range(0..9) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                input[at] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.random_range(0..len);
                input[at] = INTERESTING[rng.random_range(0..INTERESTING.len())];
            }
            2 if len >= 4 => {
                // A 32-bit boundary value, either byte order.
                let at = rng.random_range(0..len - 3);
                let value: u32 = [0, 1, 0x7FFF_FFFF, 0x8000_0000, u32::MAX, 65_536][rng.random_range(0..6)];
                let bytes = if rng.random() { value.to_le_bytes() } else { value.to_be_bytes() };
                input[at..at + 4].copy_from_slice(&bytes);
            }
            3 => {
                let at = rng.random_range(0..=len);
                let run: Vec<u8> = (0..rng.random_range(1..32)).map(|_| rng.random()).collect();
                input.splice(at..at, run);
            }
            4 if len > 1 => {
                let from = rng.random_range(0..len);
                let to = (from + rng.random_range(1..64)).min(len);
                input.drain(from..to);
            }
            5 if len > 1 => {
                let from = rng.random_range(0..len);
                let to = (from + rng.random_range(1..256)).min(len);
                let run = input[from..to].to_vec();
                let at = rng.random_range(0..=input.len());
                input.splice(at..at, run);
            }
            6 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                if !other.is_empty() {
                    let cut = rng.random_range(0..=len);
                    let from = rng.random_range(0..other.len());
                    input.truncate(cut);
                    input.extend_from_slice(&other[from..]);
                }
            }
            7 if len > 0 => input.truncate(rng.random_range(0..len)),
            _ if len > 0 => {
                let at = rng.random_range(0..len);
                input[at] = rng.random();
            }
            _ => input.push(rng.random()),
        }
    }
    input.truncate(MAX_INPUT);
    input
}

/// The outcome's signature: ok, or the error's first words with numbers and paths blurred.
fn signature(outcome: &Result<(), String>) -> String {
    match outcome {
        Ok(()) => "ok".to_owned(),
        Err(message) => {
            let words: String = message.chars().filter(|c| !c.is_ascii_digit()).take(60).collect();
            words.replace(['/', '\\'], "")
        }
    }
}

/// The message of the panic being unwound (the hook keeps it instead of printing it).
static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

/// Runs `target` for `seconds`, writing failing inputs into `crashes`.
///
/// # Errors
/// The scratch or crash folder cannot be made.
pub fn fuzz(target: &str, seconds: f64, seed: u64, crashes: &Path) -> anyhow::Result<FuzzReport> {
    let scratch_dir = tempfile_dir()?;
    let scratch = scratch_dir.as_path();
    let mut corpus = seeds(target, scratch);
    anyhow::ensure!(!corpus.is_empty(), "no seeds for target {target:?}");
    // A statement on an untrusted SQLite file making no progress is cut after 0.3 s here, not 10 s.
    crate::untrusted::set_sqlite_stall(Duration::from_millis(300));
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|location| format!(" at {location}")).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        *PANIC_MESSAGE.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(format!("{message}{location}"));
    }));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen: HashSet<String> = HashSet::new();
    let mut report = FuzzReport { target: target.to_owned(), ..FuzzReport::default() };
    let started = Instant::now();
    let mut seeds_left: Vec<Vec<u8>> = corpus.clone();
    while started.elapsed().as_secs_f64() < seconds {
        // The seeds themselves first, then mutations.
        let input = seeds_left.pop().unwrap_or_else(|| mutate(&corpus, &mut rng));
        let began = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| exec(target, &input, scratch)));
        let took = began.elapsed();
        report.execs += 1;
        report.slowest_ms = report.slowest_ms.max(took.as_secs_f64() * 1_000.0);
        let save = |kind: &str| -> String {
            let name = format!("{target}-{kind}-{:016x}.bin", fxhash(&input));
            let _ = std::fs::create_dir_all(crashes);
            let _ = std::fs::write(crashes.join(&name), &input);
            name
        };
        match outcome {
            Err(_) => {
                let message = PANIC_MESSAGE.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take().unwrap_or_default();
                let name = save("panic");
                report.panics.push(format!("{name}: {message}"));
            }
            Ok(outcome) => {
                if took > SLOW {
                    let name = save("slow");
                    report.slow.push(format!("{name}: {} ms", took.as_millis()));
                }
                if seen.insert(signature(&outcome)) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
        }
    }
    std::panic::set_hook(previous_hook);
    crate::untrusted::set_sqlite_stall(crate::untrusted::SQLITE_STALL);
    report.seconds = started.elapsed().as_secs_f64();
    report.corpus = corpus.len();
    report.outcomes = seen.len();
    report.peak_memory_mb = super::peak_memory_mb();
    let _ = std::fs::remove_dir_all(scratch);
    Ok(report)
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("citygrid-fuzz-{}-{}", std::process::id(), fxhash(&rand::random::<[u8; 8]>())));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
