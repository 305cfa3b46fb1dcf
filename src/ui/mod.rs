//! Everything drawn with egui: design tokens, fonts, translations and one file per view.
//!
//! UI functions read the app state and return commands; they never touch the store or disk.

pub mod design_tokens;
pub mod details;
pub mod fonts;
pub mod i18n;
pub mod layers;
pub mod map_view;
pub mod top_bar;

pub use i18n::Lang;
