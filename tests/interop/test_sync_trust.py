"""What a peer may not do to a pulling node: speak for another node's organizations, loop for
ever, receive the key on a redirect elsewhere; and answers to malformed URLs and tokens."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.accounts import create_key
from bigfish.api.app import ApiSettings, create_app
from bigfish.cli import app
from bigfish.errors import PeerError
from bigfish.interop.export import stix_objects
from bigfish.interop.markings import REPORT_EXTENSION, TLP2_IDS
from bigfish.interop.sync import pull, rejections
from bigfish.interop.views import iter_reports
from bigfish.models import TLP, ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from bigfish.webhooks import allow_peer, guarded_request
from tests.api.helpers import TestClient
from tests.interop.builders import partnership
from tests.interop.servers import FakeTaxii

REAL, FAKE = 8751, 8794


def _shared_objects(store: Store, tmp: Path) -> list[dict[str, Any]]:
    """TH-AOC's partnership reports as its node serves them."""
    partnership(store, tmp)
    with store.connect() as conn:
        views = [v for v in iter_reports(conn, sa.true()) if v.report_id.startswith("shared")]
    return [o for o in stix_objects(views) if o["type"] != "extension-definition"]


def _forged(objects: list[dict[str, Any]], org: str, report_id: str) -> dict[str, Any]:
    """A copy of the first report of OBJECTS, claimed for ORG's REPORT_ID, newer and CLEAR."""
    report = copy.deepcopy(next(o for o in objects if o["type"] == "report"))
    report["extensions"][REPORT_EXTENSION] |= {"org": org, "report_id": report_id}
    report["modified"] = "2030-06-01T00:00:00.000Z"
    report["description"] = "FORGED"
    report["object_marking_refs"] = [TLP2_IDS[TLP.CLEAR]]
    return report


def _narratives(store: Store) -> dict[tuple[str, str], str | None]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id, reports.c.narrative).join(
                organizations, organizations.c.id == reports.c.org_id
            )
        ).all()
    return {(r.name, r.report_id): r.narrative for r in rows}


def test_a_peer_cannot_forge_or_overwrite_reports_of_another_nodes_organizations(
    sqlite_store: Store, tmp_path: Path
) -> None:
    objects = _shared_objects(sqlite_store, tmp_path)
    forged = [
        _forged(objects, "TH-AOC", "shared-0")
        | {"id": next(o["id"] for o in objects if o["type"] == "report")},
        _forged(objects, "TH-AOC", "invented-1")
        | {"id": "report--00000000-0000-4000-8000-000000000001"},
        _forged(objects, "LOCAL", "invented-2")
        | {"id": "report--00000000-0000-4000-8000-000000000002"},
        _forged(objects, "NEW-ORG", "new-1")
        | {"id": "report--00000000-0000-4000-8000-000000000003"},
    ]
    peer = FakeTaxii({REAL: objects, FAKE: forged})
    node = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    add_org(node, "LOCAL", country="TH")  # one of the pulling node's own organizations
    for port in (REAL, FAKE):
        allow_peer(node, f"http://127.0.0.1:{port}")
    first = pull(node, f"http://127.0.0.1:{REAL}/taxii2/", "k", transport=peer)
    assert (first.new, first.rejected) == (2, 0)
    before = _narratives(node)

    attack = pull(node, f"http://127.0.0.1:{FAKE}/taxii2/", "k", transport=peer)
    assert attack.received == attack.stored + attack.rejected == 4
    assert (attack.rejected, attack.new, attack.updated, attack.unchanged) == (3, 1, 0, 0)
    reasons = dict(rejections(node, attack.run_id))
    assert reasons[forged[0]["id"]] == (
        f"org: TH-AOC is hosted on http://127.0.0.1:{REAL}, not on the node that sent this report"
    )
    assert "TH-AOC is hosted on" in reasons[forged[1]["id"]]
    assert reasons[forged[2]["id"]].startswith("org: LOCAL is hosted on this node")
    after = _narratives(node)
    assert {k: v for k, v in after.items() if k[0] != "NEW-ORG"} == before  # nothing changed
    assert after[("NEW-ORG", "new-1")] == "FORGED"  # a new organization: the peer's from now on
    with node.connect() as conn:
        home = conn.execute(
            sa.select(organizations.c.node).where(organizations.c.name == "NEW-ORG")
        ).scalar_one()
    assert home == f"http://127.0.0.1:{FAKE}/taxii2/"

    again = pull(node, f"http://127.0.0.1:{REAL}/taxii2/", "k", transport=peer)
    assert (again.rejected, again.updated) == (0, 0)  # the real node still speaks for TH-AOC


def test_a_peer_that_answers_the_same_page_for_ever_fails_the_pull(
    sqlite_store: Store, tmp_path: Path
) -> None:
    peer = FakeTaxii({FAKE: _shared_objects(sqlite_store, tmp_path)}, looping=True)
    node = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    allow_peer(node, f"http://127.0.0.1:{FAKE}")
    with pytest.raises(PeerError, match=r"the same page again .* would never end"):
        pull(node, f"http://127.0.0.1:{FAKE}/taxii2/", "k", transport=peer)
    assert len(peer.seen) < 10


def test_the_peer_key_is_not_sent_on_to_another_origin_after_a_redirect(tmp_path: Path) -> None:
    peer = FakeTaxii({8793: []}, redirects={8792: "http://127.0.0.1:8793/taxii2/"})
    node = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    for port in (8792, 8793):
        allow_peer(node, f"http://127.0.0.1:{port}")
    pull(node, "http://127.0.0.1:8792/taxii2/", "bf_secret", transport=peer)
    sent = {(r.url.port, "authorization" in r.headers) for r in peer.seen}
    assert sent == {(8792, True), (8793, False)}

    seen: list[httpx.Request] = []

    def downgrade(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.scheme == "https" and request.url.path == "/start":
            return httpx.Response(302, headers={"Location": "/same-origin"})
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://peer.example/plain"})
        return httpx.Response(200, json={})

    guarded_request(
        "GET",
        "https://peer.example/start",
        [],
        headers={"Authorization": "Basic c3luYzpiZl9zZWNyZXQ=", "Accept": "x"},
        transport=httpx.MockTransport(downgrade),
        resolver=lambda host, port: ["93.184.216.34"],
    )
    assert [("authorization" in r.headers, "accept" in r.headers) for r in seen] == [
        (True, True),  # https://peer.example/start
        (True, True),  # https://peer.example/same-origin: the same origin keeps it
        (False, True),  # http://peer.example/plain: https → http drops it
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "pull", "http://127.0.0.1:99999/", "--key", "bf_k"],
        ["sync", "pull", "http://[::1/", "--key", "bf_k"],
        ["sync", "allow", "http://[::1"],
    ],
)
def test_malformed_peer_urls_are_errors_naming_the_url(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'n.db'}", *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: field 'url': ") and args[2] in result.output
    assert "bf_k" not in result.output


@pytest.mark.parametrize(
    "url", ["https://peer.example:8443@127.0.0.1/", "https://ops:s3cret-pass@peer.example/taxii2/"]
)
def test_a_peer_url_carrying_a_password_is_refused_without_showing_it(
    tmp_path: Path, url: str
) -> None:
    """A key put in the peer URL (userinfo) went into every message naming the URL (`URL
    answered 503`), the run's row and the saved positions (helper-94). Refused before anything
    is sent, naming the field, not the URL."""
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'n.db'}", "sync", "pull", url, "--key", "bf_k"]
    )
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: field 'url': the peer URL carries a user name")
    assert "s3cret" not in result.output and "8443" not in result.output


def test_a_next_token_with_a_huge_number_is_a_bad_request(
    sqlite_store: Store, tmp_path: Path
) -> None:
    partnership(sqlite_store, tmp_path)
    key = create_key(sqlite_store, org="VN-POLICE", role=ApiRole.SYNC).secret
    client = TestClient(create_app(sqlite_store, ApiSettings(rate_limit_per_minute=0)))
    headers = {"Authorization": f"Bearer {key}"}
    [collection, *_] = client.get("/taxii2/api/collections/", headers=headers).json()["collections"]
    for raw in (b"[1e999, 0]", b"[1e300, 0]", b"[-1, 0]"):
        token = base64.urlsafe_b64encode(raw).decode()
        answer = client.get(
            f"/taxii2/api/collections/{collection['id']}/objects/",
            params={"next": token},
            headers=headers,
        )
        assert answer.status_code == 400, answer.text
        assert "not a valid next token" in answer.text


def test_an_echo_of_this_nodes_own_reports_is_held_and_a_newer_one_refused(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two nodes that sync both ways serve each other's reports back: the version held here is
    counted unchanged (not a rejection on every pull); a newer one is a forgery, refused."""
    own = _shared_objects(sqlite_store, tmp_path)  # TH-AOC is this node's own organization
    forged = [_forged(own, "TH-AOC", "shared-0")]
    peer = FakeTaxii({REAL: own, FAKE: forged})
    for port in (REAL, FAKE):
        allow_peer(sqlite_store, f"http://127.0.0.1:{port}")
    before = _narratives(sqlite_store)
    echo = pull(sqlite_store, f"http://127.0.0.1:{REAL}/taxii2/", "k", transport=peer)
    reports_served = sum(1 for o in own if o["type"] == "report")
    assert (echo.rejected, echo.new, echo.updated, echo.unchanged) == (0, 0, 0, reports_served)
    attack = pull(sqlite_store, f"http://127.0.0.1:{FAKE}/taxii2/", "k", transport=peer)
    assert (attack.rejected, attack.unchanged) == (1, 0)
    [(_, reason)] = rejections(sqlite_store, attack.run_id)
    assert reason.startswith("org: TH-AOC is hosted on this node")
    assert _narratives(sqlite_store) == before
