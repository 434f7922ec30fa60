"""The quicker `content_digest` and `unstorable` give what the plain ones gave: the reference
implementations below are those functions as they were before the fast paths (json.dumps per
mention and per report, a column-length lookup per value, a message made for every mention),
and hypothesis offers both every kind of value a row may hold."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import cast

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.intake.prepare import PreparedMention
from bigfish.models import Report, Role, Source
from bigfish.store.schema import identifiers, reports
from bigfish.store.writes import (
    _COLUMN_OF,
    CANONICAL_BYTES,
    CANONICAL_CHARS,
    Pending,
    content_digest,
    refusal_field,
    unstorable,
)

_WHEN = datetime(2025, 3, 1, tzinfo=UTC)
_NOT_CONTENT = frozenset(
    {"ingest_run", "created_at", "updated_at", "source_file", "source_line", "content_digest"}
)


def _reference_canonical(value: object) -> object:
    if isinstance(value, date):
        if not hasattr(value, "tzinfo"):
            return {"$date": value.isoformat()}
        moment = cast("datetime", value)
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return {"$time": moment.astimezone(UTC).isoformat(timespec="microseconds")}
    if isinstance(value, float):
        return {"$float": float.__repr__(value) if math.isfinite(value) else str(float(value))}
    if isinstance(value, Mapping):
        return {str(k): _reference_canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reference_canonical(v) for v in value]
    return value


def _reference_digest(row: Mapping[str, object], found: Sequence[PreparedMention]) -> str:
    content: dict[str, object] = {k: v for k, v in row.items() if k not in _NOT_CONTENT}
    content["mentions"] = sorted(
        json.dumps(
            [m.kind, m.canonical, m.source.value, m.role.value if m.role else None, m.raw[:2000]],
            ensure_ascii=False,
        )
        for m in found
    )
    text = json.dumps(
        _reference_canonical(content),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# Text with lone surrogates, quotes, backslashes, control characters, Thai and emoji.
_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(['"', "\\", "\n", "\x00", "\ud800", "\udfff", "ก", "🐟", "\u2028"]),
    ),
    max_size=30,
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(_TEXT, st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)
_MENTION = st.builds(
    PreparedMention,
    kind=st.sampled_from(["phone", "url", "domain", "email", "handle"]),
    canonical=_TEXT,
    valid=st.booleans(),
    error=st.none() | _TEXT,
    domain=st.none() | _TEXT,
    chain=st.none(),
    country=st.none() | st.just("TH"),
    source=st.sampled_from(list(Source)),
    role=st.none() | st.sampled_from(list(Role)),
    raw=st.text(max_size=2100),
)


@settings(max_examples=300, deadline=None)
@given(
    row=st.dictionaries(
        st.sampled_from(["report_id", "narrative", "attributes", "loss_usd", "reported_at", "x"]),
        _VALUE,
    ),
    found=st.lists(_MENTION, max_size=5),
)
def test_content_digest_is_the_digest_json_dumps_gave(
    row: dict[str, object], found: list[PreparedMention]
) -> None:
    row = row | {"ingest_run": 7, "updated_at": datetime(2025, 1, 1, tzinfo=UTC)}
    assert content_digest(row, found) == _reference_digest(row, found)


def test_a_mention_of_text_that_json_escapes_has_the_reference_digest() -> None:
    odd = PreparedMention(
        "handle", 'a"b\\c\nd\x00\ud800🐟', True, None, None, None, None, Source.FIELD, None, "é"
    )
    row: dict[str, object] = {"report_id": "R-1", "narrative": None}
    assert content_digest(row, [odd]) == _reference_digest(row, [odd])


def _reference_over_length(
    table: sa.Table, values: Mapping[str, object]
) -> tuple[str, int, int] | None:
    for name, value in values.items():
        limit = getattr(table.c[name].type, "length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            return name, len(value), limit
    return None


def _reference_unstorable(p: Pending) -> tuple[str, str] | None:
    """`_unstorable` as it was: the refusal and the field it names, or None."""
    over = _reference_over_length(
        reports,
        {
            "report_id": p.report.report_id,
            "source_id": p.report.source_id,
            "source_file": p.file,
            "country": p.report.country,
            "loss_currency": p.report.loss_currency,
            "classification": p.label,
            "predicted_scam_type": p.predicted_scam_type,
        },
    )
    if over is not None:
        name, length, limit = over
        return f"{name} of {length:,} characters is over the {limit:,} the store keeps", name
    for m in p.mentions:
        narrative = m.source is Source.NARRATIVE
        where = " in the narrative" if narrative else ""
        field = "narrative" if narrative else _COLUMN_OF.get(str(m.kind), "identifiers")
        shown = repr(m.raw if len(m.raw) <= 40 else m.raw[:40] + "…")
        what = f"the {m.kind} value {shown}{where}"
        size = len(m.canonical.encode("utf-8", "surrogatepass"))
        over = _reference_over_length(
            identifiers, {"canonical": m.canonical, "error": m.error, "domain": m.domain}
        )
        if over is not None and over[0] != "canonical":
            name, length, limit = over
            return f"{what} has a {name} of {length:,} characters, over the {limit:,} kept", field
        if over is not None or size > CANONICAL_BYTES:
            return (
                f"{what} has a canonical form of {len(m.canonical):,} characters "
                f"({size:,} bytes), over the {CANONICAL_CHARS:,} characters "
                f"({CANONICAL_BYTES:,} bytes) the store keeps of an identifier; shorten it",
                field,
            )
    return None


# Lengths on both sides of every limit: canonical 2,000 characters or 2,600 bytes (650 code
# points of 4 bytes, 867 of 3), error 500, domain 300.
_AROUND = st.sampled_from(
    [0, 1, 299, 300, 301, 499, 500, 501, 649, 650, 651, 866, 867, 868, 1999, 2000, 2001]
)


@st.composite
def _long_text(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["a", "ก", "🐟", "\ud800"])) * draw(_AROUND)


@settings(max_examples=300, deadline=None)
@given(
    mentions=st.lists(
        st.builds(
            PreparedMention,
            kind=st.sampled_from(["phone", "url", "bank_account", "crypto_wallet"]),
            canonical=_long_text(),
            valid=st.booleans(),
            error=st.none() | _long_text(),
            domain=st.none() | _long_text(),
            chain=st.none(),
            country=st.none(),
            source=st.sampled_from(list(Source)),
            role=st.none(),
            raw=st.text(max_size=60),
        ),
        max_size=4,
    ),
    report_id=st.sampled_from(["R-1", "R" * 200, "R" * 201]),
)
def test_unstorable_refuses_what_it_refused_and_names_the_same_field(
    mentions: list[PreparedMention], report_id: str
) -> None:
    p = Pending(Report(report_id, _WHEN, "TH"), mentions, "a.csv", 2)
    expected = _reference_unstorable(p)
    assert unstorable(p) == (expected[0] if expected else None)
    assert refusal_field(p) == (expected[1] if expected else "report_id")


def test_a_canonical_form_over_its_bytes_but_not_its_characters_is_still_refused() -> None:
    # 651 emoji: 651 characters (under 2,000) but 2,604 bytes (over 2,600).
    m = PreparedMention("handle", "🐟" * 651, True, None, None, None, None, Source.FIELD, None, "x")
    p = Pending(Report("R-1", _WHEN, "TH"), [m], "a.csv", 2)
    refused = unstorable(p)
    assert refused is not None and "2,604 bytes" in refused
    assert refusal_field(p) == "handles"
