"""URLs: ``host`` + ``path`` [+ ``?`` + query], no scheme; profile links become handles."""

from __future__ import annotations

import re
from urllib.parse import unquote

from bigfish.identifiers.defang import defang
from bigfish.identifiers.domain import HostError, canonical_host, is_ip, registrable_domain
from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.identifiers.phone import parse_phone
from bigfish.identifiers.platforms import canonical_handle
from bigfish.identifiers.text import MAX_VALUE_LENGTH
from bigfish.models import Kind

TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "igshid", "mc_eid"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_WITH_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_OTHER_SCHEME = re.compile(
    r"^(?:javascript|data|vbscript|file|mailto|about|blob|tel|sms|intent|chrome|ftp):",
    re.IGNORECASE,
)
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\s\ud800-\udfff\\]")
# Runs of escapes, and runs of characters to encode (a `%` that starts no escape among them):
# one call per run, not per character (a 2,000-character run took 10 ms one at a time).
_PERCENT_OR_OTHER = re.compile(
    r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"
    r"|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?](?:(?!%[0-9A-Fa-f]{2})[^A-Za-z0-9\-._~!$&'()*+,;=:@/?])*"
)
_ESCAPED = tuple(f"%{byte:02X}" for byte in range(256))
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PORT = re.compile(r"[0-9]{1,5}")


def parse_url(text: str, country: str | None = None) -> Parsed:
    """Normalize a URL (defanged or not) to its canonical text, or to a handle or phone."""
    text = defang(text)
    if len(text) > MAX_VALUE_LENGTH:
        return invalid(Kind.URL, text[:MAX_VALUE_LENGTH], "too long for a URL")
    if _BAD_CHARS.search(text):
        return invalid(Kind.URL, text, "a URL cannot contain spaces or control characters")
    scheme_match = _WITH_SCHEME.match(text)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in _DEFAULT_PORTS:
            return invalid(Kind.URL, text, f"unsupported scheme {scheme!r}")
        rest = text[scheme_match.end() :]
    elif _OTHER_SCHEME.match(text):
        return invalid(Kind.URL, text, f"unsupported scheme {text.split(':', 1)[0].lower()!r}")
    else:
        scheme, rest = "http", text.removeprefix("//")
    netloc, path, query = _split(rest)
    try:
        host, port = _host_port(netloc, scheme)
    except HostError as error:
        return invalid(Kind.URL, text, str(error))
    path = _percent(path).rstrip("/") or "/"
    query = _query(query)
    profile = _profile(host, path, query, country)
    if profile is not None:
        return profile
    canonical = f"{host}{port}{path}{'?' + query if query else ''}"
    return valid(Kind.URL, canonical, domain=None if is_ip(host) else registrable_domain(host))


def _split(rest: str) -> tuple[str, str, str]:
    rest = rest.split("#", 1)[0]
    end = len(rest)
    for mark in "/?":
        index = rest.find(mark)
        if index != -1:
            end = min(end, index)
    netloc, tail = rest[:end], rest[end:]
    path, _, query = tail.partition("?")
    return netloc, path, query


def _host_port(netloc: str, scheme: str) -> tuple[str, str]:
    """Canonical host and ``:port`` (empty for the default port); drops user information."""
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        host, _, port = netloc[1:].partition("]")
        host, port = f"[{host}]", port.removeprefix(":")
    else:
        host, _, port = netloc.partition(":")
    host = canonical_host(host)
    # every leading www. (the spec says "a leading www."): removing one would leave a form that
    # normalizes again to another (www.www.x.com -> www.x.com -> x.com), not a fixed point
    while host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    if "." not in host.removeprefix("www.") and not host.startswith("["):
        raise HostError("host has no dot after www.") if "." in host else HostError("no dot")
    if port and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536):
        raise HostError(f"bad port {port!r}")
    if not port or port.lstrip("0") == _DEFAULT_PORTS[scheme]:
        return host, ""
    return host, f":{int(port)}"


def _decoded(escape: str) -> str:
    char = chr(int(escape[1:], 16))
    return char if char in _UNRESERVED else escape.upper()


def _percent_one(match: re.Match[str]) -> str:
    run = match.group()
    if run[0] == "%" and len(run) >= 3 and run[1] in _HEX_DIGITS and run[2] in _HEX_DIGITS:
        return "".join(_decoded(run[i : i + 3]) for i in range(0, len(run), 3))
    return "".join([_ESCAPED[byte] for byte in run.encode("utf-8")])


def _percent(text: str) -> str:
    """Upper-case percent-encoding, unreserved characters decoded, other characters encoded."""
    return _PERCENT_OR_OTHER.sub(_percent_one, text)


def _query(query: str) -> str:
    """Tracking parameters removed, the rest sorted by key (stable)."""
    if not query:
        return ""
    kept: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, equals, value = part.partition("=")
        key = _percent(key)
        plain = unquote(key).lower()
        if plain.startswith("utm_") or plain in TRACKING_PARAMETERS:
            continue
        kept.append((key, f"{key}{equals}{_percent(value)}"))
    kept.sort(key=lambda item: item[0])
    return "&".join(part for _, part in kept)


_TELEGRAM_RESERVED = frozenset(
    {"joinchat", "addstickers", "addemoji", "share", "c", "proxy", "socks", "addlist", "iv"}
)
_SOCIAL_RESERVED = frozenset(
    {
        "p", "reel", "reels", "explore", "stories", "accounts", "direct", "tv", "about", "legal",
        "profile.php", "people", "groups", "pages", "share", "sharer", "sharer.php", "watch",
        "events", "marketplace", "photo", "photo.php", "story.php", "permalink.php", "login",
        "help", "policies", "l.php", "dialog", "plugins", "hashtag", "messages", "gaming", "ads",
        "i", "home", "search", "intent", "settings", "notifications", "signup", "tos", "privacy",
        "video", "tag", "music", "discover", "live", "friends", "business", "login.php",
    }
)  # fmt: skip
_SOCIAL_HOSTS = {
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "m.me": "facebook",
    "x.com": "x",
    "twitter.com": "x",
}


def _profile(host: str, path: str, query: str, country: str | None) -> Parsed | None:
    """A handle or phone for a messaging profile link, else None."""
    for prefix in ("m.", "mobile.", "web.", "api."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    segments = [unquote(segment) for segment in path.split("/") if segment]
    if host in ("t.me", "telegram.me", "telegram.dog"):
        if segments and segments[0] == "s":
            segments = segments[1:]
        if len(segments) == 1 and segments[0] not in _TELEGRAM_RESERVED:
            return _handle("telegram", segments[0])
    elif host == "line.me":
        if segments[:1] == ["R"]:
            segments = segments[1:]
        if len(segments) == 3 and segments[:2] == ["ti", "p"] and segments[2][:1] in "~@":
            return _handle("line", segments[2])
    elif host == "wa.me" and len(segments) == 1 and segments[0].removeprefix("+").isdigit():
        # WhatsApp writes the number without "+"; people pasting one write it with
        return _phone("+" + segments[0].removeprefix("+"), None)
    elif host == "whatsapp.com" and segments == ["send"]:
        for part in query.split("&"):
            key, _, value = part.partition("=")
            if key == "phone" and unquote(value).lstrip("+").isdigit():
                return _phone("+" + unquote(value).lstrip("+"), None)
    elif host == "zalo.me" and len(segments) == 1 and segments[0].removeprefix("+").isdigit():
        return _phone(segments[0], country)
    elif host == "tiktok.com" and len(segments) == 1 and segments[0].startswith("@"):
        return _handle("tiktok", segments[0])
    elif host in _SOCIAL_HOSTS:
        platform = _SOCIAL_HOSTS[host]
        if platform == "facebook" and segments == ["profile.php"]:
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if key == "id" and value.isdigit():
                    return _handle("facebook", value)
        if len(segments) == 1 and segments[0].lower() not in _SOCIAL_RESERVED:
            return _handle(platform, segments[0])
    return None


def _handle(platform: str, name: str) -> Parsed | None:
    parsed = canonical_handle(platform, name)
    return parsed if parsed.error is None else None


def _phone(text: str, country: str | None) -> Parsed | None:
    parsed = parse_phone(text, country)
    return parsed if parsed.error is None else None
