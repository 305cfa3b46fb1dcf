//! `citygrid bench exchange`: the city platform's burst and its results, on loopback. The bench
//! plays the city: it sends `--cases` new cases (`case.new`) to `citygrid serve`'s inbox from
//! several threads at once and times until every one is acknowledged (filed); then works every
//! case through filing, dispatch, handling, verification and close in the district (as the
//! desks would, through the workflow), and times until the city's inbox (an HTTP server in the
//! bench) has acknowledged every step. Nothing lost, nothing doubled, in order per case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use super::Bench;

/// The bench's settings.
pub struct Exchange {
    /// A demo district (copied).
    pub path: std::path::PathBuf,
    pub cases: usize,
    /// Threads sending at once.
    pub senders: usize,
}

/// What it measured.
#[derive(Debug, Serialize)]
pub struct ExchangeFigures {
    pub cases: usize,
    pub senders: usize,
    /// From the first send to the last acknowledgement.
    pub inbound_seconds: f64,
    pub inbound_per_second: f64,
    /// The scripted handling in the district (5 steps a case).
    pub handling_seconds: f64,
    pub steps: usize,
    /// From the end of the handling until the city acknowledged the last step.
    pub drain_seconds: f64,
    /// From the first step until the city acknowledged the last.
    pub outbound_seconds: f64,
    pub outbound_per_second: f64,
    pub received: usize,
    pub duplicated: usize,
    pub out_of_order: usize,
}

/// The city's inbox: ids seen, each case's last `seq`, and the counts.
#[derive(Default)]
struct Inbox {
    seen: std::collections::HashSet<String>,
    last_seq: HashMap<String, i64>,
    duplicated: usize,
    out_of_order: usize,
}

/// Starts the city's inbox on a free loopback port; its URL.
fn start_inbox(inbox: Arc<Mutex<Inbox>>, key: String) -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}/inbox", listener.local_addr()?);
    std::thread::Builder::new().name("bench-city-inbox".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else { return };
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            let app = axum::Router::new().route(
                "/inbox",
                axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let (inbox, key) = (Arc::clone(&inbox), key.clone());
                    async move {
                        let bearer = headers
                            .get("authorization")
                            .and_then(|value| value.to_str().ok())
                            .and_then(|value| value.strip_prefix("Bearer "));
                        if bearer != Some(key.as_str()) {
                            return axum::http::StatusCode::UNAUTHORIZED;
                        }
                        let Ok(message) = serde_json::from_slice::<Value>(&body) else { return axum::http::StatusCode::BAD_REQUEST };
                        let id = message["message_id"].as_str().unwrap_or_default().to_owned();
                        let external = message["case"]["external_id"].as_str().unwrap_or_default().to_owned();
                        let seq = message["case"]["seq"].as_i64().unwrap_or_default();
                        let mut inbox = inbox.lock().unwrap_or_else(PoisonError::into_inner);
                        if !inbox.seen.insert(id) {
                            inbox.duplicated += 1;
                            return axum::http::StatusCode::OK;
                        }
                        let last = inbox.last_seq.insert(external, seq).unwrap_or(0);
                        if seq != last + 1 {
                            inbox.out_of_order += 1;
                        }
                        axum::http::StatusCode::OK
                    }
                }),
            );
            let _ = axum::serve(listener, app).await;
        });
    })?;
    Ok(url)
}

impl Bench for Exchange {
    type Figures = ExchangeFigures;

    #[allow(clippy::too_many_lines)]
    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<ExchangeFigures> {
        let dir = std::env::temp_dir().join(format!("citygrid-bench-exchange-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let _cleanup = super::serve::Cleanup(dir.clone());
        let staged = dir.join("staged.gpkg");
        crate::store::Store::open(&self.path)?.copy_to(&staged).context("copying the district")?;
        let district_key = {
            let mut store = crate::store::Store::open(&staged)?;
            let admin = store.user_by_login("admin")?.context("the demo's admin")?;
            store.add_client(&admin, "city", crate::model::ClientKind::City, crate::calendar::china_now())?.1
        };
        let city_key = format!("bench-city-{}", rand::random::<u64>());
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let inbox_url = start_inbox(Arc::clone(&inbox), city_key.clone())?;
        let (mut child, base) =
            super::serve::start_service_with(&staged, &dir.join("run"), &["--city-url", &inbox_url], &[("CITYGRID_CITY_KEY", &city_key)])?;
        let db = dir.join("run").join("district.gpkg");
        let bounds = {
            let store = crate::store::Store::open(&db)?;
            let district = store.load_jurisdictions()?.into_iter().find(|area| area.kind == crate::model::JurisdictionKind::District);
            geo::BoundingRect::bounding_rect(&district.context("a district boundary")?.geometry).context("a boundary with points")?
        };
        progress(&format!("serve at {base}; {} cases from the city, {} senders", self.cases, self.senders));

        // The burst.
        let started = Instant::now();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::<String>::new()));
        let senders: Vec<_> = (0..self.senders)
            .map(|sender| {
                let (next, failures, base, key) = (Arc::clone(&next), Arc::clone(&failures), base.clone(), district_key.clone());
                let total = self.cases;
                std::thread::spawn(move || {
                    use rand::{Rng as _, SeedableRng as _};
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(sender as u64);
                    let Ok(client) = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build() else { return };
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if index >= total {
                            return;
                        }
                        let lon = rng.random_range(bounds.min().x..bounds.max().x);
                        let lat = rng.random_range(bounds.min().y..bounds.max().y);
                        let message = json!({
                            "schema": "citygrid-exchange/1", "message_id": format!("bench-{index}"), "type": "case.new",
                            "case": { "external_id": format!("SJ-{index:06}"), "subject": "event", "class_code": "0101",
                                      "location": [lon, lat], "description": format!("市级平台转办 {index}") },
                        });
                        for attempt in 0..20 {
                            let sent = client
                                .post(format!("{base}/exchange/v1/inbox"))
                                .bearer_auth(&key)
                                .header("content-type", "application/json")
                                .body(message.to_string())
                                .send();
                            match sent {
                                Ok(response) if response.status().is_success() => break,
                                Ok(response) if attempt == 19 => {
                                    failures.lock().unwrap_or_else(PoisonError::into_inner).push(format!("{index}: {}", response.status()))
                                }
                                _ => std::thread::sleep(Duration::from_millis(100)),
                            }
                        }
                    }
                })
            })
            .collect();
        for sender in senders {
            let _ = sender.join();
        }
        let inbound_seconds = started.elapsed().as_secs_f64();
        let failures = std::mem::take(&mut *failures.lock().unwrap_or_else(PoisonError::into_inner));
        if !failures.is_empty() {
            let _ = child.kill();
            bail!("{} cases were refused: {:?}", failures.len(), &failures[..failures.len().min(5)]);
        }
        progress(&format!("{} cases filed in {inbound_seconds:.1} s; working them in the district", self.cases));

        // The scripted handling, as the desks would take the steps.
        let mut store = crate::store::Store::open(&db)?;
        let workflow = crate::workflow::Workflow::load(&store)?;
        let query = crate::store::LinkedCaseQuery { limit: usize::MAX, ..crate::store::LinkedCaseQuery::default() };
        let linked = store.linked_cases("city", &query)?;
        if linked.len() != self.cases {
            let _ = child.kill();
            bail!("{} cases filed, {} sent", linked.len(), self.cases);
        }
        let user =
            |login: &str| -> Result<crate::model::User> { store.user_by_login(login)?.with_context(|| format!("the demo's {login}")) };
        let (intake, dispatcher, collector, leader) = (user("intake1")?, user("dispatch1")?, user("collector1")?, user("leader1")?);
        let unit = store
            .load_cases()?
            .iter()
            .find_map(|case| case.unit.filter(|_| case.state == crate::model::CaseState::Dispatched))
            .context("a unit at work")?;
        let code = store.load_units()?.into_iter().find(|known| known.id == unit).context("the unit")?.code;
        let operator = user(&format!("unit_{}", code.to_lowercase().replace('-', "_")))?;
        let handling_started = Instant::now();
        let mut now = crate::calendar::china_now();
        let mut steps = 0;
        for (case, _) in &linked {
            let script = [
                (&intake, crate::workflow::Action::File { note: String::new(), correction: None }),
                (&dispatcher, crate::workflow::Action::Dispatch { unit, note: String::new() }),
                (&operator, crate::workflow::Action::Handle { note: "已处置".into(), photos: vec![] }),
                (&collector, crate::workflow::Action::VerifyPass { note: String::new(), photos: vec![] }),
                (&leader, crate::workflow::Action::Close { close_type: crate::model::CloseType::Normal, note: String::new() }),
            ];
            let mut revision = case.revision;
            for (actor, action) in script {
                now += chrono::Duration::seconds(1);
                revision = workflow.apply(&mut store, actor, case.id, revision, &action, now)?.revision;
                steps += 1;
            }
        }
        let handling_seconds = handling_started.elapsed().as_secs_f64();
        progress(&format!("{steps} steps taken in {handling_seconds:.1} s; waiting for the city's acknowledgements"));
        let drain_started = Instant::now();
        loop {
            let received = inbox.lock().unwrap_or_else(PoisonError::into_inner).seen.len();
            if received >= steps {
                break;
            }
            if drain_started.elapsed() > Duration::from_secs(600) {
                let _ = child.kill();
                bail!("the city received {received} of {steps} steps in 10 minutes");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let drain_seconds = drain_started.elapsed().as_secs_f64();
        let outbound_seconds = handling_started.elapsed().as_secs_f64();
        std::thread::sleep(Duration::from_millis(500));
        let _ = child.kill();
        let _ = child.wait();
        let inbox = inbox.lock().unwrap_or_else(PoisonError::into_inner);
        #[allow(clippy::cast_precision_loss)]
        Ok(ExchangeFigures {
            cases: self.cases,
            senders: self.senders,
            inbound_seconds,
            inbound_per_second: self.cases as f64 / inbound_seconds,
            handling_seconds,
            steps,
            drain_seconds,
            outbound_seconds,
            outbound_per_second: steps as f64 / outbound_seconds,
            received: inbox.seen.len(),
            duplicated: inbox.duplicated,
            out_of_order: inbox.out_of_order,
        })
    }

    fn text(figures: &ExchangeFigures) -> String {
        format!(
            "bench exchange: {} cases from the city, {} senders\n  inbound: all filed in {:.1} s ({:.0} cases/s)\n  \
             scripted handling: {} steps in {:.1} s\n  outbound: every step acknowledged {:.1} s after the handling ended, \
             {:.1} s after it began ({:.0} messages/s)\n  received {}, duplicated {}, out of order {}\n",
            figures.cases,
            figures.senders,
            figures.inbound_seconds,
            figures.inbound_per_second,
            figures.steps,
            figures.handling_seconds,
            figures.drain_seconds,
            figures.outbound_seconds,
            figures.outbound_per_second,
            figures.received,
            figures.duplicated,
            figures.out_of_order
        )
    }
}
