"""The policy pages of agents and underwriters: the policy list, a policy with its history
(versions, endorsements, claims), and the endorsement form with its preview and confirm.
Thin: the work is in the services (binding, endorsements, claims), as for the API.

Routes (all need a signed-in agent or underwriter; another agent's policy is a 404):

- ``GET /policies`` — the user's policies (underwriters: all), newest first, ``page`` pages;
- ``GET /policies/{id}`` — the policy: header, newest totals, documents, history;
- ``GET /policies/{id}/endorse`` — the form; ``POST /policies/{id}/endorse`` prices it
  (``preview_endorsement``: nothing stored) and shows the endorsement with a "Confirm"
  button, or carries out its "add rows" buttons;
- ``POST /policies/{id}/endorse/confirm`` — stores exactly the previewed endorsement (its
  request, idempotency key and number are in the form); a 303 to the policy;
- ``POST /policies/{id}/endorsements/{n}/approve`` — an underwriter approves a referred
  endorsement (not their own);
- ``GET /policies/{id}/endorsements/{n}/documents/endorsement.pdf`` — the 批单.
"""

from __future__ import annotations

import functools
import math
import secrets
from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from quoting.census import MAX_CENSUS_BYTES
from quoting.errors import (
    EndorsementPending,
    NotFound,
    NotReferred,
    PolicyCancelled,
    PolicyChanged,
    PolicyRenewed,
    Problem,
    QuotingError,
    RequestError,
    SelfApproval,
)
from quoting.policies import in_force
from quoting.schemas import EndorsementRequest, PricedEndorsement
from quoting.services import binding, claims, endorsements, policy_documents, renewal
from quoting.services.endorsements import Endorse, preview_endorsement
from quoting.services.lookups import tariff_choices
from quoting.services.quotation import CensusUpload
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web.pages._endorse_form import (
    ADD_COLUMNS,
    CHANGE_COLUMNS,
    EndorseForm,
    endorse_errors,
)
from quoting.web.pages._messages import problem_sayer, sayer
from quoting.web.pages._policy_view import (
    VERSION_DOCUMENTS,
    covered_members,
    endorsement_document_href,
    version_document_href,
    versions,
)
from quoting.web.pages._quote_form import CLASSES, FormErrors
from quoting.web.pages._quotes import _census_upload, _download
from quoting.web.pages._render import render
from quoting.web.pages._session import page_locale, require_role

__all__ = ["PolicyPagesController"]

POLICIES_PER_PAGE = 20


def _(message: str) -> str:
    return message  # marks a text for the catalogues (the templates translate it)


#: Refusals of an endorsement said in the page's language (others: the service's words).
_REFUSALS: dict[type[QuotingError], str] = {
    EndorsementPending: _(
        "Another endorsement of this policy awaits an underwriter's approval; the policy "
        "takes no other change until it is decided."
    ),
    PolicyCancelled: _("A cancelled policy takes no further change."),
    PolicyChanged: _(
        "The policy has had another endorsement since this preview; preview the change again."
    ),
}
#: Refusals of an approval, likewise.
_APPROVAL_REFUSALS: dict[type[QuotingError], str] = {
    SelfApproval: _(
        "An underwriter cannot approve an endorsement they made; ask another underwriter."
    ),
    NotReferred: _("This endorsement does not wait for an approval."),
}
#: Why a renewal cannot be prepared, in the page's words (else the service's message).
_RENEWAL_REFUSALS: dict[type[QuotingError], str] = {
    PolicyRenewed: _("This policy is renewed already."),
    PolicyCancelled: _("A cancelled policy is not renewed."),
    EndorsementPending: _(
        "An endorsement awaits an underwriter's approval: prepare the renewal once it is decided."
    ),
}
_STAFF = [require_role("agent", "underwriter")]
_BODY_LIMIT = MAX_CENSUS_BYTES + 2**20


def _policy_context(uow: UnitsOfWork, context: ServiceContext, policy_id: str) -> dict[str, Any]:
    """Everything the policy page shows: the policy, its newest version's totals, its
    endorsements, versions and claims."""
    newest = endorsements.policy_version(uow, context, policy_id)
    records = endorsements.list_endorsements(uow, context, policy_id)
    report = claims.claims_report(uow, context, policy_id)
    quote = newest.quote
    pending = next((e for e in records if e.status == "referred"), None)
    covered_on = min(max(context.today(), quote.period_start), quote.period_end)
    return {
        "policy": newest.policy,
        "quote": quote,
        "newest": newest,
        "headcount": endorsements.insured_count(newest.members),
        # before the period (or after it) the count of its first (or last) day
        "covered_on": covered_on,
        "covered": len(in_force(newest.members, covered_on)),
        "named": bool(newest.members),
        "pending": pending,
        "endorsements": records,
        "versions": versions(quote, records),
        "version_documents": VERSION_DOCUMENTS,
        "version_href": version_document_href,
        "endorsement_href": endorsement_document_href,
        "report": report,
        "approved": None,
        "renewed_by": binding.get_policy(uow, context, policy_id).renewed_by,
        # A double click on "prepare the renewal" makes one quote.
        "renewal_key": secrets.token_urlsafe(16),
        "approve_error": None,
        "renewal_error": None,
        "choices": tariff_choices(context, quote.as_of, quote.tariff.hash),
    }


def _refusal_page(
    request: Request[Any, Any, Any],
    uow: UnitsOfWork,
    context: ServiceContext,
    policy_id: str,
    exc: QuotingError,
    words: dict[type[QuotingError], str],
    slot: str,
) -> Response[str]:
    """The policy page saying why ``exc`` refused the user's action (at ``slot``): in the
    page's words where we have them, else the first problem's or the service's."""
    locale = page_locale(request)
    said = words.get(type(exc))
    if said is not None:
        refusal = sayer(locale)(said)
    elif isinstance(exc, RequestError) and exc.problems:
        refusal = problem_sayer(locale)(exc.problems[0])
    else:
        refusal = str(exc)
    page = _policy_context(uow, context, policy_id) | {slot: refusal}
    return render(request, "policies/policy.html", status_code=exc.status, stored=None, **page)


def _endorse_page(
    request: Request[Any, Any, Any],
    uow: UnitsOfWork,
    context: ServiceContext,
    policy_id: str,
    form: EndorseForm,
    errors: FormErrors,
    *,
    status: int = 200,
    preview: PricedEndorsement | None = None,
    from_file: bool = False,
) -> Response[str]:
    """The endorsement form (with the preview and its confirm form once priced)."""
    newest = endorsements.policy_version(uow, context, policy_id)
    quote = newest.quote
    records = endorsements.list_endorsements(uow, context, policy_id)
    confirm = None
    if preview is not None:
        confirm = {
            "request_json": msgspec.json.encode(preview.request).decode(),
            # made once per preview: a second click on Confirm stores no second endorsement
            "idempotency_key": secrets.token_urlsafe(18),
            "seq": preview.seq,
        }
    return render(
        request,
        "policies/endorse.html",
        status_code=status,
        policy=newest.policy,
        quote=quote,
        members=covered_members(newest.members, context.today()),
        form=form,
        errors=errors,
        preview=preview,
        confirm=confirm,
        pending=next((e for e in records if e.status == "referred"), None),
        cancelled_from=newest.cancelled_from,
        from_file=from_file,
        choices=tariff_choices(context, quote.as_of, quote.tariff.hash),
        classes=CLASSES,
        add_columns=ADD_COLUMNS,
        change_columns=CHANGE_COLUMNS,
        max_mb=MAX_CENSUS_BYTES // 2**20,
        say=sayer(page_locale(request)),
    )


def _refused(exc: QuotingError) -> bool:
    """A service error the endorsement page shows (else it is raised: 404, our bugs)."""
    return not isinstance(exc, NotFound) and exc.status < 500


def _errors_of(
    exc: QuotingError,
    request: Request[Any, Any, Any],
    requested: tuple[list[int], list[int]],
    removed: list[str],
    members: list[str],
) -> FormErrors:
    """The service's problems on the form; a refusal of the whole change above it."""
    locale = page_locale(request)
    words = _REFUSALS.get(type(exc))
    if words is not None:
        return FormErrors(general=[sayer(locale)(words)])
    return endorse_errors(exc.problems, requested, removed, members, problem_sayer(locale))


def _members_listed(uow: UnitsOfWork, context: ServiceContext, policy_id: str) -> list[str]:
    newest = endorsements.policy_version(uow, context, policy_id)
    return [m.member.member_id for m in covered_members(newest.members, context.today())]


class PolicyPagesController(Controller):
    """The policy pages (see the module's docstring for the routes)."""

    path = "/"
    include_in_schema = False

    @get("/policies", name="policies", sync_to_thread=True, guards=_STAFF)
    def policy_list(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The user's policies, newest first, paged; each with its newest version's totals."""
        try:
            page = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            page = 1
        offset = (page - 1) * POLICIES_PER_PAGE
        bound, total = binding.list_policies(uow, context, POLICIES_PER_PAGE, offset)
        current = endorsements.current_versions(uow, [b.policy.id for b in bound])
        cancelled = endorsements.cancellations(uow, current)
        rows = [
            {
                "policy": b.policy,
                "quote": b.quote,
                "period": b.period,
                "cancelled_from": cancelled.get(b.policy.id),
                "premium": v.total_premium if v else b.quote.total_premium,
                "headcount": v.headcount if v else b.quote.headcount,
            }
            for b in bound
            for v in [current.get(b.policy.id)]
        ]
        return render(
            request,
            "policies/list.html",
            rows=rows,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / POLICIES_PER_PAGE)),
        )

    @get("/policies/{policy_id:str}", name="policy", sync_to_thread=True, guards=_STAFF)
    def policy_page(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[str]:
        """The policy: status, newest totals, documents, versions, endorsements, claims."""
        page = _policy_context(uow, context, policy_id)
        done = str(request.query_params.get("done") or "")
        stored = next((e for e in page["endorsements"] if str(e.seq) == done), None)
        approved = str(request.query_params.get("approved") or "")
        page["approved"] = next((e for e in page["endorsements"] if str(e.seq) == approved), None)
        return render(request, "policies/policy.html", stored=stored, **page)

    @get(
        "/policies/{policy_id:str}/endorse",
        name="policy-endorse",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def endorse_form(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[str]:
        """The endorsement form: effective date, reason, members to add, remove, change."""
        return _endorse_page(request, uow, context, policy_id, EndorseForm.new(), FormErrors())

    @post(
        "/policies/{policy_id:str}/endorse",
        name="policy-endorse-preview",
        status_code=200,
        request_max_body_size=_BODY_LIMIT,
        guards=_STAFF,
    )
    async def preview(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[str]:
        """Price the form as an endorsement without storing it and show it with "Confirm"
        (or carry out an "add rows" button); problems beside their fields, 422."""
        submitted = await request.form()
        fields = {k: [v for v in submitted.getall(k) if isinstance(v, str)] for k in submitted}
        form = EndorseForm.parse(fields)
        show = functools.partial(_endorse_page, request, uow, context, policy_id, form)
        if form.apply(str(submitted.get("action") or "preview")):
            return await anyio.to_thread.run_sync(show, FormErrors())
        upload = await _census_upload(submitted.get("census_file"))
        body, add_rows, change_rows = form.request(with_file=upload is not None)
        say = problem_sayer(page_locale(request))
        listed = await anyio.to_thread.run_sync(_members_listed, uow, context, policy_id)
        if isinstance(upload, Problem):
            errors = endorse_errors([upload], (add_rows, change_rows), form.remove, listed, say)
            return await anyio.to_thread.run_sync(functools.partial(show, errors, status=422))
        assert upload is None or isinstance(upload, CensusUpload)
        command = Endorse(policy_id, msgspec.json.encode(body), census=upload)
        try:
            priced = await anyio.to_thread.run_sync(preview_endorsement, uow, context, command)
        except QuotingError as exc:
            if not _refused(exc):
                raise
            errors = _errors_of(exc, request, (add_rows, change_rows), form.remove, listed)
            shown = functools.partial(show, errors, status=exc.status, from_file=bool(upload))
            return await anyio.to_thread.run_sync(shown)
        shown = functools.partial(show, FormErrors(), preview=priced, from_file=bool(upload))
        return await anyio.to_thread.run_sync(shown)

    @post(
        "/policies/{policy_id:str}/endorse/confirm",
        name="policy-endorse-confirm",
        request_max_body_size=_BODY_LIMIT,
        guards=_STAFF,
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[Any]:
        """Store the previewed endorsement (the same request, under the preview's key and
        number); a 303 to the policy page, or the form again with why not."""
        submitted = await request.form()
        raw = str(submitted.get("request_json") or "").encode()
        key = str(submitted.get("idempotency_key") or "")[:255] or None
        seq = str(submitted.get("seq") or "")
        command = Endorse(policy_id, raw, key, expected_seq=int(seq) if seq.isdigit() else None)
        try:
            stored = await anyio.to_thread.run_sync(endorsements.endorse, uow, context, command)
        except QuotingError as exc:
            if not _refused(exc):
                raise
            try:
                form = EndorseForm.from_request(msgspec.json.decode(raw, type=EndorsementRequest))
            except (msgspec.DecodeError, msgspec.ValidationError):
                form = EndorseForm.new()
            errors = _errors_of(exc, request, ([], []), [], [])
            shown = functools.partial(
                _endorse_page, request, uow, context, policy_id, form, errors, status=exc.status
            )
            return await anyio.to_thread.run_sync(shown)
        seq_done = stored.endorsement.seq
        return Redirect(f"/policies/{policy_id}?done={seq_done}#endorsements", status_code=303)

    @post(
        "/policies/{policy_id:str}/endorsements/{seq:int}/approve",
        name="policy-endorsement-approve",
        sync_to_thread=True,
        guards=[require_role("underwriter")],
    )
    def approve(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
    ) -> Response[Any]:
        """An underwriter approves a referred endorsement (not one they made): its version
        becomes the policy's newest; back to the policy, or the page with why not."""
        try:
            endorsements.approve_endorsement(uow, context, policy_id, seq)
        except QuotingError as exc:
            if not _refused(exc):
                raise
            return _refusal_page(
                request, uow, context, policy_id, exc, _APPROVAL_REFUSALS, "approve_error"
            )
        return Redirect(f"/policies/{policy_id}?approved={seq}#endorsements", status_code=303)

    @get(
        "/policies/{policy_id:str}/endorsements/{seq:int}/documents/{filename:str}",
        name="policy-endorsement-document",
        sync_to_thread=True,
        guards=_STAFF,
    )
    def endorsement_document(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
        filename: FromPath[str],
    ) -> Response[bytes]:
        """An endorsement's document (批单, or the 退保批单 of a cancellation) or the
        certificates of the members it added, as PDF."""
        if filename == "certificates.pdf":
            made = policy_documents.endorsement_certificates(uow, context, policy_id, seq, "pdf")
            return _download(*made)
        if filename != "endorsement.pdf":
            raise NotFound(f"No document {filename!r}.")
        return _download(*endorsements.endorsement_document(uow, context, policy_id, seq, "pdf"))

    @post("/policies/{policy_id:str}/renewal", name="policy-renewal", guards=_STAFF)
    async def prepare_renewal(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[Any]:
        """Prepare the policy's renewal quote (续保) and open it; or the policy page with
        why not."""
        key = str((await request.form()).get("key") or "")[:64] or None
        command = renewal.RenewPolicy(policy_id, key)
        try:
            stored = await anyio.to_thread.run_sync(renewal.renewal_quote, uow, context, command)
        except QuotingError as exc:
            if not _refused(exc):
                raise
            shown = functools.partial(
                _refusal_page, request, uow, context, policy_id, exc, _RENEWAL_REFUSALS
            )
            return await anyio.to_thread.run_sync(shown, "renewal_error")
        return Redirect(f"/quotes/{stored.quote.id}#renewal", status_code=303)
