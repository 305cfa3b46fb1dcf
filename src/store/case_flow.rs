//! Rows the case workflow reads and writes: the mutable part of a case, the audit trail with its
//! data, requests and their decisions, clock pauses, the backlog ledger (挂账), reporter feedback,
//! case numbers and the "open case of the same class nearby" look-up.
//!
//! These are plain reads and writes on a connection or an open transaction; which step is
//! allowed, and what it changes, is decided in `workflow`, never here.

use chrono::{NaiveDate, NaiveDateTime};
use geo::{Distance, Haversine, Point};
use rusqlite::params;
use rusqlite::types::Value as SqlValue;

use super::sql::{Db, OptionalExtension as _};

use super::queries::{Cells, keyword, local_from_utc_text, query_rows_with, utc_text_from_local};
use super::{SqlContext, Store, StoreError};
use crate::calendar::LimitUnit;
use crate::model::{
    BacklogEnd, BacklogEntry, Case, CaseEvent, CaseRequest, CaseState, CaseSubject, Keyword, ReporterFeedback, RequestDecision, RequestKind,
};

/// An audit-trail entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCaseEvent<'a> {
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub action: &'a str,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub data: &'a serde_json::Value,
}

/// An open case near a point (duplicate check).
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyCase {
    pub case: Case,
    /// Geodesic (haversine) distance from the point, metres.
    pub distance_m: f64,
}

fn time_cell(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<Option<NaiveDateTime>, StoreError> {
    let text: Option<String> = cells.get(index)?;
    text.map(|text| {
        local_from_utc_text(&text).ok_or_else(|| StoreError::BadRow { table: cells.table, row, problem: format!("bad time {text:?}") })
    })
    .transpose()
}

fn required_time(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<NaiveDateTime, StoreError> {
    time_cell(cells, index, row)?.ok_or_else(|| StoreError::BadRow {
        table: cells.table,
        row,
        problem: "a required time is missing".into(),
    })
}

fn optional_keyword<K: Keyword>(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<Option<K>, StoreError> {
    cells.get::<Option<String>>(index)?.map(|text| keyword(cells.table, row, &text)).transpose()
}

fn event_from_cells(cells: &Cells<'_, '_>) -> Result<CaseEvent, StoreError> {
    let id: i64 = cells.get(0)?;
    let data: String = cells.get(8)?;
    Ok(CaseEvent {
        id,
        case_id: cells.get(1)?,
        at: required_time(cells, 2, id)?,
        actor_user_id: cells.get(3)?,
        actor_name: cells.get(4)?,
        actor_role: optional_keyword(cells, 9, id)?,
        actor_unit: cells.get::<Option<i64>>(10)?.map(crate::model::UnitId),
        action: cells.get(5)?,
        from_state: optional_keyword(cells, 6, id)?,
        to_state: cells.keyword(7, id)?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}

const EVENT_SELECT: &str = "SELECT e.id, e.case_fid, e.at, e.actor_user_id, u.display_name, e.action, e.from_state, e.to_state, e.data,
     u.role, u.unit_id FROM case_events e LEFT JOIN users u ON u.id = e.actor_user_id";

fn request_from_cells(cells: &Cells<'_, '_>) -> Result<CaseRequest, StoreError> {
    let id: i64 = cells.get(0)?;
    let amount: Option<u32> = cells.get(6)?;
    let unit = cells.get::<Option<String>>(7)?.map(|_| cells.limit_unit(7, id)).transpose()?;
    Ok(CaseRequest {
        id,
        case_id: cells.get(1)?,
        kind: cells.keyword(2, id)?,
        requested_at: required_time(cells, 3, id)?,
        requested_by: cells.get(4)?,
        reason: cells.get(5)?,
        extension: amount.zip(unit),
        decision: optional_keyword(cells, 8, id)?,
        decided_at: time_cell(cells, 9, id)?,
        decided_by: cells.get(10)?,
        decision_note: cells.get(11)?,
    })
}

const REQUEST_SELECT: &str = "SELECT id, case_fid, kind, requested_at, requested_by, reason, extension_amount, extension_unit,
       decision, decided_at, decided_by, decision_note FROM case_requests";

/// The columns of a case that its steps change, in the order [`case_step_values`] binds them:
/// the one list both the insert of a new case and the update after a step write.
pub(super) const CASE_STEP_COLUMNS: [&str; 23] = [
    "class_code",
    "urgency",
    "state",
    "unit_id",
    "filed_at",
    "dispatched_at",
    "deadline_at",
    "closed_at",
    "close_type",
    "rework_count",
    "extended",
    "handled_at",
    "limit_unit",
    "paused_at",
    "paused_minutes",
    "pending_request",
    "address",
    "signed_at",
    "arrived_at",
    "state_since",
    "urge_count",
    "supervised_at",
    "assisting",
];

/// The values of [`CASE_STEP_COLUMNS`] for a case (times as the store's UTC text).
pub(super) fn case_step_values(case: &Case) -> [SqlValue; 23] {
    let time = |moment: Option<NaiveDateTime>| SqlValue::from(moment.map(utc_text_from_local));
    let keyword = |word: Option<&'static str>| SqlValue::from(word.map(str::to_owned));
    let address = case.address.trim();
    [
        SqlValue::Text(case.class_code.clone()),
        SqlValue::Text(case.urgency.keyword().to_owned()),
        SqlValue::Text(case.state.keyword().to_owned()),
        SqlValue::from(case.unit.map(|unit| unit.0)),
        time(case.filed_at),
        time(case.dispatched_at),
        time(case.deadline_at),
        time(case.closed_at),
        keyword(case.close_type.map(Keyword::keyword)),
        SqlValue::from(case.rework_count),
        SqlValue::from(case.extended),
        time(case.handled_at),
        keyword(case.limit_unit.map(LimitUnit::as_str)),
        time(case.paused_at),
        SqlValue::Integer(case.paused_minutes),
        keyword(case.pending_request.map(Keyword::keyword)),
        if address.is_empty() { SqlValue::Null } else { SqlValue::Text(address.to_owned()) },
        time(case.signed_at),
        time(case.arrived_at),
        time(case.state_since),
        SqlValue::from(case.urge_count),
        time(case.supervised_at),
        if case.assisting.is_empty() {
            SqlValue::Null
        } else {
            SqlValue::Text(serde_json::to_string(&case.assisting).unwrap_or_else(|_| "[]".to_owned()))
        },
    ]
}

impl Store {
    /// Writes the mutable part of a case (state, unit, times, deadline, counters, clock and
    /// request state) and sets its revision to `expected_revision + 1`, but only if the row
    /// still has `expected_revision`. Returns whether the row was updated.
    ///
    /// # Errors
    /// SQL errors.
    pub fn update_case(conn: &Db, case: &Case, expected_revision: u32) -> Result<bool, StoreError> {
        // Written once per process; every step then finds its prepared statement by this text.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let assignments: Vec<String> =
                CASE_STEP_COLUMNS.iter().enumerate().map(|(index, column)| format!("{column} = ?{}", index + 3)).collect();
            format!("UPDATE cases SET {}, revision = revision + 1 WHERE fid = ?1 AND revision = ?2", assignments.join(", "))
        });
        let keys = [SqlValue::Integer(case.id), SqlValue::from(expected_revision)];
        let values: Vec<SqlValue> = keys.into_iter().chain(case_step_values(case)).collect();
        let changed = conn.execute(&SQL, &super::sql::refs(&values)).context(format!("updating case {}", case.case_no))?;
        Ok(changed == 1)
    }

    /// Appends an audit-trail entry with its data, linked to the newest entry (see
    /// `store::chain`); returns its id. Call it after the case row is written: the entry
    /// carries the row's digest.
    ///
    /// # Errors
    /// SQL errors, e.g. an actor id that names no user.
    pub fn append_case_event(conn: &Db, event: &NewCaseEvent<'_>) -> Result<i64, StoreError> {
        super::chain::append_case_entry(conn, event)
    }

    /// The audit trail of a case, oldest first, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn case_events_in(conn: &Db, case_id: i64) -> Result<Vec<CaseEvent>, StoreError> {
        query_rows_with(
            conn,
            "case_events",
            &format!("{EVENT_SELECT} WHERE e.case_fid = ?1 ORDER BY e.id"),
            rusqlite::params![case_id],
            event_from_cells,
        )
    }

    /// One audit entry by its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn case_event_by_id(conn: &Db, event_id: i64) -> Result<Option<CaseEvent>, StoreError> {
        let sql = format!("{EVENT_SELECT} WHERE e.id = ?1");
        Ok(query_rows_with(conn, "case_events", &sql, rusqlite::params![event_id], event_from_cells)?.pop())
    }

    /// The audit trail of a case, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>, StoreError> {
        Self::case_events_in(self.conn(), case_id)
    }

    /// The newest audit entry of a case: who changed it last, and when.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn last_case_event(conn: &Db, case_id: i64) -> Result<Option<CaseEvent>, StoreError> {
        let sql = format!("{EVENT_SELECT} WHERE e.case_fid = ?1 ORDER BY e.id DESC LIMIT 1");
        Ok(query_rows_with(conn, "case_events", &sql, rusqlite::params![case_id], event_from_cells)?.pop())
    }

    /// Records a new request (undecided).
    ///
    /// # Errors
    /// SQL errors, e.g. a second undecided request on the same case.
    pub fn insert_case_request(conn: &Db, request: &CaseRequest) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO case_requests (case_fid, kind, requested_at, requested_by, reason, extension_amount, extension_unit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .context("preparing request insert")?
        .query_row(
            params![
                request.case_id,
                request.kind.keyword(),
                utc_text_from_local(request.requested_at),
                request.requested_by,
                request.reason,
                request.extension.map(|(amount, _)| amount),
                request.extension.map(|(_, unit)| unit.as_str()),
            ],
            |row| row.get(0),
        )
        .context("inserting a request")
    }

    /// The undecided request of a case, if any.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn pending_case_request(conn: &Db, case_id: i64) -> Result<Option<CaseRequest>, StoreError> {
        let sql = format!("{REQUEST_SELECT} WHERE case_fid = ?1 AND decision IS NULL ORDER BY id DESC LIMIT 1");
        Ok(query_rows_with(conn, "case_requests", &sql, rusqlite::params![case_id], request_from_cells)?.pop())
    }

    /// Records the decision on a request.
    ///
    /// # Errors
    /// SQL errors.
    pub fn decide_case_request(
        conn: &Db,
        request_id: i64,
        decision: RequestDecision,
        at: NaiveDateTime,
        by: Option<i64>,
        note: &str,
    ) -> Result<(), StoreError> {
        conn.prepare_cached("UPDATE case_requests SET decision = ?2, decided_at = ?3, decided_by = ?4, decision_note = ?5 WHERE id = ?1")
            .context("preparing request decision")?
            .execute(params![request_id, decision.keyword(), utc_text_from_local(at), by, note])
            .context("recording a decision")?;
        Ok(())
    }

    /// Every request of a case, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn case_requests(&self, case_id: i64) -> Result<Vec<CaseRequest>, StoreError> {
        query_rows_with(
            self.conn(),
            "case_requests",
            &format!("{REQUEST_SELECT} WHERE case_fid = ?1 ORDER BY id"),
            rusqlite::params![case_id],
            request_from_cells,
        )
    }

    /// Starts a clock pause (deferral or backlog).
    ///
    /// # Errors
    /// SQL errors.
    pub fn open_case_pause(
        conn: &Db,
        case_id: i64,
        kind: RequestKind,
        at: NaiveDateTime,
        limit_unit: Option<LimitUnit>,
    ) -> Result<(), StoreError> {
        conn.prepare_cached("INSERT INTO case_pauses (case_fid, kind, paused_at, limit_unit) VALUES (?1, ?2, ?3, ?4)")
            .context("preparing pause insert")?
            .execute(params![case_id, kind.keyword(), utc_text_from_local(at), limit_unit.map(LimitUnit::as_str)])
            .context("recording a pause")?;
        Ok(())
    }

    /// Ends the open clock pause of a case, recording how long it lasted in the limit's measure.
    ///
    /// # Errors
    /// SQL errors.
    pub fn close_case_pause(conn: &Db, case_id: i64, at: NaiveDateTime, paused_minutes: i64) -> Result<(), StoreError> {
        conn.prepare_cached("UPDATE case_pauses SET resumed_at = ?2, paused_minutes = ?3 WHERE case_fid = ?1 AND resumed_at IS NULL")
            .context("preparing pause end")?
            .execute(params![case_id, utc_text_from_local(at), paused_minutes])
            .context("ending a pause")?;
        Ok(())
    }

    /// Puts a case into the backlog ledger.
    ///
    /// # Errors
    /// SQL errors.
    pub fn open_backlog_entry(conn: &Db, case: &Case, reason: &str, at: NaiveDateTime, by: Option<i64>) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO backlog_ledger (case_fid, case_no, class_code, unit_id, reason, entered_at, entered_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .context("preparing ledger insert")?
        .query_row(
            params![case.id, case.case_no, case.class_code, case.unit.map(|unit| unit.0), reason, utc_text_from_local(at), by],
            |row| row.get(0),
        )
        .context("entering the backlog ledger")
    }

    /// Takes a case out of the backlog ledger.
    ///
    /// # Errors
    /// SQL errors.
    pub fn end_backlog_entry(
        conn: &Db,
        case_id: i64,
        at: NaiveDateTime,
        by: Option<i64>,
        how: BacklogEnd,
        note: &str,
    ) -> Result<(), StoreError> {
        conn.prepare_cached(
            "UPDATE backlog_ledger SET ended_at = ?2, ended_by = ?3, ended_how = ?4, end_note = ?5 WHERE case_fid = ?1 AND ended_at IS NULL",
        )
        .context("preparing ledger update")?
        .execute(params![case_id, utc_text_from_local(at), by, how.keyword(), note])
        .context("leaving the backlog ledger")?;
        Ok(())
    }

    /// The backlog ledger, oldest entry first; `open_only` leaves out cases already restored or closed.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn backlog_ledger(&self, open_only: bool) -> Result<Vec<BacklogEntry>, StoreError> {
        let filter = if open_only { "WHERE ended_at IS NULL" } else { "" };
        let sql = format!(
            "SELECT id, case_fid, case_no, class_code, unit_id, reason, entered_at, entered_by, ended_at, ended_by, ended_how, end_note
             FROM backlog_ledger {filter} ORDER BY id"
        );
        query_rows_with(self.conn(), "backlog_ledger", &sql, &[], |cells| {
            let id: i64 = cells.get(0)?;
            Ok(BacklogEntry {
                id,
                case_id: cells.get(1)?,
                case_no: cells.get(2)?,
                class_code: cells.get(3)?,
                unit: cells.get::<Option<i64>>(4)?.map(crate::model::UnitId),
                reason: cells.get(5)?,
                entered_at: required_time(cells, 6, id)?,
                entered_by: cells.get(7)?,
                ended_at: time_cell(cells, 8, id)?,
                ended_by: cells.get(9)?,
                ended_how: optional_keyword(cells, 10, id)?,
                end_note: cells.get(11)?,
            })
        })
    }

    /// Records that the reporter was told (Art. 21); `feedback.id` is ignored.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_reporter_feedback(conn: &Db, feedback: &ReporterFeedback) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO reporter_feedback (case_fid, told_at, channel, satisfaction, note, recorded_at, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .context("preparing feedback insert")?
        .query_row(
            params![
                feedback.case_id,
                utc_text_from_local(feedback.told_at),
                feedback.channel.keyword(),
                feedback.satisfaction.map(Keyword::keyword),
                feedback.note,
                utc_text_from_local(feedback.recorded_at),
                feedback.recorded_by
            ],
            |row| row.get(0),
        )
        .context("recording reporter feedback")
    }

    /// Reporter feedback of a case, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn reporter_feedback(&self, case_id: i64) -> Result<Vec<ReporterFeedback>, StoreError> {
        let sql = "SELECT id, case_fid, told_at, channel, note, recorded_at, recorded_by, satisfaction FROM reporter_feedback WHERE case_fid = ?1 ORDER BY id";
        query_rows_with(self.conn(), "reporter_feedback", sql, rusqlite::params![case_id], |cells| {
            let id: i64 = cells.get(0)?;
            Ok(ReporterFeedback {
                id,
                case_id: cells.get(1)?,
                told_at: required_time(cells, 2, id)?,
                channel: cells.keyword(3, id)?,
                note: cells.get(4)?,
                recorded_at: required_time(cells, 5, id)?,
                recorded_by: cells.get(6)?,
                satisfaction: optional_keyword(cells, 7, id)?,
            })
        })
    }

    /// The next free case number of a day: `YYYYMMDD` followed by a serial of at least four
    /// digits (`202611250001`).
    ///
    /// # Errors
    /// SQL errors.
    pub fn next_case_no(conn: &Db, day: NaiveDate) -> Result<String, StoreError> {
        let prefix = day.format("%Y%m%d").to_string();
        // Only all-digit serials count on a server, whose cast refuses anything else.
        let sql = if conn.is_server() {
            "SELECT max(CAST(substr(case_no, 9) AS bigint)) FROM cases WHERE case_no LIKE ?1 || '%' AND length(case_no) > 8
               AND substr(case_no, 9) ~ '^[0-9]{1,18}$'"
        } else {
            "SELECT max(CAST(substr(case_no, 9) AS INTEGER)) FROM cases WHERE case_no LIKE ?1 || '%' AND length(case_no) > 8"
        };
        let highest: Option<i64> =
            conn.query_row(sql, params![prefix], |row| row.get(0)).optional().context("finding the next case number")?.flatten();
        // An imported or hand-edited number can carry a serial SQLite reads as the largest
        // integer; the day's numbers are then used up rather than wrapping round.
        let next = highest.unwrap_or(0).checked_add(1).ok_or_else(|| StoreError::BadRow {
            table: "cases",
            row: 0,
            problem: format!("the case numbers of {prefix} are used up (a serial of {} digits is in the file)", i64::MAX.to_string().len()),
        })?;
        Ok(format!("{prefix}{next:04}"))
    }

    /// Open cases of one class within `radius_m` metres of `point`, nearest first (through the
    /// GeoPackage R-tree of `cases`, or the GiST index on a server).
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn open_cases_near(
        conn: &Db,
        subject: CaseSubject,
        class_code: &str,
        point: Point<f64>,
        radius_m: f64,
    ) -> Result<Vec<NearbyCase>, StoreError> {
        let [reach_lon, reach_lat] = crate::spatial::LocalFrame::at(point).degrees(radius_m);
        // The same box search through the file's R-tree or the server's GiST index.
        let sql = if conn.is_server() {
            "SELECT c.fid FROM cases c WHERE c.geom && ST_MakeEnvelope(?1, ?3, ?2, ?4, 4326)
               AND c.class_code = ?5 AND c.subject = ?6 AND c.state NOT IN ('closed', 'rejected', 'cancelled')
             ORDER BY c.fid"
        } else {
            "SELECT c.fid FROM rtree_cases_geom r JOIN cases c ON c.fid = r.id
             WHERE r.maxx >= ?1 AND r.minx <= ?2 AND r.maxy >= ?3 AND r.miny <= ?4
               AND c.class_code = ?5 AND c.subject = ?6 AND c.state NOT IN ('closed', 'rejected', 'cancelled')
             ORDER BY c.fid"
        };
        let ids: Vec<i64> = query_rows_with(
            conn,
            "cases",
            sql,
            params![
                point.x() - reach_lon,
                point.x() + reach_lon,
                point.y() - reach_lat,
                point.y() + reach_lat,
                class_code,
                subject.keyword()
            ],
            |cells| cells.get(0),
        )?;
        let mut near = Vec::new();
        for id in ids {
            if let Some(case) = Self::case_by_id(conn, id)? {
                let distance_m = Haversine.distance(point, case.location);
                if distance_m <= radius_m {
                    near.push(NearbyCase { case, distance_m });
                }
            }
        }
        near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.case.id.cmp(&b.case.id)));
        Ok(near)
    }
}
