//! The `samtale` command: the server and its tools.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use samtale_api::config::{DatabaseConfig, ServeConfig};
use samtale_api::Application;
use samtale_projections::seals::Verdict;
use samtale_projections::Projections;
use tracing_subscriber::EnvFilter;

mod ceiling;
mod erase;
mod keys;
mod replay;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "samtale",
    version,
    about = "Event-sourced contact-centre webchat"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the embedded SQLite database unless SAMTALE_DATABASE_URL says otherwise).
    Serve(Box<ServeConfig>),
    /// Drive a running server with simulated customers and agents and report the figures.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Load {
        #[command(subcommand)]
        scenario: Option<LoadScenario>,
        #[command(flatten)]
        load: Option<samtale_client::load::LoadConfig>,
        /// Also measure PostgreSQL's ceiling for durable single-event inserts (a scratch table).
        #[arg(long)]
        ceiling_database_url: Option<String>,
    },
    /// Customers arriving at a set rate with agents logged in: how fast routing assigns.
    LoadArrivals(samtale_client::load::ArrivalsConfig),
    /// Print a conversation as it unfolded.
    Replay {
        /// The chat's id.
        #[arg(long)]
        chat: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Check the event log against its seals.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Erase chats' personal data: one chat, or every ended chat of a person (an erasure
    /// request). Nodes may keep running.
    Erase {
        #[command(flatten)]
        whose: erase::Whose,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Manage the key file's keys (with every node stopped).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Maintain the event log (with every node stopped).
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new key-encryption key, rewrap every data key with it, and drop the old ones.
    Rotate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Bring a log written in plaintext by an older version under erasure: copy it into an
    /// encrypted log, reseal it, and replace it (docs/privacy.md).
    Encrypt {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand)]
enum LoadScenario {
    /// The worst day: N customers waiting with their streams open while agents pick up at a
    /// set rate; what places cost (start the server with SAMTALE_CHAT_STARTS_PER_MINUTE ≥ N).
    Surge(samtale_client::load::SurgeConfig),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the log, recompute the hash chain and report the first altered or missing event.
    Verify {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Rebuild read models from the start of the log, beside the live ones, then swap.
    Rebuild {
        /// One projection; all if omitted.
        name: Option<String>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let app = Application::build(&config).await?;
            println!("Samtale is listening on http://{}", app.address);
            Ok(app.run_until_stopped().await?)
        }
        Command::Load {
            scenario: Some(LoadScenario::Surge(config)),
            ..
        } => {
            samtale_client::load::surge(config).await?;
            Ok(())
        }
        Command::Load {
            scenario: None,
            load: None,
            ..
        } => anyhow::bail!("samtale load needs --admin-password (or SAMTALE_ADMIN_PASSWORD)"),
        Command::Load {
            scenario: None,
            load: Some(load),
            ceiling_database_url,
        } => {
            let concurrency = load.concurrency;
            let report = samtale_client::load::run(load).await?;
            match ceiling_database_url {
                Some(url) => ceiling::compare(&url, concurrency, report.throughput).await,
                None => Ok(()),
            }
        }
        Command::LoadArrivals(config) => Ok(samtale_client::load::arrivals(config).await?),
        Command::Audit {
            command: AuditCommand::Verify { database },
        } => verify(&database).await,
        Command::Replay { chat, database } => replay::print_chat(&chat, &database).await,
        Command::Projections {
            command: ProjectionsCommand::Rebuild { name, database },
        } => rebuild(name, &database).await,
        Command::Erase { whose, database } => erase::erase(whose, &database).await,
        Command::Keys {
            command: KeysCommand::Rotate { database },
        } => keys::rotate(&database).await,
        Command::Log {
            command: LogCommand::Encrypt { database },
        } => keys::encrypt_log(&database).await,
    }
}

async fn rebuild(name: Option<String>, database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = database.connect().await?;
    let projections = Projections::standard(db);
    projections.install().await?;
    let names = match name {
        Some(name) => vec![name],
        None => projections
            .names()
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    for name in names {
        let bar = ProgressBar::new(0).with_message(name.clone());
        bar.set_style(
            ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} events ({per_sec})")?
                .progress_chars("=> "),
        );
        let report = projections
            .rebuild(&name, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
        bar.finish();
        println!(
            "{}: {} events in {:.2}s, {:.0} events/s",
            report.projection,
            report.events,
            report.elapsed.as_secs_f64(),
            report.events_per_second()
        );
    }
    Ok(())
}

async fn verify(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = database.connect().await?;
    let projections = Projections::standard(db.clone());
    projections.install().await?;
    // Seal whatever the running service has not sealed yet, so every event is judged.
    projections.catch_up().await?;
    match samtale_projections::seals::verify(db.event_log().as_ref(), db.any()).await? {
        Verdict::Intact { events, head } => {
            println!("intact: {events} events, head seal {head}");
            Ok(())
        }
        Verdict::Altered { position } => {
            anyhow::bail!("the event at position {position} was altered")
        }
        Verdict::Missing { position } => {
            anyhow::bail!("the event at position {position} is missing")
        }
    }
}
