-- The one append-only log. The columns up to `metadata` are postgres-es's own table, which
-- it fills with an INSERT that names its columns; everything after has a default.
CREATE TABLE events (
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 0),
    event_type     text   NOT NULL,
    event_version  text   NOT NULL,
    payload        jsonb  NOT NULL,
    metadata       jsonb  NOT NULL,
    -- Global position: unique and increasing in *insert* order. Concurrent transactions
    -- commit out of that order, so readers tail by (tx, position), never by position alone.
    position       bigint GENERATED ALWAYS AS IDENTITY,
    -- The writing transaction. Rows whose tx is below the oldest running transaction
    -- (pg_snapshot_xmin) can no longer be joined by a late commit: that is the safe horizon.
    tx             xid8   NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid   GENERATED ALWAYS AS ((metadata ->> 'event_id')::uuid) STORED,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_position ON events (position);
CREATE INDEX events_tail ON events (tx, position);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
-- A command's events are written once: a retried command with the same id is a no-op.
CREATE UNIQUE INDEX events_command ON events ((metadata ->> 'command_id'), (metadata ->> 'command_index'));

-- Append-only means append-only.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

-- postgres-es expects this table to exist; Samtale does not persist snapshots (their
-- builder applies events twice in cqrs-es 0.5), it caches aggregates in memory instead.
CREATE TABLE snapshots (
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          jsonb  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- Where each projection stands: the generation of its tables that the stable views show,
-- and the last log position folded into them. Advanced in the same transaction as the rows.
CREATE TABLE projection_checkpoints (
    name       text   PRIMARY KEY,
    generation bigint NOT NULL,
    version    bigint NOT NULL,
    tx         bigint NOT NULL,
    position   bigint NOT NULL
);

-- A rebuild in progress: a new generation being folded from the start beside the live one.
CREATE TABLE projection_rebuilds (
    name       text   PRIMARY KEY,
    generation bigint NOT NULL,
    tx         bigint NOT NULL,
    position   bigint NOT NULL
);
