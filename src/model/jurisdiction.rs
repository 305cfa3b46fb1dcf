//! Jurisdictions: polygons that decide whose a spot is.

use chrono::NaiveDate;
use geo::MultiPolygon;

use super::{UnitId, keyword_enum};

keyword_enum! {
    /// The layer a jurisdiction belongs to.
    pub enum JurisdictionKind {
        /// 区县 county-level district.
        District = ("district", "区县", "District"),
        /// 乡镇街道 township.
        Township = ("township", "乡镇", "Township"),
        /// 社区 / 村 community.
        Community = ("community", "社区", "Community"),
        /// 单元网格 unit-grid cell (about 10,000 m²).
        GridCell = ("grid", "单元网格", "Grid cell"),
        /// 责任区 a unit's responsibility zone (a road section, a park, a carrier's area).
        UnitZone = ("unit_zone", "责任区", "Unit zone"),
    }
}

/// One jurisdiction polygon with its owner and validity period.
#[derive(Debug, Clone, PartialEq)]
pub struct Jurisdiction {
    pub id: i64,
    pub kind: JurisdictionKind,
    /// Administrative or grid code (`341004100`, `341004100001003`).
    pub code: String,
    pub name: String,
    pub owner_unit: Option<UnitId>,
    /// Code of the enclosing jurisdiction, if any.
    pub parent_code: Option<String>,
    pub valid_from: NaiveDate,
    /// Last day of validity; `None` while in force.
    pub valid_to: Option<NaiveDate>,
    /// Where the shape came from (and whether it is synthetic).
    pub source: String,
    /// WGS84 longitude/latitude.
    pub geometry: MultiPolygon<f64>,
}

impl Jurisdiction {
    /// Whether the jurisdiction was in force on `date`.
    #[must_use]
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }
}
