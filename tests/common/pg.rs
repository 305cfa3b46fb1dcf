//! The PostgreSQL + PostGIS server the tests run against: the cluster the test command started
//! (`CITYGRID_TEST_PG`, scripts/test.sh), else a private one started for this test binary with
//! scripts/pg-cluster.sh and stopped when the binary exits. Each test gets its own database.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The superuser URL of the test server.
pub fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("CITYGRID_TEST_PG") {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster.sh");
        let output = std::process::Command::new(script)
            .args(["start", "--watch", &std::process::id().to_string()])
            .output()
            .expect("scripts/pg-cluster.sh runs");
        assert!(output.status.success(), "starting a test cluster: {}", String::from_utf8_lossy(&output.stderr));
        let exports = String::from_utf8_lossy(&output.stdout);
        exports
            .lines()
            .find_map(|line| line.strip_prefix("export CITYGRID_TEST_PG='").and_then(|rest| rest.strip_suffix('\'')))
            .expect("the script prints the URL")
            .to_owned()
    })
}

/// A new, empty database on the test server with PostGIS enabled; returns its URL and name.
pub fn fresh_database() -> (String, String) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!("citygrid_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = postgres::Client::connect(server(), postgres::NoTls).expect("connects to the test server");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("creates a database");
    let url = format!("{}/{name}", server().rsplit_once('/').expect("a URL with a database").0);
    let mut database = postgres::Client::connect(&url, postgres::NoTls).expect("connects to the new database");
    database.batch_execute("CREATE EXTENSION postgis").expect("PostGIS is installed");
    (url, name)
}

/// The `PG:` connection string GDAL's PostgreSQL driver reads, for `url`.
pub fn gdal_connection(url: &str) -> String {
    let config: postgres::Config = url.parse().expect("a URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let password = config.get_password().map(|bytes| String::from_utf8_lossy(bytes).into_owned()).unwrap_or_default();
    format!(
        "PG:host={host} port={} dbname={} user={} password={password}",
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_dbname().unwrap_or("postgres"),
        config.get_user().unwrap_or("postgres")
    )
}

/// Moves the district at `path` onto the empty database at `url` with `citygrid migrate` as the
/// demo's administrator; panics with the command's message when it fails.
pub fn migrate_demo(path: &std::path::Path, url: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .args(["migrate", "--from"])
        .arg(path)
        .args(["--to", url, "--as", "admin"])
        .env("CITYGRID_AS_PASSWORD", citygrid::demo::DEMO_PASSWORD)
        .output()
        .expect("citygrid runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Which store a suite that runs on both runs on: `CITYGRID_TEST_STORE=server` moves each test's
/// district onto a fresh server database (`citygrid migrate`'s own code) and opens it there;
/// anything else opens the file.
#[must_use]
pub fn on_server() -> bool {
    std::env::var("CITYGRID_TEST_STORE").as_deref() == Ok("server")
}

/// The district at `path` as the suite's store (see [`on_server`]): the file, or the same
/// district moved onto the server and opened as the owner, so the SQL of every step runs there.
pub fn chosen_store(path: &std::path::Path) -> citygrid::store::Store {
    if !on_server() {
        return citygrid::store::Store::open(path).expect("opens the file");
    }
    let admin = {
        let file = citygrid::store::Store::open(path).expect("opens the file");
        file.load_users()
            .expect("users")
            .into_iter()
            .find(|user| user.role == citygrid::model::Role::Administrator)
            .expect("an administrator")
    };
    let (url, _) = fresh_database();
    citygrid::store::pg::move_district(path, &url, &admin, &citygrid::workflow::rules::role_actions(), &mut |_, _| {})
        .expect("the district moves onto the server");
    MOVED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(path.to_owned(), url.clone());
    citygrid::store::Store::connect(&url, None).expect("connects to the server")
}

/// Where a seat of the suite opens the district at `path` (see [`on_server`]): the file, or the
/// server it was moved to, where every account of the demo has its own login with the demo's
/// password, as an administrator gives them (`citygrid user` on a server).
pub fn chosen_location(path: &std::path::Path) -> citygrid::store::Location {
    if !on_server() {
        return citygrid::store::Location::File(path.to_owned());
    }
    if let Some(url) = moved_to(path) {
        return citygrid::store::Location::parse(&url);
    }
    drop(chosen_store(path));
    let url = moved_to(path).expect("just moved");
    let mut owner = citygrid::store::pg::PgStore::connect(&url).expect("the owner connects");
    let password = citygrid::demo::DEMO_PASSWORD;
    let logins: Vec<String> = postgres::Client::connect(&url, postgres::NoTls)
        .expect("the owner connects")
        .query("SELECT login FROM users WHERE disabled_at IS NULL", &[])
        .expect("accounts")
        .iter()
        .map(|row| row.get(0))
        .collect();
    for login in &logins {
        owner.set_password(login, password, login, password).expect("a login of its own");
    }
    citygrid::store::Location::parse(&url)
}

/// The district at `path` as the suite checks it after a seat wrote: the file, or its server
/// copy opened as the owner.
pub fn reopen(path: &std::path::Path) -> citygrid::store::Store {
    match moved_to(path) {
        Some(url) => citygrid::store::Store::connect(&url, None).expect("connects to the server"),
        None => citygrid::store::Store::open(path).expect("opens the file"),
    }
}

/// Where [`chosen_store`] moved each file's district.
static MOVED: std::sync::Mutex<std::collections::BTreeMap<std::path::PathBuf, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The server URL the district of `path` was moved to by [`chosen_store`], if it was.
pub fn moved_to(path: &std::path::Path) -> Option<String> {
    MOVED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(path).cloned()
}

/// `--db` for the command line: the file's path, or the server's URL.
pub fn db_arg(location: &citygrid::store::Location) -> std::ffi::OsString {
    match location {
        citygrid::store::Location::File(file) => file.into(),
        citygrid::store::Location::Server { url, .. } => url.into(),
    }
}

/// The suite's district at `path` opened as its owner (see [`on_server`]): the file, or its
/// server copy, moved there by the first call.
pub fn owner_store(path: &std::path::Path) -> citygrid::store::Store {
    if on_server() && moved_to(path).is_none() {
        return chosen_store(path);
    }
    reopen(path)
}

/// Every table of the server database at `url` (PostGIS's own aside), each row's text hashed in
/// order, with the row counts: equal means unchanged content.
pub fn fingerprint(url: &str) -> (Vec<(String, i64)>, u64) {
    use std::hash::{Hash as _, Hasher as _};
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("the owner connects");
    let tables: Vec<String> = client
        .query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' ORDER BY 1", &[])
        .expect("tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut counts = Vec::new();
    for table in tables {
        let row = client
            .query_one(
                &format!("SELECT count(*), coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '') FROM \"{table}\" t"),
                &[],
            )
            .expect("rows");
        row.get::<_, String>(1).hash(&mut hasher);
        counts.push((table, row.get(0)));
    }
    (counts, hasher.finish())
}
