import sqlalchemy as sa

from bigfish.organizations import add_group, add_org, list_orgs
from bigfish.store import Store, open_store


def test_open_store_creates_every_table(store: Store) -> None:
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"organizations", "reports", "identifiers", "mentions", "sharing_groups"} <= names


def test_reopening_a_migrated_store_keeps_its_data(store_url: str) -> None:
    first = open_store(store_url)
    add_org(first, "th-aoc", country="TH", sector="anti_scam_centre")
    first.close()
    second = open_store(store_url)
    assert [o.name for o in list_orgs(second)] == ["th-aoc"]
    second.close()


def test_sqlite_pragmas_are_set(sqlite_store: Store) -> None:
    with sqlite_store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_group_members_include_the_owner(store: Store) -> None:
    add_org(store, "a", country="TH")
    add_org(store, "c", country="VN")
    group = add_group(store, "mekong", owner="a", members=["c"])
    assert group.members == ("a", "c")
