"""The server factory (`bigfish.api.server.app_from_environment`, which uvicorn's workers and
`bigfish serve`'s check call) refuses a BIGFISH_* setting it cannot use with a ConfigError that
names the variable, the value and what it takes, before it opens the store: a non-numeric or
negative BIGFISH_RATE_LIMIT was a bare ValueError traceback ("invalid literal for int()"), and
a switch set to anything but 0 (BIGFISH_LINK_SUBMITTED, BIGFISH_WARM_FIGURES) or 1
(BIGFISH_PUBLIC_CHECK) was silently taken for its default (BIGFISH_PUBLIC_CHECK=true left the
public check off, BIGFISH_WARM_FIGURES=false left the warming on)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.api.server import app_from_environment
from bigfish.cli import app as cli
from bigfish.errors import ConfigError

SWITCHES = ("BIGFISH_LINK_SUBMITTED", "BIGFISH_PUBLIC_CHECK", "BIGFISH_WARM_FIGURES")


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The factory's database and data directory under TMP_PATH; the database's file."""
    db = tmp_path / "bigfish.db"
    monkeypatch.setenv("BIGFISH_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGFISH_WARM_FIGURES", "0")
    for name in ("BIGFISH_RATE_LIMIT", "BIGFISH_LINK_SUBMITTED", "BIGFISH_PUBLIC_CHECK"):
        monkeypatch.delenv(name, raising=False)
    return db


def _started() -> dict[str, object]:
    app = app_from_environment()
    gc.unfreeze()  # the factory freezes its start-up objects (tests/api/test_server.py)
    try:
        settings = app.state.settings
        limiter = app.state.rate_limiter
        return {
            "rate": settings.rate_limit_per_minute,
            "limited": limiter is not None,
            "link": settings.link_submitted,
            "check": settings.public_check,
        }
    finally:
        app.state.store.close()


@pytest.mark.parametrize("value", ["many", "-1", "6000/min", "1.5"])
def test_a_rate_limit_that_is_not_a_whole_number_is_named(
    environment: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("BIGFISH_RATE_LIMIT", value)
    with pytest.raises(ConfigError) as refused:
        app_from_environment()
    message = str(refused.value)
    assert f"BIGFISH_RATE_LIMIT={value!r}" in message
    assert "whole number" in message and "0 turns the limit off" in message
    assert not environment.exists()  # refused before the store was opened


@pytest.mark.parametrize("name", SWITCHES)
@pytest.mark.parametrize("value", ["2", "O", "enabled", "y", "-1"])
def test_a_switch_set_to_neither_0_nor_1_is_named(
    environment: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        app_from_environment()
    assert f"{name}={value!r}" in str(refused.value) and "0 or 1" in str(refused.value)


def test_the_values_taken_so_far_still_work(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _started() == {"rate": 6000, "limited": True, "link": True, "check": False}
    monkeypatch.setenv("BIGFISH_RATE_LIMIT", "0")  # no limit
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "0")
    monkeypatch.setenv("BIGFISH_PUBLIC_CHECK", "1")
    assert _started() == {"rate": 0, "limited": False, "link": False, "check": True}
    monkeypatch.setenv("BIGFISH_RATE_LIMIT", " 77 ")
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "1")
    monkeypatch.setenv("BIGFISH_PUBLIC_CHECK", "0")
    assert _started() == {"rate": 77, "limited": True, "link": True, "check": False}
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "Off")  # the usual words, in any case
    monkeypatch.setenv("BIGFISH_PUBLIC_CHECK", "TRUE")
    assert _started() == {"rate": 77, "limited": True, "link": False, "check": True}
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "yes")
    monkeypatch.setenv("BIGFISH_PUBLIC_CHECK", "no")
    assert _started() == {"rate": 77, "limited": True, "link": True, "check": False}
    for name in ("BIGFISH_RATE_LIMIT", *SWITCHES):  # empty: as if not set
        monkeypatch.setenv(name, "")
    assert _started() == {"rate": 6000, "limited": True, "link": True, "check": False}


def test_serve_refuses_a_bad_switch_with_the_message_not_a_traceback(
    environment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import uvicorn

    from bigfish.cli import serve

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **settings: served.append(target))
    monkeypatch.setattr(serve, "_listen", lambda host, port: socket.socket())  # binds no port
    monkeypatch.setenv("BIGFISH_LINK_SUBMITTED", "enabled")
    url = f"sqlite:///{environment}"
    data = str(tmp_path / "data")
    done = CliRunner().invoke(cli, ["--db", url, "--data-dir", data, "serve", "--port", "0"])
    assert served == [] and done.exit_code == 1, done.output
    assert "BIGFISH_LINK_SUBMITTED='enabled'" in " ".join(done.output.split())
    assert done.exception is None or isinstance(done.exception, SystemExit)
