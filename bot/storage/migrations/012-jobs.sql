-- Jobs: work due at a time that exactly one process must do, whichever process it is (several bot processes may
-- share one PostgreSQL database). A quiz's next move (its deadline and reveal, its results) is job ('quiz', session
-- id); the question-of-the-day schedule is job ('daily', 0). A process claims a due job by setting claimed_by and
-- a lease; while it lives it extends the lease, and once the lease has run out another process may claim the job.
-- guild_id: the server whose process should do the job (NULL: any process). due_ms NULL: parked, waiting for the
-- process that holds its server (a quiz's next question is asked where its clicks arrive).
CREATE TABLE jobs (
    kind           TEXT    NOT NULL CHECK (kind IN ('quiz', 'daily')),
    job_key        INTEGER NOT NULL,
    guild_id       INTEGER,
    due_ms         INTEGER,
    claimed_by     TEXT,
    lease_until_ms INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, job_key),
    CHECK ((claimed_by IS NULL) = (lease_until_ms IS NULL))
);
CREATE INDEX jobs_by_due ON jobs (due_ms);

-- Quizzes running when the database is upgraded become jobs, due now: whichever process starts first goes on.
INSERT INTO jobs (kind, job_key, guild_id, due_ms)
SELECT 'quiz', id, guild_id, updated_ms FROM quiz_sessions WHERE state IN ('lobby', 'asking', 'revealing');
