//! URL templates (`{z}/{x}/{y}`, `{s}` subdomains, `{key}`) and the masking of secrets in the
//! URLs a message shows.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `secret` as it may be shown: its first four characters when it is long enough for that to
/// give nothing away (a 32-character key), then `****`.
pub(super) fn mask_secret(secret: &str) -> String {
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
pub(super) fn is_placeholder(value: &str) -> bool {
    value.starts_with('{') && value.ends_with('}')
}

/// One piece of a parsed URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
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
    pub(super) key: Option<String>,
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
    pub(super) fn is_loopback(&self) -> bool {
        let host = self.host();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
    }

    pub(super) fn render(&self, key: TileKey, secret: Option<&str>) -> String {
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
pub(super) fn parse_parts(template: &str) -> Result<Vec<Part>, String> {
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
