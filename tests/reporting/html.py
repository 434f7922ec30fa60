"""Reading a statistics report the way its reader does."""

from __future__ import annotations

import re


def words(html: str) -> str:
    """The words of HTML, without its tags and chart images."""
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
