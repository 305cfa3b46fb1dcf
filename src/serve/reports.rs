//! A collector's reports (class, position from GPS or the map, address, photos, description),
//! the classes a report may name, and what became of the reports an account made. Shared with
//! the steps: the JSON body that answers a malformed request in the API's own form, the
//! device-made request id, and [`once`], which applies a write a single time.

use std::sync::Arc;

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use geo::Point;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Account;
use super::cases::case_json;
use super::{ApiError, Shared};
use crate::calendar::utc_text_from_local;
use crate::model::{CaseSubject, Keyword as _, PartCode, Urgency, User};
use crate::store::{Store, Tx};
use crate::workflow::NewCase;

/// A JSON body; a malformed one is answered in the API's error form, saying what is wrong.
pub(super) struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                let status = rejection.status();
                let text = rejection.body_text();
                let mut error = ApiError::bad_request(format!("请求内容有误：{text}"), format!("bad request body: {text}"));
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    error = ApiError::new(
                        status,
                        "too_large",
                        "请求内容过大",
                        format!("the request body is over {} bytes", super::MAX_JSON_BYTES),
                    );
                } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    error.code = "unsupported_media_type";
                    error.status = status;
                }
                Err(error)
            }
        }
    }
}

/// The id a device gives each write (a UUID or anything of 8–100 letters, digits, `-` and `_`):
/// the same id sent again is the same write.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct RequestId(String);

impl TryFrom<String> for RequestId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let fits = (8..=100).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if fits { Ok(Self(text)) } else { Err("request_id: 8 to 100 letters, digits, '-' or '_'".to_owned()) }
    }
}

/// Applies `write` once for `request_id`: in one transaction with the record of the id and its
/// answer. The same id again (a retry after a lost answer, an offline queue sent twice) gets the
/// first answer back with `"replayed": true` and status 200; the id of another account's write
/// is refused. A write that was refused is not recorded: sent again, it is judged again.
pub(super) fn once(
    store: &mut Store,
    request_id: &RequestId,
    user: &User,
    kind: &'static str,
    now: chrono::NaiveDateTime,
    write: impl FnOnce(&Tx<'_>) -> Result<Value, ApiError>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = request_id.0.as_str();
    store.atomically(|tx| {
        if let Some(kept) = Store::terminal_request(tx, id)? {
            if kept.user_id != user.id || kept.kind != kind {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "request_id_taken",
                    "该请求编号已被另一次提交使用",
                    "this request_id was used by another write",
                ));
            }
            let mut answer: Value = serde_json::from_str(&kept.response).map_err(|error| ApiError::internal("a kept answer", &error))?;
            answer["replayed"] = Value::Bool(true);
            return Ok((StatusCode::OK, axum::Json(answer)));
        }
        let mut answer = write(tx)?;
        answer["request_id"] = Value::String(id.to_owned());
        Store::record_terminal_request(tx, id, user.id, now, kind, &answer.to_string())?;
        answer["replayed"] = Value::Bool(false);
        Ok((StatusCode::CREATED, axum::Json(answer)))
    })
}

/// A position a terminal sent: real WGS84 degrees, in or near the district.
pub(super) fn check_position(lon: f64, lat: f64, shared: &Shared) -> Result<(), ApiError> {
    if !lon.is_finite() || !lat.is_finite() || !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::bad_request(
            format!("位置无效：经度 {lon}、纬度 {lat} 不是 WGS84 坐标"),
            format!("bad position: longitude {lon}, latitude {lat} are not WGS84 degrees"),
        ));
    }
    let bounds = shared.district.bounds;
    if !geo::Intersects::intersects(&bounds, &Point::new(lon, lat)) {
        let (west, east, south, north) = (bounds.min().x, bounds.max().x, bounds.min().y, bounds.max().y);
        return Err(ApiError::bad_request(
            format!("位置不在本区范围内：经度 {lon:.6}、纬度 {lat:.6}（本区约在经度 {west:.2}–{east:.2}、纬度 {south:.2}–{north:.2}）"),
            format!(
                "the position is outside the district: longitude {lon:.6}, latitude {lat:.6} (the district lies within {west:.2}–{east:.2} E, {south:.2}–{north:.2} N)"
            ),
        ));
    }
    Ok(())
}

/// An urgency keyword as sent (`normal` when none).
pub(super) fn urgency_of(text: Option<&str>) -> Result<Urgency, ApiError> {
    match text {
        None | Some("") => Ok(Urgency::Normal),
        Some(text) => <Urgency as crate::model::Keyword>::from_keyword(text)
            .ok_or_else(|| ApiError::bad_request(format!("urgency：没有“{text}”"), format!("urgency: there is no {text:?}"))),
    }
}

/// `GET /api/v1/classes`: what a report may name, from the command manual.
pub(super) async fn classes(State(shared): State<Arc<Shared>>, _account: Account) -> axum::Json<Value> {
    let classes: Vec<Value> = shared
        .workflow
        .manual()
        .entries
        .iter()
        .map(|entry| {
            let subject = if entry.geometry.is_some() { CaseSubject::Part } else { CaseSubject::Event };
            json!({ "subject": subject.keyword(), "code": entry.code, "name": entry.name_zh, "name_en": entry.name_en })
        })
        .collect();
    axum::Json(json!({ "classes": classes }))
}

#[derive(Deserialize)]
pub(super) struct ReportRequest {
    request_id: RequestId,
    subject: String,
    class_code: String,
    #[serde(default)]
    urgency: Option<String>,
    /// WGS84 `[longitude, latitude]`, from the phone's GPS or a tap on the map.
    location: [f64; 2],
    #[serde(default)]
    address: String,
    description: String,
    /// Names the photo upload gave.
    #[serde(default)]
    photos: Vec<String>,
    #[serde(default)]
    part_code: Option<String>,
}

/// `POST /api/v1/reports`: a new case (上报) by the signed-in account, as the desk's report.
pub(super) async fn report(
    State(shared): State<Arc<Shared>>,
    account: Account,
    JsonBody(request): JsonBody<ReportRequest>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let user = account.user;
    let subject = <CaseSubject as crate::model::Keyword>::from_keyword(&request.subject).ok_or_else(|| {
        ApiError::bad_request(
            format!("subject：应为 part 或 event，而不是“{}”", request.subject),
            format!("subject: part or event, not {:?}", request.subject),
        )
    })?;
    let urgency = urgency_of(request.urgency.as_deref())?;
    let [lon, lat] = request.location;
    check_position(lon, lat, &shared)?;
    let part_code = match request.part_code.as_deref().map(str::trim).filter(|code| !code.is_empty()) {
        Some(text) => Some(
            PartCode::parse(text).map_err(|error| ApiError::bad_request(format!("part_code：{error}"), format!("part_code: {error}")))?,
        ),
        None => None,
    };
    let photos = shared.photos.resolve(&request.photos)?;
    shared
        .with_store(move |store, shared| {
            let location = Point::new(lon, lat);
            let today = shared.now().date();
            let grid_code = shared.grid_code_at(location, today);
            let source = crate::workflow::rules::sources_for(user.role).first().copied();
            let new_case = NewCase {
                source: source.unwrap_or(crate::model::SourceChannel::Collector),
                subject,
                class_code: request.class_code.trim().to_owned(),
                urgency,
                location,
                part_code,
                grid_code,
                description: request.description,
                photos,
                reporter_contact: None,
                address: request.address,
            };
            let now = shared.now();
            once(store, &request.request_id, &user, "report", now, |tx| {
                // A post that reports nothing is told so by the workflow, as at the desk.
                if source.is_none() {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "refused",
                        format!("{}不能上报案卷", user.role.label_zh()),
                        format!("a {} does not report cases", user.role.label_en()),
                    ));
                }
                let reported = crate::store::through_channel("terminal", || shared.workflow.report_case_in(tx, &user, new_case, now))?;
                let duplicates: Vec<Value> = reported
                    .possible_duplicates
                    .iter()
                    .map(|duplicate| json!({ "case_no": duplicate.case_no, "distance_m": duplicate.distance_m.round() }))
                    .collect();
                Ok(json!({ "case": case_json(&reported.case, &user, shared), "possible_duplicates": duplicates }))
            })
        })
        .await
}

/// `GET /api/v1/reports`: the account's own reports, newest first, with what became of them.
pub(super) async fn mine(State(shared): State<Arc<Shared>>, account: Account) -> Result<axum::Json<Value>, ApiError> {
    let user = account.user;
    shared
        .with_store(move |store, shared| {
            let cases: Vec<Value> = store.cases_reported_by(user.id, 200)?.iter().map(|case| case_json(case, &user, shared)).collect();
            Ok(axum::Json(json!({ "now": utc_text_from_local(shared.now()), "cases": cases })))
        })
        .await
}
