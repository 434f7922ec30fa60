"""The outgoing guard refuses an internal IPv4 address however an IPv6 address carries it."""

from __future__ import annotations

import pytest

from bigfish.errors import PeerError
from bigfish.webhooks import check_outgoing_url, is_internal


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/latest/meta-data/",  # 6to4 of 169.254.169.254
        "http://[2002:0a00:0001::]/",  # 6to4 of 10.0.0.1
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://2130706433/",  # decimal 127.0.0.1, resolved by the system
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://0/",
    ],
)
def test_internal_addresses_in_any_form_are_refused(url: str) -> None:
    with pytest.raises(PeerError, match="internal address"):
        check_outgoing_url(url, [])


def test_public_addresses_and_their_6to4_forms_pass() -> None:
    assert not is_internal("93.184.216.34")
    assert not is_internal("2002:5db8:d822::1")  # 6to4 of 93.184.216.34
    assert is_internal("2002:c0a8:0101::1")  # 6to4 of 192.168.1.1
    target = check_outgoing_url("https://[2002:5db8:d822::1]/hook", [])
    assert target.addresses == ("2002:5db8:d822::1",)
