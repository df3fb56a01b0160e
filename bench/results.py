"""What the benchmark measured, the figures derived from it (medians, ratios) and the targets they are held to.

``summarise`` turns the raw runs into one JSON-ready document; the printed table is made from that document, so
the table and ``bench-results/latest.json`` always show the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.load import Outcome, median
from bench.targets import make_targets
from bench.workloads import case_key

KIB_PER_MIB = 1024
CONTROLS = {"topic": "static", "answer": "click"}
"""Study bot workload -> the bare bot's control doing the same Discord work with nothing behind it."""


@dataclass
class StartRun:
    """One process start: seconds from spawn to its first answered interaction, and memory at that moment."""

    startup: float
    rss_kib: int
    hwm_kib: int
    rss_after_load_kib: int | None = None
    log_problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseInfo:
    """One measured case: a workload, on the study bot's ``engine`` (None: the bare bot), at ``inflight``."""

    workload: str
    label: str
    bot: str
    engine: str | None
    inflight: int

    @property
    def key(self) -> str:
        return case_key(self.workload, self.engine, self.inflight)

    @property
    def process(self) -> str:
        """The results key of the process it runs in: ``bare``, ``study.sqlite``..."""
        return self.bot if self.engine is None else f"{self.bot}.{self.engine}"


@dataclass
class Results:
    settings: dict[str, Any]
    cases: list[CaseInfo]
    environment: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, list[Outcome]] = field(default_factory=dict)
    warmups: dict[str, list[Outcome]] = field(default_factory=dict)
    starts: dict[str, list[StartRun]] = field(default_factory=dict)
    many_guilds: dict[str, list[StartRun]] = field(default_factory=dict)
    charts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per study bot process key: each run's chart figures (``bench.charts.ChartRun.as_json``)."""

    def add_load(self, key: str, measured: Outcome, warmup: Outcome) -> None:
        self.measured.setdefault(key, []).append(measured)
        self.warmups.setdefault(key, []).append(warmup)

    def add_start(self, bot: str, run: StartRun) -> None:
        self.starts.setdefault(bot, []).append(run)

    def add_many_guilds(self, bot: str, run: StartRun) -> None:
        self.many_guilds.setdefault(bot, []).append(run)

    def add_charts(self, bot: str, run: dict[str, Any]) -> None:
        self.charts.setdefault(bot, []).append(run)


def _clean(value: float, digits: int = 4) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def _run_json(outcome: Outcome, warmup: Outcome) -> dict[str, Any]:
    return {
        "interactions": outcome.done,
        "wall_s": _clean(outcome.wall),
        "throughput_per_s": _clean(outcome.throughput, 1),
        "p50_ms": _clean(outcome.percentile(50) * 1000, 2),
        "p95_ms": _clean(outcome.percentile(95) * 1000, 2),
        "p99_ms": _clean(outcome.percentile(99) * 1000, 2),
        "max_ms": _clean(max(outcome.latencies, default=math.nan) * 1000, 2),
        "bot_cpu_ms_per_interaction": _clean(outcome.bot_cpu * 1000 / outcome.done if outcome.done else math.nan, 3),
        "db_cpu_ms_per_interaction": _clean(outcome.db_cpu * 1000 / outcome.done if outcome.done else math.nan, 3),
        "fake_cpu_ms_per_interaction": _clean(outcome.fake_cpu * 1000 / outcome.done if outcome.done else math.nan, 3),
        "other_cpu_share": _clean(outcome.other_cpu / outcome.wall if outcome.wall else math.nan, 3),
        "failures": outcome.failures,
        "timeouts": outcome.timeouts,
        "refused_callbacks": outcome.rejected,
        "wrong_replies": outcome.wrong,
        "other_http_errors": outcome.http_errors,
        "not_sent_time_limit": outcome.not_sent,
        "warmup_failures": warmup.failures,
        "examples": outcome.examples + warmup.examples,
    }


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return median([math.nan if r[key] is None else float(r[key]) for r in runs])


FIGURES = (
    "throughput_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "bot_cpu_ms_per_interaction",
    "db_cpu_ms_per_interaction",
    "fake_cpu_ms_per_interaction",
)


def summarise(results: Results) -> dict[str, Any]:
    interactions: dict[str, Any] = {}
    for info in results.cases:
        runs = [
            _run_json(m, w) for m, w in zip(results.measured.get(info.key, []), results.warmups[info.key], strict=True)
        ]
        interactions[info.key] = {
            "workload": info.workload,
            "label": info.label,
            "bot": info.bot,
            "engine": info.engine,
            "inflight": info.inflight,
            "median": {key: _clean(_median_of(runs, key), 3) for key in FIGURES},
            "failures": sum(r["failures"] + r["warmup_failures"] for r in runs),
            "runs": runs,
        }
    for entry in interactions.values():
        control_workload = CONTROLS.get(entry["workload"])
        if control_workload is None:
            continue
        control_key = case_key(control_workload, None, entry["inflight"])
        control = interactions.get(control_key, {}).get("median", {})
        if not control:
            continue
        entry["control"] = control_key
        for name, figure in _RATIOS.items():
            entry[f"{name}_ratio_vs_control"] = _ratio(entry["median"][figure], control.get(figure))
    noop_key = case_key("noop", None, int(results.settings["inflight"]))
    base = interactions.get(noop_key, {}).get("median", {})
    for key, entry in interactions.items():
        if key == noop_key or entry["inflight"] != int(results.settings["inflight"]):
            continue  # a ratio to the no-op only at the same number in flight
        entry["baseline"] = noop_key
        for name, figure in _RATIOS.items():
            entry[f"{name}_ratio"] = _ratio(entry["median"][figure], base.get(figure))

    guilds = int(results.settings["guilds"])
    processes = {bot: _process(results.starts[bot], results.many_guilds.get(bot, []), guilds) for bot in results.starts}

    shares = [
        r["other_cpu_share"] for e in interactions.values() for r in e["runs"] if r["other_cpu_share"] is not None
    ]
    noise = {
        "max_other_cpu_share": max(shares, default=None),
        "note": "CPU-seconds per second used by the rest of the machine during a workload run (1.0 = one core)",
    }
    targets = make_targets(interactions, processes, results.settings)
    charts = {bot: _charts(runs) for bot, runs in results.charts.items()}
    return {
        "environment": results.environment,
        "settings": results.settings | {"statistic": f"median of {results.settings['repeats']} run(s)"},
        "interactions": interactions,
        "processes": processes,
        "charts": charts,
        "baseline": noop_key,
        "noise": noise,
        "targets": [t.as_json() for t in targets],
        "targets_met": sum(t.passed for t in targets),
        "targets_total": len(targets),
    }


_RATIOS = {"p50": "p50_ms", "throughput": "throughput_per_s", "bot_cpu": "bot_cpu_ms_per_interaction"}
"""Ratio name -> the median figure it divides, for the ratios to the no-op and to the control."""


def _process(starts: list[StartRun], many: list[StartRun], guilds: int) -> dict[str, Any]:
    rss = median([s.rss_kib / KIB_PER_MIB for s in starts])
    rss_many = median([s.rss_kib / KIB_PER_MIB for s in many])
    return {
        "startup_s": _clean(median([s.startup for s in starts]), 3),
        "rss_mib": _clean(rss, 2),
        "peak_rss_mib": _clean(median([s.hwm_kib / KIB_PER_MIB for s in starts]), 2),
        "rss_after_load_mib": _clean(
            median([s.rss_after_load_kib / KIB_PER_MIB for s in starts if s.rss_after_load_kib is not None]), 2
        ),
        "rss_many_guilds_mib": _clean(rss_many, 2),
        "per_guild_kib": _clean((rss_many - rss) * KIB_PER_MIB / guilds, 3),
        "startup_many_guilds_s": _clean(median([s.startup for s in many]), 3),
        "runs": [
            {
                "startup_s": round(s.startup, 3),
                "rss_kib": s.rss_kib,
                "peak_rss_kib": s.hwm_kib,
                "rss_after_load_kib": s.rss_after_load_kib,
            }
            for s in starts
        ],
        "many_guilds_runs": [
            {"startup_s": round(s.startup, 3), "rss_kib": s.rss_kib, "peak_rss_kib": s.hwm_kib} for s in many
        ],
        "log_problems_load_runs": _distinct(line for s in starts for line in s.log_problems),
        "log_problems_memory_runs": _distinct(line for s in many for line in s.log_problems),
    }


CHART_FIGURES = (
    "first_chart_ms",
    "first_chart_bot_cpu_ms",
    "later_chart_p50_ms",
    "later_chart_bot_cpu_ms",
    "rss_before_mib",
    "rss_after_first_mib",
    "rss_added_by_first_mib",
    "rss_after_later_mib",
    "png_kib",
)


def _charts(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The stats chart in one kind of process: each figure's median over the runs, failures summed, every run."""
    return {
        "topics": runs[0]["topics"] if runs else None,
        "median": {key: _clean(_median_of(runs, key), 2) for key in CHART_FIGURES},
        "failures": sum(r["failures"] for r in runs),
        "runs": runs,
    }


def _distinct(lines: Iterable[str], limit: int = 10) -> list[str]:
    """Distinct log lines without their time stamps, at most ``limit``."""
    return list(dict.fromkeys(line[9:] if line[:2].isdigit() else line for line in lines))[:limit]


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return round(value / base, 3)
