//! `samtale replay --chat ID`: a conversation as it unfolded, for a terminal.

use cqrs_es::Aggregate;
use samtale_api::config::DatabaseConfig;
use samtale_domain::chat::Author;
use samtale_domain::{Chat, ChatEvent};
use samtale_projections::{decode, DomainEvent};

pub async fn print_chat(chat_id: &str, database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = database.connect().await?;
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

fn who(author: &Author) -> String {
    match author {
        Author::Customer => "customer".to_string(),
        Author::Agent { user_id } => format!("agent {user_id}"),
        Author::System => "system".to_string(),
    }
}

/// What an erased name, answer or text is shown as.
const ERASED: &str = "(erased)";

fn describe(event: &ChatEvent) -> String {
    match event {
        ChatEvent::ChatRequested {
            customer_name,
            queue_id,
            answers,
            ..
        } => {
            let answers = match answers.known() {
                Some(answers) => answers
                    .iter()
                    .map(|a| format!("{}={}", a.label, a.value))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => ERASED.to_string(),
            };
            let name = customer_name.known().map_or(ERASED, |name| name.as_str());
            format!("{name} asked for a chat in queue {queue_id} ({answers})")
        }
        ChatEvent::MessageLeft {
            customer_name,
            queue_id,
            ..
        } => {
            let name = customer_name.known().map_or(ERASED, |name| name.as_str());
            format!("{name} left a message for queue {queue_id}")
        }
        ChatEvent::LeftMessageAnswered { agent_id, .. } => {
            format!("the message was answered by {agent_id}, by e-mail")
        }
        ChatEvent::ChatAssigned { agent_id, via, .. } => {
            format!("assigned to {agent_id} ({via:?})")
        }
        ChatEvent::ChatHandedOver {
            from_agent,
            to_agent,
            ..
        } => format!("handed over by {from_agent} to {to_agent}"),
        ChatEvent::HandRaised { agent_id, .. } => format!("{agent_id} raised a hand for help"),
        ChatEvent::ColleagueInvited { invitee, by, .. } => format!(
            "{invitee} was invited by {}",
            by.user_id().map(|id| id.to_string()).unwrap_or_default()
        ),
        ChatEvent::InvitationDeclined { invitee, .. } => format!("{invitee} declined to join"),
        ChatEvent::ParticipantJoined { user_id, .. } => format!("{user_id} joined"),
        ChatEvent::ParticipantLeft { user_id, .. } => format!("{user_id} left"),
        ChatEvent::HandLowered { agent_id, .. } => format!("{agent_id}'s hand was lowered"),
        ChatEvent::ChatOffered {
            agent_id,
            expires_at,
            ..
        } => format!("offered to {agent_id} until {expires_at}"),
        ChatEvent::OfferDeclined { agent_id, .. } => format!("declined by {agent_id}"),
        ChatEvent::ChatRequeued {
            queue_id,
            from_agent,
            ..
        } => format!("left by {from_agent}, back in queue {queue_id}"),
        ChatEvent::OfferWithdrawn { agent_id, .. } => {
            format!("the offer to {agent_id} was withdrawn")
        }
        ChatEvent::OfferExpired { agent_id, .. } => {
            format!("the offer to {agent_id} ran out unanswered")
        }
        ChatEvent::AttachmentSent {
            number,
            author,
            name,
            kind,
            size,
            ..
        } => {
            let name = name.known().map_or(ERASED, |name| name.as_str());
            format!(
                "[{number}] {} sent a file: {} ({kind}, {size} bytes)",
                who(author),
                name.escape_debug()
            )
        }
        ChatEvent::MessageSent {
            number,
            author,
            text,
            ..
        } => {
            let who = who(author);
            // Escape control characters: a message must not be able to drive the terminal.
            let text = text.known().map_or(ERASED, |text| text.as_str());
            format!("[{number}] {who}: {}", text.escape_debug())
        }
        ChatEvent::MessagesRead {
            agent_id, up_to, ..
        } => format!("{agent_id} read up to message {up_to}"),
        ChatEvent::NoteAdded { text, by, .. } => {
            let text = text.known().map_or(ERASED, |text| text.as_str());
            let by = by.user_id().map(|id| id.to_string()).unwrap_or_default();
            format!("note by {by}: {}", text.escape_debug())
        }
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
        ChatEvent::ChatWrappedUp { codes, note, .. } => {
            let codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            let note = match note {
                Some(note) => note.known().map_or(ERASED, |note| note.as_str()),
                None => "",
            };
            format!(
                "wrapped up as [{}] {}",
                codes.join(", "),
                note.escape_debug()
            )
        }
        ChatEvent::ChatRated { score, comment, .. } => {
            let comment = match comment {
                Some(comment) => comment.known().map_or(ERASED, |comment| comment.as_str()),
                None => "",
            };
            format!(
                "the customer rated it {}/5 {}",
                score.get(),
                comment.escape_debug()
            )
        }
        ChatEvent::TranscriptRequested { to, .. } => format!(
            "the customer asked for a copy by e-mail to {}",
            to.known().map_or(ERASED, String::as_str).escape_debug()
        ),
        ChatEvent::TranscriptSent { .. } => "the copy was sent by e-mail".into(),
        ChatEvent::TranscriptUndeliverable { .. } => {
            "the copy's address takes no mail: not sent".into()
        }
        ChatEvent::WrapUpStarted {
            agent_id, until, ..
        } => format!("{agent_id} wraps up until {until}"),
        ChatEvent::WrapUpExtended {
            agent_id, until, ..
        } => format!("{agent_id} wraps up for longer, until {until}"),
        ChatEvent::WrapUpFinished { agent_id, .. } => format!("{agent_id} finished wrapping up"),
        ChatEvent::LegalHoldPlaced { by, .. } => {
            format!(
                "legal hold placed by {}",
                serde_json::to_string(by).unwrap_or_default()
            )
        }
        ChatEvent::LegalHoldLifted { by, .. } => {
            format!(
                "legal hold lifted by {}",
                serde_json::to_string(by).unwrap_or_default()
            )
        }
        ChatEvent::ChatErased { reason, by, .. } => format!(
            "personal data erased ({reason:?}) by {}",
            serde_json::to_string(by).unwrap_or_default()
        ),
    }
}
