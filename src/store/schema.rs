//! The database schema as forward migrations. Migration `n` takes schema version `n - 1` to `n`;
//! a released migration is never edited, only followed by a new one.

use super::sql::{Db, SqlError};

use super::gpkg;

/// The schema version this build writes and understands.
pub const CURRENT_VERSION: u32 = 10;

/// Feature layers: (table, geometry type, description).
pub const FEATURE_TABLES: &[(&str, &str, &str)] = &[
    ("part_points", "POINT", "City parts with point geometry (部件: covers, lamps, trees, bins…)"),
    ("part_lines", "LINESTRING", "City parts with line geometry (部件: pipes, guardrails…)"),
    ("part_polygons", "POLYGON", "City parts with polygon geometry (部件: green spaces, car parks…)"),
    ("jurisdictions", "MULTIPOLYGON", "Jurisdictions: district, township, community, grid cell, unit zone"),
    ("cases", "POINT", "Cases (案卷) at their reported location; times are UTC"),
    ("streets", "LINESTRING", "Street centre lines (schematic in the demo district)"),
];

/// Ordinary tables registered as attribute layers: (table, description).
pub const ATTRIBUTE_TABLES: &[(&str, &str)] = &[
    ("units", "Responsible units (责任单位)"),
    ("manual_entries", "Command manual classes (指挥手册)"),
    ("manual_limits", "Command manual handling time limits per urgency"),
    ("case_events", "Audit trail of every case transition"),
];

/// Tables migration 4 takes out of `gpkg_contents`: the audit trail is read through citygrid
/// (`audit verify`, the timeline, the assessment), never offered to GIS tools as a layer to edit.
pub const UNLISTED_TABLES: &[&str] = &["case_events"];

const PART_COLUMNS: &str = "
  code TEXT NOT NULL UNIQUE CHECK (length(code) = 16),
  class_code TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  supervising_unit INTEGER REFERENCES units(id),
  owner_unit INTEGER REFERENCES units(id),
  maintainer_unit INTEGER REFERENCES units(id),
  state TEXT NOT NULL,
  grid_code TEXT,
  installed_on DATE,
  changed_on DATE,
  source TEXT NOT NULL";

/// The file's connection: a migration of the GeoPackage schema runs only on a file.
fn lite(conn: &Db) -> Result<&rusqlite::Connection, SqlError> {
    conn.lite().ok_or_else(|| SqlError::Lite(rusqlite::Error::InvalidQuery))
}

fn migration_1(conn: &Db) -> Result<(), SqlError> {
    conn.execute_batch(gpkg::CORE_TABLES_SQL)?;
    conn.execute_batch(&format!(
        "
CREATE TABLE citygrid_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE units (
  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name_zh TEXT NOT NULL, name_en TEXT NOT NULL,
  class TEXT NOT NULL CHECK (class IN ('1','2','3')), parent_id INTEGER REFERENCES units(id),
  contact TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '');
CREATE TABLE manual_major_classes (
  kind TEXT NOT NULL, code TEXT NOT NULL, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, PRIMARY KEY (kind, code));
CREATE TABLE manual_entries (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('part','event')), code TEXT NOT NULL,
  name_zh TEXT NOT NULL, name_en TEXT NOT NULL, geometry TEXT, default_unit TEXT NOT NULL REFERENCES units(code),
  routing TEXT NOT NULL, filing_condition_zh TEXT NOT NULL, closing_condition_zh TEXT NOT NULL,
  UNIQUE (kind, code));
CREATE TABLE manual_limits (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, code TEXT NOT NULL, urgency TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  UNIQUE (kind, code, urgency), FOREIGN KEY (kind, code) REFERENCES manual_entries(kind, code) ON DELETE CASCADE);
CREATE TABLE stage_limits (
  stage TEXT NOT NULL, urgency TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  PRIMARY KEY (stage, urgency));
CREATE TABLE calendar_days (date DATE PRIMARY KEY, is_off_day BOOLEAN NOT NULL, name TEXT NOT NULL);
CREATE TABLE users (
  id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, role TEXT NOT NULL,
  unit_id INTEGER REFERENCES units(id), password_hash TEXT);
CREATE TABLE part_points (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT NOT NULL, {PART_COLUMNS});
CREATE TABLE part_lines (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom LINESTRING NOT NULL, {PART_COLUMNS});
CREATE TABLE part_polygons (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON NOT NULL, {PART_COLUMNS});
CREATE TABLE jurisdictions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,
  name TEXT NOT NULL, owner_unit INTEGER REFERENCES units(id), parent_code TEXT,
  valid_from DATE NOT NULL, valid_to DATE, source TEXT NOT NULL);
CREATE INDEX jurisdictions_kind_code ON jurisdictions(kind, code);
CREATE TABLE streets (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom LINESTRING NOT NULL, name TEXT NOT NULL, class TEXT NOT NULL);
CREATE TABLE cases (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT NOT NULL, case_no TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL, subject TEXT NOT NULL, class_code TEXT NOT NULL, urgency TEXT NOT NULL,
  part_code TEXT, grid_code TEXT, description TEXT NOT NULL, photos TEXT NOT NULL DEFAULT '[]',
  reporter_contact TEXT, state TEXT NOT NULL, unit_id INTEGER REFERENCES units(id),
  reported_at DATETIME NOT NULL, filed_at DATETIME, dispatched_at DATETIME, deadline_at DATETIME,
  closed_at DATETIME, close_type TEXT, rework_count INTEGER NOT NULL DEFAULT 0,
  extended BOOLEAN NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 1);
CREATE INDEX cases_state ON cases(state);
CREATE TABLE case_events (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid), at DATETIME NOT NULL,
  actor_user_id INTEGER REFERENCES users(id), action TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{{}}');
CREATE INDEX case_events_case ON case_events(case_fid);
"
    ))?;
    for (table, geometry_type, description) in FEATURE_TABLES {
        gpkg::register_feature_table(lite(conn)?, table, geometry_type, description)?;
    }
    for (table, description) in ATTRIBUTE_TABLES {
        gpkg::register_attribute_table(lite(conn)?, table, description)?;
    }
    Ok(())
}

/// Attribute layers added by migration 2 (the workflow's side tables): (table, description).
pub const WORKFLOW_ATTRIBUTE_TABLES: &[(&str, &str)] = &[
    ("case_requests", "Extension, deferral, backlog and cancellation requests with their decisions (延期/缓办/挂账/作废)"),
    ("case_pauses", "Periods in which a case's clock was paused (缓办 deferral, 挂账 backlog)"),
    ("backlog_ledger", "Backlog ledger (挂账问题库, Art. 18), reported to the committee"),
    ("reporter_feedback", "When and how reporters were told the result (Art. 21)"),
];

/// The case workflow: clock and request state on `cases`, and the side tables for requests,
/// pauses, the backlog ledger and reporter feedback. Times are UTC like every DATETIME.
fn migration_2(conn: &Db) -> Result<(), SqlError> {
    conn.execute_batch(
        "
ALTER TABLE cases ADD COLUMN handled_at DATETIME;
ALTER TABLE cases ADD COLUMN limit_unit TEXT;
ALTER TABLE cases ADD COLUMN paused_at DATETIME;
ALTER TABLE cases ADD COLUMN paused_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN pending_request TEXT;
CREATE TABLE case_requests (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid),
  kind TEXT NOT NULL CHECK (kind IN ('cancel','extension','deferral','backlog')),
  requested_at DATETIME NOT NULL, requested_by INTEGER REFERENCES users(id), reason TEXT NOT NULL,
  extension_amount INTEGER, extension_unit TEXT,
  decision TEXT CHECK (decision IN ('approved','denied','lapsed')), decided_at DATETIME,
  decided_by INTEGER REFERENCES users(id), decision_note TEXT NOT NULL DEFAULT '');
CREATE INDEX case_requests_case ON case_requests(case_fid);
CREATE UNIQUE INDEX case_requests_one_pending ON case_requests(case_fid) WHERE decision IS NULL;
CREATE TABLE case_pauses (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid),
  kind TEXT NOT NULL CHECK (kind IN ('deferral','backlog')), paused_at DATETIME NOT NULL,
  resumed_at DATETIME, paused_minutes INTEGER, limit_unit TEXT);
CREATE INDEX case_pauses_case ON case_pauses(case_fid);
CREATE TABLE backlog_ledger (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid), case_no TEXT NOT NULL,
  class_code TEXT NOT NULL, unit_id INTEGER REFERENCES units(id), reason TEXT NOT NULL,
  entered_at DATETIME NOT NULL, entered_by INTEGER REFERENCES users(id),
  ended_at DATETIME, ended_by INTEGER REFERENCES users(id),
  ended_how TEXT CHECK (ended_how IN ('restored','closed')), end_note TEXT NOT NULL DEFAULT '');
CREATE INDEX backlog_ledger_case ON backlog_ledger(case_fid);
CREATE TABLE reporter_feedback (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid), told_at DATETIME NOT NULL,
  channel TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', recorded_at DATETIME NOT NULL,
  recorded_by INTEGER REFERENCES users(id));
CREATE INDEX reporter_feedback_case ON reporter_feedback(case_fid);
",
    )?;
    for (table, description) in WORKFLOW_ATTRIBUTE_TABLES {
        gpkg::register_attribute_table(lite(conn)?, table, description)?;
    }
    Ok(())
}

/// Attribute layers added by migration 3 (responsibility disputes): (table, description).
pub const DISPUTE_ATTRIBUTE_TABLES: &[(&str, &str)] = &[
    ("disputes", "Responsibility disputes (责任争议, Art. 18–19) and the committee's decisions"),
    ("dispute_statements", "Each unit's statement in a responsibility dispute"),
    ("dispute_site_checks", "On-site confirmations (现场确认) organised by the centre; location in WGS84 lon/lat"),
];

/// The feature layer added by migration 3: (table, geometry type, description).
pub const PRECEDENT_FEATURE_TABLE: (&str, &str, &str) = (
    "routing_precedents",
    "POLYGON",
    "Routing precedents set by committee decisions (裁定先例): later cases here go to the designated unit; a circle is stored as a 64-gon with its centre and radius",
);

/// Responsibility disputes: the dispute with the committee's decision, the units' statements,
/// the on-site confirmations, and the precedents decisions set as a feature layer (a polygon,
/// or a circle kept exactly as centre + radius and drawn as a 64-gon). One open dispute per
/// case at a time. Times are UTC like every DATETIME; JSON arrays hold unit ids and photos.
fn migration_3(conn: &Db) -> Result<(), SqlError> {
    conn.execute_batch(
        "
CREATE TABLE disputes (
  id INTEGER PRIMARY KEY, case_fid INTEGER NOT NULL REFERENCES cases(fid),
  opened_at DATETIME NOT NULL, opened_by INTEGER REFERENCES users(id),
  origin TEXT NOT NULL CHECK (origin IN ('return','centre')), summary TEXT NOT NULL DEFAULT '',
  units_involved TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','decided','withdrawn')),
  art19_rule TEXT CHECK (art19_rule IN ('policy_or_boundary','emergency_first','local_office','enforcement')),
  decided_at DATETIME, decided_by INTEGER REFERENCES users(id), designated_unit_id INTEGER REFERENCES units(id),
  reasoning TEXT NOT NULL DEFAULT '',
  withdrawn_at DATETIME, withdrawn_by INTEGER REFERENCES users(id), withdraw_reason TEXT NOT NULL DEFAULT '',
  CHECK (state <> 'decided' OR (decided_at IS NOT NULL AND designated_unit_id IS NOT NULL AND art19_rule IS NOT NULL)));
CREATE INDEX disputes_case ON disputes(case_fid);
CREATE UNIQUE INDEX disputes_one_open ON disputes(case_fid) WHERE state = 'open';
CREATE TABLE dispute_statements (
  id INTEGER PRIMARY KEY, dispute_id INTEGER NOT NULL REFERENCES disputes(id),
  unit_id INTEGER NOT NULL REFERENCES units(id), at DATETIME NOT NULL, by_user INTEGER REFERENCES users(id),
  text TEXT NOT NULL, photos TEXT NOT NULL DEFAULT '[]');
CREATE INDEX dispute_statements_dispute ON dispute_statements(dispute_id);
CREATE TABLE dispute_site_checks (
  id INTEGER PRIMARY KEY, dispute_id INTEGER NOT NULL REFERENCES disputes(id), checked_on DATE NOT NULL,
  units_present TEXT NOT NULL DEFAULT '[]', lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
  photos TEXT NOT NULL DEFAULT '[]', notes TEXT NOT NULL DEFAULT '',
  by_user INTEGER REFERENCES users(id), at DATETIME NOT NULL);
CREATE INDEX dispute_site_checks_dispute ON dispute_site_checks(dispute_id);
CREATE TABLE routing_precedents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON NOT NULL,
  centre_lon DOUBLE, centre_lat DOUBLE, radius_m DOUBLE CHECK (radius_m IS NULL OR radius_m > 0),
  class_kind TEXT CHECK (class_kind IN ('part','event')), class_code TEXT,
  unit_id INTEGER NOT NULL REFERENCES units(id), dispute_id INTEGER NOT NULL REFERENCES disputes(id),
  decided_on DATE NOT NULL, valid_from DATE NOT NULL, valid_to DATE, note TEXT NOT NULL DEFAULT '',
  CHECK ((class_kind IS NULL) = (class_code IS NULL)),
  CHECK ((radius_m IS NULL) = (centre_lon IS NULL) AND (centre_lon IS NULL) = (centre_lat IS NULL)));
CREATE INDEX routing_precedents_dispute ON routing_precedents(dispute_id);
",
    )?;
    for (table, description) in DISPUTE_ATTRIBUTE_TABLES {
        gpkg::register_attribute_table(lite(conn)?, table, description)?;
    }
    let (table, geometry_type, description) = PRECEDENT_FEATURE_TABLE;
    gpkg::register_feature_table(lite(conn)?, table, geometry_type, description)?;
    Ok(())
}

/// The tamper-evident audit trail (see `store::chain`): case entries get `prev_hash`, `hash`
/// and `case_digest`, existing entries are sealed in order; `admin_events` holds accounts,
/// weights, imports, reference data and migrations; triggers make both append-only and forbid
/// deleting a case; the trail is no longer listed as a GeoPackage layer. Accounts can be
/// disabled, can be made to change their password at the next sign-in, and carry an epoch that
/// every change of role, unit, password or state raises, ending the sessions signed in before.
fn migration_4(conn: &Db) -> Result<(), SqlError> {
    conn.execute_batch(
        "
ALTER TABLE case_events ADD COLUMN case_digest TEXT;
ALTER TABLE case_events ADD COLUMN prev_hash TEXT;
ALTER TABLE case_events ADD COLUMN hash TEXT;
CREATE TABLE admin_events (
  id INTEGER PRIMARY KEY, at DATETIME NOT NULL, actor_user_id INTEGER REFERENCES users(id),
  action TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
ALTER TABLE users ADD COLUMN disabled_at DATETIME;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN auth_epoch INTEGER NOT NULL DEFAULT 0;
",
    )?;
    let sealed = super::chain::seal_existing_entries(conn)?;
    conn.execute_batch(&super::chain::triggers_sql())?;
    for table in UNLISTED_TABLES {
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?1", rusqlite::params![table])?;
    }
    let mut data = serde_json::json!({ "to_version": 4, "case_entries_sealed": sealed, "sealed": {} });
    for (group, _) in super::chain::SEALED_GROUPS {
        data["sealed"][group] = serde_json::Value::String(super::chain::group_digest(conn, group)?);
    }
    let event = super::chain::AdminEvent {
        at: crate::calendar::china_now(),
        actor_user_id: None,
        action: "migration",
        subject: "schema 4",
        data: &data,
    };
    super::chain::append_admin_entry(conn, &event)?;
    Ok(())
}

/// The rules of issue 16: units get their enforcement powers (执法权, which routing respects);
/// cases get an address, the times of 签收 (signed for) and 到场 (on site), the time they entered
/// their state (the stage clocks of filing, dispatch, verification and close), and the centre's
/// 催办 (urging, counted) and 督办 (supervision); the stage limits of signing, arriving and
/// returning are added from the shipped manual where the file has none. Units named in the
/// shipped unit list as holding enforcement powers get them. The reference data is sealed again
/// only if it was intact before: an edit made around citygrid still shows after the upgrade.
fn migration_5(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(
        "
ALTER TABLE units ADD COLUMN enforcement BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN address TEXT;
ALTER TABLE cases ADD COLUMN signed_at DATETIME;
ALTER TABLE cases ADD COLUMN arrived_at DATETIME;
ALTER TABLE cases ADD COLUMN state_since DATETIME;
ALTER TABLE cases ADD COLUMN urge_count INTEGER NOT NULL DEFAULT 0 CHECK (urge_count >= 0);
ALTER TABLE cases ADD COLUMN supervised_at DATETIME;
",
    )?;
    let shipped =
        super::ReferenceData::embedded().map_err(|error| SqlError::Lite(rusqlite::Error::UserFunctionError(error.to_string().into())))?;
    let mut powers = 0;
    for unit in shipped.units.iter().filter(|unit| unit.enforcement) {
        powers += conn.execute("UPDATE units SET enforcement = 1 WHERE code = ?1", rusqlite::params![unit.code])?;
    }
    use crate::model::manual::Stage;
    let limits = add_shipped_stage_limits(conn, &[Stage::Sign, Stage::Arrive, Stage::Return])?;
    let data = serde_json::json!({ "to_version": 5, "units_with_enforcement_powers": powers, "stage_limits_added": limits, "sealed": {} });
    record_migration(conn, "schema 5", data, &intact)
}

/// The sealed groups of reference data whose latest seal matches their content: the ones a
/// migration may seal again after changing them (an edit made around citygrid still shows).
fn intact_groups(conn: &Db) -> Result<Vec<&'static str>, SqlError> {
    use super::chain::{SEALED_GROUPS, group_digest, latest_seal};
    let mut intact = Vec::new();
    for (group, _) in SEALED_GROUPS {
        if latest_seal(conn, group)?.is_some_and(|seal| seal == group_digest(conn, group).unwrap_or_default()) {
            intact.push(group);
        }
    }
    Ok(intact)
}

/// Appends the migration's administrative entry, sealing again the `intact` groups.
fn record_migration(conn: &Db, subject: &str, mut data: serde_json::Value, intact: &[&'static str]) -> Result<(), SqlError> {
    use super::chain::{AdminEvent, append_admin_entry, group_digest};
    for group in intact {
        data["sealed"][*group] = serde_json::Value::String(group_digest(conn, group)?);
    }
    let event = AdminEvent { at: crate::calendar::china_now(), actor_user_id: None, action: "migration", subject, data: &data };
    append_admin_entry(conn, &event)?;
    Ok(())
}

/// Stage limits a migration adds from the shipped manual to a file that has stage limits (a new
/// file gets every one when it is seeded, after the migrations). Returns how many it added.
fn add_shipped_stage_limits(conn: &Db, stages: &[crate::model::manual::Stage]) -> Result<usize, SqlError> {
    use crate::model::Keyword as _;
    let shipped =
        super::ReferenceData::embedded().map_err(|error| SqlError::Lite(rusqlite::Error::UserFunctionError(error.to_string().into())))?;
    let seeded: i64 = conn.query_row("SELECT count(*) FROM stage_limits", &[], |row| row.get(0))?;
    let mut added = 0;
    for limit in shipped.manual.stage_limits.iter().filter(|limit| seeded > 0 && stages.contains(&limit.stage)) {
        added += conn.execute(
            "INSERT OR IGNORE INTO stage_limits (stage, urgency, amount, unit) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![limit.stage.keyword(), limit.urgency.keyword(), limit.amount, limit.unit.as_str()],
        )?;
    }
    Ok(added)
}

/// 主办/协办 and 回访: cases get their assisting units (协办, Art. 18; a JSON array of unit
/// ids with the time each reported its part done, NULL when none), the reporter's satisfaction
/// is kept with each reply (Art. 21), and the reply gets its stage limit (from the close).
/// The reference data is sealed again only if it was intact before.
fn migration_6(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(
        "
ALTER TABLE cases ADD COLUMN assisting TEXT;
ALTER TABLE reporter_feedback ADD COLUMN satisfaction TEXT CHECK (satisfaction IS NULL OR satisfaction IN ('satisfied','fair','dissatisfied'));
",
    )?;
    let limits = add_shipped_stage_limits(conn, &[crate::model::manual::Stage::Reply])?;
    let data = serde_json::json!({ "to_version": 6, "stage_limits_added": limits, "sealed": {} });
    record_migration(conn, "schema 6", data, &intact)
}

/// `citygrid serve`: the terminals' sessions (a token's SHA-256, never the token, with the
/// account's epoch at sign-in and the expiry) and the writes terminals made, by the id the
/// device gave each (a retried request gets the answer kept here instead of a second write).
fn migration_7(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(
        "
CREATE TABLE terminal_sessions (
  token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), epoch INTEGER NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL, ended_at TEXT, client TEXT NOT NULL DEFAULT '');
CREATE TABLE terminal_requests (
  request_id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), at TEXT NOT NULL,
  kind TEXT NOT NULL, response TEXT NOT NULL);
",
    )?;
    record_migration(conn, "schema 7", serde_json::json!({ "to_version": 7, "sealed": {} }), &intact)
}

/// Cases in and out (issue 19): the clients of other systems with the SHA-256 of each one's API
/// key and the account it writes as (Open311 apps, the city platform, the 12345 hotline), the
/// mapping of their class codes to the command manual's (an administrator edits it; Open311's
/// service codes start as every class of the manual), each case's link to the other system
/// (its number there, the caller's contact and the reply owed), the messages received from them
/// by their id (each applied once), and the outbox: a trigger queues every audit entry of a case
/// linked to the city platform (and the filing, close and reply of a 12345 ticket) in the entry's
/// own transaction, whoever wrote it, for `citygrid serve` to deliver in order.
fn migration_8(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(EXCHANGE_TABLES)?;
    conn.execute(SEED_OPEN311_SERVICES, &[])?;
    record_migration(conn, "schema 8", serde_json::json!({ "to_version": 8, "sealed": {} }), &intact)
}

/// The tables of migration 8 (the server's schema 9 has the same).
const EXCHANGE_TABLES: &str = "
CREATE TABLE interface_clients (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('open311', 'city', 'hotline')),
  key_hash TEXT NOT NULL UNIQUE, user_id INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE class_code_map (
  system TEXT NOT NULL, external_code TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('part', 'event')),
  class_code TEXT NOT NULL, PRIMARY KEY (system, external_code));
CREATE TABLE case_links (
  case_fid INTEGER NOT NULL REFERENCES cases(fid), system TEXT NOT NULL, external_id TEXT NOT NULL,
  client_id INTEGER REFERENCES interface_clients(id), contact TEXT NOT NULL DEFAULT '', media_url TEXT,
  reply_due_at TEXT, replied_at TEXT, received_at TEXT NOT NULL, PRIMARY KEY (system, external_id));
CREATE INDEX case_links_case ON case_links (case_fid);
CREATE TABLE exchange_outbox (
  id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES case_events(id), case_fid INTEGER NOT NULL REFERENCES cases(fid),
  system TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT,
  last_error TEXT, sent_at TEXT, UNIQUE (system, event_id));
CREATE INDEX exchange_outbox_pending ON exchange_outbox (system, sent_at, case_fid, id);
CREATE TABLE exchange_inbox (
  message_id TEXT NOT NULL, client_id INTEGER NOT NULL REFERENCES interface_clients(id), received_at TEXT NOT NULL,
  type TEXT NOT NULL, response TEXT NOT NULL, PRIMARY KEY (client_id, message_id));
CREATE TRIGGER case_events_outbox AFTER INSERT ON case_events
BEGIN
  INSERT INTO exchange_outbox (event_id, case_fid, system, created_at)
    SELECT NEW.id, NEW.case_fid, l.system, NEW.at FROM case_links l
    WHERE l.case_fid = NEW.case_fid
      AND (l.system = 'city' OR (l.system = '12345' AND NEW.action IN ('file', 'reject', 'approve_cancel', 'close', 'reporter_feedback')));
END;
";

/// Open311's service codes, one per class of the command manual: `P0101` for the part class
/// 0101, `E0101` for the event class (the two kinds share four-digit codes). Written with the
/// manual and by migration 8; an administrator removes or renames them (`citygrid codes`).
pub(super) const SEED_OPEN311_SERVICES: &str = "INSERT INTO class_code_map (system, external_code, kind, class_code)
  SELECT 'open311', CASE WHEN kind = 'part' THEN 'P' ELSE 'E' END || code, kind, code FROM manual_entries WHERE true
  ON CONFLICT DO NOTHING";

/// City scale (issue 20): part counts per density cell, class and geometry kind
/// (`part_cells`, see `spatial::part_cells`), counted here from the parts already in the file
/// and kept from then on by every part written, so a seat draws the density layer and counts
/// the layer tree without reading every part. Not a layer: it is derived, never edited.
fn migration_9(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(super::part_cells::CREATE_PART_CELLS)?;
    super::part_cells::fill_part_cells(conn).map_err(|error| SqlError::Lite(rusqlite::Error::UserFunctionError(Box::new(error))))?;
    record_migration(conn, "schema 9", serde_json::json!({ "to_version": 9, "sealed": {} }), &intact)
}

/// The log of part edits made by other programs (QGIS): a table and triggers on the part tables,
/// folded into `part_cells` when citygrid opens the file (see `store::part_cells`).
fn migration_10(conn: &Db) -> Result<(), SqlError> {
    let intact = intact_groups(conn)?;
    conn.execute_batch(super::part_cells::CREATE_PART_CHANGES)?;
    conn.execute_batch(&super::part_cells::create_change_triggers())?;
    record_migration(conn, "schema 10", serde_json::json!({ "to_version": 10, "sealed": {} }), &intact)
}

/// Every table registered in `gpkg_contents` (the layers QGIS lists), in any order.
#[must_use]
pub fn layer_tables() -> Vec<&'static str> {
    let features = FEATURE_TABLES.iter().map(|(table, _, _)| *table).chain([PRECEDENT_FEATURE_TABLE.0]);
    let attributes = ATTRIBUTE_TABLES.iter().chain(WORKFLOW_ATTRIBUTE_TABLES).chain(DISPUTE_ATTRIBUTE_TABLES).map(|(table, _)| *table);
    features.chain(attributes).collect()
}

/// One step of the file's schema, run inside the migration's transaction.
pub type Migration = fn(&Db) -> Result<(), SqlError>;

/// Every migration in order; index 0 is migration 1.
pub const MIGRATIONS: &[Migration] =
    &[migration_1, migration_2, migration_3, migration_4, migration_5, migration_6, migration_7, migration_8, migration_9, migration_10];
