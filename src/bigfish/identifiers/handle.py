"""Messaging handles: ``platform:handle`` in lower case; profile links and phone accounts mapped."""

from __future__ import annotations

import re

from bigfish.identifiers.model import Parsed, invalid
from bigfish.identifiers.phone import parse_phone
from bigfish.identifiers.platforms import (
    ALIASES,
    PHONE_PLATFORMS,
    PLATFORMS,
    canonical_handle,
    platform_of,
)
from bigfish.identifiers.url import parse_url
from bigfish.models import Kind

#: The platform words and aliases as PLATFORM_AND_NAME tries them: escaped, longest first.
PLATFORM_WORDS = tuple(
    sorted((re.escape(name) for name in PLATFORMS | ALIASES.keys()), key=len, reverse=True)
)
_KEYWORDS = "|".join(PLATFORM_WORDS)
# "LINE ID: w2659", "IDLINE: x", "line : @game24th", "Telegram @name", "ไลน์ @yabohappy",
# "微信号：wxid_x" (号, "number", is how Chinese write a WeChat or LINE ID; 账号 "account").
PLATFORM_AND_NAME = re.compile(
    rf"(?:id[ \t]*)?(?P<platform>{_KEYWORDS})"
    rf"(?P<sep>(?:[ \t]*(?:id|ไอดี|号|號|账号|帐号|帳號)(?![a-z]))?[ \t]*(?:[:=][ \t]*)?)"
    r"(?P<at>@?)(?P<name>[a-z0-9_][a-z0-9._\-]{0,63}|\+?[0-9][0-9 \-]{5,20}[0-9])",
    re.IGNORECASE,
)
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ().\-]{1,30}")


def parse_handle(text: str, country: str | None = None) -> Parsed:
    """Normalize a handle: ``platform:name``, ``Platform ID: name``, a profile link, a phone."""
    if len(text) > 256:
        return invalid(Kind.HANDLE, text[:256], "too long for a handle")
    if "/" in text or text.lower().startswith(("www.", "http")):
        parsed = parse_url(text, country)
        if parsed.error is None and parsed.canonical_kind != Kind.URL:
            return parsed
        return invalid(Kind.HANDLE, text, "a link that is not a messaging profile")
    if platform_of(text) is not None:
        return invalid(Kind.HANDLE, text, f"empty handle after the platform {text!r}")
    platform, name = _split(text)
    if platform is None:
        return invalid(Kind.HANDLE, text, "no platform (write platform:handle, e.g. line:name)")
    if _PHONE_LIKE.fullmatch(name) and (platform in PHONE_PLATFORMS or name.startswith(("+", "0"))):
        # WhatsApp, Viber, Signal and Zalo accounts are phone numbers; a LINE or Telegram
        # name is a phone only when written as one (leading "+" or trunk "0").
        phone = parse_phone(name, country)
        if phone.error is None:
            return phone
        if platform in PHONE_PLATFORMS or name.startswith("+"):
            return invalid(Kind.HANDLE, f"{platform}:{name}", f"phone: {phone.error}")
    return canonical_handle(platform, name)


def _split(text: str) -> tuple[str | None, str]:
    """The platform and the name of ``platform:name`` or of ``LINE ID: name``."""
    prefix, colon, rest = text.partition(":")
    if colon:
        platform = platform_of(prefix)
        if platform is not None:
            return platform, rest.strip()
    match = PLATFORM_AND_NAME.fullmatch(text)
    if match is not None and is_labelled(match):
        platform = platform_of(match.group("platform"))
        if platform is not None:
            return platform, match.group("at") + match.group("name")
    return None, text


def is_labelled(match: re.Match[str]) -> bool:
    """True when the platform word is tied to the name by ``ID``, ``:``, ``=`` or ``@``."""
    separator = match.group("sep")
    return bool(match.group("at")) or any(mark in separator.lower() for mark in ":=iไ号號")
