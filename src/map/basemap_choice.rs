//! Which basemap the user picked in the settings: an offline file or folder, or one of the online
//! sources of [`tile_sources::online`](super::tile_sources::online). Serialisable, so the choice
//! is remembered between runs; the Tianditu key is kept apart from it (it is a secret, and one
//! key serves both Tianditu maps).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::tile_sources::{HttpTileSource, TiandituLayer, TileSource, TileSourceError, open_tile_source};

/// The basemap chosen in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BasemapChoice {
    /// An MBTiles file, a PMTiles file or a `{z}/{x}/{y}` tile folder on this machine.
    Offline { path: PathBuf },
    /// OpenStreetMap's standard tiles.
    OpenStreetMap,
    /// 天地图 vector map with its labels (needs a Tianditu key).
    TiandituVector,
    /// 天地图 satellite imagery with its labels (needs a Tianditu key).
    TiandituImagery,
    /// Any XYZ tile server: a URL template with `{z}`, `{x}`, `{y}` (or `{-y}`), and the
    /// attribution its licence asks for.
    Custom { template: String, attribution: String },
}

impl BasemapChoice {
    /// The online choices that need nothing but a network (and, for Tianditu, a key), in the
    /// order a settings menu lists them.
    pub const ONLINE_PRESETS: [Self; 3] = [Self::TiandituVector, Self::TiandituImagery, Self::OpenStreetMap];

    /// The name shown in a Chinese interface.
    #[must_use]
    pub fn label_zh(&self) -> &'static str {
        match self {
            Self::Offline { .. } => "离线底图",
            Self::OpenStreetMap => "OpenStreetMap 在线地图",
            Self::TiandituVector => "天地图 矢量",
            Self::TiandituImagery => "天地图 影像",
            Self::Custom { .. } => "自定义在线地图",
        }
    }

    /// The name shown in an English interface.
    #[must_use]
    pub fn label_en(&self) -> &'static str {
        match self {
            Self::Offline { .. } => "Offline basemap",
            Self::OpenStreetMap => "OpenStreetMap (online)",
            Self::TiandituVector => "Tianditu vector",
            Self::TiandituImagery => "Tianditu imagery",
            Self::Custom { .. } => "Custom online map",
        }
    }

    /// Whether the tiles come over the network (and so need one, unless cached).
    #[must_use]
    pub fn is_online(&self) -> bool {
        !matches!(self, Self::Offline { .. })
    }

    /// Whether [`open`](Self::open) needs the Tianditu key.
    #[must_use]
    pub fn needs_tianditu_key(&self) -> bool {
        matches!(self, Self::TiandituVector | Self::TiandituImagery)
    }

    /// Opens the chosen basemap. Online sources cache their tiles under `cache_dir` (the app
    /// passes the platform cache folder); opening one reaches no server, so it works offline and
    /// a wrong key shows only when tiles are refused (HTTP 401/403, reported per tile).
    ///
    /// # Errors
    /// An offline file that is missing or not a basemap; a Tianditu choice without a key (the
    /// message says a key must be entered in settings); a custom template that cannot work; an
    /// HTTP client that cannot start.
    pub fn open(&self, tianditu_key: Option<&str>, cache_dir: &Path) -> Result<Arc<dyn TileSource>, TileSourceError> {
        let layer = match self {
            Self::Offline { path } => return open_tile_source(path).map(Arc::from),
            Self::OpenStreetMap => return Ok(Arc::new(HttpTileSource::openstreetmap(cache_dir)?)),
            Self::Custom { template, attribution } => return Ok(Arc::new(HttpTileSource::custom(template, attribution, cache_dir)?)),
            Self::TiandituVector => TiandituLayer::Vector,
            Self::TiandituImagery => TiandituLayer::Imagery,
        };
        Ok(Arc::new(layer.open(tianditu_key.unwrap_or_default(), cache_dir)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_through_the_settings() {
        let choices = [
            BasemapChoice::Offline { path: PathBuf::from("basemaps/huizhou-demo.pmtiles") },
            BasemapChoice::OpenStreetMap,
            BasemapChoice::TiandituVector,
            BasemapChoice::TiandituImagery,
            BasemapChoice::Custom { template: "https://tiles.example.org/{z}/{x}/{y}.png".into(), attribution: "© Example".into() },
        ];
        for choice in choices {
            let json = serde_json::to_string(&choice).expect("serialise");
            assert_eq!(serde_json::from_str::<BasemapChoice>(&json).expect("deserialise"), choice, "{json}");
            assert_eq!(choice.is_online(), !matches!(choice, BasemapChoice::Offline { .. }));
            assert!(!choice.label_zh().is_empty() && !choice.label_en().is_empty());
        }
        assert_eq!(serde_json::to_string(&BasemapChoice::TiandituVector).expect("serialise"), r#"{"kind":"tianditu_vector"}"#);
    }

    #[test]
    fn tianditu_without_a_key_says_to_enter_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        for key in [None, Some(""), Some("  ")] {
            let error = BasemapChoice::TiandituImagery.open(key, dir.path()).expect_err("no key");
            assert!(error.to_string().contains("must be entered in settings"), "{error}");
        }
        let source =
            BasemapChoice::TiandituVector.open(Some("0123456789abcdef0123456789abcdef"), dir.path()).expect("opens without network");
        assert!(source.info().attribution.contains("天地图"));
        assert!(BasemapChoice::TiandituVector.needs_tianditu_key() && !BasemapChoice::OpenStreetMap.needs_tianditu_key());
    }
}
