//! The composite score (综合得分) and the ranking of units within each unit class (Art. 24).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::Indicators;
use crate::model::{Keyword, UnitClass, UnitId};

/// Weights of the composite score, out of 100 with the defaults: closure rate × 0.3 + on-time
/// rate × 0.3 + (100 − rework rate) × 0.3 + up to 10 points for few cases received.
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
    /// most gets none, the others in proportion.
    pub few_cases: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self { closure: 0.3, on_time: 0.3, rework: 0.3, few_cases: 10.0 }
    }
}

/// The composite score of one unit. A rate without a denominator (no case assessed, nothing
/// verified) counts as 100 %. `max_received` is the most cases received by a unit of the class.
#[must_use]
pub fn composite_score(indicators: &Indicators, max_received: u64, weights: &Weights) -> f64 {
    let percent = |rate: Option<f64>| rate.unwrap_or(1.0) * 100.0;
    #[allow(clippy::cast_precision_loss)]
    let few = if max_received == 0 { 1.0 } else { 1.0 - indicators.received as f64 / max_received as f64 };
    weights.closure * percent(indicators.closure_rate())
        + weights.on_time * percent(indicators.on_time_rate())
        + weights.rework * (100.0 - indicators.rework_rate().unwrap_or(0.0) * 100.0)
        + weights.few_cases * few
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
