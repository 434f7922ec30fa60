"""Surface forms: how victims and analysts actually write an asset.

Local and international phone layouts, Thai and Arabic-Indic digits, defanged and tracking-tagged
URLs, grouped IBANs, bank short names and 11-character BICs, chain prefixes on wallets, ``t.me``
links, Gmail dots and ``+tags``. Each renderer returns ``(kind as written, value, platform)``;
``platform`` is set only for a bare ``@name`` written next to a platform's name in a narrative.
"""

from __future__ import annotations

import random

from bigfish.synth.assets import Asset
from bigfish.synth.partnership import COUNTRIES

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
TRACKING = (
    "utm_source=facebook",
    "utm_medium=social",
    "utm_campaign=promo",
    "fbclid=IwAR2xK9qZ",
    "gclid=Cj0KCQiA4L",
    "igshid=MzRlODBiNWFlZA",
    "utm_source=line",
    "mc_eid=8a1f2c",
)
Surface = tuple[str, str, str]


def _grouped(digits: str, groups: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for size in groups:
        if size > 0:
            out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(p for p in out if p)


def _phone(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    if a.parts[0] == "hotline":
        text = (
            a.parts[2] if rng.random() < 0.75 else "".join(ch for ch in a.parts[2] if ch.isdigit())
        )
        return "phone", text, ""
    pc, nsn = a.parts
    c = COUNTRIES[pc]
    if not narrative and rng.random() < 0.05:
        if rng.random() < 0.5:
            return "url", f"https://wa.me/{c.calling_code}{nsn}", ""
        return "handle", f"whatsapp:+{c.calling_code}{nsn}", ""
    r = rng.random()
    if pc == rc and r < 0.65:
        sep = rng.choice(("-", "-", " ", "", "", ".")) if pc != "SG" else rng.choice((" ", ""))
        text = _grouped(c.trunk + nsn, c.groups, sep)
    else:
        groups = (c.groups[0] - len(c.trunk), *c.groups[1:])
        cc = c.calling_code
        form = rng.random()
        if form < 0.35:
            text = f"+{cc} {_grouped(nsn, groups, ' ')}"
        elif form < 0.6:
            text = f"+{cc}{nsn}"
        elif form < 0.7:
            text = f"+{cc}-{_grouped(nsn, groups, '-')}"
        elif form < 0.8:
            text = f"(+{cc}) {_grouped(nsn, groups, ' ')}"
        elif form < 0.9 and c.trunk:
            text = f"+{cc} ({c.trunk}) {_grouped(nsn, groups, ' ')}"
        elif COUNTRIES[rc].accepts_00:
            text = f"00{cc} {_grouped(nsn, groups, ' ')}"
        else:
            text = f"+{cc} {nsn}"
    if lang in ("th", "ar") and rng.random() < (0.35 if narrative else 0.02):
        text = text.translate(THAI_DIGITS if lang == "th" else ARABIC_INDIC_DIGITS)
    return "phone", text, ""


def _defang_host(host: str, rng: random.Random) -> str:
    i = host.rfind(".")
    return host[:i] + rng.choice(("[.]", "[.]", "(.)", "{.}")) + host[i + 1 :]


def _url(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    host, path, query, www = a.parts
    r = rng.random()
    if r < 0.45:
        scheme = "https://"
    elif r < 0.55:
        scheme = "http://"
    elif r < 0.75:
        scheme = ""
    elif r < 0.93:
        scheme = "hxxps://" if rng.random() < 0.8 else "hxxps[:]//"
    else:
        scheme = "hxxp://"
    shown = host
    c = rng.random()
    if c < 0.08:
        shown = ".".join(p[:1].upper() + p[1:] for p in host.split("."))
    elif c < 0.1:
        shown = host.upper()
    if www and rng.random() < 0.25:
        shown = "www." + shown
    if scheme.startswith("hxx") or rng.random() < 0.1:
        shown = _defang_host(shown, rng)
    if scheme == "https://" and rng.random() < 0.03:
        shown += ":443"
    if path == "/":
        out_path = "/" if rng.random() < 0.6 else ""
    else:
        out_path = path + ("/" if rng.random() < 0.2 else "")
    pairs = query.split("&") if query else []
    if rng.random() < 0.25:
        tags = rng.sample(TRACKING, rng.randint(1, 2))
        if len(tags) == 2 and tags[0].split("=")[0] == tags[1].split("=")[0]:
            tags.pop()
        pairs = [*pairs, *tags]
    if len(pairs) > 1 and rng.random() < 0.4:
        rng.shuffle(pairs)
    text = scheme + shown + out_path + ("?" + "&".join(pairs) if pairs else "")
    if not narrative and rng.random() < 0.04:
        text += "#top"
    return "url", text, ""


def _email(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    local, domain = a.parts
    if domain == "gmail.com":
        chars = list(local)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            i = rng.randrange(1, len(chars))
            if chars[i - 1] != "." and chars[i] != ".":
                chars.insert(i, ".")
        local = "".join(chars)
        if rng.random() < 0.1:
            domain = "googlemail.com"
    if rng.random() < 0.2:
        local += "+" + rng.choice(("vip", "ref3", "th", "2025", "job", "promo"))
    c = rng.random()
    if c < 0.12:
        local = local[:1].upper() + local[1:]
        domain = domain[:1].upper() + domain[1:]
    elif c < 0.15:
        local, domain = local.upper(), domain.upper()
    return "email", f"{local}@{domain}", ""


def _bank(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    if a.parts[0] == "iban":
        iban = a.parts[1]
        grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        r = rng.random()
        text = grouped if r < 0.5 else iban if r < 0.85 else grouped.lower()
        return "bank_account", text, ""
    style, short, bic, digits, groups_text = a.parts
    groups = tuple(int(g) for g in groups_text.split(","))
    if style == "bic":
        r = rng.random()
        label = bic if r < 0.5 else bic + "XXX" if r < 0.8 else bic.lower()
    else:
        label = rng.choice((short, short, short.lower(), short.title()))
    r = rng.random()
    account = (
        _grouped(digits, groups, "-")
        if r < 0.4
        else _grouped(digits, groups, " ")
        if r < 0.55
        else digits
    )
    return "bank_account", label + rng.choice((":", ":", ": ")) + account, ""


def _wallet(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    chain, address = a.parts
    text = address
    if chain == "ethereum":
        r = rng.random()
        text = address if r < 0.6 else address.lower() if r < 0.9 else "0x" + address[2:].upper()
    elif address.startswith("bc1") and rng.random() < 0.08:
        text = address.upper()
    if not narrative and rng.random() < 0.15:
        prefix = {"tron": ("trx:", "usdt-trc20:"), "ethereum": ("eth:",), "bitcoin": ("btc:",)}
        text = rng.choice(prefix[chain]) + text
    return "crypto_wallet", text, ""


_FIELD_HANDLES: dict[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("handle", "telegram:{}"), ("handle", "tg:@{}"), ("handle", "https://t.me/{}"),
                 ("url", "https://t.me/{}"), ("url", "t.me/{}"), ("handle", "telegram.me/{}")),
    "line": (("handle", "line:{}"), ("handle", "line:{}"), ("handle", "https://line.me/ti/p/~{}"),
             ("url", "line.me/ti/p/~{}")),
    "facebook": (("handle", "facebook:{}"), ("handle", "fb:{}"),
                 ("url", "https://www.facebook.com/{}"), ("handle", "facebook.com/{}")),
    "tiktok": (("handle", "tiktok:@{}"), ("url", "https://www.tiktok.com/@{}")),
}  # fmt: skip
_TEXT_HANDLES: dict[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("handle", "@{}"), ("handle", "@{}"), ("url", "t.me/{}"),
                 ("url", "https://t.me/{}")),
    "line": (("handle", "@{}"), ("url", "line.me/ti/p/~{}")),
    "facebook": (("url", "facebook.com/{}"),),
    "tiktok": (("handle", "@{}"), ("url", "tiktok.com/@{}")),
}  # fmt: skip


def _handle(a: Asset, rng: random.Random, rc: str, narrative: bool, lang: str) -> Surface:
    platform, shown = a.parts
    kind, pattern = rng.choice((_TEXT_HANDLES if narrative else _FIELD_HANDLES)[platform])
    value = pattern.format(shown)
    return kind, value, platform if value.startswith("@") else ""


_RENDERERS = {
    "phone": _phone,
    "url": _url,
    "email": _email,
    "bank_account": _bank,
    "crypto_wallet": _wallet,
    "handle": _handle,
}


def render(asset: Asset, rng: random.Random, country: str, narrative: bool, lang: str) -> Surface:
    """One surface form of ASSET, as a victim in COUNTRY writes it (in a field or a narrative)."""
    return _RENDERERS[asset.kind](asset, rng, country, narrative, lang)


def extractable_from_text(asset: Asset) -> bool:
    """Whether a narrative mention of ASSET can stand alone (BANK:ACCOUNT cannot, IBANs can)."""
    return asset.kind != "bank_account" or asset.parts[0] == "iban"
