"""The printed report: rich tables made from the same document that is written as JSON.

Five tables: every measured case; the study bot against its controls, one column group per engine side by side
(the figures issue 11's targets are about); the processes (memory, start-up); the stats chart; the targets.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.procs import ENGINES
from bench.workloads import case_key

NOISY = 0.15
"""Other CPU use (CPU-seconds per second) during a run above which the report warns that figures are noisy."""


def _f(value: Any, digits: int = 1, suffix: str = "", *, signed: bool = False) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    sign = "+" if signed else ""
    return f"{float(value):{sign},.{digits}f}{suffix}"


def _verdict(passed: bool) -> str:
    return "[bold green]PASS[/]" if passed else "[bold red]FAIL[/]"


def _bot(entry: dict[str, Any]) -> str:
    return "bare" if entry["engine"] is None else f"study, {ENGINES[entry['engine']]}"


def print_report(document: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    console.print(interactions_table(document))
    console.print(controls_table(document))
    console.print(processes_table(document))
    if document.get("charts"):
        console.print(charts_table(document))
    console.print(targets_table(document))
    print_notes(document, console)


def interactions_table(document: dict[str, Any]) -> Table:
    settings = document["settings"]
    table = Table(
        title=(
            f"Interactions: {settings['count']} per run after {settings['warmup']} warm-up; {settings['statistic']}; "
            "latency in ms, CPU in ms per interaction"
        ),
        title_justify="left",
    )
    columns = ("workload", "bot", "in flight", "per s", "p50", "p95", "p99", "fail", "bot CPU", "db CPU", "fake CPU")
    for column in (*columns, "p50 vs no-op", "per s vs no-op"):
        wide = column in ("workload", "bot")
        table.add_column(column, justify="left" if wide else "right", no_wrap=wide)
    for entry in document["interactions"].values():
        figures = entry["median"]
        baseline = entry is document["interactions"].get(document["baseline"])
        table.add_row(
            entry["label"],
            _bot(entry),
            str(entry["inflight"]),
            _f(figures["throughput_per_s"], 0),
            _f(figures["p50_ms"]),
            _f(figures["p95_ms"]),
            _f(figures["p99_ms"]),
            str(entry["failures"]),
            _f(figures["bot_cpu_ms_per_interaction"], 2),
            _f(figures["db_cpu_ms_per_interaction"], 2) if entry["engine"] == "postgresql" else "–",
            _f(figures["fake_cpu_ms_per_interaction"], 2),
            "1.00×" if baseline else _f(entry.get("p50_ratio"), 2, "×"),
            "1.00×" if baseline else _f(entry.get("throughput_ratio"), 2, "×"),
        )
    return table


def controls_table(document: dict[str, Any]) -> Table:
    """Each study-bot workload that has a control, per engine: p50, throughput and bot CPU as ratios to it."""
    interactions = document["interactions"]
    targets = {(t["key"], t["engine"]): t for t in document["targets"]}
    engines = document["settings"]["engines"]
    table = Table(
        title="The study bot against its controls (the bare bot doing the same Discord work with nothing behind it)",
        title_justify="left",
    )
    table.add_column("study bot vs control", justify="left", no_wrap=True)
    table.add_column("in flight", justify="right")
    table.add_column("target", justify="left", no_wrap=True)
    for engine in engines:
        for column in ("p50", "per s", "bot CPU", "result"):
            table.add_column(f"{ENGINES[engine]}\n{column}", justify="right")
    rows = {(e["workload"], e["inflight"]): e for e in interactions.values() if e.get("control")}
    for (workload, inflight), first in rows.items():
        control = interactions[first["control"]]["label"].removesuffix(" (control)")
        suffix = "" if workload == "topic" else f"@{inflight}"
        cells = [f"{first['label']} vs {control}", str(inflight), ""]
        for engine in engines:
            entry = interactions.get(case_key(workload, engine, inflight), {})
            rules = [targets.get((f"{workload}_{name}_vs_control{suffix}", engine)) for name in ("p50", "throughput")]
            known = [t for t in rules if t is not None]
            cells[2] = cells[2] or ", ".join(_rule(t) for t in known)
            cells += [
                _f(entry.get("p50_ratio_vs_control"), 2, "×"),
                _f(entry.get("throughput_ratio_vs_control"), 2, "×"),
                _f(entry.get("bot_cpu_ratio_vs_control"), 2, "×"),
                _verdict(all(t["pass"] for t in known)) if known else "",
            ]
        table.add_row(*cells)
    return table


def processes_table(document: dict[str, Any]) -> Table:
    settings, processes = document["settings"], document["processes"]
    targets = {t["key"]: t for t in document["targets"] if t["engine"] == "sqlite"}
    guilds = settings["guilds"]
    others = [key for key in processes if key not in ("bare", "study.sqlite")]
    table = Table(title=f"Processes: memory and start-up; {settings['statistic']}", title_justify="left")
    for column in ("figure", "bare bot", "study, SQLite", "study vs bare", "target"):
        table.add_column(column, justify="left" if column in ("figure", "target") else "right")
    for key in others:
        table.add_column(f"study, {ENGINES[key.split('.', 1)[1]]}", justify="right")
    rows = (
        ("resident memory after the first answer", "rss_mib", 1, " MiB", "memory"),
        (f"resident memory with {guilds:,} more servers", "rss_many_guilds_mib", 1, " MiB", None),
        ("memory per server", "per_guild_kib", 2, " KiB", "per_guild"),
        ("resident memory after the load runs", "rss_after_load_mib", 1, " MiB", None),
        ("start-up: spawn to first answer", "startup_s", 2, " s", "startup"),
        (f"start-up with {guilds:,} more servers", "startup_many_guilds_s", 2, " s", None),
    )
    bare, study = processes.get("bare", {}), processes.get("study.sqlite", {})
    for label, key, digits, unit, target_key in rows:
        ratio = verdict = ""
        target = targets.get(target_key or "")
        if target is not None:
            signed = target_key == "startup"  # the start-up target is a difference, the others ratios
            ratio = _f(target["measured"], 2, " s" if signed else "×", signed=signed)
            verdict = f"{_rule(target)} {_verdict(target['pass'])}"
        more = [_f(processes[other].get(key), digits, unit) for other in others]
        table.add_row(label, _f(bare.get(key), digits, unit), _f(study.get(key), digits, unit), ratio, verdict, *more)
    return table


def charts_table(document: dict[str, Any]) -> Table:
    """The stats chart, per study bot process: its latency and CPU, first and later, and the memory it adds."""
    charts = document["charts"]
    table = Table(
        title=(
            f"/ketamine stats with its chart, one at a time after the workloads; {document['settings']['statistic']}; "
            "the first imports matplotlib"
        ),
        title_justify="left",
    )
    table.add_column("figure", justify="left")
    for key in charts:
        table.add_column(f"study, {ENGINES[key.split('.', 1)[1]]}", justify="right")
    rows = (
        ("first chart: latency", "first_chart_ms", 0, " ms"),
        ("first chart: bot CPU", "first_chart_bot_cpu_ms", 0, " ms"),
        (f"later charts ({document['settings'].get('charts')} per run): p50 latency", "later_chart_p50_ms", 0, " ms"),
        ("later charts: bot CPU per chart", "later_chart_bot_cpu_ms", 0, " ms"),
        ("resident memory before the first chart", "rss_before_mib", 1, " MiB"),
        ("resident memory after the first chart", "rss_after_first_mib", 1, " MiB"),
        ("added by the first chart", "rss_added_by_first_mib", 1, " MiB"),
        ("resident memory after the later charts", "rss_after_later_mib", 1, " MiB"),
        ("PNG size", "png_kib", 0, " KiB"),
    )
    for label, key, digits, unit in rows:
        table.add_row(label, *(_f(entry["median"].get(key), digits, unit) for entry in charts.values()))
    table.add_row("rows (topics) on the chart", *(str(entry["topics"]) for entry in charts.values()))
    table.add_row("failures", *(str(entry["failures"]) for entry in charts.values()))
    return table


def targets_table(document: dict[str, Any]) -> Table:
    table = Table(title="Targets", title_justify="left")
    for column in ("target", "engine", "measured", "limit", "result"):
        table.add_column(column, justify="left" if column in ("target", "engine") else "right")
    for target in document["targets"]:
        digits = 0 if target["key"] == "failures" else 2
        table.add_row(
            target["what"],
            ENGINES.get(target["engine"] or "", "all"),
            _f(target["measured"], digits, target["unit"] if target["unit"] != "s" else " s"),
            _rule(target),
            _verdict(target["pass"]),
        )
    return table


def print_notes(document: dict[str, Any], console: Console) -> None:
    """Targets met per engine, a busy machine, what PostgreSQL was, and errors the bots logged."""
    counts: dict[str, list[bool]] = {}
    for target in document["targets"]:
        counts.setdefault(target["engine"] or "sqlite", []).append(target["pass"])
    console.print(
        "; ".join(
            f"{ENGINES[engine]}: {sum(passed)} of {len(passed)} targets met"
            + (" (the control targets)" if engine != "sqlite" else "")
            for engine, passed in counts.items()
        )
        + "."
    )
    postgresql = document["environment"].get("postgresql")
    if postgresql:
        console.print(f"PostgreSQL: {postgresql}", markup=False)
    busy = document["noise"]["max_other_cpu_share"]
    if busy is not None and busy > NOISY:
        console.print(
            f"[yellow]The machine was busy with other work during at least one run (up to {busy:.2f} CPU-seconds per "
            "second besides the bot, its database and the fake): figures are noisier than usual; run again on a "
            "quiet machine.[/]"
        )
    for bot, entry in (document.get("charts") or {}).items():
        examples = [line for run in entry["runs"] for line in run["examples"]]
        if entry["failures"]:
            console.print(f"[yellow]The {bot} bot's stats charts failed {entry['failures']} time(s):[/]")
            for line in examples[:5]:
                console.print(f"  {line}", markup=False, soft_wrap=True)
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
