"""Undo the defanging analysts apply to dangerous links (``hxxps[:]//x[.]com``)."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^h(?:xx|tt)p(s?)(?:\[:\]|\(:\)|:)?(?:\[/\]|/){2}", re.IGNORECASE)
_DOT = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}", re.IGNORECASE)
_REST = re.compile(r"\[:\]|\[/\]|\[://\]|\[@\]|\[at\]|\(at\)", re.IGNORECASE)
_REST_MAP = {"[:]": ":", "[/]": "/", "[://]": "://", "[@]": "@", "[at]": "@", "(at)": "@"}


def defang(text: str) -> str:
    """Undo defanging: ``hxxp``, ``[.]``, ``(.)``, ``{.}``, ``[:]``, ``[/]``; fix ``https//``."""
    if "[" in text or "(" in text or "{" in text:
        text = _DOT.sub(".", text)
        text = _REST.sub(lambda m: _REST_MAP[m.group().lower()], text)
    match = _SCHEME.match(text)
    if match:
        text = f"http{match.group(1).lower()}://{text[match.end() :]}"
    return text
