//! The problem types clients translate, and the problem body every error response carries.

use axum::http::StatusCode;
use samtale_domain::form::FieldError;
use serde::Serialize;
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
    ChatNotEnded,
    LegalHold,
    ChatErased,
    ChatNotOffered,
    NotLoggedIn,
    ChatWrappedUp,
    NotInWrapUp,
    WrapUpExtended,
    ChatNotAnswered,
    ChatRated,
    QueueClosed,
    TranscriptSent,
    TranscriptsOff,
    NotALeftMessage,
    ColleagueUnavailable,
    ColleagueHasNoRoom,
    ConcurrentChange,
    UsernameTaken,
    NameTaken,
    QueueInUse,
    IdInUse,
    NoQueues,
    LastAdministrator,
    InvalidInput,
    FileRefused,
    PayloadTooLarge,
    UnsupportedFileType,
    RateLimited,
    Unavailable,
    Internal,
}

impl ProblemType {
    pub const ALL: [ProblemType; 39] = [
        ProblemType::BadRequest,
        ProblemType::Unauthorized,
        ProblemType::Forbidden,
        ProblemType::NotAQueueMember,
        ProblemType::NotFound,
        ProblemType::ChatNotWaiting,
        ProblemType::ChatClosed,
        ProblemType::ChatNotAssigned,
        ProblemType::ChatAlreadyRequested,
        ProblemType::ChatNotEnded,
        ProblemType::LegalHold,
        ProblemType::ChatErased,
        ProblemType::ChatNotOffered,
        ProblemType::NotLoggedIn,
        ProblemType::ChatWrappedUp,
        ProblemType::NotInWrapUp,
        ProblemType::WrapUpExtended,
        ProblemType::ChatNotAnswered,
        ProblemType::ChatRated,
        ProblemType::QueueClosed,
        ProblemType::TranscriptSent,
        ProblemType::TranscriptsOff,
        ProblemType::NotALeftMessage,
        ProblemType::ColleagueUnavailable,
        ProblemType::ColleagueHasNoRoom,
        ProblemType::ConcurrentChange,
        ProblemType::UsernameTaken,
        ProblemType::NameTaken,
        ProblemType::QueueInUse,
        ProblemType::IdInUse,
        ProblemType::NoQueues,
        ProblemType::LastAdministrator,
        ProblemType::InvalidInput,
        ProblemType::FileRefused,
        ProblemType::PayloadTooLarge,
        ProblemType::UnsupportedFileType,
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
            P::ChatNotEnded => ("chat-not-ended", S::CONFLICT, "The chat has not ended yet"),
            P::LegalHold => ("legal-hold", S::CONFLICT, "The chat is under legal hold"),
            P::ChatErased => (
                "chat-erased",
                S::CONFLICT,
                "The chat's personal data has been erased",
            ),
            P::ChatNotOffered => (
                "chat-not-offered",
                S::CONFLICT,
                "The chat is not offered to this agent",
            ),
            P::NotLoggedIn => ("not-logged-in", S::CONFLICT, "The agent is not logged in"),
            P::ChatWrappedUp => (
                "chat-wrapped-up",
                S::CONFLICT,
                "The chat's wrap-up codes and note are recorded already",
            ),
            P::NotInWrapUp => ("not-in-wrap-up", S::CONFLICT, "The chat's wrap-up is over"),
            P::ChatNotAnswered => (
                "chat-not-answered",
                S::CONFLICT,
                "No agent answered the chat",
            ),
            P::ChatRated => ("chat-rated", S::CONFLICT, "The chat has been rated already"),
            P::QueueClosed => ("queue-closed", S::CONFLICT, "The queue is closed now"),
            P::TranscriptSent => (
                "transcript-sent",
                S::CONFLICT,
                "The transcript has been sent already",
            ),
            P::TranscriptsOff => (
                "transcripts-off",
                S::CONFLICT,
                "Transcripts by e-mail are not offered here",
            ),
            P::NotALeftMessage => (
                "not-a-left-message",
                S::CONFLICT,
                "The chat is not a left message waiting for an answer",
            ),
            P::ColleagueUnavailable => (
                "colleague-unavailable",
                S::CONFLICT,
                "The colleague is not available in the chat's queue",
            ),
            P::ColleagueHasNoRoom => (
                "colleague-has-no-room",
                S::CONFLICT,
                "The colleague has no room for another chat",
            ),
            P::WrapUpExtended => (
                "wrap-up-extended",
                S::CONFLICT,
                "The wrap-up has been extended once already",
            ),
            P::ConcurrentChange => (
                "concurrent-change",
                S::CONFLICT,
                "Changed by someone else at the same moment",
            ),
            P::UsernameTaken => ("username-taken", S::CONFLICT, "The username is taken"),
            P::NameTaken => ("name-taken", S::CONFLICT, "The name is taken"),
            P::QueueInUse => ("queue-in-use", S::CONFLICT, "The queue is still in use"),
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
            P::FileRefused => (
                "file-refused",
                S::UNPROCESSABLE_ENTITY,
                "The file was refused by the scanner",
            ),
            P::PayloadTooLarge => (
                "payload-too-large",
                S::PAYLOAD_TOO_LARGE,
                "Payload too large",
            ),
            P::UnsupportedFileType => (
                "unsupported-file-type",
                S::UNSUPPORTED_MEDIA_TYPE,
                "The file's type is not accepted",
            ),
            P::RateLimited => ("rate-limited", S::TOO_MANY_REQUESTS, "Too many requests"),
            P::Unavailable => ("unavailable", S::SERVICE_UNAVAILABLE, "Service unavailable"),
            P::Internal => ("internal", S::INTERNAL_SERVER_ERROR, "Internal error"),
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
    pub(super) kind: String,
    pub(super) title: &'a str,
    pub(super) status: u16,
    /// What was wrong with this request.
    pub(super) detail: String,
    /// Each invalid field of a 422, by key.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) errors: &'a [FieldError],
}

/// A problem response with its own description, for the refusals many operations share:
/// declared once here, referred to by name in each annotation
/// (`(status = 404, response = ChatNotVisible)`).
macro_rules! described_problem {
    ($(#[$doc:meta])* $name:ident, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (
                &'r str,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            ) {
                let content = utoipa::openapi::content::Content::new(Some(
                    utoipa::openapi::Ref::from_schema_name("Problem"),
                ));
                let response = utoipa::openapi::response::ResponseBuilder::new()
                    .description($description)
                    .content(PROBLEM_JSON, content)
                    .build();
                (stringify!($name), response.into())
            }
        }
    };
}

described_problem!(
    /// A staff member's 404 for a chat: it does not exist, or is not one they may see.
    ChatNotVisible,
    "No such chat, or not one the caller may see"
);
described_problem!(
    /// A customer's 404 for any chat but their own: they cannot learn whether it exists.
    NotThisTokensChat,
    "Not this token's chat"
);
described_problem!(
    /// A 403 for agents on what only those who oversee may do.
    OverseersOnly,
    "Supervisors and administrators only"
);
described_problem!(
    /// A 409 for a chat that has ended.
    AlreadyClosed,
    "Already closed"
);
described_problem!(
    /// A 409 for a name another queue or category has.
    NameTaken,
    "The name is taken"
);
described_problem!(
    /// A 409 for a queue that chats, categories or another queue's overflow still need.
    QueueInUse,
    "Open chats, categories or another queue's overflow still need the queue (`queue-in-use`)"
);
described_problem!(
    /// A 400 for an upload that did not arrive whole, or is not multipart.
    UploadIncomplete,
    "The upload did not arrive whole, or is not multipart/form-data"
);
described_problem!(
    /// A 413 for a file over the installation's limit.
    FileTooLarge,
    "Larger than the installation takes (`payload-too-large`)"
);
described_problem!(
    /// A 415 for a file whose bytes are of no kind the installation takes.
    FileTypeRefused,
    "Of no type the installation takes (`unsupported-file-type`)"
);
described_problem!(
    /// A 422 for an empty or badly named file, another part beside it, or the scanner's no.
    FileInvalid,
    "Empty, badly named, not alone in the upload, or refused by the scanner (`file-refused`)"
);
described_problem!(
    /// A 503 when the scanner the operator named cannot be run.
    ScannerDown,
    "The scanner could not be run"
);
