"""Input lines of the line-by-line commands (normalize, extract, classify, blind).

A line ends at "\\n" only (a trailing "\\r" is dropped): Python's str.splitlines also ends lines
at U+2028, U+0085, form feeds and other separators, which JSON strings and messages may hold,
so one input line would get two answers and every later answer the wrong line number. Each line
is decoded as UTF-8 on its own, so that a line that is not UTF-8 is named by its number instead
of ending the command with a traceback; a byte order mark at the start is not part of the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from bigfish.errors import InputError

_BOM = b"\xef\xbb\xbf"


def numbered_lines(raw: Iterable[bytes], source: str) -> Iterator[tuple[int, str | InputError]]:
    """(N, the text of line N) for each line of RAW (byte chunks, each ending at "\\n" or at
    the end of the input), or (N, InputError naming SOURCE and N) for a line that is not UTF-8."""
    for number, chunk in enumerate(raw, start=1):
        if number == 1 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
        chunk = chunk.removesuffix(b"\n").removesuffix(b"\r")
        try:
            yield number, chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            message = f"not valid UTF-8 (byte {error.start + 1} of the line); save it as UTF-8"
            yield number, InputError(message, file=source, line=number)


def split_lines(data: bytes) -> list[bytes]:
    """DATA cut after each "\\n" (as iterating a binary file does), the last piece kept."""
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def read_source(path: Path | None, stdin: BinaryIO) -> bytes:
    """The bytes of PATH, or of standard input when PATH is None or "-" (OSError propagates)."""
    if path is None or str(path) == "-":
        return stdin.read()
    return path.read_bytes()


def json_line(line: str, source: str, number: int) -> Any:
    """The JSON value on LINE; InputError naming SOURCE and line NUMBER when it is not JSON, or
    names a key twice in one object (which value would be meant?)."""
    # imported here: bigfish.intake loads the store (SQLAlchemy, alembic), which a command
    # reading plain text lines (extract, classify) does not need
    from bigfish.intake.readers import RepeatedKey, unique_keys

    try:
        return json.loads(line, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg}", file=source, line=number) from None
    except RepeatedKey as repeated:
        message = f"the key {repeated.key!r} is given more than once"
        raise InputError(message, file=source, line=number, field=repeated.key) from None


def printable(text: object) -> str:
    """TEXT on one line, each character that is not printable as its escape (ESC, a line
    break, a direction override: "evil\\u202evsc.csv"): a file name printed to the operator's
    terminal runs no escape sequence and turns no line around (as `bigfish evidence` prints)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(text))
