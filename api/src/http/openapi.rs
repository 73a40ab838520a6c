//! The OpenAPI 3.1 document of the API: its frame here (info, security scheme, the problem
//! schema, tags), its paths from the handlers' annotations as the router registers them
//! (`super::router`), and the responses every operation shares added once, at the end.
//! Served at `GET /api/v1/openapi.json`.

use crate::error::{
    AlreadyClosed, ChatNotVisible, NameTaken, NotThisTokensChat, OverseersOnly, Problem,
    ProblemType,
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
            NameTaken
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
    Bytes::from(serde_json::to_vec(&document).unwrap_or_default())
}

/// The document; public, like the API's shape itself.
pub async fn serve(document: Arc<Bytes>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::clone(&document),
    )
}
