"""Storage: one aiosqlite connection, versioned migrations, and repositories. All SQL lives here."""
