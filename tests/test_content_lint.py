"""The content lint: the shipped module passes it, and each rule fails with the file, the id and the problem."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import admin
from bot.core.content.library import ContentLibrary, ContentModule
from bot.core.content.lint import MAX_LONGEST_ANSWER_SHARE, MIN_QUESTIONS_PER_TOPIC, lint
from tests.helpers import CONTENT, copy_content, make_settings

SHIPPED = ContentLibrary.load(CONTENT).modules["ketamine"]


def test_shipped_content_passes_the_lint() -> None:
    problems = [str(p) for p in lint(SHIPPED)]
    assert problems == [], "\n".join(problems)


def test_shipped_bank_is_big_and_every_source_is_classified() -> None:
    assert len(SHIPPED.questions) >= 120
    assert all(sum(q.topic == t.id for q in SHIPPED.questions) >= MIN_QUESTIONS_PER_TOPIC for t in SHIPPED.topics)
    assert all(s.kind is not None for s in SHIPPED.sources.values())


def _linted(tmp_path: Path, name: str, edit: Callable[[Any], None]) -> tuple[Path, list[str]]:
    """Lint a copy of the shipped module after ``edit`` changes one of its YAML files in place."""
    content = copy_content(tmp_path)
    path = content / "ketamine" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    module = ContentLibrary.load(content).modules["ketamine"]
    return path, [str(p) for p in lint(module)]


def _questions(data: Any) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = data["questions"]
    return questions


def test_editorial_note_in_a_topic_is_named(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["sections"][1]["body"] += " (Onset rates: needs source check.)"

    path, problems = _linted(tmp_path, "topics/mechanism.yaml", edit)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: mechanism.sections.1.body: editorial note shown to users")


@pytest.mark.parametrize("note", ["[not yet confirmed]", "(recalled, check the label)", "TODO add pages"])
def test_editorial_notes_in_sources_and_questions_are_named(tmp_path: Path, note: str) -> None:
    def edit(data: Any) -> None:
        data["sources"][0]["citation"] += f" {note}"

    path, problems = _linted(tmp_path, "sources.yaml", edit)
    key = SHIPPED.sources[next(iter(SHIPPED.sources))].key
    assert len(problems) == 1 and problems[0].startswith(f"{path}: {key}.citation: editorial note shown to users")

    def edit_question(data: Any) -> None:
        _questions(data)[2]["explanation"] += f" {note}"

    path, problems = _linted(tmp_path / "q", "questions.yaml", edit_question)
    assert len(problems) == 1 and problems[0].startswith(f"{path}: {SHIPPED.questions[2].id}.explanation: editorial")


def test_uncited_and_unclassified_sources_are_named(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["sources"].append({"key": "Nobody2020", "short": "Nobody 2020", "citation": "Nobody. A paper. 2020."})

    path, problems = _linted(tmp_path, "sources.yaml", edit)
    assert problems == [
        f"{path}: Nobody2020: cited by no topic and no question; cite it or remove it",
        f"{path}: Nobody2020: has no kind (label, trial, review, ...), so it cannot be ordered",
    ]


def test_a_source_key_that_does_not_resolve_is_named() -> None:
    """The loader refuses unknown keys in files; the lint repeats the check for modules built another way."""
    first = SHIPPED.questions[0]
    sources = {k: v for k, v in SHIPPED.sources.items() if k != first.source}
    module = dataclasses.replace(SHIPPED, sources=sources)
    problems = [str(p) for p in lint(module)]
    bank = SHIPPED.path / "questions.yaml"
    assert f"{bank}: {first.id}: cites {first.source!r}, which is not in sources.yaml" in problems


def test_near_duplicate_prompts_are_flagged(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        questions = _questions(data)
        questions[1]["prompt"] = questions[0]["prompt"].replace("which", "what")

    path, problems = _linted(tmp_path, "questions.yaml", edit)
    first, second = SHIPPED.questions[0].id, SHIPPED.questions[1].id
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {first}: prompt is ") and f"similar to {second}'s" in problems[0]


def test_absolute_words_in_wrong_choices_are_flagged(tmp_path: Path) -> None:
    target = next(q for q in SHIPPED.questions if len(q.choices) == 4)

    def edit(data: Any) -> None:
        question = next(q for q in _questions(data) if q["id"] == target.id)
        wrong = [c for c in question["choices"] if not c.get("correct")]
        wrong[0]["text"] = "It never works in adults"
        wrong[1]["text"] = "It always works in children"

    path, problems = _linted(tmp_path, "questions.yaml", edit)
    assert problems == [f"{path}: {target.id}: wrong choices use 2 absolute words (never, always); allow 1"]


def test_right_answer_always_in_one_place_is_flagged(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        for question in _questions(data):
            question["choices"].sort(key=lambda c: not c.get("correct", False))

    path, problems = _linted(tmp_path, "questions.yaml", edit)
    four = [p for p in problems if "4-choice questions" in p]
    assert four and four[0].startswith(f"{path}: 4-choice questions: the right answer is A in ")
    assert any("the right answer is B in 0 of" in p for p in four)


@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-limit", "one-over"])
def test_right_answer_longest_too_often_in_a_topic_is_flagged(tmp_path: Path, extra: int) -> None:
    """Infusion's choices become equal-length placeholders (a tie, which points at nothing); then the right
    answer is made the longest in as many questions as the limit allows, or one more."""
    infusion = [q.id for q in SHIPPED.questions if q.topic == "infusion"]
    longest = infusion[: int(MAX_LONGEST_ANSWER_SHARE * len(infusion)) + extra]

    def edit(data: Any) -> None:
        for question in _questions(data):
            if question["topic"] != "infusion":
                continue
            for index, choice in enumerate(question["choices"]):
                choice["text"] = f"Choice {index} of {question['id']}"
                if choice.get("correct") and question["id"] in longest:
                    choice["text"] += ", at length"

    path, problems = _linted(tmp_path, "questions.yaml", edit)
    if not extra:
        assert problems == []
        return
    share = f"{len(longest) / len(infusion):.0%}"
    assert problems == [
        f"{path}: infusion: the right answer is strictly the longest choice in {len(longest)} of {len(infusion)} "
        f"questions ({share}; allow 40%); shorten it or lengthen the wrong choices in: {', '.join(longest)}"
    ]


def test_difficulty_spread_and_size_per_topic_are_checked(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        questions = _questions(data)
        for question in questions:
            if question["topic"] == "overview":
                question["difficulty"] = 1
        infusion = [q for q in questions if q["topic"] == "infusion"]
        for question in infusion[MIN_QUESTIONS_PER_TOPIC - 1 :]:
            questions.remove(question)

    path, problems = _linted(tmp_path, "questions.yaml", edit)
    assert f"{path}: overview: difficulty 2 is 0 of 15 questions; each level needs at least 25%" in problems
    assert f"{path}: infusion: has {MIN_QUESTIONS_PER_TOPIC - 1} questions; a topic needs at least 12" in problems


def test_check_command_reports_lint_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "topics" / "risks.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Evidence caveats", "Evidence caveats (TBD)"))
    assert admin.check(make_settings(tmp_path, content_dir=content)) == 1
    err = capsys.readouterr().err
    assert "Content lint found 1 problem:" in err and f"{path}: risks.sections." in err
    assert admin.check(make_settings(tmp_path, content_dir=CONTENT)) == 0


def test_a_module_without_questions_needs_no_question_rules() -> None:
    module: ContentModule = dataclasses.replace(SHIPPED, questions=())
    problems = [str(p) for p in lint(module)]
    assert not [p for p in problems if "questions.yaml" in p], problems
