"""A TAXII pull's `next` token carries its bound in the open (base64 JSON): it must be the
newest stamp of what the collection serves its reader, never the node's newest stamp, which
dates the last change of a report the reader may not see (classes 1 and 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bigfish.interop import feed
from tests.api.helpers import Partnership, report

# Whatever carries the report's own objects: limit 1 gives a `next` token on the first page.
_PAGE = {"limit": "1"}


def _first_page(p: Partnership, who: str, title: str) -> dict[str, Any]:
    headers = p.headers(who)
    listing = p.client.get("/taxii2/api/collections/", headers=headers)
    assert listing.status_code == 200, listing.text
    [found] = [c for c in listing.json()["collections"] if c["title"] == title]
    answer = p.client.get(
        f"/taxii2/api/collections/{found['id']}/objects/", params=_PAGE, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _bound(body: dict[str, Any]) -> datetime:
    assert body["more"] is True and body.get("next"), body
    _pk, _skip, bound = feed.decode_next(body["next"])
    assert bound is not None
    return bound


def _everything(p: Partnership, who: str, title: str, token: str | None) -> list[str]:
    """The ids of every object of the pull from the first page's TOKEN on."""
    headers = p.headers(who)
    listing = p.client.get("/taxii2/api/collections/", headers=headers).json()
    [found] = [c for c in listing["collections"] if c["title"] == title]
    served: list[str] = []
    while token is not None:
        answer = p.client.get(
            f"/taxii2/api/collections/{found['id']}/objects/",
            params={"limit": "2", "next": token},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        served += [o["id"] for o in body.get("objects", [])]
        token = body.get("next")
    return served


def test_a_next_token_does_not_date_a_report_the_reader_may_not_see(
    partnership: Partnership,
) -> None:
    p = partnership
    shared = {"tlp": "green", "distribution": "partnership"}
    p.submit("A", [report("a-1", phone="+66811111111")], **shared)
    title = "Partnership"
    before = _bound(_first_page(p, "B", title))
    rest_before = _everything(p, "B", title, _first_page(p, "B", title)["next"])
    # A stores and changes reports B may not see: B's pull is what it was, its token too.
    p.submit("A", [report("a-2", phone="+66822222222")])
    p.client.patch(
        "/api/v1/reports/A/a-2", json={"tlp": "red"}, headers=p.headers("A")
    ).raise_for_status()
    after = _first_page(p, "B", title)
    assert _bound(after) == before
    assert _everything(p, "B", title, after["next"]) == rest_before
    # A report B may see moves it.
    p.submit("A", [report("a-3", phone="+66833333333")], **shared)
    assert _bound(_first_page(p, "B", title)) > before


def test_a_pull_whose_newest_object_is_a_withdrawal_still_serves_it(
    partnership: Partnership,
) -> None:
    """The lowered bound counts the collection's withdrawals: the revoked version of a report
    deleted last is served on a later page of the same pull."""
    p = partnership
    shared = {"tlp": "green", "distribution": "partnership"}
    p.submit("A", [report("a-1", phone="+66811111111")], **shared)
    p.submit("A", [report("a-2", phone="+66822222222")], **shared)
    gone = p.client.delete("/api/v1/reports/A/a-2", headers=p.headers("A"))
    assert gone.status_code in (200, 204), gone.text
    p.submit("A", [report("a-3", phone="+66833333333")])  # later, and B may not see it
    first = _first_page(p, "B", "Partnership")
    served = [o["id"] for o in first.get("objects", [])]
    served += _everything(p, "B", "Partnership", first["next"])
    revoked = _revoked_ids(p)
    assert revoked and set(revoked) <= set(served)


def _revoked_ids(p: Partnership) -> list[str]:
    """The ids of the revoked reports B's collection serves, read in one large page."""
    listing = p.client.get("/taxii2/api/collections/", headers=p.headers("B")).json()
    [found] = [c for c in listing["collections"] if c["title"] == "Partnership"]
    answer = p.client.get(
        f"/taxii2/api/collections/{found['id']}/objects/",
        params={"limit": "1000"},
        headers=p.headers("B"),
    )
    return [o["id"] for o in answer.json()["objects"] if o.get("revoked")]
