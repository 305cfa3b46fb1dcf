//! Responsible units (责任单位, Art. 6–7): who handles cases.

use super::keyword_enum;

/// Database id of a responsible unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct UnitId(pub i64);

keyword_enum! {
    /// Management class of a unit (Art. 6): how heavy its city-management load is.
    pub enum UnitClass {
        /// 一类: heavy load, must run a terminal and check cases daily.
        First = ("1", "一类", "Class 1"),
        /// 二类: lighter load, a named leader and a fixed phone line.
        Second = ("2", "二类", "Class 2"),
        /// 三类: occasional problems, a contact person.
        Third = ("3", "三类", "Class 3"),
    }
}

/// A responsible unit; units may be nested (department → section → team).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    pub id: UnitId,
    /// Short stable code used by the command manual (`CGJ-LD`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub class: UnitClass,
    pub parent: Option<UnitId>,
    pub contact: String,
    pub phone: String,
    /// Holds administrative enforcement powers (执法权: the enforcement brigade, traffic police,
    /// market regulation). A case whose class the command manual gives to such a unit is not
    /// handed to a responsibility zone's holder that lacks them.
    #[serde(default)]
    pub enforcement: bool,
}

impl Unit {
    /// Whether cases are sent to this unit: not the centre (指挥中心, `ZX`), which dispatches,
    /// nor the city-management committee (`CGW`), which arbitrates (Art. 6, 19).
    #[must_use]
    pub fn takes_dispatches(&self) -> bool {
        !matches!(self.code.as_str(), "ZX" | "CGW")
    }

    /// The name in the requested language.
    #[must_use]
    pub fn name(&self, chinese: bool) -> &str {
        if chinese { &self.name_zh } else { &self.name_en }
    }
}
