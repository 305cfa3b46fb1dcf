//! A seat on a server: the store opened on a PostgreSQL connection (`citygrid --db
//! postgresql://…`), as the signed-in account's own login so the server's GRANTs and row-level
//! security apply to everything the seat reads and writes, or as the URL's login (the owner, an
//! administrator's tools). The queries are the file's, through [`crate::store::sql`].

use crate::store::sql::{Db, PgConn};
use crate::store::{Store, StoreError};

use super::{PG_SCHEMA_VERSION, cases_channel, login_role, redacted, stored_version};

/// An account signing in at a seat on a server: its citygrid login and password, which are also
/// its server login's (`<database>_<login>`, set by `citygrid user passwd`).
#[derive(Clone)]
pub struct ServerAccount {
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for ServerAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAccount").field("login", &self.login).finish_non_exhaustive()
    }
}

/// The database name in a server URL (`None` when it names none).
#[must_use]
pub fn database_of(url: &str) -> Option<String> {
    let config: postgres::Config = url.parse().ok()?;
    config.get_dbname().map(str::to_owned)
}

impl Store {
    /// Opens the district on the server at `url`, as `account`'s own server login when given
    /// (a seat after sign-in), else as the URL's login. A server whose schema is older than this
    /// build is upgraded when the login may (the owner), else refused with what to run.
    ///
    /// # Errors
    /// [`StoreError::Server`]: a malformed URL, an unreachable server, a refused login (wrong
    /// password, no such account), a database without a citygrid district or of a newer
    /// citygrid.
    pub fn connect(url: &str, account: Option<&ServerAccount>) -> Result<Self, StoreError> {
        let server = redacted(url);
        let fail = |message: String| StoreError::Server { server: server.clone(), message };
        let mut config: postgres::Config = url.parse().map_err(|_| fail("not a PostgreSQL URL".into()))?;
        let database = config.get_dbname().map(str::to_owned).ok_or_else(|| fail("the URL names no database".into()))?;
        if let Some(account) = account {
            let role = login_role(&database, &account.login).map_err(|error| fail(error.to_string()))?;
            config.user(&role).password(&account.password);
        }
        config.connect_timeout(std::time::Duration::from_secs(10));
        config.application_name("citygrid seat");
        let mut client = config.connect(postgres::NoTls).map_err(|error| fail(connect_message(&error)))?;
        let version = stored_version(&mut client).map_err(|error| fail(error.to_string()))?;
        match version {
            None => return Err(fail("this database holds no citygrid district (move one in with `citygrid migrate`)".into())),
            Some(found) if found > PG_SCHEMA_VERSION => {
                return Err(fail(format!(
                    "the district has server schema {found}; this citygrid knows up to {PG_SCHEMA_VERSION}: update citygrid"
                )));
            }
            Some(found) if found < PG_SCHEMA_VERSION => {
                let upgraded = (|| -> anyhow::Result<()> {
                    let mut tx = client.transaction()?;
                    super::migrate_in(&mut tx)?;
                    tx.commit()?;
                    Ok(())
                })();
                if let Err(error) = &upgraded {
                    tracing::warn!("upgrading the server schema: {error:#}");
                }
                if upgraded.is_err() {
                    return Err(fail(format!(
                        "the district has server schema {found}, older than this build's {PG_SCHEMA_VERSION}; connect once as the database's owner (any command, e.g. `citygrid --db URL info`) to upgrade it"
                    )));
                }
            }
            Some(_) => {}
        }
        Ok(Self { conn: Db::Pg(Box::new(PgConn::new(client, cases_channel(&database)))), path: None })
    }
}

/// Why a connection failed, as a person reads it (a wrong password and an unknown login read
/// the same, as at the file's sign-in).
fn connect_message(error: &postgres::Error) -> String {
    match error.code() {
        Some(code)
            if *code == postgres::error::SqlState::INVALID_PASSWORD
                || *code == postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            "wrong login or password".into()
        }
        _ => {
            let text = error.to_string();
            if text.contains("password authentication failed") {
                "wrong login or password".into()
            } else {
                format!("cannot connect: {text}")
            }
        }
    }
}
