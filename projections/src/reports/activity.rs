//! The agents' activity lines in `report_agent_activity`: logins and logouts (and who did
//! them), assignments, chats handled or transferred away, offers and what became of them,
//! pauses — one line per such event, appended and never changed, so a batch writes them
//! without reading anything.

use super::AgentActivity;
use crate::bulk::{self, Cell};
use crate::columns::Columns;
use crate::event::{DomainEvent, SamtaleEvent};
use crate::read::ActivityKind;
use crate::timestamp;
use samtale_domain::presence::PauseReason;
use samtale_domain::{Actor, ChatEvent, PresenceEvent};

/// A batch's new activity lines, in `columns()` order.
#[derive(Default)]
pub(super) struct ActivityLines(Vec<Vec<Cell>>);

/// The table's columns: the agent, then a line as `AgentActivity` reads it.
pub(super) fn columns() -> Vec<&'static str> {
    std::iter::once("agent_id")
        .chain(AgentActivity::COLUMNS.iter().copied())
        .collect()
}

impl ActivityLines {
    /// Adds the line `event` makes in an agent's activity, if it makes one.
    pub(super) fn record(&mut self, event: &SamtaleEvent) {
        let actor = |by: &Actor| serde_json::to_string(by).unwrap_or_default();
        let chat = Some(event.aggregate_id.clone());
        let (agent_id, at, kind, chat_id, queues, by) = match &event.event {
            DomainEvent::Presence(PresenceEvent::AgentLoggedIn { queues, by, at, .. }) => (
                event.aggregate_id.clone(),
                *at,
                ActivityKind::LoggedIn,
                None,
                serde_json::to_string(queues).ok(),
                actor(by),
            ),
            DomainEvent::Presence(PresenceEvent::AgentLoggedOut { queues, by, at, .. }) => (
                event.aggregate_id.clone(),
                *at,
                ActivityKind::LoggedOut,
                None,
                serde_json::to_string(queues).ok(),
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::ChatAssigned {
                agent_id, by, at, ..
            }) => (
                agent_id.to_string(),
                *at,
                ActivityKind::Assigned,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::ChatTransferred {
                from_agent: Some(agent),
                by,
                at,
                ..
            })
            | DomainEvent::Chat(ChatEvent::ChatRequeued {
                from_agent: agent,
                by,
                at,
                ..
            }) => (
                agent.to_string(),
                *at,
                ActivityKind::TransferredAway,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::ChatEnded {
                agent_id: Some(agent),
                by,
                at,
                ..
            })
            | DomainEvent::Chat(ChatEvent::CustomerClosedClient {
                agent_id: Some(agent),
                by,
                at,
                ..
            }) => (
                agent.to_string(),
                *at,
                ActivityKind::Handled,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::ChatOffered {
                agent_id, by, at, ..
            }) => (
                agent_id.to_string(),
                *at,
                ActivityKind::Offered,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::OfferDeclined { agent_id, by, at }) => (
                agent_id.to_string(),
                *at,
                ActivityKind::OfferDeclined,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Chat(ChatEvent::OfferExpired { agent_id, by, at }) => (
                agent_id.to_string(),
                *at,
                ActivityKind::OfferExpired,
                chat,
                None,
                actor(by),
            ),
            DomainEvent::Presence(PresenceEvent::AgentPaused { reason, by, at }) => (
                event.aggregate_id.clone(),
                *at,
                match reason {
                    PauseReason::Away => ActivityKind::PausedAway,
                    PauseReason::NoAnswer => ActivityKind::PausedNoAnswer,
                    PauseReason::Defined(_) => ActivityKind::Paused,
                },
                None,
                None,
                actor(by),
            ),
            DomainEvent::Presence(PresenceEvent::AgentResumed { by, at }) => (
                event.aggregate_id.clone(),
                *at,
                ActivityKind::Resumed,
                None,
                None,
                actor(by),
            ),
            _ => return,
        };
        let reason = match &event.event {
            DomainEvent::Presence(PresenceEvent::AgentPaused { reason, .. }) => {
                Some(reason.as_str().to_string())
            }
            _ => None,
        };
        self.0.push(vec![
            agent_id.into(),
            event.position.position.into(),
            timestamp(at).into(),
            kind.into(),
            chat_id.into(),
            queues.into(),
            by.into(),
            reason.into(),
        ]);
    }

    pub(super) async fn write(
        self,
        conn: &mut sqlx::AnyConnection,
        table: &str,
    ) -> Result<(), sqlx::Error> {
        bulk::insert(conn, table, &columns(), &self.0, "").await
    }
}
