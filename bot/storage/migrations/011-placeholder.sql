-- Placeholder for migration 011, which another branch (question reports) brings. The migrator refuses a gap in the
-- versions, and 012 (jobs) comes after it. DELETE THIS FILE when that branch's 011 is merged: two files
-- numbered 011 make the migrator refuse to start ("migration 012 is missing").
SELECT 1;
