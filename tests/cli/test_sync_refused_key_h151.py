"""A peer's 401 or 403 to `bigfish sync pull` says the key was refused and what to check
(--key / BIGFISH_PEER_KEY, the peer's `bigfish key create`), and never prints the key: "answered
401" alone left the operator guessing (helper 148's walk-through)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import PeerError
from bigfish.interop import sync_pages
from bigfish.interop.sync import pull
from bigfish.store import open_store
from bigfish.webhooks import allow_peer

SECRET = "bf_h151_not_to_be_printed"


def _refusing(status: int) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json={"title": "no"}))


@pytest.mark.parametrize(
    ("status", "said"),
    [(401, "the peer refused the key"), (403, "the peer knows the key but its role may not read")],
)
def test_a_refused_key_is_named_with_what_to_check_but_never_shown(
    tmp_path: Path, status: int, said: str
) -> None:
    node = open_store(f"sqlite:///{tmp_path / 'n.db'}")
    allow_peer(node, "http://127.0.0.1:8797")
    with pytest.raises(PeerError) as caught:
        pull(node, "http://127.0.0.1:8797/taxii2/", SECRET, transport=_refusing(status))
    message = str(caught.value)
    assert f"answered {status}: {said}" in message
    assert "bigfish key create" in message and "--role sync" in message
    assert SECRET not in message
    node.engine.dispose()


def test_sync_pull_prints_the_refusal_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    assert (
        CliRunner().invoke(app, ["--db", url, "sync", "allow", "http://127.0.0.1:8798"]).exit_code
        == 0
    )
    monkeypatch.setattr(
        sync_pages, "bounded_get", lambda *a, **k: httpx.Response(401, json={"title": "no"})
    )
    result = CliRunner().invoke(
        app, ["--db", url, "sync", "pull", "http://127.0.0.1:8798/taxii2/", "--key", SECRET]
    )
    assert result.exit_code == 1
    assert "answered 401: the peer refused the key" in result.output
    assert "--key (or BIGFISH_PEER_KEY)" in result.output
    assert SECRET not in result.output
