"""Manifests: which files to ingest as which organization's, so one run takes a whole partnership.

The format is the ``partnership.json`` that ``bigfish synth`` writes (other keys are ignored)::

    {"organizations": [
        {"name": "th-aoc", "files": [{"path": "th-aoc.csv", "format": "csv", "map": null}]},
        {"name": "vn-police", "files": [{"path": "vn-police.csv", "map": "vn-police.map.toml"}]}
    ]}

Paths are relative to the manifest's folder and stay in it (no absolute path, no ``..``);
``format`` (default ``auto``) and ``map`` are optional.
An organization's ``country`` and ``sector``, when given, are those of an organization the run
creates (an existing one keeps its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bigfish.errors import InputError


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One file of a manifest, with the organization that submits it."""

    path: Path
    org: str
    fmt: str = "auto"
    mapping: Path | None = None
    country: str | None = None  # of the organization, when the run creates it
    sector: str | None = None
    #: Where the entry is in the manifest ("organizations[1].files[0]"), to name it in errors.
    where: str = field(default="", compare=False)


def _text(value: Any, where: str, manifest: Path, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError("expected non-empty text", file=str(manifest), field=where)
    return value


def _inside(value: str, where: str, manifest: Path) -> Path:
    """VALUE, a path relative to MANIFEST's folder, or InputError: one that leads out of it
    (absolute, or through "..") would read, and write rejects beside, files of the machine
    the manifest does not hold."""
    relative = Path(value)
    if relative.is_absolute() or ".." in relative.parts:
        raise InputError(
            f"{value!r} is not inside the manifest's folder; a manifest names its files "
            "relative to it, without '..'",
            file=str(manifest),
            field=where,
        )
    return manifest.parent / relative


def load_manifest(manifest: Path) -> list[ManifestEntry]:
    """The files of MANIFEST in order, or InputError naming the first thing wrong."""
    try:
        document = json.loads(manifest.read_text(encoding="utf-8-sig"))  # a BOM: Notepad
    except OSError as exc:
        raise InputError(f"cannot read the manifest ({exc.strerror})", file=str(manifest)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON manifest ({exc})", file=str(manifest)) from None
    orgs = document.get("organizations") if isinstance(document, dict) else None
    if not isinstance(orgs, list):
        raise InputError("expected a list", file=str(manifest), field="organizations")
    entries: list[ManifestEntry] = []
    for i, org in enumerate(orgs):
        where = f"organizations[{i}]"
        if not isinstance(org, dict):
            raise InputError("expected an object", file=str(manifest), field=where)
        name = _text(org.get("name"), f"{where}.name", manifest) or ""
        country = _text(org.get("country"), f"{where}.country", manifest, optional=True)
        sector = _text(org.get("sector"), f"{where}.sector", manifest, optional=True)
        files = org.get("files")
        if not isinstance(files, list):
            raise InputError("expected a list", file=str(manifest), field=f"{where}.files")
        for j, item in enumerate(files):
            at = f"{where}.files[{j}]"
            if not isinstance(item, dict):
                raise InputError("expected an object", file=str(manifest), field=at)
            path = _text(item.get("path"), f"{at}.path", manifest) or ""
            fmt = _text(item.get("format"), f"{at}.format", manifest, optional=True)
            mapping = _text(item.get("map"), f"{at}.map", manifest, optional=True)
            entries.append(
                ManifestEntry(
                    path=_inside(path, f"{at}.path", manifest),
                    org=name,
                    fmt=fmt or "auto",
                    mapping=_inside(mapping, f"{at}.map", manifest) if mapping else None,
                    country=country,
                    sector=sector,
                    where=at,
                )
            )
    return entries
