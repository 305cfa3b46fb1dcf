//! Plain domain types: city parts, the command manual, units, jurisdictions, cases and users.
//!
//! Nothing here knows about egui, SQL or files; every other layer speaks these types.
//! `../../shared/DOMAIN.md` is the reference for the vocabulary.

pub mod case;
pub mod dispute;
pub mod exchange;
pub mod handover;
pub mod jurisdiction;
pub mod lang;
pub mod manual;
pub mod part;
pub mod unit;
pub mod user;

pub use case::{
    Assist, BacklogEnd, BacklogEntry, Case, CaseEvent, CaseRequest, CaseState, CaseSubject, CloseType, FeedbackChannel, ReporterFeedback,
    RequestDecision, RequestKind, Satisfaction, SourceChannel,
};
pub use dispute::{
    Art19Rule, Dispute, DisputeOrigin, DisputeRecord, DisputeState, Precedent, PrecedentArea, PrecedentClass, SiteCheck, Statement,
};
pub use exchange::{CaseLink, ClientKind, ExternalRef, InterfaceClient, OutboxRow};
pub use handover::{HANDOVER_MAX_CHARS, Handover};
pub use jurisdiction::{Jurisdiction, JurisdictionKind};
pub use lang::{Labelled, Lang};
pub use manual::{CommandManual, GeometryKind, ItemKind, MajorClass, ManualEntry, Routing, Stage, StageLimit, TimeLimit, Urgency};
pub use part::{Part, PartCode, PartGeometry, PartState};
pub use unit::{Unit, UnitClass, UnitId};
pub use user::{Role, User};

/// A value that is stored as a short ASCII keyword (in the database and in asset files).
pub trait Keyword: Sized + Copy + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The stored keyword.
    fn keyword(self) -> &'static str;
    /// Parses a stored keyword.
    fn from_keyword(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.keyword() == text)
    }
}

/// Declares a fieldless enum with a stored keyword and Chinese / English labels per variant.
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($kw:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        $vis enum $name { $($(#[$vmeta])* #[serde(rename = $kw)] $variant),+ }
        impl $crate::model::Keyword for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn keyword(self) -> &'static str { match self { $(Self::$variant => $kw),+ } }
        }
        impl $name {
            /// Simplified Chinese label.
            #[must_use]
            pub fn label_zh(self) -> &'static str { match self { $(Self::$variant => $zh),+ } }
            /// English label.
            #[must_use]
            pub fn label_en(self) -> &'static str { match self { $(Self::$variant => $en),+ } }
        }
    };
}
pub(crate) use keyword_enum;
