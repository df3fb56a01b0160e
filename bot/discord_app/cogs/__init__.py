"""One cog per feature area."""
