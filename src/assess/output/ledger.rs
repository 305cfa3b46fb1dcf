//! The backlog ledger (挂账台账, Art. 18) of a period, for the coordination committee: every case
//! that was in the ledger at some moment of the period, why it entered, how long it has been
//! there and how it left, with the period's movement (in the ledger at the start, entered,
//! restored, closed, in the ledger at the end). As XLSX or CSV (UTF-8 with BOM).

use chrono::NaiveDateTime;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{ReportNames, period_text};
use crate::assess::Period;
use crate::model::{BacklogEnd, BacklogEntry, Lang};

/// The ledger of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerReport {
    pub period: Period,
    /// Entries in the ledger at some moment of the period, oldest first.
    pub entries: Vec<BacklogEntry>,
    /// 期初在账: in the ledger when the period began.
    pub at_start: usize,
    /// 本期挂账: entered in the period.
    pub entered: usize,
    /// 本期恢复办理.
    pub restored: usize,
    /// 本期挂账结案.
    pub closed: usize,
    /// 期末在账: still in the ledger at the period's end.
    pub at_end: usize,
}

impl LedgerReport {
    /// The entries of `all` that touch `period`, with the period's movement.
    #[must_use]
    pub fn new(all: &[BacklogEntry], period: Period) -> Self {
        let before_end = |at: NaiveDateTime| at < period.to;
        let in_ledger_at =
            |entry: &BacklogEntry, at: NaiveDateTime| entry.entered_at < at && entry.ended_at.is_none_or(|ended| ended >= at);
        let mut entries: Vec<BacklogEntry> = all
            .iter()
            .filter(|entry| before_end(entry.entered_at) && entry.ended_at.is_none_or(|ended| ended >= period.from))
            .cloned()
            .collect();
        entries.sort_by_key(|entry| (entry.entered_at, entry.id));
        let ended_in = |how: BacklogEnd| {
            entries.iter().filter(|entry| entry.ended_how == Some(how) && entry.ended_at.is_some_and(|at| period.contains(at))).count()
        };
        Self {
            at_start: entries.iter().filter(|entry| in_ledger_at(entry, period.from)).count(),
            entered: entries.iter().filter(|entry| period.contains(entry.entered_at)).count(),
            restored: ended_in(BacklogEnd::Restored),
            closed: ended_in(BacklogEnd::Closed),
            at_end: entries.iter().filter(|entry| in_ledger_at(entry, period.to)).count(),
            entries,
            period,
        }
    }

    /// Days an entry was in the ledger up to its end or the period's end.
    fn days(&self, entry: &BacklogEntry) -> i64 {
        let until = entry.ended_at.filter(|ended| *ended < self.period.to).unwrap_or(self.period.to);
        (until - entry.entered_at).num_days().max(0)
    }

    /// The status at the period's end.
    fn status(&self, entry: &BacklogEntry, lang: Lang) -> String {
        match (entry.ended_how, entry.ended_at.filter(|ended| *ended < self.period.to)) {
            (Some(how), Some(at)) => {
                format!("{} {}", if lang.is_chinese() { how.label_zh() } else { how.label_en() }, at.format("%Y-%m-%d"))
            }
            _ => lang.pick("在账", "In the ledger").to_owned(),
        }
    }

    fn headers(lang: Lang) -> [&'static str; 9] {
        [
            lang.pick("案卷号", "Case no."),
            lang.pick("类别", "Class"),
            lang.pick("责任单位", "Unit"),
            lang.pick("挂账理由", "Reason"),
            lang.pick("挂账时间", "Entered"),
            lang.pick("在账天数", "Days"),
            lang.pick("期末状态", "At the period's end"),
            lang.pick("结束说明", "End note"),
            lang.pick("挂账编号", "Entry id"),
        ]
    }

    fn movement(&self, lang: Lang) -> [(&'static str, usize); 5] {
        [
            (lang.pick("期初在账", "In the ledger at the start"), self.at_start),
            (lang.pick("本期挂账", "Entered"), self.entered),
            (lang.pick("本期恢复办理", "Restored"), self.restored),
            (lang.pick("本期挂账结案", "Closed"), self.closed),
            (lang.pick("期末在账", "In the ledger at the end"), self.at_end),
        ]
    }

    /// The ledger as CSV: UTF-8 with a byte-order mark so Excel reads the Chinese text.
    #[must_use]
    pub fn csv(&self, names: &ReportNames<'_>, lang: Lang) -> String {
        let quote = |text: &str| {
            let text = crate::text::spreadsheet_safe(text);
            if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into_owned() }
        };
        let mut out = String::from("\u{feff}");
        out.push_str(&Self::headers(lang).join(","));
        out.push_str("\r\n");
        for entry in &self.entries {
            let row = [
                quote(&entry.case_no),
                quote(&entry.class_code),
                quote(&names.unit_name(entry.unit, lang)),
                quote(&entry.reason),
                entry.entered_at.format("%Y-%m-%d %H:%M").to_string(),
                self.days(entry).to_string(),
                quote(&self.status(entry, lang)),
                quote(&entry.end_note),
                entry.id.to_string(),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// The ledger as a workbook: a title with the period and its movement, then one line per
    /// entry.
    ///
    /// # Errors
    /// The workbook cannot be assembled.
    pub fn xlsx(&self, names: &ReportNames<'_>, lang: Lang) -> Result<Vec<u8>, XlsxError> {
        let header = Format::new().set_bold().set_background_color(0xDD_E6_F0);
        let title = Format::new().set_bold().set_font_size(14);
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(lang.pick("挂账台账", "Backlog ledger"))?;
        let heading = format!("{} {} {}", names.district_name, lang.pick("挂账台账", "backlog ledger"), period_text(&self.period));
        sheet.write_string_with_format(0, 0, heading, &title)?;
        for (column, (label, count)) in (0u16..).zip(self.movement(lang)) {
            sheet.write_string_with_format(1, column, label, &header)?;
            #[allow(clippy::cast_precision_loss)]
            sheet.write_number(2, column, count as f64)?;
        }
        for (column, text) in (0u16..).zip(Self::headers(lang)) {
            sheet.write_string_with_format(4, column, text, &header)?;
        }
        for (row, entry) in (5u32..).zip(&self.entries) {
            sheet.write_string(row, 0, &entry.case_no)?;
            sheet.write_string(row, 1, &entry.class_code)?;
            sheet.write_string(row, 2, names.unit_name(entry.unit, lang))?;
            sheet.write_string(row, 3, crate::text::spreadsheet_safe(&entry.reason))?;
            sheet.write_string(row, 4, entry.entered_at.format("%Y-%m-%d %H:%M").to_string())?;
            #[allow(clippy::cast_precision_loss)]
            sheet.write_number(row, 5, self.days(entry) as f64)?;
            sheet.write_string(row, 6, self.status(entry, lang))?;
            sheet.write_string(row, 7, crate::text::spreadsheet_safe(&entry.end_note))?;
            #[allow(clippy::cast_precision_loss)]
            sheet.write_number(row, 8, entry.id as f64)?;
        }
        sheet.set_column_width(0, 16)?;
        sheet.set_column_width(2, 22)?;
        sheet.set_column_width(3, 36)?;
        sheet.set_column_width(4, 18)?;
        sheet.set_column_width(6, 18)?;
        sheet.set_freeze_panes(5, 1)?;
        workbook.save_to_buffer()
    }

    /// The export's file name: `挂账台账-20261101-20261130.xlsx`.
    #[must_use]
    pub fn file_name(&self, extension: &str) -> String {
        format!("挂账台账-{}-{}.{extension}", self.period.from.format("%Y%m%d"), self.period.last_day().format("%Y%m%d"))
    }
}
