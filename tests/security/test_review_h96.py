"""helper-96's review of the privacy-sensitive answer paths (lookup, match, public check, similar,
audit): what a batch lookup asked about is in the audit log as a single lookup's value is, keys
pasted anywhere into a query string stay out of the log, and a community key stays out of reprs
(security class 18)."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from bigfish.api.routes.lookup import BATCH_AUDIT_ACTION
from bigfish.audit import TARGET_WIDTH, verify_audit
from bigfish.matching import GroupKey, community_key, refresh_blind_index
from bigfish.store import Store
from bigfish.store.schema_access import audit_log
from tests.api.helpers import Partnership, last_audit_row, report

HIDDEN = "+66811110001"  # in A's own report: B may not see it
NOWHERE = "+66811110003"


def _rows(store: Store, action: str) -> list[tuple[str, str | None, str, int]]:
    with store.connect() as conn:
        found = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.org, audit_log.c.target, audit_log.c.status)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.seq)
        ).all()
    return [tuple(r) for r in found]  # type: ignore[misc]


def _looked_up(store: Store) -> list[list[object]]:
    items: list[list[object]] = []
    for _, _, target, _ in _rows(store, BATCH_AUDIT_ACTION):
        assert len(target) <= TARGET_WIDTH
        items.extend(json.loads(target))  # every row is whole JSON, never cut mid-way
    return items


def test_a_batch_lookup_is_audited_with_what_it_looked_up(partnership: Partnership) -> None:
    """A single lookup's audit row holds the value asked about; a batch's held only the path,
    so a batch of one was a lookup nobody could trace. Now every identifier of a batch is
    recorded (index, kind, canonical form) by the caller's key, before the request's row."""
    p = partnership
    p.submit("A", [report("a1", phone=HIDDEN)])
    body = {
        "identifiers": [
            {"kind": "phone", "value": "081 111 0001", "country": "TH"},
            {"kind": "phone", "value": NOWHERE},
            {"kind": "email", "value": "Someone@Example.COM"},
            {"kind": "phone", "value": "12"},  # not a valid number: recorded as read
        ]
    }
    answer = p.client.post("/api/v1/lookup", json=body, headers=p.headers("B"))
    assert answer.status_code == 200, answer.text
    assert [a["report_count"] for a in answer.json()] == [0, 0, 0, 0]
    rows = _rows(p.store, BATCH_AUDIT_ACTION)
    assert {(actor, org, status) for actor, org, _, status in rows} == {
        (last_audit_row(p.store)[0], "B", 200)
    }
    looked_up = _looked_up(p.store)
    assert looked_up[:3] == [
        [0, "phone", HIDDEN],
        [1, "phone", NOWHERE],
        [2, "email", "someone@example.com"],
    ]
    assert [item[0] for item in looked_up] == [0, 1, 2, 3]
    # The request's own row comes after: it is written when the answer starts.
    assert last_audit_row(p.store)[2:] == ("POST /api/v1/lookup", "/api/v1/lookup", 200)
    assert verify_audit(p.store).ok


def test_every_value_of_a_large_batch_is_recorded_in_rows_of_whole_json(
    partnership: Partnership,
) -> None:
    p = partnership
    long_path = "x" * 1500  # one canonical URL wider than a row: cut, still JSON
    values = [f"+668{n:08d}" for n in range(2000)]
    body = {
        "identifiers": [{"kind": "phone", "value": v} for v in values]
        + [{"kind": "url", "value": f"https://scam.example/{long_path}"}]
        + [{"kind": "url", "value": "https://scam.example/\u0e01\u0e02"}]
    }
    answer = p.client.post("/api/v1/lookup", json=body, headers=p.headers("C"))
    assert answer.status_code == 200, answer.text
    looked_up = _looked_up(p.store)
    assert [item[0] for item in looked_up] == list(range(len(values) + 2))
    assert [item[2] for item in looked_up[: len(values)]] == values
    cut = str(looked_up[len(values)][2])
    assert cut.startswith(answer.json()[len(values)]["canonical"][:100]) and cut.endswith("…")
    assert looked_up[-1][2] == answer.json()[-1]["canonical"]
    assert len(_rows(p.store, BATCH_AUDIT_ACTION)) < len(values) // 10  # many to a row
    assert verify_audit(p.store).ok


def test_a_refused_batch_records_no_lookup(partnership: Partnership) -> None:
    p = partnership
    body = {"identifiers": [{"kind": "phone", "value": NOWHERE}, {"kind": "fax", "value": "1"}]}
    answer = p.client.post("/api/v1/lookup", json=body, headers=p.headers("B"))
    assert answer.status_code in (400, 422)
    assert _rows(p.store, BATCH_AUDIT_ACTION) == []


KEY_SHAPED = "bf_" + "Q" * 43  # shaped as a key, whether or not one is issued


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "handle", "value": f"Bearer {KEY_SHAPED}"},
        {"kind": "handle", "value": f"Authorization: Bearer {KEY_SHAPED}"},
        {"kind": "phone", "value": "1", "authorization": f"Bearer {KEY_SHAPED}"},
        {"kind": "phone", "value": "1", "X-Api-Key": "Q" * 40},  # a name, whatever the value
        {"kind": "phone", "value": "1", "access-token": "Q" * 40},
    ],
)
def test_a_key_anywhere_in_a_query_string_stays_out_of_the_audit_log(
    partnership: Partnership, query: dict[str, str]
) -> None:
    """Only values starting with `bf_` and a few parameter names were redacted: "Bearer bf_…"
    pasted into a value, or a header's name as a parameter, went into the append-only log."""
    p = partnership
    answer = p.client.get("/api/v1/lookup", params=query, headers=p.headers("A"))
    assert answer.status_code in (200, 400, 422)
    target = last_audit_row(p.store)[3]
    assert target.startswith("/api/v1/lookup?") and "[redacted]" in target
    assert "Q" * 16 not in target


def test_a_key_given_as_the_whole_query_string_stays_out_of_the_audit_log(
    partnership: Partnership,
) -> None:
    p = partnership
    p.client.get(f"/api/v1/lookup?{KEY_SHAPED}", headers=p.headers("A"))
    assert last_audit_row(p.store)[3] == "/api/v1/lookup?[redacted]"


def test_a_community_key_is_never_in_a_repr_or_a_log(
    partnership: Partnership, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = community_key(partnership.store, "mekong")
    shown = repr(key) + str(key) + repr([key])
    assert key.key.hex() not in shown and repr(key.key) not in shown
    assert shown.startswith(f"GroupKey(group_id={key.group_id}")
    assert GroupKey(key.group_id, key.key) == key  # still compared by its key
    with partnership.store.begin() as conn:
        refresh_blind_index(conn, key)
    assert key.key.hex() not in caplog.text


def test_a_match_records_the_values_that_matched_and_never_the_others(
    partnership: Partnership,
) -> None:
    """POST /api/v1/match left only its path in the log: which reported values a caller learnt
    of was untraceable. The matches are recorded (index in the request, blinded value); the
    values that matched nothing are not kept, since the node holds the key that undoes them."""
    from bigfish.api.routes.match import MATCH_AUDIT_ACTION
    from bigfish.identifiers import blind

    p = partnership
    p.submit("A", [report("a1", phone=HIDDEN)], distribution="group", group="mekong")
    key = community_key(p.store, "mekong").key
    hit, miss = blind(key, "phone", HIDDEN), blind(key, "phone", NOWHERE)
    body = {"blinded": [miss, hit.upper(), hit], "group": "mekong"}
    answer = p.client.post("/api/v1/match", json=body, headers=p.headers("C"))
    assert answer.json() == {"matches": [{"blinded": hit, "report_count": 1}]}
    rows = _rows(p.store, MATCH_AUDIT_ACTION)
    assert [(org, json.loads(target)) for _, org, target, _ in rows] == [
        ("C", [[1, "blinded", hit]])
    ]
    with p.store.connect() as conn:
        targets = conn.execute(sa.select(audit_log.c.target)).scalars().all()
    assert not any(miss in (t or "") for t in targets)
    nothing = p.client.post("/api/v1/match", json={"blinded": [miss]}, headers=p.headers("B"))
    assert nothing.json() == {"matches": []}
    assert len(_rows(p.store, MATCH_AUDIT_ACTION)) == 1


@pytest.mark.parametrize("value", ['"' * 1990, "\x01" * 1990, "\\" * 1990, "x\ud800" * 900])
def test_a_value_of_escapes_is_cut_to_a_row_of_whole_json_that_a_database_stores(
    value: str,
) -> None:
    """A value whose JSON escapes take several characters each is cut to the longest start
    that fits a row (found by halving, not a character at a time), and a lone surrogate stays
    as its escape (neither database stores it as text)."""
    from bigfish.audit import listed_entries

    [entry] = listed_entries("key:1", "A", BATCH_AUDIT_ACTION, [(9999, "handle", value)], 200)
    assert entry.target is not None and TARGET_WIDTH - 12 <= len(entry.target) <= TARGET_WIDTH
    [[index, kind, cut]] = json.loads(entry.target)
    assert (index, kind) == (9999, "handle") and cut.endswith("…")
    entry.target.encode("utf-8")  # no lone surrogate left
