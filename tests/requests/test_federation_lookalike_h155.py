"""A cooperation request pulled from a peer names its organizations, and the one this node does
not know was created as the peer's without the look-alike check: TH-AOC's request reached a node
holding its own `ТН-АОС` (Cyrillic, shown alike) and made a second TH-AOC beside it. Now the
request is refused naming the field and the organization it shows like, and leaves nothing (no
request, no organization, no pinned key)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_interop import peer_keys
from tests.requests.test_federation import _count, _node, _sent_object, receive, sqlite_node

LOOKALIKE = "\u0422\u041d-\u0410\u041e\u0421"  # ТН-АОС, all Cyrillic


def test_a_request_from_an_organization_shown_like_one_held_here_is_refused(
    store: Store, tmp_path: Path, _migrated_sqlite: Path
) -> None:
    th = _node(sqlite_node(tmp_path / "th.db", _migrated_sqlite))
    try:
        sent = _sent_object(th)
    finally:
        th.close()
    here = _node(store, (("VN-BANK", "VN"), (LOOKALIKE, "VN")), here="VN")
    outcome = receive(here, [sent])
    assert (outcome.received, outcome.stored, outcome.rejected) == (1, 0, 1)
    reason = outcome.rejections[0][1]
    assert reason.startswith("from_org: ") and f"{LOOKALIKE!r}" in reason, reason
    assert "'TH-AOC'" in reason
    with here.connect() as conn:
        names = set(conn.execute(sa.select(organizations.c.name)).scalars())
        pins = conn.execute(sa.select(sa.func.count()).select_from(peer_keys)).scalar_one()
    assert names == {"VN-BANK", LOOKALIKE} and _count(here) == 0 and pins == 0
