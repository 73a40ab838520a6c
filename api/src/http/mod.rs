//! The HTTP surface: `/api/v1` (REST + SSE), health checks, and the router that joins them.

mod admin;
mod after_chat;
mod attachments;
mod audit;
mod canned;
mod chats;
mod console;
mod constraints;
mod consult;
mod csv;
mod customer;
mod embedded;
mod erasure;
mod events;
mod health;
mod history;
mod left_messages;
mod messages;
mod notes;
mod openapi;
mod presence;
mod reports;
pub mod request_log;
mod roster;
mod routing;
mod session;
mod supervision;
mod typing;
mod views;
mod wrap_up;

pub use events::{CUSTOMER_STREAMS, STAFF_STREAMS};

use crate::auth;
use crate::error::ApiError;
use crate::metrics;
use crate::outage;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

/// Request bodies above this are refused with 413: the longest message (4,000 characters of
/// UTF-8, at most 16 KiB) fits many times over.
const BODY_LIMIT: usize = 64 * 1024;

/// The router and the OpenAPI document, from one list: each `routes!` entry registers the
/// handler at the path and method its `#[utoipa::path]` annotation gives, and adds that
/// annotation to the document, so no route can go undocumented.
pub fn router(state: AppState) -> Router {
    let staff = OpenApiRouter::new()
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(presence::set_mine, roster::my_presence))
        .routes(routes!(roster::queue_agents))
        .routes(routes!(roster::agents))
        .routes(routes!(chats::mine))
        .routes(routes!(admin::create_user, admin::list_users))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::create_queue, chats::queues))
        .routes(routes!(
            admin::configure_queue,
            admin::queue_settings,
            admin::remove_queue
        ))
        .routes(routes!(admin::rename_queue))
        .routes(routes!(admin::add_member))
        .routes(routes!(admin::remove_member))
        .routes(routes!(presence::set_for_agent))
        .routes(routes!(presence::pause_mine))
        .routes(routes!(presence::pause_agent))
        .routes(routes!(admin::create_category, admin::list_categories))
        .routes(routes!(admin::update_category, admin::remove_category))
        .routes(routes!(admin::define_field, admin::list_fields))
        .routes(routes!(admin::order_fields))
        .routes(routes!(admin::remove_field))
        .routes(routes!(admin::list_pause_reasons))
        .routes(routes!(
            admin::define_pause_reason,
            admin::remove_pause_reason
        ))
        .routes(routes!(admin::list_wrap_up_codes))
        .routes(routes!(
            admin::define_wrap_up_code,
            admin::remove_wrap_up_code
        ))
        .routes(routes!(canned::list))
        .routes(routes!(canned::define, canned::remove))
        .routes(routes!(chats::waiting))
        .routes(routes!(supervision::ongoing))
        .routes(routes!(consult::invite))
        .routes(routes!(consult::answer_invitation))
        .routes(routes!(consult::join))
        .routes(routes!(consult::leave))
        .routes(routes!(supervision::take_over))
        .routes(routes!(supervision::hand))
        .routes(routes!(history::history))
        .routes(routes!(history::history_csv))
        .routes(routes!(history::earlier))
        .routes(routes!(chats::detail))
        .routes(routes!(audit::audit))
        .routes(routes!(chats::pickup))
        .routes(routes!(routing::accept))
        .routes(routes!(routing::decline))
        .routes(routes!(routing::requeue))
        .routes(routes!(routing::hand_over))
        .routes(routes!(left_messages::list))
        .routes(routes!(left_messages::answer))
        .routes(routes!(messages::send))
        .routes(routes!(notes::add))
        .routes(routes!(typing::staff_typing))
        .routes(routes!(chats::read))
        .routes(routes!(chats::transfer))
        .routes(routes!(wrap_up::end))
        .routes(routes!(wrap_up::wrap_up))
        .routes(routes!(wrap_up::extend))
        .routes(routes!(wrap_up::finish))
        .routes(routes!(erasure::erase_chat))
        .routes(routes!(erasure::place_hold, erasure::lift_hold))
        .routes(routes!(erasure::erasure_request))
        .routes(routes!(reports::report))
        .routes(routes!(reports::agent_activity))
        .routes(routes!(reports::board_at))
        .routes(taking_query_token(routes!(events::staff_stream)))
        .routes(routes!(attachments::download))
        .merge(uploads(&state, routes!(attachments::send)));
    let customer = OpenApiRouter::new()
        .routes(routes!(customer::widget_config))
        .routes(routes!(customer::start))
        .routes(routes!(left_messages::leave))
        .routes(routes!(customer::status))
        .routes(routes!(customer::send))
        .routes(routes!(typing::customer_typing))
        .routes(routes!(customer::close))
        .routes(routes!(after_chat::rate))
        .routes(routes!(after_chat::request_transcript))
        .routes(routes!(erasure::customer_erase))
        .routes(taking_query_token(routes!(customer::stream)))
        .routes(routes!(attachments::customer_download))
        .merge(uploads(&state, routes!(attachments::customer_send)))
        .layer(widget_cors(&state.widget_origins));
    let api = staff
        .merge(customer)
        .layer(middleware::from_fn_with_state(
            state.breaker.clone(),
            outage::fail_fast,
        ))
        .layer(middleware::from_fn(private_answers));
    let health = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz));
    let (routes, document) = OpenApiRouter::with_openapi(openapi::base())
        .merge(api)
        .merge(health)
        .split_for_parts();
    let document = Arc::new(openapi::finish(document));
    routes
        .route(
            "/api/v1/openapi.json",
            get(move || openapi::serve(document.clone())),
        )
        .merge(console::routes(&state.widget_origins))
        .merge(metrics_here(&state))
        .fallback(|| async { ApiError::NotFound("no such resource".into()) })
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::count_requests,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A body that pauses longer than this is given up, so a client that sends half a
        // request cannot hold a handler (and its connection) open.
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.limits_per_client.body_timeout_seconds,
        )))
        .layer(middleware::from_fn_with_state(
            state.hsts.clone(),
            every_answer,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_log::span)
                .on_failure(request_log::on_failure),
        )
        .layer(middleware::from_fn(request_log::assign_request_id))
        .with_state(state)
}

/// An upload route: its body may be as large as the largest file, plus the multipart framing.
fn uploads(state: &AppState, route: UtoipaMethodRouter<AppState>) -> OpenApiRouter<AppState> {
    let limit = usize::try_from(state.attachments.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(BODY_LIMIT);
    OpenApiRouter::new()
        .routes(route)
        .layer(DefaultBodyLimit::max(limit))
}

/// `/metrics` on the main listener, unless the operator gave it a listener of its own.
fn metrics_here(state: &AppState) -> Router<AppState> {
    if state.metrics_apart {
        Router::new()
    } else {
        Router::new().route("/metrics", get(metrics::serve))
    }
}

/// API answers carry tokens and personal data: no cache (a browser's, a proxy's) keeps them.
async fn private_answers(request: Request, next: middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What every answer says, asset, API or error alike: no browser reads it as anything but the
/// type it says, and, where the operator serves over TLS, browsers come back only over HTTPS.
async fn every_answer(
    axum::extract::State(hsts): axum::extract::State<Option<HeaderValue>>,
    request: Request,
    next: middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    response
}

/// A stream's route, which also takes its token from `?access_token=` (EventSource cannot set
/// headers); no other route does.
fn taking_query_token(
    (schemas, paths, route): UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    let route = route.layer(middleware::from_fn(auth::accept_query_token));
    (schemas, paths, route)
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
