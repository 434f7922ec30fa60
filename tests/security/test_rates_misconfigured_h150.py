"""Review h150: a BIGFISH_RATES table that cannot be used is the operator's error, not an API
client's: `bigfish serve` refuses to start naming file, line and field; a table that breaks
after the start answers 503 with a generic message, the detail in the server's log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bigfish.api.server import app_from_environment
from bigfish.errors import BigfishError
from bigfish.fx import RATES_ENV
from bigfish.store import Store
from tests.api.helpers import build_partnership, report


def test_the_api_answers_503_without_the_operators_path(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    table = tmp_path / "rates.csv"
    table.write_text("currency,units_per_usd\nTHB,35\n", encoding="utf-8")
    monkeypatch.setenv(RATES_ENV, str(table))
    for partnership in build_partnership(store):
        partnership.submit("A", [report("r1")])  # a good table: accepted
        table.write_text("currency,units_per_usd\nTHB,35,9\nVND,25000\n", encoding="utf-8")
        with caplog.at_level(logging.ERROR):
            answer = partnership.client.post(
                "/api/v1/reports",
                json={"reports": [report("r2")]},
                headers=partnership.headers("A"),
            )
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "unavailable"
        assert str(tmp_path) not in answer.text
        assert f"{table}:2" in caplog.text  # the operator reads the file and line in the log


def test_serve_refuses_to_start_with_a_bad_table_naming_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "secret-ops-rates.csv"
    table.write_text("currency,units_per_usd\nTHB,abc\n", encoding="utf-8")
    monkeypatch.setenv(RATES_ENV, str(table))
    monkeypatch.setenv("BIGFISH_DATABASE_URL", f"sqlite:///{tmp_path / 'node.db'}")
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGFISH_WARM_FIGURES", "0")
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "0")
    with pytest.raises(BigfishError) as caught:  # what `bigfish serve` reports and stops on
        app_from_environment()
    assert f"{table}:2" in str(caught.value)
    assert "units_per_usd" in str(caught.value)


def test_bigfish_serve_stops_before_serving_and_names_the_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from bigfish.cli import app
    from bigfish.cli._app import OPTIONS

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(k))
    monkeypatch.setattr(OPTIONS, "db_url", OPTIONS.db_url)  # restored after the test
    monkeypatch.setattr(OPTIONS, "data_dir", OPTIONS.data_dir)
    table = tmp_path / "ops-rates.csv"
    table.write_text("currency,units_per_usd\nTHB,35\nXYZ,2\n", encoding="utf-8")
    monkeypatch.setenv(RATES_ENV, str(table))
    result = CliRunner().invoke(
        app,
        [
            *("--db", f"sqlite:///{tmp_path / 'node.db'}", "--data-dir", str(tmp_path / "data")),
            *("serve", "--port", "8126"),
        ],
    )
    assert result.exit_code != 0
    assert served == []
    assert f"{table}:3" in result.output and "currency" in result.output
