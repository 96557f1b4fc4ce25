"""The broker API's quote endpoints: thin; the work is in quoting.quotes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
)
from litestar.params import FromPath, QueryParameter

from quoting.census import MAX_CENSUS_BYTES
from quoting.errors import MalformedRequest, TooLarge, UnsupportedMediaType
from quoting.quote_columns import (
    BRIEF_ITEMS,
    INLINE_MEMBERS,
    MAX_MEMBERS_PAGE,
    MEMBERS_PAGE,
    ColumnarQuote,
    JsonQuote,
    QuoteSource,
    splice_members,
)
from quoting.schemas import MemberQuote, QuoteRequest
from quoting.services import CensusUpload, CreateQuote, repricing
from quoting.services import quotation as quotes
from quoting.store import Account, PolicyRow, QuoteFilter, QuoteRow
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._examples import example, example_request, static_example
from quoting.web._openapi import (
    ApiOperation,
    IdempotencyKeyHeader,
    content_disposition,
    header,
    json_or_census_file,
    operation,
    problem,
)
from quoting.web._schemas import (
    DeclinedPage,
    MemberPage,
    MembersPageInfo,
    QuoteLinks,
    QuoteListItem,
    QuotePage,
    QuoteRecord,
    RepricedQuote,
    SitePage,
)

__all__ = ["QuotesController"]

BASE = "/api/v1/quotes"
CENSUS_TYPES = (".csv", ".xlsx", ".json")
#: Problems every authenticated route can answer with.
ERRORS: dict[int, ResponseSpec] = {
    400: problem(
        400,
        "A query parameter, path parameter or header is not valid; `errors` names it",
        "Validation failed for GET /api/v1/quotes?limit=0",
    ),
    401: problem(
        401,
        "No API key, or one that is not valid (see `WWW-Authenticate`)",
        "Send your API key as 'Authorization: Bearer <key>'.",
    ),
    403: problem(
        403,
        "Your account's role may not do this",
        "This needs one of the roles underwriter; your account is a broker.",
    ),
    429: problem(
        429,
        "The rate limit of your API key is reached; retry after `Retry-After` seconds",
        "Rate limit reached for this API key; retry in 12 s.",
    ),
}
NOT_FOUND = problem(
    404,
    "No quote with this id among yours",
    "No quote q_2f1c9a7e5b3d4c6a8e0f1a2b among yours.",
    instance=f"{BASE}/q_2f1c9a7e5b3d4c6a8e0f1a2b",
)
_CREATE_PROBLEMS: dict[int, ResponseSpec] = {
    413: problem(
        413, "The body or the census file is too large", "The census file is larger than 10 MB."
    ),
    415: problem(
        415,
        "Neither JSON nor multipart/form-data, or a census file that is not .csv, .xlsx or .json",
        "The census file 'census.png' must be .csv, .xlsx or .json.",
    ),
    422: problem(
        422,
        "The request is not valid: `errors` lists every problem with a JSON pointer (or the "
        "census file's row and column); `idempotency-key-reused` for a key used with another body",
        "",
        example=static_example("problem"),
    ),
}


@dataclass
class _QuoteBodies(ApiOperation):
    """Documents the two request bodies the handler reads itself (JSON or multipart)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = json_or_census_file(
            "A quote request as JSON, or multipart/form-data with a `request` part (the same "
            "JSON without `census`) and a `census` file (.csv, .xlsx or .json, at most 10 MB).",
            schema="QuoteRequest",
            example=("construction", "Two members in Indonesia and Kenya", example_request()),
            without="census",
            census="Census file",
        )


_CreateQuoteOperation = operation(
    "_CreateQuoteOperation",
    base=_QuoteBodies,
    headers={
        201: {
            "Location": header(
                "Where the stored quote is.", examples=[f"{BASE}/q_2f1c9a7e5b3d4c6a8e0f1a2b"]
            ),
            "Idempotent-Replayed": header(
                "`true` when an earlier request with the same Idempotency-Key and body made "
                "this quote (nothing new was stored).",
                required=False,
                enum=["true"],
            ),
        }
    },
)
_DownloadOperation = operation(
    "_DownloadOperation", headers={200: content_disposition("attachment")}
)


def _links(quote_id: FromPath[str]) -> QuoteLinks:
    base = f"{BASE}/{quote_id}"
    return QuoteLinks(
        self=base,
        members_csv=f"{base}/members.csv",
        members_xlsx=f"{base}/members.xlsx",
        request=f"{base}/request",
    )


def _record_json(
    row: QuoteRow, source: QuoteSource | None = None, policy: PolicyRow | None = None
) -> bytes:
    """The quote JSON with id, dates, links, approval and policy in front. Up to
    :data:`INLINE_MEMBERS` members it holds every member and line with its trace (as it
    always did); a larger quote holds its first page of members without the trace, and
    ``members_page`` says where the rest are."""
    if source is None:
        source = quotes.quote_source(row)
    record: dict[str, Any] = {
        "id": row.id,
        "number": row.number,
        "created_at": row.created_at,
        "valid_until": row.valid_until,
        "links": _links(row.id),
        "approved_at": row.approved_at,
        "policy_number": policy.policy_number if policy else None,
        "policy": f"/api/v1/policies/{policy.id}" if policy else None,
    }
    total = len(source)
    if isinstance(source, JsonQuote) and total <= INLINE_MEMBERS:
        body = source.quote_json  # stored before quotes were columnar: as it was
    elif isinstance(source, ColumnarQuote) and source.inline_json is not None:
        body = splice_members(source.header_json, source.inline_json)
    elif total <= INLINE_MEMBERS:
        members = msgspec.json.encode(source.member_quotes(0, total, trace=True))
        body = splice_members(source.header_json, members)
    else:
        page = source.member_quotes(0, MEMBERS_PAGE, trace=False)
        record["members_page"] = _page_info(row.id, 0, MEMBERS_PAGE, total)
        brief = source.brief()
        if brief.declined > BRIEF_ITEMS:
            record["declined_page"] = _page_info(row.id, 0, BRIEF_ITEMS, brief.declined, "declined")
        if brief.sites > BRIEF_ITEMS:
            record["sites_page"] = _page_info(row.id, 0, BRIEF_ITEMS, brief.sites, "sites")
        body = splice_members(brief.header_json, msgspec.json.encode(page))
    head = msgspec.json.encode(record)
    return head[:-1] + b"," + body[1:]


def _page_info(
    quote_id: str, offset: int, limit: int, total: int, what: str = "members"
) -> MembersPageInfo:
    following = offset + limit
    return MembersPageInfo(
        offset=offset,
        limit=limit,
        total=total,
        next=f"{BASE}/{quote_id}/{what}?offset={following}&limit={limit}"
        if following < total
        else None,
    )


def _listed(
    page: type[DeclinedPage | SitePage],
    items: list[Any],
    quote_id: str,
    offset: int,
    limit: int,
    what: str,
) -> Response[Any]:
    """A page of one of a quote's header lists (``what``: its path under the quote)."""
    info = _page_info(quote_id, offset, limit, len(items), what)
    body = page(
        items=items[offset : offset + limit],
        total=len(items),
        limit=limit,
        offset=offset,
        next=info.next,
    )
    return _json(msgspec.json.encode(body))


def _json(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response[Any]:
    """Pre-encoded JSON; the handler's annotation documents its schema."""
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _member_export(
    uow: UnitsOfWork, context: ServiceContext, quote_id: str, fmt: str, media_type: str
) -> Response[bytes]:
    body, filename = quotes.member_export(uow, context, quote_id, fmt)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _read_upload(upload: UploadFile) -> CensusUpload:
    name = upload.filename or "census"
    if not name.lower().endswith(CENSUS_TYPES):
        raise UnsupportedMediaType(f"The census file {name!r} must be .csv, .xlsx or .json.")
    data = await upload.read(MAX_CENSUS_BYTES + 1)
    if len(data) > MAX_CENSUS_BYTES:
        raise TooLarge(f"The census file is larger than {MAX_CENSUS_BYTES // 1_000_000} MB.")
    return CensusUpload(name, data)


@dataclass
class _Upload:
    raw: bytes
    census: CensusUpload | None = field(default=None)


async def _read_body(request: Request[Account, Any, Any]) -> _Upload:
    media_type = request.content_type[0]
    if media_type == "application/json":
        return _Upload(await request.body())
    if media_type == "multipart/form-data":
        form = await request.form()
        part = form.get("request")
        upload = form.get("census")
        if part is None:
            raise MalformedRequest(
                "The multipart body needs a 'request' part with the quote request JSON."
            )
        if isinstance(part, UploadFile):
            raw = await part.read()
        else:
            raw = str(part).encode()
        if upload is None or not isinstance(upload, UploadFile):
            raise MalformedRequest("The multipart body needs a 'census' file part.")
        return _Upload(raw, await _read_upload(upload))
    raise UnsupportedMediaType(
        f"Send application/json or multipart/form-data, not {media_type or 'no content type'}."
    )


class QuotesController(Controller):
    path = BASE
    tags = ["Quotes"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @post(
        "/",
        operation_id="createQuote",
        summary="Price and store a quote",
        description=(
            "Prices the request as of today, the insurer's business date (Asia/Shanghai by "
            "default), under the tariff in force on that date, stores it and returns it with "
            "`201` once committed. Brokers and agents leave `as_of` out (or send today's date; "
            "another date is a `422` at `/as_of`); only underwriters may re-price as of "
            "another date, which the quote records in `as_of_override`. A period that starts "
            "before today is referred as backdated. A broker's commission comes "
            "from its account. Send `Idempotency-Key` to make retries safe: the same key and "
            "body return the original quote (`Idempotent-Replayed: true`); the same key with "
            "another body is a `422`. Invalid input gives a `422` problem listing every error "
            "with a JSON pointer (or the census file's row and column)."
        ),
        status_code=201,
        operation_class=_CreateQuoteOperation,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(
                data_container=QuoteRecord,
                description="The stored quote",
                examples=example("quote", "A stored quote"),
                generate_examples=False,
            ),
            **ERRORS,
            **_CREATE_PROBLEMS,
        },
    )
    async def create_quote(
        self,
        request: Request[Account, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[QuoteRecord]:
        body = await _read_body(request)
        command = CreateQuote(body.raw, body.census, idempotency_key)
        stored = await anyio.to_thread.run_sync(quotes.create_quote, uow, context, command)
        row, created = stored.quote, stored.created
        headers = {"Location": f"{BASE}/{row.id}"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return _json(_record_json(row), 201, headers)

    @get(
        "/",
        operation_id="listQuotes",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=QuotePage,
                description="A page of quotes",
                examples=example("page", "One quote"),
                generate_examples=False,
            ),
            **ERRORS,
        },
        summary="Your quotes, newest first",
        description="Brokers and agents see their own quotes; underwriters and admins see all. "
        "Filter by status and creation date (UTC, `created_to` exclusive).",
        sync_to_thread=True,
    )
    def list_quotes(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        status: Annotated[
            Literal["accepted", "referred", "declined"] | None,
            QueryParameter(description="only quotes with this status"),
        ] = None,
        created_from: Annotated[
            dt.date | None, QueryParameter(description="created on or after this day (UTC)")
        ] = None,
        created_to: Annotated[
            dt.date | None, QueryParameter(description="created before this day (UTC)")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="page size")] = 50,
        offset: Annotated[
            int, QueryParameter(ge=0, le=10_000_000, description="quotes to skip")
        ] = 0,
    ) -> QuotePage:
        def start(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None

        where = QuoteFilter(None, status, start(created_from), start(created_to), limit, offset)
        rows, total = quotes.list_quotes(uow, context, where)
        items = [
            QuoteListItem(
                id=r.id,
                created_at=r.created_at,
                valid_until=r.valid_until,
                status=r.status,  # type: ignore[arg-type]
                currency=r.currency,
                total_premium=r.total_premium,
                total_vat=r.total_vat,
                policyholder=r.policyholder,
                credit_code=r.credit_code,
                headcount=r.headcount,
                tariff_version=r.tariff_version,
                links=_links(r.id),
                number=r.number,
            )
            for r in rows
        ]
        next_link = None
        if offset + len(items) < total:
            query: dict[str, str | int] = {"limit": limit, "offset": offset + limit}
            for key, value in (
                ("status", status),
                ("created_from", created_from),
                ("created_to", created_to),
            ):
                if value is not None:
                    query[key] = str(value)
            next_link = BASE + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return QuotePage(items=items, total=total, limit=limit, offset=offset, next=next_link)

    @get(
        "/{quote_id:str}",
        operation_id="getQuote",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=QuoteRecord,
                description="The quote",
                examples=example("quote", "A stored quote"),
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="One quote with every member line and its factor trace",
        description=f"A quote of up to {INLINE_MEMBERS} members holds every member and line "
        "with its factor trace. A larger one holds its first page of members (premium per "
        "cover, no trace) and `members_page` (offset, limit, total, `next`): read the rest "
        "from `/members` and a member's trace from `/members/{member_id}`. 404 for a quote "
        "that does not exist or is not yours.",
        sync_to_thread=True,
    )
    def get_quote(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[QuoteRecord]:
        view = quotes.get_quote_source(uow, context, quote_id)
        return _json(_record_json(view.quote, policy=view.policy))

    @get(
        "/{quote_id:str}/members",
        operation_id="listQuoteMembers",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=MemberPage,
                description="A page of the quote's members",
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="A page of a quote's members with their premium per cover",
        description="The quoted members in census order, each with its premium and VAT per "
        "cover (`lines`, with empty `factors`: a member's trace is at "
        "`/members/{member_id}`), and `next` until the last page. Read from the stored "
        "columns: a page of a 100,000-member quote costs what a page of a small one does. "
        "404 for a quote that does not exist or is not yours.",
        sync_to_thread=True,
    )
    def list_quote_members(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        limit: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_MEMBERS_PAGE, description="members per page"),
        ] = MEMBERS_PAGE,
        offset: Annotated[
            int, QueryParameter(ge=0, le=10_000_000, description="members to skip")
        ] = 0,
    ) -> Response[MemberPage]:
        page = quotes.quote_members(uow, context, quote_id, offset, limit)
        info = _page_info(quote_id, offset, limit, page.total)
        body = MemberPage(
            items=page.members, total=page.total, limit=limit, offset=offset, next=info.next
        )
        return _json(msgspec.json.encode(body))

    @get(
        "/{quote_id:str}/declined",
        operation_id="listQuoteDeclined",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=DeclinedPage,
                description="A page of the quote's declined members",
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="A page of a quote's declined members, with why",
        description="The census rows the quote does not cover, in census order, each with "
        "its reasons, and `next` until the last page. A quote of more than 500 members "
        "carries only the first 100 in `declined` (then `declined_page` says so). 404 for a "
        "quote that does not exist or is not yours.",
        sync_to_thread=True,
    )
    def list_quote_declined(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_MEMBERS_PAGE, description="rows per page")
        ] = MEMBERS_PAGE,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="rows to skip")] = 0,
    ) -> Response[DeclinedPage]:
        declined = quotes.quote_header(uow, context, quote_id).declined
        return _listed(DeclinedPage, declined, quote_id, offset, limit, "declined")

    @get(
        "/{quote_id:str}/sites",
        operation_id="listQuoteSites",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=SitePage,
                description="A page of the quote's sites",
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="A page of a quote's sites and their accumulation rating",
        description="Each site's exposure, tier, event rate, expected excess and loading "
        "(SPEC §3 step 6; the figures a line's `accumulation_loading` is recomputed from), "
        "in the order of `rating.sites`, and `next` until the last page. A quote of more "
        "than 500 members carries only the first 100 in `rating.sites` (then `sites_page` "
        "says so). 404 for a quote that does not exist or is not yours.",
        sync_to_thread=True,
    )
    def list_quote_sites(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_MEMBERS_PAGE, description="sites per page")
        ] = MEMBERS_PAGE,
        offset: Annotated[
            int, QueryParameter(ge=0, le=10_000_000, description="sites to skip")
        ] = 0,
    ) -> Response[SitePage]:
        sites = quotes.quote_header(uow, context, quote_id).rating.sites
        return _listed(SitePage, sites, quote_id, offset, limit, "sites")

    @get(
        "/{quote_id:str}/members/{member_id:str}",
        operation_id="getQuoteMember",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=MemberQuote,
                description="The member with every line's factors",
                generate_examples=False,
            ),
            **ERRORS,
            404: problem(
                404,
                "No quote with this id among yours, or no quoted member with this id in it",
                "No member E999 among the quoted members of quote q_2f1c9a7e5b3d4c6a8e0f1a2b.",
            ),
        },
        summary="One member of a quote with its explanation trace",
        description="The member's lines with every factor used (see `QuoteLine`), so each "
        "premium can be recomputed by hand with the quote's `rating`. Declined members are "
        "in the quote's `declined`, not here (404).",
        sync_to_thread=True,
    )
    def get_quote_member(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        member_id: FromPath[str],
    ) -> Response[MemberQuote]:
        return _json(msgspec.json.encode(quotes.quote_member(uow, context, quote_id, member_id)))

    @post(
        "/{quote_id:str}/reprice",
        operation_id="repriceQuote",
        operation_class=ApiOperation,
        status_code=200,
        guards=[requires_role("underwriter", "admin")],
        responses={
            200: ResponseSpec(
                data_container=RepricedQuote,
                description="The quote priced again, and how it compares with the stored one",
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
            500: problem(
                500,
                "No tariff version under the tariff folder has the quote's content hash any "
                "more (a published version was removed or edited)",
                "No tariff version under tariffs has content sha256:….",
            ),
        },
        summary="Re-price a stored quote with its own tariff version (underwriters)",
        description="Prices the stored request again, as of its own as-of and business "
        "dates, with the commission it was priced with, under the tariff version it was "
        "priced with — found by its content hash, so also after newer versions are "
        "published. Nothing is stored: the answer is the fresh quote plus `quote_id`, "
        "`same_as_stored` and the `differences` (figure, stored, re-priced). Underwriters "
        "and admins only: `403` for brokers and agents; `404` for an unknown quote.",
        sync_to_thread=True,
    )
    def reprice_quote(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[RepricedQuote]:
        found = repricing.reprice_quote(uow, context, quote_id)
        head = msgspec.json.encode(
            {
                "quote_id": found.stored.id,
                "same_as_stored": found.same_as_stored,
                "differences": [
                    {"field": d.field, "stored": d.stored, "repriced": d.repriced}
                    for d in found.differences
                ],
            }
        )
        return _json(head[:-1] + b"," + msgspec.json.encode(found.quote)[1:])

    @get(
        "/{quote_id:str}/request",
        operation_id="getQuoteRequest",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=QuoteRequest,
                description="The request",
                examples=example("request", "The request of the example quote"),
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="The request as it was priced",
        description="As it was received, with `as_of` filled in (a census file is included as "
        "`census`); posting it again prices the same quote to the cent. Brokers and agents "
        "can post it again on the same business day; later, leave `as_of` out (it is today's "
        "date then) — only underwriters may re-price as of the original date.",
        sync_to_thread=True,
    )
    def get_quote_request(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[QuoteRequest]:
        row = quotes.get_quote(uow, context, quote_id).quote
        assert row.request_json is not None
        return _json(row.request_json)

    @get(
        "/{quote_id:str}/members.csv",
        operation_id="getQuoteMembersCsv",
        operation_class=_DownloadOperation,
        responses={
            200: ResponseSpec(
                data_container=str,
                description="CSV of per-member premiums",
                media_type="text/csv",
                examples=[
                    Example(
                        summary="Two members",
                        value="member_id,name,headcount,country,occupation_class,age,plan,site,start,end,months,premium_add,premium,vat\r\n"
                        "E001,李娜,1,ID,2,38,Plan A,Morowali nickel smelter,2027-01-01,2027-12-31,12,1395.67,16156.58,151.25\r\n",
                    )
                ],
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="Per-member premiums as CSV",
        description="UTF-8 with BOM; text cells that would start a spreadsheet formula are neutralised.",
        sync_to_thread=True,
        media_type="text/csv",
    )
    def members_csv(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[bytes]:
        return _member_export(uow, context, quote_id, "csv", "text/csv")

    @get(
        "/{quote_id:str}/members.xlsx",
        operation_id="getQuoteMembersXlsx",
        operation_class=_DownloadOperation,
        responses={
            200: ResponseSpec(
                data_container=bytes,
                description="XLSX workbook with one row per member (same columns as the CSV)",
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                examples=[Example(summary="A workbook", value="(binary XLSX file)")],
                generate_examples=False,
            ),
            **ERRORS,
            404: NOT_FOUND,
        },
        summary="Per-member premiums as an XLSX workbook",
        description="Text cells that would start a formula are neutralised.",
        sync_to_thread=True,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    def members_xlsx(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[bytes]:
        return _member_export(uow, context, quote_id, "xlsx", XLSX_MEDIA_TYPE)
