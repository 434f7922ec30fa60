"""The one exception tree of bigfish.

::

    BigfishError                    every error bigfish raises on purpose
    ├── ConfigError                 a setting is missing or malformed
    ├── InputError                  bad input: carries file, line and field when known
    │   └── IdentifierError         a value that is not a valid identifier of its kind
    ├── StoreError                  the database refused or failed a write or read
    ├── NotFound                    an id that does not exist (or the caller may not see)
    ├── AccessDenied                the caller may see the item but not do this to it
    ├── IntegrityError              a hash chain, digest, signature or proof does not hold
    └── PeerError                   a partner node or external peer failed or was refused

Exceptions carry the offending id, file and line so that a message can say what and where.
"""

from __future__ import annotations

from pathlib import Path


class BigfishError(Exception):
    """Root of every error bigfish raises on purpose."""


class ConfigError(BigfishError):
    """A setting is missing or malformed."""


class InputError(BigfishError):
    """Bad input, with the file, line and field when they are known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class IdentifierError(InputError):
    """A value that is not a valid identifier of its kind."""


class StoreError(BigfishError):
    """The database refused or failed a read or write."""


class NotFound(BigfishError):
    """An id that does not exist, or that the caller may not see (the two look the same)."""

    def __init__(self, what: str, ident: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"{what} {ident!r} not found")


class AccessDenied(BigfishError):
    """The caller may see the item but may not do this to it."""


class IntegrityError(BigfishError):
    """A hash chain, digest, signature or proof does not hold."""


class Conflict(BigfishError):
    """The request conflicts with what is stored (deleting a report that holds evidence)."""


class PeerError(BigfishError):
    """A partner node or external peer failed, or the call to it was refused."""


def check_text(value: str | None, field: str) -> None:
    """InputError naming FIELD unless VALUE (or None) can be stored, signed and sent as it is on
    every node: no NUL character (PostgreSQL stores none) and valid UTF-8 (a command-line
    argument that is not, or a JSON string with a lone surrogate, cannot be encoded)."""
    if value is None:
        return
    if "\x00" in value:
        raise InputError(f"{field} contains a NUL character", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} is not valid UTF-8 text: {value!r}", field=field) from None


def read_text(path: Path) -> str:
    """PATH's UTF-8 text (a byte-order mark allowed), or InputError naming the file, and the
    line of the first byte that is not UTF-8."""
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text: {exc.reason}", file=str(path), line=line) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=str(path)) from None
