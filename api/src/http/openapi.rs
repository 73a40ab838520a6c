//! The OpenAPI 3.1 document of the API: its frame here (info, security scheme, the problem
//! schema, tags), its paths from the handlers' annotations as the router registers them
//! (`super::router`), and the responses every operation shares added once, at the end.
//! Served at `GET /api/v1/openapi.json`.

use crate::error::{
    AlreadyClosed, ChatNotVisible, FileInvalid, FileTooLarge, FileTypeRefused, NameTaken,
    NotThisTokensChat, OverseersOnly, Problem, ProblemType, QueueInUse, ScannerDown,
    UploadIncomplete,
};
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Samtale API",
        version = env!("CARGO_PKG_VERSION"),
        description = "Samtale's contact-centre webchat: staff sign in, work queues and chats; \
            customers start and hold chats from the web widget.\n\n\
            JSON everywhere; ids are UUID strings, times RFC 3339 UTC. Errors are RFC 9457 \
            `application/problem+json` with a stable `type`. Every command accepts an \
            `Idempotency-Key` header: a retry with the same key changes nothing."
    ),
    components(
        schemas(Problem),
        responses(
            Problem,
            ChatNotVisible,
            NotThisTokensChat,
            OverseersOnly,
            AlreadyClosed,
            NameTaken,
            QueueInUse,
            UploadIncomplete,
            FileTooLarge,
            FileTypeRefused,
            FileInvalid,
            ScannerDown
        )
    ),
    modifiers(&BearerAuth, &ProblemTypes),
    tags(
        (name = "auth", description = "Staff sessions"),
        (name = "admin", description = "Users, queues, categories and the pre-chat form"),
        (name = "agent", description = "Presence and work on chats"),
        (name = "customer", description = "The web widget's side of a chat"),
        (name = "events", description = "Server-sent event streams"),
        (name = "supervision", description = "Audit, replay and reports"),
        (name = "privacy", description = "Erasure, erasure requests and legal holds"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

/// `bearer`: a staff session token from `POST /api/v1/auth/login`, or on the customer
/// endpoints the `customer_token` of that chat.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A staff session token from `POST /api/v1/auth/login`, or on the customer \
                 endpoints the chat's `customer_token`.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `Problem.type` lists every problem type, so a client can translate each one.
struct ProblemTypes;

impl Modify for ProblemTypes {
    fn modify(&self, openapi: &mut Document) {
        use utoipa::openapi::{RefOr, Schema};
        let problem = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("Problem"));
        let Some(RefOr::T(Schema::Object(problem))) = problem else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(kind))) = problem.properties.get_mut("type") {
            kind.enum_values = Some(
                ProblemType::ALL
                    .iter()
                    .map(|p| serde_json::Value::from(p.uri()))
                    .collect(),
            );
        }
    }
}

/// The document's frame, before the router adds the paths.
pub fn base() -> Document {
    ApiDoc::openapi()
}

/// The responses every operation shares, declared here rather than in each annotation: a
/// problem 503 for every API operation (the database away), a 401 for every one that needs a
/// token, and a 400 for every one that takes parameters or a body (an id, a query or JSON
/// that does not parse). An annotation that words its own keeps it.
pub fn finish(mut document: Document) -> Bytes {
    options_only_for_select(&mut document);
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            let problem = || RefOr::Ref(Ref::from_response_name("Problem"));
            let takes_input = operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if takes_input {
                responses.entry("400".into()).or_insert_with(problem);
            }
            // A JSON body of the wrong shape (an unknown field, a fraction for an integer) is
            // refused with 422 by every operation that takes one (`extract::ApiJson`).
            if operation.request_body.is_some() {
                responses.entry("422".into()).or_insert_with(problem);
            }
            if operation.security.is_some() {
                responses.entry("401".into()).or_insert_with(problem);
            }
            if path.starts_with("/api/v1/") {
                responses.entry("503".into()).or_insert_with(problem);
            }
        }
    }
    // Serialised once: the document is public and never changes while the server runs.
    let mut document = serde_json::to_value(&document).unwrap_or_default();
    link(&mut document);
    headers_are_never_null(&mut document);
    Bytes::from(serde_json::to_vec(&document).unwrap_or_default())
}

/// A rule between two fields of a form field's definition, which the derive cannot say: a
/// `select` field has one option or more, the other kinds none (`FormField::check`). The
/// definition becomes a `oneOf` of the two, each the derived object with `kind` and `options`
/// narrowed.
fn options_only_for_select(document: &mut Document) {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema};
    let Some(schemas) = document.components.as_mut().map(|c| &mut c.schemas) else {
        return;
    };
    let Some(RefOr::T(Schema::Object(field))) = schemas.get("NewField").cloned() else {
        return;
    };
    let Some(RefOr::T(Schema::Array(options))) = field.properties.get("options").cloned() else {
        return;
    };
    let variant = |kinds: &[&str], options: ArrayBuilder| {
        let mut variant = field.clone();
        let kinds = kinds.iter().map(|k| serde_json::json!(k));
        variant.properties.insert(
            "kind".into(),
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .enum_values(Some(kinds))
                .into(),
        );
        variant
            .properties
            .insert("options".into(), options.build().into());
        variant
    };
    let select = variant(
        &["select"],
        ArrayBuilder::from(options.clone()).min_items(Some(1)),
    );
    let mut select = select;
    select.required.push("options".into());
    let others = variant(
        &["text", "email", "phone"],
        ArrayBuilder::from(options).max_items(Some(0)),
    );
    let rule = OneOfBuilder::new().item(select).item(others).build();
    schemas.insert("NewField".into(), RefOr::T(Schema::OneOf(rule)));
}

/// Where an operation's answer leads: from the operation, to an operation, its parameters
/// from the answer (`$response.body#/…`) or the request (`$request.path.…`). The main ways
/// through the API, so a client (or a tester) can follow a chat from its start to its end and
/// a resource from its creation to its removal.
/// A link's parameters: each name and the runtime expression that gives its value.
type Parameters = &'static [(&'static str, &'static str)];

const LINKS: &[(&str, &str, Parameters)] = {
    const QUEUE: Parameters = &[("id", "$response.body#/queue_id")];
    const USER: Parameters = &[("id", "$response.body#/user_id")];
    const CHAT: Parameters = &[("id", "$response.body#/chat_id")];
    const SAME_CHAT: Parameters = &[("id", "$request.path.id")];
    &[
        ("create_queue", "queue_settings", QUEUE),
        ("create_queue", "configure_queue", QUEUE),
        ("create_queue", "queue_agents", QUEUE),
        ("create_queue", "list_wrap_up_codes", QUEUE),
        ("create_user", "update_user", USER),
        ("create_user", "agent_activity", USER),
        (
            "create_user",
            "pause_agent",
            &[("user_id", "$response.body#/user_id")],
        ),
        ("customer_start", "detail", CHAT),
        ("customer_start", "pickup", CHAT),
        ("customer_start", "audit", CHAT),
        ("customer_start", "earlier", CHAT),
        ("customer_start", "transfer", CHAT),
        ("customer_start", "place_hold", CHAT),
        ("pickup", "send", SAME_CHAT),
        ("pickup", "read", SAME_CHAT),
        ("pickup", "staff_typing", SAME_CHAT),
        ("pickup", "add", SAME_CHAT),
        ("pickup", "transfer", SAME_CHAT),
        ("pickup", "requeue", SAME_CHAT),
        ("pickup", "hand", SAME_CHAT),
        ("pickup", "end", SAME_CHAT),
        ("end", "wrap_up", SAME_CHAT),
        ("end", "extend", SAME_CHAT),
        ("end", "finish", SAME_CHAT),
        ("end", "erase_chat", SAME_CHAT),
        ("place_hold", "lift_hold", SAME_CHAT),
        ("leave_message", "answer_left_message", CHAT),
        (
            "define_canned_response",
            "remove_canned_response",
            SAME_CHAT,
        ),
        (
            "define_pause_reason",
            "remove_pause_reason",
            &[("code", "$request.path.code")],
        ),
        (
            "define_wrap_up_code",
            "remove_wrap_up_code",
            &[("id", "$request.path.id"), ("code", "$request.path.code")],
        ),
        (
            "define_field",
            "remove_field",
            &[("key", "$response.body#/key")],
        ),
    ]
};

/// Adds [`LINKS`] to the first success response of each operation they start from. Written
/// into the JSON, not through utoipa's `Link`, which names its fields in snake case
/// (`operation_id`) where OpenAPI has `operationId`.
fn link(document: &mut serde_json::Value) {
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths.values_mut().filter_map(|item| item.as_object_mut()) {
        for operation in operation.values_mut() {
            let Some(from) = operation["operationId"].as_str().map(str::to_string) else {
                continue;
            };
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(|r| r.as_object_mut())
            else {
                continue;
            };
            let Some((_, success)) = responses
                .iter_mut()
                .find(|(status, _)| status.starts_with('2'))
            else {
                continue;
            };
            for (_, to, parameters) in LINKS.iter().filter(|(start, ..)| *start == from) {
                let parameters: serde_json::Map<_, _> = parameters
                    .iter()
                    .map(|(name, value)| ((*name).to_string(), serde_json::json!(value)))
                    .collect();
                success["links"][*to] =
                    serde_json::json!({"operationId": to, "parameters": parameters});
            }
        }
    }
}

/// An optional header is absent or text, never `null`: utoipa writes an `Option` header's type
/// as `[…, "null"]`, which a client would read as "the text `null` will do".
fn headers_are_never_null(document: &mut serde_json::Value) {
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(|p| p.as_array_mut())
        else {
            continue;
        };
        for parameter in parameters.iter_mut().filter(|p| p["in"] == "header") {
            if let Some(types) = parameter["schema"]["type"].as_array_mut() {
                types.retain(|t| t != "null");
            }
        }
    }
}

/// The document; public, like the API's shape itself.
pub async fn serve(document: Arc<Bytes>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::clone(&document),
    )
}
