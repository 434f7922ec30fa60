"""An organization leaving a group stamps withdrawals of the group's reports for it: the removal
announces itself first as a writer (`announce_writer`), so a TAXII page bounded by the newest
stamp (`bigfish.interop.feed`) waits for it and never passes a withdrawal not yet committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.accounts import authenticate_key, create_key
from bigfish.memberships import remove_member
from bigfish.models import ApiRole
from bigfish.store import Store
from tests.interop.builders import partnership


def test_leaving_a_group_takes_the_writers_lock_before_anything_else(
    store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)  # MEKONG: TH-AOC (owner) and VN-POLICE
    secret = create_key(store, org="TH-AOC", role=ApiRole.ADMIN).secret
    with store.connect() as conn:
        admin = authenticate_key(conn, secret)
    assert admin is not None
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        remove_member(store, admin, "MEKONG", "VN-POLICE")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    if store.dialect == "postgresql":
        assert "pg_advisory_xact_lock_shared" in statements[0], statements[:3]
    else:  # the one write lock, taken by a write that changes nothing
        assert statements[0].startswith("UPDATE link_state"), statements[:3]
