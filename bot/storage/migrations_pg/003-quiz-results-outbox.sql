-- The message that showed a quiz's results. NULL on an ended quiz means they still have to be posted
-- (the bot stopped between ending the quiz and posting): start-up posts them.
ALTER TABLE quiz_sessions ADD COLUMN results_message_id BIGINT;
