//! Which unit a case should go to (派遣建议), with the rule that picked it, in words.
//!
//! A routing precedent (裁定先例) comes before everything: when the coordination committee
//! decided a dispute and turned its decision into a rule for an area (and a class, or all
//! classes), a later case there, reported while the precedent is in force, goes to the unit the
//! committee designated; the newest decision wins.
//!
//! Otherwise the candidates, each from data the store already holds:
//! - the part's owner (权属), maintainer (养护) and supervisor (主管), when the case names a part;
//! - responsibility zones (责任区) containing the point whose unit is in the same department as
//!   the class's unit in the command manual (the greening section's park for a greening or
//!   sanitation event), or governs a whole area (a unit that owns township or community
//!   jurisdictions, e.g. the development-zone committee);
//! - the unit the command manual names for the class;
//! - the community or township office of the area (Art. 19 (3): property and responsibility
//!   unclear → the local government), always last.
//!
//! Parts go owner first, then territory (先属主、后属地): part → zone → manual → area.
//! Events go responsibility zone first, then owner: zone → part → manual → area; the reason
//! text names this order as applied. A zone counts only if its holder can act on the class: a
//! class the manual gives to a unit with enforcement powers (执法权: illegal building, street
//! vending) is never handed to a zone holder without them.
//! The first candidate is the suggestion; the others, without repeats, are the alternatives.

use chrono::NaiveDate;
use geo::{Area, Point};

use crate::model::{
    CommandManual, ItemKind, Jurisdiction, JurisdictionKind, Part, PartCode, Precedent, Routing, Unit, UnitId, keyword_enum,
};
use crate::spatial::JurisdictionIndex;

keyword_enum! {
    /// The rule behind a candidate unit.
    pub enum RoutingRule {
        /// A committee decision set a precedent for the place (Art. 18: its decisions bind).
        Precedent = ("precedent", "城管委裁定先例", "Committee precedent"),
        PartOwner = ("part_owner", "部件权属单位", "Owner of the part"),
        PartMaintainer = ("part_maintainer", "部件养护单位", "Maintainer of the part"),
        PartSupervisor = ("part_supervisor", "部件主管部门", "Supervisor of the part"),
        Zone = ("zone", "责任区", "Responsibility zone"),
        Manual = ("manual", "指挥手册", "Command manual"),
        Area = ("area", "属地乡镇社区", "Local township or community"),
    }
}

/// One unit that could take the case, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub unit: UnitId,
    pub rule: RoutingRule,
    pub reason_zh: String,
    pub reason_en: String,
}

/// The suggested unit, why, and the other candidates in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub unit: UnitId,
    pub rule: RoutingRule,
    /// Names the routing principle and the fact that decided it.
    pub reason_zh: String,
    pub reason_en: String,
    pub alternatives: Vec<Candidate>,
}

/// What routing reads.
/// Where routing finds a case's part by code: the parts in memory (the demo generator, the
/// tests), or a seat's parts read from the store by code.
pub trait PartLookup: Sync {
    fn find_part(&self, code: PartCode) -> Option<Part>;
}

impl PartLookup for [Part] {
    fn find_part(&self, code: PartCode) -> Option<Part> {
        self.iter().find(|part| part.code == code).cloned()
    }
}

impl PartLookup for Vec<Part> {
    fn find_part(&self, code: PartCode) -> Option<Part> {
        self.as_slice().find_part(code)
    }
}

/// Parts in memory found by code through a hash map: what the demo generator routes its
/// thousands of part cases with (a scan per case would be minutes at ten million parts).
pub struct PartsByCode<'a> {
    parts: &'a [Part],
    by_code: std::collections::HashMap<PartCode, usize>,
}

impl<'a> PartsByCode<'a> {
    #[must_use]
    pub fn new(parts: &'a [Part]) -> Self {
        Self { parts, by_code: parts.iter().enumerate().map(|(index, part)| (part.code, index)).collect() }
    }
}

impl PartLookup for PartsByCode<'_> {
    fn find_part(&self, code: PartCode) -> Option<Part> {
        self.by_code.get(&code).map(|index| self.parts[*index].clone())
    }
}

#[derive(Clone, Copy)]
pub struct RoutingData<'a> {
    pub manual: &'a CommandManual,
    pub units: &'a [Unit],
    pub jurisdictions: &'a [Jurisdiction],
    /// Built over `jurisdictions`.
    pub index: &'a JurisdictionIndex,
    /// The parts, looked up by code: a slice of them, or a seat's [`PartLookup`] over the store.
    pub parts: &'a dyn PartLookup,
    /// Routing precedents set by committee decisions, in force or not (`&[]` for none).
    pub precedents: &'a [Precedent],
}

/// The case to route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutingQuery<'a> {
    pub kind: ItemKind,
    pub class_code: &'a str,
    pub location: Point<f64>,
    pub part_code: Option<PartCode>,
    /// Boundaries in force on this day are used.
    pub on: NaiveDate,
}

impl<'a> RoutingQuery<'a> {
    /// The query for a case: its class and place as reported, on the day it was reported.
    #[must_use]
    pub fn of_case(case: &'a crate::model::Case) -> Self {
        Self {
            kind: case.subject.item_kind(),
            class_code: &case.class_code,
            location: case.location,
            part_code: case.part_code,
            on: case.reported_at.date(),
        }
    }
}

fn unit_by_id(units: &[Unit], id: UnitId) -> Option<&Unit> {
    units.iter().find(|unit| unit.id == id)
}

fn unit_names(units: &[Unit], id: UnitId) -> (String, String) {
    unit_by_id(units, id)
        .map_or_else(|| (format!("单位 {}", id.0), format!("unit {}", id.0)), |unit| (unit.name_zh.clone(), unit.name_en.clone()))
}

/// The top of a unit's department tree (itself when it has no parent).
fn department_root(units: &[Unit], id: UnitId) -> UnitId {
    let mut current = id;
    // Bounded walk: a cycle in bad data must not hang routing.
    for _ in 0..units.len() {
        match unit_by_id(units, current).and_then(|unit| unit.parent) {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// Suggests the responsible unit for a case; `None` when no rule names any unit (a class not in
/// the manual, outside every jurisdiction, without a known part).
#[must_use]
pub fn suggest_unit(data: &RoutingData<'_>, query: &RoutingQuery<'_>) -> Option<Suggestion> {
    let found = candidates(data, query);
    let ordered: Vec<Candidate> = match found.routing {
        Routing::OwnerFirst => [found.precedent, found.part, found.zone, found.manual, found.area].concat(),
        Routing::TerritoryFirst => [found.precedent, found.zone, found.part, found.manual, found.area].concat(),
    };
    let mut unique = unique_units(ordered).into_iter();
    let first = unique.next()?;
    Some(Suggestion {
        unit: first.unit,
        rule: first.rule,
        reason_zh: first.reason_zh,
        reason_en: first.reason_en,
        alternatives: unique.collect(),
    })
}

/// The units a responsibility dispute over the case lies between, by the routing rule of its
/// class, each with the fact that makes it one, without the centre and the committee (which
/// decide, not handle):
/// - a part whose owner or maintainer is known (先属主): its owner, maintainer and supervisor,
///   and the unit the manual names for the class; never the township or community office,
///   whose boundary says nothing of who owns a pipe;
/// - a part with neither (ownership unclear) and an event: the rule's own order, the local
///   township or community office last (Art. 19 (3)).
///
/// A committee precedent for the place comes first either way.
#[must_use]
pub fn dispute_candidates(data: &RoutingData<'_>, query: &RoutingQuery<'_>) -> Vec<Candidate> {
    let found = candidates(data, query);
    let owned = found.part.iter().any(|candidate| matches!(candidate.rule, RoutingRule::PartOwner | RoutingRule::PartMaintainer));
    let ordered: Vec<Candidate> = match found.routing {
        Routing::OwnerFirst if owned => [found.precedent, found.part, found.manual].concat(),
        Routing::OwnerFirst => [found.precedent, found.part, found.zone, found.manual, found.area].concat(),
        Routing::TerritoryFirst => [found.precedent, found.zone, found.part, found.manual, found.area].concat(),
    };
    let takes = |unit: UnitId| unit_by_id(data.units, unit).is_none_or(Unit::takes_dispatches);
    unique_units(ordered.into_iter().filter(|candidate| takes(candidate.unit)).collect())
}

/// The first candidate of each unit, in order.
fn unique_units(ordered: Vec<Candidate>) -> Vec<Candidate> {
    let mut seen = Vec::new();
    ordered
        .into_iter()
        .filter(|candidate| {
            let fresh = !seen.contains(&candidate.unit);
            seen.push(candidate.unit);
            fresh
        })
        .collect()
}

/// The candidates of each rule, before they are put in order.
struct Found {
    routing: Routing,
    precedent: Vec<Candidate>,
    part: Vec<Candidate>,
    zone: Vec<Candidate>,
    manual: Vec<Candidate>,
    area: Vec<Candidate>,
}

fn candidates(data: &RoutingData<'_>, query: &RoutingQuery<'_>) -> Found {
    let units = data.units;
    let entry = data.manual.entry(query.kind, query.class_code);
    let routing =
        entry.map_or(if query.kind == ItemKind::Part { Routing::OwnerFirst } else { Routing::TerritoryFirst }, |entry| entry.routing);
    let manual_unit = entry.and_then(|entry| units.iter().find(|unit| unit.code == entry.default_unit)).map(|unit| unit.id);
    // The order applied, in words (the reason names it, so it can be checked against it).
    let (principle_zh, principle_en) = match routing {
        Routing::OwnerFirst => ("部件按“先属主、后属地”（权属→责任区→手册→属地）", "Owner first (owner → zone → manual → area)"),
        Routing::TerritoryFirst => {
            ("事件按“先责任区、后权属”（责任区→部件权属→手册→属地）", "Responsibility zone first (zone → part owner → manual → area)")
        }
    };
    let class_name = entry.map_or_else(|| query.class_code.to_owned(), |entry| format!("{}（{}）", entry.code, entry.name_zh));
    let class_name_en = entry.map_or_else(|| query.class_code.to_owned(), |entry| format!("{} ({})", entry.code, entry.name_en));

    let candidate = |unit: UnitId, rule: RoutingRule, fact_zh: String, fact_en: String| Candidate {
        unit,
        rule,
        reason_zh: format!("{principle_zh}：{fact_zh}"),
        reason_en: format!("{principle_en}: {fact_en}"),
    };

    // The part's own units.
    let mut part_candidates = Vec::new();
    if let Some(part) = query.part_code.and_then(|code| data.parts.find_part(code)) {
        for (unit, rule, role_zh, role_en) in [
            (part.owner_unit, RoutingRule::PartOwner, "权属单位", "owned by"),
            (part.maintainer_unit, RoutingRule::PartMaintainer, "养护单位", "maintained by"),
            (part.supervising_unit, RoutingRule::PartSupervisor, "主管部门", "supervised by"),
        ] {
            if let Some(unit) = unit {
                let (name_zh, name_en) = unit_names(units, unit);
                part_candidates.push(candidate(
                    unit,
                    rule,
                    format!("部件 {} 的{role_zh}是{name_zh}", part.code),
                    format!("part {} is {role_en} {name_en}", part.code),
                ));
            }
        }
    }

    // Jurisdictions at the point, in force on the day.
    let here: Vec<&Jurisdiction> = data
        .index
        .containing(data.jurisdictions, query.location)
        .into_iter()
        .map(|index| &data.jurisdictions[index])
        .filter(|jurisdiction| jurisdiction.valid_on(query.on))
        .collect();
    let area_authority = |unit: UnitId| {
        data.jurisdictions.iter().any(|jurisdiction| {
            matches!(jurisdiction.kind, JurisdictionKind::Township | JurisdictionKind::Community) && jurisdiction.owner_unit == Some(unit)
        })
    };
    let manual_root = manual_unit.map(|unit| department_root(units, unit));
    // A class the manual gives to a unit with enforcement powers (违法建设, 占道经营…) needs
    // them: a zone's holder without them (the park's greening section) cannot take it.
    let needs_powers = manual_unit.and_then(|unit| unit_by_id(units, unit)).is_some_and(|unit| unit.enforcement);
    let has_powers = |owner: UnitId| unit_by_id(units, owner).is_some_and(|unit| unit.enforcement);
    let mut zones: Vec<&Jurisdiction> = here
        .iter()
        .copied()
        .filter(|zone| zone.kind == JurisdictionKind::UnitZone)
        .filter(|zone| zone.owner_unit.is_some_and(|owner| area_authority(owner) || Some(department_root(units, owner)) == manual_root))
        .filter(|zone| zone.owner_unit.is_some_and(|owner| !needs_powers || has_powers(owner)))
        .collect();
    // The most specific zone first.
    zones.sort_by(|a, b| a.geometry.unsigned_area().total_cmp(&b.geometry.unsigned_area()).then(a.id.cmp(&b.id)));
    let zone_candidates: Vec<Candidate> = zones
        .iter()
        .filter_map(|zone| {
            let owner = zone.owner_unit?;
            let (name_zh, name_en) = unit_names(units, owner);
            Some(candidate(
                owner,
                RoutingRule::Zone,
                format!("位置在{name_zh}的责任区“{}”内", zone.name),
                format!("the location lies in {name_en}'s responsibility zone “{}”", zone.name),
            ))
        })
        .collect();

    let manual_candidates: Vec<Candidate> = manual_unit
        .map(|unit| {
            let (name_zh, name_en) = unit_names(units, unit);
            candidate(
                unit,
                RoutingRule::Manual,
                format!("指挥手册规定小类 {class_name} 由{name_zh}负责"),
                format!("the command manual gives class {class_name_en} to {name_en}"),
            )
        })
        .into_iter()
        .collect();

    let mut area_candidates = Vec::new();
    for kind in [JurisdictionKind::Community, JurisdictionKind::Township] {
        for jurisdiction in here.iter().filter(|jurisdiction| jurisdiction.kind == kind) {
            if let Some(owner) = jurisdiction.owner_unit {
                let (name_zh, name_en) = unit_names(units, owner);
                area_candidates.push(candidate(
                    owner,
                    RoutingRule::Area,
                    format!("权属不明时由属地{}（{name_zh}）处理（第十九条第三项）", jurisdiction.name),
                    format!("when ownership is unclear the local {} office handles it: {name_en} (Art. 19 (3))", jurisdiction.name),
                ));
            }
        }
    }

    Found {
        routing,
        precedent: precedent_candidates(data, query),
        part: part_candidates,
        zone: zone_candidates,
        manual: manual_candidates,
        area: area_candidates,
    }
}

/// The precedents that decide this case, newest decision first (then one for the class before
/// one for every class, then the later one), each naming the decision it comes from.
fn precedent_candidates(data: &RoutingData<'_>, query: &RoutingQuery<'_>) -> Vec<Candidate> {
    let mut matching: Vec<&Precedent> =
        data.precedents.iter().filter(|precedent| precedent.applies_to(query.kind, query.class_code, query.location, query.on)).collect();
    matching.sort_by(|a, b| b.decided_on.cmp(&a.decided_on).then(b.class.is_some().cmp(&a.class.is_some())).then(b.id.cmp(&a.id)));
    matching
        .into_iter()
        .map(|precedent| {
            let (name_zh, name_en) = unit_names(data.units, precedent.unit);
            let decided_on = precedent.decided_on.format("%Y-%m-%d");
            let dispute = precedent.dispute_id;
            Candidate {
                unit: precedent.unit,
                rule: RoutingRule::Precedent,
                reason_zh: format!("依据 {decided_on} 城管委裁定（争议 #{dispute}）：此处由{name_zh}负责"),
                reason_en: format!("Per the committee decision of {decided_on} (dispute #{dispute}): {name_en} is responsible here"),
            }
        })
        .collect()
}
