//! A shift handover note (交接班记录), as the store reads it back.

use chrono::NaiveDateTime;

/// The longest note kept, in characters.
pub const HANDOVER_MAX_CHARS: usize = 4_000;

/// A handover note as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Handover {
    /// The entry's id in the administrative trail.
    pub id: i64,
    pub at: NaiveDateTime,
    pub author_id: Option<i64>,
    /// The author's display name (empty if the account is gone).
    pub author: String,
    pub text: String,
    /// The shift's figures when the note was written (counts by queue).
    pub figures: serde_json::Value,
    /// Who confirmed reading it, and when, oldest first.
    pub read_by: Vec<(i64, String, NaiveDateTime)>,
}
