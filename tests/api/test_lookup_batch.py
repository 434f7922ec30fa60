"""`POST /api/v1/lookup` answers every identifier exactly as `GET /api/v1/lookup` answers it alone,
and exactly as the route did when it returned `LookupAnswer` models for FastAPI to serialize:
visible, hidden by the policy, unknown, invalid and repeated values of several kinds, on each
backend, for readers of every organization. Its audit row and its errors are those of any call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import TypeAdapter

from bigfish.accounts import authenticate_key
from bigfish.api.routes.lookup import answer
from bigfish.api.schemas import LookupAnswer
from bigfish.linking.service import rebuild_networks
from bigfish.lookup import LookupQuery, lookup_many
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, last_audit_row, report

LOOKUP = "/api/v1/lookup"
READERS = ("A", "B", "C", "A-readonly", "root")

#: Visible to some readers, hidden from others, unknown, invalid; some twice, some written
#: differently but with the same canonical value.
IDENTIFIERS: list[dict[str, str]] = [
    {"kind": "phone", "value": "+66812345678"},
    {"kind": "phone", "value": "081 234 5678", "country": "TH"},
    {"kind": "phone", "value": "+66811111111"},
    {"kind": "phone", "value": "+66822222222"},
    {"kind": "phone", "value": "+66833333333"},
    {"kind": "phone", "value": "+66899999999"},
    {"kind": "phone", "value": "abc"},
    {"kind": "phone", "value": "12"},
    {"kind": "phone", "value": "+66812345678"},
    {"kind": "url", "value": "https://pay.example.com/x"},
    {"kind": "url", "value": "nothing.example"},
    {"kind": "email", "value": "Someone@Example.com"},
    {"kind": "email", "value": "not an address"},
    {"kind": "bank_account", "value": "123-456-789", "country": "TH"},
    {"kind": "domain", "value": "example.com"},
    {"kind": "crypto_wallet", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
    {"kind": "phone", "value": "+66811111111"},
]


@pytest.fixture
def node(store: Store) -> Iterator[Partnership]:
    """Reports of A, B and C under every marking, linked into networks."""
    for partnership in build_partnership(store):
        submit = partnership.submit
        submit("A", [report("a1")], distribution="group", group="mekong")
        submit("A", [report("a2", phone="+66811111111")])
        submit("A", [report("a3", phone="+66811111111", urls=["https://pay.example.com/x"])])
        submit("B", [report("b1", phone="+66811111111")], distribution="partnership")
        submit("A", [report("a4", phone="+66822222222")], tlp="red", distribution="partnership")
        submit(
            "C",
            [report("c1", phone="+66833333333", emails=["someone@example.com"], country="KH")],
            distribution="partnership",
            tlp="green",
        )
        submit("C", [report("c2", phone="+66833333333")], distribution="group", group="mekong")
        rebuild_networks(store)
        yield partnership


def _batch(p: Partnership, who: str, items: list[dict[str, str]]) -> bytes:
    response = p.client.post(LOOKUP, json={"identifiers": items}, headers=p.headers(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.content


def _single(p: Partnership, who: str, item: dict[str, str]) -> bytes:
    response = p.client.get(LOOKUP, params=item, headers=p.headers(who))
    assert response.status_code == 200, response.text
    return response.content


def _as_models(p: Partnership, who: str, items: list[dict[str, str]]) -> bytes:
    """What the route sent when it returned `LookupAnswer`s: FastAPI's serialization of them."""
    with p.store.connect() as conn:
        caller = authenticate_key(conn, p.keys[who])
    assert caller is not None
    queries = [LookupQuery(i["kind"], i["value"], i.get("country")) for i in items]
    results = lookup_many(p.store, caller.viewer(), queries)
    return TypeAdapter(list[LookupAnswer]).dump_json([answer(r) for r in results])


def test_every_answer_is_the_single_lookups(node: Partnership) -> None:
    counted, networks = set(), set()
    for who in READERS:
        batch = _batch(node, who, IDENTIFIERS)
        singles = [_single(node, who, item) for item in IDENTIFIERS]
        assert batch == b"[" + b",".join(singles) + b"]", who
        assert batch == _as_models(node, who, IDENTIFIERS), who
        answers = TypeAdapter(list[LookupAnswer]).validate_json(batch)
        counted.update((who, i, a.report_count) for i, a in enumerate(answers))
        networks.update((who, i) for i, a in enumerate(answers) if a.networks)
    # The policy applied: A sees the three reports of +66811111111 and B only its own; B does
    # not see A's red report; C sees both of its own, B only the one shared with everybody.
    assert {("A", 2, 3), ("B", 2, 1), ("B", 3, 0), ("A", 3, 1), ("C", 4, 2), ("B", 4, 1)} <= counted
    assert ("A", 2) in networks


def test_an_answer_counts_what_the_reader_sees(node: Partnership) -> None:
    """One answer in full, aggregated over two organizations, countries and reports."""
    answers = TypeAdapter(list[LookupAnswer]).validate_json(_batch(node, "A", IDENTIFIERS[2:5]))
    both, red, partner = answers
    assert (both.report_count, both.organizations, both.countries) == (3, ["A", "B"], ["TH"])
    assert both.first_seen == both.last_seen and both.first_seen is not None
    assert both.first_seen.utcoffset() is not None and len(both.networks) == 1
    assert (red.report_count, red.organizations) == (1, ["A"])
    # C shares one report with everybody and one with its group, which A is in.
    assert (partner.report_count, partner.organizations) == (2, ["C"])
    assert partner.countries == ["KH", "TH"]


def test_a_large_batch_with_repeats_is_answered_in_order(node: Partnership) -> None:
    items = [IDENTIFIERS[(i * 7) % len(IDENTIFIERS)] for i in range(1_200)]
    for who in ("A", "B"):
        batch = _batch(node, who, items)
        singles = {i: _single(node, who, item) for i, item in enumerate(IDENTIFIERS)}
        expected = [singles[(i * 7) % len(IDENTIFIERS)] for i in range(1_200)]
        assert batch == b"[" + b",".join(expected) + b"]", who


def test_an_empty_batch_answers_an_empty_list(node: Partnership) -> None:
    assert _batch(node, "A", []) == b"[]"


def test_the_batch_is_audited_as_the_caller(node: Partnership) -> None:
    _batch(node, "C", IDENTIFIERS)
    actor, org, action, target, status = last_audit_row(node.store)
    assert (org, action, target, status) == ("C", "POST /api/v1/lookup", LOOKUP, 200)
    assert actor


def test_errors_name_the_identifier(node: Partnership) -> None:
    c, h = node.client, node.headers("A")
    country = c.post(
        LOOKUP,
        json={"identifiers": [IDENTIFIERS[0], {"kind": "phone", "value": "1", "country": "1x"}]},
        headers=h,
    )
    assert country.status_code == 422
    assert country.json()["error"]["details"]["field"] == "identifiers[1].country"
    kind = c.post(LOOKUP, json={"identifiers": [{"kind": "fax", "value": "1"}]}, headers=h)
    assert kind.status_code == 422
    assert kind.json()["error"]["details"][0]["field"] == "identifiers.0.kind"
