//! Each request's id and trace span.
//!
//! The id is decided once, before anything else runs: the client's `x-request-id` when it sends
//! a usable one (at most 128 characters), else a new UUID v7. It is kept in the request's
//! extensions, where `Origin` reads it for the events the request writes, recorded in the
//! request's span, so every log line of the request can be joined to the audit trail, and
//! returned as `x-request-id` on every response.
//!
//! The span names the path and the query with `access_token` redacted, never the raw URI: the
//! SSE streams take a bearer token there. Each failure is logged once: a 5xx by `ApiError`,
//! which knows its cause; only failures with no response (a body that broke off) by the trace
//! layer.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Duration;
use tower_http::classify::ServerErrorsFailureClass;
use tracing::Span;
use uuid::Uuid;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's request id longer than this is replaced by one of ours.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// This request's id, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    fn decide(request: &Request) -> Self {
        let from_client = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= MAX_CLIENT_REQUEST_ID);
        RequestId(
            from_client
                .map(str::to_string)
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        )
    }
}

/// Decides the request's id and returns it on the response.
pub async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let id = RequestId::decide(&request);
    let header = HeaderValue::from_str(&id.0).ok();
    request.extensions_mut().insert(id);
    let mut response = next.run(request).await;
    if let Some(header) = header {
        response.headers_mut().insert(REQUEST_ID, header);
    }
    response
}

/// The request's span. At INFO, so that the errors logged at the default level carry it.
pub fn span<B>(request: &axum::http::Request<B>) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|RequestId(id)| id.as_str())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        query = tracing::field::Empty,
    );
    if let Some(query) = request.uri().query() {
        span.record("query", redacted(query));
    }
    span
}

/// A query string with the value of every `access_token` replaced.
pub fn redacted(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            let is_token = form_urlencoded::parse(key.as_bytes())
                .next()
                .is_some_and(|(key, _)| key == "access_token");
            if is_token {
                format!("{key}=[redacted]")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Logs what `ApiError` cannot: a response that failed after its status was sent. A 5xx
/// status is not logged here, as `ApiError` already logged it with its cause.
pub fn on_failure(failure: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
    match failure {
        ServerErrorsFailureClass::StatusCode(_) => {}
        ServerErrorsFailureClass::Error(error) => tracing::error!(
            error.cause = %error,
            latency_ms = latency.as_millis(),
            "response failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_query_keeps_everything_but_the_access_token() {
        assert_eq!(
            redacted("last_event_id=7&access_token=secret&x=1"),
            "last_event_id=7&access_token=[redacted]&x=1"
        );
        assert_eq!(
            redacted("access%5Ftoken=secret"),
            "access%5Ftoken=[redacted]"
        );
        assert_eq!(redacted("access_token"), "access_token=[redacted]");
    }
}
