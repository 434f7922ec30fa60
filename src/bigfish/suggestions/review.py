"""Same-script suggestions as a viewer is shown them (`suggestions_for`, only pairs of reports
it may see, a page at a time: a campaign's first report is chosen by every copy) and its
organization's analysts' decisions on them (`decide`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import AccessDenied, InputError, NotFound
from bigfish.models import ApiRole
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.fast import upsert
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_linking import script_link_decisions, script_links
from bigfish.suggestions.state import hold_results

DECISIONS = ("accepted", "rejected")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another report that may tell the same script, as one viewer is shown it."""

    org: str
    report_id: str
    score: float
    method: str
    decision: str | None  # the viewer's organization's: accepted | rejected | None

    def to_json(self) -> dict[str, object]:
        """The API's form."""
        return {
            "org": self.org,
            "report_id": self.report_id,
            "score": self.score,
            "method": self.method,
            "decision": self.decision,
        }


def _report_pk(conn: Connection, viewer: Viewer, org: str, report_id: str) -> int:
    pk = conn.execute(
        sa.select(reports.c.id)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(
            organizations.c.name == org,
            reports.c.report_id == report_id,
            visible_reports(viewer),
        )
    ).scalar()
    if pk is None:
        raise NotFound("report", f"{org}/{report_id}")  # unknown and hidden look the same
    return int(pk)


@dataclass(frozen=True, slots=True)
class SuggestionPage:
    """A page of one report's suggestions, and the cursor of the next (None at the end)."""

    suggestions: tuple[Suggestion, ...]
    next_cursor: str | None


def _encode_cursor(last: Suggestion) -> str:
    raw = json.dumps(["similar", last.score, last.org, last.report_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float, str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, score, org, report_id = json.loads(raw)
        if name != "similar" or not isinstance(score, int | float):
            raise ValueError("another listing")
        if not isinstance(org, str) or not isinstance(report_id, str):
            raise ValueError("another listing")
        return float(score), org, report_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InputError("not a cursor of this listing", field="cursor") from None


def suggestions_for(
    store: Store,
    viewer: Viewer,
    org: str,
    report_id: str,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> SuggestionPage:
    """A page of LIMIT suggestions of report ORG/REPORT_ID that VIEWER may see (both reports),
    best first (then by organization and report id), with its organization's decision, after
    CURSOR (the `next_cursor` of the previous page); NotFound when it may not see the report."""
    if limit < 1:
        raise InputError("limit is 1 or more", field="limit")
    after = None if cursor is None else _decode_cursor(cursor)
    with store.connect() as conn:
        pk = _report_pk(conn, viewer, org, report_id)
        other = sa.case(
            (script_links.c.report_a == pk, script_links.c.report_b),
            else_=script_links.c.report_a,
        )
        decision = (
            sa.select(script_link_decisions.c.decision)
            .where(
                script_link_decisions.c.link_id == script_links.c.id,
                script_link_decisions.c.org_id == (viewer.org_id or -1),
            )
            .scalar_subquery()
        )
        query = (
            sa.select(
                organizations.c.name,
                reports.c.report_id,
                script_links.c.score,
                script_links.c.method,
                decision.label("decision"),
            )
            .select_from(script_links)
            .join(reports, reports.c.id == other)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .where(
                sa.or_(script_links.c.report_a == pk, script_links.c.report_b == pk),
                # a pair no longer suggested is shown only to the organizations that decided
                sa.or_(script_links.c.suggested, decision.is_not(None)),
                visible_reports(viewer),
            )
        )
        if after is not None:
            score, after_org, after_id = after
            query = query.where(
                sa.or_(
                    script_links.c.score < score,
                    sa.and_(
                        script_links.c.score == score,
                        sa.or_(
                            organizations.c.name > after_org,
                            sa.and_(
                                organizations.c.name == after_org, reports.c.report_id > after_id
                            ),
                        ),
                    ),
                )
            )
        rows = conn.execute(
            query.order_by(
                script_links.c.score.desc(), organizations.c.name, reports.c.report_id
            ).limit(limit + 1)
        ).all()
    found = tuple(
        Suggestion(str(r.name), str(r.report_id), float(r.score), str(r.method), r.decision)
        for r in rows[:limit]
    )
    following = _encode_cursor(found[-1]) if len(rows) > limit else None
    return SuggestionPage(found, following)


def decide(
    store: Store,
    viewer: Viewer,
    actor: str,
    report: tuple[str, str],
    other: tuple[str, str],
    decision: str,
) -> Suggestion:
    """Record VIEWER's organization's DECISION (accepted | rejected) on the suggestion joining
    REPORT and OTHER (each organization, report id), by ACTOR; NotFound unless VIEWER may see
    both and the suggestion exists."""
    if decision not in DECISIONS:
        raise InputError(f"decision is one of {', '.join(DECISIONS)}", field="decision")
    if viewer.org_id is None or viewer.role not in (ApiRole.ANALYST, ApiRole.ADMIN):
        raise AccessDenied("an organization's analysts decide on suggestions")
    with store.begin() as conn:
        hold_results(conn)  # a run storing meanwhile would delete the pair under the decision
        a = _report_pk(conn, viewer, *report)
        b = _report_pk(conn, viewer, *other)
        ours = sa.exists().where(
            script_link_decisions.c.link_id == script_links.c.id,
            script_link_decisions.c.org_id == viewer.org_id,
        )
        link = conn.execute(
            sa.select(script_links.c.id, script_links.c.score, script_links.c.method).where(
                script_links.c.report_a == min(a, b),
                script_links.c.report_b == max(a, b),
                sa.or_(script_links.c.suggested, ours),  # as `suggestions_for` shows it
            )
        ).first()
        if link is None:
            raise NotFound("suggestion", f"{report[0]}/{report[1]} ~ {other[0]}/{other[1]}")
        decided = {
            "link_id": link.id,
            "org_id": viewer.org_id,
            "decision": decision,
            "decided_by": actor[:200],
            "decided_at": datetime.now(UTC),
        }
        upsert(conn, script_link_decisions, [decided], ["link_id", "org_id"])
    return Suggestion(other[0], other[1], float(link.score), str(link.method), decision)
