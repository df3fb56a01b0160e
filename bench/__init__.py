"""The benchmark: the study bot against a bare discord.py bot through the fake Discord (see README.md here)."""
