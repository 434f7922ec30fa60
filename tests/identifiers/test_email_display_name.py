"""An address as mail clients show a sender, "Display Name <address>", is the address: it was
invalid ("the part before '@' is empty or malformed"), so a report's email column copied from
a mail header never linked. A display name that is itself an address is not the address."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("John Doe <J.Ohn+ref3@GoogleMail.com>", "john@gmail.com"),
        ('"Kasikorn Support" <support@kbank-th.com>', "support@kbank-th.com"),
        ('"support@kasikornbank.com" <agent@evil-mail.com>', "agent@evil-mail.com"),
        ("ฝ่ายบริการลูกค้า <cs@invest-gold88.com>", "cs@invest-gold88.com"),
        ("Ngân hàng < hotro@vcb-online.net >", "hotro@vcb-online.net"),
        ("Agent <mailto:agent@example.com>", "agent@example.com"),
    ],
)
def test_a_display_name_before_the_address_is_dropped(value: str, canonical: str) -> None:
    identifier = normalize("email", value)
    assert (identifier.canonical, identifier.valid, identifier.error) == (canonical, True, None)


@pytest.mark.parametrize(
    "value", ["John <>", "John <john>", "<a@b.com> <c@d.com>", "a <b <c@d.com>>"]
)
def test_a_display_name_without_one_address_stays_invalid(value: str) -> None:
    identifier = normalize("email", value)
    assert not identifier.valid
    assert identifier.error
