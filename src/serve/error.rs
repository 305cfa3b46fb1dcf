//! What the service answers when it says no: an HTTP status, a stable code for programs, and
//! the reason in Chinese (`message`, the terminal's language) and English (`message_en`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::{AccessError, AuthError, StoreError};
use crate::workflow::WorkflowError;

/// A refusal or a failure, as the terminal gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, for programs: `wrong_credentials`, `stale_case`, `refused`, `bad_request`…
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
    /// Seconds to wait before trying again (sign-in limits).
    pub retry_after: Option<u64>,
}

impl ApiError {
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { status, code, message_zh: zh.into(), message_en: en.into(), retry_after: None }
    }

    /// Bad input: what and where, in both languages.
    #[must_use]
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }

    #[must_use]
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", zh, en)
    }

    #[must_use]
    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", zh, en)
    }

    /// Something on our side failed: logged in full, told in a line.
    #[must_use]
    pub fn internal(what: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!("serve: {what}: {error}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("服务器内部错误（{what}），请稍后重试"),
            format!("the service failed ({what}); try again later"),
        )
    }

    /// The database cannot be reached or is busy now: the terminal keeps the write and retries.
    #[must_use]
    pub fn unavailable(error: &dyn std::fmt::Display) -> Self {
        tracing::warn!("serve: the database is unavailable: {error}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "数据库暂时无法访问，请稍后重试",
            "the database cannot be reached now; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message_zh, "message_en": self.message_en }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Access(access) => access.into(),
            error if error.is_disconnected() || error.is_busy() => Self::unavailable(&error),
            error => Self::internal("database", &error),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        let code = match error {
            AccessError::SignedOut { .. } | AccessError::Disabled { .. } | AccessError::NoSuchUser(_) => "signed_out",
            AccessError::MustChangePassword { .. } => "password_change_required",
            AccessError::NotAllowed { .. } | AccessError::WouldLockOut => "forbidden",
        };
        let status = if code == "signed_out" { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
        Self::new(status, code, error.message(true), error.message(false))
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::WrongCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "wrong_credentials", error.message(true), error.message(false))
            }
            AuthError::Disabled => Self::new(StatusCode::FORBIDDEN, "disabled", error.message(true), error.message(false)),
            AuthError::Store(store) => store.into(),
            other => Self::bad_request(other.message(true), other.message(false)),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::Store(store) => store.into(),
            WorkflowError::Stale(_) => Self::new(StatusCode::CONFLICT, "stale_case", error.message(true), error.message(false)),
            WorkflowError::NoSuchCase { .. } => Self::not_found(error.message(true), error.message(false)),
            WorkflowError::Refused(_) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", error.message(true), error.message(false)),
        }
    }
}
