"""The document fonts, for HTML documents shown in a browser: ``GET /documents/fonts/{name}``.

Public (they are OFL fonts, no personal data), so no key is needed and a browser or proxy
may keep them: each published name carries a hash of the file's content, so a response
never changes and is ``immutable`` for a year. Only the shipped fonts answer, by exact
name; anything else is 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import File

from quoting.services import documents
from quoting.web._openapi import header, operation, problem
from quoting.web._quotes import ERRORS

__all__ = ["FONTS_PATH", "document_font", "fonts_url"]

FONTS_PATH = "/documents/fonts"
_IMMUTABLE = "public, max-age=31536000, immutable"
_FontOperation = operation(
    "_FontOperation",
    headers={
        200: {
            "Cache-Control": header(
                "Cacheable for a year: the name changes with the file.", examples=[_IMMUTABLE]
            ),
            "ETag": header("The content hash in the name.", examples=['"1a2b3c4d5e6f"']),
        }
    },
)


def fonts_url(request: Request[Any, Any, Any]) -> str:
    """Where this server publishes the fonts, as an absolute URL (an HTML document saved to
    disk still finds them)."""
    return str(request.base_url).rstrip("/") + FONTS_PATH


@get(
    FONTS_PATH + "/{name:str}",
    operation_id="getDocumentFont",
    operation_class=_FontOperation,
    tags=["Policies"],
    summary="A font the HTML documents use (public, cacheable)",
    description="The Noto Sans and Noto Sans SC subsets (SIL Open Font License) that HTML "
    "documents name in their `@font-face` rules, by their published names "
    "(`NotoSansSC-Regular.<content hash>.ttf`). No key needed; `Cache-Control: public, "
    "max-age=31536000, immutable`. Any other name is 404.",
    security=[{}],
    exclude_from_auth=True,
    responses={
        200: ResponseSpec(
            data_container=bytes,
            description="The font file (TrueType)",
            media_type="font/ttf",
            generate_examples=False,
        ),
        400: ERRORS[400],
        404: problem(
            404,
            "No shipped font of this name",
            "No font 'passwd'; the documents name the fonts they use.",
            instance=f"{FONTS_PATH}/passwd",
        ),
    },
)
async def document_font(name: FromPath[str]) -> File:
    path = documents.document_font(name)
    digest = name.rsplit(".", 2)[-2]
    return File(
        path,
        filename=name,
        media_type="font/ttf",
        content_disposition_type="inline",
        headers={"Cache-Control": _IMMUTABLE, "ETag": f'"{digest}"'},
    )
