//! The state every handler shares: the node, and what only its HTTP surface needs.

use crate::client_addr::TrustedProxies;
use crate::config::{ConnectionLimits, ServeConfig};
use crate::listen::Connections;
use crate::metrics::Metrics;
use crate::occupancy::Occupancy;
use crate::outage::Breaker;
use crate::rate_limit::RateLimits;
use samtale_service::attachments::AttachmentPolicy;
use samtale_service::{Node, NodeSettings, ServiceError};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The node, and what only its HTTP surface needs: the widget's origins, rate limits and the
/// outage breaker.
pub struct Services {
    pub node: Arc<Node>,
    pub widget_origins: Vec<String>,
    /// What a site signs its customers' ids with; `None`: no identity is trusted.
    pub identity_secret: Option<String>,
    /// An SMTP server is configured: customers may ask for their transcript by e-mail.
    pub transcripts_by_email: bool,
    pub limits: RateLimits,
    pub trusted_proxies: TrustedProxies,
    /// `Strict-Transport-Security`, when the operator serves over TLS.
    pub hsts: Option<axum::http::HeaderValue>,
    /// The live streams open on this node, per token and per address, within their caps.
    pub streams: Arc<Occupancy>,
    pub limits_per_client: ConnectionLimits,
    /// Turns true when the node stops: live streams end, so their clients go elsewhere.
    pub stopping: watch::Receiver<bool>,
    /// The connections open on this node.
    pub connections: Connections,
    pub metrics: Arc<Metrics>,
    /// `/metrics` is served on a listener of its own, not the main one.
    pub metrics_apart: bool,
    pub breaker: Arc<Breaker>,
    /// What files chats take.
    pub attachments: AttachmentPolicy,
}

impl Deref for Services {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
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
    /// Starts the node (see [`Node::start`]) with the server's settings; `transcripts_by_email`
    /// when a mail worker runs.
    pub async fn start(
        config: &ServeConfig,
        transcripts_by_email: bool,
        stopping: watch::Receiver<bool>,
        connections: Connections,
    ) -> Result<Self, ServiceError> {
        let ServeConfig {
            database,
            sessions: session_config,
            privacy,
            routing,
            ..
        } = config;
        let settings = NodeSettings {
            idle: Duration::from_secs(session_config.idle_seconds),
            customer_token_retention: Duration::from_secs(
                session_config.customer_token_retention_seconds,
            ),
            transcript_retention_days: privacy.transcript_retention_days.0,
            offer_timeout_seconds: routing.offer_timeout_seconds.0,
            assign_pace: Duration::from_secs(routing.assign_pace_seconds.into()),
        };
        let node = Node::start(&database.database_url, &database.key_file(), settings).await?;
        let attachments = config.attachments.policy();
        match &attachments.scanner {
            Some(scanner) => {
                tracing::info!(command = %scanner.command_line(), "uploads are scanned")
            }
            None => tracing::warn!(
                "uploads are not scanned for malware: SAMTALE_ATTACHMENT_SCAN_COMMAND is not set"
            ),
        }
        Ok(AppState(Arc::new(Services {
            attachments,
            breaker: Arc::new(Breaker::new(node.db.clone())),
            metrics: Arc::new(Metrics::new(&node)),
            metrics_apart: config.metrics_listen.is_some(),
            connections,
            node: Arc::new(node),
            widget_origins: config.widget_origins.clone(),
            identity_secret: config
                .identity_secret
                .clone()
                .filter(|secret| !secret.is_empty()),
            transcripts_by_email,
            limits: RateLimits::new(config.rate_limits.clone()),
            trusted_proxies: config.edge.proxies(),
            streams: Arc::default(),
            limits_per_client: config.edge.connections.clone(),
            stopping,
            hsts: config.edge.hsts_max_age_seconds.and_then(|seconds| {
                axum::http::HeaderValue::from_str(&format!("max-age={seconds}")).ok()
            }),
        })))
    }
}
