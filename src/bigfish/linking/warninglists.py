"""Warning lists: values every node knows are shared infrastructure, never evidence of a ring.

In the spirit of MISP's warninglists. One JSON file per list (format in docs/warninglists.md)::

    {"name": "link-shorteners", "version": 1, "description": "…", "type": "hostname",
     "kinds": ["domain", "url"], "country": null, "list": ["bit.ly", "tinyurl.com"]}

``type`` is ``hostname`` (a domain and its subdomains; for URLs only the bare root such as
``bit.ly/``, because ``bit.ly/3xYz12`` is the scammer's own link, and a page of a social or
messaging platform itself, such as ``facebook.com/marketplace``: `PLATFORM_PAGES`) or
``exact`` (the canonical form
of each entry, normalized with the list's ``country`` as the default region, so hotlines can be
written as printed locally). The shipped lists live in ``bigfish/data/warninglists``; operators add
their own directory of files with the same format.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bigfish.errors import InputError, read_text
from bigfish.identifiers import normalize
from bigfish.identifiers.domain import HostError, canonical_host, is_public_suffix
from bigfish.identifiers.url import _SOCIAL_RESERVED as SOCIAL_RESERVED
from bigfish.models import Kind

_TYPES = ("hostname", "exact")


@dataclass(frozen=True, slots=True)
class WarningList:
    """One list: its name, match type, kinds and canonical entries."""

    name: str
    description: str
    type: str  # hostname | exact
    kinds: frozenset[str]
    entries: frozenset[str]
    #: Entries that are public suffixes themselves (`github.io`, `blogspot.com`): a name under
    #: one is its owner's own site, as `scam.github.io` is a registrable domain, and links.
    suffixes: frozenset[str] = frozenset()


def _host_matches(host: str, wl: WarningList) -> bool:
    """Whether HOST is an entry of WL, or under an entry that is not a public suffix."""
    if host in wl.entries:
        return True
    parts = host.split(".")
    return any(
        ".".join(parts[i:]) in wl.entries and ".".join(parts[i:]) not in wl.suffixes
        for i in range(1, len(parts) - 1)
    )


#: Pages of social and messaging platforms themselves, by host: one path segment that
#: `bigfish.identifiers` does not read as a profile there (its reserved words, and TikTok's and
#: LINE's own pages). Such a URL (facebook.com/marketplace, t.me/joinchat, tiktok.com/foryou) is
#: the platform, named by victims of unrelated rings, as its bare root is. Any other path is
#: someone's and links: a deeper one or one with a query (a group, an invite, a listing, a
#: video), a segment that is no page of the platform, and every path of a shortener.
_SOCIAL_PAGES = SOCIAL_RESERVED | {
    "home.php", "index.php", "feed", "bookmarks", "saved", "jobs", "fundraisers"
}  # fmt: skip
_TELEGRAM_PAGES = frozenset(
    {"joinchat", "addstickers", "addemoji", "share", "c", "proxy", "socks", "addlist", "iv"}
)
_TIKTOK_PAGES = frozenset(
    {"foryou", "following", "explore", "live", "discover", "upload", "login", "signup",
     "search", "messages", "friends", "tag", "music", "about", "legal", "shop"}
)  # fmt: skip
_LINE_PAGES = frozenset({"r", "en", "th", "ja", "download", "ti", "login"})
PLATFORM_PAGES: dict[str, frozenset[str]] = {
    "facebook.com": _SOCIAL_PAGES,
    "fb.com": _SOCIAL_PAGES,
    "instagram.com": _SOCIAL_PAGES,
    "x.com": _SOCIAL_PAGES,
    "twitter.com": _SOCIAL_PAGES,
    "t.me": _TELEGRAM_PAGES,
    "telegram.me": _TELEGRAM_PAGES,
    "tiktok.com": _TIKTOK_PAGES,
    "line.me": _LINE_PAGES,
}
_MOBILE_PREFIXES = ("www.", "m.", "mobile.", "web.", "api.")


def _platform_page(host: str, rest: str) -> bool:
    """Whether the URL of HOST and REST (its path and query) is a page of a platform itself."""
    for prefix in _MOBILE_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    pages = PLATFORM_PAGES.get(host)
    return pages is not None and not any(c in rest for c in "/?#") and rest.lower() in pages


def _list_match(wl: WarningList, kind: str, canonical: str) -> bool:
    if kind not in wl.kinds:
        return False
    if wl.type == "exact":
        return canonical in wl.entries
    if kind == Kind.URL.value:
        host, _, rest = canonical.partition("/")
        host = host.split(":")[0]
        return (rest == "" or _platform_page(host, rest)) and _host_matches(host, wl)
    if kind == Kind.EMAIL.value:
        return _host_matches(canonical.rpartition("@")[2], wl)
    return _host_matches(canonical, wl)


@dataclass(frozen=True, slots=True)
class WarningLists:
    """Every loaded list; ``match`` names the first list a value is on."""

    lists: tuple[WarningList, ...]

    def match(self, kind: str, canonical: str) -> str | None:
        """The name of the first list that holds (KIND, CANONICAL), or None."""
        for wl in self.lists:
            if _list_match(wl, kind, canonical):
                return wl.name
        return None

    @property
    def names(self) -> list[str]:
        """The names of the loaded lists, in order."""
        return [wl.name for wl in self.lists]


def _line_of(text: str | None, value: Any) -> int | None:
    """The line of TEXT (a list's file) where VALUE is first written as JSON, when it is found
    (as json.dumps writes it, escaped or not): errors name the file and the line."""
    if text is None:
        return None
    for written in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        at = text.find(written)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None


def _canonical_entries(
    raw: str, kinds: frozenset[str], country: str | None, where: str, text: str | None = None
) -> set[str]:
    """The canonical forms of an ``exact`` entry, one per kind it is valid as (an entry of a
    list of several kinds is matched as each of them, never as the text written)."""
    found: set[str] = set()
    errors: list[str] = []
    for kind in sorted(kinds):
        try:
            ident = normalize(Kind(kind), raw, country)
        except InputError as exc:  # the list's country is no region
            line = _line_of(text, "country")
            raise InputError(exc.message, file=where, line=line, field="country") from None
        if ident.valid:
            found.add(ident.canonical)
        else:
            errors.append(f"{kind}: {ident.error}")
    if not found:
        what = " or ".join(sorted(kinds))
        raise InputError(
            f"{raw!r} is not a valid {what}: {'; '.join(errors)}",
            file=where,
            line=_line_of(text, raw),
        )
    return found


_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


def _canonical_host_entry(raw: str, where: str, text: str | None = None) -> str:
    """A ``hostname`` entry as values' hosts are written (spec/identifiers.md): lower case,
    IDNA (punycode), no trailing dot, no leading ``www.``; a scheme or path written with it
    is left out (``https://Bank.example/`` is ``bank.example``)."""
    written = _SCHEME.sub("", raw.strip().lower())
    written = written.split("/", 1)[0].split("?", 1)[0]
    try:
        host = canonical_host(written)
    except HostError as exc:
        raise InputError(
            f"{raw!r} is not a host name: {exc}", file=where, line=_line_of(text, raw)
        ) from None
    while host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    return host


def parse_warning_list(data: Any, where: str, text: str | None = None) -> WarningList:
    """A list from the decoded JSON of one file; WHERE names the file in errors, and the line
    when TEXT, the file's text, is given and shows it."""

    def bad(message: str, key: str) -> InputError:
        return InputError(message, file=where, line=_line_of(text, key), field=key)

    if not isinstance(data, dict):
        raise InputError("a warning list is a JSON object", file=where)
    for key in ("name", "type", "kinds", "list"):
        if key not in data:
            raise InputError("missing key", file=where, field=key)
    if not isinstance(data["name"], str) or not data["name"].strip():
        raise bad("name is a non-empty string", "name")
    if not isinstance(data["type"], str) or data["type"] not in _TYPES:
        raise bad(f"type must be one of {', '.join(_TYPES)}", "type")
    kinds = data["kinds"]
    if not isinstance(kinds, list) or not kinds:
        raise bad("kinds is a non-empty list of kinds", "kinds")
    known = {k.value for k in Kind}
    for kind in kinds:
        if not isinstance(kind, str) or kind not in known:
            raise bad(f"unknown kind {kind!r}", "kinds")
    if not isinstance(data["list"], list) or not all(isinstance(e, str) for e in data["list"]):
        raise bad("list is a list of strings", "list")
    country = data.get("country")
    if country is not None and not isinstance(country, str):
        raise bad("country is a region code such as TH, or null", "country")
    kind_set = frozenset(kinds)
    if data["type"] == "hostname":
        entries = frozenset(
            _canonical_host_entry(e, where, text) for e in data["list"] if e.strip()
        )
    else:
        entries = frozenset(
            c
            for e in data["list"]
            if e.strip()
            for c in _canonical_entries(e, kind_set, country, where, text)
        )
    return WarningList(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        type=str(data["type"]),
        kinds=kind_set,
        entries=entries,
        suffixes=frozenset(
            e for e in entries if data["type"] == "hostname" and is_public_suffix(e)
        ),
    )


def _read(path: Path) -> WarningList:
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    return parse_warning_list(data, str(path), text)


@cache
def shipped_warning_lists() -> tuple[WarningList, ...]:
    """The lists shipped with bigfish (read once per process)."""
    folder = resources.files("bigfish.data").joinpath("warninglists")
    found: list[WarningList] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            text = item.read_text("utf-8")
            found.append(parse_warning_list(json.loads(text), item.name, text))
    return tuple(found)


def load_warning_lists(extra_dirs: Sequence[Path] = (), *, shipped: bool = True) -> WarningLists:
    """The shipped lists (unless SHIPPED is false) plus every ``*.json`` in EXTRA_DIRS."""
    lists: list[WarningList] = list(shipped_warning_lists()) if shipped else []
    for folder in extra_dirs:
        if not folder.is_dir():
            raise InputError("not a directory of warning lists", file=str(folder))
        lists.extend(_read(p) for p in sorted(folder.glob("*.json")))
    return WarningLists(tuple(lists))


LISTS_ENV = "BIGFISH_WARNING_LISTS"


def operator_list_dirs() -> list[Path]:
    """The operator's own list directories, from BIGFISH_WARNING_LISTS (``:``-separated)."""
    value = os.environ.get(LISTS_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


def no_warning_lists() -> WarningLists:
    """No lists at all (to measure what the lists are worth)."""
    return WarningLists(())


def describe(lists: Iterable[WarningList]) -> list[dict[str, object]]:
    """Name, type, kinds and size of each list (for `bigfish link --json` and docs)."""
    return [
        {"name": wl.name, "type": wl.type, "kinds": sorted(wl.kinds), "entries": len(wl.entries)}
        for wl in lists
    ]
