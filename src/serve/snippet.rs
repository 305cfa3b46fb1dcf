//! The map snippet of a case on a phone: what lies within a couple of hundred metres of it (the
//! grid cells and community boundaries, the streets with their names), as lon/lat the terminal
//! draws as SVG. No tile server is needed, and nothing leaves the centre's network.

use std::sync::Arc;

use axum::extract::{Path, State};
use geo::{BoundingRect as _, Intersects as _};
use serde_json::{Value, json};

use super::auth::Account;
use super::{ApiError, Shared};
use crate::model::{JurisdictionKind, Keyword as _};

/// Half the side of the snippet, in metres.
const REACH_M: f64 = 200.0;

/// The area around `[lon, lat]` as the terminal draws it.
fn around(shared: &Shared, lon: f64, lat: f64) -> Value {
    let dlat = REACH_M / 111_320.0;
    let dlon = REACH_M / (111_320.0 * lat.to_radians().cos().max(0.1));
    let window = geo::Rect::new((lon - dlon, lat - dlat), (lon + dlon, lat + dlat));
    let today = shared.now().date();
    let areas: Vec<Value> = shared
        .district
        .jurisdictions
        .iter()
        .filter(|area| matches!(area.kind, JurisdictionKind::GridCell | JurisdictionKind::Community | JurisdictionKind::Township))
        .filter(|area| area.valid_on(today))
        .filter(|area| area.geometry.bounding_rect().is_some_and(|rect| rect.intersects(&window)))
        .map(|area| {
            let rings: Vec<Vec<[f64; 2]>> = area
                .geometry
                .iter()
                .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
                .map(|ring| ring.coords().map(|coord| [coord.x, coord.y]).collect())
                .collect();
            json!({ "kind": area.kind.keyword(), "name": area.name, "rings": rings })
        })
        .collect();
    let streets: Vec<Value> = shared
        .district
        .streets
        .iter()
        .filter(|street| street.line.bounding_rect().is_some_and(|rect| rect.intersects(&window)))
        .map(|street| json!({ "name": street.name, "class": street.class, "line": street.line.coords().map(|coord| [coord.x, coord.y]).collect::<Vec<_>>() }))
        .collect();
    json!({
        "center": [lon, lat],
        "bounds": [window.min().x, window.min().y, window.max().x, window.max().y],
        "areas": areas,
        "streets": streets,
    })
}

/// `GET /api/v1/cases/{id}/map`.
pub(super) async fn case_map(
    State(shared): State<Arc<Shared>>,
    account: Account,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = account.user;
    shared
        .with_store(move |store, shared| {
            let case = super::cases::visible_case(store, &user, id)?;
            Ok(axum::Json(around(shared, case.location.x(), case.location.y())))
        })
        .await
}

#[derive(serde::Deserialize)]
pub(super) struct Around {
    lon: f64,
    lat: f64,
}

/// `GET /api/v1/map?lon=…&lat=…`: the snippet around a position (the report form's map).
pub(super) async fn map_at(
    State(shared): State<Arc<Shared>>,
    _account: Account,
    axum::extract::Query(at): axum::extract::Query<Around>,
) -> Result<axum::Json<Value>, ApiError> {
    super::reports::check_position(at.lon, at.lat, &shared)?;
    Ok(axum::Json(around(&shared, at.lon, at.lat)))
}
