-- Members' reports of a problem with a quiz question, per server, and what moderators did with them; questions a
-- server hid from its quizzes; members who let their name appear in their server's tutor export.
-- A report names the question and its content version (a digest of the question as the member saw it), so a
-- moderator can tell a report on wording that has since changed.
CREATE TABLE question_reports (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    module          TEXT    NOT NULL,
    question_id     TEXT    NOT NULL,
    content_version TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    body            TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
    created_ms      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    handled_by      INTEGER,
    handled_ms      INTEGER,
    note            TEXT    CHECK (note IS NULL OR length(note) <= 300)
);
CREATE INDEX question_reports_by_guild ON question_reports (guild_id, status, module, question_id);
CREATE INDEX question_reports_by_user ON question_reports (user_id);
-- One open report per member and question: a second one adds nothing for the moderators to read.
CREATE UNIQUE INDEX question_reports_one_open
    ON question_reports (guild_id, module, question_id, user_id) WHERE status = 'open';

CREATE TABLE hidden_questions (
    guild_id    INTEGER NOT NULL,
    module      TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    hidden_by   INTEGER NOT NULL,
    hidden_ms   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, module, question_id)
);

CREATE TABLE name_sharing (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
