"""Alert pages per organization: the first page, a page a few cursors in, and a `since` poll.

Builds (once, cached in --dir) a node from `bigfish synth --reports N --seed SEED` ingested with
`bigfish ingest --manifest partnership.json --tlp green --distribution partnership` (every
report visible to every organization, so values two organizations report raise alerts), on
SQLite and, with --postgres URL (a database of its own: its tables are dropped), PostgreSQL.
Then, for each organization, times `bigfish.alerts.list_alerts` (the call behind
GET /api/v1/alerts and /alerts) with its viewer (`viewer_as`), LIMIT 100:

    first   the first page
    mid     the page after following the cursor PAGES_IN pages (the last one if fewer)
    since   a poll with `since` at the updated_at of the node's report at the 95th percentile
            (the last 5% of reports are new)

wall and CPU of this process (PostgreSQL's own CPU is not in it: read its wall), p50/p95 over
--runs runs. --explain prints, for the slowest organization's mid page, every statement
list_alerts ran with its time and its plan (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
ANALYZE).

Layouts (--layout): `ingest` keeps the stamps (updated_at, by which alerts are dated, and
created_at) as `bigfish ingest` of the manifest stored them — one organization after another,
so each organization's reports are one run of updated_at;
`reported` sets created_at (and updated_at) to reported_at, as on a node that received every
report when it was reported over the ~18 months, so each organization's reports sit among
everyone else's.

--index (repeatable) adds `CREATE INDEX bench_<n> ON reports (COLUMNS)` before timing and
drops it after; --drop-index NAME drops a declared index for the run and creates it again after
(A/B without changing the schema).

    nice .venv/bin/python benchmarks/bench_alerts.py --reports 20000 --dir /tmp/bench-alerts
    nice .venv/bin/python benchmarks/bench_alerts.py --reports 20000 --dir /tmp/bench-alerts \\
        --layout reported --postgres postgresql://postgres@127.0.0.1:5432/bench_alerts --explain
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, metadata, open_store
from bigfish.store.schema import organizations, reports

BIGFISH = str(Path(sys.executable).with_name("bigfish"))
LIMIT = 100


def _run_cli(args: list[str]) -> tuple[float, float]:
    """Run `bigfish ARGS`; (wall, CPU of the child) in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([BIGFISH, *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def synthesize(base: Path, count: int, seed: int) -> Path:
    out = base / f"synth-{count}-{seed}"
    if not (out / "partnership.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        _run_cli(["synth", str(out), "--reports", str(count), "--seed", str(seed)])
    return out / "partnership.json"


def ingest(url: str, manifest: Path, data_dir: Path) -> tuple[float, float]:
    """`bigfish ingest` of the manifest into URL: (wall, CPU) seconds."""
    wall, cpu = _run_cli(
        [
            "--db",
            url,
            "--data-dir",
            str(data_dir),
            "ingest",
            "--manifest",
            str(manifest),
            "--tlp",
            "green",
            "--distribution",
            "partnership",
            "--no-webhooks",
        ]
    )
    print(f"  ingest {url.split('@')[-1]}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    return wall, cpu


def _count(store: Store) -> int:
    with store.connect() as conn:
        if "reports" not in sa.inspect(conn).get_table_names():
            return 0
        return int(conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one())


def _is_reported_layout(store: Store) -> bool:
    with store.connect() as conn:
        moved = conn.execute(
            sa.select(sa.func.count())
            .select_from(reports)
            .where(reports.c.created_at != reports.c.reported_at)
        ).scalar_one()
    return int(moved) == 0


def to_reported_layout(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(
            reports.update().values(
                created_at=reports.c.reported_at, updated_at=reports.c.reported_at
            )
        )


def _settle(db: Path) -> None:
    """Write DB's write-ahead log into it and remove it: the log is found by the file's name,
    and a renamed database would be read without it."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def build_sqlite(args: argparse.Namespace, manifest: Path, layout: str) -> str:
    base = Path(args.dir)
    db = base / f"node-{args.reports}-{args.seed}-{layout}.db"
    url = f"sqlite:///{db}"
    if db.exists():
        return url
    plain = base / f"node-{args.reports}-{args.seed}-ingest.db"
    if not plain.exists():
        partial = plain.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        ingest(f"sqlite:///{partial}", manifest, base / "data")
        _settle(partial)
        partial.rename(plain)
    if layout == "reported":
        partial = db.with_suffix(".partial")
        shutil.copyfile(plain, partial)
        store = open_store(f"sqlite:///{partial}")
        to_reported_layout(store)
        store.close()
        _settle(partial)
        partial.rename(db)
    return url


def build_postgres(args: argparse.Namespace, manifest: Path, layout: str) -> str:
    url: str = args.postgres
    store = open_store(url)
    try:
        if _count(store) != args.reports:
            with store.begin() as conn:
                metadata.drop_all(conn)
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            store.close()
            ingest(url, manifest, Path(args.dir) / "data")
            store = open_store(url)
        if layout == "reported" and not _is_reported_layout(store):
            to_reported_layout(store)
        elif layout == "ingest" and _is_reported_layout(store):
            raise SystemExit("the PostgreSQL database holds the reported layout: drop its tables")
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # what autovacuum does a minute later
    finally:
        store.close()
    return url


@contextmanager
def index_changes(store: Store, add: list[str], drop: list[str]) -> Iterator[None]:
    made = [f"bench_{n}" for n in range(len(add))]
    dropped: list[sa.Index] = []
    with store.begin() as conn:
        for name, columns in zip(made, add, strict=True):
            conn.execute(sa.text(f"CREATE INDEX {name} ON reports ({columns})"))
        for name in drop:
            (index,) = [i for i in reports.indexes if i.name == name]
            index.drop(conn)
            dropped.append(index)
    try:
        yield
    finally:
        with store.begin() as conn:
            for name in made:
                conn.execute(sa.text(f"DROP INDEX {name}"))
            for index in dropped:
                index.create(conn)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def _timed(call: Callable[[], Any], runs: int) -> tuple[list[float], list[float], Any]:
    walls: list[float] = []
    cpus: list[float] = []
    result = None
    for _ in range(runs):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = call()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return walls, cpus, result


def _poll_time(store: Store) -> datetime:
    with store.connect() as conn:
        count = int(conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one())
        at = conn.execute(
            sa.select(reports.c.updated_at)
            .order_by(reports.c.updated_at, reports.c.id)
            .offset(int(count * 0.95))
            .limit(1)
        ).scalar_one()
    assert isinstance(at, datetime)
    return at


def _cursor_at(store: Store, viewer: Viewer, pages_in: int) -> tuple[str | None, int, int]:
    """The cursor of the page PAGES_IN pages in (or the last), its depth and the alerts before."""
    cursor, seen = None, 0
    for depth in range(pages_in):
        page = list_alerts(store, viewer, cursor=cursor, limit=LIMIT)
        if page.next_cursor is None:
            return cursor, depth, seen
        seen += len(page.alerts)
        cursor = page.next_cursor
    return cursor, pages_in, seen


def measure(store: Store, label: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    with store.connect() as conn:
        orgs = [
            str(n) for n in conn.execute(sa.select(organizations.c.name).order_by("id")).scalars()
        ]
    since = _poll_time(store)
    rows: list[dict[str, Any]] = []
    print(f"\n{label}: since poll at {since.isoformat()}; ms, p50/p95 of {args.runs} runs")
    print(
        f"  {'organization':<12} {'first wall':>12} {'first CPU':>12} {'mid wall':>12}"
        f" {'mid CPU':>12} {'since wall':>12} {'since CPU':>12}  mid depth, alerts"
    )
    for org in orgs:
        viewer = viewer_as(store, org)
        cursor, depth, seen = _cursor_at(store, viewer, args.pages_in)
        row: dict[str, Any] = {"backend": label, "org": org, "depth": depth}
        calls: dict[str, Callable[[], Any]] = {
            "first": lambda v=viewer: list_alerts(store, v, limit=LIMIT),
            "mid": lambda v=viewer, c=cursor: list_alerts(store, v, cursor=c, limit=LIMIT),
            "since": lambda v=viewer: list_alerts(store, v, since=since, limit=LIMIT),
        }
        cells = []
        for kind, call in calls.items():
            warm = call()  # the first run fills caches: not timed
            walls, cpus, page = _timed(call, args.runs)
            assert page.alerts == warm.alerts
            row[kind] = {
                "wall_p50": statistics.median(walls) * 1000,
                "wall_p95": _quantile(walls, 0.95) * 1000,
                "cpu_p50": statistics.median(cpus) * 1000,
                "cpu_p95": _quantile(cpus, 0.95) * 1000,
                "alerts": len(page.alerts),
            }
            cells += [
                f"{row[kind]['wall_p50']:.0f}/{row[kind]['wall_p95']:.0f}",
                f"{row[kind]['cpu_p50']:.0f}/{row[kind]['cpu_p95']:.0f}",
            ]
        row["seen"] = seen
        print(
            f"  {org:<12} "
            + " ".join(f"{c:>12}" for c in cells)
            + f"  {depth}, {seen}+{row['mid']['alerts']}",
            flush=True,
        )
        rows.append(row)
    for kind in ("first", "mid", "since"):
        walls = [r[kind]["wall_p50"] for r in rows]
        cpus = [r[kind]["cpu_p50"] for r in rows]
        print(
            f"  {kind:<6} p50 over organizations: wall {min(walls):.0f}-{max(walls):.0f} ms"
            f" (median {statistics.median(walls):.0f}), CPU {min(cpus):.0f}-{max(cpus):.0f} ms"
            f" (median {statistics.median(cpus):.0f})"
        )
    if args.explain:
        slowest = max(rows, key=lambda r: r["mid"]["wall_p50"])
        explain(store, str(slowest["org"]), args.pages_in)
    return rows


def explain(store: Store, org: str, pages_in: int) -> None:
    """Every statement of ORG's mid page: the time from it to the next (its rows are read in
    between: SQLite computes them as they are read), and its plan, once per statement shape."""
    viewer = viewer_as(store, org)
    cursor, _, _ = _cursor_at(store, viewer, pages_in)
    ran: list[tuple[str, Any, float]] = []

    def before(conn: Any, cur: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        ran.append((statement, params, time.perf_counter()))

    sa.event.listen(store.engine, "before_cursor_execute", before)
    try:
        list_alerts(store, viewer, cursor=cursor, limit=LIMIT)
        ended = time.perf_counter()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", before)
    shapes: dict[str, list[tuple[str, Any, float]]] = {}
    for n, (statement, params, at) in enumerate(ran):
        following = ran[n + 1][2] if n + 1 < len(ran) else ended
        shape = re.sub(r"(\?|%\(\w+\)s)(, (\?|%\(\w+\)s))+", "…", " ".join(statement.split()))
        shapes.setdefault(shape, []).append((statement, params, following - at))
    sqlite = store.engine.dialect.name == "sqlite"
    print(f"\n  plans of {org}'s mid page: {len(ran)} statements, {len(shapes)} shapes")
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for shape, runs in shapes.items():
            total = sum(t for _, _, t in runs) * 1000
            print(f"\n  -- {len(runs)} x, {total:.1f} ms in all: {shape[:400]}")
            statement, params, _ = max(runs, key=lambda r: r[2])  # the plan of its slowest
            cur = raw.cursor()
            if sqlite:
                cur.execute(f"EXPLAIN QUERY PLAN {statement}", params)
                for row in cur.fetchall():
                    print(f"     {row[1]:>4} {row[3]}")
            else:
                cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                for (line,) in cur.fetchall():
                    print(f"     {line}")
            cur.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", default="/tmp/bench-alerts", help="cache of data and nodes")
    parser.add_argument("--postgres", help="a PostgreSQL database URL of its own (tables dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--layout", choices=["ingest", "reported", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages-in", type=int, default=5)
    parser.add_argument("--index", action="append", default=[], metavar="COLUMNS")
    parser.add_argument("--drop-index", action="append", default=[], metavar="NAME")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", help="write every row to this file")
    parser.add_argument("--ingest-only", action="store_true", help="time ingest into a new db")
    args = parser.parse_args()
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BIGFISH_DATA_DIR", str(base / "data"))
    manifest = synthesize(base, args.reports, args.seed)
    if args.ingest_only:
        fresh = base / "ingest-timing.db"
        files = [fresh, fresh.with_name(f"{fresh.name}-wal"), fresh.with_name(f"{fresh.name}-shm")]
        for file in files:
            file.unlink(missing_ok=True)
        ingest(f"sqlite:///{fresh}", manifest, base / "data")
        for file in files:
            file.unlink(missing_ok=True)
        return
    layouts = ["ingest", "reported"] if args.layout == "both" else [args.layout]
    rows: list[dict[str, Any]] = []
    for layout in layouts:
        targets: list[tuple[str, str]] = []
        if not args.no_sqlite:
            targets.append((f"SQLite, {layout} layout", build_sqlite(args, manifest, layout)))
        if args.postgres:
            targets.append((f"PostgreSQL, {layout} layout", build_postgres(args, manifest, layout)))
        for label, url in targets:
            store = open_store(url)
            try:
                with index_changes(store, args.index, args.drop_index):
                    if args.index or args.drop_index:
                        label += f" (+{args.index} -{args.drop_index})"
                    rows += measure(store, f"{label}, {args.reports:,} reports", args)
            finally:
                store.close()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), "utf-8")


if __name__ == "__main__":
    main()
