"""`bigfish --version` says which bigfish answers (it was a usage error, exit 2): the version
the package was installed as, before any command or database is touched."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import bigfish


def test_version_prints_the_installed_version_and_touches_nothing(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("bigfish")
    answer = subprocess.run(
        [str(script), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert (answer.returncode, answer.stdout, answer.stderr) == (
        0,
        f"bigfish {version('bigfish')}\n",
        "",
    )
    assert bigfish.__version__ == version("bigfish")
    assert list(tmp_path.iterdir()) == []  # no database, no data directory
