//! `citygrid --db postgresql://… audit verify`: the server's audit trail checked as the file's
//! is — both chains recomputed entry by entry, the triggers that keep them append-only present,
//! and every case row compared with its newest entry (digest, revision = number of entries,
//! state). Read as the owner or any login that may read the whole trail.

use anyhow::Result;
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::PgStore;
use crate::store::chain::{
    ADMIN_ENTRY_COLUMNS, CASE_DIGEST_COLUMNS, CASE_DIGEST_COLUMNS_5, CASE_ENTRY_COLUMNS, GENESIS, digest_of_values, entry_hash,
};

/// The server's triggers that keep the trail append-only (schema 1).
pub const SERVER_TRIGGERS: [&str; 8] = [
    "case_events_no_update",
    "case_events_no_truncate",
    "case_events_chain",
    "admin_events_no_update",
    "admin_events_no_truncate",
    "admin_events_chain",
    "cases_no_delete",
    "cases_no_truncate",
];

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerAudit {
    pub case_entries: u64,
    pub case_head: String,
    pub admin_entries: u64,
    pub admin_head: String,
    /// The first broken entry of each chain: (table, id).
    pub breaks: Vec<(&'static str, i64)>,
    /// Cases whose row disagrees with their trail: (case id, case number, what).
    pub cases: Vec<(i64, String, String)>,
    pub missing_triggers: Vec<&'static str>,
    /// An `--expect-head` hash that is not in the case chain.
    pub expected_head_missing: Option<String>,
}

impl ServerAudit {
    #[must_use]
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty() && self.cases.is_empty() && self.missing_triggers.is_empty() && self.expected_head_missing.is_none()
    }
}

/// Walks a chain: (entries, head, first broken entry, whether `expected` was seen).
pub(super) fn walk(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    columns: &str,
    expected: Option<&str>,
) -> Result<(u64, String, Option<i64>, bool)> {
    let kinds: Vec<String> = {
        let all = super::copy::columns_of(tx, table)?;
        columns
            .split(',')
            .map(str::trim)
            .map(|name| all.iter().find(|column| column.name == name).map(|column| column.kind.clone()).unwrap_or_default())
            .collect()
    };
    let portal = tx.bind(&format!("SELECT {columns}, prev_hash, hash FROM {table} ORDER BY id"), &[])?;
    let (mut prev, mut entries, mut first, mut seen) = (GENESIS.to_owned(), 0u64, None, false);
    loop {
        let rows = tx.query_portal(&portal, 10_000)?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let values: Vec<SqlValue> = kinds
                .iter()
                .enumerate()
                .map(|(index, kind)| match kind.as_str() {
                    "int8" => row.get::<_, Option<i64>>(index).map_or(SqlValue::Null, SqlValue::Integer),
                    _ => row.get::<_, Option<String>>(index).map_or(SqlValue::Null, SqlValue::Text),
                })
                .collect();
            let stored_prev: String = row.get(kinds.len());
            let stored: String = row.get(kinds.len() + 1);
            if first.is_none() && (stored_prev != prev || entry_hash(&stored_prev, values.iter().map(ValueRef::from)) != stored) {
                first = Some(match values.first() {
                    Some(SqlValue::Integer(id)) => *id,
                    _ => 0,
                });
            }
            seen |= expected == Some(stored.as_str());
            prev = stored;
            entries += 1;
        }
    }
    Ok((entries, prev, first, seen))
}

/// A case row's digest columns: the point's coordinates (made into the file's GeoPackage blob),
/// booleans as 0/1, the rest as they are.
fn digest_select() -> String {
    let mut columns = Vec::new();
    for column in CASE_DIGEST_COLUMNS.iter().chain(CASE_DIGEST_COLUMNS_5.iter()) {
        columns.push(match *column {
            "geom" => "ARRAY[ST_X(geom), ST_Y(geom)]".to_owned(),
            "extended" => "extended::int4::int8".to_owned(),
            other => other.to_owned(),
        });
    }
    format!("SELECT {}, case_no, state, revision FROM cases ORDER BY fid", columns.join(", "))
}

impl PgStore {
    /// Checks the server's audit trail; see the module.
    ///
    /// # Errors
    /// SQL errors.
    pub fn verify_audit(&mut self, expected_head: Option<&str>) -> Result<ServerAudit> {
        let mut tx = self.client.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
        let mut report = ServerAudit::default();
        let (entries, head, first, seen) = walk(&mut tx, "case_events", CASE_ENTRY_COLUMNS, expected_head)?;
        (report.case_entries, report.case_head) = (entries, head);
        report.breaks.extend(first.map(|id| ("case_events", id)));
        if let Some(expected) = expected_head.filter(|_| !seen) {
            report.expected_head_missing = Some(expected.to_owned());
        }
        let (entries, head, first, _) = walk(&mut tx, "admin_events", ADMIN_ENTRY_COLUMNS, None)?;
        (report.admin_entries, report.admin_head) = (entries, head);
        report.breaks.extend(first.map(|id| ("admin_events", id)));
        let present: Vec<String> =
            tx.query("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal", &[])?.into_iter().map(|row| row.get(0)).collect();
        report.missing_triggers = SERVER_TRIGGERS.iter().copied().filter(|name| !present.iter().any(|found| found == name)).collect();
        // Per case: entries, newest digest and state after it.
        let mut trail: std::collections::HashMap<i64, (i64, Option<String>, String)> = std::collections::HashMap::new();
        for row in tx.query(
            "SELECT e.case_fid, n.entries, e.case_digest, e.to_state
             FROM (SELECT case_fid, count(*) AS entries, max(id) AS newest FROM case_events GROUP BY case_fid) n
             JOIN case_events e ON e.id = n.newest",
            &[],
        )? {
            trail.insert(row.get(0), (row.get(1), row.get(2), row.get(3)));
        }
        let width = CASE_DIGEST_COLUMNS.len() + CASE_DIGEST_COLUMNS_5.len();
        let portal = tx.bind(&digest_select(), &[])?;
        loop {
            let rows = tx.query_portal(&portal, 10_000)?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let mut values: Vec<SqlValue> = Vec::with_capacity(width);
                for (index, column) in CASE_DIGEST_COLUMNS.iter().chain(CASE_DIGEST_COLUMNS_5.iter()).enumerate() {
                    values.push(match *column {
                        "geom" => {
                            // The blob the file holds is the one citygrid writes for the point.
                            let xy: Vec<f64> = row.get(index);
                            let point = geo::Point::new(xy[0], xy[1]);
                            SqlValue::Blob(crate::store::gpkg::blob_from_geometry(&geo::Geometry::Point(point)))
                        }
                        "fid" | "unit_id" | "rework_count" | "extended" | "revision" | "paused_minutes" | "urge_count" => {
                            row.get::<_, Option<i64>>(index).map_or(SqlValue::Null, SqlValue::Integer)
                        }
                        _ => row.get::<_, Option<String>>(index).map_or(SqlValue::Null, SqlValue::Text),
                    });
                }
                let id = match values[0] {
                    SqlValue::Integer(id) => id,
                    _ => 0,
                };
                let (case_no, state, revision): (String, String, i64) = (row.get(width), row.get(width + 1), row.get(width + 2));
                let digest = digest_of_values(&values.iter().map(ValueRef::from).collect::<Vec<_>>());
                let problem = match trail.get(&id) {
                    None => Some("no audit entry".to_owned()),
                    Some((entries, _, _)) if *entries != revision => Some(format!("revision {revision}, {entries} audit entries")),
                    Some((_, _, to_state)) if *to_state != state => Some(format!("state {state}, the newest entry says {to_state}")),
                    Some((_, Some(stored), _)) if *stored != digest => Some("the row was changed without an audit entry".to_owned()),
                    _ => None,
                };
                if let Some(problem) = problem {
                    report.cases.push((id, case_no, problem));
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }
}
