//! The reports fold, a batch at a time: the rows a batch touches are read in a few statements,
//! its events folded in memory in log order, and every change written back in a few
//! statements. Durations are summed in whole milliseconds, so however the log is cut into
//! batches — live, or in a rebuild — the sums come out the same.

use super::activity::ActivityLines;
use super::chats::{chat_columns, write_chats, write_message_counts, Messages, ReportChatRow};
use super::intervals::Intervals;
use super::presence::PresenceTime;
use super::states::ChatStates;
use super::{interval_of, parse, Tables, SERVICE_LEVEL_SECONDS};
use crate::bulk::{self, Cell};
use crate::event::{chats_started_before, DomainEvent, SamtaleEvent};
use crate::projection::ProjectionError;
use crate::read::EndReason;
use crate::timestamp;
use chrono::{DateTime, Utc};
use samtale_domain::chat::Author;
use samtale_domain::{ChatEvent, DirectoryEvent, PresenceEvent};
use sqlx::{AnyConnection, FromRow, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(super) async fn fold(
    conn: &mut AnyConnection,
    t: &Tables,
    events: &[SamtaleEvent],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::load(conn, t, events).await?;
    for event in events {
        batch.apply(event);
    }
    batch.write(conn, t).await?;
    Ok(())
}

#[derive(Default)]
struct Batch {
    chats: HashMap<String, ReportChatRow>,
    changed_chats: BTreeSet<String>,
    /// Messages to chats the batch does nothing else to: added to their rows without reading
    /// them, which spares a busy log's batches, almost all messages, two reads each.
    messages_only: BTreeMap<String, Messages>,
    states: ChatStates,
    activity: ActivityLines,
    intervals: Intervals,
    thresholds: HashMap<String, f64>,
    changed_thresholds: BTreeSet<String>,
    presence: PresenceTime,
}

fn millis_between(from: &str, to: DateTime<Utc>) -> Option<i64> {
    parse(from).map(|from| (to - from).num_milliseconds())
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Batch {
    /// Reads the rows the batch's events will change.
    async fn load(
        conn: &mut AnyConnection,
        t: &Tables,
        events: &[SamtaleEvent],
    ) -> Result<Self, sqlx::Error> {
        let keys: Vec<Cell> = chats_started_before(events, |e| !e.is_conversation())
            .iter()
            .map(|id| id.to_string().into())
            .collect();
        let mut batch = Batch::default();
        if !keys.is_empty() {
            let select = format!(
                "SELECT {} FROM {} WHERE chat_id",
                chat_columns().join(", "),
                t.chats
            );
            for row in bulk::select_in(conn, &select, &keys).await? {
                let chat = ReportChatRow::from_row(&row)?;
                batch.chats.insert(row.try_get("chat_id")?, chat);
            }
            batch.states = ChatStates::load(conn, &t.states, &keys).await?;
        }
        // Both tables hold a row per queue and per logged-in agent: small enough to read whole.
        // Only an assignment reads a threshold and only a logout a session's start; a batch
        // of messages, the bulk of a busy log, reads neither.
        let any = |wanted: fn(&DomainEvent) -> bool| events.iter().any(|e| wanted(&e.event));
        if any(|e| matches!(e, DomainEvent::Chat(ChatEvent::ChatAssigned { .. }))) {
            let thresholds: Vec<(String, f64)> = sqlx::query_as(&format!(
                "SELECT queue_id, service_level_seconds FROM {}",
                t.thresholds
            ))
            .fetch_all(&mut *conn)
            .await?;
            batch.thresholds = thresholds.into_iter().collect();
        }
        batch.presence = PresenceTime::load(conn, t, events).await?;
        Ok(batch)
    }

    fn apply(&mut self, event: &SamtaleEvent) {
        if let DomainEvent::Chat(chat) = &event.event {
            self.states.record(event, chat);
        }
        self.activity.record(event);
        match &event.event {
            DomainEvent::Chat(chat) => self.fold_chat(&event.aggregate_id, chat),
            DomainEvent::Presence(presence) => self.fold_presence(&event.aggregate_id, presence),
            DomainEvent::Directory(DirectoryEvent::QueueConfigured {
                queue_id, settings, ..
            }) => {
                let threshold = settings
                    .service_level_seconds
                    .map_or(SERVICE_LEVEL_SECONDS, f64::from);
                self.thresholds.insert(queue_id.to_string(), threshold);
                self.changed_thresholds.insert(queue_id.to_string());
            }
            DomainEvent::Directory(_) => {}
        }
    }

    fn fold_presence(&mut self, agent: &str, event: &PresenceEvent) {
        self.presence.fold(agent, event, &mut self.intervals);
    }

    fn fold_chat(&mut self, chat_id: &str, event: &ChatEvent) {
        let Some(mut chat) = self.chats.get(chat_id).cloned() else {
            if let ChatEvent::ChatRequested {
                queue_id,
                category_id,
                at,
                ..
            }
            | ChatEvent::MessageLeft {
                queue_id,
                category_id,
                at,
                ..
            } = event
            {
                let queue = queue_id.to_string();
                let d = self.intervals.queue(&queue, interval_of(*at));
                if matches!(event, ChatEvent::MessageLeft { .. }) {
                    d.left_messages += 1;
                } else {
                    d.offered += 1;
                }
                let chat = ReportChatRow {
                    queue_id: queue,
                    category_id: category_id.map(|c| c.to_string()),
                    requested_at: timestamp(*at),
                    ..ReportChatRow::default()
                };
                self.chats.insert(chat_id.to_string(), chat);
                self.changed_chats.insert(chat_id.to_string());
            } else if let ChatEvent::MessageSent { author, at, .. } = event {
                self.messages_only
                    .entry(chat_id.to_string())
                    .or_default()
                    .count(author, *at);
            } else if let ChatEvent::AttachmentSent {
                author, size, at, ..
            } = event
            {
                self.messages_only
                    .entry(chat_id.to_string())
                    .or_default()
                    .count_file(author, *size, *at);
            }
            return;
        };
        match event {
            // Reports hold no personal data: holds and erasures change none of their figures.
            ChatEvent::ChatRequested { .. }
            | ChatEvent::MessageLeft { .. }
            | ChatEvent::MessagesRead { .. }
            | ChatEvent::NoteAdded { .. }
            | ChatEvent::HandRaised { .. }
            | ChatEvent::HandLowered { .. }
            | ChatEvent::ColleagueInvited { .. }
            | ChatEvent::InvitationDeclined { .. }
            | ChatEvent::ParticipantJoined { .. }
            | ChatEvent::ParticipantLeft { .. }
            | ChatEvent::CustomerNotified { .. }
            | ChatEvent::LegalHoldPlaced { .. }
            | ChatEvent::LegalHoldLifted { .. }
            | ChatEvent::ChatErased { .. }
            | ChatEvent::TranscriptRequested { .. }
            | ChatEvent::TranscriptSent { .. }
            | ChatEvent::TranscriptUndeliverable { .. } => return,
            // A chat's wait runs on through offers, to the assignment that ends it; the offers
            // count for the agents they went to.
            ChatEvent::ChatOffered { agent_id, at, .. } => {
                self.intervals
                    .agent(&agent_id.to_string(), interval_of(*at))
                    .offers += 1;
                return;
            }
            ChatEvent::OfferDeclined { agent_id, at, .. } => {
                let d = self
                    .intervals
                    .agent(&agent_id.to_string(), interval_of(*at));
                d.offers_declined += 1;
                return;
            }
            ChatEvent::OfferExpired { agent_id, at, .. } => {
                let d = self
                    .intervals
                    .agent(&agent_id.to_string(), interval_of(*at));
                d.offers_expired += 1;
                return;
            }
            ChatEvent::OfferWithdrawn { .. } => return,
            ChatEvent::WrapUpStarted {
                agent_id,
                until,
                at,
                ..
            } => {
                self.wrap_up(&mut chat, agent_id, *at, *until);
            }
            ChatEvent::WrapUpExtended {
                agent_id, until, ..
            } => {
                if let Some(from) = chat.wrap_up_until.as_deref().and_then(parse) {
                    self.wrap_up(&mut chat, agent_id, from, *until);
                }
            }
            // Cut short: the time from now to the planned end is taken back.
            ChatEvent::WrapUpFinished { agent_id, at, .. } => {
                if let Some(from) = chat.wrap_up_until.as_deref().and_then(parse) {
                    self.wrap_up(&mut chat, agent_id, from, *at);
                }
            }
            ChatEvent::ChatRated { score, .. } => chat.rating = Some(f64::from(score.get())),
            ChatEvent::ChatWrappedUp { codes, at, .. } => {
                let ended = chat.ended_at.as_deref().and_then(parse).unwrap_or(*at);
                for code in codes {
                    self.intervals.count_contact_reason(
                        &chat.queue_id,
                        interval_of(ended),
                        code.as_str(),
                    );
                }
                let codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
                chat.wrap_up_codes = Some(codes.join(" ")).filter(|c| !c.is_empty());
            }
            ChatEvent::ChatAssigned { agent_id, at, .. } => {
                if chat.first_assigned_at.is_none() {
                    let wait_ms = millis_between(&chat.requested_at, *at).unwrap_or_default();
                    chat.wait_seconds = Some(seconds(wait_ms));
                    let threshold = self
                        .thresholds
                        .get(&chat.queue_id)
                        .copied()
                        .unwrap_or(SERVICE_LEVEL_SECONDS);
                    let within = i64::from(seconds(wait_ms) <= threshold);
                    let interval = parse(&chat.requested_at).map(interval_of).unwrap_or(*at);
                    let d = self.intervals.queue(&chat.queue_id, interval);
                    d.answered += 1;
                    d.within += within;
                    d.wait_ms_total += wait_ms;
                    d.wait_ms_max = d.wait_ms_max.max(wait_ms);
                    chat.first_assigned_at = Some(timestamp(*at));
                }
                chat.agent_id = Some(agent_id.to_string());
                chat.assigned_at = Some(timestamp(*at));
            }
            ChatEvent::MessageSent {
                author: Author::System,
                ..
            } => return,
            ChatEvent::MessageSent { author, at, .. } => chat.messages.count(author, *at),
            ChatEvent::AttachmentSent {
                author, size, at, ..
            } => chat.messages.count_file(author, *size, *at),
            ChatEvent::ChatTransferred { at, .. } | ChatEvent::ChatRequeued { at, .. } => {
                if let (Some(agent), Some(assigned_at)) = (&chat.agent_id, &chat.assigned_at) {
                    self.intervals.credit_chat_time(agent, assigned_at, *at);
                }
                chat.transfers += i64::from(matches!(event, ChatEvent::ChatTransferred { .. }));
                chat.agent_id = None;
                chat.assigned_at = None;
            }
            ChatEvent::ChatEnded { at, .. } => self.end(&mut chat, EndReason::Agent, *at),
            // Counted where the message was left, with the time it waited for its answer.
            ChatEvent::LeftMessageAnswered { agent_id, at, .. } => {
                let waited_ms = millis_between(&chat.requested_at, *at).unwrap_or_default();
                let interval = parse(&chat.requested_at).map(interval_of).unwrap_or(*at);
                let d = self.intervals.queue(&chat.queue_id, interval);
                d.left_answered += 1;
                d.left_answer_ms_total += waited_ms;
                chat.agent_id = Some(agent_id.to_string());
                chat.wait_seconds = Some(seconds(waited_ms));
                chat.ended_at = Some(timestamp(*at));
                chat.outcome = Some(EndReason::Answered);
            }
            // The time so far is the first agent's; the rest will be the colleague's.
            ChatEvent::ChatHandedOver { to_agent, at, .. } => {
                if let (Some(agent), Some(assigned_at)) = (&chat.agent_id, &chat.assigned_at) {
                    self.intervals.credit_chat_time(agent, assigned_at, *at);
                }
                chat.agent_id = Some(to_agent.to_string());
                chat.assigned_at = Some(timestamp(*at));
            }
            ChatEvent::CustomerClosedClient { abandoned, at, .. } => {
                let outcome = if *abandoned {
                    EndReason::Abandoned
                } else {
                    EndReason::Customer
                };
                self.end(&mut chat, outcome, *at);
            }
        }
        self.chats.insert(chat_id.to_string(), chat);
        self.changed_chats.insert(chat_id.to_string());
    }

    /// The agent's wrap-up of the chat now runs from `from` to `to` rather than ending at
    /// `from` (an extension), or ends at `to` before `from` (finished early).
    fn wrap_up(
        &mut self,
        chat: &mut ReportChatRow,
        agent: &samtale_domain::UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) {
        self.intervals.credit_wrap_up(&agent.to_string(), from, to);
        let ms = (to - from).num_milliseconds();
        chat.wrap_up_seconds = Some(chat.wrap_up_seconds.unwrap_or_default() + seconds(ms));
        chat.wrap_up_until = Some(timestamp(to));
    }

    fn end(&mut self, chat: &mut ReportChatRow, outcome: EndReason, at: DateTime<Utc>) {
        let handle_ms = chat
            .first_assigned_at
            .as_deref()
            .and_then(|first| millis_between(first, at));
        chat.ended_at = Some(timestamp(at));
        chat.outcome = Some(outcome);
        chat.handle_seconds = handle_ms.map(seconds);
        if outcome == EndReason::Abandoned {
            let interval = parse(&chat.requested_at).map(interval_of).unwrap_or(at);
            self.intervals.queue(&chat.queue_id, interval).abandoned += 1;
        }
        if let Some(handle_ms) = handle_ms {
            let d = self.intervals.queue(&chat.queue_id, interval_of(at));
            d.handled += 1;
            d.handle_ms_total += handle_ms;
        }
        if let (Some(agent), Some(assigned_at)) = (chat.agent_id.clone(), chat.assigned_at.clone())
        {
            self.intervals.credit_chat_time(&agent, &assigned_at, at);
            self.intervals.agent(&agent, interval_of(at)).handled += 1;
        }
    }

    /// Writes every table the batch changed, one statement (or a few) per table.
    async fn write(self, conn: &mut AnyConnection, t: &Tables) -> Result<(), sqlx::Error> {
        write_chats(conn, &t.chats, &self.chats, &self.changed_chats).await?;
        write_message_counts(conn, &t.chats, self.messages_only).await?;
        self.states.write(conn, &t.states).await?;
        self.activity.write(conn, &t.activity).await?;
        self.intervals.write(conn, t).await?;
        write_thresholds(
            conn,
            &t.thresholds,
            &self.thresholds,
            &self.changed_thresholds,
        )
        .await?;
        self.presence.write(conn, t).await
    }
}

async fn write_thresholds(
    conn: &mut AnyConnection,
    table: &str,
    thresholds: &HashMap<String, f64>,
    changed: &BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = changed
        .iter()
        .map(|queue| {
            vec![
                queue.clone().into(),
                Cell::Float(thresholds.get(queue).copied()),
            ]
        })
        .collect();
    bulk::insert(
        conn,
        table,
        &["queue_id", "service_level_seconds"],
        &rows,
        "ON CONFLICT (queue_id) DO UPDATE SET service_level_seconds = excluded.service_level_seconds",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::Projection;
    use crate::schema::declared_columns;

    #[test]
    fn the_rows_the_fold_writes_have_their_tables_columns() {
        let tables = super::super::Reports.tables();
        assert_eq!(declared_columns(tables, "report_chats"), chat_columns());
        assert_eq!(
            declared_columns(tables, "report_chat_states"),
            super::super::states::STATE_COLUMNS
        );
        assert_eq!(
            declared_columns(tables, "report_agent_activity"),
            super::super::activity::columns()
        );
    }
}
