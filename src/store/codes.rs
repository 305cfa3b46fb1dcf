//! What an import checks new features against: the codes and numbers already in the database,
//! and the larger page cache a million-row commit wants.

use std::collections::HashSet;

use super::sql::OptionalExtension as _;

use super::{SqlContext, Store, StoreError};

impl Store {
    /// Every part code in the three part layers, as numbers (a code that does not parse counts
    /// as 0).
    ///
    /// # Errors
    /// SQL errors.
    pub fn part_codes(&self) -> Result<HashSet<u64>, StoreError> {
        let mut codes = HashSet::new();
        self.conn()
            .each_row(
                "SELECT code FROM part_points UNION ALL SELECT code FROM part_lines UNION ALL SELECT code FROM part_polygons",
                &[],
                |row| {
                    if let Ok(code) = row.get::<String>(0).map(|text| text.parse::<u64>().unwrap_or(0)) {
                        codes.insert(code);
                    }
                    Ok::<_, super::SqlError>(())
                },
            )
            .context("reading part codes")?;
        Ok(codes)
    }

    /// (kind keyword, code) of every jurisdiction in force (no `valid_to`).
    ///
    /// # Errors
    /// SQL errors.
    pub fn current_jurisdiction_keys(&self) -> Result<HashSet<(String, String)>, StoreError> {
        let rows = self
            .conn()
            .query_rows("SELECT kind, code FROM jurisdictions WHERE valid_to IS NULL", &[], |row| Ok((row.get(0)?, row.get(1)?)))
            .context("reading jurisdiction codes")?;
        Ok(rows.into_iter().collect())
    }

    /// The code of every jurisdiction, in force or not.
    ///
    /// # Errors
    /// SQL errors.
    pub fn jurisdiction_codes(&self) -> Result<HashSet<String>, StoreError> {
        let codes =
            self.conn().query_rows("SELECT code FROM jurisdictions", &[], |row| row.get(0)).context("reading jurisdiction codes")?;
        Ok(codes.into_iter().collect())
    }

    /// Every case number.
    ///
    /// # Errors
    /// SQL errors.
    pub fn case_numbers(&self) -> Result<HashSet<String>, StoreError> {
        let numbers = self.conn().query_rows("SELECT case_no FROM cases", &[], |row| row.get(0)).context("reading case numbers")?;
        Ok(numbers.into_iter().collect())
    }

    /// Runs `work` with SQLite's page cache at `kib` KiB, then puts the cache back as it was
    /// (a million rows touch the R-tree and the code index all over: with the default 2 MB most
    /// of the time goes into spilling pages to the WAL and reading them back).
    ///
    /// # Errors
    /// SQL errors setting the cache; `work`'s own result otherwise.
    pub fn with_page_cache<T, E: From<StoreError>>(&mut self, kib: i64, work: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E> {
        if self.is_server() {
            return work(self);
        }
        let pages: i64 = self.conn().query_row("PRAGMA cache_size", &[], |row| row.get(0)).context("reading the page cache size")?;
        self.conn().execute_batch(&format!("PRAGMA cache_size = -{kib}")).context("setting the page cache")?;
        let result = work(self);
        self.conn().execute_batch(&format!("PRAGMA cache_size = {pages}")).context("restoring the page cache")?;
        result
    }

    /// Sets a `citygrid_meta` value for every seat that changes how units are ranked (the
    /// assessment's weights), by `by`, who must be allowed `what`; the old and new values go
    /// into the administrative audit trail in the same transaction.
    ///
    /// # Errors
    /// An [`super::AccessError`] in [`StoreError::Access`]; SQL errors.
    pub fn set_audited_meta(&mut self, by: &crate::model::User, what: super::Write, key: &str, value: &str) -> Result<(), StoreError> {
        self.atomically(|tx| {
            let actor = Self::acting_user_for(tx, by, what)?;
            let old: Option<String> = tx
                .query_row("SELECT value FROM citygrid_meta WHERE key = ?1", rusqlite::params![key], |row| row.get(0))
                .optional()
                .context(format!("reading the setting {key}"))?;
            tx.execute(
                "INSERT INTO citygrid_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, value],
            )
            .context(format!("writing the setting {key}"))?;
            let data = serde_json::json!({ "old": old, "new": value });
            let event = super::AdminEvent {
                at: crate::calendar::china_now(),
                actor_user_id: Some(actor.id),
                action: "setting",
                subject: key,
                data: &data,
            };
            super::append_admin_event(tx, &event)?;
            Ok(())
        })
    }
}
