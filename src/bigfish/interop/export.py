"""Exports of what a viewer may see: a STIX 2.1 bundle, MISP events, intake CSV, or the same
rows as an Excel workbook whose every cell is text.

Every export reads through `bigfish.sharing.policy.visible_reports`; what a viewer may not see
never enters the file. Secrets (keys, community keys) are not in the data read here at all.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.intake.readers.rows import FOLDED, column_name
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    STANDARD_FIELDS,
    bare,
    escape_formula,
    escape_values,
    unescape_formula,
)
from bigfish.intake.xlsx import escape_control, unescape_control
from bigfish.interop import misp, stix
from bigfish.interop.markings import extension_definitions, tlp_marking_definition
from bigfish.interop.model import NetworkView, ReportView
from bigfish.interop.views import iter_reports
from bigfish.models import TLP, Marking
from bigfish.organizations import get_org
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import reports

FORMATS = ("stix", "misp", "csv", "xlsx")


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    format: str
    reports: int
    objects: int


def _networks_visible(
    networks: Sequence[NetworkView], seen: dict[tuple[str, str], ReportView]
) -> list[tuple[NetworkView, list[ReportView]]]:
    """Each network of two reports or more whose every report, as the viewer is shown it, is
    in the export (SEEN), with those reports. A network the export holds only some reports of
    (`--sent-by`: one organization's) is left out, not cut down to them: its figures (loss,
    score, the identifiers its reports share) are of the others too, and that those reports are
    in one network may rest on the others alone (a's two reports joined by b's TLP:RED one,
    in a file handed to a); a node ingesting the file links them again itself."""
    result = []
    for network in networks:
        members = [seen[key] for key in network.reports if key in seen]
        if len(members) >= 2 and len(members) == len(set(network.reports)):
            result.append((network, members))
    return result


def stix_objects(
    reports: Sequence[ReportView], networks: Sequence[NetworkView] = ()
) -> list[dict[str, Any]]:
    """The objects of a STIX export: definitions, identities, observables (each once, with the
    most restrictive marking of the reports that hold it), reports, networks."""
    observables: dict[str, tuple[dict[str, Any], list[Marking]]] = {}
    report_objs: list[dict[str, Any]] = []
    orgs: set[str] = set()
    tlps: set[TLP] = set()
    for view in reports:
        orgs.add(view.org)
        tlps.add(view.marking.tlp)
        *scos, report_obj = stix.report_objects(view)
        report_objs.append(report_obj)
        for sco in scos:
            entry = observables.setdefault(sco["id"], (sco, []))
            entry[1].append(view.marking)
    seen = {(v.org, v.report_id): v for v in reports}
    network_objs: list[dict[str, Any]] = []
    for network, members in _networks_visible(networks, seen):
        shown = NetworkView(
            network.id,
            tuple((v.org, v.report_id) for v in members),
            network.identifiers,
            tuple(sorted({v.country for v in members})),
            network.score,
            network.total_loss_usd,
            min(v.reported_at for v in members),
            max(v.reported_at for v in members),
        )
        marking = stix.least_shared(v.marking for v in members)
        tlps.add(marking.tlp)
        created = max(v.modified for v in members)
        ids = [stix.report_object_id(v) for v in members]  # the ids the bundle holds
        network_objs.extend(stix.network_objects(shown, marking, created, ids))
    sco_objs = []
    for sco, markings in observables.values():
        sco_objs.append(stix.marked(sco, stix.least_shared(markings)))
        tlps.update(m.tlp for m in markings)
    definitions = extension_definitions() + [tlp_marking_definition(t) for t in TLP if t in tlps]
    identities = [stix.org_identity(org) for org in sorted(orgs)]
    return [*definitions, *identities, *sco_objs, *report_objs, *network_objs]


def _exported(conn: Connection, viewer: Viewer, sent_by: str | None) -> ColumnElement[bool]:
    """The reports an export holds: those VIEWER may see, and of them only those organization
    SENT_BY sent when it is given (NotFound for an organization the node does not know): one
    organization's own reports, to ingest again elsewhere with `--org`, or to keep."""
    condition = visible_reports(viewer)
    if sent_by is None:
        return condition
    return sa.and_(condition, reports.c.org_id == get_org(conn, sent_by).id)


def _visible(store: Store, viewer: Viewer, sent_by: str | None) -> list[ReportView]:
    with store.connect() as conn:
        return list(iter_reports(conn, _exported(conn, viewer, sent_by)))


def export_stix(
    store: Store,
    viewer: Viewer,
    out: IO[str],
    *,
    networks: Sequence[NetworkView] = (),
    sent_by: str | None = None,
) -> ExportResult:
    """Write a STIX 2.1 bundle of what VIEWER may see to OUT."""
    views = _visible(store, viewer, sent_by)
    objects = stix_objects(views, networks)
    seed = f"{viewer.org_name or 'operator'}|{datetime.now(UTC).isoformat()}"
    json.dump(stix.bundle(objects, seed=seed), out, ensure_ascii=False, indent=1)
    out.write("\n")
    return ExportResult("stix", len(views), len(objects))


def export_misp(
    store: Store,
    viewer: Viewer,
    out: IO[str],
    *,
    networks: Sequence[NetworkView] = (),
    sent_by: str | None = None,
) -> ExportResult:
    """Write MISP events of what VIEWER may see to OUT: one per network, one per report in none.
    With SENT_BY, one per report: the file is for ingesting that organization's reports again,
    and a network's event, which stands for its reports, would be read back as one report."""
    views = _visible(store, viewer, sent_by)
    seen = {(v.org, v.report_id): v for v in views}
    events: list[dict[str, Any]] = []
    in_network: set[tuple[str, str]] = set()
    for network, members in _networks_visible(() if sent_by is not None else networks, seen):
        events.append(misp.network_event(network, members))
        in_network.update((v.org, v.report_id) for v in members)
    taken = {event["Event"]["uuid"] for event in events}
    events.extend(
        misp.report_event(v, taken) for v in views if (v.org, v.report_id) not in in_network
    )
    json.dump({"response": events}, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return ExportResult("misp", len(views), len(events))


CSV_COLUMNS = (*STANDARD_FIELDS, *IDENTIFIER_COLUMNS, "org", "tlp", "distribution", "group")
_COLUMN_OF_KIND = {kind.value: column for column, kind in IDENTIFIER_COLUMNS.items()}


def _inert(value: str) -> str:
    """A cell no spreadsheet will run (formula injection), which intake reads back as VALUE
    (`bigfish.intake.records.escape_formula`)."""
    return escape_formula(value)


def csv_row(view: ReportView) -> list[str]:
    """One report as a row of the intake CSV format (plus org and marking columns)."""
    by_column: dict[str, list[str]] = {}
    for m in view.mentions:
        if m.source == "field":
            value = m.canonical if m.valid else m.raw
            by_column.setdefault(_COLUMN_OF_KIND[m.kind], []).append(value)
    values = {
        "report_id": view.report_id,
        "reported_at": stix.timestamp(view.reported_at),
        "country": view.country,
        "scam_type": view.scam_type or "",
        "channel": view.channel or "",
        "loss_amount": view.loss_amount or "",
        "loss_currency": view.loss_currency or "",
        "narrative": view.narrative or "",
        "org": view.org,
        "tlp": view.marking.tlp.value,
        "distribution": view.marking.distribution.value,
        "group": view.marking.group or "",
    } | {column: escape_values(items) for column, items in by_column.items()}
    return [_inert(values.get(column, "")) for column in CSV_COLUMNS]


def attribute_columns(names: Iterable[str]) -> dict[str, str]:
    """The column of each report attribute NAME in a CSV export: its name (escaped as a cell
    is, `_inert`: a partner's key "=cmd" is no formula in the header either), or, for a name
    intake would read as one an export column already has, the name with `.2` (`.3`, …) as
    the MISP import names a repeated block. Intake reads a header's names stripped, and a
    field's or a marking's whatever its case, and refuses a file naming a column twice
    (`_as_read`): a partner's `org` or `Country` (JSON Lines keeps the case of its keys),
    a ` note` beside `note`, each need a column of their own; `Notes` beside `notes` are two
    attributes, read back as two."""
    taken = {_as_read(column) for column in CSV_COLUMNS}
    columns: dict[str, str] = {}
    for name in names:
        column, n = _inert(name), 1
        while not _as_read(column) or _as_read(column) in taken:
            n += 1
            column = f"{_inert(name)}.{n}"
        taken.add(_as_read(column))
        columns[name] = column
    return columns


def _as_read(column: str) -> str:
    """The name intake reads for a header cell COLUMN (`bigfish.intake.readers.rows.
    column_name`): without the spaces and marks no one sees around it and the quote of an
    escaped name, composed, and lower-cased when it names a field or a marking ("" for a cell
    it names by its place, column_N)."""
    return column_name(column, FOLDED)


def write_csv(views: Iterable[ReportView], out: IO[str]) -> int:
    """VIEWS to OUT as intake CSV; the number of reports written.

    The columns are CSV_COLUMNS, then one for every attribute the reports carry (the columns
    a partner sent that the format does not name, kept verbatim), in order of name: ingested
    again, they are read back as the same attributes (intake keeps every column it does not
    name, and drops empty cells, so a report without the attribute has an empty one)."""
    with _intake_rows(views) as (count, rows):
        writer = csv.writer(out, lineterminator="\n")
        # The writer quotes a cell holding its line terminator (`\n`) but not a lone `\r`,
        # at which a reader ends the row: a row holding one is written with every cell quoted.
        quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for row in rows:
            (quoted if any("\r" in cell for cell in row) else writer).writerow(row)
    return count


@contextlib.contextmanager
def _intake_rows(views: Iterable[ReportView]) -> Iterator[tuple[int, Iterator[list[str]]]]:
    """The number of VIEWS and the rows of their intake CSV (`write_csv`), its header first,
    each cell escaped (`_inert`). The rows wait in a temporary file until every attribute's
    name is known, so memory stays flat; the file is gone when the block ends."""
    names: set[str] = set()
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for view in views:
            names.update(name for name, _ in view.attributes)
            spool.write(json.dumps([csv_row(view), dict(view.attributes)]) + "\n")
            count += 1
        columns = attribute_columns(sorted(names))

        def rows() -> Iterator[list[str]]:
            yield [*CSV_COLUMNS, *columns.values()]
            spool.seek(0)
            for line in spool:
                row, attributes = json.loads(line)
                yield [*row, *(_inert(attributes.get(name, "")) for name in columns)]

        yield count, rows()


def export_csv(
    store: Store, viewer: Viewer, out: IO[str], *, sent_by: str | None = None
) -> ExportResult:
    """Write what VIEWER may see (of what SENT_BY sent, when given) to OUT as intake CSV
    (`write_csv`)."""
    with store.connect() as conn:
        count = write_csv(iter_reports(conn, _exported(conn, viewer, sent_by)), out)
    return ExportResult("csv", count, count)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Characters of an Excel cell (openpyxl cuts a longer text there without a word).
MAX_SHEET_CELL = 32_767
#: Rows of an Excel sheet, the header's among them.
MAX_SHEET_ROWS = 1_048_576
_ORG, _REPORT_ID = CSV_COLUMNS.index("org"), CSV_COLUMNS.index("report_id")


def write_xlsx(views: Iterable[ReportView], out: IO[bytes]) -> int:
    """VIEWS to OUT as an Excel workbook of one sheet, "reports", holding the rows and columns
    of `write_csv`; the number of reports written.

    Every cell is a text cell, so a spreadsheet runs none (a narrative "=HYPERLINK(…)" is that
    text) and changes none (a phone keeps its +, an account its leading zeros); a cell holds
    the text itself, without the quote the CSV puts before a formula. Intake reads the file
    back as the same reports: it drops one quote of a text starting with quotes and a formula
    character (which keeps one more here, as in the CSV), and reads the escapes of the control
    characters and CRs a workbook's XML cannot hold (`bigfish.intake.xlsx.escape_control`).

    InputError, before anything is written to OUT, when a report does not fit in a workbook:
    a cell of more than MAX_SHEET_CELL characters (Excel's limit), or more reports than a
    sheet has rows; the CSV export holds them. The rows stream through temporary files
    (`_intake_rows`, openpyxl's write-only sheet) that are removed whatever happens."""
    from openpyxl import Workbook

    with _intake_rows(views) as (count, rows):
        if count >= MAX_SHEET_ROWS:
            raise InputError(
                f"{count:,} reports are more than an Excel sheet holds ({MAX_SHEET_ROWS - 1:,} "
                "below its header); export them as csv, or fewer of them (--sent-by)"
            )
        book = Workbook(write_only=True)
        sheet = book.create_sheet("reports")
        sheet.freeze_panes = "A2"  # the header stays in view
        try:
            header = [_sheet_name(column) for column in next(rows)]
            sheet.append([_text_cell(sheet, name) for name in header])
            for row in rows:
                texts = [_sheet_text(cell, row, header[n]) for n, cell in enumerate(row)]
                sheet.append([_text_cell(sheet, text) for text in texts])
            _save(book, out)
        finally:
            _remove_sheet_file(sheet)
    return count


def _save(book: Any, out: IO[bytes]) -> None:
    """Write BOOK to OUT (openpyxl's `Workbook.save`, whose archive, left open when writing
    fails, is closed by the garbage collector: a second error, where no one hears it)."""
    from openpyxl.writer.excel import ExcelWriter

    archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(book, archive).save()
    except BaseException:
        with contextlib.suppress(Exception):
            archive.close()
        raise


def _sheet_text(cell: str, row: list[str], name: str) -> str:
    """The text a workbook's cell holds for CELL, a cell of ROW of the intake CSV (`_inert`)
    under the header cell NAME: the text itself, with the quote only where intake would
    otherwise take a quote of the text for the CSV's (`unescape_formula`), and its control
    characters escaped; InputError naming the report and the column when it is longer than an
    Excel cell."""
    value = unescape_formula(cell)
    text = escape_control(escape_formula(value) if value.startswith("'") else value)
    if len(text) > MAX_SHEET_CELL:
        column = unescape_formula(bare(unescape_control(name)))
        report = f"{unescape_formula(row[_ORG])}/{unescape_formula(row[_REPORT_ID])}"
        raise InputError(
            f"report {report}: {len(text):,} characters, more than the {MAX_SHEET_CELL:,} an "
            "Excel cell holds; export it as csv, which holds every report whole",
            field=column,
        )
    return text


def _sheet_name(column: str) -> str:
    """The header cell of COLUMN (a header cell of the intake CSV): as `_sheet_text` writes a
    cell, or, for a name intake would then read otherwise (spaces around a name the CSV
    quotes, which intake takes off), as the CSV writes it."""
    text = escape_control(unescape_formula(column))
    if unescape_formula(bare(unescape_control(text))) != unescape_formula(bare(column)):
        text = escape_control(column)
    return text


def _text_cell(sheet: Any, text: str) -> Any:
    """A cell of SHEET holding TEXT as text (openpyxl takes a text starting with = for a
    formula), or None, no cell, for an empty text."""
    from openpyxl.cell import WriteOnlyCell

    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _remove_sheet_file(sheet: Any) -> None:
    """Remove the temporary file openpyxl's write-only SHEET writes its rows to: openpyxl
    removes it when the workbook is saved, and otherwise (an error before) only when Python
    exits. The sheet is closed first: its rows' writer would write to the file when collected."""
    writer = getattr(sheet, "_writer", None)
    if writer is None:
        return
    try:
        if not sheet.closed:
            sheet.close()
    finally:
        if isinstance(writer.out, str) and os.path.exists(writer.out):
            writer.cleanup()


def export_xlsx(
    store: Store, viewer: Viewer, out: IO[bytes], *, sent_by: str | None = None
) -> ExportResult:
    """Write what VIEWER may see (of what SENT_BY sent, when given) to OUT as an Excel
    workbook of the intake CSV's rows, every cell text (`write_xlsx`)."""
    with store.connect() as conn:
        count = write_xlsx(iter_reports(conn, _exported(conn, viewer, sent_by)), out)
    return ExportResult("xlsx", count, count)


def network_views(store: Store, viewer: Viewer) -> list[NetworkView]:
    """The networks VIEWER may see, from the linking area's ranking (none if it is absent)."""
    try:
        from bigfish.linking import list_networks
    except ImportError:  # pragma: no cover - the linking area is optional
        return []
    page = list_networks(store, viewer, limit=1_000_000_000).to_json()
    return [_network_view(doc) for doc in page["networks"]]


def _network_view(doc: dict[str, Any]) -> NetworkView:
    def when(text: object) -> datetime | None:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None

    return NetworkView(
        id=str(doc["id"]),
        reports=tuple((str(r["org"]), str(r["report_id"])) for r in doc["reports"]),
        identifiers=tuple((str(i["kind"]), str(i["canonical"])) for i in doc["identifiers"]),
        countries=tuple(doc["countries"]),
        score=float(doc["score"]),
        total_loss_usd=float(doc["total_loss_usd"]),
        first_seen=when(doc.get("first_seen")),
        last_seen=when(doc.get("last_seen")),
    )
