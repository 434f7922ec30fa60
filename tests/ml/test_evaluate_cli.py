"""`bigfish ml evaluate` writes its report and one line per data set, a target only where the
issue sets one (the English seed set has none: no "nan")."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.ml.data import SEED_FILE, seed_directory

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"

# Every EVERY-th message of each file: what is printed does not depend on how many there are
# (the held-out figures of all of them are tests/ml/test_heldout.py's); evaluating a fifth (the
# baseline SVM fitted anew on each data set) took 0.8 s of CPU, all of them 2.9 s.
EVERY = 5


def _some_of(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(lines[::EVERY]), encoding="utf-8")


def test_evaluate_prints_each_data_set_and_a_target_only_where_there_is_one(
    tmp_path: Path,
) -> None:
    data = tmp_path / "messages"  # and the seed set beside it, as in the checkout
    for source in [*DATA.glob("thai-sms-*.txt"), DATA / "uci-sms-spam-collection.tsv"]:
        _some_of(source, data / source.name)
    _some_of(seed_directory(DATA) / SEED_FILE, seed_directory(data) / SEED_FILE)
    out = tmp_path / "evaluation.md"
    result = CliRunner().invoke(app, ["ml", "evaluate", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = {line.split(":", 1)[0]: line for line in result.output.splitlines() if ":" in line}
    assert "target 0.920" in lines["thai"]
    assert "target 0.975" in lines["uci"]
    assert "target" not in lines["seed-en"]
    assert "nan" not in result.output
    assert "| seed-en |" in out.read_text(encoding="utf-8")
