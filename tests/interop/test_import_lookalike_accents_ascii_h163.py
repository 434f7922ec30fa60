"""A peer's sync page naming `TH-A0C` (a zero), `Th-Aöc` (an accent) or `TH-AOC` spelt with a
capital I for an l beside this node's TH-AOC and PAYPAL created a second organization that shows
like the first (the check of 604f4b0 folded case and scripts only). Now their reports are
rejected with a reason naming the organization held, as for a Cyrillic look-alike; two new
names of one page told apart only by an accent are one too."""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.interop.importer import import_objects
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations
from tests.interop.builders import RING_PHONE, bigfish_report

PEER = "https://peer.example"


def test_a_pulled_organization_like_one_held_but_for_accents_or_ascii_is_rejected(
    store: Store,
) -> None:
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "paypal", country="TH")
    page = [
        bigfish_report("r1", org="TH-A0C", phone=RING_PHONE),  # zero for O
        bigfish_report("r2", org="Th-A\u00f6c", phone=RING_PHONE),  # ö
        bigfish_report("r3", org="PAYPAI", phone=RING_PHONE),  # capital I for l
        bigfish_report("r4", org="caf\u00e9-bank", phone=RING_PHONE),  # new here
        bigfish_report("r5", org="cafe-bank", phone=RING_PHONE),  # like r4's, same page
        bigfish_report("r6", org="caf\u00e9-bank", phone=RING_PHONE),
    ]
    with store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="peer-org")
    assert (outcome.received, outcome.stored, outcome.rejected) == (6, 2, 4)
    reasons = dict(outcome.rejections)
    for obj, taken in zip(page[:3], ("TH-AOC", "TH-AOC", "paypal"), strict=True):
        assert reasons[obj["id"]].startswith("org: ") and f"{taken!r}" in reasons[obj["id"]]
        assert "would show like organization" in reasons[obj["id"]]
    assert "'caf\u00e9-bank'" in reasons[page[4]["id"]]
    with store.connect() as conn:
        names = set(conn.execute(sa.select(organizations.c.name)).scalars())
    assert names == {"TH-AOC", "paypal", "caf\u00e9-bank"}


def test_a_peers_lookalike_refusal_gives_advice_a_peer_can_follow(store: Store) -> None:
    # The operator's advice "use 'TH-AOC', or another name" fails for a peer: its reports sent
    # under TH-AOC, held here, are rejected as "hosted on this node" (helper 176's finding).
    add_org(store, "TH-AOC", country="TH")
    page = [bigfish_report("r1", org="TH-A0C", phone=RING_PHONE)]
    with store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="peer-org")
    (reason,) = dict(outcome.rejections).values()
    assert "use 'TH-AOC'" not in reason
    assert "needs a name of its own on this node" in reason
