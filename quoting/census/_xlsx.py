"""Read the first sheet of an XLSX workbook in one streaming pass, within fixed bounds.

An XLSX file is a zip of XML parts, and a zip can claim anything: 600 KB can inflate to
gigabytes. So nothing here trusts the archive. Every part is inflated by :meth:`_Archive.chunks`
(raw deflate over the member's own bytes, counting what goes in and what comes out), which
stops at the size the part declares, at a cap on everything inflated from one workbook and
at a cap on the compression ratio. The XML is parsed with expat as it is inflated (a DTD is
refused, so there is no entity expansion) and the sheet's rows come out one by one, with
caps on cells per row, characters per cell and cells in all. Formulas and the values saved
with them sit in the same XML, so the workbook is read once.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from quoting.errors import Problem

__all__ = ["MAX_CENSUS_COLUMNS", "Formula", "XlsxError", "read_first_sheet"]

#: Everything inflated from one workbook; a 100,000-member census is about 40 MB.
MAX_INFLATED_BYTES = 128 * 1024 * 1024
#: Inflated bytes per compressed byte. Spreadsheet XML deflates 10-20 to 1; only a file
#: made to explode does much better. Parts below RATIO_FREE_BYTES are not held to it.
MAX_RATIO = 100
RATIO_FREE_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
#: Excel's own limits: characters in a cell, columns and rows in a sheet.
MAX_CELL_CHARS = 32_767
MAX_ROW_CELLS = 16_384
MAX_SHEET_ROWS = 1_048_576
#: Cells of the sheet, read or skipped: every field of 100,000 members. Parsing costs about
#: 2 µs a cell, so this also bounds the time a hostile sheet can take (2-3 s).
MAX_CELLS = 1_200_000
#: Columns kept from a spreadsheet: a stray cell far to the right must not widen every row.
MAX_CENSUS_COLUMNS = 60
#: The workbook's table of texts is held in memory while the sheet is read: at most this
#: much XML (a 100,000-member census with every text different needs about 15 MB) and
#: this many texts.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
MAX_SHARED_STRINGS = 500_000
_CHUNK = 64 * 1024
_MB = 1024 * 1024
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_INT = re.compile(r"^[+-]?\d+$")


class XlsxError(Exception):
    """The workbook is refused; ``row`` and ``column`` say where, when it is a cell's or
    a row's fault (both ``None``: the file's)."""

    def __init__(
        self,
        code: str | Problem,
        row: int | None = None,
        column: int | None = None,
        **params: Any,
    ) -> None:
        """The problem ``code`` with ``params`` (or a problem as it is) at ``row`` and
        ``column``."""
        self.problem = code if isinstance(code, Problem) else Problem.of(code, **params)
        super().__init__(self.problem.message)
        self.message = self.problem.message
        self.row = row
        self.column = column


class Formula:
    """A cell holding a formula whose value was never saved (or text that starts like one)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


# --------------------------------------------------------------------------- the archive


class _Archive:
    """The parts of a zip, inflated within the caps of this module."""

    def __init__(self, data: bytes) -> None:
        if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
            raise XlsxError("xlsx.too_many_parts", most=f"{MAX_ZIP_ENTRIES:,}")
        self._data = data
        self._infos = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
        self._left = MAX_INFLATED_BYTES
        for info in self._infos.values():  # declared sizes first: they cost nothing to check
            if info.file_size > MAX_INFLATED_BYTES:
                raise _too_big(MAX_INFLATED_BYTES)
            if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise _too_compressed()

    def has(self, name: str) -> bool:
        """Whether the archive holds a part of that name."""
        return name in self._infos

    def chunks(
        self, name: str, *, again: bool = False, limit: int = MAX_INFLATED_BYTES
    ) -> Iterator[bytes]:
        """The inflated bytes of a part, never more than it declares or the caps allow.

        ``again`` reads a part a second time without counting it twice against the cap
        on everything inflated; ``limit`` caps this part alone."""
        info = self._infos[name]
        if info.flag_bits & 0x1:
            raise XlsxError("xlsx.encrypted")
        header = self._data[info.header_offset : info.header_offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header of {name}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        raw = memoryview(self._data)[start : start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[tuple[bytes, int]] = (
                (bytes(raw[i : i + _CHUNK]), min(_CHUNK, len(raw) - i))
                for i in range(0, len(raw), _CHUNK)
            )
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            pieces = _inflate(raw)
        else:
            raise XlsxError("xlsx.compression")
        produced = consumed = crc = 0
        for piece, used in pieces:
            produced += len(piece)
            consumed += used
            self._left -= 0 if again else len(piece)
            if produced > info.file_size:
                raise zipfile.BadZipFile(f"{name} is longer than it declares")
            if self._left < 0 or produced > limit:
                raise _too_big(limit if produced > limit else MAX_INFLATED_BYTES)
            if produced > RATIO_FREE_BYTES and produced > MAX_RATIO * consumed:
                raise _too_compressed()
            crc = zlib.crc32(piece, crc)
            yield piece
        if produced != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(f"{name} is damaged")


def _inflate(raw: memoryview) -> Iterator[tuple[bytes, int]]:
    """Inflate raw deflate data, yielding (output of at most one chunk, input it used)."""
    inflater = zlib.decompressobj(-15)
    for i in range(0, len(raw), _CHUNK):
        pending = bytes(raw[i : i + _CHUNK])
        while pending:
            out = inflater.decompress(pending, _CHUNK)
            used = len(pending) - len(inflater.unconsumed_tail)
            pending = inflater.unconsumed_tail
            yield out, used
            if inflater.eof:
                return
    yield inflater.flush(), 0


def _too_big(cap: int) -> XlsxError:
    return XlsxError("xlsx.too_big", most=cap // _MB)


def _too_compressed() -> XlsxError:
    return XlsxError("xlsx.too_compressed", ratio=MAX_RATIO)


# --------------------------------------------------------------------------- XML


_LOCAL_NAMES: dict[str, str] = {}


def _local(name: str) -> str:
    """``x:c`` -> ``c``; memoised (for a bounded number of names), as it runs per element."""
    local = _LOCAL_NAMES.get(name)
    if local is None:
        local = name.rpartition(":")[2]
        if len(_LOCAL_NAMES) < 1000:
            _LOCAL_NAMES[name] = local
    return local


def _refuse_dtd(*_: object) -> None:
    raise XlsxError("xlsx.dtd")


def _parse(
    archive: _Archive,
    part: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    limit: int = MAX_INFLATED_BYTES,
) -> Iterator[None]:
    """Feed a part to expat, yielding after each chunk so callers can stream their results."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    # Handlers get expat's names as they are (with any prefix) and call _local themselves:
    # a wrapper per element would cost a third of the time of a large sheet.
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    for chunk in archive.chunks(part, limit=limit):
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _drain(parsing: Iterator[None]) -> None:
    for _ in parsing:
        pass


def _unescape(text: str) -> str:
    """OOXML writes characters XML cannot hold as ``_xHHHH_``."""
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _relationships(archive: _Archive, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if not archive.has(rels):
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    _drain(_parse(archive, rels, start))
    return found


class _Text:
    """Collects the text of ``<t>`` elements (not of phonetic ``<rPh>`` runs), bounded."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.on = False
        self.in_phonetic = False

    def start(self) -> None:
        self.parts, self.size = [], 0

    def add(self, data: str) -> None:
        if self.on and not self.in_phonetic:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS * 2:  # escapes count double; checked exactly below
                raise XlsxError("xlsx.text_too_long", most=f"{MAX_CELL_CHARS:,}")
            self.parts.append(data)

    def value(self) -> str:
        value = _unescape("".join(self.parts))
        if len(value) > MAX_CELL_CHARS:
            raise XlsxError("xlsx.text_too_long", most=f"{MAX_CELL_CHARS:,}")
        return value


def _shared_strings(archive: _Archive, part: str | None) -> list[str]:
    strings: list[str] = []
    if part is None or not archive.has(part):
        return strings
    text = _Text()

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "si":
            text.start()
        elif name == "t":
            text.on = True
        elif name == "rPh":
            text.in_phonetic = True

    def end(name: str) -> None:
        name = _local(name)
        if name == "si":
            strings.append(text.value())
            if len(strings) > MAX_SHARED_STRINGS:
                raise XlsxError("xlsx.too_many_texts", most=f"{MAX_SHARED_STRINGS:,}")
        elif name == "t":
            text.on = False
        elif name == "rPh":
            text.in_phonetic = False

    _drain(_parse(archive, part, start, end, text.add, MAX_SHARED_STRINGS_BYTES))
    return strings


def _date_styles(archive: _Archive, part: str | None) -> set[int]:
    """Indexes of the cell styles whose number format shows a date."""
    formats: dict[int, str] = {}
    styles: list[int] = []
    depth = {"cellXfs": False}
    if part is None or not archive.has(part):
        return set()

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "numFmt":
            formats[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            depth["cellXfs"] = True
        elif name == "xf" and depth["cellXfs"]:
            styles.append(int(attrs.get("numFmtId", "0")))
            if len(styles) > MAX_SHARED_STRINGS:
                raise XlsxError("xlsx.too_many_styles")

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            depth["cellXfs"] = False

    _drain(_parse(archive, part, start, end))
    return {
        index
        for index, fmt_id in enumerate(styles)
        if is_date_format(formats.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General")))
    }


# --------------------------------------------------------------------------- the sheet


def read_first_sheet(data: bytes) -> Iterator[tuple[int, list[object]]]:
    """(row number, cell values) of the first worksheet's rows that have cells, in order.

    Values are ``str``, ``int``, ``float``, ``bool``, ``datetime`` (cells with a date
    format), :class:`Formula` or ``None``; at most ``MAX_CENSUS_COLUMNS`` per row. Raises
    :class:`XlsxError` (or ``zipfile.BadZipFile``, ``expat.ExpatError``) for a workbook it
    will not read.
    """
    archive = _Archive(data)
    root = _relationships(archive, "")
    main = next((t for kind, t in root.values() if kind.endswith("/officeDocument")), None)
    main = main or "xl/workbook.xml"
    if not archive.has(main):
        raise XlsxError("xlsx.not_a_workbook")
    rels = _relationships(archive, main)
    sheets: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "workbookPr" and attrs.get("date1904", "0").lower() in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904
        elif name == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            if rels.get(rid, ("", ""))[0].endswith("/worksheet"):
                sheets.append(rels[rid][1])

    _drain(_parse(archive, main, start))
    if not sheets or not archive.has(sheets[0]):
        return
    by_type = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
    strings = _shared_strings(archive, by_type.get("sharedStrings"))
    dates = _date_styles(archive, by_type.get("styles"))
    _count_cells(archive, sheets[0])
    yield from _SheetReader(strings, dates, epoch[0]).rows(archive, sheets[0])


# How a cell element starts, with or without a namespace prefix.
_CELL_STARTS = (b"<c>", b"<c ", b"<c/", b":c>", b":c ", b":c/")


def _count_cells(archive: _Archive, part: str) -> None:
    """Refuse a sheet of too many cells before parsing it: counting bytes runs at the
    speed of inflating, parsing a cell costs microseconds (the parser counts exactly)."""
    cells = 0
    tail = b""
    for chunk in archive.chunks(part, again=True):
        window = tail + chunk
        cells += sum(window.count(start) for start in _CELL_STARTS)
        if cells > MAX_CELLS:
            raise _too_many_cells()
        tail = window[-2:]


def _too_many_cells() -> XlsxError:
    return XlsxError("xlsx.too_many_cells", most=f"{MAX_CELLS:,}")


class _SheetReader:
    """The state of one pass over a worksheet's XML: the row being read and its cell."""

    def __init__(self, strings: list[str], dates: set[int], epoch: dt.datetime) -> None:
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.done: list[tuple[int, list[object]]] = []
        self.row_number = 0
        self.row: list[object] = []
        self.row_cells = self.cells = self.column = 0
        self.kind = "n"
        self.style = "0"
        self.value: list[str] = []
        self.formula: list[str] | None = None
        self.inline: list[str] | None = None
        self.capture: list[str] | None = None
        self.size = 0
        self.in_phonetic = False

    def rows(self, archive: _Archive, part: str) -> Iterator[tuple[int, list[object]]]:
        """Parse ``part``, yielding rows as soon as their chunk is parsed."""
        for _ in _parse(archive, part, self.start, self.end, self.text):
            yield from self.done
            self.done.clear()

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = _LOCAL_NAMES.get(name) or _local(name)
        if name == "c":
            self.start_cell(attrs)
        elif name == "row":
            self.start_row(attrs.get("r"))
        elif self.column > MAX_CENSUS_COLUMNS:
            return  # the content of a cell that is not kept
        elif name == "v":
            self.capture, self.size = self.value, 0
        elif name == "t":
            if self.inline is not None and not self.in_phonetic:
                self.capture = self.inline
        elif name == "is":
            self.inline, self.size = [], 0
        elif name == "f":
            self.formula = self.capture = []
            self.size = 0
        elif name == "rPh":
            self.in_phonetic = True

    def start_row(self, number: str | None) -> None:
        self.row_number = int(number) if number and number.isdigit() else self.row_number + 1
        if not 1 <= self.row_number <= MAX_SHEET_ROWS:
            raise XlsxError("xlsx.bad_row_number", number=number)
        self.row, self.row_cells, self.column = [], 0, 0

    def start_cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        if ref:
            self.column = _column(ref, self.row_number)
        else:
            self.column += 1
        self.row_cells += 1
        self.cells += 1
        if self.column > MAX_ROW_CELLS or self.row_cells > MAX_ROW_CELLS:
            raise XlsxError("xlsx.row_too_many_cells", self.row_number, most=f"{MAX_ROW_CELLS:,}")
        if self.cells > MAX_CELLS:
            raise _too_many_cells()
        self.kind = attrs.get("t", "n")
        self.style = attrs.get("s", "0")
        self.value = []
        self.formula = self.inline = self.capture = None

    def end(self, name: str) -> None:
        name = _LOCAL_NAMES.get(name) or _local(name)
        if name == "c":
            if self.column <= MAX_CENSUS_COLUMNS:
                self.end_cell()
        elif name == "row":
            self.done.append((self.row_number, self.row))
        elif name in ("v", "t", "f"):
            self.capture = None
        elif name == "rPh":
            self.in_phonetic = False

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.size += len(data)
            if self.size > 2 * MAX_CELL_CHARS:  # _xHHHH_ escapes count more; exact check later
                raise XlsxError(
                    "xlsx.cell_too_long", self.row_number, self.column, most=f"{MAX_CELL_CHARS:,}"
                )
            self.capture.append(data)

    def end_cell(self) -> None:
        try:
            value = self.cell_value()
        except XlsxError as exc:
            raise XlsxError(exc.problem, self.row_number, self.column) from None
        if value is not None:
            row = self.row
            if len(row) < self.column:
                row.extend([None] * (self.column - len(row)))
            row[self.column - 1] = value

    def cell_value(self) -> object:
        text = "".join(self.value)
        if self.formula is not None and not text:
            return Formula("=" + (_text(self.formula) or "…"))
        kind = self.kind
        if kind == "inlineStr":
            return _text(self.inline or [])
        if not text:
            return None
        if kind == "s":
            index = int(text) if text.isdigit() else -1
            if not 0 <= index < len(self.strings):
                raise XlsxError("xlsx.missing_text", text=text[:20])
            return self.strings[index]
        if kind in ("str", "e"):
            return _text([text])
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                return text
        return self.number(text)

    def number(self, text: str) -> object:
        try:
            value: Any = int(text) if _INT.match(text) else float(text)
        except ValueError:
            raise XlsxError("xlsx.not_a_number", text=text[:40]) from None
        if self.style != "0" and self.style.isdigit() and int(self.style) in self.dates:
            try:
                return from_excel(value, self.epoch)
            except (ValueError, OverflowError):
                raise XlsxError("xlsx.not_a_date", value=value) from None
        return value


_COLUMNS: dict[str, int] = {}


def _column(ref: str, row: int) -> int:
    """The column number of a cell reference such as ``AB12``."""
    letters = ref.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isupper()):
            raise XlsxError("xlsx.bad_reference", row, ref=ref[:20])
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - 64
        _COLUMNS[letters] = column  # at most 26**3 + 26**2 + 26 entries
    return column


def _text(parts: list[str]) -> str:
    value = _unescape("".join(parts))
    if len(value) > MAX_CELL_CHARS:
        raise XlsxError("xlsx.cell_too_long", most=f"{MAX_CELL_CHARS:,}")
    return value
