"""Email addresses: lower case, +tags, Gmail dots."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize

CASES = [
    ("J.Ohn+ref3@GoogleMail.com", "john@gmail.com", "gmail.com"),
    ("john.smith@gmail.com", "johnsmith@gmail.com", "gmail.com"),
    ("J.O.H.N@Gmail.COM", "john@gmail.com", "gmail.com"),
    ("john@googlemail.com", "john@gmail.com", "gmail.com"),
    ("john.smith+spam@example.com", "john.smith@example.com", "example.com"),
    ("Support@Invest-Gold88.com", "support@invest-gold88.com", "invest-gold88.com"),
    ("a.b@mail.example.co.th", "a.b@mail.example.co.th", "example.co.th"),
    ("mailto:agent@example.com", "agent@example.com", "example.com"),
    ("mailto:agent@example.com?subject=hi", "agent@example.com", "example.com"),
    ("<agent@example.com>", "agent@example.com", "example.com"),
    ("agent@example.com.", "agent@example.com", "example.com"),
    ("agent[@]example[.]com", "agent@example.com", "example.com"),
    ("agent[at]example[.]com", "agent@example.com", "example.com"),
    ("agent(at)example(.)com", "agent@example.com", "example.com"),
    ("agent@ธนาคาร.com", "agent@xn--42c3bd5b5db.com", "xn--42c3bd5b5db.com"),
    ("ａｇｅｎｔ＠ｅｘａｍｐｌｅ．ｃｏｍ", "agent@example.com", "example.com"),
    ("agent@EXAMPLE.com", "agent@example.com", "example.com"),
    ("first_last@example.org", "first_last@example.org", "example.org"),
    ("o'brien@example.ie", "o'brien@example.ie", "example.ie"),
    ("1234567@qq.com", "1234567@qq.com", "qq.com"),
    ("scam.er@yahoo.co.th", "scam.er@yahoo.co.th", "yahoo.co.th"),
    ("x@hotmail.com", "x@hotmail.com", "hotmail.com"),
    ("x+y+z@outlook.com", "x@outlook.com", "outlook.com"),
    ("nguyen.van.a@gmail.com", "nguyenvana@gmail.com", "gmail.com"),
    ("agent@sub.domain.example.com.vn", "agent@sub.domain.example.com.vn", "example.com.vn"),
    ("user@mail.ru", "user@mail.ru", "mail.ru"),
    ("\u200bagent@example.com\u200b", "agent@example.com", "example.com"),
    (" Agent@Example.com ; ", "agent@example.com", "example.com"),
    ("g.m.a.i.l@googlemail.com", "gmail@gmail.com", "gmail.com"),
    ("finance-dept@company.co.uk", "finance-dept@company.co.uk", "company.co.uk"),
]


@pytest.mark.parametrize(("value", "canonical", "domain"), CASES)
def test_email_forms(value: str, canonical: str, domain: str) -> None:
    identifier = normalize("email", value)
    assert identifier.valid, identifier.error
    assert (identifier.canonical, identifier.domain) == (canonical, domain)


INVALID = [
    ("no-at-sign.example.com", "exactly one"),
    ("two@@example.com", "exactly one"),
    ("a@b@example.com", "exactly one"),
    ("agent@localhost", "dot"),
    ("+tag@example.com", "empty"),
    ("@example.com", "empty"),
    ("agent@", "domain"),
    ("agent@192.0.2.1", "dot"),
    ("ag ent@example.com", "malformed"),
    ("...@gmail.com", "empty"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_invalid_emails_say_why(value: str, reason: str) -> None:
    identifier = normalize("email", value)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
