//! Rows of responsibility disputes (责任争议): the dispute and its decision, the units'
//! statements, the on-site confirmations, and the routing precedents (a GeoPackage feature
//! layer, so the GIS staff see past decisions on their map).
//!
//! Plain reads and writes on a connection or an open transaction; who may do what, and when,
//! is decided in `workflow`, never here.

use chrono::{NaiveDate, NaiveDateTime};
use geo::{Geometry, Point};
use rusqlite::params;

use super::sql::Db;

use super::gpkg::{blob_from_geometry, geometry_from_blob};
use super::queries::{Cells, keyword, local_from_utc_text, query_rows_with, utc_text_from_local};
use super::{SqlContext, Store, StoreError};
use crate::model::{
    Art19Rule, Dispute, DisputeRecord, DisputeState, ItemKind, Keyword, Precedent, PrecedentArea, PrecedentClass, SiteCheck, Statement,
    UnitId,
};

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

fn date_cell(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> = cells.get(index)?;
    text.map(|text| {
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| StoreError::BadRow {
            table: cells.table,
            row,
            problem: format!("bad date {text:?}"),
        })
    })
    .transpose()
}

fn required_date(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<NaiveDate, StoreError> {
    date_cell(cells, index, row)?.ok_or_else(|| StoreError::BadRow {
        table: cells.table,
        row,
        problem: "a required date is missing".into(),
    })
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn units_json(units: &[UnitId]) -> String {
    serde_json::to_string(&units.iter().map(|unit| unit.0).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

fn units_cell(cells: &Cells<'_, '_>, index: usize, row: i64) -> Result<Vec<UnitId>, StoreError> {
    let text: String = cells.get(index)?;
    serde_json::from_str::<Vec<i64>>(&text).map(|ids| ids.into_iter().map(UnitId).collect()).map_err(|error| StoreError::BadRow {
        table: cells.table,
        row,
        problem: format!("unit list {text:?}: {error}"),
    })
}

fn photos_json(photos: &[String]) -> String {
    serde_json::to_string(photos).unwrap_or_else(|_| "[]".into())
}

fn photos_cell(cells: &Cells<'_, '_>, index: usize) -> Result<Vec<String>, StoreError> {
    Ok(serde_json::from_str(&cells.get::<String>(index)?).unwrap_or_default())
}

const DISPUTE_SELECT: &str = "SELECT id, case_fid, opened_at, opened_by, origin, summary, units_involved, state, art19_rule, decided_at,
       decided_by, designated_unit_id, reasoning, withdrawn_at, withdrawn_by, withdraw_reason FROM disputes";

fn dispute_from_cells(cells: &Cells<'_, '_>) -> Result<Dispute, StoreError> {
    let id: i64 = cells.get(0)?;
    let rule: Option<String> = cells.get(8)?;
    Ok(Dispute {
        id,
        case_id: cells.get(1)?,
        opened_at: required_time(cells, 2, id)?,
        opened_by: cells.get(3)?,
        origin: cells.keyword(4, id)?,
        summary: cells.get(5)?,
        units: units_cell(cells, 6, id)?,
        state: cells.keyword(7, id)?,
        art19_rule: rule.map(|text| keyword::<Art19Rule>(cells.table, id, &text)).transpose()?,
        decided_at: time_cell(cells, 9, id)?,
        decided_by: cells.get(10)?,
        designated_unit: cells.get::<Option<i64>>(11)?.map(UnitId),
        reasoning: cells.get(12)?,
        withdrawn_at: time_cell(cells, 13, id)?,
        withdrawn_by: cells.get(14)?,
        withdraw_reason: cells.get(15)?,
    })
}

const PRECEDENT_SELECT: &str = "SELECT fid, geom, centre_lon, centre_lat, radius_m, class_kind, class_code, unit_id, dispute_id,
       decided_on, valid_from, valid_to, note FROM routing_precedents";

fn precedent_from_cells(cells: &Cells<'_, '_>) -> Result<Precedent, StoreError> {
    let id: i64 = cells.get(0)?;
    let bad = |problem: String| StoreError::BadRow { table: cells.table, row: id, problem };
    let centre: Option<(f64, f64)> = cells.get::<Option<f64>>(2)?.zip(cells.get::<Option<f64>>(3)?);
    let radius_m: Option<f64> = cells.get(4)?;
    let area = match (centre, radius_m) {
        (Some((lon, lat)), Some(radius_m)) => PrecedentArea::Circle { centre: Point::new(lon, lat), radius_m },
        _ => {
            let blob: Vec<u8> = cells.get(1)?;
            match geometry_from_blob(&blob).map_err(|error| bad(format!("geometry: {error}")))? {
                Geometry::Polygon(polygon) => PrecedentArea::Polygon(polygon),
                other => return Err(bad(format!("geometry: expected a polygon, found {other:?}"))),
            }
        }
    };
    let class_kind: Option<String> = cells.get(5)?;
    let class_code: Option<String> = cells.get(6)?;
    let class = match (class_kind, class_code) {
        (Some(kind), Some(code)) => Some(PrecedentClass { kind: keyword::<ItemKind>(cells.table, id, &kind)?, code }),
        _ => None,
    };
    Ok(Precedent {
        id,
        dispute_id: cells.get(8)?,
        unit: UnitId(cells.get(7)?),
        area,
        class,
        decided_on: required_date(cells, 9, id)?,
        valid_from: required_date(cells, 10, id)?,
        valid_to: date_cell(cells, 11, id)?,
        note: cells.get(12)?,
    })
}

impl Store {
    /// Records a new dispute (its `id` is ignored); returns its id.
    ///
    /// # Errors
    /// SQL errors, e.g. a second open dispute on the same case.
    pub fn insert_dispute(conn: &Db, dispute: &Dispute) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO disputes (case_fid, opened_at, opened_by, origin, summary, units_involved, state, art19_rule, decided_at,
               decided_by, designated_unit_id, reasoning, withdrawn_at, withdrawn_by, withdraw_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
        )
        .context("preparing dispute insert")?
        .query_row(
            params![
                dispute.case_id,
                utc_text_from_local(dispute.opened_at),
                dispute.opened_by,
                dispute.origin.keyword(),
                dispute.summary,
                units_json(&dispute.units),
                dispute.state.keyword(),
                dispute.art19_rule.map(Keyword::keyword),
                dispute.decided_at.map(utc_text_from_local),
                dispute.decided_by,
                dispute.designated_unit.map(|unit| unit.0),
                dispute.reasoning,
                dispute.withdrawn_at.map(utc_text_from_local),
                dispute.withdrawn_by,
                dispute.withdraw_reason,
            ],
            |row| row.get(0),
        )
        .context("inserting a dispute")
    }

    /// One dispute by id.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn dispute_by_id(conn: &Db, dispute_id: i64) -> Result<Option<Dispute>, StoreError> {
        Ok(query_rows_with(
            conn,
            "disputes",
            &format!("{DISPUTE_SELECT} WHERE id = ?1"),
            rusqlite::params![dispute_id],
            dispute_from_cells,
        )?
        .pop())
    }

    /// The open dispute of a case, if any (there is at most one).
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn open_dispute_of_case(conn: &Db, case_id: i64) -> Result<Option<Dispute>, StoreError> {
        let sql = format!("{DISPUTE_SELECT} WHERE case_fid = ?1 AND state = 'open' ORDER BY id DESC LIMIT 1");
        Ok(query_rows_with(conn, "disputes", &sql, rusqlite::params![case_id], dispute_from_cells)?.pop())
    }

    /// Every dispute of a case, oldest first, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn disputes_of_case_in(conn: &Db, case_id: i64) -> Result<Vec<Dispute>, StoreError> {
        query_rows_with(
            conn,
            "disputes",
            &format!("{DISPUTE_SELECT} WHERE case_fid = ?1 ORDER BY id"),
            rusqlite::params![case_id],
            dispute_from_cells,
        )
    }

    /// Every dispute of a case, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn disputes_of_case(&self, case_id: i64) -> Result<Vec<Dispute>, StoreError> {
        Self::disputes_of_case_in(self.conn(), case_id)
    }

    /// Every dispute, oldest first; `open_only` leaves out decided and withdrawn ones.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_disputes(&self, open_only: bool) -> Result<Vec<Dispute>, StoreError> {
        let filter = if open_only { "WHERE state = 'open'" } else { "" };
        query_rows_with(self.conn(), "disputes", &format!("{DISPUTE_SELECT} {filter} ORDER BY id"), &[], dispute_from_cells)
    }

    /// Records the committee's decision on an open dispute. Returns whether it was still open
    /// (nothing is written otherwise).
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_dispute_decision(
        conn: &Db,
        dispute_id: i64,
        at: NaiveDateTime,
        by: Option<i64>,
        unit: UnitId,
        rule: Art19Rule,
        reasoning: &str,
    ) -> Result<bool, StoreError> {
        let changed = conn
            .prepare_cached(
                "UPDATE disputes SET state = 'decided', decided_at = ?2, decided_by = ?3, designated_unit_id = ?4, art19_rule = ?5,
                   reasoning = ?6 WHERE id = ?1 AND state = 'open'",
            )
            .context("preparing dispute decision")?
            .execute(params![dispute_id, utc_text_from_local(at), by, unit.0, rule.keyword(), reasoning])
            .context("recording a dispute decision")?;
        Ok(changed == 1)
    }

    /// Withdraws an open dispute. Returns whether it was still open (nothing is written
    /// otherwise).
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_dispute_withdrawal(
        conn: &Db,
        dispute_id: i64,
        at: NaiveDateTime,
        by: Option<i64>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let changed = conn
            .prepare_cached(
                "UPDATE disputes SET state = 'withdrawn', withdrawn_at = ?2, withdrawn_by = ?3, withdraw_reason = ?4
                 WHERE id = ?1 AND state = 'open'",
            )
            .context("preparing dispute withdrawal")?
            .execute(params![dispute_id, utc_text_from_local(at), by, reason])
            .context("withdrawing a dispute")?;
        Ok(changed == 1)
    }

    /// Records a unit's statement (its `id` is ignored); returns its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_dispute_statement(conn: &Db, statement: &Statement) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO dispute_statements (dispute_id, unit_id, at, by_user, text, photos) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )
        .context("preparing statement insert")?
        .query_row(
            params![
                statement.dispute_id,
                statement.unit.0,
                utc_text_from_local(statement.at),
                statement.by,
                statement.text,
                photos_json(&statement.photos),
            ],
            |row| row.get(0),
        )
        .context("inserting a statement")
    }

    /// The statements of a dispute, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn dispute_statements(conn: &Db, dispute_id: i64) -> Result<Vec<Statement>, StoreError> {
        let sql = "SELECT id, dispute_id, unit_id, at, by_user, text, photos FROM dispute_statements WHERE dispute_id = ?1 ORDER BY id";
        query_rows_with(conn, "dispute_statements", sql, rusqlite::params![dispute_id], |cells| {
            let id: i64 = cells.get(0)?;
            Ok(Statement {
                id,
                dispute_id: cells.get(1)?,
                unit: UnitId(cells.get(2)?),
                at: required_time(cells, 3, id)?,
                by: cells.get(4)?,
                text: cells.get(5)?,
                photos: photos_cell(cells, 6)?,
            })
        })
    }

    /// Records an on-site confirmation (its `id` is ignored); returns its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_site_check(conn: &Db, check: &SiteCheck) -> Result<i64, StoreError> {
        conn.prepare_cached(
            "INSERT INTO dispute_site_checks (dispute_id, checked_on, units_present, lon, lat, photos, notes, by_user, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        )
        .context("preparing site check insert")?
        .query_row(
            params![
                check.dispute_id,
                date_text(check.checked_on),
                units_json(&check.units_present),
                check.location.x(),
                check.location.y(),
                photos_json(&check.photos),
                check.notes,
                check.by,
                utc_text_from_local(check.at),
            ],
            |row| row.get(0),
        )
        .context("inserting a site check")
    }

    /// The on-site confirmations of a dispute, oldest first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn site_checks(conn: &Db, dispute_id: i64) -> Result<Vec<SiteCheck>, StoreError> {
        let sql = "SELECT id, dispute_id, checked_on, units_present, lon, lat, photos, notes, by_user, at
                   FROM dispute_site_checks WHERE dispute_id = ?1 ORDER BY id";
        query_rows_with(conn, "dispute_site_checks", sql, rusqlite::params![dispute_id], |cells| {
            let id: i64 = cells.get(0)?;
            Ok(SiteCheck {
                id,
                dispute_id: cells.get(1)?,
                checked_on: required_date(cells, 2, id)?,
                units_present: units_cell(cells, 3, id)?,
                location: Point::new(cells.get(4)?, cells.get(5)?),
                photos: photos_cell(cells, 6)?,
                notes: cells.get(7)?,
                by: cells.get(8)?,
                at: required_time(cells, 9, id)?,
            })
        })
    }

    /// Writes a routing precedent (its `id` is ignored); returns its fid. A circle is stored
    /// exactly (centre and radius) and drawn as its outline.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_precedent(conn: &Db, precedent: &Precedent) -> Result<i64, StoreError> {
        let (centre, radius_m) = match &precedent.area {
            PrecedentArea::Circle { centre, radius_m } => (Some(*centre), Some(*radius_m)),
            PrecedentArea::Polygon(_) => (None, None),
        };
        conn.prepare_cached(
            "INSERT INTO routing_precedents (geom, centre_lon, centre_lat, radius_m, class_kind, class_code, unit_id, dispute_id,
               decided_on, valid_from, valid_to, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING fid",
        )
        .context("preparing precedent insert")?
        .query_row(
            params![
                blob_from_geometry(&Geometry::Polygon(precedent.area.outline())),
                centre.map(|point| point.x()),
                centre.map(|point| point.y()),
                radius_m,
                precedent.class.as_ref().map(|class| class.kind.keyword()),
                precedent.class.as_ref().map(|class| class.code.as_str()),
                precedent.unit.0,
                precedent.dispute_id,
                date_text(precedent.decided_on),
                date_text(precedent.valid_from),
                precedent.valid_to.map(date_text),
                precedent.note,
            ],
            |row| row.get(0),
        )
        .context("inserting a routing precedent")
    }

    /// Every routing precedent, in force or not, oldest first, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn precedents_in(conn: &Db) -> Result<Vec<Precedent>, StoreError> {
        query_rows_with(conn, "routing_precedents", &format!("{PRECEDENT_SELECT} ORDER BY fid"), &[], precedent_from_cells)
    }

    /// Every routing precedent, in force or not, oldest first (routing and the map's history).
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_precedents(&self) -> Result<Vec<Precedent>, StoreError> {
        Self::precedents_in(self.conn())
    }

    /// The precedent a dispute's decision set, if any.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn precedent_of_dispute(conn: &Db, dispute_id: i64) -> Result<Option<Precedent>, StoreError> {
        let sql = format!("{PRECEDENT_SELECT} WHERE dispute_id = ?1 ORDER BY fid DESC LIMIT 1");
        Ok(query_rows_with(conn, "routing_precedents", &sql, rusqlite::params![dispute_id], precedent_from_cells)?.pop())
    }

    /// A dispute with its site checks, statements and precedent, read on `conn`.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn dispute_record_in(conn: &Db, dispute_id: i64) -> Result<Option<DisputeRecord>, StoreError> {
        let Some(dispute) = Self::dispute_by_id(conn, dispute_id)? else { return Ok(None) };
        Ok(Some(DisputeRecord {
            site_checks: Self::site_checks(conn, dispute_id)?,
            statements: Self::dispute_statements(conn, dispute_id)?,
            precedent: if dispute.state == DisputeState::Decided { Self::precedent_of_dispute(conn, dispute_id)? } else { None },
            dispute,
        }))
    }

    /// A dispute with its site checks, statements and precedent.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn dispute_record(&self, dispute_id: i64) -> Result<Option<DisputeRecord>, StoreError> {
        Self::dispute_record_in(self.conn(), dispute_id)
    }
}
