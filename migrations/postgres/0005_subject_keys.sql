-- Crypto-shredding. Every personal field of an event is stored encrypted under its
-- aggregate's (its chat's) data key. The keys live here, outside the append-only log and
-- mutable: deleting a chat's key erases its personal data from every event at once, while the
-- log, its positions and its seals stay as they were. Each key is wrapped (encrypted) by a
-- key-encryption key that lives outside the database, in the key file.
CREATE TABLE subject_keys (
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    -- Which key-encryption key of the key file wrapped it.
    kek_id         integer     NOT NULL,
    wrapped_key    bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Aggregates erased: no key is ever created for them again.
CREATE TABLE erased_subjects (
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    erased_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- How a person's chats are found for an erasure request: keyed hashes (HMAC, with a secret
-- from the key file) of their normalised e-mail addresses and phone numbers. Deleted with
-- the key.
CREATE TABLE subject_lookup (
    hash           bytea NOT NULL,
    aggregate_type text  NOT NULL,
    aggregate_id   text  NOT NULL,
    PRIMARY KEY (hash, aggregate_type, aggregate_id)
);
CREATE INDEX subject_lookup_subject ON subject_lookup (aggregate_type, aggregate_id);

-- What the key file must hold for this database: a check value (an HMAC of a fixed text)
-- of each key-encryption key and of the lookup secret ever used. A server whose key file
-- lacks one, or holds another, refuses to start. Empty until the first start of a version
-- that encrypts: a log with events and no checks was written in plaintext.
CREATE TABLE key_checks (
    name        text  PRIMARY KEY,
    check_value bytea NOT NULL
);
