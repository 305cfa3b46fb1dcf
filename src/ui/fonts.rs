//! The bundled CJK font (Noto Sans SC, subset to GB2312, SIL OFL 1.1; licence in
//! `assets/fonts/OFL-1.1.txt`). egui's default fonts have no Chinese glyphs.

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

pub use crate::assets::NOTO_SANS_SC;
const FONT_NAME: &str = "NotoSansSC-GB2312";

/// Font definitions with the CJK font after egui's Latin font in both families.
#[must_use]
pub fn font_definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(FONT_NAME.to_owned(), Arc::new(FontData::from_static(NOTO_SANS_SC)));
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        let position = 1.min(list.len());
        list.insert(position, FONT_NAME.to_owned());
    }
    fonts
}

/// Installs the fonts into a context (app start-up, test harnesses, screenshots).
pub fn install_fonts(ctx: &egui::Context) {
    ctx.set_fonts(font_definitions());
}
