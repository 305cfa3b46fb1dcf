//! The dispatch desk as its users work it, through the real app and the real database file:
//! a dispatcher sends a filed case out, the unit's operator returns it, a shift leader reports a
//! new case by clicking the map, and two seats on one file see each other's steps.

mod common;

use std::time::{Duration, Instant};

use citygrid::app::{CitygridApp, harness_signed_in};
use citygrid::demo::DEMO_PASSWORD;
use citygrid::model::CaseState;
use citygrid::session::{Command, Selection};
use citygrid::ui::Lang;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const TIMEOUT: Duration = Duration::from_secs(120);

/// A seat on the suite's district (the file, or its copy on the server: `CITYGRID_TEST_STORE`),
/// signed in as `login`.
fn seat_as(path: &std::path::Path, size: [u32; 2], lang: Lang, login: &str) -> anyhow::Result<Harness<'static, CitygridApp>> {
    let location = common::pg::chosen_location(path);
    harness_signed_in(location, None, size, lang, Some(common::as_of()), TIMEOUT, login, DEMO_PASSWORD)
}

fn steps(harness: &mut Harness<'static, CitygridApp>, count: usize) {
    for _ in 0..count {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A click with a frame between moving, pressing and releasing, as a hand makes it.
fn click_at(harness: &mut Harness<'static, CitygridApp>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    steps(harness, 1);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers: egui::Modifiers::NONE });
        steps(harness, 1);
    }
    steps(harness, 3);
}

/// Steps until `done` holds (the worker answers on its own thread).
fn until(harness: &mut Harness<'static, CitygridApp>, what: &str, done: impl Fn(&CitygridApp) -> bool) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}: {:?}", harness.state().desk().notice);
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    steps(harness, 3);
}

/// Position in the seat's book of the first case in `state`.
fn first_in(harness: &Harness<'static, CitygridApp>, state: CaseState) -> usize {
    let book = harness.state().cases();
    (0..book.len()).find(|position| book.get(*position).is_some_and(|case| case.state == state)).expect("the demo has such a case")
}

/// Where the case `id` is in the seat's book now: on a server each sign-in reads the district
/// again as its login, so positions change with who is signed in.
fn at(seat: &Harness<'static, CitygridApp>, id: i64) -> usize {
    seat.state().cases().position_of(id).expect("the seat holds the case")
}

fn login_of_unit(harness: &Harness<'static, CitygridApp>, unit: citygrid::model::UnitId) -> String {
    let world = harness.state().world().expect("loaded");
    let code = &world.unit(unit).expect("known unit").code;
    format!("unit_{}", code.to_lowercase().replace('-', "_"))
}

#[test]
fn a_dispatcher_sends_a_filed_case_to_the_suggested_unit_and_that_unit_returns_it() {
    let (_dir, path, _) = common::small_demo(5_000, 300);
    let mut seat = seat_as(&path, [1500, 950], Lang::En, "dispatch1").expect("loads");
    let position = first_in(&seat, CaseState::Filed);
    let case = seat.state().cases().get(position).expect("case").clone();

    // Find it in the list by its number, and click its row.
    seat.get_by_label("At the centre").click();
    steps(&mut seat, 2);
    // The second text field of the window: the list's search (the first is the top bar's).
    let text_input = egui::accesskit::Role::TextInput;
    seat.query_all_by_role(text_input).nth(1).expect("the list's search field").click();
    steps(&mut seat, 1);
    seat.query_all_by_role(text_input).nth(1).expect("the list's search field").type_text(&case.case_no);
    steps(&mut seat, 3);
    let row = seat.get_by_label(&case.case_no).rect().center();
    click_at(&mut seat, row);
    assert_eq!(seat.state().selection(), Some(Selection::Case(position)));

    // The detail panel offers the dispatcher's steps; the dialog proposes the routed unit.
    seat.get_by_label("Dispatch").click();
    steps(&mut seat, 3);
    seat.get_by_label_contains("Suggested: ");
    seat.get_by_label("OK").click();
    steps(&mut seat, 2);
    until(&mut seat, "the dispatch", |app| app.desk().pending.is_none());
    let dispatched = seat.state().cases().get(position).expect("case").clone();
    assert_eq!(dispatched.state, CaseState::Dispatched, "{:?}", seat.state().desk().notice);
    let unit = dispatched.unit.expect("a unit");
    assert!(dispatched.deadline_at.is_some(), "the deadline is set at dispatch");
    // Written to the file, with the dispatcher in the audit trail.
    let store = common::pg::reopen(&path);
    assert_eq!(store.load_case(case.id).expect("reads").expect("exists").state, CaseState::Dispatched);
    let events = store.case_events(case.id).expect("audit trail");
    let last = events.last().expect("an entry");
    assert_eq!(last.action, "dispatch");
    assert_eq!(last.actor_name.as_deref(), Some(seat.state().user().expect("signed in").display_name.as_str()));
    drop(store);
    // The timeline shows the step.
    until(&mut seat, "the timeline", |app| {
        app.desk().timeline.as_ref().is_some_and(|(id, revision, timeline)| {
            *id == case.id && *revision == dispatched.revision && timeline.as_ref().is_ok_and(|t| !t.events.is_empty())
        })
    });
    assert!(seat.query_all_by_label("Dispatch").count() >= 1);

    // The unit's operator sees only the unit's cases and returns this one with a reason.
    let login = login_of_unit(&seat, unit);
    seat.get_by_label("Sign out").click();
    steps(&mut seat, 2);
    seat.get_by_label("Sign in");
    seat.state_mut().sign_in_blocking(&login, DEMO_PASSWORD, Duration::from_secs(30)).expect("the unit signs in");
    steps(&mut seat, 3);
    seat.get_by_label_contains("own unit only");
    let selected = at(&seat, case.id);
    seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
    steps(&mut seat, 3);
    // Only the unit's steps are offered (the timeline still names the dispatch).
    assert_eq!(seat.query_all_by_label("Dispatch").count(), 1, "a unit gets no dispatch button");
    seat.get_by_label("Return to centre").click();
    steps(&mut seat, 3);
    // The reason is mandatory: OK stays disabled until it is given.
    seat.get_by_label("OK").click();
    steps(&mut seat, 2);
    assert_eq!(seat.state().cases().get(at(&seat, case.id)).expect("case").state, CaseState::Dispatched);
    seat.get_by_label("Reason (required)").click();
    steps(&mut seat, 1);
    seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("reason field").type_text("井盖属燃气公司，不属本单位");
    steps(&mut seat, 2);
    seat.get_by_label("OK").click();
    steps(&mut seat, 2);
    until(&mut seat, "the return", |app| app.desk().pending.is_none());
    let returned = seat.state().cases().get(at(&seat, case.id)).expect("case").clone();
    assert_eq!(returned.state, CaseState::Returned, "{:?}", seat.state().desk().notice);
    let store = common::pg::reopen(&path);
    let last = store.case_events(case.id).expect("audit").pop().expect("entry");
    assert_eq!(last.action, "return");
    assert_eq!(last.data["reason"], "井盖属燃气公司，不属本单位");
}

#[test]
fn a_step_on_a_stale_copy_is_refused_by_name_and_the_other_seat_catches_up_by_itself() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    common::file_one_case(&path);
    let mut first = seat_as(&path, [1400, 900], Lang::En, "dispatch1").expect("loads");
    let mut second = seat_as(&path, [1400, 900], Lang::Zh, "leader1").expect("loads");
    let position = first_in(&first, CaseState::Filed);
    let case = first.state().cases().get(position).expect("case").clone();
    let unit = first.state().world().expect("loaded").units.iter().find(|unit| unit.takes_dispatches()).expect("a unit").id;

    first.state_mut().apply(Command::Act {
        case_id: case.id,
        revision: case.revision,
        action: citygrid::workflow::Action::Dispatch { unit, note: String::new() },
    });
    until(&mut first, "the dispatch", |app| app.desk().pending.is_none());
    assert_eq!(first.state().cases().get(position).expect("case").state, CaseState::Dispatched);

    // The second seat still holds the filed copy; its shift leader cancels-closes it as erroneous.
    let second_position = second.state().cases().position_of(case.id).expect("same case");
    second.state_mut().apply(Command::Act {
        case_id: case.id,
        revision: case.revision,
        action: citygrid::workflow::Action::Close { close_type: citygrid::model::CloseType::Erroneous, note: "误报".into() },
    });
    until(&mut second, "the refusal", |app| app.desk().pending.is_none());
    let notice = second.state().desk().notice.clone().expect("a message");
    assert!(notice.error);
    let dispatcher = first.state().user().expect("signed in").display_name.clone();
    assert!(notice.text.contains(&dispatcher), "the refusal names who changed it: {}", notice.text);
    // Within 2 s the second seat shows the dispatch without reloading anything.
    until(&mut second, "the other seat's change", |app| {
        app.cases().get(second_position).is_some_and(|case| case.state == CaseState::Dispatched)
    });
    let store = common::pg::reopen(&path);
    assert_eq!(store.load_case(case.id).expect("reads").expect("exists").state, CaseState::Dispatched, "the stale step wrote nothing");
}

#[test]
fn a_shift_leader_reports_a_new_case_by_clicking_a_part_on_the_map() {
    let (_dir, path, _) = common::small_demo(5_000, 100);
    let mut seat = seat_as(&path, [1400, 900], Lang::En, "leader1").expect("loads");
    let (anchor, code) = {
        let parts = seat.state().world().expect("loaded").parts.read_all().expect("the parts");
        let part = parts.iter().find(|part| matches!(part.geometry, citygrid::model::PartGeometry::Point(_))).expect("a point part");
        (citygrid::spatial::anchor_of(part), part.code)
    };
    seat.state_mut().apply(Command::CenterAt { lon: anchor.x(), lat: anchor.y(), zoom: 19.0 });
    steps(&mut seat, 3);
    let before = seat.state().cases().len();
    seat.get_by_label("＋ New case").click();
    steps(&mut seat, 3);
    seat.get_by_label("Click the map where the problem is.");
    // Click the part, a couple of points off: the case snaps to it.
    let map = citygrid::ui::map_view::last_map_rect(&seat.ctx).expect("the map was drawn");
    click_at(&mut seat, map.center() + egui::vec2(1.0, -1.0));
    seat.get_by_label_contains(&format!("Attached part {code}"));
    seat.get_by_label("Description (required)").click();
    seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("description").type_text("井盖破损，有行人踩空风险");
    steps(&mut seat, 2);
    // A photo from a file.
    let photo = path.with_file_name("photo.png");
    image::RgbaImage::from_pixel(64, 48, image::Rgba([180, 40, 40, 255])).save(&photo).expect("photo");
    let photo_text = photo.to_str().expect("UTF-8 path").to_owned();
    let photos = "Photos (drop files onto the window)";
    seat.query_all_by_label(photos).last().expect("the path field").click();
    steps(&mut seat, 1);
    seat.query_all_by_label(photos).last().expect("the path field").type_text(&photo_text);
    steps(&mut seat, 1);
    seat.get_by_label("Add").click();
    steps(&mut seat, 2);
    seat.get_by_label("Report").click();
    steps(&mut seat, 2);
    until(&mut seat, "the report", |app| app.desk().pending.is_none());
    assert_eq!(seat.state().cases().len(), before + 1, "{:?}", seat.state().desk().notice);
    let Some(Selection::Case(position)) = seat.state().selection() else { panic!("the new case is selected") };
    let case = seat.state().cases().get(position).expect("case").clone();
    assert_eq!(case.state, CaseState::Reported);
    assert_eq!(case.part_code, Some(code));
    assert_eq!(case.class_code, code.class_code());
    assert_eq!(case.location, anchor, "attached to the part, the case sits on it");
    assert_eq!(case.photos, vec![photo_text.clone()]);
    // The detail panel shows the photo itself.
    let started = Instant::now();
    while seat.query_by_label(&photo_text).is_none() && started.elapsed() < Duration::from_secs(10) {
        seat.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    seat.get_by_label(&photo_text);
    let store = common::pg::reopen(&path);
    let stored = store.load_case(case.id).expect("reads").expect("written");
    assert_eq!(stored.description, "井盖破损，有行人踩空风险");
    assert_eq!(store.case_events(case.id).expect("audit")[0].action, "report");
}

#[test]
fn an_administrator_adds_an_account_from_the_command_line_and_it_signs_in() {
    use std::io::Write as _;
    let (_dir, path, _) = common::small_demo(500, 10);
    let db = common::pg::db_arg(&common::pg::chosen_location(&path));
    let run = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writes");
        child.wait_with_output().expect("finishes")
    };
    let added = run(
        &["user", "add", "--as", "admin", "--login", "dispatch9", "--name", "派遣员 王芳", "--role", "dispatcher", "--password-stdin"],
        "correct horse\n",
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let store = common::pg::reopen(&path);
    assert_eq!(store.authenticate("dispatch9", "correct horse").expect("signs in").display_name, "派遣员 王芳");
    drop(store);
    // Mistakes say what is wrong, in one line, and change nothing.
    let taken = run(
        &["user", "add", "--as", "admin", "--login", "dispatch9", "--name", "again", "--role", "dispatcher", "--password-stdin"],
        "correct horse\n",
    );
    assert!(!taken.status.success());
    let message = String::from_utf8_lossy(&taken.stderr);
    assert!(message.contains("already taken") && !message.contains("backtrace"), "{message}");
    let role =
        run(&["user", "add", "--as", "admin", "--login", "x", "--name", "x", "--role", "boss", "--password-stdin"], "correct horse\n");
    assert!(String::from_utf8_lossy(&role.stderr).contains("unknown role \"boss\""));
    let short = run(&["user", "passwd", "--as", "admin", "--login", "dispatch9", "--password-stdin"], "short\n");
    assert!(String::from_utf8_lossy(&short.stderr).contains("password too short"));
    let store = common::pg::reopen(&path);
    assert!(store.authenticate("dispatch9", "correct horse").is_ok(), "the old password still works");
    assert!(store.user_by_login("x").expect("reads").is_none());
}

#[test]
fn the_backlog_ledger_lists_the_cases_in_it_and_opens_one() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let mut seat = seat_as(&path, [1500, 950], Lang::En, "dispatch1").expect("loads");
    let position = first_in(&seat, CaseState::Backlog);
    let case_no = seat.state().cases().get(position).expect("case").case_no.clone();
    seat.get_by_label("Backlog ledger").click();
    steps(&mut seat, 2);
    until(&mut seat, "the ledger", |app| app.desk().ledger.entries.as_ref().is_some_and(Option::is_some));
    let entries = seat.state().desk().ledger.entries.clone().flatten().expect("read").expect("no error");
    let in_ledger = seat.state().cases().cases().iter().filter(|case| case.state == CaseState::Backlog).count();
    assert_eq!(entries.iter().filter(|entry| entry.ended_at.is_none()).count(), in_ledger, "every backlogged case is in the ledger");
    seat.get_by_label_contains("In the ledger:");
    // The case number in the ledger window (the list below also shows it when in view).
    let link = seat.query_all_by_label(&case_no).next().expect("listed").rect().center();
    click_at(&mut seat, link);
    assert_eq!(seat.state().selection(), Some(Selection::Case(position)));
}

#[test]
fn a_returned_case_goes_through_a_dispute_to_a_committee_decision_in_the_ui() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let mut seat = seat_as(&path, [1600, 1000], Lang::En, "dispatch1").expect("loads");
    let position = first_in(&seat, CaseState::Dispatched);
    let case = seat.state().cases().get(position).expect("case").clone();
    let holder = case.unit.expect("with a unit");
    let holder_login = login_of_unit(&seat, holder);
    let sign_in_as = |seat: &mut Harness<'static, CitygridApp>, login: &str| {
        seat.state_mut().apply(Command::SignOut);
        seat.state_mut().sign_in_blocking(login, DEMO_PASSWORD, Duration::from_secs(30)).expect("signs in");
        let selected = at(seat, case.id);
        seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
        steps(seat, 4);
        // The disputes are read after every sign-in (a sign-out forgets them); wait for them.
        let started = Instant::now();
        while seat.state().desk().disputes.records.is_empty() && started.elapsed() < Duration::from_millis(1500) {
            seat.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        steps(seat, 4);
    };
    let ok_and_wait = |seat: &mut Harness<'static, CitygridApp>, what: &str| {
        seat.get_by_label("OK").click();
        steps(seat, 2);
        until(seat, what, |app| app.desk().pending.is_none());
        assert!(!seat.state().desk().notice.as_ref().is_some_and(|notice| notice.error), "{what}: {:?}", seat.state().desk().notice);
    };
    // The dialog's text field carries its label's name (the label itself comes first).
    let type_into_text = |seat: &mut Harness<'static, CitygridApp>, label: &str, text: &str| {
        assert!(seat.state().desk().disputes.dialog.is_some(), "the dialog is open");
        seat.query_all_by_label(label).last().expect("text field").click();
        steps(seat, 1);
        seat.query_all_by_label(label).last().expect("text field").type_text(text);
        steps(seat, 2);
    };

    // The unit returns it: not its own.
    sign_in_as(&mut seat, &holder_login);
    seat.state_mut().apply(Command::Act {
        case_id: case.id,
        revision: case.revision,
        action: citygrid::workflow::Action::ReturnToCentre { reason: "位于两社区交界，非本单位养护范围".into() },
    });
    until(&mut seat, "the return", |app| app.desk().pending.is_none());

    // The dispatcher opens a dispute from the case panel.
    sign_in_as(&mut seat, "dispatch1");
    seat.get_by_label("Open a dispute").scroll_to_me();
    // Scrolling is animated: let it settle before clicking.
    steps(&mut seat, 30);
    seat.get_by_label("Open a dispute").click();
    steps(&mut seat, 3);
    if seat.state().desk().disputes.dialog.as_ref().is_some_and(|dialog| dialog.units.is_empty()) {
        // The records name only the holder (owner, maintainer, the manual's unit): the
        // dispatcher names the other side among the other units, listed open.
        seat.get_by_label("Community affairs office").click();
        steps(&mut seat, 2);
    }
    type_into_text(&mut seat, "What is disputed (required)", "两社区均称不属本辖区");
    ok_and_wait(&mut seat, "the dispute");
    let dispute = seat.state().desk().disputes.records.iter().find(|record| record.dispute.case_id == case.id).expect("opened").clone();
    assert!(dispute.dispute.is_open());
    assert!(dispute.involves(holder), "the returning unit is a party");

    // The unit states its case.
    sign_in_as(&mut seat, &holder_login);
    seat.get_by_label("Add a unit statement").scroll_to_me();
    // Scrolling is animated: let it settle before clicking.
    steps(&mut seat, 30);

    seat.get_by_label("Add a unit statement").click();
    steps(&mut seat, 3);
    type_into_text(&mut seat, "Your unit's statement (required)", "该井盖权属燃气公司，有台账为证");
    ok_and_wait(&mut seat, "the statement");

    // The committee member sees the queue, decides, and sets a precedent around the spot.
    sign_in_as(&mut seat, "committee1");
    seat.get_by_label("Disputes (1)").click();
    steps(&mut seat, 3);
    seat.get_by_label("Responsibility disputes");
    seat.get_by_label("Committee decision").scroll_to_me();
    // Scrolling is animated: let it settle before clicking.
    steps(&mut seat, 30);
    seat.get_by_label("Committee decision").click();
    steps(&mut seat, 3);
    // Another party to the dispute, offered first (★) in the unit list.
    let party = dispute.parties().into_iter().find(|unit| *unit != holder).expect("another party");
    let designated = seat.state().world().expect("loaded").unit(party).expect("known").clone();
    seat.query_all_by_label("Responsible unit").last().expect("the unit list").click();
    steps(&mut seat, 2);
    seat.get_by_label(&format!("★ {}", designated.name_en)).click();
    steps(&mut seat, 2);
    type_into_text(&mut seat, "Reasoning (required)", "依据权属台账，由该单位负责");
    ok_and_wait(&mut seat, "the decision");
    let decided = seat.state().cases().get(at(&seat, case.id)).expect("case").clone();
    assert_eq!(decided.state, CaseState::Dispatched, "the decision dispatches the case");
    assert_eq!(decided.unit, Some(designated.id));
    assert!(decided.deadline_at.is_some_and(|deadline| deadline > common::as_of()));
    let precedents = seat.state().cases().precedents();
    assert_eq!(precedents.len(), 1, "the decision set a precedent");
    assert_eq!(precedents[0].unit, designated.id);
    // Everything is in the file, with names in the audit trail.
    let store = common::pg::reopen(&path);
    let actions: Vec<String> = store.case_events(case.id).expect("audit").into_iter().map(|event| event.action).collect();
    for action in ["return", "dispute_open", "dispute_statement", "dispute_decide"] {
        assert!(actions.iter().any(|known| known == action), "{action} in {actions:?}");
    }
    assert_eq!(store.load_precedents().expect("precedents").len(), 1);
    drop(store);

    // The decision record for the minutes: the window with the map, the facts and the decision.
    let exports = tempfile::tempdir().expect("temp dir");
    seat.state_mut().export_dir = exports.path().to_owned();
    seat.get_by_label("Export the decision record (PNG)").scroll_to_me();
    steps(&mut seat, 30);
    seat.get_by_label("Export the decision record (PNG)").click();
    let started = Instant::now();
    while !seat.state().desk().notice.as_ref().is_some_and(|notice| notice.text.starts_with("Exported")) {
        assert!(started.elapsed() < Duration::from_secs(20), "no export: {:?}", seat.state().desk().notice);
        seat.step();
        let _ = seat.render();
        std::thread::sleep(Duration::from_millis(20));
    }
    let file = exports.path().join(format!("裁定记录-争议{}-{}.png", dispute.dispute.id, case.case_no));
    let picture = image::open(&file).expect("a PNG");
    assert_eq!((picture.width(), picture.height()), (1600, 1000));
}

#[test]
fn the_topology_check_of_a_layer_lists_its_gaps_and_overlaps() {
    let (_dir, path, _) = common::small_demo(1_000, 20);
    let mut seat = seat_as(&path, [1500, 950], Lang::En, "dispatch1").expect("loads");
    seat.get_by_label("communities").click();
    until(&mut seat, "the check", |app| app.topology_report().is_some());
    let report = seat.state().topology_report().expect("done").clone();
    let communities = seat
        .state()
        .world()
        .expect("loaded")
        .jurisdictions
        .iter()
        .filter(|j| j.kind == citygrid::model::JurisdictionKind::Community)
        .count();
    assert_eq!(report.checked, communities);
    seat.get_by_label("Topology check: Community");
    seat.get_by_label_contains(&format!("Checked {communities}"));
    // Every issue is listed with a way to fly there.
    assert_eq!(seat.query_all_by_label("Locate").count(), report.issues.len().min(500));
}

#[test]
fn a_case_is_filed_dispatched_handled_verified_and_closed_by_clicking_through_as_each_role() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    let mut seat = seat_as(&path, [1600, 1000], Lang::En, "intake1").expect("loads");
    let position = first_in(&seat, CaseState::Reported);
    let case_id = seat.state().cases().get(position).expect("case").id;
    // One step as one person: sign in, select the case, click the step, fill in what it asks, OK.
    let step = |seat: &mut Harness<'static, CitygridApp>, login: &str, button: &str, text: Option<(&str, &str)>, expect: CaseState| {
        seat.state_mut().apply(Command::SignOut);
        seat.state_mut().sign_in_blocking(login, DEMO_PASSWORD, Duration::from_secs(30)).expect("signs in");
        let selected = at(seat, case_id);
        seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
        steps(seat, 4);
        seat.get_by_label(button).scroll_to_me();
        steps(seat, 30);
        seat.get_by_label(button).click();
        steps(seat, 3);
        if let Some((label, text)) = text {
            seat.query_all_by_label(label).last().expect("the text field").click();
            steps(seat, 1);
            seat.query_all_by_label(label).last().expect("the text field").type_text(text);
            steps(seat, 2);
        }
        seat.get_by_label("OK").click();
        steps(seat, 2);
        until(seat, button, |app| app.desk().pending.is_none());
        let case = seat.state().cases().get(at(seat, case_id)).expect("case").clone();
        assert_eq!(case.state, expect, "{login} {button}: {:?}", seat.state().desk().notice);
    };
    step(&mut seat, "intake1", "File", None, CaseState::Filed);
    step(&mut seat, "dispatch1", "Dispatch", None, CaseState::Dispatched);
    let unit = seat.state().cases().get(at(&seat, case_id)).expect("case").unit.expect("dispatched to a unit");
    let unit_login = login_of_unit(&seat, unit);
    step(&mut seat, &unit_login, "Report handled", Some(("What was done (required)", "已更换井盖")), CaseState::Handled);
    step(&mut seat, "collector1", "Verification passed", None, CaseState::Verified);
    step(&mut seat, "leader1", "Close", None, CaseState::Closed);
    let closed = seat.state().cases().get(at(&seat, case_id)).expect("case").clone();
    assert_eq!(closed.close_type, Some(citygrid::model::CloseType::Normal), "closed within the limit");
    // Five people, five audit entries after the report, each naming its person.
    let store = common::pg::reopen(&path);
    let events = store.case_events(case_id).expect("audit");
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(&actions[actions.len() - 5..], ["file", "dispatch", "handle", "verify_pass", "close"]);
    let actors: std::collections::HashSet<_> = events[events.len() - 5..].iter().map(|event| event.actor_name.clone()).collect();
    assert_eq!(actors.len(), 5, "each step by its own person: {actors:?}");
}

#[test]
fn a_spot_close_to_a_community_boundary_is_flagged_near_boundary() {
    let (_dir, path, _) = common::small_demo(500, 10);
    let seat = seat_as(&path, [1200, 800], Lang::En, "dispatch1").expect("loads");
    let world = seat.state().world().expect("loaded");
    let today = common::as_of().date();
    // Two communities that share a boundary, and the midpoint of one shared stretch.
    let communities: Vec<usize> = (0..world.jurisdictions.len())
        .filter(|index| world.jurisdictions[*index].kind == citygrid::model::JurisdictionKind::Community)
        .collect();
    let (a, b, line) = communities
        .iter()
        .flat_map(|a| communities.iter().map(move |b| (*a, *b)))
        .filter(|(a, b)| a < b)
        .find_map(|(a, b)| {
            let shared =
                citygrid::spatial::boundary::shared_boundary(&world.jurisdictions[a].geometry, &world.jurisdictions[b].geometry, 1.0);
            shared.0.into_iter().find(|line| line.0.len() >= 2).map(|line| (a, b, line))
        })
        .expect("neighbouring communities");
    let (p, q) = (line.0[0], line.0[1]);
    let on_boundary = geo::Point::new((p.x + q.x) / 2.0, (p.y + q.y) / 2.0);
    let near = world.near_boundary(on_boundary, today).expect("a point on the shared boundary is near it");
    assert!(near.metres < 5.0, "{near:?}");
    let names = [&world.jurisdictions[a].name, &world.jurisdictions[b].name];
    let text = world.near_boundary_text(&near, Lang::Zh);
    assert!(text.starts_with("近边界") && names.iter().any(|name| text.contains(name.as_str())), "{text}");
    // Deep inside a community, far from every boundary: no flag.
    let centre = world.jurisdictions[a].geometry.0[0].exterior().0.iter().fold((0.0, 0.0, 0.0), |(x, y, n), c| (x + c.x, y + c.y, n + 1.0));
    let inside = geo::Point::new(centre.0 / centre.2, centre.1 / centre.2);
    if world.near_boundary(inside, today).is_some() {
        // The community is narrow; a point 1 km away from the district is certainly not flagged.
        assert!(world.near_boundary(geo::Point::new(inside.x() + 0.5, inside.y() + 0.5), today).is_none());
    }
}

#[test]
fn the_assessment_window_ranks_the_units_and_exports_csv_for_excel() {
    let (_dir, path, _) = common::small_demo(1_000, 300);
    let mut seat = seat_as(&path, [1600, 1000], Lang::En, "leader1").expect("loads");
    seat.get_by_label("Assessment").click();
    until(&mut seat, "the report", |app| app.desk().assessment.report.is_some());
    let report = seat.state().desk().assessment.report.clone().expect("report").expect("no error");
    assert!(report.district.received > 0, "{:?}", report.district);
    let ranked: usize = report.ranking.iter().map(|class| class.units.len()).sum();
    assert!(ranked > 0);
    // The district row, then every ranked unit.
    let district = seat.state().world().expect("loaded").district_name.clone();
    assert!(seat.query_all_by_label(&district).count() >= 2, "the top bar and the district row");
    seat.get_by_label("Last month").click();
    steps(&mut seat, 2);
    until(&mut seat, "last month's report", |app| {
        app.desk()
            .assessment
            .report
            .as_ref()
            .is_some_and(|report| report.as_ref().is_ok_and(|report| report.period.from.date().to_string() == "2026-10-01"))
    });
    seat.get_by_label("This month").click();
    steps(&mut seat, 2);
    until(&mut seat, "this month's report", |app| {
        app.desk()
            .assessment
            .report
            .as_ref()
            .is_some_and(|report| report.as_ref().is_ok_and(|report| report.period.from.date().to_string() == "2026-11-01"))
    });
    // Drill down: a unit's name opens its cases in the list.
    let first = report.ranking[0].units[0].unit;
    let name = seat.state().world().expect("loaded").unit_name(Some(first), Lang::En);
    seat.query_all_by_label(&name).last().expect("the unit's link").click();
    steps(&mut seat, 3);
    assert_eq!(seat.state().desk().list.filter.unit, Some(first));
    // Drill down from a figure: the district's received count (the first figure of the table)
    // opens the cases behind it.
    let this_month = seat.state().desk().assessment.report.clone().expect("report").expect("no error");
    let received = this_month.district.received.to_string();
    seat.query_all_by_label(&received).next().expect("the district's received count").click();
    until(&mut seat, "the drill-down list", |app| app.desk().list.filter.cases.is_some());
    let store = common::pg::reopen(&path);
    let world = seat.state().world().expect("loaded");
    let facts = citygrid::assess::FactBook::load(&store, &world.calendar).expect("facts");
    let mut expected = facts.cases(&citygrid::assess::Scope::District, &this_month.period, citygrid::assess::Measure::Received);
    assert_eq!(expected.len().to_string(), received, "the list behind the figure has as many entries as the figure");
    expected.sort_unstable();
    expected.dedup();
    let filter = seat.state().desk().list.filter.clone();
    let cases = filter.cases.expect("drill-down");
    assert_eq!(*cases.ids, expected);
    assert!(cases.label.contains("Received"), "{}", cases.label);
    assert_eq!(filter.unit, None, "the unit filter gave way to the list");
    // A rate opens its numerator: the first unit's on-time rate → its cases closed on time.
    seat.state_mut().apply(Command::AssessCases {
        scope: citygrid::assess::Scope::Unit(first),
        period: this_month.period,
        measure: citygrid::assess::Column::Rate(citygrid::assess::Rate::OnTime).drill_down().expect("a rate drills down"),
        label: "on time".into(),
    });
    until(&mut seat, "the unit's on-time closes", |app| {
        app.desk().list.filter.cases.as_ref().is_some_and(|cases| cases.label == "on time")
    });
    let mut on_time = facts.cases(&citygrid::assess::Scope::Unit(first), &this_month.period, citygrid::assess::Measure::ClosedOnTime);
    on_time.sort_unstable();
    on_time.dedup();
    assert_eq!(*seat.state().desk().list.filter.cases.as_ref().expect("list").ids, on_time);
    // The shift leader changes the weights: stored for every seat, the ranking follows.
    let weights = citygrid::assess::Weights {
        closure: 0.5,
        on_time: 0.5,
        rework: 0.0,
        few_cases: 0.0,
        returns: 0.0,
        ..citygrid::assess::Weights::default()
    };
    seat.state_mut().apply(Command::SaveWeights(weights.clone()));
    until(&mut seat, "the ranking with the new weights", |app| {
        app.desk().assessment.report.as_ref().is_some_and(|report| report.as_ref().is_ok_and(|report| report.options.weights == weights))
    });
    assert_eq!(citygrid::assess::Weights::load(&common::pg::reopen(&path)).expect("stored"), weights);
    seat.get_by_label("Edit weights…").click();
    steps(&mut seat, 2);
    seat.get_by_label("Defaults").click();
    seat.get_by_label("Save weights").click();
    until(&mut seat, "the default weights again", |app| {
        app.desk()
            .assessment
            .report
            .as_ref()
            .is_some_and(|report| report.as_ref().is_ok_and(|report| report.options.weights == citygrid::assess::Weights::default()))
    });
    let exports = tempfile::tempdir().expect("temp dir");
    seat.state_mut().export_dir = exports.path().to_owned();
    seat.get_by_label("Export CSV (opens in Excel)").click();
    until(&mut seat, "the export", |app| app.desk().notice.as_ref().is_some_and(|notice| notice.text.starts_with("Exported")));
    let file = exports.path().join("考核评价-20261101-20261130.csv");
    let bytes = std::fs::read(&file).expect("written");
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM for Excel");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert!(lines[0].contains("Unit class,Rank,Unit,Score,Received"), "{}", lines[0]);
    assert_eq!(lines.len(), 2 + ranked, "header, district, one line per ranked unit");
    // The workbook and the notice, written on the export thread.
    seat.get_by_label("Export workbook (XLSX)").click();
    until(&mut seat, "the workbook", |app| app.desk().notice.as_ref().is_some_and(|notice| notice.text.contains(".xlsx")));
    assert!(std::fs::read(exports.path().join("考核评价-20261101-20261130.xlsx")).expect("workbook").starts_with(b"PK"));
    seat.get_by_label("Export notice (HTML)…").click();
    until(&mut seat, "the notice", |app| app.desk().notice.as_ref().is_some_and(|notice| notice.text.contains(".html")));
    let notice = std::fs::read_to_string(exports.path().join("考核通报-20261101-20261130.html")).expect("notice");
    assert!(notice.contains("<svg") && notice.contains(&district));
}

#[test]
fn citygrid_report_writes_the_months_assessment_as_csv() {
    let (dir, path, _) = common::small_demo(500, 300);
    let out = dir.path().join("report.csv");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .arg("--db")
        .arg(&path)
        .args(["report", "--period", "2026-11", "--lang", "en", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.starts_with('\u{feff}'), "UTF-8 with BOM");
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert!(lines[0].contains("Unit class,Rank,Unit,Score,Received,Due,Closed,On time"), "{}", lines[0]);
    assert!(lines[1].contains("徽州区") || lines[1].contains("Huizhou"), "the district row: {}", lines[1]);
    assert!(lines.len() > 3, "units ranked");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .arg("--db")
        .arg(&path)
        .args(["report", "--period", "last month"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use 2026-11, 2026-Q4"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// Issue 16, through the UI as each role: the dispatcher urges a dispatched case (催办); the
/// unit signs for it (签收), reports being on site (到场) and returns it; the dispatcher refuses
/// the return (驳回回退) and the case is back with the unit under its first deadline. Every step
/// is in the audit trail under the person who took it.
#[test]
fn a_unit_signs_for_and_arrives_and_the_dispatcher_urges_it_and_refuses_its_return() {
    let (_dir, path, _) = common::small_demo(5_000, 300);
    let mut seat = seat_as(&path, [1500, 950], Lang::En, "dispatch1").expect("loads");
    let position = first_in(&seat, CaseState::Filed);
    let case_id = seat.state().cases().get(position).expect("case").id;
    let ok = |seat: &mut Harness<'static, CitygridApp>, what: &str| {
        seat.get_by_label("OK").click();
        steps(seat, 2);
        until(seat, what, |app| app.desk().pending.is_none());
    };
    let with_reason = |seat: &mut Harness<'static, CitygridApp>, reason: &str| {
        seat.get_by_label("Reason (required)").click();
        steps(seat, 1);
        seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("reason field").type_text(reason);
        steps(seat, 2);
    };
    let selected = at(&seat, case_id);
    seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
    steps(&mut seat, 3);
    seat.get_by_label("Dispatch").click();
    steps(&mut seat, 3);
    ok(&mut seat, "the dispatch");
    let dispatched = seat.state().cases().get(at(&seat, case_id)).expect("case").clone();
    assert_eq!(dispatched.state, CaseState::Dispatched, "{:?}", seat.state().desk().notice);
    assert!(seat.query_all_by_label_contains("not signed for").count() >= 1, "the desk marks it");
    seat.get_by_label("Urge").click();
    steps(&mut seat, 3);
    ok(&mut seat, "the urging");
    assert_eq!(seat.state().cases().get(at(&seat, case_id)).expect("case").urge_count, 1, "{:?}", seat.state().desk().notice);

    // The unit: sign for, on site, return.
    let login = login_of_unit(&seat, dispatched.unit.expect("unit"));
    seat.get_by_label("Sign out").click();
    steps(&mut seat, 2);
    seat.state_mut().sign_in_blocking(&login, DEMO_PASSWORD, Duration::from_secs(30)).expect("the unit signs in");
    steps(&mut seat, 3);
    let selected = at(&seat, case_id);
    seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
    steps(&mut seat, 3);
    seat.get_by_label("Sign for").click();
    steps(&mut seat, 3);
    ok(&mut seat, "the signing");
    seat.get_by_label("Arrived on site").click();
    steps(&mut seat, 3);
    ok(&mut seat, "the arrival");
    let on_site = seat.state().cases().get(at(&seat, case_id)).expect("case").clone();
    assert!(on_site.signed_at.is_some() && on_site.arrived_at.is_some(), "{:?}", seat.state().desk().notice);
    assert!(seat.query_all_by_label("Sign for").count() <= 1, "signed: no second signing button (the timeline may name it)");
    seat.get_by_label("Return to centre").click();
    steps(&mut seat, 3);
    with_reason(&mut seat, "不属本单位");
    ok(&mut seat, "the return");
    assert_eq!(seat.state().cases().get(at(&seat, case_id)).expect("case").state, CaseState::Returned);

    // The dispatcher refuses the return: back to the unit, first deadline.
    seat.get_by_label("Sign out").click();
    steps(&mut seat, 2);
    seat.state_mut().sign_in_blocking("dispatch1", DEMO_PASSWORD, Duration::from_secs(30)).expect("the dispatcher signs in");
    steps(&mut seat, 3);
    let selected = at(&seat, case_id);
    seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
    steps(&mut seat, 3);
    seat.get_by_label("Refuse return").click();
    steps(&mut seat, 3);
    with_reason(&mut seat, "经核实属本单位职责");
    ok(&mut seat, "the refusal");
    let back = seat.state().cases().get(at(&seat, case_id)).expect("case").clone();
    assert_eq!((back.state, back.unit, back.deadline_at), (CaseState::Dispatched, dispatched.unit, dispatched.deadline_at));

    let store = common::pg::reopen(&path);
    let events = store.case_events(case_id).expect("audit trail");
    let tail: Vec<(&str, Option<&str>)> =
        events.iter().rev().take(6).rev().map(|event| (event.action.as_str(), event.actor_name.as_deref())).collect();
    let unit_name = store.load_users().expect("users").into_iter().find(|user| user.login == login).expect("unit account").display_name;
    let dispatcher = store.load_users().expect("users").into_iter().find(|user| user.login == "dispatch1").expect("account").display_name;
    assert_eq!(
        tail,
        vec![
            ("dispatch", Some(dispatcher.as_str())),
            ("urge", Some(dispatcher.as_str())),
            ("sign", Some(unit_name.as_str())),
            ("arrive", Some(unit_name.as_str())),
            ("return", Some(unit_name.as_str())),
            ("refuse_return", Some(dispatcher.as_str())),
        ]
    );
}

/// Issue 16: the dispatcher names an assisting unit (协办), whose operator sees the case and
/// reports its part; the intake operator tells a reporter the result of a finished case from the
/// call-back queue (待回访) with the reporter's satisfaction. Each step is in the audit trail
/// under its person.
#[test]
fn an_assisting_unit_reports_its_part_and_intake_tells_the_reporter_through_the_ui() {
    use egui_kittest::kittest::By;
    let (_dir, path, _) = common::small_demo(5_000, 300);
    let mut seat = seat_as(&path, [1500, 950], Lang::En, "dispatch1").expect("loads");
    let sign_in = |seat: &mut Harness<'static, CitygridApp>, login: &str, case_id: i64| {
        seat.state_mut().apply(Command::SignOut);
        seat.state_mut().sign_in_blocking(login, DEMO_PASSWORD, Duration::from_secs(30)).expect("signs in");
        let selected = at(seat, case_id);
        seat.state_mut().apply(Command::Select(Some(Selection::Case(selected))));
        steps(seat, 4);
    };
    let click = |seat: &mut Harness<'static, CitygridApp>, label: &str| {
        seat.get_by_label(label).scroll_to_me();
        steps(seat, 20);
        seat.get_by_label(label).click();
        steps(seat, 3);
    };
    let type_into = |seat: &mut Harness<'static, CitygridApp>, text: &str| {
        seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("text field").click();
        steps(seat, 1);
        seat.query_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("text field").type_text(text);
        steps(seat, 2);
    };
    let ok = |seat: &mut Harness<'static, CitygridApp>, what: &str| {
        seat.get_by_label("OK").click();
        steps(seat, 2);
        until(seat, what, |app| app.desk().pending.is_none());
    };
    let position = first_in(&seat, CaseState::Dispatched);
    let case = seat.state().cases().get(position).expect("case").clone();
    let lead = case.unit.expect("a lead unit");
    let world = seat.state().world().expect("loaded");
    let helper =
        world.units.iter().find(|unit| unit.code == if world.unit(lead).expect("lead").code == "CGJ-SZ" { "CGJ-LD" } else { "CGJ-SZ" });
    let (helper, helper_name) = helper.map(|unit| (unit.id, unit.name_en.clone())).expect("the helper unit");
    let helper_login = login_of_unit(&seat, helper);

    sign_in(&mut seat, "dispatch1", case.id);
    click(&mut seat, "Set assisting units");
    seat.get(By::new().role(egui::accesskit::Role::CheckBox).label(&helper_name)).click();
    steps(&mut seat, 2);
    type_into(&mut seat, "需市政所修复路面");
    ok(&mut seat, "the assisting units");
    let assisted = seat.state().cases().get(at(&seat, case.id)).expect("case").clone();
    assert_eq!(assisted.assisting.iter().map(|assist| assist.unit).collect::<Vec<_>>(), vec![helper], "{:?}", seat.state().desk().notice);
    // The shift leader puts it under supervision (督办).
    sign_in(&mut seat, "leader1", case.id);
    click(&mut seat, "Supervise");
    type_into(&mut seat, "多部门协作，群众反映强烈");
    ok(&mut seat, "the supervision");
    assert!(seat.state().cases().get(at(&seat, case.id)).expect("case").supervised_at.is_some(), "{:?}", seat.state().desk().notice);

    // The assisting unit sees the case in its own list and reports its part.
    sign_in(&mut seat, &helper_login, case.id);
    let rows = seat.state_mut().visible_case_rows();
    assert!(rows.contains(&at(&seat, case.id)), "the assisting unit's list shows the case");
    assert!(seat.query_all_by_label("Report handled").next().is_none(), "only the lead unit reports it handled");
    click(&mut seat, "Report assisting part done");
    type_into(&mut seat, "路面已修复");
    ok(&mut seat, "the assisting report");
    let reported = seat.state().cases().get(at(&seat, case.id)).expect("case").clone();
    assert!(reported.assisting[0].reported_at.is_some(), "{:?}", seat.state().desk().notice);

    // Intake: a finished case owed a reply, from the call-back queue.
    let owed = (0..seat.state().cases().len())
        .find_map(|at| seat.state().cases().get(at).filter(|case| case.owes_reply()).map(|case| case.id))
        .expect("the demo has a reply owed");
    sign_in(&mut seat, "intake1", owed);
    click(&mut seat, "Reply owed");
    click(&mut seat, "Reporter feedback");
    seat.get(By::new().role(egui::accesskit::Role::RadioButton).label("Fairly satisfied")).click();
    steps(&mut seat, 2);
    ok(&mut seat, "the reply");
    let told = seat.state().cases().get(at(&seat, owed)).expect("case").clone();
    assert!(told.replied_at.is_some() && !told.owes_reply(), "{:?}", seat.state().desk().notice);

    let store = common::pg::reopen(&path);
    let feedback = store.reporter_feedback(told.id).expect("feedback");
    assert_eq!(feedback.last().and_then(|reply| reply.satisfaction), Some(citygrid::model::Satisfaction::Fair));
    let users = store.load_users().expect("users");
    let name_of = |login: &str| users.iter().find(|user| user.login == login).map(|user| user.display_name.clone());
    let trail = store.case_events(case.id).expect("audit");
    let tail: Vec<(&str, Option<String>)> =
        trail.iter().rev().take(3).rev().map(|event| (event.action.as_str(), event.actor_name.clone())).collect();
    assert_eq!(
        tail,
        vec![("set_assisting", name_of("dispatch1")), ("supervise", name_of("leader1")), ("assist_report", name_of(&helper_login))]
    );
    let reply = store.case_events(told.id).expect("audit").pop().expect("the reply");
    assert_eq!((reply.action.as_str(), reply.actor_name.clone()), ("reporter_feedback", name_of("intake1")));
}

/// Issue 22 (5): signing out leaves nothing of the previous user for the next one: no selected
/// case, no search, no filter; on a server the next sign-in reads the district as the next
/// account, whose login decides what it sees.
#[test]
fn signing_out_leaves_the_next_user_a_clean_desk() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let mut seat = seat_as(&path, [1400, 900], Lang::En, "dispatch1").expect("loads");
    let position = first_in(&seat, CaseState::Dispatched);
    let case = seat.state().cases().get(position).expect("case").clone();
    let everything = seat.state().cases().len();
    seat.state_mut().apply(Command::Select(Some(Selection::Case(position))));
    steps(&mut seat, 2);
    let text_input = egui::accesskit::Role::TextInput;
    seat.query_all_by_role(text_input).nth(1).expect("the list's search field").click();
    steps(&mut seat, 1);
    seat.query_all_by_role(text_input).nth(1).expect("the list's search field").type_text(&case.case_no);
    steps(&mut seat, 3);
    assert_eq!(seat.state().desk().list.filter.text, case.case_no);
    let login = login_of_unit(&seat, case.unit.expect("dispatched"));
    seat.get_by_label("Sign out").click();
    steps(&mut seat, 3);
    assert_eq!(seat.state().selection(), None, "the case selected before is not selected for the next user");
    assert!(seat.state().desk().list.filter.text.is_empty(), "the search typed before is gone");
    seat.state_mut().sign_in_blocking(&login, DEMO_PASSWORD, Duration::from_secs(30)).expect("the unit signs in");
    steps(&mut seat, 4);
    assert_eq!(seat.state().selection(), None);
    let rows = seat.state_mut().visible_case_rows();
    assert!(rows.contains(&at(&seat, case.id)), "the unit's own case is listed");
    assert!(rows.len() < everything, "the unit's list holds its own cases only");
    if common::pg::on_server() {
        assert!(seat.state().cases().len() < everything, "on a server the unit's login reads only its unit's cases");
    }
}
