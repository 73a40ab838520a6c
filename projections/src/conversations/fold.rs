//! The conversations fold, a batch at a time: the chats and agent-chat rows a batch touches
//! are read in a few statements, its events folded in memory in log order, and every change
//! written back in a few statements — one per table rather than one per event.

use crate::bulk::{self, Cell};
use crate::columns::Columns;
use crate::event::{chats_started_before, DomainEvent, SamtaleEvent};
use crate::projection::ProjectionError;
use crate::read::{AgentChatState, ChatRow, ChatStatus, EndReason, MessageRow};
use crate::schema::Generation;
use crate::timestamp;
use samtale_domain::chat::Notice;
use samtale_domain::form::FormAnswer;
use samtale_domain::text::Name;
use samtale_domain::{CategoryId, ChatEvent, Personal, PresenceEvent, QueueId, UserId};
use sqlx::{AnyConnection, FromRow, Row};
use std::collections::{BTreeMap, BTreeSet};

pub(super) async fn fold(
    conn: &mut AnyConnection,
    g: Generation,
    events: &[SamtaleEvent],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::load(conn, g, events).await?;
    for event in events {
        batch.apply(event);
    }
    batch.write(conn, g).await?;
    Ok(())
}

/// An agent's entry for a chat in `agent_chats`, keyed by `AgentChatKey`.
#[derive(Debug, Clone)]
struct AgentChatEntry {
    state: AgentChatState,
    read_up_to: i64,
    since: String,
    /// While the agent wraps the (ended) chat up: until when.
    wrap_up_until: Option<String>,
}

const AGENT_CHAT_COLUMNS: &[&str] = &[
    "agent_id",
    "chat_id",
    "state",
    "read_up_to",
    "since",
    "wrap_up_until",
];

const NOTE_COLUMNS: &[&str] = &[
    "chat_id",
    "note_id",
    "author_id",
    "whisper",
    "text",
    "mentions",
    "written_at",
    "position",
];

const WRAP_UP_COLUMNS: &[&str] = &[
    "chat_id",
    "codes",
    "note",
    "by_id",
    "wrapped_up_at",
    "code_owed",
];

/// A copy by e-mail asked for in the batch: where to, and how it settled.
#[derive(Debug, Clone, Default)]
struct TranscriptMailRow {
    to: String,
    sent_at: Option<String>,
    undeliverable_at: Option<String>,
}

/// (chat id, agent id): ordered by chat, so a chat's entries are one range of the map.
type AgentChatKey = (String, String);

#[derive(Default)]
struct Batch {
    chats: BTreeMap<String, ChatRow>,
    changed_chats: BTreeSet<String>,
    /// Every `agent_chats` row of the touched chats and of agents starting a session; `None`
    /// once deleted.
    agent_chats: BTreeMap<AgentChatKey, Option<AgentChatEntry>>,
    changed_agent_chats: BTreeSet<AgentChatKey>,
    participants: BTreeSet<(String, String)>,
    /// (chat, agent) of each offer declined.
    declines: BTreeSet<(String, String)>,
    /// `chat_wrap_ups` rows as they are after the batch, in `WRAP_UP_COLUMNS` order. Whole:
    /// an event that writes one says all there is to say (a chat is wrapped up once).
    wrap_ups: BTreeMap<String, Vec<Cell>>,
    /// `transcript_mails` rows asked for in the batch, whole.
    transcript_mails: BTreeMap<String, TranscriptMailRow>,
    /// Transcripts settled in the batch but asked for before it: chat → (the column that
    /// says how, when).
    transcripts_settled: BTreeMap<String, (&'static str, String)>,
    messages: Vec<Vec<Cell>>,
    /// `chat_notes` rows, in `NOTE_COLUMNS` order.
    notes: Vec<Vec<Cell>>,
    /// Chats erased in this batch: their transcripts' texts are emptied after the inserts.
    erased: BTreeSet<String>,
}

impl Batch {
    async fn load(
        conn: &mut AnyConnection,
        g: Generation,
        events: &[SamtaleEvent],
    ) -> Result<Self, sqlx::Error> {
        let mut batch = Batch::default();
        // Messages touch no row: only the other chat events need their chat read.
        let chats = chats_started_before(events, |c| {
            !matches!(
                c,
                ChatEvent::MessageSent { .. }
                    | ChatEvent::AttachmentSent { .. }
                    | ChatEvent::NoteAdded { .. }
            )
        });
        let sessions: BTreeSet<&str> = events
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    DomainEvent::Presence(PresenceEvent::AgentLoggedIn {
                        session_started: true,
                        ..
                    })
                )
            })
            .map(|e| e.aggregate_id.as_str())
            .collect();
        let keys = |ids: &BTreeSet<&str>| -> Vec<Cell> {
            ids.iter().map(|id| id.to_string().into()).collect()
        };
        let chat_keys = keys(&chats);
        if !chat_keys.is_empty() {
            let select = format!(
                "SELECT {} FROM {} WHERE chat_id",
                ChatRow::COLUMNS.join(", "),
                g.table("chats")
            );
            for row in bulk::select_in(conn, &select, &chat_keys).await? {
                let chat = ChatRow::from_row(&row)?;
                batch.chats.insert(chat.chat_id.clone(), chat);
            }
        }
        let select = format!(
            "SELECT {} FROM {} WHERE",
            AGENT_CHAT_COLUMNS.join(", "),
            g.table("agent_chats")
        );
        for (column, ids) in [("chat_id", chat_keys), ("agent_id", keys(&sessions))] {
            if ids.is_empty() {
                continue;
            }
            for row in bulk::select_in(conn, &format!("{select} {column}"), &ids).await? {
                let entry = AgentChatEntry {
                    state: row.try_get("state")?,
                    read_up_to: row.try_get("read_up_to")?,
                    since: row.try_get("since")?,
                    wrap_up_until: row.try_get("wrap_up_until")?,
                };
                batch.agent_chats.insert(
                    (row.try_get("chat_id")?, row.try_get("agent_id")?),
                    Some(entry),
                );
            }
        }
        Ok(batch)
    }

    fn apply(&mut self, event: &SamtaleEvent) {
        match &event.event {
            DomainEvent::Chat(ChatEvent::MessageSent { .. } | ChatEvent::AttachmentSent { .. }) => {
                if let Some(row) = message_row(event) {
                    self.messages.push(row);
                }
            }
            DomainEvent::Chat(ChatEvent::NoteAdded {
                note_id,
                text,
                mentions,
                whisper,
                by,
                at,
            }) => {
                let text = text.known().map(|t| t.as_str().to_string());
                let mentions: Vec<String> = mentions.iter().map(UserId::to_string).collect();
                self.notes.push(vec![
                    event.aggregate_id.clone().into(),
                    note_id.to_string().into(),
                    by.user_id().map(|id| id.to_string()).into(),
                    i64::from(*whisper).into(),
                    text.unwrap_or_default().into(),
                    serde_json::to_string(&mentions).unwrap_or_default().into(),
                    timestamp(*at).into(),
                    event.position.position.into(),
                ]);
            }
            // A notice is a line of the transcript that also marks the chat as told.
            DomainEvent::Chat(notified @ ChatEvent::CustomerNotified { .. }) => {
                if let Some(row) = message_row(event) {
                    self.messages.push(row);
                }
                self.fold_chat(&event.aggregate_id, notified);
            }
            DomainEvent::Chat(ChatEvent::TranscriptRequested { to, .. }) => {
                let row = TranscriptMailRow {
                    to: to.known().cloned().unwrap_or_default(),
                    ..TranscriptMailRow::default()
                };
                self.transcript_mails
                    .insert(event.aggregate_id.clone(), row);
            }
            DomainEvent::Chat(
                settled @ (ChatEvent::TranscriptSent { at, .. }
                | ChatEvent::TranscriptUndeliverable { at, .. }),
            ) => {
                let delivered = matches!(settled, ChatEvent::TranscriptSent { .. });
                let at = timestamp(*at);
                match self.transcript_mails.get_mut(&event.aggregate_id) {
                    Some(row) if delivered => row.sent_at = Some(at),
                    Some(row) => row.undeliverable_at = Some(at),
                    None => {
                        let column = if delivered {
                            "sent_at"
                        } else {
                            "undeliverable_at"
                        };
                        self.transcripts_settled
                            .insert(event.aggregate_id.clone(), (column, at));
                    }
                }
            }
            DomainEvent::Chat(chat_event) => self.fold_chat(&event.aggregate_id, chat_event),
            // A new login session clears the agent's passive chats (seed: "passive chats stay
            // listed as long as the agent's current chat session lasts").
            DomainEvent::Presence(PresenceEvent::AgentLoggedIn {
                session_started: true,
                at,
                ..
            }) => {
                let agent = &event.aggregate_id;
                // A chat still being wrapped up stays: its wrap-up outlives the session.
                let now = timestamp(*at);
                let passive: Vec<AgentChatKey> = self
                    .agent_chats
                    .iter()
                    .filter(|((_, a), row)| {
                        a == agent
                            && row.as_ref().is_some_and(|r| {
                                r.state == AgentChatState::Passive
                                    && r.wrap_up_until.as_ref().is_none_or(|until| *until <= now)
                            })
                    })
                    .map(|(key, _)| key.clone())
                    .collect();
                for key in passive {
                    self.set_agent_chat(key, None);
                }
            }
            _ => {}
        }
    }

    fn set_agent_chat(&mut self, key: AgentChatKey, row: Option<AgentChatEntry>) {
        self.changed_agent_chats.insert(key.clone());
        self.agent_chats.insert(key, row);
    }

    fn fold_chat(&mut self, chat_id: &str, event: &ChatEvent) {
        let started = match event {
            ChatEvent::ChatRequested {
                queue_id,
                category_id,
                customer_name,
                answers,
                known_customer,
                at,
                ..
            } => Some(ChatRow {
                answers: erasable_answers(answers),
                customer_user_id: known_customer
                    .as_ref()
                    .and_then(Personal::known)
                    .map(|known| known.user_id.clone()),
                ..new_chat(chat_id, queue_id, category_id, customer_name, *at)
            }),
            ChatEvent::MessageLeft {
                queue_id,
                category_id,
                customer_name,
                at,
                ..
            } => Some(ChatRow {
                status: ChatStatus::Left,
                ..new_chat(chat_id, queue_id, category_id, customer_name, *at)
            }),
            _ => None,
        };
        if let Some(row) = started {
            self.chats.insert(chat_id.to_string(), row);
            self.changed_chats.insert(chat_id.to_string());
            return;
        }
        let Some(mut chat) = self.chats.get(chat_id).cloned() else {
            return;
        };
        match event {
            // Messages and transcripts by e-mail are rows of their own (see `apply`).
            ChatEvent::ChatRequested { .. }
            | ChatEvent::MessageLeft { .. }
            | ChatEvent::MessageSent { .. }
            | ChatEvent::AttachmentSent { .. }
            | ChatEvent::NoteAdded { .. }
            | ChatEvent::TranscriptRequested { .. }
            | ChatEvent::TranscriptSent { .. }
            | ChatEvent::TranscriptUndeliverable { .. } => return,
            ChatEvent::CustomerNotified {
                notice: Notice::NoAgentsAvailable,
                ..
            } => chat.told_no_agents = 1,
            ChatEvent::ChatOffered {
                agent_id,
                expires_at,
                at,
                ..
            } => {
                chat.offered_to = Some(agent_id.to_string());
                chat.offer_expires_at = Some(timestamp(*expires_at));
                let entry = AgentChatEntry {
                    state: AgentChatState::Offered,
                    read_up_to: 0,
                    since: timestamp(*at),
                    wrap_up_until: None,
                };
                self.set_agent_chat((chat_id.to_string(), agent_id.to_string()), Some(entry));
            }
            ChatEvent::OfferDeclined { agent_id, .. } => {
                self.declines
                    .insert((chat_id.to_string(), agent_id.to_string()));
                self.withdraw_offer(&mut chat)
            }
            ChatEvent::OfferExpired { .. } | ChatEvent::OfferWithdrawn { .. } => {
                self.withdraw_offer(&mut chat)
            }
            ChatEvent::ChatAssigned { agent_id, at, .. } => {
                self.withdraw_offer(&mut chat);
                chat.status = ChatStatus::Assigned;
                chat.agent_id = Some(agent_id.to_string());
                chat.assigned_at = Some(timestamp(*at));
                chat.first_assigned_at.get_or_insert_with(|| timestamp(*at));
                // Everything the customer wrote so far is unread for the new agent.
                let entry = AgentChatEntry {
                    state: AgentChatState::Active,
                    read_up_to: 0,
                    since: timestamp(*at),
                    wrap_up_until: None,
                };
                self.set_agent_chat((chat_id.to_string(), agent_id.to_string()), Some(entry));
                self.participants
                    .insert((chat_id.to_string(), agent_id.to_string()));
            }
            ChatEvent::MessagesRead {
                agent_id, up_to, ..
            } => {
                let key = (chat_id.to_string(), agent_id.to_string());
                if let Some(Some(mut entry)) = self.agent_chats.get(&key).cloned() {
                    entry.read_up_to = i64::try_from(*up_to).unwrap_or(i64::MAX);
                    self.set_agent_chat(key, Some(entry));
                }
                return;
            }
            ChatEvent::ChatTransferred {
                to_queue,
                to_category,
                from_agent,
                ..
            } => {
                // The chat keeps its original arrival time (`queued_at`) in the new queue.
                chat.queue_id = to_queue.to_string();
                chat.category_id = to_category.map(|c| c.to_string());
                chat.status = ChatStatus::Waiting;
                chat.agent_id = None;
                chat.assigned_at = None;
                chat.transfers += 1;
                chat.told_no_agents = 0;
                chat.hand_raised = 0;
                self.withdraw_offer(&mut chat);
                if let Some(agent) = from_agent {
                    self.set_agent_chat((chat_id.to_string(), agent.to_string()), None);
                }
                self.drop_colleagues(chat_id, &[AgentChatState::Active, AgentChatState::Invited]);
            }
            ChatEvent::LeftMessageAnswered { agent_id, at, .. } => {
                chat.agent_id = Some(agent_id.to_string());
                self.participants
                    .insert((chat_id.to_string(), agent_id.to_string()));
                self.end(&mut chat, ChatStatus::Ended, EndReason::Answered, *at)
            }
            // The colleague's from now, everything in it unread for them; no longer the
            // first agent's.
            ChatEvent::ChatHandedOver {
                from_agent,
                to_agent,
                at,
                ..
            } => {
                chat.hand_raised = 0;
                chat.agent_id = Some(to_agent.to_string());
                chat.assigned_at = Some(timestamp(*at));
                self.set_agent_chat((chat_id.to_string(), from_agent.to_string()), None);
                let entry = AgentChatEntry {
                    state: AgentChatState::Active,
                    read_up_to: 0,
                    since: timestamp(*at),
                    wrap_up_until: None,
                };
                self.set_agent_chat((chat_id.to_string(), to_agent.to_string()), Some(entry));
                self.participants
                    .insert((chat_id.to_string(), to_agent.to_string()));
            }
            // Back in its queue with its arrival time, so in its place; no longer the agent's.
            ChatEvent::ChatRequeued { from_agent, .. } => {
                chat.hand_raised = 0;
                chat.status = ChatStatus::Waiting;
                chat.agent_id = None;
                chat.assigned_at = None;
                self.set_agent_chat((chat_id.to_string(), from_agent.to_string()), None);
                self.drop_colleagues(chat_id, &[AgentChatState::Active, AgentChatState::Invited]);
            }
            ChatEvent::ChatEnded { at, .. } => {
                self.withdraw_offer(&mut chat);
                self.end(&mut chat, ChatStatus::Ended, EndReason::Agent, *at)
            }
            ChatEvent::CustomerClosedClient { abandoned, at, .. } => {
                let (status, reason) = if *abandoned {
                    (ChatStatus::Abandoned, EndReason::Abandoned)
                } else {
                    (ChatStatus::Ended, EndReason::Customer)
                };
                self.withdraw_offer(&mut chat);
                self.end(&mut chat, status, reason, *at);
            }
            ChatEvent::WrapUpStarted {
                agent_id,
                until,
                code_owed,
                ..
            } => {
                self.wrap_up_until(chat_id, agent_id, Some(timestamp(*until)));
                if *code_owed {
                    let owed = vec![
                        chat_id.to_string().into(),
                        "[]".to_string().into(),
                        None::<String>.into(),
                        None::<String>.into(),
                        None::<String>.into(),
                        1_i64.into(),
                    ];
                    self.wrap_ups.insert(chat_id.to_string(), owed);
                }
            }
            ChatEvent::WrapUpExtended {
                agent_id, until, ..
            } => self.wrap_up_until(chat_id, agent_id, Some(timestamp(*until))),
            ChatEvent::WrapUpFinished { agent_id, .. } => {
                self.wrap_up_until(chat_id, agent_id, None)
            }
            ChatEvent::ChatWrappedUp {
                codes,
                note,
                by,
                at,
            } => {
                let note = note
                    .as_ref()
                    .and_then(Personal::known)
                    .map(|note| note.as_str().to_string());
                let row = vec![
                    chat_id.to_string().into(),
                    serde_json::to_string(codes).unwrap_or_default().into(),
                    note.into(),
                    by.user_id().map(|id| id.to_string()).into(),
                    Some(timestamp(*at)).into(),
                    0_i64.into(),
                ];
                self.wrap_ups.insert(chat_id.to_string(), row);
            }
            ChatEvent::ChatRated { score, comment, .. } => {
                chat.rating = score.get().into();
                chat.rating_comment = comment
                    .as_ref()
                    .and_then(Personal::known)
                    .map(|comment| comment.as_str().to_string());
            }
            ChatEvent::ColleagueInvited { invitee, at, .. } => {
                let entry = AgentChatEntry {
                    state: AgentChatState::Invited,
                    read_up_to: 0,
                    since: timestamp(*at),
                    wrap_up_until: None,
                };
                self.set_agent_chat((chat_id.to_string(), invitee.to_string()), Some(entry));
                return;
            }
            ChatEvent::InvitationDeclined {
                invitee: user_id, ..
            }
            | ChatEvent::ParticipantLeft { user_id, .. } => {
                self.set_agent_chat((chat_id.to_string(), user_id.to_string()), None);
                return;
            }
            ChatEvent::ParticipantJoined { user_id, at, .. } => {
                let entry = AgentChatEntry {
                    state: AgentChatState::Active,
                    read_up_to: 0,
                    since: timestamp(*at),
                    wrap_up_until: None,
                };
                self.set_agent_chat((chat_id.to_string(), user_id.to_string()), Some(entry));
                self.participants
                    .insert((chat_id.to_string(), user_id.to_string()));
                return;
            }
            ChatEvent::HandRaised { .. } => chat.hand_raised = 1,
            ChatEvent::HandLowered { .. } => chat.hand_raised = 0,
            ChatEvent::LegalHoldPlaced { .. } => chat.legal_hold = 1,
            ChatEvent::LegalHoldLifted { .. } => chat.legal_hold = 0,
            ChatEvent::ChatErased { at, .. } => {
                chat.customer_name = String::new();
                chat.rating_comment = None;
                chat.customer_user_id = None;
                chat.answers = erasable_answers(&Personal::Erased);
                chat.erased_at = Some(timestamp(*at));
                self.erased.insert(chat_id.to_string());
            }
        }
        self.chats.insert(chat_id.to_string(), chat);
        self.changed_chats.insert(chat_id.to_string());
    }

    /// The agent's wrap-up of the chat runs until `until`, or is over (`None`). A chat ended
    /// without the code its queue requires owes one until it is wrapped up.
    fn wrap_up_until(&mut self, chat_id: &str, agent_id: &UserId, until: Option<String>) {
        let key = (chat_id.to_string(), agent_id.to_string());
        if let Some(Some(entry)) = self.agent_chats.get(&key).cloned() {
            let entry = AgentChatEntry {
                wrap_up_until: until,
                ..entry
            };
            self.set_agent_chat(key, Some(entry));
        }
    }

    /// The chat is no longer offered to anyone: it leaves the offered agent's list. (An
    /// accepted offer's row becomes the agent's active one in the same batch.)
    fn withdraw_offer(&mut self, chat: &mut ChatRow) {
        if let Some(agent) = chat.offered_to.take() {
            self.set_agent_chat((chat.chat_id.clone(), agent), None);
        }
        chat.offer_expires_at = None;
    }

    /// The chat leaves the lists of everyone who had it in one of `states` (colleagues who
    /// joined or were invited, when the chat goes back to a queue or ends).
    fn drop_colleagues(&mut self, chat_id: &str, states: &[AgentChatState]) {
        let gone: Vec<AgentChatKey> = self
            .agent_chats
            .range((chat_id.to_string(), String::new())..)
            .take_while(|((chat, _), _)| chat == chat_id)
            .filter(|(_, row)| row.as_ref().is_some_and(|row| states.contains(&row.state)))
            .map(|(key, _)| key.clone())
            .collect();
        for key in gone {
            self.set_agent_chat(key, None);
        }
    }

    fn end(
        &mut self,
        chat: &mut ChatRow,
        status: ChatStatus,
        reason: EndReason,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.drop_colleagues(&chat.chat_id.clone(), &[AgentChatState::Invited]);
        chat.status = status;
        chat.hand_raised = 0;
        chat.end_reason = Some(reason);
        chat.ended_at = Some(timestamp(at));
        let chat_id = chat.chat_id.as_str();
        let active: Vec<(AgentChatKey, AgentChatEntry)> = self
            .agent_chats
            .range((chat_id.to_string(), String::new())..)
            .take_while(|((chat, _), _)| chat == chat_id)
            .filter_map(|(key, row)| {
                let row = row.as_ref()?;
                (row.state == AgentChatState::Active).then(|| (key.clone(), row.clone()))
            })
            .collect();
        for (key, row) in active {
            self.set_agent_chat(
                key,
                Some(AgentChatEntry {
                    state: AgentChatState::Passive,
                    ..row
                }),
            );
        }
    }

    async fn write(self, conn: &mut AnyConnection, g: Generation) -> Result<(), sqlx::Error> {
        let chats: Vec<Vec<Cell>> = self
            .changed_chats
            .iter()
            .filter_map(|id| self.chats.get(id).map(ChatRow::cells))
            .collect();
        bulk::replace(conn, &g.table("chats"), ChatRow::COLUMNS, &chats).await?;
        bulk::insert(
            conn,
            &g.table("messages"),
            &message_columns(),
            &self.messages,
            "",
        )
        .await?;
        bulk::insert(conn, &g.table("chat_notes"), NOTE_COLUMNS, &self.notes, "").await?;
        let wrap_ups: Vec<Vec<Cell>> = self.wrap_ups.into_values().collect();
        bulk::replace(conn, &g.table("chat_wrap_ups"), WRAP_UP_COLUMNS, &wrap_ups).await?;
        let mails: Vec<Vec<Cell>> = self
            .transcript_mails
            .into_iter()
            .map(|(chat, row)| {
                vec![
                    chat.into(),
                    row.to.into(),
                    row.sent_at.into(),
                    row.undeliverable_at.into(),
                ]
            })
            .collect();
        let mail_columns = ["chat_id", "to_address", "sent_at", "undeliverable_at"];
        bulk::replace(conn, &g.table("transcript_mails"), &mail_columns, &mails).await?;
        for column in ["sent_at", "undeliverable_at"] {
            let settled: Vec<Vec<Cell>> = self
                .transcripts_settled
                .iter()
                .filter(|(_, (how, _))| *how == column)
                .map(|(chat, (_, at))| vec![chat.clone().into(), at.clone().into()])
                .collect();
            bulk::update(
                conn,
                &g.table("transcript_mails"),
                &["chat_id", "at"],
                &settled,
                &format!("{column} = d.at"),
            )
            .await?;
        }
        for chat_id in &self.erased {
            let emptied = [
                ("messages", "text = '', file_name = NULL"),
                ("chat_wrap_ups", "note = NULL"),
                ("chat_notes", "text = ''"),
                ("transcript_mails", "to_address = ''"),
            ];
            for (table, set) in emptied {
                sqlx::query(&format!(
                    "UPDATE {} SET {set} WHERE chat_id = $1",
                    g.table(table)
                ))
                .bind(chat_id.clone())
                .execute(&mut *conn)
                .await?;
            }
        }
        // Changed entries are deleted, and those still there written anew.
        let changed: Vec<Vec<Cell>> = self
            .changed_agent_chats
            .iter()
            .map(|(chat, agent)| vec![agent.clone().into(), chat.clone().into()])
            .collect();
        bulk::delete_rows(
            conn,
            &g.table("agent_chats"),
            &["agent_id", "chat_id"],
            &changed,
        )
        .await?;
        let present: Vec<Vec<Cell>> = self
            .changed_agent_chats
            .iter()
            .filter_map(|key| {
                let row = self.agent_chats.get(key)?.as_ref()?;
                Some(vec![
                    key.1.clone().into(),
                    key.0.clone().into(),
                    row.state.into(),
                    row.read_up_to.into(),
                    row.since.clone().into(),
                    row.wrap_up_until.clone().into(),
                ])
            })
            .collect();
        bulk::insert(
            conn,
            &g.table("agent_chats"),
            AGENT_CHAT_COLUMNS,
            &present,
            "",
        )
        .await?;
        let participants: Vec<Vec<Cell>> = self
            .participants
            .into_iter()
            .map(|(chat, agent)| vec![chat.into(), agent.into()])
            .collect();
        bulk::insert(
            conn,
            &g.table("chat_participants"),
            &["chat_id", "agent_id"],
            &participants,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        let declines: Vec<Vec<Cell>> = self
            .declines
            .into_iter()
            .map(|(chat, agent)| vec![chat.into(), agent.into()])
            .collect();
        bulk::insert(
            conn,
            &g.table("offer_declines"),
            &["chat_id", "agent_id"],
            &declines,
            "ON CONFLICT DO NOTHING",
        )
        .await
    }
}

/// The answers as the `chats` row holds them: JSON, and `[]` once erased.
/// A chat's row as it starts: waiting in its queue since `at`, no answers, nothing else yet.
fn new_chat(
    chat_id: &str,
    queue_id: &QueueId,
    category_id: &Option<CategoryId>,
    customer_name: &Personal<Name>,
    at: chrono::DateTime<chrono::Utc>,
) -> ChatRow {
    ChatRow {
        chat_id: chat_id.to_string(),
        queue_id: queue_id.to_string(),
        category_id: category_id.map(|c| c.to_string()),
        customer_name: customer_name
            .known()
            .map(|name| name.as_str().to_string())
            .unwrap_or_default(),
        answers: "[]".to_string(),
        status: ChatStatus::Waiting,
        agent_id: None,
        requested_at: timestamp(at),
        queued_at: timestamp(at),
        first_assigned_at: None,
        assigned_at: None,
        ended_at: None,
        end_reason: None,
        transfers: 0,
        legal_hold: 0,
        erased_at: None,
        told_no_agents: 0,
        offered_to: None,
        offer_expires_at: None,
        rating: 0,
        rating_comment: None,
        customer_user_id: None,
        hand_raised: 0,
    }
}

fn erasable_answers(answers: &Personal<Vec<FormAnswer>>) -> String {
    let answers = answers.known().map(Vec::as_slice).unwrap_or_default();
    serde_json::to_string(answers).unwrap_or_else(|_| "[]".into())
}

/// The columns of `messages`: the chat, the line as the transcript shows it, and the log
/// position it came from.
fn message_columns() -> Vec<&'static str> {
    std::iter::once("chat_id")
        .chain(MessageRow::COLUMNS.iter().copied())
        .chain(std::iter::once("position"))
        .collect()
}

/// The `messages` row of a line of the transcript, in `message_columns` order.
fn message_row(event: &SamtaleEvent) -> Option<Vec<Cell>> {
    let DomainEvent::Chat(chat_event) = &event.event else {
        return None;
    };
    let line = MessageRow::from_event(chat_event)?;
    let mut row = vec![event.aggregate_id.clone().into()];
    row.extend(line.into_cells());
    row.push(event.position.position.into());
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::Projection;
    use crate::schema::declared_columns;

    #[test]
    fn the_rows_the_fold_writes_have_their_tables_columns() {
        let tables = super::super::Conversations.tables();
        assert_eq!(declared_columns(tables, "chats"), ChatRow::COLUMNS);
        assert_eq!(declared_columns(tables, "messages"), message_columns());
        assert_eq!(declared_columns(tables, "agent_chats"), AGENT_CHAT_COLUMNS);
        assert_eq!(declared_columns(tables, "chat_wrap_ups"), WRAP_UP_COLUMNS);
        assert_eq!(declared_columns(tables, "chat_notes"), NOTE_COLUMNS);
    }
}
