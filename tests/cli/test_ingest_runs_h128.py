"""`bigfish ingest --runs`: the ingest runs as their `ingest_runs` rows tell them, newest first.

Real ingests of files make finished runs; a run killed before it ended is a row without
`finished_at` (as a SIGKILL leaves it, tests/intake/test_ingest_kill_h127.py), which the next
ingest of that file by that organization marks as not finished; a run of another organization
is under way. The listing says how each ended and what it counted, and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.intake import service
from bigfish.organizations import add_org, ensure_org
from bigfish.store import Store
from bigfish.store.schema import ingest_runs

KILLED_AT = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def _unended_run(store: Store, org: str, source: str, **counts: int) -> int:
    """A run that never ended, as a killed ingest leaves its row."""
    with store.begin() as conn:
        org_id = ensure_org(conn, org)
        return int(
            conn.execute(
                ingest_runs.insert()
                .values(org_id=org_id, source=source, started_at=KILLED_AT, **counts)
                .returning(ingest_runs.c.id)
            ).scalar_one()
        )


def _csv(path: Path, rows: int, bad: int = 0) -> Path:
    good = "".join(f"{path.stem}{n},2025-03-01,TH,08{n:08d}\n" for n in range(rows))
    wrong = "".join(f"X{n},2025-13-45,TH,\n" for n in range(bad))
    path.write_text("report_id,reported_at,country,phones\n" + good + wrong)
    return path


def _runs_made(store: Store, tmp_path: Path) -> dict[str, int]:
    """A killed run of a.csv marked by a later ingest of it (finished), a finished run of
    b.csv, and another organization's run of a.csv under way (the newest)."""
    a, b = _csv(tmp_path / "a.csv", 3, bad=1), _csv(tmp_path / "b.csv", 2)
    killed = _unended_run(store, "th-aoc", str(a), received=7, stored=6, rejected=1)
    ended_b = service.ingest_file(store, b, org="th-aoc", workers=0, classify=False).run_id
    ended_a = service.ingest_file(store, a, org="th-aoc", workers=0, classify=False).run_id
    going = _unended_run(store, "vn-mps", str(a), received=2000, stored=2000)
    return {"killed": killed, "b": ended_b, "a": ended_a, "going": going}


def _invoke(store_url: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--db", store_url, "ingest", "--runs", *args])


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(ingest_runs)).mappings()]


def test_the_listing_says_how_each_run_ended_newest_first(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    ids = _runs_made(store, tmp_path)
    before = _rows(store)
    done = _invoke(store_url)
    assert done.exit_code == 0, done.output
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    lines = done.output.splitlines()
    heads = [line for line in lines if line.startswith("run ")]
    assert heads == [
        f"run {ids['going']} of vn-mps from {a}: under way, or stopped without ending",
        f"run {ids['a']} of th-aoc from {a}: finished",
        f"run {ids['b']} of th-aoc from {b}: finished",
        f"run {ids['killed']} of th-aoc from {a}: did not finish (killed or machine stopped)",
    ]
    assert lines[1:3] == [
        "  started 2026-11-30T23:00:00+00:00, finished -",
        "  received 2,000: stored 2,000, updated 0, rejected 0",
    ]
    assert lines[-1] == "  received 7: stored 6, updated 0, rejected 1"
    assert "  received 4: stored 3, updated 0, rejected 1" in lines
    assert _rows(store) == before  # read only


def test_the_listing_as_json_by_organization_and_limit(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    ids = _runs_made(store, tmp_path)
    done = _invoke(store_url, "--org", "th-aoc", "--json")
    assert done.exit_code == 0, done.output
    runs = json.loads(done.output)["runs"]
    assert [(r["run"], r["org"], r["status"]) for r in runs] == [
        (ids["a"], "th-aoc", "finished"),
        (ids["b"], "th-aoc", "finished"),
        (ids["killed"], "th-aoc", "did_not_finish"),
    ]
    killed = runs[-1]
    assert killed == {
        "run": ids["killed"],
        "org": "th-aoc",
        "source": str(tmp_path / "a.csv"),
        "started_at": "2026-11-30T23:00:00+00:00",
        "finished_at": None,
        "status": "did_not_finish",
        "error": service.DID_NOT_FINISH,
        "received": 7,
        "stored": 6,
        "updated": 0,
        "rejected": 1,
    }
    assert runs[0]["finished_at"] is not None and runs[0]["error"] is None
    assert (runs[0]["received"], runs[0]["stored"], runs[0]["rejected"]) == (4, 3, 1)
    newest = json.loads(_invoke(store_url, "--limit", "1", "--json").output)["runs"]
    assert [(r["run"], r["status"]) for r in newest] == [(ids["going"], "not_ended")]


def test_no_runs_yet(store: Store, store_url: str) -> None:
    assert _invoke(store_url).output == "no ingest runs yet\n"
    add_org(store, "th-aoc", country="TH")  # an unknown --org is an error (test_newcomer_h151)
    assert _invoke(store_url, "--org", "th-aoc").output == "no ingest runs of th-aoc yet\n"
    assert json.loads(_invoke(store_url, "--json").output) == {"runs": []}


def test_runs_ingests_nothing_and_limit_needs_it(store: Store, tmp_path: Path) -> None:
    url = str(store.engine.url.render_as_string(hide_password=False))
    path = _csv(tmp_path / "c.csv", 1)
    with_file = CliRunner().invoke(app, ["--db", url, "ingest", "--runs", str(path)])
    assert with_file.exit_code == 2 and "--runs" in with_file.output
    alone = CliRunner().invoke(app, ["--db", url, "ingest", str(path), "--limit", "3"])
    assert alone.exit_code == 2 and "--limit" in alone.output
    assert _rows(store) == []


def test_a_run_that_stopped_on_an_error_is_listed_as_failed(
    store: Store, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(tmp_path / "f.csv", 1500)
    real = service._records

    def then_fails(*args: Any) -> Iterator[Any]:
        yield from real(*args)
        raise InputError("the file stopped", file=str(path))

    monkeypatch.setattr(service, "_records", then_fails)
    with pytest.raises(InputError):
        service.ingest_file(store, path, org="th-aoc", workers=0, classify=False, batch_size=2)
    [run] = json.loads(_invoke(store_url, "--json").output)["runs"]
    assert (run["status"], run["error"], run["finished_at"]) == (
        "failed",
        f"{path}: the file stopped",
        None,
    )
    assert (run["received"], run["stored"]) == (1000, 1000)
    head = _invoke(store_url).output.splitlines()[0]
    assert head == f"run {run['run']} of th-aoc from {path}: failed: {path}: the file stopped"
