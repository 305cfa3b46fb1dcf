//! A terminal's cases: the task list (a unit's open cases; a collector's verifications), one
//! case with its timeline and the steps this account may take, and taking a step. Each step
//! goes through `Workflow::apply_in`, the desk's own, marked as made through the terminal, in
//! one transaction with the record of its request id.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Account;
use super::reports::{JsonBody, RequestId, once};
use super::{ApiError, Shared};
use crate::calendar::utc_text_from_local;
use crate::model::{Case, CaseEvent, CaseState, Keyword as _, Role, User};
use crate::workflow::deadline_status;
use crate::workflow::{Action, allowed_actions};

/// Most cases a task list holds.
const TASK_LIMIT: usize = 500;

/// A case as a terminal lists and shows it.
pub(super) fn case_json(case: &Case, user: &User, shared: &Shared) -> Value {
    let now = shared.now();
    let status = deadline_status(case, shared.workflow.calendar(), now);
    let working = status.limit_unit.is_some_and(crate::calendar::LimitUnit::counts_working_time);
    let stage = status.stage.map(|stage| {
        json!({
            "stage": stage.stage.keyword(),
            "name": stage.stage.label_zh(),
            "due_at": utc_text_from_local(stage.due_at),
            "light": light_keyword(stage.light),
            "left_minutes": stage.remaining_minutes(),
            "working_time": stage.limit_unit.counts_working_time(),
        })
    });
    let class = shared.workflow.manual().entry(case.subject.item_kind(), &case.class_code);
    let unit = case.unit.map(|unit| shared.workflow.unit_label(unit).name_zh);
    let actions: Vec<Value> = allowed_actions(&shared.workflow, user, case)
        .into_iter()
        .map(|kind| json!({ "action": kind.keyword(), "name": kind.label(true), "name_en": kind.label(false) }))
        .collect();
    json!({
        "id": case.id,
        "case_no": case.case_no,
        "revision": case.revision,
        "state": case.state.keyword(),
        "state_name": case.state.label_zh(),
        "subject": case.subject.keyword(),
        "class_code": case.class_code,
        "class_name": class.map(|entry| entry.name_zh.clone()),
        "urgency": case.urgency.keyword(),
        "description": case.description,
        "address": case.address,
        "location": [case.location.x(), case.location.y()],
        "photos": case.photos.iter().filter_map(|photo| shared.photos.public_name(photo)).collect::<Vec<_>>(),
        "unit": unit,
        "lead": user.unit.is_some_and(|own| case.unit == Some(own)),
        "reported_at": utc_text_from_local(case.reported_at),
        "deadline_at": status.deadline_at.map(utc_text_from_local),
        "light": status.light.map(light_keyword),
        "left_minutes": status.deadline_at.map(|_| status.allowed_minutes - status.used_minutes),
        "working_time": working,
        "stage": stage,
        "signed": case.signed_at.is_some(),
        "arrived": case.arrived_at.is_some(),
        "urged": case.urge_count,
        "pending_request": case.pending_request.map(|request| request.keyword()),
        "actions": actions,
    })
}

fn light_keyword(light: crate::calendar::DeadlineLight) -> &'static str {
    match light {
        crate::calendar::DeadlineLight::Green => "green",
        crate::calendar::DeadlineLight::Yellow => "yellow",
        crate::calendar::DeadlineLight::Red => "red",
    }
}

fn event_json(event: &CaseEvent, shared: &Shared) -> Value {
    let name = <crate::workflow::ActionKind as crate::model::Keyword>::from_keyword(&event.action)
        .map_or_else(|| event.action.clone(), |kind| kind.label(true).to_owned());
    let text = ["note", "reason", "reasoning"].iter().find_map(|key| event.data.get(*key).and_then(Value::as_str)).unwrap_or_default();
    let photos: Vec<String> = event
        .data
        .get("photos")
        .and_then(Value::as_array)
        .map(|photos| photos.iter().filter_map(Value::as_str).filter_map(|photo| shared.photos.public_name(photo)).collect())
        .unwrap_or_default();
    json!({
        "at": utc_text_from_local(event.at),
        "action": event.action,
        "name": name,
        "by": event.actor_name,
        "text": text,
        "photos": photos,
        "channel": event.data.get("channel").and_then(Value::as_str).unwrap_or("desk"),
    })
}

/// Whether `user` may see `case` from a terminal: a unit operator its unit's cases (lead or
/// assisting), as on the desk and on a server's row-level security; every other post all.
fn may_see(user: &User, case: &Case) -> bool {
    match (user.role, user.unit) {
        (Role::UnitOperator, Some(unit)) => case.involves(unit),
        (Role::UnitOperator, None) => false,
        _ => true,
    }
}

#[derive(Deserialize)]
pub(super) struct TaskQuery {
    /// Only cases in this state (`dispatched`, `handled`…).
    state: Option<String>,
}

/// `GET /api/v1/tasks`: a unit operator's open cases (lead and assisting), a collector's
/// verifications (the cases they reported, and those reported by no collector), most urgent
/// first: red, then yellow, then by time left.
pub(super) async fn tasks(
    State(shared): State<Arc<Shared>>,
    account: Account,
    Query(query): Query<TaskQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let state = match query.state.as_deref() {
        Some(text) => Some(
            <CaseState as crate::model::Keyword>::from_keyword(text)
                .ok_or_else(|| ApiError::bad_request(format!("state：没有状态“{text}”"), format!("state: there is no state {text:?}")))?,
        ),
        None => None,
    };
    let user = account.user;
    shared
        .with_store(move |store, shared| {
            let cases = match (user.role, user.unit) {
                (Role::UnitOperator, Some(unit)) => store.open_cases_of_unit(unit)?,
                (Role::FieldCollector, _) => store.verifications_for(user.id)?,
                _ => {
                    return Err(ApiError::forbidden(
                        "终端任务列表面向责任单位操作员和信息采集员",
                        "the terminal's task list is for unit operators and field collectors",
                    ));
                }
            };
            let mut listed: Vec<Value> = cases
                .iter()
                .filter(|case| state.is_none_or(|state| case.state == state))
                .take(TASK_LIMIT)
                .map(|case| case_json(case, &user, shared))
                .collect();
            listed.sort_by_key(|case| {
                let light = match case["light"].as_str() {
                    Some("red") => 0,
                    Some("yellow") => 1,
                    _ => 2,
                };
                (light, case["left_minutes"].as_i64().unwrap_or(i64::MAX))
            });
            Ok(axum::Json(json!({ "now": utc_text_from_local(shared.now()), "cases": listed })))
        })
        .await
}

/// `GET /api/v1/cases/{id}`: the case, the steps this account may take, its timeline.
pub(super) async fn detail(
    State(shared): State<Arc<Shared>>,
    account: Account,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = account.user;
    shared
        .with_store(move |store, shared| {
            let case = visible_case(store, &user, id)?;
            let timeline: Vec<Value> = store.case_events(id)?.iter().map(|event| event_json(event, shared)).collect();
            let mut shown = case_json(&case, &user, shared);
            shown["timeline"] = Value::Array(timeline);
            Ok(axum::Json(shown))
        })
        .await
}

/// The case `id`, if `user` may see it from a terminal; "no such case" otherwise, the same
/// answer whether it does not exist or is another unit's.
pub(super) fn visible_case(store: &crate::store::Store, user: &User, id: i64) -> Result<Case, ApiError> {
    store.load_case(id)?.filter(|case| may_see(user, case)).ok_or_else(|| no_such_case(id))
}

fn no_such_case(id: i64) -> ApiError {
    ApiError::not_found(format!("没有编号为 {id} 的案卷，或不属于本单位"), format!("no case {id}, or not one of this unit's"))
}

#[derive(Deserialize)]
pub(super) struct StepRequest {
    request_id: RequestId,
    /// The case's revision the terminal showed: a case changed since is refused by name.
    revision: u32,
    action: Action,
}

/// `POST /api/v1/cases/{id}/steps` `{request_id, revision, action: {action: "sign", …}}`: takes
/// the step as the desk does; the same request sent again is answered without a second step.
pub(super) async fn step(
    State(shared): State<Arc<Shared>>,
    account: Account,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<StepRequest>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let user = account.user;
    shared
        .with_store(move |store, shared| {
            // Not even "stale" for a case the account may not see.
            visible_case(store, &user, id)?;
            let mut action = request.action;
            shared.photos.resolve_action(&mut action)?;
            check_arrival(&action, shared)?;
            let now = shared.now();
            once(store, &request.request_id, &user, "step", now, |tx| {
                let case =
                    crate::store::through_channel("terminal", || shared.workflow.apply_in(tx, &user, id, request.revision, &action, now))?;
                Ok(json!({ "case": case_json(&case, &user, shared) }))
            })
        })
        .await
}

/// An arrival's position, when given, is a real one near the district.
fn check_arrival(action: &Action, shared: &Shared) -> Result<(), ApiError> {
    if let Action::Arrive { location: Some([lon, lat]), .. } = action {
        super::reports::check_position(*lon, *lat, shared)?;
    }
    Ok(())
}
