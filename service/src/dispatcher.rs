//! Automatic assignment: the dispatcher gives waiting chats to logged-in agents by itself.
//!
//! A waiting chat goes to a logged-in member of its queue with spare capacity — the one with
//! the fewest active chats, then the one idle longest — and chats leave a queue in arrival
//! order (a transferred chat keeps its original arrival time). Every assignment is a
//! `ChatAssigned` event `by: routing`.
//!
//! Exactly one dispatcher runs across all nodes: on PostgreSQL the node holding a session
//! advisory lock on a dedicated connection. If that node dies its connection closes, the lock
//! is released, and another node, retrying every second, takes over. On SQLite the one process
//! is the dispatcher. Each round plans from the read models after waiting for them to reach
//! the log's end, counting its own assignments as it plans, so it never counts an agent's
//! chats from a stale picture. A manual pickup racing an assignment
//! meets it at the chat's optimistic lock: one wins, the other is told the chat is not waiting.
//! A round starts when the node's live feed brings any event but a message or a read marker
//! (from whichever node wrote it), and every second regardless.

use crate::live::LiveBatch;
use crate::origin::{command_context, keyed_context, Origin};
use crate::turn::Turn;
use crate::{Node, ServiceError};
use samtale_domain::chat::{Assignment, Notice};
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::{Actor, ChatCommand, Directory, UserId};
use samtale_eventlog::CommandError;
use samtale_projections::{read, DomainEvent};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The advisory lock key of the dispatcher ("samtale" in ASCII).
const DISPATCHER_LOCK: i64 = 0x73_61_6d_74_61_6c_65;

/// How often a standby node tries to become the dispatcher, and how often the dispatcher
/// looks even without a wake-up.
const TICK: Duration = Duration::from_secs(1);

/// How many customers of one unattended queue a round tells (and moves): a surge into a queue
/// nobody is logged in to is told over a few rounds rather than holding one round up.
const UNATTENDED_PER_ROUND: i64 = 200;

pub fn spawn(state: Arc<Node>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match lead(&state).await {
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, "dispatcher stopped; retrying"),
            }
            tokio::time::sleep(TICK).await;
        }
    })
}

/// Becomes the dispatcher if no one else is, and dispatches for as long as that lasts.
async fn lead(state: &Node) -> Result<(), ServiceError> {
    let Some(mut turn) = Turn::take(state.db.postgres_url(), DISPATCHER_LOCK).await? else {
        return Ok(());
    };
    tracing::info!("this node is the dispatcher");
    let mut news = state.live.subscribe();
    loop {
        turn.still_held().await?;
        if let Err(error) = dispatch_round(state).await {
            tracing::warn!(%error, "dispatch round failed");
        }
        if let Err(error) = attend_unattended(state).await {
            tracing::warn!(%error, "no-agent notices failed");
        }
        let _ = tokio::time::timeout(TICK, news_for_routing(&mut news)).await;
    }
}

/// Waits for events that could change what a round would do: anything but messages and read
/// markers, which on a busy service are nearly all events and would otherwise start a round
/// each. The feed keeps what arrives during a round, so none of it is missed.
async fn news_for_routing(news: &mut broadcast::Receiver<Arc<LiveBatch>>) {
    loop {
        match news.recv().await {
            Ok(batch) => {
                let routing_news = batch.events.iter().any(|e| {
                    !matches!(&e.event.event, DomainEvent::Chat(chat) if chat.is_conversation())
                });
                if routing_news {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            // Shutting down; the caller's tick bounds the wait.
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// An agent's load as the round plans it: starts from the read model, counts the round's own
/// assignments.
struct Load {
    active: i64,
    max: i64,
    idle_since: String,
}

/// Assigns every waiting chat that has an agent to go to; returns how many it assigned.
///
/// The round plans from the read models (after they reach the log's end), counting its own
/// assignments as it goes, then sends all assignments at once — they concern different chats —
/// and waits for the read models to show them before the next round plans again.
pub async fn dispatch_round(state: &Node) -> Result<usize, ServiceError> {
    let head = state.live.log().head().await?;
    state
        .projections
        .wait_for(head, Duration::from_secs(5))
        .await;
    let db = state.db.any();
    let mut candidates: HashMap<String, Vec<String>> = HashMap::new();
    let mut loads: HashMap<String, Load> = HashMap::new();
    // Each queue with room offers as many of its oldest chats as its agents have room for, so
    // a round reads what it could assign, never the whole queue; merged, they are still
    // placed oldest first across queues.
    let mut offered = Vec::new();
    for queue_id in read::queues_with_room(db).await? {
        let agents = read::routable_agents(db, &queue_id).await?;
        let room: i64 = agents
            .iter()
            .map(|a| (a.max_concurrent_chats - a.active_chats).max(0))
            .sum();
        candidates.insert(
            queue_id.clone(),
            agents.iter().map(|a| a.user_id.clone()).collect(),
        );
        for agent in agents {
            loads.entry(agent.user_id).or_insert(Load {
                active: agent.active_chats,
                max: agent.max_concurrent_chats,
                idle_since: agent.idle_since,
            });
        }
        if room > 0 {
            offered.extend(read::oldest_waiting(db, &queue_id, room).await?);
        }
    }
    offered.sort_by(|a, b| (&a.queued_at, &a.chat_id).cmp(&(&b.queued_at, &b.chat_id)));
    let mut plan = Vec::new();
    let now = chrono::Utc::now();
    for chat in offered {
        let Some(queue_agents) = candidates.get(&chat.queue_id) else {
            continue;
        };
        let best = queue_agents
            .iter()
            .filter(|id| loads[*id].active < loads[*id].max)
            .min_by(|a, b| {
                let (a_load, b_load) = (&loads[*a], &loads[*b]);
                (a_load.active, &a_load.idle_since, a).cmp(&(b_load.active, &b_load.idle_since, b))
            })
            .cloned();
        let Some(agent) = best else { continue };
        if let Some(load) = loads.get_mut(&agent) {
            load.active += 1;
            load.idle_since = samtale_projections::timestamp(now);
        }
        plan.push((chat.chat_id, agent));
    }
    let directory = state.directory.current(DIRECTORY_ID).await?;
    let assignments = plan
        .iter()
        .map(|(chat_id, agent)| assign(state, &directory, chat_id, agent));
    let results = futures::future::join_all(assignments).await;
    let mut assigned = 0;
    let mut last = None;
    for result in results {
        match result {
            Ok(position) => {
                assigned += usize::from(position.is_some());
                last = last.max(position);
            }
            Err(error) => tracing::warn!(%error, "an assignment failed"),
        }
    }
    if let Some(last) = last {
        state
            .projections
            .wait_for(last, Duration::from_secs(5))
            .await;
    }
    Ok(assigned)
}

async fn assign(
    state: &Node,
    directory: &Directory,
    chat_id: &str,
    agent: &str,
) -> Result<Option<samtale_eventlog::LogPosition>, ServiceError> {
    let agent_id = agent.parse::<UserId>()?;
    let meta = Origin::service(format!("routing-{chat_id}"));
    let command = ChatCommand::Assign {
        agent_id,
        agent_queues: directory.queues_of(agent_id),
        via: Assignment::Routing,
        by: Actor::Routing,
        at: meta.at,
    };
    let context = command_context(&Actor::Routing, &meta, "assign");
    match state.chats.execute(chat_id, command, &context).await {
        Ok(executed) => Ok(executed.position),
        // Picked up by hand, or closed by the customer, a moment ago.
        Err(CommandError::Rejected(_) | CommandError::Conflict(_)) => Ok(None),
        Err(error) => Err(ServiceError::Command(format!(
            "assigning {chat_id}: {error}"
        ))),
    }
}

/// Customers waiting in a queue with nobody logged in get a system message once the queue's
/// delay has passed, and move to its overflow queue if it has one. Command ids are derived from
/// the chat and queue, so each happens once per chat and queue however often this runs.
pub async fn attend_unattended(state: &Node) -> Result<(), ServiceError> {
    let now = chrono::Utc::now();
    for chat in read::unattended_chats(state.db.any(), now, UNATTENDED_PER_ROUND).await? {
        let meta = Origin {
            at: now,
            ..Origin::service(format!("no-agent-{}", chat.chat_id))
        };
        let key = format!("no-agent-notice:{}:{}", chat.chat_id, chat.queue_id);
        let notice = ChatCommand::Notify {
            message_id: samtale_domain::MessageId(uuid::Uuid::now_v7()),
            notice: Notice::NoAgentsAvailable,
            at: now,
        };
        let context = keyed_context(&Actor::System, &meta, "no_agent_notice", key);
        state
            .execute(&state.chats, &chat.chat_id, notice, &context)
            .await?;
        if let Some(overflow) = chat.overflow_queue_id {
            let key = format!("overflow:{}:{}", chat.chat_id, chat.queue_id);
            let transfer = ChatCommand::Transfer {
                to_queue: overflow.parse()?,
                to_category: None,
                by: Actor::System,
                at: now,
            };
            let context = keyed_context(&Actor::System, &meta, "overflow", key);
            state
                .execute(&state.chats, &chat.chat_id, transfer, &context)
                .await?;
        }
    }
    Ok(())
}
