//! `citygrid serve`: the HTTP service for unit terminals and field collectors, and the mobile
//! web terminal, over the district at `--db` (a file or a server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback by default: give e.g. 0.0.0.0:8480 (with --tls-cert) to
    /// let phones on the network in.
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    /// Folder for uploaded photos (kept by content hash); default: `<database name>-photos`
    /// beside a file, the data directory for a server.
    #[arg(long)]
    photos: Option<PathBuf>,
    /// How long a terminal's sign-in lasts, in hours.
    #[arg(long, default_value_t = 12)]
    session_hours: u64,
    /// An origin (`https://intranet.example`) whose pages may call the API; CORS is off unless
    /// one is given. Repeat for several.
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
    /// TLS certificate chain (PEM); with --tls-key the service speaks HTTPS (rustls).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Database connections kept for requests.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// A fixed clock, `YYYY-MM-DD HH:MM` China time, for demonstrations and tests.
    #[arg(long)]
    clock: Option<String>,
    /// The city platform's inbox: every step of a case the city sent goes there (docs/EXCHANGE.md).
    /// The key the city gave the district is read from CITYGRID_CITY_KEY.
    #[arg(long)]
    city_url: Option<String>,
    /// The 12345 hotline's inbox: the filing, close and reply of each ticket go there. The key
    /// is read from CITYGRID_HOTLINE_KEY.
    #[arg(long)]
    hotline_url: Option<String>,
}

/// A peer from its URL and the key in the environment variable `variable`.
fn peer(system: &str, url: Option<String>, variable: &str) -> Result<Option<citygrid::serve::Peer>> {
    let Some(url) = url else { return Ok(None) };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("the {system} inbox {url:?} is not an http(s) URL");
    }
    let key =
        std::env::var(variable).map_err(|_| anyhow::anyhow!("the {system} inbox needs its key in the {variable} environment variable"))?;
    Ok(Some(citygrid::serve::Peer { system: system.to_owned(), url, key }))
}

pub fn run(location: citygrid::session::Location, args: ServeArgs) -> Result<()> {
    if !(1..=24 * 30).contains(&args.session_hours) {
        bail!("--session-hours: 1 to 720");
    }
    if !(1..=64).contains(&args.connections) {
        bail!("--connections: 1 to 64");
    }
    let mut options = citygrid::serve::ServeOptions::new(location);
    options.listen = args.listen;
    if let Some(photos) = args.photos {
        options.photos = photos;
    }
    options.session = Duration::from_secs(args.session_hours * 3600);
    options.cors_origins = args.cors_origins;
    options.tls = args.tls_cert.zip(args.tls_key);
    options.connections = args.connections;
    options.clock = args.clock.as_deref().map(super::parse_as_of).transpose()?;
    options.peers = [peer("city", args.city_url, "CITYGRID_CITY_KEY")?, peer("12345", args.hotline_url, "CITYGRID_HOTLINE_KEY")?]
        .into_iter()
        .flatten()
        .collect();
    citygrid::serve::run(options)
}
