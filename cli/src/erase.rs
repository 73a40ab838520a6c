//! `samtale erase`: an erasure request from the shell, as `POST /api/v1/erasure-requests` does
//! it, recorded in the log as done by the service itself.

use samtale_api::config::DatabaseConfig;
use samtale_domain::Actor;
use samtale_service::erasure::{erase_person, Person};
use samtale_service::{Node, NodeSettings, Origin};
use std::time::Duration;

/// Whose chats: exactly one.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Whose {
    /// One chat, by its id.
    #[arg(long)]
    chat: Option<String>,
    /// Every ended chat whose pre-chat form gave this e-mail address (any case).
    #[arg(long)]
    email: Option<String>,
    /// Every ended chat whose pre-chat form gave this phone number (its last eight digits).
    #[arg(long)]
    phone: Option<String>,
}

pub async fn erase(whose: Whose, database: &DatabaseConfig) -> anyhow::Result<()> {
    let person = match whose {
        Whose {
            chat: Some(chat), ..
        } => Person::Chat(
            chat.parse()
                .map_err(|_| anyhow::anyhow!("--chat: not a chat id"))?,
        ),
        Whose {
            email: Some(email), ..
        } => Person::email(&email)?,
        Whose {
            phone: Some(phone), ..
        } => Person::phone(&phone)?,
        _ => anyhow::bail!("give one of --chat, --email and --phone"),
    };
    // Only the retention and offers of new queues are settings here, and this creates none.
    let settings = NodeSettings {
        idle: Duration::ZERO,
        customer_token_retention: Duration::ZERO,
        transcript_retention_days: None,
        offer_timeout_seconds: None,
        assign_pace: std::time::Duration::ZERO,
    };
    let node = Node::start(&database.database_url, &database.key_file(), settings).await?;
    let origin = Origin::service(format!("cli-erase:{}", uuid::Uuid::now_v7()));
    let report = erase_person(&node, &person, Actor::System, &origin).await?;
    for chat in &report.erased {
        println!("erased {} ({} messages)", chat.chat_id, chat.messages);
    }
    for chat in &report.skipped {
        let why = match chat.reason {
            samtale_service::erasure::Skipped::NotEnded => "it has not ended",
            samtale_service::erasure::Skipped::LegalHold => "it is under legal hold",
        };
        println!("left {}: {why}", chat.chat_id);
    }
    println!(
        "{} erased, {} left",
        report.erased.len(),
        report.skipped.len()
    );
    Ok(())
}
