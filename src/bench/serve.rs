//! `citygrid bench serve`: many terminals at once against `citygrid serve` on loopback. Each
//! terminal (a thread with its own HTTP client and sign-in) uploads a photo and reports a case
//! with it, polls its task list every few reports, and now and then sends a report again as a
//! phone that lost the answer would. Afterwards the store is read: every report is there once.
//! Figures: reports a second, p50/p99 per kind of request, the service's resident memory.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use super::{Bench, percentile, sorted_ms};

/// The bench's settings.
pub struct Serve {
    /// A demo district (copied: the bench writes thousands of cases).
    pub path: std::path::PathBuf,
    pub terminals: usize,
    pub reports: usize,
    /// Bytes of each photo, about.
    pub photo_bytes: usize,
}

/// What it measured.
#[derive(Debug, Serialize)]
pub struct ServeFigures {
    pub terminals: usize,
    pub reports: usize,
    pub photo_bytes: usize,
    pub seconds: f64,
    pub reports_per_second: f64,
    pub report_p50_ms: f64,
    pub report_p99_ms: f64,
    pub upload_p50_ms: f64,
    pub upload_p99_ms: f64,
    pub poll_p50_ms: f64,
    pub poll_p99_ms: f64,
    pub polls: usize,
    /// Reports sent twice on purpose, answered from the record.
    pub retried: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub errors: Vec<String>,
    pub service_peak_mb: f64,
    pub service_rss_mb: f64,
}

/// Removes the bench's folder (the copy and its photos) when done.
pub(super) struct Cleanup(pub std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct Timings {
    uploads: Vec<Duration>,
    reports: Vec<Duration>,
    polls: Vec<Duration>,
    retried: usize,
    case_ids: Vec<i64>,
    errors: Vec<String>,
}

/// A JPEG of noise of about `bytes` (noise does not compress: its size is its area).
fn noise_jpeg(bytes: usize, seed: u64) -> Vec<u8> {
    use rand::{Rng as _, SeedableRng as _};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let side = ((bytes as f64 / 1.35).sqrt() as u32).max(16);
    let image = image::RgbImage::from_fn(side, side, |_, _| image::Rgb([rng.random(), rng.random(), rng.random()]));
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    encoder.encode_image(&image).expect("a JPEG in memory");
    out
}

fn call(
    client: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<(Vec<u8>, &str)>,
) -> Result<(u16, Value)> {
    let mut request = client.request(method, url).header("authorization", format!("Bearer {token}"));
    if let Some((bytes, kind)) = body {
        request = request.header("content-type", kind).body(bytes);
    }
    let response = request.send()?;
    let status = response.status().as_u16();
    let text = response.text()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Copies the district at `path` into a fresh `dir` and starts `citygrid serve` on it (loopback,
/// a free port, photos in `dir/photos`): the child and the base URL.
pub(super) fn start_service(path: &std::path::Path, dir: &std::path::Path) -> Result<(std::process::Child, String)> {
    start_service_with(path, dir, &[], &[])
}

/// [`start_service`] with more arguments to `serve` and environment variables for it.
pub(super) fn start_service_with(
    path: &std::path::Path,
    dir: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<(std::process::Child, String)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let db = dir.join("district.gpkg");
    crate::store::Store::open(path)?.copy_to(&db).context("copying the district")?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--photos"])
        .arg(dir.join("photos"))
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let Some(base) = line.trim().strip_prefix("citygrid serve: listening on ").map(|base| base.trim_end_matches('/').to_owned()) else {
        let _ = child.kill();
        bail!("serve did not start: {line}");
    };
    Ok((child, base))
}

impl Bench for Serve {
    type Figures = ServeFigures;

    #[allow(clippy::too_many_lines)]
    fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<ServeFigures> {
        let dir = std::env::temp_dir().join(format!("citygrid-bench-serve-{}", std::process::id()));
        let db = dir.join("district.gpkg");
        let (mut child, base) = start_service(&self.path, &dir)?;
        let pid = child.id();
        let photos: Arc<Vec<Vec<u8>>> = Arc::new((0..16).map(|seed| noise_jpeg(self.photo_bytes, seed)).collect());
        let photo_bytes = photos.iter().map(Vec::len).sum::<usize>() / photos.len();
        progress(&format!(
            "serve at {base}; {} terminals, {} reports with a {} KB photo each",
            self.terminals,
            self.reports,
            photo_bytes / 1024
        ));

        let store = crate::store::Store::open(&db)?;
        let collector = store.user_by_login("collector1")?.context("the demo's collector1")?;
        let before: usize = store.cases_reported_by(collector.id, usize::MAX)?.len();
        let bounds = {
            let district = store.load_jurisdictions()?.into_iter().find(|area| area.kind == crate::model::JurisdictionKind::District);
            geo::BoundingRect::bounding_rect(&district.context("a district boundary")?.geometry).context("a boundary with points")?
        };
        drop(store);

        let timings = Arc::new(Mutex::new(Timings::default()));
        let started = Instant::now();
        let threads: Vec<_> = (0..self.terminals)
            .map(|terminal| {
                let (base, photos, timings) = (base.clone(), Arc::clone(&photos), Arc::clone(&timings));
                let share = self.reports / self.terminals + usize::from(terminal < self.reports % self.terminals);
                std::thread::spawn(move || -> Result<()> {
                    use rand::{Rng as _, SeedableRng as _};
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(terminal as u64);
                    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build()?;
                    let signed = client
                        .post(format!("{base}/api/v1/session"))
                        .header("content-type", "application/json")
                        .body(json!({ "login": "collector1", "password": crate::demo::DEMO_PASSWORD, "client": "bench" }).to_string())
                        .send()?
                        .text()?;
                    let token = serde_json::from_str::<Value>(&signed)?["token"].as_str().context("signed in")?.to_owned();
                    let mut local = Timings::default();
                    for index in 0..share {
                        let photo = photos[rng.random_range(0..photos.len())].clone();
                        let at = Instant::now();
                        let (status, uploaded) = call(&client, reqwest::Method::POST, &format!("{base}/api/v1/photos"), &token, Some((photo, "image/jpeg")))?;
                        local.uploads.push(at.elapsed());
                        if status != 201 {
                            local.errors.push(format!("upload {status}: {uploaded}"));
                            continue;
                        }
                        let lon = rng.random_range(bounds.min().x..bounds.max().x);
                        let lat = rng.random_range(bounds.min().y..bounds.max().y);
                        let body = json!({
                            "request_id": format!("bench-{terminal}-{index}-{}", rng.random::<u32>()),
                            "subject": "event", "class_code": "0101", "location": [lon, lat],
                            "address": "压力测试", "description": format!("终端 {terminal} 第 {index} 次上报"), "photos": [uploaded["photo"]],
                        })
                        .to_string()
                        .into_bytes();
                        let at = Instant::now();
                        let (status, answer) = call(&client, reqwest::Method::POST, &format!("{base}/api/v1/reports"), &token, Some((body.clone(), "application/json")))?;
                        local.reports.push(at.elapsed());
                        if status != 201 {
                            local.errors.push(format!("report {status}: {answer}"));
                            continue;
                        }
                        local.case_ids.push(answer["case"]["id"].as_i64().unwrap_or_default());
                        // A phone that lost the answer sends the same report again.
                        if index % 50 == 7 {
                            let (status, again) = call(&client, reqwest::Method::POST, &format!("{base}/api/v1/reports"), &token, Some((body, "application/json")))?;
                            if status == 200 && again["replayed"] == json!(true) && again["case"]["id"] == answer["case"]["id"] {
                                local.retried += 1;
                            } else {
                                local.errors.push(format!("retry {status}: {again}"));
                            }
                        }
                        if index % 4 == 3 {
                            let at = Instant::now();
                            let (status, _) = call(&client, reqwest::Method::GET, &format!("{base}/api/v1/tasks"), &token, None)?;
                            local.polls.push(at.elapsed());
                            if status != 200 {
                                local.errors.push(format!("poll {status}"));
                            }
                        }
                    }
                    let mut all = timings.lock().unwrap_or_else(PoisonError::into_inner);
                    all.uploads.append(&mut local.uploads);
                    all.reports.append(&mut local.reports);
                    all.polls.append(&mut local.polls);
                    all.case_ids.append(&mut local.case_ids);
                    all.errors.append(&mut local.errors);
                    all.retried += local.retried;
                    Ok(())
                })
            })
            .collect();
        let failures = super::join_all(threads, "terminal");
        let seconds = started.elapsed().as_secs_f64();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let (service_peak_mb, service_rss_mb) = (super::status_field_mb(&status, "VmHWM:"), super::status_field_mb(&status, "VmRSS:"));
        let _ = child.kill();
        let _ = child.wait();
        let cleanup = Cleanup(dir.clone());

        let mut timings = std::mem::take(&mut *timings.lock().unwrap_or_else(PoisonError::into_inner));
        timings.errors.extend(failures);
        let store = crate::store::Store::open(&db)?;
        let stored = store.cases_reported_by(collector.id, usize::MAX)?;
        let written = stored.len() - before;
        let mut answered = timings.case_ids.clone();
        answered.sort_unstable();
        answered.dedup();
        let lost = self.reports.saturating_sub(written.min(answered.len()));
        let duplicated = written.saturating_sub(answered.len());
        let (uploads, reports, polls) = (sorted_ms(&timings.uploads), sorted_ms(&timings.reports), sorted_ms(&timings.polls));
        timings.errors.truncate(20);
        drop(store);
        drop(cleanup);
        #[allow(clippy::cast_precision_loss)]
        Ok(ServeFigures {
            terminals: self.terminals,
            reports: written,
            photo_bytes,
            seconds,
            reports_per_second: written as f64 / seconds,
            report_p50_ms: percentile(&reports, 0.5),
            report_p99_ms: percentile(&reports, 0.99),
            upload_p50_ms: percentile(&uploads, 0.5),
            upload_p99_ms: percentile(&uploads, 0.99),
            poll_p50_ms: percentile(&polls, 0.5),
            poll_p99_ms: percentile(&polls, 0.99),
            polls: polls.len(),
            retried: timings.retried,
            lost,
            duplicated,
            errors: timings.errors,
            service_peak_mb,
            service_rss_mb,
        })
    }

    fn text(figures: &ServeFigures) -> String {
        format!(
            "bench serve: {} terminals, {} reports with a {} KB photo each in {:.1} s: {:.1} reports/s\n  \
             photo upload p50 {:.1} ms, p99 {:.1} ms\n  report p50 {:.1} ms, p99 {:.1} ms\n  \
             task poll ({} polls) p50 {:.1} ms, p99 {:.1} ms\n  retried on purpose {} (answered once), lost {}, duplicated {}\n  \
             service resident memory: peak {:.0} MB, at the end {:.0} MB\n{}",
            figures.terminals,
            figures.reports,
            figures.photo_bytes / 1024,
            figures.seconds,
            figures.reports_per_second,
            figures.upload_p50_ms,
            figures.upload_p99_ms,
            figures.report_p50_ms,
            figures.report_p99_ms,
            figures.polls,
            figures.poll_p50_ms,
            figures.poll_p99_ms,
            figures.retried,
            figures.lost,
            figures.duplicated,
            figures.service_peak_mb,
            figures.service_rss_mb,
            figures.errors.iter().map(|error| format!("  error: {error}\n")).collect::<String>()
        )
    }
}
