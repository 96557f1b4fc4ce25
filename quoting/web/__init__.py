"""The web layer: controllers, guards, problem details. The only Litestar importer
besides api.py."""

from quoting.web._access import AccessLogMiddleware
from quoting.web._auth import ApiKeyAuthMiddleware, KeyCache, requires_role
from quoting.web._cancellation import CancellationController
from quoting.web._claims import ClaimsController
from quoting.web._deps import provide_context
from quoting.web._docs import SwaggerUIPlugin
from quoting.web._docs import static_router as docs_static_router
from quoting.web._endorsements import EndorsementsController
from quoting.web._fonts import FONTS_PATH, document_font, fonts_url
from quoting.web._headers import add_security_headers
from quoting.web._policies import DocumentsController, PoliciesController
from quoting.web._problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemDetails,
    ProblemError,
    exception_handlers,
)
from quoting.web._quotes import QuotesController
from quoting.web._ratelimit import RateLimiter
from quoting.web._reference import ReferenceController, health
from quoting.web._renewal import RenewalController
from quoting.web._underwriting import QuoteReferralController, UnderwritingController

__all__ = [
    "FONTS_PATH",
    "PROBLEM_MEDIA_TYPE",
    "AccessLogMiddleware",
    "ApiKeyAuthMiddleware",
    "CancellationController",
    "ClaimsController",
    "DocumentsController",
    "EndorsementsController",
    "KeyCache",
    "PoliciesController",
    "ProblemDetails",
    "ProblemError",
    "QuoteReferralController",
    "QuotesController",
    "RateLimiter",
    "ReferenceController",
    "RenewalController",
    "SwaggerUIPlugin",
    "UnderwritingController",
    "add_security_headers",
    "docs_static_router",
    "document_font",
    "exception_handlers",
    "fonts_url",
    "health",
    "provide_context",
    "requires_role",
]
