//! Online basemaps for sites that have a network: tiles fetched over HTTP(S) from a URL template
//! (OpenStreetMap, 天地图 / Tianditu, or one the user enters), kept in a disk cache, behind the
//! same [`TileSource`] trait as the offline files.
//!
//! The map's worker threads call [`TileSource::read_tile`], so everything here blocks: one
//! `reqwest` blocking client per source (per pair, for Tianditu), with the connect and total
//! timeouts of [`HttpSourceConfig`]. What a source returns tells the map what to do next:
//! - `Ok(Some(bytes))`: the tile (PNG / JPEG bytes, decoded by the map);
//! - `Ok(None)`: the server says the tile does not exist (HTTP 404, 410 or 204): not asked again;
//! - `Err(…)`: anything that may pass (no network, time-out, HTTP 5xx, a refused key): the map
//!   retries the tile with back-off.
//!
//! The cache holds `<cache_dir>/<source id>/<z>/<x>/<y>.<ext>`. A cached tile is served without
//! touching the network; one older than the source's maximum age (30 days by default) is fetched
//! again, and served as it is when that fails, so a site that loses its network keeps its map.
//! Files are written to a temporary name and renamed into place, so a crash never leaves half a
//! tile under a tile's name (an empty file, which a power cut can leave, counts as missing).
//!
//! Keys (Tianditu's `tk`, or `key=`/`token=`… parameters in a custom template) never appear in
//! full in an error message or a log line: URLs are shown with them masked ([`redact_url`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::{TileFormat, TileKey, TileSource, TileSourceError, TileSourceInfo};

/// Sent with every request; tile servers (OpenStreetMap's usage policy in particular) want
/// clients to identify themselves.
pub const USER_AGENT: &str = concat!("citygrid/", env!("CARGO_PKG_VERSION"));

/// A tile body larger than this is refused (a 256 px tile is a few tens of KiB).
pub const MAX_TILE_BYTES: u64 = 4 * 1024 * 1024;

/// Cached tiles older than this are fetched again (and kept when that fails).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// How long to wait for a connection to the tile server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one tile request may take in all, connection and body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The standard OpenStreetMap tile server.
pub const OSM_URL_TEMPLATE: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// OpenStreetMap's required attribution.
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// Tianditu's WMTS `GetTile` request in the `w` (Web Mercator) tile matrix set; `{layer}` is
/// filled in per layer (`vec`, `cva`, `img`, `cia`), the rest per tile.
pub const TIANDITU_URL_TEMPLATE: &str = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0\
     &LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}";

/// Tianditu's required attribution.
pub const TIANDITU_ATTRIBUTION: &str = "天地图 © 国家地理信息公共服务平台 / Tianditu";

/// Tianditu serves its load across `t0` … `t7`.
const TIANDITU_SUBDOMAINS: [&str; 8] = ["0", "1", "2", "3", "4", "5", "6", "7"];

/// How Tianditu is named in messages.
const TIANDITU_PROVIDER: &str = "天地图 Tianditu";

/// Query parameters whose values are secrets and are masked when a URL is shown.
#[rustfmt::skip]
const SECRET_PARAMETERS: [&str; 14] = [
    "tk", "key", "apikey", "api_key", "api-key", "access_token", "accesstoken",
    "token", "ak", "appkey", "app_key", "secret", "sig", "signature",
];

/// How a masked secret ends.
const MASK: &str = "****";

/// Gives each temporary cache file a name no other thread is using.
static TEMP_FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// `secret` as it may be shown: its first four characters when it is long enough for that to
/// give nothing away (a 32-character key), then `****`.
fn mask_secret(secret: &str) -> String {
    let shown: String = if secret.chars().count() >= 12 { secret.chars().take(4).collect() } else { String::new() };
    format!("{shown}{MASK}")
}

/// `url` with every secret masked: the values of `tk=`, `key=`, `token=`, `access_token=` and the
/// like in its query, and wherever `secret` (the user's key) occurs in it. Placeholders such as
/// `{key}` in a template are left as they are.
///
/// ```
/// use citygrid::map::tile_sources::online::redact_url;
/// let shown = redact_url("https://t0.tianditu.gov.cn/vec_w/wmts?LAYER=vec&tk=0123456789abcdef0123456789abcdef", None);
/// assert_eq!(shown, "https://t0.tianditu.gov.cn/vec_w/wmts?LAYER=vec&tk=0123****");
/// ```
#[must_use]
pub fn redact_url(url: &str, secret: Option<&str>) -> String {
    let mut url = url.to_owned();
    if let Some(secret) = secret.map(str::trim).filter(|secret| !secret.is_empty()) {
        url = url.replace(secret, &mask_secret(secret));
    }
    let Some((head, query)) = url.split_once('?') else { return url };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, value))
                if SECRET_PARAMETERS.contains(&name.to_ascii_lowercase().as_str())
                    && !value.is_empty()
                    && !value.ends_with(MASK)
                    && !is_placeholder(value) =>
            {
                format!("{name}={}", mask_secret(value))
            }
            _ => parameter.to_owned(),
        })
        .collect();
    let mut shown = format!("{head}?{}", parameters.join("&"));
    if let Some(fragment) = fragment {
        shown.push('#');
        shown.push_str(fragment);
    }
    shown
}

/// Whether a query value is a template placeholder such as `{key}` rather than a secret.
fn is_placeholder(value: &str) -> bool {
    value.starts_with('{') && value.ends_with('}')
}

/// One piece of a parsed URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Zoom,
    X,
    /// XYZ row (`{y}`: y grows southwards).
    Y,
    /// TMS row (`{-y}`: y grows northwards).
    TmsY,
    Subdomain,
    Key,
}

/// A tile URL template: `{z}`, `{x}` and `{y}` (or `{-y}` for a TMS row) are replaced per tile,
/// `{s}` by one of the subdomains (the same one for the same tile, every time, so HTTP caches
/// along the way see one URL per tile) and `{key}` by the access key.
///
/// ```
/// use citygrid::map::tile_sources::{TileKey, UrlTemplate};
/// let template = UrlTemplate::new("https://{s}.tiles.example/{z}/{x}/{-y}.png", &["a", "b", "c"], None).unwrap();
/// assert_eq!(template.url(TileKey::new(3, 5, 1).unwrap()), "https://a.tiles.example/3/5/6.png");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    template: String,
    parts: Vec<Part>,
    subdomains: Vec<String>,
    key: Option<String>,
}

impl std::fmt::Debug for UrlTemplate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UrlTemplate")
            .field("template", &self.display_template())
            .field("subdomains", &self.subdomains)
            .field("key", &self.key.as_deref().map(mask_secret))
            .finish()
    }
}

impl UrlTemplate {
    /// Parses and checks a template.
    ///
    /// # Errors
    /// [`TileSourceError::BadUrlTemplate`] (the message says what is wrong) when the template is
    /// not `http://` or `https://`, lacks `{z}`, `{x}` or `{y}`/`{-y}`, has an unknown or unclosed
    /// `{…}`, uses `{s}` without subdomains or `{key}` without a key, or does not make a URL with
    /// a host.
    pub fn new(template: &str, subdomains: &[&str], key: Option<&str>) -> Result<Self, TileSourceError> {
        let template = template.trim();
        let key = key.map(str::trim).filter(|key| !key.is_empty());
        let fail = |problem: String| TileSourceError::BadUrlTemplate { template: format!("\"{}\"", redact_url(template, key)), problem };
        let lower = template.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(fail("it must start with http:// or https://".to_owned()));
        }
        let parts = parse_parts(template).map_err(fail)?;
        let has = |part: &Part| parts.contains(part);
        if !has(&Part::Zoom) || !has(&Part::X) || !(has(&Part::Y) || has(&Part::TmsY)) {
            return Err(fail("it must contain {z}, {x} and {y} (or {-y} for TMS rows)".to_owned()));
        }
        let subdomains: Vec<String> = subdomains.iter().map(|subdomain| subdomain.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if has(&Part::Subdomain) && subdomains.is_empty() {
            return Err(fail("it uses {s} but no subdomains are given".to_owned()));
        }
        if has(&Part::Key) && key.is_none() {
            return Err(fail("it uses {key} but no key is given".to_owned()));
        }
        let parsed = Self { template: template.to_owned(), parts, subdomains, key: key.map(str::to_owned) };
        let sample = parsed.url(TileKey { zoom: 0, x: 0, y: 0 });
        match reqwest::Url::parse(&sample) {
            Ok(url) if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(parsed),
            Ok(_) => Err(fail("it names no host".to_owned())),
            Err(error) => Err(fail(format!("it does not make a valid URL ({error})"))),
        }
    }

    /// The URL of one tile, key included: for the request only, never for a message.
    #[must_use]
    pub fn url(&self, key: TileKey) -> String {
        self.render(key, self.key.as_deref())
    }

    /// The URL of one tile with the key masked, for messages and logs.
    #[must_use]
    pub fn display_url(&self, key: TileKey) -> String {
        let masked = self.key.as_deref().map(mask_secret);
        redact_url(&self.render(key, masked.as_deref()), self.key.as_deref())
    }

    /// The template with any secret in it masked.
    #[must_use]
    pub fn display_template(&self) -> String {
        redact_url(&self.template, self.key.as_deref())
    }

    /// The host the tiles come from (of the first subdomain), e.g. `tile.openstreetmap.org`.
    #[must_use]
    pub fn host(&self) -> String {
        let sample = self.render(TileKey { zoom: 0, x: 0, y: 0 }, None);
        reqwest::Url::parse(&sample).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default()
    }

    /// Whether the tiles come from this machine (no proxy is used for them).
    fn is_loopback(&self) -> bool {
        let host = self.host();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
    }

    fn render(&self, key: TileKey, secret: Option<&str>) -> String {
        let mut url = String::with_capacity(self.template.len() + 16);
        for part in &self.parts {
            match part {
                Part::Text(text) => url.push_str(text),
                Part::Zoom => url.push_str(&key.zoom.to_string()),
                Part::X => url.push_str(&key.x.to_string()),
                Part::Y => url.push_str(&key.y.to_string()),
                Part::TmsY => url.push_str(&key.tms_row().unwrap_or(key.y).to_string()),
                Part::Subdomain => {
                    let count = self.subdomains.len().max(1) as u64;
                    let index = (u64::from(key.x) + u64::from(key.y)) % count;
                    url.push_str(self.subdomains.get(usize::try_from(index).unwrap_or(0)).map_or("", String::as_str));
                }
                Part::Key => url.push_str(secret.unwrap_or("")),
            }
        }
        url
    }
}

/// Splits a template into text and placeholders; the error says what is wrong.
fn parse_parts(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| format!("a `{{` at byte {} is never closed", template.len() - rest.len() + open))?;
        let name = &after[..close];
        parts.push(match name.trim().to_ascii_lowercase().as_str() {
            "z" => Part::Zoom,
            "x" => Part::X,
            "y" => Part::Y,
            "-y" => Part::TmsY,
            "s" => Part::Subdomain,
            "key" => Part::Key,
            _ => return Err(format!("unknown placeholder {{{name}}} (known: {{z}} {{x}} {{y}} {{-y}} {{s}} {{key}})")),
        });
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    Ok(parts)
}

/// Everything an [`HttpTileSource`] needs; [`HttpSourceConfig::new`] fills in the defaults.
#[derive(Clone)]
pub struct HttpSourceConfig {
    /// Names the source's folder in the cache; anything but `a-z 0-9 . _ -` becomes `_`.
    pub id: String,
    /// See [`UrlTemplate`].
    pub template: String,
    /// For `{s}`.
    pub subdomains: Vec<String>,
    /// For `{key}`; never shown in full.
    pub key: Option<String>,
    /// Name, attribution, zoom range, tile size and format. Tiles outside the zoom range are
    /// never requested; a raster `format` makes a non-image answer an error.
    pub info: TileSourceInfo,
    /// The folder holding every online source's cache (the platform cache folder in the app).
    pub cache_dir: PathBuf,
    /// Cached tiles older than this are fetched again.
    pub max_age: Duration,
    pub connect_timeout: Duration,
    /// For a whole request, body included.
    pub timeout: Duration,
    /// Larger tile bodies are refused.
    pub max_body_bytes: u64,
}

impl std::fmt::Debug for HttpSourceConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpSourceConfig")
            .field("id", &self.id)
            .field("template", &redact_url(&self.template, self.key.as_deref()))
            .field("subdomains", &self.subdomains)
            .field("key", &self.key.as_deref().map(mask_secret))
            .field("info", &self.info)
            .field("cache_dir", &self.cache_dir)
            .field("max_age", &self.max_age)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl HttpSourceConfig {
    /// A source without subdomains or key, with the default cache age ([`DEFAULT_MAX_AGE`]),
    /// timeouts ([`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`]) and body limit ([`MAX_TILE_BYTES`]).
    #[must_use]
    pub fn new(id: impl Into<String>, template: impl Into<String>, info: TileSourceInfo, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            id: id.into(),
            template: template.into(),
            subdomains: Vec::new(),
            key: None,
            info,
            cache_dir: cache_dir.into(),
            max_age: DEFAULT_MAX_AGE,
            connect_timeout: CONNECT_TIMEOUT,
            timeout: REQUEST_TIMEOUT,
            max_body_bytes: MAX_TILE_BYTES,
        }
    }
}

/// What an HTTP status means for a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusMeaning {
    Tile,
    Absent,
    KeyRefused,
    Failed,
}

fn status_meaning(status: u16) -> StatusMeaning {
    match status {
        204 | 404 | 410 => StatusMeaning::Absent,
        200..=299 => StatusMeaning::Tile,
        401 | 403 => StatusMeaning::KeyRefused,
        _ => StatusMeaning::Failed,
    }
}

/// A reqwest error as a message without its URL (which may hold the key): what went wrong and
/// its causes, with `secret` masked should any of them quote it.
fn describe_request_error(error: reqwest::Error, secret: Option<&str>) -> String {
    let error = error.without_url();
    let mut message = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        error.to_string()
    };
    let mut cause = std::error::Error::source(&error);
    while let Some(current) = cause {
        let text = current.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = current.source();
    }
    match secret {
        Some(secret) if !secret.is_empty() => message.replace(secret, &mask_secret(secret)),
        _ => message,
    }
}

/// A cache folder name made of `a-z 0-9 . _ -` only.
fn sanitise_id(id: &str) -> String {
    let id: String = id
        .trim()
        .chars()
        .map(|character| {
            let character = character.to_ascii_lowercase();
            if character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-') { character } else { '_' }
        })
        .collect();
    let id = id.trim_start_matches('.');
    if id.is_empty() { "tiles".to_owned() } else { id.to_owned() }
}

/// FNV-1a: a hash that stays the same across Rust releases, to name a custom source's cache.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The format a template's file extension names (`….png`, `….jpg?key=…`), `Unknown` otherwise.
fn format_from_template(template: &str) -> TileFormat {
    let path = template.split(['?', '#']).next().unwrap_or(template);
    path.rsplit_once('.').map_or(TileFormat::Unknown, |(_, extension)| TileFormat::from_name(extension))
}

/// Tiles from an HTTP(S) tile server, cached on disk. See the module documentation.
pub struct HttpTileSource {
    template: UrlTemplate,
    info: TileSourceInfo,
    /// `<cache_dir>/<id>`.
    cache_root: PathBuf,
    /// Of the cached files.
    extension: &'static str,
    max_age: Duration,
    max_body_bytes: u64,
    client: reqwest::blocking::Client,
    /// Whether a failure to write the cache has been logged (once per source is enough).
    cache_warned: AtomicBool,
}

impl std::fmt::Debug for HttpTileSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpTileSource")
            .field("template", &self.template)
            .field("info", &self.info)
            .field("cache_root", &self.cache_root)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl HttpTileSource {
    /// Checks the template and starts an HTTP client (`User-Agent: citygrid/<version>`, the
    /// configured timeouts; the system proxy, except for a server on this machine). Nothing is
    /// fetched and the cache folder is made only when the first tile is written.
    ///
    /// # Errors
    /// The template is unusable ([`TileSourceError::BadUrlTemplate`]) or the HTTP client cannot
    /// start (TLS set-up, [`TileSourceError::Http`]).
    pub fn new(config: HttpSourceConfig) -> Result<Self, TileSourceError> {
        Self::build(config, None)
    }

    /// OpenStreetMap's standard tiles, zoom 0–18, cached under `<cache_dir>/openstreetmap`.
    ///
    /// # Errors
    /// The HTTP client cannot start.
    pub fn openstreetmap(cache_dir: &Path) -> Result<Self, TileSourceError> {
        let info = TileSourceInfo {
            name: "OpenStreetMap".to_owned(),
            attribution: OSM_ATTRIBUTION.to_owned(),
            min_zoom: 0,
            max_zoom: 18,
            tile_size_px: 256,
            format: TileFormat::Png,
            bounds: None,
        };
        Self::new(HttpSourceConfig::new("openstreetmap", OSM_URL_TEMPLATE, info, cache_dir))
    }

    /// Tiles from a URL template the user entered, zoom 0–18, 256 px; named after the host and
    /// cached under `<cache_dir>/custom-<hash of the template>`. `{s}` takes `a`, `b` and `c`
    /// (Leaflet's convention); a key can be written into the URL itself and is masked in messages.
    ///
    /// # Errors
    /// The template is unusable or the HTTP client cannot start.
    pub fn custom(template: &str, attribution: &str, cache_dir: &Path) -> Result<Self, TileSourceError> {
        let template = template.trim();
        let subdomains = ["a", "b", "c"];
        let parsed = UrlTemplate::new(template, &subdomains, None)?;
        let info = TileSourceInfo {
            name: parsed.host(),
            attribution: attribution.trim().to_owned(),
            min_zoom: 0,
            max_zoom: 18,
            tile_size_px: 256,
            format: format_from_template(template),
            bounds: None,
        };
        let id = format!("custom-{:016x}", stable_hash(template));
        let mut config = HttpSourceConfig::new(id, template, info, cache_dir);
        config.subdomains = subdomains.map(str::to_owned).to_vec();
        Self::new(config)
    }

    /// Builds on `client` when given (Tianditu's two layers share one), else on a new client.
    fn build(config: HttpSourceConfig, client: Option<reqwest::blocking::Client>) -> Result<Self, TileSourceError> {
        let subdomains: Vec<&str> = config.subdomains.iter().map(String::as_str).collect();
        let template = UrlTemplate::new(&config.template, &subdomains, config.key.as_deref())?;
        let client = match client {
            Some(client) => client,
            None => {
                let mut builder = reqwest::blocking::Client::builder()
                    .user_agent(USER_AGENT)
                    .connect_timeout(config.connect_timeout)
                    .timeout(config.timeout);
                if template.is_loopback() {
                    builder = builder.no_proxy();
                }
                builder.build().map_err(|error| TileSourceError::Http {
                    url: template.display_template(),
                    problem: format!("cannot start the HTTP client: {}", describe_request_error(error, config.key.as_deref())),
                })?
            }
        };
        let extension = match config.info.format {
            TileFormat::Unknown => "tile",
            format => format.name(),
        };
        Ok(Self {
            template,
            info: config.info,
            cache_root: config.cache_dir.join(sanitise_id(&config.id)),
            extension,
            max_age: config.max_age,
            max_body_bytes: config.max_body_bytes,
            client,
            cache_warned: AtomicBool::new(false),
        })
    }

    /// Where `key` is (or would be) cached: `<cache_dir>/<id>/<z>/<x>/<y>.<ext>`.
    #[must_use]
    pub fn cache_path(&self, key: TileKey) -> PathBuf {
        self.cache_root.join(key.zoom.to_string()).join(key.x.to_string()).join(format!("{}.{}", key.y, self.extension))
    }

    /// The URL of a tile with any key masked, as messages show it.
    #[must_use]
    pub fn display_url(&self, key: TileKey) -> String {
        self.template.display_url(key)
    }

    /// The cached copy of a tile and whether it is still fresh; `None` when there is none (or it
    /// is empty or unreadable).
    fn read_cache(&self, path: &Path) -> Option<(Vec<u8>, bool)> {
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() || metadata.len() == 0 {
            return None;
        }
        let bytes = std::fs::read(path).ok().filter(|bytes| !bytes.is_empty())?;
        // A clock that went backwards, or a file system without times, keeps the copy fresh.
        let fresh = metadata
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_none_or(|age| age < self.max_age);
        Some((bytes, fresh))
    }

    /// Writes a tile to a temporary file beside its place and renames it into place. A failure
    /// is logged (once) and otherwise ignored: the tile is still shown.
    fn write_cache(&self, path: &Path, bytes: &[u8]) {
        if let Err(error) = write_atomically(path, bytes)
            && !self.cache_warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("cannot cache online tiles in {}: {error}", self.cache_root.display());
        }
    }

    /// Asks the server for one tile; no cache involved.
    fn fetch(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        let secret = self.template.key.as_deref();
        let shown = || self.template.display_url(key);
        let response = self
            .client
            .get(self.template.url(key))
            .send()
            .map_err(|error| TileSourceError::Http { url: shown(), problem: describe_request_error(error, secret) })?;
        let status = response.status();
        match status_meaning(status.as_u16()) {
            StatusMeaning::Tile => {}
            StatusMeaning::Absent => return Ok(None),
            StatusMeaning::KeyRefused => return Err(TileSourceError::KeyRefused { url: shown(), status: status.as_u16() }),
            StatusMeaning::Failed => return Err(TileSourceError::Http { url: shown(), problem: format!("HTTP {status}") }),
        }
        let too_large = || TileSourceError::Http {
            url: shown(),
            problem: format!("the tile is larger than {} MiB; refused", self.max_body_bytes as f64 / (1024.0 * 1024.0)),
        };
        if response.content_length().is_some_and(|length| length > self.max_body_bytes) {
            return Err(too_large());
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        let mut body = Vec::new();
        response
            .take(self.max_body_bytes.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|error| TileSourceError::Http { url: shown(), problem: format!("reading the tile: {error}") })?;
        if body.len() as u64 > self.max_body_bytes {
            return Err(too_large());
        }
        if body.is_empty() {
            return Ok(None);
        }
        if self.info.format.is_raster() && !TileFormat::sniff(&body).is_raster() {
            // Typically an XML or JSON error report with status 200; quote its start.
            let text = String::from_utf8_lossy(&body[..body.len().min(400)]).split_whitespace().collect::<Vec<_>>().join(" ");
            let mut quoted: String = text.chars().take(160).collect();
            if let Some(secret) = secret {
                quoted = quoted.replace(secret, &mask_secret(secret));
            }
            return Err(TileSourceError::Http {
                url: shown(),
                problem: format!("the server sent {content_type} instead of a tile image: {quoted}"),
            });
        }
        Ok(Some(body))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so the
/// path holds either nothing, the old tile or the whole new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(folder)?;
    let name = path.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let counter = TEMP_FILE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = folder.join(format!(".{name}.{}.{counter}.tmp", std::process::id()));
    let written =
        std::fs::File::create(&temporary).and_then(|mut file| file.write_all(bytes)).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

impl TileSource for HttpTileSource {
    fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    /// The cached tile while it is fresh; otherwise the server's, cached on the way; the stale
    /// cached copy when the server cannot be reached. Tiles outside the zoom range are `None`
    /// without a request.
    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        if !key.is_valid() || key.zoom < self.info.min_zoom || key.zoom > self.info.max_zoom {
            return Ok(None);
        }
        let path = self.cache_path(key);
        match self.read_cache(&path) {
            Some((bytes, true)) => Ok(Some(bytes)),
            Some((stale, false)) => match self.fetch(key) {
                Ok(Some(bytes)) => {
                    self.write_cache(&path, &bytes);
                    Ok(Some(bytes))
                }
                Ok(None) => {
                    // The server no longer has it; nor should the cache. Best effort.
                    let _ = std::fs::remove_file(&path);
                    Ok(None)
                }
                Err(error) => {
                    tracing::debug!("serving the cached copy of tile {key}: {error}");
                    Ok(Some(stale))
                }
            },
            None => {
                let fetched = self.fetch(key)?;
                if let Some(bytes) = &fetched {
                    self.write_cache(&path, bytes);
                }
                Ok(fetched)
            }
        }
    }
}

/// A base layer with an overlay (labels, typically) laid over it, read as one source: both
/// tiles are read at once, the overlay is alpha-blended onto the base, and the result handed out
/// as PNG. Without an overlay tile, or when the overlay fails, the base is returned alone (a map
/// without labels beats no map); when the base fails, the tile fails.
pub struct CompositeTileSource {
    base: Arc<dyn TileSource>,
    overlay: Arc<dyn TileSource>,
    info: TileSourceInfo,
}

impl std::fmt::Debug for CompositeTileSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CompositeTileSource")
            .field("info", &self.info)
            .field("base", &self.base.info().name)
            .field("overlay", &self.overlay.info().name)
            .finish()
    }
}

impl CompositeTileSource {
    /// `base` with `overlay` over it; zoom range, tile size and bounds are the base's, the format PNG.
    #[must_use]
    pub fn new(name: impl Into<String>, attribution: impl Into<String>, base: Arc<dyn TileSource>, overlay: Arc<dyn TileSource>) -> Self {
        let info = TileSourceInfo { name: name.into(), attribution: attribution.into(), format: TileFormat::Png, ..base.info().clone() };
        Self { base, overlay, info }
    }

    fn overlay_covers(&self, key: TileKey) -> bool {
        let info = self.overlay.info();
        (info.min_zoom..=info.max_zoom).contains(&key.zoom)
    }

    /// Lays `overlay` over `base`. A base that cannot be decoded fails the tile; an overlay that
    /// cannot be decoded (or is fully transparent) leaves the base bytes as they are.
    fn blend(&self, key: TileKey, base_bytes: Vec<u8>, overlay_bytes: &[u8]) -> Result<Vec<u8>, TileSourceError> {
        let bad = |problem: String| TileSourceError::BadTile { name: self.info.name.clone(), key, problem };
        let overlay = match image::load_from_memory(overlay_bytes) {
            Ok(overlay) => overlay.to_rgba8(),
            Err(error) => {
                tracing::warn!("{}: overlay tile {key} cannot be decoded, showing the base alone: {error}", self.info.name);
                return Ok(base_bytes);
            }
        };
        if overlay.pixels().all(|pixel| pixel.0[3] == 0) {
            return Ok(base_bytes);
        }
        let mut base =
            image::load_from_memory(&base_bytes).map_err(|error| bad(format!("the base tile cannot be decoded: {error}")))?.to_rgba8();
        let (width, height) = base.dimensions();
        let overlay = if overlay.dimensions() == (width, height) {
            overlay
        } else {
            image::imageops::resize(&overlay, width, height, image::imageops::FilterType::Triangle)
        };
        image::imageops::overlay(&mut base, &overlay, 0, 0);
        encode_png(base).map_err(|error| bad(format!("cannot encode the blended tile: {error}")))
    }
}

/// PNG with fast compression; RGB when every pixel is opaque (a third smaller), RGBA otherwise.
fn encode_png(image: image::RgbaImage) -> image::ImageResult<Vec<u8>> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let (width, height) = image.dimensions();
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    if image.pixels().all(|pixel| pixel.0[3] == u8::MAX) {
        let rgb = image::DynamicImage::ImageRgba8(image).into_rgb8();
        encoder.write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)?;
    } else {
        encoder.write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgba8)?;
    }
    Ok(out)
}

impl TileSource for CompositeTileSource {
    fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        let want_overlay = self.overlay_covers(key);
        // Both requests at once: over a network that halves the wait for a tile.
        let (base, overlay) = std::thread::scope(|scope| {
            let overlay_reader = want_overlay
                .then(|| {
                    std::thread::Builder::new()
                        .name("citygrid-tile-overlay".to_owned())
                        .spawn_scoped(scope, || self.overlay.read_tile(key))
                        .ok()
                })
                .flatten();
            let base = self.base.read_tile(key);
            let overlay = match overlay_reader {
                Some(reader) => reader.join().unwrap_or_else(|_| Ok(None)),
                None if want_overlay => self.overlay.read_tile(key),
                None => Ok(None),
            };
            (base, overlay)
        });
        let Some(base) = base? else { return Ok(None) };
        match overlay {
            Ok(Some(overlay)) => self.blend(key, base, &overlay).map(Some),
            Ok(None) => Ok(Some(base)),
            Err(error) => {
                tracing::warn!("{}: no overlay for tile {key}, showing the base alone: {error}", self.info.name);
                Ok(Some(base))
            }
        }
    }
}

/// Tianditu's two Web Mercator maps, each a base layer with its label layer over it.
///
/// Tianditu's coordinates are CGCS2000, which agrees with WGS84 to centimetres, and the `_w`
/// layers are cut in the Web Mercator (`TILEMATRIXSET=w`) grid, the same XYZ grid as OSM and
/// walkers: so unlike the GCJ-02 maps of commercial providers, no datum shift is needed and our
/// WGS84 data lies right on it. Zoom 1–18 (the `w` matrix set has no level 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TiandituLayer {
    /// `vec_w` (vector map) with `cva_w` (its labels).
    Vector,
    /// `img_w` (satellite imagery, JPEG) with `cia_w` (its labels).
    Imagery,
}

impl TiandituLayer {
    /// The WMTS layer of the base map: `vec` or `img`.
    #[must_use]
    pub fn base_layer(self) -> &'static str {
        match self {
            Self::Vector => "vec",
            Self::Imagery => "img",
        }
    }

    /// The WMTS layer of the labels: `cva` or `cia`.
    #[must_use]
    pub fn label_layer(self) -> &'static str {
        match self {
            Self::Vector => "cva",
            Self::Imagery => "cia",
        }
    }

    /// The base map with its labels composited on, cached under `<cache_dir>/tianditu-<layer>`.
    /// `key` is the user's Tianditu key (`tk`; a 服务端 / server key: a browser key only works
    /// from the web pages it is registered for).
    ///
    /// # Errors
    /// [`TileSourceError::Key`] when `key` is empty or holds more than letters, digits, `-` and
    /// `_`; the HTTP client cannot start.
    pub fn open(self, key: &str, cache_dir: &Path) -> Result<CompositeTileSource, TileSourceError> {
        let key = check_tianditu_key(key)?;
        let base_format = if self == Self::Imagery { TileFormat::Jpeg } else { TileFormat::Png };
        let base = HttpTileSource::new(tianditu_config(self.base_layer(), base_format, key, cache_dir))?;
        let labels =
            HttpTileSource::build(tianditu_config(self.label_layer(), TileFormat::Png, key, cache_dir), Some(base.client.clone()))?;
        let name = match self {
            Self::Vector => "天地图 矢量 / Tianditu vector",
            Self::Imagery => "天地图 影像 / Tianditu imagery",
        };
        Ok(CompositeTileSource::new(name, TIANDITU_ATTRIBUTION, Arc::new(base), Arc::new(labels)))
    }
}

/// The trimmed key, or why it cannot be one.
fn check_tianditu_key(key: &str) -> Result<&str, TileSourceError> {
    let key = key.trim();
    let problem = if key.is_empty() {
        "no key: a Tianditu key (tk) must be entered in settings to use the Tianditu basemap"
    } else if !key.chars().all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_')) {
        "the key entered in settings is not a Tianditu key (tk): it may only hold letters and digits"
    } else {
        return Ok(key);
    };
    Err(TileSourceError::Key { provider: TIANDITU_PROVIDER.to_owned(), problem: problem.to_owned() })
}

/// One Tianditu WMTS layer (`vec`, `cva`, `img`, `cia`) as an HTTP source.
fn tianditu_config(layer: &str, format: TileFormat, key: &str, cache_dir: &Path) -> HttpSourceConfig {
    let info = TileSourceInfo {
        name: format!("天地图 Tianditu {layer}_w"),
        attribution: TIANDITU_ATTRIBUTION.to_owned(),
        min_zoom: 1,
        max_zoom: 18,
        tile_size_px: 256,
        format,
        bounds: None,
    };
    let mut config = HttpSourceConfig::new(format!("tianditu-{layer}"), TIANDITU_URL_TEMPLATE.replace("{layer}", layer), info, cache_dir);
    config.subdomains = TIANDITU_SUBDOMAINS.iter().map(|&subdomain| subdomain.to_owned()).collect();
    config.key = Some(key.to_owned());
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn key(zoom: u8, x: u32, y: u32) -> TileKey {
        TileKey::new(zoom, x, y).expect("valid key")
    }

    fn info(name: &str) -> TileSourceInfo {
        TileSourceInfo {
            name: name.to_owned(),
            attribution: String::new(),
            min_zoom: 0,
            max_zoom: 18,
            tile_size_px: 4,
            format: TileFormat::Png,
            bounds: None,
        }
    }

    fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        let image = image::RgbaImage::from_fn(width, height, |x, y| image::Rgba(pixel(x, y)));
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode");
        bytes.into_inner()
    }

    /// A source answering from a fixed map of tiles, or failing every tile.
    struct Canned {
        info: TileSourceInfo,
        tiles: std::collections::HashMap<TileKey, Vec<u8>>,
        fail: bool,
    }

    impl TileSource for Canned {
        fn info(&self) -> &TileSourceInfo {
            &self.info
        }

        fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
            if self.fail {
                return Err(TileSourceError::Http { url: "http://127.0.0.1/down".into(), problem: "cannot connect".into() });
            }
            Ok(self.tiles.get(&key).cloned())
        }
    }

    fn canned(name: &str, tiles: &[(TileKey, Vec<u8>)], fail: bool) -> Arc<dyn TileSource> {
        Arc::new(Canned { info: info(name), tiles: tiles.iter().cloned().collect(), fail })
    }

    #[test]
    fn templates_fill_in_zoom_column_row_subdomain_and_key() {
        let template = UrlTemplate::new("https://{s}.example.org/{z}/{x}/{y}.png?k={key}", &["a", "b", "c"], Some(KEY)).expect("template");
        assert_eq!(template.url(key(4, 3, 5)), format!("https://c.example.org/4/3/5.png?k={KEY}"));
        // (x + y) % 3 picks the subdomain; the same tile always gets the same one.
        assert_eq!(template.url(key(4, 3, 3)), format!("https://a.example.org/4/3/3.png?k={KEY}"));
        assert_eq!(template.url(key(4, 3, 4)), format!("https://b.example.org/4/3/4.png?k={KEY}"));
        assert_eq!(template.url(key(4, 3, 4)), template.url(key(4, 3, 4)));
        assert_eq!(template.host(), "a.example.org");
        // A TMS row counts from the south.
        let tms = UrlTemplate::new("http://tiles.example.org/{z}/{x}/{-y}.png", &[], None).expect("template");
        assert_eq!(tms.url(key(2, 1, 0)), "http://tiles.example.org/2/1/3.png");
        // Shown with the key masked, never in full.
        let shown = template.display_url(key(4, 3, 5));
        assert!(!shown.contains(KEY) && shown.contains("k=0123****"), "{shown}");
        assert!(!format!("{template:?}").contains(KEY));
    }

    #[test]
    fn bad_templates_are_refused_saying_why() {
        let problem = |template: &str, subdomains: &[&str], secret: Option<&str>| {
            UrlTemplate::new(template, subdomains, secret).expect_err(template).to_string()
        };
        assert!(problem("ftp://example.org/{z}/{x}/{y}.png", &[], None).contains("http:// or https://"));
        assert!(problem("https://example.org/{z}/{x}.png", &[], None).contains("{z}, {x} and {y}"));
        assert!(problem("https://example.org/{z}/{x}/{y}/{w}.png", &[], None).contains("unknown placeholder {w}"));
        assert!(problem("https://example.org/{z}/{x}/{y.png", &[], None).contains("never closed"));
        assert!(problem("https://{s}.example.org/{z}/{x}/{y}.png", &[], None).contains("no subdomains"));
        assert!(problem("https://example.org/{z}/{x}/{y}.png?tk={key}", &[], None).contains("no key"));
        assert!(problem("https://exa mple.org/{z}/{x}/{y}.png", &[], None).contains("valid URL"));
        // The template is quoted, with a key in it masked.
        let message = problem(&format!("https://example.org/{{z}}/{{x}}.png?token={KEY}"), &[], None);
        assert!(message.contains("https://example.org/") && !message.contains(KEY), "{message}");
    }

    #[test]
    fn secrets_in_urls_are_masked() {
        assert_eq!(redact_url("https://a.b/c?x=1&api_key=abcdefghijklmnop#top", None), "https://a.b/c?x=1&api_key=abcd****#top");
        assert_eq!(redact_url("https://a.b/c?token=short", None), "https://a.b/c?token=****");
        assert_eq!(redact_url("https://a.b/c/{z}?tk={key}", None), "https://a.b/c/{z}?tk={key}");
        assert_eq!(redact_url(&format!("https://a.b/{KEY}/c"), Some(KEY)), "https://a.b/0123****/c");
        assert_eq!(redact_url("https://a.b/c", None), "https://a.b/c");
    }

    #[test]
    fn statuses_mean_tile_absent_refused_or_retry() {
        assert_eq!(status_meaning(200), StatusMeaning::Tile);
        assert_eq!(status_meaning(204), StatusMeaning::Absent);
        assert_eq!(status_meaning(404), StatusMeaning::Absent);
        assert_eq!(status_meaning(401), StatusMeaning::KeyRefused);
        assert_eq!(status_meaning(403), StatusMeaning::KeyRefused);
        assert_eq!(status_meaning(429), StatusMeaning::Failed);
        assert_eq!(status_meaning(500), StatusMeaning::Failed);
        assert_eq!(status_meaning(503), StatusMeaning::Failed);
    }

    #[test]
    fn cache_paths_are_id_zoom_column_row() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = HttpTileSource::openstreetmap(dir.path()).expect("osm");
        assert_eq!(source.cache_path(key(12, 3423, 1763)), dir.path().join("openstreetmap").join("12").join("3423").join("1763.png"));
        assert_eq!(source.info().attribution, OSM_ATTRIBUTION);
        assert_eq!((source.info().min_zoom, source.info().max_zoom, source.info().tile_size_px), (0, 18, 256));

        let custom = HttpTileSource::custom("https://tiles.example.org/{z}/{x}/{y}.jpg?apikey=secret123456789", "© Example", dir.path())
            .expect("custom");
        assert_eq!(custom.info().name, "tiles.example.org");
        assert_eq!(custom.info().format, TileFormat::Jpeg);
        let path = custom.cache_path(key(1, 0, 1));
        assert!(path.starts_with(dir.path()) && path.ends_with("1/0/1.jpg"), "{}", path.display());
        assert!(path.to_string_lossy().contains("custom-"));
        assert!(!custom.display_url(key(1, 0, 1)).contains("secret123456789"));
        let leaflet = HttpTileSource::custom("https://{s}.tile.example.org/{z}/{x}/{y}.png", "", dir.path()).expect("custom with {s}");
        assert_eq!(leaflet.display_url(key(2, 1, 1)), "https://c.tile.example.org/2/1/1.png");
        assert_eq!(leaflet.info().name, "a.tile.example.org");
        assert_eq!(sanitise_id("../Evil Name/"), "_evil_name_");
    }

    #[test]
    fn tianditu_asks_for_the_wmts_tile_with_the_key_and_needs_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = tianditu_config("vec", TileFormat::Png, KEY, dir.path());
        let template = UrlTemplate::new(&config.template, &TIANDITU_SUBDOMAINS, Some(KEY)).expect("template");
        assert_eq!(
            template.url(key(14, 13_000, 6_600)),
            format!(
                "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default\
                 &TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=14&TILEROW=6600&TILECOL=13000&tk={KEY}"
            )
        );
        assert!(template.url(key(14, 13_001, 6_600)).starts_with("https://t1.tianditu.gov.cn/vec_w/"));

        let source = TiandituLayer::Imagery.open(&format!("  {KEY} "), dir.path()).expect("imagery");
        assert_eq!(source.info().attribution, TIANDITU_ATTRIBUTION);
        assert_eq!((source.info().min_zoom, source.info().max_zoom, source.info().format), (1, 18, TileFormat::Png));
        assert!(!format!("{source:?}").contains(KEY));

        for bad in ["", "   "] {
            let error = TiandituLayer::Vector.open(bad, dir.path()).expect_err("no key");
            assert!(matches!(error, TileSourceError::Key { .. }) && error.to_string().contains("must be entered in settings"), "{error}");
        }
        let error = TiandituLayer::Vector.open("abc&tk=other", dir.path()).expect_err("not a key");
        assert!(error.to_string().contains("letters and digits"), "{error}");
    }

    #[test]
    fn the_overlay_is_blended_onto_the_base() {
        let tile = key(3, 2, 2);
        let blue = png(4, 4, |_, _| [0, 0, 255, 255]);
        // Labels: an opaque red pixel, a half-transparent white one, the rest transparent.
        let labels = png(4, 4, |x, y| match (x, y) {
            (1, 1) => [255, 0, 0, 255],
            (2, 2) => [255, 255, 255, 128],
            _ => [0, 0, 0, 0],
        });
        let composite = CompositeTileSource::new(
            "test",
            "© test",
            canned("base", &[(tile, blue.clone())], false),
            canned("labels", &[(tile, labels)], false),
        );
        let bytes = composite.read_tile(tile).expect("read").expect("a tile");
        assert_eq!(TileFormat::sniff(&bytes), TileFormat::Png);
        let image = image::load_from_memory(&bytes).expect("decode").to_rgba8();
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 255, 255]);
        assert_eq!(image.get_pixel(1, 1).0, [255, 0, 0, 255]);
        let half = image.get_pixel(2, 2).0;
        assert!(half[0].abs_diff(128) <= 2 && half[1].abs_diff(128) <= 2 && half[2] >= 253 && half[3] >= 253, "{half:?}");

        // No overlay tile, or a failing overlay: the base alone, as it was.
        let alone = CompositeTileSource::new("test", "", canned("base", &[(tile, blue.clone())], false), canned("labels", &[], false));
        assert_eq!(alone.read_tile(tile).expect("read"), Some(blue.clone()));
        let overlay_down =
            CompositeTileSource::new("test", "", canned("base", &[(tile, blue.clone())], false), canned("labels", &[], true));
        assert_eq!(overlay_down.read_tile(tile).expect("read"), Some(blue.clone()));
        let garbage_overlay = CompositeTileSource::new(
            "test",
            "",
            canned("base", &[(tile, blue.clone())], false),
            canned("labels", &[(tile, b"junk".to_vec())], false),
        );
        assert_eq!(garbage_overlay.read_tile(tile).expect("read"), Some(blue));

        // No base tile: none; a failing base: the tile fails.
        let no_base =
            CompositeTileSource::new("test", "", canned("base", &[], false), canned("labels", &[(tile, png(4, 4, |_, _| [9; 4]))], false));
        assert_eq!(no_base.read_tile(tile).expect("read"), None);
        let base_down = CompositeTileSource::new("test", "", canned("base", &[], true), canned("labels", &[], false));
        assert!(base_down.read_tile(tile).is_err());
        let garbage_base = CompositeTileSource::new(
            "test",
            "",
            canned("base", &[(tile, b"junk".to_vec())], false),
            canned("labels", &[(tile, png(4, 4, |_, _| [255, 0, 0, 255]))], false),
        );
        let error = garbage_base.read_tile(tile).expect_err("the base cannot be decoded");
        assert!(matches!(error, TileSourceError::BadTile { .. }) && error.to_string().contains("base tile"), "{error}");
    }

    #[test]
    fn cache_files_are_replaced_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a").join("b").join("1.png");
        write_atomically(&path, b"first").expect("write");
        write_atomically(&path, b"second").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("parent")).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }
}
