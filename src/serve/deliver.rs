//! Delivering the outbox (issue 19): one thread with its own connection sends every queued
//! message to its system's inbox (the city platform's, the 12345 hotline's), oldest first and in
//! order per case, as JSON of the documented schema (`docs/EXCHANGE.md`), and marks it sent when
//! the other side answered 2xx. A failure is kept with its reason and tried again after 2, 4, 8 …
//! up to 300 seconds; it holds back the later messages of its case only. A message id is the
//! district's code and the outbox row: the same message sent again (after a crash between the
//! answer and the mark) has the same id, for the other side to apply once.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::model::{Case, Keyword as _, Unit, UnitId, User};
use crate::store::{Location, OutboxItem, Store};

/// Another system's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// `city` or `12345`.
    pub system: String,
    /// Where messages are POSTed.
    pub url: String,
    /// The key that system gave the district (sent as a bearer token).
    pub key: String,
}

/// Messages (of different cases) sent at the same time.
const SENT_AT_ONCE: usize = 16;

/// Longest wait between two tries of one message.
const MAX_BACKOFF_SECONDS: i64 = 300;

/// China time as a W3C date-time.
fn w3c(moment: NaiveDateTime) -> String {
    format!("{}+08:00", moment.format("%Y-%m-%dT%H:%M:%S"))
}

/// What the delivery needs to compose messages.
struct Context {
    district: String,
    units: HashMap<UnitId, Unit>,
    users: HashMap<i64, User>,
    photos: super::PhotoStore,
}

/// Starts the delivery thread for `peers` (none: nothing to do).
pub(super) fn start(location: Location, peers: Vec<Peer>, district: String, photos: super::PhotoStore) -> anyhow::Result<()> {
    if peers.is_empty() {
        return Ok(());
    }
    std::thread::Builder::new().name("citygrid-serve-deliver".into()).spawn(move || {
        let client = match reqwest::blocking::Client::builder().timeout(Duration::from_secs(15)).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!("deliver: no HTTP client: {error}");
                return;
            }
        };
        let mut store: Option<Store> = None;
        let mut context: Option<Context> = None;
        loop {
            let busy = match round(&location, &mut store, &mut context, &peers, &client, &district, &photos) {
                Ok(busy) => busy,
                Err(error) => {
                    tracing::warn!("deliver: {error}");
                    store = None;
                    false
                }
            };
            if !busy {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    })?;
    Ok(())
}

/// One round over every peer; whether anything was due.
fn round(
    location: &Location,
    slot: &mut Option<Store>,
    context: &mut Option<Context>,
    peers: &[Peer],
    client: &reqwest::blocking::Client,
    district: &str,
    photos: &super::PhotoStore,
) -> anyhow::Result<bool> {
    if slot.is_none() {
        *slot = Some(location.open()?);
    }
    let Some(store) = slot.as_mut() else { return Ok(false) };
    if context.is_none() {
        *context = Some(Context {
            district: district.to_owned(),
            units: store.load_units()?.into_iter().map(|unit| (unit.id, unit)).collect(),
            users: store.load_users()?.into_iter().map(|user| (user.id, user)).collect(),
            photos: photos.clone(),
        });
    }
    let Some(context) = context.as_mut() else { return Ok(false) };
    let mut busy = false;
    for peer in peers {
        // Real time, whatever the service's clock: back-off is about the network.
        let now = crate::calendar::china_now();
        let due = store.due_messages(&peer.system, now, 200)?;
        busy |= !due.is_empty();
        // Composed in order, then sent a few at a time: a round holds at most one message of a
        // case, so sending them together keeps each case's order.
        let mut composed = Vec::with_capacity(due.len());
        for item in due {
            if !context.users.contains_key(&item.event.actor_user_id.unwrap_or_default()) {
                context.users = store.load_users()?.into_iter().map(|user| (user.id, user)).collect();
            }
            let case = store.load_case(item.case_id)?.ok_or_else(|| anyhow::anyhow!("case {} is missing", item.case_id))?;
            let external = store
                .links_of_case(item.case_id)?
                .into_iter()
                .find(|link| link.system == peer.system)
                .map(|link| link.external_id)
                .unwrap_or_default();
            let message = compose(context, &item, &case, &external, now);
            composed.push((item, message));
        }
        for batch in composed.chunks(SENT_AT_ONCE) {
            let outcomes: Vec<Result<(), String>> = std::thread::scope(|scope| {
                let sending: Vec<_> = batch.iter().map(|(_, message)| scope.spawn(|| send(client, peer, message))).collect();
                sending.into_iter().map(|handle| handle.join().unwrap_or_else(|_| Err("the sending thread panicked".to_owned()))).collect()
            });
            let sent_at = crate::calendar::china_now();
            let records: Vec<_> = batch
                .iter()
                .zip(outcomes)
                .map(|((item, _), outcome)| {
                    let wait = (1_i64 << item.attempts.clamp(0, 9)).saturating_mul(2).min(MAX_BACKOFF_SECONDS);
                    (item.id, outcome.map(|()| sent_at).map_err(|reason| (reason, now + chrono::Duration::seconds(wait))))
                })
                .collect();
            store.record_deliveries(&records)?;
        }
    }
    Ok(busy)
}

/// POSTs one message; `Ok` on a 2xx answer, else why not.
fn send(client: &reqwest::blocking::Client, peer: &Peer, message: &Value) -> Result<(), String> {
    let response =
        client.post(&peer.url).bearer_auth(&peer.key).header("content-type", "application/json").body(message.to_string()).send().map_err(
            |error| {
                // reqwest says "error sending request for url …"; the reason (refused, timed out)
                // is the innermost cause: it goes first, where a narrow column still shows it.
                let mut innermost = None;
                let mut cause = std::error::Error::source(&error);
                while let Some(inner) = cause {
                    innermost = Some(inner.to_string());
                    cause = inner.source();
                }
                match innermost {
                    Some(reason) => format!("{reason} · {error}"),
                    None => error.to_string(),
                }
            },
        )?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        let text: String = response.text().unwrap_or_default().chars().take(300).collect();
        Err(format!("HTTP {}: {text}", status.as_u16()))
    }
}

/// The message for one queued step (see `docs/EXCHANGE.md`).
fn compose(context: &Context, item: &OutboxItem, case: &Case, external_id: &str, now: NaiveDateTime) -> Value {
    let event = &item.event;
    let unit = case.unit.and_then(|unit| context.units.get(&unit)).map(|unit| json!({ "code": unit.code, "name": unit.name_zh }));
    let actor = event.actor_user_id.and_then(|id| context.users.get(&id));
    let photos: Vec<Value> = event.data["photos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|photo| context.photos.public_name(photo))
        .map(|name| {
            let sha256 = name.split('.').next().unwrap_or_default().to_owned();
            json!({ "name": name, "sha256": sha256, "url": format!("/exchange/v1/photos/{name}") })
        })
        .collect();
    let action = <crate::workflow::ActionKind as crate::model::Keyword>::from_keyword(&event.action);
    json!({
        "schema": super::exchange::SCHEMA,
        "message_id": format!("{}-{}-{}", context.district, item.system, item.id),
        "type": super::exchange::message_type(&item.system),
        "sent_at": w3c(now),
        "case": {
            "external_id": external_id,
            "case_no": case.case_no,
            "seq": item.seq,
            "state": case.state.keyword(),
            "state_name": case.state.label_zh(),
            "unit": unit,
            "deadline_at": case.deadline_at.map(w3c),
            "closed_at": case.closed_at.map(w3c),
        },
        "step": {
            "action": event.action,
            "action_name": action.map(|kind| kind.label(true)),
            "at": w3c(event.at),
            "from_state": event.from_state.map(crate::model::Keyword::keyword),
            "to_state": event.to_state.keyword(),
            "actor": actor.map(|user| user.display_name.clone()),
            "actor_role": actor.map(|user| user.role.keyword()),
            "channel": event.data["channel"].as_str().unwrap_or("desk"),
            "data": strip_paths(&event.data),
            "photos": photos,
        },
    })
}

/// The entry's data without file paths (photos go as names and URLs).
fn strip_paths(data: &Value) -> Value {
    let mut data = data.clone();
    if let Some(fields) = data.as_object_mut() {
        fields.remove("photos");
    }
    data
}
