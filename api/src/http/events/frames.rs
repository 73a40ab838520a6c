//! How an event is written as an SSE frame: its log position as `id`, its type as `event`,
//! everything else (user text included) inside the JSON `data`.

use super::audience::Audience;
use axum::response::sse::Event;
use samtale_domain::ChatEvent;
use samtale_projections::read::QueueStatus;
use samtale_projections::DomainEvent;
use samtale_service::live::LiveEvent;
use samtale_service::typing::Typing;
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

/// The `data` of an event's frame. The payload is written out as the text it was stored as,
/// not re-encoded.
#[derive(Serialize)]
struct FrameData<'a> {
    position: i64,
    #[serde(rename = "type")]
    event_type: &'a str,
    aggregate_id: &'a str,
    chat_id: Option<&'a str>,
    event: &'a RawValue,
}

/// What a customer is not told of an event: whom else routing considered for their chat (an
/// assignment's `choice`), and of a hand-over who had it and who moved it (staff's ids).
fn hidden_from_customer(event: &ChatEvent) -> &'static [&'static str] {
    match event {
        ChatEvent::ChatAssigned {
            choice: Some(_), ..
        } => &["choice"],
        ChatEvent::ChatHandedOver { .. } => &["from_agent", "by"],
        ChatEvent::ParticipantJoined { .. } | ChatEvent::ParticipantLeft { .. } => &["by"],
        _ => &[],
    }
}

/// The frame of an event for `audience`: as stored, except for what a customer is not told.
pub(super) fn frame_for(audience: &Audience, live: &LiveEvent) -> Event {
    let hidden = match (&live.event.event, audience) {
        (DomainEvent::Chat(event), Audience::Customer { .. }) => hidden_from_customer(event),
        _ => &[],
    };
    if hidden.is_empty() {
        return frame(live, live.event.payload());
    }
    let mut payload: serde_json::Value =
        serde_json::from_str(live.event.payload().get()).unwrap_or_default();
    if let Some(fields) = payload
        .get_mut(live.event.event_type.as_str())
        .and_then(serde_json::Value::as_object_mut)
    {
        for field in hidden {
            fields.remove(*field);
        }
    }
    match serde_json::value::to_raw_value(&payload) {
        Ok(payload) => frame(live, &payload),
        Err(_) => Event::default().event("resync"),
    }
}

fn frame(live: &LiveEvent, payload: &RawValue) -> Event {
    // Decoded (decrypted, upcast) once on its way here, for every stream it is sent on.
    let data = FrameData {
        position: live.event.position.position,
        event_type: &live.event.event_type,
        aggregate_id: &live.event.aggregate_id,
        chat_id: live.scope.chat_id.as_deref(),
        event: payload,
    };
    Event::default()
        .id(live.event.position.position.to_string())
        .event(live.event.event_type.as_str())
        .json_data(data)
        // Only a serializer error lands here, and these fields have none; were it to happen,
        // a reload is what the client needs.
        .unwrap_or_else(|_| Event::default().event("resync"))
}

pub(super) fn board_frame(board: &[QueueStatus]) -> Event {
    Event::default()
        .event("board")
        .data(json!({ "queues": board }).to_string())
}

/// A typing signal: not a log event, so it has no id and a reconnect does not replay it.
pub(super) fn typing_frame(typing: &Typing) -> Event {
    Event::default().event("typing").data(
        json!({
            "chat_id": typing.chat_id,
            "side": typing.side,
            "name": typing.name,
            "typing": typing.typing,
            "text": typing.text,
        })
        .to_string(),
    )
}
