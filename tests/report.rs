//! The assessment's outputs from a demo database: the XLSX workbook read back cell by cell, the
//! printable HTML notice parsed and searched for the figures, and `citygrid report` end to end.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use citygrid::assess::output::{ReportFormat, report_bytes};
use citygrid::assess::{Assessment, Column, FactBook, Measure, Period, ReportOptions, Scope};
use citygrid::store::Store;
use citygrid::ui::Lang;

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    world: citygrid::session::World,
    facts: FactBook,
    report: Assessment,
}

fn fixture() -> Fixture {
    let (dir, path, _) = common::small_demo(500, 400);
    let (world, _) = citygrid::session::load_everything(&path, common::as_of()).expect("loads");
    let store = Store::open(&path).expect("opens");
    let facts = FactBook::load(&store, &world.calendar).expect("facts");
    let report = Assessment::compute(&facts, Period::month(2026, 11), ReportOptions::default());
    Fixture { _dir: dir, path, world, facts, report }
}

fn number(range: &calamine::Range<Data>, row: usize, col: usize) -> f64 {
    match range.get_value((u32::try_from(row).expect("row"), u32::try_from(col).expect("col"))) {
        Some(Data::Float(value)) => *value,
        #[allow(clippy::cast_precision_loss)]
        Some(Data::Int(value)) => *value as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn text(range: &calamine::Range<Data>, row: usize, col: usize) -> String {
    match range.get_value((u32::try_from(row).expect("row"), u32::try_from(col).expect("col"))) {
        Some(Data::String(text)) => text.clone(),
        other => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

#[test]
fn the_workbook_holds_real_numbers_a_ranking_per_class_and_the_cases_behind_the_figures() {
    let f = fixture();
    assert!(f.report.district.received > 0 && !f.report.ranking.is_empty(), "the demo month has cases");
    let bytes = report_bytes(&f.world.report_names(), &f.report, ReportFormat::Xlsx, Lang::Zh, common::as_of()).expect("workbook");
    let file = f._dir.path().join("考核评价.xlsx");
    std::fs::write(&file, bytes).expect("written");
    let mut workbook: Xlsx<_> = open_workbook(&file).expect("opens");
    let names = workbook.sheet_names();
    assert_eq!(names[0], "全区");
    assert_eq!(names.last().map(String::as_str), Some("案卷明细"));
    assert_eq!(names.len(), 4 + f.report.ranking.len(), "{names:?}");
    // Both levels (Art. 6): the departments with their sections rolled up; and each person.
    let bodies = workbook.worksheet_range("主管部门汇总").expect("departments sheet");
    assert!(!f.report.bodies.is_empty(), "the demo's urban management sections roll up to 区城管局");
    for (index, body) in f.report.bodies.iter().enumerate() {
        assert_eq!(text(&bodies, index + 1, 0), f.world.unit_name(Some(body.body), Lang::Zh));
        #[allow(clippy::cast_precision_loss)]
        let received = body.indicators.received as f64;
        assert_eq!(number(&bodies, index + 1, 3), received, "接收数 of {}", text(&bodies, index + 1, 0));
    }
    let people = workbook.worksheet_range("岗位考核").expect("posts sheet");
    assert!(!f.report.people.is_empty(), "the demo's centre staff took steps");
    assert_eq!(people.height(), f.report.people.len() + 1, "a header and one line per person");
    for (index, person) in f.report.people.iter().enumerate() {
        assert_eq!(text(&people, index + 1, 1), person.name);
        if let Some(score) = person.score {
            assert!((number(&people, index + 1, 2) - score).abs() < 1e-9);
        }
    }
    assert!(names[1].starts_with("一类") || names[1].starts_with("二类") || names[1].starts_with("三类"), "{names:?}");

    // The district: one line per figure, counts as numbers, rates as fractions (formatted %).
    let district = workbook.worksheet_range("全区").expect("district sheet");
    assert!(text(&district, 0, 0).contains(&f.world.district_name));
    assert_eq!((text(&district, 1, 0), text(&district, 1, 1)), ("指标".to_owned(), "数值".to_owned()));
    for (index, measure) in Measure::ALL.iter().enumerate() {
        assert_eq!(text(&district, index + 2, 0), measure.label(true));
        #[allow(clippy::cast_precision_loss)]
        let expected = measure.value(&f.report.district) as f64;
        assert_eq!(number(&district, index + 2, 1), expected, "{measure:?}");
    }
    let on_time_row = Measure::ALL.len() + 2;
    assert_eq!(text(&district, on_time_row, 0), "按期结案率");
    if let Some(rate) = f.report.district.on_time_rate() {
        assert!((number(&district, on_time_row, 1) - rate).abs() < 1e-12);
    }

    // A ranking per class: rank, unit, score, then the table's columns.
    let class = &f.report.ranking[0];
    let ranking = workbook.worksheet_range(&names[1]).expect("ranking sheet");
    assert_eq!(text(&ranking, 0, 0), "名次");
    assert_eq!(text(&ranking, 0, 5), "接收");
    for (index, unit) in class.units.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let rank = unit.rank as f64;
        assert_eq!(number(&ranking, index + 1, 0), rank);
        assert_eq!(text(&ranking, index + 1, 1), f.world.unit_name(Some(unit.unit), Lang::Zh));
        assert!((number(&ranking, index + 1, 2) - unit.score).abs() < 1e-9);
        #[allow(clippy::cast_precision_loss)]
        let received = unit.indicators.received as f64;
        assert_eq!(number(&ranking, index + 1, 5), received);
    }

    // The cases: each figure's column sums to the district's figure.
    let cases = workbook.worksheet_range("案卷明细").expect("cases sheet");
    assert_eq!(text(&cases, 0, 0), "案卷号");
    let drilled: Vec<Measure> = Column::TABLE.iter().filter_map(|column| column.drill_down()).collect();
    let rows = cases.height();
    assert_eq!(rows, 1 + f.report.cases.len());
    for (offset, measure) in drilled.iter().enumerate() {
        let sum: f64 = (1..rows)
            .map(|row| match cases.get_value((u32::try_from(row).expect("row"), u32::try_from(3 + offset).expect("col"))) {
                Some(Data::Float(value)) => *value,
                _ => 0.0,
            })
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let expected = measure.value(&f.report.district) as f64;
        assert_eq!(sum, expected, "{measure:?}");
    }
    assert!(!text(&cases, 1, 0).is_empty(), "case numbers");
}

#[test]
fn the_notice_is_printable_html_with_the_figures_charts_and_bottom_units() {
    let f = fixture();
    let made_at = common::as_of();
    let bytes = report_bytes(&f.world.report_names(), &f.report, ReportFormat::Html, Lang::Zh, made_at).expect("notice");
    let html = String::from_utf8(bytes).expect("UTF-8");
    let document = roxmltree::Document::parse_with_options(&html, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() })
        .expect("well-formed");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "html");
    assert!(html.contains("@page { size: A4"), "A4 print CSS");
    assert!(html.contains("2026-11-01 – 2026-11-30"), "the period");
    assert!(html.contains("2026-11-25 09:30"), "the date it was made");
    assert!(html.contains("docs/INDICATORS.md") && html.contains("按期结案率 = 按期结案数"), "definitions");
    // Inline SVG charts: the trend, one ranking per class, the grid cells.
    let svgs = root.descendants().filter(|node| node.tag_name().name() == "svg").count();
    assert_eq!(svgs, 2 + f.report.ranking.len());
    // The district's figures as the window shows them.
    let district_row = root
        .descendants()
        .find(|node| node.tag_name().name() == "tr" && node.attribute("class") == Some("district"))
        .expect("the district row");
    let cells: Vec<String> =
        district_row.children().filter(|node| node.is_element()).map(|node| node.text().unwrap_or_default().to_owned()).collect();
    let expected: Vec<String> = Column::TABLE.iter().map(|column| column.text(&f.report.district)).collect();
    assert_eq!(cells, expected);
    // Every ranked unit, marked; the bottom units named.
    for class in &f.report.ranking {
        for unit in &class.units {
            assert!(html.contains(&f.world.unit_name(Some(unit.unit), Lang::Zh)));
        }
        for unit in class.bottom() {
            let name = f.world.unit_name(Some(unit.unit), Lang::Zh);
            assert!(
                html.contains(&format!("末位单位：<span class=\"bottom-units\">{name}")) || html.contains(&format!("、{name}")),
                "{name}"
            );
        }
    }
    assert!(root.descendants().any(|node| node.attribute("class").is_some_and(|class| class.starts_with("mark "))));
    // The grid cells carry their counts.
    let reported: u64 = f
        .world
        .jurisdictions
        .iter()
        .filter(|cell| cell.kind == citygrid::model::JurisdictionKind::GridCell)
        .filter_map(|cell| f.report.reported_by_region.get(&cell.code))
        .sum();
    assert!(reported > 0, "cases lie in grid cells");
    let facts_reported = f.facts.indicators(&Scope::District, &f.report.period).reported;
    assert!(reported <= facts_reported * 2, "{reported} vs {facts_reported}");
}

#[test]
fn citygrid_report_writes_xlsx_and_html() {
    let f = fixture();
    for (format, name) in [("xlsx", "report.xlsx"), ("html", "report.html")] {
        let out = f._dir.path().join(name);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .arg("--db")
            .arg(&f.path)
            .args(["report", "--period", "2026-11", "--format", format, "--lang", "en", "--out"])
            .arg(&out)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{format}: {}", String::from_utf8_lossy(&output.stderr));
        let bytes = std::fs::read(&out).expect("written");
        match format {
            "xlsx" => {
                assert!(bytes.starts_with(b"PK"), "a zip");
                let mut workbook: Xlsx<_> = open_workbook(&out).expect("opens");
                assert_eq!(workbook.sheet_names()[0], "District");
                let district = workbook.worksheet_range("District").expect("sheet");
                #[allow(clippy::cast_precision_loss)]
                let reported = f.report.district.reported as f64;
                assert_eq!(number(&district, 2, 1), reported);
            }
            _ => {
                let text = String::from_utf8(bytes).expect("UTF-8");
                assert!(
                    text.starts_with("<!DOCTYPE html>") && text.contains("lang=\"en\"") && text.contains("Bottom units")
                        || text.contains("Unit rankings")
                );
            }
        }
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .arg("--db")
        .arg(&f.path)
        .args(["report", "--period", "2026-11", "--format", "pdf"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use csv, xlsx or html"));
}
