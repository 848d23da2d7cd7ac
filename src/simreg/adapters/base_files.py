"""Reading legacy base files, CSV or Parquet, in batches with pyarrow: never the whole file.

CSV rows keep their physical line number (the header is line 1), so the reject report points
at the line an operator opens in an editor; rows that do not split into the header's columns
are handed on as malformed, with their line, rather than skipped.

A CSV is UTF-8 (with or without a byte-order mark) or GB18030, the superset of GBK and
GB2312 that Excel on Chinese Windows saves. With ``encoding="auto"`` the first megabyte
decides: UTF-8 if it reads as UTF-8, else GB18030 if it reads as that.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from simreg.core.errors import InvalidInput
from simreg.legacy.rows import COLUMNS
from simreg.legacy.staging import RawChunk

_READ_BLOCK = 1 << 22
_HAN = re.compile(r"[\u4e00-\u9fff]")
_FILE_BLOCK = 1 << 20


ENCODINGS = ("auto", "utf-8", "gb18030")


def open_base_file(path: Path, encoding: str = "auto") -> CsvBaseFile | ParquetBaseFile:
    """Check the file and its header; CSV unless the name ends in .parquet or .parq."""
    if not path.is_file():
        raise InvalidInput(f"No such file: {path.name}.", code="IMPORT-FILE")
    if path.suffix.lower() in (".parquet", ".parq"):
        return ParquetBaseFile(path)
    if encoding not in ENCODINGS:
        raise InvalidInput(
            f"Unknown encoding {encoding!r}; one of: {', '.join(ENCODINGS)}.",
            code="IMPORT-ENCODING",
        )
    return CsvBaseFile(path, _sniffed(path) if encoding == "auto" else encoding)


def _sniffed(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_FILE_BLOCK)
    for encoding in ("utf-8", "gb18030"):
        try:
            # final=False: a character cut by the end of the sample is not an error.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput(
        "The file is neither UTF-8 nor GB18030 (GBK) text. Save it as CSV UTF-8.",
        code="IMPORT-ENCODING",
        message_zh="文件既不是 UTF-8 也不是 GB18030（GBK）文本，请另存为 CSV UTF-8。",
    )


def _wrong_encoding(path: Path, encoding: str) -> InvalidInput:
    line = _first_undecodable_line(path, encoding)
    other = "gb18030" if encoding == "utf-8" else "utf-8"
    return InvalidInput(
        f"Line {line:,} of the file is not {encoding} text, though the lines before it are. "
        "Save the whole file as CSV UTF-8 and import it again (what was loaded stays; a re-run "
        f"adds only what is missing), or, if the whole file is {other}, run the import again "
        f"with --encoding {other}.",
        code="IMPORT-ENCODING",
        message_zh=f"文件第 {line:,} 行不是 {encoding} 文本（此前各行是）。请将整个文件另存为 "
        "CSV UTF-8 后重新导入（已导入的保留，重复导入只补缺失部分）；如整个文件都是 "
        f"{other}，请加 --encoding {other} 重新导入。",
        encoding=encoding,
        line=line,
    )


def _refuse_utf8_inside(path: Path) -> None:
    """GB18030 decodes almost any bytes, so UTF-8 text inside a GB18030 file would be stored
    as nonsense, not refused. A GBK line may by chance also be valid UTF-8 (叶雪 is, as
    "Ҷѩ"), but then not as Chinese: a line that is valid UTF-8 *and* reads as two or more
    Chinese characters means the file mixes the two, and nothing is imported."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.isascii():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(_HAN.findall(text)) < 2:
                continue
            raise InvalidInput(
                f"Line {number:,} is UTF-8 text, but the file is read as GB18030 (GBK). If "
                "the whole file is UTF-8, import it with --encoding utf-8 (or auto); if it "
                "mixes the two, save the whole file as CSV UTF-8.",
                code="IMPORT-ENCODING",
                message_zh=f"第 {number:,} 行是 UTF-8 文本，但文件按 GB18030（GBK）读取。"
                "如整个文件都是 UTF-8，请用 --encoding utf-8（或 auto）导入；如混用了两种编码，"
                "请将整个文件另存为 CSV UTF-8。",
                line=number,
            )


def _first_undecodable_line(path: Path, encoding: str) -> int:
    """Only read when the import has already failed on it: one pass, line by line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return 0


def _missing_columns(found: list[str]) -> InvalidInput | None:
    missing = [name for name in COLUMNS if name not in found]
    if not missing:
        return None
    return InvalidInput(
        "The file's header lacks the column(s) "
        + ", ".join(missing)
        + ". Expected: "
        + ", ".join(COLUMNS)
        + ".",
        code="IMPORT-HEADER",
        missing=missing,
    )


def _digest_and_lines(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    newlines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(_FILE_BLOCK):
            digest.update(block)
            newlines += block.count(b"\n")
            last = block[-1:]
    # A last line without its newline is a line too.
    return digest.hexdigest(), newlines + (last != b"\n")


class CsvBaseFile:
    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.path = path
        self.name = path.name
        self.encoding = encoding
        text_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        with path.open(encoding=text_encoding, errors="replace", newline="") as handle:
            header = next(csv.reader(io.StringIO(handle.readline())), [])
        self._header = [name.strip() for name in header]
        if not any(self._header):
            raise InvalidInput(
                "The file is empty: it needs a header line ("
                + ", ".join(COLUMNS)
                + ") and then one line per number.",
                code="IMPORT-EMPTY",
                message_zh="文件为空：首行须为表头（"
                + "，".join(COLUMNS)
                + "），其后每行一个号码。",
            )
        problem = _missing_columns(self._header)
        if problem is not None:
            raise problem
        self.sha256, lines = _digest_and_lines(path)
        self.total_rows = max(0, lines - 1)
        if encoding == "gb18030":
            _refuse_utf8_inside(path)

    def chunks(self, size: int) -> Iterator[RawChunk]:
        malformed: dict[int, str] = {}

        def keep_malformed(row: pa_csv.InvalidRow) -> str:
            # Known when the reader runs on one thread: the row's number among the file's rows
            # (the header is row 1). It is its line too unless a value above spans lines.
            malformed[row.number] = row.text or ""
            return "skip"

        def reader() -> pa_csv.CSVStreamingReader:
            return pa_csv.open_csv(
                self.path,
                read_options=pa_csv.ReadOptions(
                    use_threads=False,
                    block_size=_READ_BLOCK,
                    column_names=self._header,
                    skip_rows=1,
                    encoding=self.encoding,
                ),
                parse_options=pa_csv.ParseOptions(
                    # Blank lines become rows of empty fields (then refused), so line numbers
                    # stay true and nothing disappears.
                    ignore_empty_lines=False,
                    # A quoted value may hold a line break, wherever a read block ends.
                    newlines_in_values=True,
                    invalid_row_handler=keep_malformed,
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in self._header},
                    include_columns=list(COLUMNS),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )

        builder = _ChunkBuilder(size)
        # Rows as the reader numbers them, and lines as an editor does: they part ways below
        # a value that holds a line break.
        next_row = next_line = 2
        for batch in _batches(reader, self.path, self.encoding):
            columns = {name: batch.column(name) for name in COLUMNS}
            spans = _line_breaks_inside(columns)
            if malformed or spans is not None:
                lines = []
                for row in range(batch.num_rows):
                    while next_row in malformed:
                        text = malformed.pop(next_row)
                        builder.malformed.append((next_line, text))
                        next_row += 1
                        next_line += 1 + text.count("\n")
                    lines.append(next_line)
                    next_row += 1
                    next_line += 1 + (spans[row] if spans is not None else 0)
            else:
                # The usual case: no malformed row ahead, the lines simply follow on.
                lines = list(range(next_line, next_line + batch.num_rows))
                next_line += batch.num_rows
                next_row += batch.num_rows
            yield from builder.add(lines, columns)
        # Malformed rows after the last good one: their lines follow on from it.
        for number, text in sorted(malformed.items()):
            next_line += number - next_row
            builder.malformed.append((next_line, text))
            next_row = number + 1
            next_line += 1 + text.count("\n")
        yield from builder.flush()


def _line_breaks_inside(columns: dict[str, pa.Array]) -> list[int] | None:
    """Per row, the line breaks inside its quoted values; None when there are none (the usual
    case, checked column by column without leaving Arrow)."""
    counts = None
    for column in columns.values():
        found = pc.count_substring(column, "\n")
        if pc.max(found).as_py():
            counts = found if counts is None else pc.add(counts, found)
    return None if counts is None else counts.to_pylist()


def _batches(
    opened: Callable[[], pa_csv.CSVStreamingReader], path: Path, encoding: str
) -> Iterator[pa.RecordBatch]:
    """The reader's batches; text that is not in the file's encoding ends the import with a
    coded error naming the first such line, not a traceback. (Opening reads the first block.)"""
    reader = None
    while True:
        try:
            reader = reader or opened()
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            if isinstance(error, UnicodeDecodeError) or "UTF8" in str(error):
                raise _wrong_encoding(path, encoding) from None
            raise
        yield batch


class ParquetBaseFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise InvalidInput(
                "The file is not a readable Parquet file.", code="IMPORT-FILE"
            ) from error
        problem = _missing_columns(self._file.schema_arrow.names)
        if problem is not None:
            raise problem
        self.sha256, _ = _digest_and_lines(path)
        self.total_rows = int(self._file.metadata.num_rows)

    def chunks(self, size: int) -> Iterator[RawChunk]:
        row = 1
        for batch in self._file.iter_batches(batch_size=size, columns=list(COLUMNS)):
            columns: dict[str, pa.Array] = {}
            for name in COLUMNS:
                column = batch.column(name)
                # Only opened_on may be a date; anything else typed (numbers written as
                # integers by some tool) is read as the text it stands for.
                if not (
                    pa.types.is_string(column.type)
                    or (name == "opened_on" and pa.types.is_date(column.type))
                ):
                    column = pc.cast(column, pa.string())
                columns[name] = column
            lines = list(range(row, row + batch.num_rows))
            row += batch.num_rows
            yield RawChunk(lines, columns)


class _ChunkBuilder:
    """Regroups pyarrow's batches (sized in bytes) into chunks of ``size`` rows."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lines: list[int] = []
        self.columns: dict[str, list[pa.Array]] = {name: [] for name in COLUMNS}
        self.malformed: list[tuple[int, str]] = []

    def add(self, lines: list[int], columns: dict[str, pa.Array]) -> Iterator[RawChunk]:
        start = 0
        while start < len(lines):
            take = min(self.size - len(self.lines), len(lines) - start)
            self.lines += lines[start : start + take]
            for name in COLUMNS:
                self.columns[name].append(columns[name].slice(start, take))
            start += take
            if len(self.lines) >= self.size:
                yield from self.flush()

    def flush(self) -> Iterator[RawChunk]:
        if self.lines or self.malformed:
            columns = {
                name: pa.concat_arrays(parts) if parts else pa.array([], pa.string())
                for name, parts in self.columns.items()
            }
            yield RawChunk(self.lines, columns, self.malformed)
        self.lines = []
        self.columns = {name: [] for name in COLUMNS}
        self.malformed = []
