"""`bigfish ml evaluate` writes its report and one line per data set, a target only where the
issue sets one (the English seed set has none: no "nan")."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"


def test_evaluate_prints_each_data_set_and_a_target_only_where_there_is_one(
    tmp_path: Path,
) -> None:
    out = tmp_path / "evaluation.md"
    result = CliRunner().invoke(app, ["ml", "evaluate", "--data", str(DATA), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = {line.split(":", 1)[0]: line for line in result.output.splitlines() if ":" in line}
    assert "target 0.920" in lines["thai"]
    assert "target 0.975" in lines["uci"]
    assert "target" not in lines["seed-en"]
    assert "nan" not in result.output
    assert "| seed-en |" in out.read_text(encoding="utf-8")
