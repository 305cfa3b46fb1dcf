//! The validation and commit pass: each feature is read, its coordinates checked and converted,
//! its attributes mapped and checked against the database (codes, classes, units), then either
//! counted (validate) or written (commit, one transaction for the whole file).
//!
//! Both steps run the same code, so what validation promises is what commit does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::store::Tx;
use chrono::{NaiveDate, NaiveDateTime};
use geo::{BoundingRect, Coord, CoordsIter, Geometry, LineString, MapCoordsInPlace, MultiPolygon, Polygon, Rect, Validation};

use super::crs::{Crs, CrsGuess, GaussKruger};
use super::feature::SourceFeature;
use super::issue::{Fix, FixKind, Issue, IssueClass, IssueKind};
use super::profile::{MappingProfile, Target};
use super::{FeatureCount, ImportError, OpenLayer};
use crate::model::{
    Case, CaseState, CaseSubject, CloseType, GeometryKind, ItemKind, Jurisdiction, JurisdictionKind, Keyword, Part, PartCode, PartGeometry,
    PartState, SourceChannel, UnitId, Urgency, User,
};
use crate::store::{AdminEvent, NewCaseEvent, Store, Write};

mod geometry;
mod records;

use geometry::*;
use records::*;

/// What to do with a feature that has an issue of some class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnIssue {
    /// Any issue aborts the import; nothing is written.
    #[default]
    Stop,
    /// Features with issues are left out and listed.
    Skip,
    /// Safe automatic fixes are applied and reported; features with issues no fix exists for
    /// are left out, as with `Skip`.
    Fix,
}

impl OnIssue {
    /// Parses `stop` / `skip` / `fix`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "stop" => Some(Self::Stop),
            "skip" => Some(Self::Skip),
            "fix" => Some(Self::Fix),
            _ => None,
        }
    }
}

/// The user's choice per issue class.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub default: OnIssue,
    pub per_class: BTreeMap<IssueClass, OnIssue>,
}

impl Policy {
    /// The same choice for every class.
    #[must_use]
    pub fn all(on_issue: OnIssue) -> Self {
        Self { default: on_issue, per_class: BTreeMap::new() }
    }

    /// The choice for one class.
    #[must_use]
    pub fn for_class(&self, class: IssueClass) -> OnIssue {
        self.per_class.get(&class).copied().unwrap_or(self.default)
    }
}

/// Where a running validation or import is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Features read so far.
    pub done: u64,
    /// Features in the layer (exact or estimated), when known.
    pub total: Option<FeatureCount>,
    /// Features accepted so far (written, for a commit).
    pub accepted: u64,
    pub elapsed: Duration,
}

impl Progress {
    /// Time left at the pace so far, when the total is known.
    #[must_use]
    pub fn remaining(&self) -> Option<Duration> {
        let total = self.total?.value();
        if self.done == 0 || total <= self.done {
            return (total <= self.done).then_some(Duration::ZERO);
        }
        Some(self.elapsed.mul_f64((total - self.done) as f64 / self.done as f64))
    }
}

/// How many issues and fixes a report lists one by one; the rest are counted.
pub const LISTED_MAX: usize = 1_000;

/// The outcome of [`validate`] or [`commit`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub target: Target,
    pub layer: String,
    pub crs: CrsGuess,
    /// Features read.
    pub read: u64,
    /// Features that would be written (validate) or were written (commit).
    pub accepted: u64,
    /// Features left out because of issues.
    pub skipped: u64,
    /// The first [`LISTED_MAX`] issues.
    pub issues: Vec<Issue>,
    pub issue_count: u64,
    pub issues_by_class: BTreeMap<IssueClass, u64>,
    /// The first [`LISTED_MAX`] fixes.
    pub fixes: Vec<Fix>,
    pub fix_count: u64,
    /// Accepted parts by geometry: points, lines, polygons (zeros for other targets).
    pub parts_by_geometry: [u64; 3],
    /// Whether this report is of a commit that wrote to the database.
    pub written: bool,
    pub elapsed_s: f64,
}

/// Checks a whole layer against the database without writing anything.
///
/// Issues are listed whatever the policy; `accepted` counts the features a commit with the same
/// policy would write (with `Stop`, a commit writes nothing if `issue_count > 0`).
///
/// # Errors
/// The file cannot be read, its coordinate system is refused, the profile is wrong, or the
/// caller cancelled.
pub fn validate(
    store: &Store,
    path: &Path,
    profile: &MappingProfile,
    policy: &Policy,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<ImportReport, ImportError> {
    let (layer, context) = prepare(store, path, profile)?;
    run(&layer, context, profile, policy, None, progress, cancel)
}

/// Writes a layer into the database in one transaction: everything accepted, or nothing.
///
/// # Errors
/// As [`validate`], plus [`ImportError::Stopped`] when the policy is `Stop` for an issue found,
/// and database errors. In every error case the database is unchanged.
pub fn commit(
    store: &mut Store,
    by: &User,
    path: &Path,
    profile: &MappingProfile,
    policy: &Policy,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<ImportReport, ImportError> {
    let (layer, mut context) = prepare(store, path, profile)?;
    store.with_page_cache(IMPORT_CACHE_KIB, |store| {
        store.atomically(|tx| {
            // Who imports is checked in the import's own transaction, on the account as it is
            // in the file now; imported cases' entries and the import's own entry name them.
            let importer = Store::acting_user_for(tx, by, Write::Import)?;
            context.importer = Some(importer.id);
            let report = run(&layer, context, profile, policy, Some(tx), progress, cancel)?;
            let data = serde_json::json!({
                "file": path.display().to_string(),
                "layer": report.layer,
                "target": format!("{:?}", report.target),
                "read": report.read,
                "accepted": report.accepted,
                "skipped": report.skipped,
                "fixes": report.fix_count,
            });
            let subject = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
            let event = AdminEvent {
                at: crate::calendar::china_now(),
                actor_user_id: Some(importer.id),
                action: "import",
                subject: &subject,
                data: &data,
            };
            crate::store::append_admin_event(tx, &event)?;
            Ok(report)
        })
    })
}

/// Page cache during a commit, KiB.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

/// What the checks need from the database, read once before the pass.
struct Context {
    crs: CrsGuess,
    units: HashMap<String, UnitId>,
    /// Part classes (`0118`) with their geometry.
    part_classes: HashMap<String, Option<GeometryKind>>,
    event_classes: HashSet<String>,
    existing_part_codes: HashSet<u64>,
    existing_jurisdictions: HashSet<(String, String)>,
    existing_case_numbers: HashSet<String>,
    /// The district polygon's bounding box, if the database has one.
    district: Option<Rect<f64>>,
    /// Codes a jurisdiction's parent may name: every jurisdiction in the database and in the file.
    parent_codes: HashSet<String>,
    /// Whether the file as a whole has latitude and longitude swapped (every one of its first
    /// features); only then does `fix` swap them back.
    file_swapped: bool,
    total: Option<FeatureCount>,
    /// The account importing (commit only): named by the imported cases' audit entries.
    importer: Option<i64>,
}

/// Features farther than this outside the district's box are refused.
const DISTRICT_MARGIN_KM: f64 = 5.0;
const KM_PER_DEGREE: f64 = 111.32;

fn prepare(store: &Store, path: &Path, profile: &MappingProfile) -> Result<(OpenLayer, Context), ImportError> {
    profile.check()?;
    let layer = OpenLayer::open(path, &profile.source)?;
    let crs = layer.crs(profile.source.crs.as_deref())?;
    let mut units = HashMap::new();
    for unit in store.load_units()? {
        for key in [&unit.code, &unit.name_zh, &unit.name_en] {
            units.insert(key.trim().to_owned(), unit.id);
        }
    }
    let manual = store.load_manual()?;
    let part_classes = manual.entries.iter().filter(|e| e.kind == ItemKind::Part).map(|e| (e.code.clone(), e.geometry)).collect();
    let event_classes = manual.entries.iter().filter(|e| e.kind == ItemKind::Event).map(|e| e.code.clone()).collect();
    let mut existing_part_codes = HashSet::new();
    let mut existing_jurisdictions = HashSet::new();
    let mut existing_case_numbers = HashSet::new();
    match profile.target {
        Target::Parts => existing_part_codes = store.part_codes()?,
        Target::Jurisdictions => existing_jurisdictions = store.current_jurisdiction_keys()?,
        Target::Cases => existing_case_numbers = store.case_numbers()?,
    }
    let district = store
        .load_jurisdictions()?
        .into_iter()
        .filter(|j| j.kind == JurisdictionKind::District && j.valid_to.is_none())
        .filter_map(|j| j.geometry.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        });
    let total = match layer.exact_count()? {
        Some(count) => Some(FeatureCount::Exact(count)),
        None => {
            let file_len = std::fs::metadata(layer.file_path()).map(|meta| meta.len()).unwrap_or(0);
            match layer.bytes_of_first(200)? {
                (seen, _) if seen < 200 => Some(FeatureCount::Exact(seen)),
                (seen, bytes) => Some(FeatureCount::Estimated(file_len * seen / bytes.max(1))),
            }
        }
    };
    let context = Context {
        crs,
        units,
        part_classes,
        event_classes,
        existing_part_codes,
        existing_jurisdictions,
        existing_case_numbers,
        district,
        parent_codes: HashSet::new(),
        file_swapped: false,
        total,
        importer: None,
    };
    let file_swapped = plainly_swapped_file(&layer, &context)?;
    let parent_codes = if profile.target == Target::Jurisdictions && profile.fields.contains_key("parent_code") {
        // Parents may come after their children in the file: collect every code first (a
        // jurisdiction layer has thousands of polygons, not millions).
        let mut codes: HashSet<String> = existing_jurisdictions_codes(store)?;
        let mapper = Mapper { profile };
        layer.read(&mut |feature| {
            codes.extend(mapper.value(&feature, "code"));
            Ok(ControlFlow::Continue(()))
        })?;
        codes
    } else {
        HashSet::new()
    };
    let context = Context { file_swapped, parent_codes, ..context };
    Ok((layer, context))
}

fn existing_jurisdictions_codes(store: &Store) -> Result<HashSet<String>, ImportError> {
    Ok(store.jurisdiction_codes()?)
}

/// How many leading features decide whether a whole file is swapped.
const SWAP_SAMPLE: usize = 200;

/// Whether a point (lon/lat as the file has it) is plainly swapped.
fn is_swapped(context: &Context, first: Coord<f64>) -> bool {
    match context.district {
        Some(rect) => km_outside(rect, first.x, first.y) > DISTRICT_MARGIN_KM && km_outside(rect, first.y, first.x) <= DISTRICT_MARGIN_KM,
        None => first.y.abs() > 90.0 && first.x.abs() <= 90.0,
    }
}

/// Reads the first features: every one with a geometry is swapped (and there is at least one).
fn plainly_swapped_file(layer: &OpenLayer, context: &Context) -> Result<bool, ImportError> {
    if !context.crs.crs.is_geographic() {
        return Ok(false);
    }
    let (mut seen, mut swapped) = (0usize, 0usize);
    layer.read(&mut |feature| {
        if let Some(first) = feature.geometry.as_ref().and_then(first_coord).filter(|c| c.x.is_finite() && c.y.is_finite()) {
            seen += 1;
            swapped += usize::from(is_swapped(context, first));
        }
        Ok(if seen >= SWAP_SAMPLE || swapped < seen { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
    })?;
    Ok(seen > 0 && swapped == seen)
}

/// A feature ready to write.
enum Record {
    Part(Part),
    Jurisdiction(Jurisdiction),
    Case(Box<Case>),
}

/// Problems of one feature while it is checked.
struct Findings {
    feature: u64,
    feature_id: Option<String>,
    issues: Vec<Issue>,
    fixes: Vec<Fix>,
}

impl Findings {
    fn issue(&mut self, field: Option<&str>, kind: IssueKind) {
        self.issues.push(Issue { feature: self.feature, feature_id: self.feature_id.clone(), field: field.map(str::to_owned), kind });
    }

    fn fix(&mut self, kind: FixKind) {
        self.fixes.push(Fix { feature: self.feature, feature_id: self.feature_id.clone(), kind });
    }
}

/// Reads mapped values of one feature.
struct Mapper<'p> {
    profile: &'p MappingProfile,
}

impl Mapper<'_> {
    /// The source field a target field is read from (for messages).
    fn source_field<'a>(&'a self, target: &'a str) -> &'a str {
        self.profile.fields.get(target).map_or(target, String::as_str)
    }

    /// The value of a target field: the mapped source field (through the value map), else the constant.
    fn value(&self, feature: &SourceFeature, target: &str) -> Option<String> {
        let raw = self
            .profile
            .fields
            .get(target)
            .and_then(|source| feature.attribute(source))
            .and_then(super::Value::as_text)
            .or_else(|| self.profile.constants.get(target).cloned())?;
        match self.profile.value_maps.get(target).and_then(|map| map.get(&raw)) {
            Some(mapped) => Some(mapped.clone()),
            None => Some(raw),
        }
    }

    fn date_formats(&self) -> String {
        let mut formats: Vec<&str> = self.profile.date_formats.iter().map(String::as_str).collect();
        formats.extend(DATE_FORMATS);
        formats.join(", ")
    }

    fn date(&self, text: &str) -> Option<NaiveDate> {
        let text = text.trim();
        self.profile
            .date_formats
            .iter()
            .map(String::as_str)
            .chain(DATE_FORMATS)
            .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
            .or_else(|| self.time(text).map(|time| time.date()))
    }

    /// A moment as China local time. A time with a zone (`…Z`, `…+08:00`, as GeoPackage and
    /// GeoJSON writers put it) is converted; a time without one is taken as China time.
    fn time(&self, text: &str) -> Option<NaiveDateTime> {
        let text = text.trim();
        if let Ok(moment) = chrono::DateTime::parse_from_rfc3339(text) {
            return Some(crate::calendar::china_from_utc(moment.naive_utc()));
        }
        self.profile
            .date_formats
            .iter()
            .map(String::as_str)
            .chain(TIME_FORMATS)
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    }
}

const DATE_FORMATS: [&str; 5] = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"];
const TIME_FORMATS: [&str; 6] =
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S%.f"];

/// A keyword enum value from its keyword or either label, ignoring ASCII case.
fn keyword_from<K: Keyword + Copy>(text: &str, label_zh: fn(K) -> &'static str, label_en: fn(K) -> &'static str) -> Option<K> {
    let text = text.trim();
    K::ALL
        .iter()
        .copied()
        .find(|value| value.keyword().eq_ignore_ascii_case(text) || label_zh(*value) == text || label_en(*value).eq_ignore_ascii_case(text))
}

fn allowed<K: Keyword + Copy>(label_zh: fn(K) -> &'static str) -> String {
    K::ALL.iter().map(|value| format!("{}/{}", value.keyword(), label_zh(*value))).collect::<Vec<_>>().join(", ")
}

/// The pass itself.
fn run(
    layer: &OpenLayer,
    mut context: Context,
    profile: &MappingProfile,
    policy: &Policy,
    tx: Option<&Tx<'_>>,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let mapper = Mapper { profile };
    let mut report = ImportReport {
        target: profile.target,
        layer: layer.name(),
        crs: context.crs.clone(),
        read: 0,
        accepted: 0,
        skipped: 0,
        issues: Vec::new(),
        issue_count: 0,
        issues_by_class: BTreeMap::new(),
        fixes: Vec::new(),
        fix_count: 0,
        parts_by_geometry: [0; 3],
        written: tx.is_some(),
        elapsed_s: 0.0,
    };
    let mut seen_codes: HashMap<String, u64> = HashMap::new();
    let mut part_batch: Vec<Part> = Vec::with_capacity(PART_BATCH);
    let total = context.total;
    let mut outcome: Result<(), ImportError> = Ok(());
    let read = layer.read(&mut |feature| {
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled { done: report.read });
        }
        report.read += 1;
        let (record, findings) = check_feature(feature, &mut context, &mapper, policy, &mut seen_codes);
        let mut keep = true;
        for issue in &findings.issues {
            report.issue_count += 1;
            *report.issues_by_class.entry(issue.kind.class()).or_default() += 1;
            let on_issue = policy.for_class(issue.kind.class());
            if on_issue == OnIssue::Stop && tx.is_some() {
                let first = issue.describe(false);
                report.issues.push(issue.clone());
                return Err(ImportError::Stopped { first, report: Box::new(report.clone()) });
            }
            if !(on_issue == OnIssue::Fix && issue.kind.fixable()) {
                keep = false;
            }
            if report.issues.len() < LISTED_MAX {
                report.issues.push(issue.clone());
            }
        }
        match record {
            Some(record) if keep => {
                report.fix_count += findings.fixes.len() as u64;
                for fix in findings.fixes {
                    if report.fixes.len() < LISTED_MAX {
                        report.fixes.push(fix);
                    }
                }
                report.accepted += 1;
                if let Record::Part(part) = &record {
                    report.parts_by_geometry[match part.geometry {
                        PartGeometry::Point(_) => 0,
                        PartGeometry::Line(_) => 1,
                        PartGeometry::Polygon(_) => 2,
                    }] += 1;
                }
                if let Some(tx) = tx {
                    write_record(tx, record, &mut part_batch, context.importer)?;
                }
            }
            _ => report.skipped += 1,
        }
        if report.read.is_multiple_of(1024) {
            progress(&Progress { done: report.read, total, accepted: report.accepted, elapsed: started.elapsed() });
        }
        Ok(ControlFlow::Continue(()))
    });
    if let Err(error) = read {
        outcome = Err(error);
    }
    outcome?;
    if let Some(tx) = tx
        && !part_batch.is_empty()
    {
        Store::insert_parts(tx, part_batch.iter())?;
    }
    report.elapsed_s = started.elapsed().as_secs_f64();
    progress(&Progress {
        done: report.read,
        total: Some(FeatureCount::Exact(report.read)),
        accepted: report.accepted,
        elapsed: started.elapsed(),
    });
    Ok(report)
}

const PART_BATCH: usize = 2_048;

fn write_record(tx: &Tx<'_>, record: Record, part_batch: &mut Vec<Part>, importer: Option<i64>) -> Result<(), ImportError> {
    match record {
        Record::Part(part) => {
            part_batch.push(part);
            if part_batch.len() >= PART_BATCH {
                Store::insert_parts(tx, part_batch.iter())?;
                part_batch.clear();
            }
        }
        Record::Jurisdiction(jurisdiction) => {
            Store::insert_jurisdiction(tx, &jurisdiction)?;
        }
        Record::Case(mut case) => {
            // One audit entry per revision: a case imported closed has two (report, close).
            case.revision = if matches!((case.state, case.closed_at), (CaseState::Closed, Some(_))) { 2 } else { 1 };
            let case_id = Store::insert_case(tx, &case)?;
            let data = serde_json::json!({ "imported": true });
            Store::append_case_event(
                tx,
                &NewCaseEvent {
                    case_id,
                    at: case.reported_at,
                    actor_user_id: importer,
                    action: "report",
                    from_state: None,
                    to_state: CaseState::Reported,
                    data: &data,
                },
            )?;
            if let (CaseState::Closed, Some(closed_at)) = (case.state, case.closed_at) {
                let close_type = case.close_type.unwrap_or(CloseType::Special);
                let data = serde_json::json!({ "imported": true, "close_type": close_type.keyword() });
                Store::append_case_event(
                    tx,
                    &NewCaseEvent {
                        case_id,
                        at: closed_at,
                        actor_user_id: importer,
                        action: "close",
                        from_state: Some(CaseState::Reported),
                        to_state: CaseState::Closed,
                        data: &data,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// The feature's own id for messages: its code or case number as the file has it.
fn feature_id_of(feature: &SourceFeature, mapper: &Mapper<'_>, target: Target) -> Option<String> {
    let field = match target {
        Target::Parts | Target::Jurisdictions => "code",
        Target::Cases => "case_no",
    };
    mapper.value(feature, field)
}

fn check_feature(
    mut feature: SourceFeature,
    context: &mut Context,
    mapper: &Mapper<'_>,
    policy: &Policy,
    seen_codes: &mut HashMap<String, u64>,
) -> (Option<Record>, Findings) {
    let target = mapper.profile.target;
    let mut findings =
        Findings { feature: feature.index, feature_id: feature_id_of(&feature, mapper, target), issues: Vec::new(), fixes: Vec::new() };
    let geometry = feature.geometry.take().and_then(|geometry| check_geometry(geometry, &feature, context, policy, &mut findings));
    let checking = Checking { feature: &feature, context, mapper, seen: seen_codes, findings: &mut findings };
    let record = match target {
        Target::Parts => part_from(checking, geometry).map(Record::Part),
        Target::Jurisdictions => jurisdiction_from(checking, geometry).map(Record::Jurisdiction),
        Target::Cases => case_from(checking, geometry).map(|case| Record::Case(Box::new(case))),
    };
    (record, findings)
}

fn unit_of(context: &Context, mapper: &Mapper<'_>, feature: &SourceFeature, target: &str, findings: &mut Findings) -> Option<UnitId> {
    let value = mapper.value(feature, target)?;
    let unit = context.units.get(value.trim()).copied();
    if unit.is_none() {
        findings.issue(Some(mapper.source_field(target)), IssueKind::UnknownUnit { value });
    }
    unit
}

fn date_of(mapper: &Mapper<'_>, feature: &SourceFeature, target: &str, findings: &mut Findings) -> Option<NaiveDate> {
    let value = mapper.value(feature, target)?;
    let date = mapper.date(&value);
    if date.is_none() {
        findings.issue(Some(mapper.source_field(target)), IssueKind::BadDate { value, formats: mapper.date_formats() });
    }
    date
}

fn time_of(mapper: &Mapper<'_>, feature: &SourceFeature, target: &str, findings: &mut Findings) -> Option<NaiveDateTime> {
    let value = mapper.value(feature, target)?;
    let time = mapper.time(&value).or_else(|| mapper.date(&value).and_then(|date| date.and_hms_opt(0, 0, 0)));
    if time.is_none() {
        findings.issue(Some(mapper.source_field(target)), IssueKind::BadDate { value, formats: mapper.date_formats() });
    }
    time
}

fn required(mapper: &Mapper<'_>, feature: &SourceFeature, target: &str, findings: &mut Findings) -> Option<String> {
    let value = mapper.value(feature, target);
    if value.is_none() {
        findings.issue(Some(mapper.source_field(target)), IssueKind::MissingField { target: target.to_owned() });
    }
    value
}

fn check_duplicate(seen: &mut HashMap<String, u64>, key: String, in_database: bool, field: &str, findings: &mut Findings) {
    if in_database {
        findings.issue(Some(field), IssueKind::DuplicateInDatabase { value: key.clone() });
    }
    match seen.get(&key) {
        Some(first) => findings.issue(Some(field), IssueKind::DuplicateInFile { value: key, first_feature: *first }),
        None => {
            seen.insert(key, findings.feature);
        }
    }
}

/// A feature with no geometry at all (and no other finding that explains it) is an issue.
fn note_missing_geometry(feature: &SourceFeature, geometry: Option<&Geometry<f64>>, findings: &mut Findings) {
    if feature.geometry.is_none() && geometry.is_none() && findings.issues.is_empty() {
        findings.issue(None, IssueKind::MissingGeometry);
    }
}
