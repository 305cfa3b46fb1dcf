//! The mobile web terminal in a real headless browser (issue 18): Chromium at a phone's size
//! loads the page `citygrid serve` serves; a unit operator signs in, signs for a case, uploads
//! a photo and reports it handled; a collector reports a case with a photo and the phone's GPS
//! position. Both reach a desk seat and the wall on the same file within 2 s. A step taken
//! without a network waits in the phone's outbox and is sent, once, when the network is back.
//!
//! `CITYGRID_TERMINAL_SHOTS=DIR` keeps the phone's screenshots there (README's are made so).

mod common;

use std::time::{Duration, Instant};

use citygrid::app::{CitygridApp, harness, harness_for, wait_until_loaded};
use citygrid::model::{CaseState, Lang};
use common::browser::Browser;
use common::serve::{Service, jpeg};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

const WAIT: Duration = Duration::from_secs(20);

/// Steps `seat` until `done` holds; panics after `limit`.
fn seen_within(seat: &mut Harness<'static, CitygridApp>, limit: Duration, what: &str, done: impl Fn(&CitygridApp) -> bool) {
    let started = Instant::now();
    while !done(seat.state()) {
        assert!(started.elapsed() < limit, "{what} not shown within {limit:?}");
        seat.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn shot(browser: &Browser, name: &str) {
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    if let Ok(dir) = std::env::var("CITYGRID_TERMINAL_SHOTS") {
        std::fs::write(std::path::Path::new(&dir).join(name), png).expect("the screenshot is written");
    }
}

fn state_of(case: &citygrid::model::Case) -> CaseState {
    case.state
}

#[test]
fn a_unit_and_a_collector_work_from_phones_and_the_desk_and_the_wall_see_it_within_two_seconds() {
    let (dir, path, _) = common::small_demo(2_000, 200);
    // A case the centre has just dispatched, for a unit whose operator has a phone.
    let mut store = common::pg::owner_store(&path);
    let case = common::serve::freshly_dispatched(&mut store);
    let login = common::serve::operator_of(&store, case.unit.expect("dispatched"));

    let service = Service::start(&path, &[]);
    let mut desk = harness_for(&path, None, [1400, 900], Lang::Zh, Some(common::as_of()), Duration::from_secs(120)).expect("a desk");
    let mut wall = harness(&path, None, [1920, 1080], Lang::Zh, Some(common::as_of()));
    wall.state_mut().set_wall(false);
    wait_until_loaded(&mut wall, Duration::from_secs(120)).expect("the wall loads");

    let phone = Browser::start(360, 780);
    phone.open(&format!("{}/", service.base));
    phone.type_into("#login", &login);
    phone.type_into("#password", citygrid::demo::DEMO_PASSWORD);
    shot(&phone, "terminal_sign_in.png");
    phone.click("#sign-in");
    // The task list: the case with its light and time left, in Chinese.
    let card = format!("[data-case='{}']", case.id);
    phone.find(&card, WAIT);
    let listed = phone.text(&card);
    assert!(listed.contains("剩余") || listed.contains("超时"), "time left on the card: {listed}");
    assert!(
        phone.script("return document.documentElement.scrollWidth <= window.innerWidth;", serde_json::json!([])) == serde_json::json!(true),
        "no sideways scrolling at 360 px"
    );
    shot(&phone, "terminal_tasks.png");

    // 签收, in a basement without a network: kept in the phone's outbox, sent once it is back.
    phone.click(&card);
    phone.find("[data-action='sign']", WAIT);
    phone.set_offline(true);
    phone.click("[data-action='sign']");
    phone.click("#step-submit");
    phone.wait_for("the outbox to hold the signing", "return document.querySelector('#queue').innerText.includes('1');", WAIT);
    let signed = |app: &CitygridApp| {
        app.cases().position_of(case.id).and_then(|at| app.cases().get(at)).is_some_and(|known| known.signed_at.is_some())
    };
    let offline_since = Instant::now();
    while offline_since.elapsed() < Duration::from_secs(1) {
        desk.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!signed(desk.state()), "nothing reached the centre while offline");
    phone.set_offline(false);
    seen_within(&mut desk, Duration::from_secs(10), "the signing sent from the outbox", signed);
    phone.wait_for("the outbox to empty", "return document.querySelector('#queue').hidden;", WAIT);
    // 处置反馈 with a photo of the result.
    phone.find("[data-action='handle']", WAIT);
    shot(&phone, "terminal_case.png");
    phone.click("[data-action='handle']");
    phone.type_into("#step-text", "已更换井盖，现场已清理");
    let photo = dir.path().join("result.jpg");
    std::fs::write(&photo, jpeg(1200, 900)).expect("a photo on the phone");
    phone.type_into("#photo-input", photo.to_str().expect("utf-8"));
    phone.wait_for("the photo to be read", "return document.querySelectorAll('.photos img').length === 1;", WAIT);
    shot(&phone, "terminal_handle.png");
    let sent = Instant::now();
    phone.click("#step-submit");
    // The desk and the wall show it handled within 2 s of the tap (the upload included).
    seen_within(&mut desk, Duration::from_secs(2), "the handling at the desk", |app| {
        app.cases().position_of(case.id).and_then(|at| app.cases().get(at)).is_some_and(|known| state_of(known) == CaseState::Handled)
    });
    seen_within(
        &mut wall,
        Duration::from_secs(2).saturating_sub(sent.elapsed()).max(Duration::from_millis(500)),
        "the handling on the wall",
        |app| {
            app.cases().position_of(case.id).and_then(|at| app.cases().get(at)).is_some_and(|known| state_of(known) == CaseState::Handled)
        },
    );
    // The desk's timeline marks the terminal's steps and shows the unit's photo.
    let position = desk.state().cases().position_of(case.id).expect("the desk holds the case");
    desk.state_mut().apply(citygrid::session::Command::Select(Some(citygrid::session::Selection::Case(position))));
    seen_within(&mut desk, Duration::from_secs(10), "the timeline", |app| {
        app.desk().timeline.as_ref().is_some_and(|(id, _, timeline)| {
            *id == case.id && timeline.as_ref().is_ok_and(|t| t.events.iter().any(|e| e.action == "handle"))
        })
    });
    desk.run_steps(20);
    assert!(desk.query_all_by_label_contains("（移动终端）").count() >= 2, "the signing and the handling are marked");
    if let Ok(dir) = std::env::var("CITYGRID_TERMINAL_SHOTS") {
        desk.render().expect("render").save(std::path::Path::new(&dir).join("desk_terminal_steps.png")).expect("saved");
    }
    let trail = store.case_events(case.id).expect("trail");
    assert_eq!(trail.iter().filter(|event| event.action == "sign").count(), 1, "the signing sent from the outbox counts once");
    let handling = trail.last().expect("the handling");
    assert_eq!((handling.action.as_str(), handling.data["channel"].as_str()), ("handle", Some("terminal")));
    assert!(handling.data["photos"][0].as_str().is_some_and(|kept| std::path::Path::new(kept).is_file()), "{}", handling.data);

    // A collector reports a case with a photo and the phone's GPS position.
    phone.script("localStorage.clear(); return true;", serde_json::json!([]));
    phone.open(&format!("{}/", service.base));
    phone.type_into("#login", "collector1");
    phone.type_into("#password", citygrid::demo::DEMO_PASSWORD);
    phone.click("#sign-in");
    phone.find("#tabs button", WAIT);
    phone.script("document.querySelectorAll('#tabs button')[1].click(); return true;", serde_json::json!([]));
    phone.find("#report-class option", WAIT);
    let (lon, lat) = (118.3305, 29.8310);
    phone.set_position(&service.base, lon, lat);
    phone.script(
        "[...document.querySelectorAll('button')].find(b => b.textContent.includes('GPS')).click(); return true;",
        serde_json::json!([]),
    );
    phone.wait_for("the GPS fix", "return document.body.innerText.includes('已定位');", WAIT);
    phone.find("#report-map svg", WAIT);
    phone.type_into("#report-address", "岩寺镇 前进路 12 号");
    phone.type_into("#report-description", "路边暴露垃圾，约两立方米");
    let scene = dir.path().join("scene.jpg");
    std::fs::write(&scene, jpeg(1600, 1200)).expect("a photo on the phone");
    phone.type_into("#photo-input", scene.to_str().expect("utf-8"));
    phone.wait_for("the photo to be read", "return document.querySelectorAll('.photos img').length === 1;", WAIT);
    shot(&phone, "terminal_report.png");
    let before = store.load_cases().expect("cases").len();
    phone.click("#report-submit");
    seen_within(&mut desk, Duration::from_secs(2), "the report at the desk", |app| app.cases().len() > before);
    let reported = store.load_cases().expect("cases").into_iter().max_by_key(|known| known.id).expect("the report");
    assert_eq!((reported.state, reported.description.as_str()), (CaseState::Reported, "路边暴露垃圾，约两立方米"));
    assert!((reported.location.x() - lon).abs() < 1e-6 && (reported.location.y() - lat).abs() < 1e-6, "{:?}", reported.location);
    assert_eq!(reported.photos.len(), 1);
    seen_within(&mut wall, Duration::from_secs(2), "the report on the wall", |app| app.cases().len() > before);
    phone.wait_for("the list of my reports", "return document.body.innerText.includes('待受理');", WAIT);
    shot(&phone, "terminal_mine.png");
}

/// A collector whose password the administrator set changes it on the phone, then works.
#[test]
fn a_password_set_by_the_administrator_is_changed_on_the_phone_first() {
    let (_dir, path, _) = common::small_demo(300, 10);
    let mut store = common::pg::owner_store(&path);
    let admin = store.user_by_login("admin").expect("reads").expect("admin");
    store.add_user(&admin, "collector9", "采集员 周敏", citygrid::model::Role::FieldCollector, None, "given-by-admin").expect("added");
    let service = Service::start(&path, &[]);
    let phone = Browser::start(360, 780);
    phone.open(&format!("{}/", service.base));
    phone.type_into("#login", "collector9");
    phone.type_into("#password", "given-by-admin");
    phone.click("#sign-in");
    phone.type_into("#new-password", "my-own-secret");
    phone.type_into("#new-password-again", "my-own-secret");
    phone.click("#change-password");
    phone.find("#tabs button", WAIT);
    phone.wait_for("the verification list", "return document.querySelector('#title').innerText === '核查任务';", WAIT);
    assert!(store.authenticate("collector9", "my-own-secret").is_ok_and(|user| !user.must_change_password));
}
