//! Photos from terminals: uploaded as the request body (`image/jpeg` or `image/png`), checked to
//! be the image they say they are (decoded whole, within size limits), and kept once by the
//! SHA-256 of their bytes (`<hash>.jpg`) in the photo folder. A case or a step names them by that
//! name; the case row keeps the file's path, so the desk shows them as it shows its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::Digest as _;

use super::auth::Account;
use super::{ApiError, Shared};
use crate::workflow::Action;

/// Largest photo a terminal may upload (a phone's photo is 2–6 MB).
pub const MAX_PHOTO_BYTES: usize = 12 * 1024 * 1024;
/// Longest side of an uploaded photo, in pixels.
const MAX_PHOTO_SIDE: u32 = 12_000;
/// Most photos one report or step may carry.
const MAX_PHOTOS: usize = 9;

/// The folder photos are kept in, by content hash.
#[derive(Debug, Clone)]
pub struct PhotoStore {
    dir: PathBuf,
}

impl PhotoStore {
    /// Opens (and makes) the folder.
    ///
    /// # Errors
    /// The folder cannot be made.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|error| anyhow::anyhow!("cannot make the photo folder {}: {error}", dir.display()))?;
        let dir = std::path::absolute(dir)?;
        Ok(Self { dir })
    }

    /// Keeps `bytes` (already checked) under their hash; returns the name.
    fn keep(&self, bytes: &[u8], extension: &str) -> std::io::Result<String> {
        let hash: String = sha2::Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect();
        let name = format!("{hash}.{extension}");
        let path = self.dir.join(&name);
        if !path.exists() {
            // Written whole under a temporary name, then renamed: a reader never sees half.
            // Named for this write alone: two terminals may send the same photo at once.
            let partial = self.dir.join(format!(".{name}.{:016x}.partial", rand::random::<u64>()));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, &path)?;
        }
        Ok(name)
    }

    /// Whether `name` is the form this store gives (`<64 hex>.jpg|png`), nothing else.
    pub(super) fn is_kept_name(name: &str) -> bool {
        let Some((hash, extension)) = name.split_once('.') else { return false };
        hash.len() == 64
            && hash.bytes().all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase())
            && matches!(extension, "jpg" | "png")
    }

    /// The name a terminal knows a photo by, when `photo` (a case's photo path) is one of ours.
    #[must_use]
    pub fn public_name(&self, photo: &str) -> Option<String> {
        let path = Path::new(photo);
        let name = path.file_name()?.to_str()?;
        (path.parent() == Some(self.dir.as_path()) && Self::is_kept_name(name)).then(|| name.to_owned())
    }

    /// The paths of the photos `names` (as uploaded), each checked to be one kept here.
    ///
    /// # Errors
    /// Too many photos, or a name that is not a kept photo.
    pub fn resolve(&self, names: &[String]) -> Result<Vec<String>, ApiError> {
        if names.len() > MAX_PHOTOS {
            return Err(ApiError::bad_request(format!("照片最多 {MAX_PHOTOS} 张"), format!("at most {MAX_PHOTOS} photos")));
        }
        names
            .iter()
            .map(|name| {
                let path = self.dir.join(name);
                if Self::is_kept_name(name) && path.is_file() {
                    Ok(path.to_string_lossy().into_owned())
                } else {
                    Err(ApiError::bad_request(
                        format!("照片“{name}”不存在：请先上传照片，再引用上传返回的名称"),
                        format!("photo {name:?} is not known: upload it first and name it as the upload answered"),
                    ))
                }
            })
            .collect()
    }

    /// Checks that `bytes` are the image `extension` says (by their bytes, decoded whole within
    /// the size limits) and keeps them; the name and the image's size. Blocking: run it on the
    /// store's threads.
    ///
    /// # Errors
    /// Bytes of another kind (415), an image that cannot be read (400), a failed write.
    pub(super) fn accept(&self, body: &[u8], extension: &str) -> Result<(String, image::RgbaImage), ApiError> {
        // What the bytes are, not what the header says: a script named .jpg is no photo.
        let actual = image::guess_format(body).ok();
        let expected = if extension == "jpg" { image::ImageFormat::Jpeg } else { image::ImageFormat::Png };
        if actual != Some(expected) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("文件内容不是 {}", if extension == "jpg" { "JPEG" } else { "PNG" }),
                format!("the bytes are not a {} image", if extension == "jpg" { "JPEG" } else { "PNG" }),
            ));
        }
        let image = crate::untrusted::decode_image(body, MAX_PHOTO_SIDE)
            .map_err(|problem| ApiError::bad_request(format!("照片无法读取：{problem}"), format!("the photo cannot be read: {problem}")))?;
        let name = self.keep(body, extension).map_err(|error| ApiError::internal("keeping a photo", &error))?;
        Ok((name, image))
    }

    /// The photo `name` (a kept name, checked by the caller) as a response.
    ///
    /// # Errors
    /// No such photo; the reading thread failed.
    pub(super) async fn send(&self, name: &str) -> Result<Response, ApiError> {
        let path = self.dir.join(name);
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(|error| ApiError::internal("a photo's thread", &error))?
            .map_err(|_| ApiError::not_found("没有这张照片", "no such photo"))?;
        let kind = if name.ends_with(".png") { "image/png" } else { "image/jpeg" };
        Ok(([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "private, max-age=31536000, immutable")], bytes).into_response())
    }

    /// Replaces the names in a step's photos by their paths.
    ///
    /// # Errors
    /// See [`Self::resolve`].
    pub fn resolve_action(&self, action: &mut Action) -> Result<(), ApiError> {
        match action {
            Action::Arrive { photos, .. }
            | Action::AssistReport { photos, .. }
            | Action::Handle { photos, .. }
            | Action::VerifyPass { photos, .. }
            | Action::VerifyFail { photos, .. } => {
                *photos = self.resolve(photos)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// `POST /api/v1/photos` with the photo as the body: `{"photo": "<hash>.jpg", "width", "height"}`.
pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    _account: Account,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let extension = match declared.split(';').next().map(str::trim) {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("照片须为 JPEG 或 PNG（Content-Type: image/jpeg 或 image/png），而不是“{declared}”"),
                format!("a photo is JPEG or PNG (Content-Type image/jpeg or image/png), not {declared:?}"),
            ));
        }
    };
    if body.is_empty() {
        return Err(ApiError::bad_request("照片为空", "the photo is empty"));
    }
    // Decoded on the store's threads: few at once, whatever the number of terminals.
    shared
        .with_store(move |_, shared| {
            let (name, image) = shared.photos.accept(&body, extension)?;
            Ok((
                StatusCode::CREATED,
                axum::Json(json!({ "photo": name, "width": image.width(), "height": image.height(), "bytes": body.len() })),
            ))
        })
        .await
}

/// `GET /api/v1/photos/{name}`: a kept photo, to a signed-in terminal.
pub(super) async fn download(
    State(shared): State<Arc<Shared>>,
    _account: Account,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    if !PhotoStore::is_kept_name(&name) {
        return Err(ApiError::not_found("没有这张照片", "no such photo"));
    }
    shared.photos.send(&name).await
}
