"""Content modules: pydantic models, loading and validation, search."""
