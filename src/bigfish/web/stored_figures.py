"""Page figures kept in the store, so that a new server process (a restart, another worker)
serves a viewer's last figures at once instead of computing them while the page waits.

One row of `page_figures` per viewer and kind of figures holds the data version and the time
they were computed at, and their value as JSON. `bigfish.web.freshness` writes a row after every
computation and reads it when its memory has none; whether a row may be served is decided there,
by the rules that hold for the figures in memory.

- The row's viewer is the SHA-256 of everything that decides what the viewer sees (organization,
  groups, operator; `freshness.viewer_key`), computed by the server from the signed-in session:
  a viewer whose groups changed is another viewer and finds no row.
- A value is encoded by its declared type (frozen dataclasses, tuples, numbers, strings,
  datetimes, None), checking every value, and decoded by the same type: what is read back
  equals what was written, field by field and type by type. Decoding checks the structure (the
  lists and their lengths), not every number again: 60,000 networks decode in a fraction of the
  time. A row written for another declared type (a field added in a newer version of bigfish)
  has another `shape` and is ignored.
- A sequence (the ranking, 60,000 networks at a million reports) is kept one item per line: the
  first `HEAD` with the row, the others in a column read when one of them is first used, and
  each item decoded when first used, so the overview's top five cost no more than five. Given
  `facets`, a sequence is kept with a text made of all its items (the ranking's filters,
  `bigfish.web.facets`), read with the other items: a filter finds its items there and decodes
  only those it shows.
- Figures kept longer than `KEPT_FOR` ago are not served; rows not written for twice as long (a
  viewer gone, groups changed) are dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Generic, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from bigfish.errors import StoreError
from bigfish.linking.loading import paused_gc
from bigfish.store import Store
from bigfish.store.schema_web import page_figures

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A data version: the newest report id and update, the newest network, the linking state.
Version = tuple[Any, ...]

#: What decides what a viewer sees: organization, groups, operator.
ViewerKey = tuple[int | None, frozenset[int], bool]

#: Figures kept longer ago than this are not served; rows twice as old are dropped.
KEPT_FOR = timedelta(days=30)


def viewer_digest(key: ViewerKey) -> str:
    """The row's viewer: SHA-256 of KEY written one way only (groups sorted)."""
    org_id, group_ids, operator = key
    text = json.dumps(["bigfish page figures", org_id, sorted(group_ids), operator])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Rule:
    describe: str
    encode: Callable[[Any], Any]  # checks every value against the declared type
    decode: Callable[[Any], Any] | None  # None: JSON gives the value as it was
    flat: bool = False  # a tuple of values JSON gives as they were: decoded by tuple()


def _scalar(kind: type, *accepted: type) -> _Rule:
    def check(value: Any) -> Any:
        if type(value) not in accepted:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return _Rule(kind.__name__, check, None)


def _encode_datetime(value: Any) -> str:
    if type(value) is not datetime or not (value.tzinfo is None or type(value.tzinfo) is timezone):
        raise TypeError(f"expected a datetime (naive or at a fixed offset), got {value!r}")
    return value.isoformat()


def _decode_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value)  # TypeError for anything but text


def _optional(inner: _Rule) -> _Rule:
    decode = inner.decode
    return _Rule(
        f"{inner.describe} | None",
        lambda v: None if v is None else inner.encode(v),
        None if decode is None else lambda v: None if v is None else decode(v),
    )


def _items(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise TypeError(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


def _tuple_of(inner: _Rule) -> _Rule:
    encode, decode = inner.encode, inner.decode
    if decode is None:
        decoded: Callable[[Any], Any] = lambda v: tuple(_items(v, list))  # noqa: E731
    elif inner.flat:
        decoded = lambda v: tuple(map(tuple, _items(v, list)))  # noqa: E731
    else:
        decoded = lambda v: tuple([decode(x) for x in _items(v, list)])  # noqa: E731
    return _Rule(
        f"tuple[{inner.describe}, ...]",
        lambda v: [encode(x) for x in _items(v, tuple)],
        decoded,
        flat=decode is None,
    )


def _fixed(rules: list[_Rule], described: str, build: Callable[..., Any]) -> _Rule:
    """Values of RULES, in order, as a JSON list; BUILD makes the value of the decoded items."""
    encoders = [r.encode for r in rules]
    converted = [(i, r.decode) for i, r in enumerate(rules) if r.decode is not None]
    size = len(rules)

    def encode_items(items: Any) -> list[Any]:
        return [enc(x) for enc, x in zip(encoders, items, strict=True)]

    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != size:
            raise ValueError(f"expected {size} items for {described}")
        for i, convert in converted:  # the list is JSON's own: converted in place
            value[i] = convert(value[i])
        return build(*value)

    return _Rule(described, encode_items, decode, flat=build is _tuple and not converted)


def _tuple(*items: Any) -> tuple[Any, ...]:
    return items


def _dataclass(cls: type) -> _Rule:
    hints = typing.get_type_hints(cls)
    members = fields(cls)
    if any(not f.init for f in members):
        raise TypeError(f"{cls.__qualname__}: every field must be an argument of __init__")
    rules = [_rule(hints[f.name]) for f in members]
    names = [f.name for f in members]
    inner = ", ".join(f"{n}: {r.describe}" for n, r in zip(names, rules, strict=True))
    fixed = _fixed(rules, f"{cls.__module__}.{cls.__qualname__}({inner})", cls)

    def encode(value: Any) -> Any:
        if type(value) is not cls:
            raise TypeError(f"expected {cls.__qualname__}, got {type(value).__name__}")
        return fixed.encode([getattr(value, n) for n in names])

    return _Rule(fixed.describe, encode, fixed.decode)


def _rule(declared: Any) -> _Rule:
    """How values of the type DECLARED are written as JSON and read back."""
    scalars = {
        bool: _scalar(bool, bool),
        int: _scalar(int, int),
        float: _scalar(float, int, float),  # JSON keeps 3 and 3.0 apart; neither is changed
        str: _scalar(str, str),
        type(None): _scalar(type(None), type(None)),
    }
    if declared in scalars:
        return scalars[declared]
    if declared is datetime:
        return _Rule("datetime", _encode_datetime, _decode_datetime)
    origin, args = typing.get_origin(declared), typing.get_args(declared)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        return _optional(_rule(next(a for a in args if a is not type(None))))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_of(_rule(args[0]))
    if origin is tuple and args and Ellipsis not in args:
        rules = [_rule(a) for a in args]
        described = f"tuple[{', '.join(r.describe for r in rules)}]"
        fixed = _fixed(rules, described, _tuple)
        return _Rule(
            described, lambda v: fixed.encode(_items(v, tuple)), fixed.decode, flat=fixed.flat
        )
    if isinstance(declared, type) and is_dataclass(declared):
        return _dataclass(declared)
    raise TypeError(f"page figures cannot be kept as {declared!r}")


class Codec(Generic[T]):
    """JSON for values of one declared type (module doc); `shape` names that type."""

    def __init__(self, declared: object) -> None:
        self._rule = _rule(declared)
        self.describe = self._rule.describe
        self.shape = _digest(self.describe)

    def dumps(self, value: T) -> str:
        """VALUE as JSON text on one line; TypeError when it is not of the declared type."""
        return json.dumps(self._rule.encode(value), separators=(",", ":"))

    def loads(self, text: str) -> T:
        """The value TEXT encodes; TypeError or ValueError when its structure is not that of the
        declared type (its values were checked when written)."""
        decode = self._rule.decode
        value: T = json.loads(text) if decode is None else decode(json.loads(text))
        return value


def dump_version(version: Version) -> str:
    """A data version as JSON (its items are None, numbers, text or datetimes; PostgreSQL's
    datetimes come back at a fixed offset instead of their zone, equal as a version is compared)."""
    out: list[Any] = []
    for item in version:
        if isinstance(item, datetime):  # read back equal (the same instant), not the same zone
            out.append({"datetime": item.isoformat()})
        elif item is None or type(item) in (bool, int, float, str):
            out.append(item)
        else:
            raise TypeError(f"a data version holds {type(item).__name__}")
    return json.dumps(out)


def load_version(text: str) -> Version:
    """The data version TEXT encodes (`dump_version`)."""
    items = json.loads(text)
    if type(items) is not list:
        raise TypeError("a data version is a list")
    return tuple(_decode_datetime(i["datetime"]) if type(i) is dict else i for i in items)


@dataclass(frozen=True, slots=True)
class StoredFigures(Generic[T]):
    """Figures read from the store: their value, the data version and time they were computed at."""

    value: T
    version: Version
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class _Lines:
    """The lines of a kept sequence: the first ones and how many there are in all."""

    computed_at: datetime
    head: list[str]
    length: int
    facets: str | None = None  # read with the other items


class KeptSequence(Sequence[T]):
    """A sequence read from the store: its first `HEAD` items at once, the others when one of
    them is first used; each item decoded when first used. The overview's five networks and the
    ranking's first page come without reading or decoding the other 60,000.

    The other items are read from the same computation's row; if newer figures replaced it in
    the meantime, the sequence becomes the newer one whole (as the next page would show it)."""

    def __init__(
        self,
        lines: _Lines,
        decode: Callable[[str], T],
        read_rest: Callable[[datetime], tuple[_Lines, list[str]]],
    ) -> None:
        self._lines = lines.head
        self._length = lines.length
        self._computed_at = lines.computed_at
        self._decode = decode
        self._read_rest = read_rest
        self._lock = threading.Lock()
        self._items: list[Any] = [_UNDECODED] * self._length
        self._facets: str | None = None
        self._whole = False  # every line read, and the facets

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            if index.indices(self._length)[1] > len(self._lines):
                self._read_upto(self._length)  # first: the slice is of one computation
            return tuple(self[i] for i in range(*index.indices(self._length)))
        self._read_upto(index + 1 if index >= 0 else self._length)
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("kept sequence index out of range")
        with self._lock:
            item = self._items[index]
            if item is _UNDECODED:
                item = self._items[index] = self._decode(self._lines[index])
        value: T = item
        return value

    def __iter__(self) -> Iterator[T]:
        self._read_upto(self._length)  # first: every item is of one computation
        # Decoded in one pass, as a filter reads every item, without cyclic garbage collection:
        # 60,000 networks make ~10 objects each, and collections over them doubled the time.
        with self._lock, paused_gc():
            items, lines, decode = self._items, self._lines, self._decode
            for i, item in enumerate(items):
                if item is _UNDECODED:
                    items[i] = decode(lines[i])
            every: list[T] = list(items)
        return iter(every)

    def facets(self) -> str | None:
        """The facets kept with the sequence, of its items (None when none were kept); the
        other items are read with them."""
        with self._lock:
            if not self._whole:
                self._read_all()
            return self._facets

    def _read_upto(self, count: int) -> None:
        with self._lock:
            if count > len(self._lines) and not self._whole:
                self._read_all()

    def _read_all(self) -> None:
        found, rest = self._read_rest(self._computed_at)
        self._facets = found.facets
        if found.computed_at == self._computed_at:
            self._lines = self._lines + rest
        else:
            self._lines = found.head + rest
            self._items = [_UNDECODED] * found.length
            self._computed_at = found.computed_at
        self._length = len(self._lines)
        self._whole = True
        if self._length != found.length:
            raise ValueError(f"kept figures hold {self._length} items, not {found.length}")


_UNDECODED = object()

#: How many items of a sequence are read with its row; the others when first used.
HEAD = 100


class KeptFigures(Generic[T]):
    """Figures of one KIND (`overview`, `ranking`) kept in the store as values of DECLARED; a
    declared `Sequence[X]` is kept one X per line and read back as a `KeptSequence`, with the
    text FACETS makes of the whole sequence when given (`KeptSequence.facets`)."""

    def __init__(
        self,
        kind: str,
        declared: object,
        *,
        facets: Callable[[Sequence[Any]], str] | None = None,
    ) -> None:
        self.kind = kind
        self._facets = facets
        self._sequence = typing.get_origin(declared) is Sequence
        self.codec: Codec[Any] = Codec(typing.get_args(declared)[0] if self._sequence else declared)
        self.shape = (
            _digest(f"lines of {self.codec.describe}") if self._sequence else self.codec.shape
        )

    def _where(self, key: ViewerKey) -> ColumnElement[bool]:
        return sa.and_(
            page_figures.c.viewer == viewer_digest(key),
            page_figures.c.kind == self.kind,
            page_figures.c.shape == self.shape,  # kept as another type: ignored
        )

    def read(self, store: Store, key: ViewerKey) -> StoredFigures[T] | None:
        """The figures kept for the viewer KEY; None when there are none, when they were kept as
        another type or longer than `KEPT_FOR` ago, or when they cannot be read (the page
        computes them then)."""
        columns = (page_figures.c.version, page_figures.c.computed_at, page_figures.c.length)
        try:
            with store.connect() as conn:
                row = conn.execute(
                    sa.select(*columns, page_figures.c.payload).where(self._where(key))
                ).first()
        except sa.exc.SQLAlchemyError:
            log.warning("kept page figures could not be read", exc_info=True)
            return None
        if row is None:
            return None
        at = _utc(row.computed_at)
        if at < datetime.now(UTC) - KEPT_FOR:
            return None  # too old to show
        try:
            version = load_version(row.version)
            if not self._sequence:
                return StoredFigures(self.codec.loads(row.payload), version, at)
            lines = _Lines(at, row.payload.split("\n") if row.payload else [], row.length)
            items: KeptSequence[Any] = KeptSequence(
                lines, self.codec.loads, lambda at: self._rest(store, key, at)
            )
            if len(items):
                items[0]  # decoded now: a payload of another type fails here, not in a page
        except (TypeError, ValueError, KeyError):
            log.warning("kept %s figures do not decode; computing them", self.kind, exc_info=True)
            return None
        return StoredFigures(typing.cast(T, items), version, at)

    def _rest(self, store: Store, key: ViewerKey, at: datetime) -> tuple[_Lines, list[str]]:
        """The items after the head of the sequence computed AT; if newer figures replaced it,
        the newer ones whole."""
        columns = [
            page_figures.c.computed_at,
            page_figures.c.length,
            page_figures.c.rest,
            page_figures.c.facets,
        ]
        with store.connect() as conn:
            row = conn.execute(sa.select(*columns).where(self._where(key))).first()
            if row is not None and _utc(row.computed_at) != at:
                query = sa.select(*columns, page_figures.c.payload).where(self._where(key))
                row = conn.execute(query).first()
        if row is None:
            raise StoreError(f"the kept {self.kind} figures were dropped while read; reload")
        newer = at != _utc(row.computed_at)
        head = row.payload.split("\n") if newer and row.payload else []
        rest = row.rest.split("\n") if row.rest else []
        return _Lines(_utc(row.computed_at), head, row.length, row.facets), rest

    def _columns(self, value: T) -> dict[str, Any]:
        if not self._sequence:
            return {
                "length": None,
                "payload": self.codec.dumps(value),
                "rest": None,
                "facets": None,
            }
        if not isinstance(value, Sequence):
            raise TypeError(f"expected a sequence, got {type(value).__name__}")
        # JSON escapes the newlines inside strings: one line is one item.
        lines = [self.codec.dumps(v) for v in value]
        rest = "\n".join(lines[HEAD:]) if len(lines) > HEAD else None
        facets = None if self._facets is None else self._facets(value)
        return {
            "length": len(lines),
            "payload": "\n".join(lines[:HEAD]),
            "rest": rest,
            "facets": facets,
        }

    def write(self, store: Store, key: ViewerKey, figures: StoredFigures[T]) -> None:
        """Keep FIGURES for the viewer KEY unless figures computed later are kept already; drop
        the rows not written for twice `KEPT_FOR`."""
        at = figures.computed_at.astimezone(UTC)
        row = {
            "viewer": viewer_digest(key),
            "kind": self.kind,
            "shape": self.shape,
            "version": dump_version(figures.version),
            "computed_at": at,
            **self._columns(figures.value),
        }
        insert = (postgresql.insert if store.dialect == "postgresql" else sqlite.insert)(
            page_figures
        ).values(row)
        upsert = insert.on_conflict_do_update(
            index_elements=[page_figures.c.viewer, page_figures.c.kind],
            set_={name: insert.excluded[name] for name in row if name not in ("viewer", "kind")},
            where=page_figures.c.computed_at < insert.excluded.computed_at,
        )
        forgotten = page_figures.c.computed_at < at - 2 * KEPT_FOR
        with store.begin() as conn:
            conn.execute(upsert)
            conn.execute(sa.delete(page_figures).where(forgotten))


def _digest(describe: str) -> str:
    return hashlib.sha256(describe.encode()).hexdigest()[:16]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)  # SQLite: naive
