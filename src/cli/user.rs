//! `citygrid user`: list accounts, add one, set a password.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use citygrid::store::Store;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Every account with its role and unit.
    List,
    /// A new account.
    Add {
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
    /// Set or replace a password.
    Passwd {
        #[arg(long)]
        login: String,
        #[arg(long)]
        password_stdin: bool,
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

pub fn run(path: &Path, which: UserCommand) -> Result<()> {
    use citygrid::model::Keyword as _;
    let mut store = Store::open(path)?;
    match which {
        UserCommand::List => {
            let units = store.load_units()?;
            for user in store.load_users()? {
                let unit = user.unit.and_then(|id| units.iter().find(|unit| unit.id == id)).map_or("", |unit| unit.code.as_str());
                println!("{:<24} {:<14} {:<10} {}", user.login, user.role.keyword(), unit, user.display_name);
            }
        }
        UserCommand::Add { login, name, role, unit, password_stdin } => {
            let role = citygrid::model::Role::from_keyword(&role).with_context(|| {
                let known: Vec<&str> = citygrid::model::Role::ALL.iter().map(|role| role.keyword()).collect();
                format!("unknown role {role:?}; use one of {}", known.join(", "))
            })?;
            let unit = match unit {
                Some(code) => {
                    let units = store.load_units()?;
                    Some(
                        units
                            .iter()
                            .find(|unit| unit.code.eq_ignore_ascii_case(&code))
                            .map(|unit| unit.id)
                            .with_context(|| format!("no unit with code {code:?} in {}", path.display()))?,
                    )
                }
                None => None,
            };
            let password = read_password(password_stdin)?;
            let user = store.add_user(&login, &name, role, unit, &password)?;
            println!("added {} ({}) to {}", user.login, user.role.keyword(), path.display());
        }
        UserCommand::Passwd { login, password_stdin } => {
            let user = store.user_by_login(&login)?.with_context(|| format!("no account {login:?} in {}", path.display()))?;
            let password = read_password(password_stdin)?;
            store.set_password(user.id, &password)?;
            println!("password of {login} set");
        }
    }
    Ok(())
}
