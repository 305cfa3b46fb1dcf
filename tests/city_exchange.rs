//! The exchange with the city platform (issue 19), two processes on loopback: the real
//! `citygrid serve` of the district, and `citygrid city-sim`, a test double of the city that
//! follows `docs/EXCHANGE.md`. The city sends cases in a burst while the district's service is
//! killed and started again; the district files each once with the city's number. The centre
//! and a unit then work the cases while the city is killed and started again; the city receives
//! every step once, in order per case. The suite runs on the server too.

mod common;

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::serve::{Service, free_port};
use serde_json::Value;

use citygrid::model::{CaseState, ClientKind, CloseType, SourceChannel};
use citygrid::store::Store;
use citygrid::workflow::{Action, Workflow};

/// The city's process, killed when dropped.
struct City {
    child: Child,
}

impl Drop for City {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl City {
    /// `citygrid city-sim` on `port`, its log in `log`; `send` cases to the district's inbox.
    fn start(port: u16, log: &std::path::Path, key: &str, send: Option<(usize, &str, &str, geo::Point<f64>)>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_citygrid"));
        command.args(["city-sim", "--listen", &format!("127.0.0.1:{port}"), "--key", key, "--log"]).arg(log);
        if let Some((count, district, district_key, near)) = send {
            command.args([
                "--send",
                &count.to_string(),
                "--district",
                district,
                "--district-key",
                district_key,
                "--near",
                &format!("{},{}", near.x(), near.y()),
            ]);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("city-sim starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("readable");
        assert!(first.starts_with("city-sim: listening on"), "{first}");
        // Keep reading, so its later lines never meet a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child }
    }
}

/// The complete lines of a log the city may be appending to (a line being written is left out).
fn lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

/// Waits until `done` holds, up to two minutes.
fn until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The district's cases from the city, by the city's number.
fn from_city(store: &Store) -> Vec<(String, citygrid::model::Case)> {
    let query = citygrid::store::LinkedCaseQuery { limit: usize::MAX, ..Default::default() };
    store.linked_cases("city", &query).expect("linked cases").into_iter().map(|(case, link)| (link.external_id, case)).collect()
}

#[test]
fn cases_from_the_city_are_filed_once_and_every_step_goes_back_once_in_order_across_kills() {
    let (dir, path, _) = common::small_demo(2_000, 60);
    // The server pass moves the district before anything is written to it.
    let _ = common::pg::chosen_location(&path);
    let mut owner = common::pg::owner_store(&path);
    let admin = owner.user_by_login("admin").expect("reads").expect("admin");
    let (_, district_key) = owner.add_client(&admin, "city", ClientKind::City, common::as_of()).expect("the city is a client");
    let near = owner.load_cases().expect("cases")[0].location;
    let city_key = format!("city-gives-district-{}", rand::random::<u64>());
    let (city_port, district_port) = (free_port(), free_port());
    let log = dir.path().join("city");
    let district_listen = format!("127.0.0.1:{district_port}");
    let city_inbox = format!("http://127.0.0.1:{city_port}/inbox");
    let env = [("CITYGRID_CITY_KEY", city_key.as_str())];
    let extra = ["--city-url", city_inbox.as_str()];
    let inbox = format!("http://127.0.0.1:{district_port}/exchange/v1/inbox");
    let total = 40;

    // A burst of 40 cases from the city; the district's service is killed after the first few
    // and comes back on the same port; the city retries what was not acknowledged.
    let service = Service::start_at(&path, &district_listen, &extra, &env);
    let city = City::start(city_port, &log, &city_key, Some((total, &inbox, &district_key, near)));
    until("a few acknowledgements", || lines(&log.join("acked.jsonl")).len() >= 5);
    service.kill();
    std::thread::sleep(Duration::from_millis(500));
    let service = Service::start_at(&path, &district_listen, &extra, &env);
    until("every case acknowledged", || lines(&log.join("acked.jsonl")).len() >= total);

    let store = common::pg::owner_store(&path);
    let filed = from_city(&store);
    assert_eq!(filed.len(), total, "each city case filed once");
    let mut numbers: Vec<&str> = filed.iter().map(|(number, _)| number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), total, "no city number twice");
    for (_, case) in &filed {
        assert_eq!((case.state, case.source), (CaseState::Reported, SourceChannel::CityPlatform));
    }
    let acked = lines(&log.join("acked.jsonl"));
    for line in &acked {
        let case_no = line["case_no"].as_str().expect("the district's number");
        assert!(filed.iter().any(|(_, case)| case.case_no == case_no), "{case_no} is a filed case");
    }
    let link = store.links_of_case(filed[0].1.id).expect("links");
    assert_eq!(link[0].reply_due_at.map(|due| due.format("%Y-%m-%d %H:%M").to_string()).as_deref(), Some("2026-11-27 18:00"));

    // The centre and a unit work ten of them through to the close; the city is killed while
    // the steps are on their way and comes back.
    let workflow = Workflow::load(&store).expect("workflow");
    drop(store);
    let mut store = common::pg::owner_store(&path);
    let user = |login: &str| store.user_by_login(login).expect("reads").expect("account");
    let (intake, dispatcher, collector, leader) = (user("intake1"), user("dispatch1"), user("collector1"), user("leader1"));
    let unit = store
        .load_cases()
        .expect("cases")
        .iter()
        .find_map(|case| case.unit.filter(|_| case.state == CaseState::Dispatched))
        .expect("a unit at work");
    let operator = user(&common::serve::operator_of(&store, unit));
    let mut now = common::as_of() + chrono::Duration::hours(1);
    let worked: Vec<(String, i64)> = filed.iter().take(10).map(|(number, case)| (number.clone(), case.id)).collect();
    let mut city = Some(city);
    for (index, (_, id)) in worked.iter().enumerate() {
        if index == 4 {
            drop(city.take());
        }
        if index == 7 {
            city = Some(City::start(city_port, &log, &city_key, None));
        }
        let steps: Vec<(&citygrid::model::User, Action)> = vec![
            (&intake, Action::File { note: String::new(), correction: None }),
            (&dispatcher, Action::Dispatch { unit, note: "按市级平台转办".into() }),
            (&operator, Action::Handle { note: "已清理".into(), photos: vec![] }),
            (&collector, Action::VerifyPass { note: String::new(), photos: vec![] }),
            (&leader, Action::Close { close_type: CloseType::Normal, note: String::new() }),
        ];
        for (actor, action) in steps {
            now += chrono::Duration::minutes(5);
            let case = store.load_case(*id).expect("reads").expect("case");
            workflow.apply(&mut store, actor, case.id, case.revision, &action, now).expect("a step");
        }
    }
    let _city = city.expect("the city is back");
    let expected = ["file", "dispatch", "handle", "verify_pass", "close"];
    until("every step received by the city", || lines(&log.join("received.jsonl")).len() >= worked.len() * expected.len());
    std::thread::sleep(Duration::from_millis(600));

    let received = lines(&log.join("received.jsonl"));
    assert_eq!(received.len(), worked.len() * expected.len(), "every step once, none twice");
    for (number, _) in &worked {
        let of_case: Vec<&Value> = received.iter().filter(|message| message["case"]["external_id"] == number.as_str()).collect();
        let seqs: Vec<i64> = of_case.iter().map(|message| message["case"]["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs, (1..=5).collect::<Vec<_>>(), "{number}: in order");
        let actions: Vec<&str> = of_case.iter().map(|message| message["step"]["action"].as_str().expect("action")).collect();
        assert_eq!(actions, expected, "{number}");
        let last = of_case.last().expect("the close");
        assert_eq!(last["case"]["state"], "closed");
        assert!(last["step"]["at"].as_str().is_some_and(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()), "{last}");
        assert!(of_case[1]["case"]["unit"]["code"].is_string(), "the unit it was dispatched to: {}", of_case[1]);
    }
    let store = common::pg::owner_store(&path);
    let unsent: Vec<_> = store.outbox_rows(0).expect("outbox").into_iter().filter(|row| row.sent_at.is_none()).collect();
    assert!(unsent.is_empty(), "nothing left to send: {unsent:?}");
    let _ = service;
}

type Seat = egui_kittest::Harness<'static, citygrid::app::CitygridApp>;

/// A desk seat on the district, in English, signed in as `login` with its clock at `now`.
fn seat_as(location: citygrid::store::Location, login: &str, now: chrono::NaiveDateTime) -> Seat {
    let timeout = Duration::from_secs(120);
    citygrid::app::harness_signed_in(
        location,
        None,
        [1500, 950],
        citygrid::ui::Lang::En,
        Some(now),
        timeout,
        login,
        citygrid::demo::DEMO_PASSWORD,
    )
    .unwrap_or_else(|error| panic!("{login} signs in: {error:#}"))
}

/// `count` frames, as a person's clicks take them.
fn frames(seat: &mut Seat, count: usize) {
    for _ in 0..count {
        seat.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// POSTs `message` to the district's inbox with `key`: status and answer.
fn post_inbox(base: &str, key: &str, message: &Value) -> (u16, Value) {
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/exchange/v1/inbox"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(message.to_string())
        .send()
        .expect("the district answers");
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().expect("a body")).unwrap_or(Value::Null))
}

#[test]
fn a_12345_ticket_is_answered_from_the_call_back_queue_and_the_reply_goes_back_to_the_hotline() {
    use citygrid::session::{Command, Selection};
    use egui_kittest::kittest::{By, Queryable as _};

    let (dir, path, _) = common::small_demo(2_000, 60);
    let location = common::pg::chosen_location(&path);
    let mut owner = common::pg::owner_store(&path);
    let admin = owner.user_by_login("admin").expect("reads").expect("admin");
    let (_, district_key) = owner.add_client(&admin, "hotline", ClientKind::Hotline, common::as_of()).expect("registered");
    let near = owner.load_cases().expect("cases")[0].location;
    let hotline_key = format!("hotline-gives-district-{}", rand::random::<u64>());
    let hotline_port = free_port();
    let log = dir.path().join("hotline");
    let _hotline = City::start(hotline_port, &log, &hotline_key, None);
    let inbox = format!("http://127.0.0.1:{hotline_port}/inbox");
    let service = Service::start_at(&path, "127.0.0.1:0", &["--hotline-url", &inbox], &[("CITYGRID_HOTLINE_KEY", &hotline_key)]);
    let before = owner.load_cases().expect("cases").len();

    let ticket = serde_json::json!({
        "schema": "citygrid-exchange/1", "message_id": "12345-msg-1", "type": "ticket.new", "sent_at": "2026-11-25T09:10:00+08:00",
        "case": {
            "external_id": "GD20261125-0042", "subject": "event", "class_code": "0101",
            "location": [near.x(), near.y()], "address": "滨江中路 12 号",
            "description": "市民来电：小区门口垃圾三天没人清运", "contact": "陈先生 13800001111",
            "reply_due_at": "2026-11-25T12:30:00+08:00",
        },
    });
    // Refused, and nothing written: a wrong key, a city's message type, a class nobody mapped.
    assert_eq!(post_inbox(&service.base, "cgk_wrong", &ticket).0, 401);
    let mut wrong_type = ticket.clone();
    wrong_type["type"] = "case.new".into();
    assert_eq!(post_inbox(&service.base, &district_key, &wrong_type).0, 400);
    let mut unmapped = ticket.clone();
    unmapped["case"]["class_code"] = "RX-77".into();
    let (status, answer) = post_inbox(&service.base, &district_key, &unmapped);
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("unknown_class")), "{answer}");
    assert_eq!(common::pg::owner_store(&path).load_cases().expect("cases").len(), before, "nothing filed");

    let (status, filed) = post_inbox(&service.base, &district_key, &ticket);
    assert_eq!(status, 201, "{filed}");
    let (status, again) = post_inbox(&service.base, &district_key, &ticket);
    assert_eq!((status, &again["case_no"], &again["replayed"]), (200, &filed["case_no"], &Value::Bool(true)), "{again}");
    let mut renamed = ticket.clone();
    renamed["message_id"] = "12345-msg-2".into();
    let (_, same) = post_inbox(&service.base, &district_key, &renamed);
    assert_eq!((&same["case_no"], &same["already_filed"]), (&filed["case_no"], &Value::Bool(true)), "{same}");
    let case_no = filed["case_no"].as_str().expect("a case number").to_owned();

    // The centre and a unit work it to its close.
    let mut store = common::pg::owner_store(&path);
    let case = store.load_cases().expect("cases").into_iter().find(|case| case.case_no == case_no).expect("filed");
    assert_eq!((case.source, case.reporter_contact.as_deref()), (SourceChannel::Hotline12345, Some("陈先生 13800001111")));
    assert_eq!(case.external.as_ref().map(|external| external.id.as_str()), Some("GD20261125-0042"));
    let workflow = Workflow::load(&store).expect("workflow");
    let user = |login: &str| store.user_by_login(login).expect("reads").expect("account");
    let unit = store
        .load_cases()
        .expect("cases")
        .iter()
        .find_map(|case| case.unit.filter(|_| case.state == CaseState::Dispatched))
        .expect("a unit");
    let (intake, dispatcher, collector, leader) = (user("intake1"), user("dispatch1"), user("collector1"), user("leader1"));
    let operator = user(&common::serve::operator_of(&store, unit));
    let mut now = common::as_of() + chrono::Duration::hours(1);
    for (actor, action) in [
        (&intake, Action::File { note: String::new(), correction: None }),
        (&dispatcher, Action::Dispatch { unit, note: String::new() }),
        (&operator, Action::Handle { note: "已清运".into(), photos: vec![] }),
        (&collector, Action::VerifyPass { note: String::new(), photos: vec![] }),
        (&leader, Action::Close { close_type: CloseType::Normal, note: String::new() }),
    ] {
        now += chrono::Duration::minutes(10);
        let case = store.load_case(case.id).expect("reads").expect("case");
        workflow.apply(&mut store, actor, case.id, case.revision, &action, now).expect("a step");
    }

    // The intake operator answers the caller from the call-back queue, through the desk.
    let mut seat = seat_as(location, "intake1", now);
    let step = frames;
    seat.get_by_label("Reply owed").click();
    step(&mut seat, 3);
    let position = seat.state().cases().position_of(case.id).expect("the seat holds the ticket");
    assert!(seat.state().cases().get(position).expect("case").owes_reply(), "the caller is owed the result");
    // The queue's clock is the hotline's reply deadline, sooner than the manual's.
    let clock = seat.state().cases().status(position).and_then(|status| status.stage).expect("a reply clock");
    assert_eq!(clock.due_at.format("%m-%d %H:%M").to_string(), "11-25 12:30", "{clock:?}");
    seat.state_mut().apply(Command::Select(Some(Selection::Case(position))));
    step(&mut seat, 4);
    seat.get_by_label("12345 hotline GD20261125-0042");
    seat.get_by_label("Reporter feedback").scroll_to_me();
    step(&mut seat, 10);
    seat.get_by_label("Reporter feedback").click();
    step(&mut seat, 3);
    seat.get(By::new().role(egui::accesskit::Role::RadioButton).label("Satisfied")).click();
    step(&mut seat, 2);
    seat.get_by_label("OK").click();
    step(&mut seat, 2);
    let started = Instant::now();
    while seat.state().desk().pending.is_some() {
        assert!(started.elapsed() < Duration::from_secs(30), "the reply is recorded");
        step(&mut seat, 1);
    }
    let told = seat.state().cases().get(seat.state().cases().position_of(case.id).expect("held")).expect("case").clone();
    assert!(!told.owes_reply(), "{:?}", seat.state().desk().notice);

    // The hotline got the filing, the close and the reply, in that order, each once.
    until("the reply at the hotline", || lines(&log.join("received.jsonl")).len() >= 3);
    std::thread::sleep(Duration::from_millis(600));
    let received = lines(&log.join("received.jsonl"));
    let actions: Vec<&str> = received.iter().map(|message| message["step"]["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["file", "close", "reporter_feedback"], "{received:?}");
    assert!(received.iter().all(|message| message["type"] == "ticket.update" && message["case"]["external_id"] == "GD20261125-0042"));
    assert_eq!(received[2]["step"]["data"]["satisfaction"], "satisfied", "{}", received[2]);
}

#[test]
fn a_shift_leader_sees_a_failing_delivery_with_its_reason_and_sends_it_again() {
    use egui_kittest::kittest::Queryable as _;

    let (dir, path, _) = common::small_demo(2_000, 60);
    let location = common::pg::chosen_location(&path);
    let mut owner = common::pg::owner_store(&path);
    let admin = owner.user_by_login("admin").expect("reads").expect("admin");
    let (_, district_key) = owner.add_client(&admin, "city", ClientKind::City, common::as_of()).expect("registered");
    let near = owner.load_cases().expect("cases")[0].location;
    // The city's inbox is down.
    let city_port = free_port();
    let city_key = "city-key-for-the-district";
    let inbox = format!("http://127.0.0.1:{city_port}/inbox");
    let service = Service::start_at(&path, "127.0.0.1:0", &["--city-url", &inbox], &[("CITYGRID_CITY_KEY", city_key)]);
    let message = serde_json::json!({
        "schema": "citygrid-exchange/1", "message_id": "city-1", "type": "case.new",
        "case": { "external_id": "SJ-1", "subject": "event", "class_code": "0101", "location": [near.x(), near.y()], "description": "暴露垃圾" },
    });
    let (status, answer) = post_inbox(&service.base, &district_key, &message);
    assert_eq!(status, 201, "{answer}");
    let mut store = common::pg::owner_store(&path);
    let case = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| Some(case.case_no.as_str()) == answer["case_no"].as_str())
        .expect("filed");
    let workflow = Workflow::load(&store).expect("workflow");
    let intake = store.user_by_login("intake1").expect("reads").expect("intake1");
    let now = common::as_of() + chrono::Duration::hours(1);
    workflow
        .apply(&mut store, &intake, case.id, case.revision, &Action::File { note: String::new(), correction: None }, now)
        .expect("filed");
    until("a failed delivery", || store.outbox_rows(10).expect("outbox").iter().any(citygrid::store::OutboxRow::failing));
    let row = store.outbox_rows(10).expect("outbox").into_iter().find(citygrid::store::OutboxRow::failing).expect("failing");
    assert!(row.last_error.as_deref().is_some_and(|reason| !reason.is_empty()), "the reason is kept: {row:?}");
    // Only a shift leader or an administrator sends again, whatever a seat shows.
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("dispatch1");
    assert!(store.resend_message(&dispatcher, row.id, now).is_err(), "a dispatcher may not");

    let mut seat = seat_as(location, "leader1", now);
    let step = frames;
    seat.get_by_label("Exchange").click();
    let started = Instant::now();
    while !matches!(seat.state().desk().exchange.rows, Some(Some(_))) {
        assert!(started.elapsed() < Duration::from_secs(30), "the outbox is read");
        step(&mut seat, 1);
    }
    step(&mut seat, 3);
    seat.get_by_label("Failing: 1");
    // The case number is in the window's row (and in the case list below it, where it shows).
    assert!(seat.query_all_by_label(&case.case_no).count() >= 1);
    seat.get_by_label("SJ-1");
    // `CITYGRID_EXCHANGE_SHOT=FILE.png`: the window as the leader sees it, for the README.
    if let Ok(shot) = std::env::var("CITYGRID_EXCHANGE_SHOT") {
        let position = seat.state().cases().position_of(case.id).expect("held");
        seat.state_mut().apply(citygrid::session::Command::Select(Some(citygrid::session::Selection::Case(position))));
        step(&mut seat, 10);
        seat.render().expect("renders").save(&shot).expect("the screenshot is written");
    }
    // The city comes back; the leader does not wait for the back-off.
    let log = dir.path().join("city");
    let _city = City::start(city_port, &log, city_key, None);
    seat.get_by_label("Send now").click();
    step(&mut seat, 5);
    until("the message at the city", || lines(&log.join("received.jsonl")).len() == 1);
    let trail = common::pg::owner_store(&path).verify_audit(None).expect("verifies");
    assert!(trail.is_intact(), "{trail:?}");
    let received = lines(&log.join("received.jsonl"));
    assert_eq!((received[0]["case"]["external_id"].as_str(), received[0]["step"]["action"].as_str()), (Some("SJ-1"), Some("file")));
}
