"""The README's operator steps as written: the shipped settings file, one-line errors, backups, leaving the console."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests.helpers import cli, copy_content

ENV_EXAMPLE = PROJECT_ROOT / "deploy" / ".env.example"


def environment_file(path: Path) -> dict[str, str]:
    """The variables systemd's ``EnvironmentFile=`` and compose's ``env_file:`` set from ``path``: every
    ``NAME=value`` line, comments and blank lines skipped, an empty value set as the empty string."""
    variables: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";")):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def test_shipped_env_example_as_the_bot_reads_it(tmp_path: Path) -> None:
    """README step 3: `cp deploy/.env.example .env`, then start; `DEV_GUILD_ID=` is "unset", not an error."""
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = cli(tmp_path, stdin="/ketamine mechanism\n", database=False)
    assert result.returncode == 0, result.stderr
    assert "Mechanism" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert (tmp_path / "data" / "bot.sqlite3").is_file(), "the default database path applies"


@pytest.mark.parametrize("manager", ["compose", "systemd"])
def test_shipped_env_example_as_a_service_manager_sets_it(tmp_path: Path, manager: str) -> None:
    """The same file as compose's `env_file:` or systemd's `EnvironmentFile=`: its lines become variables. Under
    systemd the checkout is read-only and StateDirectory= is where the database must go."""
    checkout, state = tmp_path / "checkout", tmp_path / "state"
    checkout.mkdir()
    env = environment_file(ENV_EXAMPLE)
    assert env["DEV_GUILD_ID"] == "" and env["DISCORD_TOKEN"] == ""
    if manager == "systemd":
        env["STATE_DIRECTORY"] = str(state)
    result = cli(checkout, "console", env=env, stdin="/ketamine overview\n", database=False)
    assert result.returncode == 0, result.stderr
    assert "overview" in result.stdout.lower() and "Traceback" not in result.stderr
    expected = state / "bot.sqlite3" if manager == "systemd" else checkout / "data" / "bot.sqlite3"
    assert expected.is_file()
    if manager == "systemd":
        assert not (checkout / "data").exists(), "nothing is written into the read-only checkout"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _not_sqlite(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "notes.txt").write_text("these are my notes, not a database\n" * 50, encoding="utf-8")
    return {"DATABASE_PATH": str(tmp_path / "notes.txt")}


def _a_folder(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "dbdir").mkdir()
    return {"DATABASE_PATH": str(tmp_path / "dbdir")}


def _unwritable_log(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "afile").write_text("x", encoding="utf-8")  # a file where the log's folder should be
    return {"LOG_FILE": str(tmp_path / "afile" / "logs" / "bot.log")}


def _discord_unreachable(tmp_path: Path) -> dict[str, str]:
    port = _free_port()  # nothing listens there: the connection is refused, as with no network
    return {
        "DISCORD_TOKEN": "abc.def.ghi",
        "DISCORD_API_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
    }


@pytest.mark.parametrize(
    ("make_env", "args", "expected"),
    [
        (_not_sqlite, ("migrate",), "is not an SQLite database"),
        (_a_folder, ("migrate",), "is a folder, not a database file"),
        (_unwritable_log, ("check",), "LOG_FILE"),
        (_discord_unreachable, ("run",), "Cannot reach Discord"),
    ],
    ids=["not-sqlite", "folder", "log-folder", "discord-unreachable"],
)
def test_operational_errors_are_one_line_with_what_to_do(
    tmp_path: Path, make_env: object, args: tuple[str, ...], expected: str
) -> None:
    assert callable(make_env)
    result = cli(tmp_path, *args, env={"LOG_LEVEL": "WARNING", **make_env(tmp_path)})
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert expected in line


def test_operational_error_keeps_the_traceback_in_the_debug_log(tmp_path: Path) -> None:
    result = cli(tmp_path, "migrate", env={"LOG_LEVEL": "DEBUG", **_a_folder(tmp_path)})
    assert result.returncode == 1
    assert "is a folder" in result.stderr and "Traceback" in result.stderr


def test_run_without_token_in_a_service_is_an_error_not_a_silent_console(tmp_path: Path) -> None:
    result = cli(tmp_path, "run")  # stdin is /dev/null, as under systemd or `docker run` without -i
    assert result.returncode == 2
    assert "DISCORD_TOKEN is empty" in one_line(result.stderr)
    piped = cli(tmp_path, stdin="/ketamine overview\n")  # `python -m bot` fed by a pipe is still the console
    assert piped.returncode == 0 and "overview" in piped.stdout.lower()


def test_log_json_after_the_subcommand(tmp_path: Path) -> None:
    result = cli(tmp_path, "migrate", "--log-json")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert entries and all({"time", "level", "message"} <= set(entry) for entry in entries)


def test_health_without_a_database_says_so_and_creates_none(tmp_path: Path) -> None:
    result = cli(tmp_path, "health")
    assert result.returncode == 1
    assert "there is no database" in one_line(result.stderr)
    assert not (tmp_path / "bot.sqlite3").exists()


def test_backup_into_a_folder_is_date_stamped_and_keeps_the_newest(tmp_path: Path) -> None:
    assert cli(tmp_path, "migrate").returncode == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    for old in ("bot-2020-01-01T000000Z.sqlite3", "bot-2020-01-02T000000Z.sqlite3"):
        (folder / old).write_bytes(b"")
    result = cli(tmp_path, "backup", f"{folder}/", "--keep", "2")
    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 2 and kept[0] == "bot-2020-01-02T000000Z.sqlite3"
    assert kept[1].startswith(f"bot-{datetime.now(UTC):%Y-%m-%d}")
    with sqlite3.connect(folder / kept[1]) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] > 0


def test_backup_to_a_place_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "migrate").returncode == 0
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = cli(tmp_path, "backup", str(tmp_path / "afile" / "copy.sqlite3"))
    assert result.returncode == 1
    assert "Cannot write the backup" in one_line(result.stderr)


def test_leaving_the_console_never_waits_for_a_quiz_and_the_quiz_resumes(tmp_path: Path) -> None:
    """Before, the end of input waited for the quiz to finish (here 3 questions of 60 s: past the timeout)."""
    env = {"QUIZ_SECONDS": "60", "LOG_LEVEL": "WARNING"}
    first = cli(tmp_path, stdin="/ketamine quiz start questions:3\n", env=env, timeout=30)
    assert first.returncode == 0, first.stderr
    assert "Question 1/3" in first.stdout and "Saved: 1 running quiz" in first.stdout
    again = cli(tmp_path, stdin="b\n", env=env, timeout=30)
    assert again.returncode == 0, again.stderr
    assert "Still open from last time" in again.stdout and again.stdout.count("Question 1/3") == 1
    assert "Locked in: B" in again.stdout


def test_question_of_the_day_does_not_hold_the_console_and_an_admin_closes_it(tmp_path: Path) -> None:
    env = {"LOG_LEVEL": "WARNING"}
    slot = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    setup = f"/ketamine-admin studygroup add channel:#console daily:on\n/ketamine-admin settings set setting:daily_time value:{slot}\n"
    assert cli(tmp_path, stdin=setup, env=env, timeout=30).returncode == 0
    posted = cli(tmp_path, stdin="/ketamine mechanism\n", env=env, timeout=30)  # the day's post is due at start
    assert posted.returncode == 0, posted.stderr
    assert "Question of the day" in posted.stdout and "open question of the day" in posted.stdout
    closed = cli(tmp_path, stdin="/ketamine-admin quiz close-daily\n", env=env, timeout=30)
    assert closed.returncode == 0, closed.stderr
    assert "Question of the day closed" in closed.stdout and "the answer is" in closed.stdout
    assert "open question of the day" not in closed.stdout


def test_console_accepts_channel_names_and_shows_no_discord_markup(tmp_path: Path) -> None:
    script = "/ketamine-admin studygroup add channel:#pharm-study\n/ketamine studygroup list\n/ketamine settings show\n"
    result = cli(tmp_path, stdin=script, env={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("#pharm-study") >= 2
    for markup in ("<#", "<@", "<t:", "-# "):
        assert markup not in result.stdout


def test_console_exports_go_to_the_data_folder_and_never_overwrite(tmp_path: Path) -> None:
    result = cli(tmp_path, stdin="/ketamine privacy export\n/ketamine privacy export\n", env={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    saved = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert saved == ["ketamine-study-bot-1-2.json", "ketamine-study-bot-1.json"]
    assert not list(tmp_path.glob("*.json")), "nothing is written into the working folder"


def test_the_console_saves_the_stats_chart_next_to_the_exports_and_says_where(tmp_path: Path) -> None:
    """A terminal shows no pictures: the chart is saved as a file, as exports are, and its path printed."""
    script = "/ketamine stats\n/ketamine quiz start questions:1\nb\n/ketamine stats\n/ketamine stats\n"
    result = cli(tmp_path, stdin=script, env={"LOG_LEVEL": "WARNING"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "No quiz answers in this server yet" in result.stdout, "no chart before any answer"
    saved = sorted((tmp_path / "exports").iterdir())
    assert [p.name for p in saved] == ["accuracy-by-topic-2.png", "accuracy-by-topic.png"]
    assert result.stdout.count("Chart saved to ") == 2 and f"Chart saved to {saved[1]}" in result.stdout
    assert saved[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quit_leaves_at_once_and_says_what_is_kept(tmp_path: Path) -> None:
    script = "/ketamine quiz start questions:3\nquit\n/ketamine sources\n"
    result = cli(tmp_path, stdin=script, env={"LOG_LEVEL": "WARNING"}, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "Saved: 1 running quiz" in result.stdout
    assert "Sources ·" not in result.stdout, "nothing after quit runs"
    shown = cli(tmp_path, stdin="/ketamine sources\n", env={"LOG_LEVEL": "WARNING"}, timeout=30)
    assert "Sources ·" in shown.stdout, "the title this test looks for is the sources page's"


def test_check_warns_about_a_module_without_questions(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    (content / "ketamine" / "questions.yaml").unlink()
    result = cli(tmp_path, "check", env={"CONTENT_DIR": str(content)})
    assert "ketamine has no quiz questions" in result.stderr and "questions.yaml" in result.stderr
    assert "Traceback" not in result.stderr
