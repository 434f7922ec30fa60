"""A bigfish-sharing extension that is not an object (`"group"`, null, a list) is a sharing
statement bigfish cannot read: the most restrictive distribution, `organization`. It was read
as no statement at all, so a bundle ingested with `--distribution partnership` shared such a
report with every organization, and an observable so marked did not narrow its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop.markings import (
    REPORT_EXTENSION,
    SHARING_EXTENSION,
    item_marking,
    marking_from_object,
)
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.interop.builders import LOCATION, foreign_report

MALFORMED: list[Any] = ["group", None, ["organization"], "partnership", 3]


def _report(n: int, sharing: Any) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--11111111-1111-4111-8111-{n:012d}",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": "2025-11-01T00:00:00.000Z",
        "name": f"s-{n}",
        "published": "2025-11-01T00:00:00Z",
        "object_refs": ["identity--11111111-1111-4111-8111-111111111111"],
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "report_id": f"s-{n}",
                "country": "TH",
            },
            SHARING_EXTENSION: sharing,
        },
    }


@pytest.mark.parametrize("sharing", MALFORMED)
def test_an_unreadable_sharing_extension_is_organization_only(sharing: Any) -> None:
    marking = marking_from_object(_report(1, sharing))
    assert marking is not None and marking.distribution is Distribution.ORGANIZATION
    item = {"type": "phone-number", "id": "phone-number--1", "value": "+66812345678"}
    narrowed = item_marking(item | {"extensions": {SHARING_EXTENSION: sharing}}, {})
    assert narrowed is not None and narrowed.distribution is Distribution.ORGANIZATION


def test_unreadable_extensions_are_organization_only() -> None:
    marking = marking_from_object(_report(1, None) | {"extensions": "partnership"})
    assert marking is not None and marking.distribution is Distribution.ORGANIZATION


def test_a_bundle_file_never_widens_an_unreadable_sharing_to_the_command_line(
    store: Store, tmp_path: Path
) -> None:
    objects = [_report(n, s) for n, s in enumerate(MALFORMED, start=1)]
    phone = {
        "type": "phone-number",
        "spec_version": "2.1",
        "id": "phone-number--9f3c1a2b-5d4e-5f60-8a7b-0c1d2e3f4a5b",
        "value": "+66812345678",
        "extensions": {SHARING_EXTENSION: "group"},
    }
    foreign = foreign_report(99, (phone["id"],))
    path = tmp_path / "partner.stix.json"
    bundle = {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8"}
    path.write_text(json.dumps(bundle | {"objects": [*objects, LOCATION, phone, foreign]}))
    wide = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    result = ingest_file(store, path, org="TH-AOC", fmt="stix", marking=wide, classify=False)
    assert (result.stored, result.rejected) == (len(MALFORMED) + 1, 0)
    with store.connect() as conn:
        stored = dict(conn.execute(sa.select(reports.c.report_id, reports.c.distribution)).all())
    assert set(stored.values()) == {Distribution.ORGANIZATION.value}, stored
