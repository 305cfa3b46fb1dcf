//! `citygrid client`: the other systems allowed to call in (Open311 apps; the city platform and
//! the 12345 hotline to come), each with an API key and an account of role `interface` its writes
//! are made as. Changes are made by an administrator (`--as LOGIN`, the password in
//! `CITYGRID_AS_PASSWORD`) and recorded in the audit trail.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use citygrid::model::{ClientKind, Keyword as _};
use citygrid::store::Store;

use super::acting_user;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Every client with its kind, account and state.
    List,
    /// Register a client; its API key is printed once (the store keeps only its SHA-256).
    Add {
        /// The administrator making the change; their password in CITYGRID_AS_PASSWORD.
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        /// 2 to 40 of a-z, 0-9, '-' and '_' (its account is `client:NAME`).
        #[arg(long)]
        name: String,
        /// open311 (a citizen app or third party).
        #[arg(long, default_value = "open311")]
        kind: String,
    },
    /// Revoke a client's key; its account is disabled, its cases stay.
    Revoke {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        name: String,
    },
}

/// The store as `run` opens it: a file, or a server as the URL's owner login (clients are the
/// owner's to write; the acting administrator is checked against the district's accounts).
pub(super) fn open_store(path: &Path) -> Result<Store> {
    let text = path.to_string_lossy().into_owned();
    if citygrid::store::pg::is_server_url(&text) { Ok(Store::connect(&text, None)?) } else { Ok(Store::open(path)?) }
}

pub fn run(path: &Path, which: ClientCommand) -> Result<()> {
    let mut store = open_store(path)?;
    let shown = std::path::PathBuf::from(citygrid::store::pg::redacted(&path.to_string_lossy()));
    let now = citygrid::calendar::china_now();
    match which {
        ClientCommand::List => {
            for client in store.clients()? {
                let state = client.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")));
                println!("{:<24} {:<8} client:{:<24} {}", client.name, client.kind.keyword(), client.name, state);
            }
        }
        ClientCommand::Add { acting, name, kind } => {
            let by = acting_user(&store, &shown, &acting)?;
            let kind = ClientKind::from_keyword(&kind).with_context(|| {
                let known: Vec<&str> = ClientKind::ALL.iter().map(|kind| kind.keyword()).collect();
                format!("unknown client kind {kind:?}; use one of {}", known.join(", "))
            })?;
            let (client, key) = store.add_client(&by, &name, kind, now)?;
            println!("added client {} ({}) to {}", client.name, client.kind.keyword(), shown.display());
            println!("api_key: {key}");
            println!("keep it now: it is not shown again (the district keeps only its SHA-256)");
        }
        ClientCommand::Revoke { acting, name } => {
            let by = acting_user(&store, &shown, &acting)?;
            let client = store.revoke_client(&by, &name, now)?;
            println!("client {} revoked: its key no longer works; its cases stay", client.name);
        }
    }
    Ok(())
}
