use crate::code::Code;
use crate::form::FieldError;
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChatError {
    #[error("no such chat")]
    NotFound,
    #[error("this chat has already been requested")]
    AlreadyRequested,
    #[error("the chat is no longer waiting")]
    NotWaiting,
    #[error("the chat is not offered to this agent")]
    NotOffered,
    #[error("the chat is offered to another agent already")]
    OfferedToAnother,
    #[error("the chat is not assigned to an agent")]
    NotAssigned,
    #[error("the chat has ended")]
    Closed,
    #[error("only the assigned agent, a supervisor or an administrator may do that")]
    Forbidden,
    #[error("the agent is not a member of the chat's queue")]
    NotAMember,
    #[error("the chat is already in that queue and category")]
    TransferToSamePlace,
    #[error("no such message in this chat")]
    NoSuchMessage,
    #[error("the chat has not ended yet")]
    NotEnded,
    #[error("the chat is under legal hold")]
    LegalHold,
    #[error("the chat's personal data has been erased; it accepts nothing more")]
    Erased,
    #[error("the file is empty")]
    EmptyAttachment,
    #[error("the form answers are invalid")]
    InvalidForm(Vec<FieldError>),
    #[error("{0} is not a wrap-up code of the chat's queue")]
    UnknownWrapUpCode(Code),
    #[error("the chat's queue requires a wrap-up code")]
    WrapUpCodeRequired,
    #[error("give a wrap-up code or a note")]
    EmptyDisposition,
    #[error("the chat is wrapped up already")]
    AlreadyWrappedUp,
    #[error("the chat's wrap-up is over (or it had none)")]
    NotInWrapUp,
    #[error("the wrap-up has been extended once already")]
    WrapUpExtended,
    #[error("no agent answered the chat: there is nothing to rate")]
    NotAnswered,
    #[error("the chat has been rated already")]
    AlreadyRated,
    #[error("the queue is closed now{}", opens_at.map(|at| format!("; it opens at {}", at.to_rfc3339())).unwrap_or_default())]
    QueueClosed { opens_at: Option<DateTime<Utc>> },
    #[error("the transcript has been sent already")]
    TranscriptSent,
    #[error("the chat is not a message left for its queue, or it has been answered")]
    NotALeftMessage,
    #[error("a left message is answered at the address it was left with")]
    AnswerAddressFixed,
    #[error("the chat is that colleague's already")]
    AlreadyTheirs,
    #[error("that colleague is in the chat already")]
    AlreadyInTheChat,
    #[error("the caller is not invited into this chat")]
    NotInvited,
    #[error("the colleague is not logged in to the chat's queue, or is paused")]
    ColleagueUnavailable,
    #[error("the colleague has as many chats as they may have at once")]
    ColleagueHasNoRoom,
}
