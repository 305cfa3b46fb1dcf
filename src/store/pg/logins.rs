//! Each account's own server login: `citygrid --db postgresql://… user passwd` sets the
//! account's password in citygrid (Argon2id in `users`) and for its login `<database>_<login>`
//! (a member of the seat role, so the server's GRANTs and row-level security apply to it). The
//! login's password goes to the server as a SCRAM-SHA-256 verifier made here: the password
//! itself never reaches the server or its logs.

use anyhow::{Context as _, Result, bail};

use super::{PgStore, seat_role};
use crate::model::{Keyword as _, Role};
use crate::store::{hash_password, verify_password};

/// The server login of `login` in `database`.
///
/// # Errors
/// A name PostgreSQL would truncate (more than 63 bytes).
pub fn login_role(database: &str, login: &str) -> Result<String> {
    let name = format!("{database}_{login}");
    if name.len() > 63 {
        bail!("the server login {name:?} would be longer than PostgreSQL's 63 bytes; use a shorter database name or login");
    }
    Ok(name)
}

impl PgStore {
    /// Lets `login`'s server login connect again, or stops it (an account disabled in citygrid;
    /// its row-level security already shows it nothing). Nothing to do for an account without a
    /// server login yet.
    ///
    /// # Errors
    /// SQL errors (the login making the change needs CREATEROLE).
    pub fn set_login_enabled(&mut self, login: &str, enabled: bool) -> Result<()> {
        let database: String = self.client.query_one("SELECT current_database()", &[])?.get(0);
        let role = login_role(&database, login)?;
        let exists: bool = self.client.query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[&role])?.get(0);
        if exists {
            let statement: String = self
                .client
                .query_one("SELECT format('ALTER ROLE %I ' || $2::text, $1::text)", &[&role, &if enabled { "LOGIN" } else { "NOLOGIN" }])?
                .get(0);
            self.client.batch_execute(&statement).context("changing the server login (the login making the change needs CREATEROLE)")?;
        }
        Ok(())
    }

    /// Sets `login`'s password, in citygrid and for its server login (created on first use),
    /// by `by` (that account itself, or an administrator: the account must then change it at its
    /// next sign-in). Ends the account's open sessions (its epoch rises) and appends an
    /// administrative audit entry. Returns the server login's name.
    ///
    /// # Errors
    /// A wrong password of `by`, a `by` not allowed to do it, an unknown login, a short
    /// password, SQL errors.
    pub fn set_password(&mut self, by_login: &str, by_password: &str, login: &str, password: &str) -> Result<String> {
        if password.chars().count() < crate::store::MIN_PASSWORD_CHARS {
            bail!("password too short: at least {} characters", crate::store::MIN_PASSWORD_CHARS);
        }
        let mut tx = self.client.transaction()?;
        let database: String = tx.query_one("SELECT current_database()", &[])?.get(0);
        let by = tx
            .query_opt("SELECT id, role, password_hash FROM users WHERE login = $1 AND disabled_at IS NULL", &[&by_login])?
            .map(|row| (row.get::<_, i64>(0), row.get::<_, String>(1), row.get::<_, Option<String>>(2)));
        let verified = by.filter(|(_, _, hash)| hash.as_deref().is_some_and(|hash| verify_password(by_password, hash)));
        let Some((by_id, by_role, _)) = verified else {
            bail!("--as {by_login}: wrong login or password, or the account is disabled");
        };
        let target: Option<i64> = tx.query_opt("SELECT id FROM users WHERE login = $1", &[&login])?.map(|row| row.get(0));
        let Some(target_id) = target else { bail!("no account {login:?} in this district") };
        let own = target_id == by_id;
        if !own && by_role != Role::Administrator.keyword() {
            bail!("--as {by_login}: only an administrator sets another account's password");
        }
        let role = login_role(&database, login)?;
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        let exists: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[&role])?.get(0);
        let statement: String = if exists {
            tx.query_one("SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", &[&role, &verifier])?.get(0)
        } else {
            tx.query_one(
                "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', $1::text, $2::text, $3::text)",
                &[&role, &verifier, &seat_role(&database)],
            )?
            .get(0)
        };
        tx.batch_execute(&statement).context("setting the server login (the login making the change needs CREATEROLE)")?;
        let hash = hash_password(password).map_err(|error| anyhow::anyhow!("{error}"))?;
        tx.execute(
            "UPDATE users SET password_hash = $1, pg_login = $2, must_change_password = $3, auth_epoch = auth_epoch + 1 WHERE id = $4",
            &[&hash, &role, &!own, &target_id],
        )?;
        let head: String =
            tx.query_one("SELECT coalesce((SELECT hash FROM citygrid_audit_head('admin_events')), repeat('0', 64))", &[])?.get(0);
        let data = serde_json::json!({ "server_login": role, "must_change_password": !own });
        super::copy::append_admin_entry(&mut tx, &head, by_id, "user_password", login, &data)?;
        tx.commit()?;
        Ok(role)
    }
}
