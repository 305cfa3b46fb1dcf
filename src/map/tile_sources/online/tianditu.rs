//! 天地图 (Tianditu): its layers, the key check and the per-layer source configuration.

#[allow(clippy::wildcard_imports)]
use super::*;

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
pub(super) fn check_tianditu_key(key: &str) -> Result<&str, TileSourceError> {
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
pub(super) fn tianditu_config(layer: &str, format: TileFormat, key: &str, cache_dir: &Path) -> HttpSourceConfig {
    let info = TileSourceInfo {
        name: format!("天地图 Tianditu {layer}_w"),
        attribution: TIANDITU_ATTRIBUTION.to_owned(),
        english: None,
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
