//! `samtale replay --chat ID`: a conversation as it unfolded, for a terminal.

use cqrs_es::Aggregate;
use samtale_api::config::DatabaseConfig;
use samtale_domain::chat::Author;
use samtale_domain::{Chat, ChatEvent};
use samtale_eventlog::Database;
use samtale_projections::{decode, DomainEvent};

pub async fn print_chat(chat_id: &str, database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Database::connect(&database.database_url).await?;
    let events = db.event_log().events_of(Chat::TYPE, chat_id).await?;
    if events.is_empty() {
        anyhow::bail!("no chat {chat_id} in the log");
    }
    for logged in events {
        let position = logged.position.position;
        let Some(event) = decode(logged)? else {
            continue;
        };
        let DomainEvent::Chat(chat_event) = event.event else {
            continue;
        };
        let at = chat_event.at().format("%Y-%m-%d %H:%M:%S");
        println!("{at}  #{position:<8} {}", describe(&chat_event));
    }
    Ok(())
}

fn describe(event: &ChatEvent) -> String {
    match event {
        ChatEvent::ChatRequested {
            customer_name,
            queue_id,
            answers,
            ..
        } => {
            let answers: Vec<String> = answers
                .iter()
                .map(|a| format!("{}={}", a.label, a.value))
                .collect();
            format!(
                "{} asked for a chat in queue {queue_id} ({})",
                customer_name.as_str(),
                answers.join(", ")
            )
        }
        ChatEvent::ChatAssigned { agent_id, via, .. } => {
            format!("assigned to {agent_id} ({via:?})")
        }
        ChatEvent::MessageSent {
            number,
            author,
            text,
            ..
        } => {
            let who = match author {
                Author::Customer => "customer".to_string(),
                Author::Agent { user_id } => format!("agent {user_id}"),
                Author::System => "system".to_string(),
            };
            // Escape control characters: a message must not be able to drive the terminal.
            format!("[{number}] {who}: {}", text.as_str().escape_debug())
        }
        ChatEvent::MessagesRead {
            agent_id, up_to, ..
        } => format!("{agent_id} read up to message {up_to}"),
        ChatEvent::CustomerNotified { number, notice, .. } => {
            format!("[{number}] the customer was told: {}", notice.code())
        }
        ChatEvent::ChatTransferred {
            from_queue,
            to_queue,
            ..
        } => {
            format!("transferred from queue {from_queue} to {to_queue}")
        }
        ChatEvent::ChatEnded { by, .. } => {
            format!("ended by {}", serde_json::to_string(by).unwrap_or_default())
        }
        ChatEvent::CustomerClosedClient {
            abandoned: true, ..
        } => "the customer left while waiting".into(),
        ChatEvent::CustomerClosedClient { .. } => "the customer closed the chat".into(),
    }
}
