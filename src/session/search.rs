//! The search box: everything a text names (places, streets, parts, cases), grouped by kind.
//!
//! A dispatcher types what a caller says ("文峰路", "龙井", the last digits of a lamp's plate,
//! a phone number); the desk lists every match and the user picks one. An identifier that names
//! exactly one thing (a 16-digit part code, a case number, an area code) goes straight there.

use crate::desk::CaseBook;
use crate::model::{Role, User};

use super::World;

/// How many matches of one kind are listed; the rest are counted.
pub const HITS_PER_KIND: usize = 25;

/// What one match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTarget {
    /// A jurisdiction (district, township, community, responsibility zone, grid cell).
    Place(usize),
    /// A street, by one of its centre lines (the longest of its name).
    Street(usize),
    /// A part by code (the seat reads parts from the store as they are shown).
    Part(crate::model::PartCode),
    /// A case by database id (positions in the book change as cases arrive).
    Case(i64),
}

/// The kinds of match, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Place,
    Street,
    Part,
    Case,
}

impl HitKind {
    #[must_use]
    pub fn label(self, lang: crate::model::Lang) -> &'static str {
        match self {
            Self::Place => lang.pick("地区与网格", "Places"),
            Self::Street => lang.pick("道路", "Streets"),
            Self::Part => lang.pick("部件", "Parts"),
            Self::Case => lang.pick("案卷", "Cases"),
        }
    }
}

/// The matches of one kind: the first [`HITS_PER_KIND`] and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitGroup {
    pub kind: HitKind,
    pub hits: Vec<SearchTarget>,
    pub total: usize,
}

/// Everything a search text matched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    /// The text as searched (trimmed).
    pub text: String,
    /// What the text names exactly, if it is an identifier of one thing.
    pub exact: Option<SearchTarget>,
    /// Non-empty groups only, places first.
    pub groups: Vec<HitGroup>,
}

impl SearchResults {
    /// Every match counted.
    #[must_use]
    pub fn total(&self) -> usize {
        self.groups.iter().map(|group| group.total).sum()
    }

    /// Where the desk goes without asking: the exact match, or the only match.
    #[must_use]
    pub fn single(&self) -> Option<SearchTarget> {
        self.exact.or_else(|| match self.groups.as_slice() {
            [group] if group.total == 1 => group.hits.first().copied(),
            _ => None,
        })
    }
}

fn group(kind: HitKind, all: impl Iterator<Item = SearchTarget>) -> Option<HitGroup> {
    let mut hits = Vec::new();
    let mut total = 0;
    for hit in all {
        if hits.len() < HITS_PER_KIND {
            hits.push(hit);
        }
        total += 1;
    }
    (total > 0).then_some(HitGroup { kind, hits, total })
}

/// The parts a search text named, read from the store (see [`search_parts`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartHits {
    /// The part a 16-digit code names, if there is one.
    pub exact: Option<crate::model::PartCode>,
    /// The first [`HITS_PER_KIND`].
    pub hits: Vec<crate::model::PartCode>,
    pub total: usize,
}

/// Whether a search text may name parts: a 16-digit code, 6 to 15 digits, or any other text
/// (a name). Fewer than 6 digits name no part.
#[must_use]
pub fn may_name_parts(text: &str) -> bool {
    let text = text.trim();
    let digits = text.bytes().all(|byte| byte.is_ascii_digit());
    !text.is_empty() && (!digits || text.len() >= 6)
}

/// The parts `text` names, read from the store: a 16-digit code exactly; 6 to 15 digits as
/// the start of a code or its last digits (the serial painted on the part); other text by a
/// part's name. Blocking: the desk runs it as a job.
///
/// # Errors
/// The store cannot be read; the message says so.
pub fn search_parts(parts: &super::StoredParts, text: &str) -> Result<PartHits, String> {
    let text = text.trim();
    if !may_name_parts(text) || parts.is_empty() {
        return Ok(PartHits::default());
    }
    if let Ok(code) = crate::model::PartCode::parse(text) {
        let found = parts.by_code(code).map(|part| part.code);
        return Ok(PartHits { exact: found, hits: found.into_iter().collect(), total: usize::from(found.is_some()) });
    }
    let (hits, total) = parts.search(text, HITS_PER_KIND).map_err(|error| error.to_string())?;
    Ok(PartHits { exact: None, hits, total })
}

impl SearchResults {
    /// The results with the parts found added (after places and streets, before cases); an
    /// exact part code is where the desk goes.
    #[must_use]
    pub fn with_parts(mut self, parts: PartHits) -> Self {
        if let Some(code) = parts.exact {
            self.exact = Some(SearchTarget::Part(code));
        }
        if parts.total > 0 {
            let at = self.groups.iter().position(|group| group.kind == HitKind::Case).unwrap_or(self.groups.len());
            let hits = parts.hits.into_iter().take(HITS_PER_KIND).map(SearchTarget::Part).collect();
            self.groups.insert(at, HitGroup { kind: HitKind::Part, hits, total: parts.total });
        }
        self
    }
}

impl World {
    /// Everything `text` matches, for `user`: [`Self::search_held`] and [`search_parts`] in
    /// one, blocking (tests, the command line; the desk runs the part search as a job).
    #[must_use]
    pub fn search(&self, text: &str, cases: &CaseBook, user: Option<&User>) -> SearchResults {
        let held = self.search_held(text, cases, user);
        match search_parts(&self.parts, text) {
            Ok(parts) => held.with_parts(parts),
            Err(message) => {
                tracing::error!("searching parts: {message}");
                held
            }
        }
    }

    /// Everything `text` matches among what the seat holds, for `user` (a unit operator finds
    /// only the cases its unit leads or assists on, as its case list shows):
    /// - places: an area whose name contains the text or whose code starts with it (in force
    ///   first, then the smallest kind, then the shortest name);
    /// - streets: one line per street name containing the text;
    /// - parts: none here; they are read from the store by [`search_parts`];
    /// - cases: what the case list's own search lets through (number, class, part code,
    ///   description, reporter contact, address), newest first.
    #[must_use]
    pub fn search_held(&self, text: &str, cases: &CaseBook, user: Option<&User>) -> SearchResults {
        let text = text.trim();
        let mut results = SearchResults { text: text.to_owned(), ..SearchResults::default() };
        if text.is_empty() {
            return results;
        }
        let digits = text.bytes().all(|byte| byte.is_ascii_digit());
        let visible = |case: &crate::model::Case| match user {
            Some(User { role: Role::UnitOperator, unit: Some(unit), .. }) => case.involves(*unit),
            _ => true,
        };

        let exact_part = crate::model::PartCode::parse(text).ok();
        // A part code is exact only once the part is found in the store (`with_parts`).
        results.exact = if exact_part.is_some() {
            None
        } else if let Some(position) = cases.position_of_no(text).filter(|position| cases.get(*position).is_some_and(visible)) {
            cases.get(position).map(|case| SearchTarget::Case(case.id))
        } else {
            self.jurisdictions
                .iter()
                .enumerate()
                .filter(|(_, area)| area.code == text)
                .min_by_key(|(_, area)| area.valid_to.is_some())
                .map(|(index, _)| SearchTarget::Place(index))
        };

        let matches =
            |area: &crate::model::Jurisdiction| area.name.contains(text) || (digits && text.len() >= 6 && area.code.starts_with(text));
        // An area inside a matching area is left out ("龙井社区 网格 067" under 龙井社区): the
        // enclosing one stands for them.
        let matched_codes: std::collections::HashSet<&str> =
            self.jurisdictions.iter().filter(|area| matches(area)).map(|area| area.code.as_str()).collect();
        let mut places: Vec<usize> = (0..self.jurisdictions.len())
            .filter(|index| {
                let area = &self.jurisdictions[*index];
                matches(area) && area.parent_code.as_deref().is_none_or(|parent| !matched_codes.contains(parent))
            })
            .collect();
        places.sort_by_key(|index| {
            let area = &self.jurisdictions[*index];
            (area.valid_to.is_some(), area.kind, area.name.chars().count(), area.code.clone())
        });
        results.groups.extend(group(HitKind::Place, places.into_iter().map(SearchTarget::Place)));

        // One line per street name: the longest.
        let mut streets: Vec<(&str, usize, f64)> = Vec::new();
        for (index, street) in self.streets.iter().enumerate().filter(|(_, street)| street.name.contains(text)) {
            let length = geo::Length::length(&geo::Euclidean, &street.line);
            match streets.iter_mut().find(|(name, ..)| *name == street.name) {
                Some(best) if best.2 < length => *best = (&street.name, index, length),
                Some(_) => {}
                None => streets.push((&street.name, index, length)),
            }
        }
        streets.sort_by_key(|(name, ..)| (name.chars().count(), *name));
        results.groups.extend(group(HitKind::Street, streets.into_iter().map(|(_, index, _)| SearchTarget::Street(index))));

        let mut found: Vec<&crate::model::Case> =
            cases.matching(text).filter_map(|position| cases.get(position)).filter(|case| visible(case)).collect();
        found.sort_by_key(|case| std::cmp::Reverse((case.reported_at, case.id)));
        results.groups.extend(group(HitKind::Case, found.into_iter().map(|case| SearchTarget::Case(case.id))));
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> crate::model::PartCode {
        crate::model::PartCode::parse("3410040118000042").expect("a code")
    }

    #[test]
    fn parts_found_go_after_places_and_streets_and_an_exact_code_is_where_the_desk_goes() {
        let held = SearchResults {
            text: "x".into(),
            exact: None,
            groups: vec![
                HitGroup { kind: HitKind::Place, hits: vec![SearchTarget::Place(1)], total: 1 },
                HitGroup { kind: HitKind::Case, hits: vec![SearchTarget::Case(9)], total: 1 },
            ],
        };
        let with = held.clone().with_parts(PartHits { exact: None, hits: vec![code()], total: 40 });
        let kinds: Vec<HitKind> = with.groups.iter().map(|group| group.kind).collect();
        assert_eq!(kinds, [HitKind::Place, HitKind::Part, HitKind::Case]);
        assert_eq!(with.total(), 42);
        assert_eq!(held.clone().with_parts(PartHits::default()), held);
        let exact = held.with_parts(PartHits { exact: Some(code()), hits: vec![code()], total: 1 });
        assert_eq!(exact.single(), Some(SearchTarget::Part(code())));
        assert!(may_name_parts("路灯") && may_name_parts("000042") && !may_name_parts("0042") && !may_name_parts("  "));
    }

    #[test]
    fn a_single_match_is_where_the_desk_goes_and_several_are_listed() {
        let one = SearchResults {
            text: "x".into(),
            exact: None,
            groups: vec![HitGroup { kind: HitKind::Part, hits: vec![SearchTarget::Part(code())], total: 1 }],
        };
        assert_eq!(one.single(), Some(SearchTarget::Part(code())));
        let two = SearchResults {
            groups: vec![
                HitGroup { kind: HitKind::Place, hits: vec![SearchTarget::Place(1)], total: 1 },
                HitGroup { kind: HitKind::Case, hits: vec![SearchTarget::Case(9)], total: 1 },
            ],
            ..one.clone()
        };
        assert_eq!(two.single(), None);
        assert_eq!(two.total(), 2);
        assert_eq!(SearchResults { exact: Some(SearchTarget::Case(9)), ..two }.single(), Some(SearchTarget::Case(9)));
    }
}
