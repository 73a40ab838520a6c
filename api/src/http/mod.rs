//! The HTTP surface: `/api/v1` (REST + SSE), health checks, and the router that joins them.

mod admin;
mod audit;
mod chats;
mod console;
mod customer;
mod events;
mod health;
mod openapi;
mod presence;
mod reports;
pub mod request_log;
mod roster;
mod session;
mod views;

use crate::auth;
use crate::error::ApiError;
use crate::outage;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method};
use axum::middleware;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// Request bodies above this are refused with 413: the longest message (4,000 characters of
/// UTF-8, at most 16 KiB) fits many times over.
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let staff = Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/auth/login", post(session::login))
        .route("/auth/logout", post(session::logout))
        .route("/me", get(session::me))
        .route(
            "/me/presence",
            post(presence::set_mine).get(roster::my_presence),
        )
        .route("/queues/{id}/agents", get(roster::queue_agents))
        .route("/me/chats", get(chats::mine))
        .route("/users", post(admin::create_user).get(admin::list_users))
        .route("/users/{id}", patch(admin::update_user))
        .route("/queues", post(admin::create_queue).get(chats::queues))
        .route("/queues/{id}", patch(admin::configure_queue))
        .route("/queues/{id}/members", post(admin::add_member))
        .route(
            "/queues/{id}/members/{user_id}",
            delete(admin::remove_member),
        )
        .route(
            "/queues/{id}/agents/{user_id}/presence",
            post(presence::set_for_agent),
        )
        .route(
            "/categories",
            post(admin::create_category).get(admin::list_categories),
        )
        .route(
            "/form-fields",
            post(admin::define_field).get(admin::list_fields),
        )
        .route("/form-fields/{key}", delete(admin::remove_field))
        .route("/chats/waiting", get(chats::waiting))
        .route("/chats/history", get(chats::history))
        .route("/chats/{id}", get(chats::detail))
        .route("/chats/{id}/audit", get(audit::audit))
        .route("/chats/{id}/pickup", post(chats::pickup))
        .route("/chats/{id}/messages", post(chats::send))
        .route("/chats/{id}/read", post(chats::read))
        .route("/chats/{id}/transfer", post(chats::transfer))
        .route("/chats/{id}/end", post(chats::end))
        .route("/reports/{kind}", get(reports::report))
        .route("/agents/{id}/activity", get(reports::agent_activity))
        .route("/board", get(reports::board_at))
        .route(
            "/events",
            get(events::staff_stream).layer(middleware::from_fn(auth::accept_query_token)),
        );
    let customer = Router::new()
        .route("/widget/config", get(customer::widget_config))
        .route("/customer/chats", post(customer::start))
        .route("/customer/chats/{id}", get(customer::status))
        .route("/customer/chats/{id}/messages", post(customer::send))
        .route("/customer/chats/{id}/close", post(customer::close))
        .route(
            "/customer/chats/{id}/events",
            get(customer::stream).layer(middleware::from_fn(auth::accept_query_token)),
        )
        .layer(widget_cors(&state.widget_origins));
    Router::new()
        .nest(
            "/api/v1",
            staff.merge(customer).layer(middleware::from_fn_with_state(
                state.breaker.clone(),
                outage::fail_fast,
            )),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(console::routes())
        .fallback(|| async { ApiError::NotFound("no such resource".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_log::span)
                .on_failure(request_log::on_failure),
        )
        .layer(middleware::from_fn(request_log::assign_request_id))
        .with_state(state)
}

/// The widget runs on companies' own sites: those origins, and only those, may call the
/// customer API from a browser. Customer tokens travel in a header, never in cookies, so no
/// credentials mode is needed (and a wildcard is never combined with credentials).
fn widget_cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderName::from_static("idempotency-key"),
            axum::http::HeaderName::from_static("last-event-id"),
            request_log::REQUEST_ID,
        ])
        .expose_headers([request_log::REQUEST_ID])
}
