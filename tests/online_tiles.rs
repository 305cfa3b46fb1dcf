//! Online basemaps against a tiny HTTP server on 127.0.0.1 started by each test: tiles come from
//! the server once and then from the disk cache, missing tiles are absent, failures are errors the
//! map retries, refused keys say so (without printing the key), oversized answers are refused,
//! stale cache entries are refreshed or kept, and label overlays are blended onto their base.
//! No test reaches the internet.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use citygrid::map::basemap_choice::BasemapChoice;
use citygrid::map::tile_sources::{
    CompositeTileSource, HttpSourceConfig, HttpTileSource, TileFormat, TileKey, TileSource, TileSourceError, TileSourceInfo,
};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const BLUE: [u8; 4] = [0, 0, 255, 255];
const GREEN: [u8; 4] = [0, 160, 0, 255];

/// What the test server answers to one request.
enum Reply {
    /// A status with an empty body.
    Status(u16),
    /// A status with a body and its `Content-Length`.
    Body { status: u16, content_type: &'static str, body: Vec<u8> },
    /// 200 with a body whose length is not announced: it ends when the connection closes.
    Unsized(Vec<u8>),
}

fn png_reply(body: Vec<u8>) -> Reply {
    Reply::Body { status: 200, content_type: "image/png", body }
}

/// A one-colour (or drawn) PNG tile.
fn png(size: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(size, size, |x, y| image::Rgba(pixel(x, y)));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode png");
    bytes.into_inner()
}

fn key(zoom: u8, x: u32, y: u32) -> TileKey {
    TileKey::new(zoom, x, y).expect("valid key")
}

/// An HTTP/1.1 server on 127.0.0.1:0 answering each GET with what `handler` says for its path,
/// one thread per connection, `Connection: close` every time. Stopped (and its port closed)
/// by [`TestServer::stop`] or on drop.
struct TestServer {
    address: SocketAddr,
    /// The head of every request, in order.
    requests: Arc<Mutex<Vec<String>>>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let address = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let acceptor = {
            let (requests, stopping) = (Arc::clone(&requests), Arc::clone(&stopping));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (requests, handler) = (Arc::clone(&requests), Arc::clone(&handler));
                    std::thread::spawn(move || answer(stream, &requests, handler.as_ref()));
                }
            })
        };
        Self { address, requests, stopping, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests").clone()
    }

    /// How many requests asked for a path starting with `prefix`.
    fn hits(&self, prefix: &str) -> usize {
        self.requests().iter().filter(|head| head.split_whitespace().nth(1).is_some_and(|path| path.starts_with(prefix))).count()
    }

    /// Closes the port: from now on connections are refused.
    fn stop(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            self.stopping.store(true, Ordering::SeqCst);
            // Wake the blocking accept so it sees the flag.
            let _ = TcpStream::connect(self.address);
            acceptor.join().expect("acceptor stopped");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn answer(stream: TcpStream, requests: &Mutex<Vec<String>>, handler: &(dyn Fn(&str) -> Reply + Send + Sync)) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(&stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => head.push_str(&line),
        }
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    requests.lock().expect("requests").push(head);
    let mut stream = &stream;
    // Write errors are expected: a client that refuses a body closes the connection early.
    let _ = match handler(&path) {
        Reply::Status(status) => write!(stream, "HTTP/1.1 {status} Canned\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Reply::Body { status, content_type, body } => write!(
            stream,
            "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|()| stream.write_all(&body)),
        Reply::Unsized(body) => {
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n").and_then(|()| stream.write_all(&body))
        }
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn info(format: TileFormat) -> TileSourceInfo {
    TileSourceInfo {
        name: "test tiles".to_owned(),
        attribution: "© test".to_owned(),
        english: None,
        min_zoom: 0,
        max_zoom: 18,
        tile_size_px: 256,
        format,
        bounds: None,
    }
}

/// A source on the test server with short timeouts.
fn source(server: &TestServer, id: &str, path_template: &str, cache: &Path) -> HttpTileSource {
    HttpTileSource::new(config(server, id, path_template, cache)).expect("source")
}

fn config(server: &TestServer, id: &str, path_template: &str, cache: &Path) -> HttpSourceConfig {
    let mut config = HttpSourceConfig::new(id, server.url(path_template), info(TileFormat::Png), cache);
    config.connect_timeout = Duration::from_secs(1);
    config.timeout = Duration::from_secs(2);
    config
}

/// Makes a cached tile look `days` old.
fn age(path: &Path, days: u64) {
    let file = std::fs::File::options().write(true).open(path).expect("open cached tile");
    file.set_modified(SystemTime::now() - Duration::from_secs(days * 24 * 60 * 60)).expect("set mtime");
}

#[test]
fn a_tile_is_fetched_once_then_served_from_the_disk_cache_without_the_server() {
    let tile = png(256, |_, _| BLUE);
    let served = tile.clone();
    let mut server = TestServer::start(move |_| png_reply(served.clone()));
    let cache = tempfile::tempdir().expect("cache dir");
    let source = source(&server, "local", "/tiles/{z}/{x}/{y}.png", cache.path());
    let tile_key = key(12, 3423, 1763);

    assert_eq!(source.read_tile(tile_key).expect("fetched"), Some(tile.clone()));
    let cached = cache.path().join("local").join("12").join("3423").join("1763.png");
    assert_eq!(source.cache_path(tile_key), cached);
    assert_eq!(std::fs::read(&cached).expect("cached on disk"), tile);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].starts_with("GET /tiles/12/3423/1763.png "), "{}", requests[0]);
    let user_agent = format!("user-agent: citygrid/{}", env!("CARGO_PKG_VERSION"));
    assert!(requests[0].to_ascii_lowercase().contains(&user_agent), "{}", requests[0]);

    // Again: from the cache, no request. With the server gone: still from the cache.
    assert_eq!(source.read_tile(tile_key).expect("cached"), Some(tile.clone()));
    assert_eq!(server.requests().len(), 1);
    server.stop();
    assert_eq!(source.read_tile(tile_key).expect("cached, server down"), Some(tile.clone()));

    // A tile never cached now fails (the map retries it), naming the server.
    let error = source.read_tile(key(12, 3424, 1763)).expect_err("no server");
    assert!(matches!(error, TileSourceError::Http { .. }), "{error}");
    assert!(error.to_string().contains(&format!("{}/tiles/12/3424/1763.png", server.address)), "{error}");
    // A reopened source (the next run of the app) finds the cache too.
    let reopened = HttpTileSource::new(config(&server, "local", "/tiles/{z}/{x}/{y}.png", cache.path())).expect("source");
    assert_eq!(reopened.read_tile(tile_key).expect("cached"), Some(tile));
    // Zoom levels outside the source's range are never requested.
    assert_eq!(reopened.read_tile(key(19, 0, 0)).expect("out of range"), None);
}

#[test]
fn subdomains_and_tms_rows_are_filled_in_per_tile() {
    let server = TestServer::start(|_| png_reply(png(4, |_, _| GREEN)));
    let cache = tempfile::tempdir().expect("cache dir");
    let mut config = config(&server, "tms", "/{s}/{z}/{x}/{-y}.png", cache.path());
    config.subdomains = vec!["a".into(), "b".into(), "c".into()];
    let source = HttpTileSource::new(config).expect("source");
    for (x, y) in [(0, 0), (1, 0), (2, 0), (3, 1)] {
        source.read_tile(key(2, x, y)).expect("read").expect("a tile");
    }
    let paths: Vec<String> = server.requests().iter().filter_map(|head| head.split_whitespace().nth(1).map(str::to_owned)).collect();
    assert_eq!(paths, ["/a/2/0/3.png", "/b/2/1/3.png", "/c/2/2/3.png", "/b/2/3/2.png"]);
}

#[test]
fn missing_tiles_are_absent_and_a_refused_key_says_so_without_showing_it() {
    let server = TestServer::start(|path| {
        if path.starts_with("/missing/") {
            Reply::Status(404)
        } else if path.starts_with("/empty/") {
            Reply::Status(204)
        } else if path.contains(KEY) {
            png_reply(png(4, |_, _| GREEN))
        } else {
            Reply::Body { status: 403, content_type: "text/plain", body: b"invalid key".to_vec() }
        }
    });
    let cache = tempfile::tempdir().expect("cache dir");
    assert_eq!(source(&server, "missing", "/missing/{z}/{x}/{y}.png", cache.path()).read_tile(key(3, 1, 1)).expect("404"), None);
    assert_eq!(source(&server, "empty", "/empty/{z}/{x}/{y}.png", cache.path()).read_tile(key(3, 1, 1)).expect("204"), None);

    let with_key = |tk: &str| {
        let mut config = config(&server, "keyed", "/keyed/{z}/{x}/{y}.png?tk={key}", cache.path());
        config.key = Some(tk.to_owned());
        HttpTileSource::new(config).expect("source")
    };
    assert!(with_key(KEY).read_tile(key(3, 1, 1)).expect("right key").is_some());
    let wrong = "fedcba9876543210fedcba9876543210";
    let error = with_key(wrong).read_tile(key(3, 1, 2)).expect_err("wrong key");
    assert!(matches!(error, TileSourceError::KeyRefused { status: 403, .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("refused the access key") && message.contains("settings"), "{message}");
    assert!(message.contains("tk=fedc****") && !message.contains(wrong), "the key is masked: {message}");
}

#[test]
fn a_server_error_fails_the_tile_until_the_server_recovers() {
    let failures_left = AtomicUsize::new(2);
    let tile = png(4, |_, _| GREEN);
    let served = tile.clone();
    let server = TestServer::start(move |_| {
        if failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
            Reply::Body { status: 500, content_type: "text/plain", body: b"overloaded".to_vec() }
        } else {
            png_reply(served.clone())
        }
    });
    let cache = tempfile::tempdir().expect("cache dir");
    let source = source(&server, "flaky", "/flaky/{z}/{x}/{y}.png", cache.path());
    for attempt in 1..=2 {
        let error = source.read_tile(key(5, 10, 11)).expect_err("HTTP 500");
        assert!(matches!(error, TileSourceError::Http { .. }) && error.to_string().contains("HTTP 500"), "attempt {attempt}: {error}");
        assert!(!source.cache_path(key(5, 10, 11)).exists(), "a failure is not cached");
    }
    assert_eq!(source.read_tile(key(5, 10, 11)).expect("recovered"), Some(tile));
    assert_eq!(server.hits("/flaky/5/10/11.png"), 3);
}

#[test]
fn a_server_that_does_not_answer_in_time_fails_the_tile() {
    let server = TestServer::start(|_| {
        std::thread::sleep(Duration::from_secs(2));
        Reply::Status(404)
    });
    let cache = tempfile::tempdir().expect("cache dir");
    let mut config = config(&server, "slow", "/slow/{z}/{x}/{y}.png", cache.path());
    config.timeout = Duration::from_millis(300);
    let source = HttpTileSource::new(config).expect("source");
    let started = std::time::Instant::now();
    let error = source.read_tile(key(1, 1, 1)).expect_err("too slow");
    assert!(started.elapsed() < Duration::from_millis(1500), "gave up after {:?}", started.elapsed());
    assert!(matches!(error, TileSourceError::Http { .. }) && error.to_string().contains("timed out"), "{error}");
}

#[test]
fn oversized_answers_are_refused_announced_or_not() {
    let big = vec![0x89; 4 * 1024 * 1024 + 1];
    let server =
        TestServer::start(move |path| if path.starts_with("/declared/") { png_reply(big.clone()) } else { Reply::Unsized(big.clone()) });
    let cache = tempfile::tempdir().expect("cache dir");
    for name in ["declared", "streamed"] {
        let source = source(&server, name, &format!("/{name}/{{z}}/{{x}}/{{y}}.png"), cache.path());
        let error = source.read_tile(key(1, 0, 0)).expect_err("too large");
        assert!(error.to_string().contains("larger than 4 MiB"), "{name}: {error}");
        assert!(!source.cache_path(key(1, 0, 0)).exists(), "{name}: not cached");
    }
}

#[test]
fn an_answer_that_is_not_an_image_is_an_error_quoting_it() {
    let server = TestServer::start(|_| Reply::Body {
        status: 200,
        content_type: "text/xml",
        body: format!("<ExceptionReport><Exception>tk {KEY} has no permission</Exception></ExceptionReport>").into_bytes(),
    });
    let cache = tempfile::tempdir().expect("cache dir");
    let mut config = config(&server, "xml", "/xml/{z}/{x}/{y}?tk={key}", cache.path());
    config.key = Some(KEY.to_owned());
    let source = HttpTileSource::new(config).expect("source");
    let message = source.read_tile(key(2, 1, 1)).expect_err("not an image").to_string();
    assert!(message.contains("text/xml instead of a tile image") && message.contains("has no permission"), "{message}");
    assert!(!message.contains(KEY), "{message}");
}

#[test]
fn a_stale_tile_is_refreshed_and_served_as_it_is_when_the_refresh_fails() {
    // 0: old tiles, 1: new tiles, 2: the tile is gone.
    let mode = Arc::new(AtomicUsize::new(0));
    let (old, new) = (png(4, |_, _| BLUE), png(4, |_, _| GREEN));
    let mut server = {
        let (mode, old, new) = (Arc::clone(&mode), old.clone(), new.clone());
        TestServer::start(move |_| match mode.load(Ordering::SeqCst) {
            0 => png_reply(old.clone()),
            1 => png_reply(new.clone()),
            _ => Reply::Status(404),
        })
    };
    let cache = tempfile::tempdir().expect("cache dir");
    let source = source(&server, "stale", "/stale/{z}/{x}/{y}.png", cache.path());
    let (tile, gone) = (key(9, 400, 200), key(9, 401, 200));
    assert_eq!(source.read_tile(tile).expect("first"), Some(old.clone()));
    assert_eq!(source.read_tile(gone).expect("first"), Some(old.clone()));
    mode.store(1, Ordering::SeqCst);

    // 29 days old: still fresh, no request.
    age(&source.cache_path(tile), 29);
    assert_eq!(source.read_tile(tile).expect("fresh"), Some(old.clone()));
    assert_eq!(server.requests().len(), 2);

    // 31 days old: fetched again, and the cache holds the new tile.
    age(&source.cache_path(tile), 31);
    assert_eq!(source.read_tile(tile).expect("refreshed"), Some(new.clone()));
    assert_eq!(std::fs::read(source.cache_path(tile)).expect("cached"), new);
    assert_eq!(source.read_tile(tile).expect("fresh again"), Some(new.clone()));
    assert_eq!(server.requests().len(), 3);

    // Stale, and the server says the tile no longer exists: absent, and out of the cache.
    mode.store(2, Ordering::SeqCst);
    age(&source.cache_path(gone), 31);
    assert_eq!(source.read_tile(gone).expect("gone"), None);
    assert!(!source.cache_path(gone).exists());

    // Stale, and the server is unreachable: the stale copy.
    age(&source.cache_path(tile), 400);
    server.stop();
    assert_eq!(source.read_tile(tile).expect("stale copy"), Some(new));
}

#[test]
fn labels_are_blended_onto_the_base_and_the_base_alone_is_shown_without_them() {
    let server = TestServer::start(|path| {
        if path.starts_with("/base/") {
            png_reply(png(256, |_, _| BLUE))
        } else if path.starts_with("/labels/3/") {
            // A red label at (10, 10), half-transparent white at (20, 20), clear elsewhere.
            png_reply(png(256, |x, y| match (x, y) {
                (10, 10) => [255, 0, 0, 255],
                (20, 20) => [255, 255, 255, 128],
                _ => [0, 0, 0, 0],
            }))
        } else if path.starts_with("/labels/4/") {
            Reply::Status(500)
        } else {
            Reply::Status(404)
        }
    });
    let cache = tempfile::tempdir().expect("cache dir");
    let base: Arc<dyn TileSource> = Arc::new(source(&server, "base", "/base/{z}/{x}/{y}.png", cache.path()));
    let labels: Arc<dyn TileSource> = Arc::new(source(&server, "labels", "/labels/{z}/{x}/{y}.png", cache.path()));
    let map = CompositeTileSource::new("labelled", "© test", Arc::clone(&base), labels);
    assert_eq!(map.info().format, TileFormat::Png);
    assert_eq!(map.info().attribution, "© test");

    let blended = map.read_tile(key(3, 6, 3)).expect("read").expect("a tile");
    let image = image::load_from_memory(&blended).expect("a PNG").to_rgba8();
    assert_eq!(image.dimensions(), (256, 256));
    assert_eq!(image.get_pixel(0, 0).0, BLUE);
    assert_eq!(image.get_pixel(10, 10).0, [255, 0, 0, 255]);
    let half = image.get_pixel(20, 20).0;
    assert!(half[0].abs_diff(128) <= 2 && half[1].abs_diff(128) <= 2 && half[2] >= 253 && half[3] >= 253, "{half:?}");

    // Labels failing (zoom 4) or missing (zoom 5): the base tile as the server sent it.
    let plain = base.read_tile(key(4, 6, 3)).expect("base").expect("a tile");
    assert_eq!(map.read_tile(key(4, 6, 3)).expect("labels fail"), Some(plain.clone()));
    assert_eq!(map.read_tile(key(5, 6, 3)).expect("labels missing"), Some(plain));

    // The base failing fails the tile, whatever the labels do.
    let broken_base: Arc<dyn TileSource> = Arc::new(source(&server, "nothing", "/labels/{z}/{x}/{y}.png?base", cache.path()));
    let labels_only: Arc<dyn TileSource> = Arc::new(source(&server, "labels", "/labels/{z}/{x}/{y}.png", cache.path()));
    let map = CompositeTileSource::new("broken", "", broken_base, labels_only);
    assert!(map.read_tile(key(4, 1, 1)).is_err());
}

#[test]
fn bad_templates_are_refused_with_a_clear_message() {
    let cache = tempfile::tempdir().expect("cache dir");
    let bad = HttpSourceConfig::new("bad", "http://127.0.0.1:9/{z}/{x}.png", info(TileFormat::Png), cache.path());
    let message = HttpTileSource::new(bad).expect_err("no {y}").to_string();
    assert!(message.contains("http://127.0.0.1:9/{z}/{x}.png") && message.contains("must contain {z}, {x} and {y}"), "{message}");

    let custom = BasemapChoice::Custom { template: "tiles.example.org/{z}/{x}/{y}.png".into(), attribution: String::new() };
    let message = custom.open(None, cache.path()).expect_err("no scheme").to_string();
    assert!(message.contains("http:// or https://"), "{message}");
}

#[test]
fn basemap_choices_open_offline_files_and_online_servers() {
    let server =
        TestServer::start(|path| if path.starts_with("/custom/0/") { png_reply(png(4, |_, _| GREEN)) } else { Reply::Status(404) });
    let cache = tempfile::tempdir().expect("cache dir");

    let custom = BasemapChoice::Custom { template: server.url("/custom/{z}/{x}/{y}.png"), attribution: "© custom".into() };
    assert!(custom.is_online());
    let source = custom.open(None, cache.path()).expect("custom");
    assert_eq!(source.info().attribution, "© custom");
    assert_eq!(source.read_tile(key(0, 0, 0)).expect("read"), Some(png(4, |_, _| GREEN)));
    assert_eq!(source.read_tile(key(1, 0, 0)).expect("read"), None);

    // An offline folder of tiles goes through the existing opener.
    let folder = tempfile::tempdir().expect("tile folder");
    std::fs::create_dir_all(folder.path().join("0").join("0")).expect("mkdir");
    std::fs::write(folder.path().join("0").join("0").join("0.png"), png(4, |_, _| BLUE)).expect("write tile");
    let offline = BasemapChoice::Offline { path: folder.path().to_owned() };
    assert!(!offline.is_online());
    let source = offline.open(Some(KEY), cache.path()).expect("offline");
    assert_eq!(source.read_tile(key(0, 0, 0)).expect("read"), Some(png(4, |_, _| BLUE)));
    let missing = BasemapChoice::Offline { path: folder.path().join("gone.pmtiles") };
    assert!(missing.open(None, cache.path()).expect_err("missing").to_string().contains("gone.pmtiles"));

    let error = BasemapChoice::TiandituVector.open(None, cache.path()).expect_err("no key");
    assert!(error.to_string().contains("must be entered in settings"), "{error}");
    assert!(BasemapChoice::OpenStreetMap.open(None, cache.path()).expect("osm").info().attribution.contains("OpenStreetMap"));
}
