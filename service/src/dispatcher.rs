//! Automatic assignment: the dispatcher gives waiting chats to logged-in agents by itself.
//!
//! A waiting chat goes to a logged-in, unpaused member of its queue with spare capacity — the
//! one with the fewest chats, then the one idle longest — and chats leave a queue in arrival
//! order (a transferred chat keeps its original arrival time). In a queue with an offer
//! timeout the chat is *offered* (`ChatOffered`): the agent accepts it (or answers it) in
//! time, or declines it, or the offer runs out (`OfferExpired`) and routing pauses the agent
//! with the reason `no_answer`; either way the chat, still in its place at the head of the
//! queue, goes to the next agent. An agent has one offer open at a time, so one who logs in to
//! a backlog is handed it a chat at a time. An offer holds the agent's room. In a queue
//! without one, the chat is assigned at once (`ChatAssigned` `by: routing`).
//!
//! Offers run out on the dispatcher's clock, from the read model's `offer_expires_at`: the
//! timer is in the log, not in any node's memory, so whichever node is the dispatcher when it
//! is due withdraws the offer, once (the expiry's command id is the offer's).
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
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use samtale_domain::chat::{Assignment, Candidate, Notice, RoutingChoice, RoutingRule};
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::presence::PauseReason;
use samtale_domain::{Actor, ChatCommand, Directory, PresenceCommand, QueueId, UserId};
use samtale_eventlog::CommandError;
use samtale_projections::{read, DomainEvent};
use std::collections::{BTreeSet, HashMap, HashSet};
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

/// How often the dispatcher looks for chats whose agent is gone, and how many it puts back in
/// their queues at a time.
const LEFT_BEHIND_EVERY: Duration = Duration::from_secs(10);
const LEFT_BEHIND_PER_ROUND: i64 = 200;

/// How many offers that ran out a round withdraws: at most one per agent is open, so this is
/// more than a round meets but for a crowd of agents walking away at once.
const EXPIRIES_PER_ROUND: i64 = 200;

/// What the dispatcher tells the node's metrics: whether this node leads, and how long each
/// chat it placed had waited.
#[derive(Clone)]
pub struct DispatchMetrics {
    pub leading: Gauge,
    pub waited: Histogram,
}

impl Default for DispatchMetrics {
    fn default() -> Self {
        Self {
            leading: Gauge::default(),
            // From a tenth of a second to about fourteen minutes.
            waited: Histogram::new(exponential_buckets(0.1, 2.0, 14)),
        }
    }
}

/// Leadership as the metrics see it: on while held, off however the lead ends (an error, the
/// lock lost, the task aborted at shutdown).
struct Leading<'a>(&'a Gauge);

impl<'a> Leading<'a> {
    fn new(gauge: &'a Gauge) -> Self {
        gauge.set(1);
        Self(gauge)
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.0.set(0);
    }
}

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
    let _leading = Leading::new(&state.dispatch.leading);
    let mut news = state.live.subscribe();
    let mut swept = tokio::time::Instant::now();
    loop {
        turn.still_held().await?;
        if swept.elapsed() >= LEFT_BEHIND_EVERY {
            swept = tokio::time::Instant::now();
            if let Err(error) = requeue_left_behind(state).await {
                tracing::warn!(%error, "putting back chats whose agent is gone failed");
            }
        }
        if let Err(error) = expire_offers(state).await {
            tracing::warn!(%error, "withdrawing offers that ran out failed");
        }
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
    /// A chat is offered to them and not yet accepted: they are offered no other.
    offering: bool,
}

/// What a round does with a chat: offer it for so long, or assign it at once.
enum Hand {
    Offer(chrono::Duration),
    Assign,
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
    let now = chrono::Utc::now();
    let clock = read::RoutingClock {
        now,
        paced_since: now - state.assign_pace,
    };
    let pacing = state.assign_pace > chrono::Duration::zero();
    let mut candidates: HashMap<String, Vec<String>> = HashMap::new();
    let mut loads: HashMap<String, Load> = HashMap::new();
    let offer_timeouts: HashMap<String, Option<i64>> = read::queues(db)
        .await?
        .into_iter()
        .map(|q| (q.queue_id, q.offer_timeout_seconds))
        .collect();
    // Each queue with room puts forward as many of its oldest chats as its agents have room
    // for, so a round reads what it could place, never the whole queue; merged, they are
    // still placed oldest first across queues.
    let mut waiting = Vec::new();
    for queue_id in read::queues_with_room(db, clock).await? {
        let agents = read::routable_agents(db, &queue_id, clock).await?;
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
                offering: agent.offered_chats > 0,
            });
        }
        if room > 0 {
            waiting.extend(read::oldest_waiting(db, &queue_id, room).await?);
        }
    }
    waiting.sort_by(|a, b| (&a.queued_at, &a.chat_id).cmp(&(&b.queued_at, &b.chat_id)));
    let chat_ids: Vec<String> = waiting.iter().map(|c| c.chat_id.clone()).collect();
    let declined: HashSet<(String, String)> =
        read::decliners(db, &chat_ids).await?.into_iter().collect();
    let mut plan = Vec::new();
    // Agents this round has given a chat: with a pace, they wait for the next round that
    // finds the pace kept.
    let mut given: HashSet<String> = HashSet::new();
    for chat in waiting {
        let Some(queue_agents) = candidates.get(&chat.queue_id) else {
            continue;
        };
        let hand = match offer_timeouts.get(&chat.queue_id).copied().flatten() {
            Some(seconds) => Hand::Offer(chrono::Duration::seconds(seconds)),
            None => Hand::Assign,
        };
        let offering = matches!(hand, Hand::Offer(_));
        // Those who turned the chat down are asked again only if nobody else can take it.
        let has_declined = |id: &String| declined.contains(&(chat.chat_id.clone(), id.clone()));
        let mut eligible: Vec<&String> = queue_agents
            .iter()
            .filter(|id| loads[*id].active < loads[*id].max)
            .filter(|id| !(offering && loads[*id].offering))
            .filter(|id| !(pacing && given.contains(*id)))
            .collect();
        eligible.sort_by_key(|id| {
            let load = &loads[*id];
            (
                has_declined(id),
                load.active,
                load.idle_since.clone(),
                (*id).clone(),
            )
        });
        let Some(agent) = eligible.first().map(|id| (*id).clone()) else {
            continue;
        };
        let choice = RoutingChoice {
            rule: RoutingRule::FewestChatsThenIdleLongest,
            candidates: eligible
                .iter()
                .filter_map(|id| {
                    Some(Candidate {
                        agent_id: id.parse().ok()?,
                        chats: u32::try_from(loads[*id].active).unwrap_or(u32::MAX),
                        idle_since: loads[*id].idle_since.clone(),
                        declined: has_declined(id),
                    })
                })
                .collect(),
        };
        given.insert(agent.clone());
        if let Some(load) = loads.get_mut(&agent) {
            load.active += 1;
            load.idle_since = samtale_projections::timestamp(now);
            load.offering |= offering;
        }
        plan.push((chat.chat_id, agent, hand, choice, chat.queued_at));
    }
    let directory = state.directory.current(DIRECTORY_ID).await?;
    let assignments = plan.iter().map(|(chat_id, agent, hand, choice, _)| {
        place(state, &directory, chat_id, agent, hand, choice, now)
    });
    let results = futures::future::join_all(assignments).await;
    let mut assigned = 0;
    let mut last = None;
    for (result, (.., queued_at)) in results.into_iter().zip(&plan) {
        match result {
            Ok(position) => {
                if position.is_some() {
                    assigned += 1;
                    if let Ok(queued) = chrono::DateTime::parse_from_rfc3339(queued_at) {
                        let waited = (now - queued.with_timezone(&chrono::Utc)).num_milliseconds();
                        state.dispatch.waited.observe(waited.max(0) as f64 / 1000.0);
                    }
                }
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

/// Offers or assigns one chat to one agent.
async fn place(
    state: &Node,
    directory: &Directory,
    chat_id: &str,
    agent: &str,
    hand: &Hand,
    choice: &RoutingChoice,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<samtale_eventlog::LogPosition>, ServiceError> {
    let agent_id = agent.parse::<UserId>()?;
    let meta = Origin {
        at: now,
        ..Origin::service(format!("routing-{chat_id}"))
    };
    let agent_queues = directory.queues_of(agent_id);
    let (command, operation) = match hand {
        Hand::Offer(timeout) => (
            ChatCommand::Offer {
                agent_id,
                agent_queues,
                expires_at: now + *timeout,
                choice: Some(choice.clone()),
                at: now,
            },
            "offer",
        ),
        Hand::Assign => (
            ChatCommand::Assign {
                agent_id,
                agent_queues,
                via: Assignment::Routing,
                choice: Some(choice.clone()),
                by: Actor::Routing,
                at: now,
            },
            "assign",
        ),
    };
    let context = command_context(&Actor::Routing, &meta, operation);
    match state.chats.execute(chat_id, command, &context).await {
        Ok(executed) => Ok(executed.position),
        // Picked up by hand, or closed by the customer, a moment ago.
        Err(CommandError::Rejected(_) | CommandError::Conflict(_)) => Ok(None),
        Err(error) => Err(ServiceError::Command(format!("routing {chat_id}: {error}"))),
    }
}

/// Puts back in their queues, in their places, the chats of agents who are gone: signed out,
/// idle past the session limit, or deactivated, with no other session left. A customer is
/// never left "ongoing" with nobody. Keyed by the chat, the agent and when they got it, each
/// happens once.
pub async fn requeue_left_behind(state: &Node) -> Result<usize, ServiceError> {
    let now = chrono::Utc::now();
    // First out of the queues, so that routing does not hand the chats straight back.
    for agent in state
        .sessions
        .present_but_gone(now, LEFT_BEHIND_PER_ROUND)
        .await?
    {
        let agent_id = agent.parse::<UserId>()?;
        let queues: BTreeSet<QueueId> = read::logged_in_queues(state.db.any(), &agent)
            .await?
            .iter()
            .filter_map(|q| q.parse().ok())
            .collect();
        let meta = Origin {
            at: now,
            ..Origin::service(format!("gone-{agent}"))
        };
        let command = PresenceCommand::LogOut {
            agent_id,
            queues,
            by: Actor::System,
            at: now,
        };
        let context = command_context(&Actor::System, &meta, "log_out_gone");
        state
            .execute(&state.presence, &agent, command, &context)
            .await?;
    }
    let left = state
        .sessions
        .chats_left_behind(now, LEFT_BEHIND_PER_ROUND)
        .await?;
    let mut requeued = 0;
    for (chat_id, agent_id, since) in left {
        let meta = Origin {
            at: now,
            ..Origin::service(format!("left-behind-{chat_id}"))
        };
        let key = format!("left-behind:{chat_id}:{agent_id}:{since}");
        let command = ChatCommand::Requeue {
            by: Actor::System,
            at: now,
        };
        let context = keyed_context(&Actor::System, &meta, "requeue_left_behind", key);
        match state
            .execute(&state.chats, &chat_id, command, &context)
            .await
        {
            Ok(executed) => requeued += usize::from(executed.position.is_some()),
            // Ended or handed on a moment ago.
            Err(CommandError::Rejected(_) | CommandError::Conflict(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(requeued)
}

/// The context of a command about one offer: keyed by the offer itself (chat, agent and when
/// it runs out, since the same agent may be offered the same chat again later: another
/// offer), so each step happens once however many rounds or nodes take it.
fn offer_context(
    offer: &read::DueOffer,
    operation: &'static str,
    now: chrono::DateTime<chrono::Utc>,
) -> samtale_eventlog::CommandContext {
    let meta = Origin {
        at: now,
        ..Origin::service(format!("{operation}-{}", offer.chat_id))
    };
    let key = format!(
        "offer:{}:{}:{}",
        offer.chat_id, offer.agent_id, offer.expires_at
    );
    keyed_context(&Actor::Routing, &meta, operation, key)
}

/// Withdraws every offer whose time has run out, and pauses the agent who let it (reason
/// `no_answer`), so that the chat goes to the next agent and not back to someone who is not
/// there. Keyed by the offer (chat, agent and when it runs out), each happens once however
/// many rounds or nodes see it due; an offer accepted meanwhile is left alone, and its agent
/// is not paused.
pub async fn expire_offers(state: &Node) -> Result<usize, ServiceError> {
    let now = chrono::Utc::now();
    // Offers to agents who paused, logged out or were deactivated meanwhile: taken back now,
    // not held for the rest of their time, and nobody is paused for them.
    for offer in read::stranded_offers(state.db.any(), EXPIRIES_PER_ROUND).await? {
        let withdraw = ChatCommand::WithdrawOffer {
            agent_id: offer.agent_id.parse()?,
            at: now,
        };
        let context = offer_context(&offer, "withdraw_offer", now);
        state
            .execute(&state.chats, &offer.chat_id, withdraw, &context)
            .await?;
    }
    let mut expired = 0;
    for offer in read::due_offers(state.db.any(), now, EXPIRIES_PER_ROUND).await? {
        let agent_id = offer.agent_id.parse::<UserId>()?;
        let expire = ChatCommand::ExpireOffer { agent_id, at: now };
        let context = offer_context(&offer, "expire_offer", now);
        let executed = state
            .execute(&state.chats, &offer.chat_id, expire, &context)
            .await?;
        if executed.position.is_none() {
            continue;
        }
        expired += 1;
        let pause = PresenceCommand::Pause {
            agent_id,
            reason: PauseReason::NoAnswer,
            defined: BTreeSet::new(),
            by: Actor::Routing,
            at: now,
        };
        let context = offer_context(&offer, "pause_no_answer", now);
        match state
            .execute(&state.presence, &offer.agent_id, pause, &context)
            .await
        {
            // Logged out meanwhile: there is nobody to pause.
            Ok(_) | Err(CommandError::Rejected(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(expired)
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
