//! The assessment window's charts: the trend (on-time closure rate and cases received over the
//! last twelve weeks or months), the composite scores of one unit class as ranked bars with the
//! bottom units in red, and the cases reported per grid cell as a small choropleth.
//!
//! Each returns what was clicked; the window turns it into a drill-down. Nothing here reads
//! the database: everything comes from the report the desk worker computed.

use std::sync::Arc;

use egui::{Pos2, Rect, RichText, Sense, Stroke, Vec2};
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints, Points};

use crate::assess::output::{CellGeometry, density_legend, period_tick};
use crate::assess::{Assessment, ClassRanking};
use crate::model::{JurisdictionKind, UnitId};
use crate::session::World;
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

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

fn in_triangle(point: Pos2, a: Pos2, b: Pos2, c: Pos2) -> bool {
    let side = |p: Pos2, q: Pos2| (q.x - p.x) * (point.y - p.y) - (q.y - p.y) * (point.x - p.x);
    let (ab, bc, ca) = (side(a, b), side(b, c), side(c, a));
    (ab >= 0.0 && bc >= 0.0 && ca >= 0.0) || (ab <= 0.0 && bc <= 0.0 && ca <= 0.0)
}

/// Cases reported in the period per grid cell, with a legend; hovering names the cell and its
/// count. Returns the code of a clicked cell.
pub fn density_map_ui(ui: &mut egui::Ui, world: &World, report: &Assessment, lang: Lang, size: Vec2) -> Option<String> {
    let date = report.period.last_day();
    let id = egui::Id::unique(("assessment_cells", world.jurisdictions.len(), date));
    let geometry: Arc<CellGeometry> = ui.ctx().memory_mut(|memory| {
        memory.data.get_temp_mut_or_insert_with(id, || Arc::new(CellGeometry::of_cells(&world.jurisdictions, date))).clone()
    });
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
