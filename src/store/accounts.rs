//! Local accounts: Argon2id password hashes (PHC strings in `users.password_hash`) and sign-in.
//!
//! A failed sign-in takes about as long whether the login is unknown, has no password or the
//! password is wrong (a dummy hash is verified in the first two cases), and the error never says
//! which of the three it was. Passwords are never logged or kept.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use rand::RngCore;
use rusqlite::params;

use super::sql::{Db, OptionalExtension as _, Tx};

use super::queries::{query_rows, query_rows_with};
use super::{SqlContext, Store, StoreError};
use crate::model::{Keyword as _, Role, UnitId, User};

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
    /// A system interface's account (Open311 client, city platform, hotline) is made, and its
    /// key changed, only as a client (`citygrid client`): it has no password and no other role.
    #[error("system interface accounts are managed with `citygrid client`; they have no password and no other role")]
    InterfaceAccount,
    /// The right password for an account an administrator disabled.
    #[error("this account is disabled; ask the administrator")]
    Disabled,
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
            (Self::InterfaceAccount, true) => "系统接口账号由 citygrid client 管理：没有密码，也不能改为其他角色".to_owned(),
            (Self::Disabled, true) => "该账号已停用，请联系系统管理员".to_owned(),
            (Self::Store(StoreError::Access(access)), chinese) => access.message(chinese),
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
///
/// Argon2's memory (19 MiB with the default parameters) is kept per thread and reused: freed
/// after every check, the memory allocator kept it in the arena of whichever thread ran it, so
/// a service whose threads checked passwords grew by that much per thread.
#[must_use]
pub fn verify_password(password: &str, phc: &str) -> bool {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(params) = argon2::Params::try_from(&hash) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let need = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < need {
            blocks.resize(need, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..need])
    });
    // `Output`'s comparison takes the same time wherever the bytes differ.
    computed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|output| output == expected)
}

/// A hash of a password nobody has, verified when there is no real hash to check, so that an
/// unknown login costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("citygrid-no-such-account").unwrap_or_default())
}

/// The columns [`user_from_cells`] reads.
const USER_COLUMNS: &str = "id, login, display_name, role, unit_id, auth_epoch, must_change_password";

fn user_from_cells(cells: &super::queries::Cells<'_, '_>) -> Result<User, StoreError> {
    let id = cells.get(0)?;
    Ok(User {
        id,
        login: cells.get(1)?,
        display_name: cells.get(2)?,
        role: cells.keyword(3, id)?,
        unit: cells.get::<Option<i64>>(4)?.map(crate::model::UnitId),
        epoch: cells.get(5)?,
        must_change_password: cells.get(6)?,
    })
}

/// A write that only some roles may make, named in refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Add an account, reset another's password, disable or enable an account.
    Accounts,
    /// Change the composite score's weights.
    Weights,
    /// Import parts, jurisdictions or cases.
    Import,
    /// Change units, the command manual or the calendar.
    ReferenceData,
    /// Send a message to another system again (the exchange window's resend).
    Exchange,
    /// Write a shift handover note, or confirm reading one (交接班).
    Handover,
}

impl Write {
    /// Who may make the write.
    #[must_use]
    pub fn allowed(self) -> &'static [Role] {
        match self {
            Self::Accounts | Self::Import | Self::ReferenceData => &[Role::Administrator],
            Self::Weights | Self::Exchange => &[Role::Administrator, Role::ShiftLeader],
            Self::Handover => &[Role::IntakeOperator, Role::Dispatcher, Role::ShiftLeader],
        }
    }

    fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Accounts, true) => "管理账号",
            (Self::Accounts, false) => "manage accounts",
            (Self::Weights, true) => "修改考核权重",
            (Self::Weights, false) => "change the assessment weights",
            (Self::Import, true) => "导入数据",
            (Self::Import, false) => "import data",
            (Self::ReferenceData, true) => "修改基础数据",
            (Self::ReferenceData, false) => "change reference data",
            (Self::Exchange, true) => "重发交换消息",
            (Self::Exchange, false) => "resend exchange messages",
            (Self::Handover, true) => "交接班",
            (Self::Handover, false) => "hand over a shift",
        }
    }
}

/// Why a write was refused for who is making it. Checked inside the write's own transaction,
/// on the account as it is in the file then, not as the seat remembers it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("the account with id {0} does not exist")]
    NoSuchUser(i64),
    #[error("the account {login} is disabled")]
    Disabled { login: String },
    /// The account's role, unit, password or state changed after this seat signed in.
    #[error("the account {login} was changed since it signed in (role, unit, password or disabled): sign in again")]
    SignedOut { login: String },
    /// The password must be changed before anything else.
    #[error("the account {login} must change its password before doing anything else")]
    MustChangePassword { login: String },
    #[error("{} may not {}: only {}", role.label_en(), what.label(false), roles_en(what.allowed()))]
    NotAllowed { what: Write, role: Role },
    /// An administrator disabling their own account, or the last active administrator.
    #[error("the last active administrator cannot be disabled or given another role, and nobody disables their own account")]
    WouldLockOut,
}

fn roles_en(roles: &[Role]) -> String {
    roles.iter().map(|role| role.label_en()).collect::<Vec<_>>().join(", ")
}

impl AccessError {
    /// The message in Chinese or English.
    #[must_use]
    pub fn message(&self, chinese: bool) -> String {
        if !chinese {
            return self.to_string();
        }
        match self {
            Self::NoSuchUser(id) => format!("编号为 {id} 的账号不存在"),
            Self::Disabled { login } => format!("账号 {login} 已停用"),
            Self::SignedOut { login } => format!("账号 {login} 在登录后被修改（角色、单位、密码或停用），请重新登录"),
            Self::MustChangePassword { login } => format!("账号 {login} 须先修改密码"),
            Self::NotAllowed { what, role } => {
                let roles: Vec<&str> = what.allowed().iter().map(|role| role.label_zh()).collect();
                format!("{}无权{}：仅限{}", role.label_zh(), what.label(true), roles.join("、"))
            }
            Self::WouldLockOut => "不能停用最后一个在用的系统管理员或改变其角色，也不能停用自己的账号".to_owned(),
        }
    }
}

impl Store {
    /// One user account by id, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn user_by_id(conn: &Db, user_id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        Ok(query_rows_with(conn, "users", &sql, rusqlite::params![user_id], user_from_cells)?.pop())
    }

    /// One user account by login.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE login = ?1");
        Ok(query_rows_with(self.conn(), "users", &sql, rusqlite::params![login], user_from_cells)?.pop())
    }

    /// The account `claimed` names, as it is in the file now (call it inside the write's
    /// transaction): refused when it is gone, disabled, must change its password, or changed
    /// since `claimed` was read (its epoch). Roles are then checked on what this returns, never
    /// on what a seat sent.
    ///
    /// # Errors
    /// [`AccessError`] wrapped in [`StoreError::Access`]; SQL errors.
    pub fn acting_user(conn: &Db, claimed: &User) -> Result<User, StoreError> {
        let found: Option<(User, bool)> = {
            let sql = format!("SELECT {USER_COLUMNS}, disabled_at IS NOT NULL FROM users WHERE id = ?1");
            query_rows_with(conn, "users", &sql, rusqlite::params![claimed.id], |cells| Ok((user_from_cells(cells)?, cells.get(7)?)))?.pop()
        };
        let (user, disabled) = found.ok_or(AccessError::NoSuchUser(claimed.id))?;
        if disabled {
            return Err(AccessError::Disabled { login: user.login }.into());
        }
        if user.epoch != claimed.epoch {
            return Err(AccessError::SignedOut { login: user.login }.into());
        }
        if user.must_change_password {
            return Err(AccessError::MustChangePassword { login: user.login }.into());
        }
        Ok(user)
    }

    /// [`Self::acting_user`], then the role check for `what`.
    ///
    /// # Errors
    /// As [`Self::acting_user`], and [`AccessError::NotAllowed`].
    pub fn acting_user_for(conn: &Db, claimed: &User, what: Write) -> Result<User, StoreError> {
        let user = Self::acting_user(conn, claimed)?;
        if what.allowed().contains(&user.role) { Ok(user) } else { Err(AccessError::NotAllowed { what, role: user.role }.into()) }
    }

    /// Creates an account with its password in one transaction, made by administrator `by`: a
    /// login that exists already, a unit operator without a unit or a short password leaves the
    /// database as it was. The new account must change its password at its first sign-in.
    ///
    /// # Errors
    /// [`AuthError::LoginTaken`], [`AuthError::UnitRequired`], [`AuthError::PasswordTooShort`],
    /// an [`AccessError`], SQL errors.
    pub fn add_user(
        &mut self,
        by: &User,
        login: &str,
        display_name: &str,
        role: Role,
        unit: Option<UnitId>,
        password: &str,
    ) -> Result<User, AuthError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(AuthError::LoginTaken(String::new()));
        }
        if role == Role::UnitOperator && unit.is_none() {
            return Err(AuthError::UnitRequired);
        }
        if role == Role::Interface {
            return Err(AuthError::InterfaceAccount);
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
        }
        let phc = hash_password(password)?;
        let id = self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::Accounts)?;
            if Self::user_id_by_login(tx, login)?.is_some() {
                return Err(AuthError::LoginTaken(login.to_owned()));
            }
            let id = Self::insert_user(tx, login, display_name.trim(), role, unit)?;
            Self::set_password_hash(tx, id, &phc)?;
            tx.execute("UPDATE users SET must_change_password = TRUE WHERE id = ?1", rusqlite::params![id])
                .context("marking a new account")?;
            let data = serde_json::json!({ "user_id": id, "role": role.keyword(), "unit_id": unit.map(|unit| unit.0) });
            account_event(tx, &admin, "user_add", login, &data)?;
            Ok(id)
        })?;
        Self::user_by_id(self.conn(), id)?.ok_or(AuthError::NoSuchUser(id))
    }

    fn user_id_by_login(conn: &Db, login: &str) -> Result<Option<i64>, StoreError> {
        conn.query_row("SELECT id FROM users WHERE login = ?1", rusqlite::params![login], |row| row.get(0))
            .optional()
            .context("looking up a login")
    }

    /// Sets a password, by the account itself (signed in, old password checked by the caller's
    /// sign-in) or by an administrator (who then makes the account change it at its next
    /// sign-in). Either way the account's epoch rises: every seat signed in with it before must
    /// sign in again.
    ///
    /// # Errors
    /// A password shorter than [`MIN_PASSWORD_CHARS`], an unknown user, an [`AccessError`], SQL
    /// errors.
    pub fn set_password(&mut self, by: &User, user_id: i64, password: &str) -> Result<User, AuthError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
        }
        let phc = hash_password(password)?;
        self.atomically(|tx| {
            let own = by.id == user_id;
            let actor = if own {
                // The account's own change is what clears a pending "must change".
                let mut claimed = by.clone();
                claimed.must_change_password = false;
                Self::acting_user_unless_password_pending(tx, &claimed)?
            } else {
                Self::acting_user_for(tx, by, Write::Accounts)?
            };
            let target = Self::user_by_id(tx, user_id)?.ok_or(AuthError::NoSuchUser(user_id))?;
            if target.role == Role::Interface {
                return Err(AuthError::InterfaceAccount);
            }
            Self::set_password_hash(tx, user_id, &phc)?;
            tx.execute("UPDATE users SET must_change_password = ?2, auth_epoch = auth_epoch + 1 WHERE id = ?1", params![user_id, !own])
                .context("recording a password change")?;
            let data = serde_json::json!({ "user_id": user_id, "by_the_account_itself": own });
            account_event(tx, &actor, "user_password", &target.login, &data)?;
            Ok::<(), AuthError>(())
        })?;
        Self::user_by_id(self.conn(), user_id)?.ok_or(AuthError::NoSuchUser(user_id))
    }

    /// [`Self::acting_user`] that lets an account whose password must change through (for the
    /// change itself).
    fn acting_user_unless_password_pending(conn: &Db, claimed: &User) -> Result<User, StoreError> {
        match Self::acting_user(conn, claimed) {
            Err(StoreError::Access(AccessError::MustChangePassword { .. })) => {
                Self::user_by_id(conn, claimed.id)?.ok_or_else(|| AccessError::NoSuchUser(claimed.id).into())
            }
            other => other,
        }
    }

    /// Disables (or enables again) an account, by administrator `by`. A disabled account
    /// cannot sign in, and its seats are refused at their next write. Nobody disables their own
    /// account or the last active administrator.
    ///
    /// # Errors
    /// An unknown user, an [`AccessError`], SQL errors.
    pub fn set_disabled(&mut self, by: &User, user_id: i64, disabled: bool) -> Result<(), AuthError> {
        self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::Accounts)?;
            let target = Self::user_by_id(tx, user_id)?.ok_or(AuthError::NoSuchUser(user_id))?;
            if disabled {
                let other_admins: i64 = tx
                    .query_row(
                        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?1",
                        rusqlite::params![user_id],
                        |row| row.get(0),
                    )
                    .context("counting administrators")?;
                if user_id == admin.id || (target.role == Role::Administrator && other_admins == 0) {
                    return Err(StoreError::from(AccessError::WouldLockOut).into());
                }
            }
            let at = crate::calendar::utc_text_from_local(crate::calendar::china_now());
            tx.execute(
                "UPDATE users SET disabled_at = CASE WHEN ?2 THEN ?3 END, auth_epoch = auth_epoch + 1 WHERE id = ?1",
                params![user_id, disabled, at],
            )
            .context("disabling an account")?;
            let action = if disabled { "user_disable" } else { "user_enable" };
            account_event(tx, &admin, action, &target.login, &serde_json::json!({ "user_id": user_id }))?;
            Ok(())
        })
    }

    /// Gives an account another role (and unit), by administrator `by`. The account's epoch
    /// rises: its seats are refused at their next write and must sign in again.
    ///
    /// # Errors
    /// [`AuthError::UnitRequired`], an unknown user, an [`AccessError`] (including
    /// [`AccessError::WouldLockOut`] for the last active administrator), SQL errors.
    pub fn set_role(&mut self, by: &User, user_id: i64, role: Role, unit: Option<UnitId>) -> Result<User, AuthError> {
        if role == Role::UnitOperator && unit.is_none() {
            return Err(AuthError::UnitRequired);
        }
        self.atomically(|tx| {
            let admin = Self::acting_user_for(tx, by, Write::Accounts)?;
            let target = Self::user_by_id(tx, user_id)?.ok_or(AuthError::NoSuchUser(user_id))?;
            if target.role == Role::Interface || role == Role::Interface {
                return Err(AuthError::InterfaceAccount);
            }
            if target.role == Role::Administrator && role != Role::Administrator {
                let other_admins: i64 = tx
                    .query_row(
                        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?1",
                        rusqlite::params![user_id],
                        |row| row.get(0),
                    )
                    .context("counting administrators")?;
                if other_admins == 0 {
                    return Err(StoreError::from(AccessError::WouldLockOut).into());
                }
            }
            tx.execute(
                "UPDATE users SET role = ?2, unit_id = ?3, auth_epoch = auth_epoch + 1 WHERE id = ?1",
                params![user_id, role.keyword(), unit.map(|unit| unit.0)],
            )
            .context("changing a role")?;
            let data = serde_json::json!({
                "user_id": user_id,
                "from": { "role": target.role.keyword(), "unit_id": target.unit.map(|unit| unit.0) },
                "to": { "role": role.keyword(), "unit_id": unit.map(|unit| unit.0) },
            });
            account_event(tx, &admin, "user_role", &target.login, &data)?;
            Ok::<(), AuthError>(())
        })?;
        Self::user_by_id(self.conn(), user_id)?.ok_or(AuthError::NoSuchUser(user_id))
    }

    /// Stores an already computed PHC string; returns whether the user exists.
    ///
    /// # Errors
    /// SQL errors.
    pub(crate) fn set_password_hash(conn: &Db, user_id: i64, phc: &str) -> Result<bool, StoreError> {
        let changed = conn
            .execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, phc])
            .context(format!("setting the password of user {user_id}"))?;
        Ok(changed == 1)
    }

    /// Signs a user in. The account comes back with its epoch and whether it must change its
    /// password first.
    ///
    /// # Errors
    /// [`AuthError::WrongCredentials`] for an unknown login, an account without a password or a
    /// wrong password (all three take about the same time); [`AuthError::Disabled`] for a
    /// disabled account with the right password; SQL errors.
    pub fn authenticate(&self, login: &str, password: &str) -> Result<User, AuthError> {
        if self.is_server() {
            // The server checked the password when this connection signed in as the account's
            // own login; a connection as another login (the owner's tools) checks the hash.
            let own: Option<(i64, bool)> = self
                .conn()
                .query_row(
                    "SELECT id, disabled_at IS NOT NULL FROM users WHERE login = ?1 AND pg_login = session_user",
                    rusqlite::params![login],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .context("looking up a login")?;
            match own {
                Some((_, true)) => return Err(AuthError::Disabled),
                Some((user_id, false)) => return Self::user_by_id(self.conn(), user_id)?.ok_or(AuthError::WrongCredentials),
                None => {
                    let may_read: bool = self
                        .conn()
                        .query_row("SELECT has_column_privilege('users', 'password_hash', 'SELECT')", &[], |row| row.get(0))
                        .context("looking up a login")?;
                    if !may_read {
                        return Err(AuthError::WrongCredentials);
                    }
                }
            }
        }
        let found: Option<(i64, Option<String>, bool)> = self
            .conn()
            .query_row("SELECT id, password_hash, disabled_at IS NOT NULL FROM users WHERE login = ?1", rusqlite::params![login], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()
            .context("looking up a login")?;
        let (user_id, phc, disabled) = match found {
            Some((user_id, Some(phc), disabled)) => (Some(user_id), phc, disabled),
            Some((_, None, _)) | None => (None, dummy_hash().to_owned(), false),
        };
        let matches = verify_password(password, &phc);
        match user_id {
            Some(_) if matches && disabled => Err(AuthError::Disabled),
            Some(user_id) if matches => Self::user_by_id(self.conn(), user_id)?.ok_or(AuthError::WrongCredentials),
            _ => Err(AuthError::WrongCredentials),
        }
    }
}

/// An administrative audit entry for an account change, sealing the accounts as it left them.
pub(super) fn account_event(conn: &Db, by: &User, action: &str, login: &str, data: &serde_json::Value) -> Result<i64, StoreError> {
    let data = super::chain::with_seal(conn, "accounts", data.clone())?;
    super::chain::append_admin_event(
        conn,
        &super::chain::AdminEvent { at: crate::calendar::china_now(), actor_user_id: Some(by.id), action, subject: login, data: &data },
    )
}

impl Store {
    /// Seals the accounts of a district being built (the demo, `citygrid init`) after they were
    /// written with [`Self::insert_user`]: one administrative entry naming the builder.
    ///
    /// # Errors
    /// SQL errors.
    pub fn seal_new_accounts(conn: &Db, builder: &str, by: Option<i64>) -> Result<i64, StoreError> {
        let count: i64 = conn.query_row("SELECT count(*) FROM users", &[], |row| row.get(0)).context("counting accounts")?;
        let data = super::chain::with_seal(conn, "accounts", serde_json::json!({ "accounts": count }))?;
        super::chain::append_admin_event(
            conn,
            &super::chain::AdminEvent {
                at: crate::calendar::china_now(),
                actor_user_id: by,
                action: "accounts",
                subject: builder,
                data: &data,
            },
        )
    }
}

/// An account as `user list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub user: User,
    pub disabled: bool,
}

impl Store {
    /// Adds a local user account (no password yet); returns its id. For building a new
    /// district (the demo, `citygrid init`, tests) whose builder records one audit entry for the
    /// whole; every later account goes through [`Self::add_user`].
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate login.
    pub fn insert_user(tx: &Tx<'_>, login: &str, display_name: &str, role: Role, unit: Option<UnitId>) -> Result<i64, StoreError> {
        tx.query_row(
            "INSERT INTO users (login, display_name, role, unit_id) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            params![login, display_name, role.keyword(), unit.map(|unit| unit.0)],
            |row| row.get(0),
        )
        .context(format!("inserting user {login}"))
    }

    /// Every user account, by id.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn load_users(&self) -> Result<Vec<User>, StoreError> {
        query_rows(self.conn(), "users", &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), user_from_cells)
    }

    /// Every account with whether it is disabled, by id.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn load_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, disabled_at IS NOT NULL FROM users ORDER BY id");
        query_rows(self.conn(), "users", &sql, |cells| Ok(Account { user: user_from_cells(cells)?, disabled: cells.get(7)? }))
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
        // The check with reused memory agrees with the crate's own, on other parameters too.
        use argon2::password_hash::PasswordVerifier as _;
        let small = argon2::Params::new(8 * 1024, 3, 1, None).expect("params");
        let salt = SaltString::encode_b64(b"sixteen byte slt").expect("salt");
        let other =
            Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, small).hash_password(b"pw", &salt).expect("hash").to_string();
        for (password, phc) in [("pw", other.as_str()), ("correct horse", phc.as_str()), ("wrong", phc.as_str())] {
            let parsed = PasswordHash::new(phc).expect("parses");
            assert_eq!(
                verify_password(password, phc),
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
                "{password}"
            );
        }
    }

    /// An in-memory district with one administrator (the way a new district starts).
    fn with_admin() -> (Store, User) {
        let mut store = Store::open_in_memory().expect("store");
        let admin = store
            .write(|tx| {
                let id = Store::insert_user(tx, "root", "管理员", Role::Administrator, None)?;
                Store::set_password_hash(tx, id, &hash_password("root password").expect("hash"))?;
                Store::seal_new_accounts(tx, "test", None)?;
                Ok(id)
            })
            .expect("admin");
        let admin = Store::user_by_id(store.conn(), admin).expect("reads").expect("admin");
        (store, admin)
    }

    #[test]
    fn sign_in_fails_the_same_way_for_unknown_login_missing_password_and_wrong_password() {
        let (mut store, admin) = with_admin();
        let user_id = store.write(|tx| Store::insert_user(tx, "leader1", "值班长 张伟", Role::ShiftLeader, None)).expect("user");
        assert!(matches!(store.authenticate("leader1", "anything!"), Err(AuthError::WrongCredentials)), "no password set yet");
        assert!(matches!(store.set_password(&admin, user_id, "short"), Err(AuthError::PasswordTooShort { min: 8 })));
        store.set_password(&admin, user_id, "citygrid").expect("set");
        let leader = store.authenticate("leader1", "citygrid").expect("signed in");
        assert_eq!(leader.id, user_id);
        assert!(leader.must_change_password, "a password an administrator set must be changed");
        assert!(matches!(store.authenticate("leader1", "citygrid2"), Err(AuthError::WrongCredentials)));
        assert!(matches!(store.authenticate("nobody", "citygrid"), Err(AuthError::WrongCredentials)));
        assert!(matches!(store.set_password(&admin, 999, "long enough"), Err(AuthError::NoSuchUser(999))));
        assert_eq!(AuthError::WrongCredentials.message(true), "用户名或密码错误");
    }

    #[test]
    fn an_account_is_added_with_its_password_or_not_at_all() {
        let (mut store, admin) = with_admin();
        let user = store.add_user(&admin, " dispatch9 ", "派遣员 王芳", Role::Dispatcher, None, "long enough").expect("added");
        assert_eq!(user.login, "dispatch9");
        assert_eq!(store.authenticate("dispatch9", "long enough").expect("signs in").id, user.id);
        assert!(matches!(
            store.add_user(&admin, "dispatch9", "again", Role::Dispatcher, None, "long enough"),
            Err(AuthError::LoginTaken(_))
        ));
        assert!(matches!(
            store.add_user(&admin, "unit_x", "no unit", Role::UnitOperator, None, "long enough"),
            Err(AuthError::UnitRequired)
        ));
        assert!(matches!(
            store.add_user(&admin, "short", "short", Role::Dispatcher, None, "short"),
            Err(AuthError::PasswordTooShort { .. })
        ));
        assert!(store.user_by_login("unit_x").expect("reads").is_none(), "a refused account is not written");
        assert!(store.user_by_login("short").expect("reads").is_none());
        let refused = store.add_user(&user, "by_dispatcher", "x", Role::Administrator, None, "long enough");
        assert!(matches!(refused, Err(AuthError::Store(StoreError::Access(AccessError::MustChangePassword { .. })))), "{refused:?}");
        let user = store.set_password(&user, user.id, "my own password").expect("changes its own");
        let refused = store.add_user(&user, "by_dispatcher", "x", Role::Administrator, None, "long enough");
        assert!(matches!(refused, Err(AuthError::Store(StoreError::Access(AccessError::NotAllowed { .. })))), "{refused:?}");
        let report = store.verify_audit(None).expect("verify");
        assert!(report.unsealed.is_empty(), "every account change sealed the accounts: {report:?}");
    }
}
