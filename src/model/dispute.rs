//! Responsibility disputes (责任争议, Art. 18–19): a case whose responsible unit is contested,
//! the on-site confirmation the centre organises (现场确认), each unit's statement, the
//! coordination committee's (城管委) binding decision, and the precedent (先例) a decision may
//! set for later cases at the same place.

use chrono::{NaiveDate, NaiveDateTime};
use geo::{Destination, Distance, Haversine, Intersects, LineString, Point, Polygon};

use super::{ItemKind, UnitId, keyword_enum};

keyword_enum! {
    /// Where a dispute stands.
    pub enum DisputeState {
        /// 争议中: statements and site checks are being gathered.
        Open = ("open", "争议中", "Open"),
        /// 已裁定: the committee designated the responsible unit.
        Decided = ("decided", "已裁定", "Decided"),
        /// 已撤销: settled without a decision (the units agreed, or it was opened by mistake).
        Withdrawn = ("withdrawn", "已撤销", "Withdrawn"),
    }
}

keyword_enum! {
    /// How a dispute came about.
    pub enum DisputeOrigin {
        /// A unit returned the case as not its own (回退, Art. 18).
        Return = ("return", "单位回退", "Returned by a unit"),
        /// The centre opened it (e.g. a case whose owner is unclear before dispatch).
        Centre = ("centre", "中心发起", "Opened by the centre"),
    }
}

keyword_enum! {
    /// The fallback rules of Art. 19 when coordination finds no responsible body.
    pub enum Art19Rule {
        /// (一) Policy causes, or unclear boundaries between urban districts: the committee decides.
        PolicyOrBoundary = ("policy_or_boundary", "第十九条（一）政策原因或城区边界不明：城管委协调解决", "Art. 19 (1) policy causes or unclear district boundary: the committee decides"),
        /// (二) Emergency on municipal infrastructure: the dispatched unit acts first if able;
        /// responsibility and money are settled after.
        EmergencyFirst = ("emergency_first", "第十九条（二）市政设施应急处置：受派遣单位先行实施，后分清责任", "Art. 19 (2) emergency on municipal infrastructure: the dispatched unit acts first, responsibility settled after"),
        /// (三) Unclear property, general issue: the township or community office of the area.
        LocalOffice = ("local_office", "第十九条（三）产权责任不明的一般问题：辖区乡镇、社区解决", "Art. 19 (3) unclear property, general issue: the township or community office"),
        /// (四) Enforcement cases: the committee designates jurisdiction by law.
        Enforcement = ("enforcement", "第十九条（四）执法案件：城管委依法指定管辖", "Art. 19 (4) enforcement case: the committee designates by law"),
    }
}

impl Art19Rule {
    /// The label in the requested language.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        if chinese { self.label_zh() } else { self.label_en() }
    }
}

/// A responsibility dispute over one case (`disputes`).
#[derive(Debug, Clone, PartialEq)]
pub struct Dispute {
    pub id: i64,
    pub case_id: i64,
    pub opened_at: NaiveDateTime,
    pub opened_by: Option<i64>,
    pub origin: DisputeOrigin,
    /// What is disputed, in the centre's words.
    pub summary: String,
    /// The units party to the dispute (the returning unit, the candidates the centre names).
    pub units: Vec<UnitId>,
    pub state: DisputeState,
    /// The Art. 19 rule the decision applied.
    pub art19_rule: Option<Art19Rule>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    /// The unit the committee made responsible.
    pub designated_unit: Option<UnitId>,
    /// The committee's reasoning.
    pub reasoning: String,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<i64>,
    pub withdraw_reason: String,
}

impl Dispute {
    /// Whether the dispute still waits for a decision.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.state == DisputeState::Open
    }
}

/// A unit's statement of why the case is, or is not, its own (`dispute_statements`).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub id: i64,
    pub dispute_id: i64,
    pub unit: UnitId,
    pub at: NaiveDateTime,
    /// The account that wrote it.
    pub by: Option<i64>,
    pub text: String,
    /// Photo file names or paths.
    pub photos: Vec<String>,
}

/// The on-site confirmation (现场确认, Art. 18) the centre organised (`dispute_site_checks`).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteCheck {
    pub id: i64,
    pub dispute_id: i64,
    /// The day of the visit.
    pub checked_on: NaiveDate,
    pub units_present: Vec<UnitId>,
    /// Where the problem was measured to be (WGS84).
    pub location: Point<f64>,
    pub photos: Vec<String>,
    pub notes: String,
    /// Who recorded it, and when.
    pub by: Option<i64>,
    pub at: NaiveDateTime,
}

/// Where a precedent applies.
#[derive(Debug, Clone, PartialEq)]
pub enum PrecedentArea {
    /// Inside (or on the edge of) a polygon, WGS84.
    Polygon(Polygon<f64>),
    /// Within `radius_m` metres (geodesic, haversine) of a point.
    Circle { centre: Point<f64>, radius_m: f64 },
}

/// Vertices of the polygon that stands for a circle on the map and in the GeoPackage.
const CIRCLE_VERTICES: usize = 64;

impl PrecedentArea {
    /// Whether `point` lies in the area (edges included).
    ///
    /// ```
    /// use citygrid::model::PrecedentArea;
    /// let area = PrecedentArea::Circle { centre: geo::point!(x: 118.33, y: 29.84), radius_m: 100.0 };
    /// assert!(area.contains(geo::point!(x: 118.33, y: 29.8405)));
    /// assert!(!area.contains(geo::point!(x: 118.33, y: 29.842)));
    /// ```
    #[must_use]
    pub fn contains(&self, point: Point<f64>) -> bool {
        match self {
            Self::Polygon(polygon) => polygon.intersects(&point),
            Self::Circle { centre, radius_m } => Haversine.distance(*centre, point) <= *radius_m,
        }
    }

    /// The area as a polygon: itself, or the circle as a 64-gon (for maps and GIS tools; the
    /// circle itself decides what is inside).
    #[must_use]
    pub fn outline(&self) -> Polygon<f64> {
        match self {
            Self::Polygon(polygon) => polygon.clone(),
            Self::Circle { centre, radius_m } => {
                let mut ring: Vec<Point<f64>> = (0..CIRCLE_VERTICES)
                    .map(|step| Haversine.destination(*centre, 360.0 * step as f64 / CIRCLE_VERTICES as f64, *radius_m))
                    .collect();
                ring.push(ring[0]);
                Polygon::new(LineString::from(ring), Vec::new())
            }
        }
    }
}

/// The classes a precedent covers: one command-manual class, or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecedentClass {
    pub kind: ItemKind,
    /// Four-digit command-manual class code.
    pub code: String,
}

/// A committee decision turned into a routing rule (`routing_precedents`): later cases in the
/// area (of the class, if one is given) go straight to the designated unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Precedent {
    pub id: i64,
    /// The dispute whose decision set it.
    pub dispute_id: i64,
    pub unit: UnitId,
    pub area: PrecedentArea,
    /// `None`: every class.
    pub class: Option<PrecedentClass>,
    /// The day of the committee's decision.
    pub decided_on: NaiveDate,
    pub valid_from: NaiveDate,
    /// Last day in force; `None` while in force.
    pub valid_to: Option<NaiveDate>,
    pub note: String,
}

impl Precedent {
    /// Whether the precedent was in force on `date`.
    #[must_use]
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    /// Whether it decides a case of this class at this place on this day.
    #[must_use]
    pub fn applies_to(&self, kind: ItemKind, class_code: &str, location: Point<f64>, on: NaiveDate) -> bool {
        self.valid_on(on)
            && self.class.as_ref().is_none_or(|class| class.kind == kind && class.code == class_code)
            && self.area.contains(location)
    }
}

/// Everything recorded about one dispute, for the committee's screen.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeRecord {
    pub dispute: Dispute,
    /// Oldest first.
    pub site_checks: Vec<SiteCheck>,
    /// Oldest first.
    pub statements: Vec<Statement>,
    /// The precedent the decision set, if any.
    pub precedent: Option<Precedent>,
}

impl DisputeRecord {
    /// Whether `unit` is party to the dispute: named when it was opened, or present at a site
    /// check.
    #[must_use]
    pub fn involves(&self, unit: UnitId) -> bool {
        self.dispute.units.contains(&unit) || self.site_checks.iter().any(|check| check.units_present.contains(&unit))
    }

    /// The parties, in the order they were named, without repeats.
    #[must_use]
    pub fn parties(&self) -> Vec<UnitId> {
        let mut parties = self.dispute.units.clone();
        for unit in self.site_checks.iter().flat_map(|check| check.units_present.iter()) {
            if !parties.contains(unit) {
                parties.push(*unit);
            }
        }
        parties
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn precedent(class: Option<PrecedentClass>) -> Precedent {
        Precedent {
            id: 1,
            dispute_id: 3,
            unit: UnitId(7),
            area: PrecedentArea::Polygon(polygon![(x: 118.0, y: 29.0), (x: 118.01, y: 29.0), (x: 118.01, y: 29.01), (x: 118.0, y: 29.01)]),
            class,
            decided_on: day("2026-11-25"),
            valid_from: day("2026-11-25"),
            valid_to: Some(day("2027-12-31")),
            note: String::new(),
        }
    }

    #[test]
    fn a_precedent_applies_inside_its_area_for_its_class_while_in_force() {
        let lamp = PrecedentClass { kind: ItemKind::Part, code: "0118".into() };
        let inside = Point::new(118.005, 29.005);
        let only_lamps = precedent(Some(lamp));
        assert!(only_lamps.applies_to(ItemKind::Part, "0118", inside, day("2026-12-01")));
        assert!(!only_lamps.applies_to(ItemKind::Part, "0102", inside, day("2026-12-01")), "another class");
        assert!(!only_lamps.applies_to(ItemKind::Event, "0118", inside, day("2026-12-01")), "an event with the same code");
        assert!(!only_lamps.applies_to(ItemKind::Part, "0118", Point::new(118.02, 29.005), day("2026-12-01")), "outside");
        assert!(!only_lamps.applies_to(ItemKind::Part, "0118", inside, day("2026-11-24")), "before the decision");
        assert!(!only_lamps.applies_to(ItemKind::Part, "0118", inside, day("2028-01-01")), "after it ended");
        assert!(precedent(None).applies_to(ItemKind::Event, "0503", inside, day("2026-12-01")), "every class");
    }

    #[test]
    fn a_circles_outline_lies_on_its_radius() {
        let centre = Point::new(118.33, 29.84);
        let area = PrecedentArea::Circle { centre, radius_m: 250.0 };
        let outline = area.outline();
        assert_eq!(outline.exterior().0.len(), CIRCLE_VERTICES + 1);
        for coord in &outline.exterior().0 {
            assert!((Haversine.distance(centre, Point(*coord)) - 250.0).abs() < 0.01);
        }
    }
}
