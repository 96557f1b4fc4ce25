"""Plain-language validation messages and their locations, shared by every input path."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TypeVar

import msgspec

from quoting.errors import FieldPath, Problem, ProblemValueError, RequestError
from quoting.schemas._types import TEXT_PATTERN, text_problem

__all__ = [
    "decode_body",
    "plain_message",
    "plain_problem",
    "problem_from_validation",
    "validation_path",
]

T = TypeVar("T")

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


def plain_problem(message: str, value: object) -> Problem:
    """A msgspec validation message as a coded problem in plain English (not yet placed);
    a message no rule knows keeps msgspec's text, without a code."""
    shown = f"'{value}'" if value is not None else "the value"
    if m := re.fullmatch(r"Expected `str` of length >= (\d+)", message):
        return Problem.of("text.empty") if m[1] == "1" else Problem.of("text.too_short", min=m[1])
    if m := re.fullmatch(r"Expected `str` of length <= (\d+)", message):
        return Problem.of("text.too_long", max=m[1])
    if m := re.fullmatch(r"Expected `(?:int|float)` (>=|<=|>|<) (\S+)", message):
        code = {">=": "at_least", "<=": "at_most", ">": "above", "<": "below"}[m[1]]
        return Problem.of(f"number.{code}", value=shown, bound=m[2])
    if message == f"Expected `str` matching regex {TEXT_PATTERN!r}":
        found = text_problem(value) if isinstance(value, str) else None
        return found or Problem.of("text.control_characters")
    if re.fullmatch(r"Expected `str` matching regex .*", message):
        return Problem.of("value.format", value=shown)
    if re.fullmatch(r"Invalid enum value .*", message):
        return Problem.of("value.not_accepted", value=shown)
    if re.fullmatch(r"Invalid RFC3339 encoded date", message):
        return Problem.of("date.invalid", value=shown)
    if m := re.fullmatch(r"Expected `array` of length (>=|<=) (\d+)", message):
        if m[1] == ">=":
            return Problem.of("list.too_short", min=m[2])
        return Problem.of("list.too_long", max=m[2])
    if message == "Invalid decimal string":
        return Problem.of("number.invalid_decimal")
    if m := re.fullmatch(r"Expected `([^`]*)`, got `([^`]*)`", message):
        return Problem.of("value.type", expected=_type_words(m[1]), got=_type_words(m[2]))
    return Problem(message)


def plain_message(message: str, value: object) -> str:
    """Rewrite a msgspec validation message in plain English (:func:`plain_problem`)."""
    return plain_problem(message, value).message


_PATH_PART = re.compile(r"\.(\w+)|\[(\d+)\]|\[\.\.\.\]")


def validation_path(where: str) -> FieldPath:
    """msgspec's path (``$.plans[0].covers[...]``, after the ``$``) as a tuple: field
    names and list indexes (the ``[...]`` of a dict key, which msgspec does not name, is
    left out)."""
    return tuple(name or int(index) for name, index in _PATH_PART.findall(where) if name or index)


def problem_from_validation(exc: msgspec.ValidationError, prefix: FieldPath = ()) -> Problem:
    """Turn msgspec's ``message - at `$.a.b[0]``` into a Problem at ``(*prefix, "a",
    "b", 0)``.

    Checks made in ``__post_init__`` raise :class:`ProblemValueError`, which msgspec
    chains as the cause: its problem (code and parameters) is kept and its field joins the
    path. Other ``"field: message"`` texts are read as before.
    """
    text = str(exc)
    message, sep, where = text.rpartition(" - at `$")
    if not sep:
        message, where = text, ""
    path = (*prefix, *validation_path(where.rstrip("`")))
    cause = exc.__cause__
    if isinstance(cause, ProblemValueError):  # a check of ours: its problem, as made
        field = (cause.field,) if cause.field else ()
        return replace(cause.problem, path=(*path, *field))
    if m := re.fullmatch(r"(\w+): (.+)", message, flags=re.DOTALL):
        path, message = (*path, m[1]), m[2]
    return replace(plain_problem(message, None), path=path)


def decode_body(raw: bytes, kind: type[T]) -> T:
    """A JSON request body decoded as ``kind``; :class:`RequestError` with the problem at
    its field's path, or saying that the body is not JSON."""
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise RequestError(problem_from_validation(exc)) from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise RequestError(Problem.of("request.invalid_json", detail=str(exc))) from None
