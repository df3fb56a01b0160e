"""The text rules under search: words, stems, abbreviations the content defines, snippets."""

from __future__ import annotations

import pytest

from bot.core.content.vocabulary import STOP_WORDS, SYNONYMS
from bot.core.content.wording import SNIPPET_CHARS, abbreviations, plain_text, snippet, stem, words


@pytest.mark.parametrize(
    "forms",
    [
        ("dose", "doses", "dosing", "dosage", "dosed"),
        ("tolerance", "tolerant"),
        ("metabolism", "metabolised", "metabolized", "metabolise"),
        ("discovery", "discovered"),
        ("seizure", "seizures"),
        ("therapy", "therapies"),
        ("reaction", "reactions"),
    ],
)
def test_forms_of_a_word_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(f) for f in forms}) == 1, {f: stem(f) for f in forms}


@pytest.mark.parametrize(("one", "other"), [("emergence", "emergency"), ("ketamine", "esketamine"), ("use", "us")])
def test_different_words_keep_different_stems(one: str, other: str) -> None:
    assert stem(one) != stem(other)


def test_words_drop_stop_words_and_single_letters_and_split_at_punctuation() -> None:
    assert words("What is the half-life of S-ketamine?") == ("half", "life", "ketamine")
    assert words("CYP3A4, mg/kg/h") == ("cyp3a4", "mg", "kg")
    assert {"what", "how", "is", "the", "of"} <= STOP_WORDS
    assert all(key == key.lower() and " " not in key for key in SYNONYMS)


def test_abbreviations_are_learnt_only_where_the_initials_spell_them() -> None:
    found = abbreviations(
        [
            "moderate only for complex regional pain syndrome (CRPS) and weak",
            "in the emergency department (ED). A guideline",
            "derived from phencyclidine (PCP)",
            "having back surgery (RCT)",
        ]
    )
    assert found == {"crps": ("complex", "regional", "pain", "syndrome"), "ed": ("emergency", "department")}


def test_plain_text_drops_markdown_and_bullets() -> None:
    assert plain_text("- **Oral:** about 20%.\n- `Sublingual`: 30%.") == "Oral: about 20%. Sublingual: 30%."


def test_a_snippet_is_cut_at_spaces_with_an_ellipsis_where_it_was_cut() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    middle = snippet(text, text.index("word50"))
    assert middle.startswith("…word") and middle.endswith("…") and "word50" in middle
    assert len(middle) <= SNIPPET_CHARS + 2
    core = middle.strip("…")
    assert f" {core} " in f" {text} ", "whole words only"
    assert snippet("short text", 0) == "short text"
    assert snippet(text, 0).startswith("word0 ") and not snippet(text, 0).startswith("…")
    end = snippet(text, text.index("word99"))
    assert end.endswith("word99") and end.startswith("…")
