"""Two look-alike names created at the same instant both got in (README's known limitations):
each creator read the taken names, then inserted, and two doing so at once (two admins, two API
calls, a sync pull beside an admin) each found the other's name missing, so `PaypaI` and
`paypal` were both organizations, groups or users. Now the check and the insert of one
namespace are one step (`bigfish.store.name_locks`): the second creator reads after the first
has committed, and is refused naming the first's name; the same name twice is "already exists",
as when created one after the other, not the database's unique-constraint error.

Each race pauses the first creator after it has read the taken names (the function that reads
them, wrapped), starts the second, and lets the first go once the second has read them too (the
old code) or is about to wait for the first's lock (`lock_names`, wrapped). No time is asserted:
the waits' limit (`WAIT`) is a safety net only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import pytest
import sqlalchemy as sa

import bigfish.accounts
import bigfish.interop.importer
import bigfish.organizations
from bigfish.accounts import Principal, add_user
from bigfish.errors import InputError
from bigfish.interop.importer import ImportOutcome, import_objects
from bigfish.memberships import create_group
from bigfish.models import ApiRole
from bigfish.organizations import Organization, add_group, add_org, ensure_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports, sharing_groups
from bigfish.store.schema_access import users
from tests.interop.builders import RING_PHONE, bigfish_report
from tests.polling import WAIT

PASSWORD = "correct horse battery"


@dataclass
class _Race:
    """Two creators, A then B, meeting between A's read of the taken names and its insert:
    A's read number PAUSE_AT (the one its insert follows)."""

    pause_at: int = 1
    a_reads: int = 0
    a_read: threading.Event = field(default_factory=threading.Event)
    b_reached: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    threads: dict[str, threading.Thread] = field(default_factory=dict)
    results: dict[str, object] = field(default_factory=dict)

    def _is(self, label: str) -> bool:
        return self.threads.get(label) is threading.current_thread()

    def after_read(self) -> None:
        """Called once a creator has read the taken names: A waits there for B."""
        if self._is("a"):
            self.a_reads += 1
            if self.a_reads != self.pause_at:
                return
            self.a_read.set()
            assert self.go.wait(WAIT), "B never reached the check, nor the lock before it"
        elif self._is("b"):
            self.b_reached.set()

    def before_lock(self) -> None:
        """Called as a creator asks for the lock of names: B will wait there for A's commit."""
        if self._is("b"):
            self.b_reached.set()

    def wrap_read(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> None:
        original = getattr(module, name)

        def read_then_pause(*args: object, **kwargs: object) -> object:
            result = original(*args, **kwargs)
            self.after_read()
            return result

        monkeypatch.setattr(module, name, read_then_pause)

    def wrap_lock(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
        original = getattr(module, "lock_names", None)  # None: the code before the lock

        def signal_then_lock(*args: object, **kwargs: object) -> None:
            self.before_lock()
            if original is not None:
                original(*args, **kwargs)

        monkeypatch.setattr(module, "lock_names", signal_then_lock, raising=False)

    def run(self, create_a: Callable[[], object], create_b: Callable[[], object]) -> None:
        def attempt(label: str, create: Callable[[], object]) -> None:
            try:
                self.results[label] = create()
            except Exception as exc:  # what each creator was answered, asserted by the test
                self.results[label] = exc

        for label, create in (("a", create_a), ("b", create_b)):
            self.threads[label] = threading.Thread(target=attempt, args=(label, create))
        self.threads["a"].start()
        assert self.a_read.wait(WAIT), "A never read the taken names"
        self.threads["b"].start()
        assert self.b_reached.wait(WAIT), "B never reached the check, nor the lock before it"
        self.go.set()
        for thread in self.threads.values():
            thread.join(WAIT)
            assert not thread.is_alive(), "a creator is still running"


def _names(store: Store, column: sa.Column[str]) -> list[str]:
    with store.connect() as conn:
        return sorted(conn.execute(sa.select(column)).scalars())


def _refused(result: object) -> str:
    assert isinstance(result, InputError), f"the second creator was answered {result!r}"
    return result.message


def _org_race(monkeypatch: pytest.MonkeyPatch) -> _Race:
    race = _Race()
    race.wrap_read(monkeypatch, bigfish.organizations, "_lookalike")
    race.wrap_lock(monkeypatch, bigfish.organizations)
    return race


def test_two_look_alike_organizations_at_once_one_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = _org_race(monkeypatch)
    race.run(lambda: add_org(store, "PaypaI"), lambda: add_org(store, "paypal"))
    assert _names(store, organizations.c.name) == ["PaypaI"], "both look-alikes got in"
    assert "organization 'paypal' would show like organization 'PaypaI'" in _refused(
        race.results["b"]
    )


def test_the_same_organization_twice_at_once_already_exists(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = _org_race(monkeypatch)
    race.run(lambda: add_org(store, "paypal"), lambda: add_org(store, "paypal"))
    assert _names(store, organizations.c.name) == ["paypal"]
    assert _refused(race.results["b"]) == "organization 'paypal' already exists"


def test_ingest_org_twice_at_once_is_one_organization(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish ingest --org NEW` run twice at once: both runs file under the one organization."""

    def ensure() -> int:
        with store.begin() as conn:
            return ensure_org(conn, "paypal")

    race = _org_race(monkeypatch)
    race.run(ensure, ensure)
    assert _names(store, organizations.c.name) == ["paypal"]
    assert race.results["a"] == race.results["b"], race.results


def test_a_pulled_organization_and_an_admins_look_alike_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync pull creating `paypal` (a peer's organization) while an admin adds `PaypaI`."""
    page = [bigfish_report("r1", org="paypal", phone=RING_PHONE)]

    def pull() -> object:
        with store.begin() as conn:
            return import_objects(conn, page, peer="https://peer.example", default_org="peer-org")

    race = _org_race(monkeypatch)
    race.run(pull, lambda: add_org(store, "PaypaI"))
    assert _names(store, organizations.c.name) == ["paypal"], "both look-alikes got in"
    assert "organization 'PaypaI' would show like organization 'paypal'" in _refused(
        race.results["b"]
    )


def _group_race(monkeypatch: pytest.MonkeyPatch, pause_at: int = 1) -> _Race:
    race = _Race(pause_at=pause_at)
    race.wrap_read(monkeypatch, bigfish.organizations, "_group_taken")
    race.wrap_lock(monkeypatch, bigfish.organizations)
    return race


def test_a_pulled_organization_created_here_at_once_is_not_the_peers(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin adds `paypal` (this node's own) while a sync pull brings a report of a `paypal`
    on the peer: the pull, which found no `paypal` when it began, finds it under the lock, and
    rejects the report as of an organization hosted here, as it would once it is held. Before,
    the report was filed under this node's `paypal` (PostgreSQL), or the admin was answered
    the database's unique-constraint error and the peer's `paypal` kept (SQLite)."""
    page = [bigfish_report("r1", org="paypal", phone=RING_PHONE)]

    def pull() -> object:
        with store.begin() as conn:
            return import_objects(conn, page, peer="https://peer.example", default_org="peer-org")

    race = _org_race(monkeypatch)
    announce = bigfish.interop.importer.announce_writer

    def announce_then_wait(conn: sa.Connection) -> None:
        if conn.dialect.name == "sqlite":  # the one write lock, which A holds: B waits here
            race.before_lock()
        announce(conn)

    monkeypatch.setattr(bigfish.interop.importer, "announce_writer", announce_then_wait)
    race.run(lambda: add_org(store, "paypal"), pull)
    assert isinstance(race.results["a"], Organization), race.results
    with store.connect() as conn:
        held = conn.execute(sa.select(organizations.c.name, organizations.c.node)).all()
        filed = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    assert [tuple(row) for row in held] == [("paypal", None)]
    assert filed == 0, "the peer's report was filed under this node's organization"
    outcome = race.results["b"]
    assert isinstance(outcome, ImportOutcome), outcome
    assert [reason for _, reason in outcome.rejections] == [
        "org: paypal is hosted on this node, not on the node that sent this report"
    ]


def test_two_look_alike_groups_at_once_one_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_org(store, "A")
    add_org(store, "B")
    race = _group_race(monkeypatch)
    race.run(
        lambda: add_group(store, "PaypaI", owner="A", members=[]),
        lambda: add_group(store, "paypal", owner="B", members=[]),
    )
    assert _names(store, sharing_groups.c.name) == ["PaypaI"], "both look-alikes got in"
    assert "sharing group 'paypal' would show like sharing group 'PaypaI'" in _refused(
        race.results["b"]
    )


def test_the_same_group_twice_at_once_already_exists(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_org(store, "A")
    race = _group_race(monkeypatch)
    race.run(
        lambda: add_group(store, "paypal", owner="A", members=[]),
        lambda: add_group(store, "paypal", owner="A", members=[]),
    )
    assert _names(store, sharing_groups.c.name) == ["paypal"]
    assert _refused(race.results["b"]) == "sharing group 'paypal' already exists"


def test_two_admins_look_alike_groups_at_once_the_second_is_told_no_name(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the API (`create_group`) the loser's answer names no group: the group taken is
    another organization's, which it may not know exists. Each admin's call reads the taken
    names twice (once to answer a taken name before any other check, once as it creates the
    group): A pauses at the second."""

    def admin(org: str) -> Principal:
        org_id = add_org(store, org).id
        return Principal(f"key:{org_id}", org_id, org, ApiRole.ADMIN, False, frozenset())

    first, second = admin("A"), admin("B")
    race = _group_race(monkeypatch, pause_at=2)
    race.run(
        lambda: create_group(store, first, "PaypaI", []),
        lambda: create_group(store, second, "paypal", []),
    )
    assert _names(store, sharing_groups.c.name) == ["PaypaI"], "both look-alikes got in"
    assert _refused(race.results["b"]) == "this group name cannot be used"


@pytest.mark.usefixtures("fast_argon2")
def test_two_look_alike_users_at_once_one_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_org(store, "A")
    race = _Race()
    race.wrap_read(monkeypatch, bigfish.accounts, "_check_username_lookalike")
    race.wrap_lock(monkeypatch, bigfish.accounts)

    def user(name: str) -> Callable[[], object]:
        return lambda: add_user(
            store, org="A", username=name, password=PASSWORD, role=ApiRole.ANALYST
        )

    race.run(user("PaypaI"), user("paypal"))
    assert _names(store, users.c.username) == ["PaypaI"], "both look-alikes got in"
    assert "username 'paypal' would show like user 'PaypaI'" in _refused(race.results["b"])


@pytest.mark.usefixtures("fast_argon2")
def test_the_same_user_twice_at_once_already_exists(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_org(store, "A")
    race = _Race()
    race.wrap_read(monkeypatch, bigfish.accounts, "_check_username_lookalike")
    race.wrap_lock(monkeypatch, bigfish.accounts)

    def user() -> object:
        return add_user(store, org="A", username="paypal", password=PASSWORD, role=ApiRole.ANALYST)

    race.run(user, user)
    assert _names(store, users.c.username) == ["paypal"]
    assert _refused(race.results["b"]) == "user 'paypal' already exists"


def test_the_locks_of_names_share_no_key_with_the_nodes_other_locks() -> None:
    """PostgreSQL's advisory locks are one space per database: a key taken twice would make a
    creator of names wait for a link run, or two namespaces wait for each other."""
    import bigfish.evidence.log
    import bigfish.store.base
    from bigfish.linking.state import LINK_LOCK
    from bigfish.store.name_locks import NAME_LOCKS
    from bigfish.store.stamps import WRITE_LOCK
    from bigfish.suggestions.state import SUGGEST_LOCK

    keys = [
        *NAME_LOCKS.values(),
        WRITE_LOCK,
        LINK_LOCK,
        SUGGEST_LOCK,
        bigfish.store.base._MIGRATION_LOCK,
        bigfish.evidence.log._LOCK_ID,
    ]
    assert len(set(keys)) == len(keys), [hex(k) for k in keys]
