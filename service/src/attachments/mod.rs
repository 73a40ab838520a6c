//! Files sent in chats: received as a stream (never whole in memory), told apart by their
//! bytes, scanned if the operator names a scanner, sealed chunk by chunk with the chat's key
//! beside the log, announced by the chat once stored, served back only to those who may see
//! the chat, and deleted with the chat's erasure.
//!
//! An upload is stored before it is announced, and announced only once it is accepted (its
//! row in `attachments`), so a process killed at any moment leaves either a stored, announced
//! file or an unannounced upload that pruning deletes — never an announcement without bytes.

mod scan;
pub mod sniff;
mod store;
mod thumbnail;

pub use scan::{Scanner, Verdict};
pub use store::{prune, Part, Stored};
pub use thumbnail::EDGE as THUMBNAIL_EDGE;

use crate::origin::{command_context, Origin};
use crate::Node;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use samtale_domain::text::TextError;
use samtale_domain::{
    Actor, AttachmentId, Chat, ChatCommand, ChatError, ChatEvent, ChatId, FileFacts, FileKind,
    FileName,
};
use samtale_eventlog::{CommandError, Executed};
use sha2::{Digest, Sha256};
use sniff::{sniff, TextCheck, HEAD};
use std::collections::BTreeSet;
use store::Upload;
use thiserror::Error;

/// What uploads may be.
#[derive(Debug, Clone)]
pub struct AttachmentPolicy {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The kinds taken; anything else is refused.
    pub allowed: BTreeSet<FileKind>,
    pub scanner: Option<Scanner>,
}

impl AttachmentPolicy {
    /// 10 MiB.
    pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
}

impl Default for AttachmentPolicy {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            allowed: FileKind::ALL.into_iter().collect(),
            scanner: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum AttachmentError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("{}", match .0 { Some(kind) => format!("files of type {kind} are not accepted here"), None => "the file is not of a type accepted here: PNG, JPEG, GIF or WebP images, PDF or plain text".to_string() })]
    UnsupportedType(Option<FileKind>),
    #[error("the file's name {0}")]
    BadName(TextError),
    #[error("the scanner refused the file")]
    Refused,
    #[error("the file could not be scanned: {0}")]
    ScanFailed(String),
    #[error("the upload did not arrive whole: {0}")]
    Incomplete(String),
    #[error(transparent)]
    Command(#[from] CommandError<ChatError>),
}

impl From<sqlx::Error> for AttachmentError {
    fn from(error: sqlx::Error) -> Self {
        AttachmentError::Command(CommandError::Unavailable(error.to_string()))
    }
}

/// Stores the file `body` (its sender's name for it: `name`) for the chat, as `by`; the
/// caller then [`Received::announce`]s it, or [`Received::discard`]s it (the request turned out
/// malformed after the file). Refused files leave nothing stored.
pub async fn receive<'a, S, E>(
    node: &'a Node,
    policy: &AttachmentPolicy,
    chat_id: ChatId,
    name: &str,
    body: S,
    by: Actor,
    origin: &Origin,
) -> Result<Received<'a>, AttachmentError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let name = FileName::parse(name).map_err(AttachmentError::BadName)?;
    let mut upload = Upload::begin(node, &chat_id.to_string(), origin.at).await?;
    match take(&mut upload, policy, body).await {
        Ok(taken) => Ok(Received {
            node,
            upload,
            chat_id,
            name,
            taken,
            by,
        }),
        Err(error) => {
            upload.discard().await;
            Err(error)
        }
    }
}

/// A file stored for a chat, not yet announced.
pub struct Received<'a> {
    node: &'a Node,
    upload: Upload<'a>,
    chat_id: ChatId,
    name: FileName,
    taken: Taken,
    by: Actor,
}

impl Received<'_> {
    pub async fn discard(self) {
        self.upload.discard().await;
    }

    /// Announces the file in the chat as its next line; with the request's `Idempotency-Key`,
    /// a retry announces nothing twice and answers with the first attempt's line.
    pub async fn announce(self, origin: &Origin) -> Result<Executed<ChatEvent>, AttachmentError> {
        let Received {
            node,
            upload,
            chat_id,
            name,
            taken,
            by,
        } = self;
        let chat = chat_id.to_string();
        let context = command_context(&by, origin, "send_attachment");
        let attachment_id =
            AttachmentId(context.command_id(<Chat as cqrs_es::Aggregate>::TYPE, &chat));
        let file_id = attachment_id.to_string();
        let earlier = match upload.accept(&file_id, &chat, origin.at).await {
            Ok(earlier) => earlier,
            Err(error) => {
                upload.discard().await;
                return Err(error.into());
            }
        };
        let command = ChatCommand::SendAttachment {
            attachment_id,
            file: FileFacts {
                name,
                kind: taken.kind,
                size: taken.size,
                sha256: taken.sha256.clone(),
            },
            client_id: origin.idempotency_key.clone(),
            by,
            at: origin.at,
        };
        match node.execute(&node.chats, &chat, command, &context).await {
            Ok(executed) => {
                // A retry's command answers with the first attempt's line: the bytes kept are
                // those whose size and hash it announced.
                let announced_ours = executed.events.iter().any(|event| {
                    matches!(event, ChatEvent::AttachmentSent { size, sha256, .. }
                        if *size == taken.size && *sha256 == taken.sha256)
                });
                if announced_ours {
                    upload.keep(earlier).await;
                } else {
                    upload.give_back(&file_id, earlier).await;
                }
                Ok(executed)
            }
            Err(error) => {
                upload.give_back(&file_id, earlier).await;
                Err(error.into())
            }
        }
    }
}

/// What [`take`] learnt of the bytes it stored.
struct Taken {
    kind: FileKind,
    size: u64,
    sha256: String,
}

/// Reads `body` into `upload`, deciding its kind from its first bytes, counting and hashing
/// it, feeding the scanner; refuses it at the first byte over the limit.
async fn take<S, E>(
    upload: &mut Upload<'_>,
    policy: &AttachmentPolicy,
    mut body: S,
) -> Result<Taken, AttachmentError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut scan = match &policy.scanner {
        Some(scanner) => Some(
            scanner
                .start()
                .map_err(|e| AttachmentError::ScanFailed(e.to_string()))?,
        ),
        None => None,
    };
    let mut head = Vec::with_capacity(HEAD);
    let mut kind = None;
    let mut text = TextCheck::default();
    let mut text_so_far = true;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    // An image is kept whole (it is at most the size limit) to draw its thumbnail from.
    let mut picture = Vec::new();
    loop {
        let piece = match body.next().await {
            Some(Ok(piece)) => Some(piece),
            Some(Err(error)) => return Err(AttachmentError::Incomplete(error.to_string())),
            None => None,
        };
        if let Some(piece) = &piece {
            size += piece.len() as u64;
            if size > policy.max_bytes {
                return Err(AttachmentError::TooLarge {
                    max: policy.max_bytes,
                });
            }
            if kind.is_none() && head.len() < HEAD {
                let wanted = (HEAD - head.len()).min(piece.len());
                head.extend_from_slice(&piece[..wanted]);
            }
            if text_so_far && kind.is_none_or(|kind| kind == FileKind::Text) {
                text_so_far = text.feed(piece);
            }
        }
        // Decided once the head is complete, or at the end of a shorter file.
        if kind.is_none() && (head.len() >= HEAD || piece.is_none()) {
            if head.is_empty() {
                return Err(AttachmentError::Empty);
            }
            let sniffed = sniff(&head).ok_or(AttachmentError::UnsupportedType(None))?;
            if !policy.allowed.contains(&sniffed) {
                return Err(AttachmentError::UnsupportedType(Some(sniffed)));
            }
            kind = Some(sniffed);
        }
        if kind == Some(FileKind::Text) && !text_so_far {
            return Err(AttachmentError::UnsupportedType(None));
        }
        let Some(piece) = piece else { break };
        hash.update(&piece);
        if kind.is_none_or(FileKind::is_raster_image) {
            picture.extend_from_slice(&piece);
        }
        if let Some(scan) = scan.as_mut() {
            scan.feed(&piece)
                .await
                .map_err(|e| AttachmentError::ScanFailed(e.to_string()))?;
        }
        upload.write(&piece).await?;
    }
    let kind = kind.ok_or(AttachmentError::Empty)?;
    if kind == FileKind::Text && !text.finish() {
        return Err(AttachmentError::UnsupportedType(None));
    }
    upload.finish().await?;
    if let Some(scan) = scan {
        match scan
            .verdict()
            .await
            .map_err(|e| AttachmentError::ScanFailed(e.to_string()))?
        {
            Verdict::Clean => {}
            Verdict::Refused { status, reason } => {
                tracing::info!(%status, %reason, "the scanner refused an upload");
                return Err(AttachmentError::Refused);
            }
        }
    }
    if kind.is_raster_image() {
        let drawn = tokio::task::spawn_blocking(move || thumbnail::draw(&picture, kind))
            .await
            .ok()
            .flatten();
        if let Some(png) = drawn {
            upload.write_thumbnail(&png).await?;
        }
    }
    Ok(Taken {
        kind,
        size,
        sha256: hex::encode(hash.finalize()),
    })
}

/// A chat's stored file, or its thumbnail, to be served: `None` unless the chat announced it
/// (and is not erased), or for an image that drew no thumbnail.
pub async fn open(
    node: &Node,
    chat_id: ChatId,
    attachment_id: AttachmentId,
    part: Part,
) -> Result<Option<Stored>, sqlx::Error> {
    store::open(node, &chat_id.to_string(), &attachment_id.to_string(), part).await
}

/// Deletes a chat's files, as its erasure does (its key is gone already: this frees the room).
pub async fn erase_chat(node: &Node, chat_id: ChatId) -> Result<u64, sqlx::Error> {
    store::erase_chat(node, &chat_id.to_string()).await
}
