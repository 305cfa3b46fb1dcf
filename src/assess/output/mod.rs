//! The assessment written out: CSV (UTF-8 with BOM), the XLSX workbook ([`workbook`]) and the
//! printable HTML notice ([`notice`]). The window, `citygrid report` and the benches call the
//! same writers, so a figure reads the same everywhere.

pub mod ledger;
pub mod notice;
pub mod workbook;

use chrono::{Datelike, NaiveDateTime};
use egui::Color32;
use geo::TriangulateEarcut;

use crate::model::{Jurisdiction, JurisdictionKind, Keyword, Lang, Unit, UnitClass, UnitId};
use crate::palette;

use super::{Assessment, Column, Granularity, Indicators, Period};

/// The names a report prints: the district, its units, its grid cells.
#[derive(Debug, Clone, Copy)]
pub struct ReportNames<'a> {
    pub district_name: &'a str,
    pub units: &'a [Unit],
    pub jurisdictions: &'a [Jurisdiction],
}

impl ReportNames<'_> {
    /// Name of a unit in the chosen language, or a dash.
    #[must_use]
    pub fn unit_name(&self, id: Option<UnitId>, lang: Lang) -> String {
        id.and_then(|id| self.units.iter().find(|unit| unit.id == id))
            .map_or_else(|| "—".to_owned(), |unit| unit.name(lang.is_chinese()).to_owned())
    }
}

/// The output formats of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// UTF-8 with BOM, one line per unit.
    Csv,
    /// A workbook: the district, a ranking per class, the cases behind the figures.
    Xlsx,
    /// The printable notice (通报).
    Html,
}

impl ReportFormat {
    /// Reads `csv`, `xlsx`, `html` (command line).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "html" => Some(Self::Html),
            _ => None,
        }
    }

    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
        }
    }
}

/// The name of a unit class keyword (`1` → 一类).
#[must_use]
pub fn class_name(keyword: &str, lang: Lang) -> String {
    UnitClass::from_keyword(keyword)
        .map_or_else(|| keyword.to_owned(), |class| if lang.is_chinese() { class.label_zh() } else { class.label_en() }.to_owned())
}

/// The period as `2026-11-01 – 2026-11-30`.
#[must_use]
pub fn period_text(period: &Period) -> String {
    format!("{} – {}", period.from.format("%Y-%m-%d"), period.last_day().format("%Y-%m-%d"))
}

/// The report as CSV: UTF-8 with a byte-order mark so Excel reads the Chinese names.
#[must_use]
pub fn csv(names: &ReportNames<'_>, report: &Assessment, lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let mut header: Vec<&str> =
        vec![lang.pick("单位类别", "Unit class"), lang.pick("名次", "Rank"), lang.pick("单位", "Unit"), lang.pick("综合得分", "Score")];
    header.extend(Column::TABLE.iter().map(|column| column.label(lang.is_chinese())));
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let quote = |text: &str| {
        let text = crate::text::spreadsheet_safe(text);
        if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into_owned() }
    };
    let values = |indicators: &Indicators| Column::TABLE.iter().map(|column| column.text(indicators)).collect::<Vec<_>>();
    let mut district = vec![String::new(), String::new(), quote(names.district_name), String::new()];
    district.extend(values(&report.district));
    out.push_str(&district.join(","));
    out.push_str("\r\n");
    for class in &report.ranking {
        for unit in &class.units {
            let mut row = vec![
                class.class.to_owned(),
                unit.rank.to_string(),
                quote(&names.unit_name(Some(unit.unit), lang)),
                format!("{:.1}", unit.score),
            ];
            row.extend(values(&unit.indicators));
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The export's file name: `考核评价-20261101-20261130.csv`, `考核通报-….html`.
#[must_use]
pub fn export_file_name(report: &Assessment, format: ReportFormat) -> String {
    let stem = if format == ReportFormat::Html { "考核通报" } else { "考核评价" };
    format!("{stem}-{}-{}.{}", report.period.from.format("%Y%m%d"), report.period.last_day().format("%Y%m%d"), format.extension())
}

/// The report in `format` as bytes.
///
/// # Errors
/// The workbook cannot be assembled.
pub fn report_bytes(
    names: &ReportNames<'_>,
    report: &Assessment,
    format: ReportFormat,
    lang: Lang,
    made_at: NaiveDateTime,
) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        ReportFormat::Csv => csv(names, report, lang).into_bytes(),
        ReportFormat::Xlsx => workbook::xlsx(names, report, lang)?,
        ReportFormat::Html => notice::html(names, report, lang, made_at).into_bytes(),
    })
}

/// Writes the report in `format` to `path` (call it off the UI thread).
///
/// # Errors
/// The report cannot be assembled or written.
pub fn write_report(
    names: &ReportNames<'_>,
    report: &Assessment,
    format: ReportFormat,
    lang: Lang,
    made_at: NaiveDateTime,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let bytes = report_bytes(names, report, format, lang, made_at)?;
    std::fs::write(path, bytes).map_err(|error| anyhow::anyhow!("writing {}: {error}", path.display()))
}

/// The short name of a trend period on an axis: `11月` / `Nov` for a month, `11-23` for the
/// Monday of a week.
#[must_use]
pub fn period_tick(period: &Period, granularity: Granularity, lang: Lang) -> String {
    match granularity {
        Granularity::Month if lang.is_chinese() => format!("{}月", period.from.month()),
        Granularity::Month => period.from.format("%b").to_string(),
        Granularity::Week => period.from.format("%m-%d").to_string(),
    }
}

/// The grid cells in force, triangulated once per database in screen-independent coordinates
/// (x east, y north, in metres-ish: longitude scaled by the cosine of the latitude).
pub struct CellGeometry {
    /// Code and name of each cell.
    pub cells: Vec<(String, String)>,
    /// Per cell: triangles as vertex triples.
    pub triangles: Vec<Vec<[[f64; 2]; 3]>>,
    /// Per cell: outer rings.
    pub rings: Vec<Vec<Vec<[f64; 2]>>>,
    /// Bounds: min x, min y, max x, max y.
    pub bounds: [f64; 4],
}

impl CellGeometry {
    /// The grid cells among `jurisdictions` in force on `date`.
    #[must_use]
    pub fn of_cells(jurisdictions: &[Jurisdiction], date: chrono::NaiveDate) -> Self {
        let grid: Vec<&Jurisdiction> =
            jurisdictions.iter().filter(|cell| cell.kind == JurisdictionKind::GridCell && cell.valid_on(date)).collect();
        let mean_lat = if grid.is_empty() {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            let count = grid.len() as f64;
            grid.iter()
                .filter_map(|cell| cell.geometry.0.first())
                .filter_map(|polygon| polygon.exterior().0.first())
                .map(|c| c.y)
                .sum::<f64>()
                / count
        };
        let scale = mean_lat.to_radians().cos();
        let project = |x: f64, y: f64| [x * scale, y];
        let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        let mut cells = Vec::with_capacity(grid.len());
        let mut triangles = Vec::with_capacity(grid.len());
        let mut rings = Vec::with_capacity(grid.len());
        for cell in grid {
            let mut cell_triangles = Vec::new();
            let mut cell_rings = Vec::new();
            for polygon in &cell.geometry.0 {
                let raw = polygon.earcut_triangles_raw();
                for triangle in raw.triangle_indices.chunks_exact(3) {
                    let vertex = |at: usize| project(raw.vertices[at][0], raw.vertices[at][1]);
                    cell_triangles.push([vertex(triangle[0]), vertex(triangle[1]), vertex(triangle[2])]);
                }
                let ring: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|c| project(c.x, c.y)).collect();
                for point in &ring {
                    bounds = [bounds[0].min(point[0]), bounds[1].min(point[1]), bounds[2].max(point[0]), bounds[3].max(point[1])];
                }
                cell_rings.push(ring);
            }
            cells.push((cell.code.clone(), cell.name.clone()));
            triangles.push(cell_triangles);
            rings.push(cell_rings);
        }
        Self { cells, triangles, rings, bounds }
    }

    /// Maps a projected point into `rect`, keeping the aspect ratio, north up.
    pub fn fit(&self, width: f64, height: f64) -> impl Fn([f64; 2]) -> [f64; 2] + use<> {
        let [min_x, min_y, max_x, max_y] = self.bounds;
        let span = ((max_x - min_x) / width).max((max_y - min_y) / height).max(f64::EPSILON);
        let (offset_x, offset_y) = ((width - (max_x - min_x) / span) / 2.0, (height - (max_y - min_y) / span) / 2.0);
        move |[x, y]: [f64; 2]| [offset_x + (x - min_x) / span, offset_y + (max_y - y) / span]
    }
}

/// The legend's classes for counts up to `max`: five equal steps on the colour ramp's square
/// root scale, as `(lowest count, colour)`.
#[must_use]
pub fn density_legend(max: u64) -> Vec<(u64, Color32)> {
    let max32 = u32::try_from(max).unwrap_or(u32::MAX);
    let mut classes = vec![(0, palette::density_color(0, max32.max(1)))];
    for step in 1..=4u32 {
        let t = f64::from(step) / 4.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let count = ((t * t) * max as f64).ceil().max(1.0) as u64;
        if classes.last().is_some_and(|(last, _)| *last >= count) {
            continue;
        }
        classes.push((count, palette::density_color(u32::try_from(count).unwrap_or(u32::MAX), max32.max(1))));
    }
    classes
}
