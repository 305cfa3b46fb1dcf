//! The transition table: for every action, the states it applies to, where it leads, the roles
//! that may take it and what it needs. The engine enforces it; the UI reads it
//! (through [`super::allowed_actions`]) to offer only the buttons that can work.
//!
//! Two rules hold across the table: a unit operator (责任单位操作员) acts only on cases
//! dispatched to the one unit the account is bound to (an assisting unit, 协办, only reports its
//! part); and while a request waits for a decision
//! only its approval or denial, the unit's handling report or return (which make it lapse) and
//! reporter feedback are possible. The administrator manages accounts and reference data and
//! takes no step on cases, so every step in the audit trail is someone's duty.

use crate::model::{CaseState, RequestKind, Role, SourceChannel};

use super::ActionKind;

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The state stays; the step records something (a request, a decision, feedback).
    Same,
    To(CaseState),
}

/// What an action needs besides role and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A non-empty reason (returns, rejections, denials, failed checks, requests).
    Reason,
    /// A non-empty note of what was done (handling report).
    Note,
    /// A description of the problem (new report).
    Description,
    /// An existing responsible unit to send the case to.
    Unit,
    /// A limit for the class and urgency in the command manual (to set the deadline).
    TimeLimit,
    /// An extra time longer than zero.
    ExtensionLength,
    /// The request of this kind, waiting for a decision.
    Pending(RequestKind),
    /// Normal/overdue close only after a passed verification; erroneous/special with a reason.
    CloseRule,
    /// The reporter's contact, and a feedback time that is not in the future.
    ReporterContact,
}

impl Need {
    /// Short description in the requested language.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Reason, true) => "理由",
            (Self::Reason, false) => "a reason",
            (Self::Note, true) => "处置说明",
            (Self::Note, false) => "a note of what was done",
            (Self::Description, true) => "问题描述",
            (Self::Description, false) => "a description",
            (Self::Unit, true) => "责任单位",
            (Self::Unit, false) => "a responsible unit",
            (Self::TimeLimit, true) => "指挥手册处置时限",
            (Self::TimeLimit, false) => "a handling limit in the command manual",
            (Self::ExtensionLength, true) => "延期时长",
            (Self::ExtensionLength, false) => "the extra time",
            (Self::Pending(RequestKind::Cancel), true) => "待审批的作废申请",
            (Self::Pending(RequestKind::Extension), true) => "待审批的延期申请",
            (Self::Pending(RequestKind::Deferral), true) => "待审批的缓办申请",
            (Self::Pending(RequestKind::Backlog), true) => "待审批的挂账申请",
            (Self::Pending(RequestKind::Cancel), false) => "a pending cancellation request",
            (Self::Pending(RequestKind::Extension), false) => "a pending extension request",
            (Self::Pending(RequestKind::Deferral), false) => "a pending deferral request",
            (Self::Pending(RequestKind::Backlog), false) => "a pending backlog request",
            (Self::CloseRule, true) => "结案类型（正常结案须核查通过，误报/特殊结案须说明理由）",
            (Self::CloseRule, false) => "a close type (normal after verification; erroneous or special with a reason)",
            (Self::ReporterContact, true) => "举报人联系方式与回访时间",
            (Self::ReporterContact, false) => "the reporter's contact and when they were told",
        }
    }
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub action: ActionKind,
    /// States the action applies to (empty for a new report).
    pub from: &'static [CaseState],
    pub to: Target,
    /// Roles that may take it.
    pub roles: &'static [Role],
    pub needs: &'static [Need],
}

use CaseState::{Backlog, Cancelled, Closed, Deferred, Dispatched, Filed, Handled, Rejected, Reported, Returned, Verified};
use Role::{CommitteeMember, Dispatcher, FieldCollector, IntakeOperator, Interface, ShiftLeader, UnitOperator};

/// States a cancellation may be asked for in: before the case is with a unit.
const CANCELLABLE: &[CaseState] = &[Reported, Filed, Returned];
/// Filed cases that are still open: what an erroneous or special close may end.
const CLOSABLE: &[CaseState] = &[Filed, Dispatched, Returned, Handled, Verified, Deferred, Backlog];
const EVERY_STATE: &[CaseState] =
    &[Reported, Filed, Rejected, Cancelled, Dispatched, Returned, Handled, Verified, Closed, Deferred, Backlog];
const CENTRE_LEADER: &[Role] = &[ShiftLeader];
const UNIT: &[Role] = &[UnitOperator];

/// The channels a role may report through: a field collector's reports are its own (assessed per
/// collector), hotline and citizen reports come in through intake, video patrols through the
/// centre. A report claiming another channel is refused.
#[must_use]
pub fn sources_for(role: Role) -> &'static [SourceChannel] {
    use SourceChannel::{Citizen, CityPlatform, Collector, Hotline12319, Hotline12345, Video};
    match role {
        FieldCollector => &[Collector],
        IntakeOperator => &[Hotline12319, Hotline12345, Citizen, CityPlatform],
        ShiftLeader => &[Video, CityPlatform, Hotline12319, Hotline12345, Citizen],
        Interface => &[Citizen, Hotline12345, Hotline12319, CityPlatform],
        _ => &[],
    }
}

/// The whole table, one row per action, in life-cycle order.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        action: ActionKind::Report,
        from: &[],
        to: Target::To(Reported),
        roles: &[IntakeOperator, FieldCollector, ShiftLeader, Interface],
        needs: &[Need::Description],
    },
    Transition { action: ActionKind::File, from: &[Reported], to: Target::To(Filed), roles: &[IntakeOperator, ShiftLeader], needs: &[] },
    Transition {
        action: ActionKind::Reject,
        from: &[Reported],
        to: Target::To(Rejected),
        roles: &[IntakeOperator, ShiftLeader],
        needs: &[Need::Reason],
    },
    Transition {
        action: ActionKind::RequestCancel,
        from: CANCELLABLE,
        to: Target::Same,
        roles: &[IntakeOperator, Dispatcher, ShiftLeader],
        needs: &[Need::Reason],
    },
    Transition {
        action: ActionKind::ApproveCancel,
        from: CANCELLABLE,
        to: Target::To(Cancelled),
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Cancel)],
    },
    Transition {
        action: ActionKind::DenyCancel,
        from: CANCELLABLE,
        to: Target::Same,
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Cancel), Need::Reason],
    },
    Transition {
        action: ActionKind::Dispatch,
        from: &[Filed],
        to: Target::To(Dispatched),
        roles: &[Dispatcher, ShiftLeader],
        needs: &[Need::Unit, Need::TimeLimit],
    },
    Transition { action: ActionKind::ReturnToCentre, from: &[Dispatched], to: Target::To(Returned), roles: UNIT, needs: &[Need::Reason] },
    Transition {
        action: ActionKind::Redispatch,
        from: &[Returned],
        to: Target::To(Dispatched),
        roles: &[Dispatcher, ShiftLeader],
        needs: &[Need::Unit, Need::TimeLimit],
    },
    Transition {
        action: ActionKind::RefuseReturn,
        from: &[Returned],
        to: Target::To(Dispatched),
        roles: &[Dispatcher, ShiftLeader],
        needs: &[Need::Reason],
    },
    Transition { action: ActionKind::SignFor, from: &[Dispatched], to: Target::Same, roles: UNIT, needs: &[] },
    Transition { action: ActionKind::Arrive, from: &[Dispatched], to: Target::Same, roles: UNIT, needs: &[] },
    Transition { action: ActionKind::Urge, from: &[Dispatched], to: Target::Same, roles: &[Dispatcher, ShiftLeader], needs: &[] },
    Transition {
        action: ActionKind::Supervise,
        from: &[Dispatched],
        to: Target::Same,
        roles: &[ShiftLeader, CommitteeMember],
        needs: &[Need::Reason],
    },
    Transition {
        action: ActionKind::SetAssisting,
        from: &[Dispatched],
        to: Target::Same,
        roles: &[Dispatcher, ShiftLeader, CommitteeMember],
        needs: &[Need::Reason],
    },
    Transition { action: ActionKind::AssistReport, from: &[Dispatched], to: Target::Same, roles: UNIT, needs: &[Need::Note] },
    Transition { action: ActionKind::Handle, from: &[Dispatched], to: Target::To(Handled), roles: UNIT, needs: &[Need::Note] },
    Transition { action: ActionKind::VerifyPass, from: &[Handled], to: Target::To(Verified), roles: &[FieldCollector], needs: &[] },
    Transition {
        action: ActionKind::VerifyFail,
        from: &[Handled],
        to: Target::To(Dispatched),
        roles: &[FieldCollector],
        needs: &[Need::Reason],
    },
    Transition { action: ActionKind::Close, from: CLOSABLE, to: Target::To(Closed), roles: CENTRE_LEADER, needs: &[Need::CloseRule] },
    Transition {
        action: ActionKind::RequestExtension,
        from: &[Dispatched],
        to: Target::Same,
        roles: UNIT,
        needs: &[Need::ExtensionLength, Need::Reason],
    },
    Transition {
        action: ActionKind::ApproveExtension,
        from: &[Dispatched],
        to: Target::Same,
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Extension)],
    },
    Transition {
        action: ActionKind::DenyExtension,
        from: &[Dispatched],
        to: Target::Same,
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Extension), Need::Reason],
    },
    Transition { action: ActionKind::RequestDeferral, from: &[Dispatched], to: Target::Same, roles: UNIT, needs: &[Need::Reason] },
    Transition {
        action: ActionKind::ApproveDeferral,
        from: &[Dispatched],
        to: Target::To(Deferred),
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Deferral)],
    },
    Transition {
        action: ActionKind::DenyDeferral,
        from: &[Dispatched],
        to: Target::Same,
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Deferral), Need::Reason],
    },
    Transition { action: ActionKind::Resume, from: &[Deferred], to: Target::To(Dispatched), roles: &[Dispatcher, ShiftLeader], needs: &[] },
    Transition { action: ActionKind::RequestBacklog, from: &[Dispatched], to: Target::Same, roles: UNIT, needs: &[Need::Reason] },
    Transition {
        action: ActionKind::ApproveBacklog,
        from: &[Dispatched],
        to: Target::To(Backlog),
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Backlog)],
    },
    Transition {
        action: ActionKind::DenyBacklog,
        from: &[Dispatched],
        to: Target::Same,
        roles: CENTRE_LEADER,
        needs: &[Need::Pending(RequestKind::Backlog), Need::Reason],
    },
    Transition {
        action: ActionKind::RestoreFromBacklog,
        from: &[Backlog],
        to: Target::To(Dispatched),
        roles: &[ShiftLeader, CommitteeMember],
        needs: &[],
    },
    Transition {
        action: ActionKind::RecordReporterFeedback,
        from: EVERY_STATE,
        to: Target::Same,
        roles: &[IntakeOperator, ShiftLeader],
        needs: &[Need::ReporterContact],
    },
];

/// The row of an action.
#[must_use]
pub fn transition(action: ActionKind) -> &'static Transition {
    // Every ActionKind has exactly one row (checked by a test); Report is the fallback that
    // can never be reached.
    TRANSITIONS.iter().find(|row| row.action == action).unwrap_or(&TRANSITIONS[0])
}

/// Every (role, audit action, state before) a person of that role may write to the audit trail:
/// the transition table's rows, the report (no state before) and the dispute steps (in any
/// state). The server store keeps it as `role_actions` and refuses any other entry, whoever
/// connects.
#[must_use]
pub fn role_actions() -> Vec<(Role, &'static str, Option<CaseState>)> {
    use crate::model::Keyword as _;
    let mut rows = Vec::new();
    for row in TRANSITIONS {
        for role in row.roles {
            if row.from.is_empty() {
                rows.push((*role, row.action.keyword(), None));
            }
            for state in row.from {
                rows.push((*role, row.action.keyword(), Some(*state)));
            }
        }
    }
    for step in super::DisputeStep::ALL {
        for role in step.roles() {
            for state in EVERY_STATE {
                rows.push((*role, step.keyword(), Some(*state)));
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Keyword;

    #[test]
    fn every_action_has_exactly_one_row() {
        for action in ActionKind::ALL {
            assert_eq!(TRANSITIONS.iter().filter(|row| row.action == *action).count(), 1, "{action:?}");
            assert_eq!(transition(*action).action, *action);
        }
    }

    #[test]
    fn the_administrator_takes_no_step_on_cases() {
        assert!(TRANSITIONS.iter().all(|row| !row.roles.contains(&Role::Administrator)));
    }

    #[test]
    fn requests_and_their_decisions_apply_to_the_same_states() {
        for row in TRANSITIONS {
            if let Some(kind) = row.action.decides_request() {
                let request = TRANSITIONS.iter().find(|other| other.action.opens_request() == Some(kind)).expect("request row");
                assert_eq!(request.from, row.from, "{:?}", row.action);
                assert!(row.needs.contains(&Need::Pending(kind)));
            }
        }
    }
}
