"""Review h107: a report's `content_digest` and custody's `canonical_json` are two encodings on
purpose. The digest never leaves the node (no export, package or custody record carries it): it
only tells a re-sent report from a changed one, so it must give equal content one digest and any
change another, over the values written (times, floats, text with lone surrogates) which
`canonical_json`, made for signed JSON documents, does not take. Where content is plain JSON
they agree byte for byte."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.evidence.custody import canonical_json
from bigfish.intake.prepare import PreparedMention
from bigfish.models import Role, Source
from bigfish.store.writes import content_digest

_text = st.text(max_size=12)
_maybe_text = st.none() | _text
_floats = st.none() | st.floats(allow_nan=False).filter(lambda f: f != 0.0 or str(f) == "0.0")
_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)

#: A report's row as `store.writes._content_row` makes it: each content column by its kind.
CONTENT: dict[str, st.SearchStrategy[Any]] = {
    "org_id": st.integers(1, 10**6),
    "report_id": _text,
    "reported_at": _times | st.dates(),
    "country": _text,
    "scam_type": _maybe_text,
    "channel": _maybe_text,
    "loss_amount": st.none() | st.decimals(allow_nan=False, allow_infinity=False).map(str),
    "loss_currency": _maybe_text,
    "loss_usd": _floats,
    "narrative": _maybe_text,
    "attributes": st.none() | st.dictionaries(_text, _text, min_size=1, max_size=3),
    "tlp": _text,
    "distribution": _text,
    "group_id": st.none() | st.integers(1, 10**6),
    "source_id": _maybe_text,
    "classification": _maybe_text,
    "scam_probability": _floats,
    "predicted_scam_type": _maybe_text,
}
#: Where and when it was sent: not content.
PROVENANCE: dict[str, st.SearchStrategy[Any]] = {
    "source_file": _text,
    "source_line": st.integers(1, 10**6),
    "ingest_run": st.integers(1, 10**6),
    "updated_at": _times,
    "created_at": _times,
}

_mentions = st.builds(
    PreparedMention,
    kind=st.sampled_from(["phone", "url", "email", "bank_account"]),
    canonical=_text,
    valid=st.booleans(),
    error=st.none(),
    domain=st.none(),
    chain=st.none(),
    country=st.none(),
    source=st.sampled_from(list(Source)),
    role=st.none() | st.sampled_from(list(Role)),
    raw=_text,
)
_rows = st.fixed_dictionaries(CONTENT | PROVENANCE)


def _shuffled(row: dict[str, Any], seed: int) -> dict[str, Any]:
    keys = list(row)
    random.Random(seed).shuffle(keys)
    return {k: dict(reversed(row[k].items())) if isinstance(row[k], dict) else row[k] for k in keys}


def _elsewhere(moment: Any, hours: int) -> Any:
    """MOMENT, the same instant, written in another time zone (a naive one read as UTC)."""
    if not isinstance(moment, datetime):
        return moment
    if hours == 0:
        return moment.replace(tzinfo=None)
    return moment.astimezone(timezone(timedelta(hours=hours)))


@settings(max_examples=150, deadline=None)
@given(
    row=_rows,
    found=st.lists(_mentions, max_size=4),
    seed=st.integers(),
    other=st.fixed_dictionaries(PROVENANCE),
    hours=st.integers(-12, 14),
)
def test_equal_content_has_one_digest(
    row: dict[str, Any], found: list[PreparedMention], seed: int, other: dict[str, Any], hours: int
) -> None:
    """Key order, mention order, when and where it was sent, and the zone a time is written
    in are not content: a re-sent unchanged report is found unchanged."""
    again = _shuffled(row | other, seed)
    again["reported_at"] = _elsewhere(row["reported_at"], hours)
    mixed = list(found)
    random.Random(seed).shuffle(mixed)
    assert content_digest(again, mixed) == content_digest(row, found)


@settings(max_examples=300, deadline=None)
@given(row=_rows, found=st.lists(_mentions, max_size=3), data=st.data())
def test_any_change_of_content_changes_the_digest(
    row: dict[str, Any], found: list[PreparedMention], data: st.DataObject
) -> None:
    """A changed report is never taken for the one stored (and not re-sent to its readers)."""
    column = data.draw(st.sampled_from(sorted(CONTENT)))
    value = data.draw(CONTENT[column].filter(lambda v: _differs(v, row[column])))
    assert content_digest(row | {column: value}, found) != content_digest(row, found)
    if found:
        at = data.draw(st.integers(0, len(found) - 1))
        field = data.draw(st.sampled_from(["kind", "canonical", "source", "role", "raw"]))
        mention = found[at]
        strategy = {
            "kind": st.sampled_from(["phone", "url", "email", "bank_account", "handle"]),
            "canonical": _text,
            "source": st.sampled_from(list(Source)),
            "role": st.none() | st.sampled_from(list(Role)),
            "raw": _text,
        }[field]
        new = data.draw(strategy.filter(lambda v: v != getattr(mention, field)))
        changed = [*found[:at], _replace(mention, field, new), *found[at + 1 :]]
        assert content_digest(row, changed) != content_digest(row, found)


def _differs(new: Any, old: Any) -> bool:
    """NEW is other content than OLD (a date is not the midnight that begins it, 1 not 1.0)."""
    return type(new) is not type(old) or new != old


def _replace(mention: PreparedMention, field: str, value: Any) -> PreparedMention:
    from dataclasses import replace

    return replace(mention, **{field: value})


@pytest.mark.parametrize(
    ("column", "one", "other"),
    [
        ("loss_usd", 1.5, "1.5"),  # a float is not its text
        ("loss_usd", 1.0, 1),
        ("narrative", None, ""),
        ("narrative", None, "null"),
        ("group_id", 1, True),
        ("reported_at", date(2025, 3, 1), datetime(2025, 3, 1, tzinfo=UTC)),
        ("attributes", None, {}),
        ("narrative", "\ud83d\ude00", "\U0001f600"),  # two lone surrogates, not the emoji
    ],
)
def test_values_that_print_alike_are_different_content(column: str, one: Any, other: Any) -> None:
    row = {"report_id": "r1", "org_id": 1, column: one}
    assert content_digest(row, []) != content_digest(row | {column: other}, [])


@pytest.mark.parametrize("value", [0.1, 1e300, 5e-324, float("inf"), float("-inf"), float("nan")])
def test_a_float_digests_by_its_value_not_its_type(value: float) -> None:
    """A numpy float (what a model's scores are before `tolist`) was digested by its repr,
    'np.float64(0.1)': the same report scored in another process read as changed."""
    row = {"report_id": "r1", "scam_probability": value, "loss_usd": value}
    numpy_row = row | {"scam_probability": np.float64(value), "loss_usd": np.float64(value)}
    assert content_digest(numpy_row, []) == content_digest(row, [])


def test_stored_digests_stay_what_they_were() -> None:
    """Digests are stored (reports.content_digest): a new encoding of unchanged content would
    re-send every report to every TAXII reader. This one was computed by the code of 0017."""
    row = {
        "org_id": 7,
        "report_id": "TH-2025-0001",
        "reported_at": datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=7))),
        "country": "TH",
        "scam_type": "investment",
        "channel": "line",
        "loss_amount": "15000.50",
        "loss_currency": "THB",
        "loss_usd": 441.19,
        "narrative": "โอนเงินให้ 081-234-5678",
        "attributes": {"case": "A/1", "région": "Île"},
        "tlp": "amber",
        "distribution": "community",
        "group_id": None,
        "source_id": None,
        "classification": "scam",
        "scam_probability": 0.9731,
        "predicted_scam_type": "investment",
        "source_file": "th.csv",
        "source_line": 2,
        "ingest_run": 3,
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    mention = PreparedMention(
        "phone", "+66812345678", True, None, None, None, "TH", Source.FIELD, Role.CONTACT, "081"
    )
    assert content_digest(row, [mention]) == (
        "bbc347e6767d047798c508749fba6592f85becab2c9580b0773c78a5b20fb5a6"
    )


@settings(max_examples=150, deadline=None)
@given(
    row=st.fixed_dictionaries(
        {
            "org_id": st.integers(1, 10**6),
            "report_id": st.text(st.characters(exclude_categories=("Cs",))),
            "narrative": st.none() | st.text(st.characters(exclude_categories=("Cs",))),
            "attributes": st.none() | st.dictionaries(_text, _text, min_size=1),
            "group_id": st.none() | st.integers(),
            "valid": st.booleans(),
        }
    ),
    found=st.lists(_mentions, max_size=3),
)
def test_on_plain_json_content_the_digest_is_that_of_its_canonical_json(
    row: dict[str, Any], found: list[PreparedMention]
) -> None:
    """The relation between the two: content of JSON's own values (text, integers, booleans,
    null, objects) digests as the SHA-256 of its `canonical_json`, the mentions as the sorted
    JSON texts of [kind, canonical, source, role, raw[:2000]]. Times and floats are tagged
    ({"$time": …}, {"$float": …}) where canonical_json refuses or prints them bare."""
    content = row | {
        "mentions": sorted(
            json.dumps(
                [m.kind, m.canonical, m.source.value, m.role.value if m.role else None, m.raw],
                ensure_ascii=False,
            )
            for m in found
        )
    }
    expected = hashlib.sha256(canonical_json(content)).hexdigest()
    assert content_digest(row | {"source_line": 9, "ingest_run": 2}, found) == expected
