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

/// The small demo district these tests share (3,000 parts, 200 cases) on the store the test
/// pass chose, the owner's connection to it, the rules, and a time an hour after the demo's.
struct Day {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    location: citygrid::store::Location,
    store: citygrid::store::Store,
    workflow: Workflow,
    now: chrono::NaiveDateTime,
}

fn day() -> Day {
    let (_dir, path, _) = common::small_demo(3_000, 200);
    let location = common::pg::chosen_location(&path);
    let store = common::pg::owner_store(&path);
    let workflow = Workflow::load(&store).expect("workflow");
    Day { _dir, path, location, store, workflow, now: common::as_of() + chrono::Duration::hours(1) }
}

/// An account by login.
fn user(store: &citygrid::store::Store, login: &str) -> citygrid::model::User {
    store.user_by_login(login).expect("reads").expect("account")
}

/// A citizen's hotline report of the class of `like` at its place, filed by intake1.
fn report_and_file(
    workflow: &Workflow,
    store: &mut citygrid::store::Store,
    like: &citygrid::model::Case,
    now: chrono::NaiveDateTime,
) -> citygrid::model::Case {
    let intake = user(store, "intake1");
    let report = citygrid::workflow::NewCase {
        source: citygrid::model::SourceChannel::Hotline12345,
        subject: like.subject,
        class_code: like.class_code.clone(),
        urgency: citygrid::model::Urgency::Normal,
        location: like.location,
        part_code: like.part_code,
        grid_code: like.grid_code,
        description: "市民来电".into(),
        photos: vec![],
        reporter_contact: None,
        address: String::new(),
    };
    let case = workflow.report_case(store, &intake, report, now).expect("reported").case;
    workflow.apply(store, &intake, case.id, case.revision, &Action::File { note: String::new(), correction: None }, now).expect("filed")
}

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
    let Day { _dir, location, mut store, workflow, now, .. } = day();
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
            let query = RoutingQuery::of_case(&case);
            let suggestion = suggest_unit(&routing, &query)?;
            let others = suggestion.alternatives.iter().filter(|candidate| candidate.unit != suggestion.unit).count();
            (others > 0).then_some((case.clone(), suggestion.unit))
        })
        .expect("a class and place with more than one candidate");
    // A new report of that class at that place, filed.
    let case = report_and_file(&workflow, &mut store, &found, now);
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
    // The timeline says who took each step and what they were, in English: the dispatcher by
    // role, the unit's operator by unit (an English gap before).
    let returned_by = seat.state().world().expect("loaded").unit_name(Some(suggested), Lang::En);
    let started = Instant::now();
    while seat.query_by_label(&format!("{} · {returned_by}", operator.display_name)).is_none() {
        assert!(started.elapsed() < Duration::from_secs(10), "the timeline names the unit operator by unit");
        frames(&mut seat, 1);
    }
    let named = seat.query_all_by_label(&format!("{} · Dispatcher", dispatcher.display_name)).count();
    assert_eq!(named, 2, "the top bar and the timeline's dispatch name the dispatcher with the role");
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
        assert_eq!(seat.query_all_by_label_contains(own).count(), 0, "{own} is offered");
    }
    // A real unit is offered (the list did open), with what it has in hand and its phone.
    let listed: Vec<String> =
        seat.query_all_by_label_contains(&format!("{other} · ")).map(|node| node.accesskit_node().label().unwrap_or_default()).collect();
    assert!(!listed.is_empty(), "the list is open");
    let brigade = store.load_units().expect("units").into_iter().find(|unit| unit.code == "CGJ-ZF").expect("unit");
    let open = seat
        .state()
        .cases()
        .cases()
        .iter()
        .filter(|case| case.unit == Some(brigade.id) && case.state.is_open() && !case.state.is_paused())
        .count();
    let phone = brigade.phone;
    assert!(listed.iter().any(|label| label.contains(&format!("{open} open")) && label.ends_with(&format!("tel. {phone}"))), "{listed:?}");
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
    let Day { _dir, path, location, mut store, workflow, now, .. } = day();
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

/// Item 4 (second part): a dispute over a part whose owner is on record lies between the part's
/// units and the unit the manual names, not the township or community office whose boundary
/// happens to be near; the centre and the committee are never offered as parties, and the
/// workflow refuses them; the case's panel names the part's units instead of a boundary.
#[test]
fn a_part_dispute_is_between_the_parts_units_not_the_area_offices_nor_the_centre() {
    let Day { _dir, location, mut store, workflow, now, .. } = day();
    let mut seat =
        harness_signed_in(location, None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    let (case, part, units, area_offices) = {
        let world = seat.state().world().expect("loaded");
        let routing = world.routing_data(&[]);
        let area_office = |unit: citygrid::model::UnitId| {
            world.jurisdictions.iter().any(|jurisdiction| {
                matches!(jurisdiction.kind, citygrid::model::JurisdictionKind::Community | citygrid::model::JurisdictionKind::Township)
                    && jurisdiction.owner_unit == Some(unit)
            })
        };
        let disputed: Vec<i64> = store.load_disputes(false).expect("disputes").iter().map(|dispute| dispute.case_id).collect();
        // A dispatched part case whose part has an owner on record, at a place where routing also
        // knows the area offices (what the old dialog proposed).
        let (case, part) = store
            .load_cases()
            .expect("cases")
            .into_iter()
            .filter(|case| case.state == CaseState::Dispatched && case.subject.item_kind() == citygrid::model::ItemKind::Part)
            .filter(|case| !disputed.contains(&case.id))
            .find_map(|case| {
                let part = world.parts.by_code(case.part_code?).filter(|part| part.owner_unit.is_some())?.as_ref().clone();
                let query = RoutingQuery::of_case(&case);
                let suggestion = suggest_unit(&routing, &query)?;
                let old_proposal: Vec<_> = std::iter::once(suggestion.unit)
                    .chain(suggestion.alternatives.iter().map(|candidate| candidate.unit))
                    .filter(|unit| Some(*unit) != case.unit)
                    .take(3)
                    .collect();
                old_proposal.iter().any(|unit| area_office(*unit)).then_some((case, part))
            })
            .expect("a part case near area offices");
        let area_offices: Vec<_> = world.units.iter().filter(|unit| area_office(unit.id)).map(|unit| unit.id).collect();
        (case, part, world.units.clone(), area_offices)
    };
    let holder = case.unit.expect("dispatched");

    let position = seat.state().cases().position_of(case.id).expect("held");
    seat.state_mut().apply(Command::Select(Some(Selection::Case(position))));
    frames(&mut seat, 4);
    // The panel names the part's units, not the community boundary nearby.
    seat.get_by_label_contains(&format!("Part {}: owner", part.code));
    assert_eq!(
        seat.query_all_by_label_contains("Community ").filter(|node| node.value().unwrap_or_default().contains("boundary")).count(),
        0
    );
    seat.get_by_label("Open a dispute").scroll_to_me();
    frames(&mut seat, 10);
    seat.get_by_label("Open a dispute").click();
    frames(&mut seat, 4);
    let dialog = seat.state().desk().disputes.dialog.clone().expect("the dialog is open");
    assert!(!dialog.units.is_empty(), "units are proposed");
    for unit in &dialog.units {
        assert!(!area_offices.contains(unit), "an area office is proposed for a part with an owner: {unit:?}");
    }
    let owner = part.owner_unit.expect("owned");
    if owner != holder {
        assert!(dialog.units.contains(&owner), "the part's owner is proposed");
    }
    for candidate in &dialog.candidates {
        seat.get_by_label_contains(&candidate.reason_en);
    }
    // The other units, opened: neither the centre nor the committee.
    seat.get_by_label("Other units").click();
    frames(&mut seat, 4);
    for own in ["District supervision and command centre", "District urban management committee"] {
        assert_eq!(seat.query_all_by_label(own).count(), 0, "{own} is offered as a party");
    }
    let listed = units.iter().filter(|unit| unit.takes_dispatches() && !dialog.units.contains(&unit.id) && unit.id != holder);
    assert!(listed.into_iter().any(|unit| seat.query_all_by_label(&unit.name_en).count() > 0), "the other units are listed");
    seat.query_all_by_label("What is disputed (required)").last().expect("the summary").click();
    frames(&mut seat, 1);
    seat.query_all_by_label("What is disputed (required)").last().expect("the summary").type_text("管线权属不清");
    frames(&mut seat, 2);
    seat.get_by_label("OK").click();
    let started = Instant::now();
    while seat.state().desk().disputes.dialog.is_some() || seat.state().desk().pending.is_some() {
        assert!(started.elapsed() < Duration::from_secs(30), "the dispute is opened");
        frames(&mut seat, 1);
    }
    let opened = store.load_disputes(true).expect("disputes").into_iter().find(|dispute| dispute.case_id == case.id).expect("opened");
    let mut expected = vec![holder];
    expected.extend(dialog.units.iter().copied().filter(|unit| *unit != holder));
    assert_eq!(opened.units, expected, "the parties are the holder and the proposed units");

    // The workflow refuses the centre and the committee, whatever a client sends.
    let centre = units.iter().find(|unit| unit.code == "ZX").expect("centre").id;
    let committee = units.iter().find(|unit| unit.code == "CGW").expect("committee").id;
    let dispatcher = user(&store, "dispatch1");
    let filed = report_and_file(&workflow, &mut store, &case, now);
    for unit in [centre, committee] {
        let refused = workflow
            .apply(&mut store, &dispatcher, filed.id, filed.revision, &Action::Dispatch { unit, note: String::new() }, now)
            .expect_err("refused");
        assert!(
            matches!(refused, citygrid::workflow::WorkflowError::Refused(citygrid::workflow::Refusal::NotAHandlingUnit { .. })),
            "{refused:?}"
        );
        let opening = citygrid::workflow::DisputeOpening { units: vec![unit], summary: "谁管".into() };
        let refused = workflow.open_dispute(&mut store, &dispatcher, filed.id, &opening, now).expect_err("refused");
        assert!(
            matches!(refused, citygrid::workflow::WorkflowError::Refused(citygrid::workflow::Refusal::NotAHandlingUnit { .. })),
            "{refused:?}"
        );
    }
    assert_eq!(
        store.load_cases().expect("cases").into_iter().find(|case| case.id == filed.id).expect("still there").revision,
        filed.revision,
        "nothing was written"
    );
}

/// Urgency: the 待中心处理 queue shows each row's own clock (the stage it waits in) and orders
/// the rows by it, as the "time left" header says: a case returned days ago and not redispatched
/// sits among the most late, not last, and its row reads how late it is.
#[test]
fn the_centre_queue_orders_rows_by_their_own_clocks_and_a_long_returned_case_is_not_last() {
    use citygrid::desk::shown_minutes_left;
    let Day { _dir, location, mut store, workflow, now, .. } = day();
    let case = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| case.state == CaseState::Dispatched && case.pending_request.is_none())
        .expect("a dispatched case");
    let operator = user(&store, &common::serve::operator_of(&store, case.unit.expect("unit")));
    let returned = workflow
        .apply(&mut store, &operator, case.id, case.revision, &Action::ReturnToCentre { reason: "不属于本单位职责范围".into() }, now)
        .expect("returned");
    // Sixteen days later nobody has redispatched it.
    let later = now + chrono::Duration::days(16);
    let mut seat =
        harness_signed_in(location, None, [1500, 950], Lang::En, Some(later), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    seat.get_by_label("At the centre").click();
    frames(&mut seat, 4);
    let rows = seat.state_mut().case_list_rows();
    let book = seat.state().cases();
    let shown: Vec<Option<i64>> = rows.iter().map(|position| shown_minutes_left(book.status(*position).expect("status"))).collect();
    let timed = shown.iter().take_while(|left| left.is_some()).count();
    assert!(timed * 10 >= shown.len() * 9, "the rows at the centre show their own clock ({timed} of {})", shown.len());
    assert!(shown[..timed].windows(2).all(|pair| pair[0] <= pair[1]), "rows are ordered by the time left they show: {shown:?}");
    let at = rows.iter().position(|position| book.get(*position).expect("case").id == returned.id).expect("listed");
    let left = shown[at].expect("the returned case shows its dispatch clock");
    assert!(left < 0, "late after 16 days");
    assert!(shown[..at].iter().all(|earlier| earlier.is_some_and(|earlier| earlier <= left)), "only later cases come before it");
    let status = book.status(rows[at]).expect("status");
    let text = citygrid::ui::desk::stage_text(&status.stage.expect("a stage clock"), Lang::En);
    assert!(text.starts_with("Dispatch: ") && text.ends_with(" over"), "{text}");
}

/// The counters at the top of the desk: each reads the number of rows its click lists, the
/// overdue and stage-late ones are the wall's tiles, and a unit operator's count only its unit.
#[test]
fn the_desks_counters_list_what_they_count_and_agree_with_the_wall() {
    use citygrid::desk::Queue;
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let location = common::pg::chosen_location(&path);
    let now = common::as_of() + chrono::Duration::hours(1);
    let mut seat =
        harness_signed_in(location.clone(), None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    frames(&mut seat, 2);
    let wall = citygrid::ui::wall::figures(seat.state().cases(), now);
    for (label, queue) in [
        ("Open", Queue::Open),
        ("Overdue", Queue::OverdueNow),
        ("Due soon", Queue::DueSoon),
        ("At centre", Queue::AtCentre),
        ("Stage late", Queue::StageLate),
    ] {
        let count = seat.state().cases().count(&queue.filter());
        assert!(count > 0, "the demo has cases {label}");
        seat.get_by_label(&format!("{label} {count}")).click();
        frames(&mut seat, 3);
        let rows = seat.state_mut().case_list_rows();
        assert_eq!(rows.len(), count, "{label}: the click lists what the counter counts");
        let book = seat.state().cases();
        match queue {
            Queue::OverdueNow => {
                assert_eq!(count, wall.overdue_now, "the wall's 当前超期");
                for position in &rows {
                    let status = book.status(*position).expect("status");
                    assert!(status.clock == citygrid::workflow::ClockState::Running && status.remaining_minutes() < 0);
                }
            }
            Queue::StageLate => assert_eq!(count, wall.stage_late_now, "the wall's 环节超时"),
            Queue::Open => assert_eq!(count, wall.open_now, "the wall's 在办案卷"),
            _ => {}
        }
    }
    drop(seat);

    // A unit operator counts its own unit's cases, and has no centre queue.
    let store = common::pg::owner_store(&path);
    let busiest = {
        let cases = store.load_cases().expect("cases");
        let mut units: Vec<_> = cases.iter().filter(|case| case.state.is_open()).filter_map(|case| case.unit).collect();
        units.sort_by_key(|unit| std::cmp::Reverse(cases.iter().filter(|case| case.unit == Some(*unit) && case.state.is_open()).count()));
        units[0]
    };
    let login = common::serve::operator_of(&store, busiest);
    let mut seat = harness_signed_in(location, None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), &login, DEMO_PASSWORD)
        .expect("signs in");
    frames(&mut seat, 2);
    let user = store.user_by_login(&login).expect("reads").expect("account");
    let own = seat.state().cases().count(&Queue::Open.filter().for_user(&user));
    // The unit's open cases in the file (a server seat holds only these; a file seat all).
    let expected = store.load_cases().expect("cases").iter().filter(|case| case.state.is_open() && case.involves(busiest)).count();
    assert!(own > 0 && own == expected, "{own} counted, {expected} in the file");
    seat.get_by_label(&format!("Open {own}")).click();
    frames(&mut seat, 3);
    assert_eq!(seat.state_mut().case_list_rows().len(), own);
    assert_eq!(seat.query_all_by_label_contains("At centre ").count(), 0, "no centre queue for a unit");
}

fn press_at(seat: &mut Harness<'static, CitygridApp>, pos: egui::Pos2, button: egui::PointerButton) {
    seat.event(egui::Event::PointerMoved(pos));
    frames(seat, 1);
    for pressed in [true, false] {
        seat.event(egui::Event::PointerButton { pos, button, pressed, modifiers: egui::Modifiers::NONE });
        frames(seat, 1);
    }
    frames(seat, 2);
}

/// The cases located inside an area, counted independently of the desk's filter code.
fn cases_inside(seat: &Harness<'static, CitygridApp>, area: usize) -> usize {
    let shape = &seat.state().world().expect("loaded").jurisdictions[area].geometry;
    seat.state().cases().cases().iter().filter(|case| geo::Intersects::intersects(shape, &case.location)).count()
}

/// Issue 22: the case list filters by a township or grid cell picked from the map (a right
/// click lists the areas there; an area's details have the same button), keeps its other
/// filters, and lists exactly the cases located inside.
#[test]
fn a_right_click_on_the_map_lists_the_cases_of_the_township_or_grid_cell_there() {
    use citygrid::model::JurisdictionKind;
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let location = common::pg::chosen_location(&path);
    let now = common::as_of() + chrono::Duration::hours(1);
    let mut seat =
        harness_signed_in(location, None, [1500, 950], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    frames(&mut seat, 2);
    seat.get_by_label("All cases").click();
    frames(&mut seat, 2);
    let everything = seat.state_mut().case_list_rows().len();
    assert_eq!(everything, seat.state().cases().len());
    let spot = seat.state().cases().cases().iter().find(|case| case.grid_code.is_some()).expect("a case in the grid").location;
    seat.state_mut().apply(Command::CenterAt { lon: spot.x(), lat: spot.y(), zoom: 15.0 });
    frames(&mut seat, 3);
    let (township, cell) = {
        let world = seat.state().world().expect("loaded");
        let here = world.jurisdictions_at(spot.x(), spot.y());
        let of = |kind| *here.iter().find(|index| world.jurisdictions[**index].kind == kind).expect("an area of the kind");
        (of(JurisdictionKind::Township), of(JurisdictionKind::GridCell))
    };
    let map = citygrid::ui::map_view::last_map_rect(&seat.ctx).expect("the map was drawn");
    press_at(&mut seat, map.center(), egui::PointerButton::Secondary);
    seat.get_by_label("List the cases of the area here");
    let name = seat.state().world().expect("loaded").jurisdictions[township].name.clone();
    seat.get_by_label(&format!("Township {name}")).click();
    frames(&mut seat, 3);
    let rows = seat.state_mut().case_list_rows();
    let inside = cases_inside(&seat, township);
    assert!(inside > 0, "{inside} of {everything} cases in {name}");
    assert_eq!(rows.len(), inside, "the list holds exactly the cases inside {name}");
    let chip =
        seat.query_all_by_label_contains("Area: ").next().expect("the list says which area").accesskit_node().label().unwrap_or_default();
    assert!(chip.contains(&name), "{chip}");

    // Another filter stays: only the open ones inside.
    seat.get_by_label("In progress").click();
    frames(&mut seat, 2);
    let open_inside = {
        let shape = &seat.state().world().expect("loaded").jurisdictions[township].geometry;
        let book = seat.state().cases();
        book.cases().iter().filter(|case| case.state.is_open() && geo::Intersects::intersects(shape, &case.location)).count()
    };
    assert_eq!(seat.state_mut().case_list_rows().len(), open_inside);

    // The grid cell from its details panel.
    seat.get_by_label("All cases").click();
    seat.state_mut().apply(Command::Select(Some(Selection::Jurisdiction(cell))));
    frames(&mut seat, 3);
    seat.get_by_label("List cases in this area").click();
    frames(&mut seat, 3);
    let inside_cell = cases_inside(&seat, cell);
    assert!(inside_cell >= 1 && inside_cell < everything, "{inside_cell} of {everything} in the cell");
    assert_eq!(seat.state_mut().case_list_rows().len(), inside_cell);

    // Removing the condition brings every case back.
    seat.query_all_by_label_contains("Area: ").next().expect("the area condition").click();
    frames(&mut seat, 3);
    assert_eq!(seat.state_mut().case_list_rows().len(), everything);
}

/// Issue 22: batch dispatch. A dispatcher ticks the filed cases, sees each with its suggested
/// unit and the deadline it gets, changes one (which then needs a reason), and sends them: each
/// is dispatched as its own step in dispatch1's name; one sent meanwhile from another seat is
/// refused with its case number and stays out, the rest go.
#[test]
fn ticked_cases_are_dispatched_in_one_go_each_as_its_own_recorded_step() {
    let Day { _dir, location, mut store, workflow, now, .. } = day();
    // Three fresh filed cases like open ones of the demo.
    let likes: Vec<citygrid::model::Case> =
        store.load_cases().expect("cases").into_iter().filter(|case| case.state.is_open() && case.unit.is_some()).take(3).collect();
    let filed: Vec<citygrid::model::Case> = likes.iter().map(|like| report_and_file(&workflow, &mut store, like, now)).collect();
    let mut seat =
        harness_signed_in(location, None, [1600, 1000], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    frames(&mut seat, 2);
    seat.get_by_label("At the centre").click();
    frames(&mut seat, 2);
    let dispatchable: Vec<i64> = seat
        .state()
        .cases()
        .cases()
        .iter()
        .filter(|case| matches!(case.state, CaseState::Filed | CaseState::Returned))
        .map(|case| case.id)
        .collect();
    assert!(filed.iter().all(|case| dispatchable.contains(&case.id)));
    seat.get_by_label(&format!("Tick all {} dispatchable in the list", dispatchable.len())).click();
    frames(&mut seat, 2);
    seat.get_by_label(&format!("Dispatch ticked ({})…", dispatchable.len())).click();
    frames(&mut seat, 3);
    seat.get_by_label(&format!("Dispatch {} cases", dispatchable.len()));
    // Leave all but the three fresh cases out (× on the others).
    loop {
        let rows = seat.state().desk().batch.as_ref().expect("the batch window").rows.clone();
        let Some(index) = rows.iter().position(|row| !filed.iter().any(|case| case.id == row.case_id)) else { break };
        seat.query_all_by_label("×").nth(index).expect("the row’s ×").click();
        frames(&mut seat, 2);
    }
    // The pointer leaves the last × (its tooltip would keep the unit list from opening).
    seat.event(egui::Event::PointerMoved(egui::pos2(5.0, 900.0)));
    frames(&mut seat, 5);
    seat.get_by_label("Dispatch 3 cases");
    let rows = seat.state().desk().batch.as_ref().expect("the batch window").rows.clone();
    let world = seat.state().world().expect("loaded");
    for row in &rows {
        let suggested = row.suggestion.as_ref().expect("routing suggests a unit").unit;
        assert_eq!(row.unit, Some(suggested), "{}: the suggested unit to begin with", row.case_no);
        let (_, due) = row.deadline.expect("the deadline it gets");
        assert!(seat.query_all_by_label(&due.format("%m-%d %H:%M").to_string()).next().is_some(), "the deadline is shown");
        assert_ne!(world.unit(suggested).map(|unit| unit.code.as_str()), Some("ZX"));
    }
    // The first row to another unit: a reason is then required.
    let first_unit = world.unit_name(rows[0].unit, Lang::En);
    let other = world
        .units
        .iter()
        .find(|unit| unit.takes_dispatches() && Some(unit.id) != rows[0].unit && !rows.iter().any(|row| row.unit == Some(unit.id)))
        .expect("another unit")
        .clone();
    // The batch window's three unit pickers are the last drop-downs of the window.
    let pickers: Vec<_> = seat.query_all_by_role(egui::accesskit::Role::ComboBox).collect();
    let picker = &pickers[pickers.len() - 3];
    assert!(picker.accesskit_node().value().unwrap_or_default().contains(&first_unit) || format!("{picker:?}").contains(&first_unit));
    let bounds = picker.accesskit_node().bounding_box().expect("drawn");
    let centre = egui::pos2(((bounds.x0 + bounds.x1) / 2.0) as f32, ((bounds.y0 + bounds.y1) / 2.0) as f32);
    press_at(&mut seat, centre, egui::PointerButton::Primary);
    frames(&mut seat, 3);
    seat.render().expect("r").save("/tmp/dbg.png").expect("s");
    for node in seat.query_all_by_label_contains(" open") {
        eprintln!("OPT {:?}", node.accesskit_node().label());
    }
    seat.get_by_label_contains(&format!("{} · ", other.name_en)).click();
    frames(&mut seat, 2);
    assert_eq!(seat.state().desk().batch.as_ref().expect("open").rows[0].unit, Some(other.id));
    assert!(seat.query_all_by_label_contains("needs a reason").next().is_some(), "the window says a reason is needed");
    assert!(seat.get_by_label("OK").accesskit_node().is_disabled(), "no reason yet");
    seat.get_by_label("Reason (1 not to the suggested unit: required)").click();
    seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("the reason").type_text("现场核实为该单位养护");
    frames(&mut seat, 2);
    // Meanwhile another seat dispatches the third case.
    let leader = user(&store, "leader1");
    let third = &filed[2];
    workflow
        .apply(
            &mut store,
            &leader,
            third.id,
            third.revision,
            &Action::Dispatch { unit: rows[2].unit.expect("unit"), note: String::new() },
            now,
        )
        .expect("dispatched elsewhere");
    frames(&mut seat, 2);
    let batch = seat.state().desk().batch.as_ref().expect("still open");
    assert!(!seat.get_by_label("OK").accesskit_node().is_disabled(), "OK is enabled: {:?}", batch.steps().err());
    seat.get_by_label("OK").click();
    let started = Instant::now();
    let answered = |seat: &Harness<'static, CitygridApp>| {
        seat.state().desk().pending.is_none()
            && seat.state().desk().notice.as_ref().is_some_and(|notice| notice.text.contains("dispatched"))
    };
    while !answered(&seat) {
        assert!(started.elapsed() < Duration::from_secs(30), "the batch is answered");
        frames(&mut seat, 1);
    }
    frames(&mut seat, 2);
    let notice = seat.state().desk().notice.clone().expect("a notice");
    assert!(notice.error && notice.text.starts_with("2 dispatched") && notice.text.contains(&third.case_no), "{}", notice.text);
    for (index, case) in filed.iter().enumerate().take(2) {
        let stored = store.load_case(case.id).expect("reads").expect("case");
        assert_eq!(stored.state, CaseState::Dispatched);
        let expected = if index == 0 { Some(other.id) } else { rows[index].unit };
        assert_eq!(stored.unit, expected);
        let dispatch = store.case_events(case.id).expect("events").into_iter().rfind(|event| event.action == "dispatch").expect("the step");
        let dispatcher = user(&store, "dispatch1");
        assert_eq!(dispatch.actor_user_id, Some(dispatcher.id), "each step names who took it");
        if index == 0 {
            assert!(dispatch.data.to_string().contains("现场核实为该单位养护"), "the reason is recorded: {}", dispatch.data);
        }
    }
    let third_events = store.case_events(third.id).expect("events");
    assert_eq!(third_events.iter().filter(|event| event.action == "dispatch").count(), 1, "dispatched once, by leader1");
}

fn until_seen(seat: &mut Harness<'static, CitygridApp>, what: &str, done: impl Fn(&Harness<'static, CitygridApp>) -> bool) {
    let started = Instant::now();
    while !done(seat) {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        frames(seat, 2);
    }
}

/// Issue 22: the desk tells the dispatcher of a new report, a returned case and a case newly
/// overdue as it happens at other seats, one click shows the case, and each kind can be
/// switched off (and stays off).
#[test]
fn the_desk_alerts_new_reports_returns_and_newly_overdue_cases_each_switchable() {
    let Day { _dir, location, mut store, workflow, now, .. } = day();
    let leader = user(&store, "leader1");
    let mut seat =
        harness_signed_in(location, None, [1600, 1000], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    frames(&mut seat, 2);
    assert_eq!(seat.state().desk().alerts.recent().count(), 0, "nothing at sign-in");

    // A hotline report filed at another seat.
    let likes: Vec<citygrid::model::Case> =
        store.load_cases().expect("cases").into_iter().filter(|case| case.state.is_open() && case.unit.is_some()).take(2).collect();
    let fresh = report_and_file(&workflow, &mut store, &likes[0], now);
    let notice = format!("New report · {}", fresh.case_no);
    until_seen(&mut seat, "the new report's notice", |seat| seat.query_all_by_label_contains(&notice).next().is_some());
    seat.get_by_label("Show").click();
    frames(&mut seat, 3);
    let position = seat.state().cases().position_of(fresh.id).expect("held");
    assert_eq!(seat.state().selection(), Some(Selection::Case(position)), "Show selects the case");
    assert!(seat.query_all_by_label_contains(&notice).next().is_none(), "and the notice goes");

    // The unit returns it.
    let unit = suggest_unit(&seat.state().world().expect("loaded").routing_data(&[]), &RoutingQuery::of_case(&fresh)).expect("a unit").unit;
    let dispatched = workflow
        .apply(&mut store, &leader, fresh.id, fresh.revision, &Action::Dispatch { unit, note: String::new() }, now)
        .expect("dispatched");
    let operator = user(&store, &common::serve::operator_of(&store, unit));
    workflow
        .apply(&mut store, &operator, dispatched.id, dispatched.revision, &Action::ReturnToCentre { reason: "非本单位".into() }, now)
        .expect("returned");
    let returned = format!("Returned · {}", fresh.case_no);
    until_seen(&mut seat, "the return's notice", |seat| seat.query_all_by_label_contains(&returned).next().is_some());
    assert_eq!(seat.state().desk().alerts.recent().count(), 2);

    // Returns switched off in the Alerts menu: the next return is not announced.
    seat.query_all_by_label_contains("Alerts").next().expect("the alerts menu").click();
    frames(&mut seat, 3);
    seat.get_by_label("Cases returned by units").click();
    frames(&mut seat, 2);
    assert!(!seat.state().settings().alerts.returns);
    assert!(seat.state().settings().alerts.new_reports, "the other kinds stay on");
    seat.key_press(egui::Key::Escape);
    frames(&mut seat, 2);
    let second = report_and_file(&workflow, &mut store, &likes[1], now);
    until_seen(&mut seat, "the second report reaches the seat", |seat| seat.state().cases().position_of(second.id).is_some());
    let second_unit =
        suggest_unit(&seat.state().world().expect("loaded").routing_data(&[]), &RoutingQuery::of_case(&second)).expect("a unit").unit;
    let second = workflow
        .apply(&mut store, &leader, second.id, second.revision, &Action::Dispatch { unit: second_unit, note: String::new() }, now)
        .expect("dispatched");
    let second_operator = user(&store, &common::serve::operator_of(&store, second_unit));
    workflow
        .apply(&mut store, &second_operator, second.id, second.revision, &Action::ReturnToCentre { reason: "非本单位".into() }, now)
        .expect("returned");
    until_seen(&mut seat, "the second return reaches the seat", |seat| {
        let book = seat.state().cases();
        book.position_of(second.id).and_then(|position| book.get(position)).is_some_and(|case| case.state == CaseState::Returned)
    });
    frames(&mut seat, 2);
    let kinds: Vec<_> =
        seat.state().desk().alerts.recent().filter(|(alert, _)| alert.case_id == second.id).map(|(alert, _)| alert.kind).collect();
    assert_eq!(kinds, vec![citygrid::desk::alerts::AlertKind::NewReport], "its report is announced, its return is not");

    // The clock passes the nearest running deadline: that case is announced overdue.
    let (soonest, deadline) = {
        let book = seat.state().cases();
        book.cases()
            .iter()
            .enumerate()
            .filter(|(position, _)| {
                book.status(*position)
                    .is_some_and(|status| status.clock == citygrid::workflow::ClockState::Running && status.remaining_minutes() > 0)
            })
            .filter_map(|(_, case)| Some((case.id, case.deadline_at?)))
            .min_by_key(|(_, deadline)| *deadline)
            .expect("a running case")
    };
    seat.state_mut().set_clock(deadline + chrono::Duration::minutes(1));
    until_seen(&mut seat, "the overdue notice", |seat| {
        seat.state()
            .desk()
            .alerts
            .recent()
            .any(|(alert, _)| alert.case_id == soonest && alert.kind == citygrid::desk::alerts::AlertKind::NewlyOverdue)
    });
}

/// Issue 22: shift handover. The outgoing dispatcher leaves a note with the desk's figures; the
/// next shift leader is shown it at sign-in and confirms it; both are entries of the
/// administrative trail under their own accounts, and a unit operator may write none.
#[test]
fn a_shift_hands_over_with_a_note_and_the_next_confirms_it_in_the_audit_trail() {
    let Day { _dir, location, mut store, now, .. } = day();
    let note = "202611250003 待回访；岩寺镇文峰路路灯故障待复查";
    let mut seat =
        harness_signed_in(location.clone(), None, [1600, 1000], Lang::En, Some(now), Duration::from_secs(120), "dispatch1", DEMO_PASSWORD)
            .expect("signs in");
    frames(&mut seat, 2);
    until_seen(&mut seat, "the notes are read at sign-in", |seat| seat.state().desk().handover.notes.is_some());
    assert!(!seat.state().desk().handover.open, "no note waits: the window stays shut");
    seat.get_by_label("Handover").click();
    frames(&mut seat, 3);
    seat.get_by_label("No note yet");
    seat.get_by_label("What the next shift must know").click();
    frames(&mut seat, 1);
    seat.get_by_label("What the next shift must know").type_text(note);
    frames(&mut seat, 2);
    let open_now = seat.state().cases().count(&citygrid::desk::Queue::Open.filter());
    seat.get_by_label("Hand over").click();
    until_seen(&mut seat, "the note is saved", |seat| {
        seat.state().desk().notice.as_ref().is_some_and(|notice| notice.text == "Handover note saved")
    });
    drop(seat);

    let mut seat = harness_signed_in(
        location.clone(),
        None,
        [1600, 1000],
        Lang::En,
        Some(now + chrono::Duration::minutes(5)),
        Duration::from_secs(120),
        "leader1",
        DEMO_PASSWORD,
    )
    .expect("signs in");
    until_seen(&mut seat, "the last shift's note opens by itself", |seat| {
        seat.query_all_by_label("The last shift's note (read and confirm)").next().is_some()
    });
    assert!(seat.query_all_by_label(note).next().is_some(), "the note is shown");
    seat.get_by_label("Confirm read: I take over").click();
    until_seen(
        &mut seat,
        "the confirmation is read back",
        |seat| matches!(&seat.state().desk().handover.notes, Some(Ok(notes)) if notes.first().is_some_and(|first| !first.read_by.is_empty())),
    );
    drop(seat);

    let (dispatcher, leader) = (user(&store, "dispatch1"), user(&store, "leader1"));
    let notes = store.handovers(5).expect("reads");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, note);
    assert_eq!(notes[0].author_id, Some(dispatcher.id));
    assert_eq!(notes[0].figures["open"].as_u64(), Some(open_now as u64), "the figures of the desk when written");
    assert_eq!(notes[0].read_by.iter().map(|(reader, ..)| *reader).collect::<Vec<_>>(), vec![leader.id]);
    assert!(store.verify_audit(None).expect("verifies").is_intact());

    // A unit operator may not hand over the centre's shift, nor confirm a note.
    let unit = store.load_units().expect("units").into_iter().find(|unit| unit.takes_dispatches()).expect("a unit").id;
    let operator = user(&store, &common::serve::operator_of(&store, unit));
    let refused = store.write_handover(&operator, now, "我是值班长", &serde_json::json!({})).expect_err("refused");
    assert!(refused.to_string().contains("hand over a shift"), "{refused}");
    assert!(store.confirm_handover(&operator, notes[0].id, now).is_err());
    assert_eq!(store.handovers(5).expect("reads")[0].read_by.len(), 1, "nothing more was written");
}
