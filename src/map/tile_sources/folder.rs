//! A folder of tiles laid out `{root}/{z}/{x}/{y}.{ext}` (what `gdal2tiles --xyz`, QGIS "Generate
//! XYZ tiles (Directory)" and most tile downloaders write), with an optional `metadata.json`.
//! Read-only; the folder is listed once when opened, never per tile.

use std::path::{Path, PathBuf};

use super::{MAX_ZOOM, TileFormat, TileKey, TileSource, TileSourceError, TileSourceInfo, decompress_vector_tile, io_error};

/// Tile file extensions we recognise, in lower case.
const TILE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "webp", "pbf", "mvt"];

/// The keys of `metadata.json` we read; any others are ignored.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct FolderMetadata {
    name: Option<String>,
    attribution: Option<String>,
    #[serde(rename = "name:en")]
    name_en: Option<String>,
    #[serde(rename = "attribution:en")]
    attribution_en: Option<String>,
    tile_size: Option<u32>,
}

/// A z/x/y tile folder.
#[derive(Debug)]
pub struct FolderTiles {
    root: PathBuf,
    /// The extension of the tile files exactly as found on disk (`png`, `JPG`, …).
    extension: String,
    info: TileSourceInfo,
}

impl FolderTiles {
    /// Opens a tile folder: the zoom range comes from the numeric zoom directories, the format
    /// from the extension of the first tile found, the name and attribution from `metadata.json`.
    ///
    /// # Errors
    /// `root` is not a directory, has no numeric zoom directories or no tile files in them, or
    /// its `metadata.json` is not valid JSON.
    pub fn open(root: &Path) -> Result<Self, TileSourceError> {
        let metadata = std::fs::metadata(root).map_err(|source| io_error(root, source))?;
        if !metadata.is_dir() {
            return Err(TileSourceError::NotADirectory { path: root.to_owned() });
        }
        let mut zooms: Vec<u8> = numeric_subdirectories(root)?
            .into_iter()
            .filter_map(|(number, _)| u8::try_from(number).ok())
            .filter(|&zoom| zoom <= MAX_ZOOM)
            .collect();
        zooms.sort_unstable();
        let (Some(&min_zoom), Some(&max_zoom)) = (zooms.first(), zooms.last()) else {
            return Err(TileSourceError::NoZoomDirectories { path: root.to_owned() });
        };
        let extension = first_tile_extension(root, &zooms)?.ok_or_else(|| TileSourceError::NoTiles {
            path: root.to_owned(),
            what: "no .png, .jpg, .jpeg, .webp, .pbf or .mvt files in the zoom directories",
        })?;
        let format = TileFormat::from_name(&extension);

        let metadata_path = root.join("metadata.json");
        let folder_metadata = match std::fs::read(&metadata_path) {
            Ok(text) => serde_json::from_slice::<FolderMetadata>(&text)
                .map_err(|error| TileSourceError::BadMetadata { path: metadata_path.clone(), problem: error.to_string() })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => FolderMetadata::default(),
            Err(source) => return Err(TileSourceError::Io { path: metadata_path, source }),
        };
        let english = TileSourceInfo::english_from(|key| match key {
            "name:en" => folder_metadata.name_en.clone(),
            _ => folder_metadata.attribution_en.clone(),
        });
        let info = TileSourceInfo {
            name: folder_metadata.name.unwrap_or_else(|| super::file_name(root)),
            attribution: folder_metadata.attribution.unwrap_or_default(),
            english,
            min_zoom,
            max_zoom,
            tile_size_px: folder_metadata.tile_size.filter(|&size| size > 0).unwrap_or_else(|| format.default_tile_size_px()),
            format,
            bounds: None,
        };
        Ok(Self { root: root.to_owned(), extension, info })
    }

    /// Where the tile `key` would be.
    fn tile_path(&self, key: TileKey) -> PathBuf {
        self.root.join(key.zoom.to_string()).join(key.x.to_string()).join(format!("{}.{}", key.y, self.extension))
    }
}

impl TileSource for FolderTiles {
    fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    fn read_tile(&self, key: TileKey) -> Result<Option<Vec<u8>>, TileSourceError> {
        if !key.is_valid() || key.zoom < self.info.min_zoom || key.zoom > self.info.max_zoom {
            return Ok(None);
        }
        let path = self.tile_path(key);
        match std::fs::read(&path) {
            Ok(bytes) => decompress_vector_tile(&path, key, self.info.format, bytes).map(Some),
            // Also when the x column directory itself is missing.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TileSourceError::Io { path, source }),
        }
    }
}

/// The subdirectories of `dir` whose names are decimal numbers, with those numbers, in order.
fn numeric_subdirectories(dir: &Path) -> Result<Vec<(u32, PathBuf)>, TileSourceError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|source| io_error(dir, source))? {
        let entry = entry.map_err(|source| io_error(dir, source))?;
        let name = entry.file_name();
        // Only names as we build them when reading a tile ("7", not "07" or "+7").
        let Some(number) = name.to_str().and_then(|name| name.parse::<u32>().ok().filter(|number| number.to_string() == name)) else {
            continue;
        };
        // `metadata` follows symbolic links, which tile folders assembled by hand often use.
        if std::fs::metadata(entry.path()).is_ok_and(|metadata| metadata.is_dir()) {
            found.push((number, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// The extension of the first tile file found, shallowest zoom first (those directories are the
/// smallest), in file-name order so the answer does not depend on the file system.
fn first_tile_extension(root: &Path, zooms: &[u8]) -> Result<Option<String>, TileSourceError> {
    for zoom in zooms {
        for (_, column_dir) in numeric_subdirectories(&root.join(zoom.to_string()))? {
            let mut names: Vec<PathBuf> = std::fs::read_dir(&column_dir)
                .map_err(|source| io_error(&column_dir, source))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            names.sort();
            let found = names.iter().find_map(|path| {
                let stem_is_numeric = path.file_stem().and_then(|stem| stem.to_str()).is_some_and(|stem| stem.parse::<u32>().is_ok());
                let extension = path.extension()?.to_str()?;
                (stem_is_numeric && TILE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())).then(|| extension.to_owned())
            });
            if found.is_some() {
                return Ok(found);
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::super::tests::tile_bytes;
    use super::*;

    fn put_tile(root: &Path, key: TileKey, extension: &str) {
        let column = root.join(key.zoom.to_string()).join(key.x.to_string());
        std::fs::create_dir_all(&column).expect("column dir");
        std::fs::write(column.join(format!("{}.{extension}", key.y)), tile_bytes(key)).expect("tile");
    }

    #[test]
    fn a_folder_source_finds_its_zoom_range_and_format() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("huangshan_xyz");
        let keys: Vec<TileKey> = [TileKey::new(12, 3_394, 1_710), TileKey::new(13, 6_789, 3_421), TileKey::new(14, 13_578, 6_842)]
            .into_iter()
            .flatten()
            .collect();
        for &key in &keys {
            put_tile(&root, key, "jpg");
        }
        // Things a real folder holds that are not zoom levels or tiles.
        std::fs::create_dir_all(root.join("tmp").join("1")).expect("tmp dir");
        std::fs::create_dir_all(root.join("15")).expect("an empty zoom level still counts");
        std::fs::write(root.join("README.txt"), "rendered by gdal2tiles").expect("readme");
        std::fs::write(root.join("12").join("3394").join("notes.txt"), "skip me").expect("notes");
        std::fs::write(
            root.join("metadata.json"),
            r#"{"name": "黄山 imagery", "attribution": "© demo survey", "generator": "gdal2tiles", "bounds": [118, 29, 119, 30]}"#,
        )
        .expect("metadata");

        let source = FolderTiles::open(&root).expect("open");
        let info = source.info();
        assert_eq!((info.min_zoom, info.max_zoom), (12, 15));
        assert_eq!(info.format, TileFormat::Jpeg);
        assert_eq!(info.tile_size_px, 256);
        assert_eq!((info.name.as_str(), info.attribution.as_str()), ("黄山 imagery", "© demo survey"));
        for &key in &keys {
            assert_eq!(source.read_tile(key).expect("read"), Some(tile_bytes(key)), "{key}");
        }
        assert_eq!(source.read_tile(TileKey::new(13, 6_789, 3_422).expect("key")).expect("read"), None, "missing tile");
        assert_eq!(source.read_tile(TileKey::new(13, 1, 1).expect("key")).expect("read"), None, "missing column");
        assert_eq!(source.read_tile(TileKey::new(16, 1, 1).expect("key")).expect("read"), None, "beyond max zoom");

        // Without metadata.json the folder name stands in.
        std::fs::remove_file(root.join("metadata.json")).expect("remove");
        assert_eq!(FolderTiles::open(&root).expect("open").info().name, "huangshan_xyz");
    }

    #[test]
    fn a_folder_without_zoom_directories_or_a_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("tiles").join("cache")).expect("dir");
        let error = FolderTiles::open(&dir.path().join("tiles")).expect_err("no zoom dirs");
        assert!(matches!(error, TileSourceError::NoZoomDirectories { .. }) && error.to_string().contains("tiles"), "{error}");

        let file = dir.path().join("tiles.txt");
        std::fs::write(&file, "x").expect("write");
        let error = FolderTiles::open(&file).expect_err("not a dir");
        assert!(matches!(error, TileSourceError::NotADirectory { .. }) && error.to_string().contains("tiles.txt"), "{error}");

        std::fs::create_dir_all(dir.path().join("empty").join("3").join("1")).expect("dir");
        let error = FolderTiles::open(&dir.path().join("empty")).expect_err("no tiles");
        assert!(matches!(error, TileSourceError::NoTiles { .. }), "{error}");
    }
}
