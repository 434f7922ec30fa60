"""Accept headers and media types as RFC 9110 reads them (bigfish.api.media)."""

from __future__ import annotations

import pytest

from bigfish.api.media import acceptable, media_type

OFFERED = "application/taxii+json;version=2.1"


@pytest.mark.parametrize(
    ("accept", "admitted"),
    [
        (None, True),
        ("  ", True),
        ("*/*", True),
        ("application/*", True),
        ("text/*", False),
        ("application/taxii+json", True),
        ("application/taxii+json;version=2.1", True),
        ("application/taxii+json;version=2.0", False),
        ("application/taxii+json;version=2.1;charset=utf-8", False),  # a parameter it lacks
        ("application/taxii+json;q=0.001", True),
        ("application/taxii+json;q=0", False),
        ("application/taxii+json;q=0.000", False),
        ("application/taxii+json;q=1.0001", False),  # not a weight
        ("application/taxii+json;q=-1", False),
        ("*/*;q=0, application/taxii+json", True),  # the most specific range decides
        ("application/taxii+json;q=0, */*", False),
        ("application/taxii+json;version=2.1;q=0, application/taxii+json", False),
        ("application/taxii+json;q=0.5;version=2.0", True),  # after q: an extension
        (",,application/json, ,", False),
    ],
)
def test_acceptable_follows_rfc_9110(accept: str | None, admitted: bool) -> None:
    assert acceptable(accept, OFFERED) is admitted


def test_media_type_reads_case_spaces_and_quotes() -> None:
    assert media_type(' Application/TAXII+JSON ; Version = "2.1" ') == (
        "application/taxii+json",
        [("version", "2.1")],
    )
