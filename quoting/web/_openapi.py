"""What Litestar's ``ResponseSpec`` cannot say in the OpenAPI document, said by an
``Operation`` subclass that every route of the broker API uses.

``ResponseSpec`` has one media type, no ``format: binary`` and no response headers, and a
spec for the success status replaces the generated success response (headers included).
:func:`operation` makes the operation class of a route that completes its responses:

- every media type that is neither JSON nor text is ``type: string, format: binary``;
- a ``429`` names ``Retry-After`` (seconds);
- ``headers`` adds response headers per status (``Location``, ``Idempotent-Replayed``, …);
- ``content`` adds further media types per status (a document is PDF or HTML).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, cast

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import HeaderParameter

from quoting.web._examples import resolve_examples
from quoting.web._problems import _TITLES, _TYPES, PROBLEM_MEDIA_TYPE, ProblemDetails

#: The optional ``Idempotency-Key`` header of the POSTs that create something (a quote,
#: an endorsement, a cancellation): the same key with the same body replays the answer.
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=1,
        max_length=255,
        description="Any unique string (e.g. a UUID) identifying this request.",
    ),
]

__all__ = [
    "ApiOperation",
    "binary",
    "content_disposition",
    "header",
    "json_body",
    "json_or_census_file",
    "operation",
    "problem",
    "text",
]


def problem(
    status: int,
    description: str,
    detail: str,
    *,
    instance: str = "/api/v1/quotes",
    kind: str | None = None,
    title: str | None = None,
    example: dict[str, Any] | None = None,
) -> ResponseSpec:
    """A problem response (RFC 9457) of ``status``, with an example of its own kind."""
    value = example or {
        "type": f"/problems/{kind or _TYPES.get(status, 'error')}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    return ResponseSpec(
        data_container=ProblemDetails,
        description=description,
        media_type=PROBLEM_MEDIA_TYPE,
        examples=[Example(summary=str(value["title"]), value=value)],
        generate_examples=False,
    )


def binary(description: str | None = None) -> Schema:
    """The schema of a binary body (PDF, XLSX)."""
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description=description)


def text(description: str | None = None) -> Schema:
    """The schema of a text body (CSV, HTML)."""
    return Schema(type=OpenAPIType.STRING, description=description)


def header(description: str, *, required: bool = True, **schema: Any) -> OpenAPIHeader:
    """A documented response header whose value is a string (or what ``schema`` says)."""
    return OpenAPIHeader(
        description=description,
        required=required,
        schema=Schema(**{"type": OpenAPIType.STRING, **schema}),
    )


def content_disposition(kind: str) -> dict[str, OpenAPIHeader]:
    """The ``Content-Disposition`` of a download (``attachment`` or ``inline``)."""
    return {
        "Content-Disposition": header(
            f"{kind}, with the file name to save it under.",
            examples=[f'{kind.split(" ")[0]}; filename="q_2f1c9a7e5b3d4c6a8e0f1a2b-members.csv"'],
        )
    }


RETRY_AFTER = header(
    "Seconds to wait before the next request with this API key.",
    type=OpenAPIType.INTEGER,
    minimum=1,
)


def _is_text(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type == "application/json"
        or media_type.endswith("+json")
    )


@dataclass
class ApiOperation(Operation):
    """An operation whose responses are completed as the module docstring says."""

    extra_headers: ClassVar[dict[str, dict[str, OpenAPIHeader]]] = {}
    extra_content: ClassVar[dict[str, dict[str, Schema]]] = {}

    def __post_init__(self) -> None:
        for status, response in (self.responses or {}).items():
            if not isinstance(response, OpenAPIResponse):
                continue
            content = dict(response.content or {})
            resolve_examples(content)
            for media_type, media in content.items():
                if not _is_text(media_type) and isinstance(media.schema, Schema):
                    media.schema = binary(media.schema.description)
            for media_type, schema in self.extra_content.get(status, {}).items():
                content[media_type] = OpenAPIMediaType(schema=schema)
            response.content = content or None
            headers = dict(response.headers or {})
            if status == "429":
                headers["Retry-After"] = RETRY_AFTER
            headers.update(self.extra_headers.get(status, {}))
            response.headers = headers or None


def json_body(description: str, *, schema: str, example: tuple[str, str, Any]) -> RequestBody:
    """A JSON body a handler reads itself (so that its problems are ``422`` with
    pointers): the ``schema`` component, with one ``example`` (name, summary, value)."""
    name, summary, value = example
    return RequestBody(
        required=True,
        description=description,
        content={
            "application/json": OpenAPIMediaType(
                schema=Reference(ref=f"#/components/schemas/{schema}"),
                examples={name: Example(summary=summary, value=value)},
            )
        },
    )


def json_or_census_file(
    description: str,
    *,
    schema: str,
    example: tuple[str, str, Any],
    without: str,
    census: str,
) -> RequestBody:
    """A body a handler reads itself: the ``schema`` component as JSON (with one
    ``example``: name, summary, value), or multipart/form-data with a ``request`` part (the
    same JSON ``without`` one field) and a ``census`` file."""
    name, summary, value = example
    return RequestBody(
        required=True,
        description=description,
        content={
            "application/json": OpenAPIMediaType(
                schema=Reference(ref=f"#/components/schemas/{schema}"),
                examples={name: Example(summary=summary, value=value)},
            ),
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    required=["request", "census"],
                    properties={
                        "request": Schema(
                            type=OpenAPIType.STRING,
                            description=f"{schema} JSON without {without}",
                        ),
                        "census": binary(census),
                    },
                )
            ),
        },
    )


def operation(
    name: str,
    *,
    headers: dict[int, dict[str, OpenAPIHeader]] | None = None,
    content: dict[int, dict[str, Schema]] | None = None,
    base: type[ApiOperation] = ApiOperation,
) -> type[ApiOperation]:
    """An :class:`ApiOperation` subclass adding ``headers`` and ``content`` by status."""
    attributes = {
        "extra_headers": {str(k): v for k, v in (headers or {}).items()},
        "extra_content": {str(k): v for k, v in (content or {}).items()},
    }
    return cast("type[ApiOperation]", type(name, (base,), attributes))
