//! `citygrid serve` started for a test: the real binary on a free loopback port, stopped when the
//! guard drops; and a small JSON client over real HTTP (reqwest).

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running service.
pub struct Service {
    child: Child,
    pub base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// `citygrid --db DB serve --listen 127.0.0.1:0 --clock …` plus `extra` on the suite's
    /// district at `path` (the file, or its server copy: `CITYGRID_TEST_STORE=server`), photos
    /// in `demo-photos` beside the file; waits for the line that says where it listens.
    pub fn start(path: &std::path::Path, extra: &[&str]) -> Self {
        Self::start_at(path, "127.0.0.1:0", extra, &[])
    }

    /// [`Self::start`] on the address `listen` (a fixed port survives a restart), with the
    /// environment variables `env`.
    pub fn start_at(path: &std::path::Path, listen: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let db = super::pg::db_arg(&super::pg::chosen_location(path));
        let mut child = Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", listen, "--clock", "2026-11-25 10:00", "--photos"])
            .arg(path.with_file_name("demo-photos"))
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("citygrid serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("the first line");
        let base = line
            .trim()
            .strip_prefix("citygrid serve: listening on ")
            .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Self { child, base }
    }

    /// Stops the service as a crash would (no goodbye).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free now (bound and let go), for a process that must come back on it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("its address").port()
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Answer {
    /// The error code of a refusal.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> String {
        format!(
            "{} / {}",
            self.body["error"]["message"].as_str().unwrap_or_default(),
            self.body["error"]["message_en"].as_str().unwrap_or_default()
        )
    }
}

/// A terminal: the base URL and, once signed in, its token.
pub struct Terminal {
    client: reqwest::blocking::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Terminal {
    pub fn new(service: &Service) -> Self {
        Self { client: reqwest::blocking::Client::new(), base: service.base.clone(), token: None }
    }

    /// Signs in; panics unless it worked.
    pub fn signed_in(service: &Service, login: &str) -> Self {
        let mut terminal = Self::new(service);
        let answer = terminal.sign_in(login, citygrid::demo::DEMO_PASSWORD);
        assert_eq!(answer.status, 200, "{login} signs in: {answer:?}");
        terminal.token = answer.body["token"].as_str().map(str::to_owned);
        terminal
    }

    pub fn sign_in(&self, login: &str, password: &str) -> Answer {
        self.send("POST", "/api/v1/session", Some(serde_json::json!({ "login": login, "password": password })))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(body))
    }

    pub fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let body = body.map(|body| (body.to_string().into_bytes(), "application/json"));
        self.raw(method, path, body)
    }

    /// Any body with any content type.
    pub fn raw(&self, method: &str, path: &str, body: Option<(Vec<u8>, &str)>) -> Answer {
        let method: reqwest::Method = method.parse().expect("a method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some((bytes, kind)) = body {
            request = request.header("content-type", kind).body(bytes);
        }
        let response = request.send().expect("the service answers");
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let text = response.text().expect("a body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Answer { status, body, retry_after }
    }

    /// Uploads a photo; returns its name.
    pub fn upload_photo(&self, bytes: &[u8], kind: &str) -> Answer {
        self.raw("POST", "/api/v1/photos", Some((bytes.to_vec(), kind)))
    }
}

/// A small real PNG (`width` × `height`, one colour).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbaImage::from_pixel(width, height, image::Rgba([200, 40, 40, 255]))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encode");
    bytes
}

/// A small real JPEG.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(width, height, image::Rgb([40, 120, 200]))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .expect("encode");
    bytes
}

/// The operator login of `unit`'s account in the demo.
pub fn operator_of(store: &citygrid::store::Store, unit: citygrid::model::UnitId) -> String {
    let code = store.load_units().expect("units").into_iter().find(|known| known.id == unit).expect("unit").code;
    format!("unit_{}", code.to_lowercase().replace('-', "_"))
}

/// A case just dispatched at a desk to a unit with an operator, not yet signed for.
pub fn freshly_dispatched(store: &mut citygrid::store::Store) -> citygrid::model::Case {
    let cases = store.load_cases().expect("cases");
    let filed = cases.iter().find(|case| case.state == citygrid::model::CaseState::Filed).expect("a filed case").clone();
    let unit =
        cases.iter().find_map(|case| case.unit.filter(|_| case.state == citygrid::model::CaseState::Dispatched)).expect("a unit at work");
    let workflow = citygrid::workflow::Workflow::load(store).expect("workflow");
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("account");
    let action = citygrid::workflow::Action::Dispatch { unit, note: String::new() };
    workflow.apply(store, &dispatcher, filed.id, filed.revision, &action, super::as_of()).expect("dispatched")
}
