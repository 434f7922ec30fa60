"""Which reports hold a STIX report id on this node: the one query behind "a STIX id is its
author's", asked by a TAXII POST and a pull (`bigfish.interop.importer`) and by the ingest of a
bundle file (`bigfish.intake.service.stix_ids_held_elsewhere`).

A report holds the id it goes out under: the one it came with (its `source_id`, `report--…`),
or, without one, the id made of its organization and report_id (`report_stix_id`). Two reports
under one id would go out as one object: a reader takes the later for a new version of the
other, and a revocation of one names both.

Each report keeps that id in `reports.stix_id` (written with the report, `store.writes`;
migration 0026 filled it for the reports stored before), indexed: a sent id is looked up there,
one query per chunk of ids, whatever report_id it is sent for. A made id cannot be inverted, so
it was looked for only among the reports of the report_id sent: a report sent under the id of
another report_id's report was stored beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store.schema import organizations, reports

_CHUNK = 500


@dataclass(frozen=True, slots=True, order=True)
class Holder:
    """A report holding a STIX id: its key (the order in which reports were first stored),
    organization and report_id."""

    pk: int
    org: str
    report_id: str

    @property
    def key(self) -> tuple[str, str]:
        """(organization, report_id)."""
        return (self.org, self.report_id)


def stix_id_holders(
    conn: Connection, sent: Mapping[str, tuple[str, str]], viewer: Viewer | None = None
) -> dict[str, list[Holder]]:
    """For each STIX id of SENT (each with the organization and report_id it is sent for, which
    the lookup no longer needs), the reports held here under it, first stored first; ids nobody
    holds are left out. VIEWER, when given, sees only the holders it may see
    (`visible_reports`): a refusal naming a hidden one would tell that it exists."""
    holders: dict[str, list[Holder]] = {}
    for holder, stix_id in _by_stix_id(conn, sorted(sent), viewer):
        holders.setdefault(stix_id, []).append(holder)
    return {stix_id: sorted(found) for stix_id, found in holders.items()}


def first_other(holders: Iterable[Holder], key: tuple[str, str]) -> Holder | None:
    """The holder that refuses the report KEY its id: the first stored of HOLDERS that is not
    KEY, unless KEY held the id first (an id taken twice before this check, by two nodes'
    versions or an older release, stays its first holder's: the later one is refused)."""
    ordered = sorted(holders)
    if not ordered or ordered[0].key == key:
        return None
    return ordered[0]


def _by_stix_id(
    conn: Connection, ids: list[str], viewer: Viewer | None
) -> Iterable[tuple[Holder, str]]:
    """The reports going out under one of IDS (`reports.stix_id`), each with that id; VIEWER,
    when given, finds only those it may see."""
    for start in range(0, len(ids), _CHUNK):
        query = sa.select(
            reports.c.id, organizations.c.name, reports.c.report_id, reports.c.stix_id
        ).join(organizations, organizations.c.id == reports.c.org_id)
        if viewer is not None:
            query = query.where(visible_reports(viewer))
        for pk, org, report_id, stix_id in conn.execute(
            query.where(reports.c.stix_id.in_(ids[start : start + _CHUNK]))
        ):
            yield Holder(int(pk), str(org), str(report_id)), str(stix_id)
