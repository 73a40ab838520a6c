//! Files in a chat: sent by its customer or by staff who may write in it, as a multipart
//! upload with one part named `file`, streamed into storage; fetched by those who may see the
//! chat, always as a download, sandboxed, and of the type the server decided from the bytes.

use super::chats::visible_chat;
use super::customer::own_chat;
use crate::auth::{Customer, Staff};
use crate::error::{refusals, ApiError, ChatNotVisible, NotThisTokensChat, Problem, PROBLEM_JSON};
use crate::extract::{ApiPath, ApiQuery, Origin};
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samtale_domain::{Actor, AttachmentId, ChatEvent, ChatId};
use samtale_projections::read::MessageRow;
use samtale_service::attachments::{self, Part};
use serde::Deserialize;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::RefOr;
use utoipa::IntoParams;

/// The upload: one part named `file`, its file name the name the chat shows.
pub struct FileUpload;

/// Declared by hand: the body is never parsed into a type, it is streamed.
impl utoipa::PartialSchema for FileUpload {
    fn schema() -> RefOr<Schema> {
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "The file. Its type is decided from its content (PNG, JPEG, GIF, WebP, PDF or \
                 plain text, as the installation allows), never from its name or Content-Type.",
            ));
        ObjectBuilder::new()
            .property("file", file)
            .required("file")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl utoipa::ToSchema for FileUpload {}

/// Sends a file into the chat as its next line. With an `Idempotency-Key`, a retry after a
/// lost answer announces nothing twice and answers with the first attempt's line.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/attachments",
    tag = "agent",
    operation_id = "send_attachment",
    params(
        ("id" = uuid::Uuid, Path, description = "The chat"),
        ("Idempotency-Key" = Option<String>, Header, description = "The client's id for this upload"),
    ),
    request_body(content = inline(FileUpload), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The file's line in the transcript", body = MessageRow),
        refusals::Upload,
        (status = 404, response = ChatNotVisible),
        (status = 409, description = "The chat is closed, not the caller's, or erased", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    // Nothing is read, nor any key made, for a chat the caller may not see.
    visible_chat(&state, &staff, chat_id).await?;
    receive(&state, staff.actor(), &meta, chat_id, multipart).await
}

/// The customer sends a file into their chat, as [`send`] does for staff.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/attachments",
    tag = "customer",
    operation_id = "customer_send_attachment",
    params(
        ("id" = uuid::Uuid, Path, description = "The chat"),
        ("Idempotency-Key" = Option<String>, Header, description = "The client's id for this upload"),
    ),
    request_body(content = inline(FileUpload), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The file's line in the transcript", body = MessageRow),
        refusals::Upload,
        (status = 404, response = NotThisTokensChat),
        (status = 409, description = "The chat is closed or erased", body = Problem, content_type = PROBLEM_JSON),
        (status = 429, description = "Too many messages in this chat", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn customer_send(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(id): ApiPath<ChatId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    let chat_id = own_chat(&customer, id)?;
    state.limits.check(Limit::CustomerMessage, &chat_id)?;
    receive(&state, Actor::Customer, &meta, id, multipart).await
}

async fn receive(
    state: &AppState,
    by: Actor,
    meta: &Origin,
    chat_id: ChatId,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "the upload must be multipart/form-data: {}",
            rejection.body_text()
        ))
    })?;
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!(
            "the upload is not readable multipart: {}",
            error.body_text()
        ))
    };
    // One file per upload, and nothing beside it.
    let file = match multipart.next_field().await.map_err(unreadable)? {
        Some(field) if field.name() == Some("file") => field,
        Some(other) => {
            let name: String = other.name().unwrap_or_default().chars().take(40).collect();
            return Err(ApiError::invalid_field(
                "file",
                format!("only a part named file is read, not {name:?}"),
            ));
        }
        None => {
            return Err(ApiError::invalid_field(
                "file",
                "a part named file is required",
            ))
        }
    };
    let name = file.file_name().unwrap_or("file").to_string();
    let received = attachments::receive(
        &state.node,
        &state.attachments,
        chat_id,
        &name,
        Box::pin(file),
        by,
        meta,
    )
    .await?;
    // Nothing may follow the file: a part after it is refused as one before it would be.
    match multipart.next_field().await {
        Ok(None) => {}
        Ok(Some(_)) | Err(_) => {
            received.discard().await;
            return Err(ApiError::invalid_field(
                "file",
                "an upload is one part named file, and nothing after it",
            ));
        }
    }
    let executed = received.announce(meta).await?;
    let line = executed
        .events
        .iter()
        .filter(|event| matches!(event, ChatEvent::AttachmentSent { .. }))
        .find_map(MessageRow::from_event)
        .ok_or_else(|| ApiError::Internal("a sent file wrote no line".into()))?;
    Ok((StatusCode::CREATED, Json(line)))
}

/// Which of a file to serve.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Variant {
    /// `true`: the thumbnail the server drew of an image — a PNG at most 320 pixels on its
    /// longer side, written anew from the pixels alone (no EXIF, nothing appended), so it is
    /// served inline; 404 for a file that is no image, or whose image did not decode.
    #[serde(default)]
    thumbnail: bool,
}

impl Variant {
    fn part(&self) -> Part {
        if self.thumbnail {
            Part::Thumbnail
        } else {
            Part::File
        }
    }
}

/// A file of the chat, as a download (`Content-Disposition: attachment`), sandboxed, of the
/// type decided when it was sent (or its thumbnail). The same 404 for a file that is not the
/// chat's, not yet announced, or erased.
#[utoipa::path(
    get,
    path = "/api/v1/chats/{id}/attachments/{attachment_id}",
    tag = "agent",
    operation_id = "attachment",
    params(
        ("id" = uuid::Uuid, Path, description = "The chat"),
        ("attachment_id" = uuid::Uuid, Path, description = "The file"),
        Variant,
    ),
    responses(
        (
            status = 200,
            description = "The file's bytes, of the type decided when it was sent (a thumbnail is a PNG)",
            content(
                (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"),
                (Vec<u8> = "image/webp"), (Vec<u8> = "application/pdf"), (Vec<u8> = "text/plain"),
            )
        ),
        (status = 404, response = ChatNotVisible),
    ),
    security(("bearer" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((chat_id, attachment_id)): ApiPath<(ChatId, AttachmentId)>,
    ApiQuery(variant): ApiQuery<Variant>,
) -> Result<Response, ApiError> {
    visible_chat(&state, &staff, chat_id).await?;
    serve(&state, chat_id, attachment_id, variant.part()).await
}

/// A file of the customer's chat, as [`download`] serves it to staff.
#[utoipa::path(
    get,
    path = "/api/v1/customer/chats/{id}/attachments/{attachment_id}",
    tag = "customer",
    operation_id = "customer_attachment",
    params(
        ("id" = uuid::Uuid, Path, description = "The chat"),
        ("attachment_id" = uuid::Uuid, Path, description = "The file"),
        Variant,
    ),
    responses(
        (
            status = 200,
            description = "The file's bytes, of the type decided when it was sent (a thumbnail is a PNG)",
            content(
                (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"),
                (Vec<u8> = "image/webp"), (Vec<u8> = "application/pdf"), (Vec<u8> = "text/plain"),
            )
        ),
        (status = 404, response = NotThisTokensChat),
    ),
    security(("bearer" = []))
)]
pub async fn customer_download(
    State(state): State<AppState>,
    customer: Customer,
    ApiPath((id, attachment_id)): ApiPath<(ChatId, AttachmentId)>,
    ApiQuery(variant): ApiQuery<Variant>,
) -> Result<Response, ApiError> {
    own_chat(&customer, id)?;
    serve(&state, id, attachment_id, variant.part()).await
}

async fn serve(
    state: &AppState,
    chat_id: ChatId,
    attachment_id: AttachmentId,
    part: Part,
) -> Result<Response, ApiError> {
    let stored = attachments::open(&state.node, chat_id, attachment_id, part)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such file in this chat".into()))?;
    let media_type = match stored.kind {
        samtale_domain::FileKind::Text => "text/plain; charset=utf-8",
        kind => kind.media_type(),
    };
    // Only what the server drew itself is shown in place; a file as sent is always a download.
    let disposition = match part {
        Part::File => content_disposition(stored.name.as_deref().unwrap_or("file")),
        Part::Thumbnail => "inline".to_string(),
    };
    let size = stored.size;
    let mut response = Body::from_stream(stored.bytes()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Some(size) = size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Whatever the bytes hold, a browser that opens them runs nothing and guesses no type.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the name as typed for browsers that read
/// RFC 6266's `filename*`, and a plain ASCII stand-in for those that do not.
fn content_disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_download_is_an_attachment_under_its_name_in_either_form() {
        assert_eq!(
            content_disposition("faktura mai.pdf"),
            "attachment; filename=\"faktura mai.pdf\"; filename*=UTF-8''faktura%20mai.pdf"
        );
        assert_eq!(
            content_disposition("blåbær \"x\".txt"),
            "attachment; filename=\"bl_b_r _x_.txt\"; filename*=UTF-8''bl%C3%A5b%C3%A6r%20%22x%22.txt"
        );
    }
}
