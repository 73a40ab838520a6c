//! Personal data: erasing a chat (an administrator, or its customer), erasure requests by the
//! e-mail address or phone number a person gave, and legal holds.

use super::chats::{run, visible_chat};
use super::customer::own_chat;
use crate::auth::{Customer, Staff};
use crate::error::{refusals, ApiError, ChatNotVisible, Problem};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::chat::ErasureReason;
use samtale_domain::{Actor, ChatCommand, ChatId};
use samtale_service::erasure::{self, ErasedChat, ErasureReport, Person};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    Type,
};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// Erases an ended chat's personal data for good: the customer's name, the form's answers and
/// the text of every message. Its facts (times, queue, agents, counts) stay for the reports.
/// Administrators only. Erasing an erased chat again answers as the first time did.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/erase",
    tag = "privacy",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, erased", body = ErasedChat),
        (status = 403, response = Problem),
        (status = 404, response = ChatNotVisible),
        (
            status = 409,
            description = "Still going on (`chat-not-ended`) or under legal hold (`legal-hold`)",
            body = Problem, content_type = crate::error::PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn erase_chat(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ErasedChat>, ApiError> {
    visible_chat(&state, &staff, chat_id).await?;
    staff.require_administrator()?;
    let erased = erasure::erase(
        &state,
        chat_id,
        ErasureReason::Request,
        staff.actor(),
        &meta,
    )
    .await?;
    Ok(Json(erased))
}

/// Whose chats to erase: exactly one of the three.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    email: Option<String>,
    phone: Option<String>,
    chat_id: Option<String>,
}

/// Declared by hand: "exactly one of" is a `oneOf` of three objects, each with its one field
/// and the other two absent or `null`, which the derive cannot say.
impl utoipa::PartialSchema for ErasureRequest {
    fn schema() -> RefOr<Schema> {
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .build();
        let variants: [(&str, &str, Object); 3] = [
            (
                "email",
                "An e-mail address the person gave in a pre-chat form (any case).",
                constraints::email(),
            ),
            (
                "phone",
                "A phone number the person gave (matched by its last eight digits, so \
                 `+47 912 34 567` and `91234567` are the same).",
                constraints::phone(),
            ),
            ("chat_id", "One chat.", uuid),
        ];
        let mut one_of = OneOfBuilder::new();
        for (field, description, schema) in &variants {
            let mut variant = ObjectBuilder::new()
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .required(*field);
            for (other, _, _) in &variants {
                variant = if other == field {
                    variant.property(
                        *other,
                        ObjectBuilder::from(schema.clone()).description(Some(*description)),
                    )
                } else {
                    variant.property(*other, ObjectBuilder::new().schema_type(Type::Null))
                };
            }
            one_of = one_of.item(variant);
        }
        Schema::OneOf(one_of.build()).into()
    }
}

impl ToSchema for ErasureRequest {}

/// An erasure request (GDPR art. 17): erases every ended chat of the person, and names the
/// matching chats it left (still going on, under legal hold). Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/erasure-requests",
    tag = "privacy",
    request_body = ErasureRequest,
    responses(
        (status = 200, description = "What was erased and what was left", body = ErasureReport),
        (status = 403, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn erasure_request(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(request): ApiJson<ErasureRequest>,
) -> Result<Json<ErasureReport>, ApiError> {
    staff.require_administrator()?;
    let invalid = |field: &str, problem: String| ApiError::invalid_field(field, problem);
    let person = match (request.email, request.phone, request.chat_id) {
        (Some(email), None, None) => {
            Person::email(&email).map_err(|e| invalid("email", e.to_string()))?
        }
        (None, Some(phone), None) => {
            Person::phone(&phone).map_err(|e| invalid("phone", e.to_string()))?
        }
        (None, None, Some(chat_id)) => Person::Chat(parse_id("chat_id", &chat_id)?),
        _ => {
            return Err(invalid(
                "email",
                "give exactly one of email, phone and chat_id".into(),
            ))
        }
    };
    Ok(Json(
        erasure::erase_person(&state, &person, staff.actor(), &meta).await?,
    ))
}

/// The customer deletes their own ended conversation from the widget. Their token opens
/// nothing afterwards.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/erase",
    tag = "customer",
    operation_id = "customer_erase",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 204, description = "Erased"),
        refusals::OtherChat,
        (
            status = 409,
            description = "Still going on (`chat-not-ended`) or kept by the centre (`legal-hold`)",
            body = Problem, content_type = crate::error::PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn customer_erase(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<StatusCode, ApiError> {
    own_chat(&customer, chat_id)?;
    erasure::erase(
        &state,
        chat_id,
        ErasureReason::Customer,
        Actor::Customer,
        &meta,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct LegalHold {
    legal_hold: bool,
}

/// Keeps an ended chat out of retention and erasure (a dispute, an investigation) until the
/// hold is lifted. Supervisors and administrators.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/legal-hold",
    tag = "privacy",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "Held", body = LegalHold),
        refusals::HoldChange,
    ),
    security(("bearer" = []))
)]
pub async fn place_hold(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<LegalHold>, ApiError> {
    let command = ChatCommand::PlaceLegalHold {
        by: staff.actor(),
        at: meta.at,
    };
    hold(&state, &staff, &meta, chat_id, "place_legal_hold", command).await?;
    Ok(Json(LegalHold { legal_hold: true }))
}

/// Lifts a legal hold: the chat's retention applies again.
#[utoipa::path(
    delete,
    path = "/api/v1/chats/{id}/legal-hold",
    tag = "privacy",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "No longer held", body = LegalHold),
        refusals::HoldChange,
    ),
    security(("bearer" = []))
)]
pub async fn lift_hold(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<LegalHold>, ApiError> {
    let command = ChatCommand::LiftLegalHold {
        by: staff.actor(),
        at: meta.at,
    };
    hold(&state, &staff, &meta, chat_id, "lift_legal_hold", command).await?;
    Ok(Json(LegalHold { legal_hold: false }))
}

async fn hold(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    chat_id: ChatId,
    operation: &'static str,
    command: ChatCommand,
) -> Result<(), ApiError> {
    let chat = visible_chat(state, staff, chat_id).await?;
    run(state, staff, meta, &chat.chat_id, operation, command).await
}
