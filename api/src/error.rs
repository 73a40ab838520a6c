//! Every way a request can fail, mapped once to an RFC 9457 problem response.
//!
//! 4xx bodies say what was wrong and carry a stable `type`; 5xx bodies stay generic and the
//! cause is logged inside the request's trace span.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use samtale_domain::directory::DirectoryError;
use samtale_domain::form::FieldError;
use samtale_domain::text::TextError;
use samtale_domain::{ChatError, PresenceError};
use samtale_eventlog::{CommandError, LogError};
use samtale_projections::ProjectionError;
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{detail}")]
    Invalid {
        detail: String,
        fields: Vec<FieldError>,
    },
    #[error("the request body is too large")]
    TooLarge,
    #[error("too many requests; try again later")]
    TooManyRequests,
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem (`application/problem+json`): every 4xx and 5xx body.
#[derive(Serialize, utoipa::ToSchema, utoipa::ToResponse)]
#[response(content_type = PROBLEM_JSON)]
pub struct Problem<'a> {
    /// Stable for each kind of problem, e.g. `https://samtale.dev/problems/not-found`.
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    /// What was wrong with this request.
    detail: String,
    /// Each invalid field of a 422, by key.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn invalid_field(key: &str, problem: impl ToString) -> Self {
        ApiError::Invalid {
            detail: format!("{key}: {}", problem.to_string()),
            fields: vec![FieldError {
                key: key.to_string(),
                problem: problem.to_string(),
            }],
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::Invalid { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "Invalid input",
            ),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        match &self {
            ApiError::Internal(cause) => tracing::error!(error.cause = %cause, "request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(error.cause = %cause, "request failed"),
            _ => {}
        }
        let fields = match &self {
            ApiError::Invalid { fields, .. } => fields.as_slice(),
            _ => &[],
        };
        let body = Problem {
            kind: &format!("https://samtale.dev/problems/{kind}"),
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            errors: fields,
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(PROBLEM_JSON),
        );
        // When to try again: a database blip passes in a second; a rate limit refills a token
        // within seconds at the default limits.
        let retry_after = match status {
            StatusCode::SERVICE_UNAVAILABLE => Some("1"),
            StatusCode::TOO_MANY_REQUESTS => Some("5"),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(seconds),
            );
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if samtale_eventlog::is_unreachable(&error) {
            ApiError::Unavailable(error.to_string())
        } else {
            ApiError::Internal(error.to_string())
        }
    }
}

impl From<LogError> for ApiError {
    fn from(error: LogError) -> Self {
        match error {
            LogError::Unavailable(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        match error {
            ProjectionError::Sql(e) => e.into(),
            ProjectionError::Log(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(error: ChatError) -> Self {
        let detail = error.to_string();
        match error {
            ChatError::NotFound => ApiError::NotFound(detail),
            ChatError::Forbidden => ApiError::Forbidden(detail),
            ChatError::InvalidForm(fields) => ApiError::Invalid { detail, fields },
            ChatError::NoSuchMessage => ApiError::invalid_field("up_to", detail),
            ChatError::TransferToSamePlace => ApiError::invalid_field("queue_id", detail),
            ChatError::AlreadyRequested
            | ChatError::NotWaiting
            | ChatError::NotAssigned
            | ChatError::Closed => ApiError::Conflict(detail),
        }
    }
}

impl From<PresenceError> for ApiError {
    fn from(error: PresenceError) -> Self {
        let detail = error.to_string();
        match error {
            PresenceError::Forbidden => ApiError::Forbidden(detail),
            PresenceError::NoQueues => ApiError::Conflict(detail),
        }
    }
}

impl From<DirectoryError> for ApiError {
    fn from(error: DirectoryError) -> Self {
        let detail = error.to_string();
        match error {
            DirectoryError::Forbidden => ApiError::Forbidden(detail),
            DirectoryError::NoSuchUser
            | DirectoryError::NoSuchQueue
            | DirectoryError::NoSuchField => ApiError::NotFound(detail),
            DirectoryError::UsernameTaken | DirectoryError::NameTaken | DirectoryError::IdInUse => {
                ApiError::Conflict(detail)
            }
            DirectoryError::BadUsername => ApiError::invalid_field("username", detail),
            DirectoryError::BadCapacity => ApiError::invalid_field("max_concurrent_chats", detail),
            DirectoryError::BadField(_) => ApiError::invalid_field("field", detail),
            DirectoryError::OverflowToItself => {
                ApiError::invalid_field("overflow_queue_id", detail)
            }
            DirectoryError::BadTimeout => {
                ApiError::invalid_field("no_agent_notice_after_seconds", detail)
            }
        }
    }
}

impl<E> From<CommandError<E>> for ApiError
where
    E: std::error::Error,
    ApiError: From<E>,
{
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(e) => e.into(),
            CommandError::Conflict(what) => ApiError::Conflict(format!(
                "the {what} was changed by someone else at the same moment; reload and try again"
            )),
            CommandError::Unavailable(cause) => ApiError::Unavailable(cause),
            CommandError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A text field that failed to parse, named for the client.
pub fn text_error(field: &str, error: TextError) -> ApiError {
    ApiError::invalid_field(field, error)
}
