"""Discord's documented message limits, answered the way Discord answers: 400, code 50035 "Invalid Form Body".

Each check yields ``(path, code, message)``; :func:`form_errors` nests them like Discord's ``errors`` object,
e.g. ``{"embeds": {"0": {"title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", ...}]}}}}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .payloads import JSON

Path = tuple[str | int, ...]
Problem = tuple[Path, str, str]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_CUSTOM_ID = 100
MAX_ACTION_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_SELECT_OPTIONS = 25
MAX_BUTTON_LABEL = 80
MAX_OPTION_TEXT = 100
MAX_PLACEHOLDER = 150
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_MODAL_TITLE = 45
MAX_MODAL_ROWS = 5
MAX_INPUT_LABEL = 45
MAX_INPUT_PLACEHOLDER = 100
MAX_INPUT_VALUE = 4000

COMPONENTS_V2_FLAG = 1 << 15
SELECT_TYPES = {3, 5, 6, 7, 8}


def _too_long(path: Path, limit: int) -> Problem:
    return path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."


def _check_len(path: Path, value: Any, limit: int) -> Iterator[Problem]:
    if isinstance(value, str) and len(value) > limit:
        yield _too_long(path, limit)


def embed_size(embed: JSON) -> int:
    """Characters Discord counts against the 6000 total: title, description, fields, footer, author."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def check_embeds(embeds: Sequence[JSON]) -> Iterator[Problem]:
    if len(embeds) > MAX_EMBEDS:
        yield _too_long(("embeds",), MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        base: Path = ("embeds", i)
        total += embed_size(embed)
        yield from _check_len((*base, "title"), embed.get("title"), MAX_TITLE)
        yield from _check_len((*base, "description"), embed.get("description"), MAX_DESCRIPTION)
        yield from _check_len((*base, "footer", "text"), (embed.get("footer") or {}).get("text"), MAX_FOOTER)
        yield from _check_len((*base, "author", "name"), (embed.get("author") or {}).get("name"), MAX_AUTHOR)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            yield _too_long((*base, "fields"), MAX_FIELDS)
        for j, field in enumerate(fields):
            for key, limit in (("name", MAX_FIELD_NAME), ("value", MAX_FIELD_VALUE)):
                value = field.get(key)
                if value is None or value == "":
                    yield (*base, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required"
                else:
                    yield from _check_len((*base, "fields", j, key), value, limit)
    if total > MAX_EMBED_TOTAL:
        yield ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"


def _check_select(base: Path, comp: JSON) -> Iterator[Problem]:
    yield from _check_len((*base, "placeholder"), comp.get("placeholder"), MAX_PLACEHOLDER)
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not options:
            yield (*base, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
        elif len(options) > MAX_SELECT_OPTIONS:
            yield _too_long((*base, "options"), MAX_SELECT_OPTIONS)
        for k, option in enumerate(options):
            for key in ("label", "value", "description"):
                yield from _check_len((*base, "options", k, key), option.get(key), MAX_OPTION_TEXT)
        max_values = comp.get("max_values", 1)
        if isinstance(max_values, int) and options and max_values > len(options):
            yield (
                (*base, "max_values"),
                "BASE_TYPE_MAX",
                f"int value should be less than or equal to {len(options)}.",
            )


def _check_component(base: Path, comp: JSON, seen: set[str]) -> Iterator[Problem]:
    custom_id = comp.get("custom_id")
    if isinstance(custom_id, str):
        yield from _check_len((*base, "custom_id"), custom_id, MAX_CUSTOM_ID)
        if custom_id in seen:
            yield (*base, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
        seen.add(custom_id)
    ctype = comp.get("type")
    if ctype == 2:
        yield from _check_len((*base, "label"), comp.get("label"), MAX_BUTTON_LABEL)
        is_link = comp.get("style") == 5
        is_premium = comp.get("style") == 6
        if is_link and not comp.get("url"):
            yield (*base, "url"), "BASE_TYPE_REQUIRED", "This field is required"
        if not is_link and not is_premium and not custom_id:
            yield (*base, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"
    elif ctype in SELECT_TYPES:
        yield from _check_select(base, comp)
    for key in ("components", "items"):
        children = comp.get(key)
        if isinstance(children, list):
            for i, child in enumerate(children):
                if isinstance(child, dict):
                    yield from _check_component((*base, key, i), child, seen)
    for key in ("accessory", "component"):
        child = comp.get(key)
        if isinstance(child, dict):
            yield from _check_component((*base, key), child, seen)


def check_components(components: Sequence[JSON], flags: int = 0) -> Iterator[Problem]:
    v2 = bool(flags & COMPONENTS_V2_FLAG)
    if not v2 and len(components) > MAX_ACTION_ROWS:
        yield _too_long(("components",), MAX_ACTION_ROWS)
    seen: set[str] = set()
    for i, comp in enumerate(components):
        base: Path = ("components", i)
        if not v2:
            if comp.get("type") != 1:
                yield (*base, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'
                continue
            children = comp.get("components") or []
            if not children:
                yield (*base, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
            if len(children) > MAX_ROW_BUTTONS:
                yield _too_long((*base, "components"), MAX_ROW_BUTTONS)
            if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
                yield (
                    (*base, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
        yield from _check_component(base, comp, seen)


def check_message(payload: JSON) -> list[Problem]:
    """All limit violations of a message create/edit payload (an empty list means Discord accepts it)."""
    problems: list[Problem] = []
    problems.extend(_check_len(("content",), payload.get("content"), MAX_CONTENT))
    embeds = payload.get("embeds")
    if isinstance(embeds, list):
        problems.extend(check_embeds(embeds))
    components = payload.get("components")
    if isinstance(components, list):
        problems.extend(check_components(components, int(payload.get("flags") or 0)))
    return problems


def check_autocomplete(data: JSON) -> list[Problem]:
    choices = data.get("choices") or []
    problems: list[Problem] = []
    if len(choices) > MAX_CHOICES:
        problems.append(_too_long(("data", "choices"), MAX_CHOICES))
    for i, choice in enumerate(choices):
        problems.extend(_check_len(("data", "choices", i, "name"), choice.get("name"), MAX_CHOICE_NAME))
        value = choice.get("value")
        problems.extend(_check_len(("data", "choices", i, "value"), value, MAX_CHOICE_NAME))
    return problems


def check_modal(data: JSON) -> list[Problem]:
    """A modal: a title and custom_id, 1 to 5 rows (an action row or a label) each holding one text input with a
    custom_id, a label of at most 45 characters, a style of 1 (short) or 2 (paragraph) and lengths from 0 to 4000."""
    problems: list[Problem] = []
    for key in ("title", "custom_id"):
        if not data.get(key):
            problems.append((("data", key), "BASE_TYPE_REQUIRED", "This field is required"))
    problems.extend(_check_len(("data", "title"), data.get("title"), MAX_MODAL_TITLE))
    problems.extend(_check_len(("data", "custom_id"), data.get("custom_id"), MAX_CUSTOM_ID))
    rows = data.get("components") or []
    if not 1 <= len(rows) <= MAX_MODAL_ROWS:
        problems.append((("data", "components"), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_MODAL_ROWS}."))
    for i, row in enumerate(rows):
        path: Path = ("data", "components", i)
        if row.get("type") == 1 and len(row.get("components") or []) == 1:
            problems.extend(_check_text_input((*path, "components", 0), row["components"][0], row_label=None))
        elif row.get("type") == 18 and isinstance(row.get("component"), dict):
            problems.extend(_check_len((*path, "label"), row.get("label"), MAX_INPUT_LABEL))
            problems.extend(_check_text_input((*path, "component"), row["component"], row_label=row.get("label")))
        else:
            problems.append(
                (path, "COMPONENT_LAYOUT_INVALID", "A modal row is an action row or a label with one input.")
            )
    return problems


def _check_text_input(path: Path, item: JSON, row_label: str | None) -> Iterator[Problem]:
    if item.get("type") != 4:
        yield path, "COMPONENT_TYPE_INVALID", "A modal holds text inputs here."
        return
    if not item.get("custom_id"):
        yield (*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"
    yield from _check_len((*path, "custom_id"), item.get("custom_id"), MAX_CUSTOM_ID)
    if row_label is None and not item.get("label"):
        yield (*path, "label"), "BASE_TYPE_REQUIRED", "This field is required"
    yield from _check_len((*path, "label"), item.get("label"), MAX_INPUT_LABEL)
    yield from _check_len((*path, "placeholder"), item.get("placeholder"), MAX_INPUT_PLACEHOLDER)
    if item.get("style") not in (1, 2):
        yield (*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2)."
    low, high = item.get("min_length", 0), item.get("max_length", MAX_INPUT_VALUE)
    if not (isinstance(low, int) and 0 <= low <= MAX_INPUT_VALUE):
        yield (*path, "min_length"), "NUMBER_TYPE_MAX", f"Must be between 0 and {MAX_INPUT_VALUE}."
    if not (isinstance(high, int) and 1 <= high <= MAX_INPUT_VALUE and high >= (low if isinstance(low, int) else 0)):
        yield (
            (*path, "max_length"),
            "NUMBER_TYPE_MAX",
            f"Must be between 1 and {MAX_INPUT_VALUE}, and min_length or more.",
        )


def form_errors(problems: Sequence[Problem]) -> JSON:
    """Nest problems into Discord's ``errors`` object."""
    root: JSON = {}
    for path, code, message in problems:
        node = root
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return root
