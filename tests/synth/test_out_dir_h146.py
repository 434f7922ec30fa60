"""Review h146: `bigfish synth OUT_DIR` into a directory that already holds files. It wrote over
any file of the names it uses (th-aoc.csv, interpol.jsonl, truth.json, …) without a word: a
partner's own th-aoc.csv kept beside other work was replaced by synthetic reports. Now such a
directory is refused unless an earlier run of synth made it (its .bigfish-synth, written first,
so that an interrupted run counts too; or the partnership.json of a run before the marker), and
the same seed still gives the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.synth import generate

PARTNERS_OWN = "report_id,reported_at,country\nAOC-1,2025-01-02,TH\n"


def test_a_directory_holding_a_partners_file_is_refused_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    (tmp_path / "th-aoc.csv").write_text(PARTNERS_OWN, "utf-8")
    (tmp_path / "notes.txt").write_text("mine", "utf-8")
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "--reports", "50"])
    assert result.exit_code == 1, result.output
    assert "th-aoc.csv" in result.output
    assert (tmp_path / "th-aoc.csv").read_text("utf-8") == PARTNERS_OWN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "th-aoc.csv"]


def test_a_directory_of_other_files_or_an_earlier_run_is_written(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", "utf-8")
    first = generate(tmp_path, reports=60, seed=4)
    before = {p: p.read_bytes() for p in first.files}
    again = generate(tmp_path, reports=60, seed=4)  # synth's own directory: written again
    assert {p: p.read_bytes() for p in again.files} == before  # same seed, same bytes
    (tmp_path / ".bigfish-synth").unlink()  # as a run before the marker left it
    generate(tmp_path, reports=60, seed=4)
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"


def test_a_run_stopped_half_way_may_be_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bigfish.synth import generator

    def stopped(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(generator, "plan_rings", stopped)
        with pytest.raises(KeyboardInterrupt):
            generate(tmp_path, reports=60, seed=4)
    assert (tmp_path / "th-aoc.csv").exists()  # left behind by the stopped run
    assert not (tmp_path / "partnership.json").exists()  # no manifest of an incomplete set
    summary = generate(tmp_path, reports=60, seed=4)
    assert summary.reports == 60
    doc = json.loads((tmp_path / "partnership.json").read_text("utf-8"))
    assert doc["generated_by"] == "bigfish synth"


def test_generate_names_the_file_it_will_not_overwrite(tmp_path: Path) -> None:
    (tmp_path / "truth.json").write_text("{}", "utf-8")
    with pytest.raises(InputError, match=r"truth\.json") as caught:
        generate(tmp_path, reports=60)
    assert caught.value.field == "out_dir"
