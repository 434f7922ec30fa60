"""Web application benchmarks (run by hand; figures in the web note).

    .venv/bin/python benchmarks/bench_web.py pages   [--reports 1000000] [--db PATH] [--runs 30]
    .venv/bin/python benchmarks/bench_web.py browser [--db PATH]
    .venv/bin/python benchmarks/bench_web.py first   [--db PATH] [--viewers 5] [--runs 4]
    .venv/bin/python benchmarks/bench_web.py warm    [--db PATH] [--viewers 5] [--kept] [--arrive S]

pages: writes a store of N reports from 13 organizations in 9 countries (most shared with the
partnership, TLP:GREEN; one organization keeps its reports private), with rings that rotate
assets, one planted 500-report ring and lone scams, links it, then times every page server-side
(in-process ASGI client, signed in as an analyst of a sharing organization) and prints p50/p95;
then adds a report (straight into SQLite, deleted at the end) and times `/` right after it (the
previous figures, marked stale), how long the background refresh takes, and `/` once it is done.
first: the first `/` of each of VIEWERS organizations' analysts in a new server process, each
measured in its own child process (sign in, `gc.freeze()` as `bigfish serve` does, then `/`
timed in-process as above): first with no figures kept in the store (computed while the page
waits; the child then waits until they are kept), then RUNS times per viewer with the figures
kept by those children (served at once, marked as of their time, while the child's refresh
starts; the child exits without waiting for it), and then `/networks` with a filter, which reads
every network of the kept ranking. Prints p50/p95 and the load average.
warm: in one new process with nothing kept (with --kept: with the figures earlier processes kept),
warms every organization with a web user as `bigfish serve` does when it starts
(`bigfish.web.data.warm_figures`), prints how long that took, then times each viewer's first `/`
and a filtered ranking after it; with --arrive S the last viewer first asks for `/` S seconds into
the warm-up, before its own has started (its queued warm-up gives way to the page).
browser: serves the same store with uvicorn and measures, in Debian's headless chromium, how long
the network page of the 500-report ring takes from navigation until the graph is laid out.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

ORGS = [
    ("th-aoc", "TH"), ("th-kbank", "TH"), ("vn-police", "VN"), ("vn-viettel", "VN"),
    ("sg-asc", "SG"), ("sg-dbs", "SG"), ("my-nsrc", "MY"), ("id-ojk", "ID"), ("ph-cicc", "PH"),
    ("kh-police", "KH"), ("ae-police", "AE"), ("au-nasc", "AU"), ("interpol", "FR"),
]  # fmt: skip
PRIVATE_ORG = 2  # th-kbank keeps its reports to itself
PASSWORD = "correct horse battery staple"
BIG_RING = 500
TYPES = ("investment", "romance", "job_task", "impersonation_bank", "shopping", "loan")


def build_store(db: Path, n_reports: int, seed: int = 3) -> None:
    """N_REPORTS reports with ring structure, written straight into SQLite, then linked."""
    from bigfish.accounts import add_user
    from bigfish.linking.service import rebuild_networks
    from bigfish.models import ApiRole
    from bigfish.store import open_store

    if db.exists():
        return
    open_store(f"sqlite:///{db}").close()
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    for i, (name, country) in enumerate(ORGS, start=1):
        con.execute(
            "INSERT INTO organizations (id, name, country, created_at) VALUES (?, ?, ?, ?)",
            (i, name, country, stamp),
        )
    idents: list[tuple[int, str, str, int, str | None]] = []

    def new_ident(kind: str, country: str | None) -> int:
        idents.append((len(idents) + 1, kind, f"{kind}-{len(idents) + 1}", 1, country))
        return len(idents)

    reports_rows: list[tuple[object, ...]] = []
    mention_rows: list[tuple[int, int, str, str]] = []
    pk = 0
    first = True
    while pk < n_reports:
        ring = first or rng.random() < 0.45
        size = BIG_RING if first else (min(int(rng.paretovariate(1.3) * 4) + 2, 300) if ring else 1)
        first = False
        home = rng.choice(ORGS)[1]
        assets = [
            new_ident(rng.choice(("phone", "bank_account", "url")), home)
            for _ in range(max(2, size // 6))
        ]
        for _ in range(size):
            pk += 1
            org = rng.randrange(1, len(ORGS) + 1)
            country = ORGS[org - 1][1]
            day = now - timedelta(days=rng.randrange(540), seconds=rng.randrange(86400))
            shared = org != PRIVATE_ORG
            created = (now - timedelta(hours=rng.randrange(24 * 60))).strftime(
                "%Y-%m-%d %H:%M:%S.%f+00:00"
            )
            reports_rows.append(
                (pk, org, f"R{pk}", day.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"), country,
                 rng.choice(TYPES), str(rng.randrange(100, 100000)), "THB", rng.random() * 3000,
                 "green" if shared else "amber", "partnership" if shared else "organization",
                 created, created)
            )  # fmt: skip
            chosen = (
                rng.sample(assets, k=min(len(assets), rng.choice((1, 2, 2, 3)))) if ring else []
            )
            chosen += [new_ident("phone", country) for _ in range(max(3 - len(chosen), 1))]
            for ident in set(chosen):
                mention_rows.append((pk, ident, "field", "x"))
            if pk >= n_reports:
                break
    con.executemany(
        "INSERT INTO identifiers (id, kind, canonical, valid, country) VALUES (?, ?, ?, ?, ?)",
        idents,
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
    print(f"built {db}: {len(reports_rows):,} reports, {len(mention_rows):,} mentions", flush=True)
    store = open_store(f"sqlite:///{db}")
    started = time.perf_counter()
    rebuild_networks(store)
    print(f"linked in {time.perf_counter() - started:.1f} s", flush=True)
    add_user(store, org="th-aoc", username="analyst", password=PASSWORD, role=ApiRole.ANALYST)
    store.close()


def first_report(db: Path) -> str:
    """`/reports/ORG/R1`: the page of the planted ring's first report."""
    con = sqlite3.connect(db)
    (name,) = con.execute(
        "SELECT o.name FROM reports r JOIN organizations o ON o.id = r.org_id WHERE r.id = 1"
    ).fetchone()
    con.close()
    return f"/reports/{name}/R1"


def big_ring(db: Path) -> int:
    """The network that holds report R1 (the planted 500-report ring)."""
    con = sqlite3.connect(db)
    row = con.execute(
        "SELECT m.network_id FROM network_members m JOIN networks n ON n.id = m.network_id"
        " WHERE m.report_pk = 1 AND n.status = 'active'"
    ).fetchone()
    con.close()
    return int(row[0])


def _client(db: Path, username: str = "analyst", app=None):  # type: ignore[no-untyped-def]
    """A client signed in as USERNAME to APP, by default a new application over DB."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from bigfish.api.app import ApiSettings, create_app
    from bigfish.store import open_store

    if app is None:
        app = create_app(open_store(f"sqlite:///{db}"), ApiSettings(rate_limit_per_minute=0))
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def pages(args: argparse.Namespace) -> None:
    build_store(args.db, args.reports)
    ring = big_ring(args.db)
    client = _client(args.db)
    paths = [
        "/",
        "/networks",
        "/networks?country=VN&min_countries=3",
        f"/networks/{ring}",
        "/search?q=phone-17",
        "/search?q=081-234-5678&country=TH",
        first_report(args.db),
        "/alerts",
        "/requests",
        "/evidence",
        "/organizations",
    ]
    print(f"{'page':45} {'p50 ms':>8} {'p95 ms':>8} {'first ms':>9}")
    for path in paths:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
        ordered = sorted(times)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        print(f"{path:45} {statistics.median(times):8.1f} {p95:8.1f} {times[0]:9.1f}", flush=True)
    after_a_new_report(args, client, ring)


def _timed_get(client, path: str) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (path, answer.status_code)
    return elapsed, answer.text


def after_a_new_report(  # type: ignore[no-untyped-def]
    args: argparse.Namespace, client, ring: int
) -> None:
    """`/` right after a new report (stale figures, marked, while one refresh runs), how long
    until the refresh is done, then `/` again; the bench's reports are deleted afterwards."""
    from bigfish.web import freshness

    marker = 'data-testid="as-of"'
    con = sqlite3.connect(args.db)
    try:
        for _ in range(min(args.runs, 5)):
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
            con.execute(
                "INSERT INTO reports (org_id, report_id, reported_at, country, loss_amount,"
                " loss_currency, loss_usd, tlp, distribution, created_at, updated_at)"
                " VALUES (1, ?, ?, 'TH', '1000', 'THB', 30.0, 'green', 'partnership', ?, ?)",
                (f"bench-new-{time.time_ns()}", stamp, stamp, stamp),
            )
            con.commit()
            started = time.perf_counter()
            stale_ms, stale = _timed_get(client, "/")
            during = [_timed_get(client, "/networks/" + str(ring))[0] for _ in range(3)]
            freshness.settle(timeout=600)
            refresh_ms = (time.perf_counter() - started) * 1000
            fresh_ms, fresh = _timed_get(client, "/")
            print(
                f"/ after a new report: {stale_ms:.1f} ms (stale, marked: {marker in stale}); "
                f"refreshed within {refresh_ms:.0f} ms; then {fresh_ms:.1f} ms "
                f"(marked: {marker in fresh}); /networks/{ring} during the refresh: "
                f"{', '.join(f'{t:.0f}' for t in during)} ms",
                flush=True,
            )
    finally:
        con.execute("DELETE FROM reports WHERE report_id LIKE 'bench-new-%'")
        con.commit()
        con.close()


def _viewers(db: Path, count: int) -> list[str]:
    """Usernames of analysts of the first COUNT organizations (created when missing)."""
    from bigfish.accounts import add_user
    from bigfish.models import ApiRole
    from bigfish.store import open_store

    con = sqlite3.connect(db)
    existing = {name for (name,) in con.execute("SELECT username FROM users")}
    con.close()
    names = ["analyst"] + [f"{org}-analyst" for org, _ in ORGS[1:count]]
    store = open_store(f"sqlite:///{db}")
    for name, (org, _) in zip(names, ORGS, strict=False):
        if name not in existing:
            add_user(store, org=org, username=name, password=PASSWORD, role=ApiRole.ANALYST)
    store.close()
    return names


def _first_page_child(args: argparse.Namespace) -> None:
    """In a new process: sign USER in, time `/`, print it as JSON; with --settle wait until the
    figures are kept, else exit at once (the refresh it started dies with it)."""
    from bigfish.web import freshness

    client = _client(args.db, args.user)
    gc.freeze()  # as `bigfish serve` does once started
    elapsed, text = _timed_get(client, "/")
    count = re.search(r'data-testid="report-count">([\d,]+)<', text)
    answer = {"ms": elapsed, "as_of": 'data-testid="as-of"' in text, "reports": count and count[1]}
    if not args.settle:  # a filter reads every network of the kept ranking
        answer["filtered_ms"] = _timed_get(client, "/networks?country=VN&min_countries=3")[0]
    print(json.dumps(answer), flush=True)
    if args.settle:
        freshness.settle(timeout=1200)
    os._exit(0)  # no waiting for the refresh thread at exit


def _first_page(db: Path, user: str, *, settle: bool) -> dict[str, object]:
    command = [sys.executable, __file__, "first-child", "--db", str(db), "--user", user]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        command + (["--settle"] if settle else []),
        cwd=root,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, (str(root), _path())))},
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _path() -> str:
    return os.environ.get("PYTHONPATH", "")


def _percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms (n={len(ordered)})"


def first(args: argparse.Namespace) -> None:
    build_store(args.db, args.reports)
    users = _viewers(args.db, args.viewers)
    con = sqlite3.connect(args.db)
    con.execute("DELETE FROM page_figures")
    con.commit()
    con.close()
    print(f"load average before: {os.getloadavg()}", flush=True)
    cold = []
    for user in users:
        answer = _first_page(args.db, user, settle=True)
        print(f"no kept figures  {user:22} {answer}", flush=True)
        cold.append(float(answer["ms"]))  # type: ignore[arg-type]
    kept, filtered = [], []
    for run in range(args.runs):
        for user in users:
            answer = _first_page(args.db, user, settle=False)
            print(f"kept, run {run + 1}      {user:22} {answer}", flush=True)
            assert answer["as_of"], answer
            kept.append(float(answer["ms"]))  # type: ignore[arg-type]
            filtered.append(float(answer["filtered_ms"]))  # type: ignore[arg-type]
    print(f"first / in a new process, no kept figures: {_percentiles(cold)}")
    print(f"first / in a new process, kept figures:    {_percentiles(kept)}")
    print(f"then a filtered ranking (kept figures):    {_percentiles(filtered)}")
    print(f"load average after: {os.getloadavg()}")


def browser(args: argparse.Namespace) -> None:
    build_store(args.db, args.reports)
    ring = big_ring(args.db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.browser.serve_app:make_app", "--factory",
         "--port", str(port), "--log-level", "warning"],
        cwd=root,
        env=os.environ | {"BIGFISH_DATABASE_URL": f"sqlite:///{args.db}", "PYTHONPATH": str(root)},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        from playwright.sync_api import sync_playwright
        from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS

        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = chromium.new_page(viewport={"width": 1440, "height": 900})
            page.goto(base + "/login")
            page.fill("#username", "analyst")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            results = []
            for _ in range(args.runs):
                started = time.perf_counter()
                page.goto(f"{base}/networks/{ring}")
                page.locator("#graph[data-rendered-nodes]").wait_for(timeout=30_000)
                total = (time.perf_counter() - started) * 1000
                graph = page.locator("#graph")
                results.append(
                    {
                        "nodes": int(graph.get_attribute("data-rendered-nodes") or 0),
                        "layout_ms": int(graph.get_attribute("data-render-ms") or 0),
                        "navigation_to_graph_ms": round(total),
                    }
                )
            chromium.close()
        print(json.dumps({"network": ring, "runs": results}, indent=1))
        totals = sorted(r["navigation_to_graph_ms"] for r in results)
        print(f"navigation → graph laid out: median {statistics.median(totals):.0f} ms, "
              f"max {totals[-1]} ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)


def warm(args: argparse.Namespace) -> None:
    """In one new server process with nothing kept: warm every organization with a web user as
    `bigfish serve` does at start, then time each viewer's first `/` once the warm-up is done."""
    from bigfish.web import data, freshness

    build_store(args.db, args.reports)
    users = _viewers(args.db, args.viewers)
    if not args.kept:
        con = sqlite3.connect(args.db)
        con.execute("DELETE FROM page_figures")
        con.commit()
        con.close()
    print(f"load average before: {os.getloadavg()}", flush=True)
    first_client = _client(args.db, users[0])
    clients = [first_client] + [_client(args.db, user, first_client.app) for user in users[1:]]
    store = first_client.app.state.store
    gc.freeze()
    started = time.perf_counter()
    queued = data.warm_figures(store)
    if args.arrive is not None:  # the last viewer signs in before its own warm-up has started
        time.sleep(args.arrive)
        elapsed, text = _timed_get(clients[-1], "/")
        marked = 'data-testid="as-of"' in text
        print(
            f"{users[-1]} signs in {args.arrive:.0f} s into the warm-up: first / {elapsed:.0f} ms,"
            f" as of: {marked}",
            flush=True,
        )
    freshness.settle(timeout=3600)
    print(f"warm-up of {queued} organizations: {time.perf_counter() - started:.1f} s", flush=True)
    times, filtered = [], []
    for user, client in zip(users, clients, strict=True):
        elapsed, text = _timed_get(client, "/")
        stale = 'data-testid="as-of"' in text
        filtered.append(_timed_get(client, "/networks?country=VN&min_countries=3")[0])
        print(
            f"first / after the warm-up  {user:22} {elapsed:.0f} ms, as of: {stale}, "
            f"then a filtered ranking {filtered[-1]:.0f} ms",
            flush=True,
        )
        times.append(elapsed)
    print(f"first / after the warm-up: {_percentiles(times)}")
    print(f"then a filtered ranking:   {_percentiles(filtered)}")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("pages", "browser", "first", "warm", "first-child"))
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bigfish-bench-web.db"))
    parser.add_argument("--runs", type=int, default=None, help="30; first: 4 per viewer")
    parser.add_argument("--viewers", type=int, default=5, help="first: organizations")
    parser.add_argument("--user", default="analyst", help=argparse.SUPPRESS)
    parser.add_argument("--settle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kept", action="store_true", help="warm: keep the stored figures")
    parser.add_argument(
        "--arrive", type=float, default=None, help="warm: the last viewer's first / after S s"
    )
    args = parser.parse_args()
    if args.runs is None:
        args.runs = 4 if args.mode == "first" else 30
    modes = {
        "pages": pages,
        "browser": browser,
        "first": first,
        "warm": warm,
        "first-child": _first_page_child,
    }
    modes[args.mode](args)


if __name__ == "__main__":
    main()
