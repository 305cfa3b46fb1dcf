//! The steps a person can take on a case, with the data each one carries.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::calendar::LimitUnit;
use crate::model::{CloseType, FeedbackChannel, RequestKind, Satisfaction, UnitId, Urgency, keyword_enum};

keyword_enum! {
    /// What a step does; the keyword is the `action` written to the audit trail.
    pub enum ActionKind {
        /// 上报: a new case (collector, hotline, citizen…).
        Report = ("report", "上报", "Report"),
        /// 立案: the report meets the filing conditions.
        File = ("file", "立案", "File"),
        /// 不予立案: invalid or duplicate report.
        Reject = ("reject", "不予立案", "Reject"),
        RequestCancel = ("request_cancel", "申请作废", "Request cancellation"),
        ApproveCancel = ("approve_cancel", "批准作废", "Approve cancellation"),
        DenyCancel = ("deny_cancel", "驳回作废申请", "Deny cancellation"),
        /// 派遣: sent to the responsible unit; the handling clock starts.
        Dispatch = ("dispatch", "派遣", "Dispatch"),
        /// 回退 (Art. 18): the unit says the case is not its own.
        ReturnToCentre = ("return", "回退", "Return to centre"),
        /// 重新派遣: a returned case sent out again (to another unit: the return is accepted).
        Redispatch = ("redispatch", "重新派遣", "Redispatch"),
        /// 驳回回退: the centre finds the return unfounded; the case goes back to the same unit
        /// with its deadline unchanged (the time did not stop), and counts against the unit.
        RefuseReturn = ("refuse_return", "驳回回退", "Refuse return"),
        /// 签收: the unit acknowledges the dispatched case.
        SignFor = ("sign", "签收", "Sign for"),
        /// 到场 (Art. 25): the unit reports being on site.
        Arrive = ("arrive", "到场", "Arrived on site"),
        /// 催办: the centre urges the unit.
        Urge = ("urge", "催办", "Urge"),
        /// 督办: the centre's leadership puts the case under supervision.
        Supervise = ("supervise", "督办", "Supervise"),
        /// 指定协办 (Art. 18): the units that assist the lead unit on a case needing several.
        SetAssisting = ("set_assisting", "指定协办单位", "Set assisting units"),
        /// 协办反馈: an assisting unit reports its part done.
        AssistReport = ("assist_report", "协办反馈", "Report assisting part done"),
        /// 处置反馈: the unit reports the case handled.
        Handle = ("handle", "处置反馈", "Report handled"),
        /// 核查通过: the collector finds it fixed on site.
        VerifyPass = ("verify_pass", "核查通过", "Verification passed"),
        /// 核查不通过: back to the same unit (返工 rework).
        VerifyFail = ("verify_fail", "核查不通过（返工）", "Verification failed (rework)"),
        /// 结案.
        Close = ("close", "结案", "Close"),
        RequestExtension = ("request_extension", "申请延期", "Request extension"),
        ApproveExtension = ("approve_extension", "批准延期", "Approve extension"),
        DenyExtension = ("deny_extension", "驳回延期申请", "Deny extension"),
        RequestDeferral = ("request_deferral", "申请缓办", "Request deferral"),
        ApproveDeferral = ("approve_deferral", "批准缓办", "Approve deferral"),
        DenyDeferral = ("deny_deferral", "驳回缓办申请", "Deny deferral"),
        /// 恢复办理: a deferred case's clock runs again.
        Resume = ("resume", "恢复办理", "Resume"),
        RequestBacklog = ("request_backlog", "申请挂账", "Request backlog"),
        ApproveBacklog = ("approve_backlog", "批准挂账", "Approve backlog"),
        DenyBacklog = ("deny_backlog", "驳回挂账申请", "Deny backlog"),
        /// 挂账恢复: a case taken out of the backlog ledger and worked on again.
        RestoreFromBacklog = ("restore_from_backlog", "挂账恢复", "Restore from backlog"),
        /// 回访 (Art. 21): the reporter was told the result.
        RecordReporterFeedback = ("reporter_feedback", "举报人回访", "Reporter feedback"),
    }
}

impl ActionKind {
    /// The request this action opens, if it is a request.
    #[must_use]
    pub fn opens_request(self) -> Option<RequestKind> {
        match self {
            Self::RequestCancel => Some(RequestKind::Cancel),
            Self::RequestExtension => Some(RequestKind::Extension),
            Self::RequestDeferral => Some(RequestKind::Deferral),
            Self::RequestBacklog => Some(RequestKind::Backlog),
            _ => None,
        }
    }

    /// The request this action decides, if it is an approval or a denial.
    #[must_use]
    pub fn decides_request(self) -> Option<RequestKind> {
        match self {
            Self::ApproveCancel | Self::DenyCancel => Some(RequestKind::Cancel),
            Self::ApproveExtension | Self::DenyExtension => Some(RequestKind::Extension),
            Self::ApproveDeferral | Self::DenyDeferral => Some(RequestKind::Deferral),
            Self::ApproveBacklog | Self::DenyBacklog => Some(RequestKind::Backlog),
            _ => None,
        }
    }

    /// The label in the requested language.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        if chinese { self.label_zh() } else { self.label_en() }
    }
}

/// What filing corrects in a report: the command-manual class (same subject) and the urgency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCorrection {
    pub class_code: String,
    pub urgency: Urgency,
}

/// One step on an existing case, with its data. Free-text fields are trimmed; an empty note
/// means "none", an empty reason where one is required is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// In JSON the tag is the variant's snake-case name; the action's keyword (`sign`, `return`,
/// `reporter_feedback`: what `ActionKind` and the terminal's API name it) is read too.
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 立案, correcting the reported class or urgency when the report had them wrong.
    File {
        note: String,
        #[serde(default)]
        correction: Option<FileCorrection>,
    },
    Reject {
        reason: String,
    },
    RequestCancel {
        reason: String,
    },
    ApproveCancel {
        note: String,
    },
    DenyCancel {
        reason: String,
    },
    Dispatch {
        unit: UnitId,
        note: String,
    },
    /// The unit says the case is not its own; the reason is mandatory (Art. 18).
    #[serde(alias = "return")]
    ReturnToCentre {
        reason: String,
    },
    Redispatch {
        unit: UnitId,
        note: String,
    },
    /// Why the return is unfounded (mandatory).
    RefuseReturn {
        reason: String,
    },
    #[serde(alias = "sign")]
    SignFor {
        note: String,
    },
    /// On site, with where (WGS84 longitude, latitude, from the terminal's GPS) when known.
    Arrive {
        note: String,
        photos: Vec<String>,
        #[serde(default)]
        location: Option<[f64; 2]>,
    },
    Urge {
        note: String,
    },
    /// Why the case needs supervision (mandatory).
    Supervise {
        reason: String,
    },
    /// The assisting units (协办) of the current dispatch, replacing the ones set before (an
    /// empty list removes them); why several units are needed (mandatory).
    SetAssisting {
        units: Vec<UnitId>,
        reason: String,
    },
    /// What the assisting unit did (mandatory) and photos.
    AssistReport {
        note: String,
        photos: Vec<String>,
    },
    /// What was done (mandatory) and photos of the result.
    Handle {
        note: String,
        photos: Vec<String>,
    },
    VerifyPass {
        note: String,
        photos: Vec<String>,
    },
    /// What is still wrong (mandatory); the case goes back to the same unit as rework.
    VerifyFail {
        reason: String,
        photos: Vec<String>,
    },
    /// `Normal` and `Overdue` both ask for a regular close after verification; the engine
    /// decides which of the two it is from the deadline. `Erroneous` and `Special` need a note
    /// giving the reason and may close any filed, open case.
    Close {
        close_type: CloseType,
        note: String,
    },
    /// Asks for `amount` more `unit`s beyond the current deadline.
    RequestExtension {
        amount: u32,
        unit: LimitUnit,
        reason: String,
    },
    ApproveExtension {
        note: String,
    },
    DenyExtension {
        reason: String,
    },
    RequestDeferral {
        reason: String,
    },
    ApproveDeferral {
        note: String,
    },
    DenyDeferral {
        reason: String,
    },
    Resume {
        note: String,
    },
    RequestBacklog {
        reason: String,
    },
    ApproveBacklog {
        note: String,
    },
    DenyBacklog {
        reason: String,
    },
    RestoreFromBacklog {
        note: String,
    },
    /// When and how the reporter was told the result (Art. 21).
    #[serde(alias = "reporter_feedback")]
    RecordReporterFeedback {
        told_at: NaiveDateTime,
        channel: FeedbackChannel,
        /// What the reporter said of the result, when asked.
        #[serde(default)]
        satisfaction: Option<Satisfaction>,
        note: String,
    },
}

impl Action {
    /// What kind of step this is.
    #[must_use]
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::File { .. } => ActionKind::File,
            Self::Reject { .. } => ActionKind::Reject,
            Self::RequestCancel { .. } => ActionKind::RequestCancel,
            Self::ApproveCancel { .. } => ActionKind::ApproveCancel,
            Self::DenyCancel { .. } => ActionKind::DenyCancel,
            Self::Dispatch { .. } => ActionKind::Dispatch,
            Self::ReturnToCentre { .. } => ActionKind::ReturnToCentre,
            Self::Redispatch { .. } => ActionKind::Redispatch,
            Self::RefuseReturn { .. } => ActionKind::RefuseReturn,
            Self::SignFor { .. } => ActionKind::SignFor,
            Self::Arrive { .. } => ActionKind::Arrive,
            Self::Urge { .. } => ActionKind::Urge,
            Self::Supervise { .. } => ActionKind::Supervise,
            Self::SetAssisting { .. } => ActionKind::SetAssisting,
            Self::AssistReport { .. } => ActionKind::AssistReport,
            Self::Handle { .. } => ActionKind::Handle,
            Self::VerifyPass { .. } => ActionKind::VerifyPass,
            Self::VerifyFail { .. } => ActionKind::VerifyFail,
            Self::Close { .. } => ActionKind::Close,
            Self::RequestExtension { .. } => ActionKind::RequestExtension,
            Self::ApproveExtension { .. } => ActionKind::ApproveExtension,
            Self::DenyExtension { .. } => ActionKind::DenyExtension,
            Self::RequestDeferral { .. } => ActionKind::RequestDeferral,
            Self::ApproveDeferral { .. } => ActionKind::ApproveDeferral,
            Self::DenyDeferral { .. } => ActionKind::DenyDeferral,
            Self::Resume { .. } => ActionKind::Resume,
            Self::RequestBacklog { .. } => ActionKind::RequestBacklog,
            Self::ApproveBacklog { .. } => ActionKind::ApproveBacklog,
            Self::DenyBacklog { .. } => ActionKind::DenyBacklog,
            Self::RestoreFromBacklog { .. } => ActionKind::RestoreFromBacklog,
            Self::RecordReporterFeedback { .. } => ActionKind::RecordReporterFeedback,
        }
    }
}
