-- Secrets and sessions live outside the event log: an append-only log that auditors replay is
-- no place for password hashes or bearer tokens. The log records *that* a password changed.

-- Argon2id PHC strings, one per staff user.
CREATE TABLE credentials (
    user_id       text PRIMARY KEY,
    password_hash text NOT NULL
);

-- Staff sessions: only the SHA-256 of each bearer token is stored.
CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id    text NOT NULL,
    created_at text NOT NULL,
    revoked_at text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Customer tokens: each opens exactly one chat.
CREATE TABLE customer_tokens (
    token_hash text PRIMARY KEY,
    chat_id    text NOT NULL UNIQUE
);
