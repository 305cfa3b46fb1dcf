//! `citygrid city-sim` (dev-tools): a test double of the city platform that follows
//! `docs/EXCHANGE.md` and nothing of citygrid's code. It listens for the district's messages
//! (`POST /inbox` with the key it gave the district), keeps each once in `received.jsonl` in
//! `--log` (written and synced before the acknowledgement), and refuses a message that breaks
//! its case's order. With `--send N` it also sends N new cases to the district's inbox, retrying
//! each until acknowledged, and keeps what was acknowledged in `acked.jsonl`: killed and started
//! again, it goes on where it was, as a real platform with a database would.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct CitySimArgs {
    /// Where to listen for the district's messages.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Folder for `received.jsonl` and `acked.jsonl`.
    #[arg(long)]
    log: PathBuf,
    /// The key the district must send (Authorization: Bearer …).
    #[arg(long)]
    key: String,
    /// Send this many new cases to the district.
    #[arg(long, default_value_t = 0)]
    send: usize,
    /// The district's inbox (`…/exchange/v1/inbox`).
    #[arg(long)]
    district: Option<String>,
    /// The key the district gave the city.
    #[arg(long)]
    district_key: Option<String>,
    /// Where the new cases are (`LON,LAT`); each is put a few metres from it.
    #[arg(long)]
    near: Option<String>,
}

/// What the receiver remembers: the ids seen and each case's last sequence number.
#[derive(Default)]
struct Received {
    ids: std::collections::HashSet<String>,
    last_seq: HashMap<String, i64>,
}

/// The complete lines of a log; a line cut by a kill is cut off the file too (it was never
/// acknowledged, so it comes again).
fn read_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or(0, |end| end + 1);
    if complete < text.len()
        && let Ok(file) = std::fs::OpenOptions::new().write(true).open(path)
    {
        let _ = file.set_len(complete as u64);
    }
    text[..complete].lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
}

fn append_synced(path: &std::path::Path, value: &Value) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(file, "{value}")?;
    file.sync_all()
}

pub fn run(args: CitySimArgs) -> Result<()> {
    std::fs::create_dir_all(&args.log)?;
    let received_path = args.log.join("received.jsonl");
    let mut received = Received::default();
    for message in read_lines(&received_path) {
        received.ids.insert(message["message_id"].as_str().unwrap_or_default().to_owned());
        let external = message["case"]["external_id"].as_str().unwrap_or_default().to_owned();
        received.last_seq.insert(external, message["case"]["seq"].as_i64().unwrap_or_default());
    }
    let state = Arc::new(Mutex::new(received));
    if args.send > 0 {
        let district = args.district.clone().context("--send needs --district")?;
        let key = args.district_key.clone().context("--send needs --district-key")?;
        let near = args.near.clone().context("--send needs --near LON,LAT")?;
        let (lon, lat) = near.split_once(',').context("--near LON,LAT")?;
        let (lon, lat): (f64, f64) = (lon.parse()?, lat.parse()?);
        let acked_path = args.log.join("acked.jsonl");
        let count = args.send;
        std::thread::spawn(move || send_cases(&district, &key, count, (lon, lat), &acked_path));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        println!("city-sim: listening on http://{}/", listener.local_addr()?);
        let key = args.key.clone();
        let app = axum::Router::new().route(
            "/inbox",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (state, key, path) = (Arc::clone(&state), key.clone(), received_path.clone());
                async move { receive(&state, &key, &path, &headers, &body) }
            }),
        );
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// One message from the district: checked, kept once, acknowledged.
fn receive(
    state: &Mutex<Received>,
    key: &str,
    path: &std::path::Path,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> (axum::http::StatusCode, axum::Json<Value>) {
    use axum::http::StatusCode;
    let bearer = headers.get("authorization").and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Bearer "));
    if bearer != Some(key) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "bad key" })));
    }
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "not JSON" })));
    };
    let (Some(id), Some(external), Some(seq)) =
        (message["message_id"].as_str(), message["case"]["external_id"].as_str(), message["case"]["seq"].as_i64())
    else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "message_id, case.external_id and case.seq are required" })));
    };
    if message["schema"] != "citygrid-exchange/1" || !matches!(message["type"].as_str(), Some("case.step" | "ticket.update")) {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "unknown schema or type" })));
    }
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if state.ids.contains(id) {
        return (StatusCode::OK, axum::Json(json!({ "ack": id, "duplicate": true })));
    }
    let last = state.last_seq.get(external).copied().unwrap_or(0);
    if seq != last + 1 {
        return (StatusCode::CONFLICT, axum::Json(json!({ "error": format!("case {external}: expected seq {}, got {seq}", last + 1) })));
    }
    if let Err(error) = append_synced(path, &message) {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "error": error.to_string() })));
    }
    state.ids.insert(id.to_owned());
    state.last_seq.insert(external.to_owned(), seq);
    (StatusCode::OK, axum::Json(json!({ "ack": id })))
}

/// Sends cases `0..count` not acknowledged yet, each until it is.
fn send_cases(district: &str, key: &str, count: usize, (lon, lat): (f64, f64), acked_path: &std::path::Path) {
    let acked: std::collections::HashSet<String> =
        read_lines(acked_path).iter().filter_map(|line| line["message_id"].as_str().map(str::to_owned)).collect();
    let Ok(client) = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build() else { return };
    for index in 0..count {
        let message_id = format!("city-msg-{index:05}");
        if acked.contains(&message_id) {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let offset = (index % 20) as f64 * 0.00002;
        let message = json!({
            "schema": "citygrid-exchange/1",
            "message_id": message_id,
            "type": "case.new",
            "sent_at": "2026-11-25T09:00:00+08:00",
            "case": {
                "external_id": format!("SJ2026-{index:05}"),
                "subject": "event",
                "class_code": "0101",
                "urgency": "normal",
                "location": [lon + offset, lat],
                "address": format!("市级平台转办 {index}"),
                "description": format!("市级平台转办案件 {index}：暴露垃圾"),
                "deadline_at": "2026-11-27T18:00:00+08:00",
            },
        });
        loop {
            let sent = client.post(district).bearer_auth(key).header("content-type", "application/json").body(message.to_string()).send();
            match sent {
                Ok(response) if response.status().is_success() => {
                    let answer: Value = serde_json::from_str(&response.text().unwrap_or_default()).unwrap_or_default();
                    let _ = append_synced(acked_path, &json!({ "message_id": message_id, "case_no": answer["case_no"] }));
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }
    println!("city-sim: every case acknowledged");
}
