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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bigfish.errors import InputError
from bigfish.intake.records import IDENTIFIER_COLUMNS, STANDARD_FIELDS, Formats

_FIELDS = frozenset(STANDARD_FIELDS) | frozenset(IDENTIFIER_COLUMNS)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where each field is in a file, and how its values are written."""

    columns: Mapping[str, tuple[str, ...]]
    formats: Formats
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def apply(self, row: Mapping[str, str]) -> dict[str, str]:
        """The standard fields of one row of the mapped layout (unmapped columns are kept)."""
        result: dict[str, str] = {}
        used: set[str] = set()
        for name, headers in self.columns.items():
            cells = [row.get(h, "").strip() for h in headers]
            used.update(headers)
            text = ";".join(c for c in cells if c)
            translations = self.values.get(name)
            if translations and text in translations:
                text = translations[text]
            if text:
                result[name] = text
        for header, value in row.items():
            if header not in used and value:
                result.setdefault(header, value)
        return result


def _as_headers(name: str, value: object, path: Path) -> tuple[str, ...]:
    # Readers lower-case header names, so mappings match them case-insensitively.
    if isinstance(value, str):
        return (value.strip().lower(),)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(v.strip().lower() for v in value)
    raise InputError("must be a header name or a list of them", file=str(path), field=name)


def load_mapping(path: Path) -> ColumnMapping:
    """Read and check a TOML column mapping."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the mapping: {exc}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
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
    fmt = data.get("formats", {})
    defaults = data.get("defaults", {})
    values = data.get("values", {})
    if not all(isinstance(x, dict) for x in (fmt, defaults, values)):
        raise InputError("[formats], [defaults] and [values] must be tables", file=str(path))
    formats = Formats(
        date=fmt.get("date"),
        thousands_separator=fmt.get("thousands_separator"),
        decimal_separator=fmt.get("decimal_separator", "."),
        defaults={str(k): str(v) for k, v in defaults.items()},
    )
    return ColumnMapping(
        columns={k: _as_headers(k, v, path) for k, v in columns.items()},
        formats=formats,
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
    )
