//! `citygrid migrate`: a district from a GeoPackage file into an empty PostgreSQL + PostGIS
//! database, in one server transaction (a failure leaves the target as it was), the source
//! opened read-only. Every table goes through COPY; the counts and both hash chains are checked
//! on what the server holds before the commit.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::{DISTRICT_TABLES, PgStore, check_target_empty, migrate_in};
use crate::store::chain::{ADMIN_ENTRY_COLUMNS, CASE_ENTRY_COLUMNS, entry_hash};

/// Rows of one table on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// What a move did and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveReport {
    pub tables: Vec<TableCount>,
    /// Entries of each chain and the hash of its newest entry, recomputed from the server's rows
    /// (equal to the source's, or the move is refused).
    pub case_entries: u64,
    pub case_head: String,
    pub admin_entries: u64,
    pub admin_head: String,
    pub seconds: f64,
}

/// One PostgreSQL column: name and type (`int8`, `text`, `bool`, `float8`, `date`, `geometry`).
pub(super) struct Column {
    pub(super) name: String,
    pub(super) kind: String,
}

pub(super) fn columns_of(tx: &mut postgres::Transaction<'_>, table: &str) -> Result<Vec<Column>> {
    let rows = tx.query(
        "SELECT column_name, udt_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        &[&table],
    )?;
    Ok(rows.into_iter().map(|row| Column { name: row.get(0), kind: row.get(1) }).collect())
}

/// Appends `text` to a COPY text-format line, escaped.
fn push_escaped(line: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            other => line.push(other),
        }
    }
}

/// One SQLite value in COPY text format for a column of `kind`.
fn push_value(line: &mut String, kind: &str, value: ValueRef<'_>) -> std::result::Result<(), String> {
    use std::fmt::Write as _;
    match (kind, value) {
        (_, ValueRef::Null) => line.push_str("\\N"),
        ("bool", ValueRef::Integer(number)) => line.push(if number == 0 { 'f' } else { 't' }),
        ("int8" | "int4" | "int2", ValueRef::Integer(number)) => {
            let _ = write!(line, "{number}");
        }
        ("float8" | "float4", ValueRef::Real(number)) => {
            let _ = write!(line, "{number:?}");
        }
        ("float8" | "float4", ValueRef::Integer(number)) => {
            let _ = write!(line, "{number}");
        }
        ("geometry", ValueRef::Blob(blob)) => {
            let ewkb = crate::store::gpkg::ewkb_from_blob(blob, 4326).map_err(|error| error.to_string())?;
            for byte in ewkb {
                let _ = write!(line, "{byte:02x}");
            }
        }
        ("bytea", ValueRef::Blob(blob)) => {
            // Hex form; COPY's text format wants its backslash doubled.
            line.push_str("\\\\x");
            for byte in blob {
                let _ = write!(line, "{byte:02x}");
            }
        }
        ("text" | "date", ValueRef::Text(bytes)) => {
            let text = std::str::from_utf8(bytes).map_err(|_| "text that is not UTF-8".to_owned())?;
            push_escaped(line, text);
        }
        ("text", ValueRef::Integer(number)) => {
            let _ = write!(line, "{number}");
        }
        ("text", ValueRef::Real(number)) => {
            let _ = write!(line, "{number:?}");
        }
        (kind, other) => return Err(format!("a {:?} value where the server column is {kind}", other.data_type())),
    }
    Ok(())
}

/// Copies one table; returns the rows copied.
fn copy_table(
    source: &rusqlite::Connection,
    tx: &mut postgres::Transaction<'_>,
    table: &'static str,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<u64> {
    let in_file: Vec<String> = source
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .with_context(|| format!("reading the columns of {table} in the file"))?;
    // Columns only the server has (a server login, say) take their defaults.
    let columns: Vec<Column> = columns_of(tx, table)?.into_iter().filter(|column| in_file.contains(&column.name)).collect();
    if columns.is_empty() {
        bail!("the server schema has no table {table}");
    }
    let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    // The meta rows that describe the file's own schema stay with the file.
    let filter = if table == "citygrid_meta" { " WHERE key <> 'schema_version'" } else { "" };
    let mut statement = source
        .prepare(&format!("SELECT {} FROM {table}{filter} ORDER BY rowid", names.join(", ")))
        .with_context(|| format!("reading {table} from the file"))?;
    let mut rows = statement.query([]).with_context(|| format!("reading {table} from the file"))?;
    let mut writer = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", names.join(", "))).with_context(|| format!("copying {table}"))?;
    let mut buffer = String::with_capacity(1 << 20);
    let mut copied = 0u64;
    while let Some(row) = rows.next().with_context(|| format!("reading {table} from the file"))? {
        for (index, column) in columns.iter().enumerate() {
            if index > 0 {
                buffer.push('\t');
            }
            let value = row.get_ref(index).with_context(|| format!("reading {table}"))?;
            push_value(&mut buffer, &column.kind, value).map_err(|problem| {
                let rowid = row.get_ref(0).ok().and_then(|id| id.as_i64().ok()).unwrap_or(0);
                anyhow::anyhow!("{table}, row {rowid}, column {}: {problem}", column.name)
            })?;
        }
        buffer.push('\n');
        copied += 1;
        if buffer.len() > 1 << 20 {
            writer.write_all(buffer.as_bytes()).with_context(|| format!("copying {table}"))?;
            buffer.clear();
            progress(table, copied);
        }
    }
    writer.write_all(buffer.as_bytes()).with_context(|| format!("copying {table}"))?;
    writer.finish().with_context(|| format!("copying {table}"))?;
    progress(table, copied);
    // Identity columns continue after the copied ids.
    let identities: Vec<String> = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
            &[&table],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for column in identities {
        tx.execute(
            &format!("SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce(max({column}), 0) + 1, false) FROM {table}"),
            &[],
        )?;
    }
    Ok(copied)
}

/// Recomputes a chain from the server's rows, oldest first: (entries, head). A break is an
/// error naming the entry.
fn server_chain(tx: &mut postgres::Transaction<'_>, table: &str, columns: &str) -> Result<(u64, String)> {
    let (entries, head, first, _) = super::verify::walk(tx, table, columns, None)?;
    if let Some(id) = first {
        bail!("{table} entry {id} on the server does not verify: the move is refused, nothing was written");
    }
    Ok((entries, head))
}

/// Moves the district in `source` into the empty database at `target_url`. The source is
/// opened read-only and its audit trail must verify first; the target gets the schema and every
/// row in one transaction, checked (counts, both chains' heads) before the commit.
///
/// # Errors
/// A source that does not verify, a target that is not empty or not reachable, a value the
/// server refuses (named by table, row and column), or counts or chains that disagree.
pub fn move_district(
    source: &Path,
    target_url: &str,
    by: &crate::model::User,
    role_actions: &[(crate::model::Role, &str, Option<crate::model::CaseState>)],
    progress: &mut dyn FnMut(&str, u64),
) -> Result<MoveReport> {
    let started = std::time::Instant::now();
    let store = crate::store::Store::open_read_only(source).with_context(|| format!("opening {}", source.display()))?;
    let audit = store.verify_audit(None).with_context(|| format!("checking the audit trail of {}", source.display()))?;
    if !audit.is_intact() {
        bail!(
            "the audit trail of {} does not verify ({} breaks, {} cases edited around it, {} triggers missing): run `citygrid --db {} audit verify` and settle it before moving the district",
            source.display(),
            audit.breaks.len(),
            audit.cases.len(),
            audit.missing_triggers.len(),
            source.display()
        );
    }
    let mut target = PgStore::connect(target_url)?;
    let mut tx = target.client.transaction()?;
    check_target_empty(&mut tx)?;
    migrate_in(&mut tx)?;
    {
        use crate::model::Keyword as _;
        let insert = tx.prepare("INSERT INTO role_actions (role, action, from_state) VALUES ($1, $2, $3)")?;
        for (role, action, from) in role_actions {
            tx.execute(&insert, &[&role.keyword(), action, &from.map(|state| state.keyword())])?;
        }
    }
    let mut tables = Vec::with_capacity(DISTRICT_TABLES.len());
    for table in DISTRICT_TABLES {
        let source = store.conn().lite().context("the source of a move is a GeoPackage file")?;
        let copied = copy_table(source, &mut tx, table, progress)?;
        let filter = if table == "citygrid_meta" { " WHERE key <> 'schema_version'" } else { "" };
        let source_rows: i64 = source
            .query_row(&format!("SELECT count(*) FROM {table}{filter}"), [], |row| row.get(0))
            .with_context(|| format!("counting {table}"))?;
        let target_rows: i64 = tx.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.get(0);
        let target_rows = if table == "citygrid_meta" { target_rows - 1 } else { target_rows };
        let count = TableCount { table, source: u64::try_from(source_rows)?, target: u64::try_from(target_rows)? };
        if count.source != count.target || count.source != copied {
            bail!("{table}: {} rows in the file, {} on the server: the move is refused, nothing was written", count.source, count.target);
        }
        tables.push(count);
    }
    tx.execute(
        "INSERT INTO citygrid_meta (key, value) VALUES ('moved_from', $1)",
        &[&format!("{} (GeoPackage schema {})", source.display(), store.schema_version().unwrap_or(0))],
    )?;
    let (case_entries, case_head) = server_chain(&mut tx, "case_events", CASE_ENTRY_COLUMNS)?;
    let (admin_entries, admin_head) = server_chain(&mut tx, "admin_events", ADMIN_ENTRY_COLUMNS)?;
    if case_head != audit.case_head || admin_head != audit.admin_head {
        bail!("the chains on the server end at other entries than the file's: the move is refused, nothing was written");
    }
    let data = serde_json::json!({
        "from": source.display().to_string(),
        "tables": tables.iter().map(|count| (count.table, count.target)).collect::<std::collections::BTreeMap<_, _>>(),
        "case_entries": case_entries,
        "case_head": case_head,
        "admin_head_before": admin_head,
    });
    let admin_head = append_admin_entry(&mut tx, &admin_head, by.id, "migrate", &source.display().to_string(), &data)?;
    tx.commit().context("committing the move")?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(MoveReport { tables, case_entries, case_head, admin_entries: admin_entries + 1, admin_head, seconds })
}

/// Appends an administrative entry on the server's chain after `head`; returns its hash.
pub(super) fn append_admin_entry(
    tx: &mut postgres::Transaction<'_>,
    head: &str,
    actor: i64,
    action: &str,
    subject: &str,
    data: &serde_json::Value,
) -> Result<String> {
    let id: i64 = tx.query_one("SELECT coalesce(max(id), 0) + 1 FROM admin_events", &[])?.get(0);
    let at = crate::calendar::utc_text_from_local(crate::calendar::china_now());
    let data = data.to_string();
    let content = [
        SqlValue::Integer(id),
        SqlValue::Text(at.clone()),
        SqlValue::Integer(actor),
        SqlValue::Text(action.to_owned()),
        SqlValue::Text(subject.to_owned()),
        SqlValue::Text(data.clone()),
    ];
    let hash = entry_hash(head, content.iter().map(ValueRef::from));
    tx.execute(
        "INSERT INTO admin_events (id, at, actor_user_id, action, subject, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&id, &at, &actor, &action, &subject, &data, &head, &hash],
    )?;
    Ok(hash)
}
