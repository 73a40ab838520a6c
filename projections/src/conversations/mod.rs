//! The chats: each chat's state and customer information, its transcript, and each agent's
//! list of active and passive chats with their read markers. The queue board, the incoming
//! list, message counts and unread counts are queries over these tables.
//!
//! Personal data is held here in plaintext (the tables are mutable): an erasure overwrites
//! the chat's name, answers and message texts with the empty values an erased event decodes
//! to, so a rebuild after the erasure writes exactly the same rows.
//!
//! A message is one row in `messages` and touches nothing else: counts are derived when read
//! (indexed by chat), so the busiest event costs one row of a multi-row insert.

use crate::event::SamtaleEvent;
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use sqlx::AnyConnection;

mod fold;

pub struct Conversations;

const TABLES: &[Table] = &[
    Table {
        name: "chats",
        columns: "chat_id text PRIMARY KEY, queue_id text NOT NULL, category_id text,
                  customer_name text NOT NULL, answers text NOT NULL, status text NOT NULL,
                  agent_id text, requested_at text NOT NULL,
                  queued_at text NOT NULL, first_assigned_at text, assigned_at text,
                  ended_at text, end_reason text, transfers bigint NOT NULL,
                  legal_hold bigint NOT NULL, erased_at text, told_no_agents bigint NOT NULL,
                  offered_to text, offer_expires_at text, rating bigint NOT NULL, rating_comment text,
                  customer_user_id text, hand_raised bigint NOT NULL",
        indexes: &[
            ("status_queue", "status, queue_id, queued_at"),
            // The chats of a queue nobody is logged in to that have not been told so yet.
            ("untold", "status, queue_id, told_no_agents, queued_at"),
            // Left messages answered, the latest first.
            ("answered", "end_reason, ended_at"),
            // The incoming list of every queue, a page at a time in arrival order.
            ("status_queued", "status, queued_at, chat_id"),
            // A queue's pace: its last assignments, without reading its history.
            ("queue_assigned", "queue_id, assigned_at"),
            ("requested", "requested_at"),
            // The offers whose time has run out, found without reading the others.
            ("offer_expiry", "offer_expires_at"),
            ("agent", "agent_id"),
            // A returning customer's earlier chats, newest first.
            ("customer_user", "customer_user_id, requested_at"),
            // Retention: a queue's chats not yet erased that ended before a cutoff, found
            // without passing the erased ones (all of a queue's history, in time).
            (
                "queue_retained",
                "queue_id, erased_at, legal_hold, ended_at, chat_id",
            ),
        ],
    },
    Table {
        name: "messages",
        columns: "chat_id text NOT NULL, number bigint NOT NULL, message_id text NOT NULL UNIQUE,
                  author_kind text NOT NULL, author_id text, text text NOT NULL, notice text,
                  client_message_id text, sent_at text NOT NULL, attachment_id text,
                  file_name text, file_type text, file_size bigint, file_sha256 text,
                  position bigint NOT NULL,
                  PRIMARY KEY (chat_id, number)",
        indexes: &[],
    },
    // Internal notes: staff only, never a line of the transcript.
    Table {
        name: "chat_notes",
        columns: "chat_id text NOT NULL, note_id text NOT NULL, author_id text,
                  whisper bigint NOT NULL, text text NOT NULL,
                  mentions text NOT NULL, written_at text NOT NULL, position bigint NOT NULL,
                  PRIMARY KEY (chat_id, note_id)",
        indexes: &[],
    },
    Table {
        name: "agent_chats",
        columns: "agent_id text NOT NULL, chat_id text NOT NULL, state text NOT NULL,
                  read_up_to bigint NOT NULL, since text NOT NULL, wrap_up_until text,
                  PRIMARY KEY (agent_id, chat_id)",
        indexes: &[("chat", "chat_id")],
    },
    Table {
        name: "chat_participants",
        columns: "chat_id text NOT NULL, agent_id text NOT NULL, PRIMARY KEY (chat_id, agent_id)",
        indexes: &[("agent", "agent_id")],
    },
    // What a chat was about, from its wrap-up: codes, and a note that only staff read (emptied
    // by an erasure); or that its queue still wants a code for it.
    Table {
        name: "chat_wrap_ups",
        columns: "chat_id text PRIMARY KEY, codes text NOT NULL, note text, by_id text,
                  wrapped_up_at text, code_owed bigint NOT NULL",
        indexes: &[],
    },
    // The copies by e-mail customers asked for: where to (emptied by an erasure), and when the
    // mail worker sent it or found that the address takes no mail.
    Table {
        name: "transcript_mails",
        columns: "chat_id text PRIMARY KEY, to_address text NOT NULL, sent_at text,
                  undeliverable_at text",
        // The copies not yet settled, found without reading every one sent.
        indexes: &[("unsettled", "sent_at, undeliverable_at")],
    },
    // Who turned a chat down: routing offers it to others first.
    Table {
        name: "offer_declines",
        columns: "chat_id text NOT NULL, agent_id text NOT NULL, PRIMARY KEY (chat_id, agent_id)",
        indexes: &[],
    },
];

#[async_trait]
impl Projection for Conversations {
    fn name(&self) -> &'static str {
        "conversations"
    }

    fn version(&self) -> i64 {
        // 3: messages lost their index by client message id, which nothing reads any more.
        // 4: notices to the customer are lines of the transcript, stored as codes.
        // 5: indexes for the incoming list's pages and a queue's pace.
        // 6: legal holds and erasures.
        // 7: retention's index leaves erased chats out of its range.
        // 8: a chat remembers being told that nobody is logged in to its queue.
        // 9: offers: the agent a waiting chat is offered to, until when; offered chats in
        //    the agent's list.
        // 10: wrap-up: the agent's time after a chat, the chat's codes and note; the
        //     customer's rating; who a returning customer is; transcripts by e-mail.
        // 11: messages left for a queue (`left`, answered `ended`/`answered`); hand-overs;
        //     internal notes and whispers; raised hands.
        // 12: files sent in the conversation are lines of the transcript.
        12
    }

    fn tables(&self) -> &'static [Table] {
        TABLES
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        event: &SamtaleEvent,
    ) -> Result<(), ProjectionError> {
        fold::fold(conn, g, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        events: &[SamtaleEvent],
    ) -> Result<(), ProjectionError> {
        fold::fold(conn, g, events).await
    }
}
