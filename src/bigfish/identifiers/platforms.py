"""Messaging platforms of the ``handle`` kind, their aliases and handle syntax."""

from __future__ import annotations

import re

from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind

PLATFORMS = frozenset(
    {
        "telegram",
        "line",
        "whatsapp",
        "wechat",
        "signal",
        "facebook",
        "instagram",
        "tiktok",
        "x",
        "viber",
        "zalo",
        "kakaotalk",
    }
)
ALIASES = {
    "tg": "telegram",
    "fb": "facebook",
    "ig": "instagram",
    "twitter": "x",
    # Beyond the spec's aliases: names victims write in narratives.
    "ไลน์": "line",
    "wa": "whatsapp",
    "kakao": "kakaotalk",
    "weixin": "wechat",
    "微信": "wechat",
}
PHONE_PLATFORMS = frozenset({"whatsapp", "viber", "signal", "zalo"})
"""Platforms whose accounts are named by a phone number."""

_NAME = re.compile(r"[a-z0-9_][a-z0-9._-]{0,63}")


def platform_of(name: str) -> str | None:
    """The platform a name or alias designates (case-insensitive), or None."""
    name = name.strip().lower()
    if name in PLATFORMS:
        return name
    return ALIASES.get(name)


def canonical_handle(platform: str, name: str) -> Parsed:
    """``platform:name`` in lower case, a leading ``@`` or ``~`` removed."""
    name = name.strip().lstrip("@~").strip().rstrip(".").lower()
    cleaned = f"{platform}:{name}"
    if not name:
        return invalid(Kind.HANDLE, cleaned, "empty handle")
    if not _NAME.fullmatch(name):
        return invalid(Kind.HANDLE, cleaned, "a handle has letters, digits, '.', '_' or '-' only")
    return valid(Kind.HANDLE, cleaned)
