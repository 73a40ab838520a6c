//! Typed identifiers, so a queue id can never be passed where a chat id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }
    };
}

id_type!(
    /// One customer conversation; also the Chat aggregate's id.
    ChatId
);
id_type!(
    /// A staff member (agent, supervisor or administrator); also the Presence aggregate's id.
    UserId
);
id_type!(
    /// A chat queue.
    QueueId
);
id_type!(
    /// A category the customer picks; each belongs to one queue.
    CategoryId
);
id_type!(
    /// One message in a chat's transcript.
    MessageId
);
id_type!(
    /// A file sent in a chat.
    AttachmentId
);
id_type!(
    /// A canned response in the directory.
    CannedResponseId
);
