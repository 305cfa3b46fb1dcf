//! The store: one SQLite file that is also a valid OGC GeoPackage.
//!
//! Parts, jurisdictions, cases and streets are GeoPackage feature tables (EPSG:4326), so GIS staff
//! can open the file in QGIS as it is; everything else is ordinary tables in the same file.
//! Every change runs in a transaction. The UI never calls this module directly: it goes through
//! the app's background workers.

mod accounts;
mod audit;
mod case_flow;
mod chain;
mod codes;
mod disputes;
mod exchange;
pub mod gpkg;
mod handover;
mod live;
mod location;
mod outbox;
mod part_cells;
mod part_reads;
pub mod pg;
mod queries;
pub mod schema;
pub mod sql;
mod terminal;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use sql::{Db, OptionalExtension, Row, SqlError, Tx};

pub use crate::model::OutboxRow;
pub use accounts::{AccessError, Account, AuthError, MIN_PASSWORD_CHARS, Write, hash_password, verify_password};
pub use case_flow::{NearbyCase, NewCaseEvent};
pub use chain::{AdminEvent, AuditReport, BreakKind, CaseMismatch, ChainBreak, GENESIS, append_admin_event, through_channel};
pub use exchange::{ClassCodeMapping, LinkedCaseQuery, key_hash};
pub use location::Location;
pub use outbox::{Delivery, OutboxItem};
pub use part_reads::LonLatBox;
pub use queries::{LayerCount, ReferenceData, StreetRecord, local_from_utc_text, utc_text_from_local};
pub use terminal::{TerminalRequest, TerminalSession};

/// Why a database could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: no such file")]
    Missing { path: PathBuf },
    #[error("{path}: already exists; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: not an SQLite database (the file does not start with the SQLite header)")]
    NotSqlite { path: PathBuf },
    #[error("{path}: {what}, not a citygrid database; it was left untouched")]
    NotOurs { path: PathBuf, what: String },
    #[error(
        "{path}: written by a newer citygrid (schema version {found}, this build understands up to {supported}); it was left untouched"
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error(
        "{path}: schema version {found}, older than this build's {current}; open it once with citygrid (any command that writes, e.g. `citygrid info`) to upgrade it"
    )]
    OlderSchema { path: PathBuf, found: u32, current: u32 },
    #[error("{context}: {source}")]
    Sql {
        context: String,
        #[source]
        source: SqlError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad data in {table} row {row}: {problem}")]
    BadRow { table: &'static str, row: i64, problem: String },
    /// The account making a write may not make it (see [`AccessError`]); nothing was written.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The database could not be reached a moment ago (moved, locked past the busy timeout,
    /// on a share that went away); the step was not taken.
    #[error("the database is unavailable right now; nothing was changed, try again")]
    Unavailable,
    /// The server refused the connection or the sign-in, or holds no district this build reads.
    #[error("{server}: {message}")]
    Server { server: String, message: String },
    /// Something only a database file has was asked of a server.
    #[error("a district on a server has no {what}")]
    NotOnServer { what: &'static str },
}

impl StoreError {
    /// Another connection holds the write lock past the busy timeout (an import, a migration):
    /// worth trying again, nothing was written.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Sql { source, .. } if source.is_transient())
    }

    /// The connection to the server is gone: connect again (see [`SqlError::is_disconnected`]).
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Sql { source, .. } if source.is_disconnected())
    }
}

/// Attaches context to SQLite errors.
pub(crate) trait SqlContext<T> {
    fn context(self, context: impl Into<String>) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn context(self, context: impl Into<String>) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql { context: context.into(), source: source.into() })
    }
}

impl<T> SqlContext<T> for Result<T, SqlError> {
    fn context(self, context: impl Into<String>) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql { context: context.into(), source })
    }
}

/// An open citygrid database.
pub struct Store {
    conn: Db,
    path: Option<PathBuf>,
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Creates a new, empty citygrid database at `path` (schema only, no reference data).
    ///
    /// # Errors
    /// The file exists already, or it cannot be written.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists { path: path.to_owned() });
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
            .context(format!("creating {}", path.display()))?;
        let mut store = Self { conn: Db::Lite(conn), path: Some(path.to_owned()) };
        store.configure()?;
        store.migrate_from(0)?;
        Ok(store)
    }

    /// Opens an existing citygrid database, upgrading its schema if it is older.
    ///
    /// The file is inspected read-only first: a file that is not SQLite, not ours, or from a
    /// newer citygrid is refused without a single byte changed.
    ///
    /// # Errors
    /// See [`StoreError`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let version = Self::inspect(path)?;
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).context(format!("opening {}", path.display()))?;
        let mut store = Self { conn: Db::Lite(conn), path: Some(path.to_owned()) };
        store.configure()?;
        if version < schema::CURRENT_VERSION {
            store.migrate_from(version)?;
        }
        // Parts another program added or removed since: counted in before anyone reads the counts.
        match store.fold_part_changes() {
            Ok(0) => {}
            Ok(folded) => tracing::info!("{}: {folded} part edits by other programs counted", path.display()),
            Err(error) => tracing::warn!("{}: the part edits of other programs could not be counted: {error}", path.display()),
        }
        Ok(store)
    }

    /// Opens a citygrid database for reading only (`audit verify`): nothing is written, not
    /// even a migration, so a file of an older schema is refused with the way to upgrade it.
    ///
    /// # Errors
    /// See [`StoreError`]; [`StoreError::OlderSchema`] for a file to open with citygrid first.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let version = Self::inspect(path)?;
        if version < schema::CURRENT_VERSION {
            return Err(StoreError::OlderSchema { path: path.to_owned(), found: version, current: schema::CURRENT_VERSION });
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).context(format!("reading {}", path.display()))?;
        gpkg::register_functions(&conn).context("registering GeoPackage SQL functions")?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).context("setting the busy timeout")?;
        Ok(Self { conn: Db::Lite(conn), path: Some(path.to_owned()) })
    }

    /// A database in memory with the current schema (tests, benchmarks).
    ///
    /// # Errors
    /// Only if SQLite fails.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().context("opening an in-memory database")?;
        let mut store = Self { conn: Db::Lite(conn), path: None };
        store.configure()?;
        store.migrate_from(0)?;
        Ok(store)
    }

    /// Checks that `path` is a citygrid database this build can open; returns its schema version.
    fn inspect(path: &Path) -> Result<u32, StoreError> {
        use std::io::Read;
        let mut header = [0u8; 16];
        let mut file = std::fs::File::open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                StoreError::Missing { path: path.to_owned() }
            } else {
                StoreError::Io { path: path.to_owned(), source }
            }
        })?;
        if file.read_exact(&mut header).is_err() || &header != SQLITE_HEADER {
            return Err(StoreError::NotSqlite { path: path.to_owned() });
        }
        drop(file);
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).context(format!("reading {}", path.display()))?;
        let not_ours = |what: &str| StoreError::NotOurs { path: path.to_owned(), what: what.to_owned() };
        let application_id: i32 =
            conn.query_row("PRAGMA application_id", [], |row| row.get(0)).map_err(|_| not_ours("an unreadable SQLite file"))?;
        let has_meta: bool = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'citygrid_meta'", [], |row| row.get::<_, i64>(0))
            .map(|count| count > 0)
            .map_err(|_| not_ours("an unreadable SQLite file"))?;
        if !has_meta {
            return Err(not_ours(if application_id == gpkg::APPLICATION_ID {
                "a GeoPackage from another program"
            } else {
                "an SQLite database of another program"
            }));
        }
        let version: Option<String> =
            conn.query_row("SELECT value FROM citygrid_meta WHERE key = 'schema_version'", [], |row| row.get(0)).ok();
        let version =
            version.and_then(|text| text.parse::<u32>().ok()).ok_or_else(|| not_ours("a database without a citygrid schema version"))?;
        if version > schema::CURRENT_VERSION {
            return Err(StoreError::NewerSchema { path: path.to_owned(), found: version, supported: schema::CURRENT_VERSION });
        }
        Ok(version)
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let on_disk = self.path.is_some();
        let Some(conn) = self.conn.lite() else { return Ok(()) };
        gpkg::register_functions(conn).context("registering GeoPackage SQL functions")?;
        // FULL: a committed case survives a power cut, not only a crash of the program.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;").context("configuring the connection")?;
        if on_disk {
            // WAL: readers (the wall, other seats) never block the writer; a crash loses no commit.
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).context("switching to WAL")?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5)).context("setting the busy timeout")?;
        Ok(())
    }

    /// Applies the migrations after `version`, each in a transaction that takes the write lock
    /// at once (`BEGIN IMMEDIATE`) and reads the version again inside it: a second seat opening
    /// the file during an upgrade waits for the lock, then finds the step done and skips it.
    /// (A server's schema is migrated by `citygrid migrate` and `setup-server.sh`, never by a
    /// seat: see [`pg`].)
    fn migrate_from(&mut self, version: u32) -> Result<(), StoreError> {
        if self.is_server() {
            return Ok(());
        }
        for (index, migration) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let target = index + 1;
            let tx = self.conn.begin().context("starting a migration")?;
            // No meta table yet (a new file) reads as version 0.
            let done: usize = tx
                .query_row("SELECT value FROM citygrid_meta WHERE key = 'schema_version'", &[], |row| row.get::<String>(0))
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(0);
            if done >= target {
                continue;
            }
            if target == 1 {
                tx.execute_batch(&format!(
                    "PRAGMA application_id = {}; PRAGMA user_version = {};",
                    gpkg::APPLICATION_ID,
                    gpkg::GPKG_USER_VERSION
                ))
                .context("marking the file as a GeoPackage")?;
            }
            migration(&tx).context(format!("applying schema migration {target}"))?;
            tx.execute(
                "INSERT INTO citygrid_meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                rusqlite::params![target.to_string()],
            )
            .context("recording the schema version")?;
            tx.commit().context(format!("committing schema migration {target}"))?;
        }
        Ok(())
    }

    /// Bulk loading into a file nobody else uses yet (the demo builder writes to a temporary
    /// file that is renamed only when complete): commits stop waiting for the disk.
    ///
    /// # Errors
    /// SQL errors.
    pub fn set_bulk_loading(&mut self) -> Result<(), StoreError> {
        match self.conn.lite() {
            Some(conn) => conn.execute_batch("PRAGMA synchronous = OFF;").context("switching to bulk loading"),
            None => Ok(()),
        }
    }

    /// How long a write waits for another writer before it fails as busy (5 s unless set).
    ///
    /// # Errors
    /// SQL errors.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<(), StoreError> {
        match &self.conn {
            Db::Lite(conn) => conn.busy_timeout(timeout).context("setting the busy timeout"),
            Db::Pg(_) => {
                let millis = timeout.as_millis();
                self.conn.execute_batch(&format!("SET lock_timeout = {millis}")).context("setting the lock timeout")
            }
        }
    }

    /// Where the database lives (`None` in memory or on a server).
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether the district is on a server rather than in a file.
    #[must_use]
    pub fn is_server(&self) -> bool {
        self.conn.is_server()
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// SQL errors.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let text: String = self
            .conn
            .query_row("SELECT value FROM citygrid_meta WHERE key = 'schema_version'", &[], |row| row.get(0))
            .context("reading the schema version")?;
        text.parse().map_err(|_| StoreError::BadRow { table: "citygrid_meta", row: 0, problem: format!("schema version {text:?}") })
    }

    /// Runs `write` in one transaction: all of it is committed, or none of it.
    ///
    /// # Errors
    /// Whatever `write` returns, or a failed commit; the database is then unchanged.
    pub fn write<T>(&mut self, write: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.atomically(write)
    }

    /// Runs `work` in one transaction that takes the write lock at once (`BEGIN IMMEDIATE` on
    /// the file, an advisory lock on a server), so what it reads cannot change under it before
    /// it writes: all of it is committed, or none. For callers whose error type wraps
    /// [`StoreError`] (the workflow).
    ///
    /// # Errors
    /// Whatever `work` returns, or a failed begin or commit; the database is then unchanged.
    pub fn atomically<T, E: From<StoreError>>(&mut self, work: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self.conn.begin().context("starting a transaction")?;
        let value = work(&tx)?;
        tx.commit().context("committing")?;
        Ok(value)
    }

    /// The connection, for queries inside this crate.
    pub(crate) fn conn(&self) -> &Db {
        &self.conn
    }
}

impl Store {
    /// Feature or row count of every layer registered in `gpkg_contents`, sorted by table name.
    ///
    /// # Errors
    /// SQL errors.
    pub fn layer_counts(&self) -> Result<Vec<LayerCount>, StoreError> {
        let tables: Vec<String> = if self.is_server() {
            let mut tables: Vec<String> = schema::layer_tables().iter().map(|table| (*table).to_owned()).collect();
            tables.sort();
            tables
        } else {
            self.conn()
                .query_rows("SELECT table_name FROM gpkg_contents ORDER BY table_name", &[], |row| row.get(0))
                .context("listing layers")?
        };
        tables
            .into_iter()
            .map(|table| {
                let count = self
                    .conn()
                    .query_row(&format!("SELECT count(*) FROM \"{table}\""), &[], |row| row.get(0))
                    .context(format!("counting {table}"))?;
                Ok(LayerCount { table, count })
            })
            .collect()
    }

    /// Updates the layer extents after a bulk write.
    ///
    /// # Errors
    /// SQL errors.
    pub fn refresh_extents(&mut self) -> Result<(), StoreError> {
        if self.is_server() {
            // PostGIS has no stored extents: QGIS reads them from the GiST index.
            return Ok(());
        }
        self.write(|tx| {
            gpkg::refresh_extents(tx.lite().ok_or(StoreError::NotOnServer { what: "stored extents" })?).context("refreshing layer extents")
        })
    }

    /// Moves everything from the write-ahead log into the main file, so the file alone is
    /// complete (nothing to do on a server).
    ///
    /// # Errors
    /// SQL errors.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let Some(conn) = self.conn.lite() else { return Ok(()) };
        // Back to full durability first, so the checkpoint itself is synced to disk.
        conn.execute_batch("PRAGMA synchronous = FULL;").context("restoring full durability")?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).context("checkpointing the write-ahead log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_another_seat_already_applied_is_skipped() {
        // What a second seat sees when it read the old version, then waited for the lock while
        // the first seat upgraded the file: every step is already done.
        let mut store = Store::open_in_memory().expect("a fresh database");
        store.migrate_from(0).expect("the steps already applied are skipped, not run twice");
        assert_eq!(store.schema_version().expect("version"), schema::CURRENT_VERSION);
    }
}
