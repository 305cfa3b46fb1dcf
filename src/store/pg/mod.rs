//! The district on a PostgreSQL + PostGIS server: the schema (forward-only migrations, the
//! GeoPackage's tables with PostGIS geometry in EPSG:4326 and GiST indexes, the audit trail
//! append-only and chained by triggers), and the move of a district from a GeoPackage file
//! (`citygrid migrate`), verified by counts and by recomputing both hash chains from what the
//! server holds.
//!
//! The client is `postgres` (rust-postgres' blocking client): citygrid's store is called from
//! plain worker threads, never from async code, and the crate speaks the protocol itself (no
//! libpq), supports COPY, LISTEN/NOTIFY and prepared statements, and is kept by the authors of
//! `tokio-postgres`, which it wraps. Geometry travels as EWKB (the GeoPackage blob's WKB with the
//! SRID put in), so no geometry crate is needed between the two.

mod copy;
mod logins;
mod seat;
mod verify;

use anyhow::{Context as _, Result, bail};
use postgres::{Client, NoTls};

pub use copy::{MoveReport, TableCount, move_district};
pub use logins::login_role;
pub use seat::{ServerAccount, database_of};
pub use verify::{SERVER_TRIGGERS, ServerAudit};

/// The server schema's migrations, in order; index 0 is schema 1.
const MIGRATIONS: &[&str] = &[
    include_str!("schema_1.sql"),
    include_str!("schema_2.sql"),
    include_str!("schema_3.sql"),
    include_str!("schema_4.sql"),
    include_str!("schema_5.sql"),
    include_str!("schema_6.sql"),
    include_str!("schema_7.sql"),
    include_str!("schema_8.sql"),
    include_str!("schema_9.sql"),
    include_str!("schema_10.sql"),
    include_str!("schema_11.sql"),
];

/// The server schema version this build writes and reads.
pub const PG_SCHEMA_VERSION: u32 = 11;

/// The channel the server notifies with the newest case-trail entry id after every commit that
/// appended to it (schema 3).
#[must_use]
pub fn cases_channel(database: &str) -> String {
    format!("{database}_cases")
}

/// The group role every seat login of the database `database` belongs to (schema 2).
#[must_use]
pub fn seat_role(database: &str) -> String {
    format!("{database}_seat")
}

/// The tables of a district, in the order they are loaded (foreign keys are checked at commit).
pub const DISTRICT_TABLES: [&str; 30] = [
    "citygrid_meta",
    "units",
    "manual_major_classes",
    "manual_entries",
    "manual_limits",
    "stage_limits",
    "calendar_days",
    "users",
    "part_points",
    "part_lines",
    "part_polygons",
    "part_cells",
    "jurisdictions",
    "streets",
    "cases",
    "case_events",
    "admin_events",
    "case_requests",
    "case_pauses",
    "backlog_ledger",
    "reporter_feedback",
    "disputes",
    "dispute_statements",
    "dispute_site_checks",
    "routing_precedents",
    "interface_clients",
    "class_code_map",
    "case_links",
    "exchange_outbox",
    "exchange_inbox",
];

/// A connection to a district's server database.
pub struct PgStore {
    client: Client,
}

/// `postgresql://user:password@host:port/db` without the password, for messages.
#[must_use]
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:…{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Whether `text` names a PostgreSQL server rather than a file.
#[must_use]
pub fn is_server_url(text: &str) -> bool {
    text.starts_with("postgresql://") || text.starts_with("postgres://")
}

impl PgStore {
    /// Connects (plain TCP: a centre's own network or loopback; TLS is set up in front).
    ///
    /// # Errors
    /// A malformed URL, an unreachable server or a refused login, naming the server.
    pub fn connect(url: &str) -> Result<Self> {
        let mut config: postgres::Config = url.parse().with_context(|| format!("{} is not a PostgreSQL URL", redacted(url)))?;
        config.connect_timeout(std::time::Duration::from_secs(10));
        config.application_name("citygrid");
        let client = config.connect(NoTls).with_context(|| format!("connecting to {}", redacted(url)))?;
        Ok(Self { client })
    }

    /// Starts listening for appended case-trail entries (see [`cases_channel`]).
    ///
    /// # Errors
    /// SQL errors.
    pub fn listen_for_cases(&mut self) -> Result<()> {
        let database: String = self.client.query_one("SELECT current_database()", &[])?.get(0);
        self.client.batch_execute(&format!("LISTEN \"{}\"", cases_channel(&database).replace('"', "")))?;
        Ok(())
    }

    /// Waits up to `timeout` for the next commit that appended case-trail entries; returns the
    /// newest entry id each announced (empty when none came). Reads no table.
    ///
    /// # Errors
    /// The connection failed (the server restarted: connect again and read what changed).
    pub fn next_case_changes(&mut self, timeout: std::time::Duration) -> Result<Vec<i64>> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let mut ids = Vec::new();
        let mut notifications = self.client.notifications();
        let first = notifications.timeout_iter(timeout).next()?;
        if let Some(first) = first {
            ids.extend(first.payload().parse::<i64>().ok());
            // What else has already arrived comes with it, without waiting again.
            let mut ready = notifications.iter();
            while let Some(more) = ready.next()? {
                ids.extend(more.payload().parse::<i64>().ok());
            }
        }
        Ok(ids)
    }

    /// The feature layers with their row counts (what `citygrid info` prints).
    ///
    /// # Errors
    /// SQL errors.
    pub fn layer_counts(&mut self) -> Result<Vec<(&'static str, i64)>> {
        let mut counts = Vec::new();
        for table in ["part_points", "part_lines", "part_polygons", "jurisdictions", "streets", "cases", "routing_precedents"] {
            counts.push((table, self.client.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.get(0)));
        }
        Ok(counts)
    }

    /// The client, for the move and the tests.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The schema version of the database: `None` when it holds no citygrid schema.
    ///
    /// # Errors
    /// SQL errors.
    pub fn schema_version(&mut self) -> Result<Option<u32>> {
        stored_version(&mut self.client)
    }
}

/// The server schema version a database holds: `None` without a citygrid schema, 0 for one
/// whose version is unreadable.
fn stored_version(conn: &mut impl postgres::GenericClient) -> Result<Option<u32>> {
    let exists: bool = conn.query_one("SELECT to_regclass('citygrid_meta') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(None);
    }
    let text: Option<String> =
        conn.query_opt("SELECT value FROM citygrid_meta WHERE key = 'pg_schema_version'", &[])?.map(|row| row.get(0));
    Ok(Some(text.and_then(|text| text.parse().ok()).unwrap_or(0)))
}

/// Creates PostGIS (when the login may) and applies the pending migrations in `tx`; returns
/// the version reached. A database written by a newer citygrid is refused.
///
/// # Errors
/// A newer schema, PostGIS missing and not creatable, SQL errors.
pub(super) fn migrate_in(tx: &mut postgres::Transaction<'_>) -> Result<u32> {
    let postgis: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')", &[])?.get(0);
    if !postgis {
        tx.batch_execute("CREATE EXTENSION postgis").context(
            "PostGIS is not enabled in the target database and this login may not enable it: run `CREATE EXTENSION postgis` there as a superuser (scripts/setup-server.sh does)",
        )?;
    }
    let mut version = stored_version(tx)?.unwrap_or(0);
    if version as usize > MIGRATIONS.len() {
        bail!("the database has citygrid server schema {version}; this citygrid knows up to {PG_SCHEMA_VERSION}: update citygrid");
    }
    while (version as usize) < MIGRATIONS.len() {
        tx.batch_execute(MIGRATIONS[version as usize]).with_context(|| format!("applying server schema {}", version + 1))?;
        version += 1;
        tx.execute(
            "INSERT INTO citygrid_meta (key, value) VALUES ('pg_schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&version.to_string()],
        )?;
    }
    Ok(version)
}

/// Refuses a target that already holds a district.
fn check_target_empty(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let exists: bool = tx.query_one("SELECT to_regclass('cases') IS NOT NULL", &[])?.get(0);
    if exists {
        let cases: i64 = tx.query_one("SELECT count(*) FROM cases", &[])?.get(0);
        let parts: i64 = tx.query_one("SELECT count(*) FROM part_points", &[])?.get(0);
        bail!("the target database already holds a district ({cases} cases, {parts} point parts); move into an empty database");
    }
    Ok(())
}
