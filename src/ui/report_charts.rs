//! The assessment window's charts: the trend (on-time closure rate and cases received over the
//! last twelve weeks or months), the composite scores of one unit class as ranked bars with the
//! bottom units in red, and the cases reported per grid cell as a small choropleth.
//!
//! Each returns what was clicked; the window turns it into a drill-down. Nothing here reads
//! the database: everything comes from the report the desk worker computed.

use std::sync::Arc;

use chrono::Datelike;
use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints, Points};
use geo::TriangulateEarcut;

use crate::app::World;
use crate::assess::{Assessment, ClassRanking, Granularity, Period};
use crate::model::{JurisdictionKind, UnitId};
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

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

/// The trend: on-time closure rate (line, %) above, cases received (bars) below. Returns the
/// index of a clicked period.
pub fn trend_chart_ui(ui: &mut egui::Ui, report: &Assessment, lang: Lang, width: f32) -> Option<usize> {
    let granularity = report.options.granularity;
    let ticks: Vec<String> = report.trend.iter().map(|(period, _)| period_tick(period, granularity, lang)).collect();
    let tick_text = move |mark: egui_plot::GridMark, _: &std::ops::RangeInclusive<f64>| {
        let index = mark.value.round();
        if (mark.value - index).abs() > 1e-6 || index < 0.0 {
            return String::new();
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        ticks.get(index as usize).cloned().unwrap_or_default()
    };
    let rate: Vec<[f64; 2]> = report
        .trend
        .iter()
        .enumerate()
        .filter_map(|(index, (_, indicators))| indicators.on_time_rate().map(|rate| [index as f64, rate * 100.0]))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let received: Vec<Bar> = report
        .trend
        .iter()
        .enumerate()
        .map(|(index, (_, indicators))| Bar::new(index as f64, indicators.received as f64).width(0.6).fill(tokens::CHART_COUNT))
        .collect();
    let rate_name = lang.pick("按期结案率（%）", "On-time closure rate (%)");
    let count_name = lang.pick("接收案件数", "Cases received");
    let periods = report.trend.len();
    #[allow(clippy::cast_precision_loss)]
    let last = periods.saturating_sub(1) as f64;
    // One tick per period.
    #[allow(clippy::cast_precision_loss)]
    let spacer = move |_: egui_plot::GridInput| {
        // Every period a thin line; every third one also a label (from the latest back).
        (0..periods)
            .map(|index| egui_plot::GridMark {
                value: index as f64,
                step_size: if (periods - 1 - index).is_multiple_of(3) { 3.0 } else { 1.0 },
            })
            .collect()
    };
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.colored_label(tokens::CHART_RATE, "●");
        ui.label(rate_name);
    });
    let response = trend_plot("assessment_trend_rate", width, 110.0, last)
        .x_grid_spacer(spacer)
        .include_y(100.0)
        .x_axis_formatter(tick_text.clone())
        .show(ui, |plot| {
            plot.add(Line::new(rate_name, PlotPoints::from(rate.clone())).color(tokens::CHART_RATE).width(2.0));
            plot.add(Points::new(rate_name, PlotPoints::from(rate)).color(tokens::CHART_RATE).radius(3.0));
            plot.pointer_coordinate()
        });
    if response.response.clicked()
        && let Some(point) = response.inner
    {
        clicked = index_at(point.x, report.trend.len());
    }
    ui.horizontal(|ui| {
        ui.colored_label(tokens::CHART_COUNT, "●");
        ui.label(count_name);
    });
    let response =
        trend_plot("assessment_trend_count", width, 90.0, last).x_grid_spacer(spacer).x_axis_formatter(tick_text).show(ui, |plot| {
            plot.add(BarChart::new(count_name, received).color(tokens::CHART_COUNT));
            plot.pointer_coordinate()
        });
    if response.response.clicked()
        && let Some(point) = response.inner
    {
        clicked = index_at(point.x, report.trend.len());
    }
    clicked
}

/// A plot that stays still (no drag, zoom or scroll): a report chart, not an explorer.
fn still_plot(id: &str, width: f32, height: f32) -> Plot<'static> {
    Plot::new(id).width(width).height(height).allow_drag(false).allow_zoom(false).allow_scroll(false).allow_boxed_zoom(false)
}

/// A still trend plot over periods `0..=last`, from zero up.
fn trend_plot(id: &str, width: f32, height: f32, last: f64) -> Plot<'static> {
    still_plot(id, width, height).include_x(-0.5).include_x(last + 0.5).include_y(0.0)
}

fn index_at(coordinate: f64, len: usize) -> Option<usize> {
    let index = coordinate.round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    (index >= 0.0 && index < len as f64).then_some(index as usize)
}

/// The composite scores of one class as horizontal bars, best at the top, the bottom units
/// (末位) in red. Returns the unit whose bar was clicked.
pub fn ranking_bars_ui(ui: &mut egui::Ui, world: &World, class: &ClassRanking, lang: Lang, width: f32) -> Option<UnitId> {
    let count = class.units.len();
    let names: Vec<String> = class.units.iter().map(|unit| world.unit_name(Some(unit.unit), lang)).collect();
    // Bar i sits at y = count − 1 − i, so the best is at the top.
    #[allow(clippy::cast_precision_loss)]
    let y_of = |index: usize| (count - 1 - index) as f64;
    let bars: Vec<Bar> = class
        .units
        .iter()
        .enumerate()
        .map(|(index, unit)| {
            let fill = if class.is_bottom(index) { tokens::CHART_BAR_BOTTOM } else { tokens::CHART_BAR };
            Bar::new(y_of(index), unit.score).width(0.7).fill(fill).name(format!("{} {}", unit.rank, names[index]))
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let height = (count as f32 * 22.0 + 30.0).clamp(90.0, 400.0);
    let response = still_plot("assessment_ranking_bars", width, height)
        .include_x(0.0)
        .include_x(100.0)
        .include_y(-0.5)
        .include_y(count as f64 - 0.5)
        .show_axes([true, false])
        .show_grid([true, false])
        .show(ui, |plot| {
            plot.add(
                BarChart::new(lang.pick("综合得分", "Composite score"), bars)
                    .horizontal()
                    .element_formatter(Box::new(|bar, _| format!("{}\n{:.1}", bar.name, bar.value))),
            );
            // The names over the bars, so every unit is named whatever the height.
            for (index, name) in names.iter().enumerate() {
                let label = format!("{} {name} {:.1}", class.units[index].rank, class.units[index].score);
                plot.add(
                    egui_plot::Text::new(
                        name.clone(),
                        egui_plot::PlotPoint::new(1.0, y_of(index)),
                        RichText::new(label).color(tokens::CHART_LABEL),
                    )
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
            plot.pointer_coordinate()
        });
    if response.response.clicked()
        && let Some(point) = response.inner
    {
        return index_at(point.y, count).map(|y| class.units[count - 1 - y].unit);
    }
    None
}

/// The grid cells in force, triangulated once per world in screen-independent coordinates
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
    /// The grid cells of `world` in force on `date`.
    #[must_use]
    pub fn of_world(world: &World, date: chrono::NaiveDate) -> Self {
        let grid: Vec<&crate::model::Jurisdiction> =
            world.jurisdictions.iter().filter(|cell| cell.kind == JurisdictionKind::GridCell && cell.valid_on(date)).collect();
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

fn in_triangle(point: Pos2, a: Pos2, b: Pos2, c: Pos2) -> bool {
    let side = |p: Pos2, q: Pos2| (q.x - p.x) * (point.y - p.y) - (q.y - p.y) * (point.x - p.x);
    let (ab, bc, ca) = (side(a, b), side(b, c), side(c, a));
    (ab >= 0.0 && bc >= 0.0 && ca >= 0.0) || (ab <= 0.0 && bc <= 0.0 && ca <= 0.0)
}

/// The legend's classes for counts up to `max`: five equal steps on the colour ramp's square
/// root scale, as `(lowest count, colour)`.
#[must_use]
pub fn density_legend(max: u64) -> Vec<(u64, Color32)> {
    let max32 = u32::try_from(max).unwrap_or(u32::MAX);
    let mut classes = vec![(0, tokens::density_color(0, max32.max(1)))];
    for step in 1..=4u32 {
        let t = f64::from(step) / 4.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let count = ((t * t) * max as f64).ceil().max(1.0) as u64;
        if classes.last().is_some_and(|(last, _)| *last >= count) {
            continue;
        }
        classes.push((count, tokens::density_color(u32::try_from(count).unwrap_or(u32::MAX), max32.max(1))));
    }
    classes
}

/// Cases reported in the period per grid cell, with a legend; hovering names the cell and its
/// count. Returns the code of a clicked cell.
pub fn density_map_ui(ui: &mut egui::Ui, world: &World, report: &Assessment, lang: Lang, size: Vec2) -> Option<String> {
    let date = report.period.last_day();
    let id = egui::Id::unique(("assessment_cells", world.jurisdictions.len(), date));
    let geometry: Arc<CellGeometry> =
        ui.ctx().memory_mut(|memory| memory.data.get_temp_mut_or_insert_with(id, || Arc::new(CellGeometry::of_world(world, date))).clone());
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, tokens::MAP_BACKGROUND);
    if geometry.cells.is_empty() {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            lang.pick("无单元网格图层", "No grid cell layer"),
            egui::FontId::proportional(12.0),
            tokens::MAP_TEXT,
        );
        return None;
    }
    let counts: Vec<u64> = geometry.cells.iter().map(|(code, _)| report.reported_by_region.get(code).copied().unwrap_or(0)).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let max32 = u32::try_from(max).unwrap_or(u32::MAX).max(1);
    let legend_height = 18.0;
    let map_rect = Rect::from_min_max(rect.min, Pos2::new(rect.max.x, rect.max.y - legend_height));
    let fit = geometry.fit(f64::from(map_rect.width()), f64::from(map_rect.height()));
    #[allow(clippy::cast_possible_truncation)]
    let to_screen = |point: [f64; 2]| {
        let [x, y] = fit(point);
        Pos2::new(map_rect.min.x + x as f32, map_rect.min.y + y as f32)
    };
    let mut mesh = egui::Mesh::default();
    let hover = response.hover_pos();
    let mut hovered: Option<usize> = None;
    for (index, cell_triangles) in geometry.triangles.iter().enumerate() {
        let color = tokens::density_color(u32::try_from(counts[index]).unwrap_or(u32::MAX), max32);
        for triangle in cell_triangles {
            let [a, b, c] = triangle.map(to_screen);
            if hovered.is_none() && hover.is_some_and(|at| in_triangle(at, a, b, c)) {
                hovered = Some(index);
            }
            let first = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
            for point in [a, b, c] {
                mesh.colored_vertex(point, color);
            }
            mesh.add_triangle(first, first + 1, first + 2);
        }
    }
    painter.add(egui::Shape::mesh(mesh));
    let outline = tokens::jurisdiction_stroke(JurisdictionKind::GridCell, false);
    for (index, cell_rings) in geometry.rings.iter().enumerate() {
        let stroke = if hovered == Some(index) { Stroke::new(2.0, tokens::SELECTION) } else { Stroke::new(0.5, outline.color) };
        for ring in cell_rings {
            painter.add(egui::Shape::closed_line(ring.iter().copied().map(to_screen).collect(), stroke));
        }
    }
    // Legend: one swatch per class.
    let mut x = rect.min.x + 4.0;
    let y = rect.max.y - legend_height / 2.0;
    painter.text(
        Pos2::new(x, y),
        egui::Align2::LEFT_CENTER,
        lang.pick("上报数", "Reported"),
        egui::FontId::proportional(11.0),
        tokens::MAP_TEXT,
    );
    x += 48.0;
    for (from, color) in density_legend(max) {
        painter.rect_filled(Rect::from_center_size(Pos2::new(x + 6.0, y), Vec2::splat(10.0)), 1.0, color);
        painter.text(
            Pos2::new(x + 14.0, y),
            egui::Align2::LEFT_CENTER,
            format!("≥{from}"),
            egui::FontId::proportional(11.0),
            tokens::MAP_TEXT,
        );
        x += 46.0;
    }
    let _ = max32;
    if let Some(index) = hovered {
        let (code, name) = &geometry.cells[index];
        response.clone().on_hover_text(format!("{name} {code}\n{}: {}", lang.pick("上报", "Reported"), counts[index]));
        if response.clicked() {
            return Some(code.clone());
        }
    }
    None
}
