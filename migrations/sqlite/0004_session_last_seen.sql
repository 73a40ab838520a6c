-- Staff sessions end after a while unused: when each was last used, written at most about once
-- a minute per node, and an index so that pruning the idle ones reads only those.
ALTER TABLE sessions ADD COLUMN last_seen_at text;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
