"""Shards as the operator gives them: SHARD_COUNT and SHARD_IDS (or --shard-count and --shards) parsed, checked
against each other and refused in one line; secrets read from files; the health check per shard; the lock that
keeps a second bot process off one SQLite file; the shards on log lines."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.__main__ import main
from bot.core.shards import ShardPlan, describe_ids, parse_shard_ids, shard_of
from bot.services.facts import InstallationFacts
from bot.settings import Settings
from bot.storage.database import SQLiteDatabase
from bot.storage.processes import SQLiteInUse, lock_path, only_bot_process, refuse_a_slice_on_sqlite
from bot.storage.repositories.meta import MetaRepository
from tests.helpers import cli, make_settings

# -- shard numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids", "shown"),
    [
        ("0-3", (0, 1, 2, 3), "0-3"),
        ("0,2,5", (0, 2, 5), "0,2,5"),
        (" 4 , 0-1 ", (0, 1, 4), "0-1,4"),
        ("7", (7,), "7"),
        ("0-3,8-11", (0, 1, 2, 3, 8, 9, 10, 11), "0-3,8-11"),
    ],
)
def test_shard_ids_parse_and_read_back_as_typed(text: str, ids: tuple[int, ...], shown: str) -> None:
    assert parse_shard_ids(text) == ids
    assert describe_ids(ids) == shown and parse_shard_ids(shown) == ids


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a", "expected shard numbers such as 0-3 or 0,2,5, not 'a'"),
        ("0-", "expected shard numbers"),
        ("-1", "expected shard numbers"),
        ("3-1", "a range of shards runs upward (1-3), not '3-1'"),
        ("0-2,2", "shard 2 is named twice"),
        ("0-5000", "names more than 1024 shards"),
    ],
)
def test_bad_shard_ids_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_shard_ids(text)


def test_a_plan_owns_the_servers_of_its_shards() -> None:
    slice_ = ShardPlan(4, (0, 1))
    assert not slice_.every_shard and slice_.describe() == "shards 0-1 of 4"
    guilds = {shard: (8 + shard) << 22 for shard in range(4)}  # (id >> 22) % 4 == shard
    assert [shard_of(g, 4) for g in guilds.values()] == [0, 1, 2, 3]
    assert [slice_.owns(g) for g in guilds.values()] == [True, True, False, False]
    assert slice_.owns(None), "direct messages arrive on shard 0"
    assert not ShardPlan(4, (3,)).owns(None) and ShardPlan(4, (3,)).describe() == "shard 3 of 4"
    for everything in (ShardPlan(), ShardPlan(4), ShardPlan(4, (0, 1, 2, 3))):
        assert everything.every_shard and all(everything.owns(g) for g in guilds.values())
    assert ShardPlan(4).held(4) == (0, 1, 2, 3) and slice_.held(4) == (0, 1)
    assert ShardPlan().describe() == "every shard (as many as Discord recommends)"


# -- settings -----------------------------------------------------------------------------------------------------


def test_shard_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHARD_COUNT", "8")
    monkeypatch.setenv("SHARD_IDS", "6, 4-5")
    settings = Settings()
    assert settings.shard_ids == "4-6" and settings.shards == ShardPlan(8, (4, 5, 6))
    monkeypatch.setenv("SHARD_IDS", "")  # empty means unset, as everywhere
    assert Settings().shards == ShardPlan(8, None)


@pytest.mark.parametrize(
    ("given", "field", "problem"),
    [
        ({"shard_ids": "0-3"}, "shard_ids", "needs SHARD_COUNT (--shard-count)"),
        ({"shard_count": 4, "shard_ids": "2-4"}, "shard_ids", "shard 4 is not one of the 4 shards"),
        ({"shard_count": 0}, "shard_count", "greater than or equal to 1"),
        ({"shard_count": 2000}, "shard_count", "less than or equal to 1024"),
        ({"discord_identify_seconds": 0.1}, "discord_identify_seconds", "local fake Discord only"),
    ],
)
def test_shard_settings_are_checked(tmp_path: Path, given: dict[str, object], field: str, problem: str) -> None:
    with pytest.raises(ValueError) as refused:
        make_settings(tmp_path, **given)
    errors = refused.value.errors()  # type: ignore[attr-defined]
    assert [e["loc"] for e in errors] == [(field,)] and problem in errors[0]["msg"]


def test_secrets_from_files(tmp_path: Path) -> None:
    url, token = tmp_path / "database_url", tmp_path / "token"
    url.write_text("postgresql://bot:s3cret@db:5432/bot\n", encoding="utf-8")
    token.write_text("abc.def\n", encoding="utf-8")
    settings = make_settings(tmp_path, database_url_file=url, discord_token_file=token)
    assert settings.database_url is not None and settings.database_url.get_secret_value().endswith("@db:5432/bot")
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "abc.def"
    assert "s3cret" not in repr(settings) and "abc.def" not in repr(settings)

    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    (tmp_path / "mysql").write_text("mysql://x\n", encoding="utf-8")
    for given, problem in (
        ({"database_url_file": url, "database_url": "postgresql://a@b/c"}, "not both"),
        ({"database_url_file": tmp_path / "missing"}, "cannot read it (No such file or directory)"),
        ({"database_url_file": tmp_path / "empty"}, "is empty"),
        ({"database_url_file": tmp_path / "mysql"}, "the URL in DATABASE_URL_FILE must start with postgresql://"),
        ({"discord_token_file": token, "discord_token": "x"}, "set DISCORD_TOKEN or DISCORD_TOKEN_FILE, not both"),
    ):
        with pytest.raises(ValueError, match=re.escape(problem)):
            Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3", **given)  # type: ignore[call-arg]


# -- the command line -----------------------------------------------------------------------------------------------


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["run", "--shards", "0-5", "--shard-count", "4"],
            {},
            "setting --shards: shard 4 is not one of the 4 shards of SHARD_COUNT (they are numbered 0 to 3)",
        ),
        (["run", "--shards", "x-1", "--shard-count", "4"], {}, "setting --shards: expected shard numbers"),
        (["run"], {"SHARD_IDS": "0-1"}, "setting SHARD_IDS: needs SHARD_COUNT (--shard-count)"),
        (["health", "--shards", "2"], {"SHARD_COUNT": "2", "SHARD_IDS": "0"}, "setting --shards: shard 2 is not"),
        (["run"], {"DATABASE_URL_FILE": "/nonexistent/url"}, "settings: DATABASE_URL_FILE /nonexistent/url: cannot"),
    ],
)
def test_shard_errors_are_one_line_named_as_given(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    line: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in {n.upper() for n in Settings.model_fields}:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(args) == 2  # refused while reading the settings, before anything starts
    assert one_line(capsys.readouterr().err).startswith(line)


def test_run_and_health_help_name_the_shard_flags(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "health"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown = capsys.readouterr().out
        assert "--shards IDS" in shown and "--shard-count N" in shown


# -- one bot process per SQLite file --------------------------------------------------------------------------------


def test_a_slice_on_sqlite_is_refused_naming_postgresql(tmp_path: Path) -> None:
    refuse_a_slice_on_sqlite(make_settings(tmp_path, shard_count=4))  # every shard of 4: one process, fine
    refuse_a_slice_on_sqlite(make_settings(tmp_path, shard_count=2, shard_ids="0-1"))
    refuse_a_slice_on_sqlite(make_settings(tmp_path, shard_count=4, shard_ids="0", database_url="postgresql://a@b/c"))
    with pytest.raises(Exception, match="PostgreSQL") as refused:
        refuse_a_slice_on_sqlite(make_settings(tmp_path, shard_count=4, shard_ids="0-1"))
    assert "shards 0-1 of 4, leaving shards 2-3 to other processes" in str(refused.value)


def test_the_run_lock_keeps_a_second_process_off_one_sqlite_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with only_bot_process(settings):
        assert lock_path(settings.database_path).read_text(encoding="ascii") == str(os.getpid())
        # A second open of the lock file conflicts as another process's would (flock is per open file).
        busy = rf"Another bot process \(pid {os.getpid()}\) is already running"
        with pytest.raises(SQLiteInUse, match=busy), only_bot_process(settings):
            pass
    with only_bot_process(settings):  # released with the first: a new run takes it
        pass
    elsewhere = make_settings(tmp_path / "other")
    with only_bot_process(settings), only_bot_process(elsewhere):
        pass  # another database is another lock
    postgres = make_settings(tmp_path, database_url="postgresql://a@b/c")
    with only_bot_process(postgres), only_bot_process(postgres):
        pass  # PostgreSQL serves several processes


# -- health per shard -----------------------------------------------------------------------------------------------


async def record(tmp_path: Path, beats: dict[int, int], count: int) -> None:
    db = await SQLiteDatabase.open(tmp_path / "bot.sqlite3")
    try:
        facts = InstallationFacts(MetaRepository(db))
        for shard, when in beats.items():
            await facts.heartbeat(when, [shard], count)
    finally:
        await db.close()


async def test_health_reports_each_shard(tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    await record(tmp_path, {0: now, 1: now - 5_000, 2: now - 600_000}, 3)  # shard 2 stopped ten minutes ago
    both = cli(tmp_path, "health", env={"SHARD_COUNT": "3", "SHARD_IDS": "0-1"})  # a process holding 0 and 1
    assert both.returncode == 0, both.stderr
    assert re.fullmatch(
        r"healthy: shards 0-1 of 3 connected, oldest heartbeat [5-9] s ago\n"
        r"  shard 0: last heartbeat \d s ago\n  shard 1: last heartbeat [5-9] s ago\n",
        both.stdout,
    ), both.stdout

    every = cli(tmp_path, "health")  # no shard settings: every shard the bot last ran as (3)
    assert every.returncode == 1
    assert re.fullmatch(
        r"unhealthy: shard 2 of 3 not connected\n(  shard [01]: last heartbeat \d+ s ago\n){2}"
        r"  shard 2: last heartbeat 60\d s ago\n",
        every.stderr,
    ), every.stderr

    one = cli(tmp_path, "health", "--shards", "2", "--shard-count", "4")
    assert one.returncode == 1
    assert re.fullmatch(r"unhealthy: shard 2 of 4 not connected \(last heartbeat 60\d s ago\)", one_line(one.stderr))
    never = cli(tmp_path, "health", "--shards", "3", "--shard-count", "4")
    assert one_line(never.stderr) == "unhealthy: shard 3 of 4 not connected (no heartbeat yet)"


# -- log lines ------------------------------------------------------------------------------------------------------


@pytest.fixture
def shard_logs() -> Iterator[None]:
    yield
    logs.show_shards([0], 1)


def test_log_lines_carry_the_processs_shards(shard_logs: None) -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "hello", None, None)
    text = logging.Formatter(logs.TEXT_FORMAT)
    tag = logs.ShardTag()
    logs.show_shards([0], 1)  # one shard: nothing to tell apart
    assert tag.filter(record) and text.format(record).endswith(" INFO    bot: hello")
    logs.show_shards([0, 1], 4)
    assert tag.filter(record) and text.format(record).endswith(" INFO    [shards 0-1/4] bot: hello")
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["shards"] == "0-1/4" and entry["message"] == "hello"
    logs.show_shards([3], 4)
    assert tag.filter(record) and "[shard 3/4] bot: hello" in text.format(record)
