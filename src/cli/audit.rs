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
}

/// How many case mismatches are listed one per line before the rest are counted.
const LISTED: usize = 50;

pub fn run(path: &Path, which: AuditCommand) -> Result<()> {
    match which {
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
                + usize::from(report.expected_head_missing.is_some());
            bail!("the audit trail of {} is not intact: {problems} problem(s), listed above", path.display())
        }
    }
}
