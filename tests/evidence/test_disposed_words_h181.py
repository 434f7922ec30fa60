"""The words an export uses for the items it carries disposed of (helper 181, checking
docs/evidence.md on a node): the console counts two or more of them in the plural, and a
package's summary does not tell a court that the bytes of a disposed item are absent when the
package carries the same bytes for the report's new copy of it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from tests.evidence.conftest import Node, add, dispose, export_r1
from tests.evidence.test_cli import _node
from tests.evidence.test_reacquired_h178 import COPY


def _add(runner: CliRunner, opts: list[str], path: Path) -> str:
    added = runner.invoke(
        app, [*opts, "evidence", "add", str(path), "--org", "TH-AOC", "--report", "R-1", "--json"]
    )
    assert added.exit_code == 0, added.output
    return str(json.loads(added.stdout)["evidence_id"])


def test_export_names_two_disposed_items_in_the_plural(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    names = ("chat.txt", "slip.txt", "call.txt")
    for name in names:
        (tmp_path / name).write_text(f"{name} as the victim sent it\n")
    kept, *gone = (_add(runner, opts, tmp_path / name) for name in names)
    for evidence_id in gone:
        disposed = runner.invoke(
            app,
            [*opts, "evidence", "event", evidence_id, "--type", "disposed", "--purpose", "order"],
        )
        assert disposed.exit_code == 0, disposed.output
    out = tmp_path / "case.zip"
    text = runner.invoke(app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(out)])
    assert text.exit_code == 0, text.output
    listed = ", ".join(sorted(gone))
    assert f"1 file and 2 items disposed of, carried without their files ({listed})" in (
        text.stdout
    ), text.stdout
    assert kept not in text.stdout


def test_summary_says_the_bytes_of_a_disposed_item_are_carried_for_its_new_copy(
    node: Node, tmp_path: Path
) -> None:
    first = add(node, COPY)
    dispose(node, first)
    again = add(node, COPY)
    out = tmp_path / "p.zip"
    export_r1(node, out)
    with zipfile.ZipFile(out) as zf:
        summary = zf.read("summary.txt").decode()
        assert f"files/{first.sha256}" in zf.namelist()  # carried once, for the new copy
    block = summary.split(f"- {first.evidence_id}:", 1)[1].split("\n- ", 1)[0]
    assert "its file is not in this package" not in block, block
    assert (
        f"no file of its own in this package, as recorded; the same bytes are in it as "
        f"evidence {again.evidence_id}" in block
    ), block


def test_a_note_of_bytes_missing_then_does_not_say_they_did_not_match(
    node: Node, tmp_path: Path
) -> None:
    # verify's note for a record whose re-hash found no stored bytes said "they did not match
    # the digest then": they were not there to match.
    from bigfish.evidence.files import blob_path
    from bigfish.evidence.package import verify_package
    from bigfish.evidence.service import Activity, get_evidence

    item = add(node, b"transfer slip 12345")
    blob_path(node.data_dir, item.sha256).unlink()
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "look"))
    assert add(node, b"transfer slip 12345").held_before  # the bytes are back
    export_r1(node, tmp_path / "p.zip")
    check = verify_package(tmp_path / "p.zip")
    assert check.ok, check.problem
    (note,) = check.notes
    assert "re-hashed the stored bytes: missing" in note, note
    assert "did not match" not in note, note
    assert "(they were not stored then; the file in this package does match)" in note, note


def test_case_provenance_says_the_bytes_of_a_disposed_item_are_carried_for_its_new_copy(
    node: Node, tmp_path: Path
) -> None:
    first = add(node, COPY)
    dispose(node, first)
    again = add(node, COPY)
    out = tmp_path / "p.zip"
    export_r1(node, out)
    with zipfile.ZipFile(out) as zf:
        graph = json.loads(zf.read("case.jsonld"))["@graph"]
    (provenance,) = (n for n in graph if n["@id"] == f"kb:provenance-{first.evidence_id}")
    said = provenance["uco-core:description"]
    assert "the file is not in this package" not in said, said
    assert said.endswith(
        f"no file of its own in this package; the same bytes are in it as evidence "
        f"{again.evidence_id}"
    ), said
