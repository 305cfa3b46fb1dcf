//! The assessment as an XLSX workbook (`rust_xlsxwriter`): the district's figures, one ranking
//! sheet per unit class and the cases behind the district's figures. Counts are written as
//! numbers, rates as numbers with a percent format, so the workbook can be summed and charted.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{ReportNames, class_name, period_text};
use crate::assess::{Assessment, Column, Indicators, Mark, Measure, Rate};
use crate::model::Lang;

fn formats() -> (Format, Format, Format, Format) {
    let header = Format::new().set_bold().set_background_color(0xDD_E6_F0).set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let percent = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.0");
    let title = Format::new().set_bold().set_font_size(14);
    (header, percent, decimal, title)
}

/// Writes one figure: counts as whole numbers, rates as percent, the average with one decimal,
/// nothing without a denominator.
fn write_figure(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    column: Column,
    indicators: &Indicators,
    percent: &Format,
    decimal: &Format,
) -> Result<(), XlsxError> {
    match (column, column.number(indicators)) {
        (_, None) => sheet.write_string(row, col, "—").map(|_| ()),
        (Column::Count(_), Some(value)) => sheet.write_number(row, col, value).map(|_| ()),
        (Column::Rate(_), Some(value)) => sheet.write_number_with_format(row, col, value, percent).map(|_| ()),
        (Column::AverageHandlingHours, Some(value)) => sheet.write_number_with_format(row, col, value, decimal).map(|_| ()),
    }
}

/// A sheet name Excel accepts (at most 31 characters, none of `[]:*?/\`).
fn sheet_name(text: &str) -> String {
    text.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

fn col(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

fn row(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// The workbook's bytes.
///
/// # Errors
/// The workbook cannot be assembled.
pub fn xlsx(names: &ReportNames<'_>, report: &Assessment, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let chinese = lang.is_chinese();
    let (header, percent, decimal, title) = formats();
    let mut workbook = Workbook::new();

    // The district: one line per figure.
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(lang.pick("全区", "District")))?;
    sheet.write_string_with_format(
        0,
        0,
        format!("{} {} {}", names.district_name, lang.pick("考核评价", "assessment"), period_text(&report.period)),
        &title,
    )?;
    sheet.write_string_with_format(1, 0, lang.pick("指标", "Indicator"), &header)?;
    sheet.write_string_with_format(1, 1, lang.pick("数值", "Value"), &header)?;
    let mut figures: Vec<Column> = Measure::ALL.iter().map(|measure| Column::Count(*measure)).collect();
    figures.extend(
        [Rate::OnTime, Rate::Closure, Rate::Rework, Rate::Extension, Rate::Overdue, Rate::Return, Rate::Satisfaction]
            .iter()
            .map(|rate| Column::Rate(*rate)),
    );
    figures.push(Column::AverageHandlingHours);
    for (index, column) in figures.iter().enumerate() {
        sheet.write_string(row(index + 2), 0, column.label(chinese))?;
        write_figure(sheet, row(index + 2), 1, *column, &report.district, &percent, &decimal)?;
    }
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 12)?;

    // One ranking per class.
    for class in &report.ranking {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&format!("{}{}", class_name(class.class, lang), lang.pick("排名", " ranking"))))?;
        let mut headers = vec![
            lang.pick("名次", "Rank"),
            lang.pick("单位", "Unit"),
            lang.pick("综合得分", "Score"),
            lang.pick("评价", "Mark"),
            lang.pick("末位", "Bottom"),
        ];
        headers.extend(Column::TABLE.iter().map(|column| column.label(chinese)));
        for (index, text) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col(index), *text, &header)?;
        }
        for (index, unit) in class.units.iter().enumerate() {
            let at = row(index + 1);
            #[allow(clippy::cast_precision_loss)]
            sheet.write_number(at, 0, unit.rank as f64)?;
            sheet.write_string(at, 1, names.unit_name(Some(unit.unit), lang))?;
            sheet.write_number_with_format(at, 2, unit.score, &decimal)?;
            sheet.write_string(at, 3, Mark::of_score(unit.score).label(chinese))?;
            sheet.write_string(at, 4, if class.is_bottom(index) { lang.pick("是", "yes") } else { "" })?;
            for (offset, column) in Column::TABLE.iter().enumerate() {
                write_figure(sheet, at, col(5 + offset), *column, &unit.indicators, &percent, &decimal)?;
            }
        }
        sheet.set_column_width(1, 22)?;
        sheet.set_freeze_panes(1, 2)?;
    }

    bodies_sheet(&mut workbook, names, report, lang)?;
    people_sheet(&mut workbook, report, lang)?;

    // The cases behind the district's figures: each column sums to the district's figure.
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(lang.pick("案卷明细", "Cases")))?;
    let drilled: Vec<(usize, Measure)> =
        Column::TABLE.iter().enumerate().filter_map(|(index, column)| column.drill_down().map(|measure| (index, measure))).collect();
    let mut headers = vec![lang.pick("案卷号", "Case no."), lang.pick("案卷编号", "Case id"), lang.pick("单位", "Unit")];
    headers.extend(drilled.iter().map(|(_, measure)| measure.label(chinese)));
    for (index, text) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(index), *text, &header)?;
    }
    for (index, case) in report.cases.iter().enumerate() {
        let at = row(index + 1);
        sheet.write_string(at, 0, &case.case_no)?;
        #[allow(clippy::cast_precision_loss)]
        sheet.write_number(at, 1, case.case_id as f64)?;
        sheet.write_string(at, 2, names.unit_name(case.unit, lang))?;
        for (offset, (column, _)) in drilled.iter().enumerate() {
            let count = case.counts.get(*column).copied().unwrap_or(0);
            if count > 0 {
                sheet.write_number(at, col(3 + offset), f64::from(count))?;
            }
        }
    }
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(2, 22)?;
    sheet.set_freeze_panes(1, 1)?;
    workbook.save_to_buffer()
}

/// 主管部门汇总: each Art. 6 body with its sections rolled up.
fn bodies_sheet(workbook: &mut Workbook, names: &ReportNames<'_>, report: &Assessment, lang: Lang) -> Result<(), XlsxError> {
    let chinese = lang.is_chinese();
    let (header, percent, decimal, _) = formats();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(lang.pick("主管部门汇总", "Departments")))?;
    let mut headers = vec![lang.pick("主管部门", "Department"), lang.pick("下属科所", "Sections"), lang.pick("综合得分", "Score")];
    headers.extend(Column::TABLE.iter().map(|column| column.label(chinese)));
    for (index, text) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(index), *text, &header)?;
    }
    for (index, body) in report.bodies.iter().enumerate() {
        let at = row(index + 1);
        let sections: Vec<String> = body.sections.iter().map(|unit| names.unit_name(Some(*unit), lang)).collect();
        sheet.write_string(at, 0, names.unit_name(Some(body.body), lang))?;
        sheet.write_string(at, 1, sections.join(lang.pick("、", ", ")))?;
        sheet.write_number_with_format(at, 2, body.score, &decimal)?;
        for (offset, column) in Column::TABLE.iter().enumerate() {
            write_figure(sheet, at, col(3 + offset), *column, &body.indicators, &percent, &decimal)?;
        }
    }
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(1, 40)?;
    sheet.set_freeze_panes(1, 1)?;
    Ok(())
}

/// 岗位考核: one line per person, the rates of every post (blank where the post has none).
fn people_sheet(workbook: &mut Workbook, report: &Assessment, lang: Lang) -> Result<(), XlsxError> {
    use crate::assess::PersonRate;
    const RATES: [PersonRate; 8] = [
        PersonRate::ValidReports,
        PersonRate::OnTimeVerification,
        PersonRate::OnTimeFiling,
        PersonRate::AccurateFiling,
        PersonRate::OnTimeDispatch,
        PersonRate::AccurateDispatch,
        PersonRate::OnTimeClose,
        PersonRate::OnTimeReply,
    ];
    let chinese = lang.is_chinese();
    let (header, percent, decimal, _) = formats();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(lang.pick("岗位考核", "Posts")))?;
    let mut headers = vec![lang.pick("岗位", "Post"), lang.pick("姓名", "Name"), lang.pick("得分", "Score"), lang.pick("等级", "Grade")];
    headers.extend(RATES.iter().map(|rate| rate.label(chinese)));
    for (index, text) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(index), *text, &header)?;
    }
    for (index, person) in report.people.iter().enumerate() {
        let at = row(index + 1);
        sheet.write_string(at, 0, if chinese { person.role.label_zh() } else { person.role.label_en() })?;
        sheet.write_string(at, 1, &person.name)?;
        if let Some(score) = person.score {
            sheet.write_number_with_format(at, 2, score, &decimal)?;
        }
        sheet.write_string(at, 3, person.grade.map_or("—", |grade| grade.label(chinese)))?;
        let post = PersonRate::of_post(person.role);
        for (offset, rate) in RATES.iter().enumerate() {
            if let Some(value) = rate.value(&person.figures).filter(|_| post.contains(rate)) {
                sheet.write_number_with_format(at, col(4 + offset), value, &percent)?;
            }
        }
    }
    sheet.set_column_width(1, 16)?;
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}
