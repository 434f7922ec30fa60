"""Lookup throughput and latency of the API against a bare FastAPI + SQLite endpoint, side by side.

Builds (once) a SQLite node with N reports, starts two servers on 127.0.0.1 — `bigfish serve`'s
app (authentication, the policy, the audit record) and a bare endpoint that only counts rows —
loads both with wrk at 4 and 50 connections, and times a batch lookup of 10,000 identifiers.

    .venv/bin/python benchmarks/bench_api.py --reports 1000000 --workers 2 --duration 15
    .venv/bin/python benchmarks/bench_api.py --reports 1000000 --only batch --batch-runs 9

Needs `wrk` (Debian: apt-get install -y wrk) unless `--only batch`. Loads only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

ORGS = [f"bench-{i}" for i in range(10)]
DISTRIBUTIONS = ["organization", "group", "partnership", "partnership"]
TLPS = ["clear", "green", "amber", "amber+strict", "red"]


def phone(i: int) -> str:
    return f"+668{i:08d}"


def build(db: Path, reports: int, seed: int = 7) -> None:
    """A node with REPORTS reports from 10 organizations, about 3 mentions per phone."""
    from bigfish.organizations import add_group, add_org
    from bigfish.store import open_store

    store = open_store(f"sqlite:///{db}")
    for org in ORGS:
        add_org(store, org, country="TH")
    add_group(store, "bench-group", owner=ORGS[0], members=ORGS[1:5])
    store.close()
    rng = random.Random(seed)
    pool = max(reports // 3, 1)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.isoformat(sep=" ")
    con.executemany(
        "INSERT INTO identifiers (id, kind, canonical, valid) VALUES (?, 'phone', ?, 1)",
        ((i + 1, phone(i)) for i in range(pool)),
    )
    run = con.execute(
        "INSERT INTO ingest_runs (org_id, source, started_at, received, stored, updated, rejected)"
        " VALUES (1, 'bench', ?, 0, 0, 0, 0)",
        (stamp,),
    ).lastrowid

    def rows():  # type: ignore[no-untyped-def]
        for pk in range(1, reports + 1):
            dist = rng.choice(DISTRIBUTIONS)
            at = (now - timedelta(minutes=rng.randrange(500_000))).isoformat(sep=" ")
            yield (
                pk,
                rng.randrange(1, 11),
                f"r{pk}",
                at,
                "TH",
                "investment",
                rng.choice(TLPS),
                dist,
                1 if dist == "group" else None,
                run,
                stamp,
                stamp,
            )

    con.executemany(
        "INSERT INTO reports (id, org_id, report_id, reported_at, country, scam_type, tlp,"
        " distribution, group_id, ingest_run, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    con.executemany(
        "INSERT INTO mentions (report_pk, identifier_id, source, raw) VALUES (?, ?, 'field', ?)",
        ((pk, (pk * 7919) % pool + 1, "x") for pk in range(1, reports + 1)),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def bare_app() -> FastAPI:
    """A bare FastAPI + SQLite endpoint that only counts the mentions of one value, served like
    the API (the same listening-socket options)."""
    from bigfish.api.server import send_responses_without_delay

    send_responses_without_delay()
    engine = sa.create_engine(
        os.environ["BIGFISH_DATABASE_URL"], connect_args={"check_same_thread": False}
    )
    app = FastAPI()
    query = sa.text(
        "SELECT count(*) FROM mentions WHERE identifier_id ="
        " (SELECT id FROM identifiers WHERE kind = 'phone' AND canonical = :value)"
    )

    @app.get("/count")
    def count(value: str) -> dict[str, int]:
        with engine.connect() as conn:
            return {"count": int(conn.execute(query, {"value": value}).scalar_one())}

    return app


def start(target: str, port: int, workers: int, db: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"BIGFISH_DATABASE_URL": f"sqlite:///{db}", "BIGFISH_RATE_LIMIT": "0"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


LUA = """
local values = {%s}
local header = "%s"
request = function()
  local v = values[math.random(#values)]
  return wrk.format("GET", "%s" .. v, header ~= "" and {["Authorization"] = header} or nil)
end
"""


def wrk(
    port: int, path: str, header: str, values: list[str], connections: int, seconds: int
) -> tuple[float, float]:
    script = Path(f"/tmp/bench_api_{port}.lua")
    quoted = ",".join(json.dumps(v.replace("+", "%2B")) for v in values)
    script.write_text(LUA % (quoted, header, path))
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    if "Non-2xx" in out:
        print(out)
    return rate, float(p99.group(1)) * scale


def time_single(db: Path, key: str, values: list[str], duration: int, workers: int) -> None:
    """Load the API (port 8765) and a bare endpoint with wrk at 4 and 50 connections."""
    bare = start("benchmarks.bench_api:bare_app", 8766, workers, db)
    try:
        print(f"workers per server: {workers}; wrk -t 2, {duration} s per run")
        wrk(8766, "/count?value=", "", values, 50, duration)  # warm the page cache
        wrk(8765, "/api/v1/lookup?kind=phone&value=", f"Bearer {key}", values, 50, duration)
        for connections in (4, 50):
            b_rate, b_p99 = wrk(8766, "/count?value=", "", values, connections, duration)
            a_rate, a_p99 = wrk(
                8765,
                "/api/v1/lookup?kind=phone&value=",
                f"Bearer {key}",
                values,
                connections,
                duration,
            )
            print(
                f"{connections:>2} connections: bare {b_rate:7.0f} req/s p99 {b_p99:6.2f} ms | "
                f"lookup {a_rate:7.0f} req/s p99 {a_p99:6.2f} ms | ratio {a_rate / b_rate:.0%}"
            )
    finally:
        bare.terminate()
        bare.wait(timeout=30)


def time_batch(key: str, pool: int, rng: random.Random, runs: int) -> None:
    """Time RUNS batch lookups of 10,000 identifiers (about half never reported) on port 8765."""
    batch = {
        "identifiers": [
            {"kind": "phone", "value": phone(rng.randrange(pool * 2))} for _ in range(10_000)
        ]
    }
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post(
                "http://127.0.0.1:8765/api/v1/lookup",
                json=batch,
                headers={"Authorization": f"Bearer {key}"},
            )
            times.append(time.perf_counter() - started)
            assert response.status_code == 200 and len(response.json()) == 10_000
    print(
        f"batch lookup of 10,000: median {statistics.median(times):.3f} s,"
        f" range {min(times):.3f}-{max(times):.3f} s over {runs} runs,"
        f" load average {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bigfish-bench/bench.db"))
    parser.add_argument(
        "--only", choices=["batch"], help="only the batch lookup (no wrk runs, no bare endpoint)"
    )
    parser.add_argument("--batch-runs", type=int, default=5)
    args = parser.parse_args()
    db: Path = args.db
    marker = db.with_suffix(f".{args.reports}.built")
    if not marker.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        build(db, args.reports)
        marker.touch()
        print(f"built {args.reports} reports in {time.perf_counter() - started:.0f} s")
    from bigfish.accounts import create_key
    from bigfish.models import ApiRole
    from bigfish.store import open_store

    store = open_store(f"sqlite:///{db}")
    key = create_key(store, org=ORGS[1], role=ApiRole.ANALYST).secret
    store.close()
    pool = max(args.reports // 3, 1)
    rng = random.Random(1)
    values = [phone(rng.randrange(pool * 2)) for _ in range(2000)]  # half never reported
    api = start("bigfish.api.server:app_from_environment", 8765, args.workers, db)
    try:
        if args.only is None:
            time_single(db, key, values, args.duration, args.workers)
        time_batch(key, pool, rng, args.batch_runs)
    finally:
        api.terminate()
        api.wait(timeout=30)


if __name__ == "__main__":
    main()
