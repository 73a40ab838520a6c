//! Configuration: flags, each also readable from the environment variable of the same name.

use clap::Args;
use samtale_domain::FileKind;
use samtale_eventlog::{Database, DatabaseError};
use samtale_service::attachments::{AttachmentPolicy, Scanner};
use std::path::{Path, PathBuf};

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

    /// The key file: the keys that protect personal data in the database, kept outside it.
    /// Made (readable by its owner only) on a new database; default `samtale.key` beside an
    /// embedded database, else in the working directory. Every node of a database needs the
    /// same one.
    #[arg(long = "key-file", env = "SAMTALE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl DatabaseConfig {
    pub fn key_file(&self) -> PathBuf {
        if let Some(path) = &self.key_file {
            return path.clone();
        }
        let sqlite_file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default());
        match sqlite_file.map(Path::new).and_then(Path::parent) {
            Some(dir) => dir.join("samtale.key"),
            None => PathBuf::from("samtale.key"),
        }
    }

    /// Connects to the database with its key file (see [`Database::connect`]).
    pub async fn connect(&self) -> Result<Database, DatabaseError> {
        Database::connect(&self.database_url, &self.key_file()).await
    }
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

    /// Serve `/metrics` on this address only (e.g. 127.0.0.1:9464), not on the main listener.
    #[arg(long = "metrics-listen", env = "SAMTALE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// Wait up to this many seconds for an unreachable database, retrying, instead of
    /// exiting at once; meanwhile the node listens and `/readyz` answers 503.
    #[arg(
        long = "wait-for-database",
        env = "SAMTALE_WAIT_FOR_DATABASE_SECONDS",
        default_value_t = 0
    )]
    pub wait_for_database: u64,

    #[command(flatten)]
    pub rate_limits: crate::rate_limit::RateLimitConfig,

    #[command(flatten)]
    pub sessions: SessionConfig,

    #[command(flatten)]
    pub privacy: PrivacyConfig,

    #[command(flatten)]
    pub routing: RoutingConfig,

    #[command(flatten)]
    pub mail: MailConfig,

    #[command(flatten)]
    pub edge: EdgeConfig,

    #[command(flatten)]
    pub attachments: AttachmentConfig,

    /// The secret a company's own site signs its logged-in customers' ids with (HMAC-SHA256),
    /// so that the widget can say who a customer is and agents see their earlier chats. Unset:
    /// the widget's identities are refused.
    #[arg(
        long = "identity-secret",
        env = "SAMTALE_IDENTITY_SECRET",
        hide_env_values = true
    )]
    pub identity_secret: Option<String>,

    /// Origins allowed to call the customer API from a company's own site (comma-separated);
    /// the widget page may be framed only by these sites (`frame-ancestors`).
    #[arg(
        long = "widget-origins",
        env = "SAMTALE_WIDGET_ORIGINS",
        value_delimiter = ','
    )]
    pub widget_origins: Vec<String>,
}

/// The node as it faces the internet: the proxies in front of it and what browsers are told.
#[derive(Debug, Clone, Default, Args)]
pub struct EdgeConfig {
    /// Reverse proxies (addresses or CIDRs, comma-separated) whose forwarding header (see
    /// `SAMTALE_CLIENT_ADDRESS_HEADER`) names the client; from any other peer it is ignored.
    #[arg(
        long = "trusted-proxies",
        env = "SAMTALE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = crate::client_addr::parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The header the trusted proxies write the client's address in; the other is ignored.
    #[arg(
        long = "client-address-header",
        env = "SAMTALE_CLIENT_ADDRESS_HEADER",
        value_enum,
        default_value_t
    )]
    pub client_address_header: crate::client_addr::ForwardedHeader,

    /// When the node is reached over TLS (at the proxy): tell browsers to use only HTTPS for
    /// this long (`Strict-Transport-Security: max-age`). Unset: no such header.
    #[arg(long = "hsts-max-age-seconds", env = "SAMTALE_HSTS_MAX_AGE_SECONDS")]
    pub hsts_max_age_seconds: Option<u64>,

    #[command(flatten)]
    pub connections: ConnectionLimits,
}

impl EdgeConfig {
    /// The proxies to believe, and the header they write.
    pub fn proxies(&self) -> crate::client_addr::TrustedProxies {
        crate::client_addr::TrustedProxies::new(
            self.trusted_proxies.clone(),
            self.client_address_header,
        )
    }
}

/// What one client may hold of a node: connections, their patience, and live streams.
#[derive(Debug, Clone, Args)]
pub struct ConnectionLimits {
    /// Seconds a connection may take to send a request's headers, counted from when it opens
    /// or its previous answer ends: so also how long an idle keep-alive connection stays.
    #[arg(
        long = "header-timeout-seconds",
        env = "SAMTALE_HEADER_TIMEOUT_SECONDS",
        default_value_t = 15
    )]
    pub header_timeout_seconds: u64,
    /// Seconds a request body may pause before the request is given up and its connection
    /// closed.
    #[arg(
        long = "body-timeout-seconds",
        env = "SAMTALE_BODY_TIMEOUT_SECONDS",
        default_value_t = 15
    )]
    pub body_timeout_seconds: u64,
    /// Connections open at once on this node; beyond it a new one is answered 503 and closed.
    /// Lowered at start to fit the process's limit of open files.
    #[arg(
        long = "max-connections",
        env = "SAMTALE_MAX_CONNECTIONS",
        default_value_t = 8192
    )]
    pub max_connections: usize,
    /// Connections open at once from one client address (trusted proxies are not counted).
    #[arg(
        long = "max-connections-per-address",
        env = "SAMTALE_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1024
    )]
    pub max_connections_per_address: usize,
    /// Live streams open at once on one token (a staff session, or a customer's chat).
    #[arg(
        long = "max-streams-per-token",
        env = "SAMTALE_MAX_STREAMS_PER_TOKEN",
        default_value_t = 8
    )]
    pub max_streams_per_token: usize,
    /// Live streams open at once from one client address.
    #[arg(
        long = "max-streams-per-address",
        env = "SAMTALE_MAX_STREAMS_PER_ADDRESS",
        default_value_t = 512
    )]
    pub max_streams_per_address: usize,
    /// Seconds a stopping node (SIGTERM) waits for requests in flight before it exits anyway.
    #[arg(
        long = "shutdown-grace-seconds",
        env = "SAMTALE_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 10
    )]
    pub shutdown_grace_seconds: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout_seconds: 15,
            body_timeout_seconds: 15,
            max_connections: 8192,
            max_connections_per_address: 1024,
            max_streams_per_token: 8,
            max_streams_per_address: 512,
            shutdown_grace_seconds: 10,
        }
    }
}

/// How long credentials live: staff sessions while in use, customer tokens after their chat.
#[derive(Debug, Clone, Args)]
pub struct SessionConfig {
    /// Seconds a staff session may go unused before it is refused (default 12 hours).
    #[arg(
        long = "session-idle-seconds",
        env = "SAMTALE_SESSION_IDLE_SECONDS",
        default_value_t = 12 * 3600
    )]
    pub idle_seconds: u64,

    /// Seconds a customer's token keeps working after their chat ended or was abandoned, so
    /// the widget can still show the transcript (default 24 hours); then it is deleted.
    #[arg(
        long = "customer-token-retention-seconds",
        env = "SAMTALE_CUSTOMER_TOKEN_RETENTION_SECONDS",
        default_value_t = 24 * 3600
    )]
    pub customer_token_retention_seconds: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_seconds: 12 * 3600,
            customer_token_retention_seconds: 24 * 3600,
        }
    }
}

/// Where mail (transcripts customers ask for) goes out.
#[derive(Debug, Clone, Args)]
pub struct MailConfig {
    /// The SMTP server: `smtp://host:port` (no TLS), `smtp://host:port?tls=required`
    /// (STARTTLS) or `smtps://host:port`, with `user:password@` if it wants them. Unset:
    /// customers are not offered transcripts by e-mail.
    #[arg(long = "smtp-url", env = "SAMTALE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Whom the mail is from.
    #[arg(
        long = "mail-from",
        env = "SAMTALE_MAIL_FROM",
        default_value = DEFAULT_SENDER
    )]
    pub mail_from: String,
}

const DEFAULT_SENDER: &str = "Samtale <no-reply@samtale.invalid>";

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: DEFAULT_SENDER.into(),
        }
    }
}

/// How routing hands out chats.
#[derive(Debug, Clone, Args)]
pub struct RoutingConfig {
    /// Seconds routing offers a chat to one agent before it offers it to the next, for queues
    /// created from now on (each queue can then change its own); `off`: routing assigns chats
    /// straight away. Default 30
    #[arg(
        long = "offer-timeout-seconds",
        env = "SAMTALE_OFFER_TIMEOUT_SECONDS",
        default_value = "30",
        value_parser = offer_timeout
    )]
    pub offer_timeout_seconds: OfferTimeout,
    /// Seconds routing waits after giving an agent a chat before it gives them another, so
    /// that an agent who logs in to a backlog takes it a chat at a time; 0 hands them chats as
    /// fast as they have room. Default 5
    #[arg(
        long = "assign-pace-seconds",
        env = "SAMTALE_ASSIGN_PACE_SECONDS",
        default_value = "5",
        value_parser = clap::value_parser!(u32).range(0..=300)
    )]
    pub assign_pace_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferTimeout(pub Option<u32>);

fn offer_timeout(value: &str) -> Result<OfferTimeout, String> {
    use samtale_domain::directory::{MAX_OFFER_SECONDS, MIN_OFFER_SECONDS};
    number_or_none(
        value,
        "off",
        MIN_OFFER_SECONDS..=MAX_OFFER_SECONDS,
        "seconds",
    )
    .map(OfferTimeout)
}

/// A whole number in `range`, or `none_word` (any case) for none.
fn number_or_none(
    value: &str,
    none_word: &str,
    range: std::ops::RangeInclusive<u32>,
    unit: &str,
) -> Result<Option<u32>, String> {
    if value.trim().eq_ignore_ascii_case(none_word) {
        return Ok(None);
    }
    match value.trim().parse::<u32>() {
        Ok(number) if range.contains(&number) => Ok(Some(number)),
        _ => Err(format!(
            "a number of {unit} from {} to {}, or `{none_word}`",
            range.start(),
            range.end()
        )),
    }
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout_seconds: OfferTimeout(Some(30)),
            assign_pace_seconds: 5,
        }
    }
}

/// Files in chats: how large, which kinds, and what scans them.
#[derive(Debug, Clone, Args)]
pub struct AttachmentConfig {
    /// The largest file a chat takes, in bytes. Default 10 MiB.
    #[arg(
        long = "attachment-max-bytes",
        env = "SAMTALE_ATTACHMENT_MAX_BYTES",
        default_value_t = AttachmentPolicy::DEFAULT_MAX_BYTES,
        value_parser = clap::value_parser!(u64).range(1..=1024 * 1024 * 1024)
    )]
    pub max_bytes: u64,
    /// The kinds of file a chat takes, as media types (comma-separated), decided from each
    /// file's content: any of image/png, image/jpeg, image/gif, image/webp, application/pdf,
    /// text/plain. Default all of them.
    #[arg(
        long = "attachment-types",
        env = "SAMTALE_ATTACHMENT_TYPES",
        value_delimiter = ',',
        default_value = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
        value_parser = file_kind
    )]
    pub types: Vec<FileKind>,
    /// A command that reads every upload on its standard input before it is taken and exits 0
    /// to take it (e.g. `clamdscan -`; split on spaces, no shell). Unset: uploads are not
    /// scanned, which the server logs when it starts.
    #[arg(
        long = "attachment-scan-command",
        env = "SAMTALE_ATTACHMENT_SCAN_COMMAND"
    )]
    pub scan_command: Option<String>,
}

fn file_kind(value: &str) -> Result<FileKind, String> {
    FileKind::from_media_type(value.trim()).ok_or_else(|| {
        format!("{value:?} is not one of image/png, image/jpeg, image/gif, image/webp, application/pdf, text/plain")
    })
}

impl AttachmentConfig {
    pub fn policy(&self) -> AttachmentPolicy {
        AttachmentPolicy {
            max_bytes: self.max_bytes,
            allowed: self.types.iter().copied().collect(),
            scanner: self.scan_command.as_deref().and_then(Scanner::parse),
        }
    }
}

impl Default for AttachmentConfig {
    fn default() -> Self {
        let policy = AttachmentPolicy::default();
        Self {
            max_bytes: policy.max_bytes,
            types: policy.allowed.into_iter().collect(),
            scan_command: None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct PrivacyConfig {
    /// Days after a chat's end until retention erases its personal data, for queues created
    /// from now on (each queue can then change its own); `never` keeps them until erased on
    /// request. Default 90.
    #[arg(
        long = "transcript-retention-days",
        env = "SAMTALE_TRANSCRIPT_RETENTION_DAYS",
        default_value = "90",
        value_parser = retention_days
    )]
    pub transcript_retention_days: RetentionDays,
}

/// A number of days (1-3650), or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(pub Option<u32>);

fn retention_days(value: &str) -> Result<RetentionDays, String> {
    let max = samtale_domain::directory::MAX_RETENTION_DAYS;
    number_or_none(value, "never", 1..=max, "days").map(RetentionDays)
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            transcript_retention_days: RetentionDays(Some(90)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> DatabaseConfig {
        DatabaseConfig {
            database_url: url.into(),
            key_file: None,
        }
    }

    #[test]
    fn an_offer_timeout_is_a_number_of_seconds_or_off() {
        assert_eq!(offer_timeout("45"), Ok(OfferTimeout(Some(45))));
        assert_eq!(offer_timeout("OFF"), Ok(OfferTimeout(None)));
        for bad in ["4", "601", "-1", "soon", ""] {
            assert!(offer_timeout(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            RoutingConfig::default().offer_timeout_seconds,
            OfferTimeout(Some(30))
        );
    }

    #[test]
    fn retention_is_a_number_of_days_or_never() {
        assert_eq!(retention_days("30"), Ok(RetentionDays(Some(30))));
        assert_eq!(retention_days("Never"), Ok(RetentionDays(None)));
        for bad in ["0", "3651", "-1", "ninety", ""] {
            assert!(retention_days(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_key_file_lies_beside_an_embedded_database_by_default() {
        assert_eq!(
            config("sqlite://samtale.db").key_file(),
            PathBuf::from("samtale.key")
        );
        assert_eq!(
            config("sqlite:///var/lib/samtale/s.db?mode=rwc").key_file(),
            PathBuf::from("/var/lib/samtale/samtale.key")
        );
        assert_eq!(
            config("postgres://db/samtale").key_file(),
            PathBuf::from("samtale.key")
        );
    }
}
