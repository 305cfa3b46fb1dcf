//! Case and dispute photos: someone else's files (a collector's phone, a unit's report), read
//! and decoded off the UI thread with limits (see `untrusted`) and shrunk to thumbnails, so a
//! 100-megapixel or malformed photo costs a thumbnail's memory, never the GPU's texture limit.
//!
//! An egui image loader for `photo://` URIs: [`thumbnail_uri`] makes one from a path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use egui::ColorImage;
use egui::load::{ImageLoadResult, ImageLoader, ImagePoll, LoadError, SizeHint};

const SCHEME: &str = "photo://";
/// Largest photo file read.
pub const MAX_PHOTO_BYTES: u64 = 40 * 1024 * 1024;
/// Longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 480;

/// The URI [`PhotoLoader`] loads `path` from.
#[must_use]
pub fn thumbnail_uri(path: &std::path::Path) -> String {
    format!("{SCHEME}{}", path.display())
}

/// Reads, checks, decodes and shrinks one photo.
///
/// # Errors
/// Missing, too large, not an image, or too many pixels: the message says which.
pub fn load_thumbnail(path: &std::path::Path) -> Result<ColorImage, String> {
    let length = std::fs::metadata(path).map_err(|error| format!("{}: {error}", path.display()))?.len();
    if length > MAX_PHOTO_BYTES {
        return Err(format!("{}: {length} bytes, over the {MAX_PHOTO_BYTES} a photo may have", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let image = crate::untrusted::decode_image(&bytes, crate::untrusted::MAX_IMAGE_SIDE)
        .map_err(|problem| format!("{}: {problem}", path.display()))?;
    let (width, height) = image.dimensions();
    let scale = f64::from(THUMBNAIL_SIDE) / f64::from(width.max(height));
    let image = if scale < 1.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (w, h) = (((f64::from(width) * scale).round() as u32).max(1), ((f64::from(height) * scale).round() as u32).max(1));
        image::imageops::thumbnail(&image, w, h)
    } else {
        image
    };
    let size = [image.width() as usize, image.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, image.as_flat_samples().as_slice()))
}

type Entry = Poll<Result<Arc<ColorImage>, String>>;

/// The `photo://` loader: one thread per photo the first time it is asked for, then the cache.
#[derive(Default)]
pub struct PhotoLoader {
    cache: Arc<Mutex<HashMap<String, Entry>>>,
}

impl PhotoLoader {
    pub const ID: &'static str = "citygrid::PhotoLoader";
}

impl ImageLoader for PhotoLoader {
    fn id(&self) -> &str {
        Self::ID
    }

    fn load(&self, ctx: &egui::Context, uri: &str, _: SizeHint) -> ImageLoadResult {
        let Some(path) = uri.strip_prefix(SCHEME) else { return Err(LoadError::NotSupported) };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.get(uri) {
            Some(Poll::Ready(Ok(image))) => return Ok(ImagePoll::Ready { image: Arc::clone(image) }),
            Some(Poll::Ready(Err(problem))) => return Err(LoadError::Loading(problem.clone())),
            Some(Poll::Pending) => return Ok(ImagePoll::Pending { size: None }),
            None => {}
        }
        cache.insert(uri.to_owned(), Poll::Pending);
        drop(cache);
        let (shared, ctx, uri, path) = (Arc::clone(&self.cache), ctx.clone(), uri.to_owned(), std::path::PathBuf::from(path));
        let spawned = std::thread::Builder::new().name("citygrid-photo".into()).spawn(move || {
            let loaded = load_thumbnail(&path).map(Arc::new);
            shared.lock().unwrap_or_else(PoisonError::into_inner).insert(uri, Poll::Ready(loaded));
            ctx.request_repaint();
        });
        if let Err(error) = spawned {
            return Err(LoadError::Loading(format!("cannot start a thread to read the photo: {error}")));
        }
        Ok(ImagePoll::Pending { size: None })
    }

    fn forget(&self, uri: &str) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).remove(uri);
    }

    fn forget_all(&self) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn byte_size(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|entry| match entry {
                Poll::Ready(Ok(image)) => image.pixels.len() * 4,
                _ => 0,
            })
            .sum()
    }

    fn has_pending(&self) -> bool {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).values().any(Poll::is_pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_photo_becomes_a_thumbnail_and_a_hostile_one_a_message() {
        let dir = tempfile::tempdir().expect("dir");
        let big = dir.path().join("big.png");
        image::RgbaImage::new(3000, 2000).save(&big).expect("write");
        let thumbnail = load_thumbnail(&big).expect("a thumbnail");
        assert_eq!(thumbnail.size, [480, 320]);
        let hostile = dir.path().join("hostile.png");
        std::fs::write(&hostile, crate::untrusted::png_claiming(50_000, 50_000)).expect("write");
        let refused = load_thumbnail(&hostile).expect_err("refused");
        assert!(refused.contains("50000×50000"), "{refused}");
        assert!(load_thumbnail(&dir.path().join("missing.jpg")).is_err());
    }
}
