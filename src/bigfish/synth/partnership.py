"""The synthetic partnership: countries, their banks and phone plans, and the organizations.

Everything here is data. The phone plans are mobile ranges that ``phonenumbers`` accepts as valid
numbers; the banks carry a short name, a BIC and the length of their account numbers, so that mule
accounts look like the ones victims are told to pay into.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bank:
    """A retail bank whose accounts mules rent out."""

    short: str  # short name victims type, e.g. KBANK
    bic: str  # 8-character BIC (institution code)
    digits: int  # account number length
    groups: tuple[int, ...]  # how the bank prints the account number, e.g. 3-1-5-1


@dataclass(frozen=True, slots=True)
class Country:
    """A victims' country: currency, languages, phone plan, banks, hotlines."""

    code: str
    currency: str
    weight: float  # share of all reports
    languages: tuple[tuple[str, float], ...]  # narrative languages and their weights
    calling_code: str
    trunk: str  # national trunk prefix ("0"), empty where there is none
    mobile_prefixes: tuple[str, ...]
    mobile_rest: int  # digits after the prefix
    groups: tuple[int, ...]  # grouping of the national form (trunk included)
    accepts_00: bool  # whether "00" is this country's international prefix
    utc_offset: str
    banks: tuple[Bank, ...]
    iban_banks: tuple[str, ...] = ()  # 3-digit bank codes where accounts are IBANs (AE)
    hotlines: tuple[str, ...] = ()  # real-world service numbers victims mention (national form)
    loss_scale: float = 1.0  # multiplies the USD loss distribution


def _b(short: str, bic: str, digits: int, *groups: int) -> Bank:
    return Bank(short, bic, digits, groups)


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "TH", "THB", 0.25, (("th", 0.85), ("en", 0.15)), "66", "0",
            ("81", "82", "83", "84", "85", "86", "87", "88", "89", "91", "92", "93", "94",
             "95", "96", "97", "98", "99", "61", "62", "63", "64", "65"),
            7, (3, 3, 4), False, "+07:00",
            (_b("KBANK", "KASITHBK", 10, 3, 1, 5, 1), _b("SCB", "SICOTHBK", 10, 3, 6, 1),
             _b("BBL", "BKKBTHBK", 10, 3, 1, 5, 1), _b("KTB", "KRTHTHBK", 10, 3, 1, 5, 1)),
            hotlines=("02-888-8888", "02-777-7777", "02-111-1111"),
        ),
        Country(
            "VN", "VND", 0.18, (("vi", 0.95), ("en", 0.05)), "84", "0",
            ("32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79",
             "81", "82", "83", "84", "85", "88", "90", "91", "93", "94", "96", "97", "98"),
            7, (4, 3, 3), True, "+07:00",
            (_b("VCB", "BFTVVNVX", 13, 4, 3, 6), _b("TCB", "VTCBVNVX", 14, 4, 4, 6),
             _b("MB", "MSCBVNVX", 12, 4, 4, 4), _b("ACB", "ASCBVNVX", 9, 3, 3, 3)),
            hotlines=("1900 54 54 13", "1800 588 822"),
        ),
        Country(
            "SG", "SGD", 0.07, (("en", 1.0),), "65", "",
            ("81", "82", "83", "84", "85", "86", "87", "90", "91", "92", "93", "94", "96",
             "97", "98"),
            6, (4, 4), False, "+08:00",
            (_b("DBS", "DBSSSGSG", 10, 3, 6, 1), _b("OCBC", "OCBCSGSG", 12, 3, 6, 3),
             _b("UOB", "UOVBSGSG", 10, 3, 3, 3, 1)),
            hotlines=("1800 111 1111", "6363 3333"),
            loss_scale=2.5,
        ),
        Country(
            "MY", "MYR", 0.10, (("ms", 0.6), ("en", 0.4)), "60", "0",
            ("12", "13", "16", "17", "19"),
            7, (3, 3, 4), True, "+08:00",
            (_b("MBB", "MBBEMYKL", 12, 4, 4, 4), _b("CIMB", "CIBBMYKL", 10, 2, 4, 4),
             _b("PBB", "PBBEMYKL", 10, 3, 3, 4), _b("RHB", "RHBBMYKL", 14, 1, 5, 8)),
            hotlines=("1-300-88-6688", "03-2297 8888"),
        ),
        Country(
            "ID", "IDR", 0.12, (("id", 0.95), ("en", 0.05)), "62", "0",
            ("811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878",
             "895", "896"),
            8, (4, 4, 4), False, "+07:00",
            (_b("BCA", "CENAIDJA", 10, 3, 3, 4), _b("BRI", "BRINIDJA", 15, 4, 2, 6, 2, 1),
             _b("MANDIRI", "BMRIIDJA", 13, 3, 2, 8), _b("BNI", "BNINIDJA", 10, 3, 3, 4)),
            hotlines=("1500888", "021-1500888"),
            loss_scale=0.6,
        ),
        Country(
            "PH", "PHP", 0.10, (("tl", 0.6), ("en", 0.4)), "63", "0",
            ("905", "906", "915", "916", "917", "918", "919", "920", "921", "927", "928",
             "929", "939", "947", "998", "999"),
            7, (4, 3, 4), True, "+08:00",
            (_b("BDO", "BNORPHMM", 12, 4, 4, 4), _b("BPI", "BOPIPHMM", 10, 4, 4, 2),
             _b("MBTC", "MBTCPHMM", 13, 3, 3, 5, 2)),
            hotlines=("(02) 8631 8000", "(02) 889-10000"),
            loss_scale=0.6,
        ),
        Country(
            "KH", "KHR", 0.04, (("en", 1.0),), "855", "0",
            ("12", "17", "77", "78", "92", "95", "99"),
            6, (3, 3, 3), False, "+07:00",
            (_b("ABA", "ABAAKHPP", 9, 3, 3, 3), _b("ACLEDA", "ACLBKHPP", 12, 4, 2, 6),
             _b("WING", "WINGKHPP", 8, 4, 4)),
            hotlines=("023 225 333",),
            loss_scale=0.5,
        ),
        Country(
            "AE", "AED", 0.05, (("ar", 0.7), ("en", 0.3)), "971", "0",
            ("50", "52", "54", "55", "56", "58"),
            7, (3, 3, 4), True, "+04:00",
            (),
            iban_banks=("033", "026", "030", "035", "047"),
            hotlines=("600 540000", "04 316 0101"),
            loss_scale=3.0,
        ),
        Country(
            "AU", "AUD", 0.09, (("en", 1.0),), "61", "0",
            ("400", "401", "402", "403", "404", "405", "406", "407", "408", "409", "410",
             "411", "412", "413", "414", "415", "416", "417", "418", "419", "420", "421",
             "422", "423", "424", "425", "426", "427", "428", "429", "430", "431", "432"),
            6, (4, 3, 3), False, "+10:00",
            (_b("CBA", "CTBAAU2S", 14, 6, 8), _b("ANZ", "ANZBAU3M", 15, 6, 9),
             _b("WBC", "WPACAU2S", 12, 6, 6), _b("NAB", "NATAAU33", 15, 6, 9)),
            hotlines=("1800 033 844", "(02) 9378 2000"),
            loss_scale=3.0,
        ),
    )
}  # fmt: skip

# Call centres sit abroad; their numbers reach victims in several countries.
CALL_CENTRE_COUNTRIES: tuple[str, ...] = ("KH", "TH", "VN", "PH", "MY")


@dataclass(frozen=True, slots=True)
class Organization:
    """A partner that submits reports, with its country, sector and intake format."""

    name: str
    country: str  # ISO code (interpol: FR, its seat in Lyon)
    sector: str  # police | anti_scam_centre | bank | telco | international
    format: str  # csv | csv-vi | jsonl | xlsx
    prefix: str  # report id prefix
    datetime_ids: bool = False  # reported_at as date-time with offset instead of a date


ORGANIZATIONS: tuple[Organization, ...] = (
    Organization("th-aoc", "TH", "anti_scam_centre", "csv", "AOC", datetime_ids=True),
    Organization("th-kbank", "TH", "bank", "csv", "KB-FR"),
    Organization("vn-police", "VN", "police", "csv-vi", "CA"),
    Organization("vn-viettel", "VN", "telco", "jsonl", "VTL"),
    Organization("sg-asc", "SG", "anti_scam_centre", "csv", "ASC", datetime_ids=True),
    Organization("sg-dbs", "SG", "bank", "xlsx", "DBS"),
    Organization("my-nsrc", "MY", "anti_scam_centre", "csv", "NSRC"),
    Organization("id-ojk", "ID", "anti_scam_centre", "csv", "IASC"),
    Organization("ph-cicc", "PH", "anti_scam_centre", "jsonl", "CICC"),
    Organization("kh-police", "KH", "police", "csv", "KHP"),
    Organization("ae-police", "AE", "police", "csv", "AEP", datetime_ids=True),
    Organization("au-nasc", "AU", "anti_scam_centre", "csv", "NASC"),
    Organization("interpol", "FR", "international", "jsonl", "IP"),
)

# Which organizations take a country's reports, and in what share (interpol is drawn first).
ORG_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    "TH": (("th-aoc", 0.78), ("th-kbank", 0.22)),
    "VN": (("vn-police", 0.6), ("vn-viettel", 0.4)),
    "SG": (("sg-asc", 0.8), ("sg-dbs", 0.2)),
    "MY": (("my-nsrc", 1.0),),
    "ID": (("id-ojk", 1.0),),
    "PH": (("ph-cicc", 1.0),),
    "KH": (("kh-police", 1.0),),
    "AE": (("ae-police", 1.0),),
    "AU": (("au-nasc", 1.0),),
}
INTERPOL_SHARE = 0.03
XLSX_MAX_ROWS = 2000  # the Excel partner stays small; overflow goes to the country's first org
