//! Cases in and out (issue 19), on either engine: the clients of other systems (each with the
//! SHA-256 of its API key, never the key, and the `interface` account it writes as), the
//! mapping of their class codes to the command manual's, and each case's link to the other
//! system (its number there, the reporter's contact, the reply owed).

use chrono::NaiveDateTime;
use rusqlite::params;
use sha2::{Digest as _, Sha256};

use super::accounts::account_event;
use super::queries::{CASE_COLUMNS, Cells, case_from_cells, query_rows_with};
use super::sql::{Db, OptionalExtension as _, Tx};
use super::{AccessError, AuthError, SqlContext, Store, StoreError, Write, local_from_utc_text, utc_text_from_local};
use crate::model::{Case, CaseLink, ClientKind, InterfaceClient, ItemKind, Keyword as _, Role, User};

/// One row of a system's class-code table: its code, and the manual's class it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCodeMapping {
    pub system: String,
    pub external_code: String,
    pub kind: ItemKind,
    pub class_code: String,
}

/// The SHA-256 of an API key, in hex: what the store keeps and looks a key up by.
#[must_use]
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A new API key: `cgk_` and 64 hex digits of the operating system's randomness (256 bits).
fn new_key() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("cgk_{}", bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>())
}

/// A client's name: 2 to 40 lower-case letters, digits, `-` or `_`.
fn check_client_name(name: &str) -> Result<(), AuthError> {
    let fits = (2..=40).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'_');
    if fits { Ok(()) } else { Err(AuthError::LoginTaken(format!("client:{name}"))) }
}

const CLIENT_COLUMNS: &str = "id, name, kind, user_id, created_at, revoked_at";

fn client_from_cells(cells: &Cells<'_, '_>) -> Result<InterfaceClient, StoreError> {
    let id = cells.get(0)?;
    let time = |index: usize| -> Result<Option<NaiveDateTime>, StoreError> {
        Ok(cells.get::<Option<String>>(index)?.as_deref().and_then(local_from_utc_text))
    };
    Ok(InterfaceClient {
        id,
        name: cells.get(1)?,
        kind: cells.keyword(2, id)?,
        user_id: cells.get(3)?,
        created_at: time(4)?.unwrap_or_default(),
        revoked_at: time(5)?,
    })
}

const LINK_COLUMNS: &str = "case_fid, system, external_id, client_id, contact, media_url, reply_due_at, replied_at, received_at";

fn link_from_cells(cells: &Cells<'_, '_>) -> Result<CaseLink, StoreError> {
    let time = |index: usize| -> Result<Option<NaiveDateTime>, StoreError> {
        Ok(cells.get::<Option<String>>(index)?.as_deref().and_then(local_from_utc_text))
    };
    Ok(CaseLink {
        case_id: cells.get(0)?,
        system: cells.get(1)?,
        external_id: cells.get(2)?,
        client_id: cells.get(3)?,
        contact: cells.get(4)?,
        media_url: cells.get(5)?,
        reply_due_at: time(6)?,
        replied_at: time(7)?,
        received_at: time(8)?.unwrap_or_default(),
    })
}

/// Which linked cases to list (Open311's `GET requests`); every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkedCaseQuery {
    /// Only these case numbers.
    pub case_nos: Vec<String>,
    /// Only these classes.
    pub classes: Vec<(ItemKind, String)>,
    /// Reported at or after (China time).
    pub from: Option<NaiveDateTime>,
    /// Reported before (China time).
    pub to: Option<NaiveDateTime>,
    /// Only open (`Some(true)`) or only finished (`Some(false)`) cases.
    pub open: Option<bool>,
    pub limit: usize,
}

impl Store {
    /// Registers a system allowed to call in, by administrator `by`: an account of role
    /// `interface` (login `client:<name>`, no password) and the client with the SHA-256 of a new
    /// key. The key is returned once and kept nowhere.
    ///
    /// # Errors
    /// A name that is not 2–40 of `a-z 0-9 - _` or is taken, an [`AccessError`], SQL errors.
    pub fn add_client(
        &mut self,
        by: &User,
        name: &str,
        kind: ClientKind,
        now: NaiveDateTime,
    ) -> Result<(InterfaceClient, String), AuthError> {
        check_client_name(name)?;
        let key = new_key();
        let hash = key_hash(&key);
        let login = format!("client:{name}");
        let id = self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::Accounts)?;
            let taken: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE login = ?1) OR EXISTS (SELECT 1 FROM interface_clients WHERE name = ?2)",
                    params![login, name],
                    |row| row.get(0),
                )
                .context("looking up a client")?;
            if taken {
                return Err(AuthError::LoginTaken(login.clone()));
            }
            let display = format!("{}：{name}", kind.label_zh());
            let user_id = Self::insert_user(tx, &login, &display, Role::Interface, None)?;
            let id: i64 = tx
                .query_row(
                    "INSERT INTO interface_clients (name, kind, key_hash, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    params![name, kind.keyword(), hash, user_id, utc_text_from_local(now)],
                    |row| row.get(0),
                )
                .context("registering a client")?;
            let data = serde_json::json!({ "client_id": id, "user_id": user_id, "kind": kind.keyword() });
            account_event(tx, &admin, "client_add", &login, &data)?;
            Ok::<i64, AuthError>(id)
        })?;
        let client = self.clients()?.into_iter().find(|client| client.id == id).ok_or(AuthError::NoSuchUser(id))?;
        Ok((client, key))
    }

    /// Revokes a client's key (and disables its account), by administrator `by`; its cases
    /// and their links stay.
    ///
    /// # Errors
    /// An unknown or already revoked client, an [`AccessError`], SQL errors.
    pub fn revoke_client(&mut self, by: &User, name: &str, now: NaiveDateTime) -> Result<InterfaceClient, AuthError> {
        self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::Accounts)?;
            let sql = format!("SELECT {CLIENT_COLUMNS} FROM interface_clients WHERE name = ?1 AND revoked_at IS NULL");
            let client = query_rows_with(tx, "interface_clients", &sql, params![name], client_from_cells)?
                .pop()
                .ok_or_else(|| AuthError::LoginTaken(format!("client:{name} (no such client, or revoked already)")))?;
            let at = utc_text_from_local(now);
            tx.execute("UPDATE interface_clients SET revoked_at = ?2 WHERE id = ?1", params![client.id, at])
                .context("revoking a client")?;
            tx.execute("UPDATE users SET disabled_at = ?2, auth_epoch = auth_epoch + 1 WHERE id = ?1", params![client.user_id, at])
                .context("disabling a client's account")?;
            account_event(tx, &admin, "client_revoke", &format!("client:{name}"), &serde_json::json!({ "client_id": client.id }))?;
            Ok(InterfaceClient { revoked_at: Some(now), ..client })
        })
    }

    /// Every client, by id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn clients(&self) -> Result<Vec<InterfaceClient>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM interface_clients ORDER BY id");
        query_rows_with(self.conn(), "interface_clients", &sql, params![], client_from_cells)
    }

    /// The client whose key has the SHA-256 `hash`, unless revoked, with its account as it is
    /// now (a disabled account is refused by the workflow at the write).
    ///
    /// # Errors
    /// SQL errors.
    pub fn client_by_key_hash(&self, hash: &str) -> Result<Option<(InterfaceClient, User)>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM interface_clients WHERE key_hash = ?1 AND revoked_at IS NULL");
        let Some(client) = query_rows_with(self.conn(), "interface_clients", &sql, params![hash], client_from_cells)?.pop() else {
            return Ok(None);
        };
        let user = Self::user_by_id(self.conn(), client.user_id)?.ok_or(AccessError::NoSuchUser(client.user_id))?;
        Ok(Some((client, user)))
    }

    /// A system's class-code table, by its code.
    ///
    /// # Errors
    /// SQL errors.
    pub fn class_codes(&self, system: &str) -> Result<Vec<ClassCodeMapping>, StoreError> {
        let mut rows = Vec::new();
        self.conn()
            .each_row(
                "SELECT system, external_code, kind, class_code FROM class_code_map WHERE system = ?1 ORDER BY external_code",
                params![system],
                |row| {
                    let kind: String = row.get(2)?;
                    rows.push((row.get::<String>(0)?, row.get::<String>(1)?, kind, row.get::<String>(3)?));
                    Ok::<_, super::SqlError>(())
                },
            )
            .context("reading a class-code table")?;
        rows.into_iter()
            .map(|(system, external_code, kind, class_code)| {
                let kind = <ItemKind as crate::model::Keyword>::from_keyword(&kind).ok_or_else(|| StoreError::BadRow {
                    table: "class_code_map",
                    row: 0,
                    problem: format!("unknown kind {kind:?}"),
                })?;
                Ok(ClassCodeMapping { system, external_code, kind, class_code })
            })
            .collect()
    }

    /// Maps `external_code` of `system` to the manual's class (`kind`, `class_code`), or
    /// removes the mapping (`None`), by administrator `by`, with its audit entry.
    ///
    /// # Errors
    /// A class the manual does not have, a code not of 1–40 printable characters, an
    /// [`AccessError`], SQL errors.
    pub fn set_class_code(
        &mut self,
        by: &User,
        system: &str,
        external_code: &str,
        class: Option<(ItemKind, &str)>,
    ) -> Result<bool, StoreError> {
        let external_code = external_code.trim();
        if external_code.is_empty() || external_code.chars().count() > 40 || external_code.chars().any(char::is_control) {
            return Err(StoreError::BadRow {
                table: "class_code_map",
                row: 0,
                problem: format!("code {external_code:?}: 1 to 40 characters"),
            });
        }
        self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::ReferenceData)?;
            let changed = match class {
                Some((kind, class_code)) => {
                    let known: bool = tx
                        .query_row(
                            "SELECT EXISTS (SELECT 1 FROM manual_entries WHERE kind = ?1 AND code = ?2)",
                            params![kind.keyword(), class_code],
                            |row| row.get(0),
                        )
                        .context("looking up a class")?;
                    if !known {
                        return Err(StoreError::BadRow {
                            table: "class_code_map",
                            row: 0,
                            problem: format!("the command manual has no {} class {class_code}", kind.keyword()),
                        });
                    }
                    tx.execute(
                        "INSERT INTO class_code_map (system, external_code, kind, class_code) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (system, external_code) DO UPDATE SET kind = excluded.kind, class_code = excluded.class_code",
                        params![system, external_code, kind.keyword(), class_code],
                    )
                    .context("mapping a class code")?
                }
                None => tx
                    .execute("DELETE FROM class_code_map WHERE system = ?1 AND external_code = ?2", params![system, external_code])
                    .context("removing a class code")?,
            };
            let data = serde_json::json!({
                "system": system, "external_code": external_code,
                "to": class.map(|(kind, code)| serde_json::json!({ "kind": kind.keyword(), "class_code": code })),
            });
            let data = super::chain::with_seal(tx, "reference", data)?;
            super::chain::append_admin_event(
                tx,
                &super::AdminEvent {
                    at: crate::calendar::china_now(),
                    actor_user_id: Some(admin.id),
                    action: "class_code",
                    subject: system,
                    data: &data,
                },
            )?;
            Ok(changed == 1)
        })
    }

    /// Links a case to its number in another system, in the caller's transaction.
    ///
    /// # Errors
    /// SQL errors (the number already linked among them).
    pub fn link_case(tx: &Tx<'_>, link: &CaseLink) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO case_links (case_fid, system, external_id, client_id, contact, media_url, reply_due_at, replied_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                link.case_id,
                link.system,
                link.external_id,
                link.client_id,
                link.contact,
                link.media_url,
                link.reply_due_at.map(utc_text_from_local),
                link.replied_at.map(utc_text_from_local),
                utc_text_from_local(link.received_at)
            ],
        )
        .context(format!("linking a case to {} {}", link.system, link.external_id))?;
        Ok(())
    }

    /// A case's links to other systems.
    ///
    /// # Errors
    /// SQL errors.
    pub fn case_links(conn: &Db, case_id: i64) -> Result<Vec<CaseLink>, StoreError> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM case_links WHERE case_fid = ?1 ORDER BY system, external_id");
        query_rows_with(conn, "case_links", &sql, params![case_id], link_from_cells)
    }

    /// A case's links to other systems (see [`Self::case_links`]).
    ///
    /// # Errors
    /// SQL errors.
    pub fn links_of_case(&self, case_id: i64) -> Result<Vec<CaseLink>, StoreError> {
        Self::case_links(self.conn(), case_id)
    }

    /// The case linked under `external_id` in `system`, if any.
    ///
    /// # Errors
    /// SQL errors.
    pub fn linked_case_id(conn: &Db, system: &str, external_id: &str) -> Result<Option<i64>, StoreError> {
        conn.query_row("SELECT case_fid FROM case_links WHERE system = ?1 AND external_id = ?2", params![system, external_id], |row| {
            row.get(0)
        })
        .optional()
        .context("looking up a linked case")
    }

    /// Whether the photo file `name` belongs to a case linked to `system` (its report's photos or
    /// a step's).
    ///
    /// # Errors
    /// SQL errors.
    pub fn is_linked_photo(&self, system: &str, name: &str) -> Result<bool, StoreError> {
        // The photo list is JSON text of paths; a name is `<hash>.<ext>`, with no LIKE wildcard.
        let pattern = format!("%{}\"%", name.replace(['%', '_'], ""));
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM cases WHERE photos LIKE ?2 AND fid IN (SELECT case_fid FROM case_links WHERE system = ?1))
                     OR EXISTS (SELECT 1 FROM case_events WHERE data LIKE ?2 AND case_fid IN (SELECT case_fid FROM case_links WHERE system = ?1))",
                params![system, pattern],
                |row| row.get(0),
            )
            .context("looking up a photo")
    }

    /// The cases linked to `system` that `query` selects, newest report first, each with its
    /// link.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn linked_cases(&self, system: &str, query: &LinkedCaseQuery) -> Result<Vec<(Case, CaseLink)>, StoreError> {
        let mut conditions = vec!["fid IN (SELECT case_fid FROM case_links WHERE system = ?1)".to_owned()];
        let mut values: Vec<String> = vec![system.to_owned()];
        let bind = |value: String, values: &mut Vec<String>| {
            values.push(value);
            format!("?{}", values.len())
        };
        if !query.case_nos.is_empty() {
            let slots: Vec<String> = query.case_nos.iter().map(|no| bind(no.clone(), &mut values)).collect();
            conditions.push(format!("case_no IN ({})", slots.join(", ")));
        }
        if !query.classes.is_empty() {
            let each: Vec<String> = query
                .classes
                .iter()
                .map(|(kind, code)| {
                    let subject = if *kind == ItemKind::Part { "part" } else { "event" };
                    format!("(subject = {} AND class_code = {})", bind(subject.to_owned(), &mut values), bind(code.clone(), &mut values))
                })
                .collect();
            conditions.push(format!("({})", each.join(" OR ")));
        }
        if let Some(from) = query.from {
            conditions.push(format!("reported_at >= {}", bind(utc_text_from_local(from), &mut values)));
        }
        if let Some(to) = query.to {
            conditions.push(format!("reported_at < {}", bind(utc_text_from_local(to), &mut values)));
        }
        if let Some(open) = query.open {
            let finished = crate::model::CaseState::ALL
                .iter()
                .filter(|state| !state.is_open())
                .map(|state| format!("'{}'", state.keyword()))
                .collect::<Vec<_>>()
                .join(", ");
            conditions.push(format!("state {} ({finished})", if open { "NOT IN" } else { "IN" }));
        }
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY reported_at DESC, fid DESC LIMIT {limit}",
            conditions.join(" AND ")
        );
        let params: Vec<&dyn rusqlite::ToSql> = values.iter().map(|value| value as &dyn rusqlite::ToSql).collect();
        let cases = query_rows_with(self.conn(), "cases", &sql, &params, case_from_cells)?;
        // Their links in one query per 500 cases (ids are integers: written into the SQL).
        let mut links: std::collections::HashMap<i64, CaseLink> = std::collections::HashMap::with_capacity(cases.len());
        for chunk in cases.chunks(500) {
            let ids = chunk.iter().map(|case| case.id.to_string()).collect::<Vec<_>>().join(", ");
            let sql = format!("SELECT {LINK_COLUMNS} FROM case_links WHERE system = ?1 AND case_fid IN ({ids})");
            for link in query_rows_with(self.conn(), "case_links", &sql, params![system], link_from_cells)? {
                links.insert(link.case_id, link);
            }
        }
        let mut linked = Vec::with_capacity(cases.len());
        for case in cases {
            let link = links.remove(&case.id).ok_or_else(|| StoreError::BadRow {
                table: "case_links",
                row: case.id,
                problem: "the link vanished".into(),
            })?;
            linked.push((case, link));
        }
        Ok(linked)
    }
}
