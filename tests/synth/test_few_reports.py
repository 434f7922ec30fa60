"""A partnership of a few reports leaves some organizations without any. Their JSON Lines file
was written empty and listed in partnership.json, and intake refuses an empty file: `bigfish
demo --reports 10` stopped with "data/vn-viettel.jsonl: the file is empty". Such an
organization is listed with no file now, and the partnership ingests whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.synth import generate
from bigfish.synth.partnership import ORGANIZATIONS

runner = CliRunner()


@pytest.mark.parametrize("reports", [1, 10, 20])
def test_every_file_a_few_reports_list_is_ingested(tmp_path: Path, reports: int) -> None:
    """Before: AssertionError: th-kbank, assert True == (0 > 0) (its file listed, no report);
    ingested, the empty vn-viettel.jsonl made the command exit 1."""
    summary = generate(tmp_path / "p", reports=reports, seed=7)
    manifest = json.loads((tmp_path / "p" / "partnership.json").read_text(encoding="utf-8"))
    by_name = {org["name"]: org for org in manifest["organizations"]}
    assert set(by_name) == {org.name for org in ORGANIZATIONS}  # every organization is named
    written = dict(summary.organizations)
    for name, org in by_name.items():
        assert bool(org["files"]) == (written[name] > 0), name
        for listed in org["files"]:
            assert (tmp_path / "p" / listed["path"]).stat().st_size > 0
    quiet = [name for name, count in written.items() if count == 0]
    assert quiet, "the case needs an organization without reports"
    assert not any((tmp_path / "p").glob(f"{quiet[0]}.*"))
    result = runner.invoke(
        app,
        [
            "--db",
            f"sqlite:///{tmp_path / 'node.db'}",
            "ingest",
            "--manifest",
            str(tmp_path / "p" / "partnership.json"),
            "--json",
            "--no-webhooks",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert sum(line["stored"] for line in lines) == reports
