//! Interface language. Simplified Chinese is the default; English is switchable.
//!
//! Strings are written at the call site as a pair, `lang.pick("图层", "Layers")`, so a string can
//! never be missing in one language.

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    /// 简体中文.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the string for this language.
    #[must_use]
    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// Whether Chinese is shown.
    #[must_use]
    pub fn is_chinese(self) -> bool {
        self == Self::Zh
    }

    /// Parses `zh` / `en` (command line).
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "zh" | "zh-CN" | "cn" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// Labels of keyword enums in the chosen language.
pub trait Labelled {
    fn label(self, lang: Lang) -> &'static str;
}

macro_rules! labelled {
    ($($ty:ty),+) => {$(
        impl Labelled for $ty {
            fn label(self, lang: Lang) -> &'static str {
                if lang.is_chinese() { self.label_zh() } else { self.label_en() }
            }
        }
    )+};
}

use super::{
    CaseState, CaseSubject, CloseType, DisputeState, FeedbackChannel, JurisdictionKind, PartState, RequestKind, Role, Satisfaction,
    SourceChannel, UnitClass, Urgency, part,
};

labelled!(
    CaseState,
    SourceChannel,
    Urgency,
    JurisdictionKind,
    PartState,
    UnitClass,
    CaseSubject,
    CloseType,
    FeedbackChannel,
    Satisfaction,
    DisputeState,
    RequestKind,
    Role,
    part::PartSource,
    crate::calendar::DeadlineLight
);
