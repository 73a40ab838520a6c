//! Extractors that turn axum's rejections into our problem responses, and the per-request
//! facts every command records (request id, time, idempotency key).

use crate::error::ApiError;
use crate::http::request_log::RequestId;
use crate::state::AppState;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use chrono::Utc;
pub use samtale_service::Origin;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// `Json<T>` whose failures are problem responses: 400 for malformed JSON, 422 for JSON of
/// the wrong shape, 415 mapped to 400 for a missing content type.
///
/// A number with nothing after its point (`33.0`) is the integer it equals: JSON does not tell
/// the two apart, and some clients (JavaScript's, for one) write whole numbers so.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut value =
            match <axum::Json<serde_json::Value> as FromRequest<S>>::from_request(req, state).await
            {
                Ok(axum::Json(value)) => value,
                Err(other) if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(ApiError::TooLarge)
                }
                Err(other) => return Err(ApiError::BadRequest(other.body_text())),
            };
        whole_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| ApiError::Invalid {
                detail: match e.path().to_string().as_str() {
                    "." => e.inner().to_string(),
                    path => format!("{path}: {}", e.inner()),
                },
                fields: vec![],
            })
    }
}

fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            let whole = number
                .as_f64()
                .filter(|f| number.is_f64() && f.fract() == 0.0 && f.abs() < 2f64.powi(53));
            if let Some(whole) = whole {
                // Exact: below 2^53 every whole f64 is an integer i64 holds.
                *number = serde_json::Number::from(whole as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// A body that may be left out: a request that says its body is empty (`Content-Length: 0`,
/// whatever its type), or that sends no body and no content type, is `None`; one with a body
/// is read as `ApiJson` reads it.
impl<S: Send + Sync, T: DeserializeOwned> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
        let headers = req.headers();
        let length = headers.get(CONTENT_LENGTH);
        let empty = length.is_some_and(|length| length == "0")
            || (length.is_none()
                && headers.get(CONTENT_TYPE).is_none()
                && headers.get(TRANSFER_ENCODING).is_none());
        if empty {
            return Ok(None);
        }
        // JSON's `null` says "nothing" as an empty body does.
        let ApiJson(value) =
            <ApiJson<Option<T>> as FromRequest<S>>::from_request(req, state).await?;
        Ok(value.map(ApiJson))
    }
}

/// `Query<T>` with problem responses.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// The request's origin, which its commands record in the log's metadata: the request id
/// (the client's `x-request-id` if at most 128 characters, else a UUID v7 — the id of the
/// request's span and of its response's `x-request-id`), the time, and the `Idempotency-Key`.
impl FromRequestParts<AppState> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        // Decided once per request, before the span opened (`request_log`); the fallback
        // serves a router built without that layer.
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|RequestId(id)| id.clone())
            .unwrap_or_else(|| Uuid::now_v7().to_string());
        let idempotency_key = match header("idempotency-key") {
            Some(key) if key.len() > 200 => {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be at most 200 characters".into(),
                ))
            }
            other => other.map(str::to_string),
        };
        Ok(Origin {
            request_id,
            at: Utc::now(),
            idempotency_key,
        })
    }
}

/// `Path<T>` with problem responses: a malformed id is a 400 naming it, never a panic.
///
/// Handlers take their ids typed (`ApiPath<ChatId>`, `ApiPath<(QueueId, UserId)>`), so only the
/// parsed id travels further and every query and command sees it in its one canonical form
/// (an id in upper case or without hyphens names the same chat, never a different row).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|path| ApiPath(path.0))
            .map_err(|e: PathRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// Parses an id given in a body or a query; a malformed id is a 422 naming the field.
pub fn parse_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid_field(field, "must be a UUID"))
}
