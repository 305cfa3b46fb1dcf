//! A real headless browser for the web terminal: Debian's Chromium driven through its WebDriver
//! (`chromedriver`, installed by scripts/install-deps.sh), spoken to over the W3C WebDriver
//! protocol with a few plain HTTP calls. Phone-sized by default.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session; the driver stops with it.
pub struct Browser {
    driver: Child,
    client: reqwest::blocking::Client,
    session: String,
    base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.client.delete(format!("{}/session/{}", self.base, self.session)).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Chromium headless at `width` × `height` CSS pixels (a phone: 390 × 844).
    pub fn start(width: u32, height: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (chromium-driver, scripts/install-deps.sh)");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("a client");
        let started = Instant::now();
        while client.get(format!("{base}/status")).send().is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=zh-CN", "--force-device-scale-factor=2"],
                "mobileEmulation": { "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true } }
            }
        } } });
        let mut browser = Self { driver, client, session: String::new(), base };
        let answer = browser.call("POST", "/session", Some(capabilities));
        browser.session = answer["sessionId"].as_str().expect("a session").to_owned();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url =
            if self.session.is_empty() { format!("{}{path}", self.base) } else { format!("{}/session/{}{path}", self.base, self.session) };
        let method: reqwest::Method = method.parse().expect("method");
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let text = request.send().expect("the driver answers").text().expect("a body");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        if let Some(error) = value["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", value["value"]["message"]);
        }
        value["value"].clone()
    }

    pub fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` in the page; its `return` value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// The first element matching `css` within `timeout`, or a panic naming it.
    pub fn find(&self, css: &str, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            let found = self.script("const e = document.querySelector(arguments[0]); return e ? true : false;", json!([css]));
            if found == json!(true) {
                let value = self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css })));
                return value[ELEMENT].as_str().expect("an element").to_owned();
            }
            assert!(started.elapsed() < timeout, "no {css} within {timeout:?}; the page says: {}", self.text("body"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Scrolls `css` to the middle of the screen (clear of the fixed tab bar), as a thumb
    /// would, and taps it.
    pub fn click(&self, css: &str) {
        let element = self.find(css, Duration::from_secs(10));
        self.script("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' }); return true;", json!([css]));
        self.call("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css, Duration::from_secs(10));
        self.call("POST", &format!("/element/{element}/value"), Some(json!({ "text": text })));
    }

    /// The text of the first element matching `css` ("" when there is none).
    pub fn text(&self, css: &str) -> String {
        self.script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", json!([css]))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `script` returns true.
    pub fn wait_for(&self, what: &str, script: &str, timeout: Duration) {
        let started = Instant::now();
        while self.script(script, json!([])) != json!(true) {
            assert!(started.elapsed() < timeout, "{what} within {timeout:?}; the page says: {}", self.text("body"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The phone's GPS says it is at `lon`, `lat` (Chrome DevTools protocol through the driver).
    pub fn set_position(&self, origin: &str, lon: f64, lat: f64) {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Browser.grantPermissions", "params": { "origin": origin, "permissions": ["geolocation"] } })),
        );
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Emulation.setGeolocationOverride", "params": { "latitude": lat, "longitude": lon, "accuracy": 5 } })),
        );
    }

    /// The phone loses (or regains) its network (Chrome DevTools protocol through the driver).
    pub fn set_offline(&self, offline: bool) {
        self.call("POST", "/goog/cdp/execute", Some(json!({ "cmd": "Network.enable", "params": {} })));
        let conditions = json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
        self.call("POST", "/goog/cdp/execute", Some(json!({ "cmd": "Network.emulateNetworkConditions", "params": conditions })));
    }

    /// A PNG of what the phone shows.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64_decode::decode;
        decode(self.call("GET", "/screenshot", None).as_str().expect("base64"))
    }
}

/// Standard base64, decoded (the screenshot's encoding).
mod base64_decode {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |byte: u8| match byte {
            b'A'..=b'Z' => Some(byte - b'A'),
            b'a'..=b'z' => Some(byte - b'a' + 26),
            b'0'..=b'9' => Some(byte - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        };
        let digits: Vec<u8> = text.bytes().filter_map(value).collect();
        let mut out = Vec::with_capacity(digits.len() * 3 / 4);
        for chunk in digits.chunks(4) {
            let mut buffer = 0u32;
            for (index, digit) in chunk.iter().enumerate() {
                buffer |= u32::from(*digit) << (18 - 6 * index);
            }
            let bytes = buffer.to_be_bytes();
            out.extend_from_slice(&bytes[1..chunk.len()]);
        }
        out
    }
}
