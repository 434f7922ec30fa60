"""Linking benchmarks (run by hand; figures in the linking note and README).

    .venv/bin/python benchmarks/bench_linking.py rebuild  [--reports 1000000] [--db PATH]
    .venv/bin/python benchmarks/bench_linking.py incremental [--db PATH] [--runs 200] [--no-freeze]
    .venv/bin/python benchmarks/bench_linking.py e2e [--reports 300000] [--dir PATH] [--only W]
    .venv/bin/python benchmarks/bench_linking.py aging [--reports 1000000] [--db PATH]

rebuild: writes a store of N reports with about 3 mentions each (rings that rotate assets, lone
scams, hotlines and platforms as noise) straight into SQLite, then times `rebuild_networks` in a
child process (wall time and peak memory), and connected components of the same edges with scipy
and with networkx. incremental: adds one report at a time (as ingest does) and times
`update_networks`; prints p50/p99. Its start-up objects are frozen out of the cyclic collector
first, as `bigfish serve` does (the process that links submitted reports); `--no-freeze` leaves
them in, and full collections over them (30-60 ms) then land in some updates.
e2e: `bigfish ingest` of every file of a synthetic partnership (one run per file, then one
`--manifest` run of them all) plus `bigfish networks --json`, each
timed in wall and CPU seconds (the processes and their workers), against a plain script that
reads the files, normalizes phone numbers with phonenumbers and runs an in-memory union-find,
storing nothing. `--only per-file|manifest` runs one of the two ways.
aging: rebuilds the store as of its last day, then times the recount of growth that the first
update of a later day makes (`bigfish.linking.aging`).
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

HUBS = 40  # hotlines and platform domains mentioned across rings


def build_store(db: Path, n_reports: int, seed: int = 1) -> None:
    """A store of N_REPORTS reports with ring structure and shared-infrastructure noise."""
    from bigfish.store import open_store

    if db.exists():
        return
    open_store(f"sqlite:///{db}").close()
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    now = datetime(2025, 12, 1, tzinfo=UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    con.execute(
        "INSERT INTO organizations (id, name, country, created_at) VALUES (1, 'bench', 'TH', ?)",
        (stamp,),
    )
    idents: list[tuple[int, str, str, int]] = []
    next_ident = 1

    def new_ident(kind: str) -> int:
        nonlocal next_ident
        idents.append((next_ident, kind, f"{kind}-{next_ident}", 1))
        next_ident += 1
        return next_ident - 1

    hubs = [new_ident("phone") for _ in range(HUBS)]
    reports_rows = []
    mention_rows = []
    pk = 0
    while pk < n_reports:
        ring = rng.random() < 0.45
        size = min(int(rng.paretovariate(1.3) * 4) + 2, 400) if ring else 1
        assets = [
            new_ident(rng.choice(("phone", "url", "bank_account")))
            for _ in range(max(2, size // 4))
        ]
        for _ in range(size):
            pk += 1
            day = now - timedelta(days=rng.randrange(540))
            reports_rows.append(
                (pk, 1, f"R{pk}", day.strftime("%Y-%m-%d %H:%M:%S.%f"), "TH", "investment",
                 str(rng.randrange(100, 100000)), "THB", rng.random() * 3000, "amber",
                 "organization", stamp, stamp)
            )  # fmt: skip
            chosen = (
                rng.sample(assets, k=min(len(assets), rng.choice((1, 2, 2, 3)))) if ring else []
            )
            own = 3 - len(chosen)
            chosen += [new_ident("phone") for _ in range(max(own, 1))]
            if rng.random() < 0.05:
                chosen.append(rng.choice(hubs))
            for ident in set(chosen):
                mention_rows.append((pk, ident, "field", "x"))
            if pk >= n_reports:
                break
    con.executemany(
        "INSERT INTO identifiers (id, kind, canonical, valid) VALUES (?, ?, ?, ?)", idents
    )
    con.executemany(
        "INSERT INTO reports (id, org_id, report_id, reported_at, country, scam_type, loss_amount,"
        " loss_currency, loss_usd, tlp, distribution, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        reports_rows,
    )
    con.executemany(
        "INSERT INTO mentions (report_pk, identifier_id, source, raw) VALUES (?, ?, ?, ?)",
        mention_rows,
    )
    con.commit()
    con.close()
    print(f"built {db}: {len(reports_rows):,} reports, {len(mention_rows):,} mentions")


def child_rebuild(db: Path) -> None:
    """In a fresh process: one rebuild; prints seconds and peak RSS as JSON."""
    from bigfish.linking import rebuild_networks
    from bigfish.store import open_store

    store = open_store(f"sqlite:///{db}")
    started = time.perf_counter()
    summary = rebuild_networks(store)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "summary": summary.to_json()}))


def components_baselines(db: Path) -> dict[str, float]:
    """Connected components of the same mention edges with scipy and with networkx."""
    import networkx as nx
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    con = sqlite3.connect(db)
    edges = np.array(con.execute("SELECT report_pk, identifier_id FROM mentions").fetchall())
    con.close()
    r, v = edges[:, 0], edges[:, 1]
    n_r, n_v = int(r.max()) + 1, int(v.max()) + 1
    started = time.perf_counter()
    m = coo_matrix((np.ones(r.size), (r, v + n_r)), shape=(n_r + n_v, n_r + n_v)).tocsr()
    connected_components(m, directed=False)
    scipy_s = time.perf_counter() - started
    started = time.perf_counter()
    g = nx.Graph()
    g.add_edges_from(zip(r.tolist(), (v + n_r).tolist(), strict=True))
    sum(1 for _ in nx.connected_components(g))
    nx_s = time.perf_counter() - started
    return {"scipy_seconds": scipy_s, "networkx_seconds": nx_s, "edges": int(r.size)}


def rebuild(args: argparse.Namespace) -> None:
    db = Path(args.db)
    build_store(db, args.reports)
    # Twice: the first run creates every network, the second is the steady state.
    for label in ("first", "second"):
        out = subprocess.run(
            [sys.executable, __file__, "_child", "--db", str(db)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(out.stdout)
        print(f"rebuild ({label}): {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB")
        print(f"  {result['summary']}")
    base = components_baselines(db)
    print(
        f"same {base['edges']:,} edges: scipy connected_components {base['scipy_seconds']:.2f} s,"
        f" networkx {base['networkx_seconds']:.1f} s"
    )
    print(
        f"ratio rebuild/scipy = {result['seconds'] / base['scipy_seconds']:.1f}, "
        f"rebuild/networkx = {result['seconds'] / base['networkx_seconds']:.2f}"
    )


def incremental(args: argparse.Namespace) -> None:
    from bigfish.linking import update_networks
    from bigfish.store import open_store

    db = Path(args.db)
    build_store(db, args.reports)
    store = open_store(f"sqlite:///{db}")
    update_networks(store)  # links anything not linked yet
    if not args.no_freeze:  # as `bigfish serve` does once started (api/server.py)
        gc.collect()
        gc.freeze()
    con = sqlite3.connect(db)
    max_pk = con.execute("SELECT max(id) FROM reports").fetchone()[0]
    max_ident = con.execute("SELECT max(id) FROM identifiers").fetchone()[0]
    rng = random.Random(5)
    times = []
    for i in range(args.runs):
        pk = max_pk + 1 + i
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        con.execute(
            "INSERT INTO reports (id, org_id, report_id, reported_at, country, tlp, distribution,"
            " created_at, updated_at) VALUES (?, 1, ?, ?, 'TH', 'amber', 'organization', ?, ?)",
            (pk, f"N{pk}", stamp, stamp, stamp),
        )
        con.execute(
            "INSERT INTO identifiers (id, kind, canonical, valid) VALUES (?, 'phone', ?, 1)",
            (max_ident + 1 + i, f"new-{pk}"),
        )
        existing = rng.randrange(HUBS + 1, max_ident)  # an asset some ring already uses
        for ident in {existing, max_ident + 1 + i}:
            con.execute(
                "INSERT INTO mentions (report_pk, identifier_id, source, raw)"
                " VALUES (?, ?, 'field', 'x')",
                (pk, ident),
            )
        con.commit()
        started = time.perf_counter()
        update_networks(store)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print(
        f"incremental update after one new report ({args.runs} runs): "
        f"p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms"
    )


def aging(args: argparse.Namespace) -> None:
    """The day's first update recounts the growth of every network with a growth above zero
    (`bigfish.linking.aging`): its cost at the store's size, after a rebuild dated its last day."""
    from bigfish.linking import rebuild_networks
    from bigfish.linking.aging import age_networks
    from bigfish.store import open_store
    from bigfish.store.schema_linking import networks

    db = Path(args.db)
    build_store(db, args.reports)
    store = open_store(f"sqlite:///{db}")
    built = datetime(2025, 12, 1, 12, tzinfo=UTC)  # build_store's reports end on this day
    rebuild_networks(store, now=built)
    with store.connect() as conn:
        growing = conn.execute(
            sa.select(sa.func.count()).where(networks.c.growth_30d > 0)
        ).scalar_one()
    for days in (1, 2, 10):
        with store.begin() as conn:
            started = time.perf_counter()
            changed = age_networks(conn, built + timedelta(days=days))
            seconds = time.perf_counter() - started
        print(
            f"aging {days} day(s) later: {seconds * 1000:.0f} ms, {changed:,} of {growing:,}"
            " growing networks changed"
        )


def plain_script(out: Path) -> tuple[float, float]:
    """Read every file, normalize phones with phonenumbers, union-find in memory; no storage.
    Returns wall and CPU seconds."""
    import openpyxl
    import phonenumbers

    started, started_cpu = time.perf_counter(), time.process_time()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def rows(path: Path) -> list[dict[str, str]]:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig") as f:
                return list(csv.DictReader(f))
        if path.suffix == ".jsonl":
            out_rows = []
            for line in path.open(encoding="utf-8"):
                rec = json.loads(line)
                phones = [
                    i["value"] for i in rec.get("identifiers", []) if i.get("kind") == "phone"
                ]
                out_rows.append(
                    {
                        "report_id": rec.get("report_id", ""),
                        "country": rec.get("country", ""),
                        "phones": ";".join(phones),
                    }
                )
            return out_rows
        sheet = openpyxl.load_workbook(path, read_only=True).active
        it = sheet.iter_rows(values_only=True)
        header = [str(h) for h in next(it)]
        return [
            dict(zip(header, ["" if c is None else str(c) for c in r], strict=False)) for r in it
        ]

    partnership = json.loads((out / "partnership.json").read_text())
    for org in partnership["organizations"]:
        for f in org["files"]:
            for row in rows(out / f["path"]):
                key = f"{org['name']}/{row.get('report_id', '')}"
                country = (row.get("country") or "TH")[:2].upper()
                for raw in (row.get("phones") or "").split(";"):
                    if not raw.strip():
                        continue
                    try:
                        num = phonenumbers.parse(raw, country)
                    except phonenumbers.NumberParseException:
                        continue
                    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
                    parent[find(key)] = find(e164)
    return time.perf_counter() - started, time.process_time() - started_cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmds: list[list[str]]) -> tuple[float, float]:
    """Run CMDS one after the other; wall seconds and CPU seconds of them and their workers."""
    cpu, started = _children_cpu(), time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def e2e(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    if not (out / "partnership.json").exists():
        from bigfish.synth import generate

        generate(out, reports=args.reports, seed=3)
    plain, plain_cpu = plain_script(out)
    bigfish = str(Path(sys.executable).with_name("bigfish"))
    partnership = json.loads((out / "partnership.json").read_text())
    print(f"plain script {plain:.2f} s wall, {plain_cpu:.2f} s CPU")
    # One `bigfish ingest` per file (as a partner would run them; each updates the networks),
    # then one run of all files from the manifest (networks updated once, at the end). Both
    # store the same reports; a network update of over 5,000 changed reports is a rebuild.
    per_file: list[list[str]] = []
    for org in partnership["organizations"]:
        for f in org["files"]:
            cmd = [bigfish, "--db", "", "ingest", str(out / f["path"]), "--org", org["name"]]
            if f.get("map"):
                cmd += ["--map", str(out / f["map"])]
            per_file.append(cmd)
    manifest = [[bigfish, "--db", "", "ingest", "--manifest", str(out / "partnership.json")]]
    for label, cmds in (("per file", per_file), ("--manifest", manifest)):
        if args.only and args.only != label.strip("-").replace(" ", "-"):
            continue
        db = out / ("e2e.db" if label == "per file" else "e2e-manifest.db")
        db.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
        ingest_s, ingest_cpu = _timed([[c if c else url for c in cmd] for cmd in cmds])
        networks_s, networks_cpu = _timed([[bigfish, "--db", url, "networks", "--json"]])
        total, total_cpu = ingest_s + networks_s, ingest_cpu + networks_cpu
        print(
            f"e2e {args.reports:,} reports, ingest {label} ({len(cmds)} runs):"
            f" bigfish ingest {ingest_s:.1f} s + networks --json {networks_s:.1f} s"
            f" = {total:.1f} s; plain script {plain:.1f} s; ratio {total / plain:.2f}"
            f" | CPU {ingest_cpu:.1f} + {networks_cpu:.1f} = {total_cpu:.1f} s"
            f" vs {plain_cpu:.1f} s; ratio {total_cpu / plain_cpu:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["rebuild", "incremental", "e2e", "aging", "_child"])
    parser.add_argument("--reports", type=int, default=None)
    parser.add_argument("--db", default="/tmp/bigfish-bench-linking.db")
    parser.add_argument("--dir", default="/tmp/bigfish-bench-e2e")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--only", choices=["per-file", "manifest"], default=None, help="e2e: one way only"
    )
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="incremental: leave the start-up objects to the cyclic collector's full passes",
    )
    args = parser.parse_args()
    if args.mode == "_child":
        child_rebuild(Path(args.db))
        return
    if args.reports is None:
        args.reports = 300_000 if args.mode == "e2e" else 1_000_000
    modes = {"rebuild": rebuild, "incremental": incremental, "e2e": e2e, "aging": aging}
    modes[args.mode](args)


if __name__ == "__main__":
    main()
