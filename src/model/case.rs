//! Cases (案卷): a reported problem from collection to close.

use chrono::NaiveDateTime;
use geo::Point;

use super::{ItemKind, PartCode, UnitId, Urgency, keyword_enum};
use crate::calendar::LimitUnit;

keyword_enum! {
    /// Where a report came from.
    pub enum SourceChannel {
        Collector = ("collector", "信息采集员", "Field collector"),
        Hotline12319 = ("12319", "12319热线", "12319 hotline"),
        Hotline12345 = ("12345", "12345热线", "12345 hotline"),
        Citizen = ("citizen", "市民举报", "Citizen report"),
        CityPlatform = ("city_platform", "市级平台转办", "City platform"),
        Video = ("video", "视频巡查", "Video patrol"),
    }
}

keyword_enum! {
    /// Whether the case is about a part or an event.
    pub enum CaseSubject {
        Part = ("part", "部件", "Part"),
        Event = ("event", "事件", "Event"),
    }
}

impl CaseSubject {
    /// The command-manual kind of the case's class.
    #[must_use]
    pub fn item_kind(self) -> ItemKind {
        match self {
            Self::Part => ItemKind::Part,
            Self::Event => ItemKind::Event,
        }
    }
}

keyword_enum! {
    /// Life-cycle state of a case (DOMAIN.md §2).
    pub enum CaseState {
        Reported = ("reported", "待受理", "Reported"),
        Filed = ("filed", "已立案", "Filed"),
        Rejected = ("rejected", "不予立案", "Rejected"),
        Cancelled = ("cancelled", "已作废", "Cancelled"),
        Dispatched = ("dispatched", "处置中", "Dispatched"),
        Returned = ("returned", "已回退", "Returned"),
        Handled = ("handled", "待核查", "Handled"),
        Verified = ("verified", "待结案", "Verified"),
        Closed = ("closed", "已结案", "Closed"),
        Deferred = ("deferred", "缓办", "Deferred"),
        Backlog = ("backlog", "挂账", "Backlog"),
    }
}

impl CaseState {
    /// Whether the case still needs work (its deadline matters).
    #[must_use]
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Rejected | Self::Cancelled)
    }

    /// Whether the handling clock is stopped because the case is deferred (缓办) or in the
    /// backlog ledger (挂账).
    #[must_use]
    pub fn is_paused(self) -> bool {
        matches!(self, Self::Deferred | Self::Backlog)
    }
}

keyword_enum! {
    /// A request that waits for the centre's decision (one at a time per case).
    pub enum RequestKind {
        /// 作废申请: cancel a report that should never have been filed.
        Cancel = ("cancel", "作废申请", "Cancellation request"),
        /// 延期申请 (Art. 26): more time to finish.
        Extension = ("extension", "延期申请", "Extension request"),
        /// 缓办申请 (Art. 26): cannot be done for now for objective reasons; leaves the assessment.
        Deferral = ("deferral", "缓办申请", "Deferral request"),
        /// 挂账申请 (Art. 18): cannot be solved within the limits even after extension.
        Backlog = ("backlog", "挂账申请", "Backlog request"),
    }
}

keyword_enum! {
    /// How the reporter was told the result (Art. 21).
    pub enum FeedbackChannel {
        Phone = ("phone", "电话回访", "Phone call"),
        Sms = ("sms", "短信", "Text message"),
        App = ("app", "应用内消息", "In-app message"),
        InPerson = ("in_person", "当面告知", "In person"),
        Letter = ("letter", "书面答复", "Letter"),
    }
}

keyword_enum! {
    /// What the reporter said of the result when told (Art. 21 回访满意度).
    pub enum Satisfaction {
        Satisfied = ("satisfied", "满意", "Satisfied"),
        Fair = ("fair", "基本满意", "Fairly satisfied"),
        Dissatisfied = ("dissatisfied", "不满意", "Dissatisfied"),
    }
}

keyword_enum! {
    /// How a case was closed.
    pub enum CloseType {
        Normal = ("normal", "正常结案", "Normal"),
        Overdue = ("overdue", "超期结案", "Overdue"),
        Erroneous = ("erroneous", "误报结案", "Erroneous"),
        Special = ("special", "特殊结案", "Special"),
    }
}

/// One case with its current state; its history lives in the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    /// Human case number (`2026112500012`).
    pub case_no: String,
    pub source: SourceChannel,
    pub subject: CaseSubject,
    /// Four-digit command-manual class code.
    pub class_code: String,
    pub urgency: Urgency,
    /// WGS84 location.
    pub location: Point<f64>,
    pub part_code: Option<PartCode>,
    pub grid_code: Option<u64>,
    pub description: String,
    /// Photo file names or paths.
    pub photos: Vec<String>,
    pub reporter_contact: Option<String>,
    pub state: CaseState,
    pub unit: Option<UnitId>,
    pub reported_at: NaiveDateTime,
    pub filed_at: Option<NaiveDateTime>,
    pub dispatched_at: Option<NaiveDateTime>,
    /// Handling deadline (absolute, China local time).
    pub deadline_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub close_type: Option<CloseType>,
    pub rework_count: u32,
    /// Set while an approved extension applies.
    pub extended: bool,
    /// Optimistic-locking counter: every workflow step adds one, and a step made on an older
    /// copy is refused.
    pub revision: u32,
    /// When the unit last reported the case handled (处置反馈); judges overdue closes.
    pub handled_at: Option<NaiveDateTime>,
    /// How the handling limit set at dispatch is counted; paused time is measured the same way.
    pub limit_unit: Option<LimitUnit>,
    /// Since when the clock is paused (deferred 缓办 or backlog 挂账); `None` while it runs.
    pub paused_at: Option<NaiveDateTime>,
    /// Paused time already added to the deadline, in the measure of `limit_unit` (working
    /// minutes for working-time limits, wall-clock minutes otherwise).
    pub paused_minutes: i64,
    /// The request waiting for the centre's decision, if any.
    pub pending_request: Option<RequestKind>,
    /// Street address or place description as reported (empty when none was given).
    pub address: String,
    /// 签收: when the unit acknowledged the current dispatch (cleared by a new dispatch).
    pub signed_at: Option<NaiveDateTime>,
    /// 到场 (Art. 25): when the unit first reported being on site for the current dispatch.
    pub arrived_at: Option<NaiveDateTime>,
    /// When the case entered its current state; `None` for rows written before schema 5.
    pub state_since: Option<NaiveDateTime>,
    /// 催办: how often the centre urged the unit on the current dispatch.
    pub urge_count: u32,
    /// 督办: since when the case is under the centre leadership's supervision (current dispatch).
    pub supervised_at: Option<NaiveDateTime>,
    /// 协办 (Art. 18): the units assisting the lead unit (主办, [`Self::unit`]) on the current
    /// dispatch, each with the time it reported its part done.
    pub assisting: Vec<Assist>,
    /// When the reporter was last told the result (回访, Art. 21); read from
    /// `reporter_feedback`, never written with the case row.
    pub replied_at: Option<NaiveDateTime>,
    /// The case's number in the system it came from (the city platform, the 12345 hotline),
    /// with that system's deadline; read from `case_links`, never written with the case row.
    pub external: Option<super::exchange::ExternalRef>,
}

/// An assisting unit (协办单位) of a case and when it reported its part done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Assist {
    pub unit: UnitId,
    /// 协办反馈: when the unit reported its part done; `None` while it has not.
    #[serde(default, with = "crate::model::case::utc_option")]
    pub reported_at: Option<NaiveDateTime>,
}

/// Times inside JSON columns as the store's UTC text.
pub(crate) mod utc_option {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(at: &Option<NaiveDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&crate::calendar::utc_text_from_local(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDateTime>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(|text| crate::calendar::local_from_utc_text(&text).ok_or_else(|| serde::de::Error::custom(format!("bad time {text:?}"))))
            .transpose()
    }
}

impl Case {
    /// Whether `unit` assists on this case (协办).
    #[must_use]
    pub fn assisted_by(&self, unit: UnitId) -> bool {
        self.assisting.iter().any(|assist| assist.unit == unit)
    }

    /// Whether `unit` leads or assists on this case: what its operators see.
    #[must_use]
    pub fn involves(&self, unit: UnitId) -> bool {
        self.unit == Some(unit) || self.assisted_by(unit)
    }

    /// The assisting units that have not reported their part done yet.
    pub fn assists_outstanding(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.assisting.iter().filter(|assist| assist.reported_at.is_none()).map(|assist| assist.unit)
    }

    /// Whether the reporter is owed the result (回访, Art. 21): the case is finished (closed or
    /// not filed), the reporter left a contact, and nobody has told them yet.
    #[must_use]
    pub fn owes_reply(&self) -> bool {
        matches!(self.state, CaseState::Closed | CaseState::Rejected)
            && self.replied_at.is_none()
            && self.reporter_contact.as_deref().is_some_and(|contact| !contact.trim().is_empty())
    }
}

impl Case {
    /// A case as it is first reported: state Reported, not yet written (`id` 0), revision 1,
    /// no unit, part, grid cell, description, photos or reporter contact, no deadlines, clock
    /// running, nothing requested. Set the rest with struct update syntax
    /// (`Case { description, ..Case::reported(…) }`).
    #[must_use]
    pub fn reported(
        case_no: String,
        source: SourceChannel,
        subject: CaseSubject,
        class_code: String,
        urgency: Urgency,
        location: Point<f64>,
        reported_at: NaiveDateTime,
    ) -> Self {
        Self {
            id: 0,
            case_no,
            source,
            subject,
            class_code,
            urgency,
            location,
            part_code: None,
            grid_code: None,
            description: String::new(),
            photos: Vec::new(),
            reporter_contact: None,
            state: CaseState::Reported,
            unit: None,
            reported_at,
            filed_at: None,
            dispatched_at: None,
            deadline_at: None,
            closed_at: None,
            close_type: None,
            rework_count: 0,
            extended: false,
            revision: 1,
            handled_at: None,
            limit_unit: None,
            paused_at: None,
            paused_minutes: 0,
            pending_request: None,
            address: String::new(),
            signed_at: None,
            arrived_at: None,
            state_since: Some(reported_at),
            urge_count: 0,
            supervised_at: None,
            assisting: Vec::new(),
            replied_at: None,
            external: None,
        }
    }
}

/// One entry of a case's audit trail (`case_events`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    /// Display name of the actor, when the account still exists.
    pub actor_name: Option<String>,
    /// The actor's role, when the account still exists: the timeline says what the person was.
    pub actor_role: Option<crate::model::Role>,
    /// The actor's unit (unit operators, committee members), when the account still exists.
    pub actor_unit: Option<UnitId>,
    /// Action keyword (`dispatch`, `return`, …; see `workflow::ActionKind`).
    pub action: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    /// What the step carried: reason, unit, deadlines, photos…
    pub data: serde_json::Value,
}

keyword_enum! {
    /// What became of a request.
    pub enum RequestDecision {
        Approved = ("approved", "已批准", "Approved"),
        Denied = ("denied", "已驳回", "Denied"),
        /// The case moved on (handled or returned) before anyone decided.
        Lapsed = ("lapsed", "已失效", "Lapsed"),
    }
}

/// A request on a case and, once made, the decision on it (`case_requests`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRequest {
    pub id: i64,
    pub case_id: i64,
    pub kind: RequestKind,
    pub requested_at: NaiveDateTime,
    pub requested_by: Option<i64>,
    pub reason: String,
    /// The extra time asked for (extension requests only).
    pub extension: Option<(u32, LimitUnit)>,
    pub decision: Option<RequestDecision>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub decision_note: String,
}

keyword_enum! {
    /// How a case left the backlog ledger.
    pub enum BacklogEnd {
        Restored = ("restored", "恢复办理", "Restored"),
        Closed = ("closed", "结案", "Closed"),
    }
}

/// An entry of the backlog ledger (挂账问题库, Art. 18).
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogEntry {
    pub id: i64,
    pub case_id: i64,
    pub case_no: String,
    pub class_code: String,
    pub unit: Option<UnitId>,
    pub reason: String,
    pub entered_at: NaiveDateTime,
    pub entered_by: Option<i64>,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<i64>,
    pub ended_how: Option<BacklogEnd>,
    pub end_note: String,
}

/// A record that the reporter was told the result (Art. 21).
#[derive(Debug, Clone, PartialEq)]
pub struct ReporterFeedback {
    pub id: i64,
    pub case_id: i64,
    pub told_at: NaiveDateTime,
    pub channel: FeedbackChannel,
    /// What the reporter said of the result, when asked.
    pub satisfaction: Option<Satisfaction>,
    pub note: String,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: Option<i64>,
}
