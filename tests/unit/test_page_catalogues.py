"""The pages speak both languages: every message of the page templates and page code has a
translation in the Chinese and the English catalogue, and the pages' filters format money,
numbers, percentages and dates as each language writes them (Babel, CLDR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from quoting.web.pages import LOCALES, PageRenderer
from quoting.web.pages._i18n import catalogue_path, translations
from tests.support import ROOT

#: The message functions of the pages: gettext's, and ``_other`` (the other language).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_other": None}
METHODS = [
    ("templates/pages/**.html", "jinja2"),
    ("quoting/web/pages/**.py", "python"),
    # The problems' messages, which the pages say by code (quoting/problem_messages.py).
    ("quoting/problem_messages.py", "python"),
    # The impact report's chart texts (also shown on the page /tariffs/impact).
    ("quoting/impact_report.py", "python"),
]


def _used_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        options_map={"templates/pages/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        # A plural message is filed under its singular id (its plural forms are checked
        # with it, below).
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, filename)
    return found


def _translated(entry: object) -> bool:
    string = getattr(entry, "string", None)
    return all(string) if isinstance(string, tuple) else bool(string)


def test_the_templates_use_messages_at_all() -> None:
    used = _used_messages()
    assert "Wrong name or password." in used
    assert len(used) > 20


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_pages_has_a_translation(locale: str) -> None:
    with open(catalogue_path(locale), "rb") as po:  # type: ignore[arg-type]
        catalogue = read_po(po)
    missing = [
        f"{msgid!r} ({where})"
        for msgid, where in _used_messages().items()
        if not _translated(catalogue.get(msgid))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert missing == [], f"add these to {Path(catalogue_path(locale)).relative_to(ROOT)}"
    assert fuzzy == []


def test_placeholders_survive_translation() -> None:
    import re

    with open(catalogue_path("zh_Hans_CN"), "rb") as po:
        catalogue = read_po(po)
    for message in catalogue:
        if message.id:
            names = sorted(re.findall(r"%\((\w+)\)s", str(message.id)))
            assert sorted(re.findall(r"%\((\w+)\)s", str(message.string))) == names, message.id


def test_the_catalogues_compile_from_the_po_files_at_run_time() -> None:
    assert translations("zh_Hans_CN").gettext("Sign in") == "登录"
    assert translations("en").gettext("Sign in") == "Sign in"


def _filter(locale: str, name: str):  # type: ignore[no-untyped-def]
    return PageRenderer().environment(locale).filters[name]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("locale", "value", "currency", "expected"),
    [
        ("zh_Hans_CN", Decimal("1234.56"), "CNY", "¥1,234.56"),
        ("en", Decimal("1234.56"), "CNY", "CNY\xa01,234.56"),
        ("en", "670651.94", "CNY", "CNY\xa0670,651.94"),
        ("zh_Hans_CN", "100000", "USD", "US$100,000.00"),
        ("en", "0.5", "USD", "USD\xa00.50"),
    ],
)
def test_money_is_written_as_each_language_writes_it(
    locale: str, value: object, currency: str, expected: str
) -> None:
    assert _filter(locale, "money")(value, currency) == expected


def test_numbers_percentages_and_dates() -> None:
    assert _filter("en", "number")(1234567) == "1,234,567"
    assert _filter("zh_Hans_CN", "percent")(Decimal("0.065")) == "6.5%"
    assert _filter("zh_Hans_CN", "date")(dt.date(2027, 1, 1)) == "2027年1月1日"
    assert _filter("en", "date")(dt.date(2027, 1, 1)) == "January 1, 2027"
    # A time stamp (stored in UTC) is dated in the insurer's time zone: 20:00 UTC on
    # 31 December is 04:00 on 1 January in Shanghai.
    late = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
    assert _filter("en", "date")(late) == "January 1, 2027"


def test_templates_escape_what_they_are_given() -> None:
    env = PageRenderer().environment("en")
    html = env.from_string('{{ _("Welcome, %(name)s", name=n) }} {{ n }}').render(
        n="<script>x</script>"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_page_templates_and_catalogues_are_found_where_a_wheel_puts_them() -> None:
    from quoting.resources import catalogues, shipped

    assert (shipped("templates") / "pages" / "base.html").is_file()
    for locale in LOCALES:
        assert (catalogues() / locale / "LC_MESSAGES" / "messages.po").is_file()
