-- Every save of a quiz bumps its version and is refused when the row moved on since it was read: two tasks
-- changing one quiz (its runner and a stop) can never both win.
ALTER TABLE quiz_sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
