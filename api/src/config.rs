//! Configuration: flags, each also readable from the environment variable of the same name.

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Where the event log and read models live: `sqlite://…` (the default, embedded) or
    /// `postgres://…` (several nodes can share one).
    #[arg(
        long = "database-url",
        env = "SAMTALE_DATABASE_URL",
        default_value = "sqlite://samtale.db"
    )]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// The address to listen on.
    #[arg(long, env = "SAMTALE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// The first administrator's password; a random one is printed once if unset.
    #[arg(
        long = "admin-password",
        env = "SAMTALE_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,

    /// Also create demo queues, categories, form fields, agents and a supervisor.
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub rate_limits: crate::rate_limit::RateLimitConfig,

    /// Origins allowed to call the customer API from a company's own site (comma-separated).
    #[arg(
        long = "widget-origins",
        env = "SAMTALE_WIDGET_ORIGINS",
        value_delimiter = ','
    )]
    pub widget_origins: Vec<String>,
}
