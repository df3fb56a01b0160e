-- Study-group channels: where quizzes run, each with an optional topic and a daily question switch.
CREATE TABLE study_channels (
    channel_id BIGINT  PRIMARY KEY,
    guild_id   BIGINT  NOT NULL,
    topic      TEXT,
    daily      INTEGER NOT NULL DEFAULT 0 CHECK (daily IN (0, 1)),
    added_by   BIGINT  NOT NULL,
    added_ms   BIGINT  NOT NULL
);
CREATE INDEX study_channels_by_guild ON study_channels (guild_id);

-- A session is a channel quiz or a question of the day; only channel quizzes are one-per-channel.
ALTER TABLE quiz_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'quiz' CHECK (kind IN ('quiz', 'daily'));
DROP INDEX quiz_sessions_one_running_per_channel;
CREATE UNIQUE INDEX quiz_sessions_one_running_quiz_per_channel
    ON quiz_sessions (channel_id) WHERE state IN ('lobby', 'asking', 'revealing') AND kind = 'quiz';
CREATE INDEX quiz_answers_by_session ON quiz_answers (session_id);
