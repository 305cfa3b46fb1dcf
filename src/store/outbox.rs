//! The durable exchange with other systems (issue 19), on either engine. Out: a trigger on the
//! audit trail queues every entry of a case linked to the city platform (and the filing, close
//! and reply of a 12345 ticket) in the entry's own transaction; `citygrid serve` delivers each in
//! order per case, retrying with back-off, and marks it sent when the other side acknowledged it.
//! In: each message received is kept with the answer given, by the sender's message id, in the
//! transaction that applied it: the same message again gets the same answer and changes nothing.

use chrono::NaiveDateTime;
use rusqlite::params;

use super::queries::{Cells, query_rows_with};
use super::sql::{Db, OptionalExtension as _, Tx};
use super::{SqlContext, Store, StoreError, Write, local_from_utc_text, utc_text_from_local};
use crate::model::{CaseEvent, OutboxRow, User};

/// A queued message, ready to be composed and sent.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub system: String,
    pub case_id: i64,
    /// The audit entry it reports.
    pub event: CaseEvent,
    /// Its place among the messages of its case to this system, from 1.
    pub seq: i64,
    pub attempts: i64,
}

/// How one delivery went: sent at, or why not and when to try again.
pub type Delivery = Result<NaiveDateTime, (String, NaiveDateTime)>;

fn time(cells: &Cells<'_, '_>, index: usize) -> Result<Option<NaiveDateTime>, StoreError> {
    Ok(cells.get::<Option<String>>(index)?.as_deref().and_then(local_from_utc_text))
}

impl Store {
    /// The answer given to `message_id` from `client_id`, if it was applied.
    ///
    /// # Errors
    /// SQL errors.
    pub fn inbox_answer(conn: &Db, client_id: i64, message_id: &str) -> Result<Option<String>, StoreError> {
        conn.query_row(
            "SELECT response FROM exchange_inbox WHERE client_id = ?1 AND message_id = ?2",
            params![client_id, message_id],
            |row| row.get(0),
        )
        .optional()
        .context("reading a received message")
    }

    /// Keeps a received message's answer in the transaction that applied it.
    ///
    /// # Errors
    /// SQL errors (the id kept already among them: the other write wins).
    pub fn record_inbox(
        tx: &Tx<'_>,
        client_id: i64,
        message_id: &str,
        kind: &str,
        at: NaiveDateTime,
        response: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO exchange_inbox (message_id, client_id, received_at, type, response) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![message_id, client_id, utc_text_from_local(at), kind, response],
        )
        .context("keeping a received message")?;
        Ok(())
    }

    /// The messages to `system` due now: for each case, its oldest unsent one (a case's messages
    /// go in order; one that fails holds back the later ones of its case, not other cases'),
    /// when its back-off has passed. Oldest first, at most `limit`.
    ///
    /// # Errors
    /// SQL errors, an entry that cannot be read.
    pub fn due_messages(&self, system: &str, now: NaiveDateTime, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT o.id, o.case_fid, o.event_id, o.attempts,
                    (SELECT count(*) FROM exchange_outbox p WHERE p.system = o.system AND p.case_fid = o.case_fid AND p.id <= o.id)
             FROM exchange_outbox o
             WHERE o.system = ?1 AND o.sent_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?2)
               AND NOT EXISTS (SELECT 1 FROM exchange_outbox e WHERE e.system = o.system AND e.case_fid = o.case_fid AND e.sent_at IS NULL AND e.id < o.id)
             ORDER BY o.id LIMIT {limit}"
        );
        let rows = query_rows_with(self.conn(), "exchange_outbox", &sql, params![system, utc_text_from_local(now)], |cells| {
            Ok((cells.get::<i64>(0)?, cells.get::<i64>(1)?, cells.get::<i64>(2)?, cells.get::<i64>(3)?, cells.get::<i64>(4)?))
        })?;
        let mut items = Vec::with_capacity(rows.len());
        for (id, case_id, event_id, attempts, seq) in rows {
            let event = self.case_events(case_id)?.into_iter().find(|event| event.id == event_id).ok_or_else(|| StoreError::BadRow {
                table: "exchange_outbox",
                row: id,
                problem: format!("entry {event_id} is missing"),
            })?;
            items.push(OutboxItem { id, system: system.to_owned(), case_id, event, seq, attempts });
        }
        Ok(items)
    }

    /// Records how the delivery of messages went, in one transaction: `Ok(sent_at)` for one the
    /// other side acknowledged, `Err((reason, retry_at))` for one it did not.
    ///
    /// # Errors
    /// SQL errors (nothing is recorded then: the messages go again, with the same ids).
    pub fn record_deliveries(&mut self, outcomes: &[(i64, Delivery)]) -> Result<(), StoreError> {
        self.atomically(|tx| {
            for (id, outcome) in outcomes {
                match outcome {
                    Ok(sent_at) => tx
                        .execute(
                            "UPDATE exchange_outbox SET sent_at = ?2, last_error = NULL WHERE id = ?1",
                            params![id, utc_text_from_local(*sent_at)],
                        )
                        .context("marking a message sent")?,
                    Err((reason, retry_at)) => {
                        let reason: String = reason.chars().take(500).collect();
                        tx.execute(
                            "UPDATE exchange_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                            params![id, reason, utc_text_from_local(*retry_at)],
                        )
                        .context("marking a message failed")?
                    }
                };
            }
            Ok(())
        })
    }

    /// The exchange window's list: every unsent message, and the newest `recent` sent ones.
    ///
    /// # Errors
    /// SQL errors.
    pub fn outbox_rows(&self, recent: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let recent = i64::try_from(recent).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT o.id, o.system, o.case_fid, c.case_no,
                    coalesce((SELECT l.external_id FROM case_links l WHERE l.case_fid = o.case_fid AND l.system = o.system), ''),
                    e.action, o.created_at, o.attempts, o.next_attempt_at, o.last_error, o.sent_at
             FROM exchange_outbox o JOIN cases c ON c.fid = o.case_fid JOIN case_events e ON e.id = o.event_id
             WHERE o.sent_at IS NULL OR o.id IN (SELECT id FROM exchange_outbox WHERE sent_at IS NOT NULL ORDER BY id DESC LIMIT {recent})
             ORDER BY o.sent_at IS NULL DESC, o.id DESC"
        );
        query_rows_with(self.conn(), "exchange_outbox", &sql, params![], |cells| {
            Ok(OutboxRow {
                id: cells.get(0)?,
                system: cells.get(1)?,
                case_id: cells.get(2)?,
                case_no: cells.get(3)?,
                external_id: cells.get(4)?,
                action: cells.get(5)?,
                created_at: time(cells, 6)?.unwrap_or_default(),
                attempts: cells.get(7)?,
                next_attempt_at: time(cells, 8)?,
                last_error: cells.get(9)?,
                sent_at: time(cells, 10)?,
            })
        })
    }

    /// Sends the unsent message `id` at the next round instead of after its back-off, by a
    /// shift leader or an administrator, recorded in the administrative trail. Whether it was
    /// unsent.
    ///
    /// # Errors
    /// An [`super::AccessError`], SQL errors.
    pub fn resend_message(&mut self, by: &User, id: i64, now: NaiveDateTime) -> Result<bool, StoreError> {
        self.atomically(|tx| {
            let actor = Self::acting_user_for(tx, by, Write::Exchange)?;
            let changed = tx
                .execute(
                    "UPDATE exchange_outbox SET next_attempt_at = ?2 WHERE id = ?1 AND sent_at IS NULL",
                    params![id, utc_text_from_local(now)],
                )
                .context("resending a message")?;
            if changed == 1 {
                let data = serde_json::json!({ "outbox_id": id });
                super::chain::append_admin_event(
                    tx,
                    &super::AdminEvent {
                        at: now,
                        actor_user_id: Some(actor.id),
                        action: "exchange_resend",
                        subject: "exchange_outbox",
                        data: &data,
                    },
                )?;
            }
            Ok(changed == 1)
        })
    }
}
