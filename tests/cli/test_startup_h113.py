"""`bigfish` starts without the libraries of the commands it is not running.

Every command module used to be imported when the program started, so `bigfish classify`,
`bigfish extract` and a mistyped command each first loaded SQLAlchemy, alembic, scipy, argon2,
the web stack and matplotlib (over a second). A command's module is now imported when it runs;
`bigfish --help` and every group's help still list the same commands, options and texts.
Each check runs in a fresh interpreter: this one has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# The libraries of other commands: the store (SQLAlchemy, alembic), linking (igraph, scipy),
# accounts (argon2), the server (FastAPI, uvicorn), the statistics report (matplotlib).
HEAVY = ("sqlalchemy", "alembic", "igraph", "scipy", "argon2", "fastapi", "uvicorn", "matplotlib")

_RUN = """
import json, sys
argv = json.loads(sys.argv[1])
sys.argv = ["bigfish", *argv]
from bigfish.cli import main
code = 0
try:
    main()
except SystemExit as end:
    code = end.code
json.dump({"code": code, "modules": sorted(sys.modules)}, sys.stderr)
"""


def _run(argv: list[str], stdin: str = "") -> tuple[int, set[str], str]:
    """Exit status, imported top-level packages and stdout of `bigfish ARGV` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(argv)],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    report = json.loads(done.stderr[done.stderr.rindex('{"code"') :])
    return report["code"], {name.split(".")[0] for name in report["modules"]}, done.stdout


def test_importing_the_cli_imports_no_command_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, bigfish.cli; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "rich" not in loaded  # the progress bar's, imported when one is drawn


@pytest.mark.parametrize(
    ("argv", "stdin", "status", "not_loaded"),
    [
        (["--version"], "", 0, HEAVY),
        (["nosuch"], "", 2, HEAVY),
        (["extract", "--country", "TH", "โทร0812345678ครับ"], "", 0, HEAVY),
        (["classify"], "hi\n", 0, tuple(h for h in HEAVY if h != "scipy")),  # the model's
        (["normalize"], '{"kind": "phone", "value": "0812345678", "country": "TH"}\n', 0,
         HEAVY),
        (["synth", "--help"], "", 0, HEAVY),
        (["serve", "--help"], "", 0, tuple(h for h in HEAVY if h != "uvicorn")),
        (["--db", "sqlite://", "org", "list"], "", 0,
         tuple(h for h in HEAVY if h not in ("sqlalchemy", "alembic"))),  # the store's
    ],
    ids=["--version", "nosuch", "extract", "classify", "normalize", "synth-help", "serve-help",
         "org-list"],
)  # fmt: skip
def test_a_command_loads_only_what_it_needs(
    argv: list[str], stdin: str, status: int, not_loaded: tuple[str, ...]
) -> None:
    code, loaded, _ = _run(argv, stdin)
    assert code == status
    assert not loaded & set(not_loaded), sorted(loaded & set(not_loaded))


def test_ingest_still_reads_a_stix_bundle(tmp_path: Path) -> None:
    """bigfish.interop registers the stix and misp readers of `bigfish ingest`: it was imported
    with every command module, and is now imported by the ingest command itself."""
    objects = json.loads(
        (Path(__file__).parents[1] / "interop/golden/report.stix.json").read_text()
    )
    bundle = tmp_path / "bundle.json"
    bundle_id = "bundle--6b0e8a4c-1f0e-4b7a-9c2c-3d2f1c9e0a11"
    bundle.write_text(json.dumps({"type": "bundle", "id": bundle_id, "objects": objects}))
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--data-dir", str(tmp_path / "data")]
    argv = [*db, "ingest", str(bundle), "--format", "stix", "--org", "th-aoc", "--json"]
    code, _, out = _run(argv)
    assert code == 0, out
    assert json.loads(out)["stored"] == 1


_HELP = """
import contextlib, importlib, io, json, pkgutil, sys
import typer.main
from typer.core import TyperGroup
import bigfish.cli
from bigfish.cli._app import app

if sys.argv[1] == "eager":  # every module imported first, typer's own group: as before
    for module in sorted(pkgutil.iter_modules(bigfish.cli.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"bigfish.cli.{module.name}")
    from bigfish.cli._help import fit_help_texts
    fit_help_texts(app)
    app.info.cls = TyperGroup
top = typer.main.get_command(app)
out = {}

def run(args):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            top.main(args=args, prog_name="bigfish")
        except SystemExit as end:
            code = end.code
    out[" ".join(args) or "(none)"] = [code, stdout.getvalue(), stderr.getvalue()]

def walk(group, path):
    for name in group.list_commands(None):
        run([*path, name, "--help"])
        command = group.get_command(None, name)
        if hasattr(command, "list_commands"):
            run([*path, name])
            walk(command, [*path, name])

walk(top, [])
for args in (["--help"], [], ["nosuch"], ["clasify"], ["--version"], ["ml", "trian"]):
    run(args)
print(json.dumps(out))
"""


def _helps(mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _HELP, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "100"},
    )
    helps: dict[str, Any] = json.loads(done.stdout)
    return helps


def test_every_help_is_the_same_as_with_every_module_imported_first() -> None:
    """Each command's and group's help, the group's lists and the usage errors, with each
    command built when looked up (the commands of a module no other has loaded yet) and with
    every module imported before the app is built, as the program started before."""
    lazy, eager = _helps("lazy"), _helps("eager")
    assert len(eager) > 60 and "key create --help" in eager
    assert "Commands" in eager["--help"][1] and "classify" in eager["--help"][1]
    assert lazy == eager
