"""The quiz as pure logic: question selection, the session state machine, grading and scoring."""
