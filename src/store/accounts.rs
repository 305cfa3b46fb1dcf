//! Local accounts: Argon2id password hashes (PHC strings in `users.password_hash`) and sign-in.
//!
//! A failed sign-in takes about as long whether the login is unknown, has no password or the
//! password is wrong (a dummy hash is verified in the first two cases), and the error never says
//! which of the three it was. Passwords are never logged or kept.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};

use rusqlite::Transaction;

use super::queries::{query_rows, query_rows_with};
use super::{SqlContext, Store, StoreError};
use crate::model::{Keyword as _, UnitId, User};

/// Shortest password accepted by [`Store::set_password`].
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why a sign-in or a password change failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown login, an account without a password, or a wrong password: deliberately the same.
    #[error("wrong login or password")]
    WrongCredentials,
    #[error("password too short: at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("no user with id {0}")]
    NoSuchUser(i64),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The login is empty or already used by another account.
    #[error("the login {0:?} is empty or already taken")]
    LoginTaken(String),
    /// A unit operator account must name its unit.
    #[error("a unit operator account needs its unit")]
    UnitRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// The message in Chinese or English, for the sign-in form.
    #[must_use]
    pub fn message(&self, chinese: bool) -> String {
        match (self, chinese) {
            (Self::WrongCredentials, true) => "用户名或密码错误".to_owned(),
            (Self::PasswordTooShort { min }, true) => format!("密码太短：至少 {min} 个字符"),
            (Self::NoSuchUser(id), true) => format!("不存在编号为 {id} 的用户"),
            (Self::Hashing(problem), true) => format!("密码加密失败：{problem}"),
            (Self::LoginTaken(login), true) => format!("账号 {login:?} 为空或已被使用"),
            (Self::UnitRequired, true) => "责任单位操作员账号必须指定所属单位".to_owned(),
            (Self::Store(error), true) => format!("数据库错误：{error}"),
            (error, false) => error.to_string(),
        }
    }
}

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes) and a fresh random
/// salt; returns the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
///
/// # Errors
/// Only if the hasher refuses its input, which it does not for any password string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let mut salt_bytes = [0u8; 16];
    // ThreadRng is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|error| AuthError::Hashing(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hashing(error.to_string()))
}

/// Whether `password` matches a PHC string; a malformed string never matches.
#[must_use]
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A hash of a password nobody has, verified when there is no real hash to check, so that an
/// unknown login costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("citygrid-no-such-account").unwrap_or_default())
}

fn user_from_cells(cells: &super::queries::Cells<'_, '_>) -> Result<User, StoreError> {
    let id = cells.get(0)?;
    Ok(User {
        id,
        login: cells.get(1)?,
        display_name: cells.get(2)?,
        role: cells.keyword(3, id)?,
        unit: cells.get::<Option<i64>>(4)?.map(crate::model::UnitId),
    })
}

impl Store {
    /// One user account by id, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn user_by_id(conn: &Connection, user_id: i64) -> Result<Option<User>, StoreError> {
        Ok(query_rows_with(
            conn,
            "users",
            "SELECT id, login, display_name, role, unit_id FROM users WHERE id = ?1",
            [user_id],
            user_from_cells,
        )?
        .pop())
    }

    /// One user account by login.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        Ok(query_rows_with(
            self.conn(),
            "users",
            "SELECT id, login, display_name, role, unit_id FROM users WHERE login = ?1",
            [login],
            user_from_cells,
        )?
        .pop())
    }

    /// Creates an account with its password in one transaction: a login that exists already, a
    /// unit operator without a unit or a short password leaves the database as it was.
    ///
    /// # Errors
    /// [`AuthError::LoginTaken`], [`AuthError::UnitRequired`], [`AuthError::PasswordTooShort`],
    /// SQL errors.
    pub fn add_user(
        &mut self,
        login: &str,
        display_name: &str,
        role: crate::model::Role,
        unit: Option<crate::model::UnitId>,
        password: &str,
    ) -> Result<User, AuthError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(AuthError::LoginTaken(String::new()));
        }
        if self.user_by_login(login)?.is_some() {
            return Err(AuthError::LoginTaken(login.to_owned()));
        }
        if role == crate::model::Role::UnitOperator && unit.is_none() {
            return Err(AuthError::UnitRequired);
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
        }
        let phc = hash_password(password)?;
        let id = self.write(|tx| {
            let id = Self::insert_user(tx, login, display_name.trim(), role, unit)?;
            Self::set_password_hash(tx, id, &phc)?;
            Ok(id)
        })?;
        Ok(User { id, login: login.to_owned(), display_name: display_name.trim().to_owned(), role, unit })
    }

    /// Sets (or replaces) a user's password.
    ///
    /// # Errors
    /// A password shorter than [`MIN_PASSWORD_CHARS`], an unknown user, or SQL errors.
    pub fn set_password(&mut self, user_id: i64, password: &str) -> Result<(), AuthError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
        }
        let phc = hash_password(password)?;
        let changed = self.write(|tx| Self::set_password_hash(tx, user_id, &phc))?;
        if changed { Ok(()) } else { Err(AuthError::NoSuchUser(user_id)) }
    }

    /// Stores an already computed PHC string; returns whether the user exists.
    ///
    /// # Errors
    /// SQL errors.
    pub(crate) fn set_password_hash(conn: &Connection, user_id: i64, phc: &str) -> Result<bool, StoreError> {
        let changed = conn
            .execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, phc])
            .context(format!("setting the password of user {user_id}"))?;
        Ok(changed == 1)
    }

    /// Signs a user in.
    ///
    /// # Errors
    /// [`AuthError::WrongCredentials`] for an unknown login, an account without a password or a
    /// wrong password (all three take about the same time); SQL errors.
    pub fn authenticate(&self, login: &str, password: &str) -> Result<User, AuthError> {
        let found: Option<(i64, Option<String>)> = self
            .conn()
            .query_row("SELECT id, password_hash FROM users WHERE login = ?1", [login], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .context("looking up a login")?;
        let (user_id, phc) = match found {
            Some((user_id, Some(phc))) => (Some(user_id), phc),
            Some((_, None)) | None => (None, dummy_hash().to_owned()),
        };
        let matches = verify_password(password, &phc);
        match user_id {
            Some(user_id) if matches => Self::user_by_id(self.conn(), user_id)?.ok_or(AuthError::WrongCredentials),
            _ => Err(AuthError::WrongCredentials),
        }
    }
}

impl Store {
    /// Adds a local user account (no password yet); returns its id.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate login.
    pub fn insert_user(
        tx: &Transaction<'_>,
        login: &str,
        display_name: &str,
        role: crate::model::Role,
        unit: Option<UnitId>,
    ) -> Result<i64, StoreError> {
        tx.execute(
            "INSERT INTO users (login, display_name, role, unit_id) VALUES (?1, ?2, ?3, ?4)",
            params![login, display_name, role.keyword(), unit.map(|unit| unit.0)],
        )
        .context(format!("inserting user {login}"))?;
        Ok(tx.last_insert_rowid())
    }

    /// Every user account, by id.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn load_users(&self) -> Result<Vec<crate::model::User>, StoreError> {
        query_rows(self.conn(), "users", "SELECT id, login, display_name, role, unit_id FROM users ORDER BY id", |cells| {
            let id = cells.get(0)?;
            Ok(crate::model::User {
                id,
                login: cells.get(1)?,
                display_name: cells.get(2)?,
                role: cells.keyword(3, id)?,
                unit: cells.get::<Option<i64>>(4)?.map(UnitId),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_a_phc_string_that_verifies_only_its_password() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horse ", &phc));
        assert!(!verify_password("correct horse", "not a phc string"));
        assert_ne!(hash_password("correct horse").expect("hash"), phc, "every hash has its own salt");
    }

    #[test]
    fn sign_in_fails_the_same_way_for_unknown_login_missing_password_and_wrong_password() {
        let mut store = Store::open_in_memory().expect("store");
        let user_id =
            store.write(|tx| Store::insert_user(tx, "leader1", "值班长 张伟", crate::model::Role::ShiftLeader, None)).expect("user");
        assert!(matches!(store.authenticate("leader1", "anything!"), Err(AuthError::WrongCredentials)), "no password set yet");
        assert!(matches!(store.set_password(user_id, "short"), Err(AuthError::PasswordTooShort { min: 8 })));
        store.set_password(user_id, "citygrid").expect("set");
        assert_eq!(store.authenticate("leader1", "citygrid").expect("signed in").id, user_id);
        assert!(matches!(store.authenticate("leader1", "citygrid2"), Err(AuthError::WrongCredentials)));
        assert!(matches!(store.authenticate("nobody", "citygrid"), Err(AuthError::WrongCredentials)));
        assert!(matches!(store.set_password(999, "long enough"), Err(AuthError::NoSuchUser(999))));
        assert_eq!(AuthError::WrongCredentials.message(true), "用户名或密码错误");
    }

    #[test]
    fn an_account_is_added_with_its_password_or_not_at_all() {
        use crate::model::{Role, UnitId};
        let mut store = Store::open_in_memory().expect("store");
        let user = store.add_user(" dispatch9 ", "派遣员 王芳", Role::Dispatcher, None, "long enough").expect("added");
        assert_eq!(user.login, "dispatch9");
        assert_eq!(store.authenticate("dispatch9", "long enough").expect("signs in").id, user.id);
        assert!(matches!(store.add_user("dispatch9", "again", Role::Dispatcher, None, "long enough"), Err(AuthError::LoginTaken(_))));
        assert!(matches!(store.add_user("unit_x", "no unit", Role::UnitOperator, None, "long enough"), Err(AuthError::UnitRequired)));
        assert!(matches!(store.add_user("short", "short", Role::Dispatcher, None, "short"), Err(AuthError::PasswordTooShort { .. })));
        assert!(store.user_by_login("unit_x").expect("reads").is_none(), "a refused account is not written");
        assert!(store.user_by_login("short").expect("reads").is_none());
        let units = store.load_units().expect("units");
        let unit = units.first().map_or(UnitId(1), |unit| unit.id);
        if !units.is_empty() {
            store.add_user("unit_y", "单位操作员", Role::UnitOperator, Some(unit), "long enough").expect("a unit operator with a unit");
        }
    }
}
