use super::{
    MAX_CONCURRENT_CHATS, MAX_OFFER_SECONDS, MAX_RETENTION_DAYS, MAX_WRAP_UP_SECONDS,
    MIN_OFFER_SECONDS,
};
use crate::form::FieldDefinitionError;
use crate::hours::HoursError;
use thiserror::Error;

/// Why a queue cannot be removed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum QueueUse {
    #[error("the queue still has open chats ({0}): transfer or end them, and answer its left messages, first")]
    OpenChats(u32),
    #[error("categories lead to this queue: move or remove them first")]
    Categories,
    #[error("another queue overflows to this one: change its settings first")]
    OverflowTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DirectoryError {
    #[error("only an administrator may change the configuration")]
    Forbidden,
    #[error("usernames are 2-64 lowercase letters, digits, '.', '-' or '_'")]
    BadUsername,
    #[error("that username is taken")]
    UsernameTaken,
    #[error("that name is taken")]
    NameTaken,
    #[error("no such user")]
    NoSuchUser,
    #[error("no such queue")]
    NoSuchQueue,
    #[error("no such form field")]
    NoSuchField,
    #[error("no such category")]
    NoSuchCategory,
    #[error("name every field of the form once, in the order wanted")]
    BadFieldOrder,
    #[error("{0}")]
    QueueInUse(QueueUse),
    #[error("that id is already in use")]
    IdInUse,
    #[error("max_concurrent_chats must be between 1 and {MAX_CONCURRENT_CHATS}")]
    BadCapacity,
    #[error("a queue cannot overflow to itself")]
    OverflowToItself,
    #[error("notice delays and service-level thresholds must be at least one second")]
    BadTimeout,
    #[error("a service-level target is a share of chats between 1 and 100 percent")]
    BadServiceLevelTarget,
    #[error("an offer must last between {MIN_OFFER_SECONDS} and {MAX_OFFER_SECONDS} seconds, or routing assigns directly (none)")]
    BadOfferTimeout,
    #[error("transcript retention must be between 1 and {MAX_RETENTION_DAYS} days, or none")]
    BadRetention,
    #[error("invalid form field: {0}")]
    BadField(#[from] FieldDefinitionError),
    #[error("the installation needs at least one active administrator")]
    LastAdministrator,
    #[error("wrap-up must last between 1 and {MAX_WRAP_UP_SECONDS} seconds, or none")]
    BadWrapUp,
    #[error("away and no_answer are built in: choose another code")]
    BuiltInPauseReason,
    #[error("no such pause reason")]
    NoSuchPauseReason,
    #[error("no such canned response")]
    NoSuchCannedResponse,
    #[error(
        "{{{0}}} is not a variable: use {{customer_name}}, {{agent_name}}, {{queue}} or {{place}}"
    )]
    UnknownVariable(String),
    #[error("no such wrap-up code in this queue")]
    NoSuchWrapUpCode,
    #[error("opening hours: {0}")]
    BadOpeningHours(#[from] HoursError),
}
