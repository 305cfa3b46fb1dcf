//! A basemap as walkers `Tiles`, for every [`TileSource`]: a local file or folder, or a tile
//! server. Tiles are read (or fetched) and decoded on worker threads, uploaded as textures on the
//! UI thread, kept in a bounded cache, and drawn from the deepest ancestor while a tile is on its
//! way or beyond the source's max zoom (overzoom). A failed tile is retried with back-off. The UI
//! thread never touches the disk or the network.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use egui::{Rect, pos2};
use walkers::{Tile, TileId, TilePiece};

use super::tile_sources::{TileKey, TileSource, TileSourceInfo, overzoom};

/// Decoded tiles kept as textures; at 256 px that is about 64 MB of RGBA at most.
const TEXTURE_CACHE_TILES: usize = 256;
/// Tiles waiting to be read; requests beyond this wait for the next frame.
const QUEUE_LENGTH: usize = 64;
/// Worker threads for a local source: reads are short, two keep the disk busy.
pub const OFFLINE_WORKERS: usize = 2;
/// Worker threads for a tile server: each waits on a round trip (up to the request timeout), so
/// more of them keep a screenful of tiles coming.
pub const ONLINE_WORKERS: usize = 6;

type TileResult = (TileKey, Result<Option<egui::ColorImage>, String>);

/// A basemap read from a local tile file or folder, or fetched from a tile server.
pub struct Basemap {
    info: TileSourceInfo,
    ctx: egui::Context,
    textures: HashMap<TileKey, egui::TextureHandle>,
    /// Least recently used first.
    recency: VecDeque<TileKey>,
    pending: std::collections::HashSet<TileKey>,
    /// Tiles the source does not have: never asked for again.
    absent: std::collections::HashSet<TileKey>,
    /// Tiles that failed to read or decode: when to retry, attempts so far.
    failed: HashMap<TileKey, (Instant, u32)>,
    /// The latest tile failure (e.g. a refused key), until a tile arrives again.
    last_error: Option<String>,
    requests: SyncSender<TileKey>,
    results: Receiver<TileResult>,
}

/// The name this type had while it served only local files.
pub type OfflineBasemap = Basemap;

/// The largest tile side accepted: tiles are 256 or 512 pixels square; anything bigger (a
/// 9000×1 "tile") would be refused by the GPU, so it is refused here, from its header.
pub const MAX_TILE_SIDE: u32 = 1024;

fn decode(bytes: &[u8]) -> Result<egui::ColorImage, String> {
    let image = crate::untrusted::decode_image(bytes, MAX_TILE_SIDE).map_err(|problem| format!("tile image: {problem}"))?;
    let size = [image.width() as usize, image.height() as usize];
    Ok(egui::ColorImage::from_rgba_unmultiplied(size, image.as_flat_samples().as_slice()))
}

impl Basemap {
    /// Starts [`OFFLINE_WORKERS`] worker threads reading from `source`.
    #[must_use]
    pub fn new(source: Arc<dyn TileSource>, ctx: egui::Context) -> Self {
        Self::with_workers(source, ctx, OFFLINE_WORKERS)
    }

    /// Starts `workers` (at least one) worker threads reading from `source`. They stop when the
    /// basemap is dropped and they finish the tile in hand.
    #[must_use]
    pub fn with_workers(source: Arc<dyn TileSource>, ctx: egui::Context, workers: usize) -> Self {
        let info = source.info().clone();
        let (requests, request_receiver) = sync_channel::<TileKey>(QUEUE_LENGTH);
        let (result_sender, results) = sync_channel::<TileResult>(QUEUE_LENGTH * 2);
        let request_receiver = Arc::new(std::sync::Mutex::new(request_receiver));
        for index in 0..workers.max(1) {
            let source = Arc::clone(&source);
            let request_receiver = Arc::clone(&request_receiver);
            let result_sender = result_sender.clone();
            let repaint = ctx.clone();
            let spawned = std::thread::Builder::new().name(format!("citygrid-tiles-{index}")).spawn(move || {
                loop {
                    let key = match request_receiver.lock() {
                        Ok(receiver) => match receiver.recv() {
                            Ok(key) => key,
                            Err(_) => return,
                        },
                        Err(_) => return,
                    };
                    let result = match source.read_tile(key) {
                        Ok(Some(bytes)) => decode(&bytes).map(Some),
                        Ok(None) => Ok(None),
                        Err(error) => Err(error.to_string()),
                    };
                    if result_sender.send((key, result)).is_err() {
                        return;
                    }
                    repaint.request_repaint();
                }
            });
            if let Err(error) = spawned {
                tracing::error!("cannot start a tile reader: {error}");
            }
        }
        Self {
            info,
            ctx,
            textures: HashMap::new(),
            recency: VecDeque::new(),
            pending: std::collections::HashSet::new(),
            absent: std::collections::HashSet::new(),
            failed: HashMap::new(),
            last_error: None,
            requests,
            results,
        }
    }

    /// What the source says about itself (name, attribution, zoom range).
    #[must_use]
    pub fn info(&self) -> &TileSourceInfo {
        &self.info
    }

    /// Whether no tile is waiting to be read.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// The latest tile that failed to come (a server refusing the key, no network, a damaged
    /// tile), until one arrives again.
    #[must_use]
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    fn drain_results(&mut self) {
        while let Ok((key, result)) = self.results.try_recv() {
            self.pending.remove(&key);
            match result {
                Ok(Some(image)) => {
                    let name = format!("basemap/{}/{}/{}", key.zoom, key.x, key.y);
                    let texture = self.ctx.load_texture(name, image, egui::TextureOptions::LINEAR);
                    self.failed.remove(&key);
                    self.last_error = None;
                    self.textures.insert(key, texture);
                    self.recency.push_back(key);
                    while self.textures.len() > TEXTURE_CACHE_TILES {
                        let Some(oldest) = self.recency.pop_front() else { break };
                        self.textures.remove(&oldest);
                    }
                }
                Ok(None) => {
                    self.absent.insert(key);
                }
                Err(error) => {
                    let attempts = self.failed.get(&key).map_or(0, |(_, attempts)| *attempts) + 1;
                    // 1 s, 2 s, 4 s … up to 5 minutes.
                    let wait = Duration::from_secs(1u64 << attempts.min(8)).min(Duration::from_secs(300));
                    tracing::warn!("basemap tile {}/{}/{}: {error}", key.zoom, key.x, key.y);
                    self.failed.insert(key, (Instant::now() + wait, attempts));
                    self.last_error = Some(error);
                }
            }
        }
    }

    fn request(&mut self, key: TileKey) {
        if self.pending.contains(&key) || self.absent.contains(&key) {
            return;
        }
        if let Some((retry_at, _)) = self.failed.get(&key)
            && Instant::now() < *retry_at
        {
            self.ctx.request_repaint_after(retry_at.saturating_duration_since(Instant::now()));
            return;
        }
        match self.requests.try_send(key) {
            Ok(()) => {
                self.pending.insert(key);
            }
            // The queue is full: ask again next frame.
            Err(TrySendError::Full(_)) => self.ctx.request_repaint_after(Duration::from_millis(30)),
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    fn touch(&mut self, key: TileKey) {
        if let Some(position) = self.recency.iter().rposition(|candidate| *candidate == key)
            && position + 1 != self.recency.len()
        {
            self.recency.remove(position);
            self.recency.push_back(key);
        }
    }

    /// The texture for `key`, or the deepest cached ancestor with the part of it covering `key`.
    fn piece(&mut self, key: TileKey, uv: [f32; 4]) -> Option<TilePiece> {
        let mut current = key;
        let mut uv = uv;
        loop {
            if let Some(texture) = self.textures.get(&current).cloned() {
                self.touch(current);
                return Some(TilePiece::new(Tile::Raster(texture), Rect::from_min_max(pos2(uv[0], uv[1]), pos2(uv[2], uv[3]))));
            }
            let parent = current.parent()?;
            // Where `current` sits inside its parent: a quarter, by the low bits of x and y.
            let (quarter_x, quarter_y) = ((current.x & 1) as f32 * 0.5, (current.y & 1) as f32 * 0.5);
            uv = [quarter_x + uv[0] * 0.5, quarter_y + uv[1] * 0.5, quarter_x + uv[2] * 0.5, quarter_y + uv[3] * 0.5];
            current = parent;
        }
    }
}

impl walkers::Tiles for Basemap {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        self.drain_results();
        let key = TileKey::new(tile_id.zoom, tile_id.x, tile_id.y)?;
        if key.zoom < self.info.min_zoom {
            return None;
        }
        let (source_key, uv) = if key.zoom > self.info.max_zoom { overzoom(key, self.info.max_zoom) } else { (key, [0.0, 0.0, 1.0, 1.0]) };
        if !self.textures.contains_key(&source_key) {
            self.request(source_key);
        }
        self.piece(source_key, uv)
    }

    fn attribution(&self) -> walkers::sources::Attribution {
        // Drawn by the map view itself (walkers wants a 'static string here).
        walkers::sources::Attribution { text: "", url: "", logo_light: None, logo_dark: None }
    }

    fn tile_size(&self) -> u32 {
        self.info.tile_size_px
    }
}
