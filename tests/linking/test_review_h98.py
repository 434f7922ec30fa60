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


# --- `bigfish network ID` as text -------------------------------------------------------------


def test_the_text_of_a_network_says_which_losses_its_total_leaves_out(
    tmp_path: Path, ingest: Ingest
) -> None:
    """A loss in a currency with no rate adds nothing to the total and is reported, not
    guessed (docs/scoring.md): the text said only 'USD 29.85', as if every loss were in it
    (the JSON's unknown_currency, growth, scam types and channels were not shown at all)."""
    from typer.testing import CliRunner

    from bigfish.cli import app
    from bigfish.store import open_store

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(url)
    ingest(
        store,
        "th-aoc",
        [
            report("r1", ("phone", "0811111111"), loss="1000", currency="THB"),
            report("r2", ("phone", "0811111111"), loss="5000", currency="NPR"),
            report("r3", ("phone", "0811111111"), loss="700", currency="NPR", scam_type="romance"),
        ],
    )
    rebuild_networks(store, now=NOW)
    [network] = list_networks(store, OP, now=NOW).networks
    store.close()
    result = CliRunner().invoke(app, ["--db", url, "network", str(network.id)])
    assert result.exit_code == 0, result.output
    assert "USD 29.85" in result.output
    assert "losses with no exchange rate, not in the total: NPR in 2" in result.output
    assert "growth: 0 reports in the last 30 days" in result.output
    assert "scam types: investment 2, romance 1" in result.output
    assert "channels: line 3" in result.output


# --- a piece of a community split stays one as the update relinks it -----------------------


def _chain_of_rings(store: Store, ingest: Ingest) -> list[dict[str, Any]]:
    """Four rings of four reports, each ring's first report sharing a phone with the next
    ring's second: one component of 16 reports, over the limit of 10 used here."""
    rows = []
    for k in range(4):
        for i in range(4):
            ids = [("phone", f"08{k + 1}0000001"), ("phone", f"08{k + 1}0000002")]
            if i == 0 and k < 3:
                ids.append(("phone", f"0870000{k}00"))
            if i == 1 and k > 0:
                ids.append(("phone", f"0870000{k - 1}00"))
            rows.append(report(f"r{k}{i}", *ids))
    ingest(store, "th-aoc", rows)
    return rows


def _pieces(store: Store) -> list[tuple[int, tuple[str, ...], bool]]:
    return sorted(
        (
            doc["id"],
            tuple(sorted(r["report_id"] for r in doc["reports"])),
            doc["community_split"],
        )
        for doc in _docs(store, NOW)
    )


def test_an_update_keeps_the_pieces_of_a_community_split_as_a_rebuild_does(
    store: Store, ingest: Ingest
) -> None:
    """The update relinked a Leiden piece over its own reports only: its links to the other
    pieces led out of them, so it looked like a component of its own and lost its
    community_split flag; a report joining two pieces merged them (9 reports, under the
    limit) into one unflagged network, where a rebuild splits the component again."""
    from bigfish.linking import HubPolicy

    policy = HubPolicy(max_network_reports=10)
    rows = _chain_of_rings(store, ingest)
    rebuild_networks(store, now=NOW, policy=policy)
    rings = _pieces(store)
    assert [(n, flag) for _, n, flag in rings] == [
        ((f"r{k}0", f"r{k}1", f"r{k}2", f"r{k}3"), True) for k in range(4)
    ]
    ingest(store, "th-aoc", [rows[2] | {"loss_amount": "10", "loss_currency": "THB"}])
    update_networks(store, now=NOW, policy=policy)  # r02 changed: its ring is relinked
    assert _pieces(store) == rings
    ingest(store, "th-aoc", [report("new", ("phone", "0810000001"), ("phone", "0820000001"))])
    update_networks(store, now=NOW, policy=policy)
    by_update = _pieces(store)
    assert [n for _, n, _ in by_update][1:] == [n for _, n, _ in rings][1:]  # not merged
    rebuild_networks(store, now=NOW, policy=policy)
    assert _pieces(store) == by_update


def test_the_text_of_a_merged_network_says_it_was_merged(tmp_path: Path, ingest: Ingest) -> None:
    """`bigfish network 2` of a network merged into 1 printed 'network 1: …' with no word of
    the merge (the JSON says redirected_from): the id an analyst cited seemed to lead elsewhere."""
    from typer.testing import CliRunner

    from bigfish.cli import app
    from bigfish.store import open_store

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(url)
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", "0811111111")) for i in (1, 2)])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", "0822222222")) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", [report("ab", ("phone", "0811111111"), ("phone", "0822222222"))])
    update_networks(store, now=NOW)
    [network] = list_networks(store, OP, now=NOW).networks
    store.close()
    assert network.id == 1 and network.stats.report_count == 5
    result = CliRunner().invoke(app, ["--db", url, "network", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("network 1: ")
    assert "(network 2 was merged into network 1)" in result.output
