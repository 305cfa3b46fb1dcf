//! Open311 GeoReport v2 against `citygrid serve` over real HTTP (issue 19). The client below is
//! written from the published spec (<https://wiki.open311.org/GeoReport_v2>), not from our code:
//! it builds its own form and multipart bodies, reads JSON and XML into the same rows, and
//! expects the spec's fields, formats and error form. The suite runs on the server too.

mod common;

use std::collections::BTreeMap;

use common::serve::{Service, jpeg};
use serde_json::Value;

use citygrid::model::{CaseState, ClientKind, SourceChannel};
use citygrid::store::Store;
use citygrid::workflow::{Action, Workflow};

/// One element of a response list (a service, a request, an error): field → text.
type Row = BTreeMap<String, String>;

/// An Open311 response: status, content type and the rows it holds.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    rows: Vec<Row>,
}

/// A GeoReport v2 client: the endpoint and the key the city gave it.
struct Client {
    http: reqwest::blocking::Client,
    endpoint: String,
    api_key: String,
}

/// `application/x-www-form-urlencoded`, per the HTML spec: unreserved bytes as they are, space
/// as `+`, the rest `%XX`.
fn form_encode(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (byte as char).to_string(),
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// `multipart/form-data` (RFC 7578): the fields, then the photo as `media`.
fn multipart(fields: &[(&str, &str)], media: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("----open311test{}", rand::random::<u64>());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(media);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The rows of a JSON answer: an array of objects (or one object), values as text.
fn json_rows(bytes: &[u8]) -> Vec<Row> {
    let value: Value = serde_json::from_slice(bytes).unwrap_or_else(|error| panic!("JSON: {error}: {}", String::from_utf8_lossy(bytes)));
    let objects = match value {
        Value::Array(members) => members,
        object @ Value::Object(_) => vec![object],
        other => panic!("neither a list nor an object: {other}"),
    };
    objects
        .iter()
        .map(|object| {
            object
                .as_object()
                .expect("an object")
                .iter()
                .map(|(field, value)| {
                    let text = match value {
                        Value::Null => String::new(),
                        Value::String(text) => text.clone(),
                        Value::Array(members) => members.len().to_string(),
                        other => other.to_string(),
                    };
                    (field.clone(), text)
                })
                .collect()
        })
        .collect()
}

/// The rows of an XML answer: the root's child elements, each child's children as fields (a
/// list field as the number of its members, as [`json_rows`] counts them).
fn xml_rows(bytes: &[u8]) -> Vec<Row> {
    let text = std::str::from_utf8(bytes).expect("UTF-8 XML");
    let document = roxmltree::Document::parse(text).unwrap_or_else(|error| panic!("XML: {error}: {text}"));
    let root = document.root_element();
    let row_of = |element: roxmltree::Node<'_, '_>| -> Row {
        element
            .children()
            .filter(roxmltree::Node::is_element)
            .map(|field| {
                let members = field.children().filter(roxmltree::Node::is_element).count();
                let text = if members > 0 || field.tag_name().name() == "attributes" {
                    members.to_string()
                } else {
                    field.text().unwrap_or_default().to_owned()
                };
                (field.tag_name().name().to_owned(), text)
            })
            .collect()
    };
    // A service definition is one element with fields; the lists hold one element per row.
    if root.tag_name().name() == "service_definition" {
        return vec![row_of(root)];
    }
    root.children().filter(roxmltree::Node::is_element).map(row_of).collect()
}

impl Client {
    fn new(service: &Service, api_key: &str) -> Self {
        Self { http: reqwest::blocking::Client::new(), endpoint: format!("{}/open311/v2", service.base), api_key: api_key.to_owned() }
    }

    fn reply(response: reqwest::blocking::Response, format: &str) -> Reply {
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
        let raw = response.bytes().expect("a body").to_vec();
        let rows = if format == "xml" { xml_rows(&raw) } else { json_rows(&raw) };
        Reply { status, content_type, rows }
    }

    fn get(&self, path: &str, format: &str) -> Reply {
        let url = format!("{}/{path}", self.endpoint).replace("{f}", format);
        Self::reply(self.http.get(url).send().expect("the endpoint answers"), format)
    }

    /// `POST requests.{format}` with `fields` and this client's key.
    fn post(&self, format: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("api_key", self.api_key.as_str())];
        all.extend_from_slice(fields);
        let response = self
            .http
            .post(format!("{}/requests.{format}", self.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(&all))
            .send()
            .expect("the endpoint answers");
        Self::reply(response, format)
    }

    /// `POST requests.{format}` as multipart with a photo as `media`.
    fn post_with_media(&self, format: &str, fields: &[(&str, &str)], media: &[u8]) -> Reply {
        let mut all = vec![("api_key", self.api_key.as_str())];
        all.extend_from_slice(fields);
        let (content_type, body) = multipart(&all, media);
        let response = self
            .http
            .post(format!("{}/requests.{format}", self.endpoint))
            .header("content-type", content_type)
            .body(body)
            .send()
            .expect("the endpoint answers");
        Self::reply(response, format)
    }
}

/// The spec's error form: a list of `{code, description}` whose code is the HTTP status.
fn assert_spec_error(reply: &Reply, status: u16, says: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.rows.len(), 1, "one error: {reply:?}");
    assert_eq!(reply.rows[0].get("code").map(String::as_str), Some(status.to_string().as_str()), "{reply:?}");
    let description = reply.rows[0].get("description").cloned().unwrap_or_default();
    assert!(description.contains(says), "{description:?} should say {says:?}");
}

/// A W3C date-time with its offset.
fn w3c(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|error| panic!("{text:?} is not a W3C date-time: {error}"))
}

/// A registered Open311 client of the district at `path` and its key.
fn register(path: &std::path::Path, name: &str) -> String {
    let mut store = common::pg::owner_store(path);
    let admin = store.user_by_login("admin").expect("reads").expect("the demo administrator");
    let (client, key) = store.add_client(&admin, name, ClientKind::Open311, common::as_of()).expect("registered");
    assert_eq!(client.kind, ClientKind::Open311);
    key
}

/// Rows of cases, trail entries and links: equal means nothing was written.
fn counts(store: &Store) -> (usize, usize, usize) {
    let cases = store.load_cases().expect("cases");
    let entries = cases.iter().map(|case| store.case_events(case.id).expect("trail").len()).sum();
    let links = cases.iter().map(|case| store.links_of_case(case.id).expect("links").len()).sum();
    (cases.len(), entries, links)
}

#[test]
fn a_citizen_app_reports_and_follows_its_requests_in_json_and_xml() {
    let (_dir, path, _) = common::small_demo(2_000, 120);
    let key = register(&path, "weixin");
    let service = Service::start(&path, &[]);
    let client = Client::new(&service, &key);

    // GET services in both formats: the same list, each with the spec's fields.
    let json = client.get("services.{f}", "json");
    let xml = client.get("services.{f}", "xml");
    assert_eq!((json.status, xml.status), (200, 200));
    assert!(json.content_type.starts_with("application/json") && xml.content_type.starts_with("text/xml"), "{json:?}");
    assert_eq!(json.rows, xml.rows, "JSON and XML list the same services");
    assert!(json.rows.len() >= 90, "every class of the manual is offered: {}", json.rows.len());
    for service in &json.rows {
        for field in ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
            assert!(service.contains_key(field), "{field} missing in {service:?}");
        }
        assert!(["realtime", "batch", "blackbox"].contains(&service["type"].as_str()), "{service:?}");
        assert!(["true", "false"].contains(&service["metadata"].as_str()), "{service:?}");
    }
    let garbage = json.rows.iter().find(|service| service["service_name"] == "暴露垃圾").expect("exposed garbage is a service");
    let code = garbage["service_code"].clone();
    for format in ["json", "xml"] {
        let definition = client.get(&format!("services/{code}.{format}"), format);
        assert_eq!(definition.status, 200, "{definition:?}");
        assert_eq!(definition.rows[0]["service_code"], code);
        assert_eq!(definition.rows[0]["attributes"], "0", "no extra attributes are asked");
    }

    // POST requests: one as a form (JSON answer), one as multipart with a photo (XML answer).
    let mut store = common::pg::owner_store(&path);
    let spot = store.load_cases().expect("cases")[0].location;
    let (lat, lon) = (format!("{:.6}", spot.y()), format!("{:.6}", spot.x()));
    let posted = client.post(
        "json",
        &[
            ("service_code", &code),
            ("lat", &lat),
            ("long", &lon),
            ("address_string", "滨江中路 12 号"),
            ("description", "路边一堆生活垃圾，有异味"),
            ("first_name", "李"),
            ("last_name", "明"),
            ("phone", "13912345678"),
            ("email", "li.ming@example.cn"),
        ],
    );
    assert_eq!(posted.status, 201, "{posted:?}");
    let first = posted.rows[0]["service_request_id"].clone();
    assert!(!first.is_empty() && posted.rows[0].contains_key("service_notice"), "{posted:?}");
    let photo = jpeg(640, 480);
    let with_photo = client.post_with_media(
        "xml",
        &[("service_code", &code), ("lat", &lat), ("long", &lon), ("description", "垃圾桶旁散落垃圾")],
        &photo,
    );
    assert_eq!(with_photo.status, 201, "{with_photo:?}");
    let second = with_photo.rows[0]["service_request_id"].clone();
    assert_ne!(first, second);
    // The same spot and class: the intake operator is told of the likely duplicate.
    assert!(with_photo.rows[0]["service_notice"].contains("同类问题"), "{with_photo:?}");

    // In the store: citizen reports waiting for intake (待受理), written as the client's account
    // through the Open311 channel, the contact kept for the reply and never listed.
    let cases = store.load_cases().expect("cases");
    let filed = cases.iter().find(|case| case.case_no == first).expect("the request is a case");
    assert_eq!((filed.state, filed.source), (CaseState::Reported, SourceChannel::Citizen));
    assert!(filed.reporter_contact.as_deref().is_some_and(|contact| contact.contains("13912345678")), "{filed:?}");
    assert_eq!(filed.address, "滨江中路 12 号");
    let trail = store.case_events(filed.id).expect("trail");
    let author = store.load_users().expect("users").into_iter().find(|user| Some(user.id) == trail[0].actor_user_id).expect("an author");
    assert_eq!(author.login, "client:weixin");
    assert_eq!(trail[0].data["channel"], "open311", "{:?}", trail[0].data);
    let links = store.links_of_case(filed.id).expect("links");
    assert_eq!((links.len(), links[0].system.as_str(), links[0].external_id.as_str()), (1, "open311", first.as_str()));

    // GET requests/{id} in both formats: the same request, open, as posted.
    let one_json = client.get(&format!("requests/{first}.{{f}}"), "json");
    let one_xml = client.get(&format!("requests/{first}.{{f}}"), "xml");
    assert_eq!((one_json.status, one_xml.status), (200, 200), "{one_json:?}");
    assert_eq!(one_json.rows, one_xml.rows, "JSON and XML say the same");
    let request = &one_json.rows[0];
    assert_eq!((request["status"].as_str(), request["service_code"].as_str()), ("open", code.as_str()));
    assert_eq!(request["status_notes"], "已收到，等待受理");
    assert!((request["lat"].parse::<f64>().expect("lat") - spot.y()).abs() < 1e-5, "{request:?}");
    assert!((request["long"].parse::<f64>().expect("long") - spot.x()).abs() < 1e-5, "{request:?}");
    assert_eq!(w3c(&request["requested_datetime"]).naive_local(), filed.reported_at);
    assert!(!request.values().any(|value| value.contains("13912345678") || value.contains("li.ming")), "no contact is listed");
    let shown = client.get(&format!("requests/{second}.{{f}}"), "json");
    let media = shown.rows[0]["media_url"].clone();
    assert!(media.starts_with("/open311/v2/media/"), "{shown:?}");
    let fetched = reqwest::blocking::get(format!("{}{media}", service.base)).expect("the photo");
    assert_eq!(fetched.status().as_u16(), 200);
    assert_eq!(fetched.bytes().expect("bytes").to_vec(), photo, "the photo as sent");

    // The centre files and dispatches the first, rejects the second as a duplicate.
    let workflow = Workflow::load(&store).expect("workflow");
    let intake = store.user_by_login("intake1").expect("reads").expect("intake1");
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("dispatch1");
    // After the service's clock (10:00), as the desk would be.
    let now = common::as_of() + chrono::Duration::hours(1);
    let case = workflow
        .apply(&mut store, &intake, filed.id, filed.revision, &Action::File { note: String::new(), correction: None }, now)
        .expect("filed");
    let unit = store
        .load_cases()
        .expect("cases")
        .iter()
        .find_map(|known| known.unit.filter(|_| known.state == CaseState::Dispatched))
        .expect("a unit at work");
    let case = workflow
        .apply(&mut store, &dispatcher, case.id, case.revision, &Action::Dispatch { unit, note: String::new() }, now)
        .expect("dispatched");
    let duplicate = store.load_cases().expect("cases").into_iter().find(|case| case.case_no == second).expect("second");
    workflow
        .apply(&mut store, &intake, duplicate.id, duplicate.revision, &Action::Reject { reason: "与已受理问题重复".into() }, now)
        .expect("rejected");
    let unit_name = store.load_units().expect("units").into_iter().find(|known| known.id == unit).expect("unit").name_zh;

    let followed = client.get(&format!("requests/{first}.{{f}}"), "xml");
    let request = &followed.rows[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["agency_responsible"], unit_name);
    assert!(request["status_notes"].contains(&unit_name), "{request:?}");
    let deadline = case.deadline_at.expect("a deadline");
    assert_eq!(w3c(&request["expected_datetime"]).naive_local(), deadline, "expected_datetime is the handling deadline");
    assert_eq!(client.get(&format!("requests/{second}.{{f}}"), "json").rows[0]["status"], "closed");

    // GET requests with the spec's filters.
    let listed = |query: &str| -> Vec<String> {
        let reply = client.get(&format!("requests.{{f}}?{query}"), "json");
        assert_eq!(reply.status, 200, "{query}: {reply:?}");
        reply.rows.iter().map(|row| row["service_request_id"].clone()).collect()
    };
    assert_eq!(listed(""), vec![second.clone(), first.clone()], "newest first, only Open311's requests");
    assert_eq!(listed("status=open"), vec![first.clone()]);
    assert_eq!(listed("status=closed"), vec![second.clone()]);
    assert_eq!(listed(&format!("service_code={code}&status=open,closed")).len(), 2);
    assert!(listed("service_code=P0101").is_empty());
    assert!(listed("end_date=2020-01-01T00:00:00Z").is_empty());
    assert_eq!(listed("start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-12-01T00:00:00Z").len(), 2);
    assert_eq!(listed(&format!("service_request_id={first},{second}&status=closed")).len(), 2, "ids win over other filters");
}

#[test]
fn bad_requests_get_the_spec_error_form_and_change_nothing() {
    let (_dir, path, _) = common::small_demo(2_000, 80);
    let key = register(&path, "thirdparty");
    let service = Service::start(&path, &[]);
    let client = Client::new(&service, &key);
    let stranger = Client::new(&service, "cgk_0000000000000000000000000000000000000000000000000000000000000000");
    let store = common::pg::owner_store(&path);
    let spot = store.load_cases().expect("cases")[0].location;
    let (lat, lon) = (format!("{:.6}", spot.y()), format!("{:.6}", spot.x()));
    let before = counts(&store);

    for format in ["json", "xml"] {
        let fields =
            |code: &'static str| vec![("service_code", code), ("lat", lat.as_str()), ("long", lon.as_str()), ("description", "坏请求")];
        assert_spec_error(&client.post(format, &fields("E9999")), 400, "E9999");
        assert_spec_error(&stranger.post(format, &fields("E0101")), 403, "api_key");
        assert_spec_error(&client.post(format, &[("service_code", "E0101"), ("address_string", "滨江中路")]), 400, "lat");
        assert_spec_error(&client.post(format, &[("service_code", "E0101"), ("lat", "北纬三十"), ("long", &lon)]), 400, "lat");
        assert_spec_error(&client.post(format, &[("service_code", "E0101"), ("lat", "48.85"), ("long", "2.35")]), 400, "district");
        assert_spec_error(&client.post(format, &[("lat", &lat), ("long", &lon)]), 400, "service_code");
        let mut foreign = fields("E0101");
        foreign.push(("jurisdiction_id", "paris.fr"));
        assert_spec_error(&client.post(format, &foreign), 404, "paris.fr");
        // Oversized media: over the 12 MB a photo may be.
        let huge = [jpeg(8, 8), vec![0u8; 13 * 1024 * 1024]].concat();
        assert_spec_error(&client.post_with_media(format, &fields("E0101"), &huge), 413, "12 MB");
        // A text file called a photo.
        assert_spec_error(&client.post_with_media(format, &fields("E0101"), b"<?php echo 1; ?>"), 415, "JPEG");
        assert_spec_error(&client.get(&format!("requests/209901010001.{format}"), format), 404, "209901010001");
        assert_spec_error(&client.get(&format!("services/X1.{format}"), format), 404, "X1");
        assert_spec_error(&client.get("requests.{f}?status=pending", format), 400, "status");
        assert_spec_error(&client.get("requests.{f}?start_date=yesterday", format), 400, "start_date");
    }
    let plain = reqwest::blocking::Client::new()
        .post(format!("{}/open311/v2/requests.json", service.base))
        .header("content-type", "text/plain")
        .body("api_key=x")
        .send()
        .expect("answers");
    assert_eq!(plain.status().as_u16(), 415);
    assert_eq!(counts(&common::pg::owner_store(&path)), before, "no refused request wrote anything");

    // A revoked key stops working at once; the client's account signs in nowhere.
    let mut owner = common::pg::owner_store(&path);
    let admin = owner.user_by_login("admin").expect("reads").expect("admin");
    owner.revoke_client(&admin, "thirdparty", common::as_of()).expect("revoked");
    let fields = [("service_code", "E0101"), ("lat", lat.as_str()), ("long", lon.as_str()), ("description", "吊销后")];
    assert_spec_error(&client.post("json", &fields), 403, "api_key");
    let terminal = common::serve::Terminal::new(&service);
    assert_eq!(terminal.sign_in("client:thirdparty", "").status, 401, "an interface account has no password");
    let account = owner.user_by_login("client:thirdparty").expect("reads").expect("the client's account");
    assert!(
        matches!(owner.set_password(&admin, account.id, "a-long-password"), Err(citygrid::store::AuthError::InterfaceAccount)),
        "nobody gives an interface account a password"
    );
    assert_eq!(counts(&owner), before);
    assert!(owner.verify_audit(None).expect("verifies").is_intact(), "the trail and the seals hold");
}

#[test]
fn an_administrator_edits_the_services_and_only_an_administrator() {
    let (_dir, path, _) = common::small_demo(1_000, 40);
    let key = register(&path, "citizenapp");
    let mut store = common::pg::owner_store(&path);
    let admin = store.user_by_login("admin").expect("reads").expect("admin");
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("dispatch1");
    let fire = store.load_manual().expect("manual").entries.into_iter().find(|entry| entry.name_zh == "火灾").expect("fire is a class");
    let fire_code = format!("E{}", fire.code);
    // A dispatcher may not change the table; an administrator removes fire (119's) and names a
    // code of its own for street lamps.
    assert!(store.set_class_code(&dispatcher, "open311", &fire_code, None).is_err());
    assert!(store.set_class_code(&admin, "open311", &fire_code, None).expect("removed"));
    store.set_class_code(&admin, "open311", "streetlight", Some((citygrid::model::ItemKind::Part, "0118"))).expect("mapped");
    assert!(store.set_class_code(&admin, "open311", "bogus", Some((citygrid::model::ItemKind::Part, "9999"))).is_err(), "no such class");

    let service = Service::start(&path, &[]);
    let client = Client::new(&service, &key);
    let services = client.get("services.{f}", "json");
    let codes: Vec<&str> = services.rows.iter().map(|row| row["service_code"].as_str()).collect();
    assert!(!codes.contains(&fire_code.as_str()) && codes.contains(&"streetlight"), "{codes:?}");
    assert_spec_error(&client.post("json", &[("service_code", &fire_code), ("lat", "29.8"), ("long", "118.3")]), 400, &fire_code);
    let trail = store.verify_audit(None).expect("verifies");
    assert!(trail.is_intact(), "the changes are in the administrative trail and sealed: {trail:?}");
}

#[test]
fn the_intake_operator_sees_a_citizens_report_and_its_likely_duplicate_at_the_desk() {
    use citygrid::session::{Command, Selection};
    use egui_kittest::kittest::Queryable as _;

    let (_dir, path, _) = common::small_demo(2_000, 60);
    // On the server pass: the district moved, every account with its own login, before anything.
    let location = common::pg::chosen_location(&path);
    let key = register(&path, "website");
    let service = Service::start(&path, &[]);
    let client = Client::new(&service, &key);
    let spot = common::pg::owner_store(&path).load_cases().expect("cases")[0].location;
    let (lat, lon) = (format!("{:.6}", spot.y()), format!("{:.6}", spot.x()));
    let mut numbers = Vec::new();
    for description in ["小区门口垃圾堆积", "门口垃圾没人清理"] {
        let posted = client.post("json", &[("service_code", "E0101"), ("lat", &lat), ("long", &lon), ("description", description)]);
        assert_eq!(posted.status, 201, "{posted:?}");
        numbers.push(posted.rows[0]["service_request_id"].clone());
    }

    let timeout = std::time::Duration::from_secs(120);
    let mut seat = citygrid::app::harness_signed_in(
        location,
        None,
        [1600, 1000],
        citygrid::ui::Lang::Zh,
        Some(common::as_of() + chrono::Duration::hours(1)),
        timeout,
        "intake1",
        citygrid::demo::DEMO_PASSWORD,
    )
    .expect("intake1 signs in");
    let book = seat.state().cases();
    let second = (0..book.len()).find(|at| book.get(*at).is_some_and(|case| case.case_no == numbers[1])).expect("the seat has the report");
    let case = book.get(second).expect("case").clone();
    assert_eq!((case.state, case.source), (CaseState::Reported, SourceChannel::Citizen), "waiting for intake as a citizen's report");
    seat.state_mut().apply(Command::Select(Some(Selection::Case(second))));
    for _ in 0..6 {
        seat.step();
    }
    seat.get_by_label_contains("50 米内已有同类在办案卷");
    let label = format!("{} · ", numbers[0]);
    let centre = seat.get_by_label_contains(&label).rect().center();
    seat.event(egui::Event::PointerMoved(centre));
    seat.step();
    for pressed in [true, false] {
        seat.event(egui::Event::PointerButton {
            pos: centre,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        seat.step();
    }
    seat.step();
    let Some(Selection::Case(selected)) = seat.state().selection() else { panic!("a case is selected") };
    assert_eq!(seat.state().cases().get(selected).expect("case").case_no, numbers[0], "the link opens the earlier report");
}
