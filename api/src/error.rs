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
use samtale_service::credentials::PasswordLength;
use samtale_service::identity::Forbidden;
use samtale_service::ServiceError;
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
    NotAMember(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Conflict(#[from] Conflict),
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

/// Why a request conflicts with the state it met: each cause has its own problem type, so a
/// client tells "another agent took it" from "the customer has left" without reading English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Conflict {
    #[error("the chat is no longer waiting: someone else has it")]
    ChatNotWaiting,
    #[error("the chat has ended")]
    ChatClosed,
    #[error("the chat is not assigned to an agent yet")]
    ChatNotAssigned,
    #[error("this chat has already been requested")]
    ChatAlreadyRequested,
    #[error("the {0} was changed by someone else at the same moment; reload and try again")]
    Concurrent(&'static str),
    #[error("that username is taken")]
    UsernameTaken,
    #[error("that name is taken")]
    NameTaken,
    #[error("that id is already in use")]
    IdInUse,
    #[error("the agent is not a member of any queue")]
    NoQueues,
    #[error("the installation needs at least one active administrator")]
    LastAdministrator,
}

/// Every problem `type` the API answers with: its status and title. The one list that
/// docs/api.md and the OpenAPI document (`Problem.type`) give clients to translate from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotAQueueMember,
    NotFound,
    ChatNotWaiting,
    ChatClosed,
    ChatNotAssigned,
    ChatAlreadyRequested,
    ConcurrentChange,
    UsernameTaken,
    NameTaken,
    IdInUse,
    NoQueues,
    LastAdministrator,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Internal,
}

impl ProblemType {
    pub const ALL: [ProblemType; 20] = [
        ProblemType::BadRequest,
        ProblemType::Unauthorized,
        ProblemType::Forbidden,
        ProblemType::NotAQueueMember,
        ProblemType::NotFound,
        ProblemType::ChatNotWaiting,
        ProblemType::ChatClosed,
        ProblemType::ChatNotAssigned,
        ProblemType::ChatAlreadyRequested,
        ProblemType::ConcurrentChange,
        ProblemType::UsernameTaken,
        ProblemType::NameTaken,
        ProblemType::IdInUse,
        ProblemType::NoQueues,
        ProblemType::LastAdministrator,
        ProblemType::InvalidInput,
        ProblemType::PayloadTooLarge,
        ProblemType::RateLimited,
        ProblemType::Unavailable,
        ProblemType::Internal,
    ];

    /// The last segment of the type's URI: what clients match on.
    pub fn slug(self) -> &'static str {
        self.parts().0
    }

    pub fn uri(self) -> String {
        format!("https://samtale.dev/problems/{}", self.slug())
    }

    pub fn status(self) -> StatusCode {
        self.parts().1
    }

    pub fn title(self) -> &'static str {
        self.parts().2
    }

    fn parts(self) -> (&'static str, StatusCode, &'static str) {
        use ProblemType as P;
        use StatusCode as S;
        match self {
            P::BadRequest => ("bad-request", S::BAD_REQUEST, "Bad request"),
            P::Unauthorized => ("unauthorized", S::UNAUTHORIZED, "Unauthorized"),
            P::Forbidden => ("forbidden", S::FORBIDDEN, "Forbidden"),
            P::NotAQueueMember => (
                "not-a-queue-member",
                S::FORBIDDEN,
                "Not a member of the queue",
            ),
            P::NotFound => ("not-found", S::NOT_FOUND, "Not found"),
            P::ChatNotWaiting => (
                "chat-not-waiting",
                S::CONFLICT,
                "The chat is no longer waiting",
            ),
            P::ChatClosed => ("chat-closed", S::CONFLICT, "The chat has ended"),
            P::ChatNotAssigned => (
                "chat-not-assigned",
                S::CONFLICT,
                "The chat is not assigned yet",
            ),
            P::ChatAlreadyRequested => (
                "chat-already-requested",
                S::CONFLICT,
                "The chat has already been requested",
            ),
            P::ConcurrentChange => (
                "concurrent-change",
                S::CONFLICT,
                "Changed by someone else at the same moment",
            ),
            P::UsernameTaken => ("username-taken", S::CONFLICT, "The username is taken"),
            P::NameTaken => ("name-taken", S::CONFLICT, "The name is taken"),
            P::IdInUse => ("id-in-use", S::CONFLICT, "The id is in use"),
            P::NoQueues => (
                "no-queues",
                S::CONFLICT,
                "The agent is a member of no queue",
            ),
            P::LastAdministrator => (
                "last-administrator",
                S::CONFLICT,
                "The last active administrator must remain",
            ),
            P::InvalidInput => ("invalid-input", S::UNPROCESSABLE_ENTITY, "Invalid input"),
            P::PayloadTooLarge => (
                "payload-too-large",
                S::PAYLOAD_TOO_LARGE,
                "Payload too large",
            ),
            P::RateLimited => ("rate-limited", S::TOO_MANY_REQUESTS, "Too many requests"),
            P::Unavailable => ("unavailable", S::SERVICE_UNAVAILABLE, "Service unavailable"),
            P::Internal => ("internal", S::INTERNAL_SERVER_ERROR, "Internal error"),
        }
    }
}

impl Conflict {
    fn problem(self) -> ProblemType {
        use ProblemType as P;
        match self {
            Conflict::ChatNotWaiting => P::ChatNotWaiting,
            Conflict::ChatClosed => P::ChatClosed,
            Conflict::ChatNotAssigned => P::ChatNotAssigned,
            Conflict::ChatAlreadyRequested => P::ChatAlreadyRequested,
            Conflict::Concurrent(_) => P::ConcurrentChange,
            Conflict::UsernameTaken => P::UsernameTaken,
            Conflict::NameTaken => P::NameTaken,
            Conflict::IdInUse => P::IdInUse,
            Conflict::NoQueues => P::NoQueues,
            Conflict::LastAdministrator => P::LastAdministrator,
        }
    }
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem (`application/problem+json`): every 4xx and 5xx body.
#[derive(Serialize, utoipa::ToSchema, utoipa::ToResponse)]
#[response(content_type = PROBLEM_JSON)]
pub struct Problem<'a> {
    /// One per cause, e.g. `https://samtale.dev/problems/chat-not-waiting`: clients translate
    /// from it (every type is listed in docs/api.md).
    #[serde(rename = "type")]
    kind: String,
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
            fields: vec![FieldError::new(key, "invalid", problem.to_string())],
        }
    }

    pub fn problem(&self) -> ProblemType {
        use ProblemType as P;
        match self {
            ApiError::BadRequest(_) => P::BadRequest,
            ApiError::Unauthorized => P::Unauthorized,
            ApiError::Forbidden(_) => P::Forbidden,
            ApiError::NotAMember(_) => P::NotAQueueMember,
            ApiError::NotFound(_) => P::NotFound,
            ApiError::Conflict(conflict) => conflict.problem(),
            ApiError::Invalid { .. } => P::InvalidInput,
            ApiError::TooLarge => P::PayloadTooLarge,
            ApiError::TooManyRequests => P::RateLimited,
            ApiError::Unavailable(_) => P::Unavailable,
            ApiError::Internal(_) => P::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status = problem.status();
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
            kind: problem.uri(),
            title: problem.title(),
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

impl From<Forbidden> for ApiError {
    fn from(Forbidden(why): Forbidden) -> Self {
        ApiError::Forbidden(why.into())
    }
}

impl From<PasswordLength> for ApiError {
    fn from(error: PasswordLength) -> Self {
        ApiError::invalid_field("password", error)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Database(e) => e.into(),
            ServiceError::Log(e) => e.into(),
            ServiceError::Projection(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
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
            ChatError::NotAMember => ApiError::NotAMember(detail),
            ChatError::InvalidForm(fields) => ApiError::Invalid { detail, fields },
            ChatError::NoSuchMessage => ApiError::invalid_field("up_to", detail),
            ChatError::TransferToSamePlace => ApiError::invalid_field("queue_id", detail),
            ChatError::AlreadyRequested => Conflict::ChatAlreadyRequested.into(),
            ChatError::NotWaiting => Conflict::ChatNotWaiting.into(),
            ChatError::NotAssigned => Conflict::ChatNotAssigned.into(),
            ChatError::Closed => Conflict::ChatClosed.into(),
        }
    }
}

impl From<PresenceError> for ApiError {
    fn from(error: PresenceError) -> Self {
        let detail = error.to_string();
        match error {
            PresenceError::Forbidden => ApiError::Forbidden(detail),
            PresenceError::NotAMember => ApiError::NotAMember(detail),
            PresenceError::NoQueues => Conflict::NoQueues.into(),
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
            DirectoryError::UsernameTaken => Conflict::UsernameTaken.into(),
            DirectoryError::NameTaken => Conflict::NameTaken.into(),
            DirectoryError::IdInUse => Conflict::IdInUse.into(),
            DirectoryError::LastAdministrator => Conflict::LastAdministrator.into(),
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
            CommandError::Conflict(what) => Conflict::Concurrent(what).into(),
            CommandError::Unavailable(cause) => ApiError::Unavailable(cause),
            CommandError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A text field that failed to parse, named for the client.
pub fn text_error(field: &str, error: TextError) -> ApiError {
    let code = match error {
        TextError::Empty => "required",
        TextError::TooLong { .. } => "too-long",
        TextError::ControlCharacter => "not-single-line",
    };
    ApiError::Invalid {
        detail: format!("{field}: {error}"),
        fields: vec![FieldError::new(field, code, error.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemType;
    use std::collections::HashSet;

    #[test]
    fn every_problem_type_is_listed_once_and_documented() {
        let slugs: HashSet<_> = ProblemType::ALL.iter().map(|p| p.slug()).collect();
        assert_eq!(slugs.len(), ProblemType::ALL.len(), "slugs are distinct");
        let guide = include_str!("../../docs/api.md");
        for slug in slugs {
            assert!(
                guide.contains(&format!("`{slug}`")),
                "docs/api.md lists `{slug}`"
            );
        }
    }
}
