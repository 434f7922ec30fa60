"""Opening the store: every problem is a BigfishError naming the setting, never a driver
traceback, and never with the password of the URL (in the message or in any log)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from bigfish.errors import ConfigError, StoreError
from bigfish.organizations import add_org, list_orgs
from bigfish.store import Store, base, open_store
from bigfish.store.base import redact

SETTING = "--db / BIGFISH_DATABASE_URL"
PASSWORD = "hunter2-secret"


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://bob:{PASSWORD}@db.example/bigfish",  # a scheme bigfish does not support
        f"postgresq://bob:{PASSWORD}@db.example/bigfish",  # a typo of one it does
        f"postgresql://bob:{PASSWORD}@db.example:notaport/bigfish",
        f"postgresql://bob:{PASSWORD}@x@127.0.0.1/bigfish",  # an '@' not written %40
    ],
)
def test_a_url_bigfish_cannot_use_names_the_setting_and_hides_the_password(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises((ConfigError, StoreError)) as raised:
        open_store(url)
    message = str(raised.value)
    assert SETTING in message
    assert "hunter2" not in message and "secret" not in message
    assert "hunter2" not in caplog.text


def test_an_unreachable_postgresql_is_a_store_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Port 1 of this machine: nothing listens there, the connection is refused at once.
    with pytest.raises(StoreError) as raised:
        open_store(f"postgresql://bob:{PASSWORD}@127.0.0.1:1/bigfish")
    message = str(raised.value)
    assert SETTING in message and "database could not be used" in message
    assert "bob:***@127.0.0.1:1/bigfish" in message
    assert PASSWORD not in message and PASSWORD not in caplog.text


def test_a_password_in_the_query_is_hidden_too() -> None:
    shown = redact(f"postgresql://bob@h/db?sslmode=require&password={PASSWORD}")
    assert PASSWORD not in shown and shown.endswith("password=***")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("minutes of the meeting\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError) as raised:
        open_store(f"sqlite:///{path}")
    assert SETTING in str(raised.value) and "not a database" in str(raised.value)
    assert path.read_text(encoding="utf-8").startswith("minutes")  # left as it was


def test_a_directory_given_as_the_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(f"sqlite:///{tmp_path}")
    assert SETTING in str(raised.value)


def test_a_database_under_a_file_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    with pytest.raises(StoreError) as raised:
        open_store(f"sqlite:///{tmp_path / 'plain' / 'bigfish.db'}")
    assert SETTING in str(raised.value) and "directory" in str(raised.value)


def test_a_path_from_the_home_directory_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)
    store = open_store("sqlite:///~/node/bigfish.db")
    store.close()
    assert (home / "node" / "bigfish.db").is_file()
    assert list(elsewhere.iterdir()) == []  # no directory named '~' beside the command


def test_a_database_of_a_newer_bigfish_is_refused_and_left_alone(
    store: Store, store_url: str
) -> None:
    add_org(store, "th-aoc", country="TH")
    with store.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    store.close()
    for migrate_schema in (True, False):
        with pytest.raises(StoreError) as raised:
            open_store(store_url, migrate_schema=migrate_schema)
        message = str(raised.value)
        assert "'0999'" in message and "newer bigfish" in message and SETTING in message
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0999"
    engine.dispose()
    with store.begin() as conn:  # back at this code's revision, it opens with its data
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": _head()})
    again = open_store(store_url)
    assert [o.name for o in list_orgs(again)] == ["th-aoc"]
    again.close()


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(base.__file__).with_name("migrations")))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head
