"""A hostile or broken peer, over a real socket: nothing it answers a `sync pull` with exhausts the
node's memory, holds the pull for ever or ends the `--every` schedule; each failure is a
PeerError that names the peer and what was wrong."""

from __future__ import annotations

import json
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.errors import PeerError, StoreError
from bigfish.interop import sync, sync_pages
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.interop.sync import SyncResult, pull, pull_every
from bigfish.store import Store, open_store
from bigfish.store.schema import reports
from bigfish.store.schema_interop import sync_state
from bigfish.webhooks import allow_peer
from tests.interop.hostile import Answer, HostilePeer, hostile_peer, json_answer

MiB = 1024 * 1024
#: What an endless peer gives up after (so that an unbounded client fails instead of hanging).
PEER_GIVES_UP = 64 * MiB


@pytest.fixture
def node(migrated_sqlite: Callable[[str], str]) -> Iterator[Store]:
    """The pulling node."""
    store = open_store(migrated_sqlite("node.db"))
    yield store
    store.close()


def _report(n: int, **extension: object) -> dict[str, object]:
    """A bigfish report object a peer serves, with EXTENSION's fields in its extension."""
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--6a1b6c80-6f7e-4a5e-9a55-{n:012d}",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": "2025-11-01T00:00:00.000Z",
        "name": f"report {n}",
        "published": "2025-11-01T00:00:00.000Z",
        "object_refs": [],
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "org": "PEER",
                "report_id": f"r{n}",
                "country": "TH",
                "identifiers": [{"kind": "phone", "value": "+66812345678"}],
            }
            | extension
        },
    }


def _pull(store: Store, peer: HostilePeer) -> SyncResult:
    allow_peer(store, peer.base, "hostile peer on loopback")
    return pull(store, f"{peer.base}/taxii2/", "key")


def _endless_chunks(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
    """A chunked body that never ends: an objects list, object after object."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    first = b'{"more": false, "objects": ['
    peer.send(conn, b"%x\r\n%s\r\n" % (len(first), first))
    item = b'{"type": "report", "id": "report--0"},' * 1000
    chunk = b"%x\r\n%s\r\n" % (len(item), item)
    while peer.sent < PEER_GIVES_UP:
        peer.send(conn, chunk)
    peer.send(conn, b"0\r\n\r\n")


def test_an_endless_body_ends_the_pull_at_the_limit(
    node: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_pages, "MAX_RESPONSE_BYTES", 1 * MiB)
    with hostile_peer(_endless_chunks) as peer:
        with pytest.raises(PeerError, match=r"127\.0\.0\.1:\d+.* more than 1048576 bytes"):
            _pull(node, peer)
        time.sleep(0.2)  # the peer notices the hang-up
        # asked for a tenth as many objects each time, down to one: four answers cut off
        assert [q["limit"] for q in peer.objects_requests] == ["1000", "100", "10", "1"]
        assert peer.sent < 4 * 8 * MiB  # not 4 x the 64 MiB the peer had for us


def _large_objects(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
    """250 objects of 5 kB each, as many as asked for a page."""
    start, limit = int(query.get("next", "0")), int(query["limit"])
    end = min(start + limit, 250)
    body: dict[str, object] = {"more": end < 250, "next": str(end)}
    body["objects"] = [_report(n) | {"description": "x" * 5000} for n in range(start, end)]
    conn.sendall(json_answer(body))


def test_pages_too_long_for_the_limit_are_asked_for_in_fewer_objects(
    node: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large objects from an honest peer are not refused: smaller pages, all of them read."""
    monkeypatch.setattr(sync_pages, "MAX_RESPONSE_BYTES", 1 * MiB)
    with hostile_peer(_large_objects) as peer:
        result = _pull(node, peer)
        assert [q["limit"] for q in peer.objects_requests] == ["1000", "100", "100", "100"]
    assert result.received == result.stored == 250


def _declared_huge(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
    """A Content-Length of 10 GB, and as much of it as the client takes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")
    chunk = b" " * 65536
    while peer.sent < PEER_GIVES_UP:
        peer.send(conn, chunk)


def test_a_declared_huge_body_is_refused_before_it_is_read(
    node: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_pages, "MAX_RESPONSE_BYTES", 1 * MiB)
    with hostile_peer(_declared_huge) as peer:
        with pytest.raises(PeerError, match="more than 1048576 bytes"):
            _pull(node, peer)
        time.sleep(0.2)
        assert len(peer.objects_requests) == 4  # 1000, 100, 10 and 1 objects
        assert peer.sent < 4 * 8 * MiB  # what the sockets' buffers took, not 4 x 64 MiB


def _nested(depth: int) -> bytes:
    return b'{"more": false, "objects": [{"type": "report", "x": ' + b"[" * depth + b"]" * depth


def test_a_body_nested_100000_deep_is_a_peer_error_not_a_crash(node: Store) -> None:
    deep = _nested(100_000) + b"}]}"
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(deep))) as peer:
        with pytest.raises(PeerError, match=r"127\.0\.0\.1:\d+.*nested"):
            _pull(node, peer)


def test_a_nested_body_does_not_end_the_schedule(node: Store) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(deep))) as peer:
        allow_peer(node, peer.base)
        outcomes = list(
            pull_every(
                lambda: pull(node, f"{peer.base}/taxii2/", "key"),
                60,
                runs=2,
                sleep=lambda _: None,
            )
        )
    assert len(outcomes) == 2 and all(isinstance(o, PeerError) for o in outcomes)


def test_an_object_nested_just_below_the_parsers_limit_is_rejected_alone(node: Store) -> None:
    """A body the parser reads (900 deep) but that nothing after it could store or walk."""
    good = _report(1)
    deep = _report(2) | {"x_deep": "@@"}
    text = json.dumps({"more": False, "objects": [good, deep]}).encode()
    body = text.replace(b'"@@"', b"[" * 900 + b"]" * 900)
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        result = _pull(node, peer)
    assert result.received == result.stored + result.rejected == 2
    with node.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() >= 1


def _trickle(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
    """One byte of a header every 0.1 s, each well within any read timeout, for 4 s at most."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(40):
        if peer.stop.wait(0.1):
            return
        peer.send(conn, b"a")
    conn.sendall(b"\r\nContent-Length: 2\r\n\r\n{}")


def test_a_peer_answering_a_byte_at_a_time_cannot_hold_the_pull(
    node: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_pages, "REQUEST_DEADLINE", 1.0)
    with hostile_peer(_trickle) as peer:
        with pytest.raises(PeerError, match=r"127\.0\.0\.1:\d+.*1(\.0)? s"):
            _pull(node, peer)
        assert peer.sent < 40  # cut off before the peer was done


def _pages(*, objects: bool) -> Answer:
    def answer(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        n = len(peer.objects_requests)
        body: dict[str, object] = {"more": n < 60, "next": f"t{n}"}
        if objects:
            body["objects"] = [{"type": "report", "id": "report--x", "modified": f"{n}"}]
        conn.sendall(json_answer(body))

    return answer


def test_pages_that_never_end_end_the_pull(node: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new object and a new token on every page: the pull stops after MAX_PAGES."""
    monkeypatch.setattr(sync_pages, "MAX_PAGES", 20)
    with hostile_peer(_pages(objects=True)) as peer:
        with pytest.raises(PeerError, match="20 pages"):
            _pull(node, peer)
        assert len(peer.objects_requests) == 20
    # what was read is kept: the next pull goes on from the last token
    with node.connect() as conn:
        assert conn.execute(sa.select(sync_state.c.next_token)).scalar_one() == "t20"


def test_empty_pages_that_say_there_is_more_end_the_pull(node: Store) -> None:
    with hostile_peer(_pages(objects=False)) as peer:
        with pytest.raises(PeerError, match="10 pages in a row without objects"):
            _pull(node, peer)
        assert len(peer.objects_requests) == sync_pages.MAX_EMPTY_PAGES


def test_an_absurd_next_token_is_a_peer_error(store: Store) -> None:
    """A token the node cannot keep (sync_state.next_token holds 1000 characters): PostgreSQL
    refused it with an error that was not a PeerError, and ended the schedule."""
    body = {"more": True, "next": "t" * 5000, "objects": []}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        with pytest.raises(PeerError, match="next token"):
            _pull(store, peer)


def test_an_absurd_collection_id_is_a_peer_error(store: Store) -> None:
    """A collection id the node cannot keep its position under (sync_state.collection holds
    200 characters with the API root's URL)."""
    listing = [{"id": "c" * 300, "can_read": True}]
    answer = json_answer({"more": False})
    with hostile_peer(lambda q, conn, p: conn.sendall(answer), listing) as peer:
        with pytest.raises(PeerError, match="collection id"):
            _pull(store, peer)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"objects": [{"name": "\xff\xfe"}]}', "JSON"),
        (b'{"more": ' + b"9" * 5000 + b"}", "JSON"),
        (b'{"more": false, "objects": "' + b"x" * 100 + b'"}', "not a list"),
        (b"[1, 2]", "JSON object"),
    ],
    ids=["invalid UTF-8", "an integer of 5000 digits", "objects not a list", "not an object"],
)
def test_a_malformed_answer_is_a_peer_error(node: Store, body: bytes, why: str) -> None:
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        with pytest.raises(PeerError, match=why):
            _pull(node, peer)


def test_an_absurd_header_is_a_peer_error(node: Store) -> None:
    def answer(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: ")
        chunk = b"a" * 65536
        while peer.sent < PEER_GIVES_UP:
            peer.send(conn, chunk)

    with hostile_peer(answer) as peer:
        with pytest.raises(PeerError, match=r"127\.0\.0\.1"):
            _pull(node, peer)
        time.sleep(0.2)
        assert peer.sent < 16 * MiB  # what the socket buffers took, not 64 MiB


def test_infinite_and_huge_numbers_in_objects_are_rejected_not_a_crash(store: Store) -> None:
    objects = [
        _report(10 + i, loss_amount=v, loss_currency="USD") | {"x_number": v}
        for i, v in enumerate(["@inf", "@nan", "@big", "@neg"])
    ]
    text = json.dumps({"more": False, "objects": objects}).encode()
    for marker, number in (
        (b'"@inf"', b"1e999"),
        (b'"@nan"', b"NaN"),
        (b'"@big"', b"9" * 400),
        (b'"@neg"', b"-1e308"),
    ):
        text = text.replace(marker, number)
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(text))) as peer:
        result = _pull(store, peer)
    assert result.received == result.rejected == 4  # each refused, saying why
    reasons = [reason for _, reason in sync.rejections(store, result.run_id)]
    assert all(reason.startswith("loss_amount:") for reason in reasons), reasons


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("/taxii2/", {"api_roots": 5}, "api_roots that are not a list"),
        ("/taxii2/api/collections/", {"collections": 5}, "collections that are not a list"),
        ("/taxii2/", {"api_roots": ["/r"] * 101}, "not a list of at most 100"),
        (
            "/taxii2/api/collections/",
            {"collections": [{"id": f"c{n}", "can_read": True} for n in range(1001)]},
            "not a list of at most 1000",
        ),
    ],
    ids=["api_roots 5", "collections 5", "101 api roots", "1001 collections"],
)
def test_a_listing_that_is_not_a_list_is_a_peer_error(
    node: Store, path: str, body: object, why: str
) -> None:
    """A TypeError, which ended the pull and `--every` with it; or requests without end, to
    wherever the peer says."""
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer({"more": False}))) as peer:
        peer.overrides[path] = json_answer(body)
        with pytest.raises(PeerError, match=why):
            _pull(node, peer)


def _dated(stamp: str) -> Answer:
    def answer(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        headers = {"X-TAXII-Date-Added-First": stamp, "X-TAXII-Date-Added-Last": stamp}
        conn.sendall(json_answer({"more": False, "objects": [_report(1)]}, headers))

    return answer


def test_a_date_added_in_year_one_does_not_break_the_next_pull(node: Store) -> None:
    """The next pull went back two minutes from it: OverflowError, every pull after it."""
    with hostile_peer(_dated("0001-01-01T00:00:00Z")) as peer:
        first = _pull(node, peer)
        again = _pull(node, peer)
    assert (first.new, again.unchanged) == (1, 1)


def test_a_date_added_far_ahead_does_not_hide_what_the_peer_adds_later(node: Store) -> None:
    """It became the next pull's added_after: nothing the peer added before 9999 came again."""
    with hostile_peer(_dated("9999-12-31T00:00:00Z")) as peer:
        _pull(node, peer)
        _pull(node, peer)
        asked = [q.get("added_after", "") for q in peer.objects_requests]
    assert not any(a.startswith("9999") for a in asked), asked


def test_an_object_id_with_a_nul_is_rejected_not_a_crash(store: Store) -> None:
    """PostgreSQL keeps no NUL in text: the rejection's id and reason must not carry one."""
    objects = [
        _report(1) | {"id": "report--\x00bad"},
        {"type": "x\x00", "id": "x--\x00"},
        _report(2),
        _report(3, narrative="a\x00b"),
    ]
    body = {"more": False, "objects": objects}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        result = _pull(store, peer)
    assert (result.received, result.stored, result.rejected) == (4, 1, 3)
    found = sync.rejections(store, result.run_id)
    assert all("\x00" not in i + r for i, r in found)
    assert [i for i, _ in found] == ["report--\\x00bad", "x--\\x00", _report(3)["id"]]
    assert [r.split(":")[0] for _, r in found] == [
        "id",
        "type",
        f"extensions.{REPORT_EXTENSION}.narrative",
    ]
    with store.connect() as conn:
        assert list(conn.execute(sa.select(reports.c.report_id)).scalars()) == ["r2"]


def _request(
    at: str, created: str = "2025-11-01T00:00:00Z", rid: str = "req-1"
) -> dict[str, object]:
    """A cooperation request object as a peer serves it, its first change dated AT."""
    from bigfish.cooperation.wire import REQUEST_TYPE, stix_id

    return {
        "type": REQUEST_TYPE,
        "id": stix_id(rid),
        "request_id": rid,
        "request_type": "preservation",
        "urgency": "routine",
        "legal_basis": "budapest-29",
        "from_org": "PEER-ORG",
        "to_org": "HOME-ORG",
        "summary": "preserve",
        "subjects": [{"kind": "identifier", "value": "+66812345678"}],
        "created_by": "someone",
        "created": created,
        "history": [
            {
                "event_id": "e1",
                "at": at,
                "org": "PEER-ORG",
                "actor": "someone",
                "from_status": None,
                "to_status": "draft",
            },
            {
                "event_id": "e2",
                "at": "2025-11-01T00:00:01Z",
                "org": "PEER-ORG",
                "actor": "someone",
                "from_status": "draft",
                "to_status": "sent",
            },
        ],
    }


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2025-13-01T00:00:00Z"]
)
def test_a_cooperation_request_dated_out_of_range_is_rejected_not_a_crash(
    node: Store, at: str
) -> None:
    """datetime's astimezone raised OverflowError, which ended the pull and `--every`."""
    body = {"more": False, "objects": [_request(at), _request("2025-11-01T00:00:00Z", at, "req-2")]}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        result = _pull(node, peer)
    assert result.received == result.rejected == 2
    reasons = [reason for _, reason in sync.rejections(node, result.run_id)]
    assert all(r.startswith(("history[0].at:", "created:")) for r in reasons), reasons


@pytest.mark.parametrize(
    ("field", "reason"),
    [("published", "reported_at: date"), ("modified", "modified: "), ("created", None)],
)
@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_report_dated_out_of_range_is_rejected_alone(
    node: Store, field: str, reason: str | None, stamp: str
) -> None:
    """`published` went through intake's parse_datetime, whose astimezone raised OverflowError,
    which ended the pull and `--every` (then failed the whole page). That report alone is
    rejected naming the field; the page's others are stored and the pull goes on. `created`
    is not read."""
    body = {"more": False, "objects": [_report(1) | {field: stamp}, _report(2)]}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        result = _pull(node, peer)
    assert result.received == result.stored + result.rejected == 2
    found = sync.rejections(node, result.run_id)
    if reason is None:
        assert result.stored == 2 and not found
        return
    assert result.stored == 1
    ((ident, why),) = found
    assert ident == _report(1)["id"] and why.startswith(reason), why
    assert "out of range" in why or "in range" in why, why
    with node.connect() as conn:
        assert list(conn.execute(sa.select(reports.c.report_id)).scalars()) == ["r2"]


def test_a_report_dated_out_of_range_does_not_end_the_schedule(node: Store) -> None:
    """A page holding such a report is a result (the bad one rejected), never an error."""
    body = {"more": False, "objects": [_report(1) | {"published": "9999-12-31T23:59:59-01:00"}]}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        allow_peer(node, peer.base, "hostile peer on loopback")
        turns = list(
            pull_every(
                lambda: pull(node, f"{peer.base}/taxii2/", "key"), 1.0, runs=2, sleep=lambda s: None
            )
        )
    assert [type(t) for t in turns] == [SyncResult, SyncResult]
    assert [(t.received, t.rejected) for t in turns if isinstance(t, SyncResult)] == [
        (1, 1),
        (1, 1),
    ]


def _bomb(encoding: str) -> bytes:
    """256 MiB of JSON whitespace, compressed: 405 bytes as brotli, 255 kB as gzip."""
    plain = b" " * (256 * MiB)
    if encoding == "br":
        import brotli

        return bytes(brotli.compress(plain, quality=5))
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(plain) + packer.flush()


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_compressed_bomb_is_cut_off_at_the_limit_of_what_it_expands_to(
    node: Store, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """httpx expanded a brotli chunk whole: 405 bytes became 256 MiB in one piece."""
    monkeypatch.setattr(sync_pages, "MAX_RESPONSE_BYTES", 1 * MiB)
    data = _bomb(encoding)
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: %s\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (encoding.encode(), len(data), data)
    )
    with hostile_peer(lambda q, conn, p: conn.sendall(answer)) as peer:
        tracemalloc.start()
        try:
            with pytest.raises(PeerError, match=f"more than {MiB} bytes|{encoding}"):
                _pull(node, peer)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 32 * MiB, f"{peak / MiB:.0f} MiB"


@pytest.mark.parametrize("wbits", [31, 15], ids=["gzip", "deflate"])
def test_a_compressed_answer_is_read(node: Store, wbits: int) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    data = json.dumps({"more": False, "objects": [_report(1), _report(2)]}).encode()
    packed = packer.compress(data) + packer.flush()
    encoding = b"gzip" if wbits == 31 else b"deflate"
    answer = b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s" % (
        encoding,
        len(packed),
        packed,
    )
    with hostile_peer(lambda q, conn, p: conn.sendall(answer)) as peer:
        result = _pull(node, peer)
    assert result.received == result.stored == 2


def test_objects_nested_near_the_parsers_limit_never_escape_as_another_error(
    node: Store,
) -> None:
    """Whatever depth the parser reads, what follows it (the page's fingerprint, the import)
    ends in a result or a PeerError."""
    for depth in range(850, 1000, 10):
        for inner in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            body = b'{"more": false, "objects": [' + inner + b"]}"
            with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
                try:
                    result = _pull(node, peer)
                except PeerError as exc:
                    assert "nested" in str(exc)
                else:
                    assert result.received == result.rejected == 1


def test_a_next_token_nested_near_the_parsers_limit_is_a_peer_error(node: Store) -> None:
    for depth in range(850, 1000, 10):
        body = b'{"more": true, "next": ' + b"[" * depth + b"1" + b"]" * depth + b"}"
        with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
            with pytest.raises(PeerError):
                _pull(node, peer)


def test_a_database_outage_does_not_end_the_schedule(tmp_path: Path) -> None:
    """A scheduled pull survived only a PeerError: the database's file gone (a directory in
    its place: "unable to open database file") ended `--every`. The turn says why, the next
    one pulls."""
    path = tmp_path / "node.db"
    node = open_store(f"sqlite:///{path}")
    body = {"more": False, "objects": [_report(1)]}
    turn = [0]

    def between_turns(seconds: float) -> None:
        turn[0] += 1
        node.engine.dispose()  # no connection left open on the file
        if turn[0] == 1:
            path.rename(tmp_path / "away.db")
            path.mkdir()
        else:
            path.rmdir()
            (tmp_path / "away.db").rename(path)

    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        allow_peer(node, peer.base, "hostile peer on loopback")
        turns = list(
            pull_every(
                lambda: pull(node, f"{peer.base}/taxii2/", "key"),
                1.0,
                runs=3,
                sleep=between_turns,
            )
        )
    assert [type(t).__name__ for t in turns] == ["SyncResult", "StoreError", "SyncResult"]
    assert "unable to open database file" in str(turns[1])
    first, _, third = turns
    assert isinstance(first, SyncResult) and isinstance(third, SyncResult)
    assert (first.new, third.unchanged) == (1, 1)


def test_a_database_outage_is_reported_as_one_json_line(
    node: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sync pull --every --json` prints the outage as it prints a peer's, and goes on."""
    from typer.testing import CliRunner

    import bigfish.cli.interop as cli_interop
    from bigfish.cli import app

    calls = [0]
    real_pull = cli_interop.pull

    def failing_once(*args: object, **kwargs: object) -> SyncResult:
        calls[0] += 1
        if calls[0] == 1:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        if calls[0] == 2:
            raise StoreError("database error: disk I/O error")
        return real_pull(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_interop, "pull", failing_once)
    monkeypatch.setattr(sync.time, "sleep", lambda seconds: None)
    body = {"more": False, "objects": [_report(1)]}
    with hostile_peer(lambda q, conn, p: conn.sendall(json_answer(body))) as peer:
        allow_peer(node, peer.base, "hostile peer on loopback")
        args = ["--db", str(node.engine.url), "sync", "pull", f"{peer.base}/taxii2/"]
        result = CliRunner().invoke(
            app, [*args, "--key", "k", "--every", "1", "--runs", "3", "--json"]
        )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line.get("error") for line in lines[:2]] == [
        "database error: server closed the connection",
        "database error: disk I/O error",
    ]
    assert lines[2]["new"] == 1
