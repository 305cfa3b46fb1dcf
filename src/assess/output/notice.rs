//! The periodic notice (通报, Art. 24) as one self-contained HTML file for printing on A4: the
//! period and the date it was made, the district's figures, the trend, every unit class's
//! ranking with its bars and red/amber/green marks, the bottom units named, the cases per grid
//! cell, and the definitions of the indicators. Charts are inline SVG, nothing is fetched.
//!
//! The markup is well-formed XML (every element closed, text escaped) so tests can parse it.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use egui::Color32;

use super::{CellGeometry, density_legend, period_tick};
use super::{ReportNames, class_name, period_text};
use crate::assess::{Assessment, ClassRanking, Column, Mark};
use crate::model::Lang;
use crate::palette;

/// Escapes text for HTML and XML.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn hex(color: Color32) -> String {
    let [r, g, b, a] = color.to_srgba_unmultiplied();
    if a == 255 { format!("#{r:02x}{g:02x}{b:02x}") } else { format!("rgba({r},{g},{b},{:.2})", f32::from(a) / 255.0) }
}

const STYLE: &str = "@page { size: A4; margin: 15mm 12mm; }
body { font-family: 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif; font-size: 10.5pt; color: #222; max-width: 186mm; margin: 0 auto; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 4pt; }
h2 { font-size: 13pt; border-bottom: 1.5pt solid #1f6fb4; padding-bottom: 2pt; margin: 14pt 0 6pt; }
.meta { text-align: center; color: #555; margin-bottom: 10pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: right; }
th { background: #dde6f0; text-align: center; }
td.name { text-align: left; }
tr.bottom td { background: #fbe3e3; }
.mark { font-weight: bold; }
.mark.green { color: #2e8b57; } .mark.amber { color: #e09b00; } .mark.red { color: #c61f1f; }
.bottom-units { color: #c61f1f; font-weight: bold; }
section { page-break-inside: avoid; }
svg { display: block; margin: 4pt auto; }
.definitions li { margin: 2pt 0; }
@media print { a { color: inherit; text-decoration: none; } }";

/// The trend as SVG: cases received as bars (left scale), on-time closure rate as a line
/// (right scale, 0–100 %).
#[must_use]
pub fn trend_svg(report: &Assessment, lang: Lang) -> String {
    let (width, height, left, right, top, bottom) = (640.0, 220.0, 48.0, 48.0, 24.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let count = report.trend.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let step = plot_w / count as f64;
    let max_received = report.trend.iter().map(|(_, indicators)| indicators.received).max().unwrap_or(0).max(1);
    let nice_max = nice_ceiling(max_received);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="10" role="img" aria-label="{}">"#,
        escape(lang.pick("趋势", "Trend"))
    );
    // Axes and ticks.
    let _ = write!(svg, r##"<line x1="{left}" y1="{y}" x2="{x}" y2="{y}" stroke="#444"/>"##, y = top + plot_h, x = left + plot_w);
    for tick in 0..=4u32 {
        let fraction = f64::from(tick) / 4.0;
        let y = top + plot_h * (1.0 - fraction);
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let count_label = (nice_max as f64 * fraction).round() as u64;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#ddd"/><text x="{lx}" y="{ty:.1}" text-anchor="end">{count_label}</text><text x="{rx}" y="{ty:.1}">{percent}%</text>"##,
            x2 = left + plot_w,
            lx = left - 4.0,
            rx = left + plot_w + 4.0,
            ty = y + 3.5,
            percent = tick * 25,
        );
    }
    let mut line = String::new();
    for (index, (period, indicators)) in report.trend.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + step * (index as f64 + 0.5);
        #[allow(clippy::cast_precision_loss)]
        let bar_h = plot_h * indicators.received as f64 / nice_max as f64;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bar_h:.1}" fill="{}"><title>{}: {}</title></rect><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x - step * 0.3,
            top + plot_h - bar_h,
            step * 0.6,
            hex(palette::CHART_COUNT),
            escape(&period_text(period)),
            indicators.received,
            top + plot_h + 14.0,
            escape(&period_tick(period, report.options.granularity, lang)),
        );
        if let Some(rate) = indicators.on_time_rate() {
            let y = top + plot_h * (1.0 - rate);
            let _ = write!(line, "{}{x:.1},{y:.1}", if line.is_empty() { "" } else { " " });
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{}"><title>{}: {:.1}%</title></circle>"#,
                hex(palette::CHART_RATE),
                escape(&period_text(period)),
                rate * 100.0
            );
        }
    }
    if !line.is_empty() {
        let _ = write!(svg, r#"<polyline points="{line}" fill="none" stroke="{}" stroke-width="2"/>"#, hex(palette::CHART_RATE));
    }
    let _ = write!(
        svg,
        r#"<rect x="{left}" y="6" width="10" height="10" fill="{}"/><text x="{}" y="15">{}</text><rect x="{}" y="6" width="10" height="10" fill="{}"/><text x="{}" y="15">{}</text></svg>"#,
        hex(palette::CHART_COUNT),
        left + 14.0,
        escape(lang.pick("接收案件数（左）", "Cases received (left)")),
        left + 180.0,
        hex(palette::CHART_RATE),
        left + 194.0,
        escape(lang.pick("按期结案率（右）", "On-time closure rate (right)")),
    );
    svg
}

/// 1, 2 or 5 times a power of ten, at least `value`.
fn nice_ceiling(value: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            if factor * power >= value {
                return factor * power;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// One class's composite scores as horizontal bars, the bottom units in red.
#[must_use]
pub fn ranking_svg(names: &ReportNames<'_>, class: &ClassRanking, lang: Lang) -> String {
    let (width, left, right, row_h, top) = (640.0, 170.0, 40.0, 18.0, 8.0);
    #[allow(clippy::cast_precision_loss)]
    let height = top * 2.0 + row_h * class.units.len() as f64 + 18.0;
    let plot_w = width - left - right;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="10" role="img" aria-label="{}">"#,
        escape(&class_name(class.class, lang))
    );
    for (index, unit) in class.units.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = top + row_h * index as f64;
        let fill = if class.is_bottom(index) { palette::CHART_BAR_BOTTOM } else { palette::CHART_BAR };
        let bar_w = plot_w * unit.score.clamp(0.0, 100.0) / 100.0;
        let name = escape(&names.unit_name(Some(unit.unit), lang));
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{} {name}</text><rect x="{left}" y="{:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{name}: {:.1}</title></rect><text x="{:.1}" y="{:.1}">{:.1}</text>"#,
            left - 4.0,
            y + row_h * 0.7,
            unit.rank,
            y + 2.0,
            row_h - 4.0,
            hex(fill),
            unit.score,
            left + bar_w + 3.0,
            y + row_h * 0.7,
            unit.score,
        );
    }
    #[allow(clippy::cast_precision_loss)]
    let axis_y = top + row_h * class.units.len() as f64;
    let _ = write!(svg, r##"<line x1="{left}" y1="{axis_y:.1}" x2="{}" y2="{axis_y:.1}" stroke="#444"/>"##, left + plot_w);
    for tick in 0..=4u32 {
        let x = left + plot_w * f64::from(tick) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{axis_y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            axis_y + 3.0,
            axis_y + 13.0,
            tick * 25
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Cases reported per grid cell as SVG, with a legend.
#[must_use]
pub fn density_svg(names: &ReportNames<'_>, report: &Assessment, lang: Lang) -> String {
    let geometry = CellGeometry::of_cells(names.jurisdictions, report.period.last_day());
    let (width, map_h, legend_h) = (640.0, 420.0, 24.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" viewBox="0 0 {width} {}" font-size="10" role="img" aria-label="{}">"#,
        map_h + legend_h,
        map_h + legend_h,
        escape(lang.pick("单元网格案件密度", "Cases per grid cell"))
    );
    let counts: Vec<u64> = geometry.cells.iter().map(|(code, _)| report.reported_by_region.get(code).copied().unwrap_or(0)).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let max32 = u32::try_from(max).unwrap_or(u32::MAX).max(1);
    let fit = geometry.fit(width, map_h);
    let stroke = hex(palette::jurisdiction_stroke(crate::model::JurisdictionKind::GridCell, false).color);
    for (index, rings) in geometry.rings.iter().enumerate() {
        let fill = hex(palette::density_color(u32::try_from(counts[index]).unwrap_or(u32::MAX), max32));
        let mut path = String::new();
        for ring in rings {
            for (at, point) in ring.iter().enumerate() {
                let [x, y] = fit(*point);
                let _ = write!(path, "{}{x:.1},{y:.1}", if at == 0 { "M" } else { "L" });
            }
            path.push('Z');
        }
        let (code, name) = &geometry.cells[index];
        let _ = write!(
            svg,
            r#"<path d="{path}" fill="{fill}" stroke="{stroke}" stroke-width="0.4"><title>{} {}: {}</title></path>"#,
            escape(name),
            escape(code),
            counts[index]
        );
    }
    let mut x = 4.0;
    let y = map_h + 16.0;
    let _ = write!(svg, r#"<text x="{x}" y="{y}">{}</text>"#, escape(lang.pick("上报数", "Reported")));
    x += 50.0;
    for (from, color) in density_legend(max) {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="{}" stroke="#999" stroke-width="0.4"/><text x="{}" y="{y}">≥{from}</text>"##,
            y - 10.0,
            hex(color),
            x + 16.0
        );
        x += 60.0;
    }
    svg.push_str("</svg>");
    svg
}

fn mark_class(mark: Mark) -> &'static str {
    match mark {
        Mark::Green => "green",
        Mark::Amber => "amber",
        Mark::Red => "red",
    }
}

/// The notice as one HTML document.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn html(names: &ReportNames<'_>, report: &Assessment, lang: Lang, made_at: NaiveDateTime) -> String {
    let chinese = lang.is_chinese();
    let title = format!("{}{}", names.district_name, lang.pick("数字化城市管理监督考核通报", " city management assessment notice"));
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{}"><head><meta charset="utf-8"/><title>{}</title><style>{STYLE}</style></head><body>
<h1>{}</h1><p class="meta">{} {} · {} {}</p>
"#,
        if chinese { "zh-CN" } else { "en" },
        escape(&title),
        escape(&title),
        lang.pick("统计期", "Period"),
        escape(&period_text(&report.period)),
        lang.pick("生成于", "made"),
        made_at.format("%Y-%m-%d %H:%M"),
    );
    // District figures.
    let _ = write!(out, "<section><h2>{}</h2><table><tr>", lang.pick("一、全区总体情况", "1. The district"));
    for column in Column::TABLE {
        let _ = write!(out, "<th>{}</th>", escape(column.label(chinese)));
    }
    out.push_str("</tr><tr class=\"district\">");
    for column in Column::TABLE {
        let _ = write!(out, "<td>{}</td>", escape(&column.text(&report.district)));
    }
    let _ = write!(
        out,
        "</tr></table><p>{} {} · {} {} · {} {}</p></section>",
        lang.pick("上报", "Reported"),
        report.district.reported,
        lang.pick("立案", "filed"),
        report.district.filed,
        lang.pick("期末未结", "open at the end"),
        report.district.open_at_end
    );
    // Trend.
    let granularity = match report.options.granularity {
        crate::assess::Granularity::Week => lang.pick("近 12 周", "the last 12 weeks"),
        crate::assess::Granularity::Month => lang.pick("近 12 个月", "the last 12 months"),
    };
    let whose = report.options.trend_unit.map_or_else(|| names.district_name.to_owned(), |unit| names.unit_name(Some(unit), lang));
    let _ = write!(
        out,
        "<section><h2>{} · {} · {}</h2>{}</section>",
        lang.pick("二、趋势", "2. Trend"),
        escape(&whose),
        granularity,
        trend_svg(report, lang)
    );
    // Rankings.
    let _ = write!(out, "<h2>{}</h2>", lang.pick("三、责任单位排名（按单位类别）", "3. Unit rankings by class"));
    if report.ranking.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.pick("本期无单位参与排名。", "No unit was ranked in this period."));
    }
    for class in &report.ranking {
        let _ = write!(out, "<section><h3>{}</h3>", escape(&class_name(class.class, lang)));
        out.push_str(&ranking_svg(names, class, lang));
        let _ = write!(
            out,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
            lang.pick("名次", "Rank"),
            lang.pick("单位", "Unit"),
            lang.pick("综合得分", "Score"),
            lang.pick("评价", "Mark")
        );
        for column in &Column::TABLE[..8] {
            let _ = write!(out, "<th>{}</th>", escape(column.label(chinese)));
        }
        out.push_str("</tr>");
        for (index, unit) in class.units.iter().enumerate() {
            let mark = Mark::of_score(unit.score);
            let _ = write!(
                out,
                r#"<tr{}><td>{}</td><td class="name">{}</td><td>{:.1}</td><td class="mark {}">● {}</td>"#,
                if class.is_bottom(index) { r#" class="bottom""# } else { "" },
                unit.rank,
                escape(&names.unit_name(Some(unit.unit), lang)),
                unit.score,
                mark_class(mark),
                mark.label(chinese)
            );
            for column in &Column::TABLE[..8] {
                let _ = write!(out, "<td>{}</td>", escape(&column.text(&unit.indicators)));
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
        let bottom: Vec<String> = class.bottom().iter().map(|unit| escape(&names.unit_name(Some(unit.unit), lang))).collect();
        if !bottom.is_empty() {
            let _ = write!(
                out,
                r#"<p>{}<span class="bottom-units">{}</span></p>"#,
                lang.pick("末位单位：", "Bottom units: "),
                bottom.join(lang.pick("、", ", "))
            );
        }
        out.push_str("</section>");
    }
    bodies_html(&mut out, names, report, lang);
    people_html(&mut out, report, lang);
    // Cases per grid cell.
    let _ = write!(
        out,
        "<section><h2>{}</h2>{}</section>",
        lang.pick("六、单元网格案件密度（本期上报）", "6. Cases reported per grid cell"),
        density_svg(names, report, lang)
    );
    // Definitions.
    let weights = &report.options.weights;
    let _ = write!(out, r#"<section class="definitions"><h2>{}</h2><ul>"#, lang.pick("七、指标说明", "7. Definitions"));
    let definitions: Vec<String> = if chinese {
        vec![
            "按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数)；在批准延期内结案视为按期。".to_owned(),
            "结案率 = 结案数 ÷ (应结案数 − 缓办数)；误报结案不计入考核。".to_owned(),
            "返工率 = 核查不通过数 ÷ 核查数；延期率 = 延期案件数 ÷ 考核案件数；超期数 = 超期结案 + 超期未结。".to_owned(),
            format!(
                "综合得分 = 结案率% × {} + 按期结案率% × {} + (100 − 返工率%) × {} + 接收案件少者最多 {} 分 − 回退率% × {}，再每件驳回回退扣 {} 分、每件超期扣 {} 分、每次返工扣 {} 分（最低 0 分）；按单位类别排名，末位为各类后 20%（至少 1 个，三个单位以下不设）。",
                weights.closure,
                weights.on_time,
                weights.rework,
                weights.few_cases,
                weights.returns,
                weights.per_refused_return,
                weights.per_overdue,
                weights.per_rework
            ),
            "岗位考核：各岗位人员按其岗位指标的平均值计分（×100），≥ 95 优秀、≥ 85 良好、≥ 70 合格，其余不合格。".to_owned(),
            format!("评价：得分 ≥ {} 为良好（绿），≥ {} 为一般（黄），其余为较差（红）。", Mark::GREEN_FROM, Mark::AMBER_FROM),
            "全部指标由审计记录计算，定义详见 docs/INDICATORS.md。".to_owned(),
        ]
    } else {
        vec![
            "On-time closure rate = closed on time ÷ (due − deferred); closing within an approved extension is on time.".to_owned(),
            "Closure rate = closed ÷ (due − deferred); erroneous closes are out of the assessment.".to_owned(),
            "Rework rate = failed verifications ÷ verifications; extension rate = extended cases ÷ assessed; overdue = closed late + open overdue."
                .to_owned(),
            format!(
                "Composite score = closure % × {} + on-time % × {} + (100 − rework %) × {} + up to {} points for few cases received − return % × {}, less {} a refused return, {} an overdue case and {} a rework (never below 0); ranked within each unit class; the bottom units are the last fifth (at least one, none in a class under three).",
                weights.closure,
                weights.on_time,
                weights.rework,
                weights.few_cases,
                weights.returns,
                weights.per_refused_return,
                weights.per_overdue,
                weights.per_rework
            ),
            "Post evaluation: each person scores the mean of their post's rates × 100; 95 and above excellent, 85 good, 70 pass, below that fail."
                .to_owned(),
            format!("Marks: green from {}, amber from {}, red below.", Mark::GREEN_FROM, Mark::AMBER_FROM),
            "Every figure is computed from the audit trail; definitions in docs/INDICATORS.md.".to_owned(),
        ]
    };
    for definition in definitions {
        let _ = write!(out, "<li>{}</li>", escape(&definition));
    }
    out.push_str("</ul></section>\n</body></html>\n");
    out
}

/// 四、主管部门汇总: each Art. 6 body with its sections rolled up.
fn bodies_html(out: &mut String, names: &ReportNames<'_>, report: &Assessment, lang: Lang) {
    let chinese = lang.is_chinese();
    let _ = write!(out, "<section><h2>{}</h2>", lang.pick("四、主管部门汇总（含下属科所）", "4. Departments with their sections"));
    if report.bodies.is_empty() {
        let _ = write!(out, "<p>{}</p></section>", lang.pick("本期无下属科所参与考核。", "No section was assessed in this period."));
        return;
    }
    let _ = write!(
        out,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th>",
        lang.pick("主管部门", "Department"),
        lang.pick("下属科所", "Sections"),
        lang.pick("综合得分", "Score")
    );
    for column in &Column::TABLE[..8] {
        let _ = write!(out, "<th>{}</th>", escape(column.label(chinese)));
    }
    out.push_str("</tr>");
    for body in &report.bodies {
        let sections: Vec<String> = body.sections.iter().map(|unit| names.unit_name(Some(*unit), lang)).collect();
        let _ = write!(
            out,
            r#"<tr><td class="name">{}</td><td class="name">{}</td><td>{:.1}</td>"#,
            escape(&names.unit_name(Some(body.body), lang)),
            escape(&sections.join(lang.pick("、", ", "))),
            body.score
        );
        for column in &Column::TABLE[..8] {
            let _ = write!(out, "<td>{}</td>", escape(&column.text(&body.indicators)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></section>");
}

/// 五、岗位考核: each person of the centre and the field on their post's rates.
fn people_html(out: &mut String, report: &Assessment, lang: Lang) {
    use crate::assess::PersonRate;
    let chinese = lang.is_chinese();
    let _ = write!(out, "<section><h2>{}</h2>", lang.pick("五、岗位考核（个人）", "5. Posts: each person"));
    if report.people.is_empty() {
        let _ =
            write!(out, "<p>{}</p></section>", lang.pick("本期无岗位人员办理记录。", "Nobody at the centre took a step in this period."));
        return;
    }
    let _ = write!(
        out,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        lang.pick("岗位", "Post"),
        lang.pick("姓名", "Name"),
        lang.pick("考核指标", "Rates"),
        lang.pick("得分", "Score"),
        lang.pick("等级", "Grade")
    );
    for person in &report.people {
        let rates: Vec<String> = PersonRate::of_post(person.role)
            .iter()
            .map(|rate| format!("{} {}", rate.label(chinese), rate.value(&person.figures).map_or_else(|| "—".to_owned(), percent_text)))
            .collect();
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="name">{}</td><td class="name">{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(if chinese { person.role.label_zh() } else { person.role.label_en() }),
            escape(&person.name),
            escape(&rates.join(" · ")),
            person.score.map_or_else(|| "—".to_owned(), |score| format!("{score:.1}")),
            person.grade.map_or("—", |grade| grade.label(chinese))
        );
    }
    out.push_str("</table></section>");
}

fn percent_text(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}
