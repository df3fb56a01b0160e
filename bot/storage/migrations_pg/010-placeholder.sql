-- Placeholder for migration 010, which another branch (personal review) brings. The migrator refuses a gap in the
-- versions, and 011 (reports) comes after it. DELETE THIS FILE when that branch's 010 is merged: two files
-- numbered 010 make the migrator refuse to start ("migration 011 is missing").
SELECT 1;
