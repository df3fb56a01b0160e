"""One way to run the bot against the fake Discord, for the tests and for ``bench/``.

- ``process.BotProcess``: ``python -m bot run`` (or the benchmark's bare discord.py bot) as a real child process:
  started with exactly the settings given, waited for until the fake has sent it READY, stopped with SIGTERM,
  SIGINT or SIGKILL, its exit code and output reported. The crash, restart and operations tests and the benchmark
  all use it.
- ``inprocess.running_bot``: the same bot (``StudyBot``) in the test's own event loop, for tests that inject a
  clock or look at the bot's objects; ``inprocess.run_client`` runs any discord.py client that way.

This file imports nothing: the benchmark imports ``process`` without pulling the whole bot into its own process.
"""

GUILD_ID = 4242
CHANNEL_ID = 4343
"""The server and channel the fake Discord holds for the bot in end-to-end tests and in the benchmark."""
