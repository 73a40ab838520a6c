//! The application: its shared state, and building it from configuration.

use crate::auth::CustomerTokens;
use crate::config::{ServeConfig, SessionConfig};
use crate::error::ApiError;
use crate::extract::RequestMeta;
use crate::http;
use crate::live::LiveFeed;
use crate::outage::Breaker;
use crate::rate_limit::{RateLimitConfig, RateLimits};
use crate::sessions::Sessions;
use crate::write_timeout::{WriteTimeoutListener, WRITE_STALL_LIMIT};
use axum::serve::ListenerExt;
use samtale_domain::{Actor, Chat, Directory, NoServices, Presence};
use samtale_eventlog::{ClientKey, CommandContext, CommandError, Commands, Database, Executed};
use samtale_projections::Projections;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

/// Aggregates kept in memory per kind: enough for every chat open in a busy centre.
const AGGREGATE_CACHE: usize = 20_000;

/// Staff sessions remembered per node: more than a centre has staff logged in.
const STAFF_SESSIONS: usize = 10_000;

/// How long a command's reply waits for the read models to show its effect.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

pub struct Services {
    pub db: Database,
    pub chats: Commands<Chat>,
    pub presence: Commands<Presence>,
    pub directory: Commands<Directory>,
    pub projections: Arc<Projections>,
    pub live: LiveFeed,
    pub widget_origins: Vec<String>,
    pub limits: RateLimits,
    pub breaker: Arc<Breaker>,
    pub customer_tokens: CustomerTokens,
    pub sessions: Arc<Sessions>,
    /// How long a customer's token outlives the end of their chat.
    pub customer_token_retention: Duration,
}

#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

impl AppState {
    /// Connects, migrates, installs and starts the projections and the live feed.
    pub async fn start(
        database_url: &str,
        widget_origins: Vec<String>,
        limits: RateLimitConfig,
        session_config: &SessionConfig,
    ) -> anyhow::Result<Self> {
        let db = Database::connect(database_url).await?;
        let projections = Arc::new(Projections::standard(db.clone()));
        projections.install().await?;
        projections.spawn();
        let repo = Arc::new(db.event_repository());
        let log = db.event_log();
        let live = LiveFeed::start(log.clone(), projections.clone()).await?;
        Ok(AppState(Arc::new(Services {
            chats: Commands::new(repo.clone(), log.clone(), NoServices, AGGREGATE_CACHE),
            presence: Commands::new(repo.clone(), log.clone(), NoServices, AGGREGATE_CACHE),
            directory: Commands::new(repo, log, NoServices, 1),
            projections,
            live,
            widget_origins,
            limits: RateLimits::new(limits),
            breaker: Arc::default(),
            customer_tokens: CustomerTokens::new(AGGREGATE_CACHE),
            sessions: Sessions::start(
                db.any().clone(),
                STAFF_SESSIONS,
                Duration::from_secs(session_config.idle_seconds),
            ),
            customer_token_retention: Duration::from_secs(
                session_config.customer_token_retention_seconds,
            ),
            db,
        })))
    }

    /// Runs a command and, if it wrote anything, waits until the read models show it, so the
    /// caller's next read sees its own write.
    pub async fn execute<A>(
        &self,
        commands: &Commands<A>,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, ApiError>
    where
        A: cqrs_es::Aggregate + Clone,
        A::Command: Clone,
        ApiError: From<CommandError<A::Error>>,
    {
        let executed = commands
            .execute(aggregate_id, command, context)
            .await
            .map_err(<ApiError as From<CommandError<A::Error>>>::from)?;
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

/// The log metadata of a command: who asked, in which request, and the client's
/// `Idempotency-Key` (if it sent one) as its key for `operation`, so a retry is recognised.
pub fn command_context(
    actor: &Actor,
    meta: &RequestMeta,
    operation: &'static str,
) -> CommandContext {
    CommandContext {
        client_key: meta.idempotency_key.clone().map(|key| ClientKey {
            operation,
            resource: None,
            key,
        }),
        actor: serde_json::to_string(actor).unwrap_or_default(),
        request_id: meta.request_id.clone(),
        at: meta.at,
    }
}

/// [`command_context`] keyed by a key of the service's own (bootstrap steps, timers) or one
/// the client sent in the body (`client_message_id`), which takes the header's place.
pub fn keyed_context(
    actor: &Actor,
    meta: &RequestMeta,
    operation: &'static str,
    key: String,
) -> CommandContext {
    CommandContext {
        client_key: Some(ClientKey {
            operation,
            resource: None,
            key,
        }),
        ..command_context(actor, meta, operation)
    }
}

/// [`command_context`] for an operation on one of the many things an aggregate holds (a user or
/// a queue of the directory, one queue of an agent's presence): the client's key for another
/// one is another command, not a retry of this one.
pub fn resource_context(
    actor: &Actor,
    meta: &RequestMeta,
    operation: &'static str,
    resource: impl ToString,
) -> CommandContext {
    let mut context = command_context(actor, meta, operation);
    if let Some(key) = context.client_key.as_mut() {
        key.resource = Some(resource.to_string());
    }
    context
}

/// A running server: its bound address and the task serving it.
pub struct Application {
    pub address: std::net::SocketAddr,
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    dispatcher: tokio::task::JoinHandle<()>,
    pruner: tokio::task::JoinHandle<()>,
}

impl Application {
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        let state = AppState::start(
            &config.database.database_url,
            config.widget_origins.clone(),
            config.rate_limits.clone(),
            &config.sessions,
        )
        .await?;
        crate::bootstrap::ensure_admin(&state, config.admin_password.clone()).await?;
        if config.demo {
            crate::bootstrap::seed_demo(&state).await?;
        }
        let listener = tokio::net::TcpListener::bind(&config.listen).await?;
        let address = listener.local_addr()?;
        // Without TCP_NODELAY an SSE frame written while the previous one is unacknowledged
        // waits for the client's delayed ACK (up to 40 ms): under load, a twentieth of the
        // messages reached the other side 30-40 ms late.
        let listener = WriteTimeoutListener::new(listener, WRITE_STALL_LIMIT);
        let listener = listener.tap_io(|connection| {
            if let Err(error) = connection.get_ref().set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        let router = http::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
        });
        let dispatcher = crate::routing::spawn(state.clone());
        let pruner = crate::retention::spawn(state.clone());
        Ok(Self {
            address,
            state,
            server,
            dispatcher,
            pruner,
        })
    }

    /// Stops serving and dispatching, as a crashed node would: its dispatcher lock goes with
    /// its connection. (Background folds stop with the runtime.)
    pub fn stop(&self) {
        self.server.abort();
        self.dispatcher.abort();
        self.pruner.abort();
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await??;
        Ok(())
    }
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
