//! A chat as it stood at any instant, folded straight from its events: for supervisors'
//! replay and audit, and for `samtale replay`. Independent of the read models, so it shows
//! what the log says even if a projection were wrong.

use crate::event::{decode, DomainEvent};
use crate::read::{AuthorKind, ChatStatus};
use chrono::{DateTime, SubsecRound, Utc};
use samtale_domain::chat::Author;
use samtale_domain::form::FormAnswer;
use samtale_domain::text::Name;
use samtale_domain::{CategoryId, ChatEvent, Personal, QueueId};
use samtale_eventlog::{LogError, LoggedEvent};
use serde::Serialize;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayedMessage {
    pub number: u64,
    pub author_kind: AuthorKind,
    pub author_id: Option<String>,
    pub text: String,
    /// A notice from the service (`no_agents_available`), worded by the client.
    pub notice: Option<String>,
    pub sent_at: DateTime<Utc>,
    /// A file sent as this line: what it was, never its bytes.
    pub file: Option<ReplayedFile>,
}

impl ReplayedMessage {
    /// A line by `author`, empty until its text or file is set.
    fn line(number: u64, author: &Author, sent_at: DateTime<Utc>) -> Self {
        let (author_kind, author_id) = AuthorKind::of(author);
        ReplayedMessage {
            number,
            author_kind,
            author_id,
            text: String::new(),
            notice: None,
            sent_at,
            file: None,
        }
    }
}

/// A file in a replayed conversation: its name (`null` once erased), type and size.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayedFile {
    pub attachment_id: String,
    pub name: Option<String>,
    pub media_type: String,
    pub size: u64,
}

/// An internal note, as a replay shows it to staff.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayedNote {
    pub author_id: Option<String>,
    pub text: String,
    pub written_at: DateTime<Utc>,
}

/// The chat as its events up to some instant make it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayedChat {
    pub chat_id: String,
    pub status: ChatStatus,
    pub queue_id: Option<String>,
    pub category_id: Option<String>,
    pub customer_name: String,
    pub answers: Vec<FormAnswer>,
    pub agent_id: Option<String>,
    pub transfers: u32,
    pub transcript: Vec<ReplayedMessage>,
    /// Staff's internal notes, in order.
    pub notes: Vec<ReplayedNote>,
    /// Its wrap-up codes and the agent's note (staff only), once wrapped up.
    pub wrap_up_codes: Vec<String>,
    pub wrap_up_note: Option<String>,
    /// The customer's rating (1-5) and comment, once given.
    pub rating: Option<u8>,
    pub rating_comment: Option<String>,
    /// Its personal data is erased: the name, the answers and every text are empty, at any
    /// instant, since the key they were encrypted under is gone.
    pub erased: bool,
    /// The last event folded in, and when it happened.
    pub as_of: Option<DateTime<Utc>>,
}

/// Folds a chat's events that happened at or before `at` (all of them when `None`).
/// `None` if the chat did not exist yet.
pub fn chat_at(
    events: Vec<LoggedEvent>,
    at: Option<DateTime<Utc>>,
) -> Result<Option<ReplayedChat>, LogError> {
    let mut chat: Option<ReplayedChat> = None;
    for logged in events {
        let Some(event) = decode(logged)? else {
            continue;
        };
        let DomainEvent::Chat(chat_event) = event.event else {
            continue;
        };
        let happened = chat_event.at();
        // Times are shown and stored to the microsecond: an instant taken from an audit entry
        // must include that entry's event, so compare at that precision.
        if at.is_some_and(|at| happened.trunc_subsecs(6) > at) {
            break;
        }
        let state = chat.get_or_insert_with(|| ReplayedChat {
            chat_id: event.aggregate_id.clone(),
            status: ChatStatus::Waiting,
            queue_id: None,
            category_id: None,
            customer_name: String::new(),
            answers: Vec::new(),
            agent_id: None,
            transfers: 0,
            transcript: Vec::new(),
            notes: Vec::new(),
            wrap_up_codes: Vec::new(),
            wrap_up_note: None,
            rating: None,
            rating_comment: None,
            erased: false,
            as_of: None,
        });
        apply(state, chat_event);
        state.as_of = Some(happened);
    }
    Ok(chat)
}

impl ReplayedChat {
    /// The chat's first event: where it is, and who the customer is.
    fn arrive(
        &mut self,
        status: ChatStatus,
        queue_id: QueueId,
        category_id: Option<CategoryId>,
        customer_name: &Personal<Name>,
    ) {
        self.status = status;
        self.queue_id = Some(queue_id.to_string());
        self.category_id = category_id.map(|c| c.to_string());
        self.erased |= customer_name.is_erased();
        self.customer_name = customer_name
            .known()
            .map(|name| name.as_str().to_string())
            .unwrap_or_default();
    }
}

fn apply(chat: &mut ReplayedChat, event: ChatEvent) {
    match event {
        ChatEvent::ChatRequested {
            queue_id,
            category_id,
            customer_name,
            answers,
            ..
        } => {
            chat.arrive(ChatStatus::Waiting, queue_id, category_id, &customer_name);
            chat.answers = answers.known().cloned().unwrap_or_default();
        }
        ChatEvent::MessageLeft {
            queue_id,
            category_id,
            customer_name,
            ..
        } => chat.arrive(ChatStatus::Left, queue_id, category_id, &customer_name),
        ChatEvent::ChatAssigned { agent_id, .. } => {
            chat.status = ChatStatus::Assigned;
            chat.agent_id = Some(agent_id.to_string());
        }
        ChatEvent::ChatHandedOver { to_agent, .. } => chat.agent_id = Some(to_agent.to_string()),
        ChatEvent::LeftMessageAnswered { agent_id, .. } => {
            chat.status = ChatStatus::Ended;
            chat.agent_id = Some(agent_id.to_string());
        }
        ChatEvent::MessageSent {
            number,
            author,
            text,
            at,
            ..
        } => chat.transcript.push(ReplayedMessage {
            text: text
                .known()
                .map(|text| text.as_str().to_string())
                .unwrap_or_default(),
            ..ReplayedMessage::line(number, &author, at)
        }),
        ChatEvent::AttachmentSent {
            attachment_id,
            number,
            author,
            name,
            kind,
            size,
            at,
            ..
        } => chat.transcript.push(ReplayedMessage {
            file: Some(ReplayedFile {
                attachment_id: attachment_id.to_string(),
                name: name.known().map(|name| name.as_str().to_string()),
                media_type: kind.media_type().to_string(),
                size,
            }),
            ..ReplayedMessage::line(number, &author, at)
        }),
        ChatEvent::CustomerNotified {
            number, notice, at, ..
        } => chat.transcript.push(ReplayedMessage {
            number,
            author_kind: AuthorKind::System,
            author_id: None,
            text: String::new(),
            notice: Some(notice.code().into()),
            sent_at: at,
            file: None,
        }),
        ChatEvent::NoteAdded { text, by, at, .. } => chat.notes.push(ReplayedNote {
            author_id: by.user_id().map(|id| id.to_string()),
            text: text
                .known()
                .map(|text| text.as_str().to_string())
                .unwrap_or_default(),
            written_at: at,
        }),
        // An offer changes nothing a replay shows until it is accepted (an assignment).
        ChatEvent::MessagesRead { .. }
        | ChatEvent::HandRaised { .. }
        | ChatEvent::HandLowered { .. }
        | ChatEvent::ColleagueInvited { .. }
        | ChatEvent::InvitationDeclined { .. }
        | ChatEvent::ParticipantJoined { .. }
        | ChatEvent::ParticipantLeft { .. }
        | ChatEvent::ChatOffered { .. }
        | ChatEvent::OfferDeclined { .. }
        | ChatEvent::OfferExpired { .. }
        | ChatEvent::OfferWithdrawn { .. }
        | ChatEvent::WrapUpStarted { .. }
        | ChatEvent::WrapUpExtended { .. }
        | ChatEvent::WrapUpFinished { .. }
        | ChatEvent::TranscriptRequested { .. }
        | ChatEvent::TranscriptSent { .. }
        | ChatEvent::TranscriptUndeliverable { .. } => {}
        ChatEvent::ChatRated { score, comment, .. } => {
            chat.rating = Some(score.get());
            chat.rating_comment =
                comment.and_then(|comment| comment.known().map(|text| text.as_str().to_string()));
        }
        ChatEvent::ChatWrappedUp { codes, note, .. } => {
            chat.wrap_up_codes = codes.iter().map(|c| c.to_string()).collect();
            chat.wrap_up_note =
                note.and_then(|note| note.known().map(|text| text.as_str().to_string()));
        }
        ChatEvent::ChatTransferred {
            to_queue,
            to_category,
            ..
        } => {
            chat.status = ChatStatus::Waiting;
            chat.queue_id = Some(to_queue.to_string());
            chat.category_id = to_category.map(|c| c.to_string());
            chat.agent_id = None;
            chat.transfers += 1;
        }
        ChatEvent::ChatRequeued { .. } => {
            chat.status = ChatStatus::Waiting;
            chat.agent_id = None;
        }
        ChatEvent::ChatEnded { .. } => chat.status = ChatStatus::Ended,
        ChatEvent::CustomerClosedClient { abandoned, .. } => {
            chat.status = if abandoned {
                ChatStatus::Abandoned
            } else {
                ChatStatus::Ended
            };
        }
        ChatEvent::LegalHoldPlaced { .. } | ChatEvent::LegalHoldLifted { .. } => {}
        ChatEvent::ChatErased { .. } => chat.erased = true,
    }
}
