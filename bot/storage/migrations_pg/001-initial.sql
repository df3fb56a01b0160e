-- PostgreSQL twin of migrations/001-initial.sql. Integers that may exceed 2^31 (Discord ids, millisecond
-- times) are BIGINT; 0/1 flags stay INTEGER, so repositories bind the same values on both engines.
-- Key/value facts about this installation (for example the hash of the last synced command tree).
CREATE TABLE meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
