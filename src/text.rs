//! Text as it goes into files people open in spreadsheets.

use std::borrow::Cow;

/// Characters that make Excel, WPS or LibreOffice read a CSV cell as a formula (or start one).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell that a spreadsheet will show as text: one starting like a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return) gets a leading `'`, which spreadsheets hide and never run. Numbers
/// are written as numbers and are not passed through here.
#[must_use]
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// Undoes [`spreadsheet_safe`] when reading a CSV citygrid may have written, so a round trip
/// gives the same text back.
#[must_use]
pub fn from_spreadsheet_safe(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_come_back() {
        for text in ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138 0000 0000", "-1+1", "@SUM(A1)", "\tx"] {
            let safe = spreadsheet_safe(text);
            assert!(safe.starts_with('\''), "{text}");
            assert_eq!(from_spreadsheet_safe(&safe), text);
        }
        assert_eq!(spreadsheet_safe("井盖破损"), "井盖破损");
        assert_eq!(from_spreadsheet_safe("'quoted on purpose"), "'quoted on purpose");
    }
}
