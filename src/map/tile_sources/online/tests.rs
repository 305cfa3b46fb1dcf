use super::tianditu::tianditu_config;
use super::*;

const KEY: &str = "0123456789abcdef0123456789abcdef";

fn key(zoom: u8, x: u32, y: u32) -> TileKey {
    TileKey::new(zoom, x, y).expect("valid key")
}

fn info(name: &str) -> TileSourceInfo {
    TileSourceInfo {
        name: name.to_owned(),
        attribution: String::new(),
        english: None,
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
    let overlay_down = CompositeTileSource::new("test", "", canned("base", &[(tile, blue.clone())], false), canned("labels", &[], true));
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
