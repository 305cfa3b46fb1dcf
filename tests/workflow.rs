//! The case workflow on a real database file: the life cycle with its audit trail, every kind of
//! refusal, rework, extensions, deferral and backlog pauses, all-or-nothing steps, routing, and
//! the demo district built through the same rules.

mod common;

use chrono::{NaiveDateTime, TimeDelta};
use citygrid::calendar::{DeadlineLight, LimitUnit, WorkCalendar, deadline_from};
use citygrid::model::{
    BacklogEnd, Case, CaseState, CaseSubject, CloseType, FeedbackChannel, ItemKind, JurisdictionKind, RequestDecision, RequestKind, Role,
    Satisfaction, SourceChannel, UnitId, Urgency, User,
};
use citygrid::spatial::JurisdictionIndex;
use citygrid::store::{ReferenceData, Store, StoreError};
use citygrid::workflow::{
    Action, ActionKind, ClockState, NewCase, Refusal, RoutingData, RoutingQuery, RoutingRule, Workflow, WorkflowError, allowed_actions,
    deadline_status, rules, suggest_unit,
};
use geo::Point;
use proptest::prelude::*;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid time")
}

/// Street lamp (0118) in the urban core: normal urgency, 3 working days; owned by the lighting section.
const LAMP: &str = "0118";
const HERE: Point<f64> = Point(geo::Coord { x: 118.3376, y: 29.8253 });

/// Accounts of the test centre.
struct People {
    intake: User,
    dispatcher: User,
    leader: User,
    collector: User,
    committee: User,
    admin: User,
    /// Unit operator of the street-lighting section (CGJ-LD).
    lighting: User,
    /// Unit operator of the municipal-works section (CGJ-SZ).
    works: User,
}

struct Centre {
    _dir: tempfile::TempDir,
    store: Store,
    workflow: Workflow,
    people: People,
}

fn unit_id(store: &Store, code: &str) -> UnitId {
    store.load_units().expect("units").into_iter().find(|unit| unit.code == code).map(|unit| unit.id).expect("unit exists")
}

/// A fresh database file with the reference data and one account per role.
fn centre() -> Centre {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("centre.gpkg");
    let mut store = Store::create(&path).expect("create");
    store.seed_reference_data(&ReferenceData::embedded().expect("assets"), "341004", "徽州区").expect("seed");
    let (lighting_unit, works_unit, committee_unit) = (unit_id(&store, "CGJ-LD"), unit_id(&store, "CGJ-SZ"), unit_id(&store, "CGW"));
    let people = store
        .write(|tx| {
            let user = |login: &str, name: &str, role: Role, unit: Option<UnitId>| {
                Store::insert_user(tx, login, name, role, unit).map(|id| User::new(id, login, name, role, unit))
            };
            Ok(People {
                intake: user("intake1", "受理员 王芳", Role::IntakeOperator, None)?,
                dispatcher: user("dispatch1", "派遣员 李强", Role::Dispatcher, None)?,
                leader: user("leader1", "值班长 张伟", Role::ShiftLeader, None)?,
                collector: user("collector1", "采集员 刘洋", Role::FieldCollector, None)?,
                committee: user("committee1", "城管委 赵敏", Role::CommitteeMember, Some(committee_unit))?,
                admin: user("admin", "系统管理员", Role::Administrator, None)?,
                lighting: user("unit_cgj_ld", "路灯所 周明", Role::UnitOperator, Some(lighting_unit))?,
                works: user("unit_cgj_sz", "市政所 陈静", Role::UnitOperator, Some(works_unit))?,
            })
        })
        .expect("users");
    store.write(|tx| Store::seal_new_accounts(tx, "test centre", None)).expect("accounts sealed");
    drop(store);
    // The same centre on the file or, in the suite's server run, on PostgreSQL.
    let store = common::pg::chosen_store(&path);
    let workflow = Workflow::load(&store).expect("workflow");
    Centre { _dir: dir, store, workflow, people }
}

fn lamp_report(location: Point<f64>, contact: Option<&str>) -> NewCase {
    NewCase {
        source: if contact.is_some() { SourceChannel::Hotline12345 } else { SourceChannel::Collector },
        subject: CaseSubject::Part,
        class_code: LAMP.into(),
        urgency: Urgency::Normal,
        location,
        part_code: None,
        grid_code: None,
        description: "路灯不亮（路灯）".into(),
        photos: vec!["report.jpg".into()],
        reporter_contact: contact.map(str::to_owned),
        address: String::new(),
    }
}

impl Centre {
    fn lighting_unit(&self) -> UnitId {
        self.people.lighting.unit.expect("bound")
    }

    fn report(&mut self, actor: &User, new_case: NewCase, now: &str) -> Case {
        self.workflow.report_case(&mut self.store, actor, new_case, at(now)).expect("report").case
    }

    fn step(&mut self, actor: &User, case: &Case, action: Action, now: &str) -> Result<Case, WorkflowError> {
        self.workflow.apply(&mut self.store, actor, case.id, case.revision, &action, at(now))
    }

    fn refused(&mut self, actor: &User, case: &Case, action: Action, now: &str) -> Refusal {
        match self.step(actor, case, action, now) {
            Err(WorkflowError::Refused(refusal)) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A lamp case filed Monday 2026-11-23 at 09:00 and dispatched to the lighting section at
    /// 09:00 (deadline: 3 working days, Thursday 09:00).
    fn dispatched_lamp(&mut self) -> Case {
        let (collector, intake, dispatcher) = (self.people.collector.clone(), self.people.intake.clone(), self.people.dispatcher.clone());
        let case = self.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
        let case = self.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:45").expect("file");
        let unit = self.lighting_unit();
        self.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:00").expect("dispatch")
    }

    fn events(&self, case: &Case) -> Vec<citygrid::model::CaseEvent> {
        self.store.case_events(case.id).expect("events")
    }

    fn reload(&self, case: &Case) -> Case {
        self.store.load_case(case.id).expect("load").expect("exists")
    }
}

#[test]
fn the_whole_life_of_a_case_leaves_one_audit_entry_per_step() {
    let mut centre = centre();
    let p = &centre.people;
    let (intake, dispatcher, lighting, collector, leader) =
        (p.intake.clone(), p.dispatcher.clone(), p.lighting.clone(), p.collector.clone(), p.leader.clone());
    let case = centre.report(&intake, lamp_report(HERE, Some("138****0001")), "2026-11-23 08:30");
    assert_eq!((case.state, case.revision), (CaseState::Reported, 1));
    assert_eq!(case.case_no, "202611230001");
    let case =
        centre.step(&intake, &case, Action::File { note: "符合立案条件".into(), correction: None }, "2026-11-23 08:40").expect("file");
    let unit = centre.lighting_unit();
    let case = centre.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:00").expect("dispatch");
    assert_eq!(case.unit, Some(unit));
    assert_eq!(case.deadline_at, Some(at("2026-11-26 09:00")), "3 working days");
    assert_eq!(case.limit_unit, Some(LimitUnit::WorkDays));
    let handled = Action::Handle { note: "更换灯泡".into(), photos: vec!["after.jpg".into()] };
    let case = centre.step(&lighting, &case, handled, "2026-11-24 10:00").expect("handle");
    assert_eq!(case.handled_at, Some(at("2026-11-24 10:00")));
    let case =
        centre.step(&collector, &case, Action::VerifyPass { note: "已亮".into(), photos: vec![] }, "2026-11-24 11:00").expect("verify");
    let case = centre
        .step(&leader, &case, Action::Close { close_type: CloseType::Normal, note: String::new() }, "2026-11-24 11:30")
        .expect("close");
    assert_eq!((case.state, case.close_type, case.closed_at), (CaseState::Closed, Some(CloseType::Normal), Some(at("2026-11-24 11:30"))));
    let feedback = Action::RecordReporterFeedback {
        told_at: at("2026-11-24 14:00"),
        channel: FeedbackChannel::Phone,
        satisfaction: Some(Satisfaction::Satisfied),
        note: "满意".into(),
    };
    let case = centre.step(&intake, &case, feedback, "2026-11-24 14:05").expect("feedback");
    assert_eq!(case.revision, 7, "one revision per step");
    assert_eq!(centre.reload(&case), case, "what apply returns is what is stored");

    let events = centre.events(&case);
    let trail: Vec<(&str, Option<CaseState>, CaseState, Option<i64>)> =
        events.iter().map(|event| (event.action.as_str(), event.from_state, event.to_state, event.actor_user_id)).collect();
    let p = &centre.people;
    assert_eq!(
        trail,
        vec![
            ("report", None, CaseState::Reported, Some(p.intake.id)),
            ("file", Some(CaseState::Reported), CaseState::Filed, Some(p.intake.id)),
            ("dispatch", Some(CaseState::Filed), CaseState::Dispatched, Some(p.dispatcher.id)),
            ("handle", Some(CaseState::Dispatched), CaseState::Handled, Some(p.lighting.id)),
            ("verify_pass", Some(CaseState::Handled), CaseState::Verified, Some(p.collector.id)),
            ("close", Some(CaseState::Verified), CaseState::Closed, Some(p.leader.id)),
            ("reporter_feedback", Some(CaseState::Closed), CaseState::Closed, Some(p.intake.id)),
        ]
    );
    assert_eq!(events[2].data["unit_id"], unit.0);
    assert_eq!(events[2].data["deadline_at"], "2026-11-26T01:00:00.000Z", "times in the data are UTC");
    assert_eq!(events[3].data["photos"][0], "after.jpg");
    assert_eq!(events[3].data["on_time"], true);
    assert_eq!(events[5].actor_name.as_deref(), Some("值班长 张伟"));
    let told = centre.store.reporter_feedback(case.id).expect("feedback");
    assert_eq!((told.len(), told[0].channel, told[0].told_at), (1, FeedbackChannel::Phone, at("2026-11-24 14:00")));
    let status = deadline_status(&case, centre.workflow.calendar(), at("2026-12-10 09:00"));
    assert_eq!((status.clock, status.light), (ClockState::Closed, Some(DeadlineLight::Green)));
}

#[test]
fn each_role_may_take_only_its_own_steps() {
    let mut centre = centre();
    let (dispatcher, admin, collector) = (centre.people.dispatcher.clone(), centre.people.admin.clone(), centre.people.collector.clone());
    let case = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    let refusal = centre.refused(&dispatcher, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:40");
    assert_eq!(
        refusal,
        Refusal::RoleNotAllowed {
            action: ActionKind::File,
            role: Role::Dispatcher,
            allowed: vec![Role::IntakeOperator, Role::ShiftLeader]
        }
    );
    assert_eq!(refusal.message(true), "“立案”须由受理员、值班长办理；您当前的角色是派遣员。");
    assert_eq!(refusal.message(false), "“File” can only be done by Intake operator or Shift leader; you are signed in as Dispatcher.");
    let refusal = centre.refused(&admin, &case, Action::Reject { reason: "重复".into() }, "2026-11-23 08:40");
    assert!(matches!(refusal, Refusal::RoleNotAllowed { role: Role::Administrator, .. }), "{refusal:?}");
    let error = centre
        .workflow
        .report_case(&mut centre.store, &dispatcher, lamp_report(HERE, None), at("2026-11-23 08:50"))
        .expect_err("dispatchers do not report");
    assert!(error.message(false).contains("“Report” can only be done by"), "{error}");
    assert_eq!(centre.events(&case).len(), 1, "refusals write nothing");
    assert_eq!(centre.reload(&case).revision, 1);
}

#[test]
fn every_role_outside_a_rows_list_is_refused_and_every_role_in_it_may_act() {
    let centre = centre();
    let p = &centre.people;
    let everyone = [&p.intake, &p.dispatcher, &p.leader, &p.collector, &p.committee, &p.admin, &p.lighting];
    // The unit operator who may report an assisting part is the assisting unit's.
    let assisting = [&p.intake, &p.dispatcher, &p.leader, &p.collector, &p.committee, &p.admin, &p.works];
    // A case never written, only asked about, dispatched to the lighting section, with the
    // municipal-works section assisting.
    let mut case = Case {
        id: 1,
        description: "路灯不亮".into(),
        unit: p.lighting.unit,
        assisting: vec![citygrid::model::Assist { unit: p.works.unit.expect("bound"), reported_at: None }],
        ..Case::reported(
            "202611230001".into(),
            SourceChannel::Collector,
            CaseSubject::Part,
            LAMP.into(),
            Urgency::Normal,
            HERE,
            at("2026-11-23 08:00"),
        )
    };
    for row in rules::TRANSITIONS.iter().filter(|row| row.action != ActionKind::Report) {
        for state in row.from {
            case.state = *state;
            case.pending_request = row.action.decides_request();
            let people = if row.action == ActionKind::AssistReport { assisting } else { everyone };
            for person in people {
                let may = allowed_actions(&centre.workflow, person, &case).contains(&row.action);
                assert_eq!(may, row.roles.contains(&person.role), "{:?} by {:?} in {:?}", row.action, person.role, state);
            }
        }
    }
}

#[test]
fn a_step_in_the_wrong_state_is_refused_naming_the_states_it_needs() {
    let mut centre = centre();
    let (collector, intake, lighting) = (centre.people.collector.clone(), centre.people.intake.clone(), centre.people.lighting.clone());
    let case = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    let case = centre.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:45").expect("file");
    let refusal = centre.refused(&collector, &case, Action::VerifyPass { note: String::new(), photos: vec![] }, "2026-11-23 09:00");
    assert_eq!(refusal, Refusal::WrongState { action: ActionKind::VerifyPass, state: CaseState::Filed, allowed: vec![CaseState::Handled] });
    assert_eq!(refusal.message(true), "“核查通过”只适用于待核查状态的案卷；本案卷当前为“已立案”。");
    let again = centre.refused(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 09:00");
    assert!(matches!(again, Refusal::WrongState { state: CaseState::Filed, .. }));
    // A unit operator meets the state rule before the unit rule.
    let handle = Action::Handle { note: "修好".into(), photos: vec![] };
    assert!(matches!(centre.refused(&lighting, &case, handle, "2026-11-23 09:00"), Refusal::WrongState { .. }));
}

#[test]
fn a_unit_operator_may_act_only_on_cases_dispatched_to_the_own_unit() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let works = centre.people.works.clone();
    let refusal = centre.refused(&works, &case, Action::Handle { note: "修好".into(), photos: vec![] }, "2026-11-23 10:00");
    assert!(matches!(refusal, Refusal::NotYourUnit { .. }), "{refusal:?}");
    let message = refusal.message(true);
    assert!(message.contains("区城管局路灯所") && message.contains("区城管局市政所"), "names both units: {message}");
    // A seat cannot claim another unit (or none): the account is judged as the file has it.
    let mut claims_other = works.clone();
    claims_other.unit = centre.people.lighting.unit;
    let refusal = centre.refused(&claims_other, &case, Action::Handle { note: "修好".into(), photos: vec![] }, "2026-11-23 10:00");
    assert!(matches!(refusal, Refusal::NotYourUnit { .. }), "{refusal:?}");
    let path = centre._dir.path().join("centre.gpkg");
    let refusal = common::while_unbound(&path, &works.login, || {
        centre.refused(&works, &case, Action::ReturnToCentre { reason: "不是我们的".into() }, "2026-11-23 10:00")
    });
    assert_eq!(refusal, Refusal::NotBoundToUnit { action: ActionKind::ReturnToCentre });
    assert_eq!(centre.reload(&case).state, CaseState::Dispatched);
}

#[test]
fn a_unit_can_return_a_case_only_with_a_reason_and_the_centre_redispatches_it() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let (lighting, works, dispatcher) = (centre.people.lighting.clone(), centre.people.works.clone(), centre.people.dispatcher.clone());
    let refusal = centre.refused(&lighting, &case, Action::ReturnToCentre { reason: "   ".into() }, "2026-11-23 10:00");
    assert_eq!(refusal, Refusal::ReasonRequired { action: ActionKind::ReturnToCentre });
    assert_eq!(refusal.message(true), "“回退”必须填写理由。");
    let case =
        centre.step(&lighting, &case, Action::ReturnToCentre { reason: "该灯杆属市政所管养".into() }, "2026-11-23 10:00").expect("return");
    // The row keeps the deadline (a refused return restores it), but no clock runs.
    assert_eq!((case.state, case.deadline_at), (CaseState::Returned, Some(at("2026-11-26 09:00"))));
    assert_eq!(deadline_status(&case, centre.workflow.calendar(), at("2026-11-23 10:05")).deadline_at, None);
    let works_unit = works.unit.expect("bound");
    let case = centre
        .step(&dispatcher, &case, Action::Redispatch { unit: works_unit, note: String::new() }, "2026-11-23 10:30")
        .expect("redispatch");
    assert_eq!((case.state, case.unit, case.dispatched_at), (CaseState::Dispatched, Some(works_unit), Some(at("2026-11-23 10:30"))));
    assert_eq!(case.deadline_at, Some(at("2026-11-26 10:30")), "a new clock for the new unit");
    centre
        .step(&works, &case, Action::Handle { note: "已修复".into(), photos: vec![] }, "2026-11-23 15:00")
        .expect("the new unit handles it");
    let events = centre.events(&case);
    assert_eq!(events[3].data["reason"], "该灯杆属市政所管养");
    assert_eq!(events[4].data["previous_unit_id"], centre.lighting_unit().0);
}

#[test]
fn a_stale_copy_is_refused_naming_who_changed_the_case_and_when() {
    let mut centre = centre();
    let (collector, intake, leader) = (centre.people.collector.clone(), centre.people.intake.clone(), centre.people.leader.clone());
    let reported = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    // The leader opens the case (revision 1); meanwhile the intake operator files it.
    centre.step(&intake, &reported, Action::File { note: String::new(), correction: None }, "2026-11-23 08:41").expect("file");
    let error = centre.step(&leader, &reported, Action::Reject { reason: "重复".into() }, "2026-11-23 08:45").expect_err("stale");
    let WorkflowError::Stale(stale) = &error else { panic!("expected stale, got {error:?}") };
    assert_eq!((stale.expected_revision, stale.current_revision), (1, 2));
    assert_eq!(stale.changed_by.as_deref(), Some("受理员 王芳"));
    assert_eq!(stale.changed_at, Some(at("2026-11-23 08:41")));
    assert_eq!(
        error.message(true),
        "案卷 202611230001 已于 2026-11-23 08:41 被受理员 王芳修改（立案），您看到的是旧版本（版本 1，当前版本 2）。请刷新后重试。"
    );
    assert!(error.to_string().contains("changed by 受理员 王芳 at 2026-11-23 08:41 (File)"), "{error}");
    assert_eq!(centre.reload(&reported).state, CaseState::Filed, "the stale step changed nothing");
    assert_eq!(centre.events(&reported).len(), 2);
}

#[test]
fn a_failed_verification_sends_the_case_back_to_the_same_unit_and_counts_rework() {
    let mut centre = centre();
    let mut case = centre.dispatched_lamp();
    let deadline = case.deadline_at;
    let (lighting, collector) = (centre.people.lighting.clone(), centre.people.collector.clone());
    for (round, (handled, checked)) in
        [("2026-11-23 11:00", "2026-11-23 14:30"), ("2026-11-24 09:00", "2026-11-24 10:00")].into_iter().enumerate()
    {
        case = centre.step(&lighting, &case, Action::Handle { note: "已处置".into(), photos: vec![] }, handled).expect("handle");
        let refusal = centre.refused(&collector, &case, Action::VerifyFail { reason: String::new(), photos: vec![] }, checked);
        assert_eq!(refusal, Refusal::ReasonRequired { action: ActionKind::VerifyFail });
        case = centre
            .step(&collector, &case, Action::VerifyFail { reason: "仍不亮".into(), photos: vec!["still-dark.jpg".into()] }, checked)
            .expect("fail");
        assert_eq!((case.state, case.unit, case.rework_count), (CaseState::Dispatched, Some(centre.lighting_unit()), round as u32 + 1));
        assert_eq!(case.deadline_at, deadline, "rework keeps the original deadline");
    }
    assert_eq!(centre.events(&case).last().expect("event").data["rework_count"], 2);
}

#[test]
fn an_approved_extension_moves_the_deadline_and_a_denied_one_does_not() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let (lighting, leader) = (centre.people.lighting.clone(), centre.people.leader.clone());
    let old_deadline = case.deadline_at.expect("deadline");
    let zero = Action::RequestExtension { amount: 0, unit: LimitUnit::WorkDays, reason: "缺配件".into() };
    assert_eq!(centre.refused(&lighting, &case, zero, "2026-11-24 09:00"), Refusal::ZeroExtension);
    let no_reason = Action::RequestExtension { amount: 2, unit: LimitUnit::WorkDays, reason: String::new() };
    assert_eq!(
        centre.refused(&lighting, &case, no_reason, "2026-11-24 09:00"),
        Refusal::ReasonRequired { action: ActionKind::RequestExtension }
    );
    let approve = Action::ApproveExtension { note: String::new() };
    assert!(matches!(
        centre.refused(&leader, &case, approve.clone(), "2026-11-24 09:00"),
        Refusal::NoPendingRequest { kind: RequestKind::Extension, .. }
    ));

    let request = Action::RequestExtension { amount: 2, unit: LimitUnit::WorkDays, reason: "灯具需外地采购".into() };
    let case = centre.step(&lighting, &case, request, "2026-11-24 09:00").expect("request");
    assert_eq!((case.pending_request, case.deadline_at, case.extended), (Some(RequestKind::Extension), Some(old_deadline), false));
    let deferral = Action::RequestDeferral { reason: "另案".into() };
    assert_eq!(
        centre.refused(&lighting, &case, deferral, "2026-11-24 09:10"),
        Refusal::RequestPending { action: ActionKind::RequestDeferral, pending: RequestKind::Extension }
    );
    assert!(
        matches!(centre.refused(&lighting, &case, approve.clone(), "2026-11-24 09:30"), Refusal::RoleNotAllowed { .. }),
        "a unit cannot approve"
    );
    let case = centre.step(&leader, &case, approve, "2026-11-24 09:30").expect("approve");
    let calendar = centre.workflow.calendar();
    assert_eq!(case.deadline_at, Some(deadline_from(calendar, old_deadline, 2, LimitUnit::WorkDays)));
    assert_eq!(case.deadline_at, Some(at("2026-11-30 09:00")), "Thursday 09:00 + 2 working days = Monday 09:00");
    assert!(case.extended && case.pending_request.is_none());
    let requests = centre.store.case_requests(case.id).expect("requests");
    assert_eq!((requests[0].decision, requests[0].extension), (Some(RequestDecision::Approved), Some((2, LimitUnit::WorkDays))));
    let status = deadline_status(&case, calendar, at("2026-11-27 09:00"));
    assert!(status.extended && status.label(true).ends_with("（已延期）"), "{status:?}");
    // Monday 09:00 to Friday 09:00 is 1,920 of the 2,400 working minutes now allowed: 80 %.
    assert_eq!((status.used_minutes, status.allowed_minutes, status.light), (1_920, 2_400, Some(DeadlineLight::Yellow)));

    // A second request, denied: the deadline stays.
    let request = Action::RequestExtension { amount: 1, unit: LimitUnit::WorkDays, reason: "再延一天".into() };
    let case = centre.step(&lighting, &case, request, "2026-11-27 10:00").expect("request");
    let deny = Action::DenyExtension { reason: String::new() };
    assert_eq!(centre.refused(&leader, &case, deny, "2026-11-27 10:30"), Refusal::ReasonRequired { action: ActionKind::DenyExtension });
    let case = centre.step(&leader, &case, Action::DenyExtension { reason: "理由不充分".into() }, "2026-11-27 10:30").expect("deny");
    assert_eq!((case.deadline_at, case.pending_request), (Some(at("2026-11-30 09:00")), None));
    assert_eq!(centre.store.case_requests(case.id).expect("requests")[1].decision, Some(RequestDecision::Denied));
}

#[test]
fn deferral_pauses_the_clock_and_resuming_moves_the_deadline_by_exactly_the_paused_working_time() {
    let mut centre = centre();
    let case = centre.dispatched_lamp(); // Monday 09:00, deadline Thursday 09:00
    let (lighting, leader, dispatcher) = (centre.people.lighting.clone(), centre.people.leader.clone(), centre.people.dispatcher.clone());
    let old_deadline = case.deadline_at.expect("deadline");
    let case = centre
        .step(&lighting, &case, Action::RequestDeferral { reason: "需结合管线迁改实施".into() }, "2026-11-23 10:00")
        .expect("request");
    let case = centre.step(&leader, &case, Action::ApproveDeferral { note: String::new() }, "2026-11-23 11:00").expect("approve");
    assert_eq!((case.state, case.paused_at), (CaseState::Deferred, Some(at("2026-11-23 11:00"))));
    let calendar = centre.workflow.calendar().clone();
    // Two days later the clock still shows the two working hours used before the pause.
    let status = deadline_status(&case, &calendar, at("2026-11-25 16:00"));
    assert_eq!((status.clock, status.used_minutes, status.allowed_minutes), (ClockState::Deferred, 120, 3 * 480));
    assert!(status.label(false).starts_with("Deferred"), "{}", status.label(false));

    let case = centre.step(&dispatcher, &case, Action::Resume { note: "条件具备".into() }, "2026-11-25 15:00").expect("resume");
    let paused = calendar.working_minutes_between(at("2026-11-23 11:00"), at("2026-11-25 15:00"));
    assert_eq!(paused, 60 + 240 + 480 + 240 + 60, "Mon 11–12, 14–18; Tue; Wed 8–12, 14–15");
    let new_deadline = case.deadline_at.expect("deadline");
    assert_eq!(calendar.working_minutes_between(old_deadline, new_deadline), paused);
    // Thursday 09:00 + 1,080 working minutes: Thu 420, Fri 480, Mon 08:00–11:00.
    assert_eq!(new_deadline, at("2026-11-30 11:00"));
    assert_eq!((case.state, case.paused_at, case.paused_minutes), (CaseState::Dispatched, None, paused));
    let status = deadline_status(&case, &calendar, at("2026-11-25 15:00"));
    assert_eq!(
        (status.clock, status.used_minutes, status.allowed_minutes),
        (ClockState::Running, 120, 3 * 480),
        "the pause neither used nor added time"
    );
    let resume_event = centre.events(&case).pop().expect("event");
    assert_eq!(resume_event.data["paused_minutes"], paused);
}

#[test]
fn a_backlogged_case_enters_the_ledger_and_leaves_it_when_restored() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let (lighting, leader, committee, collector) =
        (centre.people.lighting.clone(), centre.people.leader.clone(), centre.people.committee.clone(), centre.people.collector.clone());
    let case = centre
        .step(&lighting, &case, Action::RequestBacklog { reason: "产权不明，需城管委协调".into() }, "2026-11-25 10:00")
        .expect("request");
    let case = centre.step(&leader, &case, Action::ApproveBacklog { note: String::new() }, "2026-11-25 11:00").expect("approve");
    assert_eq!(case.state, CaseState::Backlog);
    let ledger = centre.store.backlog_ledger(true).expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0].case_no.as_str(), ledger[0].reason.as_str(), ledger[0].unit),
        (case.case_no.as_str(), "产权不明，需城管委协调", case.unit)
    );
    assert_eq!(deadline_status(&case, centre.workflow.calendar(), at("2026-12-01 09:00")).clock, ClockState::Backlog);
    assert!(matches!(
        centre.refused(&collector, &case, Action::RestoreFromBacklog { note: String::new() }, "2026-12-01 09:00"),
        Refusal::RoleNotAllowed { .. }
    ));
    let case = centre
        .step(&committee, &case, Action::RestoreFromBacklog { note: "协调会明确由路灯所处置".into() }, "2026-12-01 09:00")
        .expect("restore");
    assert_eq!(case.state, CaseState::Dispatched);
    assert!(case.deadline_at > Some(at("2026-11-26 09:00")), "the deadline moved by the paused time");
    assert!(centre.store.backlog_ledger(true).expect("ledger").is_empty());
    let all = centre.store.backlog_ledger(false).expect("ledger");
    assert_eq!((all[0].ended_how, all[0].ended_at), (Some(BacklogEnd::Restored), Some(at("2026-12-01 09:00"))));
}

#[test]
fn a_crash_in_the_middle_of_a_step_leaves_neither_the_case_row_nor_the_audit_entry() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let events_before = centre.events(&case).len();
    let lighting = centre.people.lighting.clone();
    let handle = Action::Handle { note: "已处置".into(), photos: vec![] };
    // The step succeeds inside the transaction, then something fails before the commit.
    let workflow = centre.workflow.clone();
    let result: Result<Case, WorkflowError> = centre.store.atomically(|tx| {
        let updated = workflow.apply_in(tx, &lighting, case.id, case.revision, &handle, at("2026-11-23 15:00"))?;
        assert_eq!(updated.state, CaseState::Handled, "written inside the transaction");
        Err(StoreError::BadRow { table: "cases", row: case.id, problem: "simulated crash before commit".into() }.into())
    });
    assert!(result.is_err());
    assert_eq!(centre.reload(&case), case, "the case row is as before");
    assert_eq!(centre.events(&case).len(), events_before, "no audit entry");

    // The audit insert itself fails after the case row was updated (an actor id that names no
    // user breaks the foreign key): the update goes too.
    let mut ghost = lighting.clone();
    ghost.id = 9_999;
    let error = centre.step(&ghost, &case, handle, "2026-11-23 15:00").expect_err("the audit entry cannot be written");
    assert!(matches!(error, WorkflowError::Store(_)), "{error:?}");
    assert_eq!(centre.reload(&case), case);
    assert_eq!(centre.events(&case).len(), events_before);
}

#[test]
fn cancellation_needs_a_request_and_a_shift_leaders_approval() {
    let mut centre = centre();
    let (collector, intake, leader) = (centre.people.collector.clone(), centre.people.intake.clone(), centre.people.leader.clone());
    let case = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    assert!(matches!(
        centre.refused(&leader, &case, Action::ApproveCancel { note: String::new() }, "2026-11-23 08:40"),
        Refusal::NoPendingRequest { kind: RequestKind::Cancel, .. }
    ));
    let case = centre.step(&intake, &case, Action::RequestCancel { reason: "测试数据误报".into() }, "2026-11-23 08:40").expect("request");
    assert_eq!(
        centre.refused(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:41"),
        Refusal::RequestPending { action: ActionKind::File, pending: RequestKind::Cancel }
    );
    assert!(matches!(
        centre.refused(&intake, &case, Action::ApproveCancel { note: String::new() }, "2026-11-23 08:42"),
        Refusal::RoleNotAllowed { .. }
    ));
    let case = centre.step(&leader, &case, Action::ApproveCancel { note: String::new() }, "2026-11-23 08:50").expect("approve");
    assert_eq!((case.state, case.closed_at), (CaseState::Cancelled, Some(at("2026-11-23 08:50"))));
    assert_eq!(deadline_status(&case, centre.workflow.calendar(), at("2026-11-23 09:00")).clock, ClockState::Void);
}

#[test]
fn a_normal_close_needs_a_passed_check_and_late_handling_closes_as_overdue() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let (lighting, collector, leader) = (centre.people.lighting.clone(), centre.people.collector.clone(), centre.people.leader.clone());
    let normal = Action::Close { close_type: CloseType::Normal, note: String::new() };
    assert_eq!(
        centre.refused(&leader, &case, normal.clone(), "2026-11-23 10:00"),
        Refusal::CloseNeedsVerification { state: CaseState::Dispatched }
    );
    let erroneous = Action::Close { close_type: CloseType::Erroneous, note: String::new() };
    assert_eq!(centre.refused(&leader, &case, erroneous, "2026-11-23 10:00"), Refusal::ReasonRequired { action: ActionKind::Close });
    // Handled on Friday, a day after the Thursday 09:00 deadline.
    let case = centre.step(&lighting, &case, Action::Handle { note: "已修复".into(), photos: vec![] }, "2026-11-27 10:00").expect("handle");
    assert_eq!(centre.events(&case).last().expect("event").data["on_time"], false);
    let status = deadline_status(&case, centre.workflow.calendar(), at("2026-11-30 09:00"));
    assert_eq!((status.clock, status.light), (ClockState::Stopped, Some(DeadlineLight::Red)));
    // Monday 09:00 to Friday 10:00: 420 + 3 × 480 + 120 = 1,980 of 1,440 working minutes.
    assert_eq!(status.overrun_ratio, Some(1_980.0 / 1_440.0));
    let case =
        centre.step(&collector, &case, Action::VerifyPass { note: String::new(), photos: vec![] }, "2026-11-27 11:00").expect("verify");
    let case = centre.step(&leader, &case, normal, "2026-11-27 11:30").expect("close");
    assert_eq!(case.close_type, Some(CloseType::Overdue), "overdue is decided by the deadline, not by the leader");
}

#[test]
fn an_erroneous_close_of_a_deferred_case_ends_its_pause() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let (lighting, leader) = (centre.people.lighting.clone(), centre.people.leader.clone());
    let case = centre.step(&lighting, &case, Action::RequestDeferral { reason: "待拆迁".into() }, "2026-11-23 10:00").expect("request");
    let case = centre.step(&leader, &case, Action::ApproveDeferral { note: String::new() }, "2026-11-23 10:30").expect("approve");
    let close = Action::Close { close_type: CloseType::Special, note: "整片拆迁，设施已拆除".into() };
    let case = centre.step(&leader, &case, close, "2026-12-01 09:00").expect("special close");
    assert_eq!((case.state, case.close_type, case.paused_at), (CaseState::Closed, Some(CloseType::Special), None));
}

#[test]
fn reporter_feedback_needs_a_reporter_and_a_time_that_has_passed() {
    let mut centre = centre();
    let (collector, intake) = (centre.people.collector.clone(), centre.people.intake.clone());
    let silent = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    let feedback = |told: &str| Action::RecordReporterFeedback {
        told_at: at(told),
        channel: FeedbackChannel::Sms,
        satisfaction: None,
        note: String::new(),
    };
    assert_eq!(centre.refused(&intake, &silent, feedback("2026-11-23 09:00"), "2026-11-23 09:00"), Refusal::NoReporterContact);
    let citizen = centre.report(&intake, lamp_report(Point::new(118.35, 29.83), Some("139****1234")), "2026-11-23 08:35");
    assert_eq!(
        centre.refused(&intake, &citizen, feedback("2026-11-23 12:00"), "2026-11-23 09:00"),
        Refusal::TimeInFuture { at: at("2026-11-23 12:00") }
    );
    let citizen = centre.step(&intake, &citizen, feedback("2026-11-23 08:55"), "2026-11-23 09:00").expect("feedback");
    assert_eq!(citizen.state, CaseState::Reported, "feedback does not move the case");
    assert_eq!(centre.store.reporter_feedback(citizen.id).expect("feedback")[0].channel, FeedbackChannel::Sms);
}

#[test]
fn a_new_report_warns_of_an_open_case_of_the_same_class_within_50_metres() {
    let mut centre = centre();
    let collector = centre.people.collector.clone();
    let first = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    // 20 m north: a likely duplicate.
    let near = Point::new(HERE.x(), HERE.y() + 20.0 / 111_320.0);
    let second =
        centre.workflow.report_case(&mut centre.store, &collector, lamp_report(near, None), at("2026-11-23 08:40")).expect("report");
    assert_eq!(second.possible_duplicates.len(), 1);
    assert_eq!(second.possible_duplicates[0].case_no, first.case_no);
    assert!((second.possible_duplicates[0].distance_m - 20.0).abs() < 0.5, "{:?}", second.possible_duplicates);
    assert_eq!(second.case.case_no, "202611230002", "numbered per day");
    // 80 m away, or another class, or a closed case: no warning.
    let far = Point::new(HERE.x(), HERE.y() + 80.0 / 111_320.0);
    assert!(
        centre
            .workflow
            .report_case(&mut centre.store, &collector, lamp_report(far, None), at("2026-11-23 08:50"))
            .expect("report")
            .possible_duplicates
            .is_empty()
    );
    let mut cover = lamp_report(HERE, None);
    cover.class_code = "0102".into();
    assert!(
        centre
            .workflow
            .report_case(&mut centre.store, &collector, cover, at("2026-11-23 08:55"))
            .expect("report")
            .possible_duplicates
            .is_empty()
    );
    let tomorrow =
        centre.workflow.report_case(&mut centre.store, &collector, lamp_report(HERE, None), at("2026-11-24 08:00")).expect("report");
    assert_eq!(tomorrow.case.case_no, "202611240001");
    assert_eq!(tomorrow.possible_duplicates.len(), 2, "both open lamp cases nearby");
    let events = centre.events(&tomorrow.case);
    assert_eq!(events[0].data["possible_duplicates"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_report_is_checked_against_the_command_manual() {
    let mut centre = centre();
    let collector = centre.people.collector.clone();
    let mut unknown = lamp_report(HERE, None);
    unknown.class_code = "0199".into();
    let error = centre.workflow.report_case(&mut centre.store, &collector, unknown, at("2026-11-23 08:30")).expect_err("unknown class");
    assert_eq!(error.message(true), "指挥手册中没有部件小类 0199。");
    let mut mismatch = lamp_report(HERE, None);
    mismatch.part_code = citygrid::model::PartCode::parse("3410040102000001").ok();
    let error = centre.workflow.report_case(&mut centre.store, &collector, mismatch, at("2026-11-23 08:30")).expect_err("mismatch");
    assert!(matches!(error.refusal(), Some(Refusal::PartClassMismatch { .. })), "{error:?}");
    let mut blank = lamp_report(HERE, None);
    blank.description = " ".into();
    let error = centre.workflow.report_case(&mut centre.store, &collector, blank, at("2026-11-23 08:30")).expect_err("blank");
    assert!(matches!(error.refusal(), Some(Refusal::DescriptionRequired)));
    assert!(centre.store.load_cases().expect("cases").is_empty(), "nothing written");
}

#[test]
fn the_warning_light_turns_yellow_at_80_percent_and_red_when_overdue() {
    let mut centre = centre();
    let case = centre.dispatched_lamp(); // 3 × 480 working minutes from Monday 09:00
    let calendar = centre.workflow.calendar();
    let light_at = |now: &str| deadline_status(&case, calendar, at(now));
    assert_eq!(light_at("2026-11-24 09:00").light, Some(DeadlineLight::Green));
    // Wednesday 17:00: Mon 420 + Tue 480 + Wed 420 = 1,320 of 1,440 working minutes (92 %).
    let wednesday = light_at("2026-11-25 17:00");
    assert_eq!(wednesday.used_minutes, 1_320);
    assert_eq!(wednesday.light, Some(DeadlineLight::Yellow), "{wednesday:?}");
    let friday = light_at("2026-11-27 09:00");
    assert_eq!((friday.light, friday.remaining_minutes()), (Some(DeadlineLight::Red), -480));
    assert!(friday.is_overdue() && friday.label(true) == "红灯");
    assert_eq!(friday.overrun_ratio, Some(4.0 / 3.0));
    let status = deadline_status(&centre.reload(&case), calendar, at("2026-11-27 09:00"));
    assert_eq!(status, friday);
}

#[test]
fn routing_sends_parts_to_their_owner_and_events_to_the_zone_or_the_manuals_unit() {
    let (_dir, path, _) = common::small_demo(3_000, 0);
    let store = Store::open(&path).expect("open");
    let (manual, units, jurisdictions, parts) = (
        store.load_manual().expect("manual"),
        store.load_units().expect("units"),
        store.load_jurisdictions().expect("j"),
        store.load_parts().expect("parts"),
    );
    let index = JurisdictionIndex::new(&jurisdictions);
    let data = RoutingData { manual: &manual, units: &units, jurisdictions: &jurisdictions, index: &index, parts: &parts, precedents: &[] };
    let code_of = |id: UnitId| units.iter().find(|unit| unit.id == id).map(|unit| unit.code.clone()).unwrap_or_default();
    let on = common::as_of().date();

    // A part: its owner, owner first.
    let part = parts.iter().find(|part| part.owner_unit.is_some() && part.code.class_code() == LAMP).expect("a lamp");
    let location = citygrid::spatial::anchor_of(part);
    let query = RoutingQuery { kind: ItemKind::Part, class_code: LAMP, location, part_code: Some(part.code), on };
    let suggestion = suggest_unit(&data, &query).expect("suggestion");
    assert_eq!((Some(suggestion.unit), suggestion.rule), (part.owner_unit, RoutingRule::PartOwner));
    assert!(
        suggestion.reason_zh.starts_with("部件按“先属主、后属地”") && suggestion.reason_zh.contains(&part.code.to_string()),
        "{}",
        suggestion.reason_zh
    );
    assert!(suggestion.reason_en.starts_with("Owner first (owner → zone → manual → area)"), "{}", suggestion.reason_en);
    assert!(suggestion.alternatives.iter().any(|candidate| candidate.rule == RoutingRule::Area), "the local office is the last resort");

    // An event in the park: the greening section's zone (same department as sanitation), territory first.
    let park = jurisdictions.iter().find(|j| j.kind == JurisdictionKind::UnitZone && j.name == "丰乐公园").expect("park");
    let inside = geo::InteriorPoint::interior_point(&park.geometry).expect("a point inside");
    let garbage =
        manual.entries.iter().find(|entry| entry.kind == ItemKind::Event && entry.default_unit == "CGJ-HW").expect("a sanitation event");
    let query = RoutingQuery { kind: ItemKind::Event, class_code: &garbage.code, location: inside, part_code: None, on };
    let suggestion = suggest_unit(&data, &query).expect("suggestion");
    assert_eq!((code_of(suggestion.unit).as_str(), suggestion.rule), ("CGJ-YL", RoutingRule::Zone), "{suggestion:?}");
    // The reason names the order applied: zone, part owner, manual, area (issue 16, item 4).
    assert!(
        suggestion.reason_zh.contains("丰乐公园")
            && suggestion.reason_zh.starts_with("事件按“先责任区、后权属”（责任区→部件权属→手册→属地）"),
        "{}",
        suggestion.reason_zh
    );
    assert_eq!(code_of(suggestion.alternatives[0].unit), "CGJ-HW", "then the manual's unit");
    let last = suggestion.alternatives.last().expect("alternatives");
    assert_eq!(last.rule, RoutingRule::Area, "the local office comes last, as the reason says");

    // Issue 16, item 4: street vending and illegal building in the park need enforcement powers,
    // which the greening section lacks: the enforcement brigade, not the zone's holder.
    for class in ["0505", "0107"] {
        let entry = manual.entries.iter().find(|entry| entry.kind == ItemKind::Event && entry.code == class).expect("class");
        assert_eq!(entry.default_unit, "CGJ-ZF");
        let query = RoutingQuery { kind: ItemKind::Event, class_code: class, location: inside, part_code: None, on };
        let suggestion = suggest_unit(&data, &query).expect("suggestion");
        assert_eq!((code_of(suggestion.unit).as_str(), suggestion.rule), ("CGJ-ZF", RoutingRule::Manual), "{class}: {suggestion:?}");
        assert!(suggestion.alternatives.iter().all(|candidate| code_of(candidate.unit) != "CGJ-YL"), "{class}: {suggestion:?}");
    }

    // Illegal parking in the park: the zone is not traffic police's, so the manual decides.
    let query = RoutingQuery { kind: ItemKind::Event, class_code: "0503", location: inside, part_code: None, on };
    let suggestion = suggest_unit(&data, &query).expect("suggestion");
    assert_eq!((code_of(suggestion.unit).as_str(), suggestion.rule), ("GAJ-JJ", RoutingRule::Manual));
}

#[test]
fn the_demo_district_runs_every_case_through_the_workflow() {
    let (_dir, path, summary) = common::small_demo(500, 150);
    let store = Store::open(&path).expect("open");
    assert_eq!(store.schema_version().expect("version"), citygrid::store::schema::CURRENT_VERSION);
    let cases = store.load_cases().expect("cases");
    assert_eq!(cases.len(), summary.cases);
    let mut actions = std::collections::BTreeSet::new();
    for case in &cases {
        let events = store.case_events(case.id).expect("events");
        assert_eq!(events.len() as u32, case.revision, "case {}: one revision per step", case.case_no);
        assert_eq!((events[0].action.as_str(), events[0].from_state), ("report", None));
        for pair in events.windows(2) {
            assert_eq!(pair[1].from_state, Some(pair[0].to_state), "case {}: the trail has no gaps", case.case_no);
            assert!(pair[1].at >= pair[0].at, "case {}: steps in time order", case.case_no);
        }
        assert_eq!(events.last().map(|event| event.to_state), Some(case.state));
        assert!(events.iter().all(|event| event.actor_user_id.is_some() && event.at <= common::as_of()));
        actions.extend(events.iter().map(|event| event.action.clone()));
        if case.state == CaseState::Dispatched {
            assert!(case.deadline_at.is_some() && case.limit_unit.is_some());
        }
    }
    for action in ["report", "file", "dispatch", "handle", "verify_pass", "close"] {
        assert!(actions.contains(action), "{action} missing from {actions:?}");
    }
    let leader = store.authenticate("leader1", citygrid::demo::DEMO_PASSWORD).expect("demo sign-in");
    assert_eq!(leader.role, Role::ShiftLeader);
    let works = store.authenticate("unit_cgj_sz", citygrid::demo::DEMO_PASSWORD).expect("unit sign-in");
    assert_eq!((works.role, works.unit.is_some()), (Role::UnitOperator, true));
    assert!(store.authenticate("leader1", "wrong password").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deadlines never end on a listed day off, and make-up working days (调休) count.
    #[test]
    fn deadlines_skip_listed_days_off_and_use_make_up_days(offset_min in 0_i64..(3 * 365 * 1440), minutes in 1_i64..20_000) {
        let calendar = WorkCalendar::office_hours();
        let start = at("2024-01-01 00:00") + TimeDelta::minutes(offset_min);
        let deadline = calendar.add_working_minutes(start, minutes);
        let last_counted = deadline - TimeDelta::nanoseconds(1);
        prop_assert_ne!(calendar.holidays().is_off_day(last_counted.date()), Some(true));
        prop_assert!(calendar.is_working_day(last_counted.date()));
        prop_assert_eq!(calendar.working_minutes_between(start, deadline), minutes);
    }
}

#[test]
fn every_listed_day_off_counts_nothing_and_every_make_up_day_a_full_day() {
    let calendar = WorkCalendar::office_hours();
    let mut make_up_days = 0;
    for (date, is_off_day, name) in calendar.holidays().entries() {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
        let worked = calendar.working_minutes_between(midnight, midnight + TimeDelta::days(1));
        assert_eq!(worked, if is_off_day { 0 } else { 480 }, "{date} {name}");
        make_up_days += usize::from(!is_off_day);
    }
    assert!(make_up_days > 5, "the embedded years list make-up days");
}

/// Issue 16, item 6: a field collector's report is a collector's report. It used to be filed
/// as a 12319 call by default (and a collector could claim any channel), which hides who found
/// what from the per-person assessment.
#[test]
fn a_report_comes_through_the_channel_of_the_role_that_makes_it() {
    let mut centre = centre();
    let (collector, intake) = (centre.people.collector.clone(), centre.people.intake.clone());
    let mut claimed = lamp_report(HERE, None);
    claimed.source = SourceChannel::Hotline12319;
    let error = centre.workflow.report_case(&mut centre.store, &collector, claimed, at("2026-11-23 08:30")).expect_err("refused");
    assert!(matches!(error.refusal(), Some(Refusal::SourceNotForRole { role: Role::FieldCollector, .. })), "{error:?}");
    assert!(error.message(true).contains("信息采集员"), "{}", error.message(true));
    let mut found = lamp_report(HERE, None);
    found.source = SourceChannel::Collector;
    let error = centre.workflow.report_case(&mut centre.store, &intake, found.clone(), at("2026-11-23 08:30")).expect_err("refused");
    assert!(matches!(error.refusal(), Some(Refusal::SourceNotForRole { role: Role::IntakeOperator, .. })), "{error:?}");
    let reported = centre.workflow.report_case(&mut centre.store, &collector, found, at("2026-11-23 08:30")).expect("a collector's find");
    assert_eq!(reported.case.source, SourceChannel::Collector);
    // The new-case form opens on the role's own channel.
    assert_eq!(citygrid::ui::new_case::NewCaseForm::for_role(Role::FieldCollector).source, SourceChannel::Collector);
    assert_eq!(citygrid::ui::new_case::NewCaseForm::for_role(Role::IntakeOperator).source, SourceChannel::Hotline12319);
}

/// Issue 16, item 2: a case due Thursday 09:00 whose unit asks for a 3-day extension on Friday,
/// after the deadline, used to get it approved and count as handled on time. Art. 26 counts an
/// approved extension as on time only when asked for in time: the late request is refused, and
/// so is a late deferral.
#[test]
fn an_extension_or_deferral_asked_for_after_the_deadline_is_refused() {
    let mut centre = centre();
    let case = centre.dispatched_lamp();
    let lighting = centre.people.lighting.clone();
    let deadline = case.deadline_at.expect("deadline");
    assert_eq!(deadline, at("2026-11-26 09:00"));
    let late = Action::RequestExtension { amount: 3, unit: LimitUnit::WorkDays, reason: "灯具需外地采购".into() };
    let refused = centre.refused(&lighting, &case, late.clone(), "2026-11-27 10:00");
    assert_eq!(refused, Refusal::RequestAfterDeadline { action: ActionKind::RequestExtension, deadline });
    assert!(refused.message(true).contains("超期后的申请不能使超期案卷变为按期"), "{}", refused.message(true));
    let deferral = Action::RequestDeferral { reason: "另案".into() };
    assert!(matches!(centre.refused(&lighting, &case, deferral, "2026-11-27 10:00"), Refusal::RequestAfterDeadline { .. }));
    // In time, the same request is taken.
    centre.step(&lighting, &case, late, "2026-11-26 08:59").expect("asked before the deadline");
}

/// Issue 16: 签收 and 到场 with their times, the centre's 催办 and 督办, each with its audit entry;
/// the signing clock shows until the unit signs; a second signing or arrival, a step by another
/// unit, a bad GPS position and supervision without a reason are refused.
#[test]
fn a_unit_signs_for_and_arrives_and_the_centre_urges_and_supervises() {
    let mut centre = centre();
    let p = &centre.people;
    let (lighting, works, dispatcher, leader) = (p.lighting.clone(), p.works.clone(), p.dispatcher.clone(), p.leader.clone());
    let case = centre.dispatched_lamp(); // Monday 09:00
    let limits = centre.workflow.manual().stage_limits.clone();
    let calendar = centre.workflow.calendar().clone();
    // Signing: 1 working hour from dispatch.
    let sign = citygrid::workflow::stage_clock(&case, &limits, &calendar, at("2026-11-23 09:30")).expect("a signing clock");
    assert_eq!((sign.stage, sign.light, sign.remaining_minutes()), (citygrid::model::Stage::Sign, DeadlineLight::Green, 30));
    let late = citygrid::workflow::stage_clock(&case, &limits, &calendar, at("2026-11-23 11:00")).expect("a signing clock");
    assert_eq!((late.light, late.remaining_minutes()), (DeadlineLight::Red, -60));

    assert!(matches!(
        centre.refused(&works, &case, Action::SignFor { note: String::new() }, "2026-11-23 09:20"),
        Refusal::NotYourUnit { .. }
    ));
    let case = centre.step(&lighting, &case, Action::SignFor { note: "收到".into() }, "2026-11-23 09:20").expect("sign");
    assert_eq!((case.state, case.signed_at), (CaseState::Dispatched, Some(at("2026-11-23 09:20"))));
    assert_eq!(citygrid::workflow::stage_clock(&case, &limits, &calendar, at("2026-11-23 11:00")), None, "signed: no signing clock");
    assert_eq!(
        centre.refused(&lighting, &case, Action::SignFor { note: String::new() }, "2026-11-23 09:25"),
        Refusal::AlreadySigned { at: at("2026-11-23 09:20") }
    );
    let far_away = Action::Arrive { note: String::new(), photos: vec![], location: Some([218.0, 29.8]) };
    assert!(matches!(centre.refused(&lighting, &case, far_away, "2026-11-23 10:00"), Refusal::BadLocation { .. }));
    let arrive = Action::Arrive { note: "到达现场".into(), photos: vec!["site.jpg".into()], location: Some([118.3376, 29.8253]) };
    let case = centre.step(&lighting, &case, arrive.clone(), "2026-11-23 10:00").expect("arrive");
    assert_eq!(case.arrived_at, Some(at("2026-11-23 10:00")));
    assert!(matches!(centre.refused(&lighting, &case, arrive, "2026-11-23 10:10"), Refusal::AlreadyArrived { .. }));

    // The centre urges twice; a unit cannot urge; supervision needs a reason and happens once.
    assert!(matches!(
        centre.refused(&lighting, &case, Action::Urge { note: String::new() }, "2026-11-24 09:00"),
        Refusal::RoleNotAllowed { .. }
    ));
    let case = centre.step(&dispatcher, &case, Action::Urge { note: "请加快".into() }, "2026-11-24 09:00").expect("urge");
    let case = centre.step(&dispatcher, &case, Action::Urge { note: String::new() }, "2026-11-25 09:00").expect("urge again");
    assert_eq!(case.urge_count, 2);
    assert_eq!(
        centre.refused(&leader, &case, Action::Supervise { reason: " ".into() }, "2026-11-25 10:00"),
        Refusal::ReasonRequired { action: ActionKind::Supervise }
    );
    let case = centre.step(&leader, &case, Action::Supervise { reason: "群众反映强烈".into() }, "2026-11-25 10:00").expect("supervise");
    assert_eq!(case.supervised_at, Some(at("2026-11-25 10:00")));
    assert!(matches!(
        centre.refused(&leader, &case, Action::Supervise { reason: "再次".into() }, "2026-11-25 11:00"),
        Refusal::AlreadySupervised { .. }
    ));
    // An extension request pending does not stop the centre urging.
    let request = Action::RequestExtension { amount: 1, unit: LimitUnit::WorkDays, reason: "配件".into() };
    let case = centre.step(&lighting, &case, request, "2026-11-25 11:00").expect("request");
    let case = centre.step(&dispatcher, &case, Action::Urge { note: String::new() }, "2026-11-25 11:30").expect("urge while pending");
    assert_eq!(case.urge_count, 3);

    let actions: Vec<String> = centre.events(&case).iter().map(|event| event.action.clone()).collect();
    assert_eq!(
        actions,
        ["report", "file", "dispatch", "sign", "arrive", "urge", "urge", "supervise", "request_extension", "urge"].map(String::from)
    );
    let arrive_event = &centre.events(&case)[4];
    assert_eq!(arrive_event.data["location"], serde_json::json!([118.3376, 29.8253]));
    assert_eq!(arrive_event.data["within_limit"], serde_json::json!(true));
    assert_eq!(arrive_event.actor_user_id, Some(lighting.id));
    // The trail and every case row agree (this fixture's accounts are written without a seal).
    let report = centre.store.verify_audit(None).expect("verify");
    assert!(report.breaks.is_empty() && report.cases.is_empty(), "{report:?}");
    assert_eq!(centre.reload(&case), case);
}

/// Issue 16: the centre reviews a return. Sending the case back to the unit that returned it is
/// refusing the return — the deadline set at dispatch stays, time did not stop — and a plain
/// redispatch to that unit (a fresh deadline) is refused.
#[test]
fn a_refused_return_puts_the_case_back_under_its_first_deadline() {
    let mut centre = centre();
    let p = &centre.people;
    let (lighting, dispatcher) = (p.lighting.clone(), p.dispatcher.clone());
    let case = centre.dispatched_lamp(); // deadline Thursday 09:00
    let deadline = case.deadline_at;
    // 3 working hours after dispatch: later than the 2 allowed for a return.
    let case = centre.step(&lighting, &case, Action::ReturnToCentre { reason: "不是本单位的".into() }, "2026-11-23 15:00").expect("return");
    assert_eq!(deadline_status(&case, centre.workflow.calendar(), at("2026-11-23 15:10")).clock, ClockState::NotStarted);
    let unit = centre.lighting_unit();
    assert!(matches!(
        centre.refused(&dispatcher, &case, Action::Redispatch { unit, note: String::new() }, "2026-11-24 09:00"),
        Refusal::RedispatchToReturningUnit { .. }
    ));
    assert_eq!(
        centre.refused(&dispatcher, &case, Action::RefuseReturn { reason: String::new() }, "2026-11-24 09:00"),
        Refusal::ReasonRequired { action: ActionKind::RefuseReturn }
    );
    let case =
        centre.step(&dispatcher, &case, Action::RefuseReturn { reason: "路灯属路灯所养护".into() }, "2026-11-26 10:00").expect("refuse");
    assert_eq!((case.state, case.unit, case.deadline_at), (CaseState::Dispatched, Some(unit), deadline));
    let status = deadline_status(&case, centre.workflow.calendar(), at("2026-11-26 10:00"));
    assert_eq!((status.clock, status.light), (ClockState::Running, Some(DeadlineLight::Red)), "Thursday 10:00 is past the deadline");
    let events = centre.events(&case);
    assert_eq!(events[3].data["within_limit"], serde_json::json!(false), "returned late");
    assert_eq!(events[4].data["overdue"], serde_json::json!(true));
    // The trail and every case row agree (this fixture's accounts are written without a seal).
    let report = centre.store.verify_audit(None).expect("verify");
    assert!(report.breaks.is_empty() && report.cases.is_empty(), "{report:?}");
}

/// Issue 16: every stage a case waits in has its clock — filing (30 min), dispatch (30 min),
/// verification (1 h), close (1 working day) — not only handling.
#[test]
fn filing_dispatch_and_verification_have_their_own_lights() {
    let mut centre = centre();
    let p = &centre.people;
    let (collector, intake, dispatcher, lighting) = (p.collector.clone(), p.intake.clone(), p.dispatcher.clone(), p.lighting.clone());
    let limits = centre.workflow.manual().stage_limits.clone();
    let calendar = centre.workflow.calendar().clone();
    let clock = |case: &Case, now: &str| citygrid::workflow::stage_clock(case, &limits, &calendar, at(now)).map(|c| (c.stage, c.light));
    use citygrid::model::Stage;
    let case = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    assert_eq!(clock(&case, "2026-11-23 08:50"), Some((Stage::File, DeadlineLight::Green)));
    assert_eq!(clock(&case, "2026-11-23 08:56"), Some((Stage::File, DeadlineLight::Yellow)));
    assert_eq!(clock(&case, "2026-11-23 09:01"), Some((Stage::File, DeadlineLight::Red)));
    let case = centre.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 09:01").expect("file");
    assert_eq!(clock(&case, "2026-11-23 09:40"), Some((Stage::Dispatch, DeadlineLight::Red)));
    let unit = centre.lighting_unit();
    let case = centre.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:10").expect("dispatch");
    let case = centre.step(&lighting, &case, Action::SignFor { note: String::new() }, "2026-11-23 09:15").expect("sign");
    assert_eq!(clock(&case, "2026-11-23 10:00"), None, "handling has its own light");
    let case = centre.step(&lighting, &case, Action::Handle { note: "修好".into(), photos: vec![] }, "2026-11-23 15:00").expect("handle");
    assert_eq!(clock(&case, "2026-11-23 15:30"), Some((Stage::Verify, DeadlineLight::Green)));
    assert_eq!(clock(&case, "2026-11-23 16:30"), Some((Stage::Verify, DeadlineLight::Red)));
    let case = centre.step(&collector, &case, Action::VerifyPass { note: String::new(), photos: vec![] }, "2026-11-23 16:30").expect("v");
    assert_eq!(clock(&case, "2026-11-24 09:00"), Some((Stage::Close, DeadlineLight::Green)));
    assert_eq!(clock(&case, "2026-11-24 17:00"), Some((Stage::Close, DeadlineLight::Red)));
}

/// Issue 16: a case carries the address the reporter gave, and the desk finds it by street or
/// house number.
#[test]
fn a_case_keeps_its_address_and_the_desk_finds_it_by_house_number() {
    let mut centre = centre();
    let collector = centre.people.collector.clone();
    let report = NewCase { address: "  岩寺镇文峰路 88 号门前  ".into(), ..lamp_report(HERE, None) };
    let case = centre.report(&collector, report, "2026-11-23 08:30");
    centre.report(&collector, lamp_report(Point::new(118.34, 29.83), None), "2026-11-23 08:40");
    assert_eq!(case.address, "岩寺镇文峰路 88 号门前");
    assert_eq!(centre.reload(&case).address, "岩寺镇文峰路 88 号门前");
    let cases = centre.store.load_cases().expect("cases");
    let book = citygrid::desk::CaseBook::new(cases, centre.workflow.calendar(), at("2026-11-23 09:00"));
    let filter = citygrid::desk::CaseFilter { text: "88 号".into(), ..Default::default() };
    let rows = book.select(&filter, citygrid::desk::CaseSort::default(), &|_| String::new());
    assert_eq!(rows.iter().map(|position| book.get(*position).expect("case").id).collect::<Vec<_>>(), vec![case.id]);
}

/// Issue 16: filing (立案) corrects a report's class and urgency — the correction is in the audit
/// trail, and the deadline set at dispatch follows the corrected urgency; a class the manual does
/// not have is refused and changes nothing.
#[test]
fn filing_corrects_the_class_and_urgency_of_a_report() {
    let mut centre = centre();
    let p = &centre.people;
    let (collector, intake, dispatcher) = (p.collector.clone(), p.intake.clone(), p.dispatcher.clone());
    let case = centre.report(&collector, lamp_report(HERE, None), "2026-11-23 08:30");
    let correction = |class_code: &str, urgency| Some(citygrid::workflow::FileCorrection { class_code: class_code.into(), urgency });
    let refusal = centre.refused(
        &intake,
        &case,
        Action::File { note: String::new(), correction: correction("9999", Urgency::Urgent) },
        "2026-11-23 08:40",
    );
    assert!(matches!(refusal, Refusal::UnknownClass { .. }), "{refusal:?}");
    assert_eq!(centre.reload(&case), case, "nothing changed");
    let filed = centre
        .step(
            &intake,
            &case,
            Action::File { note: "三盏连续不亮".into(), correction: correction(LAMP, Urgency::Urgent) },
            "2026-11-23 08:40",
        )
        .expect("file");
    assert_eq!((filed.class_code.as_str(), filed.urgency), (LAMP, Urgency::Urgent));
    let event = centre.events(&filed).pop().expect("entry");
    assert_eq!(event.data["corrected"]["urgency"], serde_json::json!({ "from": "normal", "to": "urgent" }));
    let unit = centre.lighting_unit();
    let dispatched =
        centre.step(&dispatcher, &filed, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:00").expect("dispatch");
    let entry = centre.workflow.manual().entry(ItemKind::Part, LAMP).expect("lamp class").clone();
    let limit = entry.limit_for(Urgency::Urgent).expect("an urgent limit");
    assert_eq!(
        dispatched.deadline_at,
        Some(deadline_from(centre.workflow.calendar(), at("2026-11-23 09:00"), limit.amount, limit.unit)),
        "the urgent limit applies"
    );
}

/// Issue 16 (Art. 18): a case that needs several units has a lead unit (主办) and assisting units
/// (协办). Each sees it; an assisting unit only reports its part; the lead unit reports the case
/// handled once every assisting unit has, and the centre closes it.
#[test]
fn a_lead_unit_handles_a_case_once_its_assisting_units_have_reported() {
    let mut centre = centre();
    let p = &centre.people;
    let (lighting, works, dispatcher, committee, collector, leader) =
        (p.lighting.clone(), p.works.clone(), p.dispatcher.clone(), p.committee.clone(), p.collector.clone(), p.leader.clone());
    let (lighting_unit, works_unit) = (centre.lighting_unit(), works.unit.expect("bound"));
    let case = centre.dispatched_lamp();
    // Only the centre or the committee names assisting units, with a reason; never the lead unit.
    let assist = |units: Vec<UnitId>, reason: &str| Action::SetAssisting { units, reason: reason.into() };
    assert!(matches!(
        centre.refused(&lighting, &case, assist(vec![works_unit], "需要市政所配合"), "2026-11-23 09:30"),
        Refusal::RoleNotAllowed { .. }
    ));
    assert_eq!(
        centre.refused(&dispatcher, &case, assist(vec![works_unit], " "), "2026-11-23 09:30"),
        Refusal::ReasonRequired { action: ActionKind::SetAssisting }
    );
    assert!(matches!(
        centre.refused(&dispatcher, &case, assist(vec![lighting_unit], "自己"), "2026-11-23 09:30"),
        Refusal::LeadCannotAssist { .. }
    ));
    assert_eq!(
        centre.refused(&dispatcher, &case, assist(vec![UnitId(9999)], "不存在"), "2026-11-23 09:30"),
        Refusal::UnknownUnit { unit: UnitId(9999) }
    );
    let case = centre
        .step(&committee, &case, assist(vec![works_unit, works_unit], "灯杆基础破损，需市政所修复路面"), "2026-11-23 09:30")
        .expect("assisting units");
    assert_eq!(case.assisting.iter().map(|assist| assist.unit).collect::<Vec<_>>(), vec![works_unit], "named once");
    assert!(case.involves(works_unit) && case.involves(lighting_unit));

    // Both units see the case in their list; a third does not.
    let book = citygrid::desk::CaseBook::new(vec![case.clone()], centre.workflow.calendar(), at("2026-11-23 10:00"));
    let seen_by = |user: &User| {
        let filter = citygrid::desk::CaseFilter { scope: citygrid::desk::Scope::All, ..Default::default() }.for_user(user);
        book.select(&filter, citygrid::desk::CaseSort::default(), &|_| String::new()).len()
    };
    let park = User::new(99, "unit_yl", "园林所", Role::UnitOperator, Some(unit_id(&centre.store, "CGJ-YL")));
    assert_eq!((seen_by(&lighting), seen_by(&works), seen_by(&park)), (1, 1, 0));

    // The assisting unit reports its part, but cannot handle, sign for or return the case.
    assert!(allowed_actions(&centre.workflow, &works, &case).contains(&ActionKind::AssistReport));
    assert!(!allowed_actions(&centre.workflow, &works, &case).contains(&ActionKind::Handle));
    assert!(matches!(
        centre.refused(&works, &case, Action::Handle { note: "修好".into(), photos: vec![] }, "2026-11-23 11:00"),
        Refusal::NotYourUnit { .. }
    ));
    assert!(matches!(
        centre.refused(&lighting, &case, Action::AssistReport { note: "x".into(), photos: vec![] }, "2026-11-23 11:00"),
        Refusal::NotAssisting { .. }
    ));
    // The lead unit cannot report it handled while the assisting unit has not reported.
    let handle = Action::Handle { note: "已更换灯杆".into(), photos: vec!["done.jpg".into()] };
    match centre.refused(&lighting, &case, handle.clone(), "2026-11-23 14:00") {
        Refusal::AssistsOutstanding { units } => assert_eq!(units, vec!["区城管局市政所".to_owned()]),
        other => panic!("expected assists outstanding, got {other:?}"),
    }
    let case = centre
        .step(&works, &case, Action::AssistReport { note: "路面已修复".into(), photos: vec!["road.jpg".into()] }, "2026-11-23 15:00")
        .expect("assist report");
    assert_eq!(case.assisting[0].reported_at, Some(at("2026-11-23 15:00")));
    assert!(matches!(
        centre.refused(&works, &case, Action::AssistReport { note: "again".into(), photos: vec![] }, "2026-11-23 15:10"),
        Refusal::AlreadyReportedAssist { .. }
    ));
    let case = centre.step(&lighting, &case, handle, "2026-11-23 16:00").expect("handled by the lead");
    let case = centre.step(&collector, &case, Action::VerifyPass { note: String::new(), photos: vec![] }, "2026-11-23 16:30").expect("v");
    let case = centre.step(&leader, &case, Action::Close { close_type: CloseType::Normal, note: String::new() }, "2026-11-23 17:00");
    let case = case.expect("closed");
    assert_eq!(case.state, CaseState::Closed);

    // Every step names who took it; the assisting report names its unit.
    let events = centre.events(&case);
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(actions, ["report", "file", "dispatch", "set_assisting", "assist_report", "handle", "verify_pass", "close"]);
    assert_eq!(events[3].actor_user_id, Some(committee.id));
    assert_eq!(events[3].data["units"], serde_json::json!(["区城管局市政所"]));
    assert_eq!((events[4].actor_user_id, events[4].data["unit_id"].as_i64()), (Some(works.id), Some(works_unit.0)));
    assert_eq!(centre.reload(&case), case, "the assisting units are kept with the case row");
    let report = centre.store.verify_audit(None).expect("verify");
    assert!(report.breaks.is_empty() && report.cases.is_empty(), "{report:?}");
}

/// Issue 16 (Art. 21): a finished case whose reporter left a contact waits in the call-back queue
/// (待回访) with its own clock until the reporter is told; the reply keeps the channel, the time and
/// the satisfaction.
#[test]
fn a_closed_case_waits_for_its_reply_to_the_reporter() {
    let mut centre = centre();
    let p = &centre.people;
    let (intake, dispatcher, lighting, collector, leader) =
        (p.intake.clone(), p.dispatcher.clone(), p.lighting.clone(), p.collector.clone(), p.leader.clone());
    let case = centre.report(&intake, lamp_report(HERE, Some("139****1234")), "2026-11-23 08:30");
    let silent = centre.report(&collector, lamp_report(Point::new(118.35, 29.83), None), "2026-11-23 08:31");
    let case = centre.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:45").expect("file");
    let unit = centre.lighting_unit();
    let case = centre.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:00").expect("dispatch");
    assert!(!case.owes_reply(), "nothing to tell while the case is open");
    let case = centre.step(&lighting, &case, Action::Handle { note: "修好".into(), photos: vec![] }, "2026-11-23 14:00").expect("handle");
    let case = centre.step(&collector, &case, Action::VerifyPass { note: String::new(), photos: vec![] }, "2026-11-23 14:30").expect("v");
    let case =
        centre.step(&leader, &case, Action::Close { close_type: CloseType::Normal, note: String::new() }, "2026-11-23 15:00").expect("c");
    let silent = centre.step(&leader, &silent, Action::Reject { reason: "重复上报".into() }, "2026-11-23 15:00").expect("reject");
    assert!(case.owes_reply() && !silent.owes_reply(), "only a reporter who left a contact is owed a reply");

    // The queue, with a 1-working-day clock from the close.
    let limits = centre.workflow.manual().stage_limits.clone();
    let book = citygrid::desk::CaseBook::new(centre.store.load_cases().expect("cases"), centre.workflow.calendar(), at("2026-11-24 16:00"))
        .with_stage_limits(limits, centre.workflow.calendar());
    let filter = citygrid::desk::CaseFilter { scope: citygrid::desk::Scope::Reply, ..Default::default() };
    let rows = book.select(&filter, citygrid::desk::CaseSort::default(), &|_| String::new());
    assert_eq!(rows.iter().map(|row| book.get(*row).expect("case").id).collect::<Vec<_>>(), vec![case.id]);
    let clock = book.status(rows[0]).and_then(|status| status.stage).expect("a reply clock");
    assert_eq!((clock.stage, clock.light), (citygrid::model::Stage::Reply, DeadlineLight::Red), "more than a working day after the close");

    let reply = Action::RecordReporterFeedback {
        told_at: at("2026-11-24 16:30"),
        channel: FeedbackChannel::Phone,
        satisfaction: Some(Satisfaction::Fair),
        note: "已告知维修结果".into(),
    };
    let case = centre.step(&intake, &case, reply, "2026-11-24 16:40").expect("reply");
    assert_eq!(case.replied_at, Some(at("2026-11-24 16:30")));
    assert!(!case.owes_reply());
    let reloaded = centre.reload(&case);
    assert_eq!((reloaded.replied_at, reloaded.owes_reply()), (Some(at("2026-11-24 16:30")), false), "read back from the file");
    let told = centre.store.reporter_feedback(case.id).expect("feedback");
    assert_eq!((told[0].channel, told[0].satisfaction), (FeedbackChannel::Phone, Some(Satisfaction::Fair)));
    let last = centre.events(&case).pop().expect("the reply's entry");
    assert_eq!((last.data["satisfaction"].as_str(), last.data["within_limit"].as_bool()), (Some("fair"), Some(false)));
}

/// Issue 16 (Art. 18): the backlog ledger is exported for the committee by period — every case in
/// the ledger at some moment of the period, with the period's movement — as CSV and XLSX.
#[test]
fn the_backlog_ledger_is_exported_by_period() {
    use calamine::Reader as _;
    use citygrid::assess::Period;
    use citygrid::assess::output::{ReportNames, ledger::LedgerReport};
    let mut centre = centre();
    let p = &centre.people;
    let (lighting, leader, committee) = (p.lighting.clone(), p.leader.clone(), p.committee.clone());
    let backlog = |centre: &mut Centre, case: &Case, on: &str| {
        let case =
            centre.step(&lighting, case, Action::RequestBacklog { reason: "产权不明".into() }, &format!("{on} 10:00")).expect("request");
        centre.step(&leader, &case, Action::ApproveBacklog { note: String::new() }, &format!("{on} 11:00")).expect("approve")
    };
    let first = centre.dispatched_lamp();
    let first = backlog(&mut centre, &first, "2026-11-25");
    centre.step(&committee, &first, Action::RestoreFromBacklog { note: "由路灯所处置".into() }, "2026-12-01 09:00").expect("restore");
    let second = centre.dispatched_lamp();
    let second = backlog(&mut centre, &second, "2026-12-02");
    let all = centre.store.backlog_ledger(false).expect("ledger");

    let november = LedgerReport::new(&all, Period::parse("2026-11").expect("period"));
    assert_eq!(november.entries.iter().map(|entry| entry.case_id).collect::<Vec<_>>(), vec![first.id]);
    assert_eq!((november.at_start, november.entered, november.restored, november.closed, november.at_end), (0, 1, 0, 0, 1));
    let december = LedgerReport::new(&all, Period::parse("2026-12").expect("period"));
    assert_eq!(december.entries.iter().map(|entry| entry.case_id).collect::<Vec<_>>(), vec![first.id, second.id]);
    assert_eq!((december.at_start, december.entered, december.restored, december.closed, december.at_end), (1, 1, 1, 0, 1));
    let october = LedgerReport::new(&all, Period::parse("2026-10").expect("period"));
    assert!(october.entries.is_empty() && october.at_end == 0);

    let units = centre.store.load_units().expect("units");
    let names = ReportNames { district_name: "徽州区", units: &units, jurisdictions: &[] };
    let csv = december.csv(&names, citygrid::model::Lang::Zh);
    assert!(csv.starts_with('\u{feff}') && csv.contains(&first.case_no) && csv.contains(&second.case_no), "{csv}");
    assert!(csv.contains("恢复办理") && csv.contains("在账") && csv.contains("区城管局路灯所"), "{csv}");
    let bytes = december.xlsx(&names, citygrid::model::Lang::Zh).expect("xlsx");
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
    let sheet = workbook.worksheet_range("挂账台账").expect("sheet");
    assert_eq!(sheet.get_value((2, 0)), Some(&calamine::Data::Float(1.0)), "one in the ledger at the start");
    assert_eq!(sheet.get_value((5, 0)), Some(&calamine::Data::String(first.case_no.clone())));
    assert_eq!(sheet.get_value((6, 0)), Some(&calamine::Data::String(second.case_no.clone())));
    assert_eq!(december.file_name("xlsx"), "挂账台账-20261201-20261231.xlsx");
}
