"""The suite's own rules, checked on its source so a new test cannot quietly break them:

- one way to run the bot: only tests/botkit/process.py starts ``python -m bot run`` or the bench's bare bot;
- the service graph comes from the production factory (``Services.create``), never built service by service;
- doubles are injected: no test reassigns a method (the tell-tale is a type-ignore for "method-assign");
- helpers live in helper modules: no module imports a test module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import PROJECT_ROOT

SOURCES = sorted([*(PROJECT_ROOT / "tests").rglob("*.py"), *(PROJECT_ROOT / "bench").rglob("*.py")])
BOT_PROCESS_HELPER = PROJECT_ROOT / "tests" / "botkit" / "process.py"
BOT_RUN = ["-m", "bot", "run"]
BARE_BOT_SCRIPT = "bare_bot.py"
HAND_BUILT = {
    "Services",
    "QuizService",
    "Router",
    "SettingsService",
    "StudyService",
    "DailyService",
    "PrivacyService",
    "ReviewService",
}
"""The bundle and what it wires; ``Services.create`` builds them all, so a test never calls these itself."""


def shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return []


def called_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def strings_in_order(node: ast.AST) -> list[str]:
    """The string constants an argument list, tuple or list holds, in order (``sys.executable, "-m", "bot"``)."""
    items = (
        [*node.args] if isinstance(node, ast.Call) else [*node.elts] if isinstance(node, ast.Tuple | ast.List) else []
    )
    return [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]


def test_the_rules_see_every_module() -> None:
    assert len(SOURCES) > 50 and BOT_PROCESS_HELPER in SOURCES and Path(__file__).resolve() in SOURCES


def test_no_module_imports_a_test_module() -> None:
    bad = [
        f"{shown(path)}:{getattr(node, 'lineno', '?')}"
        for path in SOURCES
        for node in ast.walk(tree(path))
        if any(
            name.startswith(("tests.", "bench.")) and any(part.startswith("test_") for part in name.split("."))
            for name in imported(node)
        )
    ]
    assert not bad, "move shared helpers into a helper module:\n" + "\n".join(bad)


def test_no_method_is_reassigned() -> None:
    marker = "type: ignore[" + "method-assign"  # split, so this file does not match itself
    bad = [shown(path) for path in SOURCES if marker in path.read_text(encoding="utf-8")]
    assert not bad, f"inject a test double instead of reassigning a method: {bad}"


def test_tests_build_the_service_graph_with_the_production_factory() -> None:
    bad = [
        f"{shown(path)}:{node.lineno} calls {called_name(node)}(...)"
        for path in SOURCES
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Call) and called_name(node) in HAND_BUILT
    ]
    assert not bad, "use Services.create (tests/servicekit.py):\n" + "\n".join(bad)


def test_only_the_helper_starts_a_bot_process() -> None:
    bad = []
    for path in SOURCES:
        if path in (BOT_PROCESS_HELPER, Path(__file__).resolve()):  # the helper, and this rule's own words
            continue
        for node in ast.walk(tree(path)):
            words = strings_in_order(node)
            starts_bot = any(words[i : i + 3] == BOT_RUN for i in range(len(words)))
            bare = (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(BARE_BOT_SCRIPT)
            )
            if starts_bot or bare:
                bad.append(f"{shown(path)}:{getattr(node, 'lineno', '?')}")
    assert not bad, f"start bots with tests/botkit/process.py (BotProcess): {bad}"
