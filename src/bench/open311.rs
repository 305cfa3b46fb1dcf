//! `citygrid bench open311`: many citizen-app clients at once against `citygrid serve`'s Open311
//! endpoint on loopback. Each client (a thread with its own HTTP client) posts requests as form
//! bodies with the key the bench registered, and lists the open requests now and then as an app's
//! map would. Afterwards the store is read: every request is there once, linked to Open311.
//! Figures: requests a second, p50/p99 of `POST requests` and `GET requests`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Bench, percentile, sorted_ms};

/// The bench's settings.
pub struct Open311 {
    /// A demo district (copied: the bench writes thousands of cases).
    pub path: std::path::PathBuf,
    pub clients: usize,
    pub requests: usize,
}

/// What it measured.
#[derive(Debug, Serialize)]
pub struct Open311Figures {
    pub clients: usize,
    pub requests: usize,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub post_p50_ms: f64,
    pub post_p99_ms: f64,
    pub list_p50_ms: f64,
    pub list_p99_ms: f64,
    pub lists: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub errors: Vec<String>,
}

/// `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (byte as char).to_string(),
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
}

#[derive(Default)]
struct Timings {
    posts: Vec<Duration>,
    lists: Vec<Duration>,
    ids: Vec<String>,
    errors: Vec<String>,
}

impl Bench for Open311 {
    type Figures = Open311Figures;

    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<Open311Figures> {
        let dir = std::env::temp_dir().join(format!("citygrid-bench-open311-{}", std::process::id()));
        let db = dir.join("district.gpkg");
        // The client is registered before the service starts, as an administrator would.
        let key = {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            crate::store::Store::open(&self.path)?.copy_to(&db).context("copying the district")?;
            let mut store = crate::store::Store::open(&db)?;
            let admin = store.user_by_login("admin")?.context("the demo's admin")?;
            store.add_client(&admin, "bench", crate::model::ClientKind::Open311, crate::calendar::china_now())?.1
        };
        let (mut child, base) = super::serve::start_service(&db, &dir.join("run"))?;
        let db = dir.join("run").join("district.gpkg");
        let _cleanup = super::serve::Cleanup(dir.clone());
        let bounds = {
            let store = crate::store::Store::open(&db)?;
            let district = store.load_jurisdictions()?.into_iter().find(|area| area.kind == crate::model::JurisdictionKind::District);
            geo::BoundingRect::bounding_rect(&district.context("a district boundary")?.geometry).context("a boundary with points")?
        };
        progress(&format!("serve at {base}; {} Open311 clients, {} requests", self.clients, self.requests));

        let timings = Arc::new(Mutex::new(Timings::default()));
        let started = Instant::now();
        let threads: Vec<_> = (0..self.clients)
            .map(|index| {
                let (base, key, timings) = (base.clone(), key.clone(), Arc::clone(&timings));
                let share = self.requests / self.clients + usize::from(index < self.requests % self.clients);
                std::thread::spawn(move || -> Result<()> {
                    use rand::{Rng as _, SeedableRng as _};
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(index as u64);
                    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build()?;
                    let mut local = Timings::default();
                    for request in 0..share {
                        let lon = rng.random_range(bounds.min().x..bounds.max().x).to_string();
                        let lat = rng.random_range(bounds.min().y..bounds.max().y).to_string();
                        let description = format!("市民应用 {index} 第 {request} 次上报");
                        let body = form(&[
                            ("api_key", &key),
                            ("service_code", "E0101"),
                            ("lat", &lat),
                            ("long", &lon),
                            ("description", &description),
                            ("phone", "13900000000"),
                        ]);
                        let at = Instant::now();
                        let response = client
                            .post(format!("{base}/open311/v2/requests.json"))
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(body)
                            .send()?;
                        let status = response.status().as_u16();
                        let text = response.text()?;
                        local.posts.push(at.elapsed());
                        let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                        match answer[0]["service_request_id"].as_str() {
                            Some(id) if status == 201 => local.ids.push(id.to_owned()),
                            _ => local.errors.push(format!("post {status}: {text}")),
                        }
                        if request % 10 == 9 {
                            let at = Instant::now();
                            let response = client.get(format!("{base}/open311/v2/requests.json?status=open&service_code=E0101")).send()?;
                            let status = response.status().as_u16();
                            let _ = response.bytes()?;
                            local.lists.push(at.elapsed());
                            if status != 200 {
                                local.errors.push(format!("list {status}"));
                            }
                        }
                    }
                    let mut all = timings.lock().unwrap_or_else(PoisonError::into_inner);
                    all.posts.append(&mut local.posts);
                    all.lists.append(&mut local.lists);
                    all.ids.append(&mut local.ids);
                    all.errors.append(&mut local.errors);
                    Ok(())
                })
            })
            .collect();
        let failures = super::join_all(threads, "client");
        let seconds = started.elapsed().as_secs_f64();
        let _ = child.kill();
        let _ = child.wait();

        let mut timings = std::mem::take(&mut *timings.lock().unwrap_or_else(PoisonError::into_inner));
        timings.errors.extend(failures);
        let store = crate::store::Store::open(&db)?;
        let query = crate::store::LinkedCaseQuery { limit: usize::MAX, ..crate::store::LinkedCaseQuery::default() };
        let written = store.linked_cases("open311", &query)?.len();
        let mut answered = timings.ids.clone();
        answered.sort_unstable();
        answered.dedup();
        let (posts, lists) = (sorted_ms(&timings.posts), sorted_ms(&timings.lists));
        timings.errors.truncate(20);
        #[allow(clippy::cast_precision_loss)]
        Ok(Open311Figures {
            clients: self.clients,
            requests: written,
            seconds,
            requests_per_second: written as f64 / seconds,
            post_p50_ms: percentile(&posts, 0.5),
            post_p99_ms: percentile(&posts, 0.99),
            list_p50_ms: percentile(&lists, 0.5),
            list_p99_ms: percentile(&lists, 0.99),
            lists: lists.len(),
            lost: self.requests.saturating_sub(written.min(answered.len())),
            duplicated: written.saturating_sub(answered.len()),
            errors: timings.errors,
        })
    }

    fn text(figures: &Open311Figures) -> String {
        format!(
            "bench open311: {} clients, {} requests in {:.1} s: {:.1} requests/s\n  POST requests p50 {:.1} ms, p99 {:.1} ms\n  \
             GET requests ({} lists of the open ones) p50 {:.1} ms, p99 {:.1} ms\n  lost {}, duplicated {}\n{}",
            figures.clients,
            figures.requests,
            figures.seconds,
            figures.requests_per_second,
            figures.post_p50_ms,
            figures.post_p99_ms,
            figures.lists,
            figures.list_p50_ms,
            figures.list_p99_ms,
            figures.lost,
            figures.duplicated,
            figures.errors.iter().map(|error| format!("  error: {error}\n")).collect::<String>()
        )
    }
}
