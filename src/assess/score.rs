//! The composite score (综合得分) and the ranking of units within each unit class (Art. 24).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{Indicators, Period};
use crate::model::{Keyword, UnitClass, UnitId};
use crate::store::{Store, StoreError};

/// Weights of the composite score, out of 100 with the defaults: closure rate × 0.3 + on-time
/// rate × 0.4 (Art. 25 puts on-time closure first) + (100 − rework rate) × 0.3, less 0.3 a
/// percentage point of the return rate (推诿, Art. 23). Receiving few cases earns nothing by
/// default: the regulation gives it no weight, and it rewarded a unit for returning its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Per percentage point of 结案率.
    pub closure: f64,
    /// Per percentage point of 按期结案率.
    pub on_time: f64,
    /// Per percentage point of (100 − 返工率).
    pub rework: f64,
    /// Points for the unit with the fewest cases received in its class; the unit with the
    /// most gets none, the others in proportion (0 by default).
    pub few_cases: f64,
    /// Points taken off per percentage point of 回退率 (returns ÷ cases received): a unit that
    /// returns what it receives scores less than one that handles it.
    pub returns: f64,
    /// Points taken off per return the centre refused (驳回回退: the return was found
    /// unfounded, 推诿 under Art. 23), 2 by default.
    pub per_refused_return: f64,
    /// Points taken off per overdue case (closed late, or due and still open over its
    /// deadline: 拖延 under Art. 23), 0 by default (the on-time rate already counts them).
    pub per_overdue: f64,
    /// Points taken off per rework (返工), 0 by default (the rework rate already counts them).
    pub per_rework: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            closure: 0.3,
            on_time: 0.4,
            rework: 0.3,
            few_cases: 0.0,
            returns: 0.3,
            per_refused_return: 2.0,
            per_overdue: 0.0,
            per_rework: 0.0,
        }
    }
}

/// Where the weights every seat ranks with are kept (`citygrid_meta`, JSON).
pub const WEIGHTS_KEY: &str = "assessment_weights";

impl Weights {
    /// Whether the weights can score: each finite and non-negative, their sum above zero.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            self.closure,
            self.on_time,
            self.rework,
            self.few_cases,
            self.returns,
            self.per_refused_return,
            self.per_overdue,
            self.per_rework,
        ];
        if all.iter().any(|weight| !weight.is_finite() || *weight < 0.0) {
            return Err("every weight must be a number of at least 0 / 每项权重须为不小于 0 的数".to_owned());
        }
        if all[..4].iter().sum::<f64>() <= 0.0 {
            return Err("the weights must not all be 0 / 权重之和须大于 0".to_owned());
        }
        Ok(())
    }

    /// The weights stored in the database, the defaults when none are (or they are unreadable
    /// or invalid: a bad setting never stops the assessment).
    ///
    /// # Errors
    /// SQL errors.
    pub fn load(store: &Store) -> Result<Self, StoreError> {
        let stored = store.meta(WEIGHTS_KEY)?;
        Ok(stored
            .and_then(|json| serde_json::from_str::<Self>(&json).ok())
            .filter(|weights| weights.validate().is_ok())
            .unwrap_or_default())
    }

    /// Stores the weights for every seat, after [`Self::validate`], by `by` (an administrator
    /// or a shift leader, checked in the write's transaction), with an audit entry.
    ///
    /// # Errors
    /// Invalid weights, an account not allowed to change them, or SQL errors.
    pub fn save(&self, store: &mut Store, by: &crate::model::User) -> Result<(), StoreError> {
        self.validate().map_err(|problem| StoreError::BadRow { table: "citygrid_meta", row: 0, problem })?;
        let json = serde_json::to_string(self).map_err(|error| StoreError::BadRow {
            table: "citygrid_meta",
            row: 0,
            problem: error.to_string(),
        })?;
        store.set_audited_meta(by, crate::store::Write::Weights, WEIGHTS_KEY, &json)
    }
}

/// The composite score of one unit. A rate without a denominator (no case assessed, nothing
/// verified) counts as 100 %; returns are taken off (a unit that returned every case it received
/// has nothing assessed, and used to rank first), then the per-case deductions (refused
/// returns, overdue cases, reworks); never below 0. `max_received` is the most cases received
/// by a unit of the class.
#[must_use]
pub fn composite_score(indicators: &Indicators, max_received: u64, weights: &Weights) -> f64 {
    let percent = |rate: Option<f64>| rate.unwrap_or(1.0) * 100.0;
    #[allow(clippy::cast_precision_loss)]
    let few = if max_received == 0 { 1.0 } else { 1.0 - indicators.received as f64 / max_received as f64 };
    #[allow(clippy::cast_precision_loss)]
    let deductions = weights.per_refused_return * indicators.returns_refused as f64
        + weights.per_overdue * indicators.overdue() as f64
        + weights.per_rework * indicators.reworks as f64;
    (weights.closure * percent(indicators.closure_rate())
        + weights.on_time * percent(indicators.on_time_rate())
        + weights.rework * (100.0 - indicators.rework_rate().unwrap_or(0.0) * 100.0)
        + weights.few_cases * few
        - weights.returns * indicators.return_rate().unwrap_or(0.0) * 100.0
        - deductions)
        .max(0.0)
}

/// One unit in its class ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedUnit {
    /// 1 for the best; equal scores share a rank.
    pub rank: usize,
    pub unit: UnitId,
    pub score: f64,
    pub indicators: Indicators,
}

/// The ranking of one unit class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRanking {
    /// The class keyword (`1`, `2`, `3`).
    pub class: &'static str,
    pub units: Vec<RankedUnit>,
}

/// Ranks every unit with indicators within its class: score descending, then on-time rate
/// descending, then unit id. Units of unknown class are left out.
pub(super) fn rank(by_unit: &BTreeMap<UnitId, Indicators>, classes: &HashMap<UnitId, UnitClass>, weights: &Weights) -> Vec<ClassRanking> {
    UnitClass::ALL
        .iter()
        .filter_map(|class| {
            let members: Vec<(&UnitId, &Indicators)> = by_unit.iter().filter(|(unit, _)| classes.get(unit) == Some(class)).collect();
            if members.is_empty() {
                return None;
            }
            let max_received = members.iter().map(|(_, indicators)| indicators.received).max().unwrap_or(0);
            let mut units: Vec<RankedUnit> = members
                .into_iter()
                .map(|(unit, indicators)| RankedUnit {
                    rank: 0,
                    unit: *unit,
                    score: composite_score(indicators, max_received, weights),
                    indicators: indicators.clone(),
                })
                .collect();
            units.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| b.indicators.on_time_rate().unwrap_or(1.0).total_cmp(&a.indicators.on_time_rate().unwrap_or(1.0)))
                    .then_with(|| a.unit.cmp(&b.unit))
            });
            for index in 0..units.len() {
                units[index].rank =
                    if index > 0 && units[index].score == units[index - 1].score { units[index - 1].rank } else { index + 1 };
            }
            Some(ClassRanking { class: class.keyword(), units })
        })
        .collect()
}

/// How many units of a class of `units` the notices name as the bottom (末位): the last fifth,
/// at least one when the class has three units or more, none in a class of one or two.
#[must_use]
pub fn bottom_count(units: usize) -> usize {
    if units < 3 { 0 } else { (units / 5).max(1) }
}

impl ClassRanking {
    /// The bottom units (末位), worst last; see [`bottom_count`].
    #[must_use]
    pub fn bottom(&self) -> &[RankedUnit] {
        &self.units[self.units.len() - bottom_count(self.units.len())..]
    }

    /// Whether the unit at `index` of [`Self::units`] is among the bottom units.
    #[must_use]
    pub fn is_bottom(&self, index: usize) -> bool {
        index + bottom_count(self.units.len()) >= self.units.len() && bottom_count(self.units.len()) > 0
    }
}

/// The red/amber/green mark of a composite score (out of 100 with the default weights):
/// green from 85, amber from 70, red below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mark {
    Green,
    Amber,
    Red,
}

impl Mark {
    pub const GREEN_FROM: f64 = 85.0;
    pub const AMBER_FROM: f64 = 70.0;

    #[must_use]
    pub fn of_score(score: f64) -> Self {
        if score >= Self::GREEN_FROM {
            Self::Green
        } else if score >= Self::AMBER_FROM {
            Self::Amber
        } else {
            Self::Red
        }
    }

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Green, true) => "良好",
            (Self::Amber, true) => "一般",
            (Self::Red, true) => "较差",
            (Self::Green, false) => "good",
            (Self::Amber, false) => "fair",
            (Self::Red, false) => "poor",
        }
    }
}

/// An Art. 6 body (区城管局) with its sections rolled up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BodyRow {
    pub body: UnitId,
    /// The sections with figures in the period (the body's own figures are included too).
    pub sections: Vec<UnitId>,
    pub indicators: Indicators,
    pub score: f64,
}

impl super::FactBook {
    /// The Art. 6 bodies whose sections have figures (区城管局 with its 环卫所, 路灯所…): each
    /// body's own figures and its sections' summed, scored with `weights` against the other
    /// bodies; ordered by score, best first.
    #[must_use]
    pub fn bodies(&self, period: &Period, weights: &Weights) -> Vec<BodyRow> {
        let by_unit = self.by_unit(period);
        let top = |mut unit: UnitId| {
            // A parent chain is short; the bound guards against a cycle in hand-edited data.
            for _ in 0..16 {
                match self.unit_parents.get(&unit) {
                    Some(parent) => unit = *parent,
                    None => break,
                }
            }
            unit
        };
        let mut bodies: BTreeMap<UnitId, BodyRow> = BTreeMap::new();
        for (unit, indicators) in &by_unit {
            let body = top(*unit);
            let row =
                bodies.entry(body).or_insert_with(|| BodyRow { body, sections: Vec::new(), indicators: Indicators::default(), score: 0.0 });
            row.indicators.absorb(indicators);
            if *unit != body {
                row.sections.push(*unit);
            }
        }
        let mut rows: Vec<BodyRow> = bodies.into_values().filter(|row| !row.sections.is_empty()).collect();
        let max_received = rows.iter().map(|row| row.indicators.received).max().unwrap_or(0);
        for row in &mut rows {
            row.score = composite_score(&row.indicators, max_received, weights);
        }
        rows.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.body.cmp(&b.body)));
        rows
    }
}

impl Indicators {
    /// Adds another scope's figures (a section's to its body, Art. 6).
    pub fn absorb(&mut self, other: &Self) {
        let Self {
            reported,
            filed,
            dispatched,
            received,
            returned,
            returns_accepted,
            returns_refused,
            urged,
            supervised,
            disputes,
            handled,
            verifications,
            reworks,
            extensions_approved,
            deferrals_approved,
            backlog_entered,
            closed_erroneous,
            due,
            deferred,
            closed,
            closed_on_time,
            closed_late,
            open_overdue,
            extended_cases,
            overrun_sum,
            overrun_count,
            handling_minutes,
            handling_count,
            stages,
            open_at_end,
            backlog_at_end,
            replies,
            replies_rated,
            replies_satisfied,
            replies_dissatisfied,
        } = other;
        self.reported += reported;
        self.filed += filed;
        self.dispatched += dispatched;
        self.received += received;
        self.returned += returned;
        self.returns_accepted += returns_accepted;
        self.returns_refused += returns_refused;
        self.urged += urged;
        self.supervised += supervised;
        self.disputes += disputes;
        self.handled += handled;
        self.verifications += verifications;
        self.reworks += reworks;
        self.extensions_approved += extensions_approved;
        self.deferrals_approved += deferrals_approved;
        self.backlog_entered += backlog_entered;
        self.closed_erroneous += closed_erroneous;
        self.due += due;
        self.deferred += deferred;
        self.closed += closed;
        self.closed_on_time += closed_on_time;
        self.closed_late += closed_late;
        self.open_overdue += open_overdue;
        self.extended_cases += extended_cases;
        self.overrun_sum += overrun_sum;
        self.overrun_count += overrun_count;
        self.handling_minutes += handling_minutes;
        self.handling_count += handling_count;
        for (mine, theirs) in self.stages.iter_mut().zip(stages) {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        }
        self.open_at_end += open_at_end;
        self.backlog_at_end += backlog_at_end;
        self.replies += replies;
        self.replies_rated += replies_rated;
        self.replies_satisfied += replies_satisfied;
        self.replies_dissatisfied += replies_dissatisfied;
    }
}
