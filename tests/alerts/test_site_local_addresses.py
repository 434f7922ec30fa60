"""IPv6 site-local addresses (fec0::/10, the private range before unique local addresses, still
routed on networks that kept them) are internal: a webhook may not reach them unless allowed."""

from __future__ import annotations

import pytest

from bigfish.errors import InputError, PeerError
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.webhooks import add_webhook, allow_peer, check_outgoing_url, is_internal


@pytest.mark.parametrize("address", ["fec0::1", "fec0:0:0:ffff::1", "fed0::5", "feff::ffff"])
def test_site_local_addresses_are_internal(address: str) -> None:
    assert is_internal(address)


def test_a_name_resolving_to_a_site_local_address_is_refused() -> None:
    with pytest.raises(PeerError, match=r"internal address fec0::a"):
        check_outgoing_url("https://hooks.example.net/in", [], lambda host, port: ["fec0::a"])


def test_a_site_local_address_is_refused_at_registration_unless_allowed(
    sqlite_store: Store,
) -> None:
    org = add_org(sqlite_store, "BankA").id
    with pytest.raises(InputError, match="internal address") as refused:
        add_webhook(sqlite_store, org, "http://[fec0::7]:8080/hook")
    assert refused.value.field == "url"
    allow_peer(sqlite_store, "http://[fec0::7]:8080")
    hook, _ = add_webhook(sqlite_store, org, "http://[fec0::7]:8080/hook")
    assert hook.url == "http://[fec0::7]:8080/hook"
    target = check_outgoing_url(hook.url, ["http://[fec0::7]:8080"])
    assert target.addresses == ("fec0::7",)


def test_addresses_next_to_the_site_local_range_are_as_before() -> None:
    assert is_internal("febf::1")  # link-local, the range just below
    assert not is_internal("2001:4860:4860::8888")
