//! Signing in from a terminal: a citygrid account's login and password (in the body, never the
//! URL) give a random token; the store keeps only the token's SHA-256, with the account's epoch
//! and an expiry. Every request then names the account by `Authorization: Bearer TOKEN`, and the
//! account is read again each time, so a disabled account or a changed role ends its sessions.
//! Failed sign-ins are limited per login and per address.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::{ApiError, Shared};
use crate::calendar::utc_text_from_local;
use crate::model::{Keyword as _, User};
use crate::store::Store;

/// Failed sign-ins allowed per login, and per address, within [`FAILURE_WINDOW`].
const FAILURES_PER_LOGIN: usize = 5;
const FAILURES_PER_ADDRESS: usize = 20;
const FAILURE_WINDOW: Duration = Duration::from_secs(300);

/// Recent failed sign-ins, per login and per address.
#[derive(Default)]
pub(super) struct SignInLimiter {
    failures: HashMap<String, VecDeque<Instant>>,
}

impl SignInLimiter {
    /// Seconds until `key` may try again, when it has used up its failures.
    fn wait(&mut self, key: &str, allowed: usize, now: Instant) -> Option<u64> {
        let failures = self.failures.get_mut(key)?;
        while failures.front().is_some_and(|at| now.duration_since(*at) > FAILURE_WINDOW) {
            failures.pop_front();
        }
        if failures.len() < allowed {
            return None;
        }
        let oldest = *failures.front()?;
        Some(FAILURE_WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1))
    }

    fn fail(&mut self, key: String, now: Instant) {
        // Bounded memory: an address spraying logins cannot grow the table without end.
        if self.failures.len() > 100_000 {
            self.failures.retain(|_, failures| failures.back().is_some_and(|at| now.duration_since(*at) <= FAILURE_WINDOW));
        }
        self.failures.entry(key).or_default().push_back(now);
    }
}

/// The signed-in account of a request, read again from the store for this request.
pub(super) struct Account {
    pub user: User,
    pub token_hash: String,
}

/// The SHA-256 of a token, as the store keeps it.
fn token_hash(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl FromRequestParts<Arc<Shared>> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let signed_out = || ApiError::new(StatusCode::UNAUTHORIZED, "signed_out", "请先登录", "sign in first");
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .ok_or_else(signed_out)?;
        let hash = token_hash(token);
        shared
            .with_store(move |store, shared| {
                let session = store.terminal_session(&hash, shared.now())?.ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "signed_out",
                        "登录已过期或已退出，请重新登录",
                        "the sign-in expired or ended; sign in again",
                    )
                })?;
                let claimed = Store::user_by_id(store.conn(), session.user_id)?.ok_or_else(signed_out)?;
                let claimed = User { epoch: session.epoch, ..claimed };
                // Disabled, changed (role, unit, password) or made to change its password since.
                let user = Store::acting_user(store.conn(), &claimed)?;
                Ok(Self { user, token_hash: hash })
            })
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct SignIn {
    login: String,
    password: String,
    /// What the terminal calls itself (kept with the session; shown to nobody else).
    #[serde(default)]
    client: String,
    /// A new password (`POST /api/v1/password`): set, then signed in with it. How an account
    /// whose password an administrator set gets its own without a desk.
    #[serde(default)]
    new_password: Option<String>,
}

/// The account as a terminal shows it.
pub(super) fn account_json(user: &User, shared: &Shared) -> Value {
    let unit = user.unit.map(|unit| {
        let label = shared.workflow.unit_label(unit);
        json!({ "id": unit.0, "name": label.name_zh, "name_en": label.name_en })
    });
    json!({
        "login": user.login,
        "name": user.display_name,
        "role": user.role.keyword(),
        "role_name": user.role.label_zh(),
        "unit": unit,
        // Where the report form's map opens without a GPS fix: the middle of the district.
        "district_center": [shared.district.bounds.center().x, shared.district.bounds.center().y],
    })
}

/// `POST /api/v1/password` `{login, password, new_password}`: the account's own change, checked
/// by its current password and limited like a sign-in; answers as a sign-in with the new one.
pub(super) async fn change_password(
    state: State<Arc<Shared>>,
    peer: ConnectInfo<SocketAddr>,
    body: super::reports::JsonBody<SignIn>,
) -> Result<axum::Json<Value>, ApiError> {
    if body.0.new_password.is_none() {
        return Err(ApiError::bad_request("请填写新密码（new_password）", "give the new password (new_password)"));
    }
    sign_in(state, peer, body).await
}

/// `POST /api/v1/session` `{login, password}`.
pub(super) async fn sign_in(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    super::reports::JsonBody(request): super::reports::JsonBody<SignIn>,
) -> Result<axum::Json<Value>, ApiError> {
    let login = request.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 64 || request.password.len() > 256 {
        return Err(ApiError::bad_request("请填写账号和密码", "give a login and a password"));
    }
    let (login_key, address_key) = (format!("login:{login}"), format!("address:{}", peer.ip()));
    {
        let mut limiter = shared.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let wait = limiter.wait(&login_key, FAILURES_PER_LOGIN, now).or_else(|| limiter.wait(&address_key, FAILURES_PER_ADDRESS, now));
        if let Some(seconds) = wait {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("登录失败次数过多，请 {seconds} 秒后再试"),
                format!("too many failed sign-ins; try again in {seconds} s"),
            );
            error.retry_after = Some(seconds);
            return Err(error);
        }
    }
    let limiter_shared = Arc::clone(&shared);
    let answer = shared
        .with_store(move |store, shared| {
            let mut user = store.authenticate(&login, &request.password)?;
            if let Some(new_password) = &request.new_password {
                user = store.set_password(&user, user.id, new_password)?;
            }
            let token = new_token();
            let now = shared.now();
            let expires_at = now + chrono::Duration::from_std(shared.options.session).unwrap_or(chrono::Duration::hours(12));
            let client: String = request.client.chars().take(80).collect();
            store.start_terminal_session(&token_hash(&token), &user, now, expires_at, &client)?;
            Ok(json!({
                "token": token,
                "expires_at": utc_text_from_local(expires_at),
                "must_change_password": user.must_change_password,
                "account": account_json(&user, shared),
            }))
        })
        .await;
    if matches!(&answer, Err(error) if error.code == "wrong_credentials") {
        let mut limiter = limiter_shared.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        limiter.fail(login_key, now);
        limiter.fail(address_key, now);
    }
    answer.map(axum::Json)
}

/// `DELETE /api/v1/session`: the token stops working at once.
pub(super) async fn sign_out(State(shared): State<Arc<Shared>>, account: Account) -> Result<axum::Json<Value>, ApiError> {
    let hash = account.token_hash;
    let ended = shared.with_store(move |store, shared| Ok(store.end_terminal_session(&hash, shared.now())?)).await?;
    Ok(axum::Json(json!({ "signed_out": ended })))
}

/// `GET /api/v1/session`: who this token is.
pub(super) async fn me(State(shared): State<Arc<Shared>>, account: Account) -> axum::Json<Value> {
    axum::Json(json!({ "account": account_json(&account.user, &shared) }))
}
