-- Question of the day: one row per study channel and local day, written in the same transaction as the
-- session it started, so a day is posted at most once whatever restarts happen.
CREATE TABLE daily_posts (
    channel_id BIGINT NOT NULL,
    day        TEXT   NOT NULL,
    session_id BIGINT NOT NULL REFERENCES quiz_sessions (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (channel_id, day)
);

-- A fixed closing time (UTC ms) for sessions whose question closes at a set moment (daily questions).
ALTER TABLE quiz_sessions ADD COLUMN closes_ms BIGINT;
