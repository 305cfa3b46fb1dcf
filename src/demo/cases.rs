//! Demo cases spread over the life cycle, with timestamps that follow the command manual's time
//! limits on the working calendar, and an audit-trail entry for every step they took.

use chrono::{NaiveDateTime, TimeDelta};
use geo::{Coord, Point, coord};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::frame::LocalFrame;
use super::regions::GridLookup;
use super::streets::Segment;
use crate::calendar::{LimitUnit, WorkCalendar, deadline_from};
use crate::model::{
    Case, CaseState, CaseSubject, CloseType, CommandManual, ItemKind, ManualEntry, Part, PartGeometry, Role, SourceChannel, UnitId, Urgency,
};

/// One step of a demo case's history.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: NaiveDateTime,
    pub action: &'static str,
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub role: Role,
}

/// A demo case and its history.
pub struct DemoCase {
    pub case: Case,
    pub steps: Vec<Step>,
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

/// Generates `count` cases reported in the 30 days before `as_of`, sorted by report time and
/// numbered per day (`YYYYMMDD` + 4 digits).
pub fn generate(inputs: &CaseInputs<'_>, count: usize, rng: &mut ChaCha8Rng) -> Vec<DemoCase> {
    let events: Vec<&ManualEntry> = inputs.manual.entries.iter().filter(|entry| entry.kind == ItemKind::Event).collect();
    let mut cases: Vec<DemoCase> = Vec::with_capacity(count);
    for _ in 0..count {
        if let Some(case) = one_case(inputs, &events, rng) {
            cases.push(case);
        }
    }
    cases.sort_by_key(|demo| demo.case.reported_at);
    let mut day = String::new();
    let mut serial = 0;
    for demo in &mut cases {
        let today = demo.case.reported_at.format("%Y%m%d").to_string();
        if today != day {
            day = today;
            serial = 0;
        }
        serial += 1;
        demo.case.case_no = format!("{day}{serial:04}");
    }
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
    let mut steps = vec![Step { at: reported_at, action: "report", from: None, to: CaseState::Reported, role: Role::FieldCollector }];
    let mut case = Case {
        id: 0,
        case_no: String::new(),
        source,
        subject,
        class_code: entry.code.clone(),
        urgency,
        location,
        part_code,
        grid_code,
        description,
        photos: Vec::new(),
        reporter_contact,
        state: CaseState::Reported,
        unit,
        reported_at,
        filed_at: None,
        dispatched_at: None,
        deadline_at: None,
        closed_at: None,
        close_type: None,
        rework_count: 0,
        extended: false,
    };
    let as_of = inputs.as_of;
    let advance = |steps: &mut Vec<Step>, case: &mut Case, at: NaiveDateTime, action: &'static str, to: CaseState, role: Role| -> bool {
        if at > as_of {
            return false;
        }
        steps.push(Step { at, action, from: Some(case.state), to, role });
        case.state = to;
        true
    };

    let filed_at = reported_at + TimeDelta::minutes(rng.random_range(5..40));
    let outcome: f64 = rng.random();
    if outcome < 0.04 {
        if advance(&mut steps, &mut case, filed_at, "reject", CaseState::Rejected, Role::ShiftLeader) {
            case.closed_at = Some(filed_at);
        }
        return Some(DemoCase { case, steps });
    }
    if !advance(&mut steps, &mut case, filed_at, "file", CaseState::Filed, Role::ShiftLeader) {
        return Some(DemoCase { case, steps });
    }
    case.filed_at = Some(filed_at);
    let dispatched_at = filed_at + TimeDelta::minutes(rng.random_range(3..30));
    if !advance(&mut steps, &mut case, dispatched_at, "dispatch", CaseState::Dispatched, Role::Dispatcher) {
        return Some(DemoCase { case, steps });
    }
    case.dispatched_at = Some(dispatched_at);
    let mut deadline = deadline_from(calendar, dispatched_at, amount, limit_unit);
    case.deadline_at = Some(deadline);

    if outcome < 0.07 {
        let returned_at = dispatched_at + TimeDelta::minutes(rng.random_range(20..180));
        advance(&mut steps, &mut case, returned_at, "return", CaseState::Returned, Role::UnitOperator);
        return Some(DemoCase { case, steps });
    }
    if outcome < 0.09 {
        let deferred_at = add_limit(calendar, dispatched_at, allowed_minutes / 2, limit_unit);
        advance(&mut steps, &mut case, deferred_at, "defer", CaseState::Deferred, Role::ShiftLeader);
        return Some(DemoCase { case, steps });
    }
    if outcome < 0.10 {
        let backlog_at = add_limit(calendar, dispatched_at, allowed_minutes, limit_unit);
        advance(&mut steps, &mut case, backlog_at, "backlog", CaseState::Backlog, Role::ShiftLeader);
        return Some(DemoCase { case, steps });
    }
    if outcome < 0.14 {
        let requested_at = add_limit(calendar, dispatched_at, allowed_minutes * 3 / 4, limit_unit);
        if requested_at <= as_of {
            steps.push(Step { at: requested_at, action: "extend", from: Some(case.state), to: case.state, role: Role::ShiftLeader });
            deadline = deadline_from(calendar, deadline, amount, limit_unit);
            case.deadline_at = Some(deadline);
            case.extended = true;
        }
    }
    // Handling takes between 15 % and 130 % of the allowed time.
    let mut handled_at = add_limit(calendar, dispatched_at, (allowed_minutes as f64 * rng.random_range(0.15..1.3)) as i64, limit_unit);
    if !advance(&mut steps, &mut case, handled_at, "handle", CaseState::Handled, Role::UnitOperator) {
        return Some(DemoCase { case, steps });
    }
    if outcome > 0.94 {
        // Verification fails once: rework by the same unit.
        let failed_at = handled_at + TimeDelta::minutes(rng.random_range(20..120));
        if !advance(&mut steps, &mut case, failed_at, "rework", CaseState::Dispatched, Role::FieldCollector) {
            return Some(DemoCase { case, steps });
        }
        case.rework_count = 1;
        handled_at = add_limit(calendar, failed_at, (allowed_minutes as f64 * rng.random_range(0.1..0.5)) as i64, limit_unit);
        if !advance(&mut steps, &mut case, handled_at, "handle", CaseState::Handled, Role::UnitOperator) {
            return Some(DemoCase { case, steps });
        }
    }
    let verified_at = handled_at + TimeDelta::minutes(rng.random_range(20..120));
    if !advance(&mut steps, &mut case, verified_at, "verify", CaseState::Verified, Role::FieldCollector) {
        return Some(DemoCase { case, steps });
    }
    let closed_at = verified_at + TimeDelta::minutes(rng.random_range(10..90));
    if advance(&mut steps, &mut case, closed_at, "close", CaseState::Closed, Role::ShiftLeader) {
        case.closed_at = Some(closed_at);
        case.close_type = Some(if handled_at > deadline { CloseType::Overdue } else { CloseType::Normal });
    }
    Some(DemoCase { case, steps })
}
