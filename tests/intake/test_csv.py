from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_group, add_org
from bigfish.store import Store
from bigfish.store.schema import identifiers, reports

from .conftest import HEADER, csv_text, mention_count, row, stored_ids


def rejects_of(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def test_good_file_is_stored_with_canonical_identifiers(store: Store, write_csv) -> None:
    path = write_csv("th.csv", [row("r1"), row("r2", phones="+66 81 234 5678;0899999999")])
    result = ingest_file(store, path, org="th-aoc")
    assert (result.received, result.stored, result.updated, result.rejected) == (2, 2, 0, 0)
    assert stored_ids(store) == ["r1", "r2"]
    with store.connect() as conn:
        phones = set(
            conn.execute(
                sa.select(identifiers.c.canonical).where(identifiers.c.kind == "phone")
            ).scalars()
        )
        usd = conn.execute(sa.select(reports.c.loss_usd).where(reports.c.report_id == "r1"))
        assert abs(usd.scalar_one() - 15000 / 33.5) < 0.01
    assert phones == {"+66812345678", "+66899999999"}


def test_bom_is_accepted(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([row("r1")]).encode())
    assert ingest_file(sqlite_store, path, org="a").stored == 1


def test_reingest_updates_and_never_duplicates(store: Store, write_csv) -> None:
    path = write_csv("a.csv", [row("r1"), row("r2")])
    ingest_file(store, path, org="a")
    path = write_csv("a.csv", [row("r1", loss_amount="99"), row("r3")])
    result = ingest_file(store, path, org="a")
    assert (result.stored, result.updated) == (1, 1)
    assert stored_ids(store) == ["r1", "r2", "r3"]
    with store.connect() as conn:
        amount = conn.execute(sa.select(reports.c.loss_amount).where(reports.c.report_id == "r1"))
        assert amount.scalar_one() == "99"


def test_same_report_id_of_two_orgs_are_two_reports(sqlite_store: Store, write_csv) -> None:
    path = write_csv("a.csv", [row("r1")])
    ingest_file(sqlite_store, path, org="a")
    ingest_file(sqlite_store, path, org="b")
    assert stored_ids(sqlite_store) == ["r1", "r1"]


def test_missing_required_column_names_the_field(sqlite_store: Store, tmp_path: Path) -> None:
    """A header without a required column is refused once for the file, naming the file and
    the column (it gave one reject per row)."""
    path = tmp_path / "nocountry.csv"
    header = [h for h in HEADER if h != "country"]
    rows = [{k: v for k, v in row(r).items() if k != "country"} for r in ("r1", "r2")]
    path.write_text(csv_text(rows, header), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a")
    assert caught.value.file == str(path) and caught.value.field == "country"
    assert "nocountry.csv" in str(caught.value) and "country" in caught.value.message
    assert not rejects_of(path) and stored_ids(sqlite_store) == []


def test_duplicate_report_ids_in_one_file_are_rejected(store: Store, write_csv) -> None:
    path = write_csv("dup.csv", [row("r1"), row("r2"), row("r1", loss_amount="5")])
    result = ingest_file(store, path, org="a", batch_size=2)  # the duplicate in another batch
    assert (result.stored, result.rejected) == (2, 1)
    (reject,) = rejects_of(path)
    assert reject["line"] == 4 and "duplicate" in str(reject["reason"])


def test_duplicate_in_the_same_batch_is_rejected(sqlite_store: Store, write_csv) -> None:
    path = write_csv("dup.csv", [row("r1"), row("r1")])
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 1)
    assert "first at line 2" in str(rejects_of(path)[0]["reason"])


def test_bad_values_are_rejected_per_row_and_good_rows_stored(
    sqlite_store: Store, write_csv
) -> None:
    rows = [
        row("good"),
        row("bad-country", country="XX"),
        row("bad-currency", loss_currency="ZZZ"),
        row("bad-date", reported_at="31/02/2025"),
        row("feb30", reported_at="2025-02-30"),
        row("bad-amount", loss_amount="12,5x"),
        row("formula", narrative='=HYPERLINK("http://evil.example","click")'),
        row("bad-type", scam_type="pyramid"),
        row("", phones="0811111111"),
    ]
    path = write_csv("bad.csv", rows)
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.received, result.stored, result.rejected) == (9, 2, 7)
    by_line = {r["line"]: r for r in rejects_of(path)}
    assert by_line[3]["field"] == "country"
    assert by_line[4]["field"] == "loss_currency"
    assert by_line[5]["field"] == "reported_at" and "31/02/2025" in str(by_line[5]["reason"])
    assert by_line[6]["field"] == "reported_at"
    assert by_line[7]["field"] == "loss_amount"
    assert 8 not in by_line  # a formula-like text is stored as sent; exports escape it
    assert by_line[9]["field"] == "scam_type"
    assert by_line[10]["field"] == "report_id"
    assert stored_ids(sqlite_store) == ["formula", "good"]
    with sqlite_store.connect() as conn:
        narrative = conn.execute(
            sa.select(reports.c.narrative).where(reports.c.report_id == "formula")
        ).scalar_one()
    assert narrative == '=HYPERLINK("http://evil.example","click")'


def test_truncated_file_keeps_every_complete_row(sqlite_store: Store, tmp_path: Path) -> None:
    text = csv_text([row("r1"), row("r2"), row("r3", narrative="a long story")])
    path = tmp_path / "cut.csv"
    path.write_text(text[: text.index("a long") + 3], encoding="utf-8")  # inside a quoted field?
    result = ingest_file(sqlite_store, path, org="a")
    assert result.stored == 2 and result.received == 3 and result.rejected == 1
    assert stored_ids(sqlite_store) == ["r1", "r2"]


def test_unterminated_quote_is_reported_with_its_line(sqlite_store: Store, tmp_path: Path) -> None:
    text = csv_text([row("r1")]) + 'r2,2025-03-01,TH,,,,,"never closed\n'
    path = tmp_path / "open.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 1)
    (reject,) = rejects_of(path)
    assert reject["line"] == 3 and "truncated" in str(reject["reason"])


def test_latin1_rows_are_rejected_with_a_reason(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    rows = [row("r1"), row("r2", narrative="arnaque à l'investissement")]
    path.write_bytes(csv_text(rows).encode("latin-1"))
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 1)
    assert "UTF-8" in str(rejects_of(path)[0]["reason"])


def test_utf16_file_is_refused_as_a_whole(sqlite_store: Store, tmp_path: Path) -> None:
    from bigfish.errors import InputError

    path = tmp_path / "utf16.csv"
    path.write_bytes(csv_text([row("r1")]).encode("utf-16"))
    try:
        ingest_file(sqlite_store, path, org="a")
    except InputError as exc:
        assert "UTF-16" in str(exc) and "utf16.csv" in str(exc)
    else:
        raise AssertionError("a UTF-16 file must be refused")


def test_fifty_megabyte_narrative_is_rejected_and_the_rest_stored(
    sqlite_store: Store, write_csv
) -> None:
    huge = "x" * (50 * 1024 * 1024)
    path = write_csv("huge.csv", [row("r1"), row("r2", narrative=huge), row("r3")])
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (2, 1)
    assert rejects_of(path)[0]["field"] == "narrative"


def test_unknown_columns_are_kept_as_attributes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    rows = [row("r1") | {"case_officer_unit": "Unit 7"}]
    path.write_text(csv_text(rows, [*HEADER, "case_officer_unit"]), encoding="utf-8")
    ingest_file(store, path, org="a")
    with store.connect() as conn:
        attrs = conn.execute(sa.select(reports.c.attributes)).scalar_one()
    assert attrs == {"case_officer_unit": "Unit 7"}


def test_stored_times_compare_as_sqlalchemy_writes_them(store: Store, write_csv) -> None:
    from datetime import UTC, datetime

    ingest_file(store, write_csv("t.csv", [row("r1", reported_at="2025-03-01T10:30:00Z")]), org="a")
    when = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    with store.connect() as conn:
        hit = conn.execute(sa.select(reports.c.report_id).where(reports.c.reported_at == when))
        assert hit.scalar_one() == "r1"
        later = conn.execute(
            sa.select(sa.func.count()).where(reports.c.reported_at > when.replace(minute=29))
        )
        assert later.scalar_one() == 1


def test_invalid_identifier_is_kept_as_reported_and_marked(sqlite_store: Store, write_csv) -> None:
    path = write_csv("inv.csv", [row("r1", phones="12", crypto_wallets="0xnothex")])
    assert ingest_file(sqlite_store, path, org="a").stored == 1
    with sqlite_store.connect() as conn:
        rows = conn.execute(sa.select(identifiers.c.kind, identifiers.c.valid)).all()
    assert ("phone", False) in rows and ("crypto_wallet", False) in rows


def test_narrative_identifiers_are_extracted(sqlite_store: Store, write_csv) -> None:
    path = write_csv("n.csv", [row("r1", phones="", narrative="โทร0812345678ครับ")])
    ingest_file(sqlite_store, path, org="a")
    assert mention_count(sqlite_store) >= 1
    with sqlite_store.connect() as conn:
        found = conn.execute(sa.select(identifiers.c.canonical)).scalars().all()
    assert "+66812345678" in found


def test_worker_processes_store_exactly_what_inline_does(tmp_path: Path) -> None:
    from bigfish.store import open_store

    rows = [row(f"r{i}", phones=f"08{i:08d}") for i in range(2500)]
    rows += [row("bad", country="QQ"), row("r7")]
    path = tmp_path / "many.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    outcomes = []
    for workers in (0, 2):
        store = open_store(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        result = ingest_file(store, path, org="a", workers=workers, batch_size=700)
        outcomes.append((result.received, result.stored, result.rejected, mention_count(store)))
        store.close()
    assert outcomes[0] == outcomes[1] == (2502, 2500, 2, 2500)


def test_every_narrative_is_classified_and_stored_with_the_report(
    sqlite_store: Store, write_csv
) -> None:
    narrative = "ฟรีเครดิต 200฿ ทดลองเล่น คลิก https://lin.ee/BvuGAMv เว็บใหญ่ ถอนไว"
    path = write_csv("c.csv", [row("r1", narrative=narrative), row("r2")])
    ingest_file(sqlite_store, path, org="a")
    with sqlite_store.connect() as conn:
        got = dict(conn.execute(sa.select(reports.c.report_id, reports.c.classification)).all())
        prob = conn.execute(
            sa.select(reports.c.scam_probability).where(reports.c.report_id == "r1")
        ).scalar_one()
    assert got["r1"] in ("scam", "spam", "legit") and got["r2"] is None
    assert 0.0 <= prob <= 1.0


def test_only_a_member_ingests_into_a_sharing_group(sqlite_store: Store, write_csv) -> None:
    add_org(sqlite_store, "a", country="TH")
    add_org(sqlite_store, "b", country="VN")
    add_org(sqlite_store, "outsider", country="SG")
    add_group(sqlite_store, "mekong", owner="a", members=["b"])
    path = write_csv("g.csv", [row("g1")])
    marking = Marking(TLP.AMBER, Distribution.GROUP, "mekong")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="outsider", marking=marking)
    assert caught.value.field == "group" and "not a member" in caught.value.message
    assert stored_ids(sqlite_store) == []
    for member in ("a", "b"):
        assert ingest_file(sqlite_store, path, org=member, marking=marking).stored == 1


def test_a_nul_character_or_latin_1_fails_its_row_with_the_right_reason(
    sqlite_store: Store, tmp_path: Path
) -> None:
    text = csv_text([row("ok"), row("nul", narrative="a\x00b"), row("latin", narrative="x")])
    data = text.encode("utf-8").replace(b",x,", b"," + "\u00e9".encode("latin-1") + b",", 1)
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 2)
    reasons = {r["line"]: str(r["reason"]) for r in rejects_of(path)}
    assert "NUL" in reasons[3] and "UTF-8" in reasons[4]


def test_a_stray_quote_rejects_its_row_and_the_rows_after_it_are_read(
    store: Store, tmp_path: Path
) -> None:
    """A quote inside an unquoted-looking field stopped the reader: the rows after it were
    neither stored nor counted. Now that row is rejected with its line and the next are read."""
    path = tmp_path / "quote.csv"
    path.write_text(
        "report_id,reported_at,country,narrative\n"
        "r1,2025-01-05,TH,ok\n"
        'r2,2025-01-05,TH,he said "hi" to me\n'
        'r3,2025-01-05,TH,"quoted "word" inside"\n'
        "r4,2025-01-05,TH,fine\n"
        'r5,2025-01-05,TH,"two\nlines"\n'
        "r6,2025-01-05,TH,last\n",
        encoding="utf-8",
    )
    result = ingest_file(store, path, org="a")
    assert (result.received, result.stored, result.rejected) == (6, 5, 1)
    assert stored_ids(store) == ["r1", "r2", "r4", "r5", "r6"]
    (reject,) = rejects_of(path)
    assert reject["line"] == 4 and reject["report_id"] == "r3"
    assert "quote" in str(reject["reason"]) and "truncated" not in str(reject["reason"])
    with store.connect() as conn:
        lines = dict(conn.execute(sa.select(reports.c.report_id, reports.c.source_line)).all())
    assert (lines["r4"], lines["r5"], lines["r6"]) == (5, 6, 8)  # r5 has two lines


def test_an_unclosed_quote_mid_file_loses_only_its_own_line(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A quote opened and never closed swallowed every later line into one field; the lines
    after the bad one are read again on their own."""
    path = tmp_path / "open.csv"
    path.write_text(
        "report_id,reported_at,country,narrative\n"
        'r1,2025-01-05,TH,"never closed\n'
        "r2,2025-01-05,TH,fine\n"
        "r3,2025-01-05,TH,fine too\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["r2", "r3"]
    (reject,) = rejects_of(path)
    assert reject["line"] == 2 and reject["report_id"] == "r1"


def test_a_header_with_a_column_twice_is_refused_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`phones,phones` kept only the second column's values: the first phone was lost."""
    path = tmp_path / "dupcol.csv"
    path.write_text(
        "report_id,reported_at,country,phones,Phones,narrative\n"
        "r1,2025-01-05,TH,0812345678,0899999999,hello\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a")
    assert caught.value.file == str(path) and caught.value.field == "phones"
    assert "more than once" in caught.value.message
    assert stored_ids(sqlite_store) == []


def test_a_value_under_an_empty_header_is_kept_as_column_n(store: Store, tmp_path: Path) -> None:
    """A value under a column without a name was dropped; it is kept as attribute column_N
    (N counted from 1), as other unknown columns are."""
    path = tmp_path / "noname.csv"
    path.write_text(
        "report_id,reported_at,country,,narrative,\n"
        "r1,2025-01-05,TH,kept,hello,also kept\n"
        "r2,2025-01-05,TH,,hello,\n",
        encoding="utf-8",
    )
    assert ingest_file(store, path, org="a").stored == 2
    with store.connect() as conn:
        attrs = dict(conn.execute(sa.select(reports.c.report_id, reports.c.attributes)).all())
    assert attrs["r1"] == {"column_4": "kept", "column_6": "also kept"}
    assert not attrs["r2"]


def test_bad_bytes_name_their_column_and_the_report(sqlite_store: Store, tmp_path: Path) -> None:
    """A row with invalid UTF-8 was rejected without the field or the report_id."""
    text = csv_text([row("ok"), row("latin", narrative="x")])
    data = text.encode("utf-8").replace(b",x,", b"," + "\u00e9".encode("latin-1") + b",", 1)
    path = tmp_path / "latin.csv"
    path.write_bytes(data)
    ingest_file(sqlite_store, path, org="a")
    (reject,) = rejects_of(path)
    assert reject["field"] == "narrative" and reject["report_id"] == "latin"


def test_a_row_with_too_many_fields_names_its_report_id_not_column_0(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """On a column-count mismatch the first column was reported as the report_id."""
    path = tmp_path / "order.csv"
    path.write_text(
        "reported_at,country,report_id\n2025-01-05,TH,z1,extra\n2025-01-05,TH\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a")
    assert result.rejected == 2
    first, second = rejects_of(path)
    assert first["report_id"] == "z1" and "4 fields where the header has 3" in str(first["reason"])
    assert "report_id" not in second


def test_a_per_row_marking_is_refused_as_through_the_api(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A `tlp` column was kept as an attribute while the file's marking applied: a row a
    partner marked RED could be shared as AMBER. It is rejected with the API's reason."""
    path = tmp_path / "tlp.csv"
    path.write_text(
        "report_id,reported_at,country,tlp,group\n"
        "r1,2025-01-05,TH,red,\n"
        "r2,2025-01-05,TH,,\n"
        "r3,2025-01-05,TH,,mekong\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 2)
    assert stored_ids(sqlite_store) == ["r2"]
    by_line = {r["line"]: r for r in rejects_of(path)}
    assert by_line[2]["field"] == "tlp" and by_line[4]["field"] == "group"
    assert by_line[2]["reason"].startswith(
        "markings are set for the whole batch, not per report: this row's tlp is 'red'"
    )


def test_an_over_long_attribute_is_rejected_not_cut(sqlite_store: Store, tmp_path: Path) -> None:
    """An unknown column's value over MAX_ATTRIBUTE characters was silently truncated."""
    from bigfish.intake.records import MAX_ATTRIBUTE

    path = tmp_path / "long.csv"
    rows = [row("r1") | {"notes": "n" * (MAX_ATTRIBUTE + 1)}, row("r2") | {"notes": "short"}]
    path.write_text(csv_text(rows, [*HEADER, "notes"]), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 1)
    (reject,) = rejects_of(path)
    assert reject["field"] == "notes" and reject["report_id"] == "r1"


def test_scam_texts_that_look_like_formulas_are_stored_and_exported_inert(
    store: Store, tmp_path: Path
) -> None:
    """Scam messages such as "+Congratulations! …" were refused as formula injection. They are
    stored verbatim; the CSV export (CLI and web) prefixes every cell a spreadsheet would run
    with a quote, and leaves plain phone numbers as they are."""
    from bigfish.interop import export_csv
    from bigfish.interop.export import CSV_COLUMNS
    from bigfish.sharing.policy import Viewer

    texts = {
        "r1": "+Congratulations! You won 50,000 baht, call 0812345678",
        "r2": "-URGENT! your account is locked",
        "r3": "@everyone! join the group",
        "r4": '=HYPERLINK("http://evil.example","click")',
        "r5": "=1+1",
        "r6": "-2+3+cmd|' /C calc'!A0",
    }
    path = tmp_path / "formula.csv"
    rows = [row(k, narrative=v, phones="+66 81 234 5678") for k, v in texts.items()]
    path.write_text(csv_text(rows), encoding="utf-8")
    assert ingest_file(store, path, org="a").stored == len(texts)
    with store.connect() as conn:
        stored = dict(conn.execute(sa.select(reports.c.report_id, reports.c.narrative)).all())
    assert stored == texts
    out = io.StringIO()
    export_csv(store, Viewer.node_operator(), out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["report_id"]: r["narrative"] for r in exported} == {
        k: "'" + v for k, v in texts.items()
    }
    for record in exported:
        assert record["phones"] == "+66812345678"
        for column in CSV_COLUMNS:
            cell = record[column].lstrip()
            if cell[:1] in ("=", "+", "-", "@"):  # only a number a spreadsheet shows as one
                assert re.fullmatch(r"[+-]\d+(;[+-]?\d+)*", cell), (column, cell)
