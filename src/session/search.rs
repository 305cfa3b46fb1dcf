//! The search box: everything a text names (places, streets, parts, cases), grouped by kind.
//!
//! A dispatcher types what a caller says ("文峰路", "龙井", the last digits of a lamp's plate,
//! a phone number); the desk lists every match and the user picks one. An identifier that names
//! exactly one thing (a 16-digit part code, a case number, an area code) goes straight there.

use crate::desk::CaseBook;
use crate::model::{Role, User};

use super::{Selection, World};

/// How many matches of one kind are listed; the rest are counted.
pub const HITS_PER_KIND: usize = 25;

/// What one match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTarget {
    /// A jurisdiction (district, township, community, responsibility zone, grid cell).
    Place(usize),
    /// A street, by one of its centre lines (the longest of its name).
    Street(usize),
    Part(usize),
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

impl World {
    /// Everything `text` matches, for `user` (a unit operator finds only the cases its unit
    /// leads or assists on, as its case list shows):
    /// - places: an area whose name contains the text or whose code starts with it (in force
    ///   first, then the smallest kind, then the shortest name);
    /// - streets: one line per street name containing the text;
    /// - parts: the 16-digit code; 6 to 15 digits as the start of a code or its last digits (the
    ///   serial painted on the part); a named part by its name;
    /// - cases: what the case list's own search lets through (number, class, part code,
    ///   description, reporter contact, address), newest first.
    #[must_use]
    pub fn search(&self, text: &str, cases: &CaseBook, user: Option<&User>) -> SearchResults {
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
        results.exact = if let Some(code) = exact_part {
            self.parts.iter().position(|part| part.code == code).map(SearchTarget::Part)
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

        let parts: Box<dyn Iterator<Item = usize>> = match exact_part {
            Some(code) => Box::new(self.parts.iter().enumerate().filter(move |(_, part)| part.code == code).map(|(index, _)| index)),
            None if digits && (6..16).contains(&text.len()) => {
                // A prefix of the 16 digits is a range of values; the last digits a remainder.
                let value: u64 = text.parse().unwrap_or(0);
                let scale = 10u64.pow(u32::try_from(16 - text.len()).unwrap_or(0));
                let modulus = 10u64.pow(u32::try_from(text.len()).unwrap_or(0));
                let (low, high) = (value.saturating_mul(scale), value.saturating_add(1).saturating_mul(scale));
                Box::new(
                    self.parts
                        .iter()
                        .enumerate()
                        .filter(move |(_, part)| {
                            let code = part.code.value();
                            (low..high).contains(&code) || code % modulus == value
                        })
                        .map(|(index, _)| index),
                )
            }
            None if !digits => Box::new(self.parts.iter().enumerate().filter(|(_, part)| part.name.contains(text)).map(|(index, _)| index)),
            None => Box::new(std::iter::empty()),
        };
        results.groups.extend(group(HitKind::Part, parts.map(SearchTarget::Part)));

        let mut found: Vec<&crate::model::Case> =
            cases.matching(text).filter_map(|position| cases.get(position)).filter(|case| visible(case)).collect();
        found.sort_by_key(|case| std::cmp::Reverse((case.reported_at, case.id)));
        results.groups.extend(group(HitKind::Case, found.into_iter().map(|case| SearchTarget::Case(case.id))));
        results
    }

    /// What a search box entry names, if it names one thing: the exact identifier, or the only
    /// match (see [`Self::search`]).
    #[must_use]
    pub fn find(&self, text: &str, cases: &CaseBook) -> Option<Selection> {
        match self.search(text, cases, None).single()? {
            SearchTarget::Place(index) => Some(Selection::Jurisdiction(index)),
            SearchTarget::Part(index) => Some(Selection::Part(index)),
            SearchTarget::Case(id) => cases.position_of(id).map(Selection::Case),
            SearchTarget::Street(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_match_is_where_the_desk_goes_and_several_are_listed() {
        let one = SearchResults {
            text: "x".into(),
            exact: None,
            groups: vec![HitGroup { kind: HitKind::Part, hits: vec![SearchTarget::Part(3)], total: 1 }],
        };
        assert_eq!(one.single(), Some(SearchTarget::Part(3)));
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
