//! Response shapes shared by the agent and customer sides.

use super::events::SEEN_EVERY;
use crate::error::ApiError;
use crate::extract::parse_id;
use samtale_domain::form::FormAnswer;
use samtale_domain::{CategoryId, QueueId};
use samtale_projections::read::{
    self, AgentChatState, Author, ChatRow, MessageRow, NoteRow, Participant,
};
use serde::Serialize;
use sqlx::AnyPool;

/// A chat as agents and its customer see it. Times are RFC 3339 UTC.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatView {
    #[schema(format = Uuid)]
    pub chat_id: String,
    /// `waiting`, `assigned`, `ended`, `abandoned`, or `left` (a left message not answered yet).
    pub status: String,
    pub queue_id: String,
    pub category_id: Option<String>,
    pub customer_name: String,
    pub answers: Vec<FormAnswer>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub requested_at: String,
    pub assigned_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub transfers: i64,
    /// 1 = next in line; only while waiting.
    pub queue_position: Option<i64>,
    /// From the queue's recent pace; only while waiting, once the queue has a pace.
    pub estimated_wait_seconds: Option<i64>,
    pub transcript: Vec<MessageRow>,
    /// The chat's personal data has been erased: the name, the answers and every text are
    /// empty; its facts remain.
    pub erased: bool,
    pub erased_at: Option<String>,
    /// Under legal hold: kept whatever its retention or an erasure request says. Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
    /// What its wrap-up recorded, once it has (or that its queue wants a code). Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<WrapUpView>,
    /// The customer's rating (1-5) once given; the widget asks for one after the end.
    pub rating: Option<i64>,
    /// The customer's comment with the rating. Staff only (the customer wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_comment: Option<String>,
    /// The copy by e-mail the customer asked for: where to, and when it was sent.
    pub transcript_mail: Option<TranscriptMailView>,
    /// Staff's internal notes, in order. Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteRow>>,
    /// Colleagues in the conversation besides its agent (and, for staff, those invited), by
    /// display name: the customer sees who else is there.
    pub participants: Vec<Participant>,
    /// The display names of staff who wrote in the chat (for the customer: messages only), so
    /// each line is labelled with who wrote it, not with whoever has the chat now.
    pub authors: Vec<Author>,
    /// Whether its agent has asked for help. Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_raised: Option<bool>,
    /// The number of the last message its agent has read: the customer's lines up to it are
    /// seen. `null` while nobody has it.
    pub read_up_to: Option<i64>,
    /// When the customer last had the chat open in the widget, and whether they have it open
    /// now (within the last minute). Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_seen_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_online: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TranscriptMailView {
    pub to: String,
    pub sent_at: Option<String>,
}

/// A chat's wrap-up: its codes, the note for colleagues, and who gave them when.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WrapUpView {
    pub codes: Vec<String>,
    pub note: Option<String>,
    pub by_id: Option<String>,
    pub wrapped_up_at: Option<String>,
    /// The chat's queue requires a code and it has none yet: its agent is asked for one.
    pub code_owed: bool,
}

impl ChatView {
    /// What the chat's customer is shown: not whether the centre holds it for a dispute, nor
    /// what staff noted of it.
    pub fn for_customer(self) -> Self {
        Self {
            legal_hold: None,
            wrap_up: None,
            rating_comment: None,
            notes: None,
            participants: self
                .participants
                .into_iter()
                .filter(|p| p.state == AgentChatState::Active)
                .collect(),
            authors: self
                .authors
                .into_iter()
                .filter(|author| author.in_transcript != 0)
                .collect(),
            hand_raised: None,
            customer_seen_at: None,
            customer_online: None,
            ..self
        }
    }
}

pub async fn chat_row(db: &AnyPool, chat_id: &str) -> Result<ChatRow, ApiError> {
    read::chat(db, chat_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such chat".into()))
}

pub async fn chat_view(db: &AnyPool, chat: ChatRow) -> Result<ChatView, ApiError> {
    let transcript = read::transcript(db, &chat.chat_id).await?;
    let queue_position = read::queue_position(db, &chat.chat_id).await?;
    let estimated_wait_seconds = match queue_position {
        Some(position) => read::estimated_wait_seconds(db, &chat.queue_id, position).await?,
        None => None,
    };
    let agent_name = match &chat.agent_id {
        Some(agent) => read::user(db, agent).await?.map(|u| u.display_name),
        None => None,
    };
    let transcript_mail = read::transcript_mail(db, &chat.chat_id)
        .await?
        .filter(|(to, _)| !to.is_empty())
        .map(|(to, sent_at)| TranscriptMailView { to, sent_at });
    let wrap_up = read::chat_wrap_up(db, &chat.chat_id)
        .await?
        .map(|w| WrapUpView {
            codes: serde_json::from_str(&w.codes).unwrap_or_default(),
            note: w.note,
            by_id: w.by_id,
            wrapped_up_at: w.wrapped_up_at,
            code_owed: w.code_owed != 0,
        });
    let notes = Some(read::notes(db, &chat.chat_id).await?);
    let participants = read::participants(db, &chat.chat_id).await?;
    let authors = read::authors(db, &chat.chat_id).await?;
    let read_up_to = match &chat.agent_id {
        Some(agent) => read::read_up_to(db, &chat.chat_id, agent).await?,
        None => None,
    };
    let customer_seen_at = read::customer_seen(db, &chat.chat_id).await?;
    let online_since = samtale_projections::timestamp(
        chrono::Utc::now() - chrono::Duration::from_std(2 * SEEN_EVERY).unwrap_or_default(),
    );
    let customer_online = Some(
        customer_seen_at
            .as_ref()
            .is_some_and(|seen| *seen >= online_since),
    );
    Ok(ChatView {
        answers: serde_json::from_str(&chat.answers).unwrap_or_default(),
        chat_id: chat.chat_id,
        status: chat.status.as_str().into(),
        queue_id: chat.queue_id,
        category_id: chat.category_id,
        customer_name: chat.customer_name,
        agent_id: chat.agent_id,
        agent_name,
        requested_at: chat.requested_at,
        assigned_at: chat.assigned_at,
        ended_at: chat.ended_at,
        end_reason: chat.end_reason.map(|r| r.as_str().into()),
        transfers: chat.transfers,
        queue_position,
        estimated_wait_seconds,
        transcript,
        erased: chat.erased_at.is_some(),
        erased_at: chat.erased_at,
        legal_hold: Some(chat.legal_hold != 0),
        wrap_up,
        rating: Some(chat.rating).filter(|score| *score > 0),
        rating_comment: chat.rating_comment,
        transcript_mail,
        notes,
        participants,
        authors,
        hand_raised: Some(chat.hand_raised != 0),
        read_up_to,
        customer_seen_at,
        customer_online,
    })
}

/// Where a chat is headed: a queue, or a category (and so its queue). Exactly one must be
/// given; an unknown one is a 422 naming the field. Shared by starting and transferring.
pub async fn destination(
    db: &AnyPool,
    queue_id: Option<String>,
    category_id: Option<String>,
) -> Result<(QueueId, Option<CategoryId>), ApiError> {
    match (queue_id, category_id) {
        (None, Some(category)) => {
            let category_id: CategoryId = parse_id("category_id", &category)?;
            let found = read::category(db, &category_id.to_string())
                .await?
                .ok_or_else(|| ApiError::invalid_field("category_id", "no such category"))?;
            Ok((parse_id("queue_id", &found.queue_id)?, Some(category_id)))
        }
        (Some(queue), None) => {
            let queue_id: QueueId = parse_id("queue_id", &queue)?;
            read::queue(db, &queue_id.to_string())
                .await?
                .ok_or_else(|| ApiError::invalid_field("queue_id", "no such queue"))?;
            Ok((queue_id, None))
        }
        _ => Err(ApiError::invalid_field(
            "queue_id",
            "give exactly one of queue_id and category_id",
        )),
    }
}
