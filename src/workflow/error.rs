//! Why a step was refused, in words a person can act on, in Chinese and English. Nothing here
//! depends on the UI's language setting: the UI calls `message(chinese)`.

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::{CaseState, CaseSubject, DisputeState, PartCode, RequestKind, Role, UnitId, Urgency};
use crate::store::StoreError;

use super::{ActionKind, DisputeStep};

/// A unit named in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLabel {
    pub id: UnitId,
    pub name_zh: String,
    pub name_en: String,
}

impl UnitLabel {
    fn name(&self, chinese: bool) -> &str {
        if chinese { &self.name_zh } else { &self.name_en }
    }
}

/// A step the rules do not allow, or whose data is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role may not take this step.
    RoleNotAllowed {
        action: ActionKind,
        role: Role,
        allowed: Vec<Role>,
    },
    /// The case is in a state the step does not apply to.
    WrongState {
        action: ActionKind,
        state: CaseState,
        allowed: Vec<CaseState>,
    },
    /// A unit operator whose account names no unit.
    NotBoundToUnit {
        action: ActionKind,
    },
    /// A unit operator acting on another unit's case.
    NotYourUnit {
        action: ActionKind,
        case_unit: Option<UnitLabel>,
        own_unit: UnitLabel,
    },
    /// A mandatory reason is missing.
    ReasonRequired {
        action: ActionKind,
    },
    /// A handling report without a note of what was done.
    NoteRequired {
        action: ActionKind,
    },
    /// A report without a description.
    DescriptionRequired,
    /// An extension or deferral asked for after the handling deadline (Art. 26 counts an
    /// approved one as on time only when it was asked for in time).
    /// The case was already signed for on this dispatch.
    AlreadySigned {
        at: NaiveDateTime,
    },
    /// The unit already reported being on site on this dispatch.
    AlreadyArrived {
        at: NaiveDateTime,
    },
    /// The case is already under supervision (督办).
    AlreadySupervised {
        at: NaiveDateTime,
    },
    /// An assisting report from a unit that does not assist on the case.
    NotAssisting {
        unit: UnitLabel,
    },
    /// The assisting unit already reported its part done.
    AlreadyReportedAssist {
        at: NaiveDateTime,
    },
    /// The lead unit named as an assisting unit of its own case.
    LeadCannotAssist {
        unit: UnitLabel,
    },
    /// The lead unit reports the case handled while assisting units have not reported.
    AssistsOutstanding {
        units: Vec<String>,
    },
    /// A returned case cannot be redispatched to the unit that returned it: refusing the
    /// return does that, keeping its deadline.
    RedispatchToReturningUnit {
        unit: UnitLabel,
    },
    /// A location outside the valid range of WGS84 coordinates.
    BadLocation {
        /// The coordinates as given (`lon, lat`).
        location: String,
    },
    RequestAfterDeadline {
        action: ActionKind,
        deadline: NaiveDateTime,
    },
    /// The committee decided this case is this unit's (Art. 18: the decision must be carried
    /// out); it cannot be returned again.
    DecisionBinds {
        case_no: String,
        dispute_id: i64,
    },
    /// A report through a channel the role does not take reports from (a collector claiming a
    /// hotline call, an intake operator claiming a collector's find).
    SourceNotForRole {
        source: crate::model::SourceChannel,
        role: Role,
        allowed: Vec<crate::model::SourceChannel>,
    },
    /// The step's time is earlier than the case's last step: this seat's clock is behind (or
    /// was set back). Steps only go forward in time.
    EarlierThanLastStep {
        case_no: String,
        last_at: NaiveDateTime,
        now: NaiveDateTime,
    },
    UnknownUnit {
        unit: UnitId,
    },
    /// The centre dispatches and the committee decides: neither is sent cases, assists, or is
    /// a party to a dispute ([`crate::model::Unit::takes_dispatches`]).
    NotAHandlingUnit {
        unit: UnitLabel,
    },
    UnknownClass {
        subject: CaseSubject,
        class_code: String,
    },
    /// The part code belongs to another class than the one reported.
    PartClassMismatch {
        part_code: PartCode,
        class_code: String,
    },
    /// No handling limit for the class and urgency: no deadline can be set.
    NoTimeLimit {
        class_code: String,
        urgency: Urgency,
    },
    /// A request waits for a decision, which must come first.
    RequestPending {
        action: ActionKind,
        pending: RequestKind,
    },
    /// An approval or denial without a request to decide.
    NoPendingRequest {
        action: ActionKind,
        kind: RequestKind,
    },
    /// An extension of zero.
    ZeroExtension,
    /// A normal close before the verification passed.
    CloseNeedsVerification {
        state: CaseState,
    },
    /// Reporter feedback on a case that has no reporter to tell.
    NoReporterContact,
    /// A time given for something that has not happened yet.
    TimeInFuture {
        at: NaiveDateTime,
    },
    /// The actor's role may not take this step of a responsibility dispute.
    DisputeRoleNotAllowed {
        step: DisputeStep,
        role: Role,
        allowed: Vec<Role>,
    },
    /// A dispute cannot be opened on a case in this state.
    DisputeWrongCaseState {
        step: DisputeStep,
        state: CaseState,
        allowed: Vec<CaseState>,
    },
    /// No dispute has this id.
    NoSuchDispute {
        dispute_id: i64,
    },
    /// The case has an open dispute already; add to it instead.
    DisputeAlreadyOpen {
        case_no: String,
        dispute_id: i64,
    },
    /// The dispute was decided or withdrawn already.
    DisputeNotOpen {
        step: DisputeStep,
        dispute_id: i64,
        state: DisputeState,
    },
    /// A unit operator whose account names no unit.
    DisputeNotBoundToUnit {
        step: DisputeStep,
    },
    /// A unit operator whose unit is not a party to the dispute.
    UnitNotParty {
        step: DisputeStep,
        own_unit: UnitLabel,
        parties: Vec<UnitLabel>,
    },
    /// The text a dispute step needs is missing: what is disputed, the statement, the
    /// committee's reasoning, or why the dispute is withdrawn.
    DisputeTextRequired {
        step: DisputeStep,
    },
    /// A dispute must name at least one unit party to it.
    DisputeNeedsUnits,
    /// A day given for something that has not happened yet (a site check).
    DateInFuture {
        date: NaiveDate,
    },
    /// A precedent whose area cannot be used: a polygon with fewer than three corners, no area
    /// or coordinates that are not longitude/latitude, or a circle without a positive radius.
    InvalidPrecedentArea,
    /// A location that is not a longitude/latitude pair.
    InvalidLocation,
}

fn roles_text(roles: &[Role], chinese: bool) -> String {
    let labels: Vec<&str> = roles.iter().map(|role| if chinese { role.label_zh() } else { role.label_en() }).collect();
    if chinese { labels.join("、") } else { labels.join(" or ") }
}

fn states_text(states: &[CaseState], chinese: bool) -> String {
    let labels: Vec<&str> = states.iter().map(|state| if chinese { state.label_zh() } else { state.label_en() }).collect();
    if chinese { labels.join("、") } else { labels.join(", ") }
}

fn request_label(kind: RequestKind, chinese: bool) -> &'static str {
    if chinese { kind.label_zh() } else { kind.label_en() }
}

fn units_text(units: &[UnitLabel], chinese: bool) -> String {
    let names: Vec<&str> = units.iter().map(|unit| unit.name(chinese)).collect();
    if chinese { names.join("、") } else { names.join(", ") }
}

impl Refusal {
    /// The message in Chinese (`true`) or English.
    #[must_use]
    pub fn message(&self, chinese: bool) -> String {
        let zh = chinese;
        match self {
            Self::RoleNotAllowed { action, role, allowed } => {
                if zh {
                    format!("“{}”须由{}办理；您当前的角色是{}。", action.label_zh(), roles_text(allowed, true), role.label_zh())
                } else {
                    format!(
                        "“{}” can only be done by {}; you are signed in as {}.",
                        action.label_en(),
                        roles_text(allowed, false),
                        role.label_en()
                    )
                }
            }
            Self::WrongState { action, state, allowed } => {
                if allowed.is_empty() {
                    return if zh {
                        format!("“{}”不适用于已有案卷。", action.label_zh())
                    } else {
                        format!("“{}” does not apply to an existing case.", action.label_en())
                    };
                }
                if zh {
                    format!("“{}”只适用于{}状态的案卷；本案卷当前为“{}”。", action.label_zh(), states_text(allowed, true), state.label_zh())
                } else {
                    format!(
                        "“{}” applies only to cases that are {}; this case is {}.",
                        action.label_en(),
                        states_text(allowed, false).to_lowercase(),
                        state.label_en().to_lowercase()
                    )
                }
            }
            Self::NotBoundToUnit { action } => {
                if zh {
                    format!("您的账号未绑定责任单位，不能办理“{}”。", action.label_zh())
                } else {
                    format!("Your account is not bound to a responsible unit, so it cannot “{}”.", action.label_en())
                }
            }
            Self::NotYourUnit { action, case_unit, own_unit } => {
                let case_unit_text = case_unit.as_ref().map_or(if zh { "其他单位" } else { "another unit" }, |unit| unit.name(zh));
                if zh {
                    format!(
                        "本案卷派遣给{case_unit_text}，您的账号属于{}，只能对派遣给本单位的案卷办理“{}”。",
                        own_unit.name(true),
                        action.label_zh()
                    )
                } else {
                    format!(
                        "This case is dispatched to {case_unit_text}; your account belongs to {} and may “{}” only cases dispatched to it.",
                        own_unit.name(false),
                        action.label_en()
                    )
                }
            }
            Self::ReasonRequired { action } => {
                if zh {
                    format!("“{}”必须填写理由。", action.label_zh())
                } else {
                    format!("“{}” needs a reason.", action.label_en())
                }
            }
            Self::NoteRequired { action } => {
                if zh {
                    format!("“{}”必须说明处置情况。", action.label_zh())
                } else {
                    format!("“{}” needs a note of what was done.", action.label_en())
                }
            }
            Self::AlreadySigned { at } => {
                let at = at.format("%Y-%m-%d %H:%M");
                if zh { format!("本次派遣已于 {at} 签收。") } else { format!("This dispatch was already signed for at {at}.") }
            }
            Self::AlreadyArrived { at } => {
                let at = at.format("%Y-%m-%d %H:%M");
                if zh {
                    format!("本次派遣已于 {at} 报告到场。")
                } else {
                    format!("Arrival on site was already reported at {at}.")
                }
            }
            Self::AlreadySupervised { at } => {
                let at = at.format("%Y-%m-%d %H:%M");
                if zh {
                    format!("该案卷自 {at} 起已在督办中。")
                } else {
                    format!("The case has been under supervision since {at}.")
                }
            }
            Self::NotAssisting { unit } => {
                if zh {
                    format!("{}不是该案卷的协办单位，不能提交协办反馈。", unit.name(true))
                } else {
                    format!("{} does not assist on this case, so it cannot report an assisting part.", unit.name(false))
                }
            }
            Self::AlreadyReportedAssist { at } => {
                let at = at.format("%Y-%m-%d %H:%M");
                if zh {
                    format!("本单位已于 {at} 提交协办反馈。")
                } else {
                    format!("Your unit already reported its part at {at}.")
                }
            }
            Self::LeadCannotAssist { unit } => {
                if zh {
                    format!("{}是该案卷的主办单位，不能同时作为协办单位。", unit.name(true))
                } else {
                    format!("{} leads this case and cannot also assist on it.", unit.name(false))
                }
            }
            Self::AssistsOutstanding { units } => {
                if zh {
                    format!("协办单位尚未反馈：{}。请待其反馈后再提交处置反馈，或请中心调整协办单位。", units.join("、"))
                } else {
                    format!(
                        "Assisting units have not reported their part yet: {}. Report the case handled after they do, or ask the centre to change the assisting units.",
                        units.join(", ")
                    )
                }
            }
            Self::RedispatchToReturningUnit { unit } => {
                if zh {
                    format!("案卷是{}回退的，不能重新派遣给它；如认为回退理由不成立，请“驳回回退”（原处置时限不变）。", unit.name(true))
                } else {
                    format!(
                        "{} returned this case, so it cannot be redispatched to it; if the return is unfounded, refuse the return (the deadline stays as it was).",
                        unit.name(false)
                    )
                }
            }
            Self::BadLocation { location } => {
                if zh {
                    format!("位置 ({location}) 不是有效的 WGS84 经纬度。")
                } else {
                    format!("The location ({location}) is not a valid WGS84 longitude and latitude.")
                }
            }
            Self::RequestAfterDeadline { action, deadline } => {
                let deadline = deadline.format("%Y-%m-%d %H:%M");
                if zh {
                    format!("处置时限 {deadline} 已过，不能再“{}”：超期后的申请不能使超期案卷变为按期。", action.label_zh())
                } else {
                    format!(
                        "The handling deadline {deadline} has passed, so “{}” can no longer be asked for: a request after the deadline cannot make an overdue case on time.",
                        action.label_en()
                    )
                }
            }
            Self::DecisionBinds { case_no, dispute_id } => {
                if zh {
                    format!("案卷 {case_no} 已由城管委裁定（争议 #{dispute_id}）由本单位办理，裁定必须严格执行，不能再退回。")
                } else {
                    format!(
                        "The committee decided (dispute #{dispute_id}) that case {case_no} is your unit's; the decision must be carried out, so it cannot be returned again."
                    )
                }
            }
            Self::SourceNotForRole { source, role, allowed } => {
                let list = |chinese: bool| {
                    allowed.iter().map(|source| if chinese { source.label_zh() } else { source.label_en() }).collect::<Vec<_>>()
                };
                if zh {
                    format!("{}上报的案卷来源不能是“{}”；可选：{}。", role.label_zh(), source.label_zh(), list(true).join("、"))
                } else {
                    format!(
                        "A {} cannot report through “{}”; the channels are: {}.",
                        role.label_en(),
                        source.label_en(),
                        list(false).join(", ")
                    )
                }
            }
            Self::EarlierThanLastStep { case_no, last_at, now } => {
                let (last, now) = (last_at.format("%Y-%m-%d %H:%M:%S"), now.format("%Y-%m-%d %H:%M:%S"));
                if zh {
                    format!("本机时间 {now} 早于案卷 {case_no} 上一步的时间 {last}：请校准本机时钟后重试，办理时间不能倒退。")
                } else {
                    format!(
                        "This computer's clock says {now}, earlier than the last step on case {case_no} ({last}): set the clock right and try again; steps cannot go back in time."
                    )
                }
            }
            Self::DescriptionRequired => {
                if zh {
                    "上报问题必须填写问题描述。".to_owned()
                } else {
                    "A report needs a description of the problem.".to_owned()
                }
            }
            Self::NotAHandlingUnit { unit } => {
                if zh {
                    format!("{}不承办案卷（指挥中心负责派遣，城管委负责裁定），不能派遣给它，也不能列为协办或争议单位。", unit.name(true))
                } else {
                    format!(
                        "{} does not handle cases (the centre dispatches, the committee decides): it cannot be sent a case, assist, or be party to a dispute.",
                        unit.name(false)
                    )
                }
            }
            Self::UnknownUnit { unit } => {
                if zh {
                    format!("不存在编号为 {} 的责任单位。", unit.0)
                } else {
                    format!("There is no responsible unit with id {}.", unit.0)
                }
            }
            Self::UnknownClass { subject, class_code } => {
                if zh {
                    format!("指挥手册中没有{}小类 {class_code}。", subject.label_zh())
                } else {
                    format!("The command manual has no {} class {class_code}.", subject.label_en().to_lowercase())
                }
            }
            Self::PartClassMismatch { part_code, class_code } => {
                if zh {
                    format!("部件编码 {part_code} 属于小类 {}，与上报的小类 {class_code} 不符。", part_code.class_code())
                } else {
                    format!("Part {part_code} belongs to class {}, not to the reported class {class_code}.", part_code.class_code())
                }
            }
            Self::NoTimeLimit { class_code, urgency } => {
                if zh {
                    format!("指挥手册未规定小类 {class_code} 的“{}”处置时限，无法计算处置期限。", urgency.label_zh())
                } else {
                    format!(
                        "The command manual sets no {} handling limit for class {class_code}, so no deadline can be set.",
                        urgency.label_en().to_lowercase()
                    )
                }
            }
            Self::RequestPending { action, pending } => {
                if zh {
                    format!("本案卷有待审批的{}，须先批准或驳回，才能“{}”。", request_label(*pending, true), action.label_zh())
                } else {
                    format!(
                        "This case has a pending {}; approve or deny it before “{}”.",
                        request_label(*pending, false).to_lowercase(),
                        action.label_en()
                    )
                }
            }
            Self::NoPendingRequest { action, kind } => {
                if zh {
                    format!("本案卷没有待审批的{}，无法“{}”。", request_label(*kind, true), action.label_zh())
                } else {
                    format!("This case has no pending {} to “{}”.", request_label(*kind, false).to_lowercase(), action.label_en())
                }
            }
            Self::ZeroExtension => {
                if zh {
                    "延期时长必须大于零。".to_owned()
                } else {
                    "An extension must be longer than zero.".to_owned()
                }
            }
            Self::CloseNeedsVerification { state } => {
                if zh {
                    format!(
                        "正常结案须在核查通过后进行，本案卷当前为“{}”；如属误报或特殊情况，请选择误报结案或特殊结案并说明理由。",
                        state.label_zh()
                    )
                } else {
                    format!(
                        "A normal close needs a passed verification, and this case is {}; for a false report or a special case choose an erroneous or special close and give the reason.",
                        state.label_en().to_lowercase()
                    )
                }
            }
            Self::NoReporterContact => {
                if zh {
                    "本案卷没有举报人联系方式，无需回访。".to_owned()
                } else {
                    "This case has no reporter contact to give feedback to.".to_owned()
                }
            }
            Self::TimeInFuture { at } => {
                let at = at.format("%Y-%m-%d %H:%M");
                if zh { format!("时间 {at} 晚于当前时间。") } else { format!("The time {at} is in the future.") }
            }
            Self::DisputeRoleNotAllowed { step, role, allowed } => {
                if zh {
                    format!("“{}”须由{}办理；您当前的角色是{}。", step.label_zh(), roles_text(allowed, true), role.label_zh())
                } else {
                    format!(
                        "“{}” can only be done by {}; you are signed in as {}.",
                        step.label_en(),
                        roles_text(allowed, false),
                        role.label_en()
                    )
                }
            }
            Self::DisputeWrongCaseState { step, state, allowed } => {
                if zh {
                    format!("“{}”只适用于{}状态的案卷；本案卷当前为“{}”。", step.label_zh(), states_text(allowed, true), state.label_zh())
                } else {
                    format!(
                        "“{}” applies only to cases that are {}; this case is {}.",
                        step.label_en(),
                        states_text(allowed, false).to_lowercase(),
                        state.label_en().to_lowercase()
                    )
                }
            }
            Self::NoSuchDispute { dispute_id } => {
                if zh {
                    format!("不存在编号为 #{dispute_id} 的责任争议。")
                } else {
                    format!("There is no dispute #{dispute_id}.")
                }
            }
            Self::DisputeAlreadyOpen { case_no, dispute_id } => {
                if zh {
                    format!("案卷 {case_no} 已有未裁定的责任争议 #{dispute_id}，请在该争议中补充材料。")
                } else {
                    format!("Case {case_no} already has an open dispute, #{dispute_id}; add to that one.")
                }
            }
            Self::DisputeNotOpen { step, dispute_id, state } => {
                if zh {
                    format!("责任争议 #{dispute_id} {}，不能再“{}”。", state.label_zh(), step.label_zh())
                } else {
                    format!("Dispute #{dispute_id} is {}; it is too late to “{}”.", state.label_en().to_lowercase(), step.label_en())
                }
            }
            Self::DisputeNotBoundToUnit { step } => {
                if zh {
                    format!("您的账号未绑定责任单位，不能办理“{}”。", step.label_zh())
                } else {
                    format!("Your account is not bound to a responsible unit, so it cannot “{}”.", step.label_en())
                }
            }
            Self::UnitNotParty { step, own_unit, parties } => {
                if zh {
                    format!(
                        "本争议的当事单位是{}；您的账号属于{}，不是当事单位，不能办理“{}”。",
                        units_text(parties, true),
                        own_unit.name(true),
                        step.label_zh()
                    )
                } else {
                    format!(
                        "The units party to this dispute are {}; your account belongs to {}, which is not one of them, so it cannot “{}”.",
                        units_text(parties, false),
                        own_unit.name(false),
                        step.label_en()
                    )
                }
            }
            Self::DisputeTextRequired { step } => match (step, zh) {
                (DisputeStep::Open, true) => "发起责任争议必须说明争议事项。".to_owned(),
                (DisputeStep::Open, false) => "Opening a dispute needs a summary of what is disputed.".to_owned(),
                (DisputeStep::Statement, true) => "单位陈述必须填写陈述内容。".to_owned(),
                (DisputeStep::Statement, false) => "A unit statement needs its text.".to_owned(),
                (DisputeStep::Decide, true) => "城管委裁定必须说明裁定理由。".to_owned(),
                (DisputeStep::Decide, false) => "A committee decision needs its reasoning.".to_owned(),
                (DisputeStep::Withdraw, true) => "撤销争议必须说明理由。".to_owned(),
                (DisputeStep::Withdraw, false) => "Withdrawing a dispute needs a reason.".to_owned(),
                (DisputeStep::SiteCheck, true) => "现场确认必须填写确认情况。".to_owned(),
                (DisputeStep::SiteCheck, false) => "A site check needs notes of what was found.".to_owned(),
            },
            Self::DisputeNeedsUnits => {
                if zh {
                    "责任争议必须至少列明一个当事单位。".to_owned()
                } else {
                    "A dispute must name at least one unit party to it.".to_owned()
                }
            }
            Self::DateInFuture { date } => {
                let date = date.format("%Y-%m-%d");
                if zh { format!("日期 {date} 晚于今天。") } else { format!("The date {date} is in the future.") }
            }
            Self::InvalidLocation => {
                if zh {
                    "位置须为有效的经纬度。".to_owned()
                } else {
                    "The location must be a valid longitude/latitude.".to_owned()
                }
            }
            Self::InvalidPrecedentArea => {
                if zh {
                    "先例范围无效：多边形须有至少三个顶点且面积大于零，圆须有大于零的半径，坐标须为经纬度。".to_owned()
                } else {
                    "The precedent's area is unusable: a polygon needs at least three corners and an area, a circle a radius above zero, and coordinates must be longitude/latitude.".to_owned()
                }
            }
        }
    }
}

/// A step made on an out-of-date copy of the case: someone else changed it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleCase {
    pub case_id: i64,
    pub case_no: String,
    /// The revision the actor was looking at.
    pub expected_revision: u32,
    pub current_revision: u32,
    /// Display name of who made the last change, from the audit trail.
    pub changed_by: Option<String>,
    pub changed_at: Option<NaiveDateTime>,
    /// Keyword of the last step (`dispatch`, …).
    pub last_action: Option<String>,
}

/// Why a workflow step did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{}", .0.message(false))]
    Refused(Refusal),
    #[error("{}", stale_message(.0, false))]
    Stale(StaleCase),
    #[error("there is no case with id {case_id}")]
    NoSuchCase { case_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refusal> for WorkflowError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

fn stale_message(stale: &StaleCase, chinese: bool) -> String {
    let who = stale.changed_by.clone().unwrap_or_else(|| if chinese { "其他用户".to_owned() } else { "someone else".to_owned() });
    let when = stale.changed_at.map(|at| at.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
    let action = stale
        .last_action
        .as_deref()
        .and_then(|keyword| {
            <ActionKind as crate::model::Keyword>::from_keyword(keyword)
                .map(|action| action.label(chinese))
                .or_else(|| <DisputeStep as crate::model::Keyword>::from_keyword(keyword).map(|step| step.label(chinese)))
        })
        .map(str::to_owned)
        .or_else(|| stale.last_action.clone())
        .unwrap_or_default();
    if chinese {
        format!(
            "案卷 {} 已于 {when} 被{who}修改（{action}），您看到的是旧版本（版本 {}，当前版本 {}）。请刷新后重试。",
            stale.case_no, stale.expected_revision, stale.current_revision
        )
    } else {
        format!(
            "Case {} was changed by {who} at {when} ({action}) after you opened it (you had revision {}, it is now {}); reload it and try again.",
            stale.case_no, stale.expected_revision, stale.current_revision
        )
    }
}

impl WorkflowError {
    /// The message in Chinese (`true`) or English.
    #[must_use]
    pub fn message(&self, chinese: bool) -> String {
        match self {
            Self::Refused(refusal) => refusal.message(chinese),
            Self::Stale(stale) => stale_message(stale, chinese),
            Self::NoSuchCase { case_id } if chinese => format!("不存在编号为 {case_id} 的案卷。"),
            Self::Store(StoreError::Access(access)) => access.message(chinese),
            Self::Store(error) if chinese => format!("数据库错误：{error}"),
            other => other.to_string(),
        }
    }

    /// Another writer held the database past the busy timeout; nothing was written, and trying
    /// again will do.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Store(error) if error.is_busy())
    }

    /// The connection to the server was lost during the step (see
    /// [`StoreError::is_disconnected`]).
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Store(error) if error.is_disconnected())
    }

    /// The refusal, if the rules refused the step.
    #[must_use]
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::Refused(refusal) => Some(refusal),
            _ => None,
        }
    }
}
