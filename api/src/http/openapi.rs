//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations and served
//! at `GET /api/v1/openapi.json`.

use super::{admin, audit, chats, customer, events, health, presence, reports, roster, session};
use crate::error::{Problem, ProblemType};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
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
    paths(
        session::login,
        session::logout,
        session::me,
        presence::set_mine,
        roster::my_presence,
        roster::queue_agents,
        audit::audit,
        reports::report,
        reports::agent_activity,
        reports::board_at,
        presence::set_for_agent,
        admin::create_user,
        admin::list_users,
        admin::update_user,
        admin::create_queue,
        admin::configure_queue,
        admin::add_member,
        admin::remove_member,
        admin::create_category,
        admin::list_categories,
        admin::define_field,
        admin::list_fields,
        admin::remove_field,
        chats::queues,
        chats::mine,
        chats::waiting,
        chats::history,
        chats::detail,
        chats::pickup,
        chats::send,
        chats::read,
        chats::transfer,
        chats::end,
        events::staff_stream,
        customer::widget_config,
        customer::start,
        customer::status,
        customer::send,
        customer::close,
        customer::stream,
        health::healthz,
        health::readyz,
    ),
    components(schemas(Problem), responses(Problem)),
    modifiers(&BearerAuth, &ProblemTypes),
    tags(
        (name = "auth", description = "Staff sessions"),
        (name = "admin", description = "Users, queues, categories and the pre-chat form"),
        (name = "agent", description = "Presence and work on chats"),
        (name = "customer", description = "The web widget's side of a chat"),
        (name = "events", description = "Server-sent event streams"),
        (name = "supervision", description = "Audit, replay and reports"),
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

/// The document; public, like the API's shape itself.
pub async fn document() -> Json<Document> {
    Json(ApiDoc::openapi())
}
