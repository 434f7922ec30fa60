"""Organizations a peer's import introduces skipped the look-alike check (README's known
limitations): a sync page naming `th-aoc`, `ТН-АОС` (Cyrillic) or `TH-АOC` beside this node's
TH-AOC created a second organization that shows as TH-AOC, whose reports TH-AOC's keys neither
see nor edit. Now the reports of such an organization are rejected, each with a reason naming
the organization it shows like; the rest of the page is stored (received = stored + rejected).
They are not filed under TH-AOC either: a peer speaks only for the organizations it hosts."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.interop.importer import import_objects
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import RING_PHONE, bigfish_report

PEER = "https://peer.example"


def _names(store: Store) -> set[str]:
    with store.connect() as conn:
        return set(conn.execute(sa.select(organizations.c.name)).scalars())


def _reports_of(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, sa.func.count())
            .join(reports, reports.c.org_id == organizations.c.id)
            .group_by(organizations.c.name)
        ).all()
    return {str(name): int(count) for name, count in rows}


def test_a_pulled_organization_shown_like_one_held_here_is_rejected_with_its_name(
    store: Store,
) -> None:
    add_org(store, "TH-AOC", country="TH")
    page = [
        bigfish_report("r1", org="th-aoc", phone=RING_PHONE),  # case
        bigfish_report("r2", org="\u0422\u041d-\u0410\u041e\u0421", phone=RING_PHONE),  # ТН-АОС
        bigfish_report("r3", org="TH-\u0410OC", phone=RING_PHONE),  # Cyrillic А in one word
        bigfish_report("r4", org="mu-tel", phone=RING_PHONE),
        bigfish_report("r5", org="MU-TEL", phone=RING_PHONE),  # like mu-tel, new in this page
        bigfish_report("r6", org="mu-tel", phone=RING_PHONE),
    ]
    with store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="peer-org")
    assert (outcome.received, outcome.stored, outcome.rejected) == (6, 2, 4)
    reasons = {stix_id: reason for stix_id, reason in outcome.rejections}
    assert [page.index(o) for o in page if o["id"] in reasons] == [0, 1, 2, 4]
    for obj in page[:2]:
        reason = reasons[obj["id"]]
        assert reason.startswith("org: ") and "'TH-AOC'" in reason, reason
        assert repr(obj["extensions"][next(iter(obj["extensions"]))]["org"]) in reason
    assert reasons[page[2]["id"]].startswith("org: ") and "'TH-\u0410OC'" in reasons[page[2]["id"]]
    assert "'mu-tel'" in reasons[page[4]["id"]] and "'MU-TEL'" in reasons[page[4]["id"]]
    assert _names(store) == {"TH-AOC", "mu-tel"}
    assert _reports_of(store) == {"mu-tel": 2}


def test_a_look_alike_pair_stored_before_keeps_taking_its_reports(store: Store) -> None:
    """Names already held are never refused after the fact: a peer's `Bаnk`, stored before
    this check beside this node's Bank, still takes the peer's reports."""
    add_org(store, "Bank", country="TH")
    held = "B\u0430nk"
    with store.begin() as conn:
        conn.execute(
            organizations.insert().values(name=held, node=PEER, created_at=datetime.now(UTC))
        )
    with store.begin() as conn:
        outcome = import_objects(
            conn, [bigfish_report("b1", org=held, phone=RING_PHONE)], peer=PEER, default_org="x"
        )
    assert (outcome.stored, outcome.rejected) == (1, 0), outcome.rejections
    assert _reports_of(store) == {held: 1}
    assert _names(store) == {"Bank", held}
