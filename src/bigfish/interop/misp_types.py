"""MISP attribute types as data: the category MISP files each under by default and the others it
allows (describeTypes.json `sane_defaults` and `category_type_mappings`, PyMISP 2.5.34.4), and
whether MISP stores a value under a type byte for byte (`kept_as_written`).

MISP does not store every value it is sent as sent (MISP/MISP app/Model/Attribute.php
`beforeValidate` and `$validate`): it refangs it (app/Lib/Tools/ComplexTypeTool.php
`refangValue`), trims it, replaces characters outside the BMP with `?` and rewrites it by type
(app/Lib/Tools/AttributeValidationTool.php `modifyBeforeValidation`: lower case for domains and
e-mails, digits only for phones, …), then refuses what its type's check fails (`validate`), a
value over 65,535 bytes (`maxTextLength`) and a second attribute of the same type, category and
value in one event (`valueIsUnique`, compared by MySQL's case- and accent-insensitive
collation). An exported value goes under a type only when MISP keeps it as written
(`EventBody`), and a narrative longer than one value goes in parts (`narrative_parts`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from bigfish.interop.markings import BIGFISH_NAMESPACE

DEFAULT_CATEGORIES: dict[str, str] = {
    "AS": "Network activity",
    "aba-rtn": "Financial fraud",
    "anonymised": "Other",
    "attachment": "External analysis",
    "authentihash": "Payload delivery",
    "azure-application-id": "Payload delivery",
    "bank-account-nr": "Financial fraud",
    "bic": "Financial fraud",
    "bin": "Financial fraud",
    "boolean": "Other",
    "bro": "Network activity",
    "btc": "Financial fraud",
    "campaign-id": "Attribution",
    "campaign-name": "Attribution",
    "cc-number": "Financial fraud",
    "cdhash": "Payload delivery",
    "chrome-extension-id": "Payload delivery",
    "comment": "Other",
    "community-id": "Network activity",
    "cookie": "Network activity",
    "cortex": "External analysis",
    "counter": "Other",
    "country-of-residence": "Person",
    "cpe": "External analysis",
    "dash": "Financial fraud",
    "date-of-birth": "Person",
    "datetime": "Other",
    "dkim": "Network activity",
    "dkim-signature": "Network activity",
    "dns-soa-email": "Attribution",
    "dom-hash": "Network activity",
    "domain": "Network activity",
    "domain|ip": "Network activity",
    "edge-extension-id": "Payload delivery",
    "email": "Social network",
    "email-attachment": "Payload delivery",
    "email-body": "Payload delivery",
    "email-dst": "Network activity",
    "email-dst-display-name": "Payload delivery",
    "email-header": "Payload delivery",
    "email-message-id": "Payload delivery",
    "email-mime-boundary": "Payload delivery",
    "email-reply-to": "Payload delivery",
    "email-src": "Payload delivery",
    "email-src-display-name": "Payload delivery",
    "email-subject": "Payload delivery",
    "email-thread-index": "Payload delivery",
    "email-x-mailer": "Payload delivery",
    "eppn": "Network activity",
    "favicon-mmh3": "Network activity",
    "filename": "Payload delivery",
    "filename-pattern": "Payload installation",
    "filename|authentihash": "Payload delivery",
    "filename|impfuzzy": "Payload delivery",
    "filename|imphash": "Payload delivery",
    "filename|md5": "Payload delivery",
    "filename|pehash": "Payload delivery",
    "filename|sha1": "Payload delivery",
    "filename|sha224": "Payload delivery",
    "filename|sha256": "Payload delivery",
    "filename|sha3-224": "Payload delivery",
    "filename|sha3-256": "Payload delivery",
    "filename|sha3-384": "Payload delivery",
    "filename|sha3-512": "Payload delivery",
    "filename|sha384": "Payload delivery",
    "filename|sha512": "Payload delivery",
    "filename|sha512/224": "Payload delivery",
    "filename|sha512/256": "Payload delivery",
    "filename|ssdeep": "Payload delivery",
    "filename|tlsh": "Payload delivery",
    "filename|vhash": "Payload delivery",
    "first-name": "Person",
    "float": "Other",
    "frequent-flyer-number": "Person",
    "full-name": "Person",
    "gender": "Person",
    "gene": "Artifacts dropped",
    "git-commit-id": "Internal reference",
    "github-organisation": "Social network",
    "github-repository": "Social network",
    "github-username": "Social network",
    "hassh-md5": "Network activity",
    "hasshserver-md5": "Network activity",
    "hex": "Other",
    "hostname": "Network activity",
    "hostname|port": "Network activity",
    "http-method": "Network activity",
    "iban": "Financial fraud",
    "identity-card-number": "Person",
    "impfuzzy": "Payload delivery",
    "imphash": "Payload delivery",
    "integer": "Other",
    "ip-dst": "Network activity",
    "ip-dst|port": "Network activity",
    "ip-src": "Network activity",
    "ip-src|port": "Network activity",
    "issue-date-of-the-visa": "Person",
    "ja3-fingerprint-md5": "Network activity",
    "jabber-id": "Social network",
    "jarm-fingerprint": "Network activity",
    "kusto-query": "Artifacts dropped",
    "last-name": "Person",
    "link": "External analysis",
    "mac-address": "Network activity",
    "mac-eui-64": "Network activity",
    "malware-sample": "Payload delivery",
    "malware-type": "Payload delivery",
    "md5": "Payload delivery",
    "middle-name": "Person",
    "mime-type": "Artifacts dropped",
    "mobile-application-id": "Payload delivery",
    "mutex": "Artifacts dropped",
    "named pipe": "Artifacts dropped",
    "nationality": "Person",
    "onion-address": "Network activity",
    "other": "Other",
    "passenger-name-record-locator-number": "Person",
    "passport-country": "Person",
    "passport-expiration": "Person",
    "passport-number": "Person",
    "pattern-in-file": "Payload installation",
    "pattern-in-memory": "Payload installation",
    "pattern-in-traffic": "Network activity",
    "payment-details": "Person",
    "pdb": "Artifacts dropped",
    "pehash": "Payload delivery",
    "pgp-private-key": "Person",
    "pgp-public-key": "Person",
    "phone-number": "Person",
    "place-of-birth": "Person",
    "place-port-of-clearance": "Person",
    "place-port-of-onward-foreign-destination": "Person",
    "place-port-of-original-embarkation": "Person",
    "port": "Network activity",
    "primary-residence": "Person",
    "process-state": "Artifacts dropped",
    "prtn": "Financial fraud",
    "redress-number": "Person",
    "regkey": "Persistence mechanism",
    "regkey|value": "Persistence mechanism",
    "sha1": "Payload delivery",
    "sha224": "Payload delivery",
    "sha256": "Payload delivery",
    "sha3-224": "Payload delivery",
    "sha3-256": "Payload delivery",
    "sha3-384": "Payload delivery",
    "sha3-512": "Payload delivery",
    "sha384": "Payload delivery",
    "sha512": "Payload delivery",
    "sha512/224": "Payload delivery",
    "sha512/256": "Payload delivery",
    "sigma": "Payload installation",
    "size-in-bytes": "Other",
    "snort": "Network activity",
    "special-service-request": "Person",
    "ssdeep": "Payload delivery",
    "ssh-fingerprint": "Network activity",
    "stix2-pattern": "Payload installation",
    "suricata": "Network activity",
    "target-email": "Targeting data",
    "target-external": "Targeting data",
    "target-location": "Targeting data",
    "target-machine": "Targeting data",
    "target-org": "Targeting data",
    "target-user": "Targeting data",
    "telfhash": "Payload delivery",
    "text": "Other",
    "threat-actor": "Attribution",
    "tlsh": "Payload delivery",
    "travel-details": "Person",
    "twitter-id": "Social network",
    "uri": "Network activity",
    "url": "Network activity",
    "user-agent": "Network activity",
    "uuid": "Other",
    "vhash": "Payload delivery",
    "visa-number": "Person",
    "vulnerability": "External analysis",
    "weakness": "External analysis",
    "whois-creation-date": "Attribution",
    "whois-registrant-email": "Attribution",
    "whois-registrant-name": "Attribution",
    "whois-registrant-org": "Attribution",
    "whois-registrant-phone": "Attribution",
    "whois-registrar": "Attribution",
    "windows-scheduled-task": "Artifacts dropped",
    "windows-service-displayname": "Artifacts dropped",
    "windows-service-name": "Artifacts dropped",
    "x509-fingerprint-md5": "Network activity",
    "x509-fingerprint-sha1": "Network activity",
    "x509-fingerprint-sha256": "Network activity",
    "xmr": "Financial fraud",
    "yara": "Payload installation",
    "zeek": "Network activity",
}


#: The categories MISP allows a type bigfish writes, its default first (describeTypes.json
#: `category_type_mappings`): a second value MISP would take for the same one goes to the next.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "phone-number": ("Person", "Financial fraud", "Other"),
    "url": ("Network activity", "Payload delivery", "External analysis"),
    "domain": ("Network activity", "Payload delivery", "External analysis"),
    "hostname": ("Network activity", "Payload delivery", "External analysis"),
    "email": ("Social network", "Payload delivery", "Network activity", "Attribution", "Person"),
    "email-src": ("Payload delivery", "Network activity", "Social network"),
    "ip-dst": ("Network activity", "Payload delivery", "External analysis"),
    "text": (
        "Other",
        "Internal reference",
        "Antivirus detection",
        "Payload delivery",
        "Artifacts dropped",
        "Payload installation",
        "Persistence mechanism",
        "Network activity",
        "Payload type",
        "Attribution",
        "External analysis",
        "Financial fraud",
        "Support Tool",
        "Social network",
        "Person",
    ),
}


def categories(misp_type: str) -> tuple[str, ...]:
    """The categories MISP allows MISP_TYPE, its default first."""
    return CATEGORIES.get(misp_type) or (DEFAULT_CATEGORIES.get(misp_type, "Other"),)


def same_in_misp(value: str) -> str:
    """VALUE as MISP compares it for `valueIsUnique` (utf8mb4_unicode_ci: case, accents and
    trailing spaces do not count), approximately: two values with the same key may collide."""
    folded = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).rstrip(" ")


MAX_VALUE_BYTES = 65_535  # Attribute::maxTextLength (a MySQL TEXT column)
_PHP_TRIM = " \t\n\r\0\x0b"  # what PHP's trim() removes
#: ComplexTypeTool::REFANG_REGEX_TABLE: a value of these types matching the pattern is rewritten.
_REFANG: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"^(hxxp|hxtp|htxp|meow|h\[tt\]p)", re.I), frozenset({"url", "link"})),
    (
        re.compile(r"\[\.\]|\[dot\]|\(dot\)"),
        frozenset({"url", "link", "ip-src", "ip-dst", "domain|ip", "domain", "hostname"})
        | frozenset({"email", "email-src", "email-dst"}),
    ),
    (re.compile(r"\[hxxp://\]|\[:\]"), frozenset({"url", "link"})),
    (re.compile(r"\[@\]|\[at\]"), frozenset({"email", "email-src", "email-dst"})),
)
#: AttributeValidationTool::HASH_HEX_LENGTH: a hash is that many lower-case hex digits.
_HEX_LENGTHS = {
    "md5": 32, "imphash": 32, "sha1": 40, "git-commit-id": 40, "pehash": 40, "sha224": 56,
    "sha512/224": 56, "sha256": 64, "sha512/256": 64, "authentihash": 64, "sha384": 96,
    "sha512": 128, "sha3-224": 56, "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
}  # fmt: skip
#: Types validate() accepts whatever their value (and modifyBeforeValidation leaves alone).
_ANY = frozenset(
    """text comment other mutex process-state snort bro zeek community-id pattern-in-file
    pattern-in-traffic pattern-in-memory filename-pattern pgp-public-key pgp-private-key yara
    stix2-pattern sigma gene kusto-query mime-type identity-card-number cookie cpe
    email-attachment email-body email-header first-name middle-name last-name full-name""".split()
)
#: Types validate() accepts unless their value holds a line break.
_ONE_LINE = frozenset(
    """url uri user-agent filename pdb regkey target-user campaign-name campaign-id threat-actor
    target-machine target-org target-location target-external email-subject malware-type
    windows-scheduled-task whois-registrant-name whois-registrant-org whois-registrar
    whois-creation-date date-of-birth place-of-birth gender passport-number passport-country
    passport-expiration redress-number nationality visa-number issue-date-of-the-visa
    primary-residence country-of-residence special-service-request frequent-flyer-number
    travel-details payment-details place-port-of-original-embarkation place-port-of-clearance
    place-port-of-onward-foreign-destination passenger-name-record-locator-number
    email-dst-display-name email-src-display-name email-reply-to email-x-mailer
    email-mime-boundary email-thread-index email-message-id github-username github-repository
    github-organisation twitter-id dkim dkim-signature favicon-mmh3 chrome-extension-id
    mobile-application-id azure-application-id""".split()
)


def _ip_kept(value: str) -> bool:
    """MISP keeps an address that is valid (FILTER_VALIDATE_IP) and that inet_ntop leaves alone:
    an IPv6 address not in compressed form is rewritten, unless it starts with `:` (normalizeIp
    tests strpos(value, ':'), which is 0 there)."""
    if "%" in value or "/" in value:
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return address.version == 4 or value.startswith(":") or value == address.compressed


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex, re.ASCII)
    return lambda value: compiled.fullmatch(value) is not None


#: What MISP keeps of each type, as modifyBeforeValidation leaves it and validate accepts it.
_KEPT: dict[str, Callable[[str], bool]] = {
    "phone-number": _pattern(r"(?!00)\+?[0-9]+"),  # 00 becomes +; is_numeric
    "iban": _pattern("[A-Z0-9]+"),  # upper case, letters and digits only
    "bic": _pattern("[A-Z0-9]+"),
    "btc": _pattern("[A-Za-z0-9]+"),
    "xmr": _pattern("[A-Za-z0-9]+"),
    "bank-account-nr": _pattern("[0-9]+"),  # is_numeric
    "domain": _pattern(r"[a-z0-9\-_][a-z0-9.\-_]*\.[a-z0-9\-]{2,}"),  # lower case, dots trimmed
    "hostname": _pattern(r"[a-z0-9.\-_]+\.[a-z0-9\-]{2,}"),  # lower case; isDomainValid
    "email": _pattern(r"(?!.*[A-Z]).\S*@.*\..*"),  # lower case; validate('email')
    "email-src": _pattern(r"(?!.*[A-Z]).\S*@.*\..*"),
    "ip-src": _ip_kept,
    "ip-dst": _ip_kept,
    **{t: _pattern(f"[0-9a-f]{{{n}}}") for t, n in _HEX_LENGTHS.items()},
    **{t: _pattern("[^\n]*") for t in _ONE_LINE},
    **{t: _pattern("(?s).*") for t in _ANY},
}


def kept_as_written(misp_type: str, value: str) -> bool:
    """Whether MISP stores VALUE under MISP_TYPE byte for byte (and does not refuse it): False
    also for a type whose rules bigfish does not know."""
    kept = _KEPT.get(misp_type)
    if kept is None or not value or value != value.strip(_PHP_TRIM):
        return False
    if any(ord(c) > 0xFFFF for c in value) or all(ord(c) < 32 or ord(c) == 127 for c in value):
        return False  # handle4ByteUnicode; stringNotControlCharacters
    if len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
        return False
    if any(p.search(value) for p, types in _REFANG if misp_type in types):
        return False
    return kept(value)


def misp_attribute(
    misp_type: str, value: str, seed: str, comment: str | None = None, category: str | None = None
) -> dict[str, Any]:
    """A MISP attribute, its uuid derived from SEED, MISP_TYPE, VALUE and a category other than
    the type's default (two attributes MISP compares equal go under different categories)."""
    default = categories(misp_type)[0]
    other = f"|{category}" if category and category != default else ""
    name = f"misp-attribute:{seed}|{misp_type}|{value}{other}"
    attribute: dict[str, Any] = {
        "uuid": str(uuid.uuid5(BIGFISH_NAMESPACE, name)),
        "type": misp_type,
        "category": category or default,
        "value": value,
        "to_ids": False,
    }
    if comment:
        attribute["comment"] = comment
    return attribute


class EventBody:
    """The attributes and objects of one event, every value as MISP will store it: under its
    type when MISP keeps it as written (misp_types.kept_as_written), else as a `text`
    attribute whose comment says what it is (a bigfish kind, `misp_TYPE`), which bigfish reads
    back; a value MISP would take for one already there (`valueIsUnique`) goes under the next
    category its type allows."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.attributes: list[dict[str, Any]] = []
        self.objects: list[dict[str, Any]] = []
        self._taken: set[tuple[str, str, str]] = set()
        self._object_ids: set[str] = set()

    def add(self, misp_type: str, value: str, meaning: str) -> None:
        """VALUE as a MISP_TYPE attribute, else as text commented MEANING."""
        if not kept_as_written(misp_type, value):
            misp_type, value = "text", value.strip(_PHP_TRIM)  # as MISP trims any value
        same = same_in_misp(value)
        slots = [(misp_type, c) for c in categories(misp_type)]
        slots += [("text", c) for c in categories("text") if misp_type != "text"]
        # every slot taken needs as many values MISP compares equal: MISP refuses this one
        misp_type, category = next((s for s in slots if (*s, same) not in self._taken), slots[-1])
        self._taken.add((misp_type, category, same))
        comment = meaning if misp_type == "text" else None
        self.attributes.append(misp_attribute(misp_type, value, self.seed, comment, category))

    def add_object(self, obj: dict[str, Any]) -> None:
        """OBJ, unless the same object (by uuid: the same value) is there already."""
        if obj["uuid"] not in self._object_ids:
            self._object_ids.add(obj["uuid"])
            self.objects.append(obj)

    def content(self) -> dict[str, list[dict[str, Any]]]:
        return {"Attribute": self.attributes, "Object": self.objects}


def narrative_parts(text: str, limit: int = MAX_VALUE_BYTES) -> list[str]:
    """TEXT in parts MISP keeps whole: at most LIMIT bytes of UTF-8 each, cut between two
    characters that are not white space (MISP trims every value)."""
    parts: list[str] = []
    while len(text.encode("utf-8", "surrogatepass")) > limit:
        head = text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")
        cut = len(head)
        while cut > 1 and (text[cut - 1] + text[cut]).strip() != text[cut - 1] + text[cut]:
            cut -= 1
        cut = cut if cut > 1 else len(head)  # white space throughout: MISP trims it
        parts.append(text[:cut])
        text = text[cut:]
    return [*parts, text]
