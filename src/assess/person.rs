//! 岗位考核: the evaluation of each person at the centre and in the field, from the steps they
//! took (the audit trail names who took every step), after the per-post indicators of
//! GB/T 30428.4 / CJ/T 292 practice:
//!
//! - field collector (监督员): 有效上报率 (reports filed ÷ reports decided), 按时核查率;
//! - intake operator (受理员): 有效上报率 of the reports entered, 按时立案率, 准确立案率, 按时回访率;
//! - dispatcher (派遣员): 按时派遣率, 准确派遣率 (dispatches not returned with the return accepted);
//! - shift leader (值班长): 按时立案率, 准确立案率, 按时结案率 (from the passed verification).
//!
//! The score of a person is the mean of the post's rates that have a denominator, × 100; the
//! grade follows from it. Definitions are in `docs/INDICATORS.md`.

use std::collections::HashMap;

use serde::Serialize;

use super::{CaseFacts, Period, StepKind};
use crate::model::{CloseType, Role};

/// What one person did in one period. `[on time, timed]` pairs count the steps with a stage
/// limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersonFigures {
    /// 上报数.
    pub reports: u64,
    /// Reports filed or voided (不予立案) by the period's end.
    pub reports_decided: u64,
    /// Reports filed by the period's end (有效上报).
    pub reports_valid: u64,
    /// 核查数 (passed and failed).
    pub verifications: u64,
    pub verify_timed: [u64; 2],
    /// 立案数.
    pub filings: u64,
    pub file_timed: [u64; 2],
    /// Filed cases cancelled (作废) or closed as erroneous (误报) by the period's end.
    pub filings_voided: u64,
    /// 派遣数: dispatches and redispatches.
    pub dispatches: u64,
    pub dispatch_timed: [u64; 2],
    /// Dispatches the unit returned and the centre accepted the return by the period's end
    /// (派错).
    pub dispatches_wrong: u64,
    /// 结案数.
    pub closes: u64,
    pub close_timed: [u64; 2],
    /// 回访数.
    pub replies: u64,
    pub reply_timed: [u64; 2],
}

/// A rate of the per-post evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PersonRate {
    ValidReports,
    OnTimeVerification,
    OnTimeFiling,
    AccurateFiling,
    OnTimeDispatch,
    AccurateDispatch,
    OnTimeClose,
    OnTimeReply,
}

fn rate(numerator: u64, denominator: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

impl PersonRate {
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::ValidReports, true) => "有效上报率",
            (Self::ValidReports, false) => "Valid reports",
            (Self::OnTimeVerification, true) => "按时核查率",
            (Self::OnTimeVerification, false) => "On-time checks",
            (Self::OnTimeFiling, true) => "按时立案率",
            (Self::OnTimeFiling, false) => "On-time filing",
            (Self::AccurateFiling, true) => "准确立案率",
            (Self::AccurateFiling, false) => "Accurate filing",
            (Self::OnTimeDispatch, true) => "按时派遣率",
            (Self::OnTimeDispatch, false) => "On-time dispatch",
            (Self::AccurateDispatch, true) => "准确派遣率",
            (Self::AccurateDispatch, false) => "Accurate dispatch",
            (Self::OnTimeClose, true) => "按时结案率",
            (Self::OnTimeClose, false) => "On-time close",
            (Self::OnTimeReply, true) => "按时回访率",
            (Self::OnTimeReply, false) => "On-time replies",
        }
    }

    /// The rate of `figures`, `None` without a denominator.
    #[must_use]
    pub fn value(self, figures: &PersonFigures) -> Option<f64> {
        let timed = |pair: [u64; 2]| rate(pair[0], pair[1]);
        match self {
            Self::ValidReports => rate(figures.reports_valid, figures.reports_decided),
            Self::OnTimeVerification => timed(figures.verify_timed),
            Self::OnTimeFiling => timed(figures.file_timed),
            Self::AccurateFiling => rate(figures.filings - figures.filings_voided.min(figures.filings), figures.filings),
            Self::OnTimeDispatch => timed(figures.dispatch_timed),
            Self::AccurateDispatch => rate(figures.dispatches - figures.dispatches_wrong.min(figures.dispatches), figures.dispatches),
            Self::OnTimeClose => timed(figures.close_timed),
            Self::OnTimeReply => timed(figures.reply_timed),
        }
    }

    /// The rates a post is evaluated on (none for units, the committee, administrators and viewers:
    /// units are assessed as units).
    #[must_use]
    pub fn of_post(role: Role) -> &'static [Self] {
        match role {
            Role::FieldCollector => &[Self::ValidReports, Self::OnTimeVerification],
            Role::IntakeOperator => &[Self::ValidReports, Self::OnTimeFiling, Self::AccurateFiling, Self::OnTimeReply],
            Role::Dispatcher => &[Self::OnTimeDispatch, Self::AccurateDispatch],
            Role::ShiftLeader => &[Self::OnTimeFiling, Self::AccurateFiling, Self::OnTimeClose],
            Role::UnitOperator | Role::CommitteeMember | Role::Administrator | Role::Viewer | Role::Interface => &[],
        }
    }
}

/// The grade of a person's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grade {
    /// 优秀: 95 and above.
    Excellent,
    /// 良好: 85 and above.
    Good,
    /// 合格: 70 and above.
    Pass,
    /// 不合格.
    Fail,
}

impl Grade {
    #[must_use]
    pub fn of_score(score: f64) -> Self {
        if score >= 95.0 {
            Self::Excellent
        } else if score >= 85.0 {
            Self::Good
        } else if score >= 70.0 {
            Self::Pass
        } else {
            Self::Fail
        }
    }

    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Excellent, true) => "优秀",
            (Self::Excellent, false) => "Excellent",
            (Self::Good, true) => "良好",
            (Self::Good, false) => "Good",
            (Self::Pass, true) => "合格",
            (Self::Pass, false) => "Pass",
            (Self::Fail, true) => "不合格",
            (Self::Fail, false) => "Fail",
        }
    }
}

/// One person's evaluation in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRow {
    pub user: i64,
    pub name: String,
    pub role: Role,
    pub figures: PersonFigures,
    /// The mean of the post's rates × 100; `None` when none has a denominator.
    pub score: Option<f64>,
    pub grade: Option<Grade>,
}

impl PersonRow {
    #[must_use]
    pub fn new(user: i64, name: String, role: Role, figures: PersonFigures) -> Self {
        let rates: Vec<f64> = PersonRate::of_post(role).iter().filter_map(|rate| rate.value(&figures)).collect();
        #[allow(clippy::cast_precision_loss)]
        let score = (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64 * 100.0);
        Self { user, name, role, figures, score, grade: score.map(Grade::of_score) }
    }
}

fn timed(pair: &mut [u64; 2], on_time: Option<bool>) {
    if let Some(on_time) = on_time {
        pair[1] += 1;
        pair[0] += u64::from(on_time);
    }
}

/// Adds what each person did on `case` in `period` to their figures. Only steps dated before
/// the period's end are read, so a past period does not change.
pub(super) fn visit_people(case: &CaseFacts, period: &Period, people: &mut HashMap<i64, PersonFigures>) {
    let steps: Vec<_> = case.steps.iter().take_while(|step| step.at < period.to).collect();
    let voided_after = |index: usize| {
        steps[index + 1..].iter().any(|later| {
            later.kind == StepKind::Void
                || (later.kind == StepKind::Close
                    && case.close.as_ref().is_some_and(|close| close.at == later.at && close.close_type == CloseType::Erroneous))
        })
    };
    for (index, step) in steps.iter().enumerate() {
        let Some(user) = step.user.filter(|_| period.contains(step.at)) else { continue };
        let figures = people.entry(user).or_default();
        match step.kind {
            StepKind::Report => {
                figures.reports += 1;
                let decision = steps[index + 1..].iter().find(|later| matches!(later.kind, StepKind::File | StepKind::Void));
                if let Some(decision) = decision {
                    figures.reports_decided += 1;
                    figures.reports_valid += u64::from(decision.kind == StepKind::File);
                }
            }
            StepKind::File => {
                figures.filings += 1;
                timed(&mut figures.file_timed, step.stage_on_time);
                figures.filings_voided += u64::from(voided_after(index));
            }
            StepKind::Dispatch | StepKind::Redispatch => {
                figures.dispatches += 1;
                timed(&mut figures.dispatch_timed, step.stage_on_time);
                let answer = steps[index + 1..]
                    .iter()
                    .find(|later| matches!(later.kind, StepKind::Return | StepKind::Dispatch | StepKind::Redispatch));
                let wrong = answer.is_some_and(|later| {
                    later.kind == StepKind::Return && later.review.is_some_and(|(at, accepted)| accepted && at < period.to)
                });
                figures.dispatches_wrong += u64::from(wrong);
            }
            StepKind::VerifyPass | StepKind::VerifyFail => {
                figures.verifications += 1;
                timed(&mut figures.verify_timed, step.stage_on_time);
            }
            StepKind::Close => {
                figures.closes += 1;
                timed(&mut figures.close_timed, step.stage_on_time);
            }
            StepKind::Reply => {
                figures.replies += 1;
                timed(&mut figures.reply_timed, step.stage_on_time);
            }
            _ => {}
        }
    }
}

impl super::FactBook {
    /// Every person who took a step in the period, evaluated on the rates of their post (see
    /// [`person`]); centre posts first, then by score, best first. People whose post is not
    /// evaluated (unit operators, the committee) are left out.
    #[must_use]
    pub fn people(&self, period: &Period) -> Vec<PersonRow> {
        let mut figures: HashMap<i64, PersonFigures> = HashMap::new();
        for case in &self.facts {
            visit_people(case, period, &mut figures);
        }
        let mut rows: Vec<PersonRow> = figures
            .into_iter()
            .filter_map(|(user, figures)| {
                let (name, role) = self.people.get(&user).cloned()?;
                (!PersonRate::of_post(role).is_empty()).then(|| PersonRow::new(user, name, role, figures))
            })
            .collect();
        let post_order = |role: Role| <Role as crate::model::Keyword>::ALL.iter().position(|known| *known == role).unwrap_or(usize::MAX);
        rows.sort_by(|a, b| {
            post_order(a.role)
                .cmp(&post_order(b.role))
                .then_with(|| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
                .then_with(|| a.user.cmp(&b.user))
        });
        rows
    }
}
