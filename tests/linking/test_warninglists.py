"""An operator's own list entries are matched as the values are written canonically."""

from __future__ import annotations

import pytest

from bigfish.errors import InputError
from bigfish.identifiers import normalize
from bigfish.linking.warninglists import WarningLists, parse_warning_list
from bigfish.models import Kind


def _listed(lists: WarningLists, kind: Kind, raw: str, country: str | None = None) -> str | None:
    ident = normalize(kind, raw, country)
    assert ident.valid, ident.error
    return lists.match(ident.canonical_kind.value, ident.canonical)


def test_host_entries_are_read_as_hosts_are_normalized() -> None:
    """A Thai bank's IDN, a host written with www., upper case and a trailing dot, one copied
    with its scheme and path: each stops the values of its host (and only the root URL)."""
    ours = parse_warning_list(
        {
            "name": "ours",
            "type": "hostname",
            "kinds": ["domain", "url"],
            "list": ["  ธนาคาร.ไทย ", "WWW.Scam-Bank.COM.", "https://MyBank.co.th/login"],
        },
        "ours.json",
    )
    lists = WarningLists((ours,))
    assert _listed(lists, Kind.DOMAIN, "ธนาคาร.ไทย") == "ours"
    assert _listed(lists, Kind.URL, "https://ธนาคาร.ไทย/") == "ours"
    assert _listed(lists, Kind.URL, "https://www.scam-bank.com/") == "ours"
    assert _listed(lists, Kind.DOMAIN, "scam-bank.com") == "ours"
    assert _listed(lists, Kind.DOMAIN, "mybank.co.th") == "ours"
    assert _listed(lists, Kind.URL, "mybank.co.th/login") is None  # a page still links


def test_an_exact_list_of_several_kinds_normalizes_each_entry_as_each_kind() -> None:
    lists = WarningLists(
        (
            parse_warning_list(
                {
                    "name": "bank-th",
                    "type": "exact",
                    "kinds": ["phone", "bank_account"],
                    "country": "TH",
                    "list": ["02-888-8888", "kbank: 123-4-56789-0"],
                },
                "bank-th.json",
            ),
        )
    )
    assert _listed(lists, Kind.PHONE, "+66 2 888 8888") == "bank-th"
    assert _listed(lists, Kind.BANK_ACCOUNT, "KBANK:1234567890") == "bank-th"


@pytest.mark.parametrize(
    ("kind", "entry"),
    [("hostname", "not a host"), ("exact", "nothing at all")],
)
def test_an_entry_that_is_no_value_of_the_list_names_the_file(kind: str, entry: str) -> None:
    data = {"name": "x", "type": kind, "kinds": ["phone", "domain"], "list": [entry]}
    with pytest.raises(InputError, match=r"mine\.json"):
        parse_warning_list(data, "mine.json")
