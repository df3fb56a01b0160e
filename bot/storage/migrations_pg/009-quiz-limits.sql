-- Quiz rules within the ranges declared once in bot/core/quiz/limits.py, which the settings and commands use too:
-- questions 1 to 50, seconds 5 to 120, points 10 to 1000 (tests/test_limits_agree.py reads these CHECKs back).
-- Rows stored under the old, wider ranges are moved to the nearest allowed value first (a question of the day
-- stored 600 seconds: its closing time is its own column, closes_ms, so nothing it does changes). The CHECKs keep
-- the names PostgreSQL gave them in 002.
UPDATE quiz_sessions
SET question_count = LEAST(GREATEST(question_count, 1), 50),
    seconds = LEAST(GREATEST(seconds, 5), 120),
    points = LEAST(GREATEST(points, 10), 1000)
WHERE question_count NOT BETWEEN 1 AND 50 OR seconds NOT BETWEEN 5 AND 120 OR points NOT BETWEEN 10 AND 1000;

ALTER TABLE quiz_sessions
    DROP CONSTRAINT quiz_sessions_question_count_check,
    DROP CONSTRAINT quiz_sessions_seconds_check,
    DROP CONSTRAINT quiz_sessions_points_check,
    ADD CONSTRAINT quiz_sessions_question_count_check CHECK (question_count BETWEEN 1 AND 50),
    ADD CONSTRAINT quiz_sessions_seconds_check CHECK (seconds BETWEEN 5 AND 120),
    ADD CONSTRAINT quiz_sessions_points_check CHECK (points BETWEEN 10 AND 1000);
