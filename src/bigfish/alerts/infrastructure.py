"""Shared infrastructure raises no alert: a value the linking stopped (a pin, a warning list, the
hub test: `bigfish.linking.hubs`), or one the node's warning lists or an operator's pin name
before the linking has run. Victims mention their bank's hotline in unrelated reports; an alert
on it would go to every organization that holds it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.linking.warninglists import WarningLists, load_warning_lists, operator_list_dirs
from bigfish.store.schema import mentions
from bigfish.store.schema_linking import link_pins, stopped_values


def not_stopped() -> ColumnElement[bool]:
    """The mention's value is not one the linking stopped as shared infrastructure."""
    return ~sa.exists().where(stopped_values.c.identifier_id == mentions.c.identifier_id)


@cache
def _warning_lists() -> WarningLists:
    """The node's warning lists (shipped and the operator's), loaded once."""
    return load_warning_lists(operator_list_dirs())


def infrastructure(conn: Connection, values: Mapping[int, tuple[str, str]]) -> set[int]:
    """The ids of VALUES (id: (kind, canonical)) that are shared infrastructure though the
    linking has not stopped them yet: pinned as not linking, or on a warning list and not pinned
    as linking (the linking's order: `bigfish.linking.incremental`)."""
    lists = _warning_lists()
    listed = {i for i, (kind, canonical) in values.items() if lists.match(kind, canonical)}
    pins: dict[tuple[str, str], bool] = {}
    wanted = sorted(set(values.values()))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        pins.update(
            ((str(k), str(c)), bool(link))
            for k, c, link in conn.execute(
                sa.select(link_pins.c.kind, link_pins.c.canonical, link_pins.c.link).where(
                    sa.tuple_(link_pins.c.kind, link_pins.c.canonical).in_(part)
                )
            )
        )
    return {
        i
        for i, key in values.items()
        if (key in pins and not pins[key]) or (i in listed and pins.get(key) is not True)
    }
