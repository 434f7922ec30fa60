"""`bigfish synth` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app


def test_synth_writes_the_data_set_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "--reports", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote 300 reports" in result.output
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 2 and len(truth["reports"]) == 300
    assert (tmp_path / "partnership.json").is_file()


def test_no_noise_leaves_out_shared_infrastructure(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "-n", "300", "--no-noise"])
    assert result.exit_code == 0, result.output
    planted = (tmp_path / "planted.jsonl").read_text(encoding="utf-8")
    assert '"scope": "infrastructure"' not in planted
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["noise"] is False


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    assert "Example: bigfish synth" in result.output


def test_zero_reports_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "--reports", "0"])
    assert result.exit_code == 2


def test_start_moves_the_dates(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "-n", "200", "--start", "2023-01-01"])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["start"] == "2023-01-01"
    days = [r["first_seen"] for r in truth["rings"].values()]
    assert min(days) >= "2023-01-01" and max(days) < "2024-07-03"


def test_progress_is_reported_to_the_end(tmp_path: Path) -> None:
    from bigfish.synth import generate

    seen: list[tuple[int, int]] = []
    generate(
        tmp_path, reports=12_000, seed=1, progress=lambda done, total: seen.append((done, total))
    )
    assert seen[0] == (0, 12_000) and seen[-1] == (12_000, 12_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
