"""The page of one network: the facts of its member reports VIEWER may see, the graph of them
and the identifiers that join them, and the network's export (STIX, MISP, intake CSV, or
its rows as an Excel workbook whose every cell is text).

Split from `bigfish.web.data`, which re-exports every name.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bigfish.interop import misp, stix
from bigfish.interop.export import XLSX_MEDIA_TYPE, stix_objects, write_csv, write_xlsx
from bigfish.interop.model import NetworkView, ReportView
from bigfish.interop.views import iter_reports
from bigfish.linking.detail import NetworkDetail
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.web.render import REORDERING


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the graph shows about one member report."""

    pk: int
    org: str
    report_id: str
    country: str
    reported_at: datetime
    loss_usd: float | None
    scam_type: str | None
    loss_amount: str | None = None  # as stated, for a loss without a rate (loss_usd None)
    loss_currency: str | None = None


def member_facts(store: Store, viewer: Viewer, detail: NetworkDetail) -> list[MemberFacts]:
    """Country, date and loss of the network's reports VIEWER may see, oldest first."""
    pks = sorted(detail.refs)
    out: list[MemberFacts] = []
    query = (
        sa.select(
            reports.c.id,
            organizations.c.name,
            reports.c.report_id,
            reports.c.country,
            reports.c.reported_at,
            reports.c.loss_usd,
            reports.c.scam_type,
            reports.c.loss_amount,
            reports.c.loss_currency,
        )
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(visible_reports(viewer))
    )
    with store.connect() as conn:
        for start in range(0, len(pks), 500):
            for r in conn.execute(query.where(reports.c.id.in_(pks[start : start + 500]))):
                at = r.reported_at if r.reported_at.tzinfo else r.reported_at.replace(tzinfo=UTC)
                out.append(
                    MemberFacts(
                        int(r.id),
                        r.name,
                        r.report_id,
                        r.country,
                        at,
                        r.loss_usd,
                        r.scam_type,
                        r.loss_amount,
                        r.loss_currency,
                    )
                )
    return sorted(out, key=lambda m: (m.reported_at, m.org, m.report_id))


def graph_elements(detail: NetworkDetail, members: list[MemberFacts]) -> list[dict[str, Any]]:
    """Cytoscape.js elements: a node per report and per joining identifier, an edge per mention.

    Element ids are positions on this page (`r0`, `i0`, `e0-0`), never the store's ids: those
    come from sequences shared by every organization, so an identifier's id would tell that a
    report the viewer may not see had mentioned it first, and a report's how many reports every
    organization stored between two of the viewer's own."""
    elements: list[dict[str, Any]] = []
    node_of: dict[int, str] = {}
    for m in members:
        node_of[m.pk] = f"r{len(node_of)}"
        elements.append(
            {
                "data": {
                    "id": node_of[m.pk],
                    "type": "report",
                    "label": m.report_id.translate(REORDERING),  # drawn on a canvas
                    # what the explanation beside the graph names it by (its text, as the
                    # label's, with the direction overrides escaped: never the ids themselves)
                    "title": f"{m.org}/{m.report_id}".translate(REORDERING),
                    "org": m.org,
                    "report_id": m.report_id,
                    "country": m.country,
                    "loss": m.loss_usd or 0.0,
                }
            }
        )
    key = set(detail.key_identifiers)
    for position, join in enumerate(detail.joins):
        node = f"i{position}"
        elements.append(
            {
                "data": {
                    "id": node,
                    "type": "identifier",
                    "label": join.canonical.translate(REORDERING),
                    "kind": join.kind,
                    "key": join.identifier_id in key,
                }
            }
        )
        for pk in join.report_pks:
            if pk in node_of:
                source = node_of[pk]
                elements.append(
                    {"data": {"id": f"e{source[1:]}-{position}", "source": source, "target": node}}
                )
    return elements


EXPORT_MEDIA_TYPES = {
    "stix": "application/stix+json",
    "misp": "application/json",
    "csv": "text/csv",
    "xlsx": XLSX_MEDIA_TYPE,
}


#: Member ids per query of an export (as `member_facts` reads them).
_SLICE = 500


def export_network(store: Store, viewer: Viewer, detail: NetworkDetail, fmt: str) -> bytes:
    """The network's reports VIEWER may see, as a STIX bundle, MISP event, intake CSV (UTF-8)
    or the CSV's rows as an Excel workbook (`write_xlsx`: InputError for a report that does
    not fit in one)."""
    pks = sorted(detail.refs)
    views: list[ReportView] = []
    with store.connect() as conn:  # a slice of ids at a time, in id order: one IN (…) of all
        for start in range(0, len(pks), _SLICE):  # was past the database's bound values
            part = reports.c.id.in_(pks[start : start + _SLICE])
            views.extend(iter_reports(conn, sa.and_(visible_reports(viewer), part)))
    s = detail.summary.stats
    network = NetworkView(
        id=str(detail.summary.id),
        reports=tuple((v.org, v.report_id) for v in views),
        identifiers=tuple((j.kind, j.canonical) for j in detail.joins),
        countries=s.countries,
        score=s.score,
        total_loss_usd=s.total_loss_usd,
        first_seen=s.first_seen,
        last_seen=s.last_seen,
    )
    if fmt == "stix":
        seed = f"network {network.id}|{viewer.org_name or 'operator'}"
        document = stix.bundle(stix_objects(views, [network]), seed=seed)
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()
    if fmt == "misp":
        event = misp.network_event(network, views)
        return (json.dumps({"response": [event]}, ensure_ascii=False, indent=1) + "\n").encode()
    if fmt == "xlsx":
        workbook = io.BytesIO()
        write_xlsx(views, workbook)
        return workbook.getvalue()
    out = io.StringIO()
    write_csv(views, out)
    return out.getvalue().encode()
