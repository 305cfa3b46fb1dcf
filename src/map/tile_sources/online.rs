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

#[cfg(test)]
mod tests;
mod tianditu;
mod url_template;

pub use tianditu::TiandituLayer;
use url_template::*;
pub use url_template::{UrlTemplate, redact_url};

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
            english: None,
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
            english: None,
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
