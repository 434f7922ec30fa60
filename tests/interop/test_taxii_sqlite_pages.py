"""The pages of one TAXII pull serve no stamp later than the bound its first page read, on
SQLite too: a report the pull has passed that changes before its next page is served whole by
the client's next pull.

On SQLite a pull read no bound ("no bound needed", since writers commit their stamps in their
order): each page read what was committed when it was asked for. A report changed between
pages after the pull had served part of its objects was served from its next object on, in its
new version and with its new stamp; a report stored after it was served too, with a later
stamp, which the client kept as its next `added_after`. The next pull served neither: the
client held a report whose objects (its new phone number) it was never sent. Here it is the
scenario of test_taxii_commit_order's pages test, on SQLite, checking what the client holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bigfish.intake import ingest_file
from bigfish.interop import feed
from bigfish.models import TLP, Distribution, Marking
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import report

ORG = "my-pdrm"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


class Pull:
    """A client of the partnership collection, one object a page: what it holds (each object
    by id, the last version served) and the newest date_added it kept."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.added_after: datetime | None = None
        self.held: dict[str, dict[str, Any]] = {}

    def pages(self) -> Iterator[feed.Page]:
        """The pages of one pull, from the kept `added_after`, which is moved on at its end."""
        token: str | None = None
        newest = self.added_after
        while True:
            with self.store.connect() as conn:
                partnership = feed.collections(conn, Viewer.node_operator())[0]
                page = feed.object_page(
                    conn, partnership, limit=1, added_after=self.added_after, next_token=token
                )
            for entry in page.entries:
                self.held[entry.object["id"]] = entry.object
                newest = entry.date_added if newest is None else max(newest, entry.date_added)
            yield page
            token = page.next
            if token is None:
                break
        self.added_after = newest

    def phones(self) -> set[str]:
        return {o["value"] for o in self.held.values() if o["type"] == "phone-number"}

    def missing(self) -> set[str]:
        """The observables the reports it holds refer to that it was never sent."""
        reports = [o for o in self.held.values() if o["type"] == "report"]
        refs = {r for o in reports for r in o["object_refs"] if r.startswith("phone-number--")}
        return refs - set(self.held)


@pytest.fixture
def ingest(sqlite_store: Store, tmp_path: Path) -> Iterator[Any]:
    batches = iter(range(1_000_000))

    def run(report_id: str, phone: str) -> None:
        path = tmp_path / f"batch-{next(batches)}.jsonl"
        path.write_text(json.dumps(report(report_id, ("phone", phone))) + "\n", encoding="utf-8")
        assert ingest_file(sqlite_store, path, org=ORG, marking=SHARED).rejected == 0

    yield run


def test_a_report_changed_between_pages_is_served_whole_by_the_next_pull(
    sqlite_store: Store, ingest: Any
) -> None:
    """After the first page (s0's phone number) s0 is submitted again with another number, and
    then b1 is stored. The pull goes on past s0; the next pull serves s0's new version whole
    (before: the pull served s0's new report and b1, kept b1's stamp, and the next pull served
    nothing: the client never got s0's new number, which its copy of s0 refers to)."""
    ingest("s0", "0811111111")
    ingest("s1", "0844444444")
    client = Pull(sqlite_store)
    pages = client.pages()
    first = next(pages)
    assert [e.object["value"] for e in first.entries] == ["+66811111111"]
    ingest("s0", "0855555555")
    ingest("b1", "0833333333")
    for _ in pages:
        pass
    for _ in client.pages():
        pass
    assert {"+66855555555", "+66833333333"} <= client.phones()
    assert client.missing() == set()


def test_a_token_of_an_older_version_still_resumes_its_pull(
    sqlite_store: Store, ingest: Any
) -> None:
    """Tokens now carry the pull's bound as a third number; one of two numbers (no bound, as
    SQLite and older versions gave out) resumes where it points, and its page reads a bound."""
    ingest("s0", "0811111111")
    ingest("s1", "0844444444")
    with sqlite_store.connect() as conn:
        partnership = feed.collections(conn, Viewer.node_operator())[0]
        first = feed.object_page(conn, partnership, limit=1)
        assert first.next is not None
        pk, skip, bound = feed.decode_next(first.next)
        assert bound is not None and bound == max(e.date_added for e in _all(conn, partnership))
        older = feed.object_page(conn, partnership, limit=1, next_token=feed.encode_next(pk, skip))
        newer = feed.object_page(conn, partnership, limit=1, next_token=first.next)
    assert [e.object for e in older.entries] == [e.object for e in newer.entries]
    assert older.next is not None and older.next == newer.next  # the bound carried on


def _all(conn: Any, collection: feed.Collection) -> list[feed.Entry]:
    return [entry for entry, _ in feed.iter_entries(conn, collection)]
