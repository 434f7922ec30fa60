"""What readers that pause the writers of reports cost those writers (PostgreSQL).

Every writer of reports takes a shared advisory lock first (`announce_writer`); a reader that
needs a bound no later commit goes under reads it while holding the exclusive one
(`bigfish.store.stamps.settled_newest`): every alerts poll, every TAXII pull's first page. A
waiting exclusive request queues every new shared one behind it, so while a poll waits for one
batch in flight, every other organization's writer waits too.

On a scratch database (its tables are dropped and made again), WRITERS processes, each of an
organization of its own, ingest small JSONL files of BATCH reports (`bigfish.intake.ingest_file`,
the real write path, one batch per file) for SECONDS, beside 0, 1, 4 and 16 pollers (threads
of POLLER_PROCESSES processes, as an API server's workers run requests), each of an
organization of its own, polling:

    alerts   `bigfish.alerts.list_alerts` (GET /api/v1/alerts), from the last `as_of`
    taxii    `bigfish.interop.feed.object_page`, a first page of the partnership collection
    mix      half of each
    bound    the pause alone: `bigfish.interop.feed.settled_stamp` (a TAXII first page's bound)

non-stop, or each once every EVERY seconds (--every, from a random start).

For each number of pollers: the writers' batches/s (all of them), the pollers' polls/s and the
pauses they took, and how long a writer batch waited for its shared lock (`announce_writer`)
and took in all, p50/p99. The pollers' reads take CPU the writers want too (PostgreSQL's server
runs on the same cores): --no-pause, a control, runs the same polls without the pause (unsound,
for the measurement only), so what the pauses cost is the difference. Keep the machine
otherwise idle; "before" numbers: run with PYTHONPATH at a copy of the older src.

    createdb -h 127.0.0.1 -U postgres h78
    .venv/bin/python benchmarks/bench_pauses.py \\
        --url postgresql://postgres@127.0.0.1:5432/h78 --seconds 20 --poll bound --every 0.5
    .venv/bin/python benchmarks/bench_pauses.py \\
        --url postgresql://postgres@127.0.0.1:5432/h78 --seconds 20 --poll mix --every 2 \\
        --no-prepare [--no-pause]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

SHARED_VALUES = 400  # phone numbers the organizations' reports share (they raise alerts)
SEED_REPORTS = 300  # each poller organization's and each writer's before the measurement


def _phone(i: int) -> str:
    return f"+6681{i:07d}"


def _rows(prefix: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "report_id": f"{prefix}-{i}",
            "reported_at": "2025-06-01",
            "country": "TH",
            "scam_type": "investment",
            "channel": "line",
            "identifiers": [
                {"kind": "phone", "value": _phone(rng.randrange(SHARED_VALUES))},
                {"kind": "phone", "value": _phone(10_000_000 + rng.randrange(9_000_000))},
            ],
        }
        for i in range(count)
    ]


def _ingest(store: Any, org: str, rows: list[dict[str, Any]], folder: Path) -> None:
    from bigfish.intake import ingest_file
    from bigfish.models import TLP, Distribution, Marking

    path = folder / f"{org}-{rows[0]['report_id']}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    result = ingest_file(
        store, path, org=org, marking=shared, batch_size=len(rows), workers=0, classify=False
    )
    assert result.rejected == 0, result
    path.unlink()


def prepare(url: str, writers: int, pollers: int) -> None:
    """Drop every table of URL's database and seed each organization's reports."""
    import bigfish.store  # noqa: F401  (every area's tables)
    from bigfish.store import metadata, open_store

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    store = open_store(url)
    rng = random.Random(78)
    with tempfile.TemporaryDirectory() as folder:
        for org in [*_writer_orgs(writers), *_poller_orgs(pollers)]:
            _ingest(store, org, _rows(f"{org}-seed", SEED_REPORTS, rng), Path(folder))
    store.close()


def _writer_orgs(n: int) -> list[str]:
    return [f"writer-{i}" for i in range(n)]


def _poller_orgs(n: int) -> list[str]:
    return [f"poller-{i:02d}" for i in range(n)]


def writer(url: str, org: str, batch: int, start: float, stop: float, out: Any) -> None:
    """Ingest files of BATCH reports as ORG from START to STOP (time.time()); put the batches'
    lock waits and durations on OUT."""
    import bigfish.store.writes as writes
    from bigfish.store import open_store

    store = open_store(url, migrate_schema=False)
    waits: list[float] = []
    announce = writes.announce_writer

    def timed(conn: sa.Connection) -> None:
        began = time.perf_counter()
        announce(conn)
        waits.append(time.perf_counter() - began)

    writes.announce_writer = timed  # type: ignore[assignment]
    rng = random.Random(org)
    took: list[float] = []
    n = 0
    with tempfile.TemporaryDirectory() as folder:
        rows = _rows(f"{org}-warm", batch, rng)
        _ingest(store, org, rows, Path(folder))
        time.sleep(max(0.0, start - time.time()))
        waits.clear()
        while time.time() < stop:
            rows = _rows(f"{org}-{n}", batch, rng)
            began = time.perf_counter()
            _ingest(store, org, rows, Path(folder))
            took.append(time.perf_counter() - began)
            n += 1
    store.close()
    out.put(("writer", org, n, waits, took))


def pollers(
    url: str,
    orgs: list[str],
    kind: str,
    start: float,
    stop: float,
    out: Any,
    index: int,
    no_pause: bool,
    every: float,
) -> None:
    """Threads, one per organization of ORGS, polling from START to STOP; put their count and
    their durations on OUT."""
    import bigfish.store.stamps as stamps
    from bigfish.accounts import viewer_as
    from bigfish.alerts import list_alerts
    from bigfish.interop.feed import collections, object_page, settled_stamp
    from bigfish.store import open_store

    store = open_store(url, migrate_schema=False)
    counts: list[int] = []
    took: list[float] = []
    paused: list[float] = []  # one per pause taken (whichever poller took it)
    record = threading.Lock()
    pause = stamps.writers_paused

    @contextmanager
    def counted(conn: sa.Connection) -> Iterator[None]:
        if time.time() >= start:
            paused.append(time.time())
        if no_pause:  # the control: the same reads, no lock (unsound; measurement only)
            yield
            return
        with pause(conn):
            yield

    stamps.writers_paused = counted  # type: ignore[assignment]

    def poll(org: str, number: int) -> None:
        viewer = viewer_as(store, org)
        with store.connect() as conn:
            partnership = collections(conn, viewer)[0]
        taxii = kind == "taxii" or (kind == "mix" and number % 2 == 1)
        since = None
        mine: list[float] = []
        rng = random.Random(number)
        due = start + (rng.uniform(0, every) if every else 0.0)
        while True:
            time.sleep(max(0.0, due - time.time()))
            if time.time() >= stop:
                break
            began = time.perf_counter()
            if kind == "bound":
                with store.connect() as conn:
                    settled_stamp(conn)
            elif taxii:
                with store.connect() as conn:
                    object_page(conn, partnership, limit=100)
            else:
                page = list_alerts(store, viewer, since=since, limit=100)
                since = page.as_of if page.next_cursor is None else since
            mine.append(time.perf_counter() - began)
            due = max(due + every, time.time()) if every else time.time()
        with record:
            counts.append(len(mine))
            took.extend(mine)

    threads = [threading.Thread(target=poll, args=(org, index + i)) for i, org in enumerate(orgs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    out.put(("pollers", str(index), sum(counts), [t for t in paused if t < stop], took))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(args: argparse.Namespace, n_pollers: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + args.warmup
    stop = start + args.seconds
    procs = [
        ctx.Process(target=writer, args=(args.url, org, args.batch, start, stop, out))
        for org in _writer_orgs(args.writers)
    ]
    orgs = _poller_orgs(n_pollers)
    groups = max(1, min(args.poller_processes, n_pollers))
    extra = (args.no_pause, args.every)
    for g in range(groups if n_pollers else 0):
        mine = orgs[g::groups]
        procs.append(
            ctx.Process(
                target=pollers,
                args=(args.url, mine, args.poll, start, stop, out, g * len(mine), *extra),
            )
        )
    for p in procs:
        p.start()
    results = [out.get(timeout=args.seconds + args.warmup + 600) for _ in procs]
    for p in procs:
        p.join()
    batches = sum(n for role, _, n, _, _ in results if role == "writer")
    waits = [w for role, _, _, ws, _ in results if role == "writer" for w in ws]
    took = [t for role, _, _, _, ts in results if role == "writer" for t in ts]
    polls = sum(n for role, _, n, _, _ in results if role == "pollers")
    poll_took = [t for role, _, _, _, ts in results if role == "pollers" for t in ts]
    pauses = sum(len(ws) for role, _, _, ws, _ in results if role == "pollers")
    return {
        "pollers": n_pollers,
        "batches_s": batches / args.seconds,
        "polls_s": polls / args.seconds,
        "wait_p50_ms": 1000 * _pct(waits, 0.5),
        "wait_p99_ms": 1000 * _pct(waits, 0.99),
        "batch_p50_ms": 1000 * _pct(took, 0.5),
        "batch_p99_ms": 1000 * _pct(took, 0.99),
        "poll_p50_ms": 1000 * _pct(poll_took, 0.5),
        "poll_p99_ms": 1000 * _pct(poll_took, 0.99),
        "pauses_s": pauses / args.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a scratch PostgreSQL database")
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds for imports")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100, help="reports a writer batch")
    parser.add_argument("--pollers", default="0,1,4,16", help="numbers of pollers, in turn")
    parser.add_argument("--poller-processes", type=int, default=1)
    parser.add_argument("--poll", choices=["alerts", "taxii", "mix", "bound"], default="mix")
    parser.add_argument(
        "--every", type=float, default=0.0, help="seconds between a poller's polls (0: non-stop)"
    )
    parser.add_argument("--no-prepare", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--no-pause",
        action="store_true",
        help="control: pollers read without pausing the writers (what the polls cost in CPU)",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.pollers.split(",")]
    if not args.no_prepare:
        prepare(args.url, args.writers, max(counts))
    print(
        f"writers {args.writers} x batch {args.batch}, {args.seconds:.0f} s, poll {args.poll} "
        f"every {args.every:g} s, "
        f"poller processes {args.poller_processes}{', NO PAUSE (control)' if args.no_pause else ''}"
    )
    header = (
        "pollers  batches/s  vs 0   polls/s  pauses/s  lock wait p50/p99 ms  "
        "batch p50/p99 ms  poll p50/p99 ms"
    )
    print(header)
    base: float | None = None
    for n in counts:
        r = measure(args, n)
        base = r["batches_s"] if base is None else base
        print(
            f"{n:7d}  {r['batches_s']:9.1f}  {100 * (r['batches_s'] / base - 1):+4.0f}%  "
            f"{r['polls_s']:7.1f}  {r['pauses_s']:8.1f}  "
            f"{r['wait_p50_ms']:9.1f} / {r['wait_p99_ms']:7.1f}  "
            f"{r['batch_p50_ms']:7.1f} / {r['batch_p99_ms']:7.1f}  "
            f"{r['poll_p50_ms']:6.1f} / {r['poll_p99_ms']:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
