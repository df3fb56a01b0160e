-- Quiz sessions, the questions each asked in order, and every answer. Times are integer UTC milliseconds.
CREATE TABLE quiz_sessions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    starter_id     INTEGER NOT NULL,
    module         TEXT    NOT NULL,
    topic          TEXT,
    difficulty     INTEGER,
    question_count INTEGER NOT NULL CHECK (question_count BETWEEN 1 AND 50),
    seconds        INTEGER NOT NULL CHECK (seconds BETWEEN 1 AND 600),
    points         INTEGER NOT NULL CHECK (points BETWEEN 1 AND 10000),
    speed_bonus    INTEGER NOT NULL CHECK (speed_bonus IN (0, 1)),
    seed           INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('lobby', 'asking', 'revealing', 'finished', 'stopped')),
    position       INTEGER NOT NULL DEFAULT 0,
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    ended_ms       INTEGER
);

-- At most one running quiz per channel, enforced by the database itself.
CREATE UNIQUE INDEX quiz_sessions_one_running_per_channel
    ON quiz_sessions (channel_id) WHERE state IN ('lobby', 'asking', 'revealing');
CREATE INDEX quiz_sessions_by_state ON quiz_sessions (state);

CREATE TABLE quiz_questions (
    session_id  INTEGER NOT NULL REFERENCES quiz_sessions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    question_id TEXT    NOT NULL,
    message_id  INTEGER,
    asked_ms    INTEGER,
    deadline_ms INTEGER,
    revealed_ms INTEGER,
    PRIMARY KEY (session_id, position)
);

CREATE TABLE quiz_answers (
    session_id  INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    choice      INTEGER NOT NULL CHECK (choice BETWEEN 0 AND 4),
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points      INTEGER NOT NULL CHECK (points >= 0),
    answered_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, position, user_id),
    FOREIGN KEY (session_id, position) REFERENCES quiz_questions (session_id, position) ON DELETE CASCADE
);
CREATE INDEX quiz_answers_by_guild_time ON quiz_answers (guild_id, answered_ms);
CREATE INDEX quiz_answers_by_user ON quiz_answers (user_id, guild_id);

-- Display names seen per server, so leaderboards and the console can show names without pinging anyone.
CREATE TABLE members (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
