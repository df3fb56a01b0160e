"""Shared fixtures. The fake Discord and the loopback-only network guard live in tests/fakediscord."""

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
