from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

import bigfish.store
from bigfish.store import Store, metadata


def test_migrations_produce_exactly_the_declared_schema(store: Store) -> None:
    with store.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, metadata) == []


def _run(store: Store, step: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(bigfish.store.__file__).with_name("migrations"))
    )
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, revision)


def test_0003_page_figures_downgrades_and_upgrades_again(store: Store) -> None:
    assert "page_figures" in sa.inspect(store.engine).get_table_names()
    _run(store, "downgrade", "0002")
    assert "page_figures" not in sa.inspect(store.engine).get_table_names()
    _run(store, "upgrade", "0003")
    assert "page_figures" in sa.inspect(store.engine).get_table_names()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0004_request_signatures_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("request_events")}

    assert {"signature", "signed_by"} <= columns()
    _run(store, "downgrade", "0003")
    assert not {"signature", "signed_by"} & columns()
    assert "peer_keys" not in sa.inspect(store.engine).get_table_names()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0005_page_figures_facets_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("page_figures")}

    assert "facets" in columns()
    _run(store, "downgrade", "0004")
    assert "facets" not in columns() and "rest" in columns()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0006_network_parts_downgrades_and_upgrades_again(store: Store) -> None:
    assert "network_parts" in sa.inspect(store.engine).get_table_names()
    _run(store, "downgrade", "0005")
    assert "network_parts" not in sa.inspect(store.engine).get_table_names()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0007_custody_acquisition_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("custody_events")}

    assert "acquisition" in columns()
    _run(store, "downgrade", "0006")
    assert "acquisition" not in columns() and "signature" in columns()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0008_report_withdrawals_downgrades_and_upgrades_again(store: Store) -> None:
    assert "report_withdrawals" in sa.inspect(store.engine).get_table_names()
    _run(store, "downgrade", "0007")
    assert "report_withdrawals" not in sa.inspect(store.engine).get_table_names()
    _run(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
