"""Repository classes: typed methods over the database, returning plain values or pydantic models."""
