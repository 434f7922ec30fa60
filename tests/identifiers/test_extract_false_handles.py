"""What prose, code and messages with colons and equals signs are not: handles. A platform
word tied to a name by ':' or '=' alone made one of code ("x=1", "def f(x: int)", "idx:5"), a
link's query ("?fb=123&ig=abc"), a line number or a time ("line:42", "Telegram: 10:30") and
the sender's prefix of a message ("Facebook: Your page will be deleted…", "Instagram: someone
tried to log in…", "Ragnarok X: Next Generation", all three in data/): every report holding
one was linked to the others by "facebook:your". The spec's extraction finds "@handles next
to a platform name"; a name tied by ':' alone is kept where it can be a handle."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize


def handles(text: str, country: str | None = None) -> list[tuple[str, str]]:
    """(the text found, its canonical form) of each handle extract finds in TEXT."""
    return [
        (text[item.start : item.end], item.identifier.canonical)
        for item in extract(text, country)
        if item.identifier.kind.value == "handle"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "x=1",
        "x:1",
        "Q: 2 A: x:10",
        "def f(x: int) -> int:",
        "x = y + 1",
        "for idx:5",
        "ratio 3:1, x:y",
        "Ragnarok X: Next Generation on the App Store",
        "see ?fb=123&ig=abc&tg=gold",
        "line=line_no,",
        "error at line:42",
        "tg: 12345",
        "Telegram: 10:30 tonight",
        "LINE: 2.5",
        "Facebook: Your page will be deleted for copyright infringement.",
        "Instagram: someone tried to log in to your account",
        "WhatsApp: you have a new message",
        "the bottom line: we lost everything",
    ],
)
def test_prose_and_code_hold_no_handle(text: str) -> None:
    assert handles(text) == []


@pytest.mark.parametrize(
    ("text", "found", "canonical"),
    [
        ("X: @scammer", "X: @scammer", "x:scammer"),
        ("follow x @scam_acc", "x @scam_acc", "x:scam_acc"),
        ("twitter: scam_acc", "twitter: scam_acc", "x:scam_acc"),
        ("Line: eev333", "Line: eev333", "line:eev333"),
        ("LINE : publicloan", "LINE : publicloan", "line:publicloan"),
        ("ผ่าน Line : kdiws", "Line : kdiws", "line:kdiws"),
        ("Add LINE: hr.anna99", "LINE: hr.anna99", "line:hr.anna99"),
        ("ดline id :367697", "line id :367697", "line:367697"),
        ("IDLINE: 1234", "IDLINE: 1234", "line:1234"),
        ("LINE ID=abc", "LINE ID=abc", "line:abc"),
        ("line=@abc", "line=@abc", "line:abc"),
        ("Line ID: @em88 การันตี", "Line ID: @em88", "line:em88"),
        ("LINE: kdiws to claim your prize", "LINE: kdiws", "line:kdiws"),
        ("Liên hệ Telegram: goldvip rồi nhận thưởng", "Telegram: goldvip", "telegram:goldvip"),
        ("Facebook: somchai_gold", "Facebook: somchai_gold", "facebook:somchai_gold"),
        ("tg: 5012345678", "tg: 5012345678", "telegram:5012345678"),
        ("fb: your_page", "fb: your_page", "facebook:your_page"),
    ],
)
def test_a_name_tied_to_a_platform_is_still_a_handle(text: str, found: str, canonical: str) -> None:
    assert handles(text) == [(found, canonical)]


@pytest.mark.parametrize(
    ("text", "country", "canonical"),
    [("LINE: 0812345678", "TH", "+66812345678"), ("WA: 081234567890", "ID", "+6281234567890")],
)
def test_a_phone_account_tied_to_its_platform_is_a_phone(
    text: str, country: str, canonical: str
) -> None:
    assert [item.identifier.canonical for item in extract(text, country)] == [canonical]


@pytest.mark.parametrize("value", ["x:1", "x=scammer", "line:42", "facebook:your"])
def test_normalize_still_reads_what_an_analyst_typed_as_a_handle(value: str) -> None:
    """A handle field says what it holds: normalize reads it as the spec writes it."""
    assert normalize("handle", value).valid
