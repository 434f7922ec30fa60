"""What extraction finds, as the extraction tests compare it."""

from __future__ import annotations

from bigfish.identifiers import extract


def phones(text: str, country: str | None) -> list[tuple[str, str]]:
    """(the text found, its canonical form) of each phone extract finds in TEXT."""
    return [
        (text[item.start : item.end], item.identifier.canonical)
        for item in extract(text, country)
        if item.identifier.canonical_kind.value == "phone"
    ]
