-- Staff sessions end after a while unused: when each was last used, written at most about once
-- a minute per node, and an index so that pruning the idle ones reads only those.
ALTER TABLE sessions ADD COLUMN last_seen_at text;
-- Sessions open at the upgrade count as used now: their real last use is unknown, and logging
-- out everyone signed in for over the idle time would end sessions in use.
UPDATE sessions SET last_seen_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
