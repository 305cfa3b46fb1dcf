//! What `citygrid serve` keeps in the district, on either engine: the terminals' sessions (the
//! SHA-256 of each token, never the token, with the account's epoch at sign-in and the expiry),
//! the writes terminals made by the id the device gave each (so a retried request is answered
//! from here instead of being written twice), and the reads a terminal's lists need.

use chrono::NaiveDateTime;
use rusqlite::params;

use super::queries::{CASE_COLUMNS, case_from_cells, query_rows_with};
use super::sql::{Db, OptionalExtension as _, Tx};
use super::{SqlContext, Store, StoreError, local_from_utc_text, utc_text_from_local};
use crate::model::{Case, CaseState, Keyword as _, UnitId, User};

/// A terminal's session as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSession {
    pub user_id: i64,
    /// The account's epoch at sign-in: a change of role, unit, password or state since ends the
    /// session (see [`Store::acting_user`]).
    pub epoch: i64,
    pub expires_at: NaiveDateTime,
}

/// A write a terminal made, as kept by its request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRequest {
    pub user_id: i64,
    pub kind: String,
    /// The answer sent the first time (JSON), sent again to a retry.
    pub response: String,
}

impl Store {
    /// Starts a terminal session for `user` (just authenticated) under the token whose SHA-256
    /// is `token_hash`.
    ///
    /// # Errors
    /// SQL errors (a hash already in use among them).
    pub fn start_terminal_session(
        &mut self,
        token_hash: &str,
        user: &User,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
        client: &str,
    ) -> Result<(), StoreError> {
        self.atomically(|tx| {
            tx.execute(
                "INSERT INTO terminal_sessions (token_hash, user_id, epoch, created_at, expires_at, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![token_hash, user.id, user.epoch, utc_text_from_local(now), utc_text_from_local(expires_at), client],
            )
            .context("starting a terminal session")?;
            // Sessions that ended or expired a week ago are of no further use.
            let week_ago = utc_text_from_local(now - chrono::Duration::days(7));
            tx.execute("DELETE FROM terminal_sessions WHERE coalesce(ended_at, expires_at) < ?1", params![week_ago])
                .context("forgetting old terminal sessions")?;
            Ok(())
        })
    }

    /// The session of the token whose SHA-256 is `token_hash`, if it has not ended or expired.
    ///
    /// # Errors
    /// SQL errors.
    pub fn terminal_session(&self, token_hash: &str, now: NaiveDateTime) -> Result<Option<TerminalSession>, StoreError> {
        let found: Option<(i64, i64, String)> = self
            .conn()
            .query_row(
                "SELECT user_id, epoch, expires_at FROM terminal_sessions WHERE token_hash = ?1 AND ended_at IS NULL",
                params![token_hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .context("reading a terminal session")?;
        Ok(found.and_then(|(user_id, epoch, expires)| {
            let expires_at = local_from_utc_text(&expires)?;
            (expires_at > now).then_some(TerminalSession { user_id, epoch, expires_at })
        }))
    }

    /// Ends the session of `token_hash` (sign-out); whether it was open.
    ///
    /// # Errors
    /// SQL errors.
    pub fn end_terminal_session(&mut self, token_hash: &str, now: NaiveDateTime) -> Result<bool, StoreError> {
        self.atomically(|tx| {
            let ended = tx
                .execute(
                    "UPDATE terminal_sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
                    params![token_hash, utc_text_from_local(now)],
                )
                .context("ending a terminal session")?;
            Ok(ended == 1)
        })
    }

    /// The write a terminal made under `request_id`, if one was committed.
    ///
    /// # Errors
    /// SQL errors.
    pub fn terminal_request(conn: &Db, request_id: &str) -> Result<Option<TerminalRequest>, StoreError> {
        conn.query_row("SELECT user_id, kind, response FROM terminal_requests WHERE request_id = ?1", params![request_id], |row| {
            Ok(TerminalRequest { user_id: row.get(0)?, kind: row.get(1)?, response: row.get(2)? })
        })
        .optional()
        .context("reading a terminal request")
    }

    /// Keeps the answer to `request_id` in the write's own transaction: committed together, or
    /// neither.
    ///
    /// # Errors
    /// SQL errors (the id already kept among them: the other write wins, this one rolls back).
    pub fn record_terminal_request(
        tx: &Tx<'_>,
        request_id: &str,
        user_id: i64,
        at: NaiveDateTime,
        kind: &str,
        response: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO terminal_requests (request_id, user_id, at, kind, response) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![request_id, user_id, utc_text_from_local(at), kind, response],
        )
        .context("keeping a terminal request")?;
        Ok(())
    }

    /// The cases a unit leads or assists on that are not finished (closed, rejected,
    /// cancelled), newest report first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn open_cases_of_unit(&self, unit: UnitId) -> Result<Vec<Case>, StoreError> {
        let finished = finished_states();
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE (unit_id = ?1 OR assisting IS NOT NULL) AND state NOT IN ({finished})
             ORDER BY reported_at DESC, fid DESC"
        );
        let cases = query_rows_with(self.conn(), "cases", &sql, params![unit.0], case_from_cells)?;
        Ok(cases.into_iter().filter(|case| case.involves(unit)).collect())
    }

    /// The verifications a field collector is asked for: the handled cases they reported, and
    /// those no collector reported (a hotline's, a citizen's); a case another collector reported
    /// is that collector's to verify. Oldest in the state first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn verifications_for(&self, user_id: i64) -> Result<Vec<Case>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE state = 'handled' AND NOT EXISTS (
               SELECT 1 FROM case_events e JOIN users u ON u.id = e.actor_user_id
               WHERE e.case_fid = cases.fid AND e.action = 'report' AND u.role = 'collector' AND u.id <> ?1)
             ORDER BY coalesce(state_since, reported_at), fid"
        );
        query_rows_with(self.conn(), "cases", &sql, params![user_id], case_from_cells)
    }

    /// The cases `user_id` reported (the author of each case's report entry), newest first,
    /// at most `limit`.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn cases_reported_by(&self, user_id: i64, limit: usize) -> Result<Vec<Case>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE fid IN (SELECT case_fid FROM case_events WHERE action = 'report' AND actor_user_id = ?1)
             ORDER BY reported_at DESC, fid DESC LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query_rows_with(self.conn(), "cases", &sql, params![user_id, limit], case_from_cells)
    }
}

/// `'closed', 'rejected', …`: the states a case is finished in.
fn finished_states() -> String {
    CaseState::ALL.iter().filter(|state| !state.is_open()).map(|state| format!("'{}'", state.keyword())).collect::<Vec<_>>().join(", ")
}
