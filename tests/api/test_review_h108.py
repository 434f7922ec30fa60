"""Review of the API (helper-108): the public check refuses a country that is no ISO 3166 code
before it spends one of the caller's checks of the minute, as its web page does since 15197f4."""

from __future__ import annotations

import pytest

from bigfish.api import ApiSettings
from bigfish.store import Store
from tests.api.helpers import build_partnership


@pytest.mark.parametrize("country", ["ZZ", "éé", "ΑΒ"])
def test_the_public_check_names_a_bad_country_and_spends_no_check_on_it(
    sqlite_store: Store, country: str
) -> None:
    """Two letters that are no country's took a check, then answered 'no phone number, link …
    found' naming `value` (the country made every value unreadable): a caller who mistyped a
    country spent the minute's checks on answers that blamed the value."""
    settings = ApiSettings(public_check=True, public_check_per_minute=6)  # a burst of 2
    for p in build_partnership(sqlite_store, settings):
        for _ in range(3):
            answer = p.client.get(
                "/api/v1/check", params={"value": "+66811111111", "country": country}
            )
            assert answer.status_code == 400, answer.text
            body = answer.json()
            assert body["error"]["details"] == {"field": "country"}, body
            assert "country" in body["error"]["message"], body
        fine = p.client.get("/api/v1/check", params={"value": "+66811111111", "country": "th"})
        assert fine.status_code == 200, fine.text
