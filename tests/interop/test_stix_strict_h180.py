"""A STIX export is valid STIX 2.1 for every report, and the stix2 library parses it strictly
(allow_custom=False): bigfish's own fields travel only in its documented extensions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import stix2
import stix2extensions  # noqa: F401 - registers phone-number, bank-account, cryptocurrency-wallet
from stix2validator import ValidationOptions, validate_string

from bigfish.intake.readers import Row
from bigfish.interop import read_stix
from bigfish.interop.export import stix_objects
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.interop.model import MentionView
from tests.interop.builders import fixed_view


def _bundle(objects: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "objects": objects}
    )


def _no_submitted_identifiers() -> list[dict[str, Any]]:
    """The export of a report whose victim named no identifier in a field (only one in the
    narrative): a lone scam told in words, common in every partner's data."""
    view = dataclasses.replace(
        fixed_view("words-only"),
        mentions=(MentionView("ip", "192.0.2.1", True, "narrative", None, "192.0.2.1"),),
    )
    return stix_objects([view])


def test_a_report_without_submitted_identifiers_is_valid_stix() -> None:
    results = validate_string(
        _bundle(_no_submitted_identifiers()), ValidationOptions(version="2.1")
    )
    assert results.is_valid, [str(e) for e in results.errors]


def test_a_report_without_submitted_identifiers_reads_back_without_any(tmp_path: Path) -> None:
    objects = _no_submitted_identifiers()
    report = next(o for o in objects if o["type"] == "report")
    assert report["extensions"][REPORT_EXTENSION].get("identifiers", [{}]) != []
    path = tmp_path / "words.stix.json"
    path.write_text(_bundle(objects), encoding="utf-8")
    [row] = list(read_stix(path.open("rb"), path))
    assert isinstance(row, Row), row
    assert row.fields["report_id"] == "words-only" and not row.identifiers


def test_the_export_parses_with_stix2_without_custom_content() -> None:
    text = _bundle(stix_objects([fixed_view()]))
    parsed = stix2.parse(text, allow_custom=False)
    types = {o.type for o in parsed.objects}
    assert {"identity", "report", "phone-number", "bank-account"} <= types
