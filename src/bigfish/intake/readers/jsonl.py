"""The JSON Lines reader: one report object per line, and the decoding of one report object
that the API shares."""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.readers.rows import (
    _SKIP,
    Record,
    Row,
    Unreadable,
    _check_not_utf16,
    check_not_zip,
    encoding_question,
)
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    MARKING_FIELDS,
    MAX_COLUMNS,
    MAX_IDENTIFIERS,
    MAX_RECORD,
    MAX_REPORT_ID,
    STANDARD_FIELDS,
    bare,
    escape_values,
    has_surrogate,
    parse_role,
)
from bigfish.models import Kind, RawIdentifier

#: Bytes of one JSON line: a report of MAX_RECORD characters, each written as a \\u escape.
MAX_JSON_LINE = 4 * MAX_RECORD

_KINDS = frozenset(k.value for k in Kind)
#: The fields of spec/reports.md that are text in JSON (a JSON string); a loss_amount may be a
#: number too, an identifier column a list of texts; unknown fields text or a number (`_scalar`).
_TEXT_FIELDS = frozenset(STANDARD_FIELDS) - {"loss_amount"}
_BOM = b"\xef\xbb\xbf"
_WHOLE = re.compile(r"-?[0-9]+")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected text or a number, got {json.dumps(value)}")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):  # NaN or Infinity: floats are read as Decimal
        raise InputError(
            f"expected text or a number, got {json.dumps(value)} (not a number JSON has)"
        )
    raise InputError(f"expected text or a number, got {type(value).__name__}")


def _json_type(value: Any) -> str:
    """VALUE's JSON type, as a reason names it: "a number", "true", "a list"."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float | Decimal):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        return "a number" if finite else f"{json.dumps(float(value))} (not a number JSON has)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - JSON has no other type


def _text(value: Any, field: str, where: str | None = None) -> str:
    """VALUE of a known text field, else InputError naming FIELD (WHERE in it: `phones[1]`)
    and the type it must have."""
    if isinstance(value, str):
        return value
    raise InputError(
        f"{where or field} must be text (a JSON string), not {_json_type(value)}", field=field
    )


def _identifier_text(value: Any, field: str) -> str:
    """The `;`-separated values of identifier column FIELD: one text of them, or a list of
    texts (a phone number as a JSON number has lost its leading 0 or +)."""
    if isinstance(value, list):
        # each item one value, a `;` in it too (`records.escape_values`)
        return escape_values(_text(item, field, f"{field}[{i}]") for i, item in enumerate(value))
    if isinstance(value, str):
        return value
    raise InputError(
        f"{field} must be a list of texts or one text of ;-separated values, not "
        f"{_json_type(value)}",
        field=field,
    )


#: The field of a report a column mapping takes a JSON key from (`ColumnMapping.field_of`).
MappedField = Callable[[str], str | None]


def _mapped_text(key: str, value: Any, name: str | None) -> str | None:
    """The text of KEY, which a column mapping takes field NAME from, when NAME gives it the
    JSON type of its field (an identifier column's list of texts); None to read it as any
    other key. A list, an object or true is refused naming the key and the field."""
    if name in IDENTIFIER_COLUMNS:
        if isinstance(value, list):
            return escape_values(_mapped_item(item, key, name, i) for i, item in enumerate(value))
        if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise InputError(
                f"{key} (the mapping's {name}) must be a list of texts or one text of "
                f";-separated values, not {_json_type(value)}",
                field=key,
            )
    elif name is not None and isinstance(value, list | dict | bool):
        what = _MAPPED_TYPES.get(name, "text")
        raise InputError(
            f"{key} (the mapping's {name}) must be {what}, not {_json_type(value)}", field=key
        )
    return None


#: The JSON types of a mapped key by its field, where not text alone.
_MAPPED_TYPES = {
    "report_id": "text (a JSON string) or a whole number",
    "loss_amount": "text or a number",
}


def _mapped_item(item: Any, key: str, name: str, index: int) -> str:
    """Item INDEX of the list under KEY (the mapping's identifier column NAME): a text (a
    phone as a number has lost its leading 0 or +)."""
    if isinstance(item, str):
        return item
    raise InputError(
        f"{key}[{index}] (the mapping's {name}) must be text (a JSON string), not "
        f"{_json_type(item)}",
        field=key,
    )


def _field_text(key: str, value: Any, mapped: MappedField | None = None) -> str:
    """The text of field KEY of a JSON report, checked for the JSON type its field has (a key
    a column mapping takes a field from, MAPPED, for the type of that field)."""
    if key in IDENTIFIER_COLUMNS:
        return _identifier_text(value, key)
    if mapped is not None and key not in _TEXT_FIELDS:
        text = _mapped_text(key, value, mapped(key))
        if text is not None:
            return text
    if key == "report_id" and not isinstance(value, str):
        # A database export's whole-number id is its digits, read alike from a file and the
        # API; 1e3 or 12.0 would be one text from a file and another through the API.
        # (A file's numbers come as Decimal, written form kept: exponent 0 is digits alone.)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, Decimal) and value.as_tuple().exponent == 0:
            return str(int(value))
        raise InputError(
            f"report_id must be text (a JSON string) or a whole number, not {_json_type(value)}"
            + (" with a fraction or exponent" if isinstance(value, float | Decimal) else ""),
            field=key,
        )
    if key in _TEXT_FIELDS:
        return _text(value, key)
    return _scalar(value)  # loss_amount and unknown fields: text or a number


#: The keys of an identifier object (spec/reports.md); null in any other says nothing.
_IDENTIFIER_KEYS = frozenset({"kind", "value", "role"})


def _other_key_reason(key: str) -> str:
    """Why an identifier's KEY (not kind, value or role) refuses its report: what it says would
    be lost, or would be read otherwise than the partner meant."""
    if key == "country":
        how = (
            "an identifier is read in its report's country: write a phone of another "
            "country with its code (+84…)"
        )
    else:
        how = "write what it says into the value (an account as BANK:ACCOUNT), or leave it out"
    return (
        f"an identifier has kind, value and role; its {key!r} is not read and would be lost: {how}"
    )


def _json_identifiers(value: Any) -> list[RawIdentifier]:
    if not isinstance(value, list):
        raise InputError("identifiers must be a list", field="identifiers")
    if len(value) > MAX_IDENTIFIERS:
        raise InputError(
            f"{len(value):,} identifiers, more than the {MAX_IDENTIFIERS:,} of a report",
            field="identifiers",
        )
    result = []
    for i, item in enumerate(value):
        where = f"identifiers[{i}]"
        if not isinstance(item, dict):
            raise InputError("an identifier must be an object", field=where)
        kind, raw = item.get("kind"), item.get("value")
        if kind not in _KINDS:
            raise InputError(f"unknown kind {kind!r}", field=f"{where}.kind")
        if not isinstance(raw, str) or not bare(raw):  # spaces, marks no one sees: empty
            raise InputError("value must be non-empty text", field=f"{where}.value")
        other = next(
            (k for k, v in item.items() if k not in _IDENTIFIER_KEYS and v is not None), None
        )
        if other is not None:
            raise InputError(_other_key_reason(other), field=f"{where}.{other}")
        try:
            role = parse_role(item.get("role"))
        except InputError as exc:
            raise InputError(exc.message, field=f"{where}.role") from None
        result.append(RawIdentifier(Kind(kind), raw, role))
    return result


#: The keys of a report object read whatever their case when no key gives the name itself:
#: the format's fields and `identifiers` (`Country`, `PHONES`), and the markings (`TLP`: a
#: marking of its own is refused, as `tlp` is, never kept as an attribute that says it).
_FOLDED_KEYS = (
    frozenset(STANDARD_FIELDS) | frozenset(IDENTIFIER_COLUMNS) | MARKING_FIELDS | {"identifiers"}
)


def _own_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """OBJ with a key that names a field of the format in another case (`Country`, `Phones`)
    under that field's name, when no key gives the name as it is (then `Country` beside
    `country` is an attribute, as it always was); any other key as written. Two keys naming one
    field in other cases (`Country` and `COUNTRY`) refuse the report: which one is meant?"""
    exact = {key for key in obj if isinstance(key, str) and key in _FOLDED_KEYS}
    out: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in obj.items():
        name = key
        if isinstance(key, str) and key not in exact:
            folded = unicodedata.normalize("NFC", bare(key)).lower()
            if folded in _FOLDED_KEYS and folded not in exact:
                if folded in given:
                    raise InputError(
                        f"keys {given[folded]!r} and {key!r} both give {folded}; give it once",
                        field=key,
                    )
                name = folded
                given[folded] = key
        out[name] = value
    return out


def row_from_json(line: int, obj: Any, mapped: MappedField | None = None) -> Record:
    """A Row from one decoded JSON report object (JSON Lines and the API share this); MAPPED
    names the field a column mapping takes a key from (an identifier column's key may hold a
    list of texts, as the column does)."""
    if not isinstance(obj, dict):
        return Unreadable(line, "a report must be a JSON object")
    if len(obj) > MAX_COLUMNS:
        return Unreadable(line, f"a report of more than {MAX_COLUMNS:,} fields")
    if mapped is None:  # a mapping names the keys it reads, whatever their case
        try:
            obj = _own_keys(obj)
        except InputError as exc:
            return Unreadable(line, exc.message, _echoed_id(obj.get("report_id")), exc.field)
    report_id = _echoed_id(obj.get("report_id"))
    fields: dict[str, str] = {}
    numbers: list[str] = []
    try:
        for key, value in obj.items():
            if key == "identifiers" or value is None:
                continue
            try:
                if not key.strip() and value != "":  # kept by name: a blank one would be lost
                    raise InputError("a field without a name; give it one")
                fields[key] = _field_text(key, value, mapped)
                if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    numbers.append(key)
            except InputError as exc:
                raise InputError(exc.message, field=exc.field or key) from None
        listed = obj.get("identifiers")  # null, as for every other field: none given
        identifiers = _json_identifiers([] if listed is None else listed)
    except InputError as exc:
        # A mapped layout's id is under its own key: the mapping finds it in the texts.
        texts = {k: v for k, v in obj.items() if isinstance(v, str)} if mapped else None
        return Unreadable(line, exc.message, report_id, exc.field, texts or None)
    return Row(line, fields, identifiers, numbers=tuple(numbers))


def _echoed_id(value: Any) -> str | None:
    """The report_id a rejection names: a text as given, a whole number as the report it is
    ("12" for 12); None for any other value (which is itself rejected)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        try:
            return _field_text("report_id", value)
        except InputError:
            return None
    return None


def refuse_mapped_numbers(sources: Mapping[str, Sequence[str]], row: Row) -> None:
    """InputError when a column mapping takes a text field from a key of ROW given as a JSON
    number, as for a field given under its own name (a phone as a number has lost its leading
    0 or +): SOURCES are the keys each field is taken from (`ColumnMapping.sources`). A whole
    number is a report_id, as under its own name."""
    for name, keys in sources.items():
        if name not in _TEXT_FIELDS and name not in IDENTIFIER_COLUMNS:
            continue  # loss_amount: text or a number
        for key in keys:
            if key not in row.numbers:
                continue
            if name == "report_id" and _WHOLE.fullmatch(row.fields.get(key, "")):
                continue
            what = "text (a JSON string) or a whole number" if name == "report_id" else "text"
            raise InputError(
                f"{key} (the mapping's {name}) must be {what}, not a number", field=key
            )


class RepeatedKey(Exception):
    """A JSON object gives KEY more than once (raised by `unique_keys`)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it gives a key twice (which value would be meant?)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return obj


def _duplicate_key(number: int, text: str, key: str) -> Unreadable:
    try:  # the line's report_id, when the rest of it parses
        obj = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError):
        obj = None
    report_id = obj.get("report_id") if isinstance(obj, dict) and key != "report_id" else None
    # A mapped layout's id is under its own key: the mapping finds it in the texts (not in
    # KEY's: which of its values would it be?).
    texts = (
        {k: v for k, v in obj.items() if isinstance(v, str) and k != key}
        if isinstance(obj, dict)
        else {}
    )
    return Unreadable(
        number,
        f"the key {key!r} is given more than once",
        report_id if isinstance(report_id, str) else None,
        key,
        texts or None,
    )


def read_jsonl(
    raw: IO[bytes], path: Path, *, mapped: MappedField | None = None
) -> Iterator[Record]:
    """Rows of a JSON Lines file: one report object per line (an object giving a key twice is
    rejected, naming the key). A line ends with LF, CRLF or a lone CR, as for the CSV reader.
    MAPPED: the field a column mapping takes a key from (`row_from_json`)."""
    head = raw.read(4)
    if not head:  # as the CSV reader: an empty file is not the format (blank lines are)
        raise InputError("the file is empty", file=str(path))
    _check_not_utf16(head, path)
    check_not_zip(head, path, "JSON Lines")
    raw.seek(0)
    # Latin-1 turns each byte into one character and back: lines are split on every line end
    # (a file of lone CRs was one line: all its reports one rejection) and each line's bytes
    # are then decoded as UTF-8 on their own, so a bad byte fails its line only.
    lines = io.TextIOWrapper(raw, encoding="latin-1", newline="")
    try:
        yield from _json_lines(lines, path, mapped)
    finally:
        lines.detach()  # the caller's file stays open


_ONE_PER_LINE = "a JSON Lines file has one report object per line, each whole on its line"


def _check_not_a_document(data: bytes, path: Path, number: int) -> None:
    """Refuse a file whose first line (DATA, line NUMBER) begins one JSON document rather than
    a report: an array of reports, or an object written over many lines. Read line by line it
    would be a rejection per line, none saying what the file is."""
    first = data.strip()
    if first.startswith(b"["):
        reason = (
            f"the file is one JSON document (an array: it begins with '['), not JSON Lines: "
            f"{_ONE_PER_LINE} (jq -c '.[]' FILE writes them so)"
        )
    elif first == b"{":
        reason = (
            "the first line is '{' alone: is the file one JSON object spread over lines "
            f"(pretty-printed)? {_ONE_PER_LINE} (jq -c . FILE writes them so)"
        )
    elif first.startswith(b"{") and _left_open(first):
        reason = (
            "the first line opens a JSON object it does not close: is the file one JSON "
            'document spread over lines (pretty-printed, or an API batch {"reports": [...]})? '
            f"{_ONE_PER_LINE} (jq -c . FILE, or jq -c '.reports[]' FILE, writes them so)"
        )
    elif first.startswith(b"{") and _api_batch(first):
        reason = (
            'the first line is an API batch ({"reports": [...]}), not a report: '
            f"{_ONE_PER_LINE} (jq -c '.reports[]' FILE writes them so; the batch's marking "
            "is given with --tlp, --distribution and --group)"
        )
    else:
        return
    raise InputError(reason, file=str(path), line=number)


#: The keys of a `POST /api/v1/reports` body (spec/api.md).
_BATCH_KEYS = frozenset({"reports", "tlp", "distribution", "group"})


def _api_batch(line: bytes) -> bool:
    """True when LINE is a whole API batch body: a list of reports under "reports", beside
    nothing but the batch's marking."""
    if b'"reports"' not in line:
        return False
    try:
        obj = json.loads(line.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(obj, dict) and isinstance(obj.get("reports"), list) and set(obj) <= _BATCH_KEYS
    )


def _left_open(line: bytes) -> bool:
    """True when LINE (an object's start) stops where JSON goes on, after a '{', '[', ':' or
    ',' outside any text, as the first line of a document written over many lines does. A
    line that stops inside a text (a line break in a narrative) breaks that report only."""
    text = line.decode("utf-8", errors="replace").rstrip()
    if not text.endswith(("{", "[", ":", ",")):
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(text) and not exc.msg.startswith("Unterminated string")
    except RecursionError:
        return False
    return False


def _undecoded_keys(obj: dict[str, Any]) -> list[str]:
    """The keys of OBJ (a report decoded with its bad bytes as lone surrogates) whose key or
    text holds a byte that is not UTF-8."""
    return [
        key
        for key, value in obj.items()
        if has_surrogate(key) or (isinstance(value, str) and has_surrogate(value))
    ]


def _as_cp1252(text: str) -> str:
    """TEXT with each byte that was not UTF-8 (a lone surrogate, as surrogateescape reads it)
    read as Windows' Latin-1 (cp1252; Latin-1 for the five bytes it leaves undefined): to echo
    an id or a key, never to store text."""
    return _UNDECODED.sub(_cp1252_char, text) if has_surrogate(text) else text


def _cp1252_char(match: re.Match[str]) -> str:
    byte = bytes([ord(match.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:
        return byte.decode("latin-1")


#: A byte that is not UTF-8, as surrogateescape reads it.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _not_utf8(
    number: int, data: bytes, exc: UnicodeDecodeError, at: int, mapped: MappedField | None
) -> Unreadable:
    """The rejection of line NUMBER (its bytes DATA, starting at byte AT of the file), whose
    bytes are not UTF-8 from EXC.start: naming the first bad byte, where it is, the keys that
    hold bad bytes and the line's report_id when the line is JSON (read as cp1252 where not
    UTF-8). The line is still rejected: which encoding its text is in is not guessed."""
    bad = data[exc.start]
    reason = (
        f"not valid UTF-8: byte 0x{bad:02X} at byte {exc.start + 1} of the line (offset "
        f"{at + exc.start} of the file); {encoding_question(data)} save it as UTF-8"
    )
    try:
        obj = json.loads(
            data.decode("utf-8", errors="surrogateescape"),
            parse_float=Decimal,
            parse_int=Decimal,
            object_pairs_hook=unique_keys,
        )
    except (ValueError, RecursionError, RepeatedKey):
        return Unreadable(number, reason)
    if not isinstance(obj, dict):
        return Unreadable(number, reason)
    keys = _undecoded_keys(obj)
    report_id = obj.get("report_id")
    texts = {_as_cp1252(k): _as_cp1252(v) for k, v in obj.items() if isinstance(v, str)}
    return Unreadable(
        number,
        reason,
        _as_cp1252(report_id)[:MAX_REPORT_ID] if isinstance(report_id, str) else None,
        ", ".join(_as_cp1252(k) for k in keys) or None,
        (texts or None) if mapped else None,  # a mapped layout's id is under its own key
    )


#: The character DOS ended a text file with (Ctrl-Z), which old exporters still write after
#: the last line: dropped there, and only there.
_EOF = b"\x1a"


def _json_lines(lines: IO[str], path: Path, mapped: MappedField | None) -> Iterator[Record]:
    number = 0
    first = True
    at = 0  # the file's bytes before the line
    while line := lines.readline(MAX_JSON_LINE + 1):
        number += 1
        data = line.encode("latin-1")
        start, at = at, at + len(data)
        if len(data) > MAX_JSON_LINE and not data.endswith((b"\n", b"\r")):
            while line and not line.endswith(("\n", "\r")):  # skip the rest unread
                line = lines.readline(_SKIP)
                at += len(line)
            reason = f"the line is longer than {MAX_JSON_LINE:,} bytes; it is not read further"
            yield Unreadable(number, reason)
            continue
        if data.endswith(_EOF):  # no line end, and short of the limit: the file's end
            data = data[: -len(_EOF)]
        while data.startswith(_BOM):  # the file's, or another's: `cat a.jsonl b.jsonl`
            data = data[len(_BOM) :]
            start += len(_BOM)
        if not data.strip():
            continue
        if first:
            _check_not_a_document(data, path, number)
            first = False
        try:
            text = data.decode("utf-8")
            # Integers as Decimal: Python reads no int of over 4,300 digits (a ValueError that
            # failed the whole file); as text, one is kept or its field rejected by name.
            obj = json.loads(
                text, parse_float=Decimal, parse_int=Decimal, object_pairs_hook=unique_keys
            )
        except UnicodeDecodeError as exc:
            yield _not_utf8(number, data, exc, start, mapped)
            continue
        except RepeatedKey as exc:
            yield _duplicate_key(number, text, exc.key)
            continue
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = f"not valid JSON: {exc}" if isinstance(exc, ValueError) else "too deep"
            if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
                if text[exc.pos :].strip() in (",", "]", "],"):
                    reason += "; a comma or bracket after the report: JSON Lines has none"
            if not data.endswith((b"\n", b"\r")):
                reason += " (the file may be truncated)"
            yield Unreadable(number, reason)
            continue
        yield row_from_json(number, obj, mapped)
