"""Review h146: `bigfish demo --workdir DIR` removes DIR only when a demo made it. A directory
"made by a demo before the marker" was any holding bigfish.db and data/partnership.json: a
node's own directory (bigfish.db is the default --db) where `bigfish synth data` once ran was
removed whole, keys and evidence under bigfish-data/ with it. And the demo's server keeps its
data directory in the workdir, not in --data-dir's default."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.demo import MARKER

# The demo's users' passwords hashed at a test-sized cost (tests/conftest.py): these tests are
# about its workdir, and each demo's users took about 2 s of its 2.5 at the real cost.
pytestmark = pytest.mark.usefixtures("fast_argon2")


def _demo(workdir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["demo", "--no-serve", "--reports", "60", "--workdir", str(workdir)]
    )
    return result.exit_code, result.output


def test_a_nodes_directory_with_a_synthetic_data_set_is_not_removed(tmp_path: Path) -> None:
    node = tmp_path / "node"
    (node / "data").mkdir(parents=True)
    (node / "bigfish.db").write_bytes(b"the node's database")
    (node / "data" / "partnership.json").write_text('{"generated_by": "bigfish synth"}', "utf-8")
    (node / "bigfish-data" / "keys").mkdir(parents=True)
    (node / "bigfish-data" / "keys" / "node.key").write_bytes(b"the node's signing key")
    code, output = _demo(node)
    assert code == 1, output
    assert "was not made by `bigfish demo`" in " ".join(output.split())
    assert (node / "bigfish.db").read_bytes() == b"the node's database"
    assert (node / "bigfish-data" / "keys" / "node.key").read_bytes() == b"the node's signing key"


def test_a_demo_made_before_the_marker_is_still_made_again(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    code, output = _demo(workdir)
    assert code == 0, output
    (workdir / MARKER).unlink()  # as a demo of an earlier version left it
    assert (workdir / "bigfish.db").is_file() and (workdir / "data/partnership.json").is_file()
    code, output = _demo(workdir)
    assert code == 0, output
    assert (workdir / MARKER).is_file()


def test_the_demo_server_keeps_its_key_and_marks_in_the_workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish demo` served with --data-dir's default, ./bigfish-data: run where a node keeps
    its key, the demo's audit log was signed with that key and its high-water mark (the highest
    row a head was signed at) written beside it, so the node's own, shorter log then failed
    `bigfish audit verify` ("below row N where a head was signed before") and its server wrote
    an AUDIT-ALERT row into it for good."""
    import bigfish.cli.serve
    from bigfish.cli._app import OPTIONS

    node = tmp_path / "node"
    node.mkdir()
    monkeypatch.chdir(node)
    served: list[tuple[str, Path]] = []

    def run_server(**kwargs: object) -> None:
        served.append((OPTIONS.db_url, OPTIONS.data_dir))

    monkeypatch.setattr(bigfish.cli.serve, "run_server", run_server)
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--reports", "30", "--port", "0", "--workdir", str(workdir)]
    )
    assert result.exit_code == 0, result.output
    assert served == [(f"sqlite:///{workdir / 'bigfish.db'}", workdir / "bigfish-data")]
    assert list(node.iterdir()) == []  # nothing of the demo's where it was run


def test_the_current_directory_may_be_the_workdir_empty_or_an_earlier_demos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish demo --workdir .` removed the directory itself, which fails for the current one
    ("Invalid argument: ."), after emptying it when an earlier demo had made it."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for _ in range(2):  # empty, then the first demo's
        code, output = _demo(Path("."))
        assert code == 0, output
        assert (here / MARKER).is_file() and (here / "bigfish.db").is_file()


def test_a_port_in_use_is_refused_before_the_demo_is_built(tmp_path: Path) -> None:
    """The demo synthesized, ingested and linked (minutes at its default size) and only then
    found that it could not serve on its port."""
    workdir = tmp_path / "demo"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app,
            ["demo", "--reports", "30", "--port", str(port), "--workdir", str(workdir)],
        )
    assert result.exit_code == 1, result.output
    assert f"127.0.0.1:{port}" in result.output and "--no-serve" in result.output
    assert not workdir.exists()
