//! Shift handover notes (交接班记录): what the outgoing shift at the command centre leaves for
//! the next (cases to watch, calls expected, what is broken), with the shift's figures taken
//! when it was written, and who of the next shift confirmed reading it.
//!
//! Both are entries of the administrative trail (`handover`, `handover_read`): chained and
//! sealed like every other entry, appended under the writer's own account (checked in the
//! write's transaction here; on a server also by the row policy of schema 10), never changed.

use chrono::NaiveDateTime;

use super::chain::AdminEvent;
use super::{SqlContext, Store, StoreError, Write};
use crate::model::{HANDOVER_MAX_CHARS, Handover, User};

/// A `handover` entry as read: id, time, author id and name, action, data.
type NoteRow = (i64, String, Option<i64>, Option<String>, String, String);

fn bad(problem: String) -> StoreError {
    StoreError::BadRow { table: "admin_events", row: 0, problem }
}

impl Store {
    /// Writes a handover note by `by` (an intake operator, dispatcher or shift leader, checked
    /// on the account as it is in the database now) at `at`; returns its id.
    ///
    /// # Errors
    /// An empty or overlong note, an account not allowed to write one, SQL errors.
    pub fn write_handover(&mut self, by: &User, at: NaiveDateTime, text: &str, figures: &serde_json::Value) -> Result<i64, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(bad("the handover note is empty / 交接内容为空".into()));
        }
        if text.chars().count() > HANDOVER_MAX_CHARS {
            return Err(bad(format!(
                "the handover note is longer than {HANDOVER_MAX_CHARS} characters / 交接内容超过 {HANDOVER_MAX_CHARS} 字"
            )));
        }
        self.atomically(|tx| {
            let actor = Self::acting_user_for(tx, by, Write::Handover)?;
            let data = serde_json::json!({ "text": text, "figures": figures });
            let event = AdminEvent { at, actor_user_id: Some(actor.id), action: "handover", subject: &actor.login, data: &data };
            super::append_admin_event(tx, &event)
        })
    }

    /// Records that `by` (of the next shift) read the handover note `handover_id`. Reading it
    /// twice records nothing more; one's own note needs no confirming.
    ///
    /// # Errors
    /// No such note, an account not allowed to take over a shift, SQL errors.
    pub fn confirm_handover(&mut self, by: &User, handover_id: i64, at: NaiveDateTime) -> Result<(), StoreError> {
        self.atomically(|tx| {
            let actor = Self::acting_user_for(tx, by, Write::Handover)?;
            let author: Option<Option<i64>> = tx
                .query_rows(
                    "SELECT actor_user_id FROM admin_events WHERE id = ?1 AND action = 'handover'",
                    rusqlite::params![handover_id],
                    |row| row.get(0),
                )
                .context("reading the handover note")?
                .into_iter()
                .next();
            let Some(author) = author else { return Err(bad(format!("no handover note {handover_id} / 无此交接记录"))) };
            let subject = handover_id.to_string();
            let already: i64 = tx
                .query_row(
                    "SELECT count(*) FROM admin_events WHERE action = 'handover_read' AND subject = ?1 AND actor_user_id = ?2",
                    rusqlite::params![subject, actor.id],
                    |row| row.get(0),
                )
                .context("reading the handover confirmations")?;
            if already > 0 || author == Some(actor.id) {
                return Ok(());
            }
            let data = serde_json::json!({ "handover_id": handover_id });
            let event = AdminEvent { at, actor_user_id: Some(actor.id), action: "handover_read", subject: &subject, data: &data };
            super::append_admin_event(tx, &event).map(|_| ())
        })
    }

    /// The newest `limit` handover notes, newest first, each with who confirmed it.
    ///
    /// # Errors
    /// SQL errors, or an entry that does not read.
    pub fn handovers(&self, limit: usize) -> Result<Vec<Handover>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<NoteRow> = self
            .conn()
            .query_rows(
                "SELECT e.id, e.at, e.actor_user_id, u.display_name, e.action, e.data FROM admin_events e
                 LEFT JOIN users u ON u.id = e.actor_user_id
                 WHERE e.action = 'handover' ORDER BY e.id DESC LIMIT ?1",
                rusqlite::params![limit],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?)),
            )
            .context("reading the handover notes")?;
        let oldest = rows.last().map_or(i64::MAX, |row| row.0);
        let reads: Vec<(String, Option<i64>, Option<String>, String)> = self
            .conn()
            .query_rows(
                "SELECT e.subject, e.actor_user_id, u.display_name, e.at FROM admin_events e
                 LEFT JOIN users u ON u.id = e.actor_user_id
                 WHERE e.action = 'handover_read' AND e.id > ?1 ORDER BY e.id",
                rusqlite::params![oldest],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .context("reading the handover confirmations")?;
        rows.into_iter()
            .map(|(id, at, author_id, author, _, data)| {
                let at = crate::calendar::local_from_utc_text(&at).ok_or_else(|| bad(format!("entry {id}: bad time {at:?}")))?;
                let data: serde_json::Value = serde_json::from_str(&data).map_err(|error| bad(format!("entry {id}: {error}")))?;
                let mut read_by = Vec::new();
                for (subject, reader, name, read_at) in &reads {
                    if subject.parse::<i64>().ok() == Some(id)
                        && let (Some(reader), Some(read_at)) = (reader, crate::calendar::local_from_utc_text(read_at))
                    {
                        read_by.push((*reader, name.clone().unwrap_or_default(), read_at));
                    }
                }
                Ok(Handover {
                    id,
                    at,
                    author_id,
                    author: author.unwrap_or_default(),
                    text: data["text"].as_str().unwrap_or_default().to_owned(),
                    figures: data["figures"].clone(),
                    read_by,
                })
            })
            .collect()
    }
}
