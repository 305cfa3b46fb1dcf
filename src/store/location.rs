//! Where a district is: a GeoPackage file on this machine, or a PostgreSQL server (with the
//! account a seat signed in as). Every part of the app that opens the district (the loader, the
//! desk worker, the wall) opens it from one of these.

use std::path::{Path, PathBuf};

use super::pg::{ServerAccount, is_server_url, redacted};
use super::{Store, StoreError};

/// A district's database.
#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    /// A server URL (its own login, if any, is the owner's or a tool's) and the account a seat
    /// signed in as, whose own server login is then used instead.
    Server {
        url: String,
        account: Option<ServerAccount>,
    },
}

impl Location {
    /// A `postgresql://` URL names a server; anything else is a file path.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        if is_server_url(text) { Self::Server { url: text.to_owned(), account: None } } else { Self::File(PathBuf::from(text)) }
    }

    /// Opens the district (a file is upgraded to this build's schema; a server is connected
    /// to as the signed-in account's own login when there is one).
    ///
    /// # Errors
    /// See [`Store::open`] and [`Store::connect`].
    pub fn open(&self) -> Result<Store, StoreError> {
        match self {
            Self::File(path) => Store::open(path),
            Self::Server { url, account } => Store::connect(url, account.as_ref()),
        }
    }

    /// The file, if the district is one.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            Self::Server { .. } => None,
        }
    }

    /// Whether a seat must sign in before anything can be read (a server without an account).
    #[must_use]
    pub fn needs_account(&self) -> bool {
        matches!(self, Self::Server { account: None, .. })
    }

    /// The same server as `account`.
    #[must_use]
    pub fn with_account(&self, account: ServerAccount) -> Self {
        match self {
            Self::File(path) => Self::File(path.clone()),
            Self::Server { url, .. } => Self::Server { url: url.clone(), account: Some(account) },
        }
    }

    /// For people: the file's path, or the server without its password.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Server { url, .. } => redacted(url),
        }
    }

    /// A short name: the file's name, or the server's database.
    #[must_use]
    pub fn short_name(&self) -> String {
        match self {
            Self::File(path) => path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned()),
            Self::Server { url, .. } => super::pg::database_of(url).unwrap_or_else(|| redacted(url)),
        }
    }
}
