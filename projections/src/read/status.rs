//! The words the read models store for a chat's status, how it ended, an agent's hold on a
//! chat and an agent's activity, as enums. Each is stored, and serialised, as the same text
//! it always was, so the tables and the API are unchanged.

use samtale_domain::chat::Author;
use sqlx::any::AnyValueRef;
use sqlx::error::BoxDynError;
use sqlx::Any;

/// A stored word that names no variant: the table holds something no fold writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{text}`")]
pub struct UnknownText {
    kind: &'static str,
    text: String,
}

/// An enum stored as text: `as_str` gives the stored word, `FromStr` and sqlx's `Decode` read
/// it back, serde writes the same word, and a fold writes it as a cell.
macro_rules! stored_as_text {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl From<$name> for crate::bulk::Cell {
            fn from(value: $name) -> Self {
                value.as_str().to_string().into()
            }
        }

        impl From<Option<$name>> for crate::bulk::Cell {
            fn from(value: Option<$name>) -> Self {
                value.map(|v| v.as_str().to_string()).into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownText;

            fn from_str(text: &str) -> Result<Self, UnknownText> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(UnknownText { kind: stringify!($name), text: other.to_string() }),
                }
            }
        }

        impl sqlx::Type<Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <&str as sqlx::Type<Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <&str as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&str as sqlx::Decode<'r, Any>>::decode(value)?.parse()?)
            }
        }
    };
}

stored_as_text! {
    /// Where a chat is: waiting in a queue, with an agent, or over.
    ChatStatus {
        Waiting = "waiting",
        Assigned = "assigned",
        Ended = "ended",
        /// The customer left before any agent took the chat.
        Abandoned = "abandoned",
        /// A message left for the queue, not answered yet (answered, it is `ended`, its
        /// `end_reason` `answered`).
        Left = "left",
    }
}

stored_as_text! {
    /// Who wrote a transcript line: the customer, an agent, or the service (a notice).
    AuthorKind {
        Customer = "customer",
        Agent = "agent",
        System = "system",
    }
}

impl AuthorKind {
    /// Who wrote a line, and the agent's id when an agent did.
    pub fn of(author: &Author) -> (AuthorKind, Option<String>) {
        match author {
            Author::Customer => (AuthorKind::Customer, None),
            Author::Agent { user_id } => (AuthorKind::Agent, Some(user_id.to_string())),
            Author::System => (AuthorKind::System, None),
        }
    }
}

stored_as_text! {
    /// Who ended a chat: the chat's `end_reason`, and the report's `outcome`.
    EndReason {
        Agent = "agent",
        Customer = "customer",
        Abandoned = "abandoned",
        /// A left message, answered by e-mail.
        Answered = "answered",
    }
}

stored_as_text! {
    /// An agent's hold on a chat in their list: offered to them, theirs now, or over and still
    /// listed until their next session.
    AgentChatState {
        /// Routing offers it to the agent, who has not accepted it yet.
        Offered = "offered",
        Active = "active",
        Passive = "passive",
        /// A colleague invited them into it; they have not answered yet.
        Invited = "invited",
    }
}

stored_as_text! {
    /// A line of an agent's activity.
    ActivityKind {
        LoggedIn = "logged_in",
        LoggedOut = "logged_out",
        Assigned = "assigned",
        Handled = "handled",
        TransferredAway = "transferred_away",
        /// Routing offered the agent a chat; they declined it, or let it run out.
        Offered = "offered",
        OfferDeclined = "offer_declined",
        OfferExpired = "offer_expired",
        /// Paused with no reason given (`paused_away`), for an offer left to run out
        /// (`paused_no_answer`), for a reason the administrators defined (`paused`); and back.
        PausedAway = "paused_away",
        PausedNoAnswer = "paused_no_answer",
        Paused = "paused",
        Resumed = "resumed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_reads_back_as_the_variant_it_names() {
        for status in [
            ChatStatus::Waiting,
            ChatStatus::Assigned,
            ChatStatus::Ended,
            ChatStatus::Abandoned,
            ChatStatus::Left,
        ] {
            assert_eq!(status.as_str().parse::<ChatStatus>().ok(), Some(status));
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::String(status.as_str().into()))
            );
        }
        assert!("closed".parse::<EndReason>().is_err());
    }
}
