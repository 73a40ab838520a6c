//! Each lower layer's errors as the API's: a domain refusal becomes its problem type, a
//! database away becomes 503, anything else a 500 whose cause is logged.

use super::{text_error, ApiError, Conflict};
use samtale_domain::directory::DirectoryError;
use samtale_domain::{ChatError, PresenceError};
use samtale_eventlog::{CommandError, LogError};
use samtale_projections::ProjectionError;
use samtale_service::attachments::AttachmentError;
use samtale_service::credentials::PasswordLength;
use samtale_service::identity::Forbidden;
use samtale_service::ServiceError;
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
            ChatError::EmptyAttachment => ApiError::invalid_field("file", detail),
            ChatError::TransferToSamePlace => ApiError::invalid_field("queue_id", detail),
            ChatError::AlreadyRequested => Conflict::ChatAlreadyRequested.into(),
            ChatError::NotWaiting => Conflict::ChatNotWaiting.into(),
            ChatError::NotAssigned => Conflict::ChatNotAssigned.into(),
            ChatError::Closed => Conflict::ChatClosed.into(),
            ChatError::NotEnded => Conflict::ChatNotEnded.into(),
            ChatError::LegalHold => Conflict::LegalHold.into(),
            ChatError::Erased => Conflict::ChatErased.into(),
            ChatError::NotOffered => Conflict::ChatNotOffered.into(),
            // Only routing offers, and it never offers a chat offered already.
            ChatError::OfferedToAnother => Conflict::ChatNotOffered.into(),
            ChatError::UnknownWrapUpCode(_)
            | ChatError::WrapUpCodeRequired
            | ChatError::EmptyDisposition => ApiError::invalid_field("codes", detail),
            ChatError::AlreadyWrappedUp => Conflict::ChatWrappedUp.into(),
            ChatError::NotInWrapUp => Conflict::NotInWrapUp.into(),
            ChatError::WrapUpExtended => Conflict::WrapUpExtended.into(),
            ChatError::NotAnswered => Conflict::ChatNotAnswered.into(),
            ChatError::AlreadyRated => Conflict::ChatRated.into(),
            ChatError::QueueClosed { opens_at } => Conflict::QueueClosed { opens_at }.into(),
            ChatError::TranscriptSent => Conflict::TranscriptSent.into(),
            ChatError::NotALeftMessage => Conflict::NotALeftMessage.into(),
            ChatError::AnswerAddressFixed => ApiError::invalid_field("email", detail),
            ChatError::AlreadyTheirs => ApiError::invalid_field("agent_id", detail),
            ChatError::AlreadyInTheChat => ApiError::invalid_field("user_id", detail),
            ChatError::NotInvited => ApiError::Forbidden(detail),
            ChatError::ColleagueUnavailable => Conflict::ColleagueUnavailable.into(),
            ChatError::ColleagueHasNoRoom => Conflict::ColleagueHasNoRoom.into(),
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
            PresenceError::NotLoggedIn => Conflict::NotLoggedIn.into(),
            PresenceError::UnknownPauseReason => ApiError::invalid_field("reason", detail),
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
            | DirectoryError::NoSuchField
            | DirectoryError::NoSuchCategory
            | DirectoryError::NoSuchCannedResponse => ApiError::NotFound(detail),
            DirectoryError::QueueInUse(in_use) => Conflict::QueueInUse(in_use).into(),
            DirectoryError::BadFieldOrder => ApiError::invalid_field("keys", detail),
            DirectoryError::UnknownVariable(_) => ApiError::invalid_field("text_nb", detail),
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
            DirectoryError::BadServiceLevelTarget => {
                ApiError::invalid_field("service_level_target_percent", detail)
            }
            DirectoryError::BadOfferTimeout => {
                ApiError::invalid_field("offer_timeout_seconds", detail)
            }
            DirectoryError::BadRetention => {
                ApiError::invalid_field("transcript_retention_days", detail)
            }
            DirectoryError::BadWrapUp => ApiError::invalid_field("wrap_up_seconds", detail),
            DirectoryError::BadOpeningHours(_) => ApiError::invalid_field("opening_hours", detail),
            DirectoryError::BuiltInPauseReason => ApiError::invalid_field("reason", detail),
            DirectoryError::NoSuchPauseReason | DirectoryError::NoSuchWrapUpCode => {
                ApiError::NotFound(detail)
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

impl From<AttachmentError> for ApiError {
    fn from(error: AttachmentError) -> Self {
        let detail = error.to_string();
        match error {
            AttachmentError::TooLarge { .. } => ApiError::FileTooLarge(detail),
            AttachmentError::UnsupportedType(_) => ApiError::UnsupportedFileType(detail),
            AttachmentError::Empty => ApiError::invalid_field("file", detail),
            AttachmentError::BadName(error) => text_error("file", error),
            AttachmentError::Refused => ApiError::FileRefused(detail),
            AttachmentError::ScanFailed(cause) => ApiError::Unavailable(cause),
            AttachmentError::Incomplete(_) => ApiError::BadRequest(detail),
            AttachmentError::Command(error) => error.into(),
        }
    }
}
