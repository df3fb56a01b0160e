-- Personal spaced review (FSRS): one card per member and question, a log of every review, and the review sessions
-- a member works through. Cards belong to the member, not to a server (a member studies one body of knowledge
-- wherever they answer), so none of these tables has a guild_id: they go with `privacy forget`, not with a
-- server's data. Times are integer UTC milliseconds; stability and difficulty are FSRS's own (days; 1 to 10).
CREATE TABLE review_cards (
    user_id        INTEGER NOT NULL,
    module         TEXT    NOT NULL,
    question_id    TEXT    NOT NULL,
    state          INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    step           INTEGER,
    stability      DOUBLE PRECISION,
    difficulty     DOUBLE PRECISION,
    due_ms         INTEGER NOT NULL,
    last_review_ms INTEGER,
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, module, question_id)
);
CREATE INDEX review_cards_by_due ON review_cards (user_id, module, due_ms);

-- Every rating a card got, whatever gave it: a quiz answer, a question of the day, a review or practice card.
CREATE TABLE review_logs (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    module      TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('quiz', 'daily', 'review', 'practice')),
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_ms INTEGER NOT NULL,
    state       INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    stability   DOUBLE PRECISION,
    difficulty  DOUBLE PRECISION,
    due_ms      INTEGER NOT NULL
);
CREATE INDEX review_logs_by_user ON review_logs (user_id, reviewed_ms);

-- A review (due cards) or practice (unseen questions) session: the cards in order, where the member is, what they
-- picked and how they rated each. Its buttons carry only the session id and a position, checked against these rows.
CREATE TABLE review_sessions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    module     TEXT    NOT NULL,
    topic      TEXT,
    kind       TEXT    NOT NULL CHECK (kind IN ('review', 'practice')),
    position   INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    ended_ms   INTEGER
);
CREATE INDEX review_sessions_by_user ON review_sessions (user_id, module);
CREATE INDEX review_sessions_by_update ON review_sessions (updated_ms);

CREATE TABLE review_session_cards (
    session_id  INTEGER NOT NULL REFERENCES review_sessions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    question_id TEXT    NOT NULL,
    choice      INTEGER CHECK (choice BETWEEN 0 AND 4),
    answered_ms INTEGER,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 4),
    rated_ms    INTEGER,
    PRIMARY KEY (session_id, position)
);

-- When the answers to a revealed quiz question updated their members' cards (NULL: not yet). The cards are updated
-- after the reveal, in a transaction of their own that sets this, so the answer click does no extra work and each
-- answer counts once, even across a crash. Questions revealed before this version start NULL: their answers
-- build the first cards.
ALTER TABLE quiz_questions ADD COLUMN cards_ms INTEGER;
CREATE INDEX quiz_questions_cards_pending ON quiz_questions (revealed_ms)
    WHERE revealed_ms IS NOT NULL AND cards_ms IS NULL;
