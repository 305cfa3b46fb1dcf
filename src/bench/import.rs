//! `citygrid bench import --features N`: writes N point parts as GeoJSON, a GeoPackage and a
//! shapefile into a temporary folder, imports each into a fresh demo-shaped database (the demo
//! district's reference data, jurisdictions and streets, no parts) and reports features per
//! second. The import is the real one: validation, duplicate checks, one transaction.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result};
use geo::{Coord, Geometry, Point};
use rusqlite::{Connection, params};

use crate::demo::{DemoOptions, write_demo};
use crate::io::{MappingProfile, OnIssue, Policy, Target, commit};
use crate::store::Store;
use crate::store::gpkg::blob_from_geometry;

/// The figures of one format.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormatFigures {
    pub format: String,
    pub file_mb: f64,
    pub write_file_s: f64,
    pub import_s: f64,
    pub features_per_s: f64,
    pub written: u64,
}

/// Everything `bench import` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportBench {
    pub features: usize,
    pub formats: Vec<FormatFigures>,
}

/// Point classes of the command manual the synthetic parts cycle through (each holds a
/// million serials, so codes never repeat).
const CLASSES: [(u8, u8); 6] = [(1, 1), (1, 2), (1, 3), (1, 18), (1, 17), (3, 5)];

/// The i-th synthetic part: code, name, lon/lat inside the demo district's urban core.
fn synthetic(index: usize) -> (String, String, Coord<f64>) {
    let (major, minor) = CLASSES[index % CLASSES.len()];
    let serial = index / CLASSES.len() + 1;
    let code = format!("341004{major:02}{minor:02}{serial:06}");
    // A cheap deterministic scatter (golden-ratio sequence) over 118.28–118.38 E, 29.80–29.88 N.
    let u = (index as f64 * 0.618_033_988_749_895).fract();
    let v = (index as f64 * 0.754_877_666_246_693).fract();
    (code, format!("部件{index}"), Coord { x: 118.28 + u * 0.10, y: 29.80 + v * 0.08 })
}

fn write_geojson(path: &Path, features: usize) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for index in 0..features {
        let (code, name, coord) = synthetic(index);
        let separator = if index + 1 == features { "" } else { "," };
        writeln!(
            out,
            "{{\"type\":\"Feature\",\"properties\":{{\"BJBM\":\"{code}\",\"MC\":\"{name}\",\"ZT\":\"完好\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{:.7},{:.7}]}}}}{separator}",
            coord.x, coord.y
        )?;
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(())
}

/// A minimal GeoPackage as GDAL writes one: the three metadata tables and one feature table.
fn write_geopackage(path: &Path, features: usize) -> Result<()> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
           organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS[\"WGS 84\"]', NULL);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '',
           last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
           srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('parts', 'features', 'parts', 4326);
         INSERT INTO gpkg_geometry_columns VALUES ('parts', 'geom', 'POINT', 4326, 0, 0);
         CREATE TABLE parts (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, BJBM TEXT, MC TEXT, ZT TEXT);",
    )?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO parts (geom, BJBM, MC, ZT) VALUES (?1, ?2, ?3, '完好')")?;
        for index in 0..features {
            let (code, name, coord) = synthetic(index);
            insert.execute(params![blob_from_geometry(&Geometry::Point(Point(coord))), code, name])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn write_shapefile(path: &Path, features: usize) -> Result<()> {
    let mut rows = (0..features).map(|index| {
        let (code, name, coord) = synthetic(index);
        (coord, vec![code, name, "完好".to_owned()])
    });
    crate::io::shapefile::write_point_shapefile(path, &[("BJBM", 16), ("MC", 24), ("ZT", 8)], &mut rows, "GBK")?;
    std::fs::write(
        path.with_extension("prj"),
        r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
    )?;
    Ok(())
}

fn file_size_mb(path: &Path) -> f64 {
    let siblings = ["shp", "shx", "dbf"];
    let bytes: u64 = if path.extension().is_some_and(|ext| ext == "shp") {
        siblings.iter().filter_map(|ext| std::fs::metadata(path.with_extension(ext)).ok()).map(|meta| meta.len()).sum()
    } else {
        std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
    };
    bytes as f64 / 1_048_576.0
}

/// Runs the benchmark; `log` gets progress lines.
///
/// # Errors
/// Files that cannot be written, or an import that fails.
pub fn import_bench(features: usize, log: impl Fn(&str)) -> Result<ImportBench> {
    let dir = std::env::temp_dir().join(format!("citygrid-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = run_formats(&dir, features, &log);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ImportBench { features, formats: result? })
}

/// Writes a source file of N synthetic parts.
type SourceWriter = fn(&Path, usize) -> Result<()>;

fn run_formats(dir: &Path, features: usize, log: &impl Fn(&str)) -> Result<Vec<FormatFigures>> {
    let writers: [(&str, &str, SourceWriter); 3] = [
        ("GeoJSON", "parts.geojson", write_geojson),
        ("GeoPackage", "parts.gpkg", write_geopackage),
        ("Shapefile", "parts.shp", write_shapefile),
    ];
    let options = DemoOptions { parts: 0, cases: 0, seed: 1, as_of: chrono::NaiveDateTime::default() };
    let mut figures = Vec::new();
    for (format, file, write) in writers {
        let source: PathBuf = dir.join(file);
        let started = Instant::now();
        write(&source, features)?;
        let write_file_s = started.elapsed().as_secs_f64();
        log(&format!("{format}: wrote {features} features ({:.1} MB) in {write_file_s:.1} s", file_size_mb(&source)));
        let db = dir.join(format!("{format}.gpkg"));
        write_demo(&db, &options, &mut |_| {}).with_context(|| format!("writing {}", db.display()))?;
        let mut store = Store::open(&db)?;
        let mut profile = MappingProfile { target: Target::Parts, ..MappingProfile::default() };
        profile.fields.insert("code".into(), "BJBM".into());
        profile.fields.insert("name".into(), "MC".into());
        profile.fields.insert("state".into(), "ZT".into());
        let started = Instant::now();
        let mut last_report = Instant::now();
        let admin = store.user_by_login("admin")?.context("the demo has an administrator")?;
        let report = commit(
            &mut store,
            &admin,
            &source,
            &profile,
            &Policy::all(OnIssue::Stop),
            &mut |progress| {
                if last_report.elapsed().as_secs_f64() >= 5.0 {
                    last_report = Instant::now();
                    log(&format!("{format}: {} features imported", progress.done));
                }
            },
            &AtomicBool::new(false),
        )
        .with_context(|| format!("importing {}", source.display()))?;
        let import_s = started.elapsed().as_secs_f64();
        drop(store);
        figures.push(FormatFigures {
            format: format.to_owned(),
            file_mb: file_size_mb(&source),
            write_file_s,
            import_s,
            features_per_s: report.accepted as f64 / import_s.max(1e-9),
            written: report.accepted,
        });
        for path in [db.clone(), db.with_extension("gpkg-wal"), db.with_extension("gpkg-shm")] {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(figures)
}

/// The figures as text.
#[must_use]
pub fn import_bench_text(bench: &ImportBench) -> String {
    let mut out = format!("import of {} point parts into a fresh demo-shaped database (one transaction each)\n", bench.features);
    for figures in &bench.formats {
        out.push_str(&format!(
            "{:<11} {:>8.1} MB  import {:>7.2} s  {:>10.0} features/s  ({} written; file written in {:.1} s)\n",
            figures.format, figures.file_mb, figures.import_s, figures.features_per_s, figures.written, figures.write_file_s
        ));
    }
    out
}

/// `bench import`: `features` point parts in each format.
pub struct Import {
    pub features: usize,
}

impl super::Bench for Import {
    type Figures = ImportBench;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<ImportBench> {
        let progress = std::cell::RefCell::new(progress);
        import_bench(self.features, |line| (progress.borrow_mut())(line))
    }

    fn text(figures: &ImportBench) -> String {
        import_bench_text(figures)
    }
}
