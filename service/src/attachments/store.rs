//! Uploads in the database: chunks sealed with the chat's data key, bound to their upload,
//! part and place, so that no chunk opens anywhere but where it was written.

use crate::Node;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use samtale_domain::{Chat, ChatError, FileKind};
use samtale_eventlog::{CommandError, DataKey, VaultError};
use samtale_projections::timestamp;
use sqlx::AnyPool;
use std::sync::Arc;
use uuid::Uuid;

/// The bytes sealed at a time: small enough that an upload costs little memory, large enough
/// that a 10 MiB file is 40 rows.
const CHUNK_BYTES: usize = 256 * 1024;

/// How long an upload may go unaccepted, or an accepted file unannounced, before pruning
/// takes it for abandoned (a client gone, a process killed).
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// What of an upload a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The file as it was sent.
    File,
    /// The small PNG drawn of an image.
    Thumbnail,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::File => "file",
            Part::Thumbnail => "thumbnail",
        }
    }
}

fn chat_type() -> &'static str {
    <Chat as cqrs_es::Aggregate>::TYPE
}

fn associated(upload_id: &str, part: &str, seq: i64) -> Vec<u8> {
    format!("{upload_id}/{part}/{seq}").into_bytes()
}

/// One attempt to upload a file into a chat.
pub(super) struct Upload<'a> {
    pool: &'a AnyPool,
    upload_id: String,
    key: Arc<DataKey>,
    seq: i64,
    pending: Vec<u8>,
}

impl<'a> Upload<'a> {
    pub(super) async fn begin(
        node: &'a Node,
        chat_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Upload<'a>, super::AttachmentError> {
        let key = match node.db.vault().key_for_writing(chat_type(), chat_id).await {
            Ok(key) => key,
            Err(VaultError::Erased(_)) => {
                return Err(CommandError::Rejected(ChatError::Erased).into())
            }
            Err(VaultError::Sql(error)) => return Err(error.into()),
            Err(other) => return Err(CommandError::Internal(other.to_string()).into()),
        };
        let upload_id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO attachment_uploads (upload_id, chat_id, started_at) VALUES ($1, $2, $3)",
        )
        .bind(upload_id.clone())
        .bind(chat_id.to_string())
        .bind(timestamp(at))
        .execute(node.db.any())
        .await?;
        Ok(Upload {
            pool: node.db.any(),
            upload_id,
            key,
            seq: 0,
            pending: Vec::with_capacity(CHUNK_BYTES),
        })
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<(), sqlx::Error> {
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= CHUNK_BYTES {
            let rest = self.pending.split_off(CHUNK_BYTES);
            let chunk = std::mem::replace(&mut self.pending, rest);
            self.seal(Part::File, self.seq, &chunk).await?;
            self.seq += 1;
        }
        Ok(())
    }

    pub(super) async fn finish(&mut self) -> Result<(), sqlx::Error> {
        if !self.pending.is_empty() {
            let chunk = std::mem::take(&mut self.pending);
            self.seal(Part::File, self.seq, &chunk).await?;
            self.seq += 1;
        }
        Ok(())
    }

    /// Stores the thumbnail drawn of the file (small: one chunk).
    pub(super) async fn write_thumbnail(&mut self, png: &[u8]) -> Result<(), sqlx::Error> {
        self.seal(Part::Thumbnail, 0, png).await
    }

    async fn seal(&self, part: Part, seq: i64, chunk: &[u8]) -> Result<(), sqlx::Error> {
        let sealed = self
            .key
            .seal(chunk, &associated(&self.upload_id, part.name(), seq));
        sqlx::query(
            "INSERT INTO attachment_chunks (upload_id, part, seq, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.upload_id.clone())
        .bind(part.name())
        .bind(seq)
        .bind(sealed)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Makes this upload the bytes of `attachment_id`, before the chat announces it; answers
    /// with the upload that held them before (an earlier attempt's), if any.
    pub(super) async fn accept(
        &self,
        attachment_id: &str,
        chat_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<String>, sqlx::Error> {
        let earlier: Option<String> =
            sqlx::query_scalar("SELECT upload_id FROM attachments WHERE attachment_id = $1")
                .bind(attachment_id.to_string())
                .fetch_optional(self.pool)
                .await?;
        sqlx::query(
            "INSERT INTO attachments (attachment_id, chat_id, upload_id, accepted_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (attachment_id) DO UPDATE SET upload_id = excluded.upload_id",
        )
        .bind(attachment_id.to_string())
        .bind(chat_id.to_string())
        .bind(self.upload_id.clone())
        .bind(timestamp(at))
        .execute(self.pool)
        .await?;
        Ok(earlier)
    }

    /// The chat announced these bytes: an earlier attempt's are no longer needed.
    pub(super) async fn keep(self, earlier: Option<String>) {
        if let Some(earlier) = earlier.filter(|earlier| *earlier != self.upload_id) {
            delete_upload(self.pool, &earlier).await;
        }
    }

    /// The chat did not announce these bytes (it refused, or announced an earlier attempt's):
    /// the file is what it was before, and this upload goes.
    pub(super) async fn give_back(self, attachment_id: &str, earlier: Option<String>) {
        let restored = match &earlier {
            Some(earlier) => {
                sqlx::query("UPDATE attachments SET upload_id = $2 WHERE attachment_id = $1")
                    .bind(attachment_id.to_string())
                    .bind(earlier.clone())
                    .execute(self.pool)
                    .await
            }
            None => {
                sqlx::query("DELETE FROM attachments WHERE attachment_id = $1 AND upload_id = $2")
                    .bind(attachment_id.to_string())
                    .bind(self.upload_id.clone())
                    .execute(self.pool)
                    .await
            }
        };
        if let Err(error) = restored {
            tracing::warn!(%error, "cannot put back a file's earlier upload; pruning will");
        }
        self.discard().await;
    }

    /// Deletes what this attempt stored.
    pub(super) async fn discard(self) {
        delete_upload(self.pool, &self.upload_id).await;
    }
}

/// Deletes an upload and its chunks; what fails is left to pruning, which finds it
/// unaccepted.
async fn delete_upload(pool: &AnyPool, upload_id: &str) {
    let deleted = async {
        sqlx::query("DELETE FROM attachment_chunks WHERE upload_id = $1")
            .bind(upload_id.to_string())
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM attachment_uploads WHERE upload_id = $1")
            .bind(upload_id.to_string())
            .execute(pool)
            .await
    };
    if let Err(error) = deleted.await {
        tracing::warn!(%error, upload_id, "cannot delete an upload; pruning will");
    }
}

/// A file the chat announced (or its thumbnail), ready to be read.
pub struct Stored {
    pub kind: FileKind,
    /// Bytes, when known (a thumbnail's are not recorded).
    pub size: Option<u64>,
    /// The name it was sent with; `None` once erased.
    pub name: Option<String>,
    pool: AnyPool,
    upload_id: String,
    part: Part,
    key: Arc<DataKey>,
}

impl Stored {
    /// Its bytes, a chunk at a time.
    pub fn bytes(self) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        futures::stream::try_unfold((self, 0i64), |(stored, seq)| async move {
            let sealed: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT data FROM attachment_chunks WHERE upload_id = $1 AND part = $2 AND seq = $3",
            )
            .bind(stored.upload_id.clone())
            .bind(stored.part.name())
            .bind(seq)
            .fetch_optional(&stored.pool)
            .await
            .map_err(std::io::Error::other)?;
            let Some(sealed) = sealed else {
                return Ok(None);
            };
            let chunk = stored
                .key
                .open(
                    &sealed,
                    &associated(&stored.upload_id, stored.part.name(), seq),
                )
                .ok_or_else(|| std::io::Error::other("a chunk of a file does not open"))?;
            Ok(Some((Bytes::from(chunk), (stored, seq + 1))))
        })
    }
}

/// What the transcript says of a file, beside the upload holding its bytes.
#[derive(sqlx::FromRow)]
struct AnnouncedFile {
    upload_id: String,
    file_type: Option<String>,
    file_size: Option<i64>,
    file_name: Option<String>,
}

pub(super) async fn open(
    node: &Node,
    chat_id: &str,
    attachment_id: &str,
    part: Part,
) -> Result<Option<Stored>, sqlx::Error> {
    // Only a file the chat announced: the transcript's line says what it is.
    let row: Option<AnnouncedFile> = sqlx::query_as(
        "SELECT a.upload_id, m.file_type, m.file_size, m.file_name
           FROM attachments a
           JOIN messages m ON m.chat_id = a.chat_id AND m.attachment_id = a.attachment_id
          WHERE a.chat_id = $1 AND a.attachment_id = $2",
    )
    .bind(chat_id.to_string())
    .bind(attachment_id.to_string())
    .fetch_optional(node.db.any())
    .await?;
    let Some(AnnouncedFile {
        upload_id,
        file_type: Some(kind),
        file_size: Some(size),
        file_name: name,
    }) = row
    else {
        return Ok(None);
    };
    let Some(kind) = FileKind::from_media_type(&kind) else {
        return Ok(None);
    };
    if part == Part::Thumbnail {
        let drawn: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM attachment_chunks WHERE upload_id = $1 AND part = $2 AND seq = 0",
        )
        .bind(upload_id.clone())
        .bind(part.name())
        .fetch_optional(node.db.any())
        .await?;
        if drawn.is_none() {
            return Ok(None);
        }
    }
    let key = match node.db.vault().key_for_reading(chat_type(), chat_id).await {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(None),
        Err(VaultError::Sql(error)) => return Err(error),
        Err(other) => return Err(sqlx::Error::Protocol(other.to_string())),
    };
    Ok(Some(Stored {
        kind: if part == Part::Thumbnail {
            FileKind::Png
        } else {
            kind
        },
        size: (part == Part::File).then(|| u64::try_from(size).unwrap_or_default()),
        name,
        pool: node.db.any().clone(),
        upload_id,
        part,
        key,
    }))
}

pub(super) async fn erase_chat(node: &Node, chat_id: &str) -> Result<u64, sqlx::Error> {
    let pool = node.db.any();
    sqlx::query(
        "DELETE FROM attachment_chunks WHERE upload_id IN
           (SELECT upload_id FROM attachment_uploads WHERE chat_id = $1)",
    )
    .bind(chat_id.to_string())
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM attachment_uploads WHERE chat_id = $1")
        .bind(chat_id.to_string())
        .execute(pool)
        .await?;
    Ok(sqlx::query("DELETE FROM attachments WHERE chat_id = $1")
        .bind(chat_id.to_string())
        .execute(pool)
        .await?
        .rows_affected())
}

/// Deletes what was abandoned by `now`: files accepted but never announced, then uploads no
/// file names. Answers with the number of uploads deleted.
pub async fn prune(node: &Node, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let pool = node.db.any();
    let before = timestamp(now - ABANDONED_AFTER);
    sqlx::query(
        "DELETE FROM attachments WHERE accepted_at < $1 AND NOT EXISTS
           (SELECT 1 FROM messages m
             WHERE m.chat_id = attachments.chat_id AND m.attachment_id = attachments.attachment_id)",
    )
    .bind(before.clone())
    .execute(pool)
    .await?;
    let abandoned = "SELECT u.upload_id FROM attachment_uploads u
                      WHERE u.started_at < $1
                        AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.upload_id = u.upload_id)";
    sqlx::query(&format!(
        "DELETE FROM attachment_chunks WHERE upload_id IN ({abandoned})"
    ))
    .bind(before.clone())
    .execute(pool)
    .await?;
    Ok(sqlx::query(&format!(
        "DELETE FROM attachment_uploads WHERE upload_id IN ({abandoned})"
    ))
    .bind(before)
    .execute(pool)
    .await?
    .rows_affected())
}
