//! The customer side, used by the web widget: the pre-chat form, starting a chat, talking,
//! closing the client. A chat's `customer_token` opens that chat and nothing else.

use super::events;
use super::messages::{send_as, NewMessage};
use super::views::{chat_row, chat_view, destination, ChatView};
use crate::auth::Customer;
use crate::client_addr::ClientAddr;
use crate::error::{
    refusals, text_error, AlreadyClosed, ApiError, NotThisTokensChat, Problem, PROBLEM_JSON,
};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use samtale_domain::chat::KnownCustomer;

use samtale_domain::form::normalised_email;
use samtale_domain::form::FormField;
use samtale_domain::text::Name;
use samtale_domain::{Actor, ChatCommand, ChatId};
use samtale_projections::read::{self, CategoryRow, MessageRow, QueueRow};
use samtale_service::credentials::{derived_token, new_token, token_hash};
use samtale_service::identity;
use samtale_service::origin::command_context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the widget needs for the pre-chat form.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WidgetConfig {
    queues: Vec<WidgetQueue>,
    categories: Vec<CategoryRow>,
    fields: Vec<FormField>,
    /// Customers may ask for a copy of their conversation by e-mail.
    transcripts_by_email: bool,
}

/// A queue as the widget shows it: whether it takes chats now, and if not, when it opens.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WidgetQueue {
    #[schema(format = Uuid)]
    queue_id: String,
    name: String,
    /// What an English widget calls it; `null`: `name`.
    name_en: Option<String>,
    open: bool,
    /// When a closed queue opens next (within a month); `null` while open, or closed longer.
    opens_at: Option<String>,
    /// Agents see what the customer types before sending it: the widget must say so.
    sneak_peek: bool,
    /// At least one agent is logged in to the queue now: when none is, the widget says so
    /// before the customer starts a chat.
    agents_logged_in: bool,
}

impl WidgetQueue {
    fn of(queue: QueueRow, now: chrono::DateTime<chrono::Utc>, staffed: &[String]) -> Self {
        let hours = queue.hours();
        Self {
            agents_logged_in: staffed.contains(&queue.queue_id),
            queue_id: queue.queue_id,
            name: queue.name,
            name_en: queue.name_en,
            open: hours.as_ref().is_none_or(|hours| hours.is_open(now)),
            opens_at: hours
                .and_then(|hours| hours.next_opening(now))
                .map(samtale_projections::timestamp),
            sneak_peek: queue.sneak_peek != 0,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/widget/config",
    tag = "customer",
    operation_id = "customer_widget_config",
    responses(
        (
            status = 200,
            description = "Queues (open now or not), categories and the pre-chat form",
            body = WidgetConfig
        ),
    )
)]
pub async fn widget_config(State(state): State<AppState>) -> Result<Json<WidgetConfig>, ApiError> {
    let db = state.db.any();
    let now = chrono::Utc::now();
    let staffed = read::staffed_queues(db).await?;
    Ok(Json(WidgetConfig {
        queues: read::queues(db)
            .await?
            .into_iter()
            .map(|queue| WidgetQueue::of(queue, now, &staffed))
            .collect(),
        categories: read::categories(db).await?,
        fields: read::form_fields(db).await?,
        transcripts_by_email: state.transcripts_by_email,
    }))
}

/// Exactly one of `category_id` and `queue_id`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartChat {
    #[schema(format = Uuid)]
    category_id: Option<String>,
    #[schema(format = Uuid)]
    queue_id: Option<String>,
    #[schema(schema_with = constraints::name)]
    name: String,
    /// The answers to the pre-chat form, by field key.
    #[serde(default)]
    fields: BTreeMap<String, String>,
    /// Who the customer is on the company's site, signed by it, for a returning customer.
    identity: Option<SignedIdentity>,
}

/// A logged-in customer as the company's site vouches for them: `signature` is the hex
/// HMAC-SHA256, under the installation's identity secret, of `user_id` — or, with `email`, of
/// `user_id`, a line feed and `email` — computed by the site's server (never in the browser).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedIdentity {
    /// The customer's id on the site: 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    user_id: String,
    /// The e-mail address the site has for them, signed with the id.
    #[schema(schema_with = constraints::optional_email)]
    email: Option<String>,
    signature: String,
}

impl SignedIdentity {
    /// The customer the site vouches for, or 422 (field `identity`): never trusted unsigned,
    /// badly signed, or where no secret is configured.
    fn verify(self, secret: Option<&str>) -> Result<KnownCustomer, ApiError> {
        let refuse = |why: &str| ApiError::invalid_field("identity", why);
        let Some(secret) = secret else {
            return Err(refuse("this installation does not take signed identities"));
        };
        let user_id = self.user_id.trim();
        let well_formed = !user_id.is_empty()
            && user_id.chars().count() <= 200
            && !user_id.chars().any(char::is_control);
        if !well_formed {
            return Err(refuse("user_id must be 1-200 characters"));
        }
        // The id can hold no line feed (no control character), so what was signed is plain.
        let mut email = self.email.filter(|email| !email.trim().is_empty());
        let signed_with_email = email.as_ref().is_some_and(|email| {
            identity::vouched_for(secret, &format!("{user_id}\n{email}"), &self.signature)
        });
        if !signed_with_email {
            if !identity::vouched_for(secret, user_id, &self.signature) {
                return Err(refuse("the signature does not match"));
            }
            // A site that signs only the id (as before addresses were signed) still vouches
            // for the customer, but not for an address it sends beside: that is dropped.
            if email.take().is_some() {
                tracing::warn!("a signed identity came with an unsigned e-mail address; ignored");
            }
        }
        let email = match email {
            Some(email) => Some(
                normalised_email(&email).ok_or_else(|| refuse("email is not an e-mail address"))?,
            ),
            None => None,
        };
        Ok(KnownCustomer {
            user_id: user_id.to_string(),
            email,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatStarted {
    #[schema(format = Uuid)]
    chat_id: String,
    /// The bearer token that opens this chat, and nothing else.
    customer_token: String,
}

/// A namespace for chat ids derived from an `Idempotency-Key`, so a retried start finds the
/// chat its first attempt created instead of queueing the customer twice.
const CHAT_NAMESPACE: Uuid = Uuid::from_u128(0x8f0e_55b1_2d7a_4e0c_b3f4_61a9_0c2d_7e58);

/// The chat a start creates, and the token that opens it. With a key both follow from it, so a
/// retry — even one whose first attempt died before answering — gets the same chat and token.
pub(super) fn new_chat(key: Option<&str>) -> Result<(ChatId, String), ApiError> {
    match key {
        // A customer is anonymous: the key is all that ties a retry to its first attempt, and the
        // retry is answered with the chat's token, so the key must be as hard to guess as one.
        Some(key) if !is_random_uuid(key) => Err(ApiError::BadRequest(
            "an Idempotency-Key for starting a chat must be a random UUID (version 4)".into(),
        )),
        Some(key) => Ok((
            ChatId(Uuid::new_v5(&CHAT_NAMESPACE, key.as_bytes())),
            derived_token(key),
        )),
        None => Ok((ChatId(Uuid::now_v7()), new_token())),
    }
}

/// Invalid answers get a 422 naming each bad field, and no chat is created.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats",
    tag = "customer",
    operation_id = "customer_start",
    params((
        "Idempotency-Key" = Option<String>, Header,
        description = "A random UUID (version 4): a retry with the same key answers the chat and \
                       token the first attempt started"
    )),
    request_body = StartChat,
    responses(
        (status = 201, description = "The chat, waiting in its queue", body = ChatStarted),
        refusals::Invalid,
        (
            status = 409,
            description = "The queue is closed now (`queue-closed`; `detail` says when it opens)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 429, description = "Too many chats started from this address",
            body = Problem, content_type = PROBLEM_JSON
        ),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    client: ClientAddr,
    meta: Origin,
    ApiJson(start): ApiJson<StartChat>,
) -> Result<(StatusCode, Json<ChatStarted>), ApiError> {
    state.limits.check(Limit::ChatStart, &client.to_string())?;
    let customer_name = Name::parse(start.name).map_err(|e| text_error("name", e))?;
    let known_customer = start
        .identity
        .map(|identity| identity.verify(state.identity_secret.as_deref()))
        .transpose()?;
    let (queue_id, category_id) =
        destination(state.db.any(), start.queue_id, start.category_id).await?;
    let (chat_id, customer_token) = new_chat(meta.idempotency_key.as_deref())?;
    let command = ChatCommand::Request {
        queue_id,
        category_id,
        customer_name,
        form: read::form_fields(state.db.any()).await?,
        answers: start.fields,
        known_customer,
        hours: state
            .directory
            .current(samtale_domain::directory::DIRECTORY_ID)
            .await?
            .opening_hours(queue_id),
        at: meta.at,
    };
    let context = command_context(&Actor::Customer, &meta, "request_chat");
    state
        .execute(&state.chats, &chat_id.to_string(), command, &context)
        .await?;
    started(&state, chat_id, customer_token).await
}

/// The chat just started, opened to the token that started it. A retry finds the token its
/// first attempt stored (or stores it, if that attempt died).
pub(super) async fn started(
    state: &AppState,
    chat_id: ChatId,
    customer_token: String,
) -> Result<(StatusCode, Json<ChatStarted>), ApiError> {
    sqlx::query(
        "INSERT INTO customer_tokens (token_hash, chat_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
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

fn is_random_uuid(key: &str) -> bool {
    Uuid::parse_str(key).is_ok_and(|id| id.get_version() == Some(uuid::Version::Random))
}

/// The token's chat, if it is the one in the path. Another chat's id is a 404: a customer
/// cannot even learn whether it exists.
pub(super) fn own_chat(customer: &Customer, chat_id: ChatId) -> Result<String, ApiError> {
    if chat_id != customer.chat_id {
        return Err(ApiError::NotFound("no such chat".into()));
    }
    Ok(chat_id.to_string())
}

/// Status, transcript, and the place in the queue while waiting.
#[utoipa::path(
    get,
    path = "/api/v1/customer/chats/{id}",
    tag = "customer",
    operation_id = "customer_chat",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::OtherChat,
    ),
    security(("bearer" = []))
)]
pub async fn status(
    State(state): State<AppState>,
    customer: Customer,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    let chat = chat_row(state.db.any(), &chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?.for_customer()))
}

/// A retried `client_message_id` returns the first message, never a duplicate.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/messages",
    tag = "customer",
    operation_id = "customer_send",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "The message", body = MessageRow),
        (status = 404, response = NotThisTokensChat),
        (
            status = 409, description = "The chat is closed",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
        (
            status = 429, description = "Too many messages in this chat",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    let chat_id = own_chat(&customer, id)?;
    state.limits.check(Limit::CustomerMessage, &chat_id)?;
    let message = send_as(&state, Actor::Customer, &meta, &chat_id, &body).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// The customer closed the chat client: the chat ends (or is abandoned if still waiting).
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/close",
    tag = "customer",
    operation_id = "customer_close",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, closed", body = ChatView),
        (status = 404, response = NotThisTokensChat),
        (status = 409, response = AlreadyClosed),
    ),
    security(("bearer" = []))
)]
pub async fn close(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    // Its agent's wrap-up starts, by the rules of the chat's queue.
    let policies = state
        .directory
        .current(samtale_domain::directory::DIRECTORY_ID)
        .await?
        .wrap_up_policies();
    let command = ChatCommand::CloseClient {
        policies,
        at: meta.at,
    };
    act_as_customer(&state, &meta, &chat_id, "close_client", command).await
}

/// Runs the customer's command on their chat and answers the chat as they may see it.
pub(super) async fn act_as_customer(
    state: &AppState,
    meta: &Origin,
    chat_id: &str,
    operation: &'static str,
    command: ChatCommand,
) -> Result<Json<ChatView>, ApiError> {
    let context = command_context(&Actor::Customer, meta, operation);
    state
        .execute(&state.chats, chat_id, command, &context)
        .await?;
    let chat = chat_row(state.db.any(), chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?.for_customer()))
}

/// The customer's live stream of their chat (`text/event-stream`).
///
/// Events, each with its log position as `id` (send it back as `Last-Event-ID` to resume):
/// - the chat's own events, named by type (`ChatAssigned`, `MessageSent`, `MessagesRead` (how far
///   the agent has read), `CustomerNotified`, `ChatTransferred`, `ChatEnded`, `CustomerClosedClient`,
///   …), data
///   `{"position", "type", "aggregate_id", "chat_id", "event": {…the event's payload}}`;
/// - `typing`, without an id, when the agent types: `{"chat_id", "side": "agent", "name", "typing"}`;
/// - `queue`, without an id, whenever the place in the queue changes:
///   `{"queue_position": 2, "estimated_wait_seconds": 90}` (both `null` once not waiting);
/// - `resync`, data `{}`: the `Last-Event-ID` is unknown; reload the chat.
#[utoipa::path(
    get,
    path = "/api/v1/customer/chats/{id}/events",
    tag = "events",
    operation_id = "customer_events",
    params(
        ("id" = Uuid, Path, description = "The chat"),
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this log position"),
        ("last_event_id" = Option<i64>, Query, minimum = 0, description = "As `Last-Event-ID`, for EventSource"),
        (
            "access_token" = Option<String>, Query,
            description = "The customer token, for EventSource"
        ),
    ),
    responses(
        (
            status = 200, description = "The event stream: each of its events one of these",
            body = super::events::CustomerFrame, content_type = "text/event-stream"
        ),
        (
            status = 400, description = "Not a UUID, or a Last-Event-ID that is not a log position",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::OtherChat,
        refusals::StreamCap,
    ),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    customer: Customer,
    client: ClientAddr,
    ApiPath(id): ApiPath<ChatId>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<impl IntoResponse, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    events::customer_stream(state, chat_id, client, &headers, &uri).await
}
