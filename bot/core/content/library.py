"""Load every content module under a folder, validate it, and answer questions about it.

Loading collects *every* problem before failing, and each problem is one line that names the file, the
field and what is wrong, so an author can fix a whole batch in one go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.core import limits
from bot.core.content.models import ModuleInfo, Question, QuestionBank, Source, SourceList, Topic

M = TypeVar("M", bound=BaseModel)

BUILTIN_COMMANDS = frozenset(
    {
        "topics",
        "search",
        "sources",
        "quiz",
        "leaderboard",
        "stats",
        "review",
        "settings",
        "studygroup",
        "privacy",
        "help",
    }
)
"""Subcommand names every module group has (or will have); a topic may not take one of them."""

MAX_SUBCOMMANDS = 25
"""Discord allows 25 options, so 25 subcommands, per command group."""


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong in one file."""

    path: Path
    where: str
    message: str

    def __str__(self) -> str:
        where = f": {self.where}" if self.where else ""
        return f"{self.path}{where}: {self.message}"


class ContentError(Exception):
    """Content failed validation. ``problems`` holds one entry per fault, each printable as one line."""

    def __init__(self, problems: Iterable[ContentProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class TopicCommand:
    """A subcommand derived from topics: one topic, or several topics picked by a ``variant`` choice."""

    name: str
    description: str
    topics: tuple[Topic, ...]
    order: int

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(t.variant for t in self.topics if t.variant is not None)

    def topics_for(self, variant: str | None, all_label: str) -> tuple[Topic, ...] | None:
        """The topics a variant selects; ``None`` when the variant is not one of this command's choices."""
        if not self.variants:
            return self.topics if variant in (None, "") else None
        if variant in (None, "", all_label):
            return self.topics
        chosen = tuple(t for t in self.topics if t.variant == variant)
        return chosen or None


@dataclass(frozen=True)
class ContentModule:
    info: ModuleInfo
    path: Path
    sources: Mapping[str, Source]
    topics: tuple[Topic, ...]
    commands: tuple[TopicCommand, ...] = field(default=())
    questions: tuple[Question, ...] = field(default=())
    topic_paths: Mapping[str, Path] = field(default_factory=dict)
    """The file each topic was read from, by topic id, so a later check (the content lint) can name it."""
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Values worked out from this module, which never changes once loaded (the renderer keeps pages here)."""

    @property
    def id(self) -> str:
        return self.info.id

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def command(self, name: str) -> TopicCommand | None:
        return next((c for c in self.commands if c.name == name), None)

    @property
    def question_topics(self) -> tuple[str, ...]:
        """The topics the module's questions are on, sorted: the choices of the quiz's and review's topic option."""
        return tuple(sorted({q.topic for q in self.questions}))

    def question(self, question_id: str) -> Question | None:
        """A question by id: looked up on every answer click, so the index is built once and kept."""
        by_id: dict[str, Question] | None = self.memo.get("questions-by-id")
        if by_id is None:
            by_id = self.memo["questions-by-id"] = {q.id: q for q in self.questions}
        return by_id.get(question_id)


@dataclass(frozen=True)
class ContentLibrary:
    modules: Mapping[str, ContentModule]
    root: Path

    def module(self, module_id: str) -> ContentModule | None:
        return self.modules.get(module_id)

    @classmethod
    def load(cls, root: Path) -> ContentLibrary:
        """Read and validate every module folder under ``root``; raise ContentError listing every problem."""
        problems: list[ContentProblem] = []
        if not root.is_dir():
            raise ContentError([ContentProblem(root, "", "content folder not found; set CONTENT_DIR")])
        modules: dict[str, ContentModule] = {}
        folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / "module.yaml").exists())
        if not folders:
            problems.append(
                ContentProblem(root, "", "no content modules found (a module is a folder with module.yaml)")
            )
        for folder in folders:
            module = _load_module(folder, problems)
            if module is None:
                continue
            if module.id in modules:
                problems.append(
                    ContentProblem(
                        folder / "module.yaml",
                        "id",
                        f"module id {module.id!r} is also used by {modules[module.id].path}",
                    )
                )
                continue
            modules[module.id] = module
        if problems:
            raise ContentError(problems)
        return cls(modules=modules, root=root)


_UNREADABLE = object()
"""What _read_yaml returns for a file it could not read, so it is not also reported as empty."""


def _read_yaml(path: Path, problems: list[ContentProblem]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(ContentProblem(path, "", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(ContentProblem(path, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(ContentProblem(path, where, f"invalid YAML: {reason}"))
    return _UNREADABLE


def _validate(model: type[M], data: Any, path: Path, problems: list[ContentProblem]) -> M | None:
    if data is _UNREADABLE:
        return None
    if data is None:
        problems.append(ContentProblem(path, "", "file is empty"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            # A key is whatever the file holds, line breaks included: show an odd one quoted, so each problem
            # stays one line.
            where = ".".join(str(p) if str(p).isprintable() else repr(str(p))[:80] for p in error["loc"])
            message = " ".join(error["msg"].removeprefix("Value error, ").split())
            if error["type"] == "extra_forbidden":
                message = "unknown field (check its spelling)"
            elif error["type"] == "missing":
                message = "required field is missing"
            problems.append(ContentProblem(path, where, message))
    return None


def _load_module(folder: Path, problems: list[ContentProblem]) -> ContentModule | None:
    before = len(problems)
    info = _validate(ModuleInfo, _read_yaml(folder / "module.yaml", problems), folder / "module.yaml", problems)
    source_list = _validate(
        SourceList, _read_yaml(folder / "sources.yaml", problems), folder / "sources.yaml", problems
    )
    topic_files = sorted((folder / "topics").glob("*.yaml"))
    if not topic_files:
        problems.append(ContentProblem(folder / "topics", "", "no topic files (*.yaml) found"))
    topics: list[tuple[Path, Topic]] = []
    for path in topic_files:
        topic = _validate(Topic, _read_yaml(path, problems), path, problems)
        if topic is not None:
            topics.append((path, topic))
    questions = _load_questions(folder / "questions.yaml", problems)
    if info is None or source_list is None:
        return None
    sources: dict[str, Source] = {}
    for index, source in enumerate(source_list.sources):
        if source.key in sources:
            where = f"sources.{index}.key"
            problems.append(ContentProblem(folder / "sources.yaml", where, f"duplicate source key {source.key!r}"))
        sources.setdefault(source.key, source)
    _check_topics(folder, info, topics, sources, problems)
    # A topic file that failed to load still counts by its file name, so its questions add no second error.
    known_topics = {t.id for _, t in topics} | {p.stem for p in topic_files}
    _check_questions(folder / "questions.yaml", questions, known_topics, sources, problems)
    if len(problems) > before:
        return None
    ordered = tuple(sorted((t for _, t in topics), key=lambda t: (t.order, t.id)))
    return ContentModule(
        info=info,
        path=folder,
        sources=sources,
        topics=ordered,
        commands=_build_commands(ordered),
        questions=tuple(questions),
        topic_paths={t.id: p for p, t in topics},
    )


def _load_questions(path: Path, problems: list[ContentProblem]) -> list[Question]:
    """The optional question bank; a module without ``questions.yaml`` simply has no quiz."""
    if not path.exists():
        return []
    bank = _validate(QuestionBank, _read_yaml(path, problems), path, problems)
    return [] if bank is None else list(bank.questions)


def _check_questions(
    path: Path,
    questions: list[Question],
    topic_ids: set[str],
    sources: Mapping[str, Source],
    problems: list[ContentProblem],
) -> None:
    seen: set[str] = set()
    for index, question in enumerate(questions):
        where = f"questions.{index}"
        if question.id in seen:
            problems.append(ContentProblem(path, f"{where}.id", f"duplicate question id {question.id!r}"))
        seen.add(question.id)
        if question.topic not in topic_ids:
            problems.append(ContentProblem(path, f"{where}.topic", f"unknown topic {question.topic!r}"))
        if question.source not in sources:
            problems.append(
                ContentProblem(
                    path, f"{where}.source", f"unknown source key {question.source!r}; add it to sources.yaml"
                )
            )


def _check_topics(
    folder: Path,
    info: ModuleInfo,
    topics: list[tuple[Path, Topic]],
    sources: Mapping[str, Source],
    problems: list[ContentProblem],
) -> None:
    seen_ids: dict[str, Path] = {}
    by_command: dict[str, list[tuple[Path, Topic]]] = {}
    for path, topic in topics:
        if topic.id in seen_ids:
            problems.append(
                ContentProblem(path, "id", f"duplicate topic id {topic.id!r} (also in {seen_ids[topic.id].name})")
            )
            continue
        seen_ids[topic.id] = path
        if topic.command in BUILTIN_COMMANDS:
            problems.append(
                ContentProblem(path, "command", f"{topic.command!r} is a built-in command; pick another name")
            )
        by_command.setdefault(topic.command, []).append((path, topic))
        for where, keys in _cited(topic):
            for index, key in enumerate(keys):
                if key not in sources:
                    problems.append(
                        ContentProblem(path, f"{where}.{index}", f"unknown source key {key!r}; add it to sources.yaml")
                    )
    for command, members in by_command.items():
        with_variant = [t for _, t in members if t.variant is not None]
        if len(members) > 1 and len(with_variant) != len(members):
            path = members[-1][0]
            files = ", ".join(p.name for p, _ in members)  # the file that changed may be any of them: name all
            problems.append(
                ContentProblem(
                    path, "variant", f"topics sharing command {command!r} must each have a variant ({files})"
                )
            )
        variants = [t.variant for t in with_variant]
        for path, topic in members:
            if topic.variant == info.variant_all_label:
                message = f"{topic.variant!r} is reserved for showing every variant (variant_all_label in module.yaml)"
                problems.append(ContentProblem(path, "variant", message))
            elif topic.variant is not None and variants.count(topic.variant) > 1:
                others = ", ".join(p.name for p, t in members if t.variant == topic.variant and p != path)
                message = f"duplicate variant {topic.variant!r} for {command!r} (also in {others})"
                problems.append(ContentProblem(path, "variant", message))
    if len(by_command) + len(BUILTIN_COMMANDS) > MAX_SUBCOMMANDS:
        allowed = MAX_SUBCOMMANDS - len(BUILTIN_COMMANDS)
        problems.append(
            ContentProblem(
                folder / "topics", "", f"{len(by_command)} topic commands; Discord allows {allowed} per module"
            )
        )
    longest = max((len(info.id) + len(t.command) * 2 + 1 for _, t in topics), default=0)
    if longest + 16 > limits.CUSTOM_ID:
        problems.append(ContentProblem(folder / "module.yaml", "id", "module and topic ids too long for button ids"))


def _cited(topic: Topic) -> list[tuple[str, list[str]]]:
    cited = [(f"sections.{i}.sources", s.sources) for i, s in enumerate(topic.sections)]
    cited += [(f"key_facts.{i}.sources", k.sources) for i, k in enumerate(topic.key_facts)]
    return cited


def _build_commands(topics: tuple[Topic, ...]) -> tuple[TopicCommand, ...]:
    grouped: dict[str, list[Topic]] = {}
    for topic in topics:
        grouped.setdefault(topic.command, []).append(topic)
    commands = []
    for name, members in grouped.items():
        first = members[0]
        description = first.description if len(members) == 1 else _joined_description(name, members)
        commands.append(TopicCommand(name=name, description=description, topics=tuple(members), order=first.order))
    return tuple(sorted(commands, key=lambda c: c.order))


def _joined_description(name: str, members: list[Topic]) -> str:
    choices = ", ".join(t.variant or t.id for t in members)
    return f"{name.capitalize()}: {choices}, or all of them"[: limits.COMMAND_DESCRIPTION]
