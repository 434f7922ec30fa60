"""Batched writes of reports with their mentions: one transaction per batch, so a report is never
stored without its identifiers and a batch is acknowledged only once it is committed."""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.fx import Rates, to_usd
from bigfish.models import TLP, Channel, Distribution, Report, Role, ScamType, Source
from bigfish.store.base import Store
from bigfish.store.fast import insert_many
from bigfish.store.schema import group_members, identifiers, mentions, organizations, reports
from bigfish.store.schema_interop import interop_imports, report_withdrawals
from bigfish.store.stamps import announce_writer, stamp_now

if TYPE_CHECKING:  # bigfish.intake imports this module: at run time, a circle
    from bigfish.intake.prepare import PreparedMention

T = TypeVar("T")
_CHUNK = 500  # stays under every driver's bound-parameter limit
_GROUP = Distribution.GROUP.value
_IDENT_COLUMNS = ("kind", "canonical", "valid", "error", "domain", "chain", "country")
_MENTION_COLUMNS = ("report_pk", "identifier_id", "source", "role", "raw")
# PostgreSQL refuses an index row over 2,704 bytes: the unique (kind, canonical) of identifiers
# holds a canonical form of up to this many bytes (UTF-8) whatever the text, with room to spare.
CANONICAL_BYTES = 2_600
CANONICAL_CHARS = 2_000  # identifiers.canonical


#: The columns of a report that `record_withdrawals` keeps.
WITHDRAWAL_COLUMNS = (
    reports.c.org_id,
    reports.c.report_id,
    reports.c.source_id,
    reports.c.created_at,
    reports.c.updated_at,
    reports.c.reported_at,
    reports.c.tlp,
    reports.c.distribution,
    reports.c.group_id,
)


def record_withdrawals(
    conn: Connection, rows: Iterable[Any], now: datetime, *, audience: int | None = None
) -> None:
    """Keep ROWS (reports as they were: their id and `WITHDRAWAL_COLUMNS`) as withdrawn at NOW:
    each is about to be deleted or re-marked, so TAXII readers that may hold it are sent a
    revoked version of it (`bigfish.interop.feed`). Kept with each: the STIX `created` it was
    served with, and for a group's report the group's members now (who could see it).
    AUDIENCE, an organization's id: the reports are withdrawn from it alone (it is leaving
    their group; the other readers keep them)."""
    found = list(rows)
    if not found:
        return
    created = _served_created(conn, found)
    group_ids = sorted(
        {int(r.group_id) for r in found if r.distribution == _GROUP and r.group_id is not None}
    )
    members: dict[int, list[int]] = {g: [] for g in group_ids}
    if group_ids:
        query = sa.select(group_members.c.group_id, group_members.c.org_id).where(
            group_members.c.group_id.in_(group_ids)
        )
        for group_id, org_id in conn.execute(query):
            members[int(group_id)].append(int(org_id))
    values = [
        {
            "org_id": r.org_id,
            "report_id": r.report_id,
            "source_id": r.source_id,
            # one no longer stored (none is: callers withdraw before they write), as before
            "created": created.get(int(r.id)) or min(_aware(r.created_at), _aware(r.updated_at)),
            "reported_at": r.reported_at,
            "tlp": r.tlp,
            "distribution": r.distribution,
            "group_id": r.group_id,
            "members": (
                sorted(members.get(int(r.group_id), []))
                if r.distribution == _GROUP and r.group_id is not None
                else None
            ),
            "withdrawn_at": now,
            "audience_org_id": audience,
        }
        for r in found
    ]
    conn.execute(report_withdrawals.insert(), values)


def _served_created(conn: Connection, found: list[Any]) -> dict[int, datetime]:
    """The STIX `created` each report of FOUND (still stored) was served with, by key, as
    `bigfish.interop.stix.created_of` gives it: its author's (the `stix_created` attribute it
    came with), else when this node stored it; never later than its version (the imported
    version, else its last update)."""
    # bigfish.interop imports this module (through the intake service)
    from bigfish.interop.stix import kept_created

    pks = [int(r.id) for r in found]
    served: dict[int, datetime] = {}
    for start in range(0, len(pks), _CHUNK):
        query = (
            sa.select(
                reports.c.id,
                reports.c.attributes,
                reports.c.created_at,
                sa.func.coalesce(interop_imports.c.modified, reports.c.updated_at),
            )
            .outerjoin(interop_imports, interop_imports.c.report_pk == reports.c.id)
            .where(reports.c.id.in_(pks[start : start + _CHUNK]))
        )
        for pk, attributes, created_at, version in conn.execute(query):
            first = kept_created(attributes) or _aware(created_at)
            served[int(pk)] = min(first, _aware(version))
    return served


def _marking_changed(row: Any, p: Pending) -> bool:
    marking = p.report.marking
    return (row.tlp, row.distribution, row.group_id) != (
        marking.tlp.value,
        marking.distribution.value,
        p.group_id,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Pending:
    """A report ready to store, with where it came from."""

    report: Report
    mentions: list[PreparedMention]
    file: str | None
    line: int | None
    group_id: int | None = None
    label: str | None = None  # the classifier's label of the narrative
    scam_probability: float | None = None
    predicted_scam_type: str | None = None

    def classified(
        self, label: str | None, scam_probability: float | None, predicted_scam_type: str | None
    ) -> Pending:
        """This report with the classifier's verdict: ``dataclasses.replace(self, label=…,
        scam_probability=…, predicted_scam_type=…)``, without its look at every field of every
        report (tests/intake/test_ingest_cpu_h139.py checks it keeps each of the others)."""
        return Pending(
            self.report,
            self.mentions,
            self.file,
            self.line,
            self.group_id,
            label,
            scam_probability,
            predicted_scam_type,
        )


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one batch did: counts and the reports refused, each with the reason: a duplicate
    of this run, or a value the store cannot keep (`unstorable`), the reason naming it.
    UPDATED counts every re-submitted report, UNCHANGED those of them that were not rewritten
    (the same content: `content_digest`); WRITTEN, the keys of the reports stored or rewritten,
    those whose alerts may be new."""

    stored: int
    updated: int
    duplicates: list[tuple[Pending, str]]
    unchanged: int = 0
    written: tuple[int, ...] = ()


def _limits(table: sa.Table) -> dict[str, int | None]:
    """The length each column of TABLE allows (None: any), read from the schema once."""
    found = _LIMITS.get(table.name)
    if found is None:
        found = {c.name: getattr(c.type, "length", None) for c in table.c}
        _LIMITS[table.name] = found
    return found


_LIMITS: dict[str, dict[str, int | None]] = {}


def _over_length(table: sa.Table, values: Mapping[str, object]) -> tuple[str, int, int] | None:
    """The first of VALUES longer than its column of TABLE allows: (column, length, limit)."""
    limits = _limits(table)
    for name, value in values.items():
        limit = limits[name]
        if isinstance(value, str) and limit is not None and len(value) > limit:
            return name, len(value), limit
    return None


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def unstorable(p: Pending) -> str | None:
    """Why the store cannot keep P as it is, or None: a value longer than its column (SQLite
    kept it whole, PostgreSQL refused it and with it the whole batch), or an identifier whose
    canonical form is too large for the index that makes identifiers unique (PostgreSQL)."""
    found = _unstorable(p)
    return found[0] if found is not None else None


def refusal_field(p: Pending) -> str:
    """The field a refusal of P names: where the value the store cannot keep was given (a
    report field, the identifier column of its kind, or the narrative it was found in), else
    report_id (a duplicate)."""
    found = _unstorable(p)
    return found[1] if found is not None else "report_id"


#: The intake column of each identifier kind (spec/reports.md), as refusals name it.
_COLUMN_OF = {
    "phone": "phones",
    "url": "urls",
    "email": "emails",
    "bank_account": "bank_accounts",
    "crypto_wallet": "crypto_wallets",
    "handle": "handles",
    "domain": "domains",
    "ip": "ips",
}


def _unstorable(p: Pending) -> tuple[str, str] | None:
    report = p.report
    fields = {
        "report_id": report.report_id,
        "source_id": report.source_id,
        "source_file": p.file,
        "country": report.country,
        "loss_currency": report.loss_currency,
        "classification": p.label,
        "predicted_scam_type": p.predicted_scam_type,
    }
    over = _over_length(reports, fields)
    if over is not None:
        name, length, limit = over
        return f"{name} of {length:,} characters is over the {limit:,} the store keeps", name
    limits = _limits(identifiers)
    canonical_limit, error_limit, domain_limit = (
        limits["canonical"],
        limits["error"],
        limits["domain"],
    )
    for m in p.mentions:
        # Most values are short: no encoding, no message, unless one is over a limit. UTF-8
        # takes at most 4 bytes a code point (a lone surrogate, 3 with surrogatepass).
        if (
            len(m.canonical) * 4 <= CANONICAL_BYTES
            and (canonical_limit is None or len(m.canonical) <= canonical_limit)
            and (m.error is None or error_limit is None or len(m.error) <= error_limit)
            and (m.domain is None or domain_limit is None or len(m.domain) <= domain_limit)
        ):
            continue
        found = _unstorable_mention(m)
        if found is not None:
            return found
    return None


def _unstorable_mention(m: PreparedMention) -> tuple[str, str] | None:
    narrative = m.source is Source.NARRATIVE
    where = " in the narrative" if narrative else ""
    field = "narrative" if narrative else _COLUMN_OF.get(str(m.kind), "identifiers")
    what = f"the {m.kind} value {_shown(m.raw)}{where}"
    size = len(m.canonical.encode("utf-8", "surrogatepass"))
    over = _over_length(
        identifiers, {"canonical": m.canonical, "error": m.error, "domain": m.domain}
    )
    if over is not None and over[0] != "canonical":
        name, length, limit = over
        return f"{what} has a {name} of {length:,} characters, over the {limit:,} kept", field
    if over is not None or size > CANONICAL_BYTES:
        return (
            f"{what} has a canonical form of {len(m.canonical):,} characters "
            f"({size:,} bytes), over the {CANONICAL_CHARS:,} characters "
            f"({CANONICAL_BYTES:,} bytes) the store keeps of an identifier; shorten it",
            field,
        )
    return None


class IdentifierIds:
    """A bounded cache of identifier ids, so memory stays flat however many values a file has.

    An id it learns in a transaction may be of a row that transaction inserted: should the
    transaction be undone, the row is gone and the id with it. Such ids stay unsettled until
    `settle` (the transaction committed); `forget_unsettled` drops them (it was undone)."""

    def __init__(self, capacity: int = 500_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._unsettled: set[tuple[str, str]] = set()

    def settle(self) -> None:
        """The transaction the ids learned since the last `settle` were read in committed."""
        self._unsettled.clear()

    def forget_unsettled(self) -> None:
        """Forget the ids learned since the last `settle`: their transaction was undone."""
        for key in self._unsettled:
            self._ids.pop(key, None)
        self._unsettled.clear()

    def resolve(
        self, conn: Connection, wanted: Sequence[PreparedMention]
    ) -> dict[tuple[str, str], int]:
        """Ids of every (kind, canonical) in WANTED, inserting those the store lacks, in the
        order of (kind, canonical) whatever WANTED's: a value two transactions insert makes the
        second wait for the first, so two batches naming new values in opposite orders each
        waited for the other (a deadlock, PostgreSQL undoing one). In one order, the first to
        insert the smallest value they share goes first. `Store.transaction` runs the undone
        one again; this spares it the wait (deadlock_timeout) and the second run."""
        result: dict[tuple[str, str], int] = {}
        missing: dict[tuple[str, str], PreparedMention] = {}
        for m in wanted:
            key = (m.kind, m.canonical)
            cached = self._ids.get(key)
            if cached is not None:
                result[key] = cached
            elif key not in missing:
                missing[key] = m
        if missing:
            self._insert(conn, [missing[key] for key in sorted(missing)])
            for key, ident_id in self._ids_of(conn, list(missing)).items():
                result[key] = ident_id
                self._remember(key, ident_id)
        return result

    @staticmethod
    def _insert(conn: Connection, missing: Iterable[PreparedMention]) -> None:
        insert_many(
            conn,
            identifiers,
            _IDENT_COLUMNS,
            [
                (m.kind, m.canonical, m.valid, m.error, m.domain, m.chain, m.country)
                for m in missing
            ],
            on_conflict_ignore=("kind", "canonical"),
        )

    @staticmethod
    def _ids_of(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        by_kind: dict[str, list[str]] = {}
        for kind, canonical in keys:
            by_kind.setdefault(kind, []).append(canonical)
        found: dict[tuple[str, str], int] = {}
        for kind, values in by_kind.items():
            for start in range(0, len(values), _CHUNK):
                query = sa.select(identifiers.c.id, identifiers.c.canonical).where(
                    identifiers.c.kind == kind,
                    identifiers.c.canonical.in_(values[start : start + _CHUNK]),
                )
                found.update(
                    ((kind, canonical), ident_id) for ident_id, canonical in conn.execute(query)
                )
        return found

    def _remember(self, key: tuple[str, str], ident_id: int) -> None:
        self._ids[key] = ident_id
        self._unsettled.add(key)
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)


def transaction_with_ids(store: Store, ids: IdentifierIds, work: Callable[[Connection], T]) -> T:
    """`Store.transaction(WORK)` for work that resolves identifiers through IDS: an attempt the
    database undid (a deadlock with the background linker, say) leaves no id it learned, whose
    row may have been undone with it, for the next attempt or the next batch to write."""

    def attempt(conn: Connection) -> T:
        ids.forget_unsettled()
        return work(conn)

    result = store.transaction(attempt)
    ids.settle()
    return result


#: The columns of a report's row that say where and when it was last sent, not what it says:
#: left out of its `content_digest`, moved by every re-submission (`_PROVENANCE`) or kept.
_NOT_CONTENT = frozenset(
    {
        "ingest_run",
        "created_at",
        "updated_at",
        "source_file",
        "source_line",
        "content_digest",
        "stix_id",  # made of org_id, report_id and source_id, which the digest holds
    }
)
#: What a re-submission with the same content still changes: the run it was last sent in (a
#: second copy of its report_id later in the same run is refused by it) and where it was.
_PROVENANCE = ("ingest_run", "source_file", "source_line")


def _canonical(value: object) -> object:
    """VALUE in a form JSON writes one way only: times as UTC ISO text (naive ones read as
    UTC), floats as their shortest exact text (tagged, not to be taken for a string; NaN and
    infinities too), keys sorted by `json.dumps`; everything else as JSON has it."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, date):  # a datetime is one (tests may stand a subclass in for
        # this module's `datetime`, of which a real one is no instance)
        if not hasattr(value, "tzinfo"):
            return {"$date": value.isoformat()}
        moment = _aware(cast("datetime", value)).astimezone(UTC)
        return {"$time": moment.isoformat(timespec="microseconds")}
    if isinstance(value, float):  # float's own repr: a numpy float's is 'np.float64(0.5)'
        return {"$float": float.__repr__(value) if math.isfinite(value) else str(float(value))}
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _AS_IS else _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _AS_IS else _canonical(v) for v in value]
    return value


#: The types `_canonical` gives back as they are, known without a call.
_AS_IS = frozenset({str, int, bool, type(None)})


def content_digest(row: Mapping[str, object], found: Sequence[PreparedMention]) -> str:
    """SHA-256 (hex) of what a re-submission of a report can change that readers see: its ROW
    (`_row`) but the columns of `_NOT_CONTENT` (so with its marking, classification and loss in
    USD), and the mentions FOUND in it, sorted. The same content gives the same digest in any
    process and on either backend: it is taken from the values written, not read back.

    Not `bigfish.evidence.custody.canonical_json`, on purpose: the digest never leaves the
    node (no export, package or custody record carries it), it only tells a re-sent report
    from a changed one, over values canonical_json does not take (times, which it refuses;
    floats, tagged here so that 1.5 is not "1.5" nor NaN a crash; lone surrogates in text,
    which it cannot encode). On content of plain JSON values both give the same bytes. The
    encoding is that of the digests stored: changing it needs a migration that recomputes
    them, or every report reads as changed and goes out again to every TAXII reader
    (tests/evidence/test_review_h107.py)."""
    # `_canonical` of the content, each column's value made canonical as the content is taken
    # from ROW (the mentions' texts are text already), not in a second pass over it
    content = {
        str(k): v if type(v) in _AS_IS else _canonical(v)
        for k, v in row.items()
        if k not in _NOT_CONTENT
    }
    content["mentions"] = sorted([_mention_text(m) for m in found])
    text = _CONTENT_JSON(content)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _mention_text(m: PreparedMention) -> str:
    """`_mention_json` of M's kind, canonical, source, role and raw[:2000], its source and role
    as written once for all (`_SOURCE_JSON`, `_ROLE_JSON`), in one f-string: a list and a join
    for each mention of each report took a fifth of the digest's time."""
    try:
        return (
            f"[{_quoted(m.kind)}, {_quoted(m.canonical)}, {_SOURCE_JSON[m.source]}, "
            f"{_ROLE_JSON[m.role]}, {_quoted(m.raw[:2000])}]"
        )
    except (TypeError, KeyError):  # not text, or no source or role of ours: as it was written
        return _mention_json(
            [m.kind, m.canonical, m.source.value, m.role.value if m.role else None, m.raw[:2000]]
        )


def _mention_json(values: list[str | None]) -> str:
    """``json.dumps(VALUES, ensure_ascii=False)``: a list of text or None written as the encoder
    writes it, with its own function for text, without making an encoder for every list."""
    try:
        return "[" + ", ".join("null" if v is None else _quoted(v) for v in values) + "]"
    except TypeError:  # not text after all: as json.dumps writes it
        return _MENTION_JSON(values)


_quoted = json.encoder.encode_basestring  # what the encoder writes text with (ensure_ascii off)
_SOURCE_JSON: dict[Source, str] = {source: _quoted(source.value) for source in Source}
_ROLE_JSON: dict[Role | None, str] = {None: "null"} | {role: _quoted(role.value) for role in Role}
# The encoders `json.dumps` made anew for every call with these options (same output).
_MENTION_JSON = json.JSONEncoder(ensure_ascii=False).encode
_CONTENT_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def _row(
    p: Pending, org_id: int, org: str, run_id: int, now: datetime, rates: Rates
) -> dict[str, object]:
    row = _content_row(p, org_id, run_id, now, rates)
    row["content_digest"] = content_digest(row, p.mentions)
    row["stix_id"] = stix_id_of(org, p.report.report_id, p.report.source_id)
    return row


def stix_id_of(org: str, report_id: str, source_id: str | None) -> str:
    """The STIX id ORG's report REPORT_ID goes out under, kept as `reports.stix_id`: SOURCE_ID
    when it is a STIX report id (`report--…`, the id it came with), else the id bigfish makes of
    its organization and report_id (`bigfish.interop.stix.report_stix_id`)."""
    if source_id is not None and source_id.startswith(_STIX_REPORT):
        return source_id
    # bigfish.interop imports this module (through the intake service): imported when used
    from bigfish.interop.stix import report_stix_id

    return report_stix_id(org, report_id)


_STIX_REPORT = "report--"


def _org_name(conn: Connection, org_id: int) -> str:
    """The name of organization ORG_ID, of which the STIX ids of its reports are made."""
    query = sa.select(organizations.c.name).where(organizations.c.id == org_id)
    return str(conn.execute(query).scalar_one())


#: The value of each member of the vocabularies a report's row and its mentions hold: a dict's
#: lookup, not a call of the enum's `value` property for every report and mention. (A member
#: of another vocabulary with the same text is equal to it, and has that text for its value.)
_VALUES: dict[StrEnum, str] = {
    member: member.value for vocabulary in (ScamType, Channel, TLP, Distribution, Source, Role)
    for member in vocabulary
}  # fmt: skip


def _content_row(
    p: Pending, org_id: int, run_id: int, now: datetime, rates: Rates
) -> dict[str, object]:
    r = p.report
    return {
        "org_id": org_id,
        "report_id": r.report_id,
        "reported_at": r.reported_at,
        "country": r.country,
        "scam_type": _VALUES[r.scam_type] if r.scam_type else None,
        "channel": _VALUES[r.channel] if r.channel else None,
        "loss_amount": str(r.loss_amount) if r.loss_amount is not None else None,
        "loss_currency": r.loss_currency,
        "loss_usd": to_usd(r.loss_amount, r.loss_currency, rates),
        "narrative": r.narrative,
        "attributes": dict(r.attributes) or None,
        "tlp": _VALUES[r.marking.tlp],
        "distribution": _VALUES[r.marking.distribution],
        "group_id": p.group_id,
        "source_id": r.source_id,
        "source_file": p.file,
        "source_line": p.line,
        "ingest_run": run_id,
        "updated_at": now,
        "classification": p.label,
        "scam_probability": p.scam_probability,
        "predicted_scam_type": p.predicted_scam_type,
    }


def _take_turns(conn: Connection, org_id: int) -> None:
    """Make writers of ORG_ID's reports (an ingest, an API submit, a pull) take turns until
    CONN's transaction ends, so that the reports one reads as existing are those there when it
    writes: otherwise both found a report_id new, and the second failed its whole batch on the
    unique (org_id, report_id). PostgreSQL locks the organization's row; SQLite, which has one
    writer at a time, takes the write lock now (the sqlite3 module runs the reads before it
    opens the transaction, at the first write) by a write that changes nothing."""
    mine = organizations.c.id == org_id
    if conn.dialect.name == "sqlite":
        conn.execute(organizations.update().where(mine).values(id=organizations.c.id))
    else:  # announced first, before any lock and the stamp (SQLite: the write lock above is)
        announce_writer(conn)
        conn.execute(sa.select(organizations.c.id).where(mine).with_for_update())


def write_batch(
    conn: Connection,
    *,
    org_id: int,
    run_id: int,
    batch: Sequence[Pending],
    ids: IdentifierIds,
    rates: Rates,
    position: str = "line",
) -> BatchOutcome:
    """Insert new reports, update re-submitted ones, and replace their mentions, in CONN's
    transaction. A report_id seen earlier in the same run is refused as a duplicate (naming the
    first by its POSITION in the file: line, object, event), a report with a value the store
    cannot keep (`unstorable`) with the reason; the others are written. A report re-submitted
    with the content it has (`content_digest`) is not rewritten: its stamps, mentions and
    marking stay, only where it was last sent moves (`_PROVENANCE`); it counts as updated and
    is not among the outcome's `written`. Each row keeps the STIX id its report goes out under
    (`stix_id_of`, `reports.stix_id`). Of the rows another organization's batch may want,
    it takes only the new identifiers', in key order (`resolve`); its organization's row and
    its reports are its own."""
    _take_turns(conn, org_id)
    now = stamp_now(conn)  # announced (`_take_turns`): see `bigfish.store.stamps`
    first: dict[str, Pending] = {}
    duplicates: list[tuple[Pending, str]] = []
    for p in batch:
        earlier = first.get(p.report.report_id)
        refused = unstorable(p)
        if refused is not None:  # refused here alone, not with the batch at the database
            duplicates.append((p, refused))
        elif earlier is not None:
            at = "index" if p.file == "api" else position  # a batch of the API counts from 0
            duplicates.append((p, f"duplicate report_id (first at {at} {earlier.line})"))
        else:
            first[p.report.report_id] = p
    existing: dict[str, tuple[int, int | None]] = {}
    before: dict[str, Any] = {}  # each existing report as it is, for `record_withdrawals`
    keys = list(first)
    for start in range(0, len(keys), _CHUNK):
        query = sa.select(
            reports.c.id, reports.c.ingest_run, reports.c.content_digest, *WITHDRAWAL_COLUMNS
        ).where(reports.c.org_id == org_id, reports.c.report_id.in_(keys[start : start + _CHUNK]))
        for row in conn.execute(query):
            existing[row.report_id] = (row.id, row.ingest_run)
            before[row.report_id] = row
    new: list[Pending] = []
    sent_again: list[tuple[int, Pending]] = []
    for report_id, p in first.items():
        found = existing.get(report_id)
        if found is None:
            new.append(p)
        elif found[1] == run_id:
            duplicates.append((p, "duplicate report_id earlier in the same file"))
        else:
            sent_again.append((found[0], p))
    pks: list[tuple[int, Pending]] = []
    org = _org_name(conn, org_id) if new or sent_again else ""
    if new:
        rows = [_row(p, org_id, org, run_id, now, rates) | {"created_at": now} for p in new]
        columns = list(rows[0])
        values_of = itemgetter(*columns)  # a row's values in COLUMNS' order, as a tuple
        insert_many(conn, reports, columns, [values_of(r) for r in rows])
        pk_of: dict[str, int] = {}
        new_ids = [p.report.report_id for p in new]
        for start in range(0, len(new_ids), _CHUNK):
            query = sa.select(reports.c.report_id, reports.c.id).where(
                reports.c.org_id == org_id, reports.c.report_id.in_(new_ids[start : start + _CHUNK])
            )
            pk_of.update((str(row[0]), int(row[1])) for row in conn.execute(query))
        pks.extend((pk_of[p.report.report_id], p) for p in new)
    # Sent again: rewritten when its content differs from the stored (a row from before
    # migration 0017 has no digest: rewritten once); else only where it was sent moves.
    resent = [(pk, p, _row(p, org_id, org, run_id, now, rates)) for pk, p in sent_again]
    rewritten = [
        (pk, p, row)
        for pk, p, row in resent
        if row["content_digest"] != before[p.report.report_id].content_digest
    ]
    unchanged = len(resent) - len(rewritten)
    if unchanged:
        kept = {pk for pk, _, _ in rewritten}
        _update(
            conn,
            [
                {c: row[c] for c in _PROVENANCE} | {"pk": pk}
                for pk, _, row in resent
                if pk not in kept
            ],
        )
    if rewritten:
        record_withdrawals(  # re-marked: readers that may hold it are told (a revoked version)
            conn,
            [
                before[p.report.report_id]
                for _, p, _ in rewritten
                if _marking_changed(before[p.report.report_id], p)
            ],
            now,
        )
        _update(conn, [row | {"pk": pk} for pk, _, row in rewritten])
        rewritten_pks = [pk for pk, _, _ in rewritten]
        for start in range(0, len(rewritten_pks), _CHUNK):
            conn.execute(
                mentions.delete().where(
                    mentions.c.report_pk.in_(rewritten_pks[start : start + _CHUNK])
                )
            )
        pks.extend((pk, p) for pk, p, _ in rewritten)
    all_mentions = [m for _, p in pks for m in p.mentions]
    id_of = ids.resolve(conn, all_mentions)
    insert_many(
        conn,
        mentions,
        _MENTION_COLUMNS,
        [
            (
                pk,
                id_of[(m.kind, m.canonical)],
                _VALUES[m.source],
                _VALUES[m.role] if m.role else None,
                m.raw[:2000],
            )
            for pk, p in pks
            for m in p.mentions
        ],
    )
    return BatchOutcome(
        stored=len(new),
        updated=len(sent_again),
        duplicates=duplicates,
        unchanged=unchanged,
        written=tuple(pk for pk, _ in pks),
    )


def _update(conn: Connection, rows: list[dict[str, object]]) -> None:
    """Set the columns of ROWS (each with the report's "pk") on their reports."""
    columns = [c for c in rows[0] if c != "pk"]
    update = (
        reports.update()
        .where(reports.c.id == sa.bindparam("pk"))
        .values({c: sa.bindparam(c) for c in columns})
    )
    conn.execute(update, rows)
