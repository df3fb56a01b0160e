"""The shipped content loads, and every kind of broken file stops loading with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.content.library import ContentError, ContentLibrary
from tests.helpers import CONTENT, TOPIC_COMMANDS, add_second_module, copy_content


def test_shipped_content_loads_with_every_topic() -> None:
    library = ContentLibrary.load(CONTENT)
    module = library.modules["ketamine"]
    assert [c.name for c in module.commands] == TOPIC_COMMANDS
    effects = module.command("effects")
    assert effects is not None and effects.variants == ("physical", "psychological")
    for topic in module.topics:
        assert set(topic.source_keys()) <= set(module.sources), topic.id


def _problems(content: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        ContentLibrary.load(content)
    return [str(p) for p in caught.value.problems]


def _edit_topic(content: Path, name: str, change: dict[str, object]) -> Path:
    path = content / "ketamine" / "topics" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "topics" / "mechanism.yaml"
    path.write_text("id: mechanism\ntitle: [unclosed\n", encoding="utf-8")
    problems = _problems(content)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: line ")
    assert "invalid YAML" in problems[0]


def test_missing_field_is_named(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "topics" / "risks.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["summary"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _problems(content) == [f"{path}: summary: required field is missing"]


def test_unknown_source_key_is_named_with_its_place(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "topics" / "uses.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sections"][1]["sources"] = ["Nobody1999"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _problems(content) == [
        f"{path}: sections.1.sources.0: unknown source key 'Nobody1999'; add it to sources.yaml"
    ]


def test_too_long_text_says_the_limit(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = _edit_topic(content, "overview", {"title": "x" * 201})
    problems = _problems(content)
    assert problems == [f"{path}: title: String should have at most 200 characters"]


def test_section_that_would_overflow_a_discord_field_is_refused(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "topics" / "infusion.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sections"][0]["body"] = "y" * 1000
    data["sections"][0]["sources"] = ["Cohen2018", "Schwenk2018", "FDA-Ketalar"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (problem,) = _problems(content)
    assert problem.startswith(f"{path}: sections.0: ")
    assert "Discord allows 1024 per field" in problem


def test_duplicate_topic_id_is_refused(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    source = content / "ketamine" / "topics" / "risks.yaml"
    copy = content / "ketamine" / "topics" / "z-risks-copy.yaml"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert _problems(content) == [f"{copy}: id: duplicate topic id 'risks' (also in risks.yaml)"]


def test_unknown_field_and_duplicate_source_key(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = _edit_topic(content, "mechanism", {"colour": "red"})
    sources = content / "ketamine" / "sources.yaml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["sources"].append(dict(data["sources"][0]))
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = _problems(content)
    assert f"{path}: colour: unknown field (check its spelling)" in problems
    key = data["sources"][0]["key"]
    last = len(data["sources"]) - 1
    assert f"{sources}: sources.{last}.key: duplicate source key {key!r}" in problems


def test_every_problem_in_a_batch_is_reported(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    _edit_topic(content, "overview", {"order": -1})
    _edit_topic(content, "risks", {"command": "search"})
    problems = _problems(content)
    assert len(problems) == 2
    assert any("order: Input should be greater than or equal to 0" in p for p in problems)
    assert any("'search' is a built-in command" in p for p in problems)


def test_empty_and_missing_content_folders(tmp_path: Path) -> None:
    assert "content folder not found" in _problems(tmp_path / "nowhere")[0]
    (tmp_path / "empty").mkdir()
    assert "no content modules found" in _problems(tmp_path / "empty")[0]


def test_second_module_is_discovered_without_code(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    add_second_module(content)
    library = ContentLibrary.load(content)
    assert sorted(library.modules) == ["caffeine", "ketamine"]
    assert [c.name for c in library.modules["caffeine"].commands] == ["basics"]


def _edit_question(content: Path, index: int, change: dict[str, object]) -> Path:
    path = content / "ketamine" / "questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][index].update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_question_bank_is_big_enough() -> None:
    module = ContentLibrary.load(CONTENT).modules["ketamine"]
    assert len(module.questions) >= 60
    for topic in module.topics:
        assert sum(1 for q in module.questions if q.topic == topic.id) >= 5, topic.id
    assert {q.difficulty for q in module.questions} == {1, 2, 3}
    assert all(module.question(q.id) is q for q in module.questions)
    assert module.question("no-such-question") is None


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            {"choices": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]},
            "questions.3",
            "exactly one choice must be correct (found 2)",
        ),
        ({"choices": [{"text": "a"}, {"text": "b"}]}, "questions.3", "exactly one choice must be correct (found 0)"),
        ({"source": "Nobody1999"}, "questions.3.source", "unknown source key 'Nobody1999'; add it to sources.yaml"),
        ({"topic": "astrology"}, "questions.3.topic", "unknown topic 'astrology'"),
        ({"prompt": "p" * 501}, "questions.3.prompt", "String should have at most 500 characters"),
        ({"difficulty": 4}, "questions.3.difficulty", "Input should be less than or equal to 3"),
    ],
)
def test_broken_questions_are_named(tmp_path: Path, change: dict[str, object], where: str, message: str) -> None:
    content = copy_content(tmp_path)
    path = _edit_question(content, 3, change)
    assert _problems(content) == [f"{path}: {where}: {message}"]


def test_duplicate_question_id(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = data["questions"][0]["id"]
    path = _edit_question(content, 5, {"id": first})
    assert _problems(content) == [f"{path}: questions.5.id: duplicate question id {first!r}"]


def test_disclaimer_must_keep_the_education_only_words(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "ketamine" / "module.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["disclaimer"] == "For education only, not medical advice", "set explicitly in the shipped module"
    data["disclaimer"] = "Study notes"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _problems(content) == [
        f"{path}: disclaimer: the disclaimer must include 'For education only, not medical advice'"
    ]
