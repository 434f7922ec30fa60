"""Which reports hold a STIX report id on this node: the one query behind "a STIX id is its
author's", asked by a TAXII POST and a pull (`bigfish.interop.importer`) and by the ingest of a
bundle file (`bigfish.intake.service.stix_ids_held_elsewhere`).

A report holds the id it came with (its `source_id`, `report--…`), or, without one, the id it
goes out under (`report_stix_id`, made of its organization and report_id). Two reports under one
id would go out as one object: a reader takes the later for a new version of the other, and a
revocation of one names both. Only the report_ids sent are looked at: an id made of another
report_id cannot be told apart from any partner's id.

The made-of ids are found through the reports of the report_ids sent (the `reports` unique
index on organization and report_id, probed once per organization), one UUIDv5 per report
found: not one per organization name and id sent, which a page of a partner's UUIDv5 ids
(not made by bigfish) paid for every id, held or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.interop.stix import report_stix_id
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store.schema import organizations, reports

_CHUNK = 500
_PREFIX = "report--"


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
    """For each STIX id of SENT (each with the organization and report_id it is sent for), the
    reports held here under it, first stored first; ids nobody holds are left out. VIEWER, when
    given, sees only the holders it may see (`visible_reports`): a refusal naming a hidden one
    would tell that it exists."""
    holders: dict[str, set[Holder]] = {}
    for holder, stix_id in _by_source_id(conn, sorted(sent), viewer):
        holders.setdefault(stix_id, set()).add(holder)
    for holder, stix_id in _by_made_id(conn, sent, viewer):
        holders.setdefault(stix_id, set()).add(holder)
    return {stix_id: sorted(found) for stix_id, found in holders.items()}


def first_other(holders: Iterable[Holder], key: tuple[str, str]) -> Holder | None:
    """The holder that refuses the report KEY its id: the first stored of HOLDERS that is not
    KEY, unless KEY held the id first (an id taken twice before this check, by two nodes'
    versions or an older release, stays its first holder's: the later one is refused)."""
    ordered = sorted(holders)
    if not ordered or ordered[0].key == key:
        return None
    return ordered[0]


def _selected(viewer: Viewer | None) -> sa.Select[int, str, str, str | None]:
    query = sa.select(
        reports.c.id, organizations.c.name, reports.c.report_id, reports.c.source_id
    ).join(organizations, organizations.c.id == reports.c.org_id)
    return query.where(visible_reports(viewer)) if viewer is not None else query


def _by_source_id(
    conn: Connection, ids: list[str], viewer: Viewer | None
) -> Iterable[tuple[Holder, str]]:
    for start in range(0, len(ids), _CHUNK):
        query = _selected(viewer).where(reports.c.source_id.in_(ids[start : start + _CHUNK]))
        for pk, org, report_id, source_id in conn.execute(query):
            yield Holder(int(pk), str(org), str(report_id)), str(source_id)


def _by_made_id(
    conn: Connection, sent: Mapping[str, tuple[str, str]], viewer: Viewer | None
) -> Iterable[tuple[Holder, str]]:
    """The reports without a `report--` source_id that go out under an id of SENT made of
    another organization and the report_id sent. Only UUIDv5 ids (bigfish makes its ids so)
    that are not the one the sending organization's report would have are looked for: a
    bigfish node's reports, relayed or not, come under their own ids."""
    wanted: dict[str, set[str]] = {}  # report_id -> the ids sent for it
    for stix_id, key in sent.items():
        if stix_id[len(_PREFIX) :][14:15] == "5" and report_stix_id(*key) != stix_id:
            wanted.setdefault(key[1], set()).add(stix_id)
    report_ids = sorted(wanted)
    every_org = sa.select(organizations.c.id).scalar_subquery()
    for start in range(0, len(report_ids), _CHUNK):
        query = _selected(viewer).where(
            # the organization named, so that the (org_id, report_id) index is probed
            reports.c.org_id.in_(every_org),
            reports.c.report_id.in_(report_ids[start : start + _CHUNK]),
        )
        for pk, org, report_id, source_id in conn.execute(query):
            if source_id is not None and str(source_id).startswith(_PREFIX):
                continue  # it goes out under the id it came with
            made = report_stix_id(str(org), str(report_id))
            if made in wanted[str(report_id)]:
                yield Holder(int(pk), str(org), str(report_id)), made
