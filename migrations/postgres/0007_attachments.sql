-- The bytes of files sent in chats: beside the log, never in it (the log announces a file with
-- its name, type, size and hash in `AttachmentSent`). Every chunk is sealed with the chat's data
-- key, so erasing the chat's key shreds its files even before their rows are deleted.
--
-- Each attempt to upload is one upload; a file is accepted by naming the upload that holds
-- it, once its bytes are all stored and before the chat announces it. An upload nobody
-- accepted (the client went away, the process died) is pruned.
CREATE TABLE attachment_uploads (
    upload_id text PRIMARY KEY,
    chat_id text NOT NULL,
    started_at text NOT NULL
);
CREATE INDEX attachment_uploads_chat ON attachment_uploads (chat_id);

-- `part`: `file` (what was sent) or `thumbnail` (a small picture of an image, made here).
CREATE TABLE attachment_chunks (
    upload_id text NOT NULL,
    part text NOT NULL,
    seq bigint NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (upload_id, part, seq)
);

CREATE TABLE attachments (
    attachment_id text PRIMARY KEY,
    chat_id text NOT NULL,
    upload_id text NOT NULL,
    accepted_at text NOT NULL
);
CREATE INDEX attachments_chat ON attachments (chat_id);
CREATE INDEX attachments_upload ON attachments (upload_id);
