//! The one seam between the store's SQL and the engine that runs it: an embedded SQLite file
//! (the GeoPackage) or a PostgreSQL + PostGIS server. Every query of the store is written once,
//! with SQLite's `?N` placeholders and SQLite's dynamic values (`rusqlite`'s `ToSql`/`FromSql`,
//! so a row reads the same on both); on a server the placeholders become `$N`, each value is
//! encoded as the type the server expects for that parameter, and each column is read back as
//! the value SQLite would hold (booleans as 0/1, dates as `YYYY-MM-DD` text, PostGIS geometry
//! as the GeoPackage blob, `numeric` as an integer or a real). The few statements that differ
//! (the R-tree against GiST, `json_extract` against `->>`) ask [`Db::is_server`].
//!
//! A transaction ([`Tx`]) takes the write lock at once on both engines (`BEGIN IMMEDIATE`; an
//! advisory transaction lock on the server), so a step reads and writes with nobody writing in
//! between, and it rolls back unless committed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;

use bytes::BytesMut;
use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type};
use rusqlite::ToSql;
use rusqlite::types::{FromSql, Value, ValueRef};

/// The key of the advisory lock every writer on a server takes for its transaction: one writer
/// at a time, as on the file, so the audit chain is appended in order.
const WRITE_LOCK_KEY: i64 = 0x6369_7479_6772_6964; // "citygrid"

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Lite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Pg(#[from] postgres::Error),
    /// A query that must return a row returned none.
    #[error("the query returned no row")]
    NoRows,
    /// A server connection used from inside a row callback of another query on it.
    #[error("a query was started while another one on the same connection was being read")]
    Busy,
}

/// A server error with its detail and hint, as a person reads it.
fn pg_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_owned();
            if let Some(detail) = db.detail() {
                text.push_str(" (");
                text.push_str(detail);
                text.push(')');
            }
            text
        }
        None => error.to_string(),
    }
}

impl From<SqlError> for super::StoreError {
    fn from(source: SqlError) -> Self {
        Self::Sql { context: "reading the database".into(), source }
    }
}

impl SqlError {
    /// Another writer held the lock past the timeout: nothing was written, the same step may be
    /// tried again on the same connection.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Lite(rusqlite::Error::SqliteFailure(failure, _)) => {
                matches!(failure.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            }
            Self::Pg(error) => error.code().is_some_and(|code| {
                [
                    postgres::error::SqlState::T_R_SERIALIZATION_FAILURE,
                    postgres::error::SqlState::T_R_DEADLOCK_DETECTED,
                    postgres::error::SqlState::LOCK_NOT_AVAILABLE,
                ]
                .contains(code)
            }),
            _ => false,
        }
    }

    /// The connection to the server is gone (the server restarted, the network failed): connect
    /// again. Whether a step sent just before was committed is then read from its step id.
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        match self {
            Self::Pg(error) => {
                error.is_closed()
                    || error.code().is_some_and(|code| {
                        [
                            postgres::error::SqlState::ADMIN_SHUTDOWN,
                            postgres::error::SqlState::CRASH_SHUTDOWN,
                            postgres::error::SqlState::CANNOT_CONNECT_NOW,
                            postgres::error::SqlState::CONNECTION_FAILURE,
                        ]
                        .contains(code)
                    })
                    || std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>())
            }
            _ => false,
        }
    }

    /// The server refused the statement for lack of privilege or by a row-level policy.
    #[must_use]
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Pg(error) if error.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE))
    }
}

/// `Ok(None)` for a query that returned no row.
pub trait OptionalExtension<T> {
    /// # Errors
    /// Every error but "no row".
    fn optional(self) -> Result<Option<T>, SqlError>;
}

impl<T> OptionalExtension<T> for Result<T, SqlError> {
    fn optional(self) -> Result<Option<T>, SqlError> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(SqlError::NoRows | SqlError::Lite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A connection to a server, with its prepared statements.
pub struct PgConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// The channel of appended case-trail entries, once listened to, and how many
    /// notifications came on it.
    listening: std::cell::Cell<bool>,
    notified: std::cell::Cell<i64>,
    channel: String,
    /// The id of the step being taken (made at the seat): the next case entry carries it, and
    /// the server keeps each id once (`case_events.step_id`).
    step_id: RefCell<Option<String>>,
}

impl PgConn {
    #[must_use]
    pub fn new(client: postgres::Client, channel: String) -> Self {
        Self {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            listening: std::cell::Cell::new(false),
            notified: std::cell::Cell::new(0),
            channel,
            step_id: RefCell::new(None),
        }
    }

    /// Names the step the next case entry belongs to (`None`: none).
    pub fn set_step_id(&self, step_id: Option<String>) {
        *self.step_id.borrow_mut() = step_id;
    }

    /// The step id for the case entry being appended, once.
    #[must_use]
    pub fn take_step_id(&self) -> Option<String> {
        self.step_id.borrow_mut().take()
    }

    /// How many change notifications arrived so far (see `Store::data_version`); listens on the
    /// first call. Reads what the server already sent, never waits.
    ///
    /// # Errors
    /// The connection failed.
    pub fn notified(&self) -> Result<i64, SqlError> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let mut client = self.client()?;
        if !self.listening.get() {
            client.batch_execute(&format!("LISTEN \"{}\"", self.channel.replace('"', "")))?;
            self.listening.set(true);
        }
        let mut arrived = 0;
        let mut notifications = client.notifications();
        // A wait of a millisecond, not `iter()`: the client's reactor learns that the socket has
        // data only while it waits, so a poll that never waits never sees a notification.
        let mut ready = notifications.timeout_iter(std::time::Duration::from_millis(1));
        while ready.next()?.is_some() {
            arrived += 1;
        }
        self.notified.set(self.notified.get() + arrived);
        Ok(self.notified.get())
    }

    /// The client itself, for what only a server does (LISTEN, COPY).
    ///
    /// # Errors
    /// [`SqlError::Busy`] while a query on it is being read.
    pub fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>, SqlError> {
        self.client.try_borrow_mut().map_err(|_| SqlError::Busy)
    }

    fn statement(&self, client: &mut postgres::Client, sql: &str) -> Result<postgres::Statement, SqlError> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(&server_sql(sql))?;
        self.statements.borrow_mut().insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// The district's database: the file, or a server.
pub enum Db {
    Lite(rusqlite::Connection),
    Pg(Box<PgConn>),
}

/// SQLite's `?N` (and bare `?`) placeholders as PostgreSQL's `$N`, outside quoted text.
#[must_use]
pub fn server_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let (mut quote, mut next) = (None::<char>, 1);
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), _) if c == open => {
                quote = None;
                out.push(c);
            }
            (Some(_), _) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                out.push('$');
                let mut digits = String::new();
                while let Some(digit) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(digit);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            (None, _) => out.push(c),
        }
    }
    out
}

fn owned(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(number) => Value::Integer(number),
        ValueRef::Real(number) => Value::Real(number),
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

/// The parameters as SQLite values (what the server encoding starts from).
fn values_of(params: &[&dyn ToSql]) -> Result<Vec<PgParam>, SqlError> {
    params
        .iter()
        .map(|param| {
            let value = match param.to_sql()? {
                rusqlite::types::ToSqlOutput::Borrowed(value) => owned(value),
                rusqlite::types::ToSqlOutput::Owned(value) => value,
                _ => return Err(SqlError::Lite(rusqlite::Error::ToSqlConversionFailure("an unsupported parameter".into()))),
            };
            Ok(PgParam(value))
        })
        .collect()
}

/// One row, read the same way from either engine.
pub enum Row<'r> {
    Lite(&'r rusqlite::Row<'r>),
    Pg(&'r [Value]),
}

impl Row<'_> {
    /// Column `index` as `T`, with SQLite's conversions.
    ///
    /// # Errors
    /// No such column, or a value `T` cannot hold.
    pub fn get<T: FromSql>(&self, index: usize) -> rusqlite::Result<T> {
        match self {
            Self::Lite(row) => row.get(index),
            Self::Pg(values) => {
                let value = values.get(index).ok_or(rusqlite::Error::InvalidColumnIndex(index))?;
                T::column_result(ValueRef::from(value)).map_err(|error| match error {
                    rusqlite::types::FromSqlError::InvalidType => {
                        rusqlite::Error::InvalidColumnType(index, format!("column {index}"), ValueRef::from(value).data_type())
                    }
                    other => rusqlite::Error::FromSqlConversionFailure(index, ValueRef::from(value).data_type(), Box::new(other)),
                })
            }
        }
    }

    /// Column `index` as the value itself.
    ///
    /// # Errors
    /// No such column.
    pub fn get_ref(&self, index: usize) -> rusqlite::Result<ValueRef<'_>> {
        match self {
            Self::Lite(row) => row.get_ref(index),
            Self::Pg(values) => values.get(index).map(ValueRef::from).ok_or(rusqlite::Error::InvalidColumnIndex(index)),
        }
    }

    #[must_use]
    pub fn column_count(&self) -> usize {
        match self {
            Self::Lite(row) => row.as_ref().column_count(),
            Self::Pg(values) => values.len(),
        }
    }
}

fn pg_row_values(row: &postgres::Row) -> Result<Vec<Value>, SqlError> {
    (0..row.len()).map(|index| row.try_get::<_, PgValue>(index).map(|value| value.0).map_err(SqlError::from)).collect()
}

impl Db {
    /// Whether this is a server (for the few statements written per engine).
    #[must_use]
    pub fn is_server(&self) -> bool {
        matches!(self, Self::Pg(_))
    }

    /// The SQLite connection (schema, GeoPackage functions); `None` on a server.
    #[must_use]
    pub fn lite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Self::Lite(conn) => Some(conn),
            Self::Pg(_) => None,
        }
    }

    /// The server connection; `None` for a file.
    #[must_use]
    pub fn server(&self) -> Option<&PgConn> {
        match self {
            Self::Lite(_) => None,
            Self::Pg(conn) => Some(conn),
        }
    }

    /// Runs one statement; returns the rows it changed.
    ///
    /// # Errors
    /// SQL errors.
    pub fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> Result<usize, SqlError> {
        match self {
            Self::Lite(conn) => Ok(conn.prepare_cached(sql)?.execute(params)?),
            Self::Pg(pg) => {
                let values = values_of(params)?;
                let mut client = pg.client()?;
                let statement = pg.statement(&mut client, sql)?;
                let refs: Vec<&(dyn PgToSql + Sync)> = values.iter().map(|value| value as &(dyn PgToSql + Sync)).collect();
                Ok(usize::try_from(client.execute(&statement, &refs)?).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs statements without parameters.
    ///
    /// # Errors
    /// SQL errors.
    pub fn execute_batch(&self, sql: &str) -> Result<(), SqlError> {
        match self {
            Self::Lite(conn) => Ok(conn.execute_batch(sql)?),
            Self::Pg(pg) => Ok(pg.client()?.batch_execute(sql)?),
        }
    }

    /// Calls `each` with every row of the query, in order, without holding them all.
    ///
    /// # Errors
    /// SQL errors, or the first error of `each` (which ends the reading).
    pub fn each_row<E: From<SqlError>>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        mut each: impl FnMut(&Row<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Self::Lite(conn) => {
                let mut statement = conn.prepare_cached(sql).map_err(SqlError::from)?;
                let mut rows = statement.query(params).map_err(SqlError::from)?;
                while let Some(row) = rows.next().map_err(SqlError::from)? {
                    each(&Row::Lite(row))?;
                }
                Ok(())
            }
            Self::Pg(pg) => {
                use postgres::fallible_iterator::FallibleIterator as _;
                let values = values_of(params)?;
                let mut client = pg.client()?;
                let statement = pg.statement(&mut client, sql)?;
                let mut rows = client.query_raw(&statement, values.iter()).map_err(SqlError::from)?;
                while let Some(row) = rows.next().map_err(SqlError::from)? {
                    let values = pg_row_values(&row)?;
                    each(&Row::Pg(&values))?;
                }
                Ok(())
            }
        }
    }

    /// Every row of the query, each mapped by `map`.
    ///
    /// # Errors
    /// SQL errors, or the first error of `map`.
    pub fn query_rows<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, SqlError> {
        let mut out = Vec::new();
        self.each_row(sql, params, |row| {
            out.push(map(row)?);
            Ok::<_, SqlError>(())
        })?;
        Ok(out)
    }

    /// The first row of the query, mapped by `map`.
    ///
    /// # Errors
    /// [`SqlError::NoRows`] (see [`OptionalExtension`]), SQL errors, or the error of `map`.
    pub fn query_row<T>(&self, sql: &str, params: &[&dyn ToSql], map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>) -> Result<T, SqlError> {
        match self {
            Self::Lite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(params)?;
                match rows.next()? {
                    Some(row) => Ok(map(&Row::Lite(row))?),
                    None => Err(SqlError::NoRows),
                }
            }
            Self::Pg(pg) => {
                let values = values_of(params)?;
                let row = {
                    let mut client = pg.client()?;
                    let statement = pg.statement(&mut client, sql)?;
                    let refs: Vec<&(dyn PgToSql + Sync)> = values.iter().map(|value| value as &(dyn PgToSql + Sync)).collect();
                    client.query_opt(&statement, &refs)?
                };
                let row = row.ok_or(SqlError::NoRows)?;
                let values = pg_row_values(&row)?;
                Ok(map(&Row::Pg(&values))?)
            }
        }
    }

    /// Starts a transaction that holds the write lock until it ends (see the module docs).
    ///
    /// # Errors
    /// The lock could not be had in time, or the connection failed.
    pub fn begin(&self) -> Result<Tx<'_>, SqlError> {
        match self {
            Self::Lite(conn) => conn.execute_batch("BEGIN IMMEDIATE")?,
            Self::Pg(pg) => pg.client()?.batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))?,
        }
        Ok(Tx { db: self, open: true })
    }

    /// Starts a transaction that only reads: it sees one state of the database throughout and
    /// takes no lock.
    ///
    /// # Errors
    /// The connection failed.
    pub fn begin_read(&self) -> Result<Tx<'_>, SqlError> {
        match self {
            Self::Lite(conn) => conn.execute_batch("BEGIN DEFERRED")?,
            Self::Pg(pg) => pg.client()?.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
        }
        Ok(Tx { db: self, open: true })
    }
}

/// A statement to run once or many times (bulk inserts). Both engines keep what they prepared,
/// keyed by the text, so this only names it.
pub struct Stmt<'a> {
    db: &'a Db,
    sql: String,
}

impl Stmt<'_> {
    /// # Errors
    /// SQL errors.
    pub fn execute(&mut self, params: &[&dyn ToSql]) -> Result<usize, SqlError> {
        self.db.execute(&self.sql, params)
    }

    /// # Errors
    /// See [`Db::query_row`].
    pub fn query_row<T>(&mut self, params: &[&dyn ToSql], map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>) -> Result<T, SqlError> {
        self.db.query_row(&self.sql, params, map)
    }
}

impl Db {
    /// The statement `sql`, to run with [`Stmt::execute`].
    ///
    /// # Errors
    /// None today; kept fallible as preparing is on both engines' own APIs.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>, SqlError> {
        Ok(Stmt { db: self, sql: sql.to_owned() })
    }

    /// Same as [`Db::prepare_cached`].
    ///
    /// # Errors
    /// See [`Db::prepare_cached`].
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>, SqlError> {
        self.prepare_cached(sql)
    }
}

/// Owned values as parameters.
#[must_use]
pub fn refs(values: &[Value]) -> Vec<&dyn ToSql> {
    values.iter().map(|value| value as &dyn ToSql).collect()
}

/// An open transaction: reads and writes through it as through the [`Db`]; rolled back when
/// dropped without [`Tx::commit`].
pub struct Tx<'a> {
    db: &'a Db,
    open: bool,
}

impl Tx<'_> {
    /// Makes everything written in the transaction durable.
    ///
    /// # Errors
    /// The commit failed: nothing of the transaction remains.
    pub fn commit(mut self) -> Result<(), SqlError> {
        self.open = false;
        let result = self.db.execute_batch("COMMIT");
        if result.is_err() {
            let _ = self.db.execute_batch("ROLLBACK");
        }
        result
    }
}

impl Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to do if it fails: the connection is gone, and the server rolled back.
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }
}

/// A SQLite value on its way to a server parameter of whatever type the server expects.
#[derive(Debug)]
struct PgParam(Value);

fn type_error(value: &Value, ty: &Type) -> Box<dyn std::error::Error + Sync + Send> {
    format!("cannot send {:?} as {}", value.data_type(), ty.name()).into()
}

impl PgToSql for PgParam {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres_protocol::types as wire;
        let value = &self.0;
        match value {
            Value::Null => return Ok(IsNull::Yes),
            Value::Integer(number) => match *ty {
                Type::INT8 => wire::int8_to_sql(*number, out),
                Type::INT4 => wire::int4_to_sql(i32::try_from(*number)?, out),
                Type::INT2 => wire::int2_to_sql(i16::try_from(*number)?, out),
                Type::BOOL => wire::bool_to_sql(*number != 0, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => wire::float8_to_sql(*number as f64, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT4 => wire::float4_to_sql(*number as f32, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => wire::text_to_sql(&number.to_string(), out),
                _ => return Err(type_error(value, ty)),
            },
            Value::Real(number) => match *ty {
                Type::FLOAT8 => wire::float8_to_sql(*number, out),
                #[allow(clippy::cast_possible_truncation)]
                Type::FLOAT4 => wire::float4_to_sql(*number as f32, out),
                Type::TEXT | Type::VARCHAR => wire::text_to_sql(&number.to_string(), out),
                _ => return Err(type_error(value, ty)),
            },
            Value::Text(text) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => wire::text_to_sql(text, out),
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    wire::text_to_sql(text, out);
                }
                Type::DATE => {
                    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{text:?} is not a date"))?;
                    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
                    wire::date_to_sql(i32::try_from((date - epoch).num_days())?, out);
                }
                Type::INT8 => wire::int8_to_sql(text.parse()?, out),
                Type::INT4 => wire::int4_to_sql(text.parse()?, out),
                Type::BOOL => wire::bool_to_sql(matches!(text.as_str(), "1" | "true" | "t"), out),
                _ => return Err(type_error(value, ty)),
            },
            Value::Blob(bytes) => match ty.name() {
                "bytea" => wire::bytea_to_sql(bytes, out),
                "geometry" => out.extend_from_slice(&super::gpkg::ewkb_from_blob(bytes, 4326).map_err(|error| error.0)?),
                _ => return Err(type_error(value, ty)),
            },
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A server column read as the value SQLite would hold.
struct PgValue(Value);

impl<'a> PgFromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use postgres_protocol::types as wire;
        let value = match *ty {
            Type::BOOL => Value::Integer(i64::from(wire::bool_from_sql(raw)?)),
            Type::INT2 => Value::Integer(i64::from(wire::int2_from_sql(raw)?)),
            Type::INT4 => Value::Integer(i64::from(wire::int4_from_sql(raw)?)),
            Type::INT8 => Value::Integer(wire::int8_from_sql(raw)?),
            Type::OID => Value::Integer(i64::from(wire::oid_from_sql(raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(wire::float4_from_sql(raw)?)),
            Type::FLOAT8 => Value::Real(wire::float8_from_sql(raw)?),
            Type::NUMERIC => numeric_value(raw)?,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON | Type::UNKNOWN => {
                Value::Text(wire::text_from_sql(raw)?.to_owned())
            }
            Type::JSONB => Value::Text(wire::text_from_sql(raw.get(1..).unwrap_or_default())?.to_owned()),
            Type::DATE => {
                let days = wire::date_from_sql(raw)?;
                let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
                let date = epoch.checked_add_signed(chrono::Duration::days(i64::from(days))).ok_or("a date out of range")?;
                Value::Text(date.format("%Y-%m-%d").to_string())
            }
            Type::BYTEA => Value::Blob(wire::bytea_from_sql(raw).to_vec()),
            _ if ty.name() == "geometry" => Value::Blob(super::gpkg::blob_from_ewkb(raw).map_err(|error| error.0)?),
            _ => return Err(format!("a column of type {} citygrid does not read", ty.name()).into()),
        };
        Ok(Self(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A binary `numeric` (what `sum` of integers gives) as an integer when it has no fraction,
/// else as a real.
fn numeric_value(raw: &[u8]) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |index: usize| -> Result<i16, Box<dyn std::error::Error + Sync + Send>> {
        let bytes = raw.get(index * 2..index * 2 + 2).ok_or("a truncated numeric")?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    };
    let (digits, weight, sign, scale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut value = 0f64;
    for index in 0..usize::try_from(digits)? {
        let exponent = i32::from(weight) - i32::try_from(index)?;
        value += f64::from(word(4 + index)?) * 10_000f64.powi(exponent);
    }
    if sign == 0x4000 {
        value = -value;
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(if scale == 0 && value.abs() < 9.0e15 { Value::Integer(value as i64) } else { Value::Real(value) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(server_sql("SELECT a FROM t WHERE b = ?1 AND c = ?12"), "SELECT a FROM t WHERE b = $1 AND c = $12");
        assert_eq!(server_sql("SELECT '?1', \"a?\" FROM t WHERE b = ? AND c = ?"), "SELECT '?1', \"a?\" FROM t WHERE b = $1 AND c = $2");
    }

    #[test]
    fn a_numeric_reads_as_sqlite_would_hold_it() {
        // 12345 = 1·10000 + 2345: two digits, weight 1, positive, scale 0.
        let raw: Vec<u8> = [2i16, 1, 0, 0, 1, 2345].iter().flat_map(|word| word.to_be_bytes()).collect();
        assert_eq!(numeric_value(&raw).expect("numeric"), Value::Integer(12345));
        let negative: Vec<u8> = [1i16, 0, 0x4000, 0, 7].iter().flat_map(|word| word.to_be_bytes()).collect();
        assert_eq!(numeric_value(&negative).expect("numeric"), Value::Integer(-7));
    }
}
