//! Every way a request can fail, mapped once to an RFC 9457 problem response.
//!
//! 4xx bodies say what was wrong and carry a stable `type`; 5xx bodies stay generic and the
//! cause is logged inside the request's trace span.

mod from_domain;
mod problem;
pub mod refusals;

pub use problem::{
    AlreadyClosed, ChatNotVisible, FileInvalid, FileTooLarge, FileTypeRefused, NameTaken,
    NotThisTokensChat, OverseersOnly, Problem, ProblemType, QueueInUse, ScannerDown,
    UploadIncomplete, PROBLEM_JSON,
};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use samtale_domain::form::FieldError;
use samtale_domain::text::TextError;
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
    /// A file larger than the installation takes.
    #[error("{0}")]
    FileTooLarge(String),
    /// A file whose content is of no kind the installation takes.
    #[error("{0}")]
    UnsupportedFileType(String),
    /// The scanner refused the file.
    #[error("{0}")]
    FileRefused(String),
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
    #[error("the chat has not ended yet: end it first")]
    ChatNotEnded,
    #[error("the chat is under legal hold: lift the hold first")]
    LegalHold,
    #[error("the chat's personal data has been erased; nothing more can be done with it")]
    ChatErased,
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
    #[error("the chat is not offered to this agent: it was accepted, declined, withdrawn or offered to someone else")]
    ChatNotOffered,
    #[error("the agent is not logged in to any queue")]
    NotLoggedIn,
    #[error("the installation needs at least one active administrator")]
    LastAdministrator,
    #[error("the chat's wrap-up codes and note are recorded already")]
    ChatWrappedUp,
    #[error("the chat's wrap-up is over (or it had none)")]
    NotInWrapUp,
    #[error("the wrap-up has been extended once already")]
    WrapUpExtended,
    #[error("no agent answered the chat: there is nothing to rate")]
    ChatNotAnswered,
    #[error("the chat has been rated already")]
    ChatRated,
    #[error("the queue is closed now{}", opens_at.map(|at| format!("; it opens at {}", samtale_projections::timestamp(at))).unwrap_or_default())]
    QueueClosed {
        opens_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    #[error("the transcript has been sent already")]
    TranscriptSent,
    #[error("transcripts by e-mail are not offered here (no SMTP server is configured)")]
    TranscriptsOff,
    #[error("the chat is not a message left for its queue, or it has been answered already")]
    NotALeftMessage,
    #[error("the colleague is not logged in to the chat's queue, or is paused")]
    ColleagueUnavailable,
    #[error("the colleague has as many chats as they may have at once")]
    ColleagueHasNoRoom,
    #[error("{0}")]
    QueueInUse(samtale_domain::directory::QueueUse),
}

impl Conflict {
    fn problem(self) -> ProblemType {
        use ProblemType as P;
        match self {
            Conflict::ChatNotWaiting => P::ChatNotWaiting,
            Conflict::ChatClosed => P::ChatClosed,
            Conflict::ChatNotAssigned => P::ChatNotAssigned,
            Conflict::ChatAlreadyRequested => P::ChatAlreadyRequested,
            Conflict::ChatNotEnded => P::ChatNotEnded,
            Conflict::LegalHold => P::LegalHold,
            Conflict::ChatErased => P::ChatErased,
            Conflict::Concurrent(_) => P::ConcurrentChange,
            Conflict::UsernameTaken => P::UsernameTaken,
            Conflict::NameTaken => P::NameTaken,
            Conflict::IdInUse => P::IdInUse,
            Conflict::NoQueues => P::NoQueues,
            Conflict::ChatNotOffered => P::ChatNotOffered,
            Conflict::NotLoggedIn => P::NotLoggedIn,
            Conflict::LastAdministrator => P::LastAdministrator,
            Conflict::ChatWrappedUp => P::ChatWrappedUp,
            Conflict::NotInWrapUp => P::NotInWrapUp,
            Conflict::WrapUpExtended => P::WrapUpExtended,
            Conflict::ChatNotAnswered => P::ChatNotAnswered,
            Conflict::ChatRated => P::ChatRated,
            Conflict::QueueClosed { .. } => P::QueueClosed,
            Conflict::TranscriptSent => P::TranscriptSent,
            Conflict::TranscriptsOff => P::TranscriptsOff,
            Conflict::NotALeftMessage => P::NotALeftMessage,
            Conflict::ColleagueUnavailable => P::ColleagueUnavailable,
            Conflict::ColleagueHasNoRoom => P::ColleagueHasNoRoom,
            Conflict::QueueInUse(_) => P::QueueInUse,
        }
    }
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
            ApiError::TooLarge | ApiError::FileTooLarge(_) => P::PayloadTooLarge,
            ApiError::UnsupportedFileType(_) => P::UnsupportedFileType,
            ApiError::FileRefused(_) => P::FileRefused,
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

/// A text field that failed to parse, named for the client.
pub fn text_error(field: &str, error: TextError) -> ApiError {
    let code = match error {
        TextError::Empty => "required",
        TextError::TooLong { .. } => "too-long",
        TextError::ControlCharacter => "not-single-line",
        TextError::BidiControl => "bidi-control",
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
        let guide = include_str!("../../../docs/api.md");
        for slug in slugs {
            assert!(
                guide.contains(&format!("`{slug}`")),
                "docs/api.md lists `{slug}`"
            );
        }
    }
}
