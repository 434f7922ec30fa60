"""A worker process that dies while a file is read (killed, out of memory) fails that file
with an error naming it, and `bigfish ingest` goes on with the other files (helper 153)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.intake import service
from bigfish.store import Store
from bigfish.store.schema import reports


def _csv(path: Path, rows: int) -> Path:
    good = "".join(f"{path.stem}{n},2025-03-01,TH,08{n:08d}\n" for n in range(rows))
    path.write_text("report_id,reported_at,country,phones\n" + good)
    return path


_PREPARE = service._prepare_chunk
_PARENT = os.getpid()


def _prepare_or_die(records: Any, mapping: Any, marking: Any, file: str, *rest: Any) -> Any:
    """`_prepare_chunk`, but a worker (forked: it inherits the patch) handed a chunk of a.csv
    ends abruptly, as one killed or out of memory."""
    if file.endswith("a.csv") and os.getpid() != _PARENT:
        os._exit(9)
    return _PREPARE(records, mapping, marking, file, *rest)


def _dies_on_a(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_prepare_chunk", _prepare_or_die)
    monkeypatch.setattr(f"{__name__}._PARENT", os.getpid())


def test_a_dead_worker_fails_the_file_with_its_name(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dies_on_a(monkeypatch)
    a = _csv(tmp_path / "a.csv", 5)
    with pytest.raises(InputError) as raised:
        service.ingest_file(store, a, org="th-aoc", workers=1, classify=False)
    assert raised.value.file == str(a)
    assert "worker process" in raised.value.message


def test_the_other_files_of_the_command_go_on(
    store: Store, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dies_on_a(monkeypatch)
    monkeypatch.setattr(service, "_PARALLEL_ABOVE", 0)  # every file through workers
    a, b = _csv(tmp_path / "a.csv", 5), _csv(tmp_path / "b.csv", 3)
    done = CliRunner().invoke(
        app, ["--db", store_url, "ingest", str(a), str(b), "--org", "th-aoc", "--no-webhooks"]
    )
    assert done.exit_code == 1, done.output
    assert f"error: {a}: a worker process" in done.output
    assert "1 of 2 files were not read" in done.output
    with store.connect() as conn:
        ids = conn.execute(sa.select(reports.c.report_id)).scalars().all()
    assert sorted(ids) == ["b0", "b1", "b2"]
