//! One node: its database, the command executors, the read models, the live feed, and who may
//! act (staff sessions, customer tokens).

use crate::identity::CustomerTokens;
use crate::live::LiveFeed;
use crate::sessions::Sessions;
use crate::typing::TypingHub;
use crate::ServiceError;
use samtale_domain::{Chat, Directory, NoServices, Presence};
use samtale_eventlog::{CommandContext, CommandError, Commands, Database, Executed};
use samtale_projections::Projections;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Aggregates kept in memory per kind: enough for every chat open in a busy centre.
const AGGREGATE_CACHE: usize = 20_000;

/// Staff sessions remembered per node: more than a centre has staff logged in.
const STAFF_SESSIONS: usize = 10_000;

/// How long a command's reply waits for the read models to show its effect.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

/// How long credentials and transcripts last.
#[derive(Debug, Clone, Copy)]
pub struct NodeSettings {
    /// A staff session unused this long is refused.
    pub idle: Duration,
    /// How long a customer's token outlives the end of their chat.
    pub customer_token_retention: Duration,
    /// The transcript retention queues get when created (each can change it); `None`: kept
    /// until erased on request.
    pub transcript_retention_days: Option<u32>,
    /// The offer timeout queues get when created (each can change it); `None`: routing
    /// assigns straight away.
    pub offer_timeout_seconds: Option<u32>,
    /// Routing gives an agent a chat at most this often (zero: as fast as they have room).
    pub assign_pace: Duration,
}

pub struct Node {
    pub db: Database,
    pub chats: Commands<Chat>,
    pub presence: Commands<Presence>,
    pub directory: Commands<Directory>,
    pub projections: Arc<Projections>,
    pub live: LiveFeed,
    pub customer_tokens: CustomerTokens,
    pub sessions: Arc<Sessions>,
    /// Typing signals, from every node.
    pub typing: TypingHub,
    /// How long a customer's token outlives the end of their chat.
    pub customer_token_retention: Duration,
    /// The transcript retention of new queues.
    pub transcript_retention_days: Option<u32>,
    /// The offer timeout of new queues.
    pub offer_timeout_seconds: Option<u32>,
    /// How long routing waits after giving an agent a chat before it gives them another.
    pub assign_pace: chrono::Duration,
    pub dispatch: crate::dispatcher::DispatchMetrics,
}

impl Node {
    /// Connects, migrates, installs and starts the projections and the live feed.
    pub async fn start(
        database_url: &str,
        key_file: &Path,
        settings: NodeSettings,
    ) -> Result<Self, ServiceError> {
        let db = Database::connect(database_url, key_file).await?;
        let projections = Arc::new(Projections::standard(db.clone()));
        projections.install().await?;
        projections.spawn();
        let repo = Arc::new(db.event_repository());
        let log = db.event_log();
        let live = LiveFeed::start(log.clone(), projections.clone()).await?;
        Ok(Node {
            chats: Commands::new(repo.clone(), log.clone(), NoServices, AGGREGATE_CACHE),
            presence: Commands::new(repo.clone(), log.clone(), NoServices, AGGREGATE_CACHE),
            directory: Commands::new(repo, log, NoServices, 1),
            projections,
            live,
            customer_tokens: CustomerTokens::new(AGGREGATE_CACHE),
            sessions: Sessions::start(db.any().clone(), STAFF_SESSIONS, settings.idle),
            typing: TypingHub::start(db.postgres_pool().cloned()).await,
            customer_token_retention: settings.customer_token_retention,
            transcript_retention_days: settings.transcript_retention_days,
            offer_timeout_seconds: settings.offer_timeout_seconds,
            assign_pace: chrono::Duration::from_std(settings.assign_pace)
                .unwrap_or(chrono::Duration::zero()),
            dispatch: Default::default(),
            db,
        })
    }

    /// Runs a command and, if it wrote anything, waits until the read models show it, so the
    /// caller's next read sees its own write.
    pub async fn execute<A>(
        &self,
        commands: &Commands<A>,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, CommandError<A::Error>>
    where
        A: cqrs_es::Aggregate + Clone,
        A::Command: Clone,
        A::Event: samtale_domain::Subject,
    {
        let executed = commands.execute(aggregate_id, command, context).await?;
        if let Some(position) = executed.position {
            if !self.projections.wait_for(position, READ_YOUR_WRITES).await {
                tracing::warn!(
                    position = position.position,
                    "read models lag behind a command"
                );
            }
        }
        Ok(executed)
    }
}
