"""Column mappings (TOML) for layouts other than the standard one.

A mapping names, for each bigfish field, the header that holds it (a list of headers for
identifier columns, one identifier per column), how dates and amounts are written, default
values, and translations of local labels::

    [columns]
    report_id = "Mã hồ sơ"
    reported_at = "Ngày trình báo"
    phones = ["Số điện thoại 1", "Số điện thoại 2"]
    [formats]
    date = "%d/%m/%Y"
    thousands_separator = ","
    decimal_separator = "."
    [defaults]
    country = "VN"
    [values.scam_type]
    "Đầu tư" = "investment"
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bigfish.errors import InputError
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    STANDARD_FIELDS,
    Formats,
    bare,
    build_report,
    join_cells,
)

_FIELDS = frozenset(STANDARD_FIELDS) | frozenset(IDENTIFIER_COLUMNS)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where each field is in a file, and how its values are written."""

    columns: Mapping[str, tuple[str, ...]]
    formats: Formats
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Each header of COLUMNS (folded, as they match) as the mapping writes it, to name it so.
    written: Mapping[str, str] = field(default_factory=dict)

    def sources(self, row: Mapping[str, str]) -> dict[str, list[str]]:
        """The keys of ROW each mapped field is taken from (a JSON object's keys match the
        mapping's headers whatever their case or composition, as a file's headers do)."""
        found: dict[str, list[str]] = {}
        folded: dict[str, str] | None = None  # a JSON object's keys as readers give headers
        for name, headers in self.columns.items():
            keys = []
            for header in headers:
                if header not in row:  # a key of another case or composition ("CaseNo")
                    folded = folded if folded is not None else {_header(k): k for k in row}
                    header = folded.get(header, header)
                keys.append(header)
            found[name] = keys
        return found

    def field_of(self, key: str) -> str | None:
        """The field the mapping takes from a JSON object's KEY (whatever its case or
        composition, as `sources` matches it), or None."""
        header = _header(key)
        for name, headers in self.columns.items():
            if key in headers or header in headers:
                return name
        return None

    def apply(self, row: Mapping[str, str]) -> dict[str, str]:
        """The standard fields of one row of the mapped layout (unmapped columns are kept)."""
        result: dict[str, str] = {}
        sources, used = _sources_of(self, row)
        for name, keys in sources:
            if len(keys) == 1:  # the join of one cell, or of none
                text = row.get(keys[0], "").strip()
            else:
                text = join_cells(c for c in [row.get(k, "").strip() for k in keys] if c)
            text = self._translated(name, text)
            if text:
                result[name] = text
        for header, value in row.items():
            if header not in used and value:
                result.setdefault(header, value)
        for name in self.values:  # a field under its own name ("scam_type"), not mapped
            if name not in self.columns and name in result:
                result[name] = self._translated(name, result[name])
        return result

    def _translated(self, name: str, text: str) -> str:
        """TEXT of field NAME in the vocabulary when [values.NAME] has it as a label."""
        translations = self.values.get(name)
        return translations.get(_label(text), text) if translations else text

    def shadowed(self, row: Mapping[str, str]) -> str | None:
        """A field the mapping takes from other columns that ROW also gives a value under its
        own name: `apply` would drop that value, or take it where the mapped cells are empty."""
        mapped = {h for headers in self.columns.values() for h in headers}
        for name in self.columns:
            if name not in mapped and (row.get(name) or "").strip():
                return name
        return None


#: Each mapped field with the keys of a row it is taken from, and all those keys.
Sources = tuple[tuple[tuple[str, tuple[str, ...]], ...], frozenset[str]]
#: The mapping and the keys of the row `_sources_of` answered last, with its answer: the rows
#: of one file have the same keys, whose sources were worked out anew for every row.
_last_sources: tuple[ColumnMapping, tuple[str, ...], Sources] | None = None


def _sources_of(mapping: ColumnMapping, row: Mapping[str, str]) -> Sources:
    """`mapping.sources(row)` as (field, keys) pairs, and every key they name: the answer
    for the row before when ROW has the same keys in the same order (the sources depend on
    ROW's keys alone). One answer is kept, with its mapping (not its id, which another
    mapping could take once it is gone)."""
    global _last_sources
    keys = tuple(row)
    last = _last_sources
    if last is not None and last[0] is mapping and last[1] == keys:
        return last[2]
    pairs = tuple((name, tuple(found)) for name, found in mapping.sources(row).items())
    answer = (pairs, frozenset(key for _, found in pairs for key in found))
    _last_sources = (mapping, keys, answer)
    return answer


def _header(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).lower()


def _label(text: str) -> str:
    """A local label as it matches: whatever its case, composition (NFC: a cell typed
    decomposed) and the spaces or invisible marks around it."""
    return unicodedata.normalize("NFC", bare(text)).casefold()


def _as_headers(name: str, value: object, path: Path) -> tuple[str, ...]:
    # Readers compose (NFC) and lower-case header names: mappings match them so.
    if isinstance(value, str) and value.strip():
        return (_header(value),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(_header(v) for v in value)
    raise InputError(
        "must be a header name or a list of them", file=str(path), field=f"columns.{name}"
    )


def _written(columns: Mapping[str, object]) -> dict[str, str]:
    """Each header name of COLUMNS (checked by `_as_headers`), folded as it matches, to the
    name as written (stripped)."""
    names = [
        v for value in columns.values() for v in (value if isinstance(value, list) else [value])
    ]
    return {_header(name): name.strip() for name in names if isinstance(name, str)}


_TABLES = ("columns", "formats", "defaults", "values")
_FORMATS = ("date", "thousands_separator", "decimal_separator")


def _table(data: Mapping[str, object], name: str, path: Path) -> dict[str, object]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise InputError(f"must be a table ([{name}])", file=str(path), field=name)
    return value


def _formats(table: Mapping[str, object], path: Path) -> dict[str, str]:
    """The [formats] entries, each checked: known, text, and usable."""
    out: dict[str, str] = {}
    for key, value in table.items():
        where = f"formats.{key}"
        if key not in _FORMATS:
            raise InputError(
                f"unknown format {key!r}; known: {', '.join(_FORMATS)}", file=str(path), field=where
            )
        if not isinstance(value, str):
            raise InputError("must be text", file=str(path), field=where)
        if key == "date":
            probe = datetime(2025, 1, 31, 13, 45)
            try:  # a format strptime cannot read back what it writes would fail every row
                read = datetime.strptime(probe.strftime(value), value)
            except ValueError as exc:
                raise InputError(
                    f"not a usable strptime date format {value!r} ({exc})",
                    file=str(path),
                    field=where,
                ) from None
            if read.date() != probe.date():  # "%d/%m": every date of the year 1900
                raise InputError(
                    f"the date format {value!r} does not give the day, month and year "
                    f"({probe:%Y-%m-%d} written in it reads back as {read:%Y-%m-%d})",
                    file=str(path),
                    field=where,
                )
        elif (key == "decimal_separator" and not value) or any(c.isdigit() for c in value):
            raise InputError(
                "must be one or more characters, not digits", file=str(path), field=where
            )
        out[key] = value
    if out.get("thousands_separator") and out.get("thousands_separator") == out.get(
        "decimal_separator", "."
    ):
        raise InputError(
            "the thousands and decimal separators must differ",
            file=str(path),
            field="formats.thousands_separator",
        )
    return out


_DEFAULTED = tuple(name for name in STANDARD_FIELDS if name != "report_id")


def _defaults(
    table: Mapping[str, object], path: Path, date_format: str | None, decimal: str = "."
) -> dict[str, str]:
    """The [defaults] entries: a standard field each (report_id has none: every row would be
    one report), and a text, number or date (a TOML date written in DATE_FORMAT, a TOML
    number with the layout's DECIMAL separator: the text a cell would hold)."""
    out: dict[str, str] = {}
    for key, value in table.items():
        where = f"defaults.{key}"
        if key not in _DEFAULTED:
            raise InputError(
                f"no default for {key!r}; defaults are for: {', '.join(_DEFAULTED)}",
                file=str(path),
                field=where,
            )
        if isinstance(value, bool | list | dict):
            raise InputError("must be a text, a number or a date", file=str(path), field=where)
        if isinstance(value, date) and date_format is not None:
            value = value.strftime(date_format)  # the text a cell would hold
        elif isinstance(value, float):
            value = str(value).replace(".", decimal)  # 1.5 is "1,5" under a decimal comma
        out[key] = str(value)
    return out


def _probe(formats: Formats, fields: Mapping[str, str]) -> None:
    """Build a report of FIELDS and the defaults of FORMATS as a row's would be, with stand-ins
    for what they lack (the required fields, a currency for an amount); InputError if none
    could be built."""
    when = datetime(2025, 1, 31)
    stand_ins = {
        "report_id": "probe",
        "reported_at": when.strftime(formats.date) if formats.date else when.date().isoformat(),
        "country": "TH",
        "loss_currency": "USD",
    }
    given = {k: v for k, v in stand_ins.items() if k not in formats.defaults} | dict(fields)
    build_report(given, formats=formats)


def _check_defaults(formats: Formats, path: Path) -> None:
    """Refuse a default no report could have (an unknown country, a date in 2090): every row
    using it would be rejected for it, the mapping never named."""
    try:
        _probe(formats, {})
    except InputError as exc:
        raise InputError(exc.message, file=str(path), field=f"defaults.{exc.field}") from None


def _check_values(values: Mapping[str, Mapping[str, str]], formats: Formats, path: Path) -> None:
    """Refuse a translation into a value no report could have (`"Đầu tư" = "invest"`): every
    row with its label would be rejected for it, the mapping never named."""
    for name, labels in values.items():
        for label, value in labels.items():
            try:
                _probe(formats, {name: value})
            except InputError as exc:
                raise InputError(
                    exc.message, file=str(path), field=f"values.{name}.{label}"
                ) from None


def _values(table: Mapping[str, object], path: Path) -> dict[str, dict[str, str]]:
    """The [values.FIELD] tables: local label = text of the vocabulary."""
    out: dict[str, dict[str, str]] = {}
    for key, labels in table.items():
        where = f"values.{key}"
        if key not in _FIELDS:
            raise InputError(
                f"unknown field {key!r}; known: {', '.join(sorted(_FIELDS))}",
                file=str(path),
                field=where,
            )
        if not isinstance(labels, dict):
            raise InputError(
                f'must be a table of labels ([values.{key}] then "label" = "value")',
                file=str(path),
                field=where,
            )
        folded: dict[str, str] = {}
        for label, value in labels.items():
            if not isinstance(value, str):
                raise InputError("must be text", file=str(path), field=f"{where}.{label}")
            if folded.setdefault(_label(label), value) != value:
                raise InputError(
                    "another label of this table differs from it only in case, composition "
                    "or invisible marks and translates otherwise; labels match whatever those",
                    file=str(path),
                    field=f"{where}.{label}",
                )
        out[key] = {str(label): str(value) for label, value in labels.items()}
    return out


def load_mapping(path: Path) -> ColumnMapping:
    """Read and check a TOML column mapping: every entry, so a mistake is named with the file
    and its key when the mapping is read, not met on the first row."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM: Notepad
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the mapping: {exc}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
    for key in data:
        if key not in _TABLES:
            raise InputError(
                f"unknown entry {key!r}; a mapping has the tables {', '.join(_TABLES)}",
                file=str(path),
                field=key,
            )
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not columns:
        raise InputError("a [columns] table is required", file=str(path), field="columns")
    unknown = sorted(set(columns) - _FIELDS)
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}",
            file=str(path),
            field="columns",
        )
    fmt = _formats(_table(data, "formats", path), path)
    defaults = _defaults(
        _table(data, "defaults", path), path, fmt.get("date"), fmt.get("decimal_separator", ".")
    )
    values = _values(_table(data, "values", path), path)
    formats = Formats(
        date=fmt.get("date"),
        thousands_separator=fmt.get("thousands_separator"),
        decimal_separator=fmt.get("decimal_separator", "."),
        defaults=defaults,
    )
    _check_defaults(formats, path)
    _check_values(values, formats, path)
    headers = {k: _as_headers(k, v, path) for k, v in columns.items()}
    return ColumnMapping(
        columns=headers,
        written=_written(columns),
        formats=formats,
        values={
            name: {_label(label): value for label, value in labels.items()}
            for name, labels in values.items()
        },
    )
