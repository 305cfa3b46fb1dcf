//! Users and their roles in the command centre.

use super::{UnitId, keyword_enum};

keyword_enum! {
    /// What a signed-in person may do.
    pub enum Role {
        /// 受理员: receives reports from hotlines and citizens.
        IntakeOperator = ("intake", "受理员", "Intake operator"),
        /// 派遣员: sends filed cases to responsible units.
        Dispatcher = ("dispatcher", "派遣员", "Dispatcher"),
        /// 值班长: files, approves and closes cases.
        ShiftLeader = ("shift_leader", "值班长", "Shift leader"),
        /// 采集员: reports and verifies on site.
        FieldCollector = ("collector", "采集员", "Field collector"),
        /// 责任单位操作员: acts only on its own unit's cases.
        UnitOperator = ("unit_operator", "责任单位操作员", "Unit operator"),
        /// 城管委成员: decides responsibility disputes.
        CommitteeMember = ("committee", "城管委成员", "Committee member"),
        /// 系统管理员.
        Administrator = ("admin", "系统管理员", "Administrator"),
    }
}

/// A local user account (passwords live in the store, never here).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The unit a unit operator is bound to.
    pub unit: Option<UnitId>,
}
