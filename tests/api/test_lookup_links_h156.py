"""A lookup says whether the value links: shared infrastructure (a warning list's hotline, a
hub, a pinned value) is on its reports' networks without joining them, and its answer listed
those networks in the same shape as a value that joins them. Now `links` (false) and `stopped`
(why) say which; a value the caller sees no report of answers as one nobody reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.linking.service import pin_value, rebuild_networks
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report

LOOKUP = "/api/v1/lookup"
RING = "+66811111111"  # the ring's number: joins A's and B's reports
HOTLINE = "+6628888888"  # 02-888-8888, on the shipped Thai hotline warning list
PINNED = "+66844444444"  # an operator pinned it as not linking
HIDDEN = "+66855555555"  # in a report A keeps to itself, pinned too


@pytest.fixture
def node(store: Store) -> Iterator[Partnership]:
    """A's and B's reports, shared: RING joins them, HOTLINE and PINNED are on them."""
    for partnership in build_partnership(store):
        shared = {"distribution": "partnership"}
        partnership.submit(
            "A",
            [
                report("a1", phones=[RING, HOTLINE, PINNED]),
                report("a2", phones=[RING, HOTLINE]),
            ],
            **shared,
        )
        partnership.submit("B", [report("b1", phones=[RING, PINNED])], **shared)
        partnership.submit("A", [report("a3", phone=HIDDEN)], distribution="organization")
        pin_value(store, "phone", PINNED, link=False, note="a courier's call centre")
        pin_value(store, "phone", HIDDEN, link=False, note="kept to A")
        rebuild_networks(store)
        yield partnership


def _get(p: Partnership, who: str, value: str) -> Any:
    response = p.client.get(
        LOOKUP, params={"kind": "phone", "value": value}, headers=p.headers(who)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hotline_lists_its_reports_networks_but_says_it_joins_none(node: Partnership) -> None:
    ring, hotline = _get(node, "B", RING), _get(node, "B", HOTLINE)
    assert ring["networks"] and hotline["networks"] == ring["networks"]  # the same network
    assert (ring["links"], ring["stopped"]) == (True, None)
    assert hotline["links"] is False and hotline["report_count"] == 2
    assert hotline["stopped"]["reason"] == "warning_list" and hotline["stopped"]["detail"]


def test_a_pinned_value_says_the_pin_and_its_note(node: Partnership) -> None:
    pinned = _get(node, "B", PINNED)
    assert pinned["links"] is False
    assert pinned["stopped"] == {"reason": "pin", "detail": "a courier's call centre"}


def test_a_stopped_value_the_caller_sees_no_report_of_answers_as_one_nobody_reported(
    node: Partnership,
) -> None:
    hidden, nobody = _get(node, "B", HIDDEN), _get(node, "B", "+66899999999")
    assert hidden | {"canonical": None} == nobody | {"canonical": None}
    assert (hidden["links"], hidden["stopped"]) == (None, None)
    assert _get(node, "A", HIDDEN)["stopped"] == {"reason": "pin", "detail": "kept to A"}


def test_the_batch_and_the_shortcut_say_the_same(node: Partnership) -> None:
    items = [{"kind": "phone", "value": v} for v in (RING, HOTLINE, PINNED, HIDDEN)]
    response = node.client.post(LOOKUP, json={"identifiers": items}, headers=node.headers("B"))
    assert response.status_code == 200, response.text
    assert response.json() == [_get(node, "B", item["value"]) for item in items]


def test_the_console_lookup_says_it_too(node: Partnership, store_url: str, tmp_path: Path) -> None:
    db = ["--db", store_url, "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    as_json = runner.invoke(app, [*db, "lookup", HOTLINE, "--kind", "phone", "--json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["links"] is False and document["stopped"]["reason"] == "warning_list"
    text = runner.invoke(app, [*db, "lookup", HOTLINE, "--kind", "phone"])
    assert text.exit_code == 0, text.output
    assert "links: no, shared infrastructure (warning_list" in text.stdout
    assert "not networks it joins" in text.stdout
    ring = runner.invoke(app, [*db, "lookup", RING, "--kind", "phone"])
    assert "links: yes" in ring.stdout
