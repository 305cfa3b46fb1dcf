//! The mobile web terminal (`assets/terminal/`: one page, its script and its style, embedded in
//! the binary: nothing is fetched from a CDN, at build time or at run time), and the CORS rule:
//! off unless origins are named (`--cors-origin`), since the terminal is served from here.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Shared;

const INDEX: &str = include_str!("../../assets/terminal/index.html");
const SCRIPT: &str = include_str!("../../assets/terminal/app.js");
const STYLE: &str = include_str!("../../assets/terminal/app.css");

/// What every page of ours says about itself: no framing by others, no sniffing, scripts and
/// styles only from here.
fn page(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(|| async { page("text/html; charset=utf-8", INDEX) }))
        .route("/app.js", get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/app.css", get(|| async { page("text/css; charset=utf-8", STYLE) }))
}

/// CORS for the origins named; none by default (a page elsewhere cannot call the API).
pub(super) async fn cors(allowed: Vec<String>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let permitted = origin.as_ref().filter(|origin| allowed.iter().any(|allowed| allowed == *origin)).cloned();
    if request.method() == Method::OPTIONS && origin.is_some() {
        let Some(origin) = permitted else {
            return super::ApiError::forbidden("不允许来自该来源的跨域请求", "cross-origin requests from this origin are not allowed")
                .into_response();
        };
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(origin) = permitted
        && let Ok(value) = HeaderValue::from_str(&origin)
    {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}
