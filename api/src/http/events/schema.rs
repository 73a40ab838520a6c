//! The streams' frames as the OpenAPI document declares them: each SSE event an object of the
//! fields `event`, `id` and `data` (the reading OpenAPI 3.1 tools give a `text/event-stream`
//! schema), with `data` a JSON text whose own schema is its `contentSchema`. Written beside
//! `frames`, which writes them.

use serde_json::{json, Value};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// One SSE event of `GET /events`.
pub struct StaffFrame;

/// One SSE event of `GET /customer/chats/{id}/events`.
pub struct CustomerFrame;

impl PartialSchema for StaffFrame {
    fn schema() -> RefOr<Schema> {
        let board = json!({
            "type": "object",
            "required": ["queues"],
            "properties": {
                "queues": {"type": "array", "items": {"$ref": "#/components/schemas/QueueStatus"}}
            }
        });
        frames([
            logged(),
            unlogged("board", board),
            unlogged("typing", typing()),
            unlogged("resync", json!({"type": "object"})),
        ])
    }
}

impl ToSchema for StaffFrame {}

impl PartialSchema for CustomerFrame {
    fn schema() -> RefOr<Schema> {
        let queue = json!({
            "type": "object",
            "required": ["queue_position", "estimated_wait_seconds"],
            "properties": {
                "queue_position": {"type": ["integer", "null"], "minimum": 1},
                "estimated_wait_seconds": {"type": ["integer", "null"], "minimum": 0}
            }
        });
        frames([
            logged(),
            unlogged("queue", queue),
            unlogged("typing", typing()),
            unlogged("resync", json!({"type": "object"})),
        ])
    }
}

impl ToSchema for CustomerFrame {}

fn frames(kinds: [ObjectBuilder; 4]) -> RefOr<Schema> {
    let mut one_of = OneOfBuilder::new();
    for kind in kinds {
        one_of = one_of.item(kind);
    }
    Schema::OneOf(one_of.build()).into()
}

/// A log event: its type as `event` (`ChatRequested`, `MessageSent`, …), its log position as
/// `id`, and `data` the position, type, aggregate, chat and the event's payload.
fn logged() -> ObjectBuilder {
    let data = json!({
        "type": "object",
        "required": ["position", "type", "aggregate_id", "chat_id", "event"],
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "type": {"type": "string"},
            "aggregate_id": {"type": "string"},
            "chat_id": {"type": ["string", "null"]},
            "event": {"type": "object", "description": "The event's payload, under its type"}
        }
    });
    ObjectBuilder::new()
        .required("event")
        .required("id")
        .required("data")
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z][A-Za-z]*$")),
        )
        .property(
            "id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]+$")),
        )
        .property("data", json_text(data))
}

/// An event that is not in the log: named `name`, without an `id` of its own.
fn unlogged(name: &str, data: Value) -> ObjectBuilder {
    ObjectBuilder::new()
        .required("event")
        .required("data")
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([name])),
        )
        .property("data", json_text(data))
}

fn typing() -> Value {
    json!({
        "type": "object",
        "required": ["chat_id", "side", "typing"],
        "properties": {
            "chat_id": {"type": "string"},
            "side": {"type": "string", "enum": ["agent", "customer"]},
            "name": {"type": "string"},
            "typing": {"type": "boolean"},
            "text": {"type": ["string", "null"]}
        }
    })
}

/// A string holding JSON of the schema `content`.
fn json_text(content: Value) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        // JSON Schema's `contentSchema`, which the builder has no setter for; the extensions
        // are written into the schema object as they are.
        .extensions(Some(Extensions::from_iter([("contentSchema", content)])))
}
