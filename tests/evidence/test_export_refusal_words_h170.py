"""A partner the report is shared with, even its admin, may not export the holder's evidence;
the refusal says who may (the holding organization's analysts and admins), since the holder's
admin does export."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bigfish.errors import AccessDenied
from bigfish.evidence.service import Activity, export_package
from bigfish.models import ApiRole
from tests.evidence.conftest import Node, add


def _export(node: Node, viewer_of: str, out: Path) -> None:
    viewer = {"holder": node.a, "partner": node.c}[viewer_of]
    export_package(
        node.store,
        node.data_dir,
        replace(viewer, role=ApiRole.ADMIN),
        org="TH-AOC",
        report_id="R-2",
        out=out,
        activity=Activity("Somchai", "MLA request 2025/17"),
    )


def test_a_partners_admin_is_refused_naming_analysts_and_admins(node: Node, tmp_path: Path) -> None:
    add(node, b"chat export", report_id="R-2")
    _export(node, "holder", tmp_path / "holder.zip")
    assert (tmp_path / "holder.zip").is_file()
    with pytest.raises(AccessDenied) as refused:
        _export(node, "partner", tmp_path / "partner.zip")
    assert "analysts and admins" in str(refused.value)
    assert not (tmp_path / "partner.zip").exists()
