"""The public verification page of certificates: ``GET /verify/{code}``, the address in a
certificate's QR code.

No sign-in (a hospital or visa office abroad opens it), in the visitor's language with the
other beside it. It shows only whether the certificate is valid today, the insured's
initials and the period (quoting/services/verification.py). Every request counts against
the per-address limit of requests without a key (``QUOTING_AUTH_FAIL_LIMIT``), like the
other public routes, so codes cannot be tried in bulk; past it, 429 with ``Retry-After``.
An unknown code is a 404 page that says "not valid".
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from quoting.errors import NotFound
from quoting.services import Context
from quoting.services.verification import verify_certificate
from quoting.settings import Settings
from quoting.web._auth import client_address
from quoting.web._ratelimit import RateLimiter
from quoting.web.pages._render import render

__all__ = ["VerifyController"]

#: Longer than any code we make (24 + 1 + 7 + 1 + 16 characters).
_MAX_CODE = 64
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


class VerifyController(Controller):
    """``/verify/{code}``."""

    path = "/verify"
    include_in_schema = False

    @get("/{code:str}", name="verify-certificate")
    async def verify(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
        """Valid or not, initials and period; 404 for a code that is not a certificate's."""
        state = request.app.state
        limiter: RateLimiter = state.rate_limiter
        if wait := await limiter.hit("address", client_address(request)):
            headers = {**_HEADERS, "Retry-After": str(wait)}
            return render(
                request, "error.html", status_code=429, headers=headers, kind="busy", status=429
            )
        settings: Settings = state.settings
        ctx = Context(clock=settings.clock, tariff_root=settings.tariff_root, brand=settings.brand)
        try:
            check = await anyio.to_thread.run_sync(
                verify_certificate, state.units_of_work, ctx, code[:_MAX_CODE]
            )
        except NotFound:
            return render(
                request, "verify/certificate.html", status_code=404, headers=_HEADERS, check=None
            )
        return render(request, "verify/certificate.html", headers=_HEADERS, check=check)
