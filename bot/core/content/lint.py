"""Content lint: rules about *quality* that a module can break while still loading.

The loader refuses content the bot cannot show. These rules catch content it can show but should not: notes
meant for authors, sources nobody cites, quiz questions that repeat each other or give their answer away (by an
absolute word, by its position or by its length), and a quiz that is all easy or all hard for some topic.
``lint`` is pure (a loaded module in, problems out), so the test suite and ``python -m bot check`` apply the
same rules. Every problem names the file, the id of the item
(topic, source or question) and what is wrong, in the loader's one-line format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz, utils

from bot.core.content.library import ContentModule, ContentProblem
from bot.core.content.models import Question
from bot.core.words import plural

EDITORIAL = re.compile(
    r"needs?\s+(?:a\s+)?(?:source\s+)?check"
    r"|not\s+yet\s+(?:been\s+)?(?:confirmed|checked|verified|reviewed)"
    r"|to\s+be\s+(?:confirmed|checked|verified)"
    r"|\bunverified\b|citation\s+needed|\b(?:TODO|TBD|FIXME|XXX)\b"
    r"|\[[^\]]*\]"
    r"|\((?=[^)]*\b(?:check|confirm|verify|recalled|unsure)\b)[^)]*\)",
    re.IGNORECASE,
)
"""Notes an author leaves for the next author: "needs source check", "(not yet confirmed)", TODO, and any
bracketed aside. The bot adds every ``[source]`` list itself, so square brackets never belong in the text."""

NEAR_DUPLICATE = 85.0
"""rapidfuzz ``token_set_ratio`` (0 to 100) of two normalised prompts at or above which they are flagged.

Why this scorer: it compares the words two prompts share with the words each adds, so a prompt copied and
edited ("how common was sedation in esketamine trials?" / "... dissociative changes ...") scores high whatever
the word order or added clauses. Why 85, calibrated on two banks: in the 110-question bank the reviewer read
(November 2026), the two template duplicates it named, phys-13/psy-07 and use-05/risk-18, scored 89 and 86,
while distinct questions on one subject (emergence-reaction rate vs its prevention; US vs UK contraindications)
scored up to 84.7. In the rewritten 125-question bank no pair scores above 77, so 85 leaves room for new
questions that merely share a subject. String similarity cannot see two questions that test one fact in
different words; those remain a reviewer's job.
"""

ABSOLUTE = re.compile(
    r"\b(?:always|never|only|all|none|every|everyone|everything|nothing|completely|entirely|totally"
    r"|permanent|permanently|cannot|impossible|guaranteed|absolutely)\b",
    re.IGNORECASE,
)
"""Words that make a wrong choice easy to rule out without knowing the subject (test-wise students learn that
absolute claims are rarely right)."""

MAX_ABSOLUTE_IN_WRONG = 1
"""At most one absolute word among a question's wrong choices: one is realistic, two make it guessable."""

BALANCE_TOLERANCE = 0.25
"""How far the right answer's position may stray from an even share, per number of choices: each position
holds the right answer in N/k ± max(1, 25%·N/k) of the N questions with k choices. A student who always picks
the commonest position then gains at most a quarter over chance (31% instead of 25% with four choices), and a
single question added or moved cannot by itself break a bank that was balanced."""

MIN_QUESTIONS_PER_TOPIC = 12
"""Enough for a short quiz on one topic to draw different questions on each run."""

MIN_DIFFICULTY_SHARE = 0.25
"""Each difficulty (1 recall, 2 understanding, 3 application) is at least a quarter of every topic's questions,
so a quiz filtered by topic is neither all easy nor all hard."""

MAX_LONGEST_ANSWER_SHARE = 0.40
"""Per topic, the largest share of questions whose right answer may be the strictly longest choice.

Test-wise students learn that the right answer tends to be the longest, most qualified choice; when it is, they
score without knowing the subject. By chance the right answer is the strictly longest in about a quarter of
four-choice questions (a fifth with five choices), and a right answer is sometimes naturally longer because
it carries the qualifier that makes it right. Why 40%: a topic of 12 to 17 questions whose lengths owed nothing
to which choice is right would pass in five cases in six or more, so authors are not made to pad every choice to
one length; above it, "pick the longest" beats chance by more than half again, which makes it a strategy worth
using. Counted per topic because quizzes are drawn per topic. Length is the number of characters of the choice
text; a tie for longest is not counted, because it points at no single choice.
"""

LETTERS = "ABCDE"


def lint(module: ContentModule) -> list[ContentProblem]:
    """Every quality problem in one module, in a stable order (files, then items as they appear)."""
    problems = list(_editorial_notes(module))
    problems += _source_problems(module)
    if module.questions:
        problems += _question_problems(module)
    return problems


def _texts(module: ContentModule) -> Iterator[tuple[Path, str, str]]:
    """Every piece of text a user can see, as (file, id.field, text)."""
    info = module.path / "module.yaml"
    yield from ((info, field, getattr(module.info, field)) for field in ("name", "description", "disclaimer"))
    sources = module.path / "sources.yaml"
    for source in module.sources.values():
        yield sources, f"{source.key}.short", source.short
        yield sources, f"{source.key}.citation", source.citation
    for topic in module.topics:
        path = module.topic_paths.get(topic.id, module.path / "topics" / f"{topic.id}.yaml")
        for field in ("title", "description", "summary"):
            yield path, f"{topic.id}.{field}", getattr(topic, field)
        for index, keyword in enumerate(topic.keywords):
            yield path, f"{topic.id}.keywords.{index}", keyword
        for index, section in enumerate(topic.sections):
            yield path, f"{topic.id}.sections.{index}.title", section.title
            yield path, f"{topic.id}.sections.{index}.body", section.body
        for index, fact in enumerate(topic.key_facts):
            yield path, f"{topic.id}.key_facts.{index}", fact.text
    bank = module.path / "questions.yaml"
    for question in module.questions:
        yield bank, f"{question.id}.prompt", question.prompt
        for index, choice in enumerate(question.choices):
            yield bank, f"{question.id}.choices.{index}", choice.text
        yield bank, f"{question.id}.explanation", question.explanation


def _editorial_notes(module: ContentModule) -> Iterator[ContentProblem]:
    for path, where, text in _texts(module):
        found = EDITORIAL.search(text)
        if found:
            yield ContentProblem(path, where, f"editorial note shown to users: {found.group(0)!r}")


def _source_problems(module: ContentModule) -> Iterator[ContentProblem]:
    sources = module.path / "sources.yaml"
    cited: set[str] = set()
    for topic in module.topics:
        path = module.topic_paths.get(topic.id, module.path / "topics" / f"{topic.id}.yaml")
        for key in topic.source_keys():
            cited.add(key)
            if key not in module.sources:
                yield ContentProblem(path, topic.id, f"cites {key!r}, which is not in sources.yaml")
    for question in module.questions:
        cited.add(question.source)
        if question.source not in module.sources:
            path = module.path / "questions.yaml"
            yield ContentProblem(path, question.id, f"cites {question.source!r}, which is not in sources.yaml")
    for key, source in module.sources.items():
        if key not in cited:
            yield ContentProblem(sources, key, "cited by no topic and no question; cite it or remove it")
        if source.kind is None:
            yield ContentProblem(sources, key, "has no kind (label, trial, review, ...), so it cannot be ordered")


def _question_problems(module: ContentModule) -> list[ContentProblem]:
    bank = module.path / "questions.yaml"
    problems: list[ContentProblem] = []
    by_topic: dict[str, list[Question]] = {t.id: [] for t in module.topics}
    for question in module.questions:
        by_topic.setdefault(question.topic, []).append(question)
        words = [w for c in question.choices if not c.correct for w in ABSOLUTE.findall(c.text)]
        if len(words) > MAX_ABSOLUTE_IN_WRONG:
            listed = ", ".join(w.lower() for w in words)
            message = f"wrong choices use {len(words)} absolute words ({listed}); allow {MAX_ABSOLUTE_IN_WRONG}"
            problems.append(ContentProblem(bank, question.id, message))
    for topic_id, questions in by_topic.items():
        problems += (ContentProblem(bank, topic_id, m) for m in _spread(questions))
        problems += (ContentProblem(bank, topic_id, m) for m in _longest_answers(questions))
    problems += (ContentProblem(bank, where, m) for where, m in _near_duplicates(module.questions))
    problems += (ContentProblem(bank, where, m) for where, m in _position_balance(module.questions))
    return problems


def _spread(questions: list[Question]) -> Iterator[str]:
    if len(questions) < MIN_QUESTIONS_PER_TOPIC:
        yield f"has {plural(len(questions), 'question')}; a topic needs at least {MIN_QUESTIONS_PER_TOPIC}"
    counts = Counter(q.difficulty for q in questions)
    for level in (1, 2, 3):
        if questions and counts[level] < MIN_DIFFICULTY_SHARE * len(questions):
            share = f"{counts[level]} of {plural(len(questions), 'question')}"
            yield f"difficulty {level} is {share}; each level needs at least {MIN_DIFFICULTY_SHARE:.0%}"


def _right_answer_is_longest(question: Question) -> bool:
    """Whether the right answer is longer, in characters, than every wrong choice (a tie does not count)."""
    right = len(question.choices[question.answer].text)
    return all(right > len(c.text) for c in question.choices if not c.correct)


def _longest_answers(questions: list[Question]) -> Iterator[str]:
    longest = [q.id for q in questions if _right_answer_is_longest(q)]
    if questions and len(longest) > MAX_LONGEST_ANSWER_SHARE * len(questions):
        counted = f"{len(longest)} of {plural(len(questions), 'question')} ({len(longest) / len(questions):.0%}"
        yield (
            f"the right answer is strictly the longest choice in {counted}; allow {MAX_LONGEST_ANSWER_SHARE:.0%}); "
            f"shorten it or lengthen the wrong choices in: {', '.join(longest)}"
        )


def _near_duplicates(questions: Iterable[Question]) -> Iterator[tuple[str, str]]:
    prompts = [(q.id, utils.default_process(q.prompt)) for q in questions]
    for (first, a), (second, b) in combinations(prompts, 2):
        score = fuzz.token_set_ratio(a, b, score_cutoff=NEAR_DUPLICATE)
        if score:
            yield first, f"prompt is {score:.0f}% similar to {second}'s (limit {NEAR_DUPLICATE:.0f}%); merge or reword"


def _position_balance(questions: Iterable[Question]) -> Iterator[tuple[str, str]]:
    groups: dict[int, list[Question]] = {}
    for question in questions:
        groups.setdefault(len(question.choices), []).append(question)
    for size, group in sorted(groups.items()):
        expected = len(group) / size
        slack = max(1.0, BALANCE_TOLERANCE * expected)
        counts = Counter(q.answer for q in group)
        for position in range(size):
            if abs(counts[position] - expected) > slack:
                ids = [q.id for q in group if q.answer == position]
                listed = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "")
                yield (
                    f"{size}-choice questions",
                    f"the right answer is {LETTERS[position]} in {counts[position]} of {len(group)} "
                    f"(expected {expected:.1f} ± {slack:.1f}): {listed or 'none'}",
                )
