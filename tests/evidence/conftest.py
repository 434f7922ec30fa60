"""Fixtures of the evidence tests: a node with organizations A, B, C and A's reports."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.evidence.model import Acquisition, EvidenceRecord
from bigfish.evidence.service import add_evidence
from bigfish.models import ApiRole
from bigfish.organizations import add_group, add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports


@dataclass(frozen=True)
class Node:
    store: Store
    data_dir: Path
    a: Viewer  # owns the reports
    b: Viewer  # must not see them
    c: Viewer  # member of A's sharing group
    group_id: int


def add_report(
    store: Store,
    org: str,
    report_id: str,
    *,
    distribution: str = "organization",
    tlp: str = "amber",
    group_id: int | None = None,
) -> None:
    now = datetime.now(UTC)
    with store.begin() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == org)
        ).scalar_one()
        conn.execute(
            reports.insert().values(
                org_id=org_id,
                report_id=report_id,
                reported_at=now,
                country="TH",
                tlp=tlp,
                distribution=distribution,
                group_id=group_id,
                created_at=now,
                updated_at=now,
            )
        )


@pytest.fixture
def node(store: Store, tmp_path: Path) -> Node:
    a = add_org(store, "TH-AOC", country="TH")
    b = add_org(store, "PH-CICC", country="PH")
    c = add_org(store, "VN-MPS", country="VN")
    group = add_group(store, "mekong", owner="TH-AOC", members=["VN-MPS"])
    add_report(store, "TH-AOC", "R-1")
    add_report(store, "TH-AOC", "R-2", distribution="group", group_id=group.id)
    return Node(
        store,
        tmp_path / "data",
        Viewer(a.id, a.name, ApiRole.ANALYST, frozenset({group.id})),
        Viewer(b.id, b.name, ApiRole.ADMIN, frozenset()),
        Viewer(c.id, c.name, ApiRole.ANALYST, frozenset({group.id})),
        group.id,
    )


def add(
    node: Node, content: bytes, report_id: str = "R-1", name: str = "chat.txt"
) -> EvidenceRecord:
    return add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(content),
        org="TH-AOC",
        report_id=report_id,
        acquisition=Acquisition(
            acquired_by="Somchai",
            source="victim's phone",
            method="WhatsApp export",
            tool="WhatsApp",
            tool_version="2.25",
            media_type="text/plain",
            file_name=name,
        ),
    )
