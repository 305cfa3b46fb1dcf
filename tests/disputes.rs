//! Responsibility disputes on the demo district (Art. 18–19): a unit returns a case, the centre
//! opens a dispute, records the site check, the units state their case, the committee decides
//! and sets a precedent that routes later cases; every step with its permission checks and its
//! audit entry, and a refused step writes nothing.

mod common;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use citygrid::calendar::{LimitUnit, deadline_from};
use citygrid::model::{
    Art19Rule, Case, CaseState, CaseSubject, DisputeOrigin, DisputeState, ItemKind, Keyword, PrecedentArea, PrecedentClass, Role,
    SourceChannel, UnitId, Urgency, User,
};
use citygrid::spatial::JurisdictionIndex;
use citygrid::store::{Store, gpkg, schema};
use citygrid::workflow::{
    Action, DisputeDecision, DisputeOpening, DisputeOutcome, DisputeStep, NewCase, PrecedentDraft, Refusal, RoutingData, RoutingQuery,
    RoutingRule, SiteCheckReport, Suggestion, UnitStatement, Workflow, WorkflowError, allowed_dispute_steps, suggest_unit,
};
use geo::{Point, polygon};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid time")
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid date")
}

/// Street lamp (0118): normal urgency, 3 working days; the manual gives it to the lighting section.
const LAMP: &str = "0118";
const HERE: Point<f64> = Point(geo::Coord { x: 118.3376, y: 29.8253 });
/// About 220 m either way around `HERE`.
const HALF_SIDE_DEG: f64 = 0.002;

struct District {
    _dir: tempfile::TempDir,
    store: Store,
    workflow: Workflow,
    users: Vec<User>,
}

impl District {
    fn new() -> Self {
        let (dir, path, _) = common::small_demo(800, 0);
        let store = common::pg::chosen_store(&path);
        let workflow = Workflow::load(&store).expect("workflow");
        let users = store.load_users().expect("users");
        Self { _dir: dir, store, workflow, users }
    }

    fn user(&self, login: &str) -> User {
        self.users.iter().find(|user| user.login == login).cloned().unwrap_or_else(|| panic!("demo account {login}"))
    }

    fn unit(&self, code: &str) -> UnitId {
        self.workflow.units().iter().find(|unit| unit.code == code).map(|unit| unit.id).unwrap_or_else(|| panic!("unit {code}"))
    }

    fn step(&mut self, actor: &User, case: &Case, action: Action, now: &str) -> Case {
        self.workflow.apply(&mut self.store, actor, case.id, case.revision, &action, at(now)).expect("step")
    }

    /// A lamp reported Monday 2026-11-23 08:30 at `location`, filed, dispatched to the lighting
    /// section at 09:00.
    fn dispatched_lamp(&mut self, location: Point<f64>) -> Case {
        let (collector, intake, dispatcher) = (self.user("collector1"), self.user("intake1"), self.user("dispatch1"));
        let report = NewCase {
            source: SourceChannel::Collector,
            subject: CaseSubject::Part,
            class_code: LAMP.into(),
            urgency: Urgency::Normal,
            location,
            part_code: None,
            grid_code: None,
            description: "路灯不亮".into(),
            photos: vec![],
            reporter_contact: None,
            address: String::new(),
        };
        let case = self.workflow.report_case(&mut self.store, &collector, report, at("2026-11-23 08:30")).expect("report").case;
        let case = self.step(&intake, &case, Action::File { note: String::new(), correction: None }, "2026-11-23 08:45");
        let unit = self.unit("CGJ-LD");
        self.step(&dispatcher, &case, Action::Dispatch { unit, note: String::new() }, "2026-11-23 09:00")
    }

    /// Rows per layer (every table registered in the GeoPackage, disputes and audit trail included).
    fn row_counts(&self) -> BTreeMap<String, i64> {
        self.store.layer_counts().expect("counts").into_iter().map(|layer| (layer.table, layer.count)).collect()
    }

    fn suggest(&self, location: Point<f64>, class_code: &str, on: &str) -> Suggestion {
        let (manual, jurisdictions, parts) = (
            self.store.load_manual().expect("manual"),
            self.store.load_jurisdictions().expect("j"),
            self.store.load_parts().expect("parts"),
        );
        let precedents = self.store.load_precedents().expect("precedents");
        let index = JurisdictionIndex::new(&jurisdictions);
        let data = RoutingData {
            manual: &manual,
            units: self.workflow.units(),
            jurisdictions: &jurisdictions,
            index: &index,
            parts: &parts,
            precedents: &precedents,
        };
        let query = RoutingQuery { kind: ItemKind::Part, class_code, location, part_code: None, on: day(on) };
        suggest_unit(&data, &query).expect("a suggestion")
    }
}

fn refusal(result: Result<DisputeOutcome, WorkflowError>) -> Refusal {
    match result {
        Err(WorkflowError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn square_around(centre: Point<f64>) -> geo::Polygon<f64> {
    let (x, y, d) = (centre.x(), centre.y(), HALF_SIDE_DEG);
    polygon![(x: x - d, y: y - d), (x: x + d, y: y - d), (x: x + d, y: y + d), (x: x - d, y: y + d)]
}

#[test]
fn a_returned_case_goes_through_a_dispute_to_the_designated_unit_and_sets_a_precedent() {
    let mut district = District::new();
    let (dispatcher, leader, committee) = (district.user("dispatch1"), district.user("leader1"), district.user("committee1"));
    let (lighting, works, sanitation) = (district.user("unit_cgj_ld"), district.user("unit_cgj_sz"), district.user("unit_cgj_hw"));
    let (lighting_unit, works_unit) = (district.unit("CGJ-LD"), district.unit("CGJ-SZ"));

    // Before: outside any precedent the lamp goes to the manual's unit, the lighting section.
    assert_ne!(district.suggest(HERE, LAMP, "2026-11-26").rule, RoutingRule::Precedent);

    // The lighting section returns the case as not its own (Art. 18).
    let case = district.dispatched_lamp(HERE);
    let case = district.step(
        &lighting,
        &case,
        Action::ReturnToCentre { reason: "该灯杆属市政道路附属设施，应由市政所管养".into() },
        "2026-11-23 10:00",
    );
    assert_eq!(case.state, CaseState::Returned);

    // Only the centre opens a dispute, and only with a summary.
    let opening =
        DisputeOpening { units: vec![works_unit], summary: "路灯杆权属不清：路灯所称属市政道路附属设施".into() };
    let refused = refusal(district.workflow.open_dispute(&mut district.store, &lighting, case.id, &opening, at("2026-11-23 10:20")));
    assert!(matches!(refused, Refusal::DisputeRoleNotAllowed { step: DisputeStep::Open, role: Role::UnitOperator, .. }), "{refused:?}");
    assert_eq!(refused.message(true), "“发起责任争议”须由派遣员、值班长办理；您当前的角色是责任单位操作员。");
    let blank = DisputeOpening { units: vec![works_unit], summary: "  ".into() };
    let refused = refusal(district.workflow.open_dispute(&mut district.store, &dispatcher, case.id, &blank, at("2026-11-23 10:25")));
    assert_eq!(refused, Refusal::DisputeTextRequired { step: DisputeStep::Open });
    assert_eq!(refused.message(false), "Opening a dispute needs a summary of what is disputed.");

    let opened = district.workflow.open_dispute(&mut district.store, &dispatcher, case.id, &opening, at("2026-11-23 10:30")).expect("open");
    let dispute_id = opened.record.dispute.id;
    assert_eq!(opened.record.dispute.origin, DisputeOrigin::Return, "a returned case: the unit applied");
    assert_eq!(opened.record.dispute.units, vec![lighting_unit, works_unit], "the returning unit is a party");
    assert_eq!((opened.case.state, opened.case.revision), (CaseState::Returned, case.revision + 1));
    let again = refusal(district.workflow.open_dispute(&mut district.store, &leader, case.id, &opening, at("2026-11-23 10:40")));
    assert_eq!(again, Refusal::DisputeAlreadyOpen { case_no: case.case_no.clone(), dispute_id });
    assert_eq!(allowed_dispute_steps(&dispatcher, &opened.case, Some(&opened.record)), vec![DisputeStep::SiteCheck, DisputeStep::Withdraw]);
    assert_eq!(allowed_dispute_steps(&committee, &opened.case, Some(&opened.record)), vec![DisputeStep::Decide]);
    assert_eq!(allowed_dispute_steps(&works, &opened.case, Some(&opened.record)), vec![DisputeStep::Statement]);
    assert!(allowed_dispute_steps(&sanitation, &opened.case, Some(&opened.record)).is_empty());

    // The on-site confirmation, organised by the centre with both units.
    let measured = Point::new(HERE.x() + 0.00005, HERE.y());
    let report = SiteCheckReport {
        checked_on: day("2026-11-24"),
        units_present: vec![lighting_unit, works_unit],
        location: measured,
        photos: vec!["site-1.jpg".into()],
        notes: "灯杆位于人行道外侧，与市政道路同期建设".into(),
    };
    let tomorrow = SiteCheckReport { checked_on: day("2026-11-25"), ..report.clone() };
    assert_eq!(
        refusal(district.workflow.record_site_check(&mut district.store, &leader, dispute_id, &tomorrow, at("2026-11-24 15:00"))),
        Refusal::DateInFuture { date: day("2026-11-25") }
    );
    assert!(matches!(
        refusal(district.workflow.record_site_check(&mut district.store, &committee, dispute_id, &report, at("2026-11-24 15:00"))),
        Refusal::DisputeRoleNotAllowed { step: DisputeStep::SiteCheck, .. }
    ));
    let checked =
        district.workflow.record_site_check(&mut district.store, &leader, dispute_id, &report, at("2026-11-24 15:00")).expect("site check");
    assert_eq!(checked.record.site_checks.len(), 1);
    assert_eq!(checked.record.site_checks[0].location, measured);
    assert_eq!(checked.record.site_checks[0].units_present, vec![lighting_unit, works_unit]);

    // Both units state their case.
    let said = |text: &str| UnitStatement { text: text.into(), photos: vec![] };
    district
        .workflow
        .add_statement(
            &mut district.store,
            &lighting,
            dispute_id,
            &said("本所只管养路灯专用杆，该杆为道路照明合杆"),
            at("2026-11-24 16:00"),
        )
        .expect("lighting states");
    let stated = district
        .workflow
        .add_statement(&mut district.store, &works, dispute_id, &said("本所不管养照明设施，应归路灯所"), at("2026-11-24 16:30"))
        .expect("works states");
    let units_stated: Vec<UnitId> = stated.record.statements.iter().map(|statement| statement.unit).collect();
    assert_eq!(units_stated, vec![lighting_unit, works_unit]);

    // Refused steps write nothing.
    let before = district.row_counts();
    let revision_before = district.store.load_case(case.id).expect("load").expect("case").revision;
    let refused =
        refusal(district.workflow.add_statement(&mut district.store, &sanitation, dispute_id, &said("与本所无关"), at("2026-11-24 17:00")));
    let Refusal::UnitNotParty { own_unit, parties, .. } = &refused else { panic!("expected not a party, got {refused:?}") };
    assert_eq!(
        (own_unit.id, parties.iter().map(|unit| unit.id).collect::<Vec<_>>()),
        (district.unit("CGJ-HW"), vec![lighting_unit, works_unit])
    );
    let message = refused.message(true);
    assert!(message.contains("区城管局环卫所") && message.contains("区城管局路灯所、区城管局市政所"), "{message}");
    let path = district._dir.path().join("demo.gpkg");
    let unbound = common::while_unbound(&path, &works.login, || {
        refusal(district.workflow.add_statement(&mut district.store, &works, dispute_id, &said("补充"), at("2026-11-24 17:00")))
    });
    assert_eq!(unbound, Refusal::DisputeNotBoundToUnit { step: DisputeStep::Statement });
    assert_eq!(
        refusal(district.workflow.add_statement(&mut district.store, &works, dispute_id, &said(" "), at("2026-11-24 17:00"))),
        Refusal::DisputeTextRequired { step: DisputeStep::Statement }
    );
    let precedent = PrecedentDraft {
        area: PrecedentArea::Polygon(square_around(HERE)),
        class: Some(PrecedentClass { kind: ItemKind::Part, code: LAMP.into() }),
        valid_from: None,
        note: "丰乐路段道路照明合杆".into(),
    };
    let decision = DisputeDecision {
        designated_unit: works_unit,
        art19_rule: Art19Rule::PolicyOrBoundary,
        reasoning: "该路段照明合杆随市政道路同期建设移交，由市政所管养".into(),
        precedent: Some(precedent.clone()),
    };
    let refused =
        refusal(district.workflow.decide_dispute(&mut district.store, &dispatcher, dispute_id, &decision, at("2026-11-25 10:00")));
    assert_eq!(
        refused,
        Refusal::DisputeRoleNotAllowed { step: DisputeStep::Decide, role: Role::Dispatcher, allowed: vec![Role::CommitteeMember] }
    );
    assert_eq!(refused.message(false), "“Committee decision” can only be done by Committee member; you are signed in as Dispatcher.");
    let no_reason = DisputeDecision { reasoning: String::new(), ..decision.clone() };
    assert_eq!(
        refusal(district.workflow.decide_dispute(&mut district.store, &committee, dispute_id, &no_reason, at("2026-11-25 10:00"))),
        Refusal::DisputeTextRequired { step: DisputeStep::Decide }
    );
    let dot = PrecedentDraft { area: PrecedentArea::Circle { centre: HERE, radius_m: 0.0 }, ..precedent.clone() };
    let bad_area = DisputeDecision { precedent: Some(dot), ..decision.clone() };
    assert_eq!(
        refusal(district.workflow.decide_dispute(&mut district.store, &committee, dispute_id, &bad_area, at("2026-11-25 10:00"))),
        Refusal::InvalidPrecedentArea
    );
    let nobody = DisputeDecision { designated_unit: UnitId(9_999), ..decision.clone() };
    assert_eq!(
        refusal(district.workflow.decide_dispute(&mut district.store, &committee, dispute_id, &nobody, at("2026-11-25 10:00"))),
        Refusal::UnknownUnit { unit: UnitId(9_999) }
    );
    assert_eq!(district.row_counts(), before, "no refused step wrote a row");
    assert_eq!(district.store.load_case(case.id).expect("load").expect("case").revision, revision_before);

    // The committee decides: the case goes to the works section with a new handling deadline.
    let decided =
        district.workflow.decide_dispute(&mut district.store, &committee, dispute_id, &decision, at("2026-11-25 10:00")).expect("decide");
    let dispute = &decided.record.dispute;
    assert_eq!(
        (dispute.state, dispute.designated_unit, dispute.art19_rule),
        (DisputeState::Decided, Some(works_unit), Some(Art19Rule::PolicyOrBoundary))
    );
    assert_eq!((dispute.decided_at, dispute.decided_by), (Some(at("2026-11-25 10:00")), Some(committee.id)));
    let case = decided.case;
    assert_eq!((case.state, case.unit, case.dispatched_at), (CaseState::Dispatched, Some(works_unit), Some(at("2026-11-25 10:00"))));
    let calendar = district.workflow.calendar();
    assert_eq!(case.deadline_at, Some(deadline_from(calendar, at("2026-11-25 10:00"), 3, LimitUnit::WorkDays)));
    assert_eq!(case.deadline_at, Some(at("2026-11-30 10:00")), "Wednesday 10:00 + 3 working days = Monday 10:00");
    assert_eq!(district.store.load_case(case.id).expect("load"), Some(case.clone()), "what the step returns is what is stored");
    let stored_precedent = decided.record.precedent.clone().expect("a precedent");
    assert_eq!(
        (stored_precedent.unit, stored_precedent.dispute_id, stored_precedent.valid_from),
        (works_unit, dispute_id, day("2026-11-25"))
    );
    assert_eq!(stored_precedent.area, precedent.area);

    // A decided dispute takes no more steps.
    assert_eq!(
        refusal(district.workflow.decide_dispute(&mut district.store, &committee, dispute_id, &decision, at("2026-11-25 11:00"))),
        Refusal::DisputeNotOpen { step: DisputeStep::Decide, dispute_id, state: DisputeState::Decided }
    );
    assert_eq!(
        refusal(district.workflow.withdraw_dispute(&mut district.store, &leader, dispute_id, "已协商", at("2026-11-25 11:00")))
            .message(true),
        format!("责任争议 #{dispute_id} 已裁定，不能再“撤销争议”。")
    );

    // Issue 16, item 3: the decision binds (Art. 18, 必须严格执行): the designated unit cannot
    // return the case again. It used to be able to, starting the dispute over.
    let works = district.user("unit_cgj_sz");
    let returned = district.workflow.apply(
        &mut district.store,
        &works,
        case.id,
        case.revision,
        &Action::ReturnToCentre { reason: "仍认为不是本所的".into() },
        at("2026-11-25 11:00"),
    );
    let Err(WorkflowError::Refused(Refusal::DecisionBinds { dispute_id: bound, .. })) = returned else {
        panic!("a decided case cannot be returned by the designated unit: {returned:?}")
    };
    assert_eq!(bound, dispute_id);

    // The audit trail: one entry per step, each with its actor's name, role (and unit, for a
    // unit's operator) and data.
    let events = district.store.case_events(case.id).expect("events");
    assert!(events.iter().all(|event| event.actor_name.as_deref().is_some_and(|name| !name.is_empty())), "{events:?}");
    let trail: Vec<(&str, CaseState, Option<Role>, Option<UnitId>)> = events
        .iter()
        .map(|event| {
            let unit = event.actor_unit.filter(|_| event.actor_role == Some(Role::UnitOperator));
            (event.action.as_str(), event.to_state, event.actor_role, unit)
        })
        .collect();
    assert_eq!(
        trail,
        vec![
            ("report", CaseState::Reported, Some(Role::FieldCollector), None),
            ("file", CaseState::Filed, Some(Role::IntakeOperator), None),
            ("dispatch", CaseState::Dispatched, Some(Role::Dispatcher), None),
            ("return", CaseState::Returned, Some(Role::UnitOperator), Some(lighting_unit)),
            ("dispute_open", CaseState::Returned, Some(Role::Dispatcher), None),
            ("dispute_site_check", CaseState::Returned, Some(Role::ShiftLeader), None),
            ("dispute_statement", CaseState::Returned, Some(Role::UnitOperator), Some(lighting_unit)),
            ("dispute_statement", CaseState::Returned, Some(Role::UnitOperator), Some(works_unit)),
            ("dispute_decide", CaseState::Dispatched, Some(Role::CommitteeMember), None),
        ]
    );
    assert_eq!(events.len() as u32, case.revision, "one revision per step");
    let decide = &events[8];
    assert_eq!(decide.from_state, Some(CaseState::Returned));
    assert_eq!(decide.data["dispute_id"], dispute_id);
    assert_eq!(decide.data["designated_unit_id"], works_unit.0);
    assert_eq!(decide.data["art19_rule"], "policy_or_boundary");
    assert_eq!(decide.data["previous_unit_id"], lighting_unit.0);
    assert_eq!(decide.data["deadline_at"], "2026-11-30T02:00:00.000Z", "times in the data are UTC");
    assert_eq!(decide.data["precedent_id"], stored_precedent.id);
    assert_eq!(events[5].data["units_present"], serde_json::json!([lighting_unit.0, works_unit.0]));

    // The designated unit now works the case like any other.
    district.step(&works, &case, Action::Handle { note: "已更换灯具".into(), photos: vec![] }, "2026-11-25 15:00");

    // Later lamps inside the precedent go straight to the works section, naming the decision.
    let inside = Point::new(HERE.x() + 0.001, HERE.y() - 0.001);
    let suggestion = district.suggest(inside, LAMP, "2026-11-26");
    assert_eq!((suggestion.unit, suggestion.rule), (works_unit, RoutingRule::Precedent));
    assert_eq!(suggestion.reason_zh, format!("依据 2026-11-25 城管委裁定（争议 #{dispute_id}）：此处由区城管局市政所负责"));
    assert!(suggestion.reason_en.starts_with("Per the committee decision of 2026-11-25"), "{}", suggestion.reason_en);
    assert!(suggestion.alternatives.iter().any(|candidate| candidate.unit == lighting_unit), "the usual rule stays an alternative");
    // Outside it, or another class inside it, routing is as before.
    let outside = Point::new(HERE.x() + 3.0 * HALF_SIDE_DEG, HERE.y());
    let suggestion = district.suggest(outside, LAMP, "2026-11-26");
    assert_ne!(suggestion.rule, RoutingRule::Precedent);
    assert_ne!(suggestion.unit, works_unit);
    assert_ne!(district.suggest(inside, "0102", "2026-11-26").rule, RoutingRule::Precedent, "the precedent is for street lamps only");
}

#[test]
fn a_centre_opened_dispute_on_a_case_in_hand_settles_responsibility_without_moving_it() {
    let mut district = District::new();
    let (dispatcher, leader, committee) = (district.user("dispatch1"), district.user("leader1"), district.user("committee1"));
    let (lighting_unit, works_unit) = (district.unit("CGJ-LD"), district.unit("CGJ-SZ"));
    // Art. 19 (2): the lighting section acts first; who is responsible is settled after.
    let case = district.dispatched_lamp(HERE);
    let opening = DisputeOpening { units: vec![works_unit, works_unit], summary: "抢修后责任与费用待明确".into() };
    let opened = district.workflow.open_dispute(&mut district.store, &dispatcher, case.id, &opening, at("2026-11-23 09:30")).expect("open");
    assert_eq!(opened.record.dispute.origin, DisputeOrigin::Centre);
    assert_eq!(opened.record.dispute.units, vec![lighting_unit, works_unit], "parties without repeats");
    let decision = DisputeDecision {
        designated_unit: works_unit,
        art19_rule: Art19Rule::EmergencyFirst,
        reasoning: "路灯所先行抢修，费用由市政所承担".into(),
        precedent: Some(PrecedentDraft {
            area: PrecedentArea::Circle { centre: HERE, radius_m: 120.0 },
            class: None,
            valid_from: Some(day("2026-12-01")),
            note: String::new(),
        }),
    };
    let decided = district
        .workflow
        .decide_dispute(&mut district.store, &committee, opened.record.dispute.id, &decision, at("2026-11-24 09:00"))
        .expect("decide");
    assert_eq!(
        (decided.case.state, decided.case.unit, decided.case.deadline_at),
        (CaseState::Dispatched, Some(lighting_unit), case.deadline_at)
    );
    assert_eq!(district.store.case_events(case.id).expect("events").last().expect("event").data["dispatched"], false);

    // A circle precedent for every class, from its first day on.
    let precedents = district.store.load_precedents().expect("precedents");
    assert_eq!(precedents.len(), 1);
    assert_eq!(precedents[0].area, PrecedentArea::Circle { centre: HERE, radius_m: 120.0 });
    let near = Point::new(HERE.x(), HERE.y() + 100.0 / 111_000.0);
    assert_ne!(district.suggest(near, LAMP, "2026-11-30").rule, RoutingRule::Precedent, "not yet in force");
    let suggestion = district.suggest(near, LAMP, "2026-12-01");
    assert_eq!((suggestion.unit, suggestion.rule), (works_unit, RoutingRule::Precedent), "from its first day, within the radius");
    let event = district.suggest(near, "0102", "2026-12-01");
    assert_eq!((event.unit, event.rule), (works_unit, RoutingRule::Precedent), "every class");
    let far = Point::new(HERE.x(), HERE.y() + 140.0 / 111_000.0);
    assert_ne!(district.suggest(far, LAMP, "2026-12-01").rule, RoutingRule::Precedent);

    // A second dispute on the same case can be opened once the first is closed, and withdrawn.
    let opened = district.workflow.open_dispute(&mut district.store, &leader, case.id, &opening, at("2026-11-24 10:00")).expect("reopen");
    assert_eq!(
        refusal(district.workflow.withdraw_dispute(&mut district.store, &leader, opened.record.dispute.id, " ", at("2026-11-24 11:00"))),
        Refusal::DisputeTextRequired { step: DisputeStep::Withdraw }
    );
    let withdrawn = district
        .workflow
        .withdraw_dispute(&mut district.store, &leader, opened.record.dispute.id, "双方已协商一致", at("2026-11-24 11:00"))
        .expect("withdraw");
    assert_eq!(
        (withdrawn.record.dispute.state, withdrawn.record.dispute.withdraw_reason.as_str()),
        (DisputeState::Withdrawn, "双方已协商一致")
    );
    let disputes = district.store.disputes_of_case(case.id).expect("disputes");
    assert_eq!(disputes.iter().map(|dispute| dispute.state).collect::<Vec<_>>(), vec![DisputeState::Decided, DisputeState::Withdrawn]);
    assert!(district.store.load_disputes(true).expect("open disputes").is_empty());
}

#[test]
fn a_dispute_cannot_be_opened_on_a_case_never_filed() {
    let mut district = District::new();
    let (collector, dispatcher) = (district.user("collector1"), district.user("dispatch1"));
    let report = NewCase {
        source: SourceChannel::Collector,
        subject: CaseSubject::Part,
        class_code: LAMP.into(),
        urgency: Urgency::Normal,
        location: HERE,
        part_code: None,
        grid_code: None,
        description: "路灯不亮".into(),
        photos: vec![],
        reporter_contact: None,
        address: String::new(),
    };
    let case = district.workflow.report_case(&mut district.store, &collector, report, at("2026-11-23 08:30")).expect("report").case;
    let opening = DisputeOpening { units: vec![district.unit("CGJ-LD")], summary: "权属不清".into() };
    let refused = refusal(district.workflow.open_dispute(&mut district.store, &dispatcher, case.id, &opening, at("2026-11-23 08:40")));
    assert!(matches!(refused, Refusal::DisputeWrongCaseState { state: CaseState::Reported, .. }), "{refused:?}");
    assert!(refused.message(true).contains("本案卷当前为“待受理”"), "{}", refused.message(true));
    assert!(allowed_dispute_steps(&dispatcher, &case, None).is_empty());
    let lighting = district.user("unit_cgj_ld");
    assert!(matches!(
        district.workflow.add_statement(
            &mut district.store,
            &lighting,
            42,
            &UnitStatement { text: "x".into(), photos: vec![] },
            at("2026-11-23 08:40")
        ),
        Err(WorkflowError::Refused(Refusal::NoSuchDispute { dispute_id: 42 }))
    ));
}

#[test]
fn a_version_2_database_gains_the_dispute_tables_and_the_precedent_layer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("version2.gpkg");
    {
        let db = citygrid::store::Db::Lite(rusqlite::Connection::open(&path).expect("create"));
        let conn = db.lite().expect("a file");
        gpkg::register_functions(conn).expect("functions");
        conn.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = {};",
            gpkg::APPLICATION_ID,
            gpkg::GPKG_USER_VERSION
        ))
        .expect("GeoPackage marks");
        (schema::MIGRATIONS[0])(&db).expect("schema version 1");
        (schema::MIGRATIONS[1])(&db).expect("schema version 2");
        conn.execute("INSERT INTO citygrid_meta (key, value) VALUES ('schema_version', '2')", []).expect("version");
    }
    let store = Store::open(&path).expect("opens and upgrades");
    assert_eq!(store.schema_version().expect("version"), schema::CURRENT_VERSION);
    let layers: Vec<String> = store.layer_counts().expect("layers").into_iter().map(|layer| layer.table).collect();
    for table in ["disputes", "dispute_statements", "dispute_site_checks", "routing_precedents"] {
        assert!(layers.iter().any(|layer| layer == table), "{table} is a GeoPackage layer: {layers:?}");
    }
    assert!(store.load_precedents().expect("precedents").is_empty());
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let geometry: String = conn
        .query_row("SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'routing_precedents'", [], |row| row.get(0))
        .expect("registered as a feature layer");
    assert_eq!(geometry, "POLYGON");
    let rtree: i64 = conn
        .query_row(
            "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'routing_precedents' AND extension_name = 'gpkg_rtree_index'",
            [],
            |row| row.get(0),
        )
        .expect("extension row");
    assert_eq!(rtree, 1, "with a spatial index QGIS uses");
    assert!(Art19Rule::ALL.iter().all(|rule| !rule.label_zh().is_empty() && rule.label_en().starts_with("Art. 19")));
}
