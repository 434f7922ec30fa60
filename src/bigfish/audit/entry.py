"""What one row of the audit log holds: the entry a request leaves (fields cut to the columns'
widths), its path and query string with credentials redacted, and the time as the log writes it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

#: Query parameters that carry credentials: never kept in the log, whatever the route does with
#: them (a key belongs in the Authorization header; one pasted into a URL must not outlive it).
#: Compared without case, "-" and "_" (`api-key`, `X-Api-Key` and `API_KEY` are one name).
_SECRET_PARAMETERS = frozenset(
    {
        "apikey",
        "xapikey",
        "key",
        "token",
        "accesstoken",
        "password",
        "secret",
        "auth",
        "authorization",
        "bearer",
    }
)

#: A bigfish key (`bf_` and 43 URL-safe characters) anywhere in a value: "Bearer bf_…" or a
#: whole "Authorization: Bearer bf_…" pasted into a field is a key as much as "bf_…" alone.
_KEY_IN_TEXT = re.compile(r"bf_[A-Za-z0-9_-]{16,}")


def _secret_name(name: str) -> bool:
    plain = unquote_plus(name).strip().lower().replace("-", "").replace("_", "")
    return plain in _SECRET_PARAMETERS


#: A whole bigfish key (`bf_` and `secrets.token_urlsafe(32)`'s 43 characters, in any case: an
#: email lookup lower-cases it) among looked-up values: a key pasted into a lookup is not kept,
#: while a handle that merely starts with `bf_` is.
_KEY_AS_VALUE = re.compile(r"(?<![A-Za-z0-9_-])bf_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", re.I)


def redacted_path(path: str) -> str:
    """PATH (a URL's decoded path) with every segment that is or holds a bigfish key (`bf_…`,
    as `_KEY_IN_TEXT` finds it) replaced by `[redacted]`: a TAXII client given its key as the
    API root sends it in the path. Other segments (a looked-up handle, a report id) stay."""
    if "bf_" not in path:
        return path
    return "/".join(
        "[redacted]" if _KEY_IN_TEXT.search(segment) else segment for segment in path.split("/")
    )


def redacted_query(query: str) -> str:
    """QUERY (a URL's query string) with the value of every credential-like parameter, and every
    value that is or holds a bigfish key (`bf_…`), replaced by `[redacted]`; the rest as it
    was."""
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if _KEY_IN_TEXT.search(unquote_plus(name)):  # a key pasted as the query string itself
            part = "[redacted]" + ("=[redacted]" if equals else "")
        elif equals:
            text = unquote_plus(value).strip()
            if _secret_name(name) or text.startswith("bf_") or _KEY_IN_TEXT.search(text):
                part = f"{name}=[redacted]"
        parts.append(part)
    return "&".join(parts)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One request: who, for which organization, what, on what, with which result."""

    actor: str
    org: str | None
    action: str
    target: str | None
    status: int
    at: str = ""  # ISO 8601 UTC; stamped on append when empty


#: The widest target a row holds (the column's width; `_truncated` cuts longer ones).
TARGET_WIDTH = 1000


def listed_entries(
    actor: str, org: str | None, action: str, items: Sequence[tuple[int, str, str]], status: int
) -> list[AuditEntry]:
    """ITEMS (index, kind, value: what a batch asked about; a bigfish key among the values is
    `[redacted]`) as entries of ACTION whose targets
    are JSON arrays `[[index, kind, value], …]` of at most `TARGET_WIDTH` characters, as many
    items to a row as fit, in order; a value too long for a row alone is cut (marked "…"), as
    a long query string is, and the array stays JSON."""
    entries: list[AuditEntry] = []
    row: list[str] = []
    used = 2  # the brackets
    for index, kind, value in items:
        value = _KEY_AS_VALUE.sub("[redacted]", value)
        item = _json([index, kind, value])
        if len(item) + 2 > TARGET_WIDTH:
            item = _cut(index, kind, value)
        if row and used + 1 + len(item) > TARGET_WIDTH:
            entries.append(AuditEntry(actor, org, action, "[" + ",".join(row) + "]", status))
            row, used = [], 2
        used += len(item) + (1 if row else 0)
        row.append(item)
    if row:
        entries.append(AuditEntry(actor, org, action, "[" + ",".join(row) + "]", status))
    return entries


def _cut(index: int, kind: str, value: str) -> str:
    """The JSON of (INDEX, KIND, the longest start of VALUE marked "…") that fits a row alone;
    found by halving, since an escaped character takes two to twelve (a row of 10,000 values
    each all escapes costs a dozen encodings apiece, not one per character cut)."""
    head = len(_json([index, kind, "…"])) + 2
    low, high = 0, min(len(value), TARGET_WIDTH - head + 1)  # LOW characters fit; HIGH not
    if len(_json([index, kind, value[: high - 1] + "…"])) + 2 <= TARGET_WIDTH:
        return _json([index, kind, value[: high - 1] + "…"])  # no escapes: one a character
    while high - low > 1:
        middle = (low + high) // 2
        if len(_json([index, kind, value[:middle] + "…"])) + 2 <= TARGET_WIDTH:
            low = middle
        else:
            high = middle
    return _json([index, kind, value[:low] + "…"])


def _json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate stays as its escape: no database stores it as text.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def now_iso() -> str:
    """The current time as the log writes it."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _storable(text: str) -> str:
    """TEXT as every backend stores it: a NUL as the six characters \\u0000 (PostgreSQL refuses
    NUL in text, and the whole batch with it: a request for /api/v1/reports/A/x%00 went
    unrecorded and every request committed beside it got 503), a lone surrogate as its
    escape (no database stores it as text)."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _truncated(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    return [
        AuditEntry(
            _storable(e.actor)[:120],
            None if e.org is None else _storable(e.org),
            _storable(e.action)[:300],
            _storable(e.target)[:TARGET_WIDTH] if e.target else e.target,
            e.status,
            e.at,
        )
        for e in entries
    ]
