//! Internal notes in a chat: staff writing to each other — never the customer's to see. A
//! note that names a colleague (`@username`) reaches their stream wherever they work.

use super::chats::visible_chat;
use crate::auth::Staff;
use crate::error::{refusals, text_error, ApiError};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::chat::{mentioned_usernames, Note};
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::text::MessageText;
use samtale_domain::{ChatCommand, ChatEvent, ChatId, MessageId, UserId};
use samtale_projections::read::{self, NoteRow};
use samtale_service::origin::command_context;
use serde::Deserialize;
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// Not blank; at most 4,000 characters. `@username` names a colleague who may see the chat.
    #[schema(schema_with = constraints::message)]
    text: String,
    /// A supervisor's (or administrator's) whisper to the chat's agent, shown highlighted.
    #[serde(default)]
    whisper: bool,
}

/// Writes an internal note in the chat: its agent, those who work its queue, supervisors and
/// administrators may, until the chat is erased. A retry with the same `Idempotency-Key`
/// answers as the first attempt did.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/notes",
    tag = "agent",
    params(
        ("id" = Uuid, Path, description = "The chat"),
        (
            "Idempotency-Key" = Option<String>, Header,
            description = "A retry with the same key answers as the first attempt did"
        ),
    ),
    request_body = NewNote,
    responses(
        (status = 201, description = "The note", body = NoteRow),
        refusals::UnseenChat,
        (status = 422, response = crate::error::Problem),
    ),
    security(("bearer" = []))
)]
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<NoteRow>), ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let text = MessageText::parse(body.text).map_err(|e| text_error("text", e))?;
    let mentions = colleagues_named(&state, &chat.chat_id, text.as_str()).await?;
    let writer_queues = state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .queues_of(staff.user_id);
    let command = ChatCommand::AddNote {
        note: Note {
            note_id: MessageId(Uuid::now_v7()),
            text,
            mentions,
            whisper: body.whisper,
        },
        writer_queues,
        by: staff.actor(),
        at: meta.at,
    };
    let context = command_context(&staff.actor(), &meta, "add_note");
    let executed = state
        .execute(&state.chats, &chat.chat_id, command, &context)
        .await?;
    // The command's event names the note: this request's, or for a retry the first attempt's.
    let written = executed.events.iter().find_map(|event| match event {
        ChatEvent::NoteAdded { note_id, .. } => Some(note_id.to_string()),
        _ => None,
    });
    let note = read::notes(state.db.any(), &chat.chat_id)
        .await?
        .into_iter()
        .find(|note| Some(&note.note_id) == written.as_ref())
        .ok_or_else(|| ApiError::Internal("a note wrote no note".into()))?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The colleagues the note names who exist; 422 (field `text`) for one who may not see the
/// chat, whom the note would tell nothing they could open.
async fn colleagues_named(
    state: &AppState,
    chat_id: &str,
    text: &str,
) -> Result<BTreeSet<UserId>, ApiError> {
    let db = state.db.any();
    let mut named = BTreeSet::new();
    for username in mentioned_usernames(text) {
        let Some(user) = read::user_by_username(db, &username)
            .await?
            .filter(|user| user.active == 1)
        else {
            continue;
        };
        let oversees = user.role != "agent";
        let sees = read::chat_for_staff(db, chat_id, &user.user_id)
            .await?
            .is_some_and(|c| c.in_queue > 0 || c.took_part > 0);
        if !(oversees || sees) {
            return Err(ApiError::invalid_field(
                "text",
                format!("@{username} does not work this chat's queue and cannot see it"),
            ));
        }
        if let Ok(id) = user.user_id.parse() {
            named.insert(id);
        }
    }
    Ok(named)
}
