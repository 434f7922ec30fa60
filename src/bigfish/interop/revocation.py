"""Revocations a peer sends: the copies of its reports this node pulled from it and it has since
deleted or re-marked beyond this node's reach (docs/interop.md, "Withdrawn reports")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.interop.views import utc
from bigfish.outgoing import origin_of
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_evidence import evidence
from bigfish.store.schema_interop import interop_imports
from bigfish.store.stamps import stamp_now
from bigfish.store.writes import WITHDRAWAL_COLUMNS, record_withdrawals


def node_of(url: str) -> str:
    """The node an address names (its origin), or the address as written when it has none."""
    try:
        return origin_of(url)
    except InputError:
        return url.strip().lower()


@dataclass(frozen=True, slots=True)
class Revoked:
    """A revoked report: its STIX id, the report it names (as an import would store it) and
    the version it revokes."""

    stix_id: str
    org: str
    report_id: str
    modified: datetime


def withdraw_copies(
    conn: Connection,
    revoked: list[Revoked],
    peer: str,
    rejections: list[tuple[str | None, str]],
) -> tuple[int, int]:
    """Delete the copies PEER revoked: the report the revoked object names (its organization and
    report id, as an import would store them) under that STIX id, pulled from PEER
    (`interop_imports`), when the version held here is not newer than the revocation. A copy
    another node supplied, and a copy that holds evidence, are kept, the object rejected with
    the reason. Each deletion is recorded as a withdrawal, so the nodes that pulled the copy from
    here are told in turn. Returns (withdrawn, nothing to do: not held, or held newer)."""
    withdrawn = nothing = 0
    for item in revoked:
        row = conn.execute(
            sa.select(
                interop_imports.c.modified,
                interop_imports.c.peer,
                reports.c.id,
                *WITHDRAWAL_COLUMNS,
            )
            .join(reports, reports.c.id == interop_imports.c.report_pk)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .where(
                interop_imports.c.stix_id == item.stix_id[:200],
                organizations.c.name == item.org,
                reports.c.report_id == item.report_id,
            )
        ).first()
        if row is None or utc(row.modified) > item.modified:
            nothing += 1  # not held here, or held in a newer version (re-shared since)
            continue
        named = f"{item.org}/{item.report_id}"
        if node_of(row.peer or "") != node_of(peer):
            rejections.append(
                (
                    item.stix_id,
                    f"revoked: the copy of {named} held here came from"
                    f" {node_of(row.peer or 'this node')}; only that node revokes it",
                )
            )
            continue
        held = conn.execute(
            sa.select(sa.func.count()).select_from(evidence).where(evidence.c.report_pk == row.id)
        ).scalar_one()
        if held:
            rejections.append(
                (
                    item.stix_id,
                    f"revoked: the copy of {named} holds {held} evidence item(s) under chain"
                    " of custody and is kept",
                )
            )
            continue
        # Stamped after the import announced itself as a writer (`announce_writer`).
        record_withdrawals(conn, [row], stamp_now(conn))
        conn.execute(reports.delete().where(reports.c.id == row.id))
        withdrawn += 1
    return withdrawn, nothing
