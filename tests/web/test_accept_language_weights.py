"""The page's language follows Accept-Language's weights (RFC 9110): it took the first known
language whatever its `q`, so `vi;q=0.1, th;q=0.9` showed Vietnamese, `th;q=0, vi` (Thai not
acceptable) Thai, and `th;q=nan` won over `vi;q=0.5`."""

from __future__ import annotations

import pytest

from bigfish.web.i18n import pick_language


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("vi;q=0.1, th;q=0.9", "th"),
        ("th;q=0, vi", "vi"),
        ("th;q=nan, vi;q=0.5", "vi"),
        ("th;q=abc, vi;q=0.5", "vi"),
        ("th;q=1.5, vi;q=0.5", "vi"),
        ("en-US,en;q=0.9,th;q=0.8", "en"),
        ("th-TH, vi", "th"),
        ("TH;Q=0.5", "th"),
        ("de, fr;q=0.8", "en"),
        ("", "en"),
    ],
)
def test_the_most_wanted_known_language_is_shown(header: str, shown: str) -> None:
    assert pick_language(None, header) == shown


def test_the_cookie_still_decides() -> None:
    assert pick_language("vi", "th") == "vi"
