//! `citygrid info`: the layers of a database with their feature counts.

use std::path::Path;

use anyhow::Result;

use citygrid::store::Store;

pub fn run(path: &Path) -> Result<()> {
    let store = Store::open(path)?;
    println!("{}: schema version {}", path.display(), store.schema_version()?);
    for layer in store.layer_counts()? {
        println!("{:<16} {:>10}", layer.table, layer.count);
    }
    Ok(())
}
