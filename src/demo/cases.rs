//! Demo cases spread over the life cycle: a report and a plan of workflow steps whose times
//! follow the command manual's limits on the working calendar. The plans are applied through
//! `workflow` (see `super::populate`), which numbers the cases, sets the deadlines and writes the
//! audit trail, so the demo holds nothing the rules would refuse.

use chrono::{NaiveDateTime, TimeDelta};
use geo::{Coord, Point, coord};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::regions::GridLookup;
use super::streets::Segment;
use crate::calendar::{LimitUnit, WorkCalendar, deadline_from};
use crate::model::{
    CaseSubject, CloseType, CommandManual, FeedbackChannel, ItemKind, ManualEntry, Part, PartGeometry, Role, SourceChannel, UnitId, Urgency,
};
use crate::spatial::LocalFrame;
use crate::workflow::{Action, NewCase};

/// One planned step of a demo case: who (by role; unit steps by the case's unit operator) does
/// what, when. The workflow engine applies it, so demo data obeys the same rules as real work.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub at: NaiveDateTime,
    pub role: Role,
    pub action: Action,
}

/// A demo case: the report and the steps planned after it (only those before "now").
pub struct DemoCase {
    pub report: NewCase,
    pub reported_at: NaiveDateTime,
    /// Who reports it: a collector in the field, the intake operator for hotlines and citizens.
    pub reporter: Role,
    pub steps: Vec<PlannedStep>,
}

/// What the case generator draws from.
pub struct CaseInputs<'a> {
    pub manual: &'a CommandManual,
    pub calendar: &'a WorkCalendar,
    pub parts: &'a [Part],
    pub segments: &'a [Segment],
    pub frame: &'a LocalFrame,
    pub grid: &'a GridLookup,
    pub unit_by_code: &'a dyn Fn(&str) -> Option<UnitId>,
    /// The unit routing suggests for a report (`workflow::suggest_unit`), if any.
    pub route: &'a dyn Fn(&NewCase, NaiveDateTime) -> Option<UnitId>,
    pub as_of: NaiveDateTime,
}

/// Problems a part of a class can have, as a collector would write them.
fn part_problems(class_code: &str) -> &'static [&'static str] {
    match class_code {
        "0118" | "0119" | "0120" => &["路灯不亮", "灯杆倾斜", "灯罩破损", "白天亮灯"],
        "0104" => &["雨水箅子缺失", "雨水箅子破损", "箅子堵塞"],
        "0113" => &["消防栓漏水", "消防栓损坏", "被遮挡"],
        code if code.starts_with("015") => &["管道渗漏", "管道破裂", "管道堵塞"],
        code if code.starts_with("01") => &["井盖破损", "井盖缺失", "井盖松动", "井盖移位", "井盖下沉"],
        "0203" => &["站亭玻璃破损", "站牌缺失", "顶棚漏雨"],
        "0201" => &["停车位标线不清", "路面破损", "出入口被占用"],
        code if code.starts_with("02") => &["损坏", "缺失", "倾斜", "被遮挡"],
        "0305" => &["垃圾箱满溢", "垃圾箱破损", "垃圾箱缺失"],
        code if code.starts_with("03") => &["破损", "污损", "缺失"],
        "0402" | "0401" => &["行道树倒伏", "行道树枯死", "行道树缺株", "树枝遮挡路灯"],
        "0405" => &["绿地黄土裸露", "杂草丛生", "绿地被占用", "绿地缺株"],
        _ => &["破损", "缺失", "污损"],
    }
}
const EVENT_DETAILS: &[&str] =
    &["影响通行，请尽快处理", "群众反映强烈", "现场已拍照取证", "多次出现，请加强巡查", "位于人行道", "靠近学校门口"];

fn anchor_of(part: &Part) -> Point<f64> {
    match &part.geometry {
        PartGeometry::Point(point) => *point,
        PartGeometry::Line(line) => line.0.first().map_or(Point::new(0.0, 0.0), |coord| Point(*coord)),
        PartGeometry::Polygon(polygon) => polygon.exterior().0.first().map_or(Point::new(0.0, 0.0), |coord| Point(*coord)),
    }
}

fn add_limit(calendar: &WorkCalendar, start: NaiveDateTime, minutes: i64, unit: LimitUnit) -> NaiveDateTime {
    if unit.counts_working_time() { calendar.add_working_minutes(start, minutes) } else { start + TimeDelta::minutes(minutes) }
}

fn allowed(calendar: &WorkCalendar, entry: &ManualEntry, urgency: Urgency) -> (u32, LimitUnit, i64) {
    let limit = entry.limit_for(urgency).or_else(|| entry.limits.first().copied());
    let (amount, unit) = limit.map_or((1, LimitUnit::WorkDays), |limit| (limit.amount, limit.unit));
    (amount, unit, crate::calendar::allowed_minutes(calendar, amount, unit))
}

/// Generates `count` cases reported in the 30 days before `as_of`, sorted by report time (the
/// workflow numbers them per day as it writes them).
pub fn generate(inputs: &CaseInputs<'_>, count: usize, rng: &mut ChaCha8Rng) -> Vec<DemoCase> {
    let events: Vec<&ManualEntry> = inputs.manual.entries.iter().filter(|entry| entry.kind == ItemKind::Event).collect();
    let mut cases: Vec<DemoCase> = Vec::with_capacity(count);
    for _ in 0..count {
        if let Some(case) = one_case(inputs, &events, rng) {
            cases.push(case);
        }
    }
    cases.sort_by_key(|demo| demo.reported_at);
    cases
}

fn one_case(inputs: &CaseInputs<'_>, events: &[&ManualEntry], rng: &mut ChaCha8Rng) -> Option<DemoCase> {
    let calendar = inputs.calendar;
    // Recent days are busier (squaring skews the age towards zero); most reports come in the
    // collectors' day shift, some at night through the hotlines.
    let age_days = (rng.random::<f64>().powi(2) * 30.0) as i64;
    let minute_of_day = if rng.random_bool(0.85) { rng.random_range(450..1_170) } else { rng.random_range(0..1_440) };
    let mut reported_at = (inputs.as_of.date() - TimeDelta::days(age_days)).and_hms_opt(0, 0, 0)? + TimeDelta::minutes(minute_of_day);
    if reported_at > inputs.as_of - TimeDelta::minutes(5) {
        reported_at -= TimeDelta::days(1);
    }
    let urgency = match rng.random::<f64>() {
        r if r < 0.8 => Urgency::Normal,
        r if r < 0.95 => Urgency::Urgent,
        _ => Urgency::Emergency,
    };
    let source = *[
        SourceChannel::Collector,
        SourceChannel::Collector,
        SourceChannel::Collector,
        SourceChannel::Collector,
        SourceChannel::Hotline12319,
        SourceChannel::Hotline12345,
        SourceChannel::Hotline12345,
        SourceChannel::Citizen,
        SourceChannel::CityPlatform,
        SourceChannel::Video,
    ]
    .choose(rng)?;
    let segment = inputs.segments.choose(rng)?;
    let (subject, entry, location, part_code, grid_code, unit, description) = if rng.random_bool(0.45) && !inputs.parts.is_empty() {
        let part = &inputs.parts[rng.random_range(0..inputs.parts.len())];
        let entry = inputs.manual.entry(ItemKind::Part, &part.code.class_code())?;
        let problem = part_problems(&entry.code).choose(rng)?;
        let description = format!("{problem}（{}），部件编码 {}", entry.name_zh, part.code);
        (CaseSubject::Part, entry, anchor_of(part), Some(part.code), part.grid_code, part.owner_unit, description)
    } else {
        let entry = *events.choose(rng)?;
        let t: f64 = rng.random_range(0.05..0.95);
        let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let delta = segment.to_uv - segment.from_uv;
        let left: Coord<f64> = coord! { x: -delta.y, y: delta.x } / delta.x.hypot(delta.y);
        let uv = segment.from_uv + delta * t + left * side * rng.random_range(4.0..18.0);
        let detail = EVENT_DETAILS.choose(rng)?;
        let description = format!("{}：{}附近，{}", entry.name_zh, segment.name, detail);
        (
            CaseSubject::Event,
            entry,
            Point(inputs.frame.lonlat_from_uv(uv)),
            None,
            inputs.grid.cell_at(uv),
            (inputs.unit_by_code)(&entry.default_unit),
            description,
        )
    };
    let reporter_contact = matches!(source, SourceChannel::Hotline12319 | SourceChannel::Hotline12345 | SourceChannel::Citizen)
        .then(|| format!("13{}****{:04}", rng.random_range(0..10), rng.random_range(0..10_000)));

    let (amount, limit_unit, allowed_minutes) = allowed(calendar, entry, urgency);
    let report = NewCase {
        source,
        subject,
        class_code: entry.code.clone(),
        urgency,
        location,
        part_code,
        grid_code,
        description,
        photos: vec![format!("report-{}.jpg", rng.random_range(1_000..10_000))],
        reporter_contact,
        address: String::new(),
    };
    // Collectors report what they find; video patrols are the centre's; calls come in at intake.
    let reporter = match source {
        SourceChannel::Collector => Role::FieldCollector,
        SourceChannel::Video => Role::ShiftLeader,
        _ => Role::IntakeOperator,
    };
    let unit = (inputs.route)(&report, reported_at).or(unit);
    let told_reporter = report.reporter_contact.is_some();
    let mut plan = Plan { steps: Vec::new(), as_of: inputs.as_of };
    let demo = |plan: Plan| Some(DemoCase { report: report.clone(), reported_at, reporter, steps: plan.steps });

    let filed_at = reported_at + TimeDelta::minutes(rng.random_range(5..40));
    let outcome: f64 = rng.random();
    if outcome < 0.04 {
        let reason = *["重复上报，已有相同案卷", "经核实不属于城市管理范围", "现场无此问题"].choose(rng)?;
        plan.push(filed_at, Role::ShiftLeader, Action::Reject { reason: reason.to_owned() });
        return demo(plan);
    }
    if !plan.push(filed_at, Role::IntakeOperator, Action::File { note: String::new(), correction: None }) {
        return demo(plan);
    }
    let dispatched_at = filed_at + TimeDelta::minutes(rng.random_range(3..30));
    let Some(unit) = unit else { return demo(plan) };
    if !plan.push(dispatched_at, Role::Dispatcher, Action::Dispatch { unit, note: String::new() }) {
        return demo(plan);
    }
    let mut deadline = deadline_from(calendar, dispatched_at, amount, limit_unit);
    // The unit signs for the case a few minutes after it arrives (签收): before its quickest
    // handling (15 % of the shortest limit, 60 minutes) and its earliest return (20 minutes).
    plan.push(dispatched_at + TimeDelta::minutes(5), Role::UnitOperator, Action::SignFor { note: String::new() });

    if outcome < 0.07 {
        let returned_at = dispatched_at + TimeDelta::minutes(rng.random_range(20..180));
        plan.push(returned_at, Role::UnitOperator, Action::ReturnToCentre { reason: "经现场核实，该问题不属于本单位职责范围".to_owned() });
        return demo(plan);
    }
    if outcome < 0.09 {
        let requested_at = add_limit(calendar, dispatched_at, allowed_minutes / 2, limit_unit);
        if plan.push(requested_at, Role::UnitOperator, Action::RequestDeferral { reason: "需结合道路改造工程一并实施".to_owned() })
        {
            let approved_at = requested_at + TimeDelta::minutes(rng.random_range(15..90));
            plan.push(approved_at, Role::ShiftLeader, Action::ApproveDeferral { note: String::new() });
        }
        return demo(plan);
    }
    if outcome < 0.10 {
        let requested_at = add_limit(calendar, dispatched_at, allowed_minutes, limit_unit);
        if plan.push(requested_at, Role::UnitOperator, Action::RequestBacklog { reason: "涉及产权纠纷，延期后仍无法解决".to_owned() })
        {
            let approved_at = requested_at + TimeDelta::minutes(rng.random_range(30..240));
            plan.push(approved_at, Role::ShiftLeader, Action::ApproveBacklog { note: "列入挂账问题库".to_owned() });
        }
        return demo(plan);
    }
    // Handling takes between 15 % and 130 % of the allowed time.
    let mut handled_at = add_limit(calendar, dispatched_at, (allowed_minutes as f64 * rng.random_range(0.15..1.3)) as i64, limit_unit);
    if outcome < 0.14 {
        let requested_at = add_limit(calendar, dispatched_at, allowed_minutes * 3 / 4, limit_unit);
        let extension = Action::RequestExtension { amount, unit: limit_unit, reason: "所需配件需外地采购".to_owned() };
        if !plan.push(requested_at, Role::UnitOperator, extension) {
            return demo(plan);
        }
        let approved_at = requested_at + TimeDelta::minutes(rng.random_range(10..40));
        if !plan.push(approved_at, Role::ShiftLeader, Action::ApproveExtension { note: String::new() }) {
            return demo(plan);
        }
        deadline = deadline_from(calendar, deadline, amount, limit_unit);
        handled_at = handled_at.max(approved_at + TimeDelta::minutes(rng.random_range(30..240)));
    }
    // A few cases need a second unit (主办/协办, Art. 18): the dispatcher names it after the
    // signing, and it reports its part before the lead unit reports the case handled.
    if (0.14..0.18).contains(&outcome) && handled_at - dispatched_at > TimeDelta::minutes(90) {
        let helper_code = if (inputs.unit_by_code)("CGJ-SZ") == Some(unit) { "CGJ-HW" } else { "CGJ-SZ" };
        if let Some(helper) = (inputs.unit_by_code)(helper_code) {
            let reason = "需市政所（环卫所）配合处置".to_owned();
            plan.push(dispatched_at + TimeDelta::minutes(15), Role::Dispatcher, Action::SetAssisting { units: vec![helper], reason });
            let report = Action::AssistReport { note: "配合部分已完成".to_owned(), photos: Vec::new() };
            let assisted_at = dispatched_at + TimeDelta::minutes(15) + (handled_at - dispatched_at - TimeDelta::minutes(15)) / 3;
            if !plan.push(assisted_at, Role::UnitOperator, report) {
                return demo(plan);
            }
        }
    }
    // A case running late is urged by the centre (催办) once its deadline has passed.
    if handled_at > deadline {
        let urge_at = calendar.add_working_minutes(deadline.max(plan.last_at()), 10);
        if urge_at < handled_at {
            plan.push(urge_at, Role::Dispatcher, Action::Urge { note: "已超期，请尽快处置".to_owned() });
        }
    }
    // The unit is on site (到场) halfway, in working time, between its last step and the
    // handling report.
    let last = plan.last_at();
    let arrive_at = calendar.add_working_minutes(last, calendar.working_minutes_between(last, handled_at) / 2);
    if arrive_at > last && arrive_at < handled_at {
        let arrive = Action::Arrive { note: "已到达现场".to_owned(), photos: Vec::new(), location: None };
        plan.push(arrive_at, Role::UnitOperator, arrive);
    }
    let handle = |note: &str, at: NaiveDateTime| Action::Handle {
        note: note.to_owned(),
        photos: vec![format!("handled-{}.jpg", at.format("%d%H%M"))],
    };
    if !plan.push(handled_at, Role::UnitOperator, handle("已按要求处置完毕", handled_at)) {
        return demo(plan);
    }
    if outcome > 0.94 {
        // Verification fails once: rework by the same unit.
        let failed_at = handled_at + TimeDelta::minutes(rng.random_range(20..120));
        let fail = Action::VerifyFail { reason: "现场复核问题仍然存在".to_owned(), photos: vec!["verify-failed.jpg".to_owned()] };
        if !plan.push(failed_at, Role::FieldCollector, fail) {
            return demo(plan);
        }
        handled_at = add_limit(calendar, failed_at, (allowed_minutes as f64 * rng.random_range(0.1..0.5)) as i64, limit_unit);
        if !plan.push(handled_at, Role::UnitOperator, handle("已返工处置", handled_at)) {
            return demo(plan);
        }
    }
    let verified_at = handled_at + TimeDelta::minutes(rng.random_range(20..120));
    let verify = Action::VerifyPass { note: "现场核查已处置".to_owned(), photos: vec!["verified.jpg".to_owned()] };
    if !plan.push(verified_at, Role::FieldCollector, verify) {
        return demo(plan);
    }
    let closed_at = verified_at + TimeDelta::minutes(rng.random_range(10..90));
    // The engine decides between normal and overdue from the deadline.
    let close_type = if handled_at > deadline { CloseType::Overdue } else { CloseType::Normal };
    // Most reporters are told within hours of the close; one in five waits in the call-back queue.
    if plan.push(closed_at, Role::ShiftLeader, Action::Close { close_type, note: String::new() }) && told_reporter && rng.random_bool(0.8) {
        let told_at = closed_at + TimeDelta::minutes(rng.random_range(30..240));
        use crate::model::Satisfaction;
        let (satisfaction, note) = match rng.random_range(0..10) {
            0 => (Satisfaction::Dissatisfied, "已电话告知处理结果，举报人不满意：认为处置不彻底"),
            1 | 2 => (Satisfaction::Fair, "已电话告知处理结果，举报人基本满意"),
            _ => (Satisfaction::Satisfied, "已电话告知处理结果，举报人表示满意"),
        };
        let feedback = Action::RecordReporterFeedback {
            told_at,
            channel: FeedbackChannel::Phone,
            satisfaction: Some(satisfaction),
            note: note.to_owned(),
        };
        plan.push(told_at, Role::IntakeOperator, feedback);
    }
    demo(plan)
}

/// The steps of one case, cut at the demo's "now".
struct Plan {
    steps: Vec<PlannedStep>,
    as_of: NaiveDateTime,
}

impl Plan {
    /// The time of the last step planned.
    fn last_at(&self) -> NaiveDateTime {
        self.steps.last().map_or(NaiveDateTime::MIN, |step| step.at)
    }

    /// Adds a step unless it lies after "now" (then it and everything after it never happened).
    fn push(&mut self, at: NaiveDateTime, role: Role, action: Action) -> bool {
        if at > self.as_of {
            return false;
        }
        self.steps.push(PlannedStep { at, role, action });
        true
    }
}
