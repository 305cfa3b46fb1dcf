//! The command manual (指挥手册, Art. 12): one row per part or event class with its responsible
//! unit rule and time limits. It is data (`assets/command_manual.json`), loaded into the database
//! when the database is created and editable there afterwards.

use super::keyword_enum;
use crate::calendar::LimitUnit;

keyword_enum! {
    /// Whether a class describes a city part (部件) or an event (事件).
    pub enum ItemKind {
        Part = ("part", "部件", "Part"),
        Event = ("event", "事件", "Event"),
    }
}

keyword_enum! {
    /// Geometry type of the parts of one class.
    pub enum GeometryKind {
        Point = ("point", "点", "Point"),
        Line = ("line", "线", "Line"),
        Polygon = ("polygon", "面", "Polygon"),
    }
}

keyword_enum! {
    /// Routing rule used to pick the responsible unit.
    pub enum Routing {
        /// 先属主、后属地: the owner of the part first, then the territory.
        OwnerFirst = ("owner_first", "先属主后属地", "Owner first, then territory"),
        /// 先属地、后属主: the territory first, then the owner.
        TerritoryFirst = ("territory_first", "先属地后属主", "Territory first, then owner"),
    }
}

keyword_enum! {
    /// How urgent a case is; picks the time limit.
    pub enum Urgency {
        Normal = ("normal", "一般", "Normal"),
        Urgent = ("urgent", "紧急", "Urgent"),
        Emergency = ("emergency", "特急", "Emergency"),
    }
}

keyword_enum! {
    /// Stages with a time limit of their own.
    pub enum Stage {
        File = ("file", "立案", "File"),
        Dispatch = ("dispatch", "派遣", "Dispatch"),
        /// 签收: the unit acknowledges a dispatched case (from dispatch).
        Sign = ("sign", "签收", "Sign for"),
        /// 到场 (Art. 25, 第一时间到场): the unit on site (from dispatch).
        Arrive = ("arrive", "到场", "Arrive on site"),
        /// 回退时限: a unit that is not responsible says so within this time (from dispatch).
        Return = ("return", "回退", "Return"),
        Handle = ("handle", "处置", "Handle"),
        Verify = ("verify", "核查", "Verify"),
        Close = ("close", "结案", "Close"),
        /// 回访 (Art. 21): the reporter told the result (from the close).
        Reply = ("reply", "回访", "Reply to reporter"),
    }
}

/// One time limit: `amount` of `unit` for cases of `urgency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    pub urgency: Urgency,
    pub amount: u32,
    pub unit: LimitUnit,
}

/// A time limit that applies to one stage of every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageLimit {
    pub stage: Stage,
    pub urgency: Urgency,
    pub amount: u32,
    pub unit: LimitUnit,
}

/// A major class (大类) of parts or events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MajorClass {
    pub kind: ItemKind,
    /// Two digits.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// One row of the command manual: a minor class (小类).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualEntry {
    pub kind: ItemKind,
    /// Four digits: major class + minor class (`0118` street lamp).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Geometry of the parts of this class; `None` for events.
    pub geometry: Option<GeometryKind>,
    /// Code of the unit that handles this class by default.
    pub default_unit: String,
    pub routing: Routing,
    /// 立案条件.
    pub filing_condition_zh: String,
    /// 结案条件.
    pub closing_condition_zh: String,
    /// Handling limit (处置时限) per urgency.
    pub limits: Vec<TimeLimit>,
}

impl ManualEntry {
    /// The handling limit for an urgency, if the manual sets one.
    #[must_use]
    pub fn limit_for(&self, urgency: Urgency) -> Option<TimeLimit> {
        self.limits.iter().copied().find(|limit| limit.urgency == urgency)
    }

    /// The name in the requested language.
    #[must_use]
    pub fn name(&self, chinese: bool) -> &str {
        if chinese { &self.name_zh } else { &self.name_en }
    }
}

/// The whole command manual.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandManual {
    pub version: u32,
    pub note: String,
    pub major_classes: Vec<MajorClass>,
    pub stage_limits: Vec<StageLimit>,
    pub entries: Vec<ManualEntry>,
}

/// A command manual that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    #[error("command manual is not valid JSON at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("command manual entry {code}: {problem}")]
    Entry { code: String, problem: String },
}

impl CommandManual {
    /// The manual shipped in `assets/command_manual.json`.
    ///
    /// # Errors
    /// Only if the shipped asset is broken, which the test suite rules out.
    pub fn embedded() -> Result<Self, ManualError> {
        Self::from_json(include_str!("../../assets/command_manual.json"))
    }

    /// Parses and checks a manual.
    ///
    /// # Errors
    /// Malformed JSON, or an entry with a bad code, a missing geometry or duplicate code.
    pub fn from_json(text: &str) -> Result<Self, ManualError> {
        let manual: Self = serde_json::from_str(text).map_err(|error| ManualError::Syntax {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?;
        manual.check()?;
        Ok(manual)
    }

    fn check(&self) -> Result<(), ManualError> {
        let mut seen = std::collections::BTreeSet::new();
        for entry in &self.entries {
            let problem = |problem: &str| ManualError::Entry { code: entry.code.clone(), problem: problem.to_owned() };
            if entry.code.len() != 4 || !entry.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(problem("the code must be four digits"));
            }
            if !seen.insert((entry.kind, entry.code.as_str())) {
                return Err(problem("the code appears twice"));
            }
            match (entry.kind, entry.geometry) {
                (ItemKind::Part, None) => return Err(problem("a part class needs a geometry")),
                (ItemKind::Event, Some(_)) => return Err(problem("an event class has no geometry")),
                _ => {}
            }
        }
        Ok(())
    }

    /// Looks up a class by kind and four-digit code.
    #[must_use]
    pub fn entry(&self, kind: ItemKind, code: &str) -> Option<&ManualEntry> {
        self.entries.iter().find(|entry| entry.kind == kind && entry.code == code)
    }

    /// The limit of a stage other than handling.
    #[must_use]
    pub fn stage_limit(&self, stage: Stage, urgency: Urgency) -> Option<StageLimit> {
        self.stage_limits.iter().copied().find(|limit| limit.stage == stage && limit.urgency == urgency)
    }

    /// Whether a step at `to` came within the stage's limit counted from `from` (time used no
    /// more than time allowed, both in the limit's measure); `None` when the stage has no limit
    /// for the urgency. The engine (`within_limit` of a step) and the assessment share it.
    #[must_use]
    pub fn stage_on_time(
        &self,
        stage: Stage,
        urgency: Urgency,
        calendar: &crate::calendar::WorkCalendar,
        from: chrono::NaiveDateTime,
        to: chrono::NaiveDateTime,
    ) -> Option<bool> {
        let limit = self.stage_limit(stage, urgency)?;
        Some(
            crate::calendar::elapsed_minutes(calendar, limit.unit, from, to)
                <= crate::calendar::allowed_minutes(calendar, limit.amount, limit.unit),
        )
    }
}
