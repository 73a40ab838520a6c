use super::consult::Invitee;
use super::events::{Assignment, ErasureReason, KnownCustomer, Notice, RoutingChoice};
use super::hand_over::Colleague;
use super::left_message::LeftMessage;
use super::notes::Note;
use super::rating::Score;
use super::wrap_up::{Disposition, WrapUpPolicies};
use crate::actor::Actor;
use crate::attachment::FileFacts;
use crate::form::FormField;
use crate::hours::OpeningHours;
use crate::ids::{AttachmentId, CategoryId, MessageId, QueueId, UserId};
use crate::text::{MessageText, Name};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What someone wants to happen to a chat. Each carries the actor and the time, so the
/// aggregate stays free of clocks and sessions.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatCommand {
    /// A customer starts a chat. `form` is the form as configured now; `answers` are the
    /// customer's raw answers, validated against it by the aggregate.
    Request {
        queue_id: QueueId,
        category_id: Option<CategoryId>,
        customer_name: Name,
        form: Vec<FormField>,
        answers: BTreeMap<String, String>,
        /// Who the customer is, where the company's site vouched for them.
        known_customer: Option<KnownCustomer>,
        /// The queue's opening hours, as the directory has them now.
        hours: Option<OpeningHours>,
        at: DateTime<Utc>,
    },
    /// An agent picks the chat up (`Pickup`), or the dispatcher assigns it (`Routing`).
    Assign {
        agent_id: UserId,
        /// The queues the agent is a member of, as the directory has them now.
        agent_queues: BTreeSet<QueueId>,
        via: Assignment,
        /// Routing's reasons, when routing assigns.
        choice: Option<RoutingChoice>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The dispatcher offers the waiting chat to an agent until `expires_at`.
    Offer {
        agent_id: UserId,
        /// The queues the agent is a member of, as the directory has them now.
        agent_queues: BTreeSet<QueueId>,
        expires_at: DateTime<Utc>,
        choice: Option<RoutingChoice>,
        at: DateTime<Utc>,
    },
    /// The agent it is offered to takes it (as does their first message to it).
    AcceptOffer {
        by: Actor,
        at: DateTime<Utc>,
    },
    DeclineOffer {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The dispatcher withdraws an offer to `agent_id` whose time has run out; nothing
    /// happens if that offer was accepted, declined or withdrawn already.
    ExpireOffer {
        agent_id: UserId,
        at: DateTime<Utc>,
    },
    /// The dispatcher takes back an offer to `agent_id`, who can no longer take it; nothing
    /// happens if that offer is over already.
    WithdrawOffer {
        agent_id: UserId,
        at: DateTime<Utc>,
    },
    SendMessage {
        message_id: MessageId,
        text: MessageText,
        client_message_id: Option<String>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A file whose bytes are stored, announced as the conversation's next line; written by
    /// whoever may write a message.
    SendAttachment {
        attachment_id: AttachmentId,
        file: FileFacts,
        client_id: Option<String>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The assigned agent has read the messages up to and including number `up_to`.
    MarkRead {
        up_to: u64,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Back into a queue (and category), waiting for an agent there.
    Transfer {
        to_queue: QueueId,
        to_category: Option<CategoryId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent (or a supervisor) gives it to a named colleague.
    HandOver {
        to: Colleague,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Staff write an internal note in the chat.
    AddNote {
        note: Note,
        /// The queues the writer is a member of, as the directory has them now.
        writer_queues: BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent (or a supervisor) invites a colleague into the conversation.
    Invite {
        invitee: Invitee,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The invited colleague joins (`accept`) or declines.
    AnswerInvitation {
        accept: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A supervisor or administrator joins the conversation uninvited.
    Join {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A colleague who joined leaves the conversation.
    Leave {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A supervisor or administrator takes the chat over from its agent.
    TakeOver {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The chat's agent raises (or lowers) a hand for a supervisor's help.
    RaiseHand {
        raised: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// A customer leaves a message for a queue, to be answered by e-mail.
    LeaveMessage {
        left: LeftMessage,
        at: DateTime<Utc>,
    },
    /// Someone who works the message's queue answers it; the answer goes out by e-mail.
    AnswerLeftMessage {
        message_id: MessageId,
        text: MessageText,
        /// The queues the one answering is a member of, as the directory has them now.
        agent_queues: BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Back into its queue, in its place, from the agent who has it: they are leaving (the
    /// agent, a supervisor), or gone (the system, when the agent's sessions have ended).
    Requeue {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Staff end the chat, saying what it was about (its queue may require a code).
    End {
        disposition: Disposition,
        policies: WrapUpPolicies,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The codes and note of a chat that ended without them.
    WrapUp {
        disposition: Disposition,
        policies: WrapUpPolicies,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The customer rates the chat they had (its end is when they are asked).
    Rate {
        score: Score,
        comment: Option<MessageText>,
        at: DateTime<Utc>,
    },
    /// The customer wants a copy of the conversation by e-mail, to `to` (a normalised address).
    RequestTranscript {
        to: String,
        at: DateTime<Utc>,
    },
    /// The mail worker has sent the copy (`delivered`), or found its address takes no mail.
    SettleTranscript {
        delivered: bool,
        at: DateTime<Utc>,
    },
    /// The agent needs more time to wrap up (once).
    ExtendWrapUp {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The agent is done wrapping up before the time is up: routing may give them a chat.
    FinishWrapUp {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The service tells the waiting customer something (see [`Notice`]).
    Notify {
        message_id: MessageId,
        notice: Notice,
        at: DateTime<Utc>,
    },
    /// The customer closed the chat client.
    CloseClient {
        policies: WrapUpPolicies,
        at: DateTime<Utc>,
    },
    /// Keep the chat whatever its retention or any erasure request says, until lifted.
    PlaceLegalHold {
        by: Actor,
        at: DateTime<Utc>,
    },
    LiftLegalHold {
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Forget the ended chat's personal data: an administrator on request, the retention job
    /// (the system) or the customer themselves.
    Erase {
        reason: ErasureReason,
        by: Actor,
        at: DateTime<Utc>,
    },
}
