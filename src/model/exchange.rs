//! Other systems that send cases in and take results back (issue 19): their kinds, and a case's
//! link to one of them.

use chrono::NaiveDateTime;

use super::keyword_enum;

keyword_enum! {
    /// What kind of system a client is; each kind has its own API and its own class codes.
    pub enum ClientKind {
        /// A citizen app or a third party speaking Open311 GeoReport v2.
        Open311 = ("open311", "Open311 应用", "Open311 app"),
        /// The city-level platform (Art. 10, 14–16).
        City = ("city", "市级平台", "City platform"),
        /// The 12345 hotline (Art. 11, 21).
        Hotline = ("hotline", "12345热线", "12345 hotline"),
    }
}

/// A system allowed to call in, as the store keeps it (its key only as a SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceClient {
    pub id: i64,
    /// Unique, chosen by the administrator (`weixin`, `city`).
    pub name: String,
    pub kind: ClientKind,
    /// The account (role `interface`) its writes are made as.
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    /// Since when its key no longer works.
    pub revoked_at: Option<NaiveDateTime>,
}

/// A case's number and reply in another system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLink {
    pub case_id: i64,
    /// `open311`, `city`, `12345`.
    pub system: String,
    /// The case's number there (for Open311, the service request id: our case number).
    pub external_id: String,
    pub client_id: Option<i64>,
    /// How to reach the reporter (name, phone, e-mail), as they gave it.
    pub contact: String,
    /// A link to a photo hosted elsewhere, as an Open311 client gave it (never fetched).
    pub media_url: Option<String>,
    /// When the other system wants its reply.
    pub reply_due_at: Option<NaiveDateTime>,
    pub replied_at: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
}

/// A case's number in the system it came from, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    /// `city` or `12345`.
    pub system: String,
    pub id: String,
    /// That system's deadline: the city's for the handling, the hotline's for the reply.
    pub due_at: Option<NaiveDateTime>,
}

impl ExternalRef {
    /// `市级平台 SJ2026-00017`, `12345热线 GD…`.
    #[must_use]
    pub fn label(&self, chinese: bool) -> String {
        format!("{} {}", system_name(&self.system, chinese), self.id)
    }
}

/// The name of an exchange system (`city`, `12345`) for people.
#[must_use]
pub fn system_name(system: &str, chinese: bool) -> &str {
    match (system, chinese) {
        ("city", true) => "市级平台",
        ("city", false) => "City platform",
        ("12345", true) => "12345热线",
        ("12345", false) => "12345 hotline",
        (other, _) => other,
    }
}

/// A line of the exchange window: a queued message and how its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub system: String,
    pub case_id: i64,
    pub case_no: String,
    /// The case's number in the other system.
    pub external_id: String,
    pub action: String,
    pub created_at: NaiveDateTime,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// Not sent yet, and tried at least once.
    #[must_use]
    pub fn failing(&self) -> bool {
        self.sent_at.is_none() && self.attempts > 0
    }
}
