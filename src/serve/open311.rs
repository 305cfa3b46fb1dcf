//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2>) for citizen apps and third
//! parties, under `/open311/v2`: the services a citizen may report (the command manual's classes,
//! through the administrator's code table `class_code_map`, system `open311`), a service's
//! definition, new requests (an API key per client; the request enters the intake queue 待受理
//! as a citizen's report, with the new-case dialog's duplicate check), and the requests that came
//! in this way with their status, notes and expected time (the handling deadline). Every answer
//! in JSON or XML by the path's extension, errors in the spec's form (`[{code, description}]`).
//!
//! Only requests made through Open311 are listed: the other channels' reporters did not publish
//! theirs. A reporter's contact is kept for the reply (Art. 21) and never listed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use geo::Point;
use serde_json::{Value, json};

use super::reports::check_position;
use super::{ApiError, Shared};
use crate::model::{Case, CaseLink, CaseState, CaseSubject, ItemKind, JurisdictionKind, SourceChannel, Urgency};
use crate::store::{ClassCodeMapping, LinkedCaseQuery, Store};
use crate::workflow::NewCase;
use crate::workflow::deadline_status;

/// The system name of Open311 in the class-code table and in case links.
pub const SYSTEM: &str = "open311";
/// Most requests one `GET requests` lists (the spec suggests 1000).
const MAX_LISTED: usize = 1000;
/// The spec's default window when no date is given: the last 90 days.
const DEFAULT_DAYS: i64 = 90;
/// Longest description (the spec's limit).
const MAX_DESCRIPTION_CHARS: usize = 4000;

/// JSON or XML, by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `name.json` / `name.xml`.
fn split_format(file: &str) -> Option<(&str, Format)> {
    if let Some(stem) = file.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

/// An answer: the same value as JSON or as the spec's XML (`root` holding `item` elements).
fn answer(format: Format, status: StatusCode, root: &str, item: &str, value: &Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(value.clone())).into_response(),
        Format::Xml => {
            let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            xml_element(&mut text, root, item, value);
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], text).into_response()
        }
    }
}

/// Writes `value` as the element `name`; an array's members are `item` elements (the singular
/// of a list field: `attributes` → `attribute`).
fn xml_element(out: &mut String, name: &str, item: &str, value: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => xml_escape(out, text),
        Value::Array(members) => {
            for member in members {
                xml_element(out, item, item.strip_suffix('s').unwrap_or(item), member);
            }
        }
        Value::Object(fields) => {
            for (field, inner) in fields {
                let singular = field.strip_suffix('s').unwrap_or(field);
                xml_element(out, field, singular, inner);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn xml_escape(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// An error in the spec's form, in the request's format.
fn error(format: Format, error: &ApiError) -> Response {
    let description = format!("{}（{}）", error.message_zh, error.message_en);
    let value = json!([{ "code": error.status.as_u16(), "description": description }]);
    answer(format, error.status, "errors", "error", &value)
}

/// The Open311 routes, to nest under `/open311/v2`.
pub(super) fn routes() -> axum::Router<Arc<Shared>> {
    use axum::routing::get;
    axum::Router::new()
        .route("/services.json", get(|state| services(state, Format::Json)))
        .route("/services.xml", get(|state| services(state, Format::Xml)))
        .route("/services/{file}", get(service_definition))
        .route(
            "/requests.json",
            get(|state, query| list(state, query, Format::Json)).post(|state, request| create(state, request, Format::Json)),
        )
        .route(
            "/requests.xml",
            get(|state, query| list(state, query, Format::Xml)).post(|state, request| create(state, request, Format::Xml)),
        )
        .route("/requests/{file}", get(one))
        .route("/media/{name}", get(media))
        .layer(axum::extract::DefaultBodyLimit::max(2 * super::MAX_PHOTO_BYTES + super::MAX_JSON_BYTES))
        .fallback(|| async { error(Format::Json, &ApiError::not_found("没有这个接口", "no such endpoint")) })
}

/// The command manual's class an Open311 service code names.
fn class_of<'a>(codes: &'a [ClassCodeMapping], service_code: &str) -> Option<&'a ClassCodeMapping> {
    codes.iter().find(|mapping| mapping.external_code == service_code)
}

/// The service code a case's class is listed under (the first mapped to it).
fn service_code_of(codes: &[ClassCodeMapping], case: &Case) -> Option<String> {
    codes
        .iter()
        .find(|mapping| mapping.kind == case.subject.item_kind() && mapping.class_code == case.class_code)
        .map(|mapping| mapping.external_code.clone())
}

/// `GET services`: every class the code table offers, grouped by its major class.
async fn services(State(shared): State<Arc<Shared>>, format: Format) -> Response {
    let codes = match shared.with_store(|store, _| Ok(store.class_codes(SYSTEM)?)).await {
        Ok(codes) => codes,
        Err(failure) => return error(format, &failure),
    };
    let manual = shared.workflow.manual();
    let services: Vec<Value> = codes
        .iter()
        .filter_map(|mapping| {
            let entry = manual.entry(mapping.kind, &mapping.class_code)?;
            let group = manual
                .major_classes
                .iter()
                .find(|major| major.kind == mapping.kind && entry.code.starts_with(&major.code))
                .map_or_else(String::new, |major| major.name_zh.clone());
            Some(json!({
                "service_code": mapping.external_code,
                "service_name": entry.name_zh,
                "description": format!("{}。立案条件：{}", entry.name_en, entry.filing_condition_zh),
                "metadata": false,
                "type": "realtime",
                "keywords": format!("{},{}", if mapping.kind == ItemKind::Part { "部件" } else { "事件" }, entry.name_en),
                "group": group,
            }))
        })
        .collect();
    answer(format, StatusCode::OK, "services", "service", &Value::Array(services))
}

/// `GET services/{code}.json|xml`: the service's definition (no extra attributes are asked).
async fn service_definition(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split_format(&file) else {
        return error(
            Format::Json,
            &ApiError::not_found("没有这个接口（应以 .json 或 .xml 结尾）", "no such endpoint (end it in .json or .xml)"),
        );
    };
    let code = code.to_owned();
    let found = shared.with_store(move |store, _| Ok(class_of(&store.class_codes(SYSTEM)?, &code).cloned())).await;
    match found {
        Ok(Some(mapping)) => {
            let value = json!({ "service_code": mapping.external_code, "attributes": [] });
            answer(format, StatusCode::OK, "service_definition", "attribute", &value)
        }
        Ok(None) => error(format, &unknown_service(&file)),
        Err(failure) => error(format, &failure),
    }
}

fn unknown_service(code: &str) -> ApiError {
    let code = code.trim_end_matches(".json").trim_end_matches(".xml");
    ApiError::not_found(
        format!("没有服务代码“{code}”（见 services.json）"),
        format!("service_code {code:?} was not found (see services.json)"),
    )
}

/// The client a key belongs to, checked against the store; 403 otherwise.
fn client_for_key(store: &Store, key: Option<&str>) -> Result<(crate::model::InterfaceClient, crate::model::User), ApiError> {
    let refused = || ApiError::forbidden("api_key 无效或已停用", "invalid api_key: missing, unknown or revoked");
    let key = key.map(str::trim).filter(|key| !key.is_empty()).ok_or_else(refused)?;
    let (client, user) = store.client_by_key_hash(&crate::store::key_hash(key))?.ok_or_else(refused)?;
    if client.kind != crate::model::ClientKind::Open311 {
        return Err(refused());
    }
    Ok((client, user))
}

/// A `POST requests` as sent: form fields, and a photo when sent as multipart.
struct Posted {
    fields: HashMap<String, String>,
    /// The `media` part: its bytes and the extension its bytes are.
    media: Option<(Vec<u8>, &'static str)>,
}

impl Posted {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|value| value.trim()).filter(|value| !value.is_empty())
    }
}

/// Reads the body: `application/x-www-form-urlencoded`, or `multipart/form-data` with a
/// `media` part (JPEG or PNG, at most [`super::MAX_PHOTO_BYTES`]).
async fn read_posted(request: Request) -> Result<Posted, ApiError> {
    let declared = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("请求过大：照片最多 {} MB", super::MAX_PHOTO_BYTES / (1024 * 1024)),
            format!("the request is too large: media up to {} MB", super::MAX_PHOTO_BYTES / (1024 * 1024)),
        )
    };
    if declared.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|rejection| {
            ApiError::bad_request(
                format!("multipart 内容有误：{}", rejection.body_text()),
                format!("bad multipart body: {}", rejection.body_text()),
            )
        })?;
        let mut posted = Posted { fields: HashMap::new(), media: None };
        // A photo refused (over the limit, not a photo) is read to the end of the body (which may
        // be twice the limit) before the refusal: a client still sending when the service
        // answers and closes would see a broken connection instead of the answer.
        let mut refusal = None;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(problem) if problem.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(problem) => {
                    return Err(ApiError::bad_request(format!("multipart 内容有误：{problem}"), format!("bad multipart body: {problem}")));
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            let bytes = match field.bytes().await {
                Ok(bytes) => bytes,
                Err(problem) if problem.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(problem) => {
                    return Err(ApiError::bad_request(format!("multipart 内容有误：{problem}"), format!("bad multipart body: {problem}")));
                }
            };
            if name == "media" {
                if bytes.len() > super::MAX_PHOTO_BYTES {
                    refusal = Some(too_large());
                    continue;
                }
                let extension = match image::guess_format(&bytes) {
                    Ok(image::ImageFormat::Jpeg) => "jpg",
                    Ok(image::ImageFormat::Png) => "png",
                    _ => {
                        refusal = Some(ApiError::new(
                            StatusCode::UNSUPPORTED_MEDIA_TYPE,
                            "unsupported_media_type",
                            "media 须为 JPEG 或 PNG 照片",
                            "media must be a JPEG or PNG photo",
                        ));
                        continue;
                    }
                };
                posted.media = Some((bytes.to_vec(), extension));
            } else {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::bad_request(format!("字段 {name} 不是 UTF-8 文本"), format!("field {name} is not UTF-8 text"))
                })?;
                posted.fields.insert(name, text);
            }
        }
        match refusal {
            Some(refused) => Err(refused),
            None => Ok(posted),
        }
    } else if declared.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, &()).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(
                    format!("表单内容有误：{}", rejection.body_text()),
                    format!("bad form body: {}", rejection.body_text()),
                )
            }
        })?;
        Ok(Posted { fields: pairs.into_iter().collect(), media: None })
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("请以 application/x-www-form-urlencoded 或 multipart/form-data 提交，而不是“{declared}”"),
            format!("send application/x-www-form-urlencoded or multipart/form-data, not {declared:?}"),
        ))
    }
}

/// A number field, or what is wrong with it.
fn number(posted: &Posted, name: &str) -> Result<Option<f64>, ApiError> {
    posted
        .field(name)
        .map(|text| {
            text.parse::<f64>()
                .map_err(|_| ApiError::bad_request(format!("{name} 不是数字：“{text}”"), format!("{name} is not a number: {text:?}")))
        })
        .transpose()
}

/// `POST requests`: a citizen's report, into the intake queue.
async fn create(State(shared): State<Arc<Shared>>, request: Request, format: Format) -> Response {
    match create_request(shared, request).await {
        Ok(value) => answer(format, StatusCode::CREATED, "service_requests", "request", &value),
        Err(failure) => error(format, &failure),
    }
}

async fn create_request(shared: Arc<Shared>, request: Request) -> Result<Value, ApiError> {
    let posted = read_posted(request).await?;
    check_jurisdiction(&shared, posted.field("jurisdiction_id"))?;
    let service_code =
        posted.field("service_code").ok_or_else(|| ApiError::bad_request("缺少 service_code", "service_code is required"))?.to_owned();
    let (lat, lon) = match (number(&posted, "lat")?, number(&posted, "long")?) {
        (Some(lat), Some(lon)) => (lat, lon),
        _ => {
            return Err(ApiError::bad_request(
                "缺少位置：须提供 lat 和 long（本服务不按 address_string 或 address_id 定位）",
                "a location is required: lat and long (this service does not locate by address_string or address_id)",
            ));
        }
    };
    check_position(lon, lat, &shared)?;
    let description = posted.field("description").unwrap_or_default().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::bad_request(
            format!("description 超过 {MAX_DESCRIPTION_CHARS} 字"),
            format!("description is over {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let media_url = match posted.field("media_url") {
        Some(url) if url.len() <= 1000 && (url.starts_with("https://") || url.starts_with("http://")) => Some(url.to_owned()),
        Some(url) => {
            return Err(ApiError::bad_request(
                format!("media_url 须为 http(s) 链接，最长 1000 字符：“{url}”"),
                format!("media_url must be an http(s) URL of at most 1000 characters: {url:?}"),
            ));
        }
        None => None,
    };
    let contact = ["first_name", "last_name", "phone", "email"]
        .iter()
        .filter_map(|name| posted.field(name))
        .map(|value| value.chars().take(100).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let address = posted.field("address_string").unwrap_or_default().to_owned();
    let key = posted.field("api_key").map(str::to_owned);
    let media = posted.media;
    shared
        .with_store(move |store, shared| {
            let (client, user) = client_for_key(store, key.as_deref())?;
            let codes = store.class_codes(SYSTEM)?;
            let mapping = class_of(&codes, &service_code).ok_or_else(|| {
                let mut refusal = unknown_service(&service_code);
                refusal.status = StatusCode::BAD_REQUEST;
                refusal
            })?;
            let entry = shared.workflow.manual().entry(mapping.kind, &mapping.class_code).ok_or_else(|| unknown_service(&service_code))?;
            let photos = match &media {
                Some((bytes, extension)) => {
                    let (name, _) = shared.photos.accept(bytes, extension)?;
                    shared.photos.resolve(&[name])?
                }
                None => Vec::new(),
            };
            let now = shared.now();
            let location = Point::new(lon, lat);
            let grid_code = shared.grid_code_at(location, now.date());
            let description = if description.is_empty() {
                format!("{}（市民经 {} 上报，未附说明）", entry.name_zh, client.name)
            } else {
                description
            };
            let new_case = NewCase {
                source: SourceChannel::Citizen,
                subject: if mapping.kind == ItemKind::Part { CaseSubject::Part } else { CaseSubject::Event },
                class_code: mapping.class_code.clone(),
                urgency: Urgency::Normal,
                location,
                part_code: None,
                grid_code,
                description,
                photos,
                reporter_contact: (!contact.is_empty()).then(|| contact.clone()),
                address,
            };
            store.atomically(|tx| {
                let reported = crate::store::through_channel(SYSTEM, || shared.workflow.report_case_in(tx, &user, new_case, now))?;
                let link = CaseLink {
                    case_id: reported.case.id,
                    system: SYSTEM.to_owned(),
                    external_id: reported.case.case_no.clone(),
                    client_id: Some(client.id),
                    contact,
                    media_url,
                    reply_due_at: None,
                    replied_at: None,
                    received_at: now,
                };
                Store::link_case(tx, &link)?;
                let notice = match reported.possible_duplicates.len() {
                    0 => "已收到，等待受理".to_owned(),
                    count => format!("已收到，等待受理；附近 50 米内已有同类问题 {count} 件，受理员将一并核实"),
                };
                Ok(json!([{ "service_request_id": reported.case.case_no, "service_notice": notice, "account_id": Value::Null }]))
            })
        })
        .await
}

/// A `jurisdiction_id`, when given, must be this district's code.
fn check_jurisdiction(shared: &Shared, given: Option<&str>) -> Result<(), ApiError> {
    let Some(given) = given else { return Ok(()) };
    let ours: Vec<&str> = shared
        .district
        .jurisdictions
        .iter()
        .filter(|jurisdiction| jurisdiction.kind == JurisdictionKind::District)
        .map(|jurisdiction| jurisdiction.code.as_str())
        .collect();
    if ours.contains(&given) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            format!("jurisdiction_id“{given}”不是本区（本区为 {}）", ours.join("、")),
            format!("jurisdiction_id {given:?} is not this district ({})", ours.join(", ")),
        ))
    }
}

/// A W3C date-time (`2026-12-07T09:30:00+08:00`, `…Z`) or a date, as China time.
fn w3c(name: &str, text: &str) -> Result<NaiveDateTime, ApiError> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Ok(crate::calendar::china_from_utc(moment.naive_utc()));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    Err(ApiError::bad_request(
        format!("{name} 应为 W3C 日期时间（如 2026-12-07T09:30:00+08:00），而不是“{text}”"),
        format!("{name} must be a W3C date-time such as 2026-12-07T09:30:00+08:00, not {text:?}"),
    ))
}

/// China time as a W3C date-time with its offset.
fn w3c_text(moment: NaiveDateTime) -> String {
    format!("{}+08:00", moment.format("%Y-%m-%dT%H:%M:%S"))
}

/// `GET requests`: the Open311 requests the filters select, newest first.
async fn list(State(shared): State<Arc<Shared>>, Query(params): Query<HashMap<String, String>>, format: Format) -> Response {
    match list_requests(&shared, &params).await {
        Ok(value) => answer(format, StatusCode::OK, "service_requests", "request", &value),
        Err(failure) => error(format, &failure),
    }
}

async fn list_requests(shared: &Arc<Shared>, params: &HashMap<String, String>) -> Result<Value, ApiError> {
    let param = |name: &str| params.get(name).map(|value| value.trim()).filter(|value| !value.is_empty());
    check_jurisdiction(shared, param("jurisdiction_id"))?;
    let split = |text: &str| text.split(',').map(str::trim).filter(|part| !part.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let mut query = LinkedCaseQuery { limit: MAX_LISTED, ..LinkedCaseQuery::default() };
    // Ids given: those requests, whatever the other filters say (the spec).
    if let Some(ids) = param("service_request_id") {
        query.case_nos = split(ids);
    } else {
        query.from = param("start_date").map(|text| w3c("start_date", text)).transpose()?;
        query.to = param("end_date").map(|text| w3c("end_date", text)).transpose()?;
        if query.from.is_none() && query.to.is_none() {
            query.from = Some(shared.now() - chrono::Duration::days(DEFAULT_DAYS));
        }
        if let Some(status) = param("status") {
            let wanted = split(status);
            for each in &wanted {
                if each != "open" && each != "closed" {
                    return Err(ApiError::bad_request(
                        format!("status 应为 open 或 closed，而不是“{each}”"),
                        format!("status: open or closed, not {each:?}"),
                    ));
                }
            }
            let (open, closed) = (wanted.iter().any(|each| each == "open"), wanted.iter().any(|each| each == "closed"));
            query.open = if open == closed { None } else { Some(open) };
        }
        query.classes = param("service_code").map(split).unwrap_or_default().into_iter().map(|code| (ItemKind::Part, code)).collect();
    }
    let services = std::mem::take(&mut query.classes);
    shared
        .with_store(move |store, shared| {
            let codes = store.class_codes(SYSTEM)?;
            for (_, code) in &services {
                let mapping = class_of(&codes, code).ok_or_else(|| {
                    let mut refusal = unknown_service(code);
                    refusal.status = StatusCode::BAD_REQUEST;
                    refusal
                })?;
                query.classes.push((mapping.kind, mapping.class_code.clone()));
            }
            let cases = store.linked_cases(SYSTEM, &query)?;
            Ok(Value::Array(cases.iter().map(|(case, link)| request_json(case, link, &codes, shared)).collect()))
        })
        .await
}

/// `GET requests/{id}.json|xml`: one request.
async fn one(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split_format(&file) else {
        return error(
            Format::Json,
            &ApiError::not_found("没有这个接口（应以 .json 或 .xml 结尾）", "no such endpoint (end it in .json or .xml)"),
        );
    };
    let params = HashMap::from([("service_request_id".to_owned(), id.to_owned())]);
    match list_requests(&shared, &params).await {
        Ok(Value::Array(found)) if found.is_empty() => {
            error(format, &ApiError::not_found(format!("没有编号为“{id}”的请求"), format!("no service request {id:?}")))
        }
        Ok(value) => answer(format, StatusCode::OK, "service_requests", "request", &value),
        Err(failure) => error(format, &failure),
    }
}

/// What the public may know of a request.
fn request_json(case: &Case, link: &CaseLink, codes: &[ClassCodeMapping], shared: &Shared) -> Value {
    let entry = shared.workflow.manual().entry(case.subject.item_kind(), &case.class_code);
    let unit = case.unit.map(|unit| shared.workflow.unit_label(unit).name_zh);
    let status = deadline_status(case, shared.workflow.calendar(), shared.now());
    let media = case
        .photos
        .iter()
        .find_map(|photo| shared.photos.public_name(photo))
        .map(|name| format!("/open311/v2/media/{name}"))
        .or_else(|| link.media_url.clone());
    json!({
        "service_request_id": case.case_no,
        "status": if case.state.is_open() { "open" } else { "closed" },
        "status_notes": status_notes(case, unit.as_deref()),
        "service_name": entry.map(|entry| entry.name_zh.clone()),
        "service_code": service_code_of(codes, case),
        "description": case.description,
        "agency_responsible": unit,
        "service_notice": Value::Null,
        "requested_datetime": w3c_text(case.reported_at),
        "updated_datetime": w3c_text(case.state_since.unwrap_or(case.reported_at)),
        "expected_datetime": status.deadline_at.map(w3c_text),
        "address": case.address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": case.location.y(),
        "long": case.location.x(),
        "media_url": media,
    })
}

/// Where the case stands, in the reporter's words.
fn status_notes(case: &Case, unit: Option<&str>) -> String {
    let unit = unit.unwrap_or("责任单位");
    match case.state {
        CaseState::Reported => "已收到，等待受理".to_owned(),
        CaseState::Filed => "已立案，等待派遣".to_owned(),
        CaseState::Rejected => "经核实不予立案".to_owned(),
        CaseState::Cancelled => "已作废".to_owned(),
        CaseState::Dispatched => format!("已派遣至{unit}处置"),
        CaseState::Returned => "指挥中心正在重新确定责任单位".to_owned(),
        CaseState::Handled => format!("{unit}已处置，等待现场核查"),
        CaseState::Verified => "现场核查通过，等待结案".to_owned(),
        CaseState::Closed => "已办结".to_owned(),
        CaseState::Deferred => format!("{unit}申请缓办，已批准"),
        CaseState::Backlog => "暂时无法解决，已列入挂账".to_owned(),
    }
}

/// `GET media/{name}`: a photo of an Open311 request (none other).
async fn media(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    if !super::photos::PhotoStore::is_kept_name(&name) {
        return error(Format::Json, &ApiError::not_found("没有这张照片", "no such photo"));
    }
    let wanted = name.clone();
    let found = shared.with_store(move |store, _| Ok(store.is_linked_photo(SYSTEM, &wanted)?)).await;
    match found {
        Ok(true) => shared.photos.send(&name).await.unwrap_or_else(|failure| error(Format::Json, &failure)),
        Ok(false) => error(Format::Json, &ApiError::not_found("没有这张照片", "no such photo")),
        Err(failure) => error(Format::Json, &failure),
    }
}
