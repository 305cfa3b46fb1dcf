//! Reads and writes of domain types. Times are held as China local wall time in memory and
//! stored as UTC ISO-8601 (`…Z`), as GeoPackage DATETIME columns require.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use geo::{Geometry, LineString, MultiPolygon};
use rusqlite::params;

use super::gpkg::{blob_from_geometry, geometry_from_blob};
use super::sql::{Db, OptionalExtension as _, Row, Tx, refs};
use super::{SqlContext, Store, StoreError};
use crate::calendar::{HolidayTable, LimitUnit};
use crate::model::{
    Case, CommandManual, Jurisdiction, Keyword, MajorClass, ManualEntry, Part, PartCode, PartGeometry, TimeLimit, Unit, UnitId,
    manual::StageLimit,
    part::{PartSource, PartState},
};

pub use crate::calendar::{local_from_utc_text, utc_text_from_local};

/// A responsible unit as written in `assets/units.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct UnitSeed {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub class: u8,
    pub parent: Option<String>,
    pub contact: String,
    pub phone: String,
    #[serde(default)]
    pub extension: bool,
    /// Holds administrative enforcement powers (执法权).
    #[serde(default)]
    pub enforcement: bool,
}

#[derive(serde::Deserialize)]
struct UnitsFile {
    units: Vec<UnitSeed>,
}

/// Everything a new database is seeded with: command manual, units, holiday calendar.
pub struct ReferenceData {
    pub manual: CommandManual,
    pub units: Vec<UnitSeed>,
    pub holidays: HolidayTable,
}

impl ReferenceData {
    /// The reference data shipped in `assets/`.
    ///
    /// # Errors
    /// Only if a shipped asset is broken (the test suite rules that out).
    pub fn embedded() -> Result<Self, StoreError> {
        let bad = |problem: String| StoreError::BadRow { table: "assets", row: 0, problem };
        let manual = CommandManual::embedded().map_err(|error| bad(error.to_string()))?;
        let units: UnitsFile =
            serde_json::from_str(include_str!("../../assets/units.json")).map_err(|error| bad(format!("units.json: {error}")))?;
        Ok(Self { manual, units: units.units, holidays: HolidayTable::embedded() })
    }
}

/// Number of features (or rows) in one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerCount {
    pub table: String,
    pub count: i64,
}

/// A street centre line.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetRecord {
    pub name: String,
    /// `main` or `minor`.
    pub class: String,
    pub line: LineString<f64>,
}

fn date_text(date: Option<NaiveDate>) -> Option<String> {
    date.map(|date| date.format("%Y-%m-%d").to_string())
}

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
}

pub(super) fn keyword<K: Keyword>(table: &'static str, row: i64, text: &str) -> Result<K, StoreError> {
    K::from_keyword(text).ok_or_else(|| StoreError::BadRow { table, row, problem: format!("unknown value {text:?}") })
}

fn bad_geometry(table: &'static str, row: i64, problem: impl std::fmt::Display) -> StoreError {
    StoreError::BadRow { table, row, problem: format!("geometry: {problem}") }
}

pub(super) const PART_TABLES: [&str; 3] = ["part_points", "part_lines", "part_polygons"];

/// The columns [`part_from_row`] reads, in its order.
pub(super) const PART_COLUMNS: &str =
    "fid, geom, code, name, supervising_unit, owner_unit, maintainer_unit, state, grid_code, installed_on, changed_on, source";

impl Store {
    /// Seeds the reference data and records the district the database is for.
    ///
    /// # Errors
    /// SQL errors, e.g. a unit whose parent is unknown; nothing is written then.
    pub fn seed_reference_data(&mut self, data: &ReferenceData, district_code: &str, district_name: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            insert_units(tx, &data.units)?;
            insert_manual(tx, &data.manual)?;
            let mut statement = tx
                .prepare(
                    "INSERT INTO calendar_days (date, is_off_day, name) VALUES (?1, ?2, ?3)
                     ON CONFLICT (date) DO UPDATE SET is_off_day = excluded.is_off_day, name = excluded.name",
                )
                .context("preparing calendar insert")?;
            for (date, is_off_day, name) in data.holidays.entries() {
                statement.execute(params![date.format("%Y-%m-%d").to_string(), is_off_day, name]).context("inserting calendar day")?;
            }
            set_meta(tx, "district_code", district_code)?;
            set_meta(tx, "district_name", district_name)?;
            let data = super::chain::with_seal(
                tx,
                "reference",
                serde_json::json!({
                    "district_code": district_code,
                    "units": data.units.len(),
                    "manual_entries": data.manual.entries.len(),
                    "calendar_days": data.holidays.entries().count(),
                }),
            )?;
            let subject = format!("{district_code} {district_name}");
            // The district's creation: no account exists yet to name.
            let event = super::AdminEvent {
                at: crate::calendar::china_now(),
                actor_user_id: None,
                action: "reference_data",
                subject: &subject,
                data: &data,
            };
            super::append_admin_event(tx, &event)?;
            Ok(())
        })
    }

    /// Marks the file as the demo district (its accounts share the documented demo password,
    /// which the sign-in screen then shows).
    ///
    /// # Errors
    /// SQL errors.
    pub fn mark_demo(&mut self) -> Result<(), StoreError> {
        self.write(|tx| set_meta(tx, "demo", "1"))
    }

    /// A value from the `citygrid_meta` table.
    ///
    /// # Errors
    /// SQL errors.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT value FROM citygrid_meta WHERE key = ?1", rusqlite::params![key], |row| row.get(0))
            .optional()
            .context(format!("reading meta {key}"))
    }

    /// All responsible units, by id.
    ///
    /// # Errors
    /// SQL errors or a row with an unknown class.
    pub fn load_units(&self) -> Result<Vec<Unit>, StoreError> {
        query_rows(
            self.conn(),
            "units",
            "SELECT id, code, name_zh, name_en, class, parent_id, contact, phone, enforcement FROM units ORDER BY id",
            |cells| {
                let id = cells.get(0)?;
                Ok(Unit {
                    id: UnitId(id),
                    code: cells.get(1)?,
                    name_zh: cells.get(2)?,
                    name_en: cells.get(3)?,
                    class: cells.keyword(4, id)?,
                    parent: cells.get::<Option<i64>>(5)?.map(UnitId),
                    contact: cells.get(6)?,
                    phone: cells.get(7)?,
                    enforcement: cells.get(8)?,
                })
            },
        )
    }

    /// The command manual as currently edited in the database.
    ///
    /// # Errors
    /// SQL errors or rows with unknown keywords.
    pub fn load_manual(&self) -> Result<CommandManual, StoreError> {
        let conn = self.conn();
        // A server's tables have no rowid; the row number only names a bad row.
        let rowid = if conn.is_server() { "0" } else { "rowid" };
        let major_classes = query_rows(
            conn,
            "manual_major_classes",
            &format!("SELECT {rowid}, kind, code, name_zh, name_en FROM manual_major_classes ORDER BY kind DESC, code"),
            |cells| {
                Ok(MajorClass {
                    kind: cells.keyword(1, cells.get(0)?)?,
                    code: cells.get(2)?,
                    name_zh: cells.get(3)?,
                    name_en: cells.get(4)?,
                })
            },
        )?;
        let mut limits: BTreeMap<(String, String), Vec<TimeLimit>> = BTreeMap::new();
        let limit_rows =
            query_rows(conn, "manual_limits", "SELECT id, kind, code, urgency, amount, unit FROM manual_limits ORDER BY id", |cells| {
                let id = cells.get(0)?;
                let limit = TimeLimit { urgency: cells.keyword(3, id)?, amount: cells.get(4)?, unit: cells.limit_unit(5, id)? };
                Ok(((cells.get::<String>(1)?, cells.get::<String>(2)?), limit))
            })?;
        for (key, limit) in limit_rows {
            limits.entry(key).or_default().push(limit);
        }
        let entries = query_rows(
            conn,
            "manual_entries",
            "SELECT id, kind, code, name_zh, name_en, geometry, default_unit, routing, filing_condition_zh, closing_condition_zh FROM manual_entries ORDER BY kind DESC, code",
            |cells| {
                let id = cells.get(0)?;
                let (kind, code): (String, String) = (cells.get(1)?, cells.get(2)?);
                let geometry: Option<String> = cells.get(5)?;
                Ok(ManualEntry {
                    kind: keyword("manual_entries", id, &kind)?,
                    limits: limits.remove(&(kind, code.clone())).unwrap_or_default(),
                    code,
                    name_zh: cells.get(3)?,
                    name_en: cells.get(4)?,
                    geometry: geometry.map(|text| keyword("manual_entries", id, &text)).transpose()?,
                    default_unit: cells.get(6)?,
                    routing: cells.keyword(7, id)?,
                    filing_condition_zh: cells.get(8)?,
                    closing_condition_zh: cells.get(9)?,
                })
            },
        )?;
        let stage_limits = query_rows(
            conn,
            "stage_limits",
            &format!(
                "SELECT {rowid}, stage, urgency, amount, unit FROM stage_limits ORDER BY {}",
                if conn.is_server() { "stage, urgency" } else { "rowid" }
            ),
            |cells| {
                let id = cells.get(0)?;
                Ok(StageLimit {
                    stage: cells.keyword(1, id)?,
                    urgency: cells.keyword(2, id)?,
                    amount: cells.get(3)?,
                    unit: cells.limit_unit(4, id)?,
                })
            },
        )?;
        let version = self.meta("manual_version")?.and_then(|text| text.parse().ok()).unwrap_or(1);
        let note = self.meta("manual_note")?.unwrap_or_default();
        Ok(CommandManual { version, note, major_classes, stage_limits, entries })
    }

    /// The holiday table stored in the database.
    ///
    /// # Errors
    /// SQL errors.
    pub fn load_holidays(&self) -> Result<HolidayTable, StoreError> {
        let days = query_rows(self.conn(), "calendar_days", "SELECT date, is_off_day, name FROM calendar_days ORDER BY date", |cells| {
            Ok((cells.date(0)?, cells.get::<bool>(1)?, cells.get::<String>(2)?))
        })?;
        Ok(HolidayTable::from_days(days.into_iter().filter_map(|(date, is_off_day, name)| Some((date?, is_off_day, name)))))
    }

    /// Inserts parts into the table matching each one's geometry.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate part code; the caller's transaction then rolls back.
    pub fn insert_parts<'a>(tx: &Tx<'_>, parts: impl IntoIterator<Item = &'a Part>) -> Result<usize, StoreError> {
        // citygrid counts its own parts into the cells: the log of other programs' edits pauses.
        super::part_cells::without_change_log(tx, || Self::insert_parts_counted(tx, parts))
    }

    fn insert_parts_counted<'a>(tx: &Tx<'_>, parts: impl IntoIterator<Item = &'a Part>) -> Result<usize, StoreError> {
        let sql = |table: &str| {
            format!(
                "INSERT INTO {table} (geom, code, class_code, name, supervising_unit, owner_unit, maintainer_unit, state, grid_code, installed_on, changed_on, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            )
        };
        let mut statements = [
            tx.prepare_cached(&sql("part_points")).context("preparing part insert")?,
            tx.prepare_cached(&sql("part_lines")).context("preparing part insert")?,
            tx.prepare_cached(&sql("part_polygons")).context("preparing part insert")?,
        ];
        let mut count = 0;
        // The density cells the parts fall in, added to `part_cells` in the same transaction.
        let mut cells = crate::spatial::part_cells::PartCells::default();
        for part in parts {
            cells.add(part);
            let (index, geometry) = match &part.geometry {
                PartGeometry::Point(point) => (0, Geometry::Point(*point)),
                PartGeometry::Line(line) => (1, Geometry::LineString(line.clone())),
                PartGeometry::Polygon(polygon) => (2, Geometry::Polygon(polygon.clone())),
            };
            statements[index]
                .execute(params![
                    blob_from_geometry(&geometry),
                    part.code.to_string(),
                    part.code.class_code(),
                    part.name,
                    part.supervising_unit.map(|unit| unit.0),
                    part.owner_unit.map(|unit| unit.0),
                    part.maintainer_unit.map(|unit| unit.0),
                    part.state.keyword(),
                    part.grid_code.map(|code| code.to_string()),
                    date_text(part.installed_on),
                    date_text(part.changed_on),
                    part.source.keyword(),
                ])
                .context(format!("inserting part {}", part.code))?;
            count += 1;
        }
        super::part_cells::add_part_cells(tx, &cells)?;
        Ok(count)
    }

    /// Every part, points first, then lines, then polygons, each in insertion order.
    ///
    /// For a database on disk the point table (the largest) is read on a second connection in
    /// parallel with the other two.
    ///
    /// # Errors
    /// SQL errors or a row that cannot be decoded (named with its table and fid).
    pub fn load_parts(&self) -> Result<Vec<Part>, StoreError> {
        let Some(path) = self.path().filter(|_| !self.is_server()) else {
            return load_all_parts(self.conn());
        };
        std::thread::scope(|scope| {
            let points = std::thread::Builder::new()
                .name("citygrid-read-points".into())
                .spawn_scoped(scope, || {
                    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .context(format!("opening {} for reading", path.display()))?;
                    let conn = Db::Lite(conn);
                    let mut points = Vec::new();
                    load_parts_from(&conn, PART_TABLES[0], &mut points)?;
                    Ok::<_, StoreError>(points)
                })
                .map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
            let mut others = Vec::new();
            for table in &PART_TABLES[1..] {
                load_parts_from(self.conn(), table, &mut others)?;
            }
            let mut parts = points.join().map_err(|_| StoreError::BadRow {
                table: "part_points",
                row: 0,
                problem: "the reader thread failed".into(),
            })??;
            parts.append(&mut others);
            Ok(parts)
        })
    }

    /// Inserts a jurisdiction; returns its fid.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_jurisdiction(tx: &Tx<'_>, jurisdiction: &Jurisdiction) -> Result<i64, StoreError> {
        tx.query_row(
            "INSERT INTO jurisdictions (geom, kind, code, name, owner_unit, parent_code, valid_from, valid_to, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING fid",
            params![
                blob_from_geometry(&Geometry::MultiPolygon(jurisdiction.geometry.clone())),
                jurisdiction.kind.keyword(),
                jurisdiction.code,
                jurisdiction.name,
                jurisdiction.owner_unit.map(|unit| unit.0),
                jurisdiction.parent_code,
                date_text(Some(jurisdiction.valid_from)),
                date_text(jurisdiction.valid_to),
                jurisdiction.source,
            ],
            |row| row.get(0),
        )
        .context(format!("inserting jurisdiction {}", jurisdiction.code))
    }

    /// Every jurisdiction of every kind and period, in insertion order.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_jurisdictions(&self) -> Result<Vec<Jurisdiction>, StoreError> {
        const SQL: &str =
            "SELECT fid, geom, kind, code, name, owner_unit, parent_code, valid_from, valid_to, source FROM jurisdictions ORDER BY fid";
        query_rows(self.conn(), "jurisdictions", SQL, |cells| {
            let id = cells.get(0)?;
            let geometry = match cells.geometry(1, id)? {
                Geometry::MultiPolygon(multi) => multi,
                Geometry::Polygon(polygon) => MultiPolygon(vec![polygon]),
                _ => return Err(bad_geometry("jurisdictions", id, "not a polygon")),
            };
            Ok(Jurisdiction {
                id,
                kind: cells.keyword(2, id)?,
                code: cells.get(3)?,
                name: cells.get(4)?,
                owner_unit: cells.get::<Option<i64>>(5)?.map(UnitId),
                parent_code: cells.get(6)?,
                valid_from: cells.date(7)?.ok_or_else(|| StoreError::BadRow {
                    table: "jurisdictions",
                    row: id,
                    problem: "valid_from is not a date".into(),
                })?,
                valid_to: cells.date(8)?,
                source: cells.get(9)?,
                geometry,
            })
        })
    }

    /// Inserts a street centre line.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_street(tx: &Tx<'_>, street: &StreetRecord) -> Result<(), StoreError> {
        tx.prepare_cached("INSERT INTO streets (geom, name, class) VALUES (?1, ?2, ?3)")
            .context("preparing street insert")?
            .execute(params![blob_from_geometry(&Geometry::LineString(street.line.clone())), street.name, street.class])
            .context("inserting street")?;
        Ok(())
    }

    /// Every street centre line.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_streets(&self) -> Result<Vec<StreetRecord>, StoreError> {
        query_rows(self.conn(), "streets", "SELECT fid, geom, name, class FROM streets ORDER BY fid", |cells| {
            let id = cells.get(0)?;
            let Geometry::LineString(line) = cells.geometry(1, id)? else {
                return Err(bad_geometry("streets", id, "not a line"));
            };
            Ok(StreetRecord { name: cells.get(2)?, class: cells.get(3)?, line })
        })
    }

    /// Inserts a case; returns its fid.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate case number.
    pub fn insert_case(tx: &Tx<'_>, case: &Case) -> Result<i64, StoreError> {
        use super::case_flow::{CASE_STEP_COLUMNS, case_step_values};
        use rusqlite::types::Value as SqlValue;
        const FIXED: [&str; 11] = [
            "geom",
            "case_no",
            "source",
            "subject",
            "part_code",
            "grid_code",
            "description",
            "photos",
            "reporter_contact",
            "reported_at",
            "revision",
        ];
        // Written once per process; every insert then finds its prepared statement by this text.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let columns: Vec<&str> = FIXED.iter().chain(CASE_STEP_COLUMNS.iter()).copied().collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|index| format!("?{index}")).collect();
            format!("INSERT INTO cases ({}) VALUES ({}) RETURNING fid", columns.join(", "), placeholders.join(", "))
        });
        let fixed = [
            SqlValue::Blob(blob_from_geometry(&Geometry::Point(case.location))),
            SqlValue::Text(case.case_no.clone()),
            SqlValue::Text(case.source.keyword().to_owned()),
            SqlValue::Text(case.subject.keyword().to_owned()),
            SqlValue::from(case.part_code.map(|code| code.to_string())),
            SqlValue::from(case.grid_code.map(|code| code.to_string())),
            SqlValue::Text(case.description.clone()),
            SqlValue::Text(serde_json::to_string(&case.photos).unwrap_or_else(|_| "[]".into())),
            SqlValue::from(case.reporter_contact.clone()),
            SqlValue::Text(utc_text_from_local(case.reported_at)),
            SqlValue::from(case.revision),
        ];
        let values: Vec<SqlValue> = fixed.into_iter().chain(case_step_values(case)).collect();
        tx.query_row(&SQL, &refs(&values), |row| row.get(0)).context(format!("inserting case {}", case.case_no))
    }

    /// Every case, newest report first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_cases(&self) -> Result<Vec<Case>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY reported_at DESC, fid DESC");
        query_rows(self.conn(), "cases", &sql, case_from_cells)
    }

    /// One case by id (fid), read on `conn` (the store's connection or an open transaction).
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn case_by_id(conn: &Db, case_id: i64) -> Result<Option<Case>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE fid = ?1");
        Ok(query_rows_with(conn, "cases", &sql, params![case_id], case_from_cells)?.pop())
    }

    /// One case by id, outside any transaction.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_case(&self, case_id: i64) -> Result<Option<Case>, StoreError> {
        Self::case_by_id(self.conn(), case_id)
    }
}

fn set_meta(tx: &Tx<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO citygrid_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .context(format!("writing meta {key}"))?;
    Ok(())
}

fn insert_units(tx: &Tx<'_>, units: &[UnitSeed]) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare("INSERT INTO units (code, name_zh, name_en, class, contact, phone, enforcement) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .context("preparing unit insert")?;
    for unit in units {
        insert
            .execute(params![unit.code, unit.name_zh, unit.name_en, unit.class.to_string(), unit.contact, unit.phone, unit.enforcement])
            .context(format!("inserting unit {}", unit.code))?;
    }
    let mut parent =
        tx.prepare("UPDATE units SET parent_id = (SELECT id FROM units WHERE code = ?2) WHERE code = ?1").context("preparing parents")?;
    for unit in units {
        if let Some(parent_code) = &unit.parent {
            let parent_exists: bool = tx
                .query_row("SELECT count(*) FROM units WHERE code = ?1", rusqlite::params![parent_code], |row| row.get::<i64>(0))
                .context("checking a parent unit")?
                > 0;
            if !parent_exists {
                return Err(StoreError::BadRow {
                    table: "units",
                    row: 0,
                    problem: format!("unit {} names unknown parent {parent_code}", unit.code),
                });
            }
            parent.execute(params![unit.code, parent_code]).context("linking a parent unit")?;
        }
    }
    Ok(())
}

fn insert_manual(tx: &Tx<'_>, manual: &CommandManual) -> Result<(), StoreError> {
    set_meta(tx, "manual_version", &manual.version.to_string())?;
    set_meta(tx, "manual_note", &manual.note)?;
    for major in &manual.major_classes {
        tx.execute(
            "INSERT INTO manual_major_classes (kind, code, name_zh, name_en) VALUES (?1, ?2, ?3, ?4)",
            params![major.kind.keyword(), major.code, major.name_zh, major.name_en],
        )
        .context(format!("inserting major class {}", major.code))?;
    }
    for entry in &manual.entries {
        tx.execute(
            "INSERT INTO manual_entries (kind, code, name_zh, name_en, geometry, default_unit, routing, filing_condition_zh, closing_condition_zh)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                entry.kind.keyword(),
                entry.code,
                entry.name_zh,
                entry.name_en,
                entry.geometry.map(Keyword::keyword),
                entry.default_unit,
                entry.routing.keyword(),
                entry.filing_condition_zh,
                entry.closing_condition_zh
            ],
        )
        .context(format!("inserting manual entry {} {}", entry.kind.keyword(), entry.code))?;
        for limit in &entry.limits {
            tx.execute(
                "INSERT INTO manual_limits (kind, code, urgency, amount, unit) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![entry.kind.keyword(), entry.code, limit.urgency.keyword(), limit.amount, limit.unit.as_str()],
            )
            .context(format!("inserting limit of {}", entry.code))?;
        }
    }
    tx.execute(super::schema::SEED_OPEN311_SERVICES, &[]).context("seeding Open311's service codes")?;
    for limit in &manual.stage_limits {
        tx.execute(
            "INSERT INTO stage_limits (stage, urgency, amount, unit) VALUES (?1, ?2, ?3, ?4)",
            params![limit.stage.keyword(), limit.urgency.keyword(), limit.amount, limit.unit.as_str()],
        )
        .context("inserting stage limit")?;
    }
    Ok(())
}

/// Every part of the three tables on one connection (inside a transaction or a migration).
pub(super) fn load_all_parts(conn: &Db) -> Result<Vec<Part>, StoreError> {
    let mut parts = Vec::new();
    for table in PART_TABLES {
        load_parts_from(conn, table, &mut parts)?;
    }
    Ok(parts)
}

fn load_parts_from(conn: &Db, table: &'static str, parts: &mut Vec<Part>) -> Result<(), StoreError> {
    let sql = format!("SELECT {PART_COLUMNS} FROM {table} ORDER BY fid");
    parts.append(&mut query_rows(conn, table, &sql, |cells| part_from_row(table, cells.row))?);
    Ok(())
}

/// One row being read; every error names the table (and the row where known).
pub(super) struct Cells<'r, 's> {
    pub(super) row: &'r Row<'s>,
    pub(super) table: &'static str,
}

impl Cells<'_, '_> {
    pub(super) fn get<T: rusqlite::types::FromSql>(&self, index: usize) -> Result<T, StoreError> {
        self.row.get(index).context(format!("reading {}", self.table))
    }

    pub(super) fn keyword<K: Keyword>(&self, index: usize, id: i64) -> Result<K, StoreError> {
        keyword(self.table, id, &self.get::<String>(index)?)
    }

    pub(super) fn limit_unit(&self, index: usize, id: i64) -> Result<LimitUnit, StoreError> {
        let text: String = self.get(index)?;
        LimitUnit::parse(&text).ok_or_else(|| StoreError::BadRow { table: self.table, row: id, problem: format!("unknown unit {text:?}") })
    }

    fn date(&self, index: usize) -> Result<Option<NaiveDate>, StoreError> {
        Ok(parse_date(self.get(index)?))
    }

    fn geometry(&self, index: usize, id: i64) -> Result<Geometry<f64>, StoreError> {
        let blob = self.row.get_ref(index).context(format!("reading {}", self.table))?;
        let blob = blob.as_blob().map_err(|error| bad_geometry(self.table, id, error))?;
        geometry_from_blob(blob).map_err(|error| bad_geometry(self.table, id, error))
    }
}

/// Runs a query with parameters and maps every row.
pub(super) fn query_rows_with<T>(
    conn: &Db,
    table: &'static str,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    mut map: impl FnMut(&Cells<'_, '_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    conn.each_row(sql, params, |row| {
        out.push(map(&Cells { row, table })?);
        Ok::<_, StoreError>(())
    })
    .map_err(|error| match error {
        StoreError::Sql { source, .. } => StoreError::Sql { context: format!("reading {table}"), source },
        other => other,
    })?;
    Ok(out)
}

/// Runs a query without parameters and maps every row.
pub(super) fn query_rows<T>(
    conn: &Db,
    table: &'static str,
    sql: &str,
    map: impl FnMut(&Cells<'_, '_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    query_rows_with(conn, table, sql, &[], map)
}

pub(super) fn part_from_row(table: &'static str, row: &Row<'_>) -> Result<Part, StoreError> {
    let read = |error: rusqlite::Error| StoreError::Sql { context: format!("reading {table}"), source: error.into() };
    let fid: i64 = row.get(0).map_err(read)?;
    let blob = row.get_ref(1).map_err(read)?.as_blob().map_err(|error| bad_geometry(table, fid, error))?;
    let geometry = match geometry_from_blob(blob).map_err(|error| bad_geometry(table, fid, error))? {
        Geometry::Point(point) => PartGeometry::Point(point),
        Geometry::LineString(line) => PartGeometry::Line(line),
        Geometry::Polygon(polygon) => PartGeometry::Polygon(polygon),
        other => return Err(bad_geometry(table, fid, format!("unexpected {other:?}"))),
    };
    let code_text =
        row.get_ref(2).map_err(read)?.as_str().map_err(|error| StoreError::BadRow { table, row: fid, problem: error.to_string() })?;
    let code = PartCode::parse(code_text).map_err(|error| StoreError::BadRow { table, row: fid, problem: error.to_string() })?;
    let state = row.get_ref(7).map_err(read)?.as_str().unwrap_or_default();
    let source = row.get_ref(11).map_err(read)?.as_str().unwrap_or_default();
    let grid_code: Option<String> = row.get(8).map_err(read)?;
    Ok(Part {
        code,
        name: row.get(3).map_err(read)?,
        supervising_unit: row.get::<Option<i64>>(4).map_err(read)?.map(UnitId),
        owner_unit: row.get::<Option<i64>>(5).map_err(read)?.map(UnitId),
        maintainer_unit: row.get::<Option<i64>>(6).map_err(read)?.map(UnitId),
        state: keyword::<PartState>(table, fid, state)?,
        grid_code: grid_code.and_then(|text| text.parse().ok()),
        installed_on: parse_date(row.get(9).map_err(read)?),
        changed_on: parse_date(row.get(10).map_err(read)?),
        source: keyword::<PartSource>(table, fid, source)?,
        geometry,
    })
}

/// The columns [`case_from_cells`] reads, in its order.
pub(super) const CASE_COLUMNS: &str = "fid, geom, case_no, source, subject, class_code, urgency, part_code, grid_code, description, photos,
   reporter_contact, state, unit_id, reported_at, filed_at, dispatched_at, deadline_at, closed_at, close_type, rework_count, extended,
   revision, handled_at, limit_unit, paused_at, paused_minutes, pending_request, address, signed_at, arrived_at, state_since,
   urge_count, supervised_at, assisting,
   (SELECT max(r.told_at) FROM reporter_feedback r WHERE r.case_fid = cases.fid) AS replied_at,
   (SELECT min(l.system || ':' || l.external_id) FROM case_links l WHERE l.case_fid = cases.fid AND l.system <> 'open311') AS external_ref,
   (SELECT min(l.reply_due_at) FROM case_links l WHERE l.case_fid = cases.fid AND l.system <> 'open311') AS external_due";

pub(super) fn case_from_cells(cells: &Cells<'_, '_>) -> Result<Case, StoreError> {
    const TABLE: &str = "cases";
    let fid: i64 = cells.get(0)?;
    let Geometry::Point(location) = cells.geometry(1, fid)? else {
        return Err(bad_geometry(TABLE, fid, "not a point"));
    };
    let time = |index: usize| -> Result<Option<NaiveDateTime>, StoreError> {
        let text: Option<String> = cells.get(index)?;
        text.map(|text| {
            local_from_utc_text(&text).ok_or_else(|| StoreError::BadRow { table: TABLE, row: fid, problem: format!("bad time {text:?}") })
        })
        .transpose()
    };
    let photos: Vec<String> = serde_json::from_str(&cells.get::<String>(10)?).unwrap_or_default();
    let part_code: Option<String> = cells.get(7)?;
    let grid_code: Option<String> = cells.get(8)?;
    let close_type: Option<String> = cells.get(19)?;
    let due_at = time(37)?;
    let external = cells.get::<Option<String>>(36)?.and_then(|text| {
        let (system, id) = text.split_once(':')?;
        Some(crate::model::ExternalRef { system: system.to_owned(), id: id.to_owned(), due_at })
    });
    Ok(Case {
        id: fid,
        case_no: cells.get(2)?,
        source: cells.keyword(3, fid)?,
        subject: cells.keyword(4, fid)?,
        class_code: cells.get(5)?,
        urgency: cells.keyword(6, fid)?,
        location,
        part_code: part_code.and_then(|text| PartCode::parse(&text).ok()),
        grid_code: grid_code.and_then(|text| text.parse().ok()),
        description: cells.get(9)?,
        photos,
        reporter_contact: cells.get(11)?,
        state: cells.keyword(12, fid)?,
        unit: cells.get::<Option<i64>>(13)?.map(UnitId),
        reported_at: time(14)?.ok_or_else(|| StoreError::BadRow { table: TABLE, row: fid, problem: "no report time".into() })?,
        filed_at: time(15)?,
        dispatched_at: time(16)?,
        deadline_at: time(17)?,
        closed_at: time(18)?,
        close_type: close_type.map(|text| keyword(TABLE, fid, &text)).transpose()?,
        rework_count: cells.get(20)?,
        extended: cells.get(21)?,
        revision: cells.get(22)?,
        handled_at: time(23)?,
        limit_unit: cells.get::<Option<String>>(24)?.map(|_| cells.limit_unit(24, fid)).transpose()?,
        paused_at: time(25)?,
        paused_minutes: cells.get(26)?,
        pending_request: cells.get::<Option<String>>(27)?.map(|text| keyword(TABLE, fid, &text)).transpose()?,
        address: cells.get::<Option<String>>(28)?.unwrap_or_default(),
        signed_at: time(29)?,
        arrived_at: time(30)?,
        state_since: time(31)?,
        urge_count: cells.get(32)?,
        supervised_at: time(33)?,
        assisting: match cells.get::<Option<String>>(34)? {
            Some(json) => serde_json::from_str(&json).map_err(|error| StoreError::BadRow {
                table: TABLE,
                row: fid,
                problem: format!("assisting units: {error}"),
            })?,
            None => Vec::new(),
        },
        replied_at: time(35)?,
        external,
    })
}
