//! Cases from the city platform and tickets from the 12345 hotline (issue 19), under
//! `/exchange/v1`: `POST inbox` takes a message of the documented schema (`docs/EXCHANGE.md`,
//! `docs/exchange.schema.json`) from a client of kind `city` or `hotline` (its API key as a bearer
//! token) and files the case in the intake queue with the other system's number, deadline and
//! caller, once per message id and once per number; `GET photos/{name}` gives that client the
//! photos its outbound messages name. The outbound half is [`super::deliver`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use chrono::NaiveDateTime;
use geo::Point;
use serde::Deserialize;
use serde_json::{Value, json};

use super::reports::{JsonBody, check_position};
use super::{ApiError, Shared};
use crate::model::{CaseLink, CaseSubject, ClientKind, InterfaceClient, ItemKind, SourceChannel, User};
use crate::store::Store;
use crate::workflow::NewCase;

/// The schema every message names.
pub const SCHEMA: &str = "citygrid-exchange/1";
/// Largest inbound message (photos inside, base64).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// The system a client kind exchanges as (case links, the class-code table, the outbox).
#[must_use]
pub fn system_of(kind: ClientKind) -> &'static str {
    match kind {
        ClientKind::Open311 => "open311",
        ClientKind::City => "city",
        ClientKind::Hotline => "12345",
    }
}

/// The client a bearer key belongs to, of kind `city` or `hotline`.
fn exchange_client(store: &Store, headers: &HeaderMap) -> Result<(InterfaceClient, User), ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "缺少或无效的接口密钥",
            "missing or invalid API key (Authorization: Bearer …)",
        )
    };
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(refused)?;
    let (client, user) = store.client_by_key_hash(&crate::store::key_hash(key))?.ok_or_else(refused)?;
    if client.kind == ClientKind::Open311 {
        return Err(ApiError::forbidden("Open311 客户端不能使用数据交换接口", "an Open311 client may not use the exchange"));
    }
    Ok((client, user))
}

/// A message as the other system sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Message {
    schema: String,
    message_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    sent_at: Option<String>,
    case: Incoming,
}

/// The case in a `case.new` or `ticket.new`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Incoming {
    /// The number in the other system (the city's case number, the hotline's ticket number).
    external_id: String,
    /// `part` or `event`: with `class_code`, names a class of the manual when the code table
    /// has no row for the code.
    #[serde(default)]
    subject: Option<String>,
    class_code: String,
    #[serde(default)]
    urgency: Option<String>,
    location: [f64; 2],
    #[serde(default)]
    address: String,
    description: String,
    /// The other system's deadline for the handling (the city) or for its reply (the hotline).
    #[serde(default)]
    deadline_at: Option<String>,
    #[serde(default)]
    reply_due_at: Option<String>,
    /// The caller or reporter, to be told the result (Art. 21).
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    photos: Vec<InlinePhoto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InlinePhoto {
    #[serde(default)]
    name: String,
    /// The JPEG or PNG, base64.
    data: String,
}

/// A W3C date-time with its offset, as China time.
fn w3c(field: &str, text: &str) -> Result<NaiveDateTime, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|moment| crate::calendar::china_from_utc(moment.naive_utc())).map_err(|_| {
        ApiError::bad_request(
            format!("{field} 应为带时区的 W3C 日期时间（如 2026-12-07T09:30:00+08:00），而不是“{text}”"),
            format!("{field} must be a W3C date-time with its offset, such as 2026-12-07T09:30:00+08:00, not {text:?}"),
        )
    })
}

/// `POST /exchange/v1/inbox`: one message, applied once.
pub(super) async fn inbox(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonBody(message): JsonBody<Message>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    if message.schema != SCHEMA {
        return Err(ApiError::bad_request(
            format!("schema 应为 {SCHEMA}，而不是“{}”", message.schema),
            format!("schema must be {SCHEMA}, not {:?}", message.schema),
        ));
    }
    let id_fits = (1..=100).contains(&message.message_id.len()) && !message.message_id.chars().any(char::is_control);
    let external_fits = (1..=64).contains(&message.case.external_id.len()) && !message.case.external_id.chars().any(char::is_control);
    if !id_fits || !external_fits {
        return Err(ApiError::bad_request(
            "message_id 与 external_id 须为 1–100 / 1–64 个可见字符",
            "message_id and external_id: 1–100 and 1–64 printable characters",
        ));
    }
    if let Some(sent) = &message.sent_at {
        w3c("sent_at", sent)?;
    }
    let [lon, lat] = message.case.location;
    check_position(lon, lat, &shared)?;
    let deadline = message.case.deadline_at.as_deref().map(|text| w3c("deadline_at", text)).transpose()?;
    let reply_due = message.case.reply_due_at.as_deref().map(|text| w3c("reply_due_at", text)).transpose()?;
    // Photos are decoded here, checked and kept on the store's threads.
    let mut photos = Vec::new();
    for (index, photo) in message.case.photos.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD.decode(photo.data.trim()).map_err(|error| {
            ApiError::bad_request(
                format!("photos[{index}]（{}）不是 base64：{error}", photo.name),
                format!("photos[{index}] ({}) is not base64: {error}", photo.name),
            )
        })?;
        photos.push(bytes);
    }
    shared
        .with_store(move |store, shared| {
            let (client, user) = exchange_client(store, &headers)?;
            let expected = if client.kind == ClientKind::City { "case.new" } else { "ticket.new" };
            if message.kind != expected {
                return Err(ApiError::bad_request(
                    format!("{} 只能发送 {expected}，而不是“{}”", client.kind.label_zh(), message.kind),
                    format!("a {} client sends {expected}, not {:?}", client.kind.label_en(), message.kind),
                ));
            }
            if let Some(answer) = Store::inbox_answer(store.conn(), client.id, &message.message_id)? {
                return replayed(&answer);
            }
            let system = system_of(client.kind);
            let incoming = &message.case;
            let (kind, class_code) = class_for(store, shared, system, incoming)?;
            let urgency = super::reports::urgency_of(incoming.urgency.as_deref())?;
            let mut kept = Vec::new();
            for bytes in &photos {
                let extension = match image::guess_format(bytes) {
                    Ok(image::ImageFormat::Png) => "png",
                    _ => "jpg",
                };
                kept.push(shared.photos.accept(bytes, extension)?.0);
            }
            let kept = shared.photos.resolve(&kept)?;
            let now = shared.now();
            let location = Point::new(lon, lat);
            let grid_code = shared.grid_code_at(location, now.date());
            let contact = incoming
                .contact
                .as_deref()
                .map(str::trim)
                .filter(|contact| !contact.is_empty())
                .map(|contact| contact.chars().take(200).collect::<String>());
            let new_case = NewCase {
                source: if client.kind == ClientKind::City { SourceChannel::CityPlatform } else { SourceChannel::Hotline12345 },
                subject: if kind == ItemKind::Part { CaseSubject::Part } else { CaseSubject::Event },
                class_code,
                urgency,
                location,
                part_code: None,
                grid_code,
                description: incoming.description.clone(),
                photos: kept,
                reporter_contact: contact.clone(),
                address: incoming.address.clone(),
            };
            store.atomically(|tx| {
                // The same number again under another message id is the same case.
                let answer = if let Some(case_id) = Store::linked_case_id(tx, system, &incoming.external_id)? {
                    let case_no: String = tx
                        .query_row("SELECT case_no FROM cases WHERE fid = ?1", rusqlite::params![case_id], |row| row.get(0))
                        .map_err(|error| ApiError::internal("reading a linked case", &error))?;
                    json!({ "message_id": message.message_id, "accepted": true, "case_no": case_no, "already_filed": true })
                } else {
                    let channel = if client.kind == ClientKind::City { "city" } else { "12345" };
                    let reported = crate::store::through_channel(channel, || shared.workflow.report_case_in(tx, &user, new_case, now))?;
                    let link = CaseLink {
                        case_id: reported.case.id,
                        system: system.to_owned(),
                        external_id: incoming.external_id.clone(),
                        client_id: Some(client.id),
                        contact: contact.unwrap_or_default(),
                        media_url: None,
                        reply_due_at: reply_due.or(deadline),
                        replied_at: None,
                        received_at: now,
                    };
                    Store::link_case(tx, &link)?;
                    json!({
                        "message_id": message.message_id, "accepted": true, "case_no": reported.case.case_no,
                        "possible_duplicates": reported.possible_duplicates.len(),
                    })
                };
                Store::record_inbox(tx, client.id, &message.message_id, &message.kind, now, &answer.to_string())?;
                let mut answer = answer;
                answer["replayed"] = Value::Bool(false);
                Ok((StatusCode::CREATED, axum::Json(answer)))
            })
        })
        .await
}

fn replayed(kept: &str) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let mut answer: Value = serde_json::from_str(kept).map_err(|error| ApiError::internal("a kept answer", &error))?;
    answer["replayed"] = Value::Bool(true);
    Ok((StatusCode::OK, axum::Json(answer)))
}

/// The manual's class a message names: the system's code table first, then (with `subject`)
/// the manual's own code.
fn class_for(store: &Store, shared: &Shared, system: &str, incoming: &Incoming) -> Result<(ItemKind, String), ApiError> {
    let code = incoming.class_code.trim();
    if let Some(mapping) = store.class_codes(system)?.into_iter().find(|mapping| mapping.external_code == code) {
        return Ok((mapping.kind, mapping.class_code));
    }
    let kind = match incoming.subject.as_deref() {
        Some("part") => Some(ItemKind::Part),
        Some("event") => Some(ItemKind::Event),
        _ => None,
    };
    match kind {
        Some(kind) if shared.workflow.manual().entry(kind, code).is_some() => Ok((kind, code.to_owned())),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_class",
            format!("类别代码“{code}”在 {system} 代码表中没有对应，也不是指挥手册的类别：请管理员用 citygrid codes set 对应"),
            format!(
                "class code {code:?} is neither in the {system} code table nor a class of the command manual: map it with `citygrid codes set`"
            ),
        )),
    }
}

/// `GET /exchange/v1/photos/{name}`: a photo an outbound message named, to a city or hotline
/// client (only photos of cases linked to that system).
pub(super) async fn photo(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(name): Path<String>) -> Result<Response, ApiError> {
    if !super::photos::PhotoStore::is_kept_name(&name) {
        return Err(ApiError::not_found("没有这张照片", "no such photo"));
    }
    let wanted = name.clone();
    let linked = shared
        .with_store(move |store, _| {
            let (client, _) = exchange_client(store, &headers)?;
            Ok(store.is_linked_photo(system_of(client.kind), &wanted)?)
        })
        .await?;
    if !linked {
        return Err(ApiError::not_found("没有这张照片", "no such photo"));
    }
    shared.photos.send(&name).await
}

/// What a message says of the kind of a client, for [`super::deliver`].
#[must_use]
pub fn message_type(system: &str) -> &'static str {
    if system == "12345" { "ticket.update" } else { "case.step" }
}
