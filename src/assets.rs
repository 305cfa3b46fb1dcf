//! Files embedded in the binary from `assets/`, each with its licence beside it there.

/// The bundled CJK font (Noto Sans SC, subset to GB2312, SIL OFL 1.1; licence in
/// `assets/fonts/OFL-1.1.txt`): the UI's Chinese glyphs and the demo basemap's labels.
pub const NOTO_SANS_SC: &[u8] = include_bytes!("../assets/fonts/NotoSansSC-Regular-GB2312.ttf");
