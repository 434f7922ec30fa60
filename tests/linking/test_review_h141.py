"""Review h141: a part row an older run left to a dissolved id names nothing, for the group
whose first report holds it too.

536a02d leaves the part rows older runs left to dissolved ids until the next rebuild, and
`parts._rows_at` leaves them out (a dissolved id names nothing; get_network answers 404). But
the read of the rows at a group's first report (`parts._kept`, read alone as the common case)
took them: the group was shown under the dissolved id, which then answered 404 to the viewer
it was shown to, and a dissolved id is never given back (`bigfish.linking.networks`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bigfish.errors import NotFound
from bigfish.linking import get_network, rebuild_networks
from bigfish.reports import delete_report
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_parts
from tests.linking.conftest import Ingest, report
from tests.linking.test_ids_history_h124 import NOW, A, B, C, _status
from tests.linking.test_part_ids_h136 import OP, _opened, _org, _seen


def test_a_group_whose_first_report_holds_a_dissolved_ids_row_is_shown_under_an_id_that_opens(
    store: Store, ingest: Ingest
) -> None:
    b = _org(store, "org-b")
    h = _org(store, "org-h")
    ingest(store, "org-h", [report(f"y{i}", ("phone", C)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    (dissolved,) = _seen(store, OP).values()
    delete_report(store, h, "org-h", "y1")
    rebuild_networks(store, now=NOW)
    assert _status(store)[dissolved] == ("dissolved", None)
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3, 4)])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    with store.begin() as conn:  # as a run before 536a02d's rule left it
        c1 = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "c1")).scalar_one()
        conn.execute(network_parts.insert().values(anchor_pk=c1, id=dissolved))
    seen = _seen(store, b)
    assert set(seen) == {("b1", "b2"), ("c1", "c2", "c3", "c4")}
    part = seen[("c1", "c2", "c3", "c4")]
    assert part != dissolved
    assert _opened(store, b, part) == ("c1", "c2", "c3", "c4")
    assert _seen(store, b)[("c1", "c2", "c3", "c4")] == part
    with pytest.raises(NotFound):  # dissolved for good, for the operator too
        get_network(store, OP, dissolved, now=NOW)
