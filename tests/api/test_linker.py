"""Reports submitted through the API join their networks in the background (`bigfish serve`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bigfish.api import ApiSettings
from bigfish.api.linker import BackgroundLinker
from bigfish.store import Store
from bigfish.store.schema_linking import networks
from tests.api.helpers import Partnership, build_partnership, report
from tests.polling import WAIT


@pytest.fixture
def linking(store: Store) -> Iterator[Partnership]:
    yield from build_partnership(store, ApiSettings(link_submitted=True))


def test_submitted_reports_join_a_network_without_a_link_command(linking: Partnership) -> None:
    phone = "+66877770001"
    linking.submit("A", [report(f"s{i}", phone=phone) for i in range(3)])
    linker = linking.client.app.state.link_submitted  # type: ignore[attr-defined]
    assert linker.settle(timeout=60)
    found = linking.client.get(
        "/api/v1/lookup", params={"kind": "phone", "value": phone}, headers=linking.headers("A")
    ).json()
    assert len(found["networks"]) == 1
    linking.submit("A", [report("s3", phone=phone)])  # a later batch grows the same network
    assert linker.settle(timeout=60)
    network = linking.client.get(
        f"/api/v1/networks/{found['networks'][0]}", headers=linking.headers("A")
    ).json()
    assert sorted(r["report_id"] for r in network["reports"]) == ["s0", "s1", "s2", "s3"]
    hidden = linking.client.get(
        "/api/v1/lookup", params={"kind": "phone", "value": phone}, headers=linking.headers("B")
    ).json()
    assert hidden["networks"] == []  # A's reports are A's own
    for gone in ("s2", "s3"):  # deleted through the API: the network shrinks without a command
        deleted = linking.client.delete(f"/api/v1/reports/A/{gone}", headers=linking.headers("A"))
        assert deleted.status_code == 204
    assert linker.settle(timeout=60)
    network = linking.client.get(
        f"/api/v1/networks/{found['networks'][0]}", headers=linking.headers("A")
    ).json()
    assert sorted(r["report_id"] for r in network["reports"]) == ["s0", "s1"]
    with linking.store.connect() as conn:  # the operator's figures too, not only the reads
        kept = conn.execute(
            sa.select(networks.c.report_count).where(networks.c.id == found["networks"][0])
        ).scalar_one()
    assert kept == 2


def test_batches_stored_during_a_run_are_linked_by_one_more_run(store: Store) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def link(_: Store) -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            started.set()
            assert release.wait(WAIT)
        if len(runs) == 3:
            raise RuntimeError("a failed run is logged; the next one runs")

    linker = BackgroundLinker(store, link)
    linker()
    assert started.wait(WAIT)
    for _ in range(5):  # while the first run is held
        linker()
    release.set()
    assert linker.settle(timeout=WAIT)
    assert runs == [0, 1]
    linker()
    assert linker.settle(timeout=WAIT) and runs == [0, 1, 2]
    linker()
    linker.close()
    assert runs == [0, 1, 2, 3]
    linker()  # closed: no more runs
    assert linker.settle(timeout=WAIT) and runs == [0, 1, 2, 3]


def test_the_linker_also_runs_on_a_clock_until_closed(store: Store) -> None:
    """With nothing submitted, the server's linker still runs (growth ages: linking.aging)."""
    runs: list[int] = []
    third = threading.Event()

    def link(_: Store) -> None:
        runs.append(len(runs))
        if len(runs) == 3:
            third.set()

    linker = BackgroundLinker(store, link)
    linker.every(0.01)
    assert third.wait(WAIT)
    linker.close()
    ran = len(runs)
    linker()  # closed: the clock and callers start nothing more
    assert linker.settle(timeout=WAIT) and len(runs) == ran
