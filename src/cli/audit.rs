//! `citygrid audit verify`: checks the hash-chained audit trail of a database (see
//! `store::chain`) and names the first broken entry and every case whose row disagrees with it.

use std::path::Path;

use anyhow::{Result, bail};
use clap::Subcommand;

use citygrid::store::Store;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check that no audit entry was rewritten, deleted or inserted around citygrid, that the
    /// triggers keeping the trail append-only are in place, and that every case row matches its
    /// last entry. Opens the file read-only; exits non-zero when anything is wrong.
    Verify {
        /// A case-chain head printed by an earlier `audit verify` (kept in the shift log, sent to
        /// the city platform): it must still be in the chain, or the trail was rewritten since.
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// After editing units, the command manual or the calendar in a GIS tool or sqlite3, an
    /// administrator accepts them as they are now (an audit entry seals them again).
    AcceptReference {
        /// The administrator; their password in CITYGRID_AS_PASSWORD.
        #[arg(long = "as", value_name = "LOGIN")]
        acting: String,
        /// What was changed and why, for the trail.
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// How many case mismatches are listed one per line before the rest are counted.
const LISTED: usize = 50;

pub fn run(path: &Path, which: AuditCommand) -> Result<()> {
    match which {
        AuditCommand::AcceptReference { acting, note } => {
            let mut store = Store::open(path)?;
            let by = super::acting_user(&store, path, &acting)?;
            let id = store.accept_reference_data(&by, &note)?;
            println!("reference data of {} accepted as it is now (administrative entry {id})", path.display());
            Ok(())
        }
        AuditCommand::Verify { expect_head } if citygrid::store::pg::is_server_url(&path.to_string_lossy()) => {
            verify_server(&path.to_string_lossy(), expect_head.as_deref())
        }
        AuditCommand::Verify { expect_head } => {
            let store = Store::open_read_only(path)?;
            let report = store.verify_audit(expect_head.as_deref())?;
            println!("{}", path.display());
            println!("  case entries:           {:>10}  head {}", report.case_entries, report.case_head);
            println!("  administrative entries: {:>10}  head {}", report.admin_entries, report.admin_head);
            if report.is_intact() {
                println!("  intact: every entry matches its hash and follows the one before; every case row matches its last entry");
                return Ok(());
            }
            for problem in &report.breaks {
                println!("  BROKEN {problem}");
            }
            if report.further_breaks > 0 {
                println!("  and {} more broken entries after the first", report.further_breaks);
            }
            for name in &report.missing_triggers {
                println!("  MISSING trigger {name}: the trail can be changed without citygrid refusing it");
            }
            if let Some(head) = &report.expected_head_missing {
                println!("  REWRITTEN the expected head {head} is no longer in the case chain");
            }
            for (group, entry) in &report.unsealed {
                let what = if *group == "reference" { "units, command manual or calendar" } else { "user accounts" };
                let since =
                    if *entry == 0 { "no entry ever sealed them".to_owned() } else { format!("since administrative entry {entry}") };
                println!("  CHANGED {what} ({group}) were changed without an audit entry ({since})");
                if *group == "reference" {
                    println!("          after checking the edit, an administrator accepts it: citygrid audit accept-reference --as LOGIN");
                }
            }
            for mismatch in report.cases.iter().take(LISTED) {
                println!("  CASE {mismatch}");
            }
            if report.cases.len() > LISTED {
                println!("  and {} more cases", report.cases.len() - LISTED);
            }
            let problems = report.breaks.len()
                + usize::try_from(report.further_breaks).unwrap_or(usize::MAX)
                + report.missing_triggers.len()
                + report.cases.len()
                + report.unsealed.len()
                + usize::from(report.expected_head_missing.is_some());
            bail!("the audit trail of {} is not intact: {problems} problem(s), listed above", path.display())
        }
    }
}

/// `audit verify` on a PostgreSQL server: the same checks on what the server holds.
fn verify_server(url: &str, expect_head: Option<&str>) -> Result<()> {
    let mut server = citygrid::store::pg::PgStore::connect(url)?;
    let report = server.verify_audit(expect_head)?;
    println!("{}", citygrid::store::pg::redacted(url));
    println!("  case entries:           {:>10}  head {}", report.case_entries, report.case_head);
    println!("  administrative entries: {:>10}  head {}", report.admin_entries, report.admin_head);
    if report.is_intact() {
        println!("  intact: every entry matches its hash and follows the one before; every case row matches its last entry");
        return Ok(());
    }
    for (table, id) in &report.breaks {
        println!("  BROKEN {table} entry {id}: its content no longer gives its hash, or it does not follow the entry before");
    }
    for name in &report.missing_triggers {
        println!("  MISSING trigger {name}: the trail can be changed without the server refusing it");
    }
    if let Some(head) = &report.expected_head_missing {
        println!("  REWRITTEN the expected head {head} is no longer in the case chain");
    }
    for (id, case_no, problem) in report.cases.iter().take(LISTED) {
        println!("  CASE {case_no} (id {id}): {problem}");
    }
    if report.cases.len() > LISTED {
        println!("  and {} more cases", report.cases.len() - LISTED);
    }
    bail!("the audit trail on the server does not verify")
}
