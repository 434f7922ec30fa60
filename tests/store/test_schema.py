from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from bigfish.organizations import add_group, add_org, list_orgs
from bigfish.store import Store, open_store
from bigfish.store.schema import reports


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


def test_a_time_with_an_offset_is_kept_as_the_same_instant(store: Store) -> None:
    # SQLite kept 10:04+07:00 as 10:04, read back (as UTC) seven hours late; PostgreSQL right.
    bangkok = timezone(timedelta(hours=7))
    at = datetime(2025, 1, 2, 10, 4, 5, 123456, tzinfo=bangkok)
    org = add_org(store, "th-aoc", country="TH")
    with store.begin() as conn:
        conn.execute(
            reports.insert().values(
                org_id=org.id,
                report_id="R-1",
                reported_at=at,
                country="TH",
                tlp="amber",
                distribution="organization",
                created_at=at,
                updated_at=at,
            )
        )
    with store.connect() as conn:
        kept = conn.execute(sa.select(reports.c.reported_at)).scalar_one()
        kept = kept if kept.tzinfo is not None else kept.replace(tzinfo=UTC)
        assert kept == at and kept.astimezone(UTC).hour == 3
        after = sa.select(reports.c.report_id).where(
            reports.c.reported_at > datetime(2025, 1, 2, 9, 0, tzinfo=bangkok)  # 02:00 UTC
        )
        assert conn.execute(after).scalars().all() == ["R-1"]
