//! `citygrid init`: a new, empty database for a real district with one administrator.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use citygrid::demo::{InitOptions, init_district, known_districts};

#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write it; the file must not exist.
    #[arg(long)]
    out: PathBuf,
    /// The district's administrative code, e.g. 341004 (徽州区); `--district list` lists them.
    #[arg(long)]
    district: String,
    /// The administrator's login.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// The administrator's display name.
    #[arg(long, default_value = "系统管理员")]
    admin_name: String,
    /// Read the administrator's password from the first line of standard input (else from
    /// CITYGRID_PASSWORD). There is no default password.
    #[arg(long)]
    password_stdin: bool,
}

pub fn run(args: InitArgs) -> Result<()> {
    if args.district == "list" {
        for (code, name) in known_districts()? {
            println!("{code} {name}");
        }
        return Ok(());
    }
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        std::env::var("CITYGRID_PASSWORD").map_err(|_| {
            anyhow::anyhow!("give the administrator's password on standard input with --password-stdin, or in CITYGRID_PASSWORD")
        })?
    };
    let options =
        InitOptions { district_code: args.district, admin_login: args.admin, admin_name: args.admin_name, admin_password: password };
    let summary = init_district(&args.out, &options)?;
    println!(
        "wrote {}: {} {} with its boundary, {} units, the command manual and calendars; administrator {}",
        args.out.display(),
        summary.district_code,
        summary.district_name,
        summary.units,
        summary.admin_login
    );
    println!(
        "next: import townships, grid cells, parts and cases with `citygrid --db {} import --as {} …`",
        args.out.display(),
        summary.admin_login
    );
    Ok(())
}
