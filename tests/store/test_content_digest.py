"""`content_digest`: the same content gives the same digest in any process (no hash seed, no
dict order, no time zone of its own), and any change a reader would see gives another."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bigfish.intake.prepare import PreparedMention
from bigfish.models import Role, Source
from bigfish.store.writes import content_digest

WHEN = datetime(2025, 3, 1, 10, 4, 5, 123456, tzinfo=UTC)


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "org_id": 3,
        "report_id": "R-1",
        "reported_at": WHEN,
        "country": "TH",
        "scam_type": "investment",
        "loss_amount": "15000",
        "loss_currency": "THB",
        "loss_usd": 421.6,
        "narrative": "ชื่อ 🐟",
        "attributes": {"b": [1, None, True], "a": "x"},
        "tlp": "green",
        "distribution": "partnership",
        "group_id": None,
        "scam_probability": 0.875,
        "ingest_run": 7,
        "updated_at": WHEN,
        "source_file": "a.csv",
        "source_line": 2,
    }
    return row | changes


def _mention(canonical: str, source: Source = Source.FIELD) -> PreparedMention:
    return PreparedMention(
        "phone", canonical, True, None, None, None, "TH", source, Role.CONTACT, canonical
    )


MENTIONS = [_mention("+66812345678"), _mention("+66899999999", Source.NARRATIVE)]
#: The digest of `_row()` with MENTIONS, as any process computes it.
GOLDEN = content_digest(_row(), MENTIONS)


def test_the_same_content_in_another_process_has_the_same_digest() -> None:
    code = (
        "from tests.store.test_content_digest import _row, MENTIONS;"
        "from bigfish.store.writes import content_digest;"
        "print(content_digest(_row(), list(reversed(MENTIONS))))"
    )
    env = os.environ | {"PYTHONHASHSEED": "12345", "TZ": "Asia/Bangkok"}
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert found.stdout.strip() == GOLDEN and len(GOLDEN) == 64


def test_provenance_and_stamps_are_not_content() -> None:
    later = WHEN + timedelta(days=1)
    moved = _row(ingest_run=9, updated_at=later, created_at=later, source_file="b.csv")
    assert content_digest(moved | {"source_line": 40}, MENTIONS) == GOLDEN
    # the same instant written in another zone, or naive (read as UTC), is the same time
    bangkok = WHEN.astimezone(timezone(timedelta(hours=7)))
    assert content_digest(_row(reported_at=bangkok), MENTIONS) == GOLDEN
    assert content_digest(_row(reported_at=WHEN.replace(tzinfo=None)), MENTIONS) == GOLDEN


@pytest.mark.parametrize(
    "changes",
    [
        {"reported_at": WHEN + timedelta(microseconds=1)},
        {"loss_usd": 421.6 + 1e-9},  # the shortest exact text, not rounded
        {"loss_usd": None},
        {"attributes": {"b": [1, None, True], "a": "y"}},
        {"tlp": "amber"},
        {"group_id": 4},
        {"scam_probability": 0.5},
        {"narrative": "ชื่อ"},
        {"source_id": "report--1"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_change_a_reader_sees_changes_the_digest(changes: dict[str, object]) -> None:
    assert content_digest(_row(**changes), MENTIONS) != GOLDEN


def test_a_mention_more_less_or_elsewhere_changes_the_digest() -> None:
    assert content_digest(_row(), MENTIONS[:1]) != GOLDEN
    assert content_digest(_row(), [*MENTIONS, _mention("+66811111111")]) != GOLDEN
    moved = [MENTIONS[0], _mention("+66899999999", Source.FIELD)]
    assert content_digest(_row(), moved) != GOLDEN
