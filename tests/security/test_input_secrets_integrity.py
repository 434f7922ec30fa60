"""Security classes 14, 16, 18, 19 and 23 of spec/security-tests.md."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from bigfish.alerts import send_webhooks
from bigfish.audit import AuditEntry, record, verify_audit
from bigfish.errors import PeerError
from bigfish.store import Store
from bigfish.store.schema import identifiers, organizations, reports, sharing_groups
from bigfish.store.schema_access import audit_log, webhooks
from bigfish.webhooks import allow_peer, check_outgoing_url, guarded_request
from tests.api.helpers import Partnership, report
from tests.webhook_capture import capture_webhooks


def test_class14_unknown_filter_and_sort_fields_get_400(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("A")
    unknown = c.get("/api/v1/reports", params={"colour": "red"}, headers=h)
    assert unknown.status_code == 400 and unknown.json()["error"]["details"]["field"] == "colour"
    bad_sort = c.get("/api/v1/reports", params={"sort": "narrative; DROP TABLE reports"}, headers=h)
    assert bad_sort.status_code == 400 and bad_sort.json()["error"]["details"]["field"] == "sort"
    bad_cursor = c.get("/api/v1/reports", params={"cursor": "' OR 1=1 --"}, headers=h)
    assert bad_cursor.status_code == 400


def test_class14_user_text_is_only_a_bound_parameter(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1")])
    c, h = partnership.client, partnership.headers("A")
    for value in ("' OR '1'='1", "x'); DROP TABLE reports; --", "%", "_"):
        got = c.get("/api/v1/lookup", params={"kind": "domain", "value": value}, headers=h)
        assert got.status_code == 200 and got.json()["report_count"] == 0
        listed = c.get("/api/v1/reports", params={"org": value, "scam_type": value}, headers=h)
        assert listed.status_code == 200 and listed.json()["reports"] == []
    with partnership.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() == 1


def _resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return lambda host, port: table[host]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost.test/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10:8080/",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "https://rebind.test/",
    ],
)
def test_class16_outgoing_calls_refuse_internal_addresses(url: str) -> None:
    resolver = _resolver(
        {"localhost.test": ["127.0.0.1"], "rebind.test": ["93.184.216.34", "10.0.0.1"]}
    )
    with pytest.raises(PeerError, match="internal address"):
        check_outgoing_url(url, [], resolver)


def test_class16_only_the_exact_allowed_peer_passes() -> None:
    resolver = _resolver({"taxii.internal": ["10.0.0.7"]})
    target = check_outgoing_url(
        "https://taxii.internal/taxii2/", ["https://taxii.internal:443"], resolver
    )
    assert target.addresses == ("10.0.0.7",)
    with pytest.raises(PeerError):
        check_outgoing_url("https://taxii.internal:8443/", ["https://taxii.internal:443"], resolver)
    with pytest.raises(PeerError):
        check_outgoing_url("http://taxii.internal/", ["https://taxii.internal"], resolver)
    public = check_outgoing_url(
        "https://partner.example/x", [], _resolver({"partner.example": ["93.184.216.34"]})
    )
    assert public.origin == "https://partner.example:443"


def test_class16_redirects_to_internal_addresses_are_refused() -> None:
    resolver = _resolver({"partner.example": ["93.184.216.34"], "inside.example": ["192.168.1.1"]})
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://inside.example/admin"})

    with pytest.raises(PeerError, match="internal address"):
        guarded_request(
            "GET",
            "http://partner.example/",
            [],
            transport=httpx.MockTransport(handler),
            resolver=resolver,
        )
    assert seen == ["http://93.184.216.34/"]  # connected to the checked address, never inside


def test_class18_secrets_never_in_errors_logs_or_audit(
    partnership: Partnership, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = partnership.client
    secret = partnership.keys["A"]
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    bodies = [
        c.get("/api/v1/reports", headers={"Authorization": f"Bearer {wrong}"}).text,
        c.get("/api/v1/reports", headers={"Authorization": f"Basic {wrong}"}).text,
        c.post(
            "/api/v1/lookup",
            json={"identifiers": [{"kind": secret, "value": secret}]},
            headers=partnership.headers("A"),
        ).text,
        c.get("/api/v1/keys", headers=partnership.headers("A-admin")).text,
        c.get("/api/v1/groups", headers=partnership.headers("A")).text,
        # A key pasted into a URL is refused, and not kept in the audit log either.
        c.get("/api/v1/evidence", params={"api_key": secret}).text,
        c.get("/api/v1/reports", params={"q": wrong, "Token": secret}).text,
    ]
    created = c.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example/x"},
        headers=partnership.headers("A-admin"),
    ).json()
    bodies.append(c.get("/api/v1/webhooks", headers=partnership.headers("A-admin")).text)
    with partnership.store.connect() as conn:
        community = conn.execute(sa.select(sharing_groups.c.community_key)).scalar_one()
        audit_text = json.dumps(
            [list(r) for r in conn.execute(sa.select(audit_log)).all()], default=str
        )
    # The server's logs (the test client's httpx logs the URLs it was asked to send).
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("httpx")
    )
    for text in [*bodies, audit_text, logged]:
        for hidden in (secret, wrong, created["secret"], community, *partnership.keys.values()):
            assert hidden not in text
    assert "bf_" not in bodies[2]  # the key echoed as a value is not echoed back


def test_class18_webhook_failures_log_no_secret(
    partnership: Partnership, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    written = partnership.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/x"},
        headers=partnership.headers("B-admin"),
    )
    assert written.status_code == 422  # an internal address is refused when registered
    assert written.json()["error"]["details"]["field"] == "url"
    # A name can resolve to one later: delivery checks again (stored as registered by name).
    with partnership.store.begin() as conn:
        org_b = conn.execute(sa.select(organizations.c.id).where(organizations.c.name == "B"))
        conn.execute(
            webhooks.insert().values(
                org_id=org_b.scalar_one(),
                url="http://127.0.0.1:9/x",
                secret="s3cret-" + "9" * 40,
                created_at=datetime.now(UTC),
            )
        )
    hook = {"secret": "s3cret-" + "9" * 40}
    partnership.submit("B", [report("b1")])
    result = partnership.submit("A", [report("r1")], distribution="partnership", tlp="green")
    assert result["stored"] == 1
    with partnership.store.connect() as conn:
        pk = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "r1")).scalar_one()
    assert send_webhooks(partnership.store, [pk]) == 0  # loopback refused
    assert "refused" in caplog.text and hook["secret"] not in caplog.text
    allow_peer(partnership.store, "http://127.0.0.1:9")  # an administrator's decision
    again = partnership.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/x"},
        headers=partnership.headers("B-admin"),
    )
    assert again.status_code == 201, again.text


def test_webhook_is_signed_and_reaches_a_public_peer(partnership: Partnership) -> None:
    hook = partnership.client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example/b"},
        headers=partnership.headers("B-admin"),
    ).json()
    partnership.submit("B", [report("b1")])
    partnership.submit("A", [report("r1")], distribution="partnership", tlp="green")
    with partnership.store.connect() as conn:
        pk = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "r1")).scalar_one()
    captured = capture_webhooks(partnership.store, [pk])
    assert captured.delivered == 1
    request = captured.requests[0]
    import hashlib
    import hmac

    timestamp = request.headers["X-Bigfish-Timestamp"]
    expected = hmac.new(
        hook["secret"].encode(), timestamp.encode() + b"." + request.content, hashlib.sha256
    ).hexdigest()
    assert request.headers["X-Bigfish-Signature"] == "sha256=" + expected
    assert json.loads(request.content)["alerts"][0]["report"]["report_id"] == "r1"
    assert request.headers["Host"] == "hooks.example"


def _entries(n: int) -> list[AuditEntry]:
    return [
        AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)
        for i in range(n)
    ]


@pytest.mark.parametrize("tamper", ["change", "delete_middle", "delete_last", "insert", "reorder"])
def test_class19_audit_log_tampering_is_detected(store: Store, tamper: str) -> None:
    record(store, _entries(5))
    record(store, _entries(3))
    assert verify_audit(store).ok and verify_audit(store).rows == 8
    with store.begin() as conn:
        if tamper == "change":
            conn.execute(audit_log.update().where(audit_log.c.seq == 4).values(status=403))
        elif tamper == "delete_middle":
            conn.execute(audit_log.delete().where(audit_log.c.seq == 4))
        elif tamper == "delete_last":
            conn.execute(audit_log.delete().where(audit_log.c.seq == 8))
        elif tamper == "insert":
            row = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 8)).one()._asdict()
            conn.execute(audit_log.insert().values(row | {"seq": 9, "actor": "key:99"}))
        else:
            three = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 3)).one()._asdict()
            five = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 5)).one()._asdict()
            conn.execute(audit_log.delete().where(audit_log.c.seq.in_([3, 5])))
            conn.execute(audit_log.insert(), [three | {"seq": 5}, five | {"seq": 3}])
    check = verify_audit(store)
    assert not check.ok and check.reason
    assert check.broken_seq in {3, 4, 5, 8, 9}


def test_class19_every_api_request_is_audited(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1")])
    partnership.client.get("/api/v1/reports/A/r1", headers=partnership.headers("B"))
    partnership.client.get("/api/v1/health")
    with partnership.store.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
    assert [(r.actor.split(":")[0], r.org, r.action, r.status) for r in rows] == [
        ("key", "A", "POST /api/v1/reports", 200),
        ("key", "B", "GET /api/v1/reports/A/r1", 404),
    ]
    assert verify_audit(partnership.store).ok


def test_class23_every_report_of_a_batch_is_accounted_for(partnership: Partnership) -> None:
    batch = [
        report("r1"),
        report("r2", country="ZZ"),
        report("r1"),
        {"report_id": "r4"},
        "not an object",
        report("r6", tlp="red"),
        report("r7", reported_at="yesterday"),
        report("r8"),
    ]
    answer = partnership.submit("A", batch)
    assert (
        answer["received"]
        == len(batch)
        == answer["stored"] + answer["updated"] + len(answer["rejected"])
    )
    assert answer["stored"] == 2
    assert sorted(r["index"] for r in answer["rejected"]) == [1, 2, 3, 4, 5, 6]
    assert all(r["reason"] for r in answer["rejected"])
    again = partnership.submit("A", [report("r1"), report("r8")])
    assert (again["stored"], again["updated"], again["rejected"]) == (0, 2, [])
    with partnership.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(identifiers)).scalar_one() == 1


def test_class18_credentials_in_a_query_string_are_redacted() -> None:
    from bigfish.audit import redacted_query

    assert redacted_query("country=TH&api_key=bf_x&limit=5") == (
        "country=TH&api_key=[redacted]&limit=5"
    )
    assert redacted_query("q=bf_abc&Password=hunter2&x") == "q=[redacted]&Password=[redacted]&x"
    assert redacted_query("next=%2Fnetworks%3Fa%3D1") == "next=%2Fnetworks%3Fa%3D1"
