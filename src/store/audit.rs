//! The audit trail read whole, by case: what the assessment derives its facts from.

use std::collections::HashMap;

use crate::calendar::local_from_utc_text;
use crate::model::{CaseEvent, CaseState, Keyword as _};

use super::{Store, StoreError};

impl Store {
    /// Every audit entry, by case, oldest first. `wants_data` says for an action whether its
    /// data (JSON) is parsed; the others carry `Null`.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be decoded.
    pub fn audit_trail_by_case(&self, wants_data: &dyn Fn(&str) -> bool) -> Result<HashMap<i64, Vec<CaseEvent>>, StoreError> {
        events_where(self, "", &[], wants_data)
    }

    /// The whole trail, up to entry `up_to`, of every case with an entry in `(after, up_to]`.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be decoded.
    pub fn audit_trail_of_cases_changed(
        &self,
        after: i64,
        up_to: i64,
        wants_data: &dyn Fn(&str) -> bool,
    ) -> Result<HashMap<i64, Vec<CaseEvent>>, StoreError> {
        events_where(
            self,
            "WHERE case_fid IN (SELECT DISTINCT case_fid FROM case_events WHERE id > ?1 AND id <= ?2) AND id <= ?2",
            rusqlite::params![after, up_to],
            wants_data,
        )
    }
}

/// The audit entries `filter` (a `WHERE` clause, or empty for all) picks, by case, in order.
fn events_where(
    store: &Store,
    filter: &str,
    params: &[&dyn rusqlite::ToSql],
    wants_data: &dyn Fn(&str) -> bool,
) -> Result<HashMap<i64, Vec<CaseEvent>>, StoreError> {
    let sql_error = |source: rusqlite::Error| StoreError::Sql { context: "reading the audit trail".into(), source: source.into() };
    let sql = format!(
        "SELECT id, case_fid, at, actor_user_id, action, from_state, to_state, data FROM case_events {filter} ORDER BY case_fid, id"
    );
    let mut events: HashMap<i64, Vec<CaseEvent>> = HashMap::new();
    store.conn().each_row(&sql, params, |row| {
        let id: i64 = row.get(0).map_err(sql_error)?;
        let bad = |problem: String| StoreError::BadRow { table: "case_events", row: id, problem };
        let at: String = row.get(2).map_err(sql_error)?;
        let from_state: Option<String> = row.get(5).map_err(sql_error)?;
        let to_state: String = row.get(6).map_err(sql_error)?;
        let action: String = row.get(4).map_err(sql_error)?;
        // Only the steps whose data the caller reads are parsed (a third of the trail for the facts).
        let data = if wants_data(&action) {
            let text = row.get_ref(7).map_err(sql_error)?.as_str().map_err(|error| bad(error.to_string()))?;
            serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Null
        };
        let event = CaseEvent {
            id,
            case_id: row.get(1).map_err(sql_error)?,
            at: local_from_utc_text(&at).ok_or_else(|| bad(format!("bad time {at:?}")))?,
            actor_user_id: row.get(3).map_err(sql_error)?,
            actor_name: None,
            actor_role: None,
            actor_unit: None,
            action,
            from_state: from_state.as_deref().and_then(CaseState::from_keyword),
            to_state: CaseState::from_keyword(&to_state).ok_or_else(|| bad(format!("unknown state {to_state:?}")))?,
            data,
        };
        events.entry(event.case_id).or_default().push(event);
        Ok::<_, StoreError>(())
    })?;
    Ok(events)
}
