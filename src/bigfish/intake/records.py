"""Turn one row of fields (from any reader) into a Report, or say exactly what is wrong."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from bigfish import vocab
from bigfish.errors import InputError
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
)

STANDARD_FIELDS = (
    "report_id",
    "reported_at",
    "country",
    "scam_type",
    "channel",
    "loss_amount",
    "loss_currency",
    "narrative",
)
IDENTIFIER_COLUMNS: dict[str, Kind] = {
    "phones": Kind.PHONE,
    "urls": Kind.URL,
    "emails": Kind.EMAIL,
    "bank_accounts": Kind.BANK_ACCOUNT,
    "crypto_wallets": Kind.CRYPTO_WALLET,
    "handles": Kind.HANDLE,
    "domains": Kind.DOMAIN,
    "ips": Kind.IP,
}
REQUIRED = ("report_id", "reported_at", "country")
#: Markings are given for the whole batch (file or API call); a report carrying its own is
#: refused, not kept as an attribute while the batch's marking applies (that could widen it).
MARKING_FIELDS = frozenset({"tlp", "distribution", "group", "group_id"})
MARKING_REASON = "markings are set for the whole batch, not per report"
#: Columns `bigfish export csv` adds to the intake columns: the report's organization and
#: marking. A file's row may repeat the batch's own (an export ingested again), never set them.
EXPORT_COLUMNS = ("org", "tlp", "distribution", "group")
_TLPS = frozenset(t.value for t in TLP)
_DISTRIBUTIONS = frozenset(d.value for d in Distribution)

#: Reports are of things that happened: from 1970 on, and not after today (a day's leeway for
#: the clocks and zones of the partners).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LEEWAY = timedelta(days=1)
MAX_NARRATIVE = 1_000_000
#: Characters of one record as a file holds it (a CSV record, a sheet's row): a narrative at its
#: limit and room for the rest. Readers stop reading a record there: memory stays bounded.
MAX_RECORD = 4 * MAX_NARRATIVE
#: Fields of a report (columns of a file): as many as Excel has columns.
MAX_COLUMNS = 16_384
#: Identifier values of one report, in its fields and its identifier list together.
MAX_IDENTIFIERS = 10_000
MAX_VALUE = 2_000
MAX_REPORT_ID = 200
MAX_ATTRIBUTE = 10_000

# A cell a spreadsheet may run: one that starts (after spaces) with =, +, -, @, a tab or a CR
# (=HYPERLINK(…), +cmd|…, @SUM(…), -2+3+cmd|…, =1+1) ...
_FORMULA = re.compile(r"\s*[=+\-@\t\r]")
# ... unless it is only signed whole numbers (+66812345678, a ;-list of phones), which a
# spreadsheet reads as numbers and cannot run.
_SIGNED_NUMBERS = re.compile(r"\s*[+-]?\d+(?:;[+-]?\d+)*\s*")
# A lone UTF-16 surrogate (JSON's "\ud800") is no character: it cannot be stored or sent on.
_SURROGATE = re.compile("[\ud800-\udfff]")
# The standard amount: digits with an optional "." and decimals (no exponent, sign or space).
_PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_VALUE = re.compile(r"[^;]+")
#: ... where a `\;` is a `;` inside a value (an export's URL with `;jsessionid=`, a handle).
_ESCAPED_VALUE = re.compile(r"(?:[^;\\]|\\;|\\(?!;))+")
#: Marks no one sees, taken off the ends of a field's value as spaces are (as off a header's
#: names: `readers.rows.header_names`): a byte-order mark (of two files joined, each starting
#: with one), zero-width spaces and joiners, a word joiner. Two report ids, dates or codes that
#: look the same are the same.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
# Each member by its value: what ScamType(value) and Channel(value) give, without the call of
# the enum's constructor (a microsecond each report).
_SCAM_TYPES = {s.value: s for s in ScamType}
_CHANNELS = {c.value: c for c in Channel}
_ROLES = frozenset(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class Formats:
    """How a layout writes dates and amounts (the standard format: ISO dates, plain decimals)."""

    date: str | None = None  # a strptime format; None means ISO 8601
    thousands_separator: str | None = None
    decimal_separator: str = "."
    defaults: Mapping[str, str] = field(default_factory=dict)


STANDARD = Formats()


def not_text(value: str) -> str | None:
    """Why VALUE cannot be stored as text (a NUL character, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if has_surrogate(value):
        return "contains a lone surrogate (\\ud800-\\udfff), not text"
    return None


def escape_nul(text: str) -> str:
    """TEXT with each NUL character written out as `\\x00` (to be kept or shown as text)."""
    return text.replace("\x00", "\\x00")


def nul_path(value: object) -> str | None:
    """Where the first NUL character of VALUE (parsed JSON) is, as a path of keys and indexes
    (`extensions.x.identifiers[0].value`, a key's own name when the key holds it), or None.
    PostgreSQL keeps no NUL in text nor in JSON (its error failed a whole TAXII POST and a
    sync page); SQLite kept it, where no export or comparison expects it."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "value"
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                named = f"{path}.{escape_nul(str(key))}" if path else escape_nul(str(key))
                stack.extend(((named, inner), (named, str(key))))  # the key is read first
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", inner) for i, inner in reversed(list(enumerate(item))))
    return None


def has_surrogate(text: str) -> bool:
    """True when TEXT holds a lone surrogate code point (not valid Unicode text)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def looks_like_formula(value: str) -> bool:
    """True for a cell a spreadsheet would evaluate (formula injection): exports prefix it with
    a quote. Intake stores such text as sent ("+Congratulations! You won…" is a scam message)."""
    return _FORMULA.match(value) is not None and _SIGNED_NUMBERS.fullmatch(value) is None


def unescape_formula(value: str) -> str:
    """VALUE without the quote an export put before a cell a spreadsheet would run: a leading
    ' followed (after more quotes and spaces) by =, +, -, @, a tab or a CR is that escape and
    one quote is dropped ("'+66812345678", "'=HYPERLINK(…)"; "''+66 call", an export of the
    text "'+66 call", gives that text back: `escape_formula`); a ' before anything else is the
    cell's text."""
    if value.startswith("'") and _FORMULA.match(value.lstrip("'")) is not None:
        return value[1:]
    return value


def escape_formula(value: str) -> str:
    """VALUE as an export writes it: with a quote before a cell a spreadsheet would run
    (`looks_like_formula`), and before a text that already starts with quotes and then such a
    cell (which `unescape_formula` would otherwise read as escaped and change), so that
    intake reads back every text as it was."""
    quoted = value.startswith("'") and _FORMULA.match(value.lstrip("'")) is not None
    return "'" + value if quoted or looks_like_formula(value) else value


def batch_fields(fields: dict[str, str], *, org: str, marking: Marking) -> dict[str, str]:
    """FIELDS of a row of a batch ORG sends under MARKING (a file's, whose rows have no
    marking of their own), without the columns an export adds (EXPORT_COLUMNS) when they
    only repeat the batch's organization and marking: they are the export's bookkeeping, not
    attributes. InputError names the first that does not, and says how to ingest the row: a
    report is stored only under the organization that sends it, and under the marking the
    ingesting operator chose (`--tlp`, `--distribution`, `--group`; their defaults when none
    is given), which a file neither sets nor widens. `group_id` (a node's own number for a
    group) is refused as before: no export writes it. A row with an `org` column but no
    marking column is not an export's: like any column the format does not name, `org` is
    then kept as an attribute (spec/reports.md), as it always was."""
    if "group_id" in fields and bare(fields["group_id"]):
        raise InputError(MARKING_REASON, field="group_id")
    if not any(name in fields for name in MARKING_FIELDS):
        return fields  # an `org` column alone is the partner's own: an attribute (spec)
    sent = bare(fields.get("org") or "")
    if sent and sent != org:
        raise InputError(
            f"org {sent!r} is not the organization this file is ingested as ({org!r}): a "
            "report is stored only under the organization that sent it; ingest that "
            "organization's rows in a file of their own, with --org",
            field="org",
        )
    _check_marking(fields, marking)
    return {name: value for name, value in fields.items() if name not in EXPORT_COLUMNS}


def _check_marking(fields: Mapping[str, str], marking: Marking) -> None:
    """InputError when FIELDS' tlp, distribution or group is not MARKING's. An empty cell
    says nothing, but an empty group beside a distribution is no group (as an export writes
    the marking of a report shared with the partnership)."""
    batch = {
        "tlp": marking.tlp.value,
        "distribution": marking.distribution.value,
        "group": marking.group if marking.distribution is Distribution.GROUP else None,
    }
    tlp = bare(fields.get("tlp") or "") or marking.tlp.value
    stated = bare(fields.get("distribution") or "")
    distribution = stated or marking.distribution.value
    group = bare(fields.get("group") or "") or (None if stated else batch["group"])
    if tlp not in _TLPS:
        raise InputError(
            f"unknown tlp {tlp!r} (one of {', '.join(t.value for t in TLP)})", field="tlp"
        )
    if distribution not in _DISTRIBUTIONS:
        raise InputError(
            f"unknown distribution {distribution!r} (one of "
            f"{', '.join(d.value for d in Distribution)})",
            field="distribution",
        )
    if group is not None and distribution != Distribution.GROUP.value:
        raise InputError("group is only given with distribution 'group'", field="group")
    given = {"tlp": tlp, "distribution": distribution, "group": group}
    for name, value in given.items():
        if value != batch[name]:
            raise InputError(
                f"{MARKING_REASON}: this row's {name} is {_shown(value)}, the batch's is "
                f"{_shown(batch[name])} ({_options(batch)}); ingest such rows with "
                f"{_options(given)}",
                field=name,
            )


def _shown(value: str | None) -> str:
    return repr(value) if value is not None else "none"


def _options(marking: Mapping[str, str | None]) -> str:
    """The `bigfish ingest` options that give MARKING (tlp, distribution, group)."""
    options = f"--tlp {marking['tlp']} --distribution {marking['distribution']}"
    if marking["distribution"] == Distribution.GROUP.value:
        options += f" --group {shlex.quote(marking['group'] or 'NAME')}"
    return options


#: Currencies whose amounts have no fractions in use: ISO 4217's of no minor unit, and those
#: counted in whole units (dong, rupiah, riel, kip, kyat), where thousands are grouped by a
#: point. Three decimals of theirs are thousands: "500.000" dong is not 500 dong.
WHOLE_UNITS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"}
    | {"VND", "VUV", "XAF", "XOF", "XPF", "IDR", "KHR", "LAK", "MMK"}
)


def parse_datetime(text: str, formats: Formats) -> datetime:
    """A UTC datetime from an ISO 8601 date or date-time, or the layout's strptime format;
    InputError for any other text, and for a time that has none in UTC (year 1 or 9999 with an
    offset)."""
    text = text.strip()
    try:
        if formats.date is not None:
            parsed = (
                _strptime(text, formats.date)
                if len(text) <= _CACHED_DATE
                else datetime.strptime(text, formats.date)
            )
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        expected = formats.date or "ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"
        raise InputError(f"not a valid date {text!r}; expected {expected}") from None
    if formats.date is not None and _ADJACENT.search(formats.date):
        written = parsed.strftime(formats.date)
        if _shortened(text, written, formats.date):  # 1112025 in %d%m%Y: 1/11 or 11/1?
            raise InputError(
                f"date {text!r} is shorter than {formats.date} writes a date: it reads as "
                f"{written}, or, with the leading zero a number cell loses, as 0{text}; which "
                "is meant cannot be told: write the date in full (format the column as Text)"
            )
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: no such time in UTC
        raise InputError(f"date {text!r} is out of range in UTC") from None


#: Two directives of a date format with nothing between them (%d%m%Y): a text that leaves out
#: a leading zero reads as another date ("1112025": 11 January, where 01112025 was meant).
_ADJACENT = re.compile("%[dmyYHIMSjf]%[dmyYHIMSjf]")
_TOKENS = re.compile("[^0-9A-Za-z%]+")


def _shortened(text: str, written: str, date_format: str) -> bool:
    """Whether TEXT, read with DATE_FORMAT as the date WRITTEN is written, has a part shorter
    than WRITTEN's where the format has two numeric directives with nothing between them (a
    part with separators may leave out zeros: 1/3/2025)."""
    parts, texts, full = (_TOKENS.split(x) for x in (date_format, text, written))
    if not len(parts) == len(texts) == len(full):
        return len(text) < len(written)
    return any(
        _ADJACENT.search(part) and len(given) < len(whole)
        for part, given, whole in zip(parts, texts, full, strict=True)
    )


#: `datetime.strptime`, its answers kept for the last dates read: a layout's dates repeat
#: (543 days among vn-police's 3,421 rows), and each reading took 4.6 µs of Python. A datetime
#: cannot change; a text it cannot read raises again (no exception is kept).
_strptime = lru_cache(maxsize=4096)(datetime.strptime)
#: The longest date text `_strptime` keeps: a space of a format reads any run of spaces, so a
#: text it reads may be as long as a row (4 MB), and 4,096 of them would stay in a long-lived
#: process (`bigfish serve`). No date a layout writes is longer.
_CACHED_DATE = 64


#: Years of the Buddhist Era, which Thai systems write, are these many years ahead of the CE.
_BUDDHIST_ERA = 543


def _buddhist_era(when: datetime) -> str:
    """A hint for an implausible time WHEN whose year is a plausible one of the Buddhist Era
    (2568 BE is 2025 CE), else nothing."""
    if when.year < EARLIEST.year + _BUDDHIST_ERA:
        return ""
    day = min(when.day, 28) if when.month == 2 else when.day  # 29 February of a CE year
    common = when.replace(year=when.year - _BUDDHIST_ERA, day=day)
    if not EARLIEST <= common <= datetime.now(UTC) + LEEWAY:
        return ""
    return (
        f"; is {when.year} a year of the Buddhist Era? It is {common:%Y-%m-%d} in the Common "
        "Era: write years of the Common Era, as Excel's date cells hold them"
    )


def _grouped(whole: str, separator: str) -> bool:
    """True when WHOLE is 1-3 digits then groups of three, each after SEPARATOR."""
    first, *groups = whole.split(separator)
    return (
        1 <= len(first) <= 3
        and first.isdigit()
        and all(len(g) == 3 and g.isdigit() for g in groups)
    )


def parse_amount(text: str, formats: Formats) -> Decimal:
    """A non-negative decimal amount: digits, the layout's decimal separator and decimals (no
    exponent: "1e400" is refused, not read as a loss too large for any total). With a thousands
    separator the digits before the decimals are either ungrouped or grouped by three
    (1,234,567): "12,34" or "1.234,50" are refused, not read as 1234 or 1.23450. With another
    decimal separator than ".", a "." that separates no thousands is refused: "1.500" under a
    decimal comma is fifteen hundred written with a thousands point, not 1.5."""
    cleaned = text.strip()
    separator = formats.thousands_separator
    if separator and separator in cleaned:
        whole, _, decimals = cleaned.partition(formats.decimal_separator)
        if separator in decimals or not _grouped(whole, separator):
            example = f"1{separator}234{separator}567{formats.decimal_separator}89"
            raise InputError(
                f"not a decimal amount {text!r}; {separator!r} separates thousands, in groups "
                f"of three digits ({example})"
            )
        cleaned = cleaned.replace(separator, "")
    decimal = formats.decimal_separator
    if decimal != ".":
        if "." in cleaned:  # no decimal point of this layout: "1.500" is not 1.5
            raise InputError(
                f"not a decimal amount {text!r}; this layout's decimals follow {decimal!r}, "
                "not '.' (when '.' separates thousands, give thousands_separator = \".\" in "
                "the mapping's [formats])"
            )
        cleaned = cleaned.replace(decimal, ".")
    if not _PLAIN_AMOUNT.fullmatch(cleaned):
        raise InputError(
            f"not a decimal amount {text!r}; expected digits with {decimal!r} decimals"
        )
    if len(cleaned) > 30:
        raise InputError(f"amount {text!r} has more than 30 digits")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise InputError(f"not a decimal amount {text!r}") from None


def bare(text: str) -> str:
    """TEXT without the spaces and invisible marks (INVISIBLE) around it: `str.strip` takes
    off the characters `str.isspace` calls spaces, then the marks, again until neither takes
    any (a mark between spaces); in C, not a look at each end's characters in Python."""
    stripped = text.strip().strip(INVISIBLE)
    while stripped != text:
        text, stripped = stripped, stripped.strip().strip(INVISIBLE)
    return stripped


def split_values(text: str) -> list[str]:
    r"""The `;`-separated values of an identifier cell, without empties; `\;` is a `;` inside
    a value (`escape_values`)."""
    return list(iter_values(text))


def iter_values(text: str) -> Iterator[str]:
    """The values of `split_values`, one at a time (a cell may hold millions). A value of
    spaces and marks no one sees (INVISIBLE: a zero-width space pasted with a cell that looks
    empty) is none; a value keeps the marks it has (its raw text), as before."""
    if "\\;" not in text:
        for match in _VALUE.finditer(text):
            value = match.group().strip()
            if value and (value.isascii() or bare(value)):
                yield value
        return
    for match in _ESCAPED_VALUE.finditer(text):
        value = match.group().replace("\\;", ";").strip()
        if value and (value.isascii() or bare(value)):
            yield value


def escape_values(values: Iterable[str]) -> str:
    r"""VALUES as one identifier cell: joined by `;`, a `;` inside a value written `\;`
    (`split_values` reads them back; the items of a JSON list are each one value too). Only
    `\;` is an escape; a value ending in a backslash is kept apart as `join_cells` keeps it."""
    return join_cells(v.replace(";", "\\;") for v in values)


def join_cells(cells: Iterable[str]) -> str:
    r"""CELLS (each of `;`-separated values) as one: joined by `;`, a space after a cell ending
    in a backslash, so that its `\` and the `;` after it are not read as a `;` inside a value
    (`iter_values`), which would join the cell's last value to the next one's first. The space
    is taken off the value as any around it is."""
    return ";".join(c + " " if c.endswith("\\") else c for c in cells)


def _check_text(fields: Mapping[str, str]) -> None:
    """InputError(field=…) for the first name or value of FIELDS that `not_text` refuses.
    Most rows have none: one look at their text joined (a NUL or a lone surrogate in the
    whole is in one of its parts; joining makes neither) spares a call per name and value,
    a quarter of the time of a row. A value that is not text is passed over, as before."""
    try:
        joined = "".join(fields) + "".join(fields.values())
    except TypeError:  # a value that is not text: each is looked at in turn
        pass
    else:
        if "\x00" not in joined and not has_surrogate(joined):
            return
    for name, value in fields.items():
        problem = not_text(name) or (not_text(value) if isinstance(value, str) else None)
        if problem:
            raise InputError(problem, field=name)


def _standard_values(fields: Mapping[str, str], formats: Formats) -> dict[str, str | None]:
    """Each of STANDARD_FIELDS: its value in FIELDS without the marks around it (`bare`), else
    the layout's default so, else None; `bare` is not called for a field the row leaves out."""
    defaults = formats.defaults
    values: dict[str, str | None] = {}
    for name in STANDARD_FIELDS:
        value = fields.get(name)
        given = bare(value) if value else ""
        if not given:
            default = defaults.get(name)
            given = bare(default) if default else ""
        values[name] = given or None
    return values


def _check_values(raw: list[tuple[RawIdentifier, str]]) -> None:
    """InputError(field=…) for the first identifier value of RAW that is no text or too long.
    Most reports have none: their values are looked at together first (as `_check_text`)."""
    values = [ident.value for ident, _ in raw]
    try:
        joined = "".join(values)
    except TypeError:  # a value that is not text: each is looked at in turn
        pass
    else:
        if (
            "\x00" not in joined
            and not has_surrogate(joined)
            and max(map(len, values), default=0) <= MAX_VALUE
        ):
            return
    for ident, where in raw:
        problem = not_text(ident.value)
        if problem:
            raise InputError(f"{ident.kind} value {problem}", field=where)
        if len(ident.value) > MAX_VALUE:
            raise InputError(
                f"{ident.kind} value of {len(ident.value):,} characters is over {MAX_VALUE:,}",
                field=where,
            )


_KNOWN = frozenset(STANDARD_FIELDS) | frozenset(IDENTIFIER_COLUMNS)


def build_report(
    fields: Mapping[str, str],
    *,
    identifiers: list[RawIdentifier] | None = None,
    formats: Formats = STANDARD,
    marking: Marking | None = None,
) -> Report:
    """A Report from one row's fields; InputError(field=…) names the first thing wrong."""
    _check_text(fields)
    values = _standard_values(fields, formats)
    for name in REQUIRED:
        if values[name] is None:
            raise InputError("required field is missing or empty", field=name)
    report_id = values["report_id"] or ""
    if len(report_id) > MAX_REPORT_ID:
        raise InputError(f"report_id longer than {MAX_REPORT_ID} characters", field="report_id")
    if any(step in (".", "..") for step in report_id.split("/")):
        raise InputError(  # a report's id is part of its address on the web and in the API
            "report_id must not have '.' or '..' between slashes", field="report_id"
        )
    try:
        reported_at = parse_datetime(values["reported_at"] or "", formats)
    except InputError as exc:
        raise InputError(exc.message, field="reported_at") from None
    if not EARLIEST <= reported_at <= datetime.now(UTC) + LEEWAY:
        raise InputError(
            f"reported_at {reported_at:%Y-%m-%d} is not a plausible time of a report"
            f" (from {EARLIEST:%Y} to today){_buddhist_era(reported_at)}",
            field="reported_at",
        )
    country = (values["country"] or "").upper()
    if country not in vocab.countries():
        raise InputError(f"unknown ISO 3166 country code {country!r}", field="country")
    scam_type = values["scam_type"]
    if scam_type is not None and scam_type.lower() not in _SCAM_TYPES:
        raise InputError(f"unknown scam_type {scam_type!r}", field="scam_type")
    channel = values["channel"]
    if channel is not None and channel.lower() not in _CHANNELS:
        raise InputError(f"unknown channel {channel!r}", field="channel")
    amount: Decimal | None = None
    currency = values["loss_currency"]
    if values["loss_amount"] is not None:
        try:
            amount = parse_amount(values["loss_amount"] or "", formats)
        except InputError as exc:
            raise InputError(exc.message, field="loss_amount") from None
        if currency is None:
            raise InputError("loss_currency is required with loss_amount", field="loss_currency")
    if currency is not None:
        currency = currency.upper()
        if currency not in vocab.currencies():
            raise InputError(f"unknown ISO 4217 currency {currency!r}", field="loss_currency")
    if amount is not None and currency in WHOLE_UNITS and amount.as_tuple().exponent == -3:
        text = bare(values["loss_amount"] or "")
        raise InputError(
            f"loss_amount {text!r} {currency} has three decimals, and the {currency} has no "
            f"minor unit: is '.' grouping thousands ({amount.scaleb(3):f})? Write amounts "
            "without thousands separators (or give the mapping's thousands_separator)",
            field="loss_amount",
        )
    narrative = values["narrative"]
    if narrative is not None and len(narrative) > MAX_NARRATIVE:
        raise InputError(
            f"narrative of {len(narrative):,} characters is over the limit of {MAX_NARRATIVE:,}",
            field="narrative",
        )
    # Each value with the field it came from: identifiers[i].value of a JSON list, or its column.
    raw = [(ident, f"identifiers[{i}].value") for i, ident in enumerate(identifiers or [])]
    for column, kind in IDENTIFIER_COLUMNS.items():
        cell = fields.get(column)
        if not cell:  # most cells of most rows: no values to look for
            continue
        for value in iter_values(cell):
            if len(raw) == MAX_IDENTIFIERS:
                raise InputError(
                    f"more than {MAX_IDENTIFIERS:,} identifiers in one report", field=column
                )
            raw.append((RawIdentifier(kind, value), column))
    _check_values(raw)
    attributes = tuple((k, v) for k, v in fields.items() if k not in _KNOWN and k and v)
    for name, value in attributes:
        if len(value) > MAX_ATTRIBUTE:
            raise InputError(
                f"value of {len(value):,} characters is over the limit of {MAX_ATTRIBUTE:,}",
                field=name,
            )
    return Report(
        report_id=report_id,
        reported_at=reported_at,
        country=country,
        scam_type=_SCAM_TYPES[scam_type.lower()] if scam_type else None,
        channel=_CHANNELS[channel.lower()] if channel else None,
        loss_amount=amount,
        loss_currency=currency,
        narrative=narrative,
        identifiers=tuple(ident for ident, _ in raw),
        attributes=attributes,
        marking=marking or Marking(),
    )


def parse_role(value: object) -> Role | None:
    """A role from JSON, or InputError."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in _ROLES:
        raise InputError(f"unknown role {value!r}", field="identifiers.role")
    return Role(value)
