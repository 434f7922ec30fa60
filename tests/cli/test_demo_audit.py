"""`bigfish demo` records what it creates in its store's audit log, as the commands that create
the same things do (`org add`, `group add`, `user add`): the demo's store is served and used
like any node's, and an organization, a group or a web user standing there without its row
left the log incomplete."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app as cli
from bigfish.demo import DEMO_GROUP, DEMO_GROUP_MEMBERS
from bigfish.store import open_store
from bigfish.store.schema import organizations
from bigfish.store.schema_access import audit_log

ME = f"console:{getpass.getuser()}"

pytestmark = pytest.mark.usefixtures("fast_argon2")  # the demo's users, at a test-sized cost


def _cli(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.output


def test_the_demo_records_its_organizations_group_and_users(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    code, output = _cli("demo", "--no-serve", "--reports", "60", "--workdir", str(workdir))
    assert code == 0, output
    url = f"sqlite:///{workdir / 'bigfish.db'}"
    partnership = workdir / "data" / "partnership.json"
    names = [str(o["name"]) for o in json.loads(partnership.read_text("utf-8"))["organizations"]]
    store = open_store(url)
    try:
        with store.connect() as conn:
            stored = set(conn.execute(sa.select(organizations.c.name)).scalars())
            columns = (audit_log.c.actor, audit_log.c.org, audit_log.c.action, audit_log.c.target)
            rows = [tuple(r) for r in conn.execute(sa.select(*columns).order_by(audit_log.c.seq))]
    finally:
        store.close()
    assert stored == set(names)
    created = [r for r in rows if r[2] == "org add by demo"]
    assert created == [(ME, n, "org add by demo", f"{n} from {partnership}") for n in names]
    owner = sorted(DEMO_GROUP_MEMBERS)[0]  # the first member owns the group, as group add has it
    assert (ME, owner, "group add by demo", DEMO_GROUP) in rows
    users = {(r[1], r[3]) for r in rows if r[2] == "user add by demo"}
    assert users == {(n, f"{n}-analyst") for n in names}
    assert len(rows) == len(names) * 2 + 1
    # the chain verifies, and the demo's data directory (where its server signs) seals it
    data = str(workdir / "bigfish-data")
    code, output = _cli("--db", url, "--data-dir", data, "audit", "verify")
    assert code == 0 and f"ok: {len(rows)} rows" in output, output
    code, output = _cli("--db", url, "--data-dir", data, "audit", "seal")
    assert code == 0, output
    code, output = _cli("--db", url, "--data-dir", data, "audit", "verify", "--json")
    check = json.loads(output)
    assert code == 0 and check["ok"] and check["signature_checked"], output
