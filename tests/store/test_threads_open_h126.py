"""Two threads of one process opening new SQLite stores at the same moment.

Alembic keeps the migration under way in process-wide proxies (`alembic.op`,
`alembic.context`): two threads migrating at once ran one thread's DDL on the other's
connection (`InterfaceError: bad parameter or other API misuse`), and then the process died
(`Fatal Python error: Segmentation fault` in the baseline migration). A crash kills pytest,
so the race runs in a child process whose exit status and output the test reads.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

#: Each round migrates two new stores at once. Without the process-wide lock one round alone
#: failed in 40 runs of 40 (the two migrations overlap however the threads are scheduled), so
#: 5 rounds leave a wide margin, at a fifth of the 25 rounds' price.
ROUNDS = 5

RACE = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path

    from bigfish.organizations import add_org, list_orgs
    from bigfish.store import open_store

    folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
    failures = []
    for n in range(rounds):
        both_ready = threading.Barrier(2, timeout=120)

        def open_and_use(name):
            try:
                url = f"sqlite:///{folder / f'{n}-{name}.db'}"
                both_ready.wait()  # both threads start opening their new store together
                store = open_store(url)
                try:
                    add_org(store, name, country="TH")
                    names = [o.name for o in list_orgs(store)]
                finally:
                    store.close()
                if names != [name]:
                    failures.append(f"round {n}: {name} read {names}")
            except BaseException as exc:
                failures.append(f"round {n}: {name}: {type(exc).__name__}: {exc}")
                both_ready.abort()

        threads = [threading.Thread(target=open_and_use, args=(x,)) for x in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print("\\n".join(failures) if failures else f"{rounds} rounds, all stores usable")
    """
)


def test_two_threads_opening_new_stores_at_once_both_get_usable_stores(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", RACE, str(tmp_path), str(ROUNDS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (child.returncode, child.stdout.strip()) == (
        0,
        f"{ROUNDS} rounds, all stores usable",
    ), child.stderr[-2000:]
    assert len(list(tmp_path.glob("*.db"))) == 2 * ROUNDS
