//! `citygrid user`: list accounts, add one, set a password, disable or enable one. Every change
//! is made by a named account (`--as LOGIN`, its password in `CITYGRID_AS_PASSWORD`), checked
//! and recorded in the audit trail by the store.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use citygrid::model::Keyword as _;
use citygrid::store::Store;

use super::acting_user;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Every account with its role, unit and state.
    List,
    /// A new account (by an administrator). It must change its password at its first sign-in.
    Add {
        /// The administrator making the change; their password in CITYGRID_AS_PASSWORD.
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        login: String,
        /// Display name (shown in the audit trail).
        #[arg(long)]
        name: String,
        /// intake, dispatcher, shift_leader, collector, unit_operator, committee or admin.
        #[arg(long)]
        role: String,
        /// Unit code (unit operators only), e.g. CGJ-SZ.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set or replace a password: an account's own (`--as` the same login), or another's by an
    /// administrator (who then makes it change the password at its next sign-in). Every seat
    /// signed in with the account before must sign in again.
    Passwd {
        /// Who makes the change; their current password in CITYGRID_AS_PASSWORD.
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account (by an administrator): it cannot sign in, and its open seats are
    /// refused at their next step.
    Disable {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        login: String,
    },
    /// Give an account another role (and unit), by an administrator. Its open seats are
    /// refused at their next step and must sign in again.
    Role {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        login: String,
        /// intake, dispatcher, shift_leader, collector, unit_operator, committee or admin.
        #[arg(long)]
        role: String,
        /// Unit code (unit operators only).
        #[arg(long)]
        unit: Option<String>,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        login: String,
    },
}

/// The password for `user add` / `user passwd`: stdin's first line or CITYGRID_PASSWORD.
fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var("CITYGRID_PASSWORD")
        .map_err(|_| anyhow::anyhow!("give the password on standard input with --password-stdin, or in CITYGRID_PASSWORD"))
}

fn account(store: &Store, path: &Path, login: &str) -> Result<citygrid::model::User> {
    store.user_by_login(login)?.with_context(|| format!("no account {login:?} in {}", path.display()))
}

/// `--role` and `--unit` as the store takes them.
fn role_and_unit(
    store: &Store,
    path: &Path,
    role: &str,
    unit: Option<&str>,
) -> Result<(citygrid::model::Role, Option<citygrid::model::UnitId>)> {
    let role = citygrid::model::Role::from_keyword(role).with_context(|| {
        let known: Vec<&str> = citygrid::model::Role::ALL.iter().map(|role| role.keyword()).collect();
        format!("unknown role {role:?}; use one of {}", known.join(", "))
    })?;
    let unit = match unit {
        Some(code) => Some(
            store
                .load_units()?
                .iter()
                .find(|unit| unit.code.eq_ignore_ascii_case(code))
                .map(|unit| unit.id)
                .with_context(|| format!("no unit with code {code:?} in {}", path.display()))?,
        ),
        None => None,
    };
    Ok((role, unit))
}

pub fn run(path: &Path, which: UserCommand) -> Result<()> {
    let text = path.to_string_lossy().into_owned();
    let server = citygrid::store::pg::is_server_url(&text);
    if server && matches!(which, UserCommand::Passwd { .. }) {
        return run_on_server(&text, which);
    }
    // On a server, as the URL's owner login: accounts are the owner's to write, the acting
    // administrator is checked against the district's accounts as on a file.
    let mut store = if server { Store::connect(&text, None)? } else { Store::open(path)? };
    let path = &std::path::PathBuf::from(citygrid::store::pg::redacted(&text));
    match which {
        UserCommand::List => {
            let units = store.load_units()?;
            for account in store.load_accounts()? {
                let user = &account.user;
                let unit = user.unit.and_then(|id| units.iter().find(|unit| unit.id == id)).map_or("", |unit| unit.code.as_str());
                let state = match (account.disabled, user.must_change_password) {
                    (true, _) => "disabled",
                    (false, true) => "must-change-password",
                    (false, false) => "active",
                };
                println!("{:<24} {:<14} {:<10} {:<20} {}", user.login, user.role.keyword(), unit, state, user.display_name);
            }
        }
        UserCommand::Add { acting, login, name, role, unit, password_stdin } => {
            let by = acting_user(&store, path, &acting)?;
            let (role, unit) = role_and_unit(&store, path, &role, unit.as_deref())?;
            let password = read_password(password_stdin)?;
            let user = store.add_user(&by, &login, &name, role, unit, &password)?;
            println!(
                "added {} ({}) to {}; it must change its password at its first sign-in",
                user.login,
                user.role.keyword(),
                path.display()
            );
        }
        UserCommand::Passwd { acting, login, password_stdin } => {
            let by = acting_user(&store, path, &acting)?;
            let user = account(&store, path, &login)?;
            let password = read_password(password_stdin)?;
            let changed = store.set_password(&by, user.id, &password)?;
            if changed.must_change_password {
                println!("password of {login} set; it must be changed at the next sign-in");
            } else {
                println!("password of {login} changed");
            }
        }
        UserCommand::Disable { acting, login } => {
            let by = acting_user(&store, path, &acting)?;
            let user = account(&store, path, &login)?;
            store.set_disabled(&by, user.id, true)?;
            if server {
                citygrid::store::pg::PgStore::connect(&text)?.set_login_enabled(&login, false)?;
            }
            println!("{login} disabled: it cannot sign in, and its open seats are refused at their next step");
        }
        UserCommand::Role { acting, login, role, unit } => {
            let by = acting_user(&store, path, &acting)?;
            let user = account(&store, path, &login)?;
            let (role, unit) = role_and_unit(&store, path, &role, unit.as_deref())?;
            let changed = store.set_role(&by, user.id, role, unit)?;
            println!("{login} is now {}; its open seats must sign in again", changed.role.keyword());
        }
        UserCommand::Enable { acting, login } => {
            let by = acting_user(&store, path, &acting)?;
            let user = account(&store, path, &login)?;
            store.set_disabled(&by, user.id, false)?;
            if server {
                citygrid::store::pg::PgStore::connect(&text)?.set_login_enabled(&login, true)?;
            }
            println!("{login} enabled");
        }
    }
    Ok(())
}

/// `user` on a PostgreSQL server: setting a password also sets the account's own server login,
/// which the server's roles and row-level security then apply to.
fn run_on_server(url: &str, which: UserCommand) -> Result<()> {
    let UserCommand::Passwd { acting, login, password_stdin } = which else {
        anyhow::bail!("only `user passwd` goes through the server's own logins");
    };
    let as_password = std::env::var("CITYGRID_AS_PASSWORD")
        .map_err(|_| anyhow::anyhow!("--as {acting}: give that account's password in the CITYGRID_AS_PASSWORD environment variable"))?;
    let password = read_password(password_stdin)?;
    let mut server = citygrid::store::pg::PgStore::connect(url)?;
    let role = server.set_password(&acting, &as_password, &login, &password)?;
    println!("password of {login} set; its server login is {role}");
    Ok(())
}
