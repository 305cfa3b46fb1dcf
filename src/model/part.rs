//! City parts (部件, Art. 30): facilities with a known owner or maintainer.

use chrono::NaiveDate;
use geo::{LineString, Point, Polygon};

use super::{GeometryKind, UnitId, keyword_enum};

/// The 16-digit part code: county (6, GB/T 2260) + major class (2) + minor class (2) + serial (6).
///
/// Held as a number so that a million of them are cheap; shown and stored as 16 digits.
///
/// ```
/// use citygrid::model::PartCode;
/// let code = PartCode::parse("3410040118000042").unwrap();
/// assert_eq!(code.class_code(), "0118");
/// assert_eq!(code.serial(), 42);
/// assert_eq!(code.to_string(), "3410040118000042");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct PartCode(u64);

/// A part code that is not 16 digits of a valid shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("part code {0:?} is not 16 digits (county 6 + major 2 + minor 2 + serial 6)")]
pub struct PartCodeError(pub String);

impl PartCode {
    /// Builds a code from its pieces; `None` if a piece is out of range.
    #[must_use]
    pub fn new(county: u32, major: u8, minor: u8, serial: u32) -> Option<Self> {
        let in_range = (100_000..=999_999).contains(&county) && major <= 99 && minor <= 99 && serial <= 999_999;
        in_range.then(|| {
            Self(u64::from(county) * 10_000_000_000 + u64::from(major) * 100_000_000 + u64::from(minor) * 1_000_000 + u64::from(serial))
        })
    }

    /// Parses the 16-digit text form.
    ///
    /// # Errors
    /// Anything other than 16 ASCII digits with a county code that does not start with 0.
    pub fn parse(text: &str) -> Result<Self, PartCodeError> {
        let text = text.trim();
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
            return Err(PartCodeError(text.to_owned()));
        }
        text.parse().map(Self).map_err(|_| PartCodeError(text.to_owned()))
    }

    /// The numeric value (16 digits).
    #[must_use]
    pub fn value(self) -> u64 {
        self.0
    }

    /// Six-digit county code.
    #[must_use]
    pub fn county(self) -> u32 {
        u32::try_from(self.0 / 10_000_000_000).unwrap_or(0)
    }

    /// Two-digit major class.
    #[must_use]
    pub fn major(self) -> u8 {
        u8::try_from(self.0 / 100_000_000 % 100).unwrap_or(0)
    }

    /// Two-digit minor class.
    #[must_use]
    pub fn minor(self) -> u8 {
        u8::try_from(self.0 / 1_000_000 % 100).unwrap_or(0)
    }

    /// Serial number within the class.
    #[must_use]
    pub fn serial(self) -> u32 {
        u32::try_from(self.0 % 1_000_000).unwrap_or(0)
    }

    /// The four-digit command-manual class code (`0118`).
    #[must_use]
    pub fn class_code(self) -> String {
        format!("{:02}{:02}", self.major(), self.minor())
    }
}

impl std::fmt::Display for PartCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016}", self.0)
    }
}

impl std::str::FromStr for PartCode {
    type Err = PartCodeError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

keyword_enum! {
    /// Condition of a part.
    pub enum PartState {
        Normal = ("normal", "完好", "Normal"),
        Damaged = ("damaged", "破损", "Damaged"),
        Lost = ("lost", "丢失", "Lost"),
        Occupied = ("occupied", "占用", "Occupied"),
        Removed = ("removed", "已拆除", "Removed"),
    }
}

keyword_enum! {
    /// Where the record of a part came from.
    pub enum PartSource {
        Census = ("census", "部件普查", "Census"),
        Survey = ("survey", "补测", "Survey"),
        Import = ("import", "导入", "Import"),
        Demo = ("demo", "演示数据", "Demo"),
    }
}

/// Geometry of a part, in WGS84 longitude/latitude degrees.
#[derive(Debug, Clone, PartialEq)]
pub enum PartGeometry {
    Point(Point<f64>),
    Line(LineString<f64>),
    Polygon(Polygon<f64>),
}

impl PartGeometry {
    /// Which of the three kinds this is.
    #[must_use]
    pub fn kind(&self) -> GeometryKind {
        match self {
            Self::Point(_) => GeometryKind::Point,
            Self::Line(_) => GeometryKind::Line,
            Self::Polygon(_) => GeometryKind::Polygon,
        }
    }
}

/// One city part.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub code: PartCode,
    /// Optional name (a named bridge or park); most parts have none.
    pub name: String,
    /// 主管部门 supervising unit.
    pub supervising_unit: Option<UnitId>,
    /// 权属单位 owning unit.
    pub owner_unit: Option<UnitId>,
    /// 养护单位 maintaining unit.
    pub maintainer_unit: Option<UnitId>,
    pub state: PartState,
    /// Unit-grid cell the part lies in (15-digit grid code).
    pub grid_code: Option<u64>,
    pub installed_on: Option<NaiveDate>,
    pub changed_on: Option<NaiveDate>,
    pub source: PartSource,
    pub geometry: PartGeometry,
}

impl Part {
    /// A part with only its code and geometry: no name, units, grid cell or dates, normal, from
    /// the demo (what tests and synthetic data start from).
    #[must_use]
    pub fn bare(code: PartCode, geometry: PartGeometry) -> Self {
        Self {
            code,
            name: String::new(),
            supervising_unit: None,
            owner_unit: None,
            maintainer_unit: None,
            state: PartState::Normal,
            grid_code: None,
            installed_on: None,
            changed_on: None,
            source: PartSource::Demo,
            geometry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_code_round_trips_through_its_pieces() {
        let code = PartCode::new(341_004, 1, 18, 42).expect("valid pieces");
        assert_eq!(code.to_string(), "3410040118000042");
        assert_eq!((code.county(), code.major(), code.minor(), code.serial()), (341_004, 1, 18, 42));
        assert_eq!(PartCode::parse("3410040118000042"), Ok(code));
    }

    #[test]
    fn malformed_part_codes_are_refused_with_the_text() {
        for bad in ["341004011800004", "34100401180000421", "34100401180000x2", "0410040118000042", ""] {
            let error = PartCode::parse(bad).expect_err(bad);
            assert!(error.to_string().contains(bad), "{error}");
        }
    }
}
