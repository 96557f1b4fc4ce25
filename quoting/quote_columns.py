"""A priced quote kept as the engine's columns: stored, paged and streamed without a
Python object per line until someone reads those lines.

The stored form (``QCOL`` version 1) is one byte string::

    b"QCOL" | u8 version | u32 length | meta (msgspec JSON, :class:`_Meta`) | sections

``meta`` holds where each section lies. The sections are the *header* — the wire
:class:`Quote` JSON with ``"members":[]`` (totals, summaries, status, referrals, declines,
group rating), spliced unchanged into responses — for a quote of up to
:data:`INLINE_MEMBERS` members the members' wire JSON (what its responses hold whole;
building it again from the columns on every read would cost more than keeping it), the
members' ids (to find one member),
and chunks of :data:`CHUNK_MEMBERS` members; every section is zlib-compressed (level 1)
for a quote beyond :data:`COMPRESS_BEYOND` members. A quote of more than
:data:`INLINE_MEMBERS` members also keeps its *brief* header, the one its responses carry
(declined members and sites cut to their first :data:`BRIEF_ITEMS`). A chunk is two blobs: *base* (the members' fields and their
lines' cover and cents) and *trace* (each factor of the lines whose cover uses it, as
float64 — the same numbers the wire trace shows). A page reads only its chunks, and a
page without the trace reads no trace blob. Blobs are a small JSON manifest followed by
the raw little-endian arrays.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from quoting.pricing import cents_to_text
from quoting.schemas import MemberQuote, Quote, QuoteLine

__all__ = [
    "BRIEF_ITEMS",
    "CHUNK_MEMBERS",
    "COMPRESS_BEYOND",
    "INLINE_MEMBERS",
    "MAGIC",
    "MAX_MEMBERS_PAGE",
    "MEMBERS_PAGE",
    "Brief",
    "ColumnarQuote",
    "CoverTrace",
    "JsonQuote",
    "MemberColumns",
    "QuoteColumns",
    "QuoteSource",
    "encode_columns",
    "is_columnar",
    "splice_members",
    "write_json",
]

MAGIC = b"QCOL"
VERSION = 1
#: Members per chunk: a page of up to a thousand members reads one or two chunks.
CHUNK_MEMBERS = 1024
#: Chunks are stored as they are up to this many members (a 50-member quote is ~80 kB
#: and zlib would cost more time than the bytes it saves), compressed beyond.
COMPRESS_BEYOND = 500

#: A quote of up to this many members carries them all, with every line's trace, in one
#: response (as before quotes were paged); a larger one carries its first page.
INLINE_MEMBERS = 500
#: The default and the largest page of members.
MEMBERS_PAGE = 100
MAX_MEMBERS_PAGE = 1000
#: A larger quote's responses also carry only the first this many of its declined members
#: and of its sites' accumulation ratings (the rest are paged like its members).
BRIEF_ITEMS = 100

_INT_ARRAYS = (
    "plan",
    "headcount",
    "occupation_class",
    "age",
    "months",
    "start",
    "end",
    "premium",
    "vat",
    "line_count",
    "line_cover",
    "line_premium",
    "line_vat",
)
_STRINGS = ("member_id", "name", "site", "country")
_MEMBERS_KEY = b',"members":[],'


@dataclass(frozen=True, slots=True)
class CoverTrace:
    """A cover's rating method and the trace factors its lines show, in wire order."""

    code: str
    method: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Brief:
    """The header a large quote's responses carry (declined members and sites cut to
    their first :data:`BRIEF_ITEMS`), and how many of each the quote has."""

    header_json: bytes
    declined: int
    sites: int


def _brief_header(header: Quote) -> Quote:
    rating = msgspec.structs.replace(header.rating, sites=header.rating.sites[:BRIEF_ITEMS])
    return msgspec.structs.replace(
        header, members=[], declined=header.declined[:BRIEF_ITEMS], rating=rating
    )


def _brief_of(header: Quote) -> Brief:
    return Brief(
        msgspec.json.encode(_brief_header(header)),
        len(header.declined),
        len(header.rating.sites),
    )


@dataclass(frozen=True, slots=True)
class MemberColumns:
    """Members (accepted census rows, in census order) and their lines, member by member
    (each member's lines in cover order). Dates are proleptic ordinals; money is cents."""

    member_id: list[str]
    name: list[str]
    site: list[str | None]
    country: list[str]
    plan: npt.NDArray[np.int64]
    headcount: npt.NDArray[np.int64]
    occupation_class: npt.NDArray[np.int64]
    age: npt.NDArray[np.int64]
    months: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    premium: npt.NDArray[np.int64]
    vat: npt.NDArray[np.int64]
    line_count: npt.NDArray[np.int64]
    line_cover: npt.NDArray[np.int64]
    line_premium: npt.NDArray[np.int64]
    line_vat: npt.NDArray[np.int64]
    #: factor name -> one float per line (NaN where the line's cover does not use it);
    #: empty for a quote priced without the trace
    trace: dict[str, npt.NDArray[np.float64]]

    def __len__(self) -> int:
        return len(self.member_id)

    def slice(self, lo: int, hi: int) -> MemberColumns:
        """Members ``lo`` to ``hi`` (exclusive) and their lines."""
        bounds = np.concatenate(([0], np.cumsum(self.line_count)))
        a, b = int(bounds[lo]), int(bounds[hi])
        values = {name: getattr(self, name)[lo:hi] for name in (*_STRINGS, *_INT_ARRAYS[:10])}
        lines = {name: getattr(self, name)[a:b] for name in _INT_ARRAYS[10:]}
        trace = {k: v[a:b] for k, v in self.trace.items()}
        return MemberColumns(**values, **lines, trace=trace)

    def member_quotes(
        self, plans: list[str], covers: list[CoverTrace], trace: bool
    ) -> list[MemberQuote]:
        """The wire members; their lines carry the factor trace if ``trace`` (and the
        columns have it), else empty ``factors``."""
        factors = self._factors(covers) if trace and self.trace else None
        line_cover = self.line_cover.tolist()
        line_prem, line_vat = _texts(self.line_premium), _texts(self.line_vat)
        codes = [c.code for c in covers]
        out: list[MemberQuote] = []
        i = 0
        heads, prem, vat = self.headcount.tolist(), _texts(self.premium), _texts(self.vat)
        ordinal = dt.date.fromordinal
        for m, (count, plan, cls, age, months, start, end) in enumerate(
            zip(
                self.line_count.tolist(),
                self.plan.tolist(),
                self.occupation_class.tolist(),
                self.age.tolist(),
                self.months.tolist(),
                self.start.tolist(),
                self.end.tolist(),
                strict=True,
            )
        ):
            lines = [
                QuoteLine(
                    cover=codes[line_cover[j]],
                    premium=line_prem[j],
                    vat=line_vat[j],
                    factors=factors[j] if factors is not None else {},
                )
                for j in range(i, i + count)
            ]
            i += count
            out.append(
                MemberQuote(
                    member_id=self.member_id[m],
                    name=self.name[m],
                    headcount=heads[m],
                    country=self.country[m],
                    occupation_class=cls,
                    age=age,
                    plan=plans[plan],
                    start=ordinal(start),
                    end=ordinal(end),
                    months=months,
                    premium=prem[m],
                    vat=vat[m],
                    lines=lines,
                    site=self.site[m],
                )
            )
        return out

    def _factors(self, covers: list[CoverTrace]) -> list[dict[str, float | str]]:
        """Each line's factor dict, built cover by cover from the columns."""
        n = self.line_cover.size
        factors: list[dict[str, float | str]] = [{}] * n
        line_heads = np.repeat(self.headcount, self.line_count)
        for index, cover in enumerate(covers):
            where = np.flatnonzero(self.line_cover == index)
            if where.size == 0:
                continue
            columns = [self.trace[k][where].tolist() for k in cover.keys]
            for j, values, heads in zip(
                where.tolist(), zip(*columns, strict=True), line_heads[where].tolist(), strict=True
            ):
                f: dict[str, float | str] = {"method": cover.method}
                f.update(zip(cover.keys, values, strict=True))
                f["headcount"] = heads
                factors[j] = f
        return factors


def _texts(cents: np.ndarray) -> list[str]:
    """:func:`cents_to_text` of every value (whole cents and their remainders split in
    numpy, one f-string per value)."""
    if cents.size and int(cents.min()) < 0:
        return [cents_to_text(c) for c in cents.tolist()]
    whole, rest = np.divmod(cents, 100)
    return [f"{w}.{r:02d}" for w, r in zip(whole.tolist(), rest.tolist(), strict=True)]


@dataclass(frozen=True, slots=True)
class QuoteColumns:
    """A priced quote: its header (the wire quote without members) and its members as
    columns."""

    header: Quote
    plans: list[str]
    covers: list[CoverTrace]
    members: MemberColumns
    has_trace: bool

    def member_quotes(self, lo: int, hi: int, *, trace: bool = True) -> list[MemberQuote]:
        """Members ``lo`` to ``hi`` as wire members."""
        return self.members.slice(lo, hi).member_quotes(self.plans, self.covers, trace)

    def __len__(self) -> int:
        return len(self.members)

    @property
    def header_json(self) -> bytes:
        """The wire quote JSON with ``"members":[]``."""
        return msgspec.json.encode(msgspec.structs.replace(self.header, members=[]))

    def brief(self) -> Brief:
        """The header a large quote's responses carry."""
        return _brief_of(self.header)

    def find_member(self, member_id: str) -> MemberQuote | None:
        """One member with every line's trace, or None."""
        try:
            at = self.members.member_id.index(member_id)
        except ValueError:
            return None
        return self.member_quotes(at, at + 1)[0]

    def quote(self) -> Quote:
        """The whole wire quote (every member built: for small quotes and old readers)."""
        members = self.member_quotes(0, len(self.members), trace=True)
        return msgspec.structs.replace(self.header, members=members)


class _Meta(msgspec.Struct, kw_only=True):
    members: int
    chunk_members: int
    compressed: bool
    has_trace: bool
    plans: list[str]
    #: (code, method, trace keys) per cover index
    covers: list[tuple[str, str, list[str]]]
    #: every trace key in the order of the trace blob
    trace_keys: list[str]
    header: tuple[int, int]
    #: the members' wire JSON, kept for a quote of up to INLINE_MEMBERS members (its
    #: responses hold it whole; it costs less to keep than to build again on each read)
    inline: tuple[int, int] | None = None
    ids: tuple[int, int]
    #: (base offset, base length, trace offset, trace length) per chunk
    chunks: list[tuple[int, int, int, int]]
    #: the header a response carries, for a quote of more than INLINE_MEMBERS members
    #: (stored since the responses of large quotes are brief), and what it leaves out
    brief: tuple[int, int] | None = None
    declined_total: int = 0
    sites_total: int = 0


class _Manifest(msgspec.Struct):
    strings: dict[str, list[str | None]]
    arrays: list[tuple[str, str, int]]


def is_columnar(blob: bytes) -> bool:
    """Whether a stored result is this container (else: the older zlib-compressed JSON)."""
    return blob[:4] == MAGIC


def _pack(strings: dict[str, list[str | None]], arrays: dict[str, np.ndarray]) -> bytes:
    manifest = _Manifest(strings, [(k, v.dtype.str, v.size) for k, v in arrays.items()])
    head = msgspec.json.encode(manifest)
    return b"".join([struct.pack("<I", len(head)), head, *(v.tobytes() for v in arrays.values())])


def _unpack(blob: bytes) -> tuple[dict[str, list[str | None]], dict[str, np.ndarray]]:
    (size,) = struct.unpack_from("<I", blob)
    manifest = msgspec.json.decode(blob[4 : 4 + size], type=_Manifest)
    offset, arrays = 4 + size, {}
    for name, dtype, count in manifest.arrays:
        array = np.frombuffer(blob, dtype=np.dtype(dtype), count=count, offset=offset)
        offset += array.nbytes
        arrays[name] = array
    return manifest.strings, arrays


def _smallest(values: np.ndarray) -> np.ndarray:
    """Integers in the narrowest type that holds them (cents stay int64 when needed)."""
    if values.size == 0:
        return values.astype(np.int32)
    lo, hi = int(values.min()), int(values.max())
    for dtype in (np.uint8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.astype(dtype)
    return values.astype(np.int64)


def _uses(covers: list[CoverTrace], key: str) -> np.ndarray:
    """Per cover index: whether its lines show ``key`` (index it by the lines' covers)."""
    return np.array([key in c.keys for c in covers], dtype=bool)


def encode_columns(columns: QuoteColumns) -> bytes:
    """The stored form of a quote (see the module docstring)."""
    members = columns.members
    n = len(members)
    inline = None
    if n <= INLINE_MEMBERS:
        inline = msgspec.json.encode(columns.member_quotes(0, n, trace=True))
    compress = n > COMPRESS_BEYOND
    keys = list(dict.fromkeys(k for c in columns.covers for k in c.keys))
    sections: list[bytes] = []
    offset = 0

    def add(blob: bytes) -> tuple[int, int]:
        nonlocal offset
        if compress:
            blob = zlib.compress(blob, 1)
        sections.append(blob)
        offset += len(blob)
        return offset - len(blob), len(blob)

    # The header of a large quote is large too (its declined members, the members of
    # each referral): compressed with the chunks.
    header_at = add(msgspec.json.encode(msgspec.structs.replace(columns.header, members=[])))
    inline_at = add(inline) if inline is not None else None
    brief = columns.brief() if inline is None else None
    brief_at = add(brief.header_json) if brief is not None else None
    ids_at = add(msgspec.json.encode(members.member_id))
    uses = {k: _uses(columns.covers, k) for k in keys}
    chunks = []
    for lo in range(0, n, CHUNK_MEMBERS):
        part = members.slice(lo, min(n, lo + CHUNK_MEMBERS))
        strings: dict[str, list[str | None]] = {s: list(getattr(part, s)) for s in _STRINGS}
        base = _pack(strings, {a: _smallest(getattr(part, a)) for a in _INT_ARRAYS})
        trace_values: dict[str, np.ndarray] = {}
        if columns.has_trace:
            for k in keys:
                mask = uses[k][part.line_cover]
                trace_values[k] = np.ascontiguousarray(part.trace[k][mask], dtype="<f8")
        chunks.append((*add(base), *add(_pack({}, trace_values))))
    meta = _Meta(
        members=n,
        chunk_members=CHUNK_MEMBERS,
        compressed=compress,
        has_trace=columns.has_trace,
        plans=columns.plans,
        covers=[(c.code, c.method, list(c.keys)) for c in columns.covers],
        trace_keys=keys,
        header=header_at,
        inline=inline_at,
        ids=ids_at,
        chunks=chunks,
        brief=brief_at,
        declined_total=brief.declined if brief else 0,
        sites_total=brief.sites if brief else 0,
    )
    encoded = msgspec.json.encode(meta)
    return b"".join([MAGIC, struct.pack("<BI", VERSION, len(encoded)), encoded, *sections])


class ColumnarQuote:
    """A stored quote read back lazily: the header at once, members chunk by chunk."""

    def __init__(self, blob: bytes) -> None:
        if not is_columnar(blob):
            raise ValueError("not a columnar quote")
        version, size = struct.unpack_from("<BI", blob, 4)
        if version != VERSION:
            raise ValueError(f"columnar quote version {version} is not known")
        start = 4 + struct.calcsize("<BI")
        self._meta = msgspec.json.decode(blob[start : start + size], type=_Meta)
        self._body = memoryview(blob)[start + size :]
        self.plans = self._meta.plans
        self.covers = [CoverTrace(c, m, tuple(k)) for c, m, k in self._meta.covers]
        self.has_trace = self._meta.has_trace

    def __len__(self) -> int:
        return self._meta.members

    def _section(self, where: tuple[int, int], compressed: bool) -> bytes:
        data = bytes(self._body[where[0] : where[0] + where[1]])
        return zlib.decompress(data) if compressed else data

    @property
    def header_json(self) -> bytes:
        """The wire quote JSON with ``"members":[]``."""
        return self._section(self._meta.header, self._meta.compressed)

    @property
    def inline_json(self) -> bytes | None:
        """Every member's wire JSON (with the trace), kept for a quote of up to
        :data:`INLINE_MEMBERS` members; else None."""
        if self._meta.inline is None:
            return None
        return self._section(self._meta.inline, self._meta.compressed)

    def header(self) -> Quote:
        """The wire quote without members."""
        return msgspec.json.decode(self.header_json, type=Quote)

    def brief(self) -> Brief:
        """The header a large quote's responses carry (stored with the quote, or cut from
        the whole header for a quote stored before)."""
        meta = self._meta
        if meta.brief is None:
            return _brief_of(self.header())
        return Brief(
            self._section(meta.brief, meta.compressed), meta.declined_total, meta.sites_total
        )

    def member_ids(self) -> list[str]:
        """Every member's id, in order."""
        return msgspec.json.decode(self._section(self._meta.ids, self._meta.compressed))

    def _chunk(self, index: int, trace: bool) -> MemberColumns:
        base_at, base_len, trace_at, trace_len = self._meta.chunks[index]
        strings, arrays = _unpack(self._section((base_at, base_len), self._meta.compressed))
        ints = {k: arrays[k].astype(np.int64) for k in _INT_ARRAYS}
        factors: dict[str, np.ndarray] = {}
        if trace and self.has_trace:
            _, values = _unpack(self._section((trace_at, trace_len), self._meta.compressed))
            for k in self._meta.trace_keys:
                full = np.full(ints["line_cover"].size, np.nan)
                full[_uses(self.covers, k)[ints["line_cover"]]] = values[k]
                factors[k] = full
        return MemberColumns(
            member_id=strings["member_id"],  # type: ignore[arg-type]
            name=strings["name"],  # type: ignore[arg-type]
            site=strings["site"],
            country=strings["country"],  # type: ignore[arg-type]
            **ints,
            trace=factors,
        )

    def member_quotes(self, lo: int, hi: int, *, trace: bool) -> list[MemberQuote]:
        """Members ``lo`` to ``hi`` (clipped to the quote) as wire members."""
        return [m for part in self._ranges(lo, hi, trace) for m in part]

    def _ranges(self, lo: int, hi: int, trace: bool) -> Iterator[list[MemberQuote]]:
        size = self._meta.chunk_members
        lo, hi = max(0, lo), min(hi, len(self))
        for index in range(lo // size, (hi - 1) // size + 1 if hi > lo else lo // size):
            first = index * size
            part = self._chunk(index, trace)
            a, b = max(lo, first) - first, min(hi, first + len(part)) - first
            yield part.slice(a, b).member_quotes(self.plans, self.covers, trace)

    def find_member(self, member_id: str) -> MemberQuote | None:
        """One member with every line's trace, or None."""
        try:
            at = self.member_ids().index(member_id)
        except ValueError:
            return None
        return self.member_quotes(at, at + 1, trace=True)[0]

    def columns(self) -> QuoteColumns:
        """Every member as columns (with the trace), and the header."""
        parts = [self._chunk(i, True) for i in range(len(self._meta.chunks))]
        return QuoteColumns(self.header(), self.plans, self.covers, _concat(parts), self.has_trace)

    def quote_json(self) -> bytes:
        """The whole wire quote JSON, as the quote was encoded before it was columnar."""
        members = self.inline_json
        if members is None:
            members = msgspec.json.encode(self.member_quotes(0, len(self), trace=True))
        return splice_members(self.header_json, members)


class JsonQuote:
    """A quote stored before quotes were columnar: its whole wire JSON."""

    def __init__(self, quote_json: bytes) -> None:
        self.quote_json = quote_json
        self._quote = msgspec.json.decode(quote_json, type=Quote)

    def __len__(self) -> int:
        return len(self._quote.members)

    @property
    def header_json(self) -> bytes:
        """The wire quote JSON with ``"members":[]``."""
        return msgspec.json.encode(msgspec.structs.replace(self._quote, members=[]))

    def member_quotes(self, lo: int, hi: int, *, trace: bool) -> list[MemberQuote]:
        """Members ``lo`` to ``hi`` (clipped), without the trace unless ``trace``."""
        members = self._quote.members[max(0, lo) : hi]
        if trace:
            return members
        return [
            msgspec.structs.replace(
                m, lines=[msgspec.structs.replace(line, factors={}) for line in m.lines]
            )
            for m in members
        ]

    def find_member(self, member_id: str) -> MemberQuote | None:
        """One member with every line's trace, or None."""
        return next((m for m in self._quote.members if m.member_id == member_id), None)

    def brief(self) -> Brief:
        """The header a large quote's responses carry."""
        return _brief_of(self._quote)


class QuoteSource(Protocol):
    """A priced quote, stored or fresh, read member by member."""

    @property
    def header_json(self) -> bytes: ...

    def __len__(self) -> int: ...

    def member_quotes(self, lo: int, hi: int, *, trace: bool) -> list[MemberQuote]: ...

    def find_member(self, member_id: str) -> MemberQuote | None: ...

    def brief(self) -> Brief: ...


def _concat(parts: list[MemberColumns]) -> MemberColumns:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        ints = dict.fromkeys(_INT_ARRAYS, empty)
        return MemberColumns(member_id=[], name=[], site=[], country=[], **ints, trace={})
    values: dict[str, object] = {}
    for name in _STRINGS:
        values[name] = [v for p in parts for v in getattr(p, name)]
    for name in _INT_ARRAYS:
        values[name] = np.concatenate([getattr(p, name) for p in parts])
    trace = {k: np.concatenate([p.trace[k] for p in parts]) for k in parts[0].trace}
    return MemberColumns(**values, trace=trace)  # type: ignore[arg-type]


def splice_members(header_json: bytes, members_json: bytes) -> bytes:
    """The quote JSON with its members: ``members_json`` put in place of the header's
    ``"members":[]`` (inside a JSON string every quote mark is escaped, so the first
    unescaped ``,"members":[],`` is the key)."""
    at = header_json.index(_MEMBERS_KEY)
    return b"".join(
        [
            header_json[:at],
            b',"members":',
            members_json,
            b",",
            header_json[at + len(_MEMBERS_KEY) :],
        ]
    )


_MEMBERS_LINE = '\n  "members": [],\n'


def write_json(source: QuoteSource, write: Callable[[str], object], *, trace: bool = True) -> None:
    """The quote as indented JSON — the text ``msgspec.json.format(…, indent=2)`` gives
    for the whole quote — written :data:`CHUNK_MEMBERS` members at a time, so that a large
    quote is never in memory as objects or text."""
    header = msgspec.json.format(source.header_json, indent=2).decode()
    total = len(source)
    if total == 0:
        write(header + "\n")
        return
    at = header.index(_MEMBERS_LINE)
    write(header[:at] + '\n  "members": [')
    for lo in range(0, total, CHUNK_MEMBERS):
        members = source.member_quotes(lo, min(total, lo + CHUNK_MEMBERS), trace=trace)
        text = msgspec.json.format(msgspec.json.encode(members), indent=2).decode()
        # "[\n  {…}\n]": the elements, one level deeper inside the quote
        write(("," if lo else "") + "\n  " + text[2:-2].replace("\n", "\n  "))
    write("\n  ],\n" + header[at + len(_MEMBERS_LINE) :] + "\n")
