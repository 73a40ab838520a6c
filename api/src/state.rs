//! The state every handler shares: the node, and what only its HTTP surface needs.

use crate::config::{DatabaseConfig, PrivacyConfig, RoutingConfig, SessionConfig};
use crate::outage::Breaker;
use crate::rate_limit::{RateLimitConfig, RateLimits};
use samtale_service::{Node, NodeSettings, ServiceError};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

/// The node, and what only its HTTP surface needs: the widget's origins, rate limits and the
/// outage breaker.
pub struct Services {
    pub node: Arc<Node>,
    pub widget_origins: Vec<String>,
    /// What a site signs its customers' ids with; `None`: no identity is trusted.
    pub identity_secret: Option<String>,
    pub limits: RateLimits,
    pub breaker: Arc<Breaker>,
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
    /// Starts the node (see [`Node::start`]) with this surface's settings.
    pub async fn start(
        database: &DatabaseConfig,
        widget_origins: Vec<String>,
        identity_secret: Option<String>,
        limits: RateLimitConfig,
        session_config: &SessionConfig,
        privacy: &PrivacyConfig,
        routing: &RoutingConfig,
    ) -> Result<Self, ServiceError> {
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
        Ok(AppState(Arc::new(Services {
            breaker: Arc::new(Breaker::new(node.db.clone())),
            node: Arc::new(node),
            widget_origins,
            identity_secret: identity_secret.filter(|secret| !secret.is_empty()),
            limits: RateLimits::new(limits),
        })))
    }
}
