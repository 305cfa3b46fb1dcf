//! The `citygrid` command line: opens the app by default; one file per subcommand. Developer
//! tools (`screenshot`, `seat-sim`) and `bench` exist only in builds with the `dev-tools` and
//! `bench` features, so the product's `--help` lists neither.

mod audit;
mod basemap;
#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "dev-tools")]
mod city_sim;
mod client;
mod codes;
#[cfg(feature = "dev-tools")]
mod crash_child;
mod demo;
mod export;
mod import;
mod info;
mod init;
mod migrate;
mod report;
#[cfg(feature = "dev-tools")]
mod screenshot;
#[cfg(feature = "dev-tools")]
mod seat_sim;
mod serve;
mod user;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

/// Desktop GIS command centre for digital city management (数字化城市管理).
#[derive(Parser)]
#[command(name = "citygrid", version, about)]
pub struct Cli {
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
    Demo(demo::DemoArgs),
    /// Start a real district: an empty database with its boundary, units, command manual and
    /// calendars, and one administrator whose password is set now.
    Init(init::InitArgs),
    /// The video wall (大屏): full screen, read-only, no sign-in on a file; follows the database
    /// live. On a server it connects as a read-only account (`--as wall1`, password in
    /// `CITYGRID_AS_PASSWORD`, so an unattended wall starts by itself), else shows the sign-in.
    Wall {
        /// In a 1920×1080 window instead of full screen.
        #[arg(long)]
        windowed: bool,
        /// Move through focus areas (the district, each township, the hot spot) every minute.
        #[arg(long)]
        cycle: bool,
        /// On a server: the account the wall reads as (a viewer account such as `wall1`).
        #[arg(long = "as", value_name = "LOGIN")]
        as_login: Option<String>,
    },
    /// The HTTP service for unit terminals and field collectors, with the mobile web terminal
    /// at `/` (JSON API under /api/v1; see README). Listens on loopback unless told otherwise.
    Serve(serve::ServeArgs),
    /// A simulated seat taking steps as fast as it can (the several-seats test).
    #[cfg(feature = "dev-tools")]
    #[command(hide = true)]
    SeatSim(seat_sim::SeatSimArgs),
    /// A test double of the city platform (docs/EXCHANGE.md): receives the district's messages,
    /// sends it new cases.
    #[cfg(feature = "dev-tools")]
    #[command(hide = true)]
    CitySim(city_sim::CitySimArgs),
    /// The crash test's child: writes and prints what it committed until killed.
    #[cfg(feature = "dev-tools")]
    #[command(hide = true)]
    CrashChild(crash_child::CrashChildArgs),
    /// Render a view of the real app offscreen to a PNG.
    #[cfg(feature = "dev-tools")]
    Screenshot(screenshot::ScreenshotArgs),
    /// Print the layers of a database with their feature counts.
    Info,
    /// The assessment of a period: CSV (UTF-8 with BOM: the district, then every unit ranked
    /// within its class), an XLSX workbook or the printable HTML notice (通报). Definitions in
    /// docs/INDICATORS.md.
    Report(report::ReportArgs),
    /// Export parts, jurisdictions or cases (with their deadline status) to GeoJSON, GeoPackage
    /// or CSV, chosen by the extension of --out. The file opens in QGIS and GDAL.
    Export(export::ExportArgs),
    /// User accounts: list, add, set a password or role, disable, enable; changes are made `--as` an account whose password is in CITYGRID_AS_PASSWORD. New passwords are read from the first line of
    /// standard input with `--password-stdin`, else from the CITYGRID_PASSWORD variable.
    User {
        #[command(subcommand)]
        which: user::UserCommand,
    },
    /// Other systems allowed to call in (Open311 apps): list, add (prints the API key once),
    /// revoke; changes are made `--as` an administrator (password in CITYGRID_AS_PASSWORD).
    Client {
        #[command(subcommand)]
        which: client::ClientCommand,
    },
    /// Class codes of other systems (open311, the city platform) mapped to the command manual's
    /// classes: list, set, remove; changes are made `--as` an administrator.
    Codes {
        #[command(subcommand)]
        which: codes::CodesCommand,
    },
    /// The tamper-evident audit trail: `verify` checks every entry and case row.
    Audit {
        #[command(subcommand)]
        which: audit::AuditCommand,
    },
    /// Move a district from its GeoPackage file onto a PostgreSQL + PostGIS server (an empty
    /// database): every table, the audit trail with its chain, accounts and settings; counts and
    /// both chains are checked on the server before the commit. The file is not changed.
    Migrate(migrate::MigrateArgs),
    /// Offline basemaps.
    Basemap {
        #[command(subcommand)]
        which: basemap::BasemapCommand,
    },
    /// Import a district's own data (GeoJSON, shapefile, GeoPackage, CSV) as parts,
    /// jurisdictions or cases; `--inspect` only shows what the file holds. Progress on stderr.
    Import(import::ImportArgs),
    /// Benchmarks that print their figures.
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        which: bench::BenchCommand,
    },
}

/// Parses the command line and runs it.
///
/// # Errors
/// Whatever the subcommand reports, as one line of causes.
pub fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => citygrid::app::run_native(database_location(cli.db)?, cli.basemap),
        Some(Command::Wall { windowed, cycle, as_login }) => {
            citygrid::app::run_wall(server_account(database_location(cli.db)?, as_login.as_deref())?, cli.basemap, windowed, cycle)
        }
        #[cfg(feature = "dev-tools")]
        Some(Command::SeatSim(args)) => seat_sim::run(database_location(cli.db)?, args),
        #[cfg(feature = "dev-tools")]
        Some(Command::CitySim(args)) => city_sim::run(args),
        #[cfg(feature = "dev-tools")]
        Some(Command::CrashChild(args)) => crash_child::run(&database_path(cli.db)?, args),
        #[cfg(feature = "dev-tools")]
        Some(Command::Screenshot(args)) => screenshot::run(&database_path(cli.db)?, cli.basemap.as_deref(), args),
        Some(Command::Serve(args)) => serve::run(database_location(cli.db)?, args),
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Init(args)) => init::run(args),
        Some(Command::Info) => info::run(&database_path(cli.db)?),
        Some(Command::Report(args)) => report::run(database_location(cli.db)?, args),
        Some(Command::Export(args)) => export::run(database_location(cli.db)?, args),
        Some(Command::User { which }) => user::run(&database_path(cli.db)?, which),
        Some(Command::Client { which }) => client::run(&database_path(cli.db)?, which),
        Some(Command::Codes { which }) => codes::run(&database_path(cli.db)?, which),
        Some(Command::Audit { which }) => audit::run(&database_path(cli.db)?, which),
        Some(Command::Basemap { which }) => basemap::run(&database_path(cli.db)?, which),
        Some(Command::Import(args)) => import::run(cli.db, args),
        Some(Command::Migrate(args)) => migrate::run(args),
        #[cfg(feature = "bench")]
        Some(Command::Bench { which }) => bench::run(cli.db, cli.basemap, which),
    }
}

/// `YYYY-MM-DD HH:MM` (or with a `T`), China time.
fn parse_as_of(text: &str) -> Result<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .with_context(|| format!("--as-of {text:?} is not `YYYY-MM-DD HH:MM`"))
}

/// The account making a change from the command line (`--as LOGIN`), signed in with the
/// password in `CITYGRID_AS_PASSWORD`. The store checks its role again inside the write.
fn acting_user(store: &citygrid::store::Store, path: &std::path::Path, login: &str) -> Result<citygrid::model::User> {
    let password = std::env::var("CITYGRID_AS_PASSWORD")
        .map_err(|_| anyhow::anyhow!("--as {login}: give that account's password in the CITYGRID_AS_PASSWORD environment variable"))?;
    store.authenticate(login, &password).map_err(|error| anyhow::anyhow!("--as {login} in {}: {error}", path.display()))
}

/// `location` as the account `--as LOGIN` names (password in `CITYGRID_AS_PASSWORD`) when it is a
/// server; a file is opened as it is (its commands check `--as` against the file's accounts).
fn server_account(location: citygrid::session::Location, login: Option<&str>) -> Result<citygrid::session::Location> {
    match (login, location.path()) {
        (Some(login), None) => {
            let password = std::env::var("CITYGRID_AS_PASSWORD").map_err(|_| {
                anyhow::anyhow!("--as {login}: give that account's password in the CITYGRID_AS_PASSWORD environment variable")
            })?;
            Ok(location.with_account(citygrid::store::pg::ServerAccount { login: login.to_owned(), password }))
        }
        _ => Ok(location),
    }
}

/// The district the seat or the wall opens: `--db` as a file or a `postgresql://` server.
fn database_location(cli_db: Option<PathBuf>) -> Result<citygrid::session::Location> {
    Ok(citygrid::session::Location::parse(&database_path(cli_db)?.to_string_lossy()))
}

/// `--db`, else the database in the platform data directory.
fn database_path(cli_db: Option<PathBuf>) -> Result<PathBuf> {
    match cli_db {
        Some(path) => Ok(path),
        None => citygrid::session::default_database_path().context("no platform data directory to keep the database in; pass --db"),
    }
}
