//! Export of parts, jurisdictions and cases to the files the district's GIS staff and office
//! software open: GeoJSON (RFC 7946), GeoPackage (OGC 1.3, one layer per geometry type) and CSV
//! (UTF-8 with BOM, so Excel shows Chinese text).
//!
//! Every format is written from the same layer description ([`Layer`]: a name, typed fields
//! with Chinese titles, and rows), so the three agree field for field. Files are written under a
//! temporary name beside the target and renamed at the end: a failed or cancelled export never
//! leaves a half-written file under the requested name, and an older file there stays intact.
//!
//! This module takes records in memory and never touches the citygrid database; the caller
//! picks the selection (a layer, the map view, the case list's current rows).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use geo::{BoundingRect, Geometry, Rect};
use rusqlite::{Connection, params_from_iter};

use crate::calendar::{DeadlineLight, LimitUnit};
use crate::model::{Case, CommandManual, ItemKind, Jurisdiction, Keyword, Part, PartGeometry, Unit, UnitId};
use crate::store::gpkg;
use crate::workflow::DeadlineStatus;

mod writers;

use writers::*;

/// The file formats we write, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// `.geojson` / `.json`: RFC 7946, WGS84 longitude/latitude.
    GeoJson,
    /// `.gpkg`: OGC GeoPackage with an R-tree per layer and Chinese field titles.
    GeoPackage,
    /// `.csv`: one row per feature, `lon`/`lat` columns for points (cases); UTF-8 with BOM.
    Csv,
}

impl ExportFormat {
    /// The format a file name asks for.
    ///
    /// # Errors
    /// [`ExportError::UnknownFormat`] for any other extension.
    pub fn from_path(path: &Path) -> Result<Self, ExportError> {
        let extension = path.extension().and_then(|extension| extension.to_str()).unwrap_or("").to_ascii_lowercase();
        match extension.as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "gpkg" => Ok(Self::GeoPackage),
            "csv" => Ok(Self::Csv),
            _ => Err(ExportError::UnknownFormat { path: path.to_owned() }),
        }
    }

    /// The usual extension, without the dot.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::GeoPackage => "gpkg",
            Self::Csv => "csv",
        }
    }
}

/// Why an export did not happen. The target file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: unknown export format; use .geojson, .gpkg or .csv")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: {format} holds one layer; export {layers} to GeoPackage or one layer at a time")]
    OneLayerOnly { path: PathBuf, format: &'static str, layers: String },
    #[error("{path}: CSV holds points only; layer {layer} has lines or polygons (use GeoJSON or GeoPackage)")]
    CsvNeedsPoints { path: PathBuf, layer: String },
    #[error("{path}: nothing to export (the selection is empty)")]
    Empty { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: the parts could not be read from the database: {problem}")]
    ReadParts { path: PathBuf, problem: String },
    #[error("export cancelled; {path} was not written")]
    Cancelled { path: PathBuf },
    #[error("{path}: that is the database citygrid is using ({database}); choose another file")]
    LiveDatabase { path: PathBuf, database: PathBuf },
}

/// Refuses `out` when it is the database at `database` or one of its `-wal`, `-shm` or
/// `-journal` files (an export or report written there would destroy the district's data).
///
/// # Errors
/// [`ExportError::LiveDatabase`].
pub fn refuse_live_database(out: &Path, database: &Path) -> Result<(), ExportError> {
    // The target may not exist yet: compare its folder, made absolute, and its name.
    let canonical = |path: &Path| -> Option<PathBuf> {
        let name = path.file_name()?;
        let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(parent).ok()?.join(name))
    };
    let (Some(out_full), Some(database_full)) = (canonical(out), canonical(database)) else { return Ok(()) };
    let database_text = database_full.as_os_str().to_string_lossy().into_owned();
    let live = [String::new(), "-wal".into(), "-shm".into(), "-journal".into()]
        .iter()
        .any(|suffix| out_full.as_os_str().to_string_lossy() == format!("{database_text}{suffix}"));
    if live { Err(ExportError::LiveDatabase { path: out.to_owned(), database: database.to_owned() }) } else { Ok(()) }
}

/// One attribute of a layer: a stable ASCII name for GIS tools and its Chinese title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub title_zh: &'static str,
    pub kind: FieldKind,
}

const fn field(name: &'static str, title_zh: &'static str, kind: FieldKind) -> Field {
    Field { name, title_zh, kind }
}

pub use super::value::{FieldKind, Value};

/// One feature: its WGS84 geometry and one value per field of its layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub geometry: Geometry<f64>,
    pub values: Vec<Value>,
}

/// A layer to write: name, GeoPackage geometry type, fields and rows. Rows are produced lazily
/// so a million parts are never held twice.
pub struct Layer<'a> {
    pub name: &'static str,
    /// `POINT`, `LINESTRING`, `POLYGON`, `MULTIPOLYGON` or `GEOMETRY` (mixed).
    pub geometry_type: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
    /// How many rows `rows` yields (for progress).
    pub count: usize,
    pub rows: Box<dyn Iterator<Item = Row> + Send + 'a>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub format: ExportFormat,
    /// (layer, features written), in order.
    pub layers: Vec<(String, usize)>,
}

impl ExportSummary {
    /// Features written over all layers.
    #[must_use]
    pub fn total(&self) -> usize {
        self.layers.iter().map(|(_, count)| count).sum()
    }
}

/// Unit and class names for the rows: unit codes and names by id, class names from the manual.
pub struct Names<'a> {
    units: std::collections::HashMap<UnitId, &'a Unit>,
    manual: &'a CommandManual,
}

impl<'a> Names<'a> {
    #[must_use]
    pub fn new(units: &'a [Unit], manual: &'a CommandManual) -> Self {
        Self { units: units.iter().map(|unit| (unit.id, unit)).collect(), manual }
    }

    fn unit_code(&self, id: Option<UnitId>) -> Value {
        Value::optional_text(id.and_then(|id| self.units.get(&id)).map(|unit| unit.code.clone()))
    }

    fn unit_name(&self, id: Option<UnitId>) -> Value {
        Value::optional_text(id.and_then(|id| self.units.get(&id)).map(|unit| unit.name_zh.clone()))
    }

    fn class_name(&self, kind: ItemKind, code: &str) -> Value {
        Value::optional_text(self.manual.entry(kind, code).map(|entry| entry.name(true).to_owned()))
    }
}

/// Fields of the part layers.
pub const PART_FIELDS: &[Field] = &[
    field("code", "部件编码", FieldKind::Text),
    field("class_code", "小类代码", FieldKind::Text),
    field("class_name", "部件小类", FieldKind::Text),
    field("name", "名称", FieldKind::Text),
    field("state", "状态", FieldKind::Text),
    field("state_zh", "状态（中文）", FieldKind::Text),
    field("supervising_unit", "主管部门代码", FieldKind::Text),
    field("supervising_unit_name", "主管部门", FieldKind::Text),
    field("owner_unit", "权属单位代码", FieldKind::Text),
    field("owner_unit_name", "权属单位", FieldKind::Text),
    field("maintainer_unit", "养护单位代码", FieldKind::Text),
    field("maintainer_unit_name", "养护单位", FieldKind::Text),
    field("grid_code", "单元网格", FieldKind::Text),
    field("installed_on", "初始日期", FieldKind::Date),
    field("changed_on", "变更日期", FieldKind::Date),
    field("source", "数据来源", FieldKind::Text),
];

/// Fields of the jurisdiction layer.
pub const JURISDICTION_FIELDS: &[Field] = &[
    field("kind", "类型", FieldKind::Text),
    field("kind_zh", "类型（中文）", FieldKind::Text),
    field("code", "代码", FieldKind::Text),
    field("name", "名称", FieldKind::Text),
    field("owner_unit", "责任单位代码", FieldKind::Text),
    field("owner_unit_name", "责任单位", FieldKind::Text),
    field("parent_code", "上级代码", FieldKind::Text),
    field("valid_from", "生效日期", FieldKind::Date),
    field("valid_to", "失效日期", FieldKind::Date),
    field("source", "数据来源", FieldKind::Text),
];

/// Fields of the case layer, deadline status included. `lon`/`lat` repeat the point for CSV
/// readers and spreadsheets.
pub const CASE_FIELDS: &[Field] = &[
    field("case_no", "案卷编号", FieldKind::Text),
    field("source", "案件来源", FieldKind::Text),
    field("subject", "类型", FieldKind::Text),
    field("class_code", "小类代码", FieldKind::Text),
    field("class_name", "小类", FieldKind::Text),
    field("urgency", "紧急程度", FieldKind::Text),
    field("part_code", "部件编码", FieldKind::Text),
    field("grid_code", "单元网格", FieldKind::Text),
    field("description", "问题描述", FieldKind::Text),
    field("state", "案卷状态", FieldKind::Text),
    field("state_zh", "案卷状态（中文）", FieldKind::Text),
    field("unit", "责任单位代码", FieldKind::Text),
    field("unit_name", "责任单位", FieldKind::Text),
    field("reported_at", "上报时间", FieldKind::DateTime),
    field("filed_at", "立案时间", FieldKind::DateTime),
    field("dispatched_at", "派遣时间", FieldKind::DateTime),
    field("deadline_at", "处置时限", FieldKind::DateTime),
    field("handled_at", "处置反馈时间", FieldKind::DateTime),
    field("closed_at", "结案时间", FieldKind::DateTime),
    field("close_type", "结案方式", FieldKind::Text),
    field("rework_count", "返工次数", FieldKind::Integer),
    field("extended", "已延期", FieldKind::Boolean),
    field("clock", "计时状态", FieldKind::Text),
    field("light", "预警灯", FieldKind::Text),
    field("status_zh", "时限状态", FieldKind::Text),
    field("remaining_min", "剩余时限（分钟）", FieldKind::Integer),
    field("limit_unit", "时限计量", FieldKind::Text),
    field("overrun_ratio", "超时倍数", FieldKind::Real),
    field("lon", "经度", FieldKind::Real),
    field("lat", "纬度", FieldKind::Real),
];

fn part_row(part: &Part, names: &Names<'_>) -> Row {
    let geometry = match &part.geometry {
        PartGeometry::Point(point) => Geometry::Point(*point),
        PartGeometry::Line(line) => Geometry::LineString(line.clone()),
        PartGeometry::Polygon(polygon) => Geometry::Polygon(polygon.clone()),
    };
    let class_code = part.code.class_code();
    Row {
        geometry,
        values: vec![
            Value::Text(part.code.to_string()),
            Value::text(&class_code),
            names.class_name(ItemKind::Part, &class_code),
            Value::text(&part.name),
            Value::text(part.state.keyword()),
            Value::text(part.state.label_zh()),
            names.unit_code(part.supervising_unit),
            names.unit_name(part.supervising_unit),
            names.unit_code(part.owner_unit),
            names.unit_name(part.owner_unit),
            names.unit_code(part.maintainer_unit),
            names.unit_name(part.maintainer_unit),
            Value::optional_text(part.grid_code.map(|code| code.to_string())),
            part.installed_on.map_or(Value::Null, Value::Date),
            part.changed_on.map_or(Value::Null, Value::Date),
            Value::text(part.source.keyword()),
        ],
    }
}

/// The part layers for a GeoPackage: `part_points`, `part_lines`, `part_polygons` (the same
/// names as in the citygrid database), each only when the selection has such parts.
#[must_use]
pub fn part_layers<'a>(parts: Vec<&'a Part>, names: &'a Names<'a>) -> Vec<Layer<'a>> {
    let mut by_kind: [Vec<&'a Part>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for part in parts {
        let index = match part.geometry {
            PartGeometry::Point(_) => 0,
            PartGeometry::Line(_) => 1,
            PartGeometry::Polygon(_) => 2,
        };
        by_kind[index].push(part);
    }
    let kinds = [
        ("part_points", "POINT", "City parts with point geometry (部件)"),
        ("part_lines", "LINESTRING", "City parts with line geometry (部件)"),
        ("part_polygons", "POLYGON", "City parts with polygon geometry (部件)"),
    ];
    kinds
        .into_iter()
        .zip(by_kind)
        .filter(|(_, parts)| !parts.is_empty())
        .map(|((name, geometry_type, description), parts)| Layer {
            name,
            geometry_type,
            description,
            fields: PART_FIELDS,
            count: parts.len(),
            rows: Box::new(parts.into_iter().map(move |part| part_row(part, names))),
        })
        .collect()
}

/// All selected parts in one layer of mixed geometry (GeoJSON).
#[must_use]
pub fn parts_layer<'a>(parts: Vec<&'a Part>, names: &'a Names<'a>) -> Layer<'a> {
    Layer {
        name: "parts",
        geometry_type: "GEOMETRY",
        description: "City parts (部件)",
        fields: PART_FIELDS,
        count: parts.len(),
        rows: Box::new(parts.into_iter().map(move |part| part_row(part, names))),
    }
}

/// The jurisdiction layer (multipolygons).
#[must_use]
pub fn jurisdiction_layer<'a>(jurisdictions: Vec<&'a Jurisdiction>, names: &'a Names<'a>) -> Layer<'a> {
    Layer {
        name: "jurisdictions",
        geometry_type: "MULTIPOLYGON",
        description: "Jurisdictions: district, township, community, grid cell, unit zone",
        fields: JURISDICTION_FIELDS,
        count: jurisdictions.len(),
        rows: Box::new(jurisdictions.into_iter().map(move |jurisdiction| Row {
            geometry: Geometry::MultiPolygon(jurisdiction.geometry.clone()),
            values: vec![
                Value::text(jurisdiction.kind.keyword()),
                Value::text(jurisdiction.kind.label_zh()),
                Value::text(&jurisdiction.code),
                Value::text(&jurisdiction.name),
                names.unit_code(jurisdiction.owner_unit),
                names.unit_name(jurisdiction.owner_unit),
                Value::optional_text(jurisdiction.parent_code.clone()),
                Value::Date(jurisdiction.valid_from),
                jurisdiction.valid_to.map_or(Value::Null, Value::Date),
                Value::text(&jurisdiction.source),
            ],
        })),
    }
}

fn light_keyword(light: DeadlineLight) -> &'static str {
    match light {
        DeadlineLight::Green => "green",
        DeadlineLight::Yellow => "yellow",
        DeadlineLight::Red => "red",
    }
}

fn limit_unit_keyword(unit: LimitUnit) -> &'static str {
    match unit {
        LimitUnit::ClockMinutes => "clock_minutes",
        LimitUnit::ClockHours => "clock_hours",
        LimitUnit::WorkHours => "work_hours",
        LimitUnit::WorkDays => "work_days",
    }
}

/// The case layer: each case with its deadline status at the moment the statuses were measured.
#[must_use]
pub fn case_layer<'a>(cases: Vec<(&'a Case, &'a DeadlineStatus)>, names: &'a Names<'a>) -> Layer<'a> {
    Layer {
        name: "cases",
        geometry_type: "POINT",
        description: "Cases (案卷) with their deadline status at export time; times are China time (UTC in GeoPackage)",
        fields: CASE_FIELDS,
        count: cases.len(),
        rows: Box::new(cases.into_iter().map(move |(case, status)| {
            let has_deadline = status.deadline_at.is_some();
            Row {
                geometry: Geometry::Point(case.location),
                values: vec![
                    Value::text(&case.case_no),
                    Value::text(case.source.keyword()),
                    Value::text(case.subject.keyword()),
                    Value::text(&case.class_code),
                    names.class_name(case.subject.item_kind(), &case.class_code),
                    Value::text(case.urgency.keyword()),
                    Value::optional_text(case.part_code.map(|code| code.to_string())),
                    Value::optional_text(case.grid_code.map(|code| code.to_string())),
                    Value::text(&case.description),
                    Value::text(case.state.keyword()),
                    Value::text(case.state.label_zh()),
                    names.unit_code(case.unit),
                    names.unit_name(case.unit),
                    Value::DateTime(case.reported_at),
                    Value::optional_date_time(case.filed_at),
                    Value::optional_date_time(case.dispatched_at),
                    Value::optional_date_time(status.deadline_at),
                    Value::optional_date_time(case.handled_at),
                    Value::optional_date_time(case.closed_at),
                    Value::optional_text(case.close_type.map(|close| close.keyword())),
                    Value::Integer(i64::from(case.rework_count)),
                    Value::Boolean(status.extended),
                    Value::text(status.clock.keyword()),
                    Value::optional_text(status.light.map(light_keyword)),
                    Value::Text(status.label(true)),
                    if has_deadline { Value::Integer(status.remaining_minutes()) } else { Value::Null },
                    Value::optional_text(status.limit_unit.map(limit_unit_keyword)),
                    status.overrun_ratio.filter(|ratio| ratio.is_finite()).map_or(Value::Null, Value::Real),
                    Value::Real(case.location.x()),
                    Value::Real(case.location.y()),
                ],
            }
        })),
    }
}

/// The header row of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvHeader {
    /// The field names (`case_no`, `deadline_at`…), as in GeoJSON and GeoPackage.
    #[default]
    Names,
    /// The Chinese titles (`案卷编号`, `处置时限`…), for spreadsheets.
    ChineseTitles,
}

/// Progress of a running export: rows written so far and rows in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    pub done: usize,
    pub total: usize,
}

/// Reports progress every this many rows (and at the end).
const PROGRESS_EVERY: usize = 2_000;

/// Writes `layers` to `path` in the format its extension names. `progress` is called every few
/// thousand rows; returning `false` cancels, and nothing is left under `path`.
///
/// # Errors
/// See [`ExportError`]; `path` is untouched on every error.
pub fn export(
    path: &Path,
    layers: Vec<Layer<'_>>,
    csv_header: CsvHeader,
    progress: &mut dyn FnMut(ExportProgress) -> bool,
) -> Result<ExportSummary, ExportError> {
    let format = ExportFormat::from_path(path)?;
    if layers.iter().all(|layer| layer.count == 0) {
        return Err(ExportError::Empty { path: path.to_owned() });
    }
    if format != ExportFormat::GeoPackage && layers.len() > 1 {
        let names: Vec<&str> = layers.iter().map(|layer| layer.name).collect();
        return Err(ExportError::OneLayerOnly {
            path: path.to_owned(),
            format: if format == ExportFormat::Csv { "CSV" } else { "GeoJSON" },
            layers: names.join(", "),
        });
    }
    if format == ExportFormat::Csv && layers.iter().any(|layer| layer.geometry_type != "POINT") {
        return Err(ExportError::CsvNeedsPoints { path: path.to_owned(), layer: layers[0].name.to_owned() });
    }
    let temporary = temporary_path(path);
    let total = layers.iter().map(|layer| layer.count).sum();
    let mut counter = Counter { done: 0, total, progress };
    let written = match format {
        ExportFormat::GeoJson => write_geojson(&temporary, layers.into_iter().next(), &mut counter),
        ExportFormat::Csv => write_csv(&temporary, layers.into_iter().next(), csv_header, &mut counter),
        ExportFormat::GeoPackage => write_geopackage(&temporary, layers, &mut counter),
    };
    let finished = written.and_then(|layers| {
        std::fs::rename(&temporary, path).map_err(|source| ExportError::Io { path: path.to_owned(), source })?;
        sync_folder_of(path);
        Ok(layers)
    });
    match finished {
        Ok(layers) => Ok(ExportSummary { path: path.to_owned(), format, layers }),
        Err(error) => {
            // Best effort: the temporary file is ours and useless now.
            let _ = std::fs::remove_file(&temporary);
            Err(match error {
                ExportError::Cancelled { .. } => ExportError::Cancelled { path: path.to_owned() },
                ExportError::Io { source, .. } => ExportError::Io { path: path.to_owned(), source },
                ExportError::Sqlite { source, .. } => ExportError::Sqlite { path: path.to_owned(), source },
                other => other,
            })
        }
    }
}

/// `dir/.name.<process>-<n>.citygrid-partial`: hidden, in the same folder so the final rename
/// is atomic, and unique, so two exports to one name never write into each other's file.
fn temporary_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{serial}.citygrid-partial", std::process::id()))
}

/// Makes a rename in the folder of `path` durable (Unix; elsewhere the rename is what there is).
fn sync_folder_of(path: &Path) {
    let folder = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(folder) = std::fs::File::open(folder) {
        // Not every platform can sync a folder; the file itself is already synced.
        let _ = folder.sync_all();
    }
}

struct Counter<'p> {
    done: usize,
    total: usize,
    progress: &'p mut dyn FnMut(ExportProgress) -> bool,
}

impl Counter<'_> {
    /// Counts one row; `Err(Cancelled)` when the caller asked to stop.
    fn tick(&mut self, path: &Path) -> Result<(), ExportError> {
        self.done += 1;
        if (self.done.is_multiple_of(PROGRESS_EVERY) || self.done == self.total)
            && !(self.progress)(ExportProgress { done: self.done, total: self.total })
        {
            return Err(ExportError::Cancelled { path: path.to_owned() });
        }
        Ok(())
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.to_owned(), source }
}

/// Which records an export takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportWhat {
    Parts,
    Jurisdictions,
    Cases,
    /// Parts, jurisdictions and cases: GeoPackage only.
    All,
}

impl ExportWhat {
    /// Parses `parts`, `jurisdictions`, `cases` or `all`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "parts" => Some(Self::Parts),
            "jurisdictions" => Some(Self::Jurisdictions),
            "cases" => Some(Self::Cases),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// A filter on what is exported; every condition left `None` keeps everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Features whose bounding box meets this WGS84 rectangle (the map view).
    pub within: Option<Rect<f64>>,
    /// Parts and cases whose class code starts with this (`0101`, `01`).
    pub class_prefix: Option<String>,
    /// Jurisdictions of this kind only.
    pub jurisdiction_kind: Option<crate::model::JurisdictionKind>,
    /// Open cases only (not closed, rejected or cancelled).
    pub open_cases_only: bool,
}

impl Selection {
    fn meets(&self, geometry: &Geometry<f64>) -> bool {
        let Some(within) = self.within else { return true };
        geometry.bounding_rect().is_some_and(|rect| {
            rect.min().x <= within.max().x
                && rect.max().x >= within.min().x
                && rect.min().y <= within.max().y
                && rect.max().y >= within.min().y
        })
    }

    fn keeps_class(&self, class_code: &str) -> bool {
        self.class_prefix.as_deref().is_none_or(|prefix| class_code.starts_with(prefix))
    }

    /// Whether `part` is selected.
    #[must_use]
    pub fn keeps_part(&self, part: &Part) -> bool {
        self.keeps_class(&part.code.class_code())
            && self.meets(&match &part.geometry {
                PartGeometry::Point(point) => Geometry::Point(*point),
                PartGeometry::Line(line) => Geometry::Rect(line.bounding_rect().unwrap_or_else(|| Rect::new((0.0, 0.0), (0.0, 0.0)))),
                PartGeometry::Polygon(polygon) => {
                    Geometry::Rect(polygon.bounding_rect().unwrap_or_else(|| Rect::new((0.0, 0.0), (0.0, 0.0))))
                }
            })
    }

    /// Whether `jurisdiction` is selected.
    #[must_use]
    pub fn keeps_jurisdiction(&self, jurisdiction: &Jurisdiction) -> bool {
        self.jurisdiction_kind.is_none_or(|kind| kind == jurisdiction.kind)
            && jurisdiction.geometry.bounding_rect().is_some_and(|rect| self.meets(&Geometry::Rect(rect)))
    }

    /// Whether `case` is selected.
    #[must_use]
    pub fn keeps_case(&self, case: &Case) -> bool {
        self.keeps_class(&case.class_code) && self.meets(&Geometry::Point(case.location)) && (!self.open_cases_only || case.state.is_open())
    }
}

/// The records an export chooses from.
pub struct Sources<'a> {
    pub parts: &'a [Part],
    pub jurisdictions: &'a [Jurisdiction],
    /// Each case with its deadline status (the case list's order is kept).
    pub cases: Vec<(&'a Case, &'a DeadlineStatus)>,
}

/// The layers to write for `what` under `selection`, shaped for `format`: parts split by
/// geometry type in a GeoPackage, one mixed layer in GeoJSON.
#[must_use]
pub fn layers_for<'a>(
    sources: Sources<'a>,
    what: ExportWhat,
    selection: &Selection,
    format: ExportFormat,
    names: &'a Names<'a>,
) -> Vec<Layer<'a>> {
    let mut layers = Vec::new();
    if matches!(what, ExportWhat::Parts | ExportWhat::All) {
        let parts: Vec<&Part> = sources.parts.iter().filter(|part| selection.keeps_part(part)).collect();
        if format == ExportFormat::GeoPackage {
            layers.extend(part_layers(parts, names));
        } else {
            layers.push(parts_layer(parts, names));
        }
    }
    if matches!(what, ExportWhat::Jurisdictions | ExportWhat::All) {
        let jurisdictions = sources.jurisdictions.iter().filter(|jurisdiction| selection.keeps_jurisdiction(jurisdiction)).collect();
        layers.push(jurisdiction_layer(jurisdictions, names));
    }
    if matches!(what, ExportWhat::Cases | ExportWhat::All) {
        let cases = sources.cases.into_iter().filter(|(case, _)| selection.keeps_case(case)).collect();
        layers.push(case_layer(cases, names));
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(ExportFormat::from_path(Path::new("a/b.GeoJSON")).ok(), Some(ExportFormat::GeoJson));
        assert_eq!(ExportFormat::from_path(Path::new("b.gpkg")).ok(), Some(ExportFormat::GeoPackage));
        assert_eq!(ExportFormat::from_path(Path::new("c.csv")).ok(), Some(ExportFormat::Csv));
        let error = ExportFormat::from_path(Path::new("d.shp")).expect_err("no shapefile writer");
        assert!(error.to_string().contains("d.shp"), "{error}");
    }

    #[test]
    fn csv_cells_with_commas_quotes_or_newlines_are_quoted() {
        assert_eq!(csv_cell("井盖"), "井盖");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
