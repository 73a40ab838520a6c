//! Who is calling, from the request: a staff session token or a chat's customer token, in the
//! `Authorization` header (or `?access_token=` on the two streams). What the tokens mean lives
//! in `samtale_service::identity` and `samtale_service::sessions`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use samtale_service::credentials::token_hash;
pub use samtale_service::identity::{Customer, Staff};

/// A token from `?access_token=`, taken only on the routes that `accept_query_token` guards.
#[derive(Clone)]
struct QueryToken(String);

/// Lets a route take its bearer token from `?access_token=`, for browsers' EventSource, which
/// cannot set headers. Only the two SSE streams do: a token in a URL ends up in proxies' and
/// browsers' histories, so nowhere else accepts one (and the request log redacts it).
pub async fn accept_query_token(mut request: Request, next: Next) -> Response {
    let token = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "access_token")
            .map(|(_, token)| token.into_owned())
    });
    if let Some(token) = token {
        request.extensions_mut().insert(QueryToken(token));
    }
    next.run(request).await
}

/// The bearer token of a request: the `Authorization` header, or `?access_token=` where the
/// route accepts it.
fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        return value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
    }
    parts
        .extensions
        .get::<QueryToken>()
        .map(|QueryToken(token)| token.clone())
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        state
            .sessions
            .staff(&token_hash(&token))
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let chat_id = state
            .customer_tokens
            .chat_of(state.db.any(), &token_hash(&token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Customer { chat_id })
    }
}
