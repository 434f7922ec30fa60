"""Where the filters of the big-fish page find their networks in a ranking, without reading them.

`RankingFacets` holds, for a ranking of networks (`NetworkStats` in ranking order), the positions
of the networks with each country, organization and scam type, how many countries each has, and
when each was first and last seen. `positions` answers a filter with array operations, in the
ranking's order. It is kept in the store beside a kept ranking (`bigfish.web.stored_figures`):
a filtered page over 60,000 kept networks reads these arrays and decodes only the networks it
shows, instead of every network (0.6 s at a million reports).

A network passes a filter when it has the country, the organization and the scam type asked for
(any of its scam types), at least `min_countries` countries, was last seen at or after the
period's start and first seen before its end. Times are compared to the microsecond; a naive
time is read as UTC.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from bigfish.linking.score import NetworkStats

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_POSITION = np.dtype("<u4")
_COUNT = np.dtype("<u2")
_TIME = np.dtype("<i8")

#: The facets a filter may ask for a value of.
FACETS = ("country", "organization", "scam_type")

Positions = npt.NDArray[np.uint32]


def _micros(at: datetime) -> int:
    return ((at if at.tzinfo is not None else at.replace(tzinfo=UTC)) - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True, eq=False)
class RankingFacets:
    """The facets of a ranking of LENGTH networks (module doc)."""

    length: int
    values: dict[str, dict[str, Positions]]  # facet -> value -> ascending positions
    country_count: npt.NDArray[np.uint16]
    first_seen: npt.NDArray[np.int64]  # microseconds since 1970 UTC
    last_seen: npt.NDArray[np.int64]

    @classmethod
    def of(cls, ranking: Iterable[NetworkStats]) -> RankingFacets:
        """The facets of the networks of RANKING, in its order."""
        found: dict[str, dict[str, list[int]]] = {facet: {} for facet in FACETS}
        countries, organizations, types = (found[f] for f in FACETS)
        count: list[int] = []
        first: list[int] = []
        last: list[int] = []
        for i, stats in enumerate(ranking):
            for value in stats.countries:
                countries.setdefault(value, []).append(i)
            for value in stats.organizations:
                organizations.setdefault(value, []).append(i)
            for value, _ in stats.scam_types:
                types.setdefault(value, []).append(i)
            count.append(len(stats.countries))
            first.append(_micros(stats.first_seen))
            last.append(_micros(stats.last_seen))
        return cls(
            len(count),
            {
                facet: {v: np.unique(np.array(p, dtype=_POSITION)) for v, p in by_value.items()}
                for facet, by_value in found.items()
            },
            np.array(count, dtype=_COUNT),
            np.array(first, dtype=_TIME),
            np.array(last, dtype=_TIME),
        )

    def positions(
        self,
        *,
        country: str | None = None,
        organization: str | None = None,
        scam_type: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        min_countries: int | None = None,
    ) -> npt.NDArray[np.int64]:
        """The ascending positions of the networks that pass every filter given (module doc)."""
        passing = np.ones(self.length, dtype=bool)
        if min_countries:
            passing &= self.country_count >= min_countries
        for facet, value in zip(FACETS, (country, organization, scam_type), strict=True):
            if value:
                having = np.zeros(self.length, dtype=bool)
                having[self.values[facet].get(value, np.zeros(0, dtype=_POSITION))] = True
                passing &= having
        if start is not None:
            passing &= self.last_seen >= _micros(start)
        if end is not None:
            passing &= self.first_seen < _micros(end)
        return np.flatnonzero(passing)

    def dumps(self) -> str:
        """The facets as one line of JSON, arrays as little-endian bytes in base64."""
        return json.dumps(
            {
                "length": self.length,
                "values": {
                    facet: {value: _b64(p) for value, p in by_value.items()}
                    for facet, by_value in self.values.items()
                },
                "country_count": _b64(self.country_count),
                "first_seen": _b64(self.first_seen),
                "last_seen": _b64(self.last_seen),
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> RankingFacets:
        """The facets TEXT encodes (`dumps`); ValueError when they are not well formed."""
        try:
            return cls._loads(text)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"ranking facets are not well formed: {exc!s}") from None

    @classmethod
    def _loads(cls, text: str) -> RankingFacets:
        found = json.loads(text)
        length = found["length"]
        if type(length) is not int or length < 0:
            raise ValueError("the length is not a count")
        values = {
            facet: {
                str(value): _array(encoded, _POSITION, None)
                for value, encoded in found["values"][facet].items()
            }
            for facet in FACETS
        }
        for by_value in values.values():
            for positions in by_value.values():
                if len(positions) and (
                    positions[-1] >= length or np.any(np.diff(positions.astype(np.int64)) <= 0)
                ):
                    raise ValueError("positions out of order or range")
        return cls(
            length,
            values,
            _array(found["country_count"], _COUNT, length),
            _array(found["first_seen"], _TIME, length),
            _array(found["last_seen"], _TIME, length),
        )


def _b64(values: npt.NDArray[Any]) -> str:
    return base64.b64encode(values.tobytes()).decode("ascii")


def _array(encoded: Any, dtype: np.dtype[Any], length: int | None) -> npt.NDArray[Any]:
    if type(encoded) is not str:
        raise TypeError("an array is base64 text")
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) % dtype.itemsize:
        raise ValueError("an array's bytes do not divide into its items")
    values = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
    if length is not None and len(values) != length:
        raise ValueError(f"an array holds {len(values)} items, not {length}")
    return values
