-- Quiz rules within the ranges declared once in bot/core/quiz/limits.py, which the settings and commands use too:
-- questions 1 to 50, seconds 5 to 120, points 10 to 1000 (tests/test_limits_agree.py reads these CHECKs back).
--
-- SQLite cannot change a CHECK in place, so the table is rebuilt as its documentation describes ("Making Other
-- Kinds Of Table Schema Changes", https://sqlite.org/lang_altertable.html): create the new table, copy the rows,
-- drop the old one, rename the new one, recreate the indexes. The migrator applies migrations with foreign keys
-- off (it checks them all before it commits), so the DROP neither cascades into quiz_questions and daily_posts
-- nor is refused; their REFERENCES quiz_sessions name the rebuilt table once it has the name.
-- Rows stored under the old, wider ranges are moved to the nearest allowed value (a question of the day stored
-- 600 seconds: its closing time is its own column, closes_ms, so nothing it does changes).
CREATE TABLE quiz_sessions_new (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,
    starter_id         INTEGER NOT NULL,
    module             TEXT    NOT NULL,
    topic              TEXT,
    difficulty         INTEGER,
    question_count     INTEGER NOT NULL CHECK (question_count BETWEEN 1 AND 50),
    seconds            INTEGER NOT NULL CHECK (seconds BETWEEN 5 AND 120),
    points             INTEGER NOT NULL CHECK (points BETWEEN 10 AND 1000),
    speed_bonus        INTEGER NOT NULL CHECK (speed_bonus IN (0, 1)),
    seed               INTEGER NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('lobby', 'asking', 'revealing', 'finished', 'stopped')),
    position           INTEGER NOT NULL DEFAULT 0,
    created_ms         INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL,
    ended_ms           INTEGER,
    results_message_id INTEGER,
    kind               TEXT    NOT NULL DEFAULT 'quiz' CHECK (kind IN ('quiz', 'daily')),
    closes_ms          INTEGER,
    version            INTEGER NOT NULL DEFAULT 0
);

INSERT INTO quiz_sessions_new (
    id, guild_id, channel_id, starter_id, module, topic, difficulty, question_count, seconds, points, speed_bonus,
    seed, state, position, created_ms, updated_ms, ended_ms, results_message_id, kind, closes_ms, version
)
SELECT
    id, guild_id, channel_id, starter_id, module, topic, difficulty,
    MIN(MAX(question_count, 1), 50), MIN(MAX(seconds, 5), 120), MIN(MAX(points, 10), 1000), speed_bonus,
    seed, state, position, created_ms, updated_ms, ended_ms, results_message_id, kind, closes_ms, version
FROM quiz_sessions;

DROP TABLE quiz_sessions;
ALTER TABLE quiz_sessions_new RENAME TO quiz_sessions;

-- The indexes went with the old table (005 and 002 made them).
CREATE UNIQUE INDEX quiz_sessions_one_running_quiz_per_channel
    ON quiz_sessions (channel_id) WHERE state IN ('lobby', 'asking', 'revealing') AND kind = 'quiz';
CREATE INDEX quiz_sessions_by_state ON quiz_sessions (state);
