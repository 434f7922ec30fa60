"""Fixtures of the evidence tests: a node with organizations A, B, C and A's reports."""

from __future__ import annotations

import errno
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.model import Acquisition, EvidenceRecord
from bigfish.evidence.service import Activity, add_evidence, record_custody_event
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


ORDER = "destroyed per court order 17/2025"


def dispose(node: Node, item: EvidenceRecord, why: str = ORDER) -> int:
    """Record ITEM's disposal as node.a (Somchai, for WHY); the seq of its custody record."""
    return record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", why),
        Party(None, None),
    ).seq


def add_other(node: Node, **changes: str) -> EvidenceRecord:
    """Add another file to R-1 with a minimal acquisition, CHANGES (field=value) applied."""
    values = {"acquired_by": "Somchai", "source": "phone", "method": "copy"} | changes
    return add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(b"another file"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=Acquisition(**values),  # type: ignore[arg-type]
    )


def export_r1(node: Node, out: Path, **kwargs: Any) -> Any:
    """Export report R-1 of TH-AOC as node.a to OUT (KWARGS: export_package's, activity too)."""
    from bigfish.evidence.service import export_package

    return export_package(
        node.store,
        node.data_dir,
        node.a,
        org="TH-AOC",
        report_id="R-1",
        out=out,
        activity=kwargs.pop("activity", Activity("Somchai", "MLA request 2025/17")),
        **kwargs,
    )


class DiskFull(io.RawIOBase):
    """A file that takes BUDGET bytes, then, like a full disk, takes fewer than it is given
    ("short write") or refuses with ENOSPC."""

    def __init__(self, fd: int, budget: int, *, raises: bool) -> None:
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._budget = budget
        self._raises = raises

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = min(len(data), self._budget)
        if self._raises and n < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._file.write(bytes(data[:n]))
        self._budget -= n
        return n

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


BIG = 3 * 1024 * 1024 + 17  # more than the budget of a full disk, in several buffers


@pytest.fixture(params=["short write", "ENOSPC"])
def full_disk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Evidence uploads run out of disk after 1.5 MiB; the param says how the disk tells."""
    from bigfish.evidence import files

    raises = request.param == "ENOSPC"
    monkeypatch.setattr(
        files, "_open_output", lambda fd: DiskFull(fd, 3 * 512 * 1024, raises=raises)
    )
    return str(request.param)


def stored_files(data_dir: Path) -> list[Path]:
    """Every file under DATA_DIR's evidence directory (blobs and uploads in progress)."""
    root = data_dir / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def evidence_rows(store: Store) -> tuple[int, int]:
    """How many evidence rows and custody records the store holds."""
    from bigfish.store.schema_evidence import custody_events, evidence

    with store.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(custody_events)).scalar_one(),
        )
