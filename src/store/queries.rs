//! Reads and writes of domain types. Times are held as China local wall time in memory and
//! stored as UTC ISO-8601 (`…Z`), as GeoPackage DATETIME columns require.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use geo::{Geometry, LineString, MultiPolygon};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::gpkg::{blob_from_geometry, geometry_from_blob};
use super::{SqlContext, Store, StoreError};
use crate::calendar::{HolidayTable, LimitUnit};
use crate::model::{
    Case, CommandManual, Jurisdiction, Keyword, MajorClass, ManualEntry, Part, PartCode, PartGeometry, TimeLimit, Unit, UnitClass, UnitId,
    manual::StageLimit,
    part::{PartSource, PartState},
};

/// China Standard Time is UTC+8 all year (no daylight saving).
const CHINA_OFFSET: TimeDelta = TimeDelta::hours(8);

/// Formats a China local time as a GeoPackage DATETIME (UTC).
#[must_use]
pub fn utc_text_from_local(local: NaiveDateTime) -> String {
    (local - CHINA_OFFSET).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses a GeoPackage DATETIME (UTC) into China local time.
#[must_use]
pub fn local_from_utc_text(text: &str) -> Option<NaiveDateTime> {
    let trimmed = text.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|utc| utc + CHINA_OFFSET)
}

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

fn keyword<K: Keyword>(table: &'static str, row: i64, text: &str) -> Result<K, StoreError> {
    K::from_keyword(text).ok_or_else(|| StoreError::BadRow { table, row, problem: format!("unknown value {text:?}") })
}

fn bad_geometry(table: &'static str, row: i64, problem: impl std::fmt::Display) -> StoreError {
    StoreError::BadRow { table, row, problem: format!("geometry: {problem}") }
}

const PART_TABLES: [(&str, crate::model::GeometryKind); 3] = [
    ("part_points", crate::model::GeometryKind::Point),
    ("part_lines", crate::model::GeometryKind::Line),
    ("part_polygons", crate::model::GeometryKind::Polygon),
];

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
                .prepare("INSERT OR REPLACE INTO calendar_days (date, is_off_day, name) VALUES (?1, ?2, ?3)")
                .context("preparing calendar insert")?;
            for (date, is_off_day, name) in data.holidays.entries() {
                statement.execute(params![date.format("%Y-%m-%d").to_string(), is_off_day, name]).context("inserting calendar day")?;
            }
            set_meta(tx, "district_code", district_code)?;
            set_meta(tx, "district_name", district_name)?;
            Ok(())
        })
    }

    /// A value from the `citygrid_meta` table.
    ///
    /// # Errors
    /// SQL errors.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT value FROM citygrid_meta WHERE key = ?1", [key], |row| row.get(0))
            .optional()
            .context(format!("reading meta {key}"))
    }

    /// All responsible units, by id.
    ///
    /// # Errors
    /// SQL errors or a row with an unknown class.
    pub fn load_units(&self) -> Result<Vec<Unit>, StoreError> {
        let mut statement = self
            .conn()
            .prepare("SELECT id, code, name_zh, name_en, class, parent_id, contact, phone FROM units ORDER BY id")
            .context("preparing units query")?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                ))
            })
            .context("reading units")?;
        let mut units = Vec::new();
        for row in rows {
            let (id, code, name_zh, name_en, class, parent, contact, phone) = row.context("reading a unit")?;
            units.push(Unit {
                id: UnitId(id),
                code,
                name_zh,
                name_en,
                class: keyword::<UnitClass>("units", id, &class)?,
                parent: parent.map(UnitId),
                contact,
                phone,
            });
        }
        Ok(units)
    }

    /// The command manual as currently edited in the database.
    ///
    /// # Errors
    /// SQL errors or rows with unknown keywords.
    pub fn load_manual(&self) -> Result<CommandManual, StoreError> {
        let conn = self.conn();
        let majors = conn
            .prepare("SELECT kind, code, name_zh, name_en FROM manual_major_classes ORDER BY kind DESC, code")
            .context("preparing major classes")?
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .context("reading major classes")?
            .collect::<Result<Vec<(String, String, String, String)>, _>>()
            .context("reading major classes")?;
        let major_classes = majors
            .into_iter()
            .map(|(kind, code, name_zh, name_en)| {
                Ok(MajorClass { kind: keyword("manual_major_classes", 0, &kind)?, code, name_zh, name_en })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut limits: BTreeMap<(String, String), Vec<TimeLimit>> = BTreeMap::new();
        let limit_rows = conn
            .prepare("SELECT id, kind, code, urgency, amount, unit FROM manual_limits ORDER BY id")
            .context("preparing limits")?
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, u32>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .context("reading limits")?
            .collect::<Result<Vec<(i64, String, String, String, u32, String)>, _>>()
            .context("reading limits")?;
        for (id, kind, code, urgency, amount, unit) in limit_rows {
            let unit = LimitUnit::parse(&unit).ok_or_else(|| StoreError::BadRow {
                table: "manual_limits",
                row: id,
                problem: format!("unknown unit {unit:?}"),
            })?;
            limits.entry((kind, code)).or_default().push(TimeLimit { urgency: keyword("manual_limits", id, &urgency)?, amount, unit });
        }
        let entry_rows = conn
            .prepare("SELECT id, kind, code, name_zh, name_en, geometry, default_unit, routing, filing_condition_zh, closing_condition_zh FROM manual_entries ORDER BY kind DESC, code")
            .context("preparing manual entries")?
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, String>(9)?,
                ))
            })
            .context("reading manual entries")?
            .collect::<Result<Vec<_>, _>>()
            .context("reading manual entries")?;
        let mut entries = Vec::with_capacity(entry_rows.len());
        for (id, kind, code, name_zh, name_en, geometry, default_unit, routing, filing_condition_zh, closing_condition_zh) in entry_rows {
            let limits = limits.remove(&(kind.clone(), code.clone())).unwrap_or_default();
            entries.push(ManualEntry {
                kind: keyword("manual_entries", id, &kind)?,
                code,
                name_zh,
                name_en,
                geometry: geometry.map(|text| keyword("manual_entries", id, &text)).transpose()?,
                default_unit,
                routing: keyword("manual_entries", id, &routing)?,
                filing_condition_zh,
                closing_condition_zh,
                limits,
            });
        }
        let stage_rows = conn
            .prepare("SELECT stage, urgency, amount, unit FROM stage_limits ORDER BY rowid")
            .context("preparing stage limits")?
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, u32>(2)?, row.get::<_, String>(3)?)))
            .context("reading stage limits")?
            .collect::<Result<Vec<_>, _>>()
            .context("reading stage limits")?;
        let stage_limits = stage_rows
            .into_iter()
            .map(|(stage, urgency, amount, unit)| {
                Ok(StageLimit {
                    stage: keyword("stage_limits", 0, &stage)?,
                    urgency: keyword("stage_limits", 0, &urgency)?,
                    amount,
                    unit: LimitUnit::parse(&unit).ok_or_else(|| StoreError::BadRow {
                        table: "stage_limits",
                        row: 0,
                        problem: format!("unknown unit {unit:?}"),
                    })?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let version = self.meta("manual_version")?.and_then(|text| text.parse().ok()).unwrap_or(1);
        let note = self.meta("manual_note")?.unwrap_or_default();
        Ok(CommandManual { version, note, major_classes, stage_limits, entries })
    }

    /// The holiday table stored in the database.
    ///
    /// # Errors
    /// SQL errors.
    pub fn load_holidays(&self) -> Result<HolidayTable, StoreError> {
        let mut statement =
            self.conn().prepare("SELECT date, is_off_day, name FROM calendar_days ORDER BY date").context("preparing calendar")?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?, row.get::<_, String>(2)?)))
            .context("reading calendar")?;
        let mut days = Vec::new();
        for row in rows {
            let (date, is_off_day, name) = row.context("reading a calendar day")?;
            if let Some(date) = parse_date(Some(date)) {
                days.push((date, is_off_day, name));
            }
        }
        Ok(HolidayTable::from_days(days))
    }

    /// Inserts parts into the table matching each one's geometry.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate part code; the caller's transaction then rolls back.
    pub fn insert_parts<'a>(tx: &Transaction<'_>, parts: impl IntoIterator<Item = &'a Part>) -> Result<usize, StoreError> {
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
        for part in parts {
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
        let Some(path) = self.path() else {
            let mut parts = Vec::new();
            for (table, _) in PART_TABLES {
                load_parts_from(self.conn(), table, &mut parts)?;
            }
            return Ok(parts);
        };
        std::thread::scope(|scope| {
            let points = std::thread::Builder::new()
                .name("citygrid-read-points".into())
                .spawn_scoped(scope, || {
                    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .context(format!("opening {} for reading", path.display()))?;
                    let mut points = Vec::new();
                    load_parts_from(&conn, PART_TABLES[0].0, &mut points)?;
                    Ok::<_, StoreError>(points)
                })
                .map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
            let mut others = Vec::new();
            for (table, _) in &PART_TABLES[1..] {
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
    pub fn insert_jurisdiction(tx: &Transaction<'_>, jurisdiction: &Jurisdiction) -> Result<i64, StoreError> {
        tx.prepare_cached(
            "INSERT INTO jurisdictions (geom, kind, code, name, owner_unit, parent_code, valid_from, valid_to, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .context("preparing jurisdiction insert")?
        .execute(params![
            blob_from_geometry(&Geometry::MultiPolygon(jurisdiction.geometry.clone())),
            jurisdiction.kind.keyword(),
            jurisdiction.code,
            jurisdiction.name,
            jurisdiction.owner_unit.map(|unit| unit.0),
            jurisdiction.parent_code,
            date_text(Some(jurisdiction.valid_from)),
            date_text(jurisdiction.valid_to),
            jurisdiction.source,
        ])
        .context(format!("inserting jurisdiction {}", jurisdiction.code))?;
        Ok(tx.last_insert_rowid())
    }

    /// Every jurisdiction of every kind and period, in insertion order.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_jurisdictions(&self) -> Result<Vec<Jurisdiction>, StoreError> {
        let mut statement = self
            .conn()
            .prepare(
                "SELECT fid, geom, kind, code, name, owner_unit, parent_code, valid_from, valid_to, source FROM jurisdictions ORDER BY fid",
            )
            .context("preparing jurisdictions query")?;
        let mut rows = statement.query([]).context("reading jurisdictions")?;
        let mut jurisdictions = Vec::new();
        while let Some(row) = rows.next().context("reading jurisdictions")? {
            let id: i64 = row.get(0).context("reading jurisdictions")?;
            let blob: Vec<u8> = row.get(1).context("reading jurisdictions")?;
            let geometry = match geometry_from_blob(&blob).map_err(|error| bad_geometry("jurisdictions", id, error))? {
                Geometry::MultiPolygon(multi) => multi,
                Geometry::Polygon(polygon) => MultiPolygon(vec![polygon]),
                _ => return Err(bad_geometry("jurisdictions", id, "not a polygon")),
            };
            let kind: String = row.get(2).context("reading jurisdictions")?;
            let valid_from = parse_date(row.get(7).context("reading jurisdictions")?).ok_or_else(|| StoreError::BadRow {
                table: "jurisdictions",
                row: id,
                problem: "valid_from is not a date".into(),
            })?;
            jurisdictions.push(Jurisdiction {
                id,
                kind: keyword("jurisdictions", id, &kind)?,
                code: row.get(3).context("reading jurisdictions")?,
                name: row.get(4).context("reading jurisdictions")?,
                owner_unit: row.get::<_, Option<i64>>(5).context("reading jurisdictions")?.map(UnitId),
                parent_code: row.get(6).context("reading jurisdictions")?,
                valid_from,
                valid_to: parse_date(row.get(8).context("reading jurisdictions")?),
                source: row.get(9).context("reading jurisdictions")?,
                geometry,
            });
        }
        Ok(jurisdictions)
    }

    /// Inserts a street centre line.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_street(tx: &Transaction<'_>, street: &StreetRecord) -> Result<(), StoreError> {
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
        let mut statement =
            self.conn().prepare("SELECT fid, geom, name, class FROM streets ORDER BY fid").context("preparing streets query")?;
        let mut rows = statement.query([]).context("reading streets")?;
        let mut streets = Vec::new();
        while let Some(row) = rows.next().context("reading streets")? {
            let id: i64 = row.get(0).context("reading streets")?;
            let blob: Vec<u8> = row.get(1).context("reading streets")?;
            let Geometry::LineString(line) = geometry_from_blob(&blob).map_err(|error| bad_geometry("streets", id, error))? else {
                return Err(bad_geometry("streets", id, "not a line"));
            };
            streets.push(StreetRecord {
                name: row.get(2).context("reading streets")?,
                class: row.get(3).context("reading streets")?,
                line,
            });
        }
        Ok(streets)
    }

    /// Inserts a case; returns its fid.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate case number.
    pub fn insert_case(tx: &Transaction<'_>, case: &Case) -> Result<i64, StoreError> {
        tx.prepare_cached(
            "INSERT INTO cases (geom, case_no, source, subject, class_code, urgency, part_code, grid_code, description, photos,
               reporter_contact, state, unit_id, reported_at, filed_at, dispatched_at, deadline_at, closed_at, close_type, rework_count, extended)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
        )
        .context("preparing case insert")?
        .execute(params![
            blob_from_geometry(&Geometry::Point(case.location)),
            case.case_no,
            case.source.keyword(),
            case.subject.keyword(),
            case.class_code,
            case.urgency.keyword(),
            case.part_code.map(|code| code.to_string()),
            case.grid_code.map(|code| code.to_string()),
            case.description,
            serde_json::to_string(&case.photos).unwrap_or_else(|_| "[]".into()),
            case.reporter_contact,
            case.state.keyword(),
            case.unit.map(|unit| unit.0),
            utc_text_from_local(case.reported_at),
            case.filed_at.map(utc_text_from_local),
            case.dispatched_at.map(utc_text_from_local),
            case.deadline_at.map(utc_text_from_local),
            case.closed_at.map(utc_text_from_local),
            case.close_type.map(Keyword::keyword),
            case.rework_count,
            case.extended,
        ])
        .context(format!("inserting case {}", case.case_no))?;
        Ok(tx.last_insert_rowid())
    }

    /// Appends an audit-trail entry for a case.
    ///
    /// # Errors
    /// SQL errors.
    pub fn insert_case_event(
        tx: &Transaction<'_>,
        case_fid: i64,
        at: NaiveDateTime,
        actor_user_id: Option<i64>,
        action: &str,
        from_state: Option<&str>,
        to_state: &str,
    ) -> Result<(), StoreError> {
        tx.prepare_cached(
            "INSERT INTO case_events (case_fid, at, actor_user_id, action, from_state, to_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .context("preparing audit insert")?
        .execute(params![case_fid, utc_text_from_local(at), actor_user_id, action, from_state, to_state])
        .context("inserting audit entry")?;
        Ok(())
    }

    /// Every case, newest report first.
    ///
    /// # Errors
    /// SQL errors or an undecodable row.
    pub fn load_cases(&self) -> Result<Vec<Case>, StoreError> {
        let mut statement = self
            .conn()
            .prepare(
                "SELECT fid, geom, case_no, source, subject, class_code, urgency, part_code, grid_code, description, photos,
                   reporter_contact, state, unit_id, reported_at, filed_at, dispatched_at, deadline_at, closed_at, close_type, rework_count, extended
                 FROM cases ORDER BY reported_at DESC, fid DESC",
            )
            .context("preparing cases query")?;
        let mut rows = statement.query([]).context("reading cases")?;
        let mut cases = Vec::new();
        while let Some(row) = rows.next().context("reading cases")? {
            cases.push(case_from_row(row)?);
        }
        Ok(cases)
    }

    /// Feature or row count of every layer registered in `gpkg_contents`, sorted by table name.
    ///
    /// # Errors
    /// SQL errors.
    pub fn layer_counts(&self) -> Result<Vec<LayerCount>, StoreError> {
        let tables: Vec<String> = self
            .conn()
            .prepare("SELECT table_name FROM gpkg_contents ORDER BY table_name")
            .context("listing layers")?
            .query_map([], |row| row.get(0))
            .context("listing layers")?
            .collect::<Result<_, _>>()
            .context("listing layers")?;
        tables
            .into_iter()
            .map(|table| {
                let count = self
                    .conn()
                    .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| row.get(0))
                    .context(format!("counting {table}"))?;
                Ok(LayerCount { table, count })
            })
            .collect()
    }

    /// Updates the layer extents after a bulk write.
    ///
    /// # Errors
    /// SQL errors.
    pub fn refresh_extents(&mut self) -> Result<(), StoreError> {
        self.write(|tx| super::gpkg::refresh_extents(tx).context("refreshing layer extents"))
    }
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO citygrid_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .context(format!("writing meta {key}"))?;
    Ok(())
}

fn insert_units(tx: &Transaction<'_>, units: &[UnitSeed]) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare("INSERT INTO units (code, name_zh, name_en, class, contact, phone) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .context("preparing unit insert")?;
    for unit in units {
        insert
            .execute(params![unit.code, unit.name_zh, unit.name_en, unit.class.to_string(), unit.contact, unit.phone])
            .context(format!("inserting unit {}", unit.code))?;
    }
    let mut parent =
        tx.prepare("UPDATE units SET parent_id = (SELECT id FROM units WHERE code = ?2) WHERE code = ?1").context("preparing parents")?;
    for unit in units {
        if let Some(parent_code) = &unit.parent {
            let parent_exists: bool = tx
                .query_row("SELECT count(*) FROM units WHERE code = ?1", [parent_code], |row| row.get::<_, i64>(0))
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

fn insert_manual(tx: &Transaction<'_>, manual: &CommandManual) -> Result<(), StoreError> {
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
    for limit in &manual.stage_limits {
        tx.execute(
            "INSERT INTO stage_limits (stage, urgency, amount, unit) VALUES (?1, ?2, ?3, ?4)",
            params![limit.stage.keyword(), limit.urgency.keyword(), limit.amount, limit.unit.as_str()],
        )
        .context("inserting stage limit")?;
    }
    Ok(())
}

fn load_parts_from(conn: &rusqlite::Connection, table: &'static str, parts: &mut Vec<Part>) -> Result<(), StoreError> {
    let count: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).context(format!("counting {table}"))?;
    parts.reserve(usize::try_from(count).unwrap_or(0));
    let mut statement = conn
        .prepare(&format!(
            "SELECT fid, geom, code, name, supervising_unit, owner_unit, maintainer_unit, state, grid_code, installed_on, changed_on, source FROM {table} ORDER BY fid"
        ))
        .context(format!("preparing {table} query"))?;
    let mut rows = statement.query([]).context(format!("reading {table}"))?;
    while let Some(row) = rows.next().context(format!("reading {table}"))? {
        parts.push(part_from_row(table, row)?);
    }
    Ok(())
}

fn part_from_row(table: &'static str, row: &Row<'_>) -> Result<Part, StoreError> {
    let read = |error| StoreError::Sql { context: format!("reading {table}"), source: error };
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
        supervising_unit: row.get::<_, Option<i64>>(4).map_err(read)?.map(UnitId),
        owner_unit: row.get::<_, Option<i64>>(5).map_err(read)?.map(UnitId),
        maintainer_unit: row.get::<_, Option<i64>>(6).map_err(read)?.map(UnitId),
        state: keyword::<PartState>(table, fid, state)?,
        grid_code: grid_code.and_then(|text| text.parse().ok()),
        installed_on: parse_date(row.get(9).map_err(read)?),
        changed_on: parse_date(row.get(10).map_err(read)?),
        source: keyword::<PartSource>(table, fid, source)?,
        geometry,
    })
}

fn case_from_row(row: &Row<'_>) -> Result<Case, StoreError> {
    const TABLE: &str = "cases";
    let read = |error| StoreError::Sql { context: "reading cases".into(), source: error };
    let fid: i64 = row.get(0).map_err(read)?;
    let blob: Vec<u8> = row.get(1).map_err(read)?;
    let Geometry::Point(location) = geometry_from_blob(&blob).map_err(|error| bad_geometry(TABLE, fid, error))? else {
        return Err(bad_geometry(TABLE, fid, "not a point"));
    };
    let time = |index: usize| -> Result<Option<NaiveDateTime>, StoreError> {
        let text: Option<String> = row.get(index).map_err(read)?;
        text.map(|text| {
            local_from_utc_text(&text).ok_or_else(|| StoreError::BadRow { table: TABLE, row: fid, problem: format!("bad time {text:?}") })
        })
        .transpose()
    };
    let text = |index: usize| -> Result<String, StoreError> { row.get(index).map_err(read) };
    let photos: Vec<String> = serde_json::from_str(&text(10)?).unwrap_or_default();
    let part_code: Option<String> = row.get(7).map_err(read)?;
    let grid_code: Option<String> = row.get(8).map_err(read)?;
    let close_type: Option<String> = row.get(19).map_err(read)?;
    Ok(Case {
        id: fid,
        case_no: text(2)?,
        source: keyword(TABLE, fid, &text(3)?)?,
        subject: keyword(TABLE, fid, &text(4)?)?,
        class_code: text(5)?,
        urgency: keyword(TABLE, fid, &text(6)?)?,
        location,
        part_code: part_code.and_then(|text| PartCode::parse(&text).ok()),
        grid_code: grid_code.and_then(|text| text.parse().ok()),
        description: text(9)?,
        photos,
        reporter_contact: row.get(11).map_err(read)?,
        state: keyword(TABLE, fid, &text(12)?)?,
        unit: row.get::<_, Option<i64>>(13).map_err(read)?.map(UnitId),
        reported_at: time(14)?.ok_or_else(|| StoreError::BadRow { table: TABLE, row: fid, problem: "no report time".into() })?,
        filed_at: time(15)?,
        dispatched_at: time(16)?,
        deadline_at: time(17)?,
        closed_at: time(18)?,
        close_type: close_type.map(|text| keyword(TABLE, fid, &text)).transpose()?,
        rework_count: row.get(20).map_err(read)?,
        extended: row.get(21).map_err(read)?,
    })
}

impl Store {
    /// Adds a local user account (no password yet); returns its id.
    ///
    /// # Errors
    /// SQL errors, e.g. a duplicate login.
    pub fn insert_user(
        tx: &Transaction<'_>,
        login: &str,
        display_name: &str,
        role: crate::model::Role,
        unit: Option<UnitId>,
    ) -> Result<i64, StoreError> {
        tx.execute(
            "INSERT INTO users (login, display_name, role, unit_id) VALUES (?1, ?2, ?3, ?4)",
            params![login, display_name, role.keyword(), unit.map(|unit| unit.0)],
        )
        .context(format!("inserting user {login}"))?;
        Ok(tx.last_insert_rowid())
    }

    /// Every user account, by id.
    ///
    /// # Errors
    /// SQL errors or an unknown role.
    pub fn load_users(&self) -> Result<Vec<crate::model::User>, StoreError> {
        let mut statement =
            self.conn().prepare("SELECT id, login, display_name, role, unit_id FROM users ORDER BY id").context("preparing users query")?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                ))
            })
            .context("reading users")?;
        let mut users = Vec::new();
        for row in rows {
            let (id, login, display_name, role, unit) = row.context("reading a user")?;
            users.push(crate::model::User { id, login, display_name, role: keyword("users", id, &role)?, unit: unit.map(UnitId) });
        }
        Ok(users)
    }

    /// Moves everything from the write-ahead log into the main file, so the file alone is complete.
    ///
    /// # Errors
    /// SQL errors.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).context("checkpointing the write-ahead log")
    }
}
