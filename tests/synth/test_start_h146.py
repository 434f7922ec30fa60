"""Review h146: `bigfish synth --start` only where the intake takes the reports it writes.

Before: a start whose ~18 months ran past today wrote files whose later rows the intake then
refused one by one ("not a plausible time of a report"), one before 1970 wrote files it refused
whole, and one near the year 9999 failed with "date value out of range" after writing every
organization's file empty. Now each is refused, naming --start's range, before anything is
written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.synth import generate

TODAY = datetime.now(UTC).date()


@pytest.mark.parametrize(
    "start", [date(9999, 6, 1), date(1969, 12, 31), TODAY - timedelta(days=100), TODAY]
)
def test_a_start_whose_reports_the_intake_would_refuse_is_refused(
    tmp_path: Path, start: date
) -> None:
    out = tmp_path / "synth"
    with pytest.raises(InputError) as caught:
        generate(out, reports=60, start=start)
    assert caught.value.field == "start" and "1970-01-01" in caught.value.message
    assert not out.exists()


def test_the_latest_start_ends_its_reports_today_at_the_latest(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    latest = TODAY - timedelta(days=547)
    result = CliRunner().invoke(
        app, ["synth", str(out), "-n", "200", "--start", latest.isoformat()]
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    assert max(r["last_seen"] for r in truth["rings"].values()) <= TODAY.isoformat()
    late = CliRunner().invoke(
        app, ["synth", str(tmp_path / "late"), "-n", "200", "--start", "9999-06-01"]
    )
    assert late.exit_code == 1
    assert "start 9999-06-01 is out of range" in " ".join(late.output.split())
