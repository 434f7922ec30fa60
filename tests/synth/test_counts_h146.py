"""Review h146: `bigfish synth` and `bigfish demo` refuse counts they cannot honour before they
write anything (exit 2, as for --reports 0), not hours into planning or after a whole demo.

Before: --reports 10000000000 created every organization's file empty, then planned rings for
hours on its way to running out of memory; `bigfish demo --top 0` synthesized, ingested and
linked the whole partnership and only then failed (exit 1) on the number of networks to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.synth import generate, generator

HUGE = 10**12


def _no_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A count that gets as far as planning rings fails the test at once (and costs nothing)."""

    def planned(*args: object, **kwargs: object) -> object:
        raise AssertionError("the count was not refused before planning began")

    monkeypatch.setattr(generator, "plan_rings", planned)


def test_generate_refuses_a_huge_count_before_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_planning(monkeypatch)
    out = tmp_path / "synth"
    with pytest.raises(InputError) as caught:
        generate(out, reports=HUGE)
    assert caught.value.field == "reports" and "1,000,000,000,000" in caught.value.message
    assert not out.exists()


def test_synth_at_the_console_says_a_huge_count_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_planning(monkeypatch)
    out = tmp_path / "synth"
    result = CliRunner().invoke(app, ["synth", str(out), "--reports", str(HUGE)])
    assert result.exit_code == 2, result.output
    assert not out.exists()


def test_demo_says_a_huge_count_is_a_usage_error_before_touching_its_workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_planning(monkeypatch)
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--no-serve", "--reports", str(HUGE), "--workdir", str(workdir)]
    )
    assert result.exit_code == 2, result.output
    assert not workdir.exists()


@pytest.mark.parametrize("top", ["0", "-3"])
def test_demo_says_top_below_one_is_a_usage_error_before_it_starts(
    tmp_path: Path, top: str
) -> None:
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--no-serve", "--reports", "30", "--top", top, "--workdir", str(workdir)]
    )
    assert result.exit_code == 2, result.output
    assert not workdir.exists()
