//! What a seat remembers between runs: the language, the layers shown, the basemap and its
//! key, the recently opened offline basemaps. Kept by eframe under [`SETTINGS_KEY`].

use std::path::PathBuf;

use crate::map::basemap_choice::BasemapChoice;
use crate::model::{JurisdictionKind, Lang};

/// Key of the persisted [`Settings`] in eframe's storage.
pub const SETTINGS_KEY: &str = "citygrid.settings";

/// What the user chose to show; remembered between runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LayerVisibility {
    pub districts: bool,
    pub townships: bool,
    pub communities: bool,
    pub grid: bool,
    pub unit_zones: bool,
    pub streets: bool,
    pub parts: bool,
    pub cases: bool,
    pub basemap: bool,
    /// Part classes (four-digit codes) switched off in the layer tree.
    pub hidden_part_classes: std::collections::BTreeSet<String>,
}

impl Default for LayerVisibility {
    fn default() -> Self {
        Self {
            districts: true,
            townships: true,
            communities: true,
            grid: true,
            unit_zones: false,
            streets: true,
            parts: true,
            cases: true,
            basemap: true,
            hidden_part_classes: std::collections::BTreeSet::new(),
        }
    }
}

impl LayerVisibility {
    /// Whether a jurisdiction layer is shown.
    #[must_use]
    pub fn shows(&self, kind: JurisdictionKind) -> bool {
        match kind {
            JurisdictionKind::District => self.districts,
            JurisdictionKind::Township => self.townships,
            JurisdictionKind::Community => self.communities,
            JurisdictionKind::GridCell => self.grid,
            JurisdictionKind::UnitZone => self.unit_zones,
        }
    }

    /// Whether parts of a class (`major`, `minor`) are drawn.
    #[must_use]
    pub fn shows_part_class(&self, major: u8, minor: u8) -> bool {
        if !self.parts {
            return false;
        }
        if self.hidden_part_classes.is_empty() {
            return true;
        }
        // Called for every visible part each frame: build the code on the stack.
        let digits = [b'0' + major / 10 % 10, b'0' + major % 10, b'0' + minor / 10 % 10, b'0' + minor % 10];
        std::str::from_utf8(&digits).is_ok_and(|code| !self.hidden_part_classes.contains(code))
    }

    /// Switch for a jurisdiction layer.
    pub fn switch_mut(&mut self, kind: JurisdictionKind) -> &mut bool {
        match kind {
            JurisdictionKind::District => &mut self.districts,
            JurisdictionKind::Township => &mut self.townships,
            JurisdictionKind::Community => &mut self.communities,
            JurisdictionKind::GridCell => &mut self.grid,
            JurisdictionKind::UnitZone => &mut self.unit_zones,
        }
    }
}

/// How many offline basemaps the basemap list remembers besides the shipped demo.
pub const RECENT_OFFLINE_LIMIT: usize = 5;

/// Persisted settings.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    pub layers: LayerVisibility,
    /// The offline basemap file last opened (MBTiles, PMTiles or a z/x/y folder), while the
    /// remembered basemap is an offline one. This is all that versions before the basemap
    /// switcher stored; it is kept in step with `basemap_choice`, so each version reads the
    /// other's settings. Unreadable values are dropped, not the whole settings.
    #[serde(deserialize_with = "lenient")]
    pub basemap: Option<PathBuf>,
    /// The basemap last opened, offline or online. Remembered only once it has opened.
    #[serde(deserialize_with = "lenient")]
    pub basemap_choice: Option<BasemapChoice>,
    /// The Tianditu key (tk, a 服务端 / server key), shared by both Tianditu maps.
    pub tianditu_key: String,
    /// Offline basemaps that opened, most recent first, at most [`RECENT_OFFLINE_LIMIT`]; the
    /// shipped demo basemap is listed on its own and not here.
    #[serde(deserialize_with = "lenient")]
    pub recent_offline: Vec<PathBuf>,
    /// Which alerts the desk shows.
    #[serde(deserialize_with = "lenient")]
    pub alerts: crate::desk::alerts::AlertSettings,
}

impl Settings {
    /// The remembered basemap: the choice, or for settings written before the switcher, the
    /// offline file.
    #[must_use]
    pub fn remembered_basemap(&self) -> Option<BasemapChoice> {
        self.basemap_choice.clone().or_else(|| self.basemap.clone().map(|path| BasemapChoice::Offline { path }))
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: say only whether there is one.
        formatter
            .debug_struct("Settings")
            .field("lang", &self.lang)
            .field("layers", &self.layers)
            .field("basemap", &self.basemap)
            .field("basemap_choice", &self.basemap_choice)
            .field("tianditu_key", &if self.tianditu_key.is_empty() { "" } else { "<set>" })
            .field("recent_offline", &self.recent_offline)
            .field("alerts", &self.alerts)
            .finish()
    }
}

/// A settings field that does not read (written by another version, or damaged) takes its
/// default instead of throwing away every other setting.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Lenient<T> {
        Valid(T),
        Invalid(serde::de::IgnoredAny),
    }
    Ok(match <Lenient<T> as serde::Deserialize>::deserialize(deserializer)? {
        Lenient::Valid(value) => value,
        Lenient::Invalid(_) => T::default(),
    })
}

/// Why the basemap asked for last did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasemapProblem {
    /// A Tianditu map was chosen and no key has been entered.
    MissingTiandituKey,
    /// Opening failed; the message names the file or the server.
    Failed(String),
}

impl BasemapProblem {
    /// The problem in English (the panel shows it translated).
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::MissingTiandituKey => "天地图 Tianditu: enter a Tianditu key (a 服务端 / server key) to use the Tianditu basemap",
            Self::Failed(message) => message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eframe::Storage as _;
    use std::collections::HashMap;

    /// eframe's storage, in memory.
    #[derive(Default)]
    struct MemoryStorage(HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn every_basemap_choice_survives_eframe_storage() {
        let choices = [
            BasemapChoice::Offline { path: PathBuf::from("/data/城区.mbtiles") },
            BasemapChoice::OpenStreetMap,
            BasemapChoice::TiandituVector,
            BasemapChoice::TiandituImagery,
            BasemapChoice::Custom { template: "https://tiles.example.org/{z}/{x}/{y}.png".into(), attribution: "© Example".into() },
        ];
        for choice in choices {
            let settings = Settings {
                lang: Lang::En,
                basemap_choice: Some(choice),
                tianditu_key: "0123456789abcdef".into(),
                recent_offline: vec![PathBuf::from("/data/a.pmtiles"), PathBuf::from("/data/tiles")],
                ..Settings::default()
            };
            let mut storage = MemoryStorage::default();
            eframe::set_value(&mut storage, SETTINGS_KEY, &settings);
            let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("settings read back");
            assert_eq!(read, settings, "{:?}", storage.0);
        }
    }

    #[test]
    fn settings_of_older_and_newer_versions_keep_what_they_can() {
        let mut storage = MemoryStorage::default();
        // Before the basemap switcher: only a path.
        storage.set_string(SETTINGS_KEY, r#"(lang: En, basemap: Some("/data/old.pmtiles"))"#.into());
        let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("old settings read");
        assert_eq!(read.lang, Lang::En);
        assert_eq!(read.remembered_basemap(), Some(BasemapChoice::Offline { path: PathBuf::from("/data/old.pmtiles") }));
        // A basemap kind this version does not know, and a damaged recent list: both dropped,
        // the rest kept.
        storage.set_string(
            SETTINGS_KEY,
            r#"(lang: En, basemap_choice: Some((kind: "baidu", style: "dark")), recent_offline: 7, tianditu_key: "abc")"#.into(),
        );
        let read: Settings = eframe::get_value(&storage, SETTINGS_KEY).expect("newer settings read");
        assert_eq!((read.lang, read.basemap_choice, read.recent_offline.len(), read.tianditu_key.as_str()), (Lang::En, None, 0, "abc"));
    }

    #[test]
    fn the_key_stays_out_of_debug_output() {
        let settings = Settings { tianditu_key: "0123456789abcdef".into(), ..Settings::default() };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("0123456789abcdef") && printed.contains("<set>"), "{printed}");
    }
}
