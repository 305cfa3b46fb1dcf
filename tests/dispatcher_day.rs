//! A dispatcher's day (issue 22), through the real app: what a person in the room stumbled on,
//! each checked as they would check it.

mod common;

use std::time::{Duration, Instant};

use citygrid::app::{CitygridApp, harness_signed_in};
use citygrid::demo::DEMO_PASSWORD;
use citygrid::model::CaseState;
use citygrid::session::{Command, Selection};
use citygrid::ui::Lang;
use citygrid::workflow::{Action, RoutingQuery, Workflow, suggest_unit};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn frames(seat: &mut Harness<'static, CitygridApp>, count: usize) {
    for _ in 0..count {
        seat.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Item 2: redispatching a returned case suggests another unit than the one that returned it
/// (so the default needs no reason), explains the ★, never offers the centre or the committee,
/// and shows the deadline the case will get.
#[test]
fn redispatching_a_returned_case_suggests_another_unit_and_shows_the_deadline_it_will_get() {
    let (_dir, path, _) = common::small_demo(3_000, 200);
    let location = common::pg::chosen_location(&path);
    let mut store = common::pg::owner_store(&path);
    let workflow = Workflow::load(&store).expect("workflow");
    let now = common::as_of() + chrono::Duration::hours(1);
    let user = |store: &citygrid::store::Store, login: &str| store.user_by_login(login).expect("reads").expect("account");
    let dispatcher = user(&store, "dispatch1");

    // A filed case with more than one candidate, sent to the suggested unit, which returns it.
    let seat =
        harness_signed_in(location.clone(), None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    let world = seat.state().world().expect("loaded");
    let routing = world.routing_data(&[]);
    let (found, suggested) = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find_map(|case| {
            let query = RoutingQuery {
                kind: case.subject.item_kind(),
                class_code: &case.class_code,
                location: case.location,
                part_code: case.part_code,
                on: case.reported_at.date(),
            };
            let suggestion = suggest_unit(&routing, &query)?;
            let others = suggestion.alternatives.iter().filter(|candidate| candidate.unit != suggestion.unit).count();
            (others > 0).then_some((case.clone(), suggestion.unit))
        })
        .expect("a class and place with more than one candidate");
    // A new report of that class at that place, filed.
    let intake = user(&store, "intake1");
    let new_case = citygrid::workflow::NewCase {
        source: citygrid::model::SourceChannel::Hotline12345,
        subject: found.subject,
        class_code: found.class_code.clone(),
        urgency: citygrid::model::Urgency::Normal,
        location: found.location,
        part_code: found.part_code,
        grid_code: found.grid_code,
        description: "市民来电".into(),
        photos: vec![],
        reporter_contact: None,
        address: String::new(),
    };
    let case = workflow.report_case(&mut store, &intake, new_case, now).expect("reported").case;
    let case = workflow
        .apply(&mut store, &intake, case.id, case.revision, &Action::File { note: String::new(), correction: None }, now)
        .expect("filed");
    drop(seat);
    let case = workflow
        .apply(&mut store, &dispatcher, case.id, case.revision, &Action::Dispatch { unit: suggested, note: String::new() }, now)
        .expect("dispatched");
    let operator = user(&store, &common::serve::operator_of(&store, suggested));
    let later = now + chrono::Duration::minutes(10);
    workflow
        .apply(&mut store, &operator, case.id, case.revision, &Action::ReturnToCentre { reason: "不属于本单位职责范围".into() }, later)
        .expect("returned");

    let mut seat =
        harness_signed_in(location, None, [1500, 950], Lang::En, Some(later), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    let position = seat.state().cases().position_of(case.id).expect("held");
    assert_eq!(seat.state().cases().get(position).expect("case").state, CaseState::Returned);
    seat.state_mut().apply(Command::Select(Some(Selection::Case(position))));
    frames(&mut seat, 4);
    seat.get_by_label("Redispatch").scroll_to_me();
    frames(&mut seat, 10);
    seat.get_by_label("Redispatch").click();
    let started = Instant::now();
    while seat.state().desk().dialog.is_none() {
        assert!(started.elapsed() < Duration::from_secs(10), "the dialog opens");
        frames(&mut seat, 1);
    }
    frames(&mut seat, 3);
    let world = seat.state().world().expect("loaded");
    let returned_by = world.unit_name(Some(suggested), Lang::En);
    let other = world.units.iter().find(|unit| unit.code == "CGJ-ZF").expect("a unit").name_en.clone();
    assert_eq!(
        seat.query_all_by_label(&format!("Suggested: {returned_by}")).count(),
        0,
        "the unit that returned the case is not suggested again"
    );
    let dialog = seat.state().desk().dialog.as_ref().expect("open");
    assert!(dialog.unit.is_some_and(|unit| unit != suggested), "the default is another unit");
    assert!(!dialog.text_required(), "the default needs no reason");
    seat.get_by_label_contains(&format!("{returned_by} returned this case"));
    seat.get_by_label_contains("★ the suggested unit and the other candidates");
    let due = dialog.deadline.expect("the deadline it will get").1;
    seat.get_by_label_contains(&format!("sent now, due {}", due.format("%Y-%m-%d %H:%M")));

    // The unit list: neither the centre nor the committee.
    // The dialog's unit picker (the desk's own filter is a "Unit" box too; the modal's is last).
    seat.query_all_by_label("Unit")
        .rfind(|node| node.accesskit_node().role() == egui::accesskit::Role::ComboBox)
        .expect("the unit picker")
        .click();
    frames(&mut seat, 4);
    for own in ["District supervision and command centre", "District urban management committee"] {
        let offered = seat.query_all_by_label(own).count() + seat.query_all_by_label(&format!("★ {own}")).count();
        assert_eq!(offered, 0, "{own} is offered");
    }
    // A real unit is offered (the list did open).
    let listed = seat.query_all_by_label(&other).count() + seat.query_all_by_label(&format!("★ {other}")).count();
    assert!(listed > 0, "the list is open");
}

/// Item 1: this month's assessment, opened mid-month, counts no case overdue whose deadline is
/// still ahead, and its open overdue cases are the red ones of the case list due this month.
#[test]
fn this_months_assessment_counts_as_overdue_only_what_the_case_list_shows_red() {
    let (_dir, path, _) = common::small_demo(3_000, 400);
    let location = common::pg::chosen_location(&path);
    let now = common::as_of();
    let mut seat = harness_signed_in(location, None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "leader1", DEMO_PASSWORD)
        .expect("signs in");
    let month = citygrid::assess::Period::month(2026, 11);
    seat.state_mut().apply(Command::AssessCases {
        scope: citygrid::assess::Scope::District,
        period: month,
        measure: citygrid::assess::Measure::OpenOverdue,
        label: "open overdue".into(),
    });
    // The answer arrives as the case list's filter (the figure's cases).
    let started = Instant::now();
    while seat.state().desk().list.filter.cases.is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the drill-down is read: {:?}", seat.state().desk().notice);
        frames(&mut seat, 1);
    }
    let listed: Vec<i64> = seat.state().desk().list.filter.cases.as_ref().expect("read").ids.to_vec();
    let book = seat.state().cases();
    let mut red: Vec<i64> = (0..book.len())
        .filter_map(|at| {
            let (case, status) = (book.get(at)?, book.status(at)?);
            let due_this_month = case.deadline_at.is_some_and(|due| month.contains(due) && due < now);
            (case.state.is_open() && status.is_overdue() && due_this_month).then_some(case.id)
        })
        .collect();
    red.sort_unstable();
    for id in &listed {
        let case = book.get(book.position_of(*id).expect("held")).expect("case");
        assert!(
            case.deadline_at.is_some_and(|due| due < now),
            "{} is counted overdue with its deadline ahead: {:?}",
            case.case_no,
            case.deadline_at
        );
    }
    assert!(!red.is_empty(), "the demo has overdue cases this month");
    for id in listed.iter().filter(|id| !red.contains(id)) {
        let at = book.position_of(*id).expect("held");
        let (case, status) = (book.get(at).expect("case"), book.status(at).expect("status"));
        eprintln!(
            "{id}: {:?} deadline {:?} light {:?} clock {:?} handled {:?} paused {:?} ext {}",
            case.state, case.deadline_at, status.light, status.clock, case.handled_at, case.paused_at, case.extended
        );
    }
    assert_eq!(listed, red, "the assessment's open overdue cases are the list's red ones due this month");
}

/// Item 4 (first part): a committee member deciding a dispute with no statement and no site check
/// is told so, and decides only after confirming it.
#[test]
fn deciding_a_dispute_without_statements_or_a_site_check_is_warned_and_must_be_confirmed() {
    let (_dir, path, _) = common::small_demo(3_000, 200);
    let location = common::pg::chosen_location(&path);
    let mut store = common::pg::owner_store(&path);
    let workflow = Workflow::load(&store).expect("workflow");
    let now = common::as_of() + chrono::Duration::hours(1);
    let user = |store: &citygrid::store::Store, login: &str| store.user_by_login(login).expect("reads").expect("account");
    let case = store.load_cases().expect("cases").into_iter().find(|case| case.state == CaseState::Dispatched).expect("a dispatched case");
    let holder = case.unit.expect("a unit");
    let operator = user(&store, &common::serve::operator_of(&store, holder));
    let case = workflow
        .apply(&mut store, &operator, case.id, case.revision, &Action::ReturnToCentre { reason: "不属于本单位".into() }, now)
        .expect("returned");
    let other =
        store.load_units().expect("units").into_iter().find(|unit| unit.code == "CGJ-SZ" && unit.id != holder).expect("another unit");
    let opening = citygrid::workflow::DisputeOpening { units: vec![holder, other.id], summary: "权属不清".into() };
    let dispatcher = user(&store, "dispatch1");
    workflow.open_dispute(&mut store, &dispatcher, case.id, &opening, now).expect("opened");

    let mut seat =
        harness_signed_in(location, None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "committee1", DEMO_PASSWORD)
            .expect("signs in");
    let position = seat.state().cases().position_of(case.id).expect("held");
    seat.state_mut().apply(Command::Select(Some(Selection::Case(position))));
    frames(&mut seat, 4);
    seat.get_by_label("Committee decision").scroll_to_me();
    frames(&mut seat, 10);
    seat.get_by_label("Committee decision").click();
    frames(&mut seat, 4);
    seat.get_by_label_contains("This dispute has no unit statement and no site check yet");
    // Everything else filled in: still refused until confirmed, and the dialog says why.
    seat.query_all_by_label("Responsible unit").last().expect("the unit list").click();
    frames(&mut seat, 3);
    seat.get_by_label(&format!("★ {}", other.name_en)).click();
    frames(&mut seat, 2);
    seat.query_all_by_label("Reasoning (required)").last().expect("the reasoning").click();
    frames(&mut seat, 1);
    seat.query_all_by_label("Reasoning (required)").last().expect("the reasoning").type_text("依据管线权属资料");
    frames(&mut seat, 2);
    seat.get_by_label_contains("No statement and no site check yet: check first");
    seat.get_by_label("OK").click();
    frames(&mut seat, 3);
    assert!(seat.state().desk().disputes.dialog.is_some(), "not decided without the confirmation");
    seat.get_by_label("Decide without statements or a site check").click();
    frames(&mut seat, 2);
    seat.get_by_label("OK").click();
    frames(&mut seat, 3);
    let started = Instant::now();
    while seat.state().desk().pending.is_some() {
        assert!(started.elapsed() < Duration::from_secs(30), "the decision is recorded");
        frames(&mut seat, 1);
    }
    let decided = common::pg::owner_store(&path).load_disputes(false).expect("disputes");
    assert!(decided.iter().any(|dispute| dispute.case_id == case.id && !dispute.is_open()), "{:?}", seat.state().desk().notice);
}
