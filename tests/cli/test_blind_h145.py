"""`bigfish blind` names a JSON line whose country is not text, as it names any line it cannot
read (helper 145's review): a number or a list there ended the command with a Python traceback
(AttributeError: 'int' object has no attribute 'strip') instead of exit 1 and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_group, add_org
from bigfish.store import open_store

runner = CliRunner()


@pytest.mark.parametrize("country", ["66", '["TH"]', '{"cc": "TH"}', "true"])
def test_a_country_that_is_not_text_names_its_line(tmp_path: Path, country: str) -> None:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "A", country="TH")
    add_group(store, "mekong", owner="A", members=[])
    store.close()
    values = tmp_path / "values.jsonl"
    values.write_text(
        '{"kind": "phone", "value": "081-234-5678", "country": "TH"}\n'
        f'{{"kind": "phone", "value": "081-234-5678", "country": {country}}}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--db", url, "blind", str(values), "--group", "mekong"])
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert f"{values}:2" in result.stderr and "country" in result.stderr
    assert "Traceback" not in result.output
