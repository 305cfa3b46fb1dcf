//! What another seat changed: SQLite's `data_version` (on a server, the notifications of
//! appended audit entries) says whether anyone else wrote since the last look, and the audit
//! trail (every case change appends one entry) says which cases.

use super::sql::OptionalExtension as _;

use super::queries::case_from_cells;
use super::{SqlContext, Store, StoreError};
use crate::model::Case;

impl Store {
    /// A number that changes when another connection commits case steps: SQLite's
    /// `PRAGMA data_version` (never for this connection's own writes); on a server, the count of
    /// notifications of appended audit entries received so far (the first call starts
    /// listening), read from what the server already sent, without a query.
    ///
    /// # Errors
    /// SQL errors (the file is gone or locked past the busy timeout; the server went away).
    pub fn data_version(&self) -> Result<i64, StoreError> {
        match self.conn() {
            super::Db::Pg(pg) => pg.notified().context("listening for changes"),
            lite => lite.query_row("PRAGMA data_version", &[], |row| row.get(0)).context("reading data_version"),
        }
    }

    /// The time of the newest step in the file (the last audit entry), if any: a seat whose
    /// clock is well behind it is warned at sign-in.
    ///
    /// # Errors
    /// SQL errors.
    pub fn newest_step_time(&self) -> Result<Option<chrono::NaiveDateTime>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT at FROM case_events ORDER BY id DESC LIMIT 1", &[], |row| row.get(0))
            .optional()
            .context("reading the newest step")?;
        Ok(text.as_deref().and_then(crate::calendar::local_from_utc_text))
    }

    /// Writes a consistent copy of the whole database to `target` (`VACUUM INTO`), readers and
    /// writers carrying on meanwhile.
    ///
    /// # Errors
    /// `target` exists or cannot be written.
    pub fn copy_to(&self, target: &std::path::Path) -> Result<(), StoreError> {
        if self.is_server() {
            return Err(StoreError::NotOnServer { what: "a copy of the database file (back up a server with pg_dump)" });
        }
        let target_text = target.to_string_lossy().into_owned();
        self.conn()
            .execute("VACUUM INTO ?1", rusqlite::params![target_text])
            .context(format!("copying the database to {}", target.display()))?;
        Ok(())
    }

    /// Names the step the next case entry written on this connection belongs to (a seat makes
    /// the id); on a server the entry keeps it and the server takes each id once, so a step sent
    /// again after a lost connection can be recognised ([`Self::step_applied`]). Nothing on a
    /// file, where no commit is ever lost between the seat and the database.
    pub fn set_step_id(&self, step_id: Option<String>) {
        if let Some(pg) = self.conn().server() {
            pg.set_step_id(step_id);
        }
    }

    /// The case whose entry carries `step_id`, if that step was taken (on a server; `None` on
    /// a file).
    ///
    /// # Errors
    /// SQL errors.
    pub fn step_applied(&self, step_id: &str) -> Result<Option<i64>, StoreError> {
        if !self.is_server() {
            return Ok(None);
        }
        self.conn()
            .query_row("SELECT case_fid FROM case_events WHERE step_id = ?1", rusqlite::params![step_id], |row| row.get(0))
            .optional()
            .context("looking up a step")
    }

    /// The id of the newest audit-trail entry (0 when there is none).
    ///
    /// # Errors
    /// SQL errors.
    pub fn last_case_event_id(&self) -> Result<i64, StoreError> {
        self.conn().query_row("SELECT coalesce(max(id), 0) FROM case_events", &[], |row| row.get(0)).context("reading the audit trail")
    }

    /// The cases with audit entries newer than `after_event_id`, as they are now, and the id of
    /// the newest entry seen. Read in one transaction, so the cases and the id agree.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn cases_changed_since(&mut self, after_event_id: i64) -> Result<(Vec<Case>, i64), StoreError> {
        let tx = self.conn.begin_read().context("starting a read")?;
        let newest: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM case_events", &[], |row| row.get(0)).context("reading the audit trail")?;
        let newest = newest.max(after_event_id);
        let sql = format!(
            "SELECT {} FROM cases WHERE fid IN (SELECT DISTINCT case_fid FROM case_events WHERE id > ?1 AND id <= ?2) ORDER BY fid",
            super::queries::CASE_COLUMNS
        );
        let cases = super::queries::query_rows_with(&tx, "cases", &sql, rusqlite::params![after_event_id, newest], case_from_cells)?;
        drop(tx);
        Ok((cases, newest))
    }
}
