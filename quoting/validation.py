"""Plain-language validation messages and their locations, shared by every input path."""

from __future__ import annotations

import re

import msgspec

from quoting.errors import FieldPath, Problem
from quoting.schemas._types import TEXT_PATTERN, text_problem

__all__ = ["plain_message", "problem_from_validation", "validation_path"]

_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time",
    "bool": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "empty",
}


def _type_words(spec: str) -> str:
    parts = [p.strip() for p in spec.split("|") if p.strip() != "null"]
    return " or ".join(_TYPE_WORDS.get(p, p) for p in parts) or "empty"


def plain_message(message: str, value: object) -> str:
    """Rewrite a msgspec validation message in plain English."""
    shown = f"'{value}'" if value is not None else "the value"
    if m := re.fullmatch(r"Expected `str` of length >= (\d+)", message):
        return "must not be empty" if m[1] == "1" else f"must be at least {m[1]} characters"
    if m := re.fullmatch(r"Expected `str` of length <= (\d+)", message):
        return f"is too long (at most {m[1]} characters)"
    if m := re.fullmatch(r"Expected `(?:int|float)` (>=|<=|>|<) (\S+)", message):
        words = {">=": "at least", "<=": "at most", ">": "above", "<": "below"}[m[1]]
        return f"{shown} is out of range (must be {words} {m[2]})"
    if message == f"Expected `str` matching regex {TEXT_PATTERN!r}":
        found = text_problem(value) if isinstance(value, str) else None
        return found or (
            "contains a control character (such as NUL, U+0001-U+001F, tab or a line break); "
            "remove it"
        )
    if re.fullmatch(r"Expected `str` matching regex .*", message):
        return f"{shown} is not in the expected format"
    if re.fullmatch(r"Invalid enum value .*", message):
        return f"{shown} is not one of the accepted values"
    if re.fullmatch(r"Invalid RFC3339 encoded date", message):
        return f"{shown} is not a date (use YYYY-MM-DD)"
    if m := re.fullmatch(r"Expected `([^`]*)`, got `([^`]*)`", message):
        return f"expected {_type_words(m[1])}, got {_type_words(m[2])}"
    return message


_PATH_PART = re.compile(r"\.(\w+)|\[(\d+)\]|\[\.\.\.\]")


def validation_path(where: str) -> FieldPath:
    """msgspec's path (``$.plans[0].covers[...]``, after the ``$``) as a tuple: field
    names and list indexes (the ``[...]`` of a dict key, which msgspec does not name, is
    left out)."""
    return tuple(name or int(index) for name, index in _PATH_PART.findall(where) if name or index)


def problem_from_validation(exc: msgspec.ValidationError, prefix: FieldPath = ()) -> Problem:
    """Turn msgspec's ``message - at `$.a.b[0]``` into a Problem at ``(*prefix, "a",
    "b", 0)``.

    Checks of one field made in ``__post_init__`` write their message as
    ``"field: message"``; the field then joins the path.
    """
    text = str(exc)
    message, sep, where = text.rpartition(" - at `$")
    if not sep:
        message, where = text, ""
    path = (*prefix, *validation_path(where.rstrip("`")))
    if m := re.fullmatch(r"(\w+): (.+)", message, flags=re.DOTALL):
        path, message = (*path, m[1]), m[2]
    return Problem(plain_message(message, None), path=path)
