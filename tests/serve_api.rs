//! `citygrid serve` over real HTTP on loopback (issue 18): a unit operator and a collector at
//! their terminals take the desk's own steps on the real database file, each once however often
//! it is sent; each role is refused what it may not do; bad input is refused with what and
//! where, and changes nothing. The suite runs on the server too (`CITYGRID_TEST_STORE=server`).

mod common;

use common::serve::{Service, Terminal, freshly_dispatched, jpeg, operator_of, png};
use serde_json::{Value, json};

use citygrid::model::{CaseState, Keyword as _};
use citygrid::store::Store;

/// A request id as a device makes one.
fn request_id(tag: &str) -> String {
    format!("dev-{tag}-{}", rand::random::<u64>())
}

/// Rows in the case table and the trail: equal means no write.
fn counts(store: &Store) -> (usize, usize) {
    let cases = store.load_cases().expect("cases");
    let entries = cases.iter().map(|case| store.case_events(case.id).expect("trail").len()).sum();
    (cases.len(), entries)
}

#[test]
fn a_unit_operator_signs_for_arrives_and_reports_handled_with_a_photo_once_each() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let mut store = common::pg::owner_store(&path);
    let case = freshly_dispatched(&mut store);
    let unit = case.unit.expect("dispatched to a unit");
    let login = operator_of(&store, unit);
    let service = Service::start(&path, &[]);
    let terminal = Terminal::signed_in(&service, &login);

    // The task list: the unit's open cases only, each with its light and time left.
    let tasks = terminal.get("/api/v1/tasks");
    assert_eq!(tasks.status, 200, "{tasks:?}");
    let listed = tasks.body["cases"].as_array().expect("cases");
    let own: Vec<_> =
        store.load_cases().expect("cases").into_iter().filter(|known| known.involves(unit) && known.state.is_open()).collect();
    assert_eq!(listed.len(), own.len(), "every open case of the unit, nothing else");
    let shown = listed.iter().find(|listed| listed["id"] == case.id).expect("the case is listed");
    assert!(matches!(shown["light"].as_str(), Some("green" | "yellow" | "red")), "{shown}");
    assert!(shown["left_minutes"].is_i64(), "{shown}");
    let actions: Vec<&str> = shown["actions"].as_array().expect("actions").iter().filter_map(|action| action["action"].as_str()).collect();
    assert!(actions.contains(&"sign") && actions.contains(&"return"), "{actions:?}");

    // 签收, 到场 with the phone's position, a photo, 处置反馈.
    let step = |revision: u64, action: Value, id: &str| {
        terminal.post(&format!("/api/v1/cases/{}/steps", case.id), json!({ "request_id": id, "revision": revision, "action": action }))
    };
    let signed = step(u64::from(case.revision), json!({ "action": "sign", "note": "" }), &request_id("sign"));
    assert_eq!(signed.status, 201, "{signed:?}");
    let revision = signed.body["case"]["revision"].as_u64().expect("revision");
    let [lon, lat] = [case.location.x(), case.location.y()];
    let arrived =
        step(revision, json!({ "action": "arrive", "note": "已到场", "photos": [], "location": [lon, lat] }), &request_id("arrive"));
    assert_eq!(arrived.status, 201, "{arrived:?}");
    let photo = terminal.upload_photo(&jpeg(320, 240), "image/jpeg");
    assert_eq!(photo.status, 201, "{photo:?}");
    let name = photo.body["photo"].as_str().expect("a name").to_owned();
    let handle_id = request_id("handle");
    let revision = arrived.body["case"]["revision"].as_u64().expect("revision");
    let handled = step(revision, json!({ "action": "handle", "note": "已更换井盖", "photos": [name] }), &handle_id);
    assert_eq!(handled.status, 201, "{handled:?}");
    assert_eq!(handled.body["case"]["state"], "handled");
    // The answer was lost; the terminal sends the same request again: answered, not applied.
    let again = step(revision, json!({ "action": "handle", "note": "已更换井盖", "photos": [name] }), &handle_id);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["case"]["revision"], handled.body["case"]["revision"]);

    // In the file as the desk reads it: the steps, once each, by the unit's account, through
    // the terminal, the photo kept where the desk shows it from.
    let trail = store.case_events(case.id).expect("trail");
    let tail: Vec<&str> = trail.iter().rev().take(3).rev().map(|event| event.action.as_str()).collect();
    assert_eq!(tail, ["sign", "arrive", "handle"]);
    assert_eq!(trail.iter().filter(|event| event.action == "handle").count(), 1, "applied once");
    let operator = store.user_by_login(&login).expect("reads").expect("account");
    for event in trail.iter().rev().take(3) {
        assert_eq!(event.actor_user_id, Some(operator.id));
        assert_eq!(event.data["channel"], "terminal", "{}", event.data);
    }
    let now = store.load_case(case.id).expect("reads").expect("case");
    assert_eq!(now.state, CaseState::Handled);
    let handling = trail.iter().rev().find(|event| event.action == "handle").expect("the handling");
    let kept = std::path::Path::new(handling.data["photos"][0].as_str().expect("the photo's path, as the desk shows it"));
    assert!(kept.is_file() && kept.file_name().is_some_and(|file| file.to_string_lossy() == name), "{:?}", now.photos);
    assert_eq!(std::fs::read(kept).expect("the photo"), jpeg(320, 240));
    assert!(store.verify_audit(None).expect("verifies").is_intact());

    // The timeline, with the terminal's channel, and the photo back to the terminal.
    let detail = terminal.get(&format!("/api/v1/cases/{}", case.id));
    assert_eq!(detail.status, 200);
    let last = detail.body["timeline"].as_array().expect("timeline").last().expect("an entry").clone();
    assert_eq!((last["action"].as_str(), last["channel"].as_str()), (Some("handle"), Some("terminal")));
    assert_eq!(last["photos"], json!([name]));
    let fetched = terminal.raw("GET", &format!("/api/v1/photos/{name}"), None);
    assert_eq!(fetched.status, 200);
}

#[test]
fn each_role_is_refused_what_it_may_not_do_and_nothing_is_written() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let store = common::pg::owner_store(&path);
    let cases = store.load_cases().expect("cases");
    let dispatched = cases.iter().find(|case| case.state == CaseState::Dispatched).expect("a dispatched case");
    let unit = dispatched.unit.expect("unit");
    let other = cases.iter().find(|case| case.state == CaseState::Dispatched && !case.involves(unit)).expect("another unit's case");
    let login = operator_of(&store, unit);
    let before = counts(&store);
    let service = Service::start(&path, &[]);

    // Without a token, with a made-up one.
    let anonymous = Terminal::new(&service);
    assert_eq!(anonymous.get("/api/v1/tasks").status, 401);
    let mut forged = Terminal::new(&service);
    forged.token = Some("ab".repeat(32));
    assert_eq!(forged.get("/api/v1/tasks").code(), "signed_out");

    let operator = Terminal::signed_in(&service, &login);
    // Another unit's case is not there for it, not even to be told it is stale.
    let foreign = operator.get(&format!("/api/v1/cases/{}", other.id));
    assert_eq!(foreign.status, 404, "{foreign:?}");
    let step = json!({ "request_id": request_id("x"), "revision": other.revision, "action": { "action": "sign", "note": "" } });
    assert_eq!(operator.post(&format!("/api/v1/cases/{}/steps", other.id), step).status, 404);
    // Its own case, but a centre's step: the workflow's refusal, by name.
    let dispatch = json!({ "request_id": request_id("y"), "revision": dispatched.revision, "action": { "action": "urge", "note": "快" } });
    let refused = operator.post(&format!("/api/v1/cases/{}/steps", dispatched.id), dispatch);
    assert_eq!((refused.status, refused.code()), (422, "refused"), "{refused:?}");
    assert!(refused.message().contains("Urge"), "{}", refused.message());
    // A unit does not report cases.
    let report = json!({ "request_id": request_id("r"), "subject": "event", "class_code": "0101", "location": [dispatched.location.x(), dispatched.location.y()], "description": "x" });
    assert_eq!(operator.post("/api/v1/reports", report.clone()).code(), "refused");

    // A collector does not sign for a unit's case.
    let collector = Terminal::signed_in(&service, "collector1");
    let sign = json!({ "request_id": request_id("s"), "revision": dispatched.revision, "action": { "action": "sign", "note": "" } });
    assert_eq!(collector.post(&format!("/api/v1/cases/{}/steps", dispatched.id), sign).code(), "refused");
    // A dispatcher has no terminal task list.
    let dispatcher = Terminal::signed_in(&service, "dispatch1");
    assert_eq!(dispatcher.get("/api/v1/tasks").status, 403);
    // The request id of the collector's write is not the operator's to reuse.
    let id = request_id("mine");
    let own = json!({ "request_id": id, "subject": "event", "class_code": "0101", "location": [dispatched.location.x(), dispatched.location.y()], "description": "暴露垃圾" });
    assert_eq!(collector.post("/api/v1/reports", own.clone()).status, 201);
    let mut theirs = own;
    theirs["description"] = json!("复用编号");
    assert_eq!(operator.post("/api/v1/reports", theirs).code(), "request_id_taken");

    let after = counts(&store);
    assert_eq!(after, (before.0 + 1, before.1 + 1), "only the collector's report was written");
}

#[test]
fn an_offline_queue_sent_late_learns_which_items_were_refused_and_why() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let mut store = common::pg::owner_store(&path);
    let case = freshly_dispatched(&mut store);
    let unit = case.unit.expect("unit");
    let login = operator_of(&store, unit);
    let service = Service::start(&path, &[]);
    let terminal = Terminal::signed_in(&service, &login);

    // Offline, the operator signed for the case and reported it handled: two queued writes made
    // on the case as the phone last saw it. Meanwhile the centre urged it at a desk.
    let workflow = citygrid::workflow::Workflow::load(&store).expect("workflow");
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("account");
    workflow
        .apply(&mut store, &dispatcher, case.id, case.revision, &citygrid::workflow::Action::Urge { note: "尽快".into() }, common::as_of())
        .expect("urged at the desk");
    let queue = [
        (request_id("q1"), json!({ "action": "sign", "note": "" })),
        (request_id("q2"), json!({ "action": "handle", "note": "已处理", "photos": [] })),
    ];
    let mut outcomes = Vec::new();
    for (id, action) in &queue {
        let answer = terminal
            .post(&format!("/api/v1/cases/{}/steps", case.id), json!({ "request_id": id, "revision": case.revision, "action": action }));
        outcomes.push((answer.status, answer.code().to_owned(), answer.message()));
    }
    // Each item is refused as stale, naming who changed the case and how.
    for (status, code, message) in &outcomes {
        assert_eq!((*status, code.as_str()), (409, "stale_case"), "{message}");
        assert!(message.contains("催办") || message.contains("Urge"), "{message}");
    }
    // Sent again after reading the case anew: applied.
    let fresh = terminal.get(&format!("/api/v1/cases/{}", case.id));
    let revision = fresh.body["revision"].as_u64().expect("revision");
    let signed = terminal
        .post(&format!("/api/v1/cases/{}/steps", case.id), json!({ "request_id": queue[0].0, "revision": revision, "action": queue[0].1 }));
    assert_eq!(signed.status, 201, "{signed:?}");

    // The account's role changes at the centre: the terminal's next write is refused, saying so.
    let admin = store.user_by_login("admin").expect("reads").expect("admin");
    let operator = store.user_by_login(&login).expect("reads").expect("operator");
    store.set_role(&admin, operator.id, citygrid::model::Role::FieldCollector, None).expect("role changed");
    let later = terminal.post(
        &format!("/api/v1/cases/{}/steps", case.id),
        json!({ "request_id": queue[1].0, "revision": revision + 1, "action": queue[1].1 }),
    );
    assert_eq!((later.status, later.code()), (401, "signed_out"), "{later:?}");
    assert!(later.message().contains("sign in again"), "{}", later.message());
    assert_eq!(store.load_case(case.id).expect("reads").expect("case").state, CaseState::Dispatched, "not handled");
}

#[test]
fn bad_input_is_refused_with_what_and_where_and_changes_nothing() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let store = common::pg::owner_store(&path);
    let before = counts(&store);
    let service = Service::start(&path, &[]);
    let collector = Terminal::signed_in(&service, "collector1");
    let photos_before = std::fs::read_dir(path.with_file_name("demo-photos")).map(Iterator::count).unwrap_or(0);

    // Photos: too large, a script calling itself a JPEG, a type that is no photo, a broken PNG.
    let huge = vec![0xffu8; citygrid::serve::MAX_PHOTO_BYTES + 1];
    assert_eq!(collector.upload_photo(&huge, "image/jpeg").status, 413);
    let script = collector.upload_photo(b"<script>alert(1)</script>", "image/jpeg");
    assert_eq!((script.status, script.code()), (415, "unsupported_media_type"), "{script:?}");
    assert_eq!(collector.upload_photo(&png(8, 8), "application/pdf").status, 415);
    let mut broken = png(64, 64);
    broken.truncate(40);
    let unreadable = collector.upload_photo(&broken, "image/png");
    assert_eq!(unreadable.status, 400, "{unreadable:?}");
    assert!(unreadable.message().contains("cannot be read"), "{}", unreadable.message());

    let report = |change: &dyn Fn(&mut Value)| {
        let mut body = json!({
            "request_id": request_id("bad"), "subject": "event", "class_code": "0101",
            "location": [118.33, 29.83], "address": "岩寺镇", "description": "暴露垃圾", "photos": []
        });
        change(&mut body);
        collector.post("/api/v1/reports", body)
    };
    let cases = [
        (report(&|body| body["location"] = json!([118.33, 95.0])), 400, "latitude"),
        (report(&|body| body["location"] = json!([2.35, 48.85])), 400, "outside the district"),
        (report(&|body| body["class_code"] = json!("9999")), 422, "9999"),
        (report(&|body| body["subject"] = json!("building")), 400, "subject"),
        (report(&|body| body["photos"] = json!(["../../etc/passwd"])), 400, "upload it first"),
        (report(&|body| body["request_id"] = json!("x")), 400, "request_id"),
        (report(&|body| body["description"] = json!("   ")), 422, "escription"),
        (
            report(&|body| {
                body.as_object_mut().expect("object").remove("location");
            }),
            400,
            "location",
        ),
    ];
    for (answer, status, says) in &cases {
        assert_eq!(answer.status, *status, "{answer:?}");
        assert!(answer.message().contains(says), "{says:?} not in {}", answer.message());
    }
    let malformed = collector.raw("POST", "/api/v1/reports", Some((b"{\"subject\": ".to_vec(), "application/json")));
    assert_eq!((malformed.status, malformed.code()), (400, "bad_request"), "{malformed:?}");
    let oversized = collector.raw("POST", "/api/v1/reports", Some((vec![b' '; 100_000], "application/json")));
    assert_eq!(oversized.status, 413, "{oversized:?}");
    assert_eq!(collector.get("/api/v1/nothing").status, 404);

    assert_eq!(counts(&store), before, "nothing was written");
    let photos_after = std::fs::read_dir(path.with_file_name("demo-photos")).map(Iterator::count).unwrap_or(0);
    assert_eq!(photos_after, photos_before, "no photo was kept");
}

#[test]
fn a_collector_reports_with_a_photo_and_verifies_and_sees_what_became_of_it() {
    let (_dir, path, _) = common::small_demo(2_000, 200);
    let store = common::pg::owner_store(&path);
    let service = Service::start(&path, &[]);
    let collector = Terminal::signed_in(&service, "collector1");
    let classes = collector.get("/api/v1/classes");
    assert!(classes.body["classes"].as_array().is_some_and(|classes| classes.iter().any(|class| class["code"] == "0101")), "{classes:?}");

    let photo = collector.upload_photo(&png(200, 150), "image/png").body["photo"].as_str().expect("uploaded").to_owned();
    let id = request_id("report");
    let body = json!({
        "request_id": id, "subject": "event", "class_code": "0101", "urgency": "normal",
        "location": [118.3305, 29.8310], "address": "岩寺镇 前进路 12 号", "description": "路边暴露垃圾", "photos": [photo]
    });
    let reported = collector.post("/api/v1/reports", body.clone());
    assert_eq!(reported.status, 201, "{reported:?}");
    let case_id = reported.body["case"]["id"].as_i64().expect("id");
    let twice = collector.post("/api/v1/reports", body);
    assert_eq!((twice.status, twice.body["case"]["id"].as_i64()), (200, Some(case_id)), "a retried report is the same case");

    let case = store.load_case(case_id).expect("reads").expect("written");
    assert_eq!((case.state, case.source.keyword(), case.address.as_str()), (CaseState::Reported, "collector", "岩寺镇 前进路 12 号"));
    assert!(case.photos[0].ends_with(&photo), "{:?}", case.photos);
    assert!(case.grid_code.is_some(), "the grid cell is found from the position");
    let first = store.case_events(case_id).expect("trail").into_iter().next().expect("the report");
    assert_eq!((first.action.as_str(), first.data["channel"].as_str()), ("report", Some("terminal")));

    let mine = collector.get("/api/v1/reports");
    assert_eq!(mine.body["cases"][0]["id"], case_id, "{mine:?}");
    assert_eq!(mine.body["cases"][0]["state_name"], "待受理");

    // Verification tasks: handled cases, none reported by another collector; one passes.
    let tasks = collector.get("/api/v1/tasks");
    let task = tasks.body["cases"].as_array().and_then(|cases| cases.first()).cloned().expect("a handled case to verify");
    assert_eq!(task["state"], "handled");
    let verify = json!({ "request_id": request_id("v"), "revision": task["revision"], "action": { "action": "verify_pass", "note": "已修复", "photos": [photo] } });
    let verified = collector.post(&format!("/api/v1/cases/{}/steps", task["id"]), verify);
    assert_eq!((verified.status, verified.body["case"]["state"].as_str()), (201, Some("verified")), "{verified:?}");
}

#[test]
fn sign_in_is_limited_tokens_are_kept_hashed_and_signing_out_ends_them() {
    let (_dir, path, _) = common::small_demo(500, 20);
    let service = Service::start(&path, &[]);
    let terminal = Terminal::new(&service);
    for _ in 0..5 {
        assert_eq!(terminal.sign_in("dispatch1", "wrong-password").code(), "wrong_credentials");
    }
    let limited = terminal.sign_in("dispatch1", citygrid::demo::DEMO_PASSWORD);
    assert_eq!((limited.status, limited.code()), (429, "too_many_attempts"), "even the right password waits");
    assert!(limited.retry_after.as_deref().is_some_and(|seconds| seconds.parse::<u64>().is_ok_and(|seconds| seconds > 0)), "{limited:?}");
    // Another login from the same address is not locked out by it.
    let collector = Terminal::signed_in(&service, "collector1");
    let token = collector.token.clone().expect("a token");

    // The store holds the token's SHA-256, never the token.
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
    let (kept, dump): (Vec<String>, String) = match common::pg::moved_to(&path) {
        Some(url) => {
            let mut owner = postgres::Client::connect(&url, postgres::NoTls).expect("the owner");
            let kept =
                owner.query("SELECT token_hash FROM terminal_sessions", &[]).expect("sessions").iter().map(|row| row.get(0)).collect();
            let dump = owner.query_one("SELECT string_agg(token_hash || client, ',') FROM terminal_sessions", &[]).expect("dump").get(0);
            (kept, dump)
        }
        None => {
            let conn = rusqlite::Connection::open(&path).expect("the file");
            let kept = conn
                .prepare("SELECT token_hash FROM terminal_sessions")
                .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
                .expect("sessions");
            let dump =
                conn.query_row("SELECT group_concat(token_hash || client) FROM terminal_sessions", [], |row| row.get(0)).expect("dump");
            (kept, dump)
        }
    };
    assert_eq!(kept, vec![hash]);
    assert!(!dump.contains(&token));

    assert_eq!(collector.get("/api/v1/session").status, 200);
    assert_eq!(collector.send("DELETE", "/api/v1/session", None).status, 200);
    assert_eq!(collector.get("/api/v1/session").code(), "signed_out", "the token stopped working");
}

/// Given a certificate, the service speaks HTTPS (rustls) and nothing else on that port.
#[test]
fn with_a_certificate_the_service_speaks_only_https() {
    let (dir, path, _) = common::small_demo(300, 10);
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (scripts/install-deps.sh)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let service = Service::start(&path, &["--tls-cert", cert.to_str().expect("utf-8"), "--tls-key", key.to_str().expect("utf-8")]);
    assert!(service.base.starts_with("https://"), "{}", service.base);
    let client = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build().expect("a client");
    let answer = client
        .post(format!("{}/api/v1/session", service.base))
        .header("content-type", "application/json")
        .body(json!({ "login": "collector1", "password": citygrid::demo::DEMO_PASSWORD }).to_string())
        .send()
        .expect("an HTTPS answer");
    assert_eq!(answer.status().as_u16(), 200);
    let plain = service.base.replacen("https://", "http://", 1);
    let refused = reqwest::blocking::Client::new().get(format!("{plain}/api/v1/session")).send();
    assert!(refused.is_err() || refused.is_ok_and(|answer| !answer.status().is_success()), "plain HTTP is not served");
}

/// CORS is off unless an origin is named: a page elsewhere cannot call the API from a browser.
#[test]
fn cross_origin_calls_are_refused_unless_the_origin_is_named() {
    let (_dir, path, _) = common::small_demo(300, 10);
    let preflight = |service: &Service, origin: &str| {
        reqwest::blocking::Client::new()
            .request(reqwest::Method::OPTIONS, format!("{}/api/v1/tasks", service.base))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
            .expect("an answer")
    };
    let closed = Service::start(&path, &[]);
    let answer = preflight(&closed, "https://elsewhere.example");
    assert_eq!(answer.status().as_u16(), 403);
    assert!(answer.headers().get("access-control-allow-origin").is_none());
    drop(closed);
    let open = Service::start(&path, &["--cors-origin", "https://intranet.example"]);
    let allowed = preflight(&open, "https://intranet.example");
    assert_eq!(allowed.status().as_u16(), 204);
    assert_eq!(
        allowed.headers().get("access-control-allow-origin").and_then(|value| value.to_str().ok()),
        Some("https://intranet.example")
    );
    assert_eq!(preflight(&open, "https://elsewhere.example").status().as_u16(), 403);
}

/// A session ends at its expiry, and with it the token.
#[test]
fn a_terminal_session_expires() {
    let (_dir, path, _) = common::small_demo(300, 10);
    let mut store = common::pg::owner_store(&path);
    let user = store.user_by_login("collector1").expect("reads").expect("account");
    let now = common::as_of();
    store.start_terminal_session(&"a".repeat(64), &user, now, now + chrono::Duration::hours(12), "test").expect("started");
    assert!(store.terminal_session(&"a".repeat(64), now + chrono::Duration::hours(11)).expect("reads").is_some());
    assert!(store.terminal_session(&"a".repeat(64), now + chrono::Duration::hours(13)).expect("reads").is_none(), "expired");
    assert!(store.end_terminal_session(&"a".repeat(64), now).expect("ends"));
    assert!(store.terminal_session(&"a".repeat(64), now).expect("reads").is_none(), "ended");
}

/// An account whose password an administrator set must change it first: the terminal can do
/// that itself, checked by the current password, and then works with the new one only.
#[test]
fn an_account_with_a_password_set_by_the_administrator_changes_it_from_the_terminal() {
    let (_dir, path, _) = common::small_demo(300, 10);
    let mut store = common::pg::owner_store(&path);
    let admin = store.user_by_login("admin").expect("reads").expect("admin");
    store.add_user(&admin, "collector9", "采集员 周敏", citygrid::model::Role::FieldCollector, None, "given-by-admin").expect("added");
    let service = Service::start(&path, &[]);
    let mut terminal = Terminal::new(&service);
    let first = terminal.sign_in("collector9", "given-by-admin");
    assert_eq!((first.status, first.body["must_change_password"].as_bool()), (200, Some(true)), "{first:?}");
    terminal.token = first.body["token"].as_str().map(str::to_owned);
    assert_eq!(terminal.get("/api/v1/tasks").code(), "password_change_required");

    let change =
        |old: &str, new: &str| terminal.post("/api/v1/password", json!({ "login": "collector9", "password": old, "new_password": new }));
    assert_eq!(change("not-it", "my-own-secret").code(), "wrong_credentials");
    assert_eq!(change("given-by-admin", "short").status, 400);
    let changed = change("given-by-admin", "my-own-secret");
    assert_eq!((changed.status, changed.body["must_change_password"].as_bool()), (200, Some(false)), "{changed:?}");
    terminal.token = changed.body["token"].as_str().map(str::to_owned);
    assert_eq!(terminal.get("/api/v1/tasks").status, 200);
    assert_eq!(terminal.sign_in("collector9", "given-by-admin").code(), "wrong_credentials");
}
