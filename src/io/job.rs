//! Import steps as background jobs: read a file, check it against the database, or import it,
//! each on its own thread with its own connection, progress and cancel. The import window
//! starts them and shows their progress; it never opens the store itself.

use std::path::PathBuf;

use crate::job::{Job, Notify};

use super::{ImportReport, Inspection, MappingProfile, Policy, Progress};

/// A step of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// Read the file: layers, fields, first rows, count, coordinate system, encoding.
    Inspect,
    /// Check every feature against the database; writes nothing.
    Validate,
    /// Write the accepted features in one transaction.
    Commit,
}

/// What a step hands back (errors as one line naming the file or the database).
#[derive(Debug)]
pub enum StepResult {
    Inspected(Result<Inspection, String>),
    Validated(Result<ImportReport, String>),
    Committed(Result<ImportReport, String>),
}

/// A step running on its thread: the step, and the job with its progress (none before the
/// first feature) and result.
#[derive(Debug)]
pub struct ImportJob {
    pub step: ImportStep,
    pub job: Job<Option<Progress>, StepResult>,
}

/// Starts `step` for `file` against the database at `db` on a thread. A commit is made as
/// `actor` (the signed-in account, checked again in the commit's transaction); without one it
/// is refused.
///
/// # Errors
/// No thread could be started.
#[allow(clippy::too_many_arguments)]
pub fn start_step(
    step: ImportStep,
    file: PathBuf,
    db: crate::store::Location,
    actor: Option<crate::model::User>,
    profile: MappingProfile,
    policy: Policy,
    notify: Notify,
) -> std::io::Result<ImportJob> {
    let job = Job::spawn("citygrid-import", None, notify, move |context| {
        let mut report = |now: &Progress| context.report(Some(*now));
        match step {
            ImportStep::Inspect => {
                StepResult::Inspected(super::inspect(&file, &profile.source).map_err(|error| format!("{}: {error}", file.display())))
            }
            ImportStep::Validate => StepResult::Validated(db.open().map_err(|error| error.to_string()).and_then(|store| {
                super::validate(&store, &file, &profile, &policy, &mut report, context.cancel_flag()).map_err(|error| error.to_string())
            })),
            ImportStep::Commit => StepResult::Committed(match actor {
                None => {
                    Err("sign in as an administrator to import; nothing was written / 请以系统管理员身份登录后导入，未写入任何数据"
                        .to_owned())
                }
                Some(actor) => db.open().map_err(|error| error.to_string()).and_then(|mut store| {
                    super::commit(&mut store, &actor, &file, &profile, &policy, &mut report, context.cancel_flag()).map_err(|error| {
                        match error {
                            super::ImportError::Store(crate::store::StoreError::Access(access)) => {
                                format!("{} / {}", access.message(true), access.message(false))
                            }
                            other => other.to_string(),
                        }
                    })
                }),
            }),
        }
    })?;
    Ok(ImportJob { step, job })
}
