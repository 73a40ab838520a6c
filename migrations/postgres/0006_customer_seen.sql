-- When each chat's customer last had the chat open (their widget's live stream), for the
-- agent: "online now", or "last seen at". Not a fact of the log — a heartbeat, overwritten
-- every half minute while the stream is open — and pruned with the chat's tokens.
CREATE TABLE customer_seen (
    chat_id text PRIMARY KEY,
    seen_at text NOT NULL
);
