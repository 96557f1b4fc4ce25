"""Rendering pages: ``render(request, template, **context)``.

One jinja2 environment per language (autoescaped; the ``i18n`` extension with that
language's gettext catalogue installed, new-style, so ``{{ _("Hello %(name)s", name=x) }}``
escapes ``x``), templates from ``templates/pages/`` (found through quoting/resources.py),
and filters formatting with Babel (CLDR) for the page's language:

- ``money``: ``Decimal``/decimal string → ``¥1,234.56`` (Chinese) / ``CNY 1,234.56`` (a
  no-break space after the code);
  ``{{ amount | money("USD") }}`` for another currency;
- ``number``: grouped digits, ``{{ n | number }}``; ``percent``: ``0.065`` → ``6.5%``;
- ``date``: a date (or an aware time, taken in the insurer's time zone) in the long form
  (``2027年1月1日`` / ``January 1, 2027``), ``date("medium")`` for the shorter;
  ``datetime``: date and time in the insurer's time zone.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markupsafe
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType

from quoting import __version__
from quoting.resources import shipped
from quoting.web.pages._csrf import CSRF_FIELD, csrf_cookie, csrf_token
from quoting.web.pages._i18n import (
    LOCALES,
    PageLocale,
    html_lang,
    other_locale,
    translations,
)
from quoting.web.pages._session import page_locale, page_user

__all__ = ["PageRenderer", "render"]

#: Where the page templates are (``templates/pages`` of the checkout or the wheel).
PAGE_TEMPLATES = "pages"
STATIC_PATH = "/static"


def _money(locale: PageLocale) -> Callable[..., str]:
    def money(value: Decimal | str | int | None, currency: str = "CNY") -> str:
        if value is None or value == "":
            return ""
        amount = Decimal(str(value))
        if locale == "en":
            return format_currency(amount, currency, format="¤¤\u00a0#,##0.00", locale="en")
        return format_currency(amount, currency, locale=locale)

    return money


def _number(locale: PageLocale) -> Callable[..., str]:
    def number(value: int | float | Decimal | str | None) -> str:
        return "" if value is None else format_decimal(Decimal(str(value)), locale=locale)

    return number


def _percent(locale: PageLocale) -> Callable[..., str]:
    def percent(value: float | Decimal | str | None) -> str:
        if value is None:
            return ""
        return format_percent(Decimal(str(value)), format="#,##0.##%", locale=locale)

    return percent


def _dates(locale: PageLocale, zone: ZoneInfo) -> tuple[Callable[..., str], Callable[..., str]]:
    def date(value: dt.date | None, form: str = "long") -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.astimezone(zone).date()
        return format_date(value, format=form, locale=locale)

    def datetime(value: dt.datetime | None, form: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=form, tzinfo=zone, locale=locale)

    return date, datetime


class PageRenderer:
    """The jinja2 environments of the pages, one per language, made on first use."""

    def __init__(self, templates: Path | None = None, timezone: str = "Asia/Shanghai") -> None:
        self.templates = templates or shipped("templates") / PAGE_TEMPLATES
        self.zone = ZoneInfo(timezone)
        self._loader = jinja2.FileSystemLoader(self.templates)
        self._environments: dict[PageLocale, jinja2.Environment] = {}
        self._lock = threading.Lock()

    def environment(self, locale: PageLocale) -> jinja2.Environment:
        """The environment of one language (built once, then shared by every request)."""
        with self._lock:
            found = self._environments.get(locale)
            if found is None:
                found = self._environments[locale] = self._build(locale)
            return found

    def _build(self, locale: PageLocale) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=self._loader,
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        other = translations(other_locale(locale))

        def in_other_language(message: str, **variables: Any) -> str:
            text = other.gettext(message)
            return text % variables if variables else text

        date, datetime = _dates(locale, self.zone)
        env.filters.update(
            money=_money(locale),
            number=_number(locale),
            percent=_percent(locale),
            date=date,
            datetime=datetime,
        )
        env.globals.update(_other=in_other_language, static=_static, version=__version__)
        return env

    def render(self, template: str, locale: PageLocale, context: Mapping[str, Any]) -> str:
        """The HTML of ``template`` in ``locale``."""
        return self.environment(locale).get_template(template).render(context)


def _static(name: str) -> str:
    """The URL of a static file of the pages (versioned, so a release refreshes caches)."""
    return f"{STATIC_PATH}/{name}?v={__version__}"


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    """The page ``template`` (a path under ``templates/pages/``) rendered for this request,
    in the user's language, as an HTML response.

    Every template sees, besides ``context``: ``user`` (the :class:`PageUser` or None),
    ``locale`` (``zh_Hans_CN`` or ``en``), ``lang`` (for ``<html lang>``),
    ``other_locale``, ``csrf_token`` and ``csrf_field`` (the hidden input every POST form
    needs), ``current_path`` (path and query of this request), ``brand`` (the insurer),
    ``static(name)`` and ``_other(message)`` (a message in the other language)."""
    state = request.app.state
    renderer: PageRenderer = state.page_renderer
    locale = page_locale(request)
    token = csrf_token(request)
    query = request.url.query
    values = {
        "user": page_user(request),
        "locale": locale,
        "lang": html_lang(locale),
        "other_locale": other_locale(locale),
        "locales": LOCALES,
        "csrf_token": token,
        "csrf_field": markupsafe.Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, token
        ),
        "current_path": request.url.path + (f"?{query}" if query else ""),
        "brand": state.settings.brand,
        **context,
    }
    html = renderer.render(template, locale, values)
    all_cookies = list(cookies or [])
    if (fresh := csrf_cookie(request)) is not None:
        all_cookies.append(fresh)
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers=dict(headers or {}),
        cookies=all_cookies,
    )
