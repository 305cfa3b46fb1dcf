//! `citygrid migrate --from X.gpkg --to postgresql://…`: moves a district onto a PostgreSQL +
//! PostGIS server, as an administrator of the file; the file is left as it was.

use std::path::PathBuf;

use anyhow::{Result, bail};

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The district's GeoPackage file (opened read-only).
    #[arg(long)]
    from: PathBuf,
    /// The target database, empty: `postgresql://USER:PASSWORD@HOST:PORT/DB` (PGPASSWORD is
    /// not read; put the password in the URL or a connection service file).
    #[arg(long)]
    to: String,
    /// An administrator of the file (password in CITYGRID_AS_PASSWORD); the move is recorded
    /// on the server's administrative audit trail under this account.
    #[arg(long = "as")]
    as_login: String,
}

pub fn run(args: MigrateArgs) -> Result<()> {
    let MigrateArgs { from, to, as_login } = args;
    if !citygrid::store::pg::is_server_url(&to) {
        bail!("--to {to:?} is not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DB)");
    }
    let store = citygrid::store::Store::open_read_only(&from)?;
    let by = super::acting_user(&store, &from, &as_login)?;
    if by.role != citygrid::model::Role::Administrator {
        bail!("--as {as_login}: moving a district is an administrator's act; {as_login} is {}", by.role.label_en());
    }
    drop(store);
    eprintln!("moving {} to {}", from.display(), citygrid::store::pg::redacted(&to));
    let mut last = String::new();
    let role_actions = citygrid::workflow::rules::role_actions();
    let report = citygrid::store::pg::move_district(&from, &to, &by, &role_actions, &mut |table, rows| {
        if table != last {
            eprintln!("  {table}…");
            last = table.to_owned();
        }
        let _ = rows;
    })?;
    for count in &report.tables {
        println!("{:<22} {:>10} rows (file {:>10})", count.table, count.target, count.source);
    }
    println!("case audit trail: {} entries, head {}", report.case_entries, report.case_head);
    println!("administrative trail: {} entries (the move is the last), head {}", report.admin_entries, report.admin_head);
    println!("moved in {:.1} s; {} is unchanged", report.seconds, from.display());
    Ok(())
}
