"""The quote pages of agents and underwriters: the new-quote form, the quote, a member's
trace, the quote list, and the quote's actions (bind, send to an underwriter, approve)
and downloads. Thin: the work is in the services (quotation, binding, documents,
quote_actions, lookups), as for the API.

Routes (all need a signed-in agent or underwriter; another agent's quote is a 404):

- ``GET /quotes`` — the user's quotes (underwriters: all), newest first; ``q`` searches
  the policyholder's name or credit code, ``status`` filters, ``page`` pages;
- ``GET /quotes/new``, ``POST /quotes/new`` — the form; success is a 303 to the quote;
- ``GET /census-template/census-template-{zh,en}.{csv,xlsx}`` — the census templates;
- ``GET /quotes/{id}`` — the quote; ``GET /quotes/{id}/members/{member_id}`` — a
  member's lines with every factor;
- ``GET /quotes/{id}/documents/{quote-letter,benefits}.pdf``, ``GET /quotes/{id}/
  members.xlsx``, ``GET /policies/{id}/documents/{name}.pdf`` — downloads;
- ``POST /quotes/preview`` — the form's premium as it stands (JSON, for the live premium
  of ``quote-form.js``): priced like the quote would be, not stored;
- ``POST /quotes/{id}/bind``, ``POST /quotes/{id}/refer`` (``message``), ``POST
  /quotes/{id}/approve`` (underwriters), ``POST /quotes/{id}/answer`` (``answer``: the
  owner answers an underwriter's question).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, Parameter
from litestar.response import Redirect

from quoting.census import MAX_CENSUS_BYTES, census_template
from quoting.documents import POLICY_DOCUMENTS, QUOTE_DOCUMENTS
from quoting.errors import BindRefused, NotFound, Problem, QuotingError, Refusal
from quoting.plans import COVER_FIELDS, PRESETS
from quoting.schemas import Quote
from quoting.services import CensusUpload, CreateQuote, OfflineQuote, price_offline, quotation
from quoting.services import documents as documents_service
from quoting.services.binding import approve_quote, bind_quote
from quoting.services.lookups import customer_reasons, tariff_choices
from quoting.services.quote_actions import (
    ANSWERED_EVENT,
    DECISION_EVENTS,
    REFERRED_EVENT,
    answer_underwriter,
    bind_refusal,
    open_question,
    quote_history,
    refer_quote,
)
from quoting.store import QuoteFilter
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web.pages._messages import STATUS_WORDS, problem_sayer, sayer
from quoting.web.pages._quote_form import (
    CLASSES,
    GRID_COLUMNS,
    FormErrors,
    QuoteForm,
    form_errors,
)
from quoting.web.pages._quote_view import (
    MEMBERS_PER_PAGE,
    breakdowns,
    charts,
    downloads,
    reasons,
)
from quoting.web.pages._render import _money, render
from quoting.web.pages._session import page_locale, require_role

__all__ = ["QuotePagesController"]

QUOTES_PER_PAGE = 20
#: On each route rather than the controller: the automatic OPTIONS answer stays unguarded.
_STAFF = [require_role("agent", "underwriter")]
_CENSUS_TYPES = (".csv", ".xlsx")
_MEDIA = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _(message: str) -> str:
    return message  # marks a text for the catalogues (the templates translate it)


def _pdf_name(filename: str, allowed: tuple[str, ...]) -> str:
    """The document name of ``NAME.pdf`` among ``allowed`` (the pages offer PDFs only);
    :class:`NotFound` otherwise."""
    name, _dot, fmt = filename.rpartition(".")
    if name not in allowed or fmt != "pdf":
        raise NotFound(f"No document {filename!r}.")
    return name


def _download(body: bytes, filename: str) -> Response[bytes]:
    fmt = filename.rpartition(".")[2]
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _form_page(
    request: Request[Any, Any, Any],
    context: ServiceContext,
    form: QuoteForm,
    errors: FormErrors,
    status: int = 200,
) -> Response[str]:
    locale = page_locale(request)
    return render(
        request,
        "quotes/new.html",
        status_code=status,
        form=form,
        errors=errors,
        choices=tariff_choices(context),
        presets=PRESETS,
        cover_fields=COVER_FIELDS,
        classes=CLASSES,
        grid_columns=list(GRID_COLUMNS),
        say=sayer(locale),
        max_mb=MAX_CENSUS_BYTES // (1024 * 1024),
    )


async def _census_upload(value: object) -> CensusUpload | Problem | None:
    """The uploaded census file; a problem when it is of another type or too large."""
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    name = value.filename
    if not name.lower().endswith(_CENSUS_TYPES):
        return Problem.of("form.census_file_type", path=("census",))
    data = await value.read(MAX_CENSUS_BYTES + 1)
    if len(data) > MAX_CENSUS_BYTES:
        return Problem.of(
            "form.census_file_too_large", path=("census",), most=MAX_CENSUS_BYTES // 2**20
        )
    return CensusUpload(name, data)


def _quote_context(
    request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext, quote_id: str
) -> dict[str, Any]:
    """Everything the quote page shows of one quote."""
    locale = page_locale(request)
    view = quotation.get_quote(uow, context, quote_id)
    assert view.quote.result_json is not None
    quote = msgspec.json.decode(view.quote.result_json, type=Quote)
    choices = tariff_choices(context, quote.as_of, quote.tariff.hash)
    tables = breakdowns(quote, choices, locale)
    customer = customer_reasons(context, view.quote)
    referrals, declined = reasons(quote, customer, view.quote.approved_at is not None, locale)
    history = quote_history(uow, context, quote_id)
    pages = max(1, math.ceil(len(quote.members) / MEMBERS_PER_PAGE))
    try:
        page = min(max(1, int(request.query_params.get("members", "1"))), pages)
    except ValueError:
        page = 1
    named = any(m.headcount == 1 and not m.member_id.startswith("G") for m in quote.members)
    return {
        "row": view.quote,
        "quote": quote,
        "policy": view.policy,
        "tables": tables,
        "charts": charts(tables, quote.currency, locale),
        "referrals": referrals,
        "declined": declined,
        "refusal": bind_refusal(context, view),
        "sent": history.of(REFERRED_EVENT),
        # The underwriter's decisions and questions and the owner's answers, oldest first.
        "decisions": history.of(*DECISION_EVENTS, ANSWERED_EVENT),
        "question": open_question(uow, context, quote_id),
        "names": history.names,
        "downloads": downloads(quote_id, view.policy, named, locale),
        "members": quote.members[(page - 1) * MEMBERS_PER_PAGE : page * MEMBERS_PER_PAGE],
        "members_page": page,
        "members_pages": pages,
        "status_words": STATUS_WORDS,
        "say": sayer(locale),
        "action_error": None,
        "refer_error": None,
        "message": "",
        "answer_error": None,
        "answer": "",
    }


class QuotePagesController(Controller):
    """The quote pages (see the module's docstring for the routes)."""

    path = "/"
    include_in_schema = False

    @get("/quotes/new", name="quote-new", sync_to_thread=True, guards=_STAFF)
    def new_quote(self, request: Request[Any, Any, Any], context: ServiceContext) -> Response[str]:
        """The new-quote form: next month for a year, two presets, blank grid rows."""
        form = QuoteForm.new(context.today(), page_locale(request))
        return _form_page(request, context, form, FormErrors())

    @post(
        "/quotes/new",
        name="quote-new-submit",
        request_max_body_size=MAX_CENSUS_BYTES + 2**20,
        guards=_STAFF,
    )
    async def submit_quote(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[Any]:
        """Price the form (or carry out one of its add/remove buttons and show it again);
        a priced quote is a 303 to its page, problems show the form again beside them."""
        submitted = await request.form()
        fields = {k: [v for v in submitted.getall(k) if isinstance(v, str)] for k in submitted}
        form = QuoteForm.parse(fields)
        action = str(submitted.get("action") or "price")
        if form.apply(action, page_locale(request), str(submitted.get("preset") or "")):
            return _form_page(request, context, form, FormErrors())
        body, rows = form.request()
        upload = None
        if form.census_mode == "upload":
            found = await _census_upload(submitted.get("census_file"))
            missing = Problem.of("form.census_file_missing", path=("census",))
            if not isinstance(found, CensusUpload):
                errors = form_errors(
                    [found or missing], form, rows, problem_sayer(page_locale(request))
                )
                return _form_page(request, context, form, errors, 422)
            upload = found
        command = CreateQuote(msgspec.json.encode(body), upload)
        try:
            stored = await anyio.to_thread.run_sync(quotation.create_quote, uow, context, command)
        except QuotingError as exc:
            if isinstance(exc, Refusal) or exc.status >= 500:
                raise
            errors = form_errors(exc.problems, form, rows, problem_sayer(page_locale(request)))
            return _form_page(request, context, form, errors, 422)
        return Redirect(f"/quotes/{stored.quote.id}", status_code=303)

    @post(
        "/quotes/preview",
        name="quote-preview",
        status_code=200,
        request_max_body_size=MAX_CENSUS_BYTES + 2**20,
        guards=_STAFF,
    )
    async def preview(
        self, request: Request[Any, Any, Any], context: ServiceContext
    ) -> Response[dict[str, Any]]:
        """The form's premium as it stands, priced but not stored: ``{"ok": true, "text":
        …}`` with the total, headcount and status in the user's words, or ``{"ok": false,
        "problems": n}`` while the form cannot be priced (pressing the button shows why)."""
        submitted = await request.form()
        fields = {k: [v for v in submitted.getall(k) if isinstance(v, str)] for k in submitted}
        form = QuoteForm.parse(fields)
        body, _rows = form.request()
        upload = None
        if form.census_mode == "upload":
            found = await _census_upload(submitted.get("census_file"))
            if not isinstance(found, CensusUpload):
                return Response({"ok": False, "problems": 1})
            upload = found
        command = OfflineQuote(msgspec.json.encode(body), upload, trace=False)
        try:
            _request, quote = await anyio.to_thread.run_sync(price_offline, context, command)
        except QuotingError as exc:
            if exc.status >= 500:
                raise
            return Response({"ok": False, "problems": max(1, len(exc.problems))})
        locale = page_locale(request)
        say = sayer(locale)
        text = say(_("Premium as typed: %(premium)s for %(members)s members (%(status)s)")) % {
            "premium": _money(locale)(quote.total_premium, quote.currency),
            "members": quote.headcount,
            "status": say(STATUS_WORDS[quote.status]),
        }
        return Response(
            {"ok": True, "text": text, "total_premium": quote.total_premium, "status": quote.status}
        )

    @get(
        "/census-template/{filename:str}",
        name="census-template",
        sync_to_thread=False,
        guards=_STAFF,
    )
    def census_template_file(self, filename: FromPath[str]) -> Response[bytes]:
        """``census-template-zh.csv`` (or ``-en``, or ``.xlsx``)."""
        stem, _dot, fmt = filename.rpartition(".")
        language = stem.removeprefix("census-template-")
        if not stem.startswith("census-template-"):
            raise NotFound(f"No census template {filename!r}.")
        try:
            data, name = census_template(fmt, language)
        except ValueError:
            raise NotFound(f"No census template {filename!r}.") from None
        return _download(data, name)

    @get("/quotes", name="quotes", sync_to_thread=True, guards=_STAFF)
    def quote_list(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The user's quotes, newest first, searched, filtered and paged."""
        params = request.query_params
        search = str(params.get("q") or "").strip()[:100]
        status = str(params.get("status") or "")
        status = status if status in STATUS_WORDS else ""
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            page = 1
        where = QuoteFilter(
            owner_id=None,
            status=status or None,
            search=search or None,
            limit=QUOTES_PER_PAGE,
            offset=(page - 1) * QUOTES_PER_PAGE,
        )
        rows, total = quotation.list_quotes(uow, context, where)
        return render(
            request,
            "quotes/list.html",
            quotes=rows,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / QUOTES_PER_PAGE)),
            search=search,
            status=status,
            status_words=STATUS_WORDS,
            say=sayer(page_locale(request)),
        )

    @get("/quotes/{quote_id:str}", name="quote", sync_to_thread=True, guards=_STAFF)
    def quote_page(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[str]:
        """The quote: status and reasons, totals, tables, charts, members, downloads and
        the actions the user may take."""
        return render(
            request, "quotes/quote.html", **_quote_context(request, uow, context, quote_id)
        )

    @get(
        "/quotes/{quote_id:str}/members/{member_id:str}",
        name="quote-member",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def member_page(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        member_id: FromPath[str],
    ) -> Response[str]:
        """One member's (or group's) lines with every factor of the trace, as the API
        returns them, and the group-level figures they use."""
        view = quotation.get_quote(uow, context, quote_id)
        assert view.quote.result_json is not None
        quote = msgspec.json.decode(view.quote.result_json, type=Quote)
        member = next((m for m in quote.members if m.member_id == member_id), None)
        if member is None:
            raise NotFound(f"No member {member_id} in quote {quote_id}.")
        choices = tariff_choices(context, quote.as_of, quote.tariff.hash)
        return render(
            request,
            "quotes/member.html",
            row=view.quote,
            quote=quote,
            member=member,
            choices=choices,
            rating=msgspec.to_builtins(quote.rating),
        )

    @get(
        "/quotes/{quote_id:str}/documents/{filename:str}",
        name="quote-document",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def quote_document(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        filename: FromPath[str],
    ) -> Response[bytes]:
        """A quote's document as PDF (the same service as the API's)."""
        name = _pdf_name(filename, QUOTE_DOCUMENTS)
        return _download(*documents_service.quote_document(uow, context, quote_id, name, "pdf"))

    @get(
        "/quotes/{quote_id:str}/members.xlsx",
        name="quote-members",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def members_xlsx(
        self, uow: UnitsOfWork, context: ServiceContext, quote_id: FromPath[str]
    ) -> Response[bytes]:
        """The quote's per-member premiums as a spreadsheet."""
        return _download(*quotation.member_export(uow, context, quote_id, "xlsx"))

    @get(
        "/policies/{policy_id:str}/documents/{filename:str}",
        name="policy-document",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def policy_document(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        filename: FromPath[str],
        version: Annotated[int | None, Parameter(ge=1, le=100_000)] = None,
    ) -> Response[bytes]:
        """A bound policy's document as PDF, as of a version of its member list (default:
        the newest)."""
        name = _pdf_name(filename, POLICY_DOCUMENTS)
        made = documents_service.policy_document(
            uow, context, policy_id, name, "pdf", version=version
        )
        return _download(*made)

    @post("/quotes/{quote_id:str}/bind", name="quote-bind", sync_to_thread=True, guards=_STAFF)
    def bind(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[Any]:
        """Bind the quote; back to its page (which shows the policy), or the page with why
        it cannot be bound."""
        try:
            bind_quote(uow, context, quote_id)
        except BindRefused as refused:
            page = _quote_context(request, uow, context, quote_id)
            return render(
                request,
                "quotes/quote.html",
                status_code=409,
                **(page | {"action_error": refused.message}),
            )
        return Redirect(f"/quotes/{quote_id}", status_code=303)

    @post("/quotes/{quote_id:str}/refer", name="quote-refer", guards=_STAFF)
    async def refer(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[Any]:
        """Send a referred quote to the underwriters with the typed message."""
        message = str((await request.form()).get("message") or "")
        try:
            await anyio.to_thread.run_sync(refer_quote, uow, context, quote_id, message)
        except QuotingError as exc:
            if exc.status in (404,) or exc.status >= 500:
                raise
            text = problem_sayer(page_locale(request))(exc.problems[0])
            page = await anyio.to_thread.run_sync(_quote_context, request, uow, context, quote_id)
            page |= {"refer_error": text, "message": message}
            return render(request, "quotes/quote.html", status_code=exc.status, **page)
        return Redirect(f"/quotes/{quote_id}#referral", status_code=303)

    @post("/quotes/{quote_id:str}/answer", name="quote-answer", guards=_STAFF)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[Any]:
        """Answer the underwriter's open question with the typed answer (the quote goes back
        to the underwriters); problems show beside the answer, which is kept."""
        answer = str((await request.form()).get("answer") or "")
        try:
            await anyio.to_thread.run_sync(answer_underwriter, uow, context, quote_id, answer)
        except QuotingError as exc:
            if exc.status == 404 or exc.status >= 500:
                raise
            text = problem_sayer(page_locale(request))(exc.problems[0])
            page = await anyio.to_thread.run_sync(_quote_context, request, uow, context, quote_id)
            page |= {"answer_error": text, "answer": answer}
            return render(request, "quotes/quote.html", status_code=exc.status, **page)
        return Redirect(f"/quotes/{quote_id}#underwriter-decision", status_code=303)

    @post(
        "/quotes/{quote_id:str}/approve",
        name="quote-approve",
        sync_to_thread=True,
        guards=[require_role("underwriter")],
    )
    def approve(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[Any]:
        """An underwriter approves a referred quote (not their own)."""
        try:
            approve_quote(uow, context, quote_id)
        except Refusal as refused:
            if isinstance(refused, NotFound):
                raise
            page = _quote_context(request, uow, context, quote_id)
            return render(
                request,
                "quotes/quote.html",
                status_code=refused.status,
                **(page | {"action_error": refused.message}),
            )
        return Redirect(f"/quotes/{quote_id}", status_code=303)
