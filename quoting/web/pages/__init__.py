"""The agent and underwriter pages: server-rendered HTML on the same services as the API.

What a page module uses:

- :func:`render` — ``render(request, "quotes/new.html", status_code=200, **context)``
  (templates under ``templates/pages/``; see quoting/web/pages/_render.py for the
  filters and what every template sees);
- :class:`PageUser` — ``request.user`` on the pages (None for anonymous visitors);
  the ``context`` dependency gives services a :class:`quoting.services.Context` with its
  account;
- the guards :func:`signed_in` and :func:`require_role`; CSRF is checked on every
  unsafe request of the pages' router (forms include ``{{ csrf_field }}``);
- :func:`pages_router` — everything above wired into one Litestar router;
- :class:`QuotePagesController` — the quote pages (``/quotes``…), given to it by the app;
- :class:`PolicyPagesController` — the policy pages (``/policies``…: history, endorsements);
- :class:`UnderwritingPagesController` — the underwriters' pages (``/referrals``,
  ``/audit``, ``/exposure``).
- :class:`TariffPagesController` — the underwriters' tariff pages (``/tariffs``…).
"""

from quoting.web.pages._csrf import CSRF_FIELD, CSRF_HEADER, CsrfRefused, csrf_guard
from quoting.web.pages._errors import is_api_path, unrouted_exception_handlers
from quoting.web.pages._i18n import DEFAULT_LOCALE, LOCALES, PageLocale
from quoting.web.pages._policies import PolicyPagesController
from quoting.web.pages._quotes import QuotePagesController
from quoting.web.pages._render import PageRenderer, render
from quoting.web.pages._routes import pages_router, static_router
from quoting.web.pages._session import (
    PageForbidden,
    PageSessionMiddleware,
    PageUser,
    SignInRequired,
    page_user,
    require_role,
    safe_next,
    session_policy,
    signed_in,
)
from quoting.web.pages._tariffs import TariffPagesController
from quoting.web.pages._underwriting import UnderwritingPagesController
from quoting.web.pages._verify import VerifyController

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "DEFAULT_LOCALE",
    "LOCALES",
    "CsrfRefused",
    "PageForbidden",
    "PageLocale",
    "PageRenderer",
    "PageSessionMiddleware",
    "PageUser",
    "PolicyPagesController",
    "QuotePagesController",
    "SignInRequired",
    "TariffPagesController",
    "UnderwritingPagesController",
    "VerifyController",
    "csrf_guard",
    "is_api_path",
    "page_user",
    "pages_router",
    "render",
    "require_role",
    "safe_next",
    "session_policy",
    "signed_in",
    "static_router",
    "unrouted_exception_handlers",
]
