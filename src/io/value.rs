//! One attribute value type for everything `io` reads and writes: what a reader found in a
//! file (GeoJSON, shapefile, GeoPackage, CSV) and what an export writes, with its conversions
//! to JSON, SQL and CSV in one place.

use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::utc_text_from_local;

/// The declared type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FieldKind {
    Text,
    Integer,
    Real,
    Boolean,
    /// A calendar date.
    Date,
    /// A moment; held in China local time, written with its offset (GeoJSON), in UTC
    /// (GeoPackage, as the standard asks) or as local wall time (CSV, for Excel).
    DateTime,
    /// Not declared (GeoJSON) and only nulls seen.
    Unknown,
}

impl FieldKind {
    /// Lower-case name for printing.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Unknown => "unknown",
        }
    }

    /// The column type a GeoPackage declares for it (an undeclared kind is text).
    #[must_use]
    pub fn sql_type(self) -> &'static str {
        match self {
            Self::Text | Self::Unknown => "TEXT",
            Self::Integer => "INTEGER",
            Self::Real => "DOUBLE",
            Self::Boolean => "BOOLEAN",
            Self::Date => "DATE",
            Self::DateTime => "DATETIME",
        }
    }

    /// The kind a GeoPackage / SQLite column declared as `declared` holds.
    #[must_use]
    pub fn from_sql_type(declared: &str) -> Self {
        let upper = declared.trim().to_ascii_uppercase();
        if upper.contains("INT") {
            Self::Integer
        } else if upper.contains("REAL") || upper.contains("DOUBLE") || upper.contains("FLOAT") {
            Self::Real
        } else if upper.starts_with("DATETIME") || upper.starts_with("TIMESTAMP") {
            Self::DateTime
        } else if upper.starts_with("DATE") {
            Self::Date
        } else if upper == "BOOLEAN" {
            Self::Boolean
        } else {
            Self::Text
        }
    }
}

/// One attribute value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Boolean(bool),
    Integer(i64),
    Real(f64),
    Text(String),
    Date(NaiveDate),
    /// China local time.
    DateTime(NaiveDateTime),
}

impl Value {
    /// Text, owned.
    #[must_use]
    pub fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    /// Text, or null.
    #[must_use]
    pub fn optional_text(text: Option<impl Into<String>>) -> Self {
        text.map_or(Self::Null, |text| Self::Text(text.into()))
    }

    /// A moment, or null.
    #[must_use]
    pub fn optional_date_time(moment: Option<NaiveDateTime>) -> Self {
        moment.map_or(Self::Null, Self::DateTime)
    }

    /// The value as text for mapping (`None` for null and empty text).
    #[must_use]
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Boolean(value) => Some(value.to_string()),
            Self::Integer(value) => Some(value.to_string()),
            // Codes stored as doubles (shapefile N(19,0), spreadsheets) must not show ".0".
            Self::Real(value) if value.fract() == 0.0 && value.abs() < 1e17 => Some(format!("{value:.0}")),
            Self::Real(value) => Some(value.to_string()),
            Self::Text(text) => {
                let trimmed = text.trim();
                (!trimmed.is_empty()).then(|| trimmed.to_owned())
            }
            Self::Date(date) => Some(date.format("%Y-%m-%d").to_string()),
            Self::DateTime(moment) => Some(moment.format("%Y-%m-%d %H:%M:%S").to_string()),
        }
    }

    /// The kind of this value (`Unknown` for null).
    #[must_use]
    pub fn kind(&self) -> FieldKind {
        match self {
            Self::Null => FieldKind::Unknown,
            Self::Boolean(_) => FieldKind::Boolean,
            Self::Integer(_) => FieldKind::Integer,
            Self::Real(_) => FieldKind::Real,
            Self::Text(_) => FieldKind::Text,
            Self::Date(_) => FieldKind::Date,
            Self::DateTime(_) => FieldKind::DateTime,
        }
    }

    /// As a GeoJSON property: dates as `YYYY-MM-DD`, moments with their `+08:00` offset; a
    /// non-finite number as null.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Text(text) => serde_json::Value::String(text.clone()),
            Self::Integer(number) => serde_json::Value::from(*number),
            Self::Real(number) => serde_json::Number::from_f64(*number).map_or(serde_json::Value::Null, serde_json::Value::Number),
            Self::Boolean(flag) => serde_json::Value::Bool(*flag),
            Self::Date(date) => serde_json::Value::String(date.format("%Y-%m-%d").to_string()),
            Self::DateTime(moment) => serde_json::Value::String(iso_local(*moment)),
        }
    }

    /// As a GeoPackage cell: booleans as 0/1, dates as text, moments in UTC (`…Z`).
    #[must_use]
    pub fn to_sql(&self) -> rusqlite::types::Value {
        use rusqlite::types::Value as Sql;
        match self {
            Self::Null => Sql::Null,
            Self::Text(text) => Sql::Text(text.clone()),
            Self::Integer(number) => Sql::Integer(*number),
            Self::Real(number) => Sql::Real(*number),
            Self::Boolean(flag) => Sql::Integer(i64::from(*flag)),
            Self::Date(date) => Sql::Text(date.format("%Y-%m-%d").to_string()),
            Self::DateTime(moment) => Sql::Text(utc_text_from_local(*moment)),
        }
    }

    /// As a CSV cell (before quoting): booleans as 1/0, moments as China wall time, text that
    /// a spreadsheet would run as a formula neutralised ([`crate::text::spreadsheet_safe`]).
    #[must_use]
    pub fn to_csv(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Text(text) => crate::text::spreadsheet_safe(text).into_owned(),
            Self::Integer(number) => number.to_string(),
            Self::Real(number) => number.to_string(),
            Self::Boolean(flag) => if *flag { "1" } else { "0" }.to_owned(),
            Self::Date(date) => date.format("%Y-%m-%d").to_string(),
            Self::DateTime(moment) => moment.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_text() {
            Some(text) => f.write_str(&text),
            None => f.write_str("∅"),
        }
    }
}

/// A China local time with its offset, `2026-11-25T09:30:00+08:00`.
#[must_use]
pub fn iso_local(moment: NaiveDateTime) -> String {
    format!("{}+08:00", moment.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_reads_and_writes_every_way() {
        let moment = NaiveDateTime::parse_from_str("2026-11-25 09:30:00", "%Y-%m-%d %H:%M:%S").expect("time");
        let value = Value::DateTime(moment);
        assert_eq!(value.to_json(), serde_json::Value::String("2026-11-25T09:30:00+08:00".into()));
        assert_eq!(value.to_sql(), rusqlite::types::Value::Text("2026-11-25T01:30:00.000Z".into()));
        assert_eq!(value.to_csv(), "2026-11-25 09:30:00");
        assert_eq!(value.kind(), FieldKind::DateTime);
        assert_eq!(Value::Real(3_410_040_201_900_105.0).as_text().as_deref(), Some("3410040201900105"));
        assert_eq!(Value::Boolean(true).to_sql(), rusqlite::types::Value::Integer(1));
        assert_eq!(Value::Real(f64::NAN).to_json(), serde_json::Value::Null);
    }

    #[test]
    fn declared_column_types_keep_moments_apart_from_dates() {
        assert_eq!(FieldKind::from_sql_type("DATETIME"), FieldKind::DateTime);
        assert_eq!(FieldKind::from_sql_type("date"), FieldKind::Date);
        assert_eq!(FieldKind::from_sql_type("MEDIUMINT"), FieldKind::Integer);
        assert_eq!(FieldKind::from_sql_type("DOUBLE"), FieldKind::Real);
        assert_eq!(FieldKind::from_sql_type("TEXT(20)"), FieldKind::Text);
        for kind in [FieldKind::Integer, FieldKind::Real, FieldKind::Boolean, FieldKind::Date, FieldKind::DateTime, FieldKind::Text] {
            assert_eq!(FieldKind::from_sql_type(kind.sql_type()), kind, "{kind:?}");
        }
    }
}
