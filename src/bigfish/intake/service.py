"""`ingest_file`: read a partner's file, normalize, store in batches, account for every record."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa

from bigfish.errors import BigfishError, InputError, NotFound, StoreError
from bigfish.fx import Rates, node_rates
from bigfish.intake.mapping import ColumnMapping
from bigfish.intake.prepare import PreparedMention, prepare_mentions
from bigfish.intake.readers import (
    HeaderCheck,
    Record,
    Row,
    Unreadable,
    read_csv,
    read_jsonl,
    read_xlsx,
    refuse_mapped_numbers,
)
from bigfish.intake.readers.csv import STANDARD_COLUMNS
from bigfish.intake.records import (
    REQUIRED,
    Formats,
    batch_fields,
    build_report,
    has_surrogate,
)
from bigfish.models import Distribution, Marking, RawIdentifier, Report, narrowest
from bigfish.organizations import NewOrgs, ensure_org, group_id_by_name
from bigfish.store import Store
from bigfish.store.schema import group_members, ingest_runs, organizations
from bigfish.store.stamps import stamp_now
from bigfish.store.writes import (
    BatchOutcome,
    IdentifierIds,
    Pending,
    refusal_field,
    transaction_with_ids,
    write_batch,
)

if TYPE_CHECKING:
    from bigfish.audit import ConsoleAudit

Reader = Callable[[IO[bytes], Path], Iterator[Record]]
#: (file, its path, the check of its header's names, the names its layout knows: a mapping's,
#: the names a header line inside it may give that the layout does not know: `_header_unknowns`,
#: the field each column holds: `_columns_of`)
HeaderReader = Callable[
    [IO[bytes], Path, HeaderCheck, frozenset[str], int, Mapping[str, str]], Iterator[Record]
]

#: What a rejected record's number counts, by format, when not the file's lines: a STIX bundle's
#: objects, a MISP file's events (the key of the number in FILE.rejects.jsonl).
POSITIONS = {"stix": "object", "misp": "event"}

#: Readers by format name; interop registers `stix` and `misp` here.
READERS: dict[str, Reader] = {
    "csv": lambda raw, path: read_csv(raw, path),
    "jsonl": read_jsonl,
    "xlsx": lambda raw, path: read_xlsx(raw, path),
}


def _read_headed(
    read: Callable[..., Iterator[Record]],
    raw: IO[bytes],
    path: Path,
    check: HeaderCheck,
    known: frozenset[str],
    unknowns: int,
    columns_of: Mapping[str, str],
) -> Iterator[Record]:
    """READ (a reader of a format with a header row) told the header's check and layout."""
    return read(
        raw,
        path,
        on_header=check,
        layout_names=known,
        header_unknowns=unknowns,
        columns_of=columns_of,
    )


#: Readers of formats with a header row, whose columns are checked once for the whole file.
_HEADER_READERS: dict[str, HeaderReader] = {
    "csv": partial(_read_headed, read_csv),
    "xlsx": partial(_read_headed, read_xlsx),
}
#: Readers of formats whose keys a mapping names by the type of its field (a JSON list).
_MAPPED_READERS: dict[str, Callable[[IO[bytes], Path, ColumnMapping], Iterator[Record]]] = {
    "jsonl": lambda raw, path, mapping: read_jsonl(raw, path, mapped=mapping.field_of),
}
#: Formats whose rows have no marking of their own: a row's marking or organization field is
#: refused unless it repeats the batch's (`records.batch_fields`: an export ingested again).
_BATCH_MARKED = frozenset({"csv", "jsonl", "xlsx"})
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)

#: The `error` the next ingest of a file by an organization gives an earlier run of the same
#: file and organization that never ended (`finished_at` left NULL: when it stopped is not
#: known). Should that run in fact still be going (the file ingested twice at once), its own end
#: writes its error, or none, over it.
DID_NOT_FINISH = (
    "did not finish: the ingest stopped without ending (killed, or its machine stopped); it "
    "counts what it committed until then"
)
_CHUNK = 1000  # records per unit of work handed to a worker process
_PARALLEL_ABOVE = 1024 * 1024  # files larger than this are normalized by a process pool


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one file did: received = stored + updated + rejected; UNCHANGED counts those of
    UPDATED sent again with the same content (`content_digest`), so not rewritten."""

    file: str
    org: str
    received: int
    stored: int
    updated: int
    rejected: int
    rejects_path: Path | None
    run_id: int
    unchanged: int = 0


def detect_format(path: Path) -> str:
    """The format of PATH from its name, or from its first bytes for JSON documents."""
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return fmt
    if path.suffix.lower() == ".json":
        with path.open("rb") as f:
            head = f.read(4096).lstrip()
        if b'"type"' in head and b"bundle" in head:
            return "stix"
        if b'"Event"' in head:
            return "misp"
        raise InputError(
            "a .json file that is neither a STIX bundle nor a MISP event; reports in JSON go "
            "in a JSON Lines file (.jsonl), one report object per line (jq -c '.[]' FILE.json "
            "writes an array's so), or pass --format",
            file=str(path),
        )
    if path.suffix.lower() == ".xls":
        raise InputError(
            "an Excel 97-2003 workbook (.xls), which bigfish cannot read: open it in a "
            "spreadsheet program and save it as .xlsx (Excel Workbook), or as CSV UTF-8",
            file=str(path),
        )
    raise InputError(
        "cannot tell the format from the file name; pass --format csv|jsonl|xlsx|stix|misp",
        file=str(path),
    )


class _Rejects:
    """FILE.rejects.jsonl, opened before the first record is read (and removed at the end if
    no record was rejected): a folder where it cannot be written refuses the file before
    anything is stored, not at its first rejection with a traceback, halfway through."""

    def __init__(self, source: Path, position: str = "line", *, file: str = "") -> None:
        self.path = source.with_name(source.name + ".rejects.jsonl")
        self.position = position  # what a record's number counts: lines, or a bundle's objects
        self.count = 0
        try:
            self.path.unlink(missing_ok=True)
            # A lone surrogate (a JSON "\ud800" in a report_id or a key) is no UTF-8: written
            # as its JSON escape, it reads back as sent instead of failing the ingest.
            self._out = self.path.open("w", encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise InputError(
                f"cannot write the reasons of rejected records to {self.path.name} "
                f"({exc.strerror or exc}); copy the file to a folder you can write to",
                file=file or str(source),
            ) from None

    def add(self, file: str, line: int | None, reason: str, **extra: Any) -> None:
        record = {"file": file, self.position: line, "reason": reason} | {
            k: v for k, v in extra.items() if v is not None
        }
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def mark(self) -> tuple[int, int]:
        """Where the file is, its rejections written out (`rewind` goes back to it)."""
        self._out.flush()
        return self._out.tell(), self.count

    def rewind(self, mark: tuple[int, int]) -> None:
        """Drop the rejections added since MARK: the batch they refused was not committed."""
        self._out.seek(mark[0])
        self._out.truncate()
        self.count = mark[1]

    def flush(self) -> None:
        """Write out the rejections added: a kill after this leaves them in the file."""
        self._out.flush()

    def close(self) -> Path | None:
        self._out.close()
        if self.count == 0:
            self.path.unlink(missing_ok=True)
            return None
        return self.path


def check_header(names: list[str], mapping: ColumnMapping | None, file: str) -> None:
    """Refuse a file whose header lacks a column its mapping names, or a required field's
    column (with neither a mapped column nor a default): every row would fail, or lose it."""
    present = set(names)
    shown = (
        ", ".join(names[:30]) + (", …" if len(names) > 30 else "") or "none, the first row is empty"
    )
    columns = mapping.columns if mapping else {}
    missing = [h for headers in columns.values() for h in headers if h not in present]
    if missing:
        written = [mapping.written.get(h, h) if mapping else h for h in missing]
        raise InputError(
            f"the mapping names column(s) the file does not have: {', '.join(written)} "
            f"(its header: {shown})",
            file=file,
            field=written[0],
        )
    # A column named as a field the mapping takes from other columns: `ColumnMapping.apply`
    # drops its value where the mapped cells are filled and takes it where they are empty.
    mapped = {h for headers in columns.values() for h in headers}
    clashing = [name for name in columns if name in present and name not in mapped]
    if clashing:
        taken = "; ".join(f"{name} from {', '.join(columns[name])}" for name in clashing)
        raise InputError(
            f"the file has column(s) named {', '.join(clashing)}, but the mapping takes {taken}:"
            " their values would be lost; rename the column(s), or list them under [columns]",
            file=file,
            field=clashing[0],
        )
    defaults = mapping.formats.defaults if mapping else {}
    lacking = [
        name
        for name in REQUIRED
        if name not in columns and name not in present and not defaults.get(name, "").strip()
    ]
    if lacking:
        raise InputError(
            f"the header has no {', '.join(lacking)} column, which is required (its header: "
            f"{shown}); name a column so, or map one to it (--map), or give a default",
            file=file,
            field=lacking[0],
        )


def _mapped_headers(mapping: ColumnMapping | None) -> frozenset[str]:
    """The headers MAPPING takes fields from (a header line inside a file may give them)."""
    columns = mapping.columns if mapping else {}
    return frozenset(h for headers in columns.values() for h in headers)


def _columns_of(mapping: ColumnMapping | None) -> dict[str, str]:
    """The field each column of MAPPING's layout holds: the standard columns', and the
    mapping's headers' (a formula in one is refused by the CSV reader)."""
    columns = dict(STANDARD_COLUMNS)
    for name, headers in (mapping.columns if mapping else {}).items():
        columns.update(dict.fromkeys(headers, name))
    return columns


def _header_unknowns(mapping: ColumnMapping | None) -> int:
    """How many values of a line of column names may be no name the layout knows for the line
    to be a header inside the file: one when every report of the layout has a date and a
    country code of its own (two values no column name is), else none."""
    defaults = mapping.formats.defaults if mapping else {}
    given = [name for name in ("reported_at", "country") if defaults.get(name, "").strip()]
    return 0 if given else 1


def _records(
    raw: IO[bytes], path: Path, fmt: str, mapping: ColumnMapping | None, file: str
) -> Iterator[Record]:
    """The records of RAW (PATH, in format FMT) as its reader gives them with MAPPING."""
    headed = _HEADER_READERS.get(fmt)
    if headed is not None:

        def check(names: list[str]) -> None:
            check_header(names, mapping, file)

        known, unknowns = _mapped_headers(mapping), _header_unknowns(mapping)
        return headed(raw, path, check, known, unknowns, _columns_of(mapping))
    mapped = _MAPPED_READERS.get(fmt)
    if mapped is not None and mapping is not None:
        return mapped(raw, path, mapping)
    return READERS[fmt](raw, path)


def _formats_of(record: Row, mapping: ColumnMapping | None) -> Formats | None:
    """The mapping's formats for RECORD; ISO dates for a reported_at from a workbook's date
    cell, which no strptime format of text applies to; "." decimals and no thousands
    separator for a loss_amount from a number (a workbook's number cell, a JSON number),
    whose text is no text in the layout's format (the cell 1.234 is not 1,234 where "."
    separates thousands)."""
    if mapping is None:
        return None
    formats = mapping.formats
    if formats.date is not None and record.dates:
        headers = mapping.columns.get("reported_at", ("reported_at",))
        if any(h in record.dates and record.fields.get(h) for h in headers):
            formats = dataclasses.replace(formats, date=None)
    numbers = record.numbers or record.number_cells
    if numbers and (formats.thousands_separator or formats.decimal_separator != "."):
        keys = mapping.sources(record.fields).get("loss_amount", ["loss_amount"])
        if any(k in numbers and record.fields.get(k) for k in keys):
            formats = dataclasses.replace(formats, thousands_separator=None, decimal_separator=".")
    return formats


def _pending(
    record: Row,
    fields: dict[str, str],
    mapping: ColumnMapping | None,
    marking: Marking,
    file: str,
    group_id: int | None,
) -> Pending:
    formats = _formats_of(record, mapping)
    report = build_report(
        fields,
        identifiers=record.identifiers,
        marking=(
            narrowest(record.marking or marking, record.restriction)
            if record.restriction
            else record.marking or marking
        ),
        **({"formats": formats} if formats else {}),
    )
    if record.source_id:
        report = dataclasses.replace(report, source_id=record.source_id)
    return Pending(report, prepare_mentions(report), file, record.line, group_id)


Prepared = Pending | Unreadable


def _by_fields(obj: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    cls = type(obj)
    return cls, _FIELD_VALUES[cls](obj)


# Records and prepared reports cross to and from the worker processes as their field values:
# the default pickling of frozen slotted dataclasses runs Python code per field and took half
# of the parent's time to read the workers' results (50 -> 28 us per report on th-aoc). The
# values are read by `attrgetter` in C, and the class itself rebuilds the object, with no
# function of ours between: th-aoc's first 2,000 prepared reports pickled in 26.1 us per report
# and unpickled in 21.9, now 19.4 and 20.9 (best of 15; the objects read back are equal).
_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    cls: attrgetter(*(f.name for f in dataclasses.fields(cls)))
    for cls in (Row, Unreadable, Pending, PreparedMention, Report, RawIdentifier, Marking)
}
for _cls in _FIELD_VALUES:
    assert all(f.init for f in dataclasses.fields(_cls)), _cls
    # attrgetter of one name gives that value, not a tuple of it
    assert len(dataclasses.fields(_cls)) > 1, _cls
    ForkingPickler.register(_cls, _by_fields)


def stix_ids_held_elsewhere(
    conn: sa.Connection, org_id: int, batch: Sequence[Pending]
) -> list[tuple[Pending, str]]:
    """The reports of BATCH (ORG_ID's, from a STIX bundle file) whose STIX id this node holds
    for another report (`bigfish.interop.held_ids`), each with the reason. The file is the
    operator's: every holder counts, and the holder is named."""
    sent = {
        p.report.source_id: p
        for p in batch
        if p.report.source_id is not None and p.report.source_id.startswith("report--")
    }
    if not sent:
        return []
    # bigfish.interop imports this module (it registers its readers in READERS)
    from bigfish.interop.held_ids import first_other, stix_id_holders

    org = conn.execute(
        sa.select(organizations.c.name).where(organizations.c.id == org_id)
    ).scalar_one()
    keys = {stix_id: (str(org), p.report.report_id) for stix_id, p in sent.items()}
    holders = stix_id_holders(conn, keys)
    found = []
    for stix_id, p in sent.items():
        holder = first_other(holders.get(stix_id, []), keys[stix_id])
        if holder is None:
            continue
        reason = (
            f"{stix_id} is held on this node for report {holder.org}/{holder.report_id}; a STIX"
            " id is its author's: send the report under an id of its own"
        )
        found.append((p, reason))
    return found


def classify_pending(pending: Sequence[Pending]) -> list[Pending]:
    """PENDING with the shipped classifier's verdict on every narrative, in one batch."""
    from bigfish.ml import load_classifier

    with_text = [i for i, p in enumerate(pending) if p.report.narrative]
    out = list(pending)
    if not with_text:
        return out
    texts = [pending[i].report.narrative or "" for i in with_text]
    for i, verdict in zip(with_text, load_classifier().classify_batch(texts), strict=True):
        out[i] = pending[i].classified(verdict.label, verdict.scam_probability, verdict.scam_type)
    return out


def _classified(prepared: list[Prepared]) -> list[Prepared]:
    """PREPARED with the verdict on every narrative of its pending reports (`classify_pending`)."""
    at = [i for i, p in enumerate(prepared) if isinstance(p, Pending)]
    pending = [p for p in prepared if isinstance(p, Pending)]
    out = list(prepared)
    for i, done in zip(at, classify_pending(pending), strict=True):
        out[i] = done
    return out


def _prepare_chunk(
    records: list[Record],
    mapping: ColumnMapping | None,
    marking: Marking,
    file: str,
    group_id: int | None,
    classify: bool = True,
    batch_org: str | None = None,
) -> list[Prepared]:
    """Validate, normalize and classify a chunk of records (in a worker process for big files).
    BATCH_ORG: the organization sending rows that have no marking of their own (a CSV file's,
    not a STIX bundle's), whose marking and organization fields may only repeat the batch's."""
    out: list[Prepared] = []
    for record in records:
        if isinstance(record, Unreadable):
            if mapping is not None and record.cells:
                report_id = mapping.apply(record.cells).get("report_id")
                record = dataclasses.replace(record, report_id=report_id and report_id[:200])
            out.append(dataclasses.replace(record, cells=None) if record.cells else record)
            continue
        fields = mapping.apply(record.fields) if mapping else record.fields
        try:
            if batch_org is not None:
                fields = batch_fields(fields, org=batch_org, marking=marking)
            if mapping is not None and record.numbers:  # a JSON report's
                refuse_mapped_numbers(mapping.sources(record.fields), record)
            shadowed = mapping.shadowed(record.fields) if mapping else None
            if mapping is not None and shadowed is not None:  # a JSON key (CSV: check_header)
                raise InputError(
                    f"the record gives {shadowed}, which the mapping takes from "
                    f"{', '.join(mapping.columns[shadowed])}: one of them would be lost; "
                    "rename the key, or list it under [columns]",
                    field=shadowed,
                )
            out.append(_pending(record, fields, mapping, marking, file, group_id))
        except InputError as exc:
            out.append(Unreadable(record.line, exc.message, fields.get("report_id"), exc.field))
    return _classified(out) if classify else out


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _die_with_parent(parent: int) -> None:
    """Worker start-up: end when the ingest that started it ends, even by SIGKILL.

    Forked workers hold each other's end of the task queue open, so without this they would
    wait for work for ever, each holding its share of memory, after a kill -9 of the ingest.
    Linux ends the worker with the parent (PR_SET_PDEATHSIG); elsewhere a daemon thread
    notices the new parent."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the thread below
            pass
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="bigfish-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _start_worker(parent: int) -> None:
    """Worker start-up: end with the parent (`_die_with_parent`), and keep what the worker
    inherited (the classifier, the modules, the parent's caches) out of the garbage collector's
    passes (`gc.freeze`). None of it is the worker's garbage, and every full pass went over all
    of it again (writing to the pages the fork shared): on th-aoc ingested by `ingest_file`
    (benchmarks/bench_ingest.py), 34 µs of a worker's CPU per report went to the collector,
    10.5 µs so. `bigfish ingest` freezes what it loaded before the first file (`_warm_up`);
    this also takes what the parent made after (the caches of the files before). The
    worker's own objects are collected as before; the worker ends with the ingest."""
    _die_with_parent(parent)
    gc.freeze()
    # For the worker's life (one file): its caches grow as the file's values do (`_no_full_gc`).
    first, second, _ = gc.get_threshold()
    gc.set_threshold(first, second, _NO_FULL_GC)


#: A third `gc` threshold that no count of young collections reaches while a file is ingested.
_NO_FULL_GC = 1 << 30
_gc_lock = threading.Lock()
_gc_depth = 0  # ingests (threads) inside `_no_full_gc`
_gc_saved = (0, 0, 0)  # the third threshold from before the first of them


@contextlib.contextmanager
def _no_full_gc() -> Iterator[None]:
    """No full (oldest generation) garbage collection inside; the young generations are collected
    as before, and the threshold is what it was after (after the last of ingests in threads).

    Ingest makes few cycles, and those die young: the young collections find them (on the
    30,000-report synth partnership, the full ones found 415 objects in all). But every full
    collection went over every object alive, the growing caches of normalized values and of
    identifier ids among them: 11 of them took 1.15 s of the 20.6 s of CPU of `ingest_file`
    (workers=0, after `gc.freeze` as the CLI). What survives young and then becomes cyclic
    garbage is collected by the first full collection after."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], _NO_FULL_GC)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                first, second, _ = gc.get_threshold()
                gc.set_threshold(first, second, _gc_saved[2])


def _prepared(
    chunks: Iterator[list[Record]],
    workers: int,
    args: tuple[ColumnMapping | None, Marking, str, int | None, bool, str | None],
) -> Iterator[list[Prepared]]:
    """Prepared chunks in file order; with WORKERS > 0 a bounded pool of processes does the
    work, so memory stays flat while both cores normalize."""
    if workers <= 0:
        for chunk in chunks:
            yield _prepare_chunk(chunk, *args)
        return
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    classify = args[4]  # (args[-1] is the batch's organization, not whether to classify)
    if fork and classify:
        # Load the classifier once here: forked workers inherit it instead of each paying
        # for the imports and the weights (about a second of CPU per worker and file).
        from bigfish.ml import load_classifier

        load_classifier()
    if fork:
        # The normalizers' tables too: forked workers share them instead of each parsing its
        # own for each file (`load_tables`).
        from bigfish.identifiers.registry import load_tables

        load_tables()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        ) as pool:
            pending: deque[Future[list[Prepared]]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_prepare_chunk, chunk, *args))
                if len(pending) >= 2 * workers + 1:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    except BrokenProcessPool:
        # Named as the file's error, so `bigfish ingest` goes on with its other files.
        raise InputError(
            "a worker process reading the file ended abruptly (killed, or out of memory); "
            "the reports written before are kept, ingest the file again for the rest",
            file=args[2],
        ) from None


def forks_workers(path: Path) -> bool:
    """Whether ingest_file, left to choose, normalizes PATH in worker processes."""
    return path.is_file() and path.stat().st_size > _PARALLEL_ABOVE


def _file_name(path: Path) -> str:
    """PATH as the text stored and shown for it: a name's bytes that are not UTF-8 (a Latin-1
    "café.csv") written as escapes (\\xe9), since no store keeps the surrogates Python holds
    them as."""
    name = str(path)
    if not has_surrogate(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system byte stands for
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _forget_run(store: Store, run_id: int) -> None:
    """Delete run RUN_ID, which committed nothing (its file was refused): left, its row would
    never end, as a run killed or still going. A database that fails this keeps the row; the
    error being raised is the one to see."""
    try:
        with store.begin() as conn:
            conn.execute(ingest_runs.delete().where(ingest_runs.c.id == run_id))
    except (StoreError, sa.exc.SQLAlchemyError):
        pass


def _end_stopped_run(store: Store, run_id: int, error: BaseException, *, committed: bool) -> None:
    """End run RUN_ID, which ERROR stopped: forgotten if it COMMITTED no batch (the file was
    refused, or stopped, before any: no run was made), else its row says why it stopped."""
    if committed:
        _run_failed(store, run_id, error)
    else:
        _forget_run(store, run_id)


def _run_failed(store: Store, run_id: int, error: BaseException) -> None:
    """Say in run RUN_ID's row why it stopped (ERROR) after committing a batch: it counts what
    it committed, `finished_at` stays NULL (it did not end), and no later ingest of its file
    takes it for a run killed or still going. A database that fails this keeps the row as it
    was; the error being raised is the one to see."""
    if isinstance(error, KeyboardInterrupt):
        why = "interrupted (Ctrl-C)"
    elif isinstance(error, BigfishError):
        why = str(error)
    else:
        why = f"{type(error).__name__}: {error}"
    try:
        with store.begin() as conn:
            conn.execute(
                ingest_runs.update()
                .where(ingest_runs.c.id == run_id)
                .values(error=why.replace("\x00", "\\x00")[:1000])
            )
    except (StoreError, sa.exc.SQLAlchemyError):
        pass


def ingest_file(
    store: Store,
    path: Path,
    *,
    org: str,
    fmt: str = "auto",
    mapping: ColumnMapping | None = None,
    marking: Marking | None = None,
    rates: Rates | None = None,
    batch_size: int = 2000,
    progress: Progress | None = None,
    workers: int | None = None,
    classify: bool = True,
    audit: ConsoleAudit | None = None,
) -> IngestResult:
    """Store every good record of PATH as ORG's, reject the others to PATH.rejects.jsonl.
    ORG is created when the node does not have it, recorded in AUDIT's log in the same
    transaction (action `org add by ingest`, target `ORG from PATH`); once per organization
    created, never per report. Without AUDIT no row is written (a caller that holds no log)."""
    if path.is_dir():
        raise InputError("is a directory: name a file, or use --manifest", file=str(path))
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    fmt = detect_format(path) if fmt == "auto" else fmt
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(f"unsupported format {fmt!r}", file=str(path), field="format")
    if mapping is not None and fmt not in _HEADER_READERS and fmt not in _MAPPED_READERS:
        raise InputError(  # its defaults and translations would be ignored without a word
            f"a column mapping (--map) is read for CSV, JSON Lines and .xlsx files; a "
            f"{fmt.upper()} file's fields are its format's own: ingest it without --map",
            file=str(path),
            field="map",
        )
    marking = marking or Marking()
    rates = rates or node_rates()
    name = _file_name(path)
    created = NewOrgs(audit, "org add by ingest", name) if audit is not None else None
    with store.begin() as conn:
        org_id = ensure_org(conn, org, audit=created)
        group_id: int | None = None
        if marking.distribution is Distribution.GROUP:
            if not marking.group:
                raise InputError("distribution group needs a group name", field="group")
            try:
                group_id = group_id_by_name(conn, marking.group)
            except NotFound as exc:
                raise InputError(str(exc), field="group") from None
            member = conn.execute(
                sa.select(group_members.c.org_id).where(
                    group_members.c.group_id == group_id, group_members.c.org_id == org_id
                )
            ).first()
            if member is None:  # as through the API: only a member shares into a group
                raise InputError(
                    f"organization {org!r} is not a member of sharing group {marking.group!r}",
                    field="group",
                )
        # The earlier runs of this file by this organization that never ended: killed, or
        # their machine stopped (runs of other files may well be going at the same time).
        conn.execute(
            ingest_runs.update()
            .where(
                ingest_runs.c.org_id == org_id,
                ingest_runs.c.source == name,
                ingest_runs.c.finished_at.is_(None),
                ingest_runs.c.error.is_(None),
            )
            .values(error=DID_NOT_FINISH)
        )
        # By the clock of reports' stamps (`stamp_now`): every report this run writes is
        # stamped at or after it, one it finds unchanged (written before) earlier, so that the
        # run's webhooks are only the written ones' (`send_ingest_webhooks`).
        run_id = int(
            conn.execute(
                ingest_runs.insert()
                .values(org_id=org_id, source=name, started_at=stamp_now(conn))
                .returning(ingest_runs.c.id)
            ).scalar_one()
        )
        if created is not None:
            created.record(conn)
    if created is not None:
        created.committed()
    # From here on the run's row is in the database: every way out of this function ends it
    # (`_end_stopped_run`, or the update at the end), a Ctrl-C or a refused rejects file too,
    # or it would read "under way" until the file was next ingested.
    rejects: _Rejects | None = None
    received = stored = updated = unchanged = 0
    batch: list[Pending] = []
    committed = False  # a batch was: the run's row counts it

    held: list[tuple[Pending, str]] = []  # reports whose STIX id another report holds

    def write(conn: sa.Connection, mark: tuple[int, int]) -> BatchOutcome:
        """Write the batch and the run's counts with it, in CONN's transaction: a run killed
        (SIGKILL) after its commit counts what it committed, the batch's refusals among its
        rejections, and its rejects file holds them (written out before the commit)."""
        assert rejects is not None  # opened before the first batch
        rejects.rewind(mark)  # an attempt the database undid refused them too
        held[:] = stix_ids_held_elsewhere(conn, org_id, batch)
        taken = {id(p) for p, _ in held}
        outcome = write_batch(
            conn,
            org_id=org_id,
            run_id=run_id,
            batch=[p for p in batch if id(p) not in taken],
            ids=ids,
            rates=rates,
            position=POSITIONS.get(fmt, "line"),
        )
        for p, reason in outcome.duplicates:
            rejects.add(name, p.line, reason, report_id=p.report.report_id, field=refusal_field(p))
        for p, reason in held:
            rejects.add(name, p.line, reason, report_id=p.report.report_id, field="id")
        rejects.flush()
        conn.execute(
            ingest_runs.update()
            .where(ingest_runs.c.id == run_id)
            .values(
                received=received,
                stored=stored + outcome.stored,
                updated=updated + outcome.updated,
                rejected=rejects.count,
            )
        )
        return outcome

    def flush() -> None:
        nonlocal stored, updated, unchanged, committed
        if not batch:
            return
        # Run again when the database undid it (a deadlock with the linker): counted once, when
        # committed, and the ids the undone attempt learned are not written.
        assert rejects is not None  # opened before the first batch
        mark = rejects.mark()
        try:
            outcome = transaction_with_ids(store, ids, lambda conn: write(conn, mark))
        except Exception:
            rejects.rewind(mark)  # not committed: its refusals are not counted anywhere
            raise
        stored += outcome.stored
        updated += outcome.updated
        unchanged += outcome.unchanged
        committed = True
        batch.clear()

    if workers is None:
        workers = min(2, os.cpu_count() or 1) if forks_workers(path) else 0
    rejects_path: Path | None = None
    try:
        rejects = _Rejects(path, POSITIONS.get(fmt, "line"), file=name)
        ids = IdentifierIds()
        total = path.stat().st_size
        with _no_full_gc(), path.open("rb") as raw:
            records = _records(raw, path, fmt, mapping, name)
            chunks = _chunks(records, _CHUNK)
            batch_org = org.strip() if fmt in _BATCH_MARKED else None
            args = (mapping, marking, name, group_id, classify, batch_org)
            for prepared in _prepared(chunks, workers, args):
                for item in prepared:
                    received += 1
                    if isinstance(item, Unreadable):
                        rejects.add(
                            name,
                            item.line,
                            item.reason,
                            report_id=item.report_id,
                            field=item.field,
                        )
                    else:
                        batch.append(item)
                if len(batch) >= batch_size:
                    flush()
                    if progress is not None and not raw.closed:
                        progress(raw.tell(), total)
            flush()
        rejects_path = rejects.close()
        with store.begin() as conn:
            conn.execute(
                ingest_runs.update()
                .where(ingest_runs.c.id == run_id)
                .values(
                    finished_at=stamp_now(conn),  # the clock of started_at
                    error=None,  # over a DID_NOT_FINISH an ingest of the same file wrote
                    received=received,
                    stored=stored,
                    updated=updated,
                    rejected=rejects.count,
                )
            )
    except BaseException as exc:
        _end_stopped_run(store, run_id, exc, committed=committed)
        raise
    finally:
        if rejects is not None:
            rejects.close()
    if progress is not None:
        progress(total, total)
    return IngestResult(
        name, org, received, stored, updated, rejects.count, rejects_path, run_id, unchanged
    )
