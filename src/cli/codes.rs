//! `citygrid codes`: the class codes of another system (`open311`, the city platform's) mapped
//! to the command manual's classes. Open311's start as every class of the manual (`P0101` for
//! the part class 0101, `E0101` for the event class); an administrator removes what citizens
//! should not report (a fire is 119's) and maps the codes another system uses.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use citygrid::model::{ItemKind, Keyword as _};

use super::acting_user;
use super::client::open_store;

#[derive(Subcommand)]
pub enum CodesCommand {
    /// A system's codes with the class each means.
    List {
        /// open311, city, …
        #[arg(long, default_value = "open311")]
        system: String,
    },
    /// Map a code of a system to a class of the manual (replacing what it meant).
    Set {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        system: String,
        /// The other system's code.
        #[arg(long)]
        code: String,
        /// part or event.
        #[arg(long)]
        kind: String,
        /// The manual's four-digit class, e.g. 0101.
        #[arg(long)]
        class: String,
    },
    /// Remove a code (Open311: the service is no longer offered).
    Remove {
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        #[arg(long)]
        system: String,
        #[arg(long)]
        code: String,
    },
}

pub fn run(path: &Path, which: CodesCommand) -> Result<()> {
    let mut store = open_store(path)?;
    let shown = std::path::PathBuf::from(citygrid::store::pg::redacted(&path.to_string_lossy()));
    match which {
        CodesCommand::List { system } => {
            let manual = store.load_manual()?;
            for mapping in store.class_codes(&system)? {
                let name = manual.entry(mapping.kind, &mapping.class_code).map_or("?", |entry| entry.name_zh.as_str());
                println!("{:<16} {:<6} {} {}", mapping.external_code, mapping.kind.keyword(), mapping.class_code, name);
            }
        }
        CodesCommand::Set { acting, system, code, kind, class } => {
            let by = acting_user(&store, &shown, &acting)?;
            let kind = ItemKind::from_keyword(&kind).with_context(|| format!("--kind {kind:?}: part or event"))?;
            store.set_class_code(&by, &system, &code, Some((kind, &class)))?;
            println!("{system} code {code} now means the {} class {class}", kind.keyword());
        }
        CodesCommand::Remove { acting, system, code } => {
            let by = acting_user(&store, &shown, &acting)?;
            if store.set_class_code(&by, &system, &code, None)? {
                println!("{system} code {code} removed");
            } else {
                anyhow::bail!("{system} has no code {code:?} in {}", shown.display());
            }
        }
    }
    Ok(())
}
