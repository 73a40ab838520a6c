//! The customer side, used by the web widget: the pre-chat form, starting a chat, talking,
//! closing the client. A chat's `customer_token` opens that chat and nothing else.

use super::chats::{message_key, NewMessage};
use super::events;
use super::views::{chat_row, chat_view, sent_message, ChatView};
use crate::app::{command_context, AppState};
use crate::auth::{new_token, token_hash, Customer};
use crate::error::{text_error, ApiError};
use crate::extract::{parse_id, ApiJson, RequestMeta};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use samtale_domain::form::FormField;
use samtale_domain::text::Name;
use samtale_domain::{Actor, CategoryId, ChatCommand, ChatId, MessageId, QueueId};
use samtale_projections::read::{self, CategoryRow, MessageRow, QueueRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Serialize)]
pub struct WidgetConfig {
    queues: Vec<QueueRow>,
    categories: Vec<CategoryRow>,
    fields: Vec<FormField>,
}

pub async fn widget_config(State(state): State<AppState>) -> Result<Json<WidgetConfig>, ApiError> {
    let db = state.db.any();
    Ok(Json(WidgetConfig {
        queues: read::queues(db).await?,
        categories: read::categories(db).await?,
        fields: read::form_fields(db).await?,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartChat {
    category_id: Option<String>,
    queue_id: Option<String>,
    name: String,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct ChatStarted {
    chat_id: String,
    customer_token: String,
}

/// A namespace for chat ids derived from an `Idempotency-Key`, so a retried start finds the
/// chat its first attempt created instead of queueing the customer twice.
const CHAT_NAMESPACE: Uuid = Uuid::from_u128(0x8f0e_55b1_2d7a_4e0c_b3f4_61a9_0c2d_7e58);

pub async fn start(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(start): ApiJson<StartChat>,
) -> Result<(StatusCode, Json<ChatStarted>), ApiError> {
    let customer_name = Name::parse(start.name).map_err(|e| text_error("name", e))?;
    let (queue_id, category_id): (QueueId, Option<CategoryId>) =
        match (start.category_id, start.queue_id) {
            (Some(category), None) => {
                let found = read::category(state.db.any(), &category)
                    .await?
                    .ok_or_else(|| ApiError::invalid_field("category_id", "no such category"))?;
                (
                    parse_id("queue_id", &found.queue_id)?,
                    Some(parse_id("category_id", &category)?),
                )
            }
            (None, Some(queue)) => {
                read::queue(state.db.any(), &queue)
                    .await?
                    .ok_or_else(|| ApiError::invalid_field("queue_id", "no such queue"))?;
                (parse_id("queue_id", &queue)?, None)
            }
            _ => {
                return Err(ApiError::invalid_field(
                    "category_id",
                    "give exactly one of category_id and queue_id",
                ))
            }
        };
    let chat_id = match &meta.idempotency_key {
        Some(key) => ChatId(Uuid::new_v5(&CHAT_NAMESPACE, key.as_bytes())),
        None => ChatId(Uuid::now_v7()),
    };
    let command = ChatCommand::Request {
        queue_id,
        category_id,
        customer_name,
        form: read::form_fields(state.db.any()).await?,
        answers: start.fields,
        at: meta.at,
    };
    let context = command_context(&Actor::Customer, &meta, None);
    state
        .execute(&state.chats, &chat_id.to_string(), command, &context)
        .await?;
    let customer_token = new_token();
    sqlx::query("INSERT INTO customer_tokens (token_hash, chat_id) VALUES ($1, $2)")
        .bind(token_hash(&customer_token))
        .bind(chat_id.to_string())
        .execute(state.db.any())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ChatStarted {
            chat_id: chat_id.to_string(),
            customer_token,
        }),
    ))
}

/// The token's chat, if it is the one in the path. Another chat's id is a 404: a customer
/// cannot even learn whether it exists.
fn own_chat(customer: &Customer, id: &str) -> Result<String, ApiError> {
    let chat_id: ChatId = parse_id("chat id", id)?;
    if chat_id != customer.chat_id {
        return Err(ApiError::NotFound("no such chat".into()));
    }
    Ok(chat_id.to_string())
}

pub async fn status(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<String>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, &id)?;
    let chat = chat_row(state.db.any(), &chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?))
}

pub async fn send(
    State(state): State<AppState>,
    customer: Customer,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    let chat_id = own_chat(&customer, &id)?;
    let (text, client_message_id) = body.parse()?;
    let message_id = MessageId(Uuid::now_v7());
    let command = ChatCommand::SendMessage {
        message_id,
        text,
        client_message_id: client_message_id.clone(),
        by: Actor::Customer,
        at: meta.at,
    };
    let context = command_context(
        &Actor::Customer,
        &meta,
        message_key(&chat_id, &client_message_id),
    );
    state
        .execute(&state.chats, &chat_id, command, &context)
        .await?;
    let message = sent_message(
        state.db.any(),
        &chat_id,
        client_message_id.as_deref(),
        &message_id.to_string(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// The customer closed the chat client: the chat ends (or is abandoned if still waiting).
pub async fn close(
    State(state): State<AppState>,
    customer: Customer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, &id)?;
    let command = ChatCommand::CloseClient { at: meta.at };
    let context = command_context(&Actor::Customer, &meta, None);
    state
        .execute(&state.chats, &chat_id, command, &context)
        .await?;
    let chat = chat_row(state.db.any(), &chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?))
}

pub async fn stream(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<impl IntoResponse, ApiError> {
    let chat_id = own_chat(&customer, &id)?;
    events::customer_stream(state, chat_id, &headers, &uri).await
}
