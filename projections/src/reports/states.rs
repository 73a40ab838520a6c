//! The history of each chat's place on the board, in `report_chat_states`: a row per event
//! that changes a chat's queue or status, so the board can be shown as it stood at any past
//! instant. Only the latest place of each chat the batch touches is read.

use crate::bulk::{self, Cell};
use crate::event::SamtaleEvent;
use crate::read::ChatStatus;
use crate::timestamp;
use samtale_domain::ChatEvent;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

pub(super) const STATE_COLUMNS: &[&str] = &[
    "chat_id",
    "position",
    "at",
    "queue_id",
    "status",
    "queued_at",
];

/// A chat's place on the board: its queue and when it joined the queues.
type Place = (String, String);

#[derive(Default)]
pub(super) struct ChatStates {
    places: HashMap<String, Place>,
    /// New rows, in `STATE_COLUMNS` order.
    rows: Vec<Vec<Cell>>,
}

impl ChatStates {
    /// Reads the latest place of each of the chats `keys`.
    pub(super) async fn load(
        conn: &mut AnyConnection,
        table: &str,
        keys: &[Cell],
    ) -> Result<Self, sqlx::Error> {
        let mut states = ChatStates::default();
        let select = format!(
            "SELECT chat_id, position, queue_id, queued_at FROM {} WHERE chat_id",
            table
        );
        let mut latest: HashMap<String, i64> = HashMap::new();
        for row in bulk::select_in(conn, &select, keys).await? {
            let chat: String = row.try_get("chat_id")?;
            let position: i64 = row.try_get("position")?;
            if latest.get(&chat).is_none_or(|p| *p < position) {
                latest.insert(chat.clone(), position);
                states
                    .places
                    .insert(chat, (row.try_get("queue_id")?, row.try_get("queued_at")?));
            }
        }
        Ok(states)
    }

    /// Appends the chat's new place and status when an event changes them, for the board as it
    /// stood at any past instant.
    pub(super) fn record(&mut self, event: &SamtaleEvent, chat: &ChatEvent) {
        let (queue, queued_at) = self
            .places
            .get(&event.aggregate_id)
            .cloned()
            .unwrap_or_default();
        let (queue, status, queued_at, at) = match chat {
            ChatEvent::ChatRequested { queue_id, at, .. } => (
                queue_id.to_string(),
                ChatStatus::Waiting,
                timestamp(*at),
                *at,
            ),
            ChatEvent::ChatAssigned { at, .. } => (queue, ChatStatus::Assigned, queued_at, *at),
            // Back in its queue, in its place.
            ChatEvent::ChatRequeued { at, .. } => (queue, ChatStatus::Waiting, queued_at, *at),
            // A transferred chat keeps its original arrival time in the new queue.
            ChatEvent::ChatTransferred { to_queue, at, .. } => {
                (to_queue.to_string(), ChatStatus::Waiting, queued_at, *at)
            }
            ChatEvent::ChatEnded { at, .. } => (queue, ChatStatus::Ended, queued_at, *at),
            ChatEvent::CustomerClosedClient { abandoned, at, .. } => (
                queue,
                if *abandoned {
                    ChatStatus::Abandoned
                } else {
                    ChatStatus::Ended
                },
                queued_at,
                *at,
            ),
            // A left message is never on the board; a hand-over keeps the chat assigned.
            ChatEvent::MessageLeft { .. }
            | ChatEvent::LeftMessageAnswered { .. }
            | ChatEvent::ChatHandedOver { .. }
            | ChatEvent::MessageSent { .. }
            | ChatEvent::AttachmentSent { .. }
            | ChatEvent::NoteAdded { .. }
            | ChatEvent::HandRaised { .. }
            | ChatEvent::HandLowered { .. }
            | ChatEvent::ColleagueInvited { .. }
            | ChatEvent::InvitationDeclined { .. }
            | ChatEvent::ParticipantJoined { .. }
            | ChatEvent::ParticipantLeft { .. }
            | ChatEvent::MessagesRead { .. }
            | ChatEvent::CustomerNotified { .. }
            | ChatEvent::LegalHoldPlaced { .. }
            | ChatEvent::LegalHoldLifted { .. }
            | ChatEvent::ChatErased { .. }
            | ChatEvent::ChatWrappedUp { .. }
            | ChatEvent::ChatRated { .. }
            | ChatEvent::TranscriptRequested { .. }
            | ChatEvent::TranscriptSent { .. }
            | ChatEvent::TranscriptUndeliverable { .. }
            | ChatEvent::WrapUpStarted { .. }
            | ChatEvent::WrapUpExtended { .. }
            | ChatEvent::WrapUpFinished { .. }
            // An offered chat is still waiting, in its place.
            | ChatEvent::ChatOffered { .. }
            | ChatEvent::OfferDeclined { .. }
            | ChatEvent::OfferExpired { .. }
            | ChatEvent::OfferWithdrawn { .. } => return,
        };
        self.rows.push(vec![
            event.aggregate_id.clone().into(),
            event.position.position.into(),
            timestamp(at).into(),
            queue.clone().into(),
            status.as_str().to_string().into(),
            queued_at.clone().into(),
        ]);
        self.places
            .insert(event.aggregate_id.clone(), (queue, queued_at));
    }

    pub(super) async fn write(
        self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<(), sqlx::Error> {
        bulk::insert(conn, table, STATE_COLUMNS, &self.rows, "").await
    }
}
