"""Storage: the database (SQLite or PostgreSQL), versioned migrations for each, and repositories. All SQL lives here."""
