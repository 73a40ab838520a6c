-- Every node reads the sessions revoked in the last few seconds, several times a second:
-- an index on the revocation time keeps that read small however many sessions there were.
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
