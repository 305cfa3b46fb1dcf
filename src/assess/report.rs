//! One assessment report as every output shows it (the window, the CSV, the XLSX workbook, the
//! printable notice): the period's district figures, the class rankings, a trend over the last
//! twelve weeks or months and the cases reported per jurisdiction.

use std::collections::BTreeMap;

use super::{BodyRow, ClassRanking, Column, FactBook, Granularity, Indicators, Measure, Period, PersonRow, Scope, Weights, visit};
use crate::model::UnitId;

/// How many periods a trend shows.
pub const TREND_PERIODS: usize = 12;

/// What to compute besides the period's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportOptions {
    pub weights: Weights,
    /// The trend's step.
    pub granularity: Granularity,
    /// The trend's unit; the district when `None`.
    pub trend_unit: Option<UnitId>,
}

/// An assessment report.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub period: Period,
    pub district: Indicators,
    pub ranking: Vec<ClassRanking>,
    /// The Art. 6 bodies with their sections rolled up (区城管局 ← its sections).
    pub bodies: Vec<BodyRow>,
    /// 岗位考核: each person of the centre and the field evaluated on their post's rates.
    pub people: Vec<PersonRow>,
    pub options: ReportOptions,
    /// The last [`TREND_PERIODS`] periods of the granularity up to the period's last day, oldest
    /// first, with the indicators of the trend's scope.
    pub trend: Vec<(Period, Indicators)>,
    /// Cases reported in the period per jurisdiction code (township, community, grid cell).
    pub reported_by_region: BTreeMap<String, u64>,
    /// Every case counted in a district figure of [`Column::TABLE`], by case id (the
    /// workbook's drill-down sheet).
    pub cases: Vec<CaseRow>,
}

/// One case and how many times it counts in each district figure of [`Column::TABLE`] that
/// has cases (rates count their numerator, the average nothing): each column sums to the
/// district's figure.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub case_id: i64,
    /// The case number (案卷号), empty when unknown.
    pub case_no: String,
    /// The unit holding the case at its last step before the period's end.
    pub unit: Option<UnitId>,
    /// Per column of [`Column::TABLE`].
    pub counts: Vec<u32>,
}

impl Assessment {
    /// Computes the report from the facts.
    #[must_use]
    pub fn compute(facts: &FactBook, period: Period, options: ReportOptions) -> Self {
        let scope = options.trend_unit.map_or(Scope::District, Scope::Unit);
        let periods = options.granularity.periods_ending(period.last_day(), TREND_PERIODS);
        let trend = periods.iter().copied().zip(facts.trend(&scope, &periods)).collect();
        Self {
            period,
            district: facts.indicators(&Scope::District, &period),
            ranking: facts.ranking(&period, &options.weights),
            bodies: facts.bodies(&period, &options.weights),
            people: facts.people(&period),
            trend,
            reported_by_region: facts.by_region(&period, Measure::Reported),
            cases: case_rows(facts, &period),
            options,
        }
    }
}

fn case_rows(facts: &FactBook, period: &Period) -> Vec<CaseRow> {
    let measures: Vec<Option<Measure>> = Column::TABLE.iter().map(|column| column.drill_down()).collect();
    let mut rows = Vec::new();
    for case in &facts.facts {
        let mut counts = vec![0u32; measures.len()];
        let mut unit = None;
        let mut counted = false;
        visit(case, period, facts.as_of, &mut |step_unit, _, delta| {
            for (count, measure) in counts.iter_mut().zip(&measures) {
                if measure.is_some_and(|measure| measure.counts(delta)) {
                    *count += 1;
                    counted = true;
                }
            }
            unit = step_unit.or(unit);
        });
        if counted {
            let case_no = facts.case_numbers.get(&case.case_id).cloned().unwrap_or_default();
            rows.push(CaseRow { case_id: case.case_id, case_no, unit, counts });
        }
    }
    rows.sort_by_key(|row| row.case_id);
    rows
}
