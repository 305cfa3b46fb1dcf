//! `citygrid info`: the layers of a database with their feature counts — a file, or a district
//! on a PostgreSQL server.

use std::path::Path;

use anyhow::Result;

use citygrid::store::Store;

pub fn run(path: &Path) -> Result<()> {
    let text = path.to_string_lossy();
    if citygrid::store::pg::is_server_url(&text) {
        // Connecting as the owner upgrades an older server schema (a seat cannot); a database
        // that holds no district is still described below.
        if let Err(error) = Store::connect(&text, None) {
            tracing::debug!("{error}");
        }
        let mut server = citygrid::store::pg::PgStore::connect(&text)?;
        let version = server.schema_version()?;
        println!(
            "{}: server schema {}",
            citygrid::store::pg::redacted(&text),
            version.map_or_else(|| "none (not a citygrid district)".to_owned(), |version| version.to_string())
        );
        if version.is_some() {
            for (table, count) in server.layer_counts()? {
                println!("{table:<16} {count:>10}");
            }
        }
        return Ok(());
    }
    let store = Store::open(path)?;
    println!("{}: schema version {}", path.display(), store.schema_version()?);
    for layer in store.layer_counts()? {
        println!("{:<16} {:>10}", layer.table, layer.count);
    }
    Ok(())
}
