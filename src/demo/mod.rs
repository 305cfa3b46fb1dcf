//! The embedded demo district: real 徽州区 boundaries, synthetic townships, communities, unit grid,
//! schematic streets, city parts along them, responsible units and cases across the life cycle.
//!
//! Deterministic for a seed and an "as of" time. Written to a temporary file that is renamed
//! into place only when complete, so an interrupted run never leaves a half-made database.

mod basemap;
mod cases;
mod init;
mod regions;
mod streets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use geo::{BooleanOps, Buffer, LineString, MultiPolygon, coord};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use crate::spatial::LocalFrame;
pub use basemap::basemap_input;
pub use init::{InitOptions, InitSummary, init_district, known_districts};
pub use regions::{BOUNDARY_SOURCE, CORE_CENTRE, DISTRICT_CODE, DISTRICT_NAME, river_lines};

/// Metres per degree of latitude the demo district is laid out with (the meridian degree near
/// 30°N). Kept as it was, so the same seed gives the same district, parts and snapshots.
const DEMO_M_PER_DEG_LAT: f64 = 110_860.0;

use crate::calendar::{WorkCalendar, WorkScheme};
use crate::model::{Jurisdiction, JurisdictionKind, Part, Role, Unit, UnitId, User};
use crate::spatial::JurisdictionIndex;
use crate::store::{ReferenceData, Store, StoreError, StreetRecord};
use crate::workflow::{PartsByCode, RoutingData, RoutingQuery, Workflow, WorkflowError, suggest_unit};

/// The password of every demo account (`admin`, `intake1`, `dispatch1`, `leader1`,
/// `collector1`, `committee1`, `wall1` (the video wall's read-only account), and `unit_<unit code>` such as `unit_cgj_sz` for each unit).
pub const DEMO_PASSWORD: &str = "citygrid";

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub parts: usize,
    pub cases: usize,
    pub seed: u64,
    /// The moment the demo is "now": case timestamps lie in the 30 days before it.
    pub as_of: NaiveDateTime,
}

impl DemoOptions {
    /// 100,000 parts, 300 cases, seed 1, as of the current hour (China time), so the newest
    /// cases are fresh when the app first opens.
    #[must_use]
    pub fn standard() -> Self {
        let now = crate::calendar::china_now();
        let this_hour = now.date().and_hms_opt(chrono::Timelike::hour(&now), 0, 0).unwrap_or(now);
        Self { parts: 100_000, cases: 300, seed: 1, as_of: this_hour }
    }
}

/// Progress of a demo build, for a progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoProgress {
    /// What is happening, in English (the UI translates the stage keyword).
    pub stage: DemoStage,
    /// 0.0–1.0 overall.
    pub fraction: f32,
}

/// The stages of a demo build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoStage {
    Regions,
    Streets,
    Parts,
    Cases,
    Finishing,
}

impl DemoStage {
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Regions, true) => "生成行政区划与单元网格",
            (Self::Regions, false) => "Building regions and the unit grid",
            (Self::Streets, true) => "生成示意街道",
            (Self::Streets, false) => "Laying out streets",
            (Self::Parts, true) => "写入城市部件",
            (Self::Parts, false) => "Writing city parts",
            (Self::Cases, true) => "生成案卷",
            (Self::Cases, false) => "Generating cases",
            (Self::Finishing, true) => "完成写入",
            (Self::Finishing, false) => "Finishing",
        }
    }
}

/// What a demo build produced.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    pub parts: usize,
    pub cases: usize,
    pub townships: usize,
    pub communities: usize,
    pub grid_cells: usize,
    pub unit_zones: usize,
    pub streets: usize,
    /// Planned steps the workflow refused (each ends its case's plan); 0 when the generator and
    /// the rules agree.
    pub steps_refused: usize,
    pub elapsed: Duration,
}

/// Why the demo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Regions(#[from] regions::RegionError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Auth(#[from] crate::store::AuthError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} already exists; choose another path or remove it first")]
    Exists(PathBuf),
    #[error("the demo has no account with the role {0:?}")]
    MissingAccount(Role),
    #[error("no district {code:?} in the boundaries citygrid carries; known: {known}")]
    UnknownDistrict { code: String, known: String },
    #[error("the administrator's password is too short: at least {min} characters")]
    PasswordTooShort { min: usize },
}

/// Writes a demo database to `path` (which must not exist yet).
///
/// # Errors
/// The path exists, cannot be written, or a store error; no file is left behind then.
pub fn write_demo(path: &Path, options: &DemoOptions, progress: &mut dyn FnMut(DemoProgress)) -> Result<DemoSummary, DemoError> {
    if path.exists() {
        return Err(DemoError::Exists(path.to_owned()));
    }
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DemoError::Io { path: parent.to_owned(), source })?;
    }
    write_new(path, |store| populate(store, options, progress))
}

/// Writes a new database at `path` through `fill`, under a temporary name renamed only once
/// complete: a failure leaves no file behind.
fn write_new<T>(path: &Path, fill: impl FnOnce(&mut Store) -> Result<T, DemoError>) -> Result<T, DemoError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    remove_database_files(&partial);
    let result = (|| {
        let mut store = Store::create(&partial)?;
        store.set_bulk_loading()?;
        let summary = fill(&mut store)?;
        store.checkpoint()?;
        drop(store);
        std::fs::rename(&partial, path).map_err(|source| DemoError::Io { path: path.to_owned(), source })?;
        Ok(summary)
    })();
    if result.is_err() {
        remove_database_files(&partial);
    }
    result
}

fn remove_database_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        // A missing file is fine: we only clean up.
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Fills an empty store with the demo district.
///
/// # Errors
/// Store or asset errors; every write is one transaction, so a failure leaves nothing half-done.
pub fn populate(store: &mut Store, options: &DemoOptions, progress: &mut dyn FnMut(DemoProgress)) -> Result<DemoSummary, DemoError> {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    progress(DemoProgress { stage: DemoStage::Regions, fraction: 0.0 });
    let reference = ReferenceData::embedded()?;
    store.seed_reference_data(&reference, DISTRICT_CODE, DISTRICT_NAME)?;
    store.mark_demo()?;
    let units = store.load_units()?;
    let unit_ids: HashMap<String, UnitId> = units.iter().map(|unit| (unit.code.clone(), unit.id)).collect();
    let unit = |code: &str| unit_ids.get(code).copied();

    let frame = LocalFrame::at(geo::Point::new(CORE_CENTRE.0, CORE_CENTRE.1)).with_lat_scale(DEMO_M_PER_DEG_LAT).rotated(9.0);
    let districts = regions::district_shapes()?;
    let huizhou =
        districts.iter().find(|district| district.code == DISTRICT_CODE).map(|district| district.shape.clone()).ok_or(
            regions::RegionError::Asset { file: "huangshan_districts_wgs84.geojson", problem: "徽州区 341004 is missing".into() },
        )?;
    let built = regions::build_regions(&frame, &huizhou, &mut rng)?;
    let valid_from = NaiveDate::from_ymd_opt(2018, 3, 7).unwrap_or_default();
    let mut jurisdictions = Vec::new();
    let record = |kind, code: &str, name: &str, owner: Option<UnitId>, parent: Option<&str>, source: &str, geometry: MultiPolygon<f64>| {
        Jurisdiction {
            id: 0,
            kind,
            code: code.to_owned(),
            name: name.to_owned(),
            owner_unit: owner,
            parent_code: parent.map(str::to_owned),
            valid_from,
            valid_to: None,
            source: source.to_owned(),
            geometry,
        }
    };
    for district in &districts {
        let owner = (district.code == DISTRICT_CODE).then(|| unit("ZX")).flatten();
        jurisdictions.push(record(
            JurisdictionKind::District,
            &district.code,
            &district.name,
            owner,
            Some("341000"),
            BOUNDARY_SOURCE,
            district.shape.clone(),
        ));
    }
    let township_units = [
        ("341004100", "YSZ"),
        ("341004101", "XXNZ"),
        ("341004102", "QKZ"),
        ("341004103", "CKZ"),
        ("341004200", "QSX"),
        ("341004201", "YCX"),
        ("341004202", "FXX"),
        ("341004400", "KFQ"),
    ];
    let township_owner =
        |code: &str| township_units.iter().find(|(township, _)| code.starts_with(township)).and_then(|(_, unit_code)| unit(unit_code));
    for township in &built.townships {
        jurisdictions.push(record(
            JurisdictionKind::Township,
            &township.code,
            &township.name,
            township_owner(&township.code),
            township.parent_code.as_deref(),
            SYNTHETIC,
            frame.to_lonlat(&township.shape_uv),
        ));
    }
    for community in &built.communities {
        let owner = if community.name.contains("社区") { unit("SQB") } else { township_owner(&community.code) };
        jurisdictions.push(record(
            JurisdictionKind::Community,
            &community.code,
            &community.name,
            owner,
            community.parent_code.as_deref(),
            SYNTHETIC,
            frame.to_lonlat(&community.shape_uv),
        ));
    }
    for cell in &built.grid_cells {
        jurisdictions.push(record(
            JurisdictionKind::GridCell,
            &cell.code,
            &cell.name,
            unit("SQB"),
            cell.parent_code.as_deref(),
            SYNTHETIC,
            frame.to_lonlat(&cell.shape_uv),
        ));
    }
    let grid = regions::GridLookup::new(&built.grid_cells);

    progress(DemoProgress { stage: DemoStage::Streets, fraction: 0.1 });
    let segments = streets::segments_for(&built.district_uv, options.parts);
    let zones = unit_zones(&built, &segments, &unit);
    let unit_zone_count = zones.len();
    for (code, name, owner, shape) in zones {
        jurisdictions.push(record(
            JurisdictionKind::UnitZone,
            &code,
            &name,
            owner,
            Some(DISTRICT_CODE),
            SYNTHETIC,
            frame.to_lonlat(&shape),
        ));
    }
    store.write(|tx| {
        for jurisdiction in &jurisdictions {
            Store::insert_jurisdiction(tx, jurisdiction)?;
        }
        for segment in &segments {
            let line = LineString::from(vec![frame.lonlat_from_uv(segment.from_uv), frame.lonlat_from_uv(segment.to_uv)]);
            Store::insert_street(
                tx,
                &StreetRecord { name: segment.name.clone(), class: if segment.main { "main" } else { "minor" }.into(), line },
            )?;
        }
        Ok(())
    })?;

    progress(DemoProgress { stage: DemoStage::Parts, fraction: 0.2 });
    let manual = &reference.manual;
    let mut class_units: streets::ClassUnits = HashMap::new();
    for entry in manual.entries.iter().filter(|entry| entry.kind == crate::model::ItemKind::Part) {
        let owner = unit(&entry.default_unit);
        let supervising = units.iter().find(|candidate| Some(candidate.id) == owner).and_then(|owner_unit| owner_unit.parent).or(owner);
        let (Ok(major), Ok(minor)) = (entry.code[..2].parse::<u8>(), entry.code[2..].parse::<u8>()) else { continue };
        class_units.insert((major, minor), (supervising, owner, owner));
    }
    let mut parts: Vec<Part> = Vec::with_capacity(options.parts + 200);
    {
        let mut layout = streets::PartLayout::new(&frame, &grid, &class_units, &mut rng);
        for segment in &segments {
            if parts.len() >= options.parts {
                break;
            }
            layout.lay_segment(segment, &mut parts);
        }
    }
    parts.truncate(options.parts);
    const BATCH: usize = 50_000;
    for (index, chunk) in parts.chunks(BATCH).enumerate() {
        store.write(|tx| Store::insert_parts(tx, chunk))?;
        let done = ((index + 1) * BATCH).min(parts.len()) as f32 / parts.len().max(1) as f32;
        progress(DemoProgress { stage: DemoStage::Parts, fraction: 0.2 + 0.7 * done });
    }

    progress(DemoProgress { stage: DemoStage::Cases, fraction: 0.9 });
    let holidays = store.load_holidays()?;
    let calendar = WorkCalendar::new(holidays, WorkScheme::office_hours());
    let accounts = insert_demo_users(store, &units)?;
    let unit_by_code = |code: &str| unit(code);
    let index = JurisdictionIndex::new(&jurisdictions);
    let by_code = PartsByCode::new(&parts);
    let routing = RoutingData { manual, units: &units, jurisdictions: &jurisdictions, index: &index, parts: &by_code, precedents: &[] };
    let route = |report: &crate::workflow::NewCase, at: NaiveDateTime| {
        let query = RoutingQuery {
            kind: report.subject.item_kind(),
            class_code: &report.class_code,
            location: report.location,
            part_code: report.part_code,
            on: at.date(),
        };
        suggest_unit(&routing, &query).map(|suggestion| suggestion.unit)
    };
    let inputs = cases::CaseInputs {
        manual,
        calendar: &calendar,
        parts: &parts,
        segments: &segments,
        frame: &frame,
        grid: &grid,
        unit_by_code: &unit_by_code,
        route: &route,
        as_of: options.as_of,
    };
    let demo_cases = cases::generate(&inputs, options.cases, &mut rng);
    let workflow = Workflow::new(manual.clone(), calendar, units.clone());
    let mut steps_refused = 0;
    store.atomically(|tx| {
        for demo in &demo_cases {
            let reporter = accounts.for_role(demo.reporter).ok_or(DemoError::MissingAccount(demo.reporter))?;
            let mut case = workflow.report_case_in(tx, reporter, demo.report.clone(), demo.reported_at)?.case;
            for step in &demo.steps {
                let actor = if matches!(step.action, crate::workflow::Action::AssistReport { .. }) {
                    // The assisting unit reports its part, not the lead.
                    case.assists_outstanding().next().and_then(|unit| accounts.for_unit(unit))
                } else if step.role == Role::UnitOperator {
                    case.unit.and_then(|unit| accounts.for_unit(unit))
                } else {
                    accounts.for_role(step.role)
                };
                let Some(actor) = actor else { break };
                match workflow.apply_in(tx, actor, case.id, case.revision, &step.action, step.at) {
                    Ok(updated) => case = updated,
                    // A refusal writes nothing; the plan of this case simply ends there.
                    Err(WorkflowError::Refused(refusal)) => {
                        tracing::warn!("demo case {}: {}", case.case_no, refusal.message(false));
                        steps_refused += 1;
                        break;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok::<_, DemoError>(())
    })?;
    progress(DemoProgress { stage: DemoStage::Finishing, fraction: 0.97 });
    store.refresh_extents()?;
    progress(DemoProgress { stage: DemoStage::Finishing, fraction: 1.0 });
    Ok(DemoSummary {
        parts: parts.len(),
        cases: demo_cases.len(),
        townships: built.townships.len(),
        communities: built.communities.len(),
        grid_cells: built.grid_cells.len(),
        unit_zones: unit_zone_count,
        streets: segments.len(),
        steps_refused,
        elapsed: started.elapsed(),
    })
}

const SYNTHETIC: &str = regions::SYNTHETIC_SOURCE;

/// Responsibility zones of units: the highway branch's arterial corridor, a park, the carriers'
/// service areas over the core, and the development zone.
fn unit_zones(
    built: &regions::Regions,
    segments: &[streets::Segment],
    unit: &dyn Fn(&str) -> Option<UnitId>,
) -> Vec<(String, String, Option<UnitId>, MultiPolygon<f64>)> {
    let mut zones = Vec::new();
    // The corridor of the first north–south main road through the core, 20 m either side.
    let corridor: Vec<_> = segments.iter().filter(|segment| segment.main && segment.from_uv.x == 0.0).collect();
    if let (Some(south), Some(north)) = (
        corridor.iter().map(|segment| segment.from_uv.y).min_by(f64::total_cmp),
        corridor.iter().map(|segment| segment.to_uv.y).max_by(f64::total_cmp),
    ) {
        let line = LineString::from(vec![coord! { x: 0.0, y: south }, coord! { x: 0.0, y: north }]);
        zones.push(("ZONE-GLFJ-01".into(), "徽州大道公路养护段".into(), unit("GLFJ"), line.buffer(20.0)));
    }
    let park = geo::Rect::new(coord! { x: 620.0, y: 420.0 }, coord! { x: 980.0, y: 780.0 }).to_polygon();
    zones.push(("ZONE-YL-01".into(), "丰乐公园".into(), unit("CGJ-YL"), MultiPolygon(vec![park])));
    let core = geo::Point::new(0.0, 0.0).buffer(regions::GRID_RADIUS_M);
    let east = MultiPolygon(vec![geo::Rect::new(coord! { x: 0.0, y: -5_000.0 }, coord! { x: 5_000.0, y: 5_000.0 }).to_polygon()]);
    let west = MultiPolygon(vec![geo::Rect::new(coord! { x: -5_000.0, y: -5_000.0 }, coord! { x: 0.0, y: 5_000.0 }).to_polygon()]);
    zones.push(("ZONE-DX-01".into(), "电信城东服务区".into(), unit("DX"), core.intersection(&east).intersection(&built.district_uv)));
    zones.push(("ZONE-YD-01".into(), "移动城西服务区".into(), unit("YD"), core.intersection(&west).intersection(&built.district_uv)));
    if let Some(zone) = built.townships.iter().find(|township| township.code == "341004400") {
        zones.push(("ZONE-KFQ-01".into(), "经济开发区管委会管理范围".into(), unit("KFQ"), zone.shape_uv.clone()));
    }
    zones
}

/// The demo accounts: one per centre role, and one unit operator per responsible unit.
struct DemoAccounts {
    by_role: HashMap<Role, User>,
    by_unit: HashMap<UnitId, User>,
}

impl DemoAccounts {
    fn for_role(&self, role: Role) -> Option<&User> {
        self.by_role.get(&role)
    }

    fn for_unit(&self, unit: UnitId) -> Option<&User> {
        self.by_unit.get(&unit)
    }
}

/// A made-up person's name for the `index`th demo unit operator (unique for the first 320).
fn demo_person_name(index: usize) -> String {
    const SURNAMES: [&str; 20] =
        ["陈", "杨", "黄", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐"];
    const GIVEN: [&str; 16] = ["刚", "敏", "静", "磊", "军", "洁", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "辉"];
    format!("{}{}", SURNAMES[index % SURNAMES.len()], GIVEN[(index / SURNAMES.len() + index * 7) % GIVEN.len()])
}

fn insert_demo_users(store: &mut Store, units: &[Unit]) -> Result<DemoAccounts, DemoError> {
    let code_of = |code: &str| units.iter().find(|unit| unit.code == code).map(|unit| unit.id);
    let centre = [
        // People's names: the app says what each is (its role, a unit operator's unit).
        ("admin", "陈静", Role::Administrator, None),
        ("intake1", "王芳", Role::IntakeOperator, None),
        ("dispatch1", "李强", Role::Dispatcher, None),
        ("leader1", "张伟", Role::ShiftLeader, None),
        ("collector1", "刘洋", Role::FieldCollector, None),
        ("committee1", "赵敏", Role::CommitteeMember, code_of("CGW")),
        ("wall1", "指挥大屏", Role::Viewer, None),
    ];
    // One hash for all demo accounts: they share the documented demo password, and hashing it
    // once keeps the build fast.
    let password_hash = crate::store::hash_password(DEMO_PASSWORD)?;
    let accounts = store.write(|tx| {
        let mut accounts = DemoAccounts { by_role: HashMap::new(), by_unit: HashMap::new() };
        for (login, name, role, unit_id) in centre {
            let id = Store::insert_user(tx, login, name, role, unit_id)?;
            Store::set_password_hash(tx, id, &password_hash)?;
            accounts.by_role.insert(role, User::new(id, login, name, role, unit_id));
        }
        // The centre (ZX) and the committee (CGW) dispatch and decide; they receive no cases.
        for (index, unit) in units.iter().filter(|unit| !matches!(unit.code.as_str(), "ZX" | "CGW")).enumerate() {
            let login = format!("unit_{}", unit.code.to_lowercase().replace('-', "_"));
            let name = demo_person_name(index);
            let id = Store::insert_user(tx, &login, &name, Role::UnitOperator, Some(unit.id))?;
            Store::set_password_hash(tx, id, &password_hash)?;
            accounts.by_unit.insert(unit.id, User::new(id, login, name, Role::UnitOperator, Some(unit.id)));
        }
        Store::seal_new_accounts(tx, "the demo district's accounts", None)?;
        Ok(accounts)
    })?;
    Ok(accounts)
}
