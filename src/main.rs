//! The `citygrid` command line: opens the app by default; `demo`, `screenshot`, `info`, `import`,
//! `basemap build` and `bench` subcommands do the rest.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use citygrid::demo::{DemoOptions, write_demo};
use citygrid::map::basemap_build::{BasemapInput, BasemapPlan};
use citygrid::store::Store;

/// Desktop GIS command centre for digital city management (数字化城市管理).
#[derive(Parser)]
#[command(name = "citygrid", version, about)]
struct Cli {
    /// Database to open (a citygrid GeoPackage). Default: the demo database in the platform data directory.
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Offline basemap: an .mbtiles or .pmtiles file, or a z/x/y tile folder. Remembered.
    #[arg(long, global = true)]
    basemap: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write a demo database of 徽州区 (real boundaries, synthetic streets, parts and cases).
    Demo {
        /// Where to write it; the file must not exist.
        #[arg(long)]
        out: PathBuf,
        /// Number of city parts.
        #[arg(long, default_value_t = 100_000)]
        parts: usize,
        /// Number of cases.
        #[arg(long, default_value_t = 300)]
        cases: usize,
        /// Random seed; the same seed and --as-of give the same database.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The demo's "now", China time, `YYYY-MM-DD HH:MM` (default: the current hour).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// The video wall (大屏): full screen, read-only, no sign-in; follows the database live.
    Wall {
        /// In a 1920×1080 window instead of full screen.
        #[arg(long)]
        windowed: bool,
        /// Move through focus areas (the district, each township, the hot spot) every minute.
        #[arg(long)]
        cycle: bool,
    },
    /// A simulated seat taking steps as fast as it can (the several-seats test).
    #[command(hide = true)]
    SeatSim {
        #[arg(long)]
        login: String,
        #[arg(long, default_value_t = 50)]
        steps: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The time the steps are taken at, `YYYY-MM-DD HH:MM`.
        #[arg(long)]
        now: String,
    },
    /// Render a view of the real app offscreen to a PNG.
    Screenshot {
        /// View to render: `map` (main window), `desk` (a case selected) or `wall`.
        #[arg(long, default_value = "map")]
        view: String,
        /// Window size, `WIDTHxHEIGHT`.
        #[arg(long, default_value = "1600x1000")]
        size: String,
        /// PNG to write.
        #[arg(long)]
        out: PathBuf,
        /// Interface language: `zh` or `en`.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// Map centre and zoom, `LON,LAT,ZOOM` (default: the whole district).
        #[arg(long)]
        center: Option<String>,
        /// The clock the view shows, China time `YYYY-MM-DD HH:MM` (default: now); e.g. the
        /// `--as-of` of a demo database.
        #[arg(long)]
        now: Option<String>,
    },
    /// Print the layers of a database with their feature counts.
    Info,
    /// The assessment of a period: CSV (UTF-8 with BOM: the district, then every unit ranked
    /// within its class), an XLSX workbook or the printable HTML notice (通报). Definitions in
    /// docs/INDICATORS.md.
    Report {
        /// `2026-11` (a month), `2026-Q4`, `2026` (a year), `2026-11-25` (a day) or
        /// `2026-11-01..2026-11-30` (days, both included).
        #[arg(long)]
        period: String,
        /// `csv`, `xlsx` (needs `--out`) or `html`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// File to write; standard output when left out.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Interface language of the headers and names: `zh` or `en`.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Export parts, jurisdictions or cases (with their deadline status) to GeoJSON, GeoPackage
    /// or CSV, chosen by the extension of --out. The file opens in QGIS and GDAL.
    Export {
        /// `parts`, `jurisdictions`, `cases`, or `all` (GeoPackage only).
        #[arg(long, default_value = "all")]
        layer: String,
        /// The file to write: `.geojson`, `.gpkg` or `.csv` (cases only). Replaced only when the
        /// export succeeds.
        #[arg(long)]
        out: PathBuf,
        /// Only jurisdictions of this kind: district, township, community, grid, unit_zone.
        #[arg(long)]
        kind: Option<String>,
        /// Only features meeting LON_MIN,LAT_MIN,LON_MAX,LAT_MAX (WGS84 degrees).
        #[arg(long)]
        bbox: Option<String>,
        /// Only parts and cases whose class code starts with this (`0101`, `01`).
        #[arg(long)]
        class: Option<String>,
        /// Only open cases.
        #[arg(long)]
        open: bool,
        /// Measure deadline statuses at this China time (`2026-11-25 09:30`); default now.
        #[arg(long)]
        now: Option<String>,
        /// CSV header row: `names` (field names) or `zh` (Chinese titles, for spreadsheets).
        #[arg(long, default_value = "names")]
        csv_header: String,
    },
    /// User accounts: list, add, set a password. Passwords are read from the first line of
    /// standard input with `--password-stdin`, else from the CITYGRID_PASSWORD variable.
    User {
        #[command(subcommand)]
        which: UserCommand,
    },
    /// Offline basemaps.
    Basemap {
        #[command(subcommand)]
        which: BasemapCommand,
    },
    /// Import a district's own data (GeoJSON, shapefile, GeoPackage, CSV) as parts,
    /// jurisdictions or cases; `--inspect` only shows what the file holds. Progress on stderr.
    Import(ImportArgs),
    /// Benchmarks that print their figures.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
}

/// `citygrid export`: reads the database like the app, measures deadlines, writes the file.
#[allow(clippy::too_many_arguments)]
fn export_command(
    path: &std::path::Path,
    layer: &str,
    out: &std::path::Path,
    kind: Option<String>,
    bbox: Option<String>,
    class: Option<String>,
    open: bool,
    now: Option<String>,
    csv_header: &str,
) -> Result<()> {
    use citygrid::io::export::{CsvHeader, ExportFormat, ExportWhat, Names, Selection, Sources, export, layers_for};
    use citygrid::model::Keyword as _;
    let what = ExportWhat::parse(layer).with_context(|| format!("--layer {layer:?}: use parts, jurisdictions, cases or all"))?;
    let format = ExportFormat::from_path(out)?;
    let csv_header = match csv_header {
        "names" => CsvHeader::Names,
        "zh" => CsvHeader::ChineseTitles,
        other => bail!("--csv-header {other:?}: use names or zh"),
    };
    let jurisdiction_kind = kind
        .map(|kind| {
            citygrid::model::JurisdictionKind::from_keyword(&kind)
                .with_context(|| format!("--kind {kind:?}: use district, township, community, grid or unit_zone"))
        })
        .transpose()?;
    let within = bbox
        .map(|text| {
            let values: Vec<f64> = text.split(',').filter_map(|value| value.trim().parse::<f64>().ok()).collect();
            match values[..] {
                [min_lon, min_lat, max_lon, max_lat] if min_lon < max_lon && min_lat < max_lat => {
                    Ok(geo::Rect::new((min_lon, min_lat), (max_lon, max_lat)))
                }
                _ => Err(anyhow::anyhow!("--bbox {text:?} is not LON_MIN,LAT_MIN,LON_MAX,LAT_MAX, e.g. 118.2,29.8,118.4,29.9")),
            }
        })
        .transpose()?;
    let now = now.as_deref().map(parse_as_of).transpose()?.unwrap_or_else(citygrid::calendar::china_now);
    let started = Instant::now();
    let (world, book) = citygrid::app::load_everything(path, now)?;
    let names = Names::new(&world.units, &world.manual);
    let cases = (0..book.len()).filter_map(|position| Some((book.get(position)?, book.status(position)?))).collect();
    let sources = Sources { parts: &world.parts, jurisdictions: &world.jurisdictions, cases };
    let selection = Selection { within, class_prefix: class, jurisdiction_kind, open_cases_only: open };
    let layers = layers_for(sources, what, &selection, format, &names);
    let mut next_report = 0.0;
    let summary = export(out, layers, csv_header, &mut |progress| {
        let share = progress.done as f64 / progress.total.max(1) as f64;
        if share >= next_report {
            eprint!("\rexporting… {:>3.0} % ({} / {})", share * 100.0, progress.done, progress.total);
            next_report = share + 0.1;
        }
        true
    })?;
    eprintln!();
    let layers: Vec<String> = summary.layers.iter().map(|(name, count)| format!("{name} {count}")).collect();
    println!("wrote {}: {} in {:.1} s", out.display(), layers.join(", "), started.elapsed().as_secs_f64());
    Ok(())
}

#[derive(Subcommand)]
enum UserCommand {
    /// Every account with its role and unit.
    List,
    /// A new account.
    Add {
        #[arg(long)]
        login: String,
        /// Display name (shown in the audit trail).
        #[arg(long)]
        name: String,
        /// intake, dispatcher, shift_leader, collector, unit_operator, committee or admin.
        #[arg(long)]
        role: String,
        /// Unit code (unit operators only), e.g. CGJ-SZ.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set or replace a password.
    Passwd {
        #[arg(long)]
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

/// The password for `user add` / `user passwd`: stdin's first line or CITYGRID_PASSWORD.
fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var("CITYGRID_PASSWORD")
        .map_err(|_| anyhow::anyhow!("give the password on standard input with --password-stdin, or in CITYGRID_PASSWORD"))
}

fn user_command(path: &std::path::Path, which: UserCommand) -> Result<()> {
    use citygrid::model::Keyword as _;
    let mut store = Store::open(path)?;
    match which {
        UserCommand::List => {
            let units = store.load_units()?;
            for user in store.load_users()? {
                let unit = user.unit.and_then(|id| units.iter().find(|unit| unit.id == id)).map_or("", |unit| unit.code.as_str());
                println!("{:<24} {:<14} {:<10} {}", user.login, user.role.keyword(), unit, user.display_name);
            }
        }
        UserCommand::Add { login, name, role, unit, password_stdin } => {
            let role = citygrid::model::Role::from_keyword(&role).with_context(|| {
                let known: Vec<&str> = citygrid::model::Role::ALL.iter().map(|role| role.keyword()).collect();
                format!("unknown role {role:?}; use one of {}", known.join(", "))
            })?;
            let unit = match unit {
                Some(code) => {
                    let units = store.load_units()?;
                    Some(
                        units
                            .iter()
                            .find(|unit| unit.code.eq_ignore_ascii_case(&code))
                            .map(|unit| unit.id)
                            .with_context(|| format!("no unit with code {code:?} in {}", path.display()))?,
                    )
                }
                None => None,
            };
            let password = read_password(password_stdin)?;
            let user = store.add_user(&login, &name, role, unit, &password)?;
            println!("added {} ({}) to {}", user.login, user.role.keyword(), path.display());
        }
        UserCommand::Passwd { login, password_stdin } => {
            let user = store.user_by_login(&login)?.with_context(|| format!("no account {login:?} in {}", path.display()))?;
            let password = read_password(password_stdin)?;
            store.set_password(user.id, &password)?;
            println!("password of {login} set");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
enum BasemapCommand {
    /// Draw the schematic demo basemap (PMTiles) from a demo database's streets, green spaces and
    /// boundaries, plus the rivers shipped in assets.
    Build {
        /// PMTiles file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        /// Deepest zoom for the whole of 黄山市.
        #[arg(long, default_value_t = 12)]
        region_max_zoom: u8,
        /// Deepest zoom for the urban core (where the streets are).
        #[arg(long, default_value_t = 17)]
        core_max_zoom: u8,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The file: .geojson/.json, .shp, .gpkg or .csv.
    file: PathBuf,
    /// Only show the layers, fields, sample rows, count and coordinate system.
    #[arg(long)]
    inspect: bool,
    /// What the features become: parts, jurisdictions or cases (default: the profile's).
    #[arg(long)]
    target: Option<String>,
    /// GeoPackage layer.
    #[arg(long)]
    layer: Option<String>,
    /// Mapping profile (JSON) to use instead of guessing from field names.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Write the profile used to this file, for the next delivery.
    #[arg(long)]
    save_profile: Option<PathBuf>,
    /// `target=source` field mappings, overriding the profile (`--map code=BJBM`).
    #[arg(long = "map", value_name = "TARGET=SOURCE")]
    maps: Vec<String>,
    /// `target=value` constants for unmapped targets (`--set kind=grid`).
    #[arg(long = "set", value_name = "TARGET=VALUE")]
    constants: Vec<String>,
    /// Coordinate system overriding what the file declares (`EPSG:4527`).
    #[arg(long)]
    crs: Option<String>,
    /// Attribute encoding overriding .cpg and guessing (`GBK`).
    #[arg(long)]
    encoding: Option<String>,
    /// CSV columns holding longitude/x and latitude/y (default: guessed from the header).
    #[arg(long)]
    x_field: Option<String>,
    #[arg(long)]
    y_field: Option<String>,
    /// What to do with features that have issues: stop (write nothing), skip, or fix (safe
    /// automatic fixes, skip the rest); per class too: `skip,geometry=fix,code=stop`
    /// (classes: geometry, coordinates, code, reference, value).
    #[arg(long, default_value = "stop")]
    on_issue: String,
    /// Validate and report without writing.
    #[arg(long)]
    dry_run: bool,
    /// How many issues to list.
    #[arg(long, default_value_t = 20)]
    show_issues: usize,
}

#[derive(Subcommand)]
enum Bench {
    /// The map engine: per-frame CPU time while panning at zooms 11–19 on 1920×1080 and
    /// 3840×2160 (GPU scene and the naive painter), identify latency, load time, peak memory.
    Map {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Jurisdictions: point look-up, boundary distance, near-boundary check and the topology
    /// check of 10,000 grid cells and of the database's own layers.
    Spatial {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The dispatch desk with a year of cases (the database's cases copied up to `--cases`):
    /// indexing, filtering and sorting, frames of the list while scrolling.
    #[command(alias = "desk")]
    Cases {
        /// How many cases to hold.
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The video wall left running on an accelerated clock (an hour a step) on a copy of the
    /// database while seats change it: resident memory, textures and the map cache per day.
    /// Uses `--basemap`, else the shipped demo basemap, as the wall does.
    Soak {
        /// Simulated days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The assessment over a year of cases: with `--real`, a real database built in a
    /// temporary folder (demo cases made through the workflow, copied over the year with their
    /// audit trails), timing `FactBook::load` and every kind of report and export; without it,
    /// synthetic facts in memory.
    Assess {
        /// How many cases.
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        /// Build and read a real SQLite database.
        #[arg(long)]
        real: bool,
        /// With `--real`: how many demo cases go through the workflow before being copied.
        #[arg(long, default_value_t = 2_000)]
        seed_cases: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import N point parts as GeoJSON, GeoPackage and shapefile into fresh databases.
    Import {
        /// How many features.
        #[arg(long, default_value_t = 1_000_000)]
        features: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Open a database and load every part, jurisdiction and case into memory.
    Load {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn parse_as_of(text: &str) -> Result<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .with_context(|| format!("--as-of {text:?} is not `YYYY-MM-DD HH:MM`"))
}

fn database_path(cli_db: Option<PathBuf>) -> Result<PathBuf> {
    match cli_db {
        Some(path) => Ok(path),
        None => citygrid::app::default_database_path().context("no platform data directory to keep the database in; pass --db"),
    }
}

/// Reads what the demo basemap is drawn from out of a citygrid database.
fn basemap_input(path: &std::path::Path, region_max_zoom: u8, core_max_zoom: u8) -> Result<(BasemapInput, BasemapPlan)> {
    use citygrid::model::{JurisdictionKind, PartGeometry};
    use geo::BoundingRect;
    let store = Store::open(path)?;
    let managed = store.meta("district_code")?.unwrap_or_default();
    let jurisdictions = store.load_jurisdictions()?;
    let mut input = BasemapInput::default();
    for jurisdiction in jurisdictions {
        match jurisdiction.kind {
            JurisdictionKind::District => {
                let is_managed = jurisdiction.code == managed;
                input.districts.push((jurisdiction.name, jurisdiction.geometry, is_managed));
            }
            JurisdictionKind::Township => input.townships.push((jurisdiction.name, jurisdiction.geometry)),
            _ => {}
        }
    }
    input.streets = store.load_streets()?.into_iter().map(|street| (street.line, street.class == "main", street.name)).collect();
    input.greens = store
        .load_parts()?
        .into_iter()
        .filter(|part| part.code.class_code() == "0405")
        .filter_map(|part| match part.geometry {
            PartGeometry::Polygon(polygon) => Some(polygon),
            _ => None,
        })
        .collect();
    input.rivers = citygrid::demo::river_lines()?;
    let bounds = |rects: Vec<geo::Rect<f64>>| {
        rects.into_iter().reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    };
    let region = bounds(input.districts.iter().filter_map(|(_, shape, _)| shape.bounding_rect()).collect())
        .context("the database has no districts")?;
    let core = bounds(input.streets.iter().filter_map(|(line, _, _)| line.bounding_rect()).collect()).unwrap_or(region);
    let plan = BasemapPlan {
        min_zoom: 7,
        region_max_zoom,
        region: [region.min().x, region.min().y, region.max().x, region.max().y],
        core_max_zoom,
        core: [core.min().x - 0.002, core.min().y - 0.002, core.max().x + 0.002, core.max().y + 0.002],
    };
    Ok((input, plan))
}

/// `--on-issue stop`, or per class: `--on-issue skip,geometry=fix,code=stop`.
fn policy_from(text: &str) -> Result<citygrid::io::Policy> {
    use citygrid::io::{IssueClass, OnIssue, Policy};
    let choice = |name: &str| OnIssue::from_name(name.trim()).with_context(|| format!("--on-issue {name:?}: use stop, skip or fix"));
    let mut policy = Policy::default();
    for piece in text.split(',') {
        match piece.split_once('=') {
            Some((class, on_issue)) => {
                let class = IssueClass::from_name(class.trim())
                    .with_context(|| format!("--on-issue: {class:?} is not geometry, coordinates, code, reference or value"))?;
                policy.per_class.insert(class, choice(on_issue)?);
            }
            None => policy.default = choice(piece)?,
        }
    }
    Ok(policy)
}

/// `citygrid import`: inspect, map (profile, guesses, --map), validate or commit, report.
fn import_command(db: Option<PathBuf>, args: ImportArgs) -> Result<()> {
    use citygrid::io;
    let source = io::SourceOptions {
        layer: args.layer.clone(),
        x_field: args.x_field.clone(),
        y_field: args.y_field.clone(),
        encoding: args.encoding.clone(),
        crs: args.crs.clone(),
    };
    let inspection = io::inspect(&args.file, &source).with_context(|| format!("reading {}", args.file.display()))?;
    eprint!("{}", io::text::inspection_text(&inspection));
    if args.inspect {
        return Ok(());
    }
    let mut profile = match &args.profile {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            io::MappingProfile::from_json(&text).with_context(|| format!("profile {}", path.display()))?
        }
        None => {
            let target_name = args.target.as_deref().context("--target parts|jurisdictions|cases is needed (or --profile)")?;
            let target = io::Target::from_name(target_name)
                .with_context(|| format!("--target {target_name:?}: use parts, jurisdictions or cases"))?;
            let layer = match &args.layer {
                Some(name) => inspection.layers.iter().find(|layer| &layer.name == name),
                None => inspection.layers.first(),
            };
            io::auto_profile(target, layer.map(|layer| layer.fields.as_slice()).unwrap_or_default())
        }
    };
    if let Some(name) = &args.target {
        let target = io::Target::from_name(name).with_context(|| format!("--target {name:?}: use parts, jurisdictions or cases"))?;
        if target != profile.target {
            bail!("--target {name} differs from the profile's target {:?}", profile.target);
        }
    }
    for (pairs, into) in [(&args.maps, &mut profile.fields), (&args.constants, &mut profile.constants)] {
        for pair in pairs {
            let (target, value) = pair.split_once('=').with_context(|| format!("{pair:?} is not TARGET=VALUE"))?;
            into.insert(target.trim().to_owned(), value.trim().to_owned());
        }
    }
    for (option, value) in [
        (&mut profile.source.layer, &args.layer),
        (&mut profile.source.crs, &args.crs),
        (&mut profile.source.encoding, &args.encoding),
        (&mut profile.source.x_field, &args.x_field),
        (&mut profile.source.y_field, &args.y_field),
    ] {
        if value.is_some() {
            option.clone_from(value);
        }
    }
    profile.check()?;
    let mapped: Vec<String> = profile.fields.iter().map(|(target, source)| format!("{target}←{source}")).collect();
    eprintln!("mapping: {}", if mapped.is_empty() { "nothing mapped".into() } else { mapped.join(", ") });
    if let Some(path) = &args.save_profile {
        std::fs::write(path, profile.to_json()).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("saved the profile to {}", path.display());
    }
    let policy = policy_from(&args.on_issue)?;
    let path = db.context("--db PATH is needed to import (the database to write into)")?;
    let mut store = Store::open(&path)?;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut last = Instant::now();
    let mut progress = |progress: &io::Progress| {
        if last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            let total = progress.total.map(|total| format!(" of {total}")).unwrap_or_default();
            let left = progress.remaining().map(|left| format!(", about {:.0} s left", left.as_secs_f64())).unwrap_or_default();
            eprintln!("{} features{total}{left}", progress.done);
        }
    };
    let result = if args.dry_run {
        io::validate(&store, &args.file, &profile, &policy, &mut progress, &cancel)
    } else {
        io::commit(&mut store, &args.file, &profile, &policy, &mut progress, &cancel)
    };
    match result {
        Ok(report) => {
            print!("{}", io::text::report_text(&report, args.show_issues));
            let stops = report.issues_by_class.keys().any(|class| policy.for_class(*class) == io::OnIssue::Stop);
            if args.dry_run && stops {
                bail!("{} issues: an import with --on-issue stop would write nothing", report.issue_count);
            }
            Ok(())
        }
        Err(io::ImportError::Stopped { first, report }) => {
            print!("{}", io::text::report_text(&report, args.show_issues));
            bail!("import stopped at the first issue (--on-issue stop), nothing was written: {first}")
        }
        Err(error) => Err(error).with_context(|| format!("importing {}", args.file.display())),
    }
}

/// Errors are printed as one line of causes (`what: why: why`), never as a backtrace.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("citygrid: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => citygrid::app::run_native(database_path(cli.db)?, cli.basemap),
        Some(Command::SeatSim { login, steps, seed, now }) => {
            let now = parse_as_of(&now)?;
            let report = citygrid::desk::sim::run_seat(&database_path(cli.db)?, &login, steps, seed, now, Duration::from_secs(60))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Some(Command::Wall { windowed, cycle }) => citygrid::app::run_wall(database_path(cli.db)?, cli.basemap, windowed, cycle),
        Some(Command::Demo { out, parts, cases, seed, as_of }) => {
            let mut options = DemoOptions::standard();
            options.parts = parts;
            options.cases = cases;
            options.seed = seed;
            if let Some(text) = as_of {
                options.as_of = parse_as_of(&text)?;
            }
            let mut last_stage = None;
            let summary = write_demo(&out, &options, &mut |progress| {
                if last_stage != Some(progress.stage) {
                    eprintln!("{:>3.0}%  {}", progress.fraction * 100.0, progress.stage.label(false));
                    last_stage = Some(progress.stage);
                }
            })
            .with_context(|| format!("writing the demo database {}", out.display()))?;
            println!(
                "wrote {}: {} parts, {} cases, {} townships, {} communities, {} grid cells, {} unit zones, {} street segments in {:.1} s",
                out.display(),
                summary.parts,
                summary.cases,
                summary.townships,
                summary.communities,
                summary.grid_cells,
                summary.unit_zones,
                summary.streets,
                summary.elapsed.as_secs_f64()
            );
            Ok(())
        }
        Some(Command::Screenshot { view, size, out, lang, center, now }) => {
            let now = now.as_deref().map(parse_as_of).transpose()?;
            let path = database_path(cli.db)?;
            let Some((width, height)) = size.split_once('x').and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
            else {
                bail!("--size {size:?} is not WIDTHxHEIGHT, e.g. 1920x1080");
            };
            let center = match center {
                None => None,
                Some(text) => {
                    let values: Vec<f64> =
                        text.split(',').map(|value| value.trim().parse::<f64>()).collect::<Result<_, _>>().ok().unwrap_or_default();
                    let [lon, lat, zoom] = values[..] else {
                        bail!("--center {text:?} is not LON,LAT,ZOOM, e.g. 118.33,29.83,15");
                    };
                    Some((lon, lat, zoom))
                }
            };
            citygrid::app::screenshot(&path, cli.basemap.as_deref(), &view, [width, height], &lang, center, now, &out)
        }
        Some(Command::Basemap { which: BasemapCommand::Build { out, region_max_zoom, core_max_zoom } }) => {
            let path = database_path(cli.db)?;
            let started = Instant::now();
            let (input, plan) = basemap_input(&path, region_max_zoom, core_max_zoom)?;
            let summary =
                citygrid::map::basemap_build::build_basemap(&input, &plan, citygrid::ui::fonts::NOTO_SANS_SC, &out, &mut |_, _| {})
                    .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {}: {} tiles, z{}–{} (core to z{}), {:.1} MB in {:.1} s",
                out.display(),
                summary.tiles,
                plan.min_zoom,
                plan.region_max_zoom,
                plan.core_max_zoom,
                summary.bytes as f64 / 1_048_576.0,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(Command::User { which }) => user_command(&database_path(cli.db)?, which),
        Some(Command::Report { period, format, out, lang }) => {
            let format = citygrid::ui::assessment::ReportFormat::parse(&format)
                .with_context(|| format!("--format {format:?}: use csv, xlsx or html"))?;
            let lang = citygrid::ui::Lang::from_code(&lang).with_context(|| format!("unknown language {lang:?}; use zh or en"))?;
            let period = citygrid::assess::Period::parse(&period)?;
            let path = database_path(cli.db)?;
            let now = citygrid::calendar::china_now();
            let (world, _) = citygrid::app::load_everything(&path, now)?;
            let store = Store::open(&path)?;
            let facts = citygrid::assess::FactBook::load(&store, &world.calendar)?;
            let options = citygrid::assess::ReportOptions { weights: citygrid::assess::Weights::load(&store)?, ..Default::default() };
            let report = citygrid::assess::Assessment::compute(&facts, period, options);
            let bytes = citygrid::ui::assessment::report_bytes(&world, &report, format, lang, now)?;
            match out {
                Some(out) => {
                    std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
                    eprintln!("wrote {}", out.display());
                }
                None if format == citygrid::ui::assessment::ReportFormat::Xlsx => bail!("--format xlsx needs --out FILE"),
                None => {
                    use std::io::Write as _;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
        Some(Command::Export { layer, out, kind, bbox, class, open, now, csv_header }) => {
            export_command(&database_path(cli.db)?, &layer, &out, kind, bbox, class, open, now, &csv_header)
        }
        Some(Command::Info) => {
            let path = database_path(cli.db)?;
            let store = Store::open(&path)?;
            println!("{}: schema version {}", path.display(), store.schema_version()?);
            for layer in store.layer_counts()? {
                println!("{:<16} {:>10}", layer.table, layer.count);
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Map { json } }) => {
            let path = database_path(cli.db)?;
            let figures = citygrid::bench::map_bench(&path, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::map_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Spatial { json } }) => {
            let path = database_path(cli.db)?;
            let figures = citygrid::bench::spatial_bench(&path, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::spatial_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Cases { cases, json } }) => {
            let path = database_path(cli.db)?;
            let figures = citygrid::bench::desk::desk_bench(&path, cases, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::desk::desk_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Assess { cases, real: true, seed_cases, json } }) => {
            let figures = citygrid::bench::assess::real_assess_bench(cases, seed_cases, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::assess::real_assess_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Assess { cases, real: false, json, .. } }) => {
            let figures = citygrid::bench::assess::assess_bench(cases, |line| eprintln!("{line}"));
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::assess::assess_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Soak { days, json } }) => {
            let path = database_path(cli.db)?;
            let basemap = cli.basemap.or_else(citygrid::app::demo_basemap_path);
            let figures = citygrid::bench::soak::soak_bench(&path, basemap.as_deref(), days, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::soak::soak_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Import(args)) => import_command(cli.db, args),
        Some(Command::Bench { which: Bench::Import { features, json } }) => {
            let figures = citygrid::bench::import::import_bench(features, |line| eprintln!("{line}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print!("{}", citygrid::bench::import::import_bench_text(&figures));
            }
            Ok(())
        }
        Some(Command::Bench { which: Bench::Load { json } }) => {
            let path = database_path(cli.db)?;
            let started = Instant::now();
            let (data, cases) = citygrid::app::load_everything(&path, citygrid::calendar::china_now())?;
            let elapsed = started.elapsed();
            if json {
                println!(
                    "{{\"db\":{:?},\"parts\":{},\"jurisdictions\":{},\"cases\":{},\"read_s\":{:.3},\"index_s\":{:.3},\"load_s\":{:.3}}}",
                    path.display().to_string(),
                    data.parts.len(),
                    data.jurisdictions.len(),
                    cases.len(),
                    data.read_time.as_secs_f64(),
                    (data.load_time - data.read_time).as_secs_f64(),
                    elapsed.as_secs_f64()
                );
            } else {
                println!(
                    "opened {} and loaded {} parts, {} jurisdictions, {} cases into memory in {:.3} s (read {:.3} s, index {:.3} s)",
                    path.display(),
                    data.parts.len(),
                    data.jurisdictions.len(),
                    cases.len(),
                    elapsed.as_secs_f64(),
                    data.read_time.as_secs_f64(),
                    (data.load_time - data.read_time).as_secs_f64()
                );
            }
            Ok(())
        }
    }
}
