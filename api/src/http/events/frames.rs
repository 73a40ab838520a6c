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

/// The frame of an event for `audience`: as stored, except that a customer is not told whom
/// else routing considered for their chat (an assignment's `choice`).
pub(super) fn frame_for(audience: &Audience, live: &LiveEvent) -> Event {
    let DomainEvent::Chat(ChatEvent::ChatAssigned {
        choice: Some(_), ..
    }) = &live.event.event
    else {
        return frame(live, live.event.payload());
    };
    if !matches!(audience, Audience::Customer { .. }) {
        return frame(live, live.event.payload());
    }
    let mut payload: serde_json::Value =
        serde_json::from_str(live.event.payload().get()).unwrap_or_default();
    if let Some(assigned) = payload
        .get_mut("ChatAssigned")
        .and_then(serde_json::Value::as_object_mut)
    {
        assigned.remove("choice");
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
