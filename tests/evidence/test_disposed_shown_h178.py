"""An item disposed of says so wherever it is shown (who, for which organization, when, why, in
which record): `evidence show` and `list` (text and --json), the API's detail and list; the
API's package names the items it carries without bytes in a header, as `export --json` does.
Its bytes added again to the report are a new item, named so by `evidence add` and the API."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.evidence.test_api_disposed_h172 import _dispose as dispose_by_api
from tests.evidence.test_cli import _node

ORDER = "court order 17/2025"
BY = ("--by", "Somchai")
R1 = ("--org", "TH-AOC", "--report", "R-1")


def _cli_add(runner: CliRunner, opts: list[str], path: Path) -> dict[str, object]:
    added = runner.invoke(
        app, [*opts, "evidence", "add", str(path), "--org", "TH-AOC", "--report", "R-1", "--json"]
    )
    assert added.exit_code == 0, added.output
    doc: dict[str, object] = json.loads(added.stdout)
    return doc


def _cli_dispose(runner: CliRunner, opts: list[str], evidence_id: str) -> None:
    disposed = runner.invoke(
        app,
        [*opts, "evidence", "event", evidence_id, "--type", "disposed", "--purpose", ORDER, *BY],
    )
    assert disposed.exit_code == 0, disposed.output


def test_show_and_list_at_the_console_say_the_item_was_disposed_of(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    (tmp_path / "slip.txt").write_text("transfer slip\n")
    (tmp_path / "chat.txt").write_text("send 5000 baht\n")
    gone = str(_cli_add(runner, opts, tmp_path / "slip.txt")["evidence_id"])
    kept = str(_cli_add(runner, opts, tmp_path / "chat.txt")["evidence_id"])
    _cli_dispose(runner, opts, gone)

    shown = runner.invoke(app, [*opts, "evidence", "show", gone])
    assert shown.exit_code == 0, shown.output
    # Before: nothing but the chain's last line said so (no 'disposed:' line)
    line = next((x for x in shown.stdout.splitlines() if x.strip().startswith("disposed:")), None)
    assert line is not None, shown.stdout
    assert "disposed of by Somchai (TH-AOC) on " in line
    assert f"purpose: {ORDER}" in line and "custody record seq 3" in line
    as_json = runner.invoke(app, [*opts, "evidence", "show", gone, "--json"])
    disposed = json.loads(as_json.stdout)["disposed"]
    assert (disposed["evidence_id"], disposed["disposed_by"], disposed["organization"]) == (
        gone,
        "Somchai",
        "TH-AOC",
    )
    assert (disposed["purpose"], disposed["seq"]) == (ORDER, 3)
    assert disposed["at"].endswith("Z")
    live = runner.invoke(app, [*opts, "evidence", "show", kept, "--json"])
    assert json.loads(live.stdout)["disposed"] is None
    assert "disposed:" not in runner.invoke(app, [*opts, "evidence", "show", kept]).stdout

    listed = runner.invoke(app, [*opts, "evidence", "list", "--report", "R-1"])
    lines = {x.split()[0]: x for x in listed.stdout.splitlines()}
    assert "(disposed of " in lines[gone] and ", seq 3)" in lines[gone]
    assert "disposed" not in lines[kept]
    listed_json = runner.invoke(app, [*opts, "evidence", "list", "--json"])
    items = {i["evidence_id"]: i for i in json.loads(listed_json.stdout)["evidence"]}
    assert items[gone]["disposed"]["seq"] == 3 and items[kept]["disposed"] is None


def test_add_at_the_console_acquires_the_bytes_of_a_disposed_item_again(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    (tmp_path / "slip.txt").write_text("transfer slip\n")
    gone = str(_cli_add(runner, opts, tmp_path / "slip.txt")["evidence_id"])
    _cli_dispose(runner, opts, gone)
    again = runner.invoke(
        app,
        [*opts, "evidence", "add", str(tmp_path / "slip.txt"), *R1, "--json"],
    )
    assert again.exit_code == 0, again.output
    doc = json.loads(again.stdout)
    # Before: held_before true, the disposed item's id, 'this acquisition was not recorded'
    assert doc["held_before"] is False and doc["evidence_id"] != gone
    assert doc["reacquired_after"]["evidence_id"] == gone
    assert doc["reacquired_after"]["purpose"] == ORDER
    assert "was not recorded" not in again.stderr
    assert f"these bytes were evidence {gone} of this report, disposed of by Somchai" in (
        again.stderr
    )
    assert f"recorded as a new acquisition ({doc['evidence_id']})" in again.stderr
    check = runner.invoke(app, [*opts, "evidence", "verify-log"])
    assert check.exit_code == 0, check.output


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def _upload(api: Partnership, content: bytes, name: str, status: int = 201) -> dict[str, object]:
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": (name, io.BytesIO(content), "text/plain")},
        data={"source": "victim", "method": "photo"},
        headers=api.headers("A"),
    )
    assert upload.status_code == status, upload.text
    doc: dict[str, object] = upload.json()
    return doc


def _dispose(api: Partnership, tmp_path: Path, evidence_id: str) -> None:
    dispose_by_api(api, tmp_path, evidence_id, ORDER)


def test_the_api_says_an_item_was_disposed_of_and_names_it_in_the_package(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    kept = str(_upload(api, b"chat export", "chat.txt")["evidence_id"])
    gone = str(_upload(api, b"photo of the slip", "slip.txt")["evidence_id"])
    _dispose(api, tmp_path, gone)

    detail = api.client.get(f"/api/v1/evidence/{gone}", headers=api.headers("A")).json()
    # Before: KeyError 'disposed' (nothing in the detail said so)
    assert detail["disposed"]["evidence_id"] == gone
    assert (detail["disposed"]["disposed_by"], detail["disposed"]["purpose"]) == (
        "Somchai",
        ORDER,
    )
    assert detail["disposed"]["seq"] == 3
    live = api.client.get(f"/api/v1/evidence/{kept}", headers=api.headers("A")).json()
    assert live["disposed"] is None
    listed = api.client.get("/api/v1/evidence", headers=api.headers("A")).json()["evidence"]
    assert {i["evidence_id"]: i["disposed"] is not None for i in listed} == {
        kept: False,
        gone: True,
    }

    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert package.status_code == 200, package.text
    assert package.headers["X-Bigfish-Disposed"] == gone
    assert package.headers["X-Bigfish-Evidence-Files"] == "1"


def test_the_api_package_of_a_report_without_disposals_has_no_disposed_header(
    api: Partnership,
) -> None:
    api.submit("A", [report("R-1")])
    _upload(api, b"chat export", "chat.txt")
    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert package.status_code == 200, package.text
    assert "X-Bigfish-Disposed" not in package.headers
    assert package.headers["X-Bigfish-Evidence-Files"] == "1"


def test_an_upload_of_the_bytes_of_a_disposed_item_is_a_new_item(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    gone = str(_upload(api, b"photo of the slip", "slip.txt")["evidence_id"])
    _dispose(api, tmp_path, gone)
    # Before: 200 with the disposed item (held), the new acquisition lost
    again = _upload(api, b"photo of the slip", "slip-again.txt", status=201)
    assert again["evidence_id"] != gone and again["disposed"] is None
    reacquired = again["reacquired_after"]
    assert isinstance(reacquired, dict) and reacquired["evidence_id"] == gone
    held = _upload(api, b"photo of the slip", "slip-third.txt", status=200)
    assert held["evidence_id"] == again["evidence_id"]
    assert held["reacquired_after"] == reacquired  # the item's, as its detail says
    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert package.status_code == 200, package.text
    assert package.headers["X-Bigfish-Disposed"] == gone
    assert package.headers["X-Bigfish-Evidence-Files"] == "1"


def test_show_of_a_disposed_item_whose_bytes_are_gone_is_not_a_failure(tmp_path: Path) -> None:
    from bigfish.evidence.files import blob_path

    runner = CliRunner()
    opts = _node(tmp_path)
    (tmp_path / "slip.txt").write_text("transfer slip\n")
    (tmp_path / "chat.txt").write_text("send 5000 baht\n")
    gone = _cli_add(runner, opts, tmp_path / "slip.txt")
    kept = _cli_add(runner, opts, tmp_path / "chat.txt")
    _cli_dispose(runner, opts, str(gone["evidence_id"]))
    assert not blob_path(tmp_path / "data", str(gone["sha256"])).exists()  # destroyed
    shown = runner.invoke(app, [*opts, "evidence", "show", str(gone["evidence_id"])])
    # Before: exit 1, 'the stored bytes do not match their digest (missing)'
    assert shown.exit_code == 0, shown.output
    assert f"note: evidence {gone['evidence_id']}: its bytes are no longer stored; it was " in (
        shown.stderr
    )
    assert "disposed of by Somchai (TH-AOC)" in shown.stderr
    # A file not disposed of whose bytes are gone is still a failure.
    blob_path(tmp_path / "data", str(kept["sha256"])).unlink()
    missing = runner.invoke(app, [*opts, "evidence", "show", str(kept["evidence_id"])])
    assert missing.exit_code == 1
    assert "do not match their digest (missing)" in missing.output
