-- The sequencer's lease, in the row of the tree head it guards: while several instances serve one
-- log, only the holder of an unexpired lease sequences. Each new holder gets a larger fencing
-- token; a commit or batch intent carries its writer's token and changes the row only if the token
-- is still the current one, so a deposed sequencer's late write fails (and, being in the same row
-- as the size, under the same row lock as the size's compare-and-swap).
ALTER TABLE log_state
    -- The holder's instance id (unique per process), or '' when never held.
    ADD COLUMN lease_holder  TEXT        NOT NULL DEFAULT '',
    -- Where the holder takes forwarded submissions (its advertised base URL).
    ADD COLUMN lease_url     TEXT        NOT NULL DEFAULT '',
    -- The fencing token: incremented each time the lease changes hands.
    ADD COLUMN lease_token   BIGINT      NOT NULL DEFAULT 0 CHECK (lease_token >= 0),
    -- The lease is free from this time on (the database's clock).
    ADD COLUMN lease_expires TIMESTAMPTZ NOT NULL DEFAULT 'epoch';
