"""`bigfish ml train` and `ml evaluate` given a --data folder without the shared data sets say
which folder they looked in and what to give instead; "no uci-sms-spam-collection.tsv here"
did not say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.ml.data import read_shared

HINT = "give --data the folder that holds it (data/messages in a checkout of bigfish)"


def test_a_folder_without_the_data_set_is_named_with_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        read_shared(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path}: this folder has no uci-sms-spam-collection.tsv: {HINT}"
    )


def test_a_folder_that_does_not_exist_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "messages"
    with pytest.raises(InputError) as raised:
        read_shared(missing)
    assert str(raised.value) == (
        f"{missing}: no such folder, so no uci-sms-spam-collection.tsv: {HINT}"
    )


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_ml_commands_name_the_folder_and_the_next_step(tmp_path: Path, command: str) -> None:
    (tmp_path / "empty").mkdir()
    args = ["ml", command, "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'empty'}: this folder has no uci-sms-spam-collection.tsv: {HINT}"
    )
