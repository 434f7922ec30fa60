"""Guards of helper 139's cuts of ingest's CPU per report: each faster path gives what the
plainer code it stands for gave (the plain code is written out here as the definition).
They pass on the old code too: guards, not a fix's tests. The whole-partnership comparison
of old and new stores is in /tmp/helper-139-findings.md."""

from __future__ import annotations

import dataclasses
import gc
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.errors import InputError
from bigfish.identifiers import normalize
from bigfish.intake import service
from bigfish.intake.mapping import ColumnMapping
from bigfish.intake.prepare import PreparedMention, _derived_domain, _mention, prepare_mentions
from bigfish.intake.records import (
    INVISIBLE,
    MAX_VALUE,
    Formats,
    bare,
    build_report,
    not_text,
    parse_datetime,
)
from bigfish.models import (
    TLP,
    Channel,
    Distribution,
    Kind,
    Marking,
    RawIdentifier,
    Report,
    Role,
    ScamType,
    Source,
)
from bigfish.store import writes
from bigfish.store.fast import insert_many
from bigfish.store.schema import UTCDateTime
from bigfish.store.writes import Pending, content_digest

SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def bare_by_characters(text: str) -> str:
    """`bare` as first written: each end's spaces and marks looked at one by one."""
    lo, hi = 0, len(text)
    while lo < hi and (text[lo].isspace() or text[lo] in INVISIBLE):
        lo += 1
    while hi > lo and (text[hi - 1].isspace() or text[hi - 1] in INVISIBLE):
        hi -= 1
    return text[lo:hi]


@given(st.lists(st.sampled_from([*SPACES, *INVISIBLE, "a", "é", "\ud800", "\x00", "-"])))
@settings(max_examples=500)
def test_bare_takes_off_what_a_look_at_each_character_took_off(chars: list[str]) -> None:
    text = "".join(chars)
    assert bare(text) == bare_by_characters(text)


def first_problem(fields: dict[str, str], raw: list[tuple[RawIdentifier, str]]) -> InputError:
    """The InputError of the checks of text as first written: each name and value in turn, then
    each identifier value (build_report's other checks pass for these rows)."""
    for name, value in fields.items():
        problem = not_text(name) or (not_text(value) if isinstance(value, str) else None)
        if problem:
            return InputError(problem, field=name)
    for ident, where in raw:
        problem = not_text(ident.value)
        if problem:
            return InputError(f"{ident.kind} value {problem}", field=where)
        if len(ident.value) > MAX_VALUE:
            return InputError(
                f"{ident.kind} value of {len(ident.value):,} characters is over {MAX_VALUE:,}",
                field=where,
            )
    raise AssertionError("no problem")


BAD = ["\x00", "\ud800", "a\udfffb"]


@pytest.mark.parametrize("seed", range(200))
def test_build_report_names_the_first_field_not_text_as_before(seed: int) -> None:
    rnd = random.Random(seed)
    fields = {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "narrative": "call 0812345678",
        "phones": "0812345678;0899999999",
        "urls": "https://a.example.com/x",
        "note": "kept",
    }
    identifiers = [RawIdentifier(Kind.EMAIL, "a@b.com"), RawIdentifier(Kind.HANDLE, "line:@x")]
    for _ in range(rnd.randint(1, 3)):  # NULs and surrogates in names, values, identifiers
        where = rnd.choice(["name", "value", "json", "long"])
        if where == "name":
            fields[f"x{rnd.choice(BAD)}{rnd.randint(0, 9)}"] = "v"
        elif where == "value":
            name = rnd.choice(list(fields))
            fields[name] = fields[name] + rnd.choice(BAD)
        elif where == "json":
            identifiers.insert(rnd.randint(0, 2), RawIdentifier(Kind.URL, rnd.choice(BAD)))
        else:
            identifiers.insert(rnd.randint(0, 2), RawIdentifier(Kind.URL, "x" * (MAX_VALUE + 1)))
    raw = [(ident, f"identifiers[{i}].value") for i, ident in enumerate(identifiers)]
    for column, kind in (("phones", Kind.PHONE), ("urls", Kind.URL)):
        raw += [(RawIdentifier(kind, v.strip()), column) for v in fields[column].split(";")]
    expected = first_problem(fields, raw)
    with pytest.raises(InputError) as caught:
        build_report(fields, identifiers=identifiers)
    assert (caught.value.message, caught.value.field) == (expected.message, expected.field)


def test_build_report_reads_a_row_as_before() -> None:
    fields = {
        "report_id": "\u200b r1 \ufeff",
        "reported_at": " 2025-03-01 ",
        "country": "th",
        "scam_type": " Investment",
        "channel": "LINE ",
        "loss_amount": "1500.50",
        "loss_currency": "thb",
        "narrative": " \u2060 ",  # only marks: no narrative
        "phones": " 0812345678 ;; 0899999999",
        "emails": "",
        "note": "kept",
        "empty": "",
    }
    report = build_report(fields, marking=Marking(TLP.RED))
    assert report == Report(
        report_id="r1",
        reported_at=datetime(2025, 3, 1, tzinfo=UTC),
        country="TH",
        scam_type=ScamType.INVESTMENT,
        channel=Channel.LINE,
        loss_amount=Decimal("1500.50"),
        loss_currency="THB",
        narrative=None,
        identifiers=(
            RawIdentifier(Kind.PHONE, "0812345678"),
            RawIdentifier(Kind.PHONE, "0899999999"),
        ),
        attributes=(("note", "kept"),),
        marking=Marking(TLP.RED),
    )
    assert type(report.scam_type) is ScamType and type(report.channel) is Channel


def test_prepare_mentions_normalizes_each_value_as_normalize_does() -> None:
    report = build_report(
        {
            "report_id": "r1",
            "reported_at": "2025-03-01",
            "country": "VN",
            "phones": "0912345678;+66 81 234 5678",
            "urls": "https://t.me/someone;hxxp://shop[.]example[.]com/a?utm_source=x&b=1",
            "emails": "Someone@Example.COM",
            "narrative": "visit http://other.example.org or call 0987654321",
        }
    )
    found: dict[tuple[str, str, Source], PreparedMention] = {}
    for raw in report.identifiers:
        ident = normalize(raw.kind, raw.value, report.country)
        for mention in (_mention(ident, Source.FIELD, raw.role), _derived_domain(ident)):
            if mention is not None:
                found.setdefault((mention.kind, mention.canonical, mention.source), mention)
    field_mentions = prepare_mentions(report)[: len(found)]  # the fields' come first
    assert field_mentions == list(found.values())
    assert {m.kind for m in field_mentions} >= {"phone", "url", "handle", "email", "domain"}


def mention(
    kind: str, canonical: str, source: Source, role: Role | None, raw: str
) -> PreparedMention:
    return PreparedMention(kind, canonical, True, None, None, None, None, source, role, raw)


TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # lone surrogates too


@given(
    st.lists(
        st.tuples(
            st.sampled_from([k.value for k in Kind]),
            TEXT,
            st.sampled_from(list(Source)),
            st.sampled_from([None, *Role]),
            st.one_of(TEXT, st.text(max_size=2100)),
        ),
        max_size=4,
    )
)
@settings(max_examples=300)
def test_a_mention_is_written_into_the_digest_as_json_dumps_writes_it(
    values: list[tuple[str, str, Source, Role | None, str]],
) -> None:
    found = [mention(*v) for v in values]
    for m in found:
        plain = [
            m.kind,
            m.canonical,
            m.source.value,
            m.role.value if m.role else None,
            m.raw[:2000],
        ]
        assert writes._mention_text(m) == json.dumps(plain, ensure_ascii=False)
    row = {"report_id": "r", "narrative": "n"}
    content = dict(row)
    content["mentions"] = sorted(
        json.dumps(
            [m.kind, m.canonical, m.source.value, m.role.value if m.role else None, m.raw[:2000]],
            ensure_ascii=False,
        )
        for m in found
    )
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert (
        content_digest(row, found)
        == writes.hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    )


def test_every_member_of_a_row_s_vocabularies_is_written_as_its_value() -> None:
    for vocabulary in (ScamType, Channel, TLP, Distribution, Source, Role):
        for member in vocabulary:
            assert writes._VALUES[member] == member.value
            assert type(writes._VALUES[member]) is str


def test_classified_is_replace_with_the_verdict() -> None:
    values = {f.name: object() for f in dataclasses.fields(Pending)}
    pending = Pending(**values)
    done = pending.classified("scam", 0.75, "romance")  # type: ignore[arg-type]
    assert done == dataclasses.replace(
        pending, label="scam", scam_probability=0.75, predicted_scam_type="romance"
    )
    for name, value in values.items():
        if name not in ("label", "scam_probability", "predicted_scam_type"):
            assert getattr(done, name) is value


def test_insert_many_stores_a_value_repeated_in_rows_as_sqlalchemy_does() -> None:
    """insert_many processes a value once when it is the row before's too (a batch's one time
    stamp): what is stored is what SQLAlchemy's own insert of the same rows stores."""
    metadata = sa.MetaData()
    columns = lambda: [  # noqa: E731
        sa.Column("at", UTCDateTime),
        sa.Column("doc", sa.JSON),
        sa.Column("flag", sa.Boolean),
        sa.Column("n", sa.Float),
    ]
    fast, plain = sa.Table("fast", metadata, *columns()), sa.Table("plain", metadata, *columns())
    now = datetime(2025, 3, 1, 8, tzinfo=timezone(timedelta(hours=7)))
    doc = {"a": [1, "é"]}
    rows = [
        (now, doc, True, 1.5),
        (now, doc, True, 1.5),
        (None, doc, None, None),  # (a JSON None: insert_many writes NULL, SQLAlchemy null)
        (now, {"a": 2}, False, 2.0),
        (now.replace(tzinfo=None), doc, True, 1.5),
        (datetime(2025, 3, 1, 1, tzinfo=UTC), doc, False, 0.0),
        (now, doc, True, None),
    ]
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        insert_many(conn, fast, ["at", "doc", "flag", "n"], rows)
        conn.execute(plain.insert(), [dict(zip(["at", "doc", "flag", "n"], r)) for r in rows])
        stored = [
            conn.exec_driver_sql(f"SELECT at, doc, flag, n FROM {name} ORDER BY rowid").all()
            for name in ("fast", "plain")
        ]
    assert stored[0] == stored[1]
    assert stored[0][0][0] == "2025-03-01 01:00:00.000000"


def _frozen(*args: object) -> list[int]:
    """In place of `_prepare_chunk` in a worker: how many objects it holds frozen."""
    return [gc.get_freeze_count()]


def test_a_worker_leaves_what_it_inherited_out_of_the_collectors_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the parent had not frozen when it forked the worker (what `bigfish ingest`'s
    warm-up froze, or the test session's, it inherits frozen) is frozen in the worker too."""
    monkeypatch.setattr(service, "_prepare_chunk", _frozen)
    args = (None, Marking(), "f", None, False, None)
    inherited = gc.get_freeze_count()
    [[frozen]] = list(service._prepared(iter([[]]), 1, args))
    assert frozen > inherited


@pytest.mark.parametrize(("classify", "batch_org"), [(True, None), (False, "th-aoc")])
def test_the_classifier_is_loaded_before_the_workers_fork_when_they_classify(
    monkeypatch: pytest.MonkeyPatch, classify: bool, batch_org: str | None
) -> None:
    """The parent loads the classifier for its forked workers to inherit when they classify
    (a STIX bundle's batch has no organization of its own: each worker loaded its own), and
    not when they do not (a CSV file's batch, ingested without classifying, loaded it)."""
    import bigfish.ml

    loads: list[int] = []
    monkeypatch.setattr(bigfish.ml, "load_classifier", lambda: loads.append(1))
    args = (None, Marking(), "f", None, classify, batch_org)
    assert list(service._prepared(iter([]), 1, args)) == []
    assert loads == ([1] if classify else [])


def apply_plain(mapping: ColumnMapping, row: dict[str, str]) -> dict[str, str]:
    """`ColumnMapping.apply` as first written: the sources of every row worked out anew."""
    result: dict[str, str] = {}
    used: set[str] = set()
    for name, keys in mapping.sources(row).items():
        cells = [row.get(k, "").strip() for k in keys]
        used.update(keys)
        text = mapping._translated(name, ";".join(c for c in cells if c))
        if text:
            result[name] = text
    for header, value in row.items():
        if header not in used and value:
            result.setdefault(header, value)
    for name in mapping.values:
        if name not in mapping.columns and name in result:
            result[name] = mapping._translated(name, result[name])
    return result


@pytest.mark.parametrize("seed", range(20))
def test_a_mapping_applies_to_rows_of_changing_keys_as_before(seed: int) -> None:
    """Rows of one layout, of JSON objects whose keys differ in case or in which are given,
    under two mappings in turn: what `apply` gives is what the plain definition gives."""
    first = ColumnMapping(
        columns={
            "report_id": ("mã hồ sơ",),
            "phones": ("số 1", "số 2"),
            "scam_type": ("loại",),
        },
        formats=Formats(),
        values={"scam_type": {"đầu tư": "investment"}, "channel": {"tin nhắn": "sms"}},
    )
    second = ColumnMapping(columns={"report_id": ("id",), "urls": ("link",)}, formats=Formats())
    layouts = [
        ["mã hồ sơ", "số 1", "số 2", "loại", "channel", "note"],
        ["Mã Hồ Sơ", "SỐ 1", "loại", "channel"],  # a JSON object's keys, another case
        ["số 2", "mã hồ sơ", "id", "link", "scam_type"],
        ["id", "link"],
    ]
    cells = ["", " ", "x1", " Đầu tư ", "tin nhắn", "0812345678", "a;b"]
    rnd = random.Random(seed)
    for _ in range(200):
        keys = rnd.choice(layouts)
        row = {key: rnd.choice(cells) for key in keys}
        mapping = rnd.choice([first, second])
        assert mapping.apply(row) == apply_plain(mapping, row)


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%Y-%m-%d %H:%M", "%d %b %Y"])
def test_a_layout_s_dates_read_again_are_read_as_strptime_reads_them(fmt: str) -> None:
    """parse_datetime keeps strptime's answers for dates read before: each text, read twice
    and among others, gives strptime's time, and a text strptime refuses is refused each time."""
    texts = ["21/03/2025", "21/3/2025", "2025-03-21 08:30", "21 Mar 2025", "31/02/2025", "x", ""]
    formats = Formats(date=fmt)
    for text in texts * 2:
        try:
            expected = datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            with pytest.raises(InputError, match="not a valid date"):
                parse_datetime(text, formats)
        else:
            assert parse_datetime(text, formats) == expected
