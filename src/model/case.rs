//! Cases (案卷): a reported problem from collection to close.

use chrono::NaiveDateTime;
use geo::Point;

use super::{PartCode, UnitId, Urgency, keyword_enum};

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
}
