"""What one row of the audit log holds: the entry a request leaves (fields cut to the columns'
widths), its query string with credentials redacted, and the time as the log writes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

#: Query parameters that carry credentials: never kept in the log, whatever the route does with
#: them (a key belongs in the Authorization header; one pasted into a URL must not outlive it).
_SECRET_PARAMETERS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "password", "secret", "auth", "bearer"}
)


def redacted_query(query: str) -> str:
    """QUERY (a URL's query string) with the value of every credential-like parameter, and every
    value that is a bigfish key (`bf_…`), replaced by `[redacted]`; the rest as it was."""
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        secret = unquote_plus(name).strip().lower() in _SECRET_PARAMETERS
        if equals and (secret or unquote_plus(value).strip().startswith("bf_")):
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


def now_iso() -> str:
    """The current time as the log writes it."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _truncated(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    return [
        AuditEntry(
            e.actor[:120],
            e.org,
            e.action[:300],
            e.target[:1000] if e.target else e.target,
            e.status,
            e.at,
        )
        for e in entries
    ]
