//! The world a seat shows: the district's units, command manual, calendar, jurisdictions and
//! streets, read from the store and indexed (rstar) and projected once, off the UI thread; the
//! parts' counts per cell, with the parts themselves read by chunk as they are shown
//! ([`StoredParts`]). The map, the desk, the wall, the benches and the command line all read it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::NaiveDateTime;

use crate::calendar::{WorkCalendar, WorkScheme};
use crate::desk::CaseBook;
use crate::map::ProjectedFeature;
use crate::map::scene::SceneData;
use crate::map::scene_build::{PartChunk, PartTiles};
use crate::map::style;
use crate::model::{CommandManual, ItemKind, Jurisdiction, JurisdictionKind, Lang, Unit, UnitId};
use crate::spatial::JurisdictionIndex;
use crate::spatial::part_cells::PartCells;
use crate::store::{Location, StreetRecord};
use crate::workflow::{RoutingData, Workflow};

use super::parts::StoredParts;

/// Everything the app shows, loaded and indexed off the UI thread.
pub struct World {
    /// Where the district was read from (a file, or a server as the signed-in account).
    pub location: Location,
    pub district_code: String,
    pub district_name: String,
    /// The file is the demo district (`citygrid demo`): its shared password may be shown.
    pub is_demo: bool,
    /// Where the map opens before it is fitted (lon, lat): the database's `map_home` setting,
    /// else the demo district's urban core for the demo, else the centre of the managed district.
    pub home: (f64, f64),
    pub units: Vec<Unit>,
    unit_positions: HashMap<UnitId, usize>,
    pub manual: CommandManual,
    pub calendar: WorkCalendar,
    /// The rules, for the buttons a user is offered (the worker applies them on its own copy).
    pub workflow: Workflow,
    /// Cases closer than this to a boundary between two responsibility areas are flagged
    /// "near boundary" (the database's `near_boundary_m` setting, 30 m by default).
    pub near_boundary_m: f64,
    pub jurisdictions: Vec<Jurisdiction>,
    /// The parts, read from the store by chunk and by code as they are shown: a seat never
    /// holds them all (issue 20).
    pub parts: Arc<StoredParts>,
    /// Part counts per density cell, class and kind, as the store keeps them: the density layer
    /// and the counts below come from these, not from the parts.
    pub part_cells: PartCells,
    pub streets: Vec<StreetRecord>,
    pub jurisdiction_index: JurisdictionIndex,
    /// The newest audit-trail entry when the cases were read: the desk worker reports every
    /// change after it.
    pub since_event_id: i64,
    /// Jurisdiction outlines per kind, projected once.
    pub outlines: HashMap<JurisdictionKind, Vec<ProjectedFeature>>,
    pub street_lines: Vec<ProjectedFeature>,
    /// Count of parts per geometry kind: points, lines, polygons.
    pub part_counts: [usize; 3],
    /// Count of parts per four-digit class code, sorted by code.
    pub class_counts: std::collections::BTreeMap<String, usize>,
    /// How long reading the database took.
    pub read_time: Duration,
    /// How long reading and indexing took together.
    pub load_time: Duration,
}

impl World {
    /// A unit by id.
    #[must_use]
    pub fn unit(&self, id: UnitId) -> Option<&Unit> {
        self.unit_positions.get(&id).map(|position| &self.units[*position])
    }

    /// Name of a unit in the chosen language, or a dash.
    #[must_use]
    pub fn unit_name(&self, id: Option<UnitId>, lang: Lang) -> String {
        id.and_then(|id| self.unit(id)).map_or_else(|| "—".to_owned(), |unit| unit.name(lang.is_chinese()).to_owned())
    }

    /// The nearest boundary between two responsibility areas (unit zone, community, township)
    /// within [`Self::near_boundary_m`] of a point, by the boundaries valid on `date`.
    #[must_use]
    pub fn near_boundary(&self, point: geo::Point<f64>, date: chrono::NaiveDate) -> Option<crate::spatial::NearBoundary> {
        [JurisdictionKind::UnitZone, JurisdictionKind::Community, JurisdictionKind::Township]
            .into_iter()
            .filter_map(|kind| {
                self.jurisdiction_index.near_boundaries(&self.jurisdictions, kind, point, date, self.near_boundary_m).into_iter().next()
            })
            .min_by(|a, b| a.metres.total_cmp(&b.metres))
    }

    /// "Near the A | B boundary, 12.3 m" for a flagged spot.
    #[must_use]
    pub fn near_boundary_text(&self, near: &crate::spatial::NearBoundary, lang: Lang) -> String {
        let (a, b) = (&self.jurisdictions[near.inside].name, &self.jurisdictions[near.neighbour].name);
        match lang {
            Lang::Zh => format!("近边界：距 {a}｜{b} 边界 {:.1} 米", near.metres),
            Lang::En => format!("Near a boundary: {:.1} m from {a} | {b}", near.metres),
        }
    }

    /// What routing reads, for the dispatch dialog's suggestion.
    #[must_use]
    pub fn routing_data<'a>(&'a self, precedents: &'a [crate::model::Precedent]) -> RoutingData<'a> {
        RoutingData {
            manual: &self.manual,
            units: &self.units,
            jurisdictions: &self.jurisdictions,
            index: &self.jurisdiction_index,
            parts: self.parts.as_ref(),
            precedents,
        }
    }

    /// The names the assessment's reports print.
    #[must_use]
    pub fn report_names(&self) -> crate::assess::output::ReportNames<'_> {
        crate::assess::output::ReportNames { district_name: &self.district_name, units: &self.units, jurisdictions: &self.jurisdictions }
    }

    /// Name of a command-manual class in the chosen language.
    #[must_use]
    pub fn class_name(&self, kind: ItemKind, code: &str, lang: Lang) -> String {
        self.manual.entry(kind, code).map_or_else(|| code.to_owned(), |entry| entry.name(lang.is_chinese()).to_owned())
    }

    /// A place description for a point: the nearest named street within 150 m
    /// (`文峰路附近`), or the smallest named jurisdiction there; empty when neither.
    #[must_use]
    pub fn address_hint(&self, lon: f64, lat: f64, lang: crate::model::Lang) -> String {
        let here = geo::Point::new(lon, lat);
        let nearest = self
            .streets
            .iter()
            .filter(|street| !street.name.is_empty())
            .filter_map(|street| Some((street, crate::spatial::boundary::distance_to_lines(here, [&street.line])?.metres)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match nearest {
            Some((street, metres)) if metres <= 150.0 => match lang {
                crate::model::Lang::Zh => format!("{}附近", street.name),
                crate::model::Lang::En => format!("near {}", street.name),
            },
            _ => self.jurisdictions_at(lon, lat).first().map(|index| self.jurisdictions[*index].name.clone()).unwrap_or_default(),
        }
    }

    /// Jurisdictions containing a lon/lat point, smallest kind first.
    #[must_use]
    pub fn jurisdictions_at(&self, lon: f64, lat: f64) -> Vec<usize> {
        let mut found = self.jurisdiction_index.containing(&self.jurisdictions, geo::Point::new(lon, lat));
        found.sort_by_key(|index| std::cmp::Reverse(self.jurisdictions[*index].kind));
        found
    }
}

/// Opens a database and loads and indexes everything the app shows: the map's world and the
/// cases, measured against their deadlines at `now`.
///
/// # Errors
/// The file cannot be opened (see [`crate::store::StoreError`]) or has bad rows.
pub fn load_everything(path: &Path, now: NaiveDateTime) -> Result<(World, CaseBook)> {
    load_from(&Location::File(path.to_owned()), now)
}

/// [`load_everything`] from a file or a server.
///
/// # Errors
/// The district cannot be opened (see [`crate::store::StoreError`]) or has bad rows.
pub fn load_from(location: &Location, now: NaiveDateTime) -> Result<(World, CaseBook)> {
    let started = Instant::now();
    // Store errors name the file or the server themselves.
    let store = location.open()?;
    let units = store.load_units()?;
    let manual = store.load_manual()?;
    let calendar = WorkCalendar::new(store.load_holidays()?, WorkScheme::office_hours());
    let jurisdictions = store.load_jurisdictions()?;
    let part_cells = store.load_part_cells()?;
    // A server upgraded to schema 11 starts with no cells: count the parts once instead.
    let part_cells = if part_cells.is_empty() { PartCells::from_parts(&store.load_parts()?) } else { part_cells };
    // Read before the cases: a change between the two is then reported again, never missed.
    let since_event_id = store.last_case_event_id()?;
    let cases = store.load_cases()?;
    let precedents = store.load_precedents()?;
    let streets = store.load_streets()?;
    let district_code = store.meta("district_code")?.unwrap_or_default();
    let district_name = store.meta("district_name")?.unwrap_or_default();
    let is_demo = store.meta("demo")?.as_deref() == Some("1");
    let near_boundary_m = store
        .meta("near_boundary_m")?
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|metres| metres.is_finite() && *metres > 0.0)
        .unwrap_or(crate::spatial::NEAR_BOUNDARY_M);
    let home = map_home(store.meta("map_home")?.as_deref(), &district_code, &jurisdictions);
    drop(store);
    let read_time = started.elapsed();
    let jurisdiction_index = JurisdictionIndex::new(&jurisdictions);
    let outlines = project_outlines(&jurisdictions);
    let parts = Arc::new(StoredParts::new(location.clone(), &part_cells));
    let part_counts = part_cells.kind_counts();
    let class_counts = part_cells.class_counts();
    let street_lines = streets.iter().enumerate().map(|(index, street)| ProjectedFeature::from_line(&street.line, index)).collect();
    let unit_positions = units.iter().enumerate().map(|(position, unit)| (unit.id, position)).collect();
    let mut book = CaseBook::new(cases, &calendar, now).with_stage_limits(manual.stage_limits.clone(), &calendar);
    book.set_precedents(precedents);
    let workflow = Workflow::new(manual.clone(), calendar.clone(), units.clone());
    let world = World {
        location: location.clone(),
        district_code,
        district_name,
        is_demo,
        home,
        units,
        unit_positions,
        manual,
        calendar,
        workflow,
        near_boundary_m,
        jurisdictions,
        parts,
        part_cells,
        streets,
        since_event_id,
        jurisdiction_index,
        outlines,
        street_lines,
        part_counts,
        class_counts,
        read_time,
        load_time: started.elapsed(),
    };
    Ok((world, book))
}

/// Where the map opens: `map_home` (`LON,LAT`) when set and valid, the demo's urban core for the
/// demo district, else the centre of the managed district's bounding box.
fn map_home(setting: Option<&str>, district_code: &str, jurisdictions: &[Jurisdiction]) -> (f64, f64) {
    use geo::BoundingRect as _;
    let from_setting = setting.and_then(|text| {
        let (lon, lat) = text.split_once(',')?;
        let (lon, lat) = (lon.trim().parse::<f64>().ok()?, lat.trim().parse::<f64>().ok()?);
        ((-180.0..=180.0).contains(&lon) && (-85.0..=85.0).contains(&lat)).then_some((lon, lat))
    });
    let district_centre = || {
        jurisdictions
            .iter()
            .find(|jurisdiction| jurisdiction.kind == JurisdictionKind::District && jurisdiction.code == district_code)
            .and_then(|district| district.geometry.bounding_rect())
            .map(|rect| (rect.center().x, rect.center().y))
    };
    from_setting
        .or_else(|| (district_code == crate::demo::DISTRICT_CODE).then_some(crate::demo::CORE_CENTRE))
        .or_else(district_centre)
        .unwrap_or(crate::demo::CORE_CENTRE)
}

fn project_outlines(jurisdictions: &[Jurisdiction]) -> HashMap<JurisdictionKind, Vec<ProjectedFeature>> {
    let mut outlines: HashMap<JurisdictionKind, Vec<ProjectedFeature>> = HashMap::new();
    for (index, jurisdiction) in jurisdictions.iter().enumerate() {
        outlines.entry(jurisdiction.kind).or_default().push(ProjectedFeature::from_multipolygon(&jurisdiction.geometry, index));
    }
    outlines
}

impl SceneData for World {
    fn part_tiles(&self) -> &PartTiles {
        self.parts.tiles()
    }

    fn part_chunk(&self, tile: (u32, u32)) -> Arc<PartChunk> {
        self.parts.chunk_or_empty(tile)
    }

    fn part_cells(&self) -> &PartCells {
        &self.part_cells
    }

    fn outlines(&self, kind: JurisdictionKind) -> &[ProjectedFeature] {
        self.outlines.get(&kind).map_or(&[], Vec::as_slice)
    }

    fn outline_stroke(&self, kind: JurisdictionKind, source: usize) -> egui::Stroke {
        let managed = kind != JurisdictionKind::District || self.jurisdictions.get(source).is_some_and(|j| j.code == self.district_code);
        style::jurisdiction_stroke(kind, managed)
    }

    fn street_lines(&self) -> &[ProjectedFeature] {
        &self.street_lines
    }

    fn street_style(&self, source: usize) -> (egui::Stroke, f32) {
        if self.streets.get(source).is_some_and(|street| street.class == "main") {
            (style::STREET_MAIN, style::MAIN_ROAD_WIDTH_M)
        } else {
            (style::STREET_MINOR, style::MINOR_ROAD_WIDTH_M)
        }
    }
}
