//! Opening bytes from outside: SQLite files (a GeoPackage being imported, an MBTiles basemap)
//! and images (basemap tiles, case photos) that someone else made, possibly to hurt us.
//!
//! - An SQLite file is opened read-only with `trusted_schema=OFF` (its views and triggers may
//!   not call functions with side effects), SQLite's defensive mode, and a progress handler
//!   that interrupts a statement making no progress for a while (a recursive view that never
//!   ends): the caller pets the [`Watchdog`] at each row it reads, so a long but moving import
//!   is never cut short.
//! - An image is decoded only after its header says its size: too large a side or too many
//!   pixels is refused before a byte of pixels is allocated, and the decoder's allocation is
//!   capped too.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// How long a statement on an untrusted file may go without a row before it is interrupted.
pub const SQLITE_STALL: Duration = Duration::from_secs(10);

/// The stall in force ([`SQLITE_STALL`] unless [`set_sqlite_stall`] changed it), ms.
static STALL_MS: AtomicU64 = AtomicU64::new(10_000);

/// The stall files opened from now on get (the fuzzer shortens it).
pub fn set_sqlite_stall(stall: Duration) {
    STALL_MS.store(u64::try_from(stall.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// The stall in force: [`SQLITE_STALL`] unless [`set_sqlite_stall`] changed it.
#[must_use]
pub fn sqlite_stall() -> Duration {
    Duration::from_millis(STALL_MS.load(Ordering::Relaxed))
}

/// Resets the progress handler's clock: call it at each row read.
#[derive(Debug, Clone)]
pub struct Watchdog {
    started: Instant,
    /// Milliseconds after `started` of the last pet.
    last: Arc<AtomicU64>,
}

impl Watchdog {
    fn new() -> Self {
        Self { started: Instant::now(), last: Arc::new(AtomicU64::new(0)) }
    }

    fn now_ms(started: Instant) -> u64 {
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The reader made progress (a row, a new statement).
    pub fn pet(&self) {
        self.last.store(Self::now_ms(self.started), Ordering::Relaxed);
    }
}

/// An untrusted SQLite file, open read-only and hardened; derefs to its connection.
pub struct UntrustedDb {
    conn: Connection,
    watchdog: Watchdog,
}

impl std::fmt::Debug for UntrustedDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UntrustedDb").finish_non_exhaustive()
    }
}

impl std::ops::Deref for UntrustedDb {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl UntrustedDb {
    /// Opens `path` read-only with `trusted_schema=OFF`, defensive mode, and statements
    /// interrupted after `stall` without a [`Watchdog::pet`].
    ///
    /// # Errors
    /// SQLite's, e.g. not a database.
    pub fn open(path: &Path, stall: Duration) -> rusqlite::Result<Self> {
        let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;")?;
        let watchdog = Watchdog::new();
        let (started, last) = (watchdog.started, Arc::clone(&watchdog.last));
        let stall_ms = u64::try_from(stall.as_millis()).unwrap_or(u64::MAX);
        // Called every 10,000 virtual-machine steps; `true` interrupts the statement.
        conn.progress_handler(10_000, Some(move || Watchdog::now_ms(started).saturating_sub(last.load(Ordering::Relaxed)) > stall_ms))?;
        watchdog.pet();
        Ok(Self { conn, watchdog })
    }

    /// Pets the watchdog (before a statement, at each row).
    pub fn pet(&self) {
        self.watchdog.pet();
    }
}

/// Whether `error` is a statement the watchdog interrupted.
#[must_use]
pub fn was_interrupted(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::OperationInterrupted)
}

/// The most pixels an untrusted image may have (a 4096 × 4096 photo).
pub const MAX_IMAGE_PIXELS: u64 = 4096 * 4096;
/// The largest side an untrusted image may have.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Decodes an untrusted image (PNG, JPEG, WebP…) after checking its size from the header: a
/// side over `max_side` or more than [`MAX_IMAGE_PIXELS`] pixels is refused, saying its size,
/// before its pixels are allocated.
///
/// # Errors
/// Not an image, a broken one, or too large.
pub fn decode_image(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, String> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|error| error.to_string())?;
    let (width, height) = reader.into_dimensions().map_err(|error| error.to_string())?;
    if width == 0 || height == 0 {
        return Err(format!("an empty image ({width}×{height})"));
    }
    if width > max_side || height > max_side || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(format!("{width}×{height} pixels is too large (at most {max_side} a side and {MAX_IMAGE_PIXELS} pixels)"));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|error| error.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    // RGBA8 of the largest image allowed, and some for the decoder's own buffers.
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 * 2);
    reader.limits(limits);
    Ok(reader.decode().map_err(|error| error.to_string())?.to_rgba8())
}

/// A valid 1×1 PNG whose header claims `width` × `height` (with its checksum right), as a
/// hostile file would: no pixel data behind the claim. For tests and the fuzzer's seeds.
#[cfg(any(test, feature = "bench"))]
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbaImage::new(1, 1).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).expect("encode");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbaImage::new(width, height).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).expect("encode");
        bytes
    }

    #[test]
    fn an_image_too_large_is_refused_from_its_header_with_its_size() {
        assert_eq!(decode_image(&png(256, 256), 1024).expect("a tile").dimensions(), (256, 256));
        let wide = decode_image(&png(9000, 1), 1024).expect_err("a 9000×1 tile");
        assert!(wide.contains("9000×1"), "{wide}");
        assert!(decode_image(b"not an image", 1024).is_err());
        // A header claiming 60000×60000 pixels with no pixel data behind it: refused before
        // anything is allocated.
        let refused = decode_image(&png_claiming(60_000, 60_000), MAX_IMAGE_SIDE).expect_err("huge");
        assert!(refused.contains("60000×60000"), "{refused}");
    }

    #[test]
    fn a_view_that_never_ends_is_interrupted() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("hostile.gpkg");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE VIEW forever AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) AS c FROM n;",
        )
        .expect("a hostile view");
        drop(conn);
        let db = UntrustedDb::open(&path, Duration::from_millis(300)).expect("opens");
        let started = Instant::now();
        let error = db.query_row("SELECT c FROM forever", [], |row| row.get::<_, i64>(0)).expect_err("interrupted");
        assert!(was_interrupted(&error), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(db.execute_batch("CREATE TABLE x (a)").is_err(), "read-only");
    }
}
