"""One function per user action, used by the API, the CLI and (next) the web pages alike.

Each takes a unit-of-work factory (:mod:`quoting.store`), a :class:`Context` (the acting
account, the insurer's clock, the tariffs) and a command; it fetches, calls the domain,
writes the change and its events and commits once, and raises the errors of
:mod:`quoting.errors`.
"""

from quoting.services._context import Context, visible_owner
from quoting.services.intake import (
    date_problems,
    decode_request,
    merge_census_file,
    relocate_to_file_rows,
)
from quoting.services.quotation import (
    CensusUpload,
    CreateQuote,
    OfflineQuote,
    fx_rate,
    price_offline,
    quote_request,
)

__all__ = [
    "CensusUpload",
    "Context",
    "CreateQuote",
    "OfflineQuote",
    "date_problems",
    "decode_request",
    "fx_rate",
    "merge_census_file",
    "price_offline",
    "quote_request",
    "relocate_to_file_rows",
    "visible_owner",
]
