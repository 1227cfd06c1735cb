-- The sequencing state of one log (tlog::LogState) and its deduplication index. One log per
-- database: the single row of log_state is the tree head every instance agrees on.
CREATE TABLE log_state (
    -- Always true: at most one row.
    singleton    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    origin       TEXT    NOT NULL,
    -- Tree size, in entries, of the latest checkpoint: the compare-and-swap key.
    size         BIGINT  NOT NULL CHECK (size >= 0),
    root         BYTEA   NOT NULL CHECK (octet_length(root) = 32),
    checkpoint   BYTEA   NOT NULL,
    -- Tree size a batch in progress writes objects for, or 0.
    pending_size BIGINT  NOT NULL CHECK (pending_size >= 0)
);

-- Leaf hash (RFC 6962 record hash) -> entry index, of committed entries only.
CREATE TABLE dedup (
    leaf_hash BYTEA  PRIMARY KEY CHECK (octet_length(leaf_hash) = 32),
    idx       BIGINT NOT NULL CHECK (idx >= 0)
);
