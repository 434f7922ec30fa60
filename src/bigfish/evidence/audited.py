"""A custody log's records held to the audit log: each record that signs `recorded_by` must be
the action of the account the audit log's row for that action names (`verify-log`'s last check).

Pure: `bigfish.evidence.log` reads the records, tree heads and audit rows in one snapshot and
hands them here.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bigfish.audit import EvidenceAction, stored_actor
from bigfish.evidence.custody import CustodyRecord, parse_utc, utc_text

#: How long after its append's tree head was signed the audit row of the action may be written
#: and still be taken for that action's. The row is written after the append commits, by the
#: same process (one clock): milliseconds after a show, seconds behind the API writer's queue or
#: a busy database, and after an export the copying of every file into the package, which runs
#: inside the append (an hour: 360 GB at 100 MB/s). Rows are also matched by event, evidence or
#: report and status, and each records one append, so a wide window pairs no strangers; a row
#: later than this leaves its record without one, a note and not a problem.
AUDIT_ROW_WITHIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Append:
    """The records one append wrote for one account: one action's (an export's, one a file)."""

    seqs: tuple[int, ...]
    event: str
    evidence_ids: tuple[str, ...]
    report: str
    account: str
    signed_at: datetime  # the append's tree head: the action's audit row is written after it

    def subjects(self) -> list[tuple[str, str]]:
        """What the audit row of this append's action may name (`bigfish.audit.evidence_rows`):
        an evidence id, the report, or the bare report id of a console export without --org."""
        return [
            *(("evidence", evidence_id) for evidence_id in self.evidence_ids),
            ("report", self.report),
            ("report id", self.report.partition("/")[2]),
        ]


@dataclass(slots=True)
class Audited:
    """What `compare_with_audit` found besides a problem."""

    agree: int = 0  # records whose action's audit row names the account they sign
    missing: list[int] = dataclasses.field(default_factory=list)  # seqs without a row


def _covering_heads(
    records: Sequence[CustodyRecord], head_rows: Sequence[Any]
) -> Iterable[tuple[CustodyRecord, int, Any]]:
    """Each record signing `recorded_by`, with the index and row of the first tree head that
    covers it: the head its append signed (one head an append)."""
    index = 0
    for record in records:
        while index < len(head_rows) and int(head_rows[index].size) < record.seq:
            index += 1
        if index == len(head_rows):
            return
        if record.draft.recorded_by is not None:
            yield record, index, head_rows[index]


def first_signed_account(records: Sequence[CustodyRecord], head_rows: Sequence[Any]) -> str | None:
    """When the first record signing `recorded_by` was appended (its head's timestamp, as the
    audit log writes times): no older audit row can be an action of such a record."""
    for _record, _index, head in _covering_heads(records, head_rows):
        return str(head.timestamp)
    return None


def appends(records: Sequence[CustodyRecord], head_rows: Sequence[Any]) -> list[_Append]:
    """The records signing `recorded_by`, as the appends that wrote them, in log order."""
    groups: dict[tuple[int, str, str, str], list[CustodyRecord]] = {}
    signed: dict[int, datetime] = {}
    for record, index, head in _covering_heads(records, head_rows):
        d = record.draft
        groups.setdefault((index, d.event.value, d.report, str(d.recorded_by)), []).append(record)
        signed.setdefault(index, parse_utc(head.timestamp))
    return [
        _Append(
            tuple(r.seq for r in group),
            event,
            tuple(dict.fromkeys(r.draft.evidence_id for r in group)),
            report,
            account,
            signed[index],
        )
        for (index, event, report, account), group in groups.items()
    ]


def _by_time(rows: dict[Any, list[EvidenceAction]]) -> dict[Any, list[EvidenceAction]]:
    for found in rows.values():
        found.sort(key=lambda row: (row.at, row.seq))
    return rows


def _earliest(
    append: _Append, candidates: Iterable[list[EvidenceAction] | None], used: set[int]
) -> EvidenceAction | None:
    """The first row not USED among CANDIDATES (each in time order) written in APPEND's window."""
    best: EvidenceAction | None = None
    until = append.signed_at + AUDIT_ROW_WITHIN
    for rows in candidates:
        if not rows:
            continue
        index = bisect.bisect_left(rows, append.signed_at, key=lambda row: row.at)
        while index < len(rows) and rows[index].at <= until:
            row = rows[index]
            if row.seq not in used:
                if best is None or (row.at, row.seq) < (best.at, best.seq):
                    best = row
                break
            index += 1
    return best


def compare_with_audit(
    appends: Sequence[_Append], actions: Sequence[EvidenceAction], audited: Audited
) -> str | None:
    """The first record whose signed `recorded_by` is not the actor of its action's audit row;
    the records that agree, and those without a row, counted in AUDITED.

    In one pass over ACTIONS (the rows of evidence actions, read once): each append takes the
    first unused row of its event and subject by its own account written in its window, the
    newest append first, so that of an account's actions in a row the one without an audit row
    is named and not its neighbour. An append left over takes a row left over by another
    account: that row says someone else did it. One with none is without a row.
    """
    mine: dict[tuple[str, tuple[str, str], str], list[EvidenceAction]] = {}
    for action in actions:
        mine.setdefault((action.event, action.subject, action.actor), []).append(action)
    _by_time(mine)
    used: set[int] = set()
    left: list[_Append] = []
    for append in reversed(appends):
        account = stored_actor(append.account)
        keys = [(append.event, subject, account) for subject in append.subjects()]
        row = _earliest(append, (mine.get(key) for key in keys), used)
        if row is None:
            left.append(append)
        else:
            used.add(row.seq)
            audited.agree += len(append.seqs)
    others: dict[tuple[str, tuple[str, str]], list[EvidenceAction]] = {}
    for action in actions:
        # A row that may have appended nothing (a refused download) accuses no one.
        if action.seq not in used and action.certain:
            others.setdefault((action.event, action.subject), []).append(action)
    _by_time(others)
    disagree: list[tuple[_Append, EvidenceAction]] = []
    for append in left:
        anyone = [(append.event, subject) for subject in append.subjects()]
        row = _earliest(append, (others.get(key) for key in anyone), used)
        if row is None:
            audited.missing.extend(append.seqs)
        else:
            used.add(row.seq)
            disagree.append((append, row))
    if not disagree:
        return None
    append, row = min(disagree, key=lambda pair: pair[0].seqs[0])
    return (
        f"{append.evidence_ids[0]}: custody record seq {append.seqs[0]} is signed as recorded by "
        f"{_printable(append.account)} but the audit log's row #{row.seq} for that action names "
        f"{_printable(row.actor)} ({_printable(row.action)} at {utc_text(row.at)}): one of them "
        "does not say who did it"
    )


def _printable(text: str) -> str:
    """TEXT on one line: what is not printable escaped (an account is typed text)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def unaudited_note(seqs: Sequence[int], shown: int = 10) -> str:
    """The note of the records SEQS that sign `recorded_by` but whose action has no audit row."""
    listed = ", ".join(str(seq) for seq in seqs[:shown]) + (", …" if len(seqs) > shown else "")
    count = f"{len(seqs):,} custody record{'' if len(seqs) == 1 else 's'}"
    return (
        f"{count} sign recorded_by but have no audit row for their action (seq {listed}): "
        "an action whose audit row then failed to commit (the client got 503), a command "
        "stopped between its change and its row, an action whose row was not yet written when "
        "this snapshot was read, or a record written through bigfish's library on the node "
        "rather than the console, the API or the web; `bigfish audit verify` checks the audit "
        "log itself"
    )
