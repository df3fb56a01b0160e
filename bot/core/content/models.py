"""Pydantic models for a content module.

A module is a folder under ``content/`` holding ``module.yaml``, ``sources.yaml`` and one YAML file per
topic under ``topics/``. Every model forbids unknown keys and bounds every text so that anything that
loads can be rendered inside Discord's limits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.core import limits

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
"""Ids and command names: lower case, digits and dashes, at most 31 characters (Discord allows 32)."""

SourceKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,39}$")]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    """Base for every content model: unknown keys are errors and objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SourceKind = Literal[
    "label", "legislation", "regulator", "guideline", "trial", "study", "case-report", "review", "textbook", "news"
]
"""What a source is. Students are examined on the primary documents, so the sources page lists those first."""

PRIMARY_KINDS: frozenset[str] = frozenset(
    {"label", "legislation", "regulator", "guideline", "trial", "study", "case-report"}
)
"""Kinds that are the original record of a fact: product labels, laws and regulators' notices, guidelines, and
the trials and studies themselves. Reviews, textbooks and news reports only pass facts on."""


class Source(Strict):
    """One citation. ``short`` is shown under summaries; ``citation`` in full by the sources command.

    ``doi`` and ``url`` let a reader find the document; a DOI is preferred because publishers' addresses move.
    """

    key: SourceKey
    short: Annotated[Text, StringConstraints(max_length=80)]
    citation: Annotated[Text, StringConstraints(max_length=900)]
    kind: SourceKind | None = None
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$", max_length=200)] | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=300)] | None = None

    @property
    def primary(self) -> bool:
        return self.kind in PRIMARY_KINDS

    @property
    def link(self) -> str | None:
        """Where to read the source: the DOI resolver when there is a DOI, otherwise the given address."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


class SourceList(Strict):
    """``sources.yaml``. Keys must be unique; the loader checks that and names the repeated entry."""

    sources: list[Source] = Field(min_length=1)


def cite(keys: list[str]) -> str:
    """The line that names a section's or fact's sources when rendered (kept here so limits can count it)."""
    return f"[{', '.join(keys)}]"


class Section(Strict):
    """A titled paragraph of a topic; rendered as one embed field whose value is the body and its sources."""

    title: Annotated[Text, StringConstraints(max_length=limits.FIELD_NAME - 20)]
    body: Annotated[Text, StringConstraints(max_length=limits.FIELD_VALUE - 24)]
    sources: list[SourceKey] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _fits_one_field(self) -> Section:
        rendered = len(self.body) + 1 + len(cite(self.sources))
        if rendered > limits.FIELD_VALUE:
            raise ValueError(
                f"body plus its source list is {rendered} characters; Discord allows {limits.FIELD_VALUE} per field"
            )
        return self


class KeyFact(Strict):
    text: Annotated[Text, StringConstraints(max_length=300)]
    sources: list[SourceKey] = Field(min_length=1, max_length=6)


class Topic(Strict):
    """One topic of a module. Topics sharing a ``command`` become one command with a choice of ``variant``."""

    id: Slug
    command: Slug
    variant: Slug | None = None
    order: int = Field(ge=0, le=1000)
    title: Annotated[Text, StringConstraints(max_length=200)]
    description: Annotated[Text, StringConstraints(max_length=90)]
    summary: Annotated[Text, StringConstraints(max_length=1500)]
    keywords: list[Annotated[Text, StringConstraints(max_length=60)]] = Field(default_factory=list, max_length=40)
    sections: list[Section] = Field(min_length=1, max_length=20)
    key_facts: list[KeyFact] = Field(min_length=1, max_length=12)

    def source_keys(self) -> list[str]:
        """Every source key the topic cites, in first-cited order, without repeats."""
        keys: list[str] = []
        cited: list[list[str]] = [s.sources for s in self.sections] + [k.sources for k in self.key_facts]
        for item in cited:
            for key in item:
                if key not in keys:
                    keys.append(key)
        return keys


EDUCATION_ONLY = "For education only, not medical advice"
"""The words every reply's footer carries, whatever else a module's disclaimer adds."""


class ModuleInfo(Strict):
    """``module.yaml``: what the module's command group is called and how it presents itself."""

    id: Slug
    name: Annotated[Text, StringConstraints(max_length=100)]
    description: Annotated[Text, StringConstraints(max_length=limits.COMMAND_DESCRIPTION)]
    color: int = Field(default=0x5865F2, ge=0, le=0xFFFFFF)
    variant_option: Slug = "kind"
    variant_all_label: Slug = "both"
    disclaimer: Annotated[Text, StringConstraints(max_length=200)] = EDUCATION_ONLY

    @field_validator("disclaimer")
    @classmethod
    def _keeps_education_only(cls, value: str) -> str:
        """A module may word its footer its own way, but every reply must still say it is not medical advice."""
        if EDUCATION_ONLY not in value:
            raise ValueError(f"the disclaimer must include {EDUCATION_ONLY!r}")
        return value

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in {"help", "admin"}:
            raise ValueError(f"{value!r} is reserved and cannot name a module")
        return value


class Choice(Strict):
    text: Annotated[Text, StringConstraints(max_length=200)]
    correct: bool = False


class Question(Strict):
    """One multiple-choice quiz question: 2 to 5 choices, exactly one of them correct."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
    topic: Slug
    difficulty: int = Field(ge=1, le=3)
    prompt: Annotated[Text, StringConstraints(max_length=500)]
    choices: list[Choice] = Field(min_length=2, max_length=5)
    explanation: Annotated[Text, StringConstraints(max_length=900)]
    source: SourceKey

    @model_validator(mode="after")
    def _exactly_one_correct(self) -> Question:
        correct = sum(1 for c in self.choices if c.correct)
        if correct != 1:
            raise ValueError(f"exactly one choice must be correct (found {correct})")
        texts = [c.text.casefold() for c in self.choices]
        if len(set(texts)) != len(texts):
            raise ValueError("two choices have the same text")
        return self

    @property
    def answer(self) -> int:
        """Index of the correct choice."""
        return next(i for i, c in enumerate(self.choices) if c.correct)


class QuestionBank(Strict):
    """``questions.yaml``: the module's quiz questions."""

    questions: list[Question] = Field(min_length=1)
