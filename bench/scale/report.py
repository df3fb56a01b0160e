"""The scale benchmark's targets (issue 14) and its printed report, made from the JSON document it writes."""

from __future__ import annotations

import math
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

ACK_P99_MS = 100.0
"""Every click acknowledged, and 99 % of them within this many ms (frame sent to callback accepted)."""
REVEAL_P99_MS = 1000.0
"""99 % of reveals reach Discord within this many ms of the moment they were due."""


def targets(document: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(what, measured, passed) for each target."""
    clicks, reveals, integrity = document["clicks"], document["reveals"], document["integrity"]
    quizzes = document["quizzes"]
    missed = clicks["planned"] - clicks["acknowledged"]
    doubled = integrity["questions_doubled"] + integrity["reveals_doubled"] + integrity["results_doubled"]
    return [
        ("every click acknowledged", f"{clicks['acknowledged']:,} of {clicks['planned']:,}", missed == 0),
        (f"p99 acknowledgement < {ACK_P99_MS:.0f} ms", _ms(clicks["p99_ms"]), _below(clicks["p99_ms"], ACK_P99_MS)),
        (
            f"reveals within {REVEAL_P99_MS / 1000:.0f} s of due, p99",
            _ms(reveals["p99_ms"]),
            _below(reveals["p99_ms"], REVEAL_P99_MS) and quizzes["unrevealed"] == 0,
        ),
        ("no acknowledged answer lost", f"{integrity['lost']} lost", integrity["lost"] == 0),
        ("nothing posted twice", f"{doubled} doubled", doubled == 0),
        (
            "every quiz finished, results posted",
            f"{quizzes['finished']:,} of {document['settings']['quizzes']:,}",
            quizzes["finished"] == document["settings"]["quizzes"],
        ),
    ]


def _below(value: float, limit: float) -> bool:
    return not math.isnan(value) and value < limit


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.0f} ms"


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


def _busiest(procs: dict[str, Any]) -> str:
    busiest = procs["busiest_second_cpus"]
    if not busiest:
        return "–"
    bots = " + ".join(f"{busiest[key]:.2f}" for key in sorted(busiest) if key.startswith("bot"))
    return f"{bots} / {busiest['db']:.2f} / {busiest['fake']:.2f} / {busiest['machine']:.2f} of {procs['cpus']}"


def print_scale_report(document: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    settings, clicks, procs = document["settings"], document["clicks"], document["processes"]
    table = Table(
        title=(
            f"Scale: {settings['quizzes']:,} quizzes x {settings['members']} members x {settings['questions']} "
            f"questions, {settings['processes']} processes holding {settings['shards']} shards, one PostgreSQL"
        ),
        title_justify="left",
    )
    table.add_column("figure", no_wrap=True)
    table.add_column("value", justify="right")
    wall = procs["wall_seconds"]
    rows = [
        ("clicks acknowledged / planned", f"{clicks['acknowledged']:,} / {clicks['planned']:,}"),
        (
            "clicks not sent / no callback / refused / wrong",
            "{not_sent} / {no_callback} / {refused_callbacks} / {wrong_reply}".format(**clicks),
        ),
        ("clicks per second: peak / mean", f"{clicks['peak_per_second']:,} / {clicks['mean_per_second']:,.0f}"),
        (
            "acknowledgement p50 / p95 / p99 / max",
            " / ".join(_ms(clicks[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
        ),
        (
            "reveal after due p50 / p99 / max",
            " / ".join(_ms(document["reveals"][k]) for k in ("p50_ms", "p99_ms", "max_ms")),
        ),
        (
            "reveals (early: everyone had answered)",
            f"{document['reveals']['count']:,} ({document['quizzes']['early_reveals']:,})",
        ),
        (
            "bot memory idle -> all quizzes running",
            ", ".join(
                f"{_mib(a)} -> {_mib(b)}" for a, b in zip(procs["idle_rss_kib"], procs["running_rss_kib"], strict=True)
            ),
        ),
        ("bot memory peak (sampled)", ", ".join(_mib(k) for k in procs["peak_rss_kib"])),
        ("memory per running quiz", f"{procs['memory_per_quiz_kib']:,.1f} KiB"),
        (
            "CPU s: bots / PostgreSQL / fake + players / other",
            " / ".join(
                [
                    " + ".join(f"{c:.1f}" for c in procs["bot_cpu_seconds"]),
                    f"{procs['db_cpu_seconds']:.1f}",
                    f"{procs['fake_cpu_seconds']:.1f}",
                    f"{procs['other_cpu_seconds']:.1f}",
                ]
            ),
        ),
        (
            "CPU share of the machine's 2 CPUs",
            f"{(sum(procs['bot_cpu_seconds']) + procs['db_cpu_seconds'] + procs['fake_cpu_seconds']) / wall:.2f} of the run's {wall:.0f} s",
        ),
        ("busiest second, CPUs: bots / PostgreSQL / fake + players / machine", _busiest(procs)),
        ("seconds the machine's CPUs were all busy", f"{procs['saturated_seconds']:.0f} of {wall:.0f}"),
        ("errors the bots logged", str(document["problem_count"])),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    verdicts = Table(title="Scale targets (issue 14)", title_justify="left")
    for column in ("target", "measured", "verdict"):
        verdicts.add_column(column)
    for what, measured, passed in targets(document):
        verdicts.add_row(what, measured, "[bold green]PASS[/]" if passed else "[bold red]FAIL[/]")
    console.print(verdicts)
    for line in document["problems"]:
        console.print(f"  bot logged: {line}", markup=False)
    for example in document["clicks"]["examples"] + document["integrity"]["fake_error_examples"]:
        console.print(f"  e.g. {example}", markup=False)
