"""Scam assets (numbers, accounts, wallets, domains, handles, emails) and their canonical forms.

Every asset is created with its canonical text (spec/identifiers.md) first; the surface forms
victims type are rendered from it later (``surface.py``). Values that must never collide — a lone
scam's number and a ring's number — come from :class:`UniqueSequence`, a permutation of a number
space, so uniqueness holds by construction instead of by a set of everything issued so far.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass, field

from bigfish.synth.partnership import COUNTRIES, Bank, Country
from bigfish.synth.wallets import bitcoin_address, ethereum_address, tron_address, wallet_canonical

_B36 = string.digits + string.ascii_lowercase
_B62 = string.digits + string.ascii_letters


@dataclass(slots=True, eq=False)
class Asset:
    """One scammer asset, with the state of its use by a ring (mutable generator state).

    Compared by identity: two assets are never the same asset, whatever their fields.
    """

    kind: str  # phone | url | email | bank_account | crypto_wallet | handle
    canonical_kind: str
    canonical: str
    parts: tuple[str, ...]  # what the surface renderer needs
    scope: str = "ring"  # ring | lone | infrastructure
    country: str = ""  # the phone's or the bank's country
    uses: int = 0
    quota: int = 1  # uses before the ring rotates it out
    retiring: bool = False  # a successor has been issued
    # Surface forms written so far, as (kind, value, country); None until first written.
    seen: set[tuple[str, str, str]] | None = field(default=None)


class UniqueSequence:
    """Distinct integers in ``[0, space)`` that look random: ``i -> (a*i + b) mod space``."""

    __slots__ = ("_a", "_b", "_next", "space")

    def __init__(self, space: int, rng: random.Random) -> None:
        self.space = space
        a = rng.randrange(space // 3 + 1, space) | 1 if space > 8 else 1
        while math.gcd(a, space) != 1:
            a += 1
        self._a = a
        self._b = rng.randrange(space)
        self._next = 0

    def take(self) -> int:
        """The next distinct integer (wraps around after ``space`` draws)."""
        i = self._next
        self._next += 1
        return (self._a * i + self._b) % self.space


def _base(n: int, alphabet: str, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(reversed(out))


WORDS: dict[str, tuple[str, ...]] = {
    "investment": ("gold", "invest", "profit", "wealth", "trade", "fx", "coin", "asset", "set",
                   "bull", "alpha", "capital", "fund", "stock", "crypto", "vip", "elite"),
    "job_task": ("task", "job", "work", "like", "review", "shop", "earn", "parttime", "order",
                 "mission", "hire", "star", "boost", "rate"),
    "romance": ("love", "sweet", "angel", "honey", "dear", "heart", "rose", "lily", "david",
                "james", "anna", "mei", "kim"),
    "impersonation_authority": ("police", "dsi", "court", "customs", "officer", "case", "legal",
                                "gov", "justice", "verify"),
    "impersonation_bank": ("secure", "bank", "verify", "update", "account", "kyc", "login",
                           "support", "service", "help"),
    "shopping": ("shop", "deal", "sale", "store", "brand", "outlet", "mall", "flash", "cheap",
                 "promo"),
    "loan": ("loan", "cash", "money", "credit", "fast", "easy", "pinjam", "vay", "quick"),
    "phishing": ("parcel", "post", "delivery", "toll", "tax", "refund", "reward", "point",
                 "verify", "track"),
}  # fmt: skip
TLDS = ("com", "net", "xyz", "top", "vip", "cc", "shop", "online", "co", "app", "site", "info")
SHORTENERS = ("bit.ly", "tinyurl.com", "cutt.ly", "s.id", "rb.gy", "shorturl.at")
MAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
URL_PATHS = ("/", "/login", "/register", "/app/download", "/m/index", "/invite", "/user/deposit",
             "/home", "/verify", "/track", "/apply", "/h5/login")  # fmt: skip


class AssetFactory:
    """Creates assets whose canonical values never collide with one another."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._phones = {
            c.code: UniqueSequence(len(c.mobile_prefixes) * 10**c.mobile_rest, rng)
            for c in COUNTRIES.values()
        }
        self._accounts: dict[str, UniqueSequence] = {}
        self._ibans = UniqueSequence(10**16, rng)
        self._handles = UniqueSequence(36**5, rng)
        self._domains = UniqueSequence(36**4, rng)
        self._emails = UniqueSequence(36**5, rng)
        self._short = {s: UniqueSequence(62**6, rng) for s in SHORTENERS}

    def phone(self, country: str, scope: str = "ring") -> Asset:
        """A mobile number of COUNTRY."""
        c = COUNTRIES[country]
        n = self._phones[country].take()
        head, rest = divmod(n, 10**c.mobile_rest)
        nsn = c.mobile_prefixes[head] + str(rest).zfill(c.mobile_rest)
        return Asset("phone", "phone", f"+{c.calling_code}{nsn}", (country, nsn), scope, country)

    def bank_account(self, country: str, scope: str = "ring") -> Asset:
        """A mule account at a bank of COUNTRY: ``BANK:ACCOUNT`` or an IBAN where IBANs are used."""
        c = COUNTRIES[country]
        if c.iban_banks:
            return self._iban(c, scope)
        bank: Bank = self.rng.choice(c.banks)
        seq = self._accounts.get(bank.short)
        if seq is None:
            seq = self._accounts[bank.short] = UniqueSequence(10**bank.digits, self.rng)
        digits = str(seq.take()).zfill(bank.digits)
        style = "bic" if self.rng.random() < 0.3 else "short"
        label = bank.bic if style == "bic" else bank.short
        groups = ",".join(map(str, bank.groups))
        return Asset(
            "bank_account",
            "bank_account",
            f"{label}:{digits}",
            (style, bank.short, bank.bic, digits, groups),
            scope,
            country,
        )

    def _iban(self, c: Country, scope: str) -> Asset:
        bank = self.rng.choice(c.iban_banks)
        account = str(self._ibans.take()).zfill(16)
        bban = bank + account
        iban = f"{c.code}{iban_check_digits(c.code, bban)}{bban}"
        return Asset("bank_account", "bank_account", iban, ("iban", iban), scope, c.code)

    def wallet(self, chain: str, scope: str = "ring") -> Asset:
        """A wallet on CHAIN (``tron``, ``ethereum`` or ``bitcoin``)."""
        if chain == "tron":
            address = tron_address(self.rng)
        elif chain == "ethereum":
            address = ethereum_address(self.rng)
        else:
            address = bitcoin_address(self.rng)
        return Asset(
            "crypto_wallet", "crypto_wallet", wallet_canonical(address), (chain, address), scope
        )

    def _name(self, theme: str, seq: UniqueSequence, sep: str) -> str:
        words = WORDS.get(theme, WORDS["investment"])
        w1, w2 = self.rng.sample(words, 2)
        # The fixed-width token at the end keeps names distinct; the words make them start
        # with a letter, as usernames must.
        token = _base(seq.take(), _B36, 5 if seq.space == 36**5 else 4)
        return f"{w1}{sep}{w2}{sep}{token}" if sep else f"{w1}{w2}{token}"

    def domain(self, theme: str) -> str:
        """A fresh scam domain (registrable: one label below the TLD)."""
        sep = "-" if self.rng.random() < 0.4 else ""
        return f"{self._name(theme, self._domains, sep)}.{self.rng.choice(TLDS)}"

    def url(self, theme: str, domain: str | None = None, scope: str = "ring") -> Asset:
        """A URL on DOMAIN (a fresh scam domain when None), with a path and maybe a query."""
        rng = self.rng
        domain = domain or self.domain(theme)
        host = domain
        if rng.random() < 0.25:
            host = f"{rng.choice(('m', 'app', 'vip', 'h5', 'secure'))}.{domain}"
        path = rng.choice(URL_PATHS)
        query = ""
        if path != "/" and rng.random() < 0.35:
            pairs = {"ref": str(rng.randrange(1000, 99999))}
            if rng.random() < 0.4:
                pairs["lang"] = rng.choice(("th", "vi", "en", "id", "ms"))
            query = "&".join(f"{k}={v}" for k, v in sorted(pairs.items()))
        canonical = host + path + (f"?{query}" if query else "")
        www = "1" if host == domain else ""
        return Asset("url", "url", canonical, (host, path, query, www), scope)

    def short_link(self, scope: str = "ring") -> Asset:
        """A link-shortener link; the whole link (not the shortener) is the scam's asset."""
        host = self.rng.choice(SHORTENERS)
        code = _base(self._short[host].take(), _B62, 6)
        return Asset("url", "url", f"{host}/{code}", (host, f"/{code}", "", ""), scope)

    def handle(self, platform: str, theme: str, scope: str = "ring") -> Asset:
        """A messaging handle on PLATFORM (telegram, line, facebook, tiktok)."""
        sep = "_" if platform in ("telegram", "tiktok") and self.rng.random() < 0.6 else ""
        if platform == "facebook" and self.rng.random() < 0.5:
            sep = "."
        name = self._name(theme, self._handles, sep)
        shown = _display_case(name, self.rng)
        return Asset("handle", "handle", f"{platform}:{name}", (platform, shown), scope)

    def email(self, theme: str, domain: str | None = None, scope: str = "ring") -> Asset:
        """An email address at DOMAIN or at a free mail provider."""
        mail_domain = domain or self.rng.choice(MAIL_DOMAINS)
        sep = "" if mail_domain == "gmail.com" else self.rng.choice(("", ".", "_"))
        local = self._name(theme, self._emails, sep)
        return Asset("email", "email", f"{local}@{mail_domain}", (local, mail_domain), scope)


def _display_case(name: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return name
    if r < 0.85:
        return "".join(p[:1].upper() + p[1:] for p in _split_keep(name))
    return name.upper()


def _split_keep(name: str) -> list[str]:
    out, cur = [], ""
    for ch in name:
        cur += ch
        if ch in "_.-":
            out.append(cur)
            cur = ""
    out.append(cur)
    return out


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits of an IBAN with COUNTRY and BBAN."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return str(98 - number % 97).zfill(2)
