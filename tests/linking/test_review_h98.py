"""Review of the linking core (helper-98): each test failed on the code before its fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import InputError
from bigfish.fx import reference_rates
from bigfish.linking import (
    get_network,
    list_networks,
    load_warning_lists,
    pin_value,
    rebuild_networks,
    update_networks,
)
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

OP = Viewer.node_operator()


def _docs(store: Store, now: datetime) -> list[dict[str, Any]]:
    return [
        get_network(store, OP, n.id, now=now).to_json()
        for n in list_networks(store, OP, now=now).networks
    ]


# --- a report's time keeps its fraction of a second in a rebuild --------------------------


def _at(row: dict[str, Any], when: str) -> dict[str, Any]:
    row["reported_at"] = when
    return row


@pytest.mark.parametrize("rates", [False, True], ids=["stored", "operator-rates"])
def test_the_rebuild_keeps_fractions_of_a_second_as_the_update_does(
    store: Store, ingest: Ingest, rates: bool
) -> None:
    """The rebuild read reported_at in whole seconds (SQLite cut the fraction, PostgreSQL's cast
    rounded it: a report at 23:59:59.6 was last seen the next day) and compared them with its
    own time cut to the second: a report 0.2 s inside the growth window was left out of it.
    The update, which counts with full times, gave another first/last seen and growth."""
    now = datetime(2025, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)
    ingest(store, "th-aoc", [report("z1", ("phone", "0899999999"))])
    rebuild_networks(store, now=now)  # the state exists: the next run is an update
    rows = [
        _at(report("s1", ("phone", "0811111111")), "2025-01-30T12:00:00.700Z"),  # 0.2 s inside
        _at(report("s2", ("phone", "0811111111")), "2025-02-28T23:59:59.600Z"),
    ]
    ingest(store, "th-aoc", rows)
    update_networks(store, now=now)
    [by_update] = _docs(store, now)
    rebuild_networks(store, now=now, rates=reference_rates() if rates else None)
    [by_rebuild] = _docs(store, now)
    assert by_update["first_seen"] == "2025-01-30T12:00:00.700000Z"
    assert by_update["last_seen"] == "2025-02-28T23:59:59.600000Z"
    assert by_update["growth_30d"] == 2
    for key in ("first_seen", "last_seen", "growth_30d", "score"):
        assert by_rebuild[key] == by_update[key], key


# --- a pin is recorded by the update that applies it ---------------------------------------

NOW = datetime(2025, 2, 1, tzinfo=UTC)
RING, PINNED, HOTLINE = "+66811111111", "+66822222222", "+6628888888"  # hotline: hotlines-th


def _explained(store: Store) -> list[tuple[list[str], list[str], list[tuple[str, str, str]]]]:
    """Per network: its links, the identifiers it lists, and its values that do not link."""
    return [
        (
            [link["canonical"] for link in doc["links"]],
            [i["canonical"] for i in doc["identifiers"]],
            [(n["canonical"], n["reason"], n["detail"]) for n in doc["not_linking"]],
        )
        for doc in _docs(store, NOW)
    ]


def test_a_value_pinned_as_not_linking_is_no_link_of_a_network_the_update_relinks(
    store: Store, ingest: Ingest
) -> None:
    """The update's relink gave the pinned value no link (the rebuild's networks) but recorded
    no stop for it, so the network was explained with the pinned value as a link (in `links`,
    in `identifiers`, cited first in the spanning links) and not among the values that do not
    link; a rebuild said the opposite."""
    ingest(
        store,
        "th-aoc",
        [
            report("r1", ("phone", "0811111111"), ("phone", "0822222222")),
            report("r2", ("phone", "0811111111"), ("phone", "0822222222")),
            report("r3", ("phone", "0811111111")),
        ],
    )
    rebuild_networks(store, now=NOW)
    pin_value(store, "phone", "0822222222", country="TH", link=False, note="victims' own")
    ingest(store, "th-aoc", [report("r3", ("phone", "0811111111"), loss="100")])  # changed
    update_networks(store, now=NOW)  # relinks r1-r3; r3 does not mention the pinned value
    expected = [([RING], [RING], [(PINNED, "pin", "victims' own")])]
    assert _explained(store) == expected
    rebuild_networks(store, now=NOW)
    assert _explained(store) == expected


def test_a_listed_value_pinned_as_not_linking_is_explained_by_its_pin_after_an_update(
    store: Store, ingest: Ingest
) -> None:
    """A pin overrides the lists (docs/warninglists.md): the rebuild explains a listed value
    pinned --no-link by the pin and its note; the update kept the list's reason."""
    ingest(
        store,
        "th-aoc",
        [
            report("h1", ("phone", "02-888-8888"), ("phone", "0811111111")),
            report("h2", ("phone", "0811111111")),
        ],
    )
    rebuild_networks(store, now=NOW)  # the hotline is stopped by hotlines-th
    pin_value(store, "phone", HOTLINE, link=False, note="KBank hotline")
    ingest(store, "th-aoc", [report("h3", ("phone", "02 888 8888"), ("phone", "0811111111"))])
    update_networks(store, now=NOW)
    expected = [([RING], [RING], [(HOTLINE, "pin", "KBank hotline")])]
    assert _explained(store) == expected
    rebuild_networks(store, now=NOW)
    assert _explained(store) == expected


# --- a warning list's file errors name the file and the line --------------------------------


def _list_file(folder: Path, text: str | bytes) -> Path:
    path = folder / "ours.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _error(folder: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_warning_lists([folder], shipped=False)
    return str(caught.value)


def test_a_list_that_is_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    """It raised UnicodeDecodeError: a traceback naming no file (`bigfish link` crashed)."""
    path = _list_file(tmp_path, b'{"name": "ours", "type": "exact",\n "kinds": ["phone"],\n'
                      b' "list": ["02-888-8888 \xff"]}')  # fmt: skip
    assert _error(tmp_path).startswith(f"{path}:3: not UTF-8")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("kinds", [["phone"]], "unknown kind"),  # TypeError: unhashable type: 'list'
        ("country", 66, "country is a region code"),  # AttributeError on int.strip
        ("country", "ZZ", "not an ISO 3166"),  # an InputError naming no file
        ("name", None, "name is a non-empty string"),  # a list named 'None'
    ],
)
def test_a_malformed_key_names_the_file_the_line_and_the_key(
    tmp_path: Path, key: str, value: object, words: str
) -> None:
    data: dict[str, object] = {
        "name": "ours",
        "type": "exact",
        "kinds": ["phone"],
        "country": "TH",
        "list": ["02-888-8888"],
    }
    data[key] = value
    path = _list_file(tmp_path, json.dumps(data, indent=2))
    line = 1 + next(i for i, text in enumerate(json.dumps(data, indent=2).splitlines())
                    if text.strip().startswith(f'"{key}"'))  # fmt: skip
    message = _error(tmp_path)
    assert message.startswith(f"{path}:{line}, field '{key}': "), message
    assert words in message


@pytest.mark.parametrize(("kind", "entry"), [("exact", "no phone"), ("hostname", "not a host")])
def test_a_bad_entry_names_the_line_it_is_on(tmp_path: Path, kind: str, entry: str) -> None:
    data = {"name": "ours", "type": kind, "kinds": ["phone", "domain"], "country": "TH"}
    text = json.dumps(data | {"list": ["02-888-8888", entry]}, indent=2)
    line = text.splitlines().index(f'    "{entry}"') + 1
    path = _list_file(tmp_path, text)
    assert _error(tmp_path).startswith(f"{path}:{line}: '{entry}' is not a ")


# --- totals: no rounding drift, and the score of the total shown ---------------------------


def test_a_network_grown_one_report_at_a_time_totals_what_a_rebuild_totals(
    store: Store, ingest: Ingest
) -> None:
    """The update extended the stored total, rounded to the cent, by the new report's loss and
    rounded again: every growth rounded anew (100 VND is $0.00392: four reports, $0.01568, were
    $0.01 after two growths; 30 of 150,000 VND $176.40 instead of $176.47)."""
    ingest(store, "th-aoc", [report("z1", ("phone", "0899999999"))])
    rebuild_networks(store, now=NOW)
    ingest(
        store,
        "th-aoc",
        [report(f"v{i}", ("phone", "0811111111"), loss="100", currency="VND") for i in (1, 2)],
    )
    update_networks(store, now=NOW)  # a new network of two: $0.00784
    for i in (3, 4):
        ingest(
            store, "th-aoc", [report(f"v{i}", ("phone", "0811111111"), loss="100", currency="VND")]
        )
        update_networks(store, now=NOW)  # grown by one report
    [grown] = _docs(store, NOW)
    rebuild_networks(store, now=NOW)
    [rebuilt] = _docs(store, NOW)
    assert grown["report_count"] == 4
    assert grown["total_loss_usd"] == rebuilt["total_loss_usd"] == 0.02


def test_the_score_is_the_documented_formula_of_the_total_shown() -> None:
    """docs/scoring.md scores total_loss_usd; the update's statistics scored the sum before
    it was rounded to the cent (the rebuild and the daily aging score the rounded total), so
    the same network could score 1.252 after an update and 1.25 after a rebuild."""
    from bigfish.linking.score import ReportFacts, network_score, summarize

    at = datetime(2024, 1, 1, tzinfo=UTC)  # outside the growth window
    facts = [ReportFacts(i, "th-aoc", f"r{i}", "TH", at, 0.002, "USD", None, None) for i in (1, 2)]
    stats = summarize(facts, NOW)
    assert stats.total_loss_usd == 0.0
    assert stats.score == network_score(0.0, 1, 0, 2) == 1.25
