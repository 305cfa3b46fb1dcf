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
        /// 只读（大屏）: sees every case and takes no step: the video wall's account, or an
        /// observer's. On a server it is the least a wall machine standing in a room may hold.
        Viewer = ("viewer", "只读（大屏）", "Viewer (wall)"),
        /// 系统接口: the account another system writes as (an Open311 client, the city
        /// platform, the 12345 hotline). It has no password and signs in nowhere; the service
        /// acts as it for the client's API key, and it may only report.
        Interface = ("interface", "系统接口", "System interface"),
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
    /// The account's epoch when it was read: every change of role, unit, password or state
    /// raises it, and a write made with an older epoch is refused (sign in again).
    #[serde(default)]
    pub epoch: i64,
    /// The password was set by an administrator (or is the demo's): it must be changed before
    /// anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

impl User {
    /// An account as first written: epoch 0, no password change pending.
    #[must_use]
    pub fn new(id: i64, login: impl Into<String>, display_name: impl Into<String>, role: Role, unit: Option<UnitId>) -> Self {
        Self { id, login: login.into(), display_name: display_name.into(), role, unit, epoch: 0, must_change_password: false }
    }
}
