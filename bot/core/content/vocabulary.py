"""Words the search treats specially: words too common to search for, student wording mapped to the content's.

Kept as data, apart from the scoring code, so that a word can be added without touching how hits are ranked.
Every entry is lower case and a single word as the search tokeniser splits text (letters and digits only:
``half-life`` is the two words ``half`` and ``life``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

STOP_WORDS: Final = frozenset(
    {
        # articles, conjunctions, prepositions
        *("a", "an", "the", "and", "or", "nor", "but", "if", "then", "than", "so", "as", "of", "to", "in", "on"),
        *("at", "by", "for", "from", "with", "without", "into", "onto", "over", "under", "about", "after"),
        *("before", "during", "between", "through", "per", "via", "vs", "versus", "up", "down", "out", "off"),
        # auxiliary verbs
        *("is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done", "have"),
        *("has", "had", "having", "can", "could", "should", "would", "will", "shall", "may", "might", "must"),
        # pronouns and determiners
        *("i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his", "she", "her", "it", "its"),
        *("they", "them", "their", "this", "that", "these", "those", "there", "here"),
        *("much", "many", "any", "some", "more", "most", "very", "also", "just", "only", "not", "no", "yes"),
        # question words, and the requests around a question
        *("what", "which", "who", "whom", "whose", "when", "where", "why", "how", "whats"),
        *("please", "tell", "explain", "describe", "define", "definition", "mean", "means", "meaning", "show"),
        *("give", "get", "find", "know"),
    }
)
"""Function words and question words. A student types "what is the dose of ketamine"; only ``dose`` and
``ketamine`` say what to look for, and every section contains "the" or "is", so these would only add noise."""

SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # how students ask → how the content words it
        "dose": ("mg",),  # doses are written as mg/kg, mg/kg/h or mg/h
        "work": ("mechanism",),  # "how does ketamine work"
        "last": ("duration",),  # "how long does it last"
        "long": ("duration",),
        "bladder": ("uropathy", "cystitis", "urinary"),
        "kidney": ("renal", "hydronephrosis"),
        "damage": ("injury", "harm"),
        "heart": ("cardiac", "cardiovascular", "circulation"),
        "raise": ("rise", "increase"),  # "does ketamine raise blood pressure"
        "addiction": ("abuse", "misuse", "addicted"),
        "addictive": ("abuse", "misuse", "addicted"),
        "addict": ("abuse", "misuse"),
        "trip": ("dissociation", "dissociative", "hallucinations"),
        "hole": ("dissociation", "dissociative"),  # "k-hole"
        "pregnant": ("pregnancy",),
        "kids": ("children", "paediatric"),
        "intravenous": ("iv",),
        "intramuscular": ("im",),
        "nasal": ("intranasal",),
        "pill": ("oral", "tablets"),
        "lives": ("life",),  # "half-lives"
    }
)
"""Query word → content words that answer it. Looked up by stem (see ``search.stem``), so ``dosing`` and
``doses`` share ``dose``'s entry. A synonym counts a little less than the word itself (``SYNONYM_MATCH``)."""
