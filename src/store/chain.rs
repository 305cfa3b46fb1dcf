//! The tamper-evident audit trail: two append-only, hash-chained tables.
//!
//! - `case_events`: every step of every case (the assessment is computed from it);
//! - `admin_events`: everything else that changes who may do what or how the centre is ranked:
//!   accounts, assessment weights, imports, reference data, schema migrations.
//!
//! Each entry carries `prev_hash` (the `hash` of the entry before it in its table, or
//! [`GENESIS`] for the first) and its own `hash`, SHA-256 over its content and `prev_hash`.
//! A case entry also carries `case_digest`, SHA-256 over the case row as the step left it, so a
//! case row edited without a step no longer matches its last entry.
//!
//! Triggers refuse UPDATE and DELETE on both tables, DELETE on `cases`, and an INSERT that does
//! not link to the newest entry. Whoever holds the file can still drop the triggers; what they
//! then change is found by [`Store::verify_audit`] (`citygrid audit verify`): a rewritten entry
//! no longer matches its hash, a deleted one breaks the link of the next, a case row no longer
//! matches its digest, its revision or its last state. Rewriting the whole chain from the
//! change onwards is caught by comparing the head hash with one written down earlier
//! (`--expect-head`).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::sql::{Db, OptionalExtension as _, Row, SqlError, refs};
use chrono::NaiveDateTime;
use rusqlite::types::{Value as SqlValue, ValueRef};
use sha2::{Digest, Sha256};

use super::case_flow::NewCaseEvent;
use super::queries::utc_text_from_local;
use super::{SqlContext, Store, StoreError};
use crate::model::Keyword as _;

/// `prev_hash` of the first entry of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The columns of `cases` a case digest covers, in order. Fixed: a later migration that adds a
/// column to `cases` keeps this list (or versions it), so old digests stay comparable.
pub const CASE_DIGEST_COLUMNS: [&str; 28] = [
    "fid",
    "geom",
    "case_no",
    "source",
    "subject",
    "class_code",
    "urgency",
    "part_code",
    "grid_code",
    "description",
    "photos",
    "reporter_contact",
    "state",
    "unit_id",
    "reported_at",
    "filed_at",
    "dispatched_at",
    "deadline_at",
    "closed_at",
    "close_type",
    "rework_count",
    "extended",
    "revision",
    "handled_at",
    "limit_unit",
    "paused_at",
    "paused_minutes",
    "pending_request",
];

/// Case columns added by schema 5 (address, 签收, 到场, stage clock, 催办, 督办) and 6 (协办).
/// They enter the digest after [`CASE_DIGEST_COLUMNS`], each with its name, but only when they
/// hold something (not NULL, 0 or empty text): a row written before them keeps the digest its
/// entries carry, and any later value is covered.
pub const CASE_DIGEST_COLUMNS_5: [&str; 7] =
    ["address", "signed_at", "arrived_at", "state_since", "urge_count", "supervised_at", "assisting"];

/// The content columns of a case entry, in the order they are hashed (`prev_hash` first).
pub(super) const CASE_ENTRY_COLUMNS: &str = "id, case_fid, at, actor_user_id, action, from_state, to_state, data, case_digest";
/// The content columns of an administrative entry, in the order they are hashed.
pub(super) const ADMIN_ENTRY_COLUMNS: &str = "id, at, actor_user_id, action, subject, data";

/// The triggers that keep the trail append-only; `audit verify` reports any that is missing.
pub const TRIGGERS: [&str; 7] = [
    "case_events_append_only_update",
    "case_events_append_only_delete",
    "case_events_linked",
    "admin_events_append_only_update",
    "admin_events_append_only_delete",
    "admin_events_linked",
    "cases_never_deleted",
];

/// The audit tables, each chained on its own.
const CHAINED_TABLES: [&str; 2] = ["case_events", "admin_events"];

/// SQL creating the triggers (migration 4; `audit verify` names any that is gone): for each
/// chained table, no UPDATE, no DELETE, and an INSERT only when it follows the newest entry and
/// carries its hash; and no DELETE on `cases`.
#[must_use]
pub fn triggers_sql() -> String {
    let mut sql = String::new();
    for table in CHAINED_TABLES {
        let _ = write!(
            sql,
            "
CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is the audit trail: an entry cannot be changed'); END;
CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is the audit trail: an entry cannot be deleted'); END;
CREATE TRIGGER {table}_linked BEFORE INSERT ON {table}
WHEN NEW.hash IS NULL OR length(NEW.hash) <> 64
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM {table} ORDER BY id DESC LIMIT 1), '{GENESIS}')
  OR NEW.id <= coalesce((SELECT max(id) FROM {table}), 0)
BEGIN SELECT RAISE(ABORT, '{table}: a new entry must follow the newest one and carry its hash'); END;"
        );
    }
    sql.push_str(
        "
CREATE TRIGGER cases_never_deleted BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'a case is never deleted (作废 is a step); nothing was changed'); END;
",
    );
    sql
}

/// Tables that change only through an administrative entry, in groups: each such entry carries
/// the digest of its group as the change left it (`data.sealed.<group>`), and `audit verify`
/// compares the newest with the tables as they are. An edit in QGIS or sqlite3 (a longer time
/// limit, a unit operator made administrator) then shows. Each table with the columns it is
/// ordered by.
pub const SEALED_GROUPS: [(&str, &[(&str, &str)]); 2] = [
    (
        "reference",
        &[
            ("units", "id"),
            ("manual_major_classes", "kind, code"),
            ("manual_entries", "id"),
            ("manual_limits", "id"),
            ("stage_limits", "stage, urgency"),
            ("calendar_days", "date"),
            ("class_code_map", "system, external_code"),
        ],
    ),
    ("accounts", &[("users", "id"), ("interface_clients", "id")]),
];

/// SHA-256 over every row of a sealed group's tables, in order.
///
/// # Errors
/// SQL errors.
pub(super) fn group_digest(conn: &Db, group: &str) -> Result<String, SqlError> {
    let tables = SEALED_GROUPS.iter().find(|(name, _)| *name == group).map_or(&[][..], |(_, tables)| *tables);
    let mut hasher = Sha256::new();
    hasher.update(b"citygrid sealed tables v1\0");
    for (table, order) in tables {
        // A table a later schema added is not in an older file's digest (its seals were made
        // without it; the migration that adds it seals again).
        if !table_exists(conn, table)? {
            continue;
        }
        feed(&mut hasher, ValueRef::Text(table.as_bytes()));
        conn.each_row(&format!("SELECT * FROM {table} ORDER BY {order}"), &[], |row| {
            hasher.update(b"row");
            for index in 0..row.column_count() {
                feed(&mut hasher, row.get_ref(index)?);
            }
            Ok::<_, SqlError>(())
        })?;
    }
    Ok(hex(hasher.finalize()))
}

/// Whether `table` exists, on either engine.
fn table_exists(conn: &Db, table: &str) -> Result<bool, SqlError> {
    let sql = if conn.is_server() {
        "SELECT to_regclass(?1) IS NOT NULL"
    } else {
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)"
    };
    conn.query_row(sql, rusqlite::params![table], |row| row.get(0))
}

/// The digest the newest admin entry that sealed `group` recorded, if any.
///
/// # Errors
/// SQL errors.
pub(super) fn latest_seal(conn: &Db, group: &str) -> Result<Option<String>, SqlError> {
    if conn.is_server() {
        return conn
            .query_row(
                "SELECT data::jsonb -> 'sealed' ->> ?1 FROM admin_events WHERE data::jsonb -> 'sealed' ->> ?1 IS NOT NULL ORDER BY id DESC LIMIT 1",
                rusqlite::params![group],
                |row| row.get(0),
            )
            .optional();
    }
    let path = format!("$.sealed.{group}");
    conn.query_row(
        "SELECT json_extract(data, ?1) FROM admin_events WHERE json_extract(data, ?1) IS NOT NULL ORDER BY id DESC LIMIT 1",
        rusqlite::params![path],
        |row| row.get(0),
    )
    .optional()
}

/// `data` with `sealed.<group>` set to the group's digest now (inside the change's transaction).
///
/// # Errors
/// SQL errors.
pub(super) fn with_seal(conn: &Db, group: &str, mut data: serde_json::Value) -> Result<serde_json::Value, StoreError> {
    let digest = group_digest(conn, group).context(format!("sealing the {group} tables"))?;
    if let serde_json::Value::Object(map) = &mut data {
        map.insert("sealed".into(), serde_json::json!({ group: digest }));
    }
    Ok(data)
}

/// Feeds one SQL value into a hash, typed and length-prefixed so no two different sequences of
/// values hash the same bytes.
fn feed(hasher: &mut Sha256, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => hasher.update(b"n"),
        ValueRef::Integer(number) => {
            hasher.update(b"i");
            hasher.update(number.to_be_bytes());
        }
        ValueRef::Real(number) => {
            hasher.update(b"r");
            hasher.update(number.to_bits().to_be_bytes());
        }
        ValueRef::Text(bytes) => {
            hasher.update(b"t");
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
        ValueRef::Blob(bytes) => {
            hasher.update(b"b");
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    }
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    let mut text = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The hash of an entry: `prev_hash`, then its content columns in order.
pub(super) fn entry_hash<'a>(prev_hash: &str, content: impl IntoIterator<Item = ValueRef<'a>>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"citygrid audit entry v1\0");
    feed(&mut hasher, ValueRef::Text(prev_hash.as_bytes()));
    for value in content {
        feed(&mut hasher, value);
    }
    hex(hasher.finalize())
}

/// SHA-256 over the case row `case_id` ([`CASE_DIGEST_COLUMNS`], names included); `None` when
/// there is no such row.
///
/// # Errors
/// SQL errors.
pub(super) fn case_digest(conn: &Db, case_id: i64) -> Result<Option<String>, SqlError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("SELECT {} FROM cases WHERE fid = ?1", digest_columns()));
    conn.query_row(&SQL, rusqlite::params![case_id], digest_of_row).optional()
}

/// The columns a case digest reads, in order: [`CASE_DIGEST_COLUMNS`], then
/// [`CASE_DIGEST_COLUMNS_5`].
pub(super) fn digest_columns() -> String {
    format!("{}, {}", CASE_DIGEST_COLUMNS.join(", "), CASE_DIGEST_COLUMNS_5.join(", "))
}

/// The digest of a row selected with [`digest_columns`] — or with [`CASE_DIGEST_COLUMNS`] only,
/// as migration 4 does before the later columns exist.
fn digest_of_row(row: &Row<'_>) -> rusqlite::Result<String> {
    let values: Vec<ValueRef<'_>> = (0..row.column_count()).map(|index| row.get_ref(index)).collect::<rusqlite::Result<_>>()?;
    Ok(digest_of_values(&values))
}

/// The digest of a case row's values in the order of [`digest_columns`] (or of
/// [`CASE_DIGEST_COLUMNS`] only): the one computation the file and the server share.
pub(super) fn digest_of_values(values: &[ValueRef<'_>]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"citygrid case row v1\0");
    for (column, value) in CASE_DIGEST_COLUMNS.iter().zip(values) {
        feed(&mut hasher, ValueRef::Text(column.as_bytes()));
        feed(&mut hasher, *value);
    }
    for (column, value) in CASE_DIGEST_COLUMNS_5.iter().zip(values.iter().skip(CASE_DIGEST_COLUMNS.len())) {
        if !matches!(value, ValueRef::Null | ValueRef::Integer(0)) && *value != ValueRef::Text(b"") {
            feed(&mut hasher, ValueRef::Text(column.as_bytes()));
            feed(&mut hasher, *value);
        }
    }
    hex(hasher.finalize())
}

/// The newest entry of a chain: (id, hash), or (0, [`GENESIS`]) for an empty one.
fn head(conn: &Db, table: &str) -> Result<(i64, String), SqlError> {
    // On a server a unit's login sees only its cases' entries; the chain's head is read by a
    // function that sees them all (schema 2).
    let sql = if conn.is_server() {
        format!("SELECT id, hash FROM citygrid_audit_head('{table}')")
    } else {
        format!("SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1")
    };
    let found: Option<(i64, Option<String>)> = conn.query_row(&sql, &[], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
    Ok(found.map_or_else(|| (0, GENESIS.to_owned()), |(id, hash)| (id, hash.unwrap_or_default())))
}

thread_local! {
    /// The channel the steps on this thread come through, when not the desk (see
    /// [`through_channel`]).
    static CHANNEL: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// Runs `work` with every case entry it appends marked as made through `channel` (`"terminal"`
/// for `citygrid serve`): the entry's data gets `"channel": channel`, inside the hash like the
/// rest of it. Entries without it were made at a desk.
pub fn through_channel<T>(channel: &'static str, work: impl FnOnce() -> T) -> T {
    struct Reset(Option<&'static str>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CHANNEL.with(|cell| cell.set(self.0));
        }
    }
    let _reset = Reset(CHANNEL.with(|cell| cell.replace(Some(channel))));
    work()
}

/// Appends a case entry linked to the newest one. The case row must already be as the step
/// leaves it: its digest goes into the entry.
pub(super) fn append_case_entry(conn: &Db, event: &NewCaseEvent<'_>) -> Result<i64, StoreError> {
    let case_id = event.case_id;
    let (last_id, prev_hash) = head(conn, "case_events").context("reading the newest audit entry")?;
    let id = last_id.checked_add(1).ok_or_else(|| StoreError::BadRow {
        table: "case_events",
        row: last_id,
        problem: "the audit trail's ids are used up".into(),
    })?;
    let digest = case_digest(conn, case_id).context("reading a case for its digest")?;
    let content = [
        SqlValue::Integer(id),
        SqlValue::Integer(case_id),
        SqlValue::Text(utc_text_from_local(event.at)),
        SqlValue::from(event.actor_user_id),
        SqlValue::Text(event.action.to_owned()),
        SqlValue::from(event.from_state.map(|state| state.keyword().to_owned())),
        SqlValue::Text(event.to_state.keyword().to_owned()),
        SqlValue::Text(match CHANNEL.with(std::cell::Cell::get) {
            Some(channel) if event.data.is_object() => {
                let mut data = event.data.clone();
                data["channel"] = serde_json::Value::String(channel.to_owned());
                data.to_string()
            }
            _ => event.data.to_string(),
        }),
        SqlValue::from(digest),
    ];
    let hash = entry_hash(&prev_hash, content.iter().map(ValueRef::from));
    // On a server the entry carries the seat's step id (outside the hash: the chain is the
    // file's), which the server keeps once.
    let step_id = conn.server().and_then(super::sql::PgConn::take_step_id);
    let values: Vec<SqlValue> =
        content.into_iter().chain([SqlValue::Text(prev_hash), SqlValue::Text(hash), SqlValue::from(step_id)]).collect();
    let sql = if conn.is_server() {
        format!(
            "INSERT INTO case_events ({CASE_ENTRY_COLUMNS}, prev_hash, hash, step_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        )
    } else {
        format!("INSERT INTO case_events ({CASE_ENTRY_COLUMNS}, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
    };
    conn.execute(&sql, &refs(&values[..if conn.is_server() { 12 } else { 11 }])).context("inserting audit entry")?;
    Ok(id)
}

/// An administrative entry to append: who changed accounts, weights, reference data, or
/// imported a file.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminEvent<'a> {
    pub at: NaiveDateTime,
    /// `None` only for what no person does: a schema migration.
    pub actor_user_id: Option<i64>,
    /// `user_add`, `user_password`, `user_disable`, `user_enable`, `weights`, `import`,
    /// `reference_data`, `init`, `migration`.
    pub action: &'a str,
    /// What was changed, in words a reader can search: a login, a file, a table.
    pub subject: &'a str,
    pub data: &'a serde_json::Value,
}

/// Appends an administrative entry linked to the newest one; returns its id.
///
/// # Errors
/// SQL errors.
pub fn append_admin_event(conn: &Db, event: &AdminEvent<'_>) -> Result<i64, StoreError> {
    append_admin_entry(conn, event).context("inserting an administrative audit entry")
}

/// [`append_admin_event`] with SQLite's own error (for migrations).
pub(super) fn append_admin_entry(conn: &Db, event: &AdminEvent<'_>) -> Result<i64, SqlError> {
    let (last_id, prev_hash) = head(conn, "admin_events")?;
    let id = last_id + 1;
    let content = [
        SqlValue::Integer(id),
        SqlValue::Text(utc_text_from_local(event.at)),
        SqlValue::from(event.actor_user_id),
        SqlValue::Text(event.action.to_owned()),
        SqlValue::Text(event.subject.to_owned()),
        SqlValue::Text(event.data.to_string()),
    ];
    let hash = entry_hash(&prev_hash, content.iter().map(ValueRef::from));
    let values: Vec<SqlValue> = content.into_iter().chain([SqlValue::Text(prev_hash), SqlValue::Text(hash)]).collect();
    conn.execute(
        &format!("INSERT INTO admin_events ({ADMIN_ENTRY_COLUMNS}, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        &refs(&values),
    )?;
    Ok(id)
}

/// Where a chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub table: &'static str,
    pub id: i64,
    pub problem: BreakKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's content no longer gives its hash: it was rewritten.
    Rewritten,
    /// The entry does not link to the entry before it: one before it was deleted, inserted or
    /// rewritten.
    Unlinked,
    /// The entry has no hash at all (written with the triggers dropped).
    Unhashed,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { table, id, problem } = self;
        match problem {
            BreakKind::Rewritten => write!(f, "{table} entry {id}: its content does not match its hash (the entry was rewritten)"),
            BreakKind::Unlinked => write!(
                f,
                "{table} entry {id}: it does not carry the hash of the entry before it (an entry before it was deleted, inserted or rewritten)"
            ),
            BreakKind::Unhashed => write!(f, "{table} entry {id}: it has no hash (written around citygrid with the triggers dropped)"),
        }
    }
}

/// A case whose row disagrees with its audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMismatch {
    pub case_id: i64,
    pub case_no: String,
    pub problem: String,
}

impl std::fmt::Display for CaseMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "case {} (fid {}): {}", self.case_no, self.case_id, self.problem)
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditReport {
    pub case_entries: u64,
    pub admin_entries: u64,
    /// The hash of the newest case entry: write it down to check later that nothing before it
    /// was rewritten (`--expect-head`).
    pub case_head: String,
    pub admin_head: String,
    /// The first break of each chain.
    pub breaks: Vec<ChainBreak>,
    /// Every entry after the first break that is broken too.
    pub further_breaks: u64,
    pub cases: Vec<CaseMismatch>,
    pub missing_triggers: Vec<&'static str>,
    /// An `--expect-head` hash that is not in the case chain.
    pub expected_head_missing: Option<String>,
    /// Sealed groups whose tables no longer match the newest entry that sealed them:
    /// (group, id of that entry, or 0 when no entry ever sealed them).
    pub unsealed: Vec<(&'static str, i64)>,
}

impl AuditReport {
    #[must_use]
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
            && self.cases.is_empty()
            && self.missing_triggers.is_empty()
            && self.expected_head_missing.is_none()
            && self.unsealed.is_empty()
    }
}

/// Walks one chain; returns (entries, head hash, first break, further breaks, hashes seen when
/// `remember` asks for them).
fn walk_chain(
    conn: &Db,
    table: &'static str,
    columns: &str,
    expected: Option<&str>,
    mut each: impl FnMut(&Row<'_>) -> rusqlite::Result<()>,
) -> Result<(u64, String, Option<ChainBreak>, u64, bool), StoreError> {
    let count = columns.split(',').count();
    let mut prev = GENESIS.to_owned();
    let (mut entries, mut first, mut further, mut seen_expected) = (0u64, None, 0u64, false);
    let sql = format!("SELECT {columns}, prev_hash, hash FROM {table} ORDER BY id");
    conn.each_row(&sql, &[], |row| {
        entries += 1;
        let id: i64 = row.get(0).context(format!("reading {table}"))?;
        let stored_prev: Option<String> = row.get(count).context(format!("reading {table}"))?;
        let stored: Option<String> = row.get(count + 1).context(format!("reading {table}"))?;
        let content: Vec<ValueRef<'_>> =
            (0..count).map(|index| row.get_ref(index)).collect::<rusqlite::Result<_>>().context(format!("reading {table}"))?;
        let problem = match (&stored_prev, &stored) {
            (Some(stored_prev), Some(stored)) => {
                if *stored_prev != prev {
                    Some(BreakKind::Unlinked)
                } else if entry_hash(stored_prev, content) != *stored {
                    Some(BreakKind::Rewritten)
                } else {
                    None
                }
            }
            _ => Some(BreakKind::Unhashed),
        };
        if let Some(problem) = problem {
            if first.is_none() {
                first = Some(ChainBreak { table, id, problem });
            } else {
                further += 1;
            }
        }
        prev = stored.unwrap_or_default();
        if expected == Some(prev.as_str()) {
            seen_expected = true;
        }
        each(row).context(format!("reading {table}"))?;
        Ok::<_, StoreError>(())
    })?;
    Ok((entries, prev, first, further, seen_expected))
}

impl Store {
    /// An administrator accepts the reference data (units, command manual, calendar) as it is
    /// now, after editing it in a GIS tool or sqlite3: an administrative entry seals it again.
    ///
    /// # Errors
    /// An [`super::AccessError`]; SQL errors.
    pub fn accept_reference_data(&mut self, by: &crate::model::User, note: &str) -> Result<i64, StoreError> {
        self.atomically(|tx| {
            let actor = Self::acting_user_for(tx, by, super::Write::ReferenceData)?;
            let data = with_seal(tx, "reference", serde_json::json!({ "note": note }))?;
            let event = AdminEvent {
                at: crate::calendar::china_now(),
                actor_user_id: Some(actor.id),
                action: "reference_data",
                subject: "accepted as it is",
                data: &data,
            };
            append_admin_event(tx, &event)
        })
    }

    /// The actions of the administrative trail, oldest first.
    ///
    /// # Errors
    /// SQL errors.
    pub fn admin_actions(&self) -> Result<Vec<String>, StoreError> {
        self.conn()
            .query_rows("SELECT action FROM admin_events ORDER BY id", &[], |row| row.get(0))
            .context("reading the administrative trail")
    }

    /// Checks the whole audit trail: both chains link and match their hashes, the triggers are
    /// in place, and every case row matches its last entry (digest, state) and has as many
    /// entries as its revision. `expect_head` is a case-chain hash written down earlier that
    /// must still be in the chain.
    ///
    /// # Errors
    /// SQL errors (a file too damaged to read).
    pub fn verify_audit(&self, expect_head: Option<&str>) -> Result<AuditReport, StoreError> {
        let conn = self.conn();
        let mut report = AuditReport::default();
        // Per case: (entries, last digest, last to_state).
        let mut trail: HashMap<i64, (u32, Option<String>, String)> = HashMap::new();
        let (entries, head, first, further, seen) = walk_chain(conn, "case_events", CASE_ENTRY_COLUMNS, expect_head, |row| {
            let case_id: i64 = row.get(1)?;
            let to_state: String = row.get(6)?;
            let digest: Option<String> = row.get(8)?;
            let entry = trail.entry(case_id).or_insert((0, None, String::new()));
            entry.0 += 1;
            entry.1 = digest;
            entry.2 = to_state;
            Ok(())
        })?;
        report.case_entries = entries;
        report.case_head = head;
        report.breaks.extend(first);
        report.further_breaks += further;
        if let Some(expected) = expect_head
            && !seen
        {
            report.expected_head_missing = Some(expected.to_owned());
        }
        // Per sealed group: (entry id, digest) of the newest entry that sealed it.
        let mut seals: HashMap<String, (i64, String)> = HashMap::new();
        let (entries, head, first, further, _) = walk_chain(conn, "admin_events", ADMIN_ENTRY_COLUMNS, None, |row| {
            let id: i64 = row.get(0)?;
            let data: String = row.get(5)?;
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&data)
                && let Some(serde_json::Value::Object(sealed)) = map.get("sealed")
            {
                for (group, digest) in sealed {
                    seals.insert(group.clone(), (id, digest.as_str().unwrap_or_default().to_owned()));
                }
            }
            Ok(())
        })?;
        // On a server the reference data and accounts are guarded by its GRANTs (no seat may
        // write them) and their column types are the server's: the seals are the file's check.
        let sealed_groups = if conn.is_server() { &[][..] } else { &SEALED_GROUPS[..] };
        for &(group, _) in sealed_groups {
            let now = group_digest(conn, group).context(format!("reading the {group} tables"))?;
            match seals.get(group) {
                Some((_, digest)) if *digest == now => {}
                Some((id, _)) => report.unsealed.push((group, *id)),
                None => report.unsealed.push((group, 0)),
            }
        }
        report.admin_entries = entries;
        report.admin_head = head;
        report.breaks.extend(first);
        report.further_breaks += further;
        self.check_case_rows(&mut trail, &mut report)?;
        let (sql, expected): (&str, &[&'static str]) = if conn.is_server() {
            ("SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal", &super::pg::SERVER_TRIGGERS)
        } else {
            ("SELECT name FROM sqlite_master WHERE type = 'trigger'", &TRIGGERS)
        };
        let present: Vec<String> = conn.query_rows(sql, &[], |row| row.get(0)).context("reading the triggers")?;
        report.missing_triggers = expected.iter().copied().filter(|name| !present.iter().any(|found| found == name)).collect();
        Ok(report)
    }

    fn check_case_rows(&self, trail: &mut HashMap<i64, (u32, Option<String>, String)>, report: &mut AuditReport) -> Result<(), StoreError> {
        let columns = digest_columns();
        self.conn().each_row(&format!("SELECT {columns} FROM cases ORDER BY fid"), &[], |row| {
            let read = || -> rusqlite::Result<(i64, String, String, i64, String)> {
                Ok((row.get(0)?, row.get(2)?, row.get(12)?, row.get(22)?, digest_of_row(row)?))
            };
            let (case_id, case_no, state, revision, digest) = read().context("reading cases")?;
            let mut mismatch = |problem: String| report.cases.push(CaseMismatch { case_id, case_no: case_no.clone(), problem });
            match trail.remove(&case_id) {
                None => mismatch("it has no audit entry at all".into()),
                Some((entries, last_digest, last_state)) => {
                    if i64::from(entries) != revision {
                        mismatch(format!(
                            "revision {revision} but {entries} audit entries (a step was written or removed around citygrid)"
                        ));
                    }
                    if last_state != state {
                        mismatch(format!("state {state:?} but its last audit entry says {last_state:?}"));
                    }
                    if last_digest.as_ref().is_some_and(|last| *last != digest) {
                        mismatch("the row was changed after its last audit entry (edited without a step)".into());
                    }
                }
            }
            Ok::<_, StoreError>(())
        })?;
        let mut orphans: Vec<i64> = trail.keys().copied().collect();
        orphans.sort_unstable();
        for case_id in orphans {
            report.cases.push(CaseMismatch {
                case_id,
                case_no: String::new(),
                problem: "audit entries for a case that is no longer in the file (the case was deleted)".into(),
            });
        }
        Ok(())
    }
}

/// A case's digest as migration 4 computes it: the later columns do not exist yet.
fn digest_before_5(conn: &Db, case_id: i64) -> Result<Option<String>, SqlError> {
    let sql = format!("SELECT {} FROM cases WHERE fid = ?1", CASE_DIGEST_COLUMNS.join(", "));
    conn.query_row(&sql, rusqlite::params![case_id], digest_of_row).optional()
}

/// Migration 4's work on a file that already has entries: hashes every existing case entry in
/// order, and gives the newest entry of each case the digest of its row as it is now.
pub(super) fn seal_existing_entries(conn: &Db) -> Result<u64, SqlError> {
    let last_of_case: HashMap<i64, i64> = conn
        .query_rows("SELECT case_fid, max(id) FROM case_events GROUP BY case_fid", &[], |row| Ok((row.get(0)?, row.get(1)?)))?
        .into_iter()
        .collect();
    let sql = format!("SELECT {CASE_ENTRY_COLUMNS} FROM case_events ORDER BY id");
    let entries: Vec<Vec<SqlValue>> =
        conn.query_rows(&sql, &[], |row| (0..8).map(|index| row.get::<SqlValue>(index)).collect::<rusqlite::Result<_>>())?;
    let mut prev = GENESIS.to_owned();
    let mut sealed = 0u64;
    for mut content in entries {
        let (SqlValue::Integer(id), SqlValue::Integer(case_id)) = (content[0].clone(), content[1].clone()) else { continue };
        let digest = if last_of_case.get(&case_id) == Some(&id) { digest_before_5(conn, case_id)? } else { None };
        content.push(SqlValue::from(digest.clone()));
        let hash = entry_hash(&prev, content.iter().map(ValueRef::from));
        conn.execute(
            "UPDATE case_events SET case_digest = ?2, prev_hash = ?3, hash = ?4 WHERE id = ?1",
            rusqlite::params![id, digest, prev, hash],
        )?;
        prev = hash;
        sealed += 1;
    }
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file written by schema 3 with a case and its trail, then upgraded: the existing entries
    /// are sealed in order and the file verifies intact; an edit after that does not.
    #[test]
    fn migration_4_seals_an_existing_trail() {
        let conn = Db::Lite(rusqlite::Connection::open_in_memory().expect("memory"));
        super::super::gpkg::register_functions(conn.lite().expect("a file")).expect("functions");
        let tx = conn.begin().expect("tx");
        for migration in &super::super::schema::MIGRATIONS[..3] {
            migration(&tx).expect("schema 1 to 3");
        }
        tx.execute_batch(
            "INSERT INTO units (id, code, name_zh, name_en, class) VALUES (1, 'U1', '单位', 'unit', '1');
             INSERT INTO users (id, login, display_name, role) VALUES (1, 'leader', '值班长', 'shift_leader');
             INSERT INTO cases (geom, case_no, source, subject, class_code, urgency, description, state, unit_id, reported_at, revision)
               VALUES (X'47500001E6100000010100000000000000000024400000000000003E40', '202601010001', 'collector', 'event', '0101',
                       'normal', '', 'dispatched', 1, '2026-01-01T01:00:00Z', 3);
             INSERT INTO case_events (case_fid, at, actor_user_id, action, from_state, to_state) VALUES
               (1, '2026-01-01T01:00:00Z', 1, 'report', NULL, 'reported'),
               (1, '2026-01-01T01:05:00Z', 1, 'file', 'reported', 'filed'),
               (1, '2026-01-01T01:10:00Z', 1, 'dispatch', 'filed', 'dispatched');",
        )
        .expect("a schema-3 trail");
        super::super::schema::MIGRATIONS[3](&tx).expect("migration 4");
        // Migrations 5 and 6 add case columns: the digests sealed by migration 4 still hold.
        super::super::schema::MIGRATIONS[4](&tx).expect("migration 5");
        super::super::schema::MIGRATIONS[5](&tx).expect("migration 6");
        tx.commit().expect("commit");
        let store = Store { conn, path: None };
        let report = store.verify_audit(None).expect("verify");
        assert!(report.is_intact(), "{report:?}");
        assert_eq!((report.case_entries, report.admin_entries), (3, 3));
        let error = store.conn().execute("UPDATE case_events SET at = at WHERE id = 1", &[]).expect_err("append-only now");
        assert!(error.to_string().contains("cannot be changed"), "{error}");
        store.conn().execute("UPDATE cases SET description = 'edited' WHERE fid = 1", &[]).expect("an edit without a step");
        let report = store.verify_audit(None).expect("verify");
        assert_eq!(report.cases.len(), 1, "{report:?}");
        store.conn().execute("UPDATE cases SET description = '' WHERE fid = 1", &[]).expect("undo");
        assert!(store.verify_audit(None).expect("verify").is_intact());
        // A value in a schema-5 column is covered too.
        store.conn().execute("UPDATE cases SET urge_count = 3 WHERE fid = 1", &[]).expect("an edit without a step");
        assert_eq!(store.verify_audit(None).expect("verify").cases.len(), 1);
    }

    #[test]
    fn a_hash_depends_on_every_value_and_its_type() {
        let base = entry_hash(GENESIS, [ValueRef::Integer(1), ValueRef::Text(b"a")]);
        assert_eq!(base.len(), 64);
        assert_ne!(base, entry_hash(GENESIS, [ValueRef::Integer(1), ValueRef::Text(b"b")]));
        assert_ne!(base, entry_hash(GENESIS, [ValueRef::Text(b"1"), ValueRef::Text(b"a")]), "the type is hashed");
        assert_ne!(
            entry_hash(GENESIS, [ValueRef::Text(b"ab"), ValueRef::Text(b"")]),
            entry_hash(GENESIS, [ValueRef::Text(b"a"), ValueRef::Text(b"b")]),
            "lengths are hashed"
        );
        assert_ne!(base, entry_hash(&base, [ValueRef::Integer(1), ValueRef::Text(b"a")]), "the link is hashed");
    }
}
