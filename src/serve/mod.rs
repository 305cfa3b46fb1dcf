//! `citygrid serve`: the HTTP service for unit terminals and field collectors (Art. 7, 11, 16)
//! over the same store and the same workflow as the desk, so every rule, role and audit entry
//! is the desk's. A JSON API under `/api/v1` (token sign-in; a unit's cases with their lights,
//! the steps a unit takes, a collector's reports and verifications, photos by content hash;
//! every write carries an id made on the device and is applied once), and the mobile web
//! terminal at `/`.
//!
//! The store is blocking (rusqlite, rust-postgres' blocking client): each request takes a
//! connection from a small pool on tokio's blocking threads, so the async side never waits on
//! disk. Desks and the wall see the service's steps as they see another desk's.

mod auth;
mod cases;
mod deliver;
mod error;
mod exchange;
mod open311;
mod photos;
mod reports;
mod snippet;
mod terminal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::NaiveDateTime;

pub use deliver::Peer;
pub use error::ApiError;
pub use exchange::{MAX_MESSAGE_BYTES, SCHEMA as EXCHANGE_SCHEMA};
pub use photos::{MAX_PHOTO_BYTES, PhotoStore};

use crate::model::{Jurisdiction, JurisdictionKind};
use crate::spatial::JurisdictionIndex;
use crate::store::{Location, Store};
use crate::workflow::Workflow;

/// Largest JSON body a request may carry (a photo goes on its own, see [`MAX_PHOTO_BYTES`]).
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// How `citygrid serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub location: Location,
    /// Where to listen; loopback unless told otherwise.
    pub listen: SocketAddr,
    /// Where uploaded photos are kept, by content hash.
    pub photos: PathBuf,
    /// How long a sign-in lasts.
    pub session: Duration,
    /// A fixed clock (demonstrations and tests); `None` follows China time.
    pub clock: Option<NaiveDateTime>,
    /// Origins allowed to call the API from a browser page of theirs (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// TLS: the certificate chain and private key (PEM), when given.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Database connections kept open for requests.
    pub connections: usize,
    /// Other systems' inboxes the outbox is delivered to (the city platform, the 12345 hotline).
    pub peers: Vec<Peer>,
}

impl ServeOptions {
    /// Defaults for `location`: loopback port 8480, photos beside a file (`<name>-photos`),
    /// 12-hour sessions, four connections.
    #[must_use]
    pub fn new(location: Location) -> Self {
        let photos = match location.path() {
            Some(path) => {
                let stem = path.file_stem().map_or_else(|| "citygrid".into(), |stem| stem.to_string_lossy().into_owned());
                path.with_file_name(format!("{stem}-photos"))
            }
            None => directories::ProjectDirs::from("cn", "citygrid", "citygrid")
                .map_or_else(|| PathBuf::from("citygrid-photos"), |dirs| dirs.data_dir().join("photos")),
        };
        Self {
            location,
            listen: SocketAddr::from(([127, 0, 0, 1], 8480)),
            photos,
            session: Duration::from_secs(12 * 3600),
            clock: None,
            cors_origins: Vec::new(),
            tls: None,
            connections: 4,
            peers: Vec::new(),
        }
    }
}

/// What every request shares.
pub(crate) struct Shared {
    options: ServeOptions,
    /// Work for the store's threads (see [`Shared::with_store`]).
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
    workflow: Workflow,
    district: District,
    photos: PhotoStore,
    limiter: Mutex<auth::SignInLimiter>,
}

/// A piece of blocking work, run on one of the store's threads with that thread's connection
/// (opened when first needed, dropped when it broke).
type Job = Box<dyn FnOnce(&mut Option<Store>, &Shared) + Send>;

/// Where reports may be: the district's boundary and its grid cells.
struct District {
    jurisdictions: Vec<Jurisdiction>,
    index: JurisdictionIndex,
    /// Street centre lines with their names, for the map snippet.
    streets: Vec<crate::store::StreetRecord>,
    /// The district's bounding box, 0.02° wider on every side (a report just over the line is
    /// the centre's to judge; one in another province is a wrong position).
    bounds: geo::Rect<f64>,
}

impl Shared {
    fn now(&self) -> NaiveDateTime {
        self.options.clock.unwrap_or_else(crate::calendar::china_now)
    }

    /// The code of the unit-grid cell at `location` valid on `day`, if any.
    fn grid_code_at(&self, location: geo::Point<f64>, day: chrono::NaiveDate) -> Option<u64> {
        self.district
            .index
            .layer_at(&self.district.jurisdictions, JurisdictionKind::GridCell, location, day)
            .and_then(|index| self.district.jurisdictions[index].code.parse().ok())
    }

    /// Runs `work` on one of the store's threads, with that thread's connection. The threads
    /// are few and fixed (`--connections`), each with its own connection: the async side never
    /// waits on disk, the store is never asked more at once than it has connections, and the
    /// memory an Argon2 check or a photo's decoding takes is held by those few threads only
    /// (a memory allocator keeps per-thread arenas: hundreds of blocking threads each kept
    /// their own, 6 MB a terminal).
    async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Store, &Self) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |slot, shared| {
            if slot.is_none() {
                match shared.options.location.open() {
                    Ok(store) => *slot = Some(store),
                    Err(error) => {
                        let _ = answer.send(Err(ApiError::unavailable(&error)));
                        return;
                    }
                }
            }
            let Some(store) = slot.as_mut() else { return };
            let result = work(store, shared);
            // A connection that broke is dropped; the next job opens a new one.
            if matches!(&result, Err(error) if error.code == "unavailable") {
                *slot = None;
            }
            let _ = answer.send(result);
        });
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|error| ApiError::internal("the store's threads", &error))?;
        answered.await.map_err(|error| ApiError::internal("a request's thread", &error))?
    }
}

/// Starts the store's threads; the first gets `first`, the connection already open.
fn start_workers(shared: &Arc<Shared>, receiver: std::sync::mpsc::Receiver<Job>, count: usize, first: Store) -> anyhow::Result<()> {
    let receiver = Arc::new(Mutex::new(receiver));
    let mut first = Some(first);
    for index in 0..count {
        let (shared, receiver) = (Arc::clone(shared), Arc::clone(&receiver));
        let mut slot = first.take();
        std::thread::Builder::new().name(format!("citygrid-serve-store-{index}")).spawn(move || {
            loop {
                let job = receiver.lock().unwrap_or_else(PoisonError::into_inner).recv();
                match job {
                    Ok(job) => job(&mut slot, &shared),
                    Err(_) => return,
                }
            }
        })?;
    }
    Ok(())
}

/// Opens the district and builds the service (no socket yet).
///
/// # Errors
/// The district cannot be opened or read, or the photo folder cannot be made.
pub fn build(options: ServeOptions) -> anyhow::Result<Router> {
    let store = options.location.open()?;
    let workflow = Workflow::load(&store)?;
    let jurisdictions = store.load_jurisdictions()?;
    let bounds = jurisdictions
        .iter()
        .filter(|jurisdiction| jurisdiction.kind == JurisdictionKind::District)
        .filter_map(|jurisdiction| geo::BoundingRect::bounding_rect(&jurisdiction.geometry))
        .reduce(|a, b| {
            geo::Rect::new((a.min().x.min(b.min().x), a.min().y.min(b.min().y)), (a.max().x.max(b.max().x), a.max().y.max(b.max().y)))
        })
        .map(|rect| geo::Rect::new((rect.min().x - 0.02, rect.min().y - 0.02), (rect.max().x + 0.02, rect.max().y + 0.02)))
        .ok_or_else(|| anyhow::anyhow!("the district has no boundary (a district jurisdiction) to check report positions against"))?;
    let index = JurisdictionIndex::new(&jurisdictions);
    let streets = store.load_streets()?;
    let photos = PhotoStore::open(&options.photos)?;
    let connections = options.connections.max(1);
    let (jobs, receiver) = std::sync::mpsc::channel();
    let shared = Arc::new(Shared {
        jobs: Mutex::new(jobs),
        workflow,
        district: District { jurisdictions, index, streets, bounds },
        photos,
        limiter: Mutex::new(auth::SignInLimiter::default()),
        options,
    });
    let district_code = shared
        .district
        .jurisdictions
        .iter()
        .find(|jurisdiction| jurisdiction.kind == JurisdictionKind::District)
        .map_or_else(|| "district".to_owned(), |jurisdiction| jurisdiction.code.clone());
    deliver::start(shared.options.location.clone(), shared.options.peers.clone(), district_code, shared.photos.clone())?;
    start_workers(&shared, receiver, connections, store)?;
    Ok(router(shared))
}

fn router(shared: Arc<Shared>) -> Router {
    let cors = shared.options.cors_origins.clone();
    let api = Router::new()
        .route("/session", post(auth::sign_in).delete(auth::sign_out).get(auth::me))
        .route("/password", post(auth::change_password))
        .route("/tasks", get(cases::tasks))
        .route("/cases/{id}", get(cases::detail))
        .route("/cases/{id}/steps", post(cases::step))
        .route("/cases/{id}/map", get(snippet::case_map))
        .route("/map", get(snippet::map_at))
        .route("/classes", get(reports::classes))
        .route("/reports", post(reports::report).get(reports::mine))
        .route("/photos", post(photos::upload).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES)))
        .route("/photos/{name}", get(photos::download))
        .fallback(|| async { ApiError::not_found("没有这个接口", "no such endpoint") });
    let exchange = Router::new()
        .route("/inbox", post(exchange::inbox).layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES)))
        .route("/photos/{name}", get(exchange::photo))
        .fallback(|| async { ApiError::not_found("没有这个接口", "no such endpoint") });
    Router::new()
        .nest("/api/v1", api)
        .nest("/exchange/v1", exchange)
        .nest("/open311/v2", open311::routes())
        .merge(terminal::routes())
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn(move |request, next| terminal::cors(cors.clone(), request, next)))
        .with_state(shared)
}

/// Runs the service until Ctrl+C: binds, says where, serves (TLS when given a certificate).
///
/// # Errors
/// The district cannot be opened, the address cannot be bound, the certificate cannot be read.
pub fn run(options: ServeOptions) -> anyhow::Result<()> {
    let listen = options.listen;
    let tls = options.tls.clone();
    // Opened outside the runtime: the server store's blocking client runs a runtime of its own,
    // which may not start on an async thread (request threads are tokio's blocking ones).
    let app = build(options)?.into_make_service_with_connect_info::<SocketAddr>();
    // The store's work and photos run on the store's own threads; tokio's blocking pool only
    // reads photo files back.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("citygrid-serve").max_blocking_threads(16).build()?;
    runtime.block_on(async move {
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stopping.graceful_shutdown(Some(Duration::from_secs(5)));
        });
        let listener = std::net::TcpListener::bind(listen).map_err(|error| anyhow::anyhow!("cannot listen on {listen}: {error}"))?;
        listener.set_nonblocking(true)?;
        let bound = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The first line says where: scripts and tests read it.
        println!("citygrid serve: listening on {scheme}://{bound}/");
        if !bound.ip().is_loopback() && tls.is_none() {
            eprintln!("citygrid serve: warning: {bound} is reachable from other machines without TLS; give --tls-cert and --tls-key");
        }
        match tls {
            Some((cert, key)) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                    .await
                    .map_err(|error| anyhow::anyhow!("cannot read the certificate {} or key {}: {error}", cert.display(), key.display()))?;
                axum_server::from_tcp_rustls(listener, config).handle(handle).serve(app).await?;
            }
            None => axum_server::from_tcp(listener).handle(handle).serve(app).await?,
        }
        Ok(())
    })
}
