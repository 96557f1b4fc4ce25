"""What the controllers are given: a unit-of-work factory and the context of the call
(the authenticated account, the insurer's clock, the tariffs)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import SkipValidation

from quoting.documents import DocumentCache
from quoting.services import Context
from quoting.settings import Settings
from quoting.store import Account, UnitOfWorkFactory

__all__ = ["ServiceContext", "UnitsOfWork", "provide_context"]

#: Dependencies made by the application itself: nothing of the request to validate.
UnitsOfWork = NamedDependency[SkipValidation[UnitOfWorkFactory]]
ServiceContext = NamedDependency[SkipValidation[Context]]


def provide_context(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> Context:
    """The context of a service call made by this request's account."""
    user = request.scope.get("user")
    # The API's account, or the account of a page's signed-in user.
    account = user if isinstance(user, Account) else getattr(user, "account", None)
    if not isinstance(account, Account):
        account = None
    return Context(
        clock=settings.clock,
        tariff_root=settings.tariff_root,
        account=account,
        brand=settings.brand,
        book_limits=settings.book_limits,
        document_cache=(
            DocumentCache(settings.documents.cache_dir) if settings.documents.cache_dir else None
        ),
    )
