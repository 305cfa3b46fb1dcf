//! Assessment indicators on a hand-made week, built through the real workflow on a database
//! file: every indicator was computed by hand (see the comments) and is asserted exactly.

mod common;
use chrono::{NaiveDate, NaiveDateTime};
use citygrid::assess::{FactBook, Granularity, Measure, Period, STAGE_DISPATCH, STAGE_FILE, STAGE_HANDLE, STAGE_VERIFY, Scope, Weights};
use citygrid::calendar::{LimitUnit, WorkCalendar, WorkScheme};
use citygrid::model::{Case, CaseSubject, CloseType, Role, SourceChannel, UnitId, Urgency, User};
use citygrid::store::{ReferenceData, Store};
use citygrid::workflow::{Action, NewCase, Workflow};
use geo::Point;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid time")
}

struct Centre {
    _dir: tempfile::TempDir,
    store: Store,
    workflow: Workflow,
    collector: User,
    intake: User,
    dispatcher: User,
    leader: User,
    /// Operator of the street-lighting section (CGJ-LD), "L" below.
    lighting: User,
    /// Operator of the municipal-works section (CGJ-SZ), "W" below.
    works: User,
}

fn unit_id(store: &Store, code: &str) -> UnitId {
    store.load_units().expect("units").into_iter().find(|unit| unit.code == code).map(|unit| unit.id).expect("unit")
}

fn centre() -> Centre {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("assess.gpkg");
    let mut store = Store::create(&path).expect("create");
    store.seed_reference_data(&ReferenceData::embedded().expect("assets"), "341004", "徽州区").expect("seed");
    let (lighting, works) = (unit_id(&store, "CGJ-LD"), unit_id(&store, "CGJ-SZ"));
    let users = store
        .write(|tx| {
            let user = |login: &str, role: Role, unit: Option<UnitId>| {
                Store::insert_user(tx, login, login, role, unit).map(|id| User::new(id, login, login, role, unit))
            };
            Ok([
                user("collector", Role::FieldCollector, None)?,
                user("intake", Role::IntakeOperator, None)?,
                user("dispatcher", Role::Dispatcher, None)?,
                user("leader", Role::ShiftLeader, None)?,
                user("lighting", Role::UnitOperator, Some(lighting))?,
                user("works", Role::UnitOperator, Some(works))?,
            ])
        })
        .expect("users");
    // An administrator (who moves the district in the suite's server run) and the accounts sealed.
    store
        .write(|tx| {
            Store::insert_user(tx, "admin", "admin", Role::Administrator, None)?;
            Store::seal_new_accounts(tx, "assessment test centre", None)
        })
        .expect("accounts sealed");
    drop(store);
    let store = common::pg::chosen_store(&path);
    let workflow = Workflow::load(&store).expect("workflow");
    let [collector, intake, dispatcher, leader, lighting, works] = users;
    Centre { _dir: dir, store, workflow, collector, intake, dispatcher, leader, lighting, works }
}

impl Centre {
    fn step(&mut self, actor: &User, case: &Case, action: Action, now: &str) -> Case {
        self.workflow.apply(&mut self.store, actor, case.id, case.revision, &action, at(now)).expect("step")
    }

    /// A street-lamp case (0118, normal: 3 working days; file and dispatch within 30 minutes,
    /// verify within 1 hour) reported, filed and dispatched to `unit`.
    fn dispatched(&mut self, grid: Option<u64>, reported: &str, filed: &str, dispatched: &str, unit: UnitId) -> Case {
        let new_case = lamp(grid);
        let collector = self.collector.clone();
        let case = self.workflow.report_case(&mut self.store, &collector, new_case, at(reported)).expect("report").case;
        let intake = self.intake.clone();
        let case = self.step(&intake, &case, Action::File { note: String::new(), correction: None }, filed);
        let dispatcher = self.dispatcher.clone();
        self.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, dispatched)
    }

    fn handle(&mut self, unit_user: &User, case: &Case, now: &str) -> Case {
        self.step(unit_user, case, Action::Handle { note: "修好".into(), photos: vec![] }, now)
    }

    fn verify_and_close(&mut self, case: &Case, verified: &str, closed: &str) -> Case {
        let (collector, leader) = (self.collector.clone(), self.leader.clone());
        let case = self.step(&collector, case, Action::VerifyPass { note: String::new(), photos: vec![] }, verified);
        self.step(&leader, &case, Action::Close { close_type: CloseType::Normal, note: String::new() }, closed)
    }
}

const GRID: u64 = 341_004_100_001_001;

/// A collector's street-lamp report (0118, normal urgency) in the urban core.
fn lamp(grid: Option<u64>) -> NewCase {
    NewCase {
        source: SourceChannel::Collector,
        subject: CaseSubject::Part,
        class_code: "0118".into(),
        urgency: Urgency::Normal,
        location: Point::new(118.3376, 29.8253),
        part_code: None,
        grid_code: grid,
        description: "路灯不亮".into(),
        photos: vec![],
        reporter_contact: None,
        address: String::new(),
    }
}

/// The week of Monday 2026-11-23 (no holidays; office hours 08–12, 14–18, 480 working minutes a
/// day). L = lighting section, W = works section (both class 1).
///
/// | case | story | L/W |
/// |---|---|---|
/// | A | Mon 08:30 rep, 08:45 file, 09:00 disp (deadline Thu 09:00); handled Mon 15:00, verified 15:30, closed 16:00 | L |
/// | B | Mon 09:00 rep, 09:10 file, 09:20 disp to W; W returns 10:00; redispatched to L 10:30 (deadline Thu 10:30); handled Tue 09:00; verify FAILS Tue 11:00 (2 h: verify stage late); handled 15:00, verified 15:30, closed 16:00 | W then L |
/// | C | Mon 09:30 rep, 09:40 file, 09:50 disp (deadline Thu 09:50); extension of 2 working days approved Wed 10:30 (deadline Mon 30 09:50); handled Fri 10:00, verified 10:30, closed 11:00: on time | L |
/// | D | Mon 10:00 rep, 10:05 file, 10:10 disp (deadline Thu 10:10); 1 working day extension approved Tue 09:30 (deadline Fri 10:10); handled Fri 14:10 (late), verified 14:40, closed 15:00: overdue | W |
/// | E | Mon 10:30 rep, 10:35 file, 10:40 disp (deadline Thu 10:40); deferral approved Tue 10:00; still deferred | L |
/// | F | Mon 11:00 rep, 11:10 file, 11:20 disp (deadline Thu 11:20); backlog approved Wed 10:00 (before the deadline) | W |
/// | G | Tue 08:00 rep, 08:50 file (50 min: file stage late), 09:00 disp (deadline Fri 09:00); never handled this week | L |
/// | H | Fri 09:00 rep, 09:10 file, 10:00 disp (50 min: dispatch stage late; deadline Wed Dec 2) | W |
///
/// A and B lie in grid cell `GRID`.
struct Week {
    centre: Centre,
    lighting: UnitId,
    works: UnitId,
    g: Case,
}

fn week() -> Week {
    let mut c = centre();
    let (l, w) = (c.lighting.unit.expect("unit"), c.works.unit.expect("unit"));
    let (lu, wu, leader, dispatcher) = (c.lighting.clone(), c.works.clone(), c.leader.clone(), c.dispatcher.clone());
    // A
    let a = c.dispatched(Some(GRID), "2026-11-23 08:30", "2026-11-23 08:45", "2026-11-23 09:00", l);
    let a = c.handle(&lu, &a, "2026-11-23 15:00");
    c.verify_and_close(&a, "2026-11-23 15:30", "2026-11-23 16:00");
    // B
    let b = c.dispatched(Some(GRID), "2026-11-23 09:00", "2026-11-23 09:10", "2026-11-23 09:20", w);
    let b = c.step(&wu, &b, Action::ReturnToCentre { reason: "不是市政设施".into() }, "2026-11-23 10:00");
    let b = c.step(&dispatcher, &b, Action::Redispatch { unit: l, note: String::new() }, "2026-11-23 10:30");
    assert_eq!(b.deadline_at, Some(at("2026-11-26 10:30")));
    let b = c.handle(&lu, &b, "2026-11-24 09:00");
    let collector = c.collector.clone();
    let b = c.step(&collector, &b, Action::VerifyFail { reason: "仍不亮".into(), photos: vec![] }, "2026-11-24 11:00");
    let b = c.handle(&lu, &b, "2026-11-24 15:00");
    c.verify_and_close(&b, "2026-11-24 15:30", "2026-11-24 16:00");
    // C
    let cc = c.dispatched(None, "2026-11-23 09:30", "2026-11-23 09:40", "2026-11-23 09:50", l);
    let cc =
        c.step(&lu, &cc, Action::RequestExtension { amount: 2, unit: LimitUnit::WorkDays, reason: "缺灯具".into() }, "2026-11-25 10:00");
    let cc = c.step(&leader, &cc, Action::ApproveExtension { note: String::new() }, "2026-11-25 10:30");
    assert_eq!(cc.deadline_at, Some(at("2026-11-30 09:50")));
    let cc = c.handle(&lu, &cc, "2026-11-27 10:00");
    let cc = c.verify_and_close(&cc, "2026-11-27 10:30", "2026-11-27 11:00");
    assert_eq!(cc.close_type, Some(CloseType::Normal));
    // D
    let d = c.dispatched(None, "2026-11-23 10:00", "2026-11-23 10:05", "2026-11-23 10:10", w);
    let d = c.step(&wu, &d, Action::RequestExtension { amount: 1, unit: LimitUnit::WorkDays, reason: "等材料".into() }, "2026-11-24 09:00");
    let d = c.step(&leader, &d, Action::ApproveExtension { note: String::new() }, "2026-11-24 09:30");
    assert_eq!(d.deadline_at, Some(at("2026-11-27 10:10")));
    let d = c.handle(&wu, &d, "2026-11-27 14:10");
    let d = c.verify_and_close(&d, "2026-11-27 14:40", "2026-11-27 15:00");
    assert_eq!(d.close_type, Some(CloseType::Overdue));
    // E
    let e = c.dispatched(None, "2026-11-23 10:30", "2026-11-23 10:35", "2026-11-23 10:40", l);
    let e = c.step(&lu, &e, Action::RequestDeferral { reason: "施工封路".into() }, "2026-11-24 09:00");
    c.step(&leader, &e, Action::ApproveDeferral { note: String::new() }, "2026-11-24 10:00");
    // F
    let f = c.dispatched(None, "2026-11-23 11:00", "2026-11-23 11:10", "2026-11-23 11:20", w);
    let f = c.step(&wu, &f, Action::RequestBacklog { reason: "需立项改造".into() }, "2026-11-25 09:00");
    c.step(&leader, &f, Action::ApproveBacklog { note: String::new() }, "2026-11-25 10:00");
    // G
    let g = c.dispatched(None, "2026-11-24 08:00", "2026-11-24 08:50", "2026-11-24 09:00", l);
    assert_eq!(g.deadline_at, Some(at("2026-11-27 09:00")));
    // H
    let h = c.dispatched(None, "2026-11-27 09:00", "2026-11-27 09:10", "2026-11-27 10:00", w);
    assert_eq!(h.deadline_at, Some(at("2026-12-02 10:00")));
    Week { centre: c, lighting: l, works: w, g }
}

fn book(store: &Store) -> FactBook {
    let calendar = WorkCalendar::new(store.load_holidays().expect("holidays"), WorkScheme::office_hours());
    FactBook::load(store, &calendar).expect("facts")
}

fn the_week() -> Period {
    Period::week(NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"))
}

#[test]
fn the_district_week_computed_by_hand() {
    let week = week();
    let i = book(&week.centre.store).indicators(&Scope::District, &the_week());
    // Steps in the week: 8 reports, 8 files, 8 first dispatches + B's redispatch = 9 received.
    assert_eq!((i.reported, i.filed, i.dispatched, i.received), (8, 8, 8, 9));
    // File stage: G took 50 min > 30 → 7 of 8. Dispatch stage: H took 50 min → 7 of 8.
    assert_eq!(i.stages[STAGE_FILE], [7, 8]);
    assert_eq!(i.stages[STAGE_DISPATCH], [7, 8]);
    // Handled: A, B twice, C, D = 5; only D after its (extended) deadline → 4 of 5.
    assert_eq!(i.handled, 5);
    assert_eq!(i.stages[STAGE_HANDLE], [4, 5]);
    // Verifications: A, B (fail), B, C, D = 5; B's failure came 2 h after the handle → 4 of 5.
    assert_eq!((i.verifications, i.reworks), (5, 1));
    assert_eq!(i.stages[STAGE_VERIFY], [4, 5]);
    assert_eq!((i.returned, i.disputes), (1, 0));
    assert_eq!((i.extensions_approved, i.deferrals_approved, i.backlog_entered), (2, 1, 1));
    // Due: closed A B C D; E deferred with its deadline (Thu) in the week; F in the backlog,
    // deadline Thu; G running, deadline Fri. H's deadline is next week. 7 due, 1 deferred.
    assert_eq!((i.due, i.deferred, i.assessed()), (7, 1, 6));
    // A, B, C on time (C within its extension), D late (outside its extension); G open overdue;
    // F entered the backlog before its deadline: not overdue.
    assert_eq!((i.closed, i.closed_on_time, i.closed_late, i.open_overdue, i.overdue()), (4, 3, 1, 1, 2));
    assert_eq!(i.closed_erroneous, 0);
    assert_eq!(i.extended_cases, 2);
    assert_eq!(i.on_time_rate(), Some(3.0 / 6.0));
    assert_eq!(i.closure_rate(), Some(4.0 / 6.0));
    assert_eq!(i.overdue_rate(), Some(2.0 / 6.0));
    assert_eq!(i.extension_rate(), Some(2.0 / 6.0));
    assert_eq!(i.rework_rate(), Some(1.0 / 5.0));
    // B's return by W was accepted (redispatched to L): it does not count (回退计入 0 of 9).
    assert_eq!((i.returned, i.returns_accepted, i.returns_counted()), (1, 1, 0));
    assert_eq!(i.return_rate(), Some(0.0));
    // D: used Mon 10:10 → Fri 14:10 = 110 + 240 + 3 × 480 + 240 + 10 = 2040 working minutes;
    // allowed Mon 10:10 → Fri 10:10 = 350 + 1440 + 130 = 1920 → 2040 / 1920 = 1.0625.
    assert_eq!(i.mean_overrun_ratio(), Some(1.0625));
    // Handling (last dispatch → last handle, working minutes): A 09:00→15:00 = 180 + 60 = 240;
    // B Mon 10:30 → Tue 15:00 = 90 + 240 + 240 + 60 = 630; C Mon 09:50 → Fri 10:00 = 370 + 3 × 480
    // + 120 = 1930; D 2040. Sum 4840 over 4 closes.
    assert_eq!((i.handling_minutes, i.handling_count), (4840, 4));
    assert_eq!(i.average_handling_hours(), Some(4840.0 / 60.0 / 4.0));
    // Open at the week's end: E (deferred), F (backlog), G, H.
    assert_eq!((i.open_at_end, i.backlog_at_end), (4, 1));
}

#[test]
fn units_classes_regions_and_posts() {
    let week = week();
    let book = book(&week.centre.store);
    let period = the_week();
    let l = book.indicators(&Scope::Unit(week.lighting), &period);
    // L holds A, B (after the redispatch), C, E, G.
    assert_eq!((l.reported, l.received, l.dispatched, l.returned), (0, 5, 4, 0));
    assert_eq!(l.stages[STAGE_DISPATCH], [4, 4]);
    assert_eq!((l.handled, l.verifications, l.reworks), (4, 4, 1));
    assert_eq!(l.stages[STAGE_HANDLE], [4, 4]);
    assert_eq!(l.stages[STAGE_VERIFY], [3, 4]);
    assert_eq!((l.extensions_approved, l.deferrals_approved, l.backlog_entered), (1, 1, 0));
    assert_eq!((l.due, l.deferred, l.closed, l.closed_on_time, l.closed_late, l.open_overdue), (5, 1, 3, 3, 0, 1));
    assert_eq!(l.on_time_rate(), Some(3.0 / 4.0));
    assert_eq!(l.closure_rate(), Some(3.0 / 4.0));
    assert_eq!(l.extension_rate(), Some(1.0 / 4.0));
    assert_eq!(l.rework_rate(), Some(1.0 / 4.0));
    assert_eq!(l.mean_overrun_ratio(), None);
    assert_eq!((l.handling_minutes, l.handling_count), (240 + 630 + 1930, 3));
    assert_eq!((l.open_at_end, l.backlog_at_end), (2, 0));

    let w = book.indicators(&Scope::Unit(week.works), &period);
    // W holds B (until it returned it), D, F, H.
    assert_eq!((w.received, w.dispatched, w.returned), (4, 4, 1));
    assert_eq!(w.stages[STAGE_DISPATCH], [3, 4]);
    assert_eq!((w.handled, w.verifications, w.reworks), (1, 1, 0));
    assert_eq!(w.stages[STAGE_HANDLE], [0, 1]);
    assert_eq!((w.extensions_approved, w.backlog_entered), (1, 1));
    assert_eq!((w.due, w.deferred, w.closed, w.closed_on_time, w.closed_late, w.open_overdue), (2, 0, 1, 0, 1, 0));
    assert_eq!(w.on_time_rate(), Some(0.0));
    assert_eq!(w.closure_rate(), Some(0.5));
    assert_eq!(w.return_rate(), Some(0.0), "its one return was accepted");
    assert_eq!(w.mean_overrun_ratio(), Some(1.0625));
    assert_eq!((w.open_at_end, w.backlog_at_end), (2, 1));

    // Both sections are class 1: the class is their sum.
    let class = book.indicators(&Scope::UnitClass(citygrid::model::UnitClass::First), &period);
    assert_eq!((class.received, class.due, class.closed_on_time), (9, 7, 3));

    // By unit in one pass equals the per-unit reports.
    let by_unit = book.by_unit(&period);
    assert_eq!(by_unit.get(&week.lighting), Some(&l));
    assert_eq!(by_unit.get(&week.works), Some(&w));

    // Grid cell GRID holds A and B, both closed on time.
    let grid = book.indicators(&Scope::Region(GRID.to_string()), &period);
    assert_eq!((grid.reported, grid.due, grid.closed, grid.closed_on_time, grid.returned, grid.reworks), (2, 2, 2, 2, 1, 1));

    // Posts: intake files (7 of 8 on time); the dispatcher dispatches (7 of 8); collectors verify.
    let intake = book.indicators(&Scope::Post(Role::IntakeOperator), &period);
    assert_eq!((intake.filed, intake.stages[STAGE_FILE]), (8, [7, 8]));
    let dispatcher = book.indicators(&Scope::Post(Role::Dispatcher), &period);
    assert_eq!((dispatcher.dispatched, dispatcher.received, dispatcher.stages[STAGE_DISPATCH]), (8, 9, [7, 8]));
    let collector = book.indicators(&Scope::Post(Role::FieldCollector), &period);
    assert_eq!((collector.reported, collector.verifications, collector.stages[STAGE_VERIFY]), (8, 5, [4, 5]));

    // Ranking (default weights): L = 0.3·75 + 0.4·75 + 0.3·(100 − 25) − 0.3·0 = 75;
    // W = 0.3·50 + 0.4·0 + 0.3·100 − 0.3·0 (its one return was accepted) = 45.
    let ranking = book.ranking(&period, &Weights::default());
    assert_eq!(ranking.len(), 1);
    assert_eq!(ranking[0].class, "1");
    let units: Vec<(usize, UnitId)> = ranking[0].units.iter().map(|ranked| (ranked.rank, ranked.unit)).collect();
    assert_eq!(units, vec![(1, week.lighting), (2, week.works)]);
    assert!((ranking[0].units[0].score - 75.0).abs() < 1e-9, "{}", ranking[0].units[0].score);
    assert!((ranking[0].units[1].score - 45.0).abs() < 1e-9, "{}", ranking[0].units[1].score);
}

#[test]
fn a_past_period_gives_the_same_numbers_after_later_steps() {
    let mut week = week();
    let period = the_week();
    let before = book(&week.centre.store).indicators(&Scope::District, &period);
    // G is handled, verified and closed the next Tuesday (overdue).
    let (lu, g) = (week.centre.lighting.clone(), week.g.clone());
    let g = week.centre.handle(&lu, &g, "2026-12-01 09:00");
    week.centre.verify_and_close(&g, "2026-12-01 09:30", "2026-12-01 10:00");
    let book = book(&week.centre.store);
    assert_eq!(book.indicators(&Scope::District, &period), before);
    // The next week counts G's close, late.
    let next = book.indicators(&Scope::District, &Period::week(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")));
    assert_eq!((next.closed, next.closed_late), (1, 1));
    // Periods: month and year contain the week.
    let month = book.indicators(&Scope::District, &Period::month(2026, 11));
    assert_eq!(month.reported, 8);
    assert_eq!(Period::quarter(2026, 4).from, at("2026-10-01 00:00"));
    assert_eq!(Period::year(2026).to, at("2027-01-01 00:00"));
}

#[test]
fn every_count_drills_down_to_as_many_cases_as_it_counts() {
    let week = week();
    let book = book(&week.centre.store);
    let period = the_week();
    let scopes = [
        Scope::District,
        Scope::Unit(week.lighting),
        Scope::Unit(week.works),
        Scope::UnitClass(citygrid::model::UnitClass::First),
        Scope::Region(GRID.to_string()),
        Scope::Post(Role::IntakeOperator),
        Scope::Post(Role::Dispatcher),
        Scope::Post(Role::FieldCollector),
        Scope::Post(Role::ShiftLeader),
    ];
    for scope in &scopes {
        let indicators = book.indicators(scope, &period);
        for measure in Measure::ALL {
            let cases = book.cases(scope, &period, measure);
            assert_eq!(u64::try_from(cases.len()).expect("fits"), measure.value(&indicators), "{scope:?} {measure:?}: {cases:?}");
        }
    }
    // The lists name the right cases: overdue = D (closed late) and G (open, deadline missed).
    let id = |case_no: usize| -> i64 {
        let mut ids: Vec<i64> = week.centre.store.load_cases().expect("cases").iter().map(|case| case.id).collect();
        ids.sort_unstable();
        ids[case_no]
    };
    let (a, b, c, d, e, f, g) = (id(0), id(1), id(2), id(3), id(4), id(5), id(6));
    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };
    assert_eq!(sorted(book.cases(&Scope::District, &period, Measure::Overdue)), vec![d, g]);
    assert_eq!(sorted(book.cases(&Scope::District, &period, Measure::ClosedOnTime)), vec![a, b, c]);
    assert_eq!(book.cases(&Scope::District, &period, Measure::Reworks), vec![b]);
    assert_eq!(book.cases(&Scope::District, &period, Measure::Deferred), vec![e]);
    assert_eq!(book.cases(&Scope::District, &period, Measure::BacklogAtEnd), vec![f]);
    // B was received twice: by W, then by L after W returned it.
    assert_eq!(book.cases(&Scope::District, &period, Measure::Received).iter().filter(|id| **id == b).count(), 2);
    assert_eq!(book.cases(&Scope::Unit(week.works), &period, Measure::Returned), vec![b]);
    assert_eq!(week.g.id, g);
}

#[test]
fn reports_per_grid_cell_and_trends() {
    let week = week();
    let book = book(&week.centre.store);
    let period = the_week();
    let cells = book.by_region(&period, Measure::Reported);
    assert_eq!(cells.get(&GRID.to_string()), Some(&2), "A and B lie in the cell: {cells:?}");
    assert_eq!(book.cases(&Scope::Region(GRID.to_string()), &period, Measure::Reported).len(), 2);
    // Twelve months up to November 2026, the last one holds the week.
    let months = Granularity::Month.periods_ending(NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"), 12);
    assert_eq!(months.len(), 12);
    assert_eq!((months[0], months[11]), (Period::month(2025, 12), Period::month(2026, 11)));
    let trend = book.trend(&Scope::District, &months);
    assert_eq!(trend[11].reported, 8);
    assert!(trend[..11].iter().all(|month| month.reported == 0));
    let weeks = Granularity::Week.periods_ending(NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"), 12);
    assert_eq!(weeks[11], period);
    assert_eq!(weeks[10].to, period.from);
    // The trend (one pass) equals each period computed on its own, for any scope.
    for scope in [Scope::District, Scope::Unit(week.lighting), Scope::Region(GRID.to_string())] {
        let each: Vec<_> = weeks.iter().map(|week| book.indicators(&scope, week)).collect();
        assert_eq!(book.trend(&scope, &weeks), each, "{scope:?}");
    }
}

#[test]
fn the_weights_are_stored_for_every_seat_and_validated() {
    let mut week = week();
    let leader = week.centre.leader.clone();
    let dispatcher = week.centre.dispatcher.clone();
    let store = &mut week.centre.store;
    assert_eq!(Weights::load(store).expect("loads"), Weights::default(), "defaults until set");
    let only_on_time = Weights { closure: 0.0, on_time: 1.0, rework: 0.0, few_cases: 0.0, returns: 0.0, ..Weights::default() };
    assert!(only_on_time.save(store, &dispatcher).is_err(), "a dispatcher may not change how units are ranked");
    assert_eq!(Weights::load(store).expect("loads"), Weights::default());
    only_on_time.save(store, &leader).expect("saved");
    assert_eq!(Weights::load(store).expect("loads"), only_on_time);
    assert_eq!(
        store.meta(citygrid::assess::WEIGHTS_KEY).expect("meta").as_deref(),
        Some(
            r#"{"closure":0.0,"on_time":1.0,"rework":0.0,"few_cases":0.0,"returns":0.0,"per_refused_return":2.0,"per_overdue":0.0,"per_rework":0.0}"#
        )
    );
    // L: on time 75 %, W: 0 %.
    let ranking = book(store).ranking(&the_week(), &Weights::load(store).expect("loads"));
    let scores: Vec<f64> = ranking[0].units.iter().map(|unit| unit.score).collect();
    assert_eq!(scores, vec![75.0, 0.0]);
    // Negative, not a number, or all zero: refused, and the stored weights stay.
    for bad in [
        Weights { closure: -0.1, ..Weights::default() },
        Weights { on_time: f64::NAN, ..Weights::default() },
        Weights { closure: 0.0, on_time: 0.0, rework: 0.0, few_cases: 0.0, returns: 0.0, ..Weights::default() },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
        assert!(bad.save(store, &leader).is_err(), "{bad:?}");
    }
    assert_eq!(Weights::load(store).expect("loads"), only_on_time);
}

/// A seat keeps its facts and recomputes only the cases changed since; the figures must be the
/// ones a fresh read gives.
#[test]
fn a_refresh_after_steps_at_other_seats_gives_the_figures_of_a_fresh_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.gpkg");
    let as_of = NaiveDateTime::parse_from_str("2026-11-25 09:30", "%Y-%m-%d %H:%M").expect("time");
    let options = citygrid::demo::DemoOptions { parts: 500, cases: 300, seed: 11, as_of };
    citygrid::demo::write_demo(&path, &options, &mut |_| {}).expect("demo");
    let mut store = common::pg::chosen_store(&path);
    let location = common::pg::moved_to(&path)
        .map_or_else(|| citygrid::store::Location::File(path.clone()), |url: String| citygrid::store::Location::parse(&url));
    let calendar = WorkCalendar::new(store.load_holidays().expect("holidays"), WorkScheme::office_hours());
    let mut book = FactBook::load(&store, &calendar).expect("facts");
    let seen = store.last_case_event_id().expect("newest");
    let before = book.facts.len();
    for (login, seed) in [("dispatch1", 3), ("leader1", 4)] {
        let seat = citygrid::desk::sim::Seat {
            login,
            steps: 12,
            seed,
            now: as_of,
            deadline: std::time::Duration::from_secs(60),
            think: std::time::Duration::from_millis(5),
        };
        let report = citygrid::desk::sim::run_seat_at(&location, &seat).expect("seat");
        assert!(report.applied > 0, "{login} took no step: {report:?}");
    }
    let newest = book.refresh(&mut store, &calendar, seen).expect("refresh");
    assert!(newest > seen);
    let fresh = FactBook::load(&store, &calendar).expect("fresh facts");
    assert_eq!(book.facts.len(), fresh.facts.len());
    assert!(book.facts.len() >= before);
    for period in [Period::month(2026, 11), Period::year(2026)] {
        assert_eq!(book.indicators(&Scope::District, &period), fresh.indicators(&Scope::District, &period), "{period:?}");
        assert_eq!(book.by_unit(&period), fresh.by_unit(&period), "{period:?}");
    }
}

/// Issue 16, item 5: a case filed and never dispatched, then closed specially, used to count
/// as due and closed on time in the district's rates (it had no deadline to miss). Nobody was
/// timed: it is not a due case now, and counts in neither rate.
#[test]
fn a_special_close_of_a_case_never_dispatched_is_not_counted_on_time() {
    let mut c = centre();
    let new_case = lamp(None);
    let collector = c.collector.clone();
    let case = c.workflow.report_case(&mut c.store, &collector, new_case, at("2026-11-23 08:30")).expect("report").case;
    let intake = c.intake.clone();
    let case = c.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:45");
    let leader = c.leader.clone();
    let closed =
        c.step(&leader, &case, Action::Close { close_type: CloseType::Special, note: "已由业主自行修复".into() }, "2026-11-23 10:00");
    assert_eq!(closed.state, citygrid::model::CaseState::Closed);
    let i = book(&c.store).indicators(&Scope::District, &the_week());
    assert_eq!((i.reported, i.filed), (1, 1));
    assert_eq!((i.due, i.closed_on_time, i.closed), (0, 0, 0), "{i:?}");
    assert_eq!(i.on_time_rate(), None);
}

/// Issue 16, item 1: the unit that returns every case it receives must not rank above the unit
/// that closes everything on time. It used to: nothing assessed meant both rates at 100 %, and
/// receiving few cases earned points (95.0 against 90.0 in the issue's example).
#[test]
fn returning_every_case_ranks_below_closing_every_case_on_time() {
    let mut c = centre();
    let (l, w) = (c.lighting.unit.expect("unit"), c.works.unit.expect("unit"));
    let (lu, wu) = (c.lighting.clone(), c.works.clone());
    for (hour, minute) in [(8, 30), (9, 0), (9, 30)] {
        let (reported, filed, dispatched) = (
            format!("2026-11-23 {hour:02}:{minute:02}"),
            format!("2026-11-23 {hour:02}:{:02}", minute + 5),
            format!("2026-11-23 {hour:02}:{:02}", minute + 10),
        );
        // L returns every case it is sent.
        let case = c.dispatched(None, &reported, &filed, &dispatched, l);
        c.step(&lu, &case, Action::ReturnToCentre { reason: "不是本单位的".into() }, "2026-11-23 11:00");
        // W handles every case on time.
        let case = c.dispatched(None, &reported, &filed, &dispatched, w);
        let case = c.handle(&wu, &case, "2026-11-23 14:00");
        c.verify_and_close(&case, "2026-11-23 14:30", "2026-11-23 15:00");
    }
    let ranking = book(&c.store).ranking(&the_week(), &Weights::default());
    let order: Vec<UnitId> = ranking[0].units.iter().map(|ranked| ranked.unit).collect();
    assert_eq!(order, vec![w, l], "{ranking:?}");
    let (first, last) = (&ranking[0].units[0], &ranking[0].units[1]);
    assert!((first.score - 100.0).abs() < 1e-9, "W: every rate perfect, nothing returned: {}", first.score);
    assert!((last.score - 70.0).abs() < 1e-9, "L: 100 on nothing assessed, less 0.3 × 100 % returned: {}", last.score);
}

/// Issue 16: a return the centre accepts (the case really was another unit's) costs the unit
/// nothing; one it refuses, or has not reviewed by the period's end, counts as 推诿. Signing,
/// arriving and returning are timed against their stage limits, and 催办 is counted.
#[test]
fn accepted_returns_cost_nothing_refused_and_unreviewed_ones_count() {
    let mut c = centre();
    let (l, w) = (c.lighting.unit.expect("unit"), c.works.unit.expect("unit"));
    let (lu, dispatcher) = (c.lighting.clone(), c.dispatcher.clone());
    let return_step = || Action::ReturnToCentre { reason: "不是本单位的".into() };
    // 1: returned within 2 working hours, accepted (redispatched to W).
    let one = c.dispatched(None, "2026-11-23 08:30", "2026-11-23 08:35", "2026-11-23 08:40", l);
    let one = c.step(&lu, &one, return_step(), "2026-11-23 09:30");
    c.step(&dispatcher, &one, Action::Redispatch { unit: w, note: "确属市政所".into() }, "2026-11-23 10:00");
    // 2: signed late (110 working minutes after dispatch), returned in time, refused; then handled.
    let two = c.dispatched(None, "2026-11-23 08:30", "2026-11-23 08:35", "2026-11-23 08:40", l);
    let two = c.step(&lu, &two, Action::SignFor { note: String::new() }, "2026-11-23 10:30");
    let two = c.step(&lu, &two, return_step(), "2026-11-23 10:35");
    let two = c.step(&dispatcher, &two, Action::RefuseReturn { reason: "路灯属路灯所".into() }, "2026-11-23 11:00");
    let two = c.step(&dispatcher, &two, Action::Urge { note: String::new() }, "2026-11-23 11:05");
    let arrive = Action::Arrive { note: String::new(), photos: vec![], location: None };
    let two = c.step(&lu, &two, arrive, "2026-11-23 11:10");
    let two = c.handle(&lu, &two, "2026-11-23 15:00");
    c.verify_and_close(&two, "2026-11-23 15:30", "2026-11-23 16:00");
    // 3: returned late (Tuesday, more than 2 working hours after dispatch), never reviewed.
    let three = c.dispatched(None, "2026-11-23 08:30", "2026-11-23 08:35", "2026-11-23 08:40", l);
    c.step(&lu, &three, return_step(), "2026-11-24 09:00");

    let facts = book(&c.store);
    let week = the_week();
    let li = facts.indicators(&Scope::Unit(l), &week);
    assert_eq!((li.received, li.returned, li.returns_accepted, li.returns_refused, li.returns_counted()), (3, 3, 1, 1, 2));
    assert_eq!(li.return_rate(), Some(2.0 / 3.0), "two of three received count as 推诿");
    assert_eq!(li.stages[citygrid::assess::STAGE_RETURN], [2, 3], "the Tuesday return was late");
    assert_eq!(li.stages[citygrid::assess::STAGE_SIGN], [0, 1], "signed 110 working minutes after dispatch, 60 allowed");
    assert_eq!(li.stages[citygrid::assess::STAGE_ARRIVE], [1, 1]);
    assert_eq!(li.urged, 1);
    let mut counted = facts.cases(&Scope::Unit(l), &week, Measure::ReturnsCounted);
    counted.sort_unstable();
    assert_eq!(counted, vec![two.id, three.id], "the drill-down lists the refused and the unreviewed return");
    // Reviewed after the period's end, a return still counts for that period.
    let morning = Period::range(at("2026-11-23 00:00"), at("2026-11-23 09:45"));
    let ml = facts.indicators(&Scope::Unit(l), &morning);
    assert_eq!((ml.returned, ml.returns_accepted, ml.returns_counted()), (1, 0, 1), "accepted at 10:00, after the period");
}

/// Issue 16: each person at the centre and in the field is evaluated on the rates of their post
/// (GB/T 30428.4 / CJ/T 292 practice), from the steps the audit trail says they took. Computed
/// by hand:
///
/// | case | steps |
/// |---|---|
/// | 1 | collector reports Mon 08:30; intake files 08:45 (on time); dispatcher sends it to L 09:00 (on time); L handles 15:00; collector verifies 15:30 (on time); leader closes 16:00 (30 min after the check: on time) |
/// | 2 | reported 09:00; filed 09:50 (50 min: late); sent to W 10:00 (on time); W returns 10:30; redispatched to L 11:00 (the return accepted: the first dispatch was wrong); L handles Tue 09:00; verified Tue 11:00 (2 h: late); closed Tue 11:30 |
/// | 3 | reported 10:00; intake rejects it 10:10 (不予立案: not a valid report) |
/// | 4 | reported 10:30; filed 10:40 (on time); closed as erroneous 11:00 (误报: an inaccurate filing) |
/// | 5 | intake enters a hotline call 11:00 (the caller's contact kept); the leader does not file it 11:20 (不予立案); intake tells the caller Tue 09:00 (within 1 working day of 11:20: on time), who is satisfied |
///
/// - collector: valid reports 3 of 4 decided = 75 %, on-time checks 1 of 2 = 50 % → 62.5, 不合格;
/// - intake: valid reports 0 of 1 (the call was not filed), on-time filing 2 of 3, accurate filing
///   2 of 3, on-time replies 1 of 1 → (0 + 66.7 + 66.7 + 100) ÷ 4 = 58.3, 不合格;
/// - dispatcher: on-time dispatch 2 of 2 (the redispatch is not timed), accurate 2 of 3 → 83.3, 合格;
/// - shift leader: on-time close 2 of 2 (the erroneous close had no check to time it from) → 100, 优秀.
#[test]
fn each_person_is_evaluated_on_the_rates_of_their_post() {
    use citygrid::assess::{Grade, PersonRate};
    let mut c = centre();
    let (l, w) = (c.lighting.unit.expect("unit"), c.works.unit.expect("unit"));
    let (collector, intake, dispatcher, leader, lu, wu) =
        (c.collector.clone(), c.intake.clone(), c.dispatcher.clone(), c.leader.clone(), c.lighting.clone(), c.works.clone());
    let one = c.dispatched(None, "2026-11-23 08:30", "2026-11-23 08:45", "2026-11-23 09:00", l);
    let one = c.handle(&lu, &one, "2026-11-23 15:00");
    c.verify_and_close(&one, "2026-11-23 15:30", "2026-11-23 16:00");
    let two = c.dispatched(None, "2026-11-23 09:00", "2026-11-23 09:50", "2026-11-23 10:00", w);
    let two = c.step(&wu, &two, Action::ReturnToCentre { reason: "不是本单位的".into() }, "2026-11-23 10:30");
    let two = c.step(&dispatcher, &two, Action::Redispatch { unit: l, note: String::new() }, "2026-11-23 11:00");
    let two = c.handle(&lu, &two, "2026-11-24 09:00");
    c.verify_and_close(&two, "2026-11-24 11:00", "2026-11-24 11:30");
    let three = c.workflow.report_case(&mut c.store, &collector, lamp(None), at("2026-11-23 10:00")).expect("report").case;
    c.step(&intake, &three, Action::Reject { reason: "重复上报".into() }, "2026-11-23 10:10");
    let four = c.workflow.report_case(&mut c.store, &collector, lamp(None), at("2026-11-23 10:30")).expect("report").case;
    let four = c.step(&intake, &four, Action::File { note: String::new(), correction: None }, "2026-11-23 10:40");
    c.step(&leader, &four, Action::Close { close_type: CloseType::Erroneous, note: "误报".into() }, "2026-11-23 11:00");
    let call = NewCase { source: SourceChannel::Hotline12345, reporter_contact: Some("139****0001".into()), ..lamp(None) };
    let five = c.workflow.report_case(&mut c.store, &intake, call, at("2026-11-23 11:00")).expect("report").case;
    let five = c.step(&leader, &five, Action::Reject { reason: "非城管职责，已告知".into() }, "2026-11-23 11:20");
    let reply = Action::RecordReporterFeedback {
        told_at: at("2026-11-24 09:00"),
        channel: citygrid::model::FeedbackChannel::Phone,
        satisfaction: Some(citygrid::model::Satisfaction::Satisfied),
        note: String::new(),
    };
    c.step(&intake, &five, reply, "2026-11-24 09:05");

    let people = book(&c.store).people(&the_week());
    let row = |user: &User| people.iter().find(|person| person.user == user.id).expect("evaluated");
    let rate = |user: &User, rate: PersonRate| rate.value(&row(user).figures);
    let close = |value: Option<f64>, expected: f64| value.is_some_and(|value| (value - expected).abs() < 1e-9);

    assert_eq!(rate(&collector, PersonRate::ValidReports), Some(0.75));
    assert_eq!(rate(&collector, PersonRate::OnTimeVerification), Some(0.5));
    assert!(close(row(&collector).score, 62.5) && row(&collector).grade == Some(Grade::Fail), "{:?}", row(&collector));

    assert!(close(rate(&intake, PersonRate::OnTimeFiling), 2.0 / 3.0));
    assert!(close(rate(&intake, PersonRate::AccurateFiling), 2.0 / 3.0));
    assert_eq!(rate(&intake, PersonRate::ValidReports), Some(0.0), "the call was not filed");
    assert_eq!(rate(&intake, PersonRate::OnTimeReply), Some(1.0));
    assert!(close(row(&intake).score, (0.0 + 200.0 / 3.0 + 200.0 / 3.0 + 100.0) / 4.0), "{:?}", row(&intake));
    assert_eq!(row(&intake).grade, Some(Grade::Fail));

    assert_eq!((row(&dispatcher).figures.dispatches, row(&dispatcher).figures.dispatches_wrong), (3, 1));
    assert_eq!(rate(&dispatcher, PersonRate::OnTimeDispatch), Some(1.0));
    assert!(close(row(&dispatcher).score, 250.0 / 3.0) && row(&dispatcher).grade == Some(Grade::Pass), "{:?}", row(&dispatcher));

    assert_eq!(row(&leader).figures.close_timed, [2, 2]);
    assert!(close(row(&leader).score, 100.0) && row(&leader).grade == Some(Grade::Excellent), "{:?}", row(&leader));
    assert!(people.iter().all(|person| person.user != lu.id), "units are assessed as units, not per person");

    // A past period does not change: the morning of Monday saw one wrong dispatch not yet known
    // as wrong (the return was accepted at 11:00).
    let morning = Period::range(at("2026-11-23 00:00"), at("2026-11-23 10:45"));
    let early = book(&c.store).people(&morning);
    let dispatched = early.iter().find(|person| person.user == dispatcher.id).expect("dispatcher");
    assert_eq!((dispatched.figures.dispatches, dispatched.figures.dispatches_wrong), (2, 0));
}

/// Issue 16: the sections of an Art. 6 body roll up to it (区城管局 ← 路灯所, 市政所), and the
/// report carries both levels.
#[test]
fn sections_roll_up_to_their_department() {
    let week = week();
    let facts = book(&week.centre.store);
    let period = the_week();
    let (l, w) = (week.centre.lighting.unit.expect("unit"), week.centre.works.unit.expect("unit"));
    let cgj = unit_id(&week.centre.store, "CGJ");
    let bodies = facts.bodies(&period, &Weights::default());
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0].body, cgj);
    let mut sections = bodies[0].sections.clone();
    sections.sort_unstable();
    let mut expected = vec![l, w];
    expected.sort_unstable();
    assert_eq!(sections, expected);
    let (li, wi) = (facts.indicators(&Scope::Unit(l), &period), facts.indicators(&Scope::Unit(w), &period));
    let body = &bodies[0].indicators;
    assert_eq!(
        (body.received, body.due, body.closed_on_time, body.returned),
        (li.received + wi.received, li.due + wi.due, li.closed_on_time + wi.closed_on_time, li.returned + wi.returned)
    );
    let report = citygrid::assess::Assessment::compute(&facts, period, citygrid::assess::ReportOptions::default());
    assert_eq!(report.bodies, bodies);
    assert_eq!(report.ranking[0].units.len(), 2, "the sections keep their own ranking");
}

/// Issue 16: the scoring scheme kept in the database has per-case deductions — 2 points per
/// refused return by default, per overdue case and per rework when configured — and never goes
/// below 0; weights stored before the deductions existed read with the defaults.
#[test]
fn deductions_per_refused_return_overdue_case_and_rework() {
    use citygrid::assess::{Indicators, composite_score};
    let weights = Weights::default();
    let clean = Indicators::default();
    assert!((composite_score(&clean, 0, &weights) - 100.0).abs() < 1e-9);
    let refused = Indicators { received: 4, returned: 1, returns_refused: 1, ..Indicators::default() };
    // 100 − 0.3 × 25 (return rate) − 2 (one refused return).
    assert!((composite_score(&refused, 0, &weights) - 90.5).abs() < 1e-9, "{}", composite_score(&refused, 0, &weights));
    let late = Indicators { due: 3, closed: 3, closed_late: 3, verifications: 3, reworks: 1, ..Indicators::default() };
    let strict = Weights { per_overdue: 1.0, per_rework: 5.0, ..Weights::default() };
    // 0.3 × 100 + 0.4 × 0 + 0.3 × (100 − 33.3…) − 3 × 1 − 1 × 5.
    let expected = 30.0 + 0.3 * (100.0 - 100.0 / 3.0) - 8.0;
    assert!((composite_score(&late, 0, &strict) - expected).abs() < 1e-9);
    let harsh = Weights { per_overdue: 100.0, ..Weights::default() };
    assert!(composite_score(&late, 0, &harsh).abs() < 1e-9, "never below 0");
    let stored: Weights =
        serde_json::from_str(r#"{"closure":0.3,"on_time":0.4,"rework":0.3,"few_cases":0,"returns":0.3}"#).expect("old weights");
    assert!((stored.per_refused_return - 2.0).abs() < 1e-9 && stored.per_overdue == 0.0);
    assert!(Weights { per_rework: -1.0, ..Weights::default() }.validate().is_err());
}

/// Issue 16 (Art. 21): the reporters' satisfaction counts for the unit that handled the case:
/// 满意率 = 满意 or 基本满意 ÷ replies rated; a reply not rated counts as a reply only; the
/// dissatisfied ones drill down to their cases.
#[test]
fn the_reporters_satisfaction_counts_for_the_unit_that_handled_the_case() {
    use citygrid::model::{FeedbackChannel, Satisfaction};
    let mut c = centre();
    let l = c.lighting.unit.expect("unit");
    let (intake, dispatcher, lu) = (c.intake.clone(), c.dispatcher.clone(), c.lighting.clone());
    let mut ids = Vec::new();
    for (index, rating) in
        [Some(Satisfaction::Satisfied), Some(Satisfaction::Fair), Some(Satisfaction::Dissatisfied), None].into_iter().enumerate()
    {
        let call = NewCase { source: SourceChannel::Hotline12345, reporter_contact: Some(format!("139****000{index}")), ..lamp(None) };
        let case = c.workflow.report_case(&mut c.store, &intake, call, at("2026-11-23 08:30")).expect("report").case;
        let case = c.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:40");
        let case = c.step(&dispatcher, &case, Action::Dispatch { unit: l, note: String::new() }, "2026-11-23 08:50");
        let case = c.handle(&lu, &case, "2026-11-23 14:00");
        let case = c.verify_and_close(&case, "2026-11-23 14:30", "2026-11-23 15:00");
        let reply = Action::RecordReporterFeedback {
            told_at: at("2026-11-23 16:00"),
            channel: FeedbackChannel::Phone,
            satisfaction: rating,
            note: String::new(),
        };
        c.step(&intake, &case, reply, "2026-11-23 16:05");
        ids.push(case.id);
    }
    let facts = book(&c.store);
    let li = facts.indicators(&Scope::Unit(l), &the_week());
    assert_eq!((li.replies, li.replies_rated, li.replies_satisfied, li.replies_dissatisfied), (4, 3, 2, 1));
    assert_eq!(li.satisfaction_rate(), Some(2.0 / 3.0));
    assert_eq!(facts.cases(&Scope::Unit(l), &the_week(), Measure::RepliesDissatisfied), vec![ids[2]]);
    assert_eq!(facts.indicators(&Scope::District, &the_week()).replies, 4);
}
