"""The benchmark's arithmetic and its PostgreSQL server, without running a benchmark.

The figures in the README come from ``bench.results.summarise`` and ``bench.targets``: a ratio taken against the
wrong control (another engine's, or another number in flight) or a durable-write comparison made against a
PostgreSQL that never reaches the disk would make them say something else than they seem to.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import asyncpg
import pytest
from rich.console import Console

from bench.charts import ChartRun
from bench.load import Outcome
from bench.pg import postgres_for_bench
from bench.report import print_report
from bench.results import CaseInfo, Results, StartRun, summarise
from tests.helpers import without_postgres
from tests.postgres import PostgresMissing, PostgresServer, find_binaries

SETTINGS = {"count": 100, "warmup": 0, "inflight": 64, "click_inflight": [32, 64], "repeats": 1, "guilds": 10}


def _outcome(per_s: float, p50_ms: float, bot_cpu_ms: float = 0.5, count: int = 100) -> Outcome:
    wall = count / per_s
    return Outcome(planned=count, latencies=[p50_ms / 1000] * count, wall=wall, bot_cpu=bot_cpu_ms * count / 1000)


def _results(engines: tuple[str, ...], answer: Mapping[tuple[str, int], tuple[float, float]]) -> Results:
    """The bare bot at 3000/s (no-op) and 2000/s (controls); topic level with /static; ``answer`` per engine and
    number in flight: (per s, p50 ms)."""
    cases: list[tuple[CaseInfo, Outcome]] = [
        (CaseInfo("noop", "/noop", "bare", None, 64), _outcome(3000, 20)),
        (CaseInfo("static", "/static (control)", "bare", None, 64), _outcome(2000, 30)),
        (CaseInfo("click", "answer click (control)", "bare", None, 32), _outcome(2000, 15)),
        (CaseInfo("click", "answer click (control)", "bare", None, 64), _outcome(2000, 30)),
    ]
    for engine in engines:
        cases += [
            (CaseInfo("topic", "/ketamine mechanism", "study", engine, 64), _outcome(2000, 31)),
            (CaseInfo("search", "/ketamine search", "study", engine, 64), _outcome(2000, 32)),
        ]
        for inflight in (32, 64):
            per_s, p50 = answer[(engine, inflight)]
            cases.append((CaseInfo("answer", "quiz answer click", "study", engine, inflight), _outcome(per_s, p50)))
    results = Results(SETTINGS | {"engines": list(engines)}, [info for info, _ in cases])
    for info, outcome in cases:
        results.add_load(info.key, outcome, Outcome(planned=0))
    for process in ("bare", *(f"study.{e}" for e in engines)):
        results.add_start(process, StartRun(startup=0.5, rss_kib=50 * 1024, hwm_kib=50 * 1024))
        if process in ("bare", "study.sqlite"):
            results.add_many_guilds(process, StartRun(startup=0.6, rss_kib=51 * 1024, hwm_kib=51 * 1024))
    return results


def test_each_engine_is_held_to_the_control_at_the_same_number_in_flight() -> None:
    answer = {("sqlite", 32): (1500, 20), ("sqlite", 64): (1500, 40), ("postgresql", 32): (1000, 30)}
    answer[("postgresql", 64)] = (1400, 50)
    document = summarise(_results(("sqlite", "postgresql"), answer))
    interactions = document["interactions"]

    assert interactions["answer.sqlite@32"]["control"] == "click@32"
    assert interactions["answer.sqlite@32"]["p50_ratio_vs_control"] == pytest.approx(20 / 15, abs=0.001)
    assert interactions["answer.postgresql@64"]["throughput_ratio_vs_control"] == pytest.approx(0.7, abs=0.001)
    assert interactions["topic.postgresql@64"]["control"] == "static@64"
    assert "p50_ratio" not in interactions["answer.sqlite@32"], "no ratio to a no-op run at another number in flight"
    assert interactions["answer.sqlite@64"]["p50_ratio"] == pytest.approx(2.0)

    verdicts = {(t["key"], t["engine"]): t["pass"] for t in document["targets"]}
    assert verdicts[("topic_p50_vs_control", "sqlite")] and verdicts[("topic_throughput_vs_control", "postgresql")]
    assert verdicts[("answer_p50_vs_control@32", "sqlite")] and verdicts[("answer_throughput_vs_control@64", "sqlite")]
    assert not verdicts[("answer_p50_vs_control@32", "postgresql")], "30 ms against 15 ms is 2.0x"
    assert not verdicts[("answer_throughput_vs_control@32", "postgresql")], "1000/s against 2000/s is 0.5x"
    assert verdicts[("answer_throughput_vs_control@64", "postgresql")], "0.70x is at least 0.67x"
    assert ("answer_p50", "postgresql") not in verdicts, "the no-op targets are SQLite's"
    assert verdicts[("failures", None)] and verdicts[("per_guild", "sqlite")]

    shown = io.StringIO()
    print_report(document, Console(file=shown, width=200, color_system=None))
    assert "SQLite: " in shown.getvalue() and "PostgreSQL: " in shown.getvalue()


def test_without_postgresql_the_bench_says_why_and_measures_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_BIN", "/nonexistent")
    with postgres_for_bench() as server:
        assert isinstance(server, str) and server.startswith("PostgreSQL not measured: PG_BIN=/nonexistent")
    answer = {("sqlite", 32): (1500, 20), ("sqlite", 64): (1500, 40)}
    document = summarise(_results(("sqlite",), answer))
    assert {t["engine"] for t in document["targets"]} == {"sqlite", None}


async def test_the_benchmarks_server_writes_through_to_the_disk() -> None:
    """The bench compares acknowledged-after-commit answers with SQLite's synchronous=FULL: same durability."""
    try:
        server = PostgresServer(find_binaries(), durable=True)
    except PostgresMissing as exc:
        without_postgres(exc)
    try:
        server.start()
        conn = await asyncpg.connect(server.url("postgres"))
        try:
            settings = [await conn.fetchval(f"SHOW {name}") for name in ("fsync", "synchronous_commit")]
        finally:
            await conn.close()
    finally:
        server.stop()
    assert settings == ["on", "on"]


def test_the_stats_chart_figures_are_medians_over_the_runs_and_printed() -> None:
    results = _results(("sqlite",), {("sqlite", 32): (1500, 20), ("sqlite", 64): (1500, 40)})
    for first, later, before, after in ((1.2, [0.2, 0.3, 0.25], 70, 120), (0.8, [0.1, 0.2], 72, 118)):
        run = ChartRun(topics=8, first_s=first, later_s=later, rss_before_kib=before * 1024)
        run.rss_after_first_kib = run.rss_after_kib = after * 1024
        results.add_charts("study.sqlite", run.as_json())
    failed = ChartRun(topics=8, failures=1, examples=["chart 1: no callback in time"])
    results.add_charts("study.postgresql", failed.as_json())
    charts = summarise(results)["charts"]
    sqlite = charts["study.sqlite"]["median"]
    assert sqlite["first_chart_ms"] == 1000 and sqlite["later_chart_p50_ms"] == pytest.approx(200)
    assert sqlite["rss_added_by_first_mib"] == 48, "the median of 50 and 46 MiB"
    postgresql = charts["study.postgresql"]
    assert postgresql["failures"] == 1 and postgresql["median"]["first_chart_ms"] is None

    shown = io.StringIO()
    print_report(summarise(results), Console(file=shown, width=200, color_system=None))
    text = shown.getvalue()
    assert "added by the first chart" in text and "48.0 MiB" in text and "1,000 ms" in text
    assert "stats charts failed 1 time(s)" in text and "no callback in time" in text
