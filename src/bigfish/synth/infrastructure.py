"""Shared infrastructure: identifiers many unrelated victims mention, which must not link rings.

Bank hotlines, platform home pages and bare link-shortener domains. A specific short link
(``bit.ly/3xYz12``) is a ring's asset; ``bit.ly`` itself is infrastructure.
"""

from __future__ import annotations

from dataclasses import dataclass

from bigfish.synth.assets import MAIL_DOMAINS, SHORTENERS, Asset
from bigfish.synth.partnership import COUNTRIES

PLATFORM_HOSTS = ("facebook.com", "line.me", "bit.ly", "tinyurl.com", "google.com", "tiktok.com",
                  "shopee.co.th", "lazada.com.my", "tokopedia.com", "kasikornbank.com",
                  "vietcombank.com.vn", "dbs.com.sg", "maybank2u.com.my", "klikbca.com",
                  "bdo.com.ph", "ababank.com", "emiratesnbd.com", "commbank.com.au")  # fmt: skip
NO_WWW = frozenset({"line.me", "bit.ly", "tinyurl.com"})


def hotline(country: str, national: str) -> Asset:
    """A bank or police service number, as printed, with its E.164 form."""
    c = COUNTRIES[country]
    digits = "".join(ch for ch in national if ch.isdigit())
    if c.trunk and digits.startswith(c.trunk):
        digits = digits[len(c.trunk) :]
    canonical = f"+{c.calling_code}{digits}"
    return Asset(
        "phone", "phone", canonical, ("hotline", country, national), "infrastructure", country
    )


def platform_home(host: str) -> Asset:
    """A platform's home page (``https://www.facebook.com/`` → ``facebook.com/``)."""
    www = "" if host in NO_WWW else "1"
    return Asset("url", "url", f"{host}/", (host, "/", "", www), "infrastructure")


@dataclass(frozen=True, slots=True)
class Infrastructure:
    """The hotlines of every country and the platform home pages."""

    hotlines: dict[str, tuple[Asset, ...]]
    platforms: tuple[Asset, ...]

    def all(self) -> list[Asset]:
        """Every infrastructure asset."""
        return [a for v in self.hotlines.values() for a in v] + list(self.platforms)

    def canonical_forms(self) -> list[tuple[str, str]]:
        """(kind, canonical) of everything shared: the assets, and the registrable domains that
        ring and lone identifiers derive from shared hosts (``bit.ly`` of ``bit.ly/3xYz12``,
        ``gmail.com`` of an address, ``t.me`` and ``wa.me`` of profile links)."""
        forms = [(a.canonical_kind, a.canonical) for a in self.all()]
        domains = {*PLATFORM_HOSTS, *SHORTENERS, *MAIL_DOMAINS, "t.me", "wa.me", "line.me",
                   "facebook.com", "tiktok.com", "telegram.me"}  # fmt: skip
        return forms + [("domain", d) for d in sorted(domains)]


def build_infrastructure() -> Infrastructure:
    """The shared infrastructure of the synthetic partnership."""
    return Infrastructure(
        hotlines={
            code: tuple(hotline(code, n) for n in c.hotlines) for code, c in COUNTRIES.items()
        },
        platforms=tuple(platform_home(h) for h in PLATFORM_HOSTS),
    )
