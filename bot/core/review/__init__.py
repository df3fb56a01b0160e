"""Personal spaced review, pure: FSRS scheduling (``scheduling``), the deck's due order, practice, mastery and
streaks (``deck``), a review session's rules (``session``) and its replies (``render``)."""
