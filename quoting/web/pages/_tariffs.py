"""The underwriters' tariff pages: the versions, the diff and the impact of one against
another, and drafts — uploaded, checked, compared and published (or discarded) on the web.
Thin: the work is in the services (``tariffs``, ``impact``, ``tariff_drafts``), as for the
CLI.

Routes (underwriters and admins; agents get the 403 page, anonymous visitors sign in):

- ``GET /tariffs`` — the versions (effective date, in force / future / past, who
  published and when, short content hash, links to the diff and impact against the one
  before), the drafts and the upload form;
- ``GET /tariffs/diff?old=V&new=V`` — every changed value, cell by cell;
- ``GET /tariffs/impact?old=V&new=V[&source=book|store]`` — the impact report;
- ``POST /tariffs/drafts`` (``draft``: a .zip, or one data file) — store a draft; 303 to it;
- ``GET /tariffs/drafts/{id}`` — its check, diff and impact against the version in force;
- ``POST /tariffs/drafts/{id}/publish`` (``version``, ``effective_date``) and
  ``POST /tariffs/drafts/{id}/discard``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect

from quoting.errors import (
    DraftError,
    NotFound,
    Problem,
    PublishRefused,
    TariffError,
    TooLarge,
    UnsupportedMediaType,
)
from quoting.impact_report import impact_as_dict, impact_charts
from quoting.services import Context
from quoting.services.impact import cached_impact
from quoting.services.tariff_drafts import (
    MAX_DRAFT_BYTES,
    DraftUpload,
    discard_draft,
    list_drafts,
    publish_draft,
    review_draft,
    upload_draft,
)
from quoting.services.tariffs import diff_versions, list_versions
from quoting.store import UnitOfWorkFactory
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web.pages._i18n import PageLocale, translations
from quoting.web.pages._messages import sayer
from quoting.web.pages._render import render
from quoting.web.pages._session import page_locale, require_role

__all__ = ["TariffPagesController"]

_UNDERWRITERS = [require_role("underwriter", "admin")]
_SOURCES = ("book", "store")


def _(message: str) -> str:
    return message  # marks a text for the catalogues (the templates translate it)


_UPLOAD_TOO_LARGE = _("The draft is larger than %(mb)s MB.")
_UPLOAD_MISSING = _("Choose a file: a .zip of a version folder, or one data file.")
_PUBLISH_DATE = _("Give the effective date as a date (YYYY-MM-DD).")


def _amount(locale: PageLocale) -> Any:
    """An amount in CNY as the page's language groups it (the unit is written beside)."""
    return lambda value: format_decimal(Decimal(str(value)), format="#,##0.00", locale=locale)


def _version_name(ctx: Context, value: object) -> str:
    """A version name under the tariff root (never a path); :class:`NotFound` otherwise."""
    names = [v.version for v in list_versions(ctx)]
    text = str(value or "")
    if text not in names:
        raise NotFound(f"No tariff version {text!r}.")
    return text


def _versions(ctx: Context) -> list[dict[str, Any]]:
    """Each version with its state (in force, future, past) and the one before it."""
    rows: list[dict[str, Any]] = []
    infos = list_versions(ctx)
    current = next((v for v in infos if v.in_force), None)
    for i, v in enumerate(infos):
        if v.in_force:
            state = "in-force"
        elif current is None or v.effective_date > current.effective_date:
            state = "future"
        else:
            state = "past"
        hash_ = v.publication.content_hash if v.publication else None
        rows.append(
            {
                "info": v,
                "state": state,
                "hash": hash_,
                "short_hash": hash_.removeprefix("sha256:")[:12] if hash_ else "",
                "previous": infos[i - 1].version if i else None,
            }
        )
    return rows


def _impact_context(
    ctx: Context,
    locale: PageLocale,
    old: str | Path,
    new: str | Path,
    store: UnitOfWorkFactory | None,
) -> dict[str, Any]:
    """The report's data, charts (in the page's language) and formatter, for the partial."""
    impact, cached = cached_impact(ctx, old, new, from_store=store)
    return {
        "report": impact_as_dict(impact.report, impact.seconds),
        "charts": impact_charts(impact.report, translations(locale).gettext),
        "amount": _amount(locale),
        "cached": cached,
    }


def _versions_page(
    request: Request[Any, Any, Any],
    context: Context,
    *,
    status: int = 200,
    upload_error: str | None = None,
    upload_problems: list[Problem] | None = None,
) -> Response[str]:
    return render(
        request,
        "tariffs/versions.html",
        status_code=status,
        versions=_versions(context),
        drafts=list_drafts(context),
        upload_error=upload_error,
        upload_problems=upload_problems or [],
        max_mb=MAX_DRAFT_BYTES // 2**20,
    )


def _draft_page(
    request: Request[Any, Any, Any],
    context: Context,
    draft_id: str,
    *,
    status: int = 200,
    publish_error: str | None = None,
    publish_problems: list[Problem] | None = None,
    form: dict[str, str] | None = None,
) -> Response[str]:
    review = review_draft(context, draft_id)
    impact = None
    if review.valid:
        locale = page_locale(request)
        impact = _impact_context(context, locale, review.in_force, review.draft.folder, None)
    return render(
        request,
        "tariffs/draft.html",
        status_code=status,
        review=review,
        diff=review.diff,
        impact=impact,
        publish_error=publish_error,
        publish_problems=publish_problems or [],
        form=form
        or {
            "version": review.suggested_version,
            "effective_date": review.suggested_effective.isoformat(),
        },
    )


def _invalid_version(request: Request[Any, Any, Any], exc: TariffError) -> Response[str]:
    """A version folder under the root that fails its check (an unpublished folder someone
    put there): the underwriter's input, so a 422 page listing its problems, not a 500."""
    return render(
        request,
        "error.html",
        status_code=422,
        kind="tariff-invalid",
        status=422,
        problems=[p.location + ": " + p.message if p.location else p.message for p in exc.problems],
    )


class TariffPagesController(Controller):
    """The tariff pages (see the module's docstring for the routes)."""

    path = "/"
    include_in_schema = False

    @get("/tariffs", name="tariffs", sync_to_thread=True, guards=_UNDERWRITERS)
    def versions(self, request: Request[Any, Any, Any], context: ServiceContext) -> Response[str]:
        """The versions, the drafts and the upload form."""
        return _versions_page(request, context)

    @get("/tariffs/diff", name="tariff-diff", sync_to_thread=True, guards=_UNDERWRITERS)
    def diff(self, request: Request[Any, Any, Any], context: ServiceContext) -> Response[str]:
        """Every value that differs between two versions, with the counts per file."""
        params = request.query_params
        old = _version_name(context, params.get("old"))
        new = _version_name(context, params.get("new"))
        try:
            diff = diff_versions(context.tariff_root, old, new)
        except TariffError as exc:
            return _invalid_version(request, exc)
        return render(request, "tariffs/diff.html", diff=diff, old=old, new=new)

    @get("/tariffs/impact", name="tariff-impact", sync_to_thread=True, guards=_UNDERWRITERS)
    def impact(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The premium impact of ``new`` against ``old`` on the reference book or the store."""
        params = request.query_params
        old = _version_name(context, params.get("old"))
        new = _version_name(context, params.get("new"))
        source = str(params.get("source") or "book")
        if source not in _SOURCES:
            raise NotFound(f"No book {source!r} (book or store).")
        store = uow if source == "store" else None
        try:
            page = _impact_context(context, page_locale(request), old, new, store)
        except TariffError as exc:
            return _invalid_version(request, exc)
        return render(request, "tariffs/impact.html", old=old, new=new, source=source, **page)

    @post(
        "/tariffs/drafts",
        name="tariff-draft-upload",
        request_max_body_size=MAX_DRAFT_BYTES + 2**20,
        guards=_UNDERWRITERS,
    )
    async def upload(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[Any]:
        """Store the uploaded draft and show it; an upload that cannot be taken shows the
        versions page again with why."""
        value = (await request.form()).get("draft")
        say = sayer(page_locale(request))
        if not isinstance(value, UploadFile) or not value.filename:
            return await anyio.to_thread.run_sync(
                lambda: _versions_page(
                    request, context, status=422, upload_error=say(_UPLOAD_MISSING)
                )
            )
        data = await value.read(MAX_DRAFT_BYTES + 1)
        upload = DraftUpload(value.filename, data)
        try:
            draft = await anyio.to_thread.run_sync(upload_draft, uow, context, upload)
        except (TooLarge, UnsupportedMediaType, DraftError) as exc:
            text = say(str(exc)) if isinstance(exc, TooLarge | UnsupportedMediaType) else None
            problems = exc.problems if isinstance(exc, DraftError) else []
            status = exc.status
            if isinstance(exc, TooLarge) and len(data) > MAX_DRAFT_BYTES:
                text = say(_UPLOAD_TOO_LARGE) % {"mb": MAX_DRAFT_BYTES // 2**20}
            return await anyio.to_thread.run_sync(
                lambda: _versions_page(
                    request,
                    context,
                    status=status,
                    upload_error=text,
                    upload_problems=problems,
                )
            )
        return Redirect(f"/tariffs/drafts/{draft.id}", status_code=303)

    @get(
        "/tariffs/drafts/{draft_id:str}",
        name="tariff-draft",
        sync_to_thread=True,
        guards=_UNDERWRITERS,
    )
    def draft(
        self, request: Request[Any, Any, Any], context: ServiceContext, draft_id: FromPath[str]
    ) -> Response[str]:
        """The draft: its check, its diff and impact against the version in force, and the
        publish and discard buttons."""
        return _draft_page(request, context, draft_id)

    @post(
        "/tariffs/drafts/{draft_id:str}/publish",
        name="tariff-draft-publish",
        guards=_UNDERWRITERS,
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        draft_id: FromPath[str],
    ) -> Response[Any]:
        """Publish the draft as the version and effective date typed; back to the versions,
        or the draft again with why it was refused."""
        submitted = await request.form()
        say = sayer(page_locale(request))
        form = {k: str(submitted.get(k) or "").strip() for k in ("version", "effective_date")}

        def refused(status: int, text: str | None, problems: list[Problem]) -> Response[str]:
            return _draft_page(
                request,
                context,
                draft_id,
                status=status,
                publish_error=text,
                publish_problems=problems,
                form=form,
            )

        try:
            effective = dt.date.fromisoformat(form["effective_date"])
        except ValueError:
            return await anyio.to_thread.run_sync(refused, 422, say(_PUBLISH_DATE), [])
        try:
            published = await anyio.to_thread.run_sync(
                publish_draft, uow, context, draft_id, form["version"], effective
            )
        except PublishRefused as exc:
            return await anyio.to_thread.run_sync(refused, exc.status, say(exc.message), [])
        except (TariffError, DraftError) as exc:
            return await anyio.to_thread.run_sync(refused, 422, None, exc.problems)
        version = published.publication.version
        return Redirect(f"/tariffs?published={version}#version-{version}", status_code=303)

    @post(
        "/tariffs/drafts/{draft_id:str}/discard",
        name="tariff-draft-discard",
        sync_to_thread=True,
        guards=_UNDERWRITERS,
    )
    def discard(
        self, uow: UnitsOfWork, context: ServiceContext, draft_id: FromPath[str]
    ) -> Response[Any]:
        """Remove the draft; back to the versions."""
        discard_draft(uow, context, draft_id)
        return Redirect("/tariffs", status_code=303)
