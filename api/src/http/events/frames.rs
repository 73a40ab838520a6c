//! How an event is written as an SSE frame: its log position as `id`, its type as `event`,
//! everything else (user text included) inside the JSON `data`.

use axum::response::sse::Event;
use samtale_projections::read::QueueStatus;
use samtale_service::live::LiveEvent;
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

pub(super) fn frame(live: &LiveEvent) -> Event {
    // Decoded (decrypted, upcast) once on its way here, for every stream it is sent on.
    let payload = live.event.payload();
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
