//! New cases (上报): checked against the command manual, numbered per day, warned about likely
//! duplicates ("an open case of the same class within 50 m") and written with their first audit
//! entry.

use crate::store::Tx;
use chrono::NaiveDateTime;
use geo::Point;
use serde_json::json;

use crate::model::{Case, CaseState, CaseSubject, Keyword, PartCode, SourceChannel, Urgency, User};
use crate::store::{NewCaseEvent, Store};

use super::rules::transition;
use super::{ActionKind, Refusal, Workflow, WorkflowError};

/// Open cases of the same class closer than this are reported as possible duplicates.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;

/// What a reporter gives.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub source: SourceChannel,
    pub subject: CaseSubject,
    /// Four-digit command-manual class.
    pub class_code: String,
    pub urgency: Urgency,
    /// WGS84 location.
    pub location: Point<f64>,
    pub part_code: Option<PartCode>,
    pub grid_code: Option<u64>,
    pub description: String,
    pub photos: Vec<String>,
    pub reporter_contact: Option<String>,
    /// Street address, house number or place name as the reporter gave it (may be empty).
    pub address: String,
}

/// Longest address kept (characters); a longer one is cut.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// An open case that may describe the same problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateWarning {
    pub case_id: i64,
    pub case_no: String,
    pub state: CaseState,
    pub reported_at: NaiveDateTime,
    /// Metres from the new report.
    pub distance_m: f64,
}

/// A case just written, with the possible duplicates found before it was.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedCase {
    pub case: Case,
    /// Nearest first; the intake operator decides (file, or reject as a duplicate).
    pub possible_duplicates: Vec<DuplicateWarning>,
}

impl Workflow {
    /// Writes a new case in state Reported inside the caller's transaction, numbered
    /// `YYYYMMDD` + serial for the day of `now`.
    ///
    /// # Errors
    /// A role that may not report, an unknown class, a part code of another class, no
    /// description; SQL errors. Nothing is written then.
    pub fn report_case_in(&self, tx: &Tx<'_>, actor: &User, new_case: NewCase, now: NaiveDateTime) -> Result<ReportedCase, WorkflowError> {
        // The account as it is in the file now: a role, unit or password changed at another
        // seat since this one signed in ends its session here.
        let actor = &Store::acting_user(tx, actor)?;
        let row = transition(ActionKind::Report);
        if !row.roles.contains(&actor.role) {
            return Err(Refusal::RoleNotAllowed { action: ActionKind::Report, role: actor.role, allowed: row.roles.to_vec() }.into());
        }
        let sources = super::rules::sources_for(actor.role);
        if !sources.contains(&new_case.source) {
            return Err(Refusal::SourceNotForRole { source: new_case.source, role: actor.role, allowed: sources.to_vec() }.into());
        }
        if self.manual.entry(new_case.subject.item_kind(), &new_case.class_code).is_none() {
            return Err(Refusal::UnknownClass { subject: new_case.subject, class_code: new_case.class_code }.into());
        }
        if let Some(part_code) = new_case.part_code
            && (new_case.subject != CaseSubject::Part || part_code.class_code() != new_case.class_code)
        {
            return Err(Refusal::PartClassMismatch { part_code, class_code: new_case.class_code }.into());
        }
        let description = new_case.description.trim().to_owned();
        if description.is_empty() {
            return Err(Refusal::DescriptionRequired.into());
        }
        let possible_duplicates: Vec<DuplicateWarning> =
            Store::open_cases_near(tx, new_case.subject, &new_case.class_code, new_case.location, DUPLICATE_RADIUS_M)?
                .into_iter()
                .map(|near| DuplicateWarning {
                    case_id: near.case.id,
                    case_no: near.case.case_no,
                    state: near.case.state,
                    reported_at: near.case.reported_at,
                    distance_m: near.distance_m,
                })
                .collect();
        let mut case = Case {
            part_code: new_case.part_code,
            grid_code: new_case.grid_code,
            description,
            photos: new_case.photos,
            reporter_contact: new_case.reporter_contact.map(|contact| contact.trim().to_owned()).filter(|contact| !contact.is_empty()),
            address: new_case.address.trim().chars().take(MAX_ADDRESS_CHARS).collect(),
            ..Case::reported(
                Store::next_case_no(tx, now.date())?,
                new_case.source,
                new_case.subject,
                new_case.class_code,
                new_case.urgency,
                new_case.location,
                now,
            )
        };
        case.id = Store::insert_case(tx, &case)?;
        let data = json!({
            "source": case.source.keyword(),
            "class_code": case.class_code,
            "urgency": case.urgency.keyword(),
            "possible_duplicates": possible_duplicates.iter().map(|duplicate| duplicate.case_id).collect::<Vec<_>>(),
        });
        Store::append_case_event(
            tx,
            &NewCaseEvent {
                case_id: case.id,
                at: now,
                actor_user_id: Some(actor.id),
                action: ActionKind::Report.keyword(),
                from_state: None,
                to_state: CaseState::Reported,
                data: &data,
            },
        )?;
        Ok(ReportedCase { case, possible_duplicates })
    }

    /// [`Self::report_case_in`] in a transaction of its own.
    ///
    /// # Errors
    /// As [`Self::report_case_in`].
    pub fn report_case(
        &self,
        store: &mut Store,
        actor: &User,
        new_case: NewCase,
        now: NaiveDateTime,
    ) -> Result<ReportedCase, WorkflowError> {
        store.atomically(|tx| self.report_case_in(tx, actor, new_case, now))
    }
}
