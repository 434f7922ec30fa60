"""The audit log's rows of evidence actions, read back for `bigfish evidence verify-log`: which
rows record an action that appended to the custody log, what each names (the custody event, the
evidence or report, the actor) and when it was written.

The actions, as their writers record them (a row of another status appended nothing):

- the console (`bigfish.cli.evidence`): `evidence add` (201; 200 is bytes held before, nothing
  recorded), `evidence show` (200), `evidence event` (201, target `ev-… <event>`),
  `evidence export` (200, target `org/report`, or the bare report id and no org without --org);
- the API (its audit middleware, `METHOD path`): `POST /api/v1/reports/<org>/<report>/evidence`
  (201), `GET /api/v1/evidence/<id>` (200), `GET /api/v1/evidence/<id>/content` (200, or 409
  when the re-hash found the bytes changed: the access is recorded first; a 409 is also the
  refusal of a disposed item's bytes, which records nothing, so a 409 row is an action only
  *perhaps*: `EvidenceAction.certain` is False, and it is never held against another account),
  `POST /api/v1/reports/<org>/<report>/evidence/package` (200);
- the web (`bigfish.web.audited.record_view`): `POST /evidence/<id>/verify` (200).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.audit.entry import _storable
from bigfish.store.schema_access import audit_log

#: An action's subject: ("evidence", id), ("report", "org/report_id"), or ("report id", the
#: bare report id of a console export given without --org).
Subject = tuple[str, str]

_ACTOR_WIDTH = 120  # the actor column's width: longer actors are cut as they are written
_ACTION_WIDTH = 300  # the action column's: a longer `METHOD path` is cut (the target holds it)

_API = "/api/v1"
_CONSOLE = {
    "evidence add": ("acquired", 201),
    "evidence show": ("accessed", 200),
    "evidence export": ("exported", 200),
}
_STATED = frozenset({"transferred", "sealed", "disposed"})


@dataclass(frozen=True, slots=True)
class EvidenceAction:
    """An audit row that records an action which appended to the custody log."""

    seq: int
    at: datetime
    actor: str
    action: str
    event: str  # the custody event the action appended ("acquired", "accessed", …)
    subject: Subject
    # False for a row that may record no append (a 409 download: a changed file's access is
    # recorded, a disposed item's refusal is not): matched to its own account's record only.
    certain: bool = True


def stored_actor(actor: str) -> str:
    """ACTOR as the audit log stores it (NUL and lone surrogates escaped, cut to the column)."""
    return _storable(actor)[:_ACTOR_WIDTH]


def evidence_actions(conn: Connection, since: str) -> Iterator[EvidenceAction]:
    """The rows of evidence actions written at or after SINCE (a time as the log writes it), in
    one pass over the log as CONN sees it."""
    action = audit_log.c.action
    query = (
        sa.select(
            audit_log.c.seq,
            audit_log.c.at,
            audit_log.c.actor,
            audit_log.c.org,
            action,
            audit_log.c.target,
            audit_log.c.status,
        )
        .where(
            audit_log.c.at >= since,
            audit_log.c.status.in_([200, 201, 409]),
            sa.or_(
                action.in_([*_CONSOLE, "evidence event"]),
                action.like(f"GET {_API}/evidence/%"),
                action.like(f"POST {_API}/reports/%"),
                action.like("POST /evidence/%"),
            ),
        )
        .order_by(audit_log.c.seq)
        .execution_options(yield_per=5000)
    )
    for row in conn.execute(query):
        found = evidence_action(row.action, row.target, row.org, row.status)
        at = _time(row.at)
        if found is not None and at is not None:
            certain = int(row.status) != 409
            yield EvidenceAction(int(row.seq), at, row.actor, row.action, *found, certain)


def _time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def evidence_action(
    action: str, target: str | None, org: str | None, status: int
) -> tuple[str, Subject] | None:
    """The custody event and subject of the row (ACTION, TARGET, ORG, STATUS), or None when the
    row records no action that appended to the custody log."""
    if action in _CONSOLE:
        event, done = _CONSOLE[action]
        if status != done or not target:
            return None
        if action == "evidence export":
            return event, ("report" if org is not None else "report id", target)
        return event, ("evidence", target)
    if action == "evidence event":
        evidence_id, _, event = (target or "").rpartition(" ")
        return (event, ("evidence", evidence_id)) if status == 201 and event in _STATED else None
    method, _, path = action.partition(" ")
    if len(action) >= _ACTION_WIDTH and target and target.startswith(path):
        path = target.partition("?")[0]  # the action was cut; the target holds the path
    return _api_action(method, path, status) or _web_action(method, path, status)


def _api_action(method: str, path: str, status: int) -> tuple[str, Subject] | None:
    if method == "GET" and path.startswith(f"{_API}/evidence/"):
        evidence_id, _, tail = path.removeprefix(f"{_API}/evidence/").partition("/")
        if evidence_id and (
            (tail == "" and status == 200) or (tail == "content" and status in (200, 409))
        ):
            return "accessed", ("evidence", evidence_id)
        return None
    if method == "POST" and path.startswith(f"{_API}/reports/"):
        report = path.removeprefix(f"{_API}/reports/")
        if report.endswith("/evidence/package") and status == 200:
            return "exported", ("report", report.removesuffix("/evidence/package"))
        if report.endswith("/evidence") and status == 201:
            return "acquired", ("report", report.removesuffix("/evidence"))
    return None


def _web_action(method: str, path: str, status: int) -> tuple[str, Subject] | None:
    if method == "POST" and path.startswith("/evidence/") and path.endswith("/verify"):
        evidence_id = path.removeprefix("/evidence/").removesuffix("/verify")
        if evidence_id and "/" not in evidence_id and status == 200:
            return "accessed", ("evidence", evidence_id)
    return None
