"""Reading back what ``generate`` planted: ``truth.json`` and ``planted.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigfish.errors import InputError


@dataclass(frozen=True, slots=True)
class PlantedValue:
    """One surface form written into the files, with the canonical form it must normalize to."""

    kind: str  # the kind it was written as (column, or JSON identifier kind)
    value: str
    country: str  # the report's country: the default region for phone numbers
    canonical_kind: str
    canonical: str
    source: str  # field | narrative
    scope: str  # ring | lone | infrastructure
    platform: str | None = None  # for a bare "@name" written next to a platform's name


def load_truth(out_dir: Path) -> dict[str, Any]:
    """The parsed ``truth.json`` of a synthetic partnership in OUT_DIR."""
    path = Path(out_dir) / "truth.json"
    try:
        with path.open(encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
    except FileNotFoundError as exc:
        raise InputError("no truth.json: run `bigfish synth` first", file=str(path)) from exc
    return data


def iter_planted(out_dir: Path) -> Iterator[PlantedValue]:
    """Every planted surface form of the partnership in OUT_DIR (``planted.jsonl``)."""
    path = Path(out_dir) / "planted.jsonl"
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield PlantedValue(**json.loads(line))
