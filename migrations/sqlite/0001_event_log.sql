-- The one append-only log, in sqlite-es's shape. SQLite has one writer at a time, so the
-- rowid, assigned at insert, is commit order: it is the global position. Rows are never
-- deleted (see the triggers), so a rowid is never reused.
CREATE TABLE events (
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    sequence       integer NOT NULL CHECK (sequence >= 0),
    event_type     text    NOT NULL,
    event_version  text    NOT NULL,
    payload        text    NOT NULL,
    metadata       text    NOT NULL,
    event_id       text    GENERATED ALWAYS AS (json_extract(metadata, '$.event_id')) STORED,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE UNIQUE INDEX events_command ON events (json_extract(metadata, '$.command_id'), json_extract(metadata, '$.command_index'));

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;

CREATE TABLE snapshots (
    aggregate_type   text    NOT NULL,
    aggregate_id     text    NOT NULL,
    last_sequence    integer NOT NULL CHECK (last_sequence >= 0),
    current_snapshot integer NOT NULL CHECK (current_snapshot >= 0),
    payload          text    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- Where each projection stands: the generation of its tables that the stable views show,
-- and the last log position folded into them. Advanced in the same transaction as the rows.
CREATE TABLE projection_checkpoints (
    name       text    PRIMARY KEY,
    generation integer NOT NULL,
    version    integer NOT NULL,
    tx         integer NOT NULL,
    position   integer NOT NULL
);

-- A rebuild in progress: a new generation being folded from the start beside the live one.
CREATE TABLE projection_rebuilds (
    name       text    PRIMARY KEY,
    generation integer NOT NULL,
    tx         integer NOT NULL,
    position   integer NOT NULL
);
