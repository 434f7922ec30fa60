"""`bigfish org add --node URL --node-key FINGERPRINT` records the pin of the partner node's key
in the audit log, in the pin's transaction, as a sync pull records the key it pins on first
use (`node key pin by sync pull`): from then on this node trusts that key's signatures, and the
log says when and by whom."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from bigfish.audit import ConsoleAudit, HeadSigner, verify_audit
from bigfish.cli import app as cli
from bigfish.cooperation.federation import node_origin
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.store import Store
from bigfish.store.schema_access import audit_log
from bigfish.store.schema_interop import peer_keys

ME = f"console:{getpass.getuser()}"
NODE = "https://VN.example.org/bigfish"
KEY = "AB12" * 16


def _rows(store: Store) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        columns = (audit_log.c.actor, audit_log.c.org, audit_log.c.action, audit_log.c.target)
        return [tuple(r) for r in conn.execute(sa.select(*columns).order_by(audit_log.c.seq))]


def _pins(store: Store) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        columns = (peer_keys.c.origin, peer_keys.c.fingerprint, peer_keys.c.pinned_by)
        return [tuple(r) for r in conn.execute(sa.select(*columns))]


def _invoke(store: Store, data: Path, *args: str) -> tuple[int, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(cli, ["--db", url, "--data-dir", str(data), *args])
    return done.exit_code, done.output


def test_org_add_records_the_node_key_it_pins(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = HeadSigner(load_or_create_node_key(data), data)
    add = ("org", "add", "VN-BANK", "--country", "VN", "--node", NODE, "--node-key", KEY)
    code, output = _invoke(store, data, *add)
    assert code == 0, output
    code, output = _invoke(store, data, "org", "add", "VN-POLICE", "--country", "VN")
    assert code == 0, output
    origin = node_origin(NODE)
    assert _pins(store) == [(origin, KEY.lower(), "operator")]
    assert _rows(store) == [
        (ME, "VN-BANK", "org add", "VN-BANK"),
        (ME, None, "node key pin", f"{origin} {KEY.lower()}"),
        (ME, "VN-POLICE", "org add", "VN-POLICE"),
    ]
    check = verify_audit(store, signer)
    assert check.ok and check.signature_checked, check.reason


def test_a_pin_whose_row_is_not_written_is_not_kept(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pin and its row commit together: a row that cannot be appended undoes the pin (the
    organization, added in its own transaction before, stays with its row)."""
    within = ConsoleAudit.within

    def failing(
        self: ConsoleAudit, conn: Connection, rows: Sequence[tuple[str | None, str, str, int]]
    ) -> object:
        if any(action == "node key pin" for _, action, _, _ in rows):
            raise sa.exc.OperationalError("INSERT INTO audit_log", None, Exception("disk full"))
        return within(self, conn, rows)

    monkeypatch.setattr(ConsoleAudit, "within", failing)
    add = ("org", "add", "VN-BANK", "--country", "VN", "--node", NODE, "--node-key", KEY)
    code, _ = _invoke(store, tmp_path / "data", *add)
    assert _pins(store) == []
    assert [r[2] for r in _rows(store)] == ["org add"]
    assert code != 0
