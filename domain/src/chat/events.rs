use super::rating::Score;
use crate::actor::Actor;
use crate::attachment::{FileKind, FileName};
use crate::code::Code;
use crate::form::FormAnswer;
use crate::ids::{AttachmentId, CategoryId, MessageId, QueueId, UserId};
use crate::personal::{Personal, Subject};
use crate::text::{MessageText, Name};
use crate::EVENT_VERSION;
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// The agent clicked the chat in the incoming list.
    Pickup,
    /// The dispatcher gave it to a logged-in agent.
    Routing,
}

/// Why routing gave a chat to the agent it did: every agent it could have given it to, as it
/// saw them, and the rule that chose among them. It answers "why her, why then?" later, with the
/// board as it stood at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingChoice {
    pub rule: RoutingRule,
    /// The agents logged in to the chat's queue, not paused, with room, in the rule's order:
    /// the first is the one chosen.
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingRule {
    /// Those who have not declined the chat first, then the fewest chats (offers included),
    /// then idle longest (since their last chat, or logging in), then by id.
    FewestChatsThenIdleLongest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub agent_id: UserId,
    /// Chats the agent had (and had been offered) when routing chose.
    pub chats: u32,
    /// Since when the agent had been without a new chat.
    pub idle_since: String,
    /// They had declined this chat before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declined: bool,
}

/// A customer the company's own site vouches for (its signature is checked where the request
/// arrives): their id there, and the e-mail address the site gave, so that their earlier
/// chats can be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownCustomer {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Something the service tells the customer. Stored as what happened, never as wording:
/// the widget and the console say it in their reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The chat has waited the queue's configured time with no agent logged in to the queue.
    NoAgentsAvailable,
}

impl Notice {
    /// The stable code clients translate.
    pub fn code(self) -> &'static str {
        match self {
            Notice::NoAgentsAvailable => "no_agents_available",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    Customer,
    Agent { user_id: UserId },
    System,
}

/// Why a chat's personal data was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErasureReason {
    /// An administrator, at the data subject's request (or on the data controller's decision).
    Request,
    /// The queue's transcript retention ran out.
    Retention,
    /// The customer deleted the conversation from the widget.
    Customer,
}

/// The facts of a chat's life. Every event says when (`at`), and who did it: `by`, except in
/// `MessageSent` (its `author`) and `MessagesRead` (its `agent_id`, the reader).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChatEvent {
    ChatRequested {
        queue_id: QueueId,
        category_id: Option<CategoryId>,
        customer_name: Personal<Name>,
        answers: Personal<Vec<FormAnswer>>,
        /// Who the customer is on the company's own site, when it vouched for them (none
        /// once erased).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        known_customer: Option<Personal<KnownCustomer>>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A customer left a message for the queue, to be answered by e-mail (the customer's
    /// text follows as the first `MessageSent`, the address as `TranscriptRequested`).
    MessageLeft {
        queue_id: QueueId,
        category_id: Option<CategoryId>,
        customer_name: Personal<Name>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The left message is answered (the answer is the `MessageSent` before this); the copy
    /// of both goes to the customer's address.
    LeftMessageAnswered {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A colleague is invited into the conversation (staff only until they join).
    ColleagueInvited {
        invitee: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    InvitationDeclined {
        invitee: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A colleague is in the conversation besides its agent: they see it all and may write;
    /// the customer sees a second participant.
    ParticipantJoined {
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    ParticipantLeft {
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent asks a supervisor for help with it; the board shows it.
    HandRaised {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Help came (or is no longer wanted); a hand-over, requeue, transfer or end lowers it too.
    HandLowered {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent gave it to a colleague (or a supervisor took it over), who has it now.
    ChatHandedOver {
        from_agent: UserId,
        to_agent: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    ChatAssigned {
        agent_id: UserId,
        via: Assignment,
        /// For an assignment by routing: why this agent. (Absent from older events.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<RoutingChoice>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Routing offers the waiting chat to an agent, who has until `expires_at` to accept it.
    /// It stays waiting, and keeps its place at the head of its queue, until they do.
    ChatOffered {
        agent_id: UserId,
        expires_at: DateTime<Utc>,
        /// Why this agent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<RoutingChoice>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The offered agent turned the chat down: it waits for the next agent.
    OfferDeclined {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Nobody accepted the offer in time: it waits for the next agent.
    OfferExpired {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Routing took the offer back before its time: the agent paused, logged out or is gone.
    OfferWithdrawn {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    MessageSent {
        message_id: MessageId,
        /// 1, 2, 3, … within the chat: what read markers and unread counts refer to.
        number: u64,
        author: Author,
        text: Personal<MessageText>,
        client_message_id: Option<String>,
        at: DateTime<Utc>,
    },
    /// A file in the conversation: a numbered line like a message. Its bytes are stored
    /// beside the log under the chat's key; once the chat is erased its name reads as erased
    /// and only its id, kind, size and hash remain.
    AttachmentSent {
        attachment_id: AttachmentId,
        number: u64,
        author: Author,
        name: Personal<FileName>,
        kind: FileKind,
        size: u64,
        sha256: String,
        client_id: Option<String>,
        at: DateTime<Utc>,
    },
    MessagesRead {
        agent_id: UserId,
        up_to: u64,
        at: DateTime<Utc>,
    },
    /// Staff wrote an internal note in the chat (personal data: none once erased), naming the
    /// colleagues in `mentions`. Never the customer's to see; not a line of the transcript.
    NoteAdded {
        note_id: MessageId,
        text: Personal<MessageText>,
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        mentions: BTreeSet<UserId>,
        /// A supervisor's whisper to the chat's agent.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        whisper: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The service told the customer something; it takes its place in the transcript.
    CustomerNotified {
        message_id: MessageId,
        /// Numbered with the messages: a notice is a line of the transcript.
        number: u64,
        notice: Notice,
        by: Actor,
        at: DateTime<Utc>,
    },
    ChatTransferred {
        from_queue: QueueId,
        from_category: Option<CategoryId>,
        to_queue: QueueId,
        to_category: Option<CategoryId>,
        /// The agent who had the chat, if it was assigned.
        from_agent: Option<UserId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent left it (signed out, or their session ended): it waits in its queue
    /// again, in the place it had.
    ChatRequeued {
        /// The queue it waits in again: the one it was in.
        queue_id: QueueId,
        from_agent: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    ChatEnded {
        agent_id: Option<UserId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// What the chat was about, from the staff member who ended it (or its agent afterwards):
    /// its queue's wrap-up codes, and a note for colleagues, never shown to the customer. The
    /// note is personal data: once the chat is erased it reads as none.
    ChatWrappedUp {
        codes: BTreeSet<Code>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<Personal<MessageText>>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The customer's rating of the chat: 1-5, and a comment (personal: none once erased).
    ChatRated {
        score: Score,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<Personal<MessageText>>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The customer asked for a copy of the conversation by e-mail (the address is personal:
    /// none once erased); it is sent once the chat has ended.
    TranscriptRequested {
        to: Personal<String>,
        by: Actor,
        at: DateTime<Utc>,
    },
    TranscriptSent {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The address takes no mail (the server refused it for good): nothing more is tried.
    TranscriptUndeliverable {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent wraps it up until `until`: routing gives them nothing new till then.
    WrapUpStarted {
        agent_id: UserId,
        until: DateTime<Utc>,
        /// The queue requires a code and the chat ended without one: the agent is asked for it.
        #[serde(default)]
        code_owed: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    WrapUpExtended {
        agent_id: UserId,
        until: DateTime<Utc>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The agent was done before the time was up.
    WrapUpFinished {
        agent_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The customer closed the client: the chat ends, or is abandoned if it was still waiting.
    CustomerClosedClient {
        abandoned: bool,
        agent_id: Option<UserId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat must be kept (a dispute, an investigation): retention passes it by and it
    /// cannot be erased until the hold is lifted.
    LegalHoldPlaced {
        by: Actor,
        at: DateTime<Utc>,
    },
    LegalHoldLifted {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's personal data is gone: its key was deleted as this was appended, so every
    /// name, answer and message text of it, before and after, reads as erased. It carries none.
    ChatErased {
        reason: ErasureReason,
        by: Actor,
        at: DateTime<Utc>,
    },
}

impl ChatEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            ChatEvent::ChatRequested { at, .. }
            | ChatEvent::MessageLeft { at, .. }
            | ChatEvent::LeftMessageAnswered { at, .. }
            | ChatEvent::ChatHandedOver { at, .. }
            | ChatEvent::HandRaised { at, .. }
            | ChatEvent::ColleagueInvited { at, .. }
            | ChatEvent::InvitationDeclined { at, .. }
            | ChatEvent::ParticipantJoined { at, .. }
            | ChatEvent::ParticipantLeft { at, .. }
            | ChatEvent::HandLowered { at, .. }
            | ChatEvent::ChatAssigned { at, .. }
            | ChatEvent::ChatOffered { at, .. }
            | ChatEvent::OfferDeclined { at, .. }
            | ChatEvent::OfferExpired { at, .. }
            | ChatEvent::OfferWithdrawn { at, .. }
            | ChatEvent::MessageSent { at, .. }
            | ChatEvent::AttachmentSent { at, .. }
            | ChatEvent::MessagesRead { at, .. }
            | ChatEvent::NoteAdded { at, .. }
            | ChatEvent::CustomerNotified { at, .. }
            | ChatEvent::ChatTransferred { at, .. }
            | ChatEvent::ChatRequeued { at, .. }
            | ChatEvent::ChatEnded { at, .. }
            | ChatEvent::CustomerClosedClient { at, .. }
            | ChatEvent::ChatWrappedUp { at, .. }
            | ChatEvent::ChatRated { at, .. }
            | ChatEvent::TranscriptRequested { at, .. }
            | ChatEvent::TranscriptSent { at, .. }
            | ChatEvent::TranscriptUndeliverable { at, .. }
            | ChatEvent::WrapUpStarted { at, .. }
            | ChatEvent::WrapUpExtended { at, .. }
            | ChatEvent::WrapUpFinished { at, .. }
            | ChatEvent::LegalHoldPlaced { at, .. }
            | ChatEvent::LegalHoldLifted { at, .. }
            | ChatEvent::ChatErased { at, .. } => *at,
        }
    }

    /// A line of the conversation, a read marker, a legal hold or a request for its transcript:
    /// it changes no chat's status, queue or agent, so it moves nobody in a queue and gives the
    /// dispatcher nothing to do.
    pub fn is_conversation(&self) -> bool {
        matches!(
            self,
            ChatEvent::MessageSent { .. }
                | ChatEvent::AttachmentSent { .. }
                | ChatEvent::MessagesRead { .. }
                | ChatEvent::NoteAdded { .. }
                | ChatEvent::CustomerNotified { .. }
                | ChatEvent::LegalHoldPlaced { .. }
                | ChatEvent::LegalHoldLifted { .. }
                | ChatEvent::TranscriptRequested { .. }
                | ChatEvent::TranscriptSent { .. }
                | ChatEvent::TranscriptUndeliverable { .. }
        )
    }
}

impl ChatEvent {
    /// How staff handle the chat rather than what happens to it: offers, internal notes,
    /// wrap-up (whose note is about the customer, for colleagues) and legal holds. Never the
    /// customer's to see. (Read markers are theirs: they show which of their lines were seen.)
    pub fn is_staff_only(&self) -> bool {
        matches!(
            self,
            ChatEvent::NoteAdded { .. }
                | ChatEvent::ColleagueInvited { .. }
                | ChatEvent::InvitationDeclined { .. }
                | ChatEvent::HandRaised { .. }
                | ChatEvent::HandLowered { .. }
                | ChatEvent::ChatOffered { .. }
                | ChatEvent::OfferDeclined { .. }
                | ChatEvent::OfferExpired { .. }
                | ChatEvent::OfferWithdrawn { .. }
                | ChatEvent::ChatWrappedUp { .. }
                | ChatEvent::WrapUpStarted { .. }
                | ChatEvent::WrapUpExtended { .. }
                | ChatEvent::WrapUpFinished { .. }
                | ChatEvent::LegalHoldPlaced { .. }
                | ChatEvent::LegalHoldLifted { .. }
        )
    }
}

impl DomainEvent for ChatEvent {
    fn event_type(&self) -> String {
        match self {
            ChatEvent::ChatRequested { .. } => "ChatRequested",
            ChatEvent::MessageLeft { .. } => "MessageLeft",
            ChatEvent::LeftMessageAnswered { .. } => "LeftMessageAnswered",
            ChatEvent::ChatHandedOver { .. } => "ChatHandedOver",
            ChatEvent::HandRaised { .. } => "HandRaised",
            ChatEvent::ColleagueInvited { .. } => "ColleagueInvited",
            ChatEvent::InvitationDeclined { .. } => "InvitationDeclined",
            ChatEvent::ParticipantJoined { .. } => "ParticipantJoined",
            ChatEvent::ParticipantLeft { .. } => "ParticipantLeft",
            ChatEvent::HandLowered { .. } => "HandLowered",
            ChatEvent::ChatAssigned { .. } => "ChatAssigned",
            ChatEvent::ChatOffered { .. } => "ChatOffered",
            ChatEvent::OfferDeclined { .. } => "OfferDeclined",
            ChatEvent::OfferExpired { .. } => "OfferExpired",
            ChatEvent::OfferWithdrawn { .. } => "OfferWithdrawn",
            ChatEvent::MessageSent { .. } => "MessageSent",
            ChatEvent::AttachmentSent { .. } => "AttachmentSent",
            ChatEvent::MessagesRead { .. } => "MessagesRead",
            ChatEvent::NoteAdded { .. } => "NoteAdded",
            ChatEvent::CustomerNotified { .. } => "CustomerNotified",
            ChatEvent::ChatTransferred { .. } => "ChatTransferred",
            ChatEvent::ChatRequeued { .. } => "ChatRequeued",
            ChatEvent::ChatEnded { .. } => "ChatEnded",
            ChatEvent::CustomerClosedClient { .. } => "CustomerClosedClient",
            ChatEvent::ChatWrappedUp { .. } => "ChatWrappedUp",
            ChatEvent::ChatRated { .. } => "ChatRated",
            ChatEvent::TranscriptRequested { .. } => "TranscriptRequested",
            ChatEvent::TranscriptSent { .. } => "TranscriptSent",
            ChatEvent::TranscriptUndeliverable { .. } => "TranscriptUndeliverable",
            ChatEvent::WrapUpStarted { .. } => "WrapUpStarted",
            ChatEvent::WrapUpExtended { .. } => "WrapUpExtended",
            ChatEvent::WrapUpFinished { .. } => "WrapUpFinished",
            ChatEvent::LegalHoldPlaced { .. } => "LegalHoldPlaced",
            ChatEvent::LegalHoldLifted { .. } => "LegalHoldLifted",
            ChatEvent::ChatErased { .. } => "ChatErased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_string()
    }
}

impl Subject for ChatEvent {
    fn erases_subject(&self) -> bool {
        matches!(self, ChatEvent::ChatErased { .. })
    }

    fn identifiers(&self) -> Vec<(&'static str, String)> {
        match self {
            ChatEvent::ChatRequested {
                answers: Personal::Known(answers),
                known_customer,
                ..
            } => {
                let site_email = known_customer
                    .as_ref()
                    .and_then(Personal::known)
                    .and_then(|known| known.email.as_deref())
                    .and_then(crate::form::normalised_email)
                    .map(|email| ("email", email));
                answers
                    .iter()
                    .filter_map(FormAnswer::identifier)
                    .chain(site_email)
                    .collect()
            }
            // The address a copy goes to finds the chat too, when its person asks for erasure.
            ChatEvent::TranscriptRequested {
                to: Personal::Known(to),
                ..
            } => crate::form::normalised_email(to)
                .map(|email| vec![("email", email)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}
