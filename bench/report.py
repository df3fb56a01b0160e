"""The printed report: three rich tables made from the same document that is written as JSON."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

NOISY = 0.15
"""Other CPU use (CPU-seconds per second) during a run above which the report warns that figures are noisy."""


def _f(value: Any, digits: int = 1, suffix: str = "", *, signed: bool = False) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    sign = "+" if signed else ""
    return f"{float(value):{sign},.{digits}f}{suffix}"


def _verdict(passed: bool) -> str:
    return "[bold green]PASS[/]" if passed else "[bold red]FAIL[/]"


def print_report(document: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    settings = document["settings"]
    targets = {t["key"]: t for t in document["targets"]}

    load = Table(
        title=(
            f"Interactions: {settings['count']} per run after {settings['warmup']} warm-up, "
            f"{settings['inflight']} in flight; {settings['statistic']}"
        ),
        title_justify="left",
    )
    for column in ("workload", "bot", "per s", "p50 ms", "p95 ms", "p99 ms", "fail", "bot CPU ms/op", "fake CPU ms/op"):
        load.add_column(column, justify="left" if column in ("workload", "bot") else "right")
    load.add_column("p50 vs no-op", justify="right")
    load.add_column("per s vs no-op", justify="right")
    load.add_column("target", justify="left")
    rules = {"topic": ("topic_p50", "topic_throughput"), "search": ("search_p50",), "answer": ("answer_p50",)}
    for key, entry in document["interactions"].items():
        figures = entry["median"]
        verdicts = [targets[t] for t in rules.get(key, ())]
        default = {"noop": "baseline", "static": "control", "click": "control"}.get(key, "")
        target_text = ", ".join(f"{_rule(t)} {_verdict(t['pass'])}" for t in verdicts) or default
        load.add_row(
            entry["label"],
            entry["bot"],
            _f(figures["throughput_per_s"], 0),
            _f(figures["p50_ms"]),
            _f(figures["p95_ms"]),
            _f(figures["p99_ms"]),
            str(entry["failures"]),
            _f(figures["bot_cpu_ms_per_interaction"], 2),
            _f(figures["fake_cpu_ms_per_interaction"], 2),
            _f(entry.get("p50_ratio"), 2, "×") if key != "noop" else "1.00×",
            _f(entry.get("throughput_ratio"), 2, "×") if key != "noop" else "1.00×",
            target_text,
        )
    console.print(load)
    for entry in document["interactions"].values():
        if entry.get("control") is None:
            continue
        control = document["interactions"][entry["control"]]
        console.print(
            f"The study bot's own share of {entry['label']}, against {control['label']}: "
            f"p50 {_f(entry['p50_ratio_vs_control'], 2, '×')}, "
            f"throughput {_f(entry['throughput_ratio_vs_control'], 2, '×')}, "
            f"bot CPU per interaction {_f(entry['bot_cpu_ratio_vs_control'], 2, '×')}."
        )

    bare, study = document["processes"]["bare"], document["processes"]["study"]
    guilds = settings["guilds"]
    memory = Table(title=f"Processes: memory and start-up; {settings['statistic']}", title_justify="left")
    for column in ("figure", "bare bot", "study bot", "study vs bare", "target"):
        memory.add_column(column, justify="left" if column in ("figure", "target") else "right")
    rows = (
        ("resident memory after the first answer", "rss_mib", 1, " MiB", "memory"),
        (f"resident memory with {guilds:,} more servers", "rss_many_guilds_mib", 1, " MiB", None),
        ("memory per server", "per_guild_kib", 2, " KiB", "per_guild"),
        ("resident memory after the load runs", "rss_after_load_mib", 1, " MiB", None),
        ("start-up: spawn to first answer", "startup_s", 2, " s", "startup"),
        (f"start-up with {guilds:,} more servers", "startup_many_guilds_s", 2, " s", None),
    )
    for label, key, digits, unit, target_key in rows:
        ratio = verdict = ""
        if target_key is not None:
            target = targets[target_key]
            signed = target_key == "startup"  # the start-up target is a difference, the others ratios
            ratio = _f(target["measured"], 2, " s" if signed else "×", signed=signed)
            verdict = f"{_rule(target)} {_verdict(target['pass'])}"
        memory.add_row(label, _f(bare[key], digits, unit), _f(study[key], digits, unit), ratio, verdict)
    console.print(memory)

    summary = Table(title="Targets", title_justify="left")
    for column in ("target", "measured", "limit", "result"):
        summary.add_column(column, justify="left" if column == "target" else "right")
    for target in document["targets"]:
        digits = 0 if target["key"] == "failures" else 2
        summary.add_row(
            target["what"],
            _f(target["measured"], digits, target["unit"] if target["unit"] != "s" else " s"),
            _rule(target),
            _verdict(target["pass"]),
        )
    console.print(summary)
    console.print(f"{document['targets_met']} of {document['targets_total']} targets met.")
    busy = document["noise"]["max_other_cpu_share"]
    if busy is not None and busy > NOISY:
        console.print(
            f"[yellow]The machine was busy with other work during at least one run (up to {busy:.2f} CPU-seconds per "
            "second besides the bot and the fake): figures are noisier than usual; run again on a quiet machine.[/]"
        )
    phases = {
        "log_problems_load_runs": "during the load runs",
        "log_problems_memory_runs": "in the memory runs (stopped with SIGTERM right after their first answer)",
    }
    for bot, figures in document["processes"].items():
        for key, when in phases.items():
            if figures[key]:
                console.print(f"[yellow]The {bot} bot logged errors {when}:[/]")
                for line in figures[key][:5]:
                    console.print(f"  {line}", markup=False, soft_wrap=True)


def _rule(target: dict[str, Any]) -> str:
    sign = "≤" if target["rule"] == "at most" else "≥"
    unit = target["unit"]
    limit = target["limit"]
    if target["key"] == "failures":
        return "= 0"
    if unit == "s":
        return f"{sign} +{limit:g} s"
    return f"{sign} {limit:.2f}{unit}"
