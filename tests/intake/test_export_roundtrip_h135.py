"""Review h135: `bigfish export csv` writes the intake columns and the report's `org`, `tlp`,
`distribution` and `group`; ingesting that file again (into a fresh store: a node moved, a
restore) rejected every row, "markings are set for the whole batch, not per report".

A row's `org` equal to the organization the file is ingested as, and a `tlp`, `distribution`
and `group` equal to the batch's own marking (the command line's; amber and organization when
it gives none), are the export's bookkeeping: accepted, not kept as attributes. Another
organization or another marking is still rejected, naming the column, the value, the batch's
and the options that ingest such rows: a file does not set or widen its reports' marking."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.intake.records import unescape_formula
from bigfish.interop import export_csv
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_group, add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers, mentions, organizations, reports, sharing_groups
from bigfish.synth import generate

#: Rows a partner sent: every field and identifier column (domains and ips too), amounts with
#: decimals, a date with an offset, cells the export escapes (-r2, =1+1, @ring), identifiers
#: that are not valid (the export writes them as sent), narratives holding identifiers.
ORIGINAL = (
    "report_id,reported_at,country,scam_type,channel,loss_amount,loss_currency,narrative,"
    "phones,urls,emails,bank_accounts,crypto_wallets,handles,domains,ips\r\n"
    "r1,2025-03-01T11:11:46+08:00,TH,investment,line,15000.50,THB,"
    '"Call +66 81 234 5679 or see hxxp://bad[.]example/login",'
    "+66 81 234 5678;0812345670,https://A.example/x?y=1,Boss@Example.com,"
    "KBANK:123-4-56789-0,TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa,https://t.me/sweet_honey,"
    "Scam.Example,203.0.113.7\r\n"
    "-r2,2025-03-02,SG,romance,telegram,994,SGD,=1+1,12,,not-an-email,,,@ring,,999.1.1.1\r\n"
    "r3,2025-03-03,VN,,,,,,,,,,,,,\r\n"
    'r4,2025-03-04,TH,,,,,"+Congratulations! pay to trx:TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa",'
    ",,,,,,,\r\n"
)
#: The columns of `reports` that say where and when a node stored a report, not what it is;
#: content_digest covers the mentions' raw text, which an export writes canonical.
_PROVENANCE = {"id", "org_id", "group_id", "ingest_run", "created_at", "updated_at"}
_NOT_COMPARED = _PROVENANCE | {"source_file", "source_line", "content_digest"}
_GROUP = "Mekong banks"


def _snapshot(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """Every stored field of every report by (organization, report_id): the report's columns
    (its group by name) and its mentions' identifiers (kind, canonical value, validity, error,
    domain, chain, country, where found, role), sorted."""
    columns = [c for c in reports.c if c.name not in _NOT_COMPARED]
    query = (
        sa.select(reports.c.id, organizations.c.name, sharing_groups.c.name, *columns)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
    )
    found = sa.select(
        mentions.c.report_pk,
        *(identifiers.c[n] for n in ("kind", "canonical", "valid", "error", "domain")),
        *(identifiers.c[n] for n in ("chain", "country")),
        mentions.c.source,
        mentions.c.role,
    ).join(identifiers, identifiers.c.id == mentions.c.identifier_id)
    with store.connect() as conn:
        held: dict[int, list[tuple[Any, ...]]] = {}
        for pk, *mention in conn.execute(found):
            held.setdefault(pk, []).append(tuple(mention))
        snapshot = {}
        for pk, org, group, *values in conn.execute(query):
            values = [_utc(v) if isinstance(v, datetime) else v for v in values]
            report = dict(zip([c.name for c in columns], values, strict=True))
            report["group"] = group
            report["mentions"] = sorted(held.get(pk, []), key=repr)
            snapshot[(org, report["report_id"])] = report
    return snapshot


def _utc(when: datetime) -> datetime:
    """WHEN in UTC without its zone (PostgreSQL gives it, SQLite does not)."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _exported(store: Store) -> str:
    out = io.StringIO()
    export_csv(store, Viewer.node_operator(), out)
    return out.getvalue()


def _fresh(tmp_path: Path, name: str) -> Store:
    return open_store(f"sqlite:///{tmp_path / name}")


def _ingest(store: Store, path: Path, org: str, marking: Marking | None = None) -> Any:
    return ingest_file(store, path, org=org, marking=marking, workers=0, classify=False)


def _rejects(path: Path) -> list[dict[str, Any]]:
    rejects = path.with_name(path.name + ".rejects.jsonl")
    if not rejects.exists():
        return []
    return [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]


def _with_group(store: Store, *orgs: str) -> None:
    for org in orgs:
        add_org(store, org, country="TH")
    add_group(store, _GROUP, owner=orgs[0], members=list(orgs))


MARKINGS = [
    pytest.param(None, id="the-defaults"),
    pytest.param(Marking(TLP.GREEN, Distribution.PARTNERSHIP), id="green-partnership"),
    pytest.param(Marking(TLP.RED, Distribution.GROUP, _GROUP), id="red-group"),
]


@pytest.mark.parametrize("marking", MARKINGS)
def test_an_export_ingested_into_another_store_holds_the_same_reports_both_ways(
    store: Store, tmp_path: Path, marking: Marking | None
) -> None:
    """Before: every row rejected, field distribution (stored 0 of 4)."""
    _with_group(store, "a", "b")
    source = tmp_path / "partner.csv"
    source.write_text(ORIGINAL, encoding="utf-8")
    assert _ingest(store, source, "a", marking).stored == 4
    exported = tmp_path / "exported.csv"
    exported.write_text(_exported(store), encoding="utf-8")
    fresh = _fresh(tmp_path, "fresh.db")
    back = _fresh(tmp_path, "back.db")
    try:
        _with_group(fresh, "a", "b")
        _with_group(back, "a", "b")
        result = _ingest(fresh, exported, "a", marking)
        assert (result.received, result.stored, result.rejected) == (4, 4, 0), _rejects(exported)
        assert _snapshot(fresh) == _snapshot(store)
        assert all(r["attributes"] in (None, {}, []) for r in _snapshot(fresh).values())
        # and back: the second store's export gives the first store's reports again
        again = tmp_path / "again.csv"
        again.write_text(_exported(fresh), encoding="utf-8")
        assert again.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8")
        assert _ingest(back, again, "a", marking).stored == 4
        assert _snapshot(back) == _snapshot(store)
    finally:
        fresh.close()
        back.close()


def test_a_synthetic_partners_export_ingested_again_is_the_same(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A partner's file as `bigfish synth` writes it (noisy phones, links, handles, amounts)."""
    generate(tmp_path / "synth", reports=400, seed=3)
    first = _ingest(sqlite_store, tmp_path / "synth" / "th-aoc.csv", "th-aoc")
    assert first.stored > 20
    exported = tmp_path / "exported.csv"
    exported.write_text(_exported(sqlite_store), encoding="utf-8")
    fresh = _fresh(tmp_path, "fresh.db")
    try:
        result = _ingest(fresh, exported, "th-aoc")
        assert (result.stored, result.rejected) == (first.stored, 0), _rejects(exported)[:3]
        assert _snapshot(fresh) == _snapshot(sqlite_store)
    finally:
        fresh.close()


def test_rows_of_another_organization_are_rejected_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A node's export holds every organization's reports: ingested as one of them, the
    others' rows are rejected (a report is stored only under the one that sent it)."""
    source = tmp_path / "partner.csv"
    source.write_text(ORIGINAL, encoding="utf-8")
    _ingest(sqlite_store, source, "a")
    _ingest(sqlite_store, source, "b")
    exported = tmp_path / "exported.csv"
    exported.write_text(_exported(sqlite_store), encoding="utf-8")
    fresh = _fresh(tmp_path, "fresh.db")
    try:
        result = _ingest(fresh, exported, "a")
        assert (result.received, result.stored, result.rejected) == (8, 4, 4)
        rejected = _rejects(exported)
        assert {r["field"] for r in rejected} == {"org"}
        assert rejected[0]["reason"].startswith(
            "org 'b' is not the organization this file is ingested as ('a'): a report is stored"
            " only under the organization that sent it"
        )
        assert {org for org, _ in _snapshot(fresh)} == {"a"}
    finally:
        fresh.close()


def _marked_rows(tmp_path: Path, *cells: tuple[str, str, str]) -> Path:
    """A file of rows with the export's columns: (tlp, distribution, group) per row, org a."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["report_id", "reported_at", "country", "org", "tlp", "distribution", "group"])
    for i, (tlp, distribution, group) in enumerate(cells):
        writer.writerow([f"r{i}", "2025-03-01", "TH", "a", tlp, distribution, group])
    path = tmp_path / "marked.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_marking_other_than_the_batchs_is_rejected_with_the_options_that_ingest_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """With no options the batch is amber, organization only: a row saying green and
    partnership (wider) or red (narrower) is not stored under either."""
    _with_group(sqlite_store, "a", "b")
    path = _marked_rows(
        tmp_path,
        ("amber", "organization", ""),
        ("green", "partnership", ""),
        ("red", "organization", ""),
        ("amber", "group", _GROUP),
        ("amber", "partnership", _GROUP),
        ("TLP:RED", "organization", ""),
    )
    result = _ingest(sqlite_store, path, "a")
    assert (result.stored, result.rejected) == (1, 5)
    reasons = {r["report_id"]: (r["field"], r["reason"]) for r in _rejects(path)}
    assert reasons["r1"] == (
        "tlp",
        "markings are set for the whole batch, not per report: this row's tlp is 'green', "
        "the batch's is 'amber' (--tlp amber --distribution organization); ingest such rows "
        "with --tlp green --distribution partnership",
    )
    assert reasons["r2"][0] == "tlp" and reasons["r2"][1].endswith(
        "ingest such rows with --tlp red --distribution organization"
    )
    assert reasons["r3"][0] == "distribution" and reasons["r3"][1].endswith(
        "ingest such rows with --tlp amber --distribution group --group 'Mekong banks'"
    )
    assert reasons["r4"] == ("group", "group is only given with distribution 'group'")
    assert reasons["r5"][0] == "tlp" and "unknown tlp 'TLP:RED'" in reasons["r5"][1]
    (stored,) = _snapshot(sqlite_store).values()
    assert (stored["report_id"], stored["tlp"], stored["distribution"]) == (
        "r0",
        "amber",
        "organization",
    )
    assert stored["attributes"] in (None, {}, [])  # org, tlp, …: not attributes


def test_rows_repeating_the_batchs_marking_are_accepted_and_the_marking_is_the_batchs(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The options the reason gives ingest those rows; an empty cell says nothing (the
    batch's), an empty group beside a distribution is no group."""
    _with_group(sqlite_store, "a", "b")
    path = _marked_rows(
        tmp_path,
        ("red", "group", _GROUP),
        (" red ", "", ""),
        ("", "group", f"\ufeff{_GROUP}"),
        ("red", "group", ""),
    )
    result = _ingest(sqlite_store, path, "a", Marking(TLP.RED, Distribution.GROUP, _GROUP))
    assert (result.stored, result.rejected) == (3, 1)
    (reject,) = _rejects(path)
    assert (reject["report_id"], reject["field"]) == ("r3", "group")
    assert "this row's group is none, the batch's is 'Mekong banks'" in reject["reason"]
    stored = _snapshot(sqlite_store).values()
    assert {(r["tlp"], r["distribution"], r["group"]) for r in stored} == {("red", "group", _GROUP)}


def test_a_node_number_of_a_group_is_still_refused_and_other_columns_kept(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """group_id, which no export writes, stays refused; a column the export does not write
    (notes) is still an attribute."""
    path = tmp_path / "ids.csv"
    path.write_text(
        "report_id,reported_at,country,org,tlp,group_id,notes\r\n"
        "r1,2025-03-01,TH,a,amber,7,\r\n"
        "r2,2025-03-01,TH,a,amber,,kept\r\n",
        encoding="utf-8",
    )
    result = _ingest(sqlite_store, path, "a")
    assert (result.stored, result.rejected) == (1, 1)
    (reject,) = _rejects(path)
    assert (reject["field"], reject["reason"]) == (
        "group_id",
        "markings are set for the whole batch, not per report",
    )
    (stored,) = _snapshot(sqlite_store).values()
    assert stored["attributes"] == {"notes": "kept"}


def _export_rows(store: Store) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_exported(store))))


def test_an_export_saved_as_a_workbook_or_json_lines_is_ingested_the_same(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Only CSV is exported, but the same rows as a sheet (the CSV opened and saved in a
    spreadsheet) or JSON Lines (the CSV converted) are read the same way: accepted, or
    rejected naming the org."""
    source = tmp_path / "partner.csv"
    source.write_text(ORIGINAL, encoding="utf-8")
    _ingest(sqlite_store, source, "a")
    rows = _export_rows(sqlite_store)
    book = Workbook()
    book.active.append(list(rows[0]))
    for row in rows:
        book.active.append(list(row.values()))
    sheet = tmp_path / "exported.xlsx"
    book.save(sheet)
    lines = tmp_path / "exported.jsonl"
    lines.write_text(
        # JSON has no spreadsheet to guard: the values without the CSV's ' escape
        "".join(
            json.dumps({k: unescape_formula(v) for k, v in r.items() if v}) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    for path in (sheet, lines):
        fresh = _fresh(tmp_path, f"{path.suffix[1:]}.db")
        try:
            result = _ingest(fresh, path, "a")
            assert (result.stored, result.rejected) == (4, 0), _rejects(path)
            assert _snapshot(fresh) == _snapshot(sqlite_store), path
            other = _ingest(fresh, path, "b")
            assert (other.stored, other.rejected) == (0, 4)
            assert {r["field"] for r in _rejects(path)} == {"org"}
        finally:
            fresh.close()


def test_an_org_column_without_the_exports_marking_columns_is_the_partners_attribute(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A partner's own `org` column (a bank's branch, the platform named): not an export,
    so, like any column the format does not name, it is kept as an attribute and no row is
    rejected for it (spec/reports.md: unknown extra columns are kept)."""
    path = tmp_path / "partner.csv"
    path.write_text(
        "report_id,reported_at,country,org\nr1,2025-03-01,TH,Facebook\nr2,2025-03-02,TH,a\n",
        encoding="utf-8",
    )
    result = _ingest(sqlite_store, path, "a")
    assert (result.stored, result.rejected) == (2, 0), _rejects(path)
    attributes = {key[1]: report["attributes"] for key, report in _snapshot(sqlite_store).items()}
    assert attributes == {"r1": {"org": "Facebook"}, "r2": {"org": "a"}}


def test_attributes_travel_in_the_csv_export_and_are_read_back(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The columns a partner sent that the format does not name are kept as attributes; the
    CSV export dropped them, so an export ingested again lost them. Each is now a column of
    the export (empty where a report has none) and is read back as it was; a partner's own
    `org` column, whose name the export's organization column has, travels as `org.2`."""
    source = tmp_path / "partner.csv"
    source.write_text(
        "report_id,reported_at,country,notes,Branch code,org\r\n"
        "r1,2025-03-01,TH,called twice,0042,Facebook\r\n"
        'r2,2025-03-02,TH,"=SUM(A1), said the victim",,\r\n'
        "r3,2025-03-03,TH,,,\r\n",
        encoding="utf-8",
    )
    assert _ingest(sqlite_store, source, "a").stored == 3
    text = _exported(sqlite_store)
    header = next(csv.reader(io.StringIO(text)))
    assert header[-3:] == ["Branch code", "notes", "org.2"]
    exported = tmp_path / "exported.csv"
    exported.write_text(text, encoding="utf-8")
    fresh = _fresh(tmp_path, "fresh.db")
    try:
        result = _ingest(fresh, exported, "a")
        assert (result.stored, result.rejected) == (3, 0), _rejects(exported)
        attributes = {key[1]: report["attributes"] for key, report in _snapshot(fresh).items()}
    finally:
        fresh.close()
    assert attributes["r1"] == {"notes": "called twice", "Branch code": "0042", "org.2": "Facebook"}
    assert attributes["r2"] == {"notes": "=SUM(A1), said the victim"}
    assert attributes["r3"] in (None, {})
