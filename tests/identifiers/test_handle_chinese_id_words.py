"""A WeChat or LINE ID as Chinese narratives write it: "微信号：wxid_abc" (号, "number", is
the ID; 账号 "account"). Only "ID" and Thai "ไอดี" tied a name to the platform word, so the
commonest way a Chinese victim names a scammer's WeChat was found nowhere, and `normalize`
refused the value ("no platform")."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize


@pytest.mark.parametrize(
    ("text", "written", "canonical"),
    [
        ("对方让我加微信号：wxid_abc123，然后", "微信号：wxid_abc123", "wechat:wxid_abc123"),
        ("微信号 abc_888", "微信号 abc_888", "wechat:abc_888"),
        ("微信帳號: Gold88", "微信帳號: Gold88", "wechat:gold88"),
        ("微信账号：gold88", "微信账号：gold88", "wechat:gold88"),
        ("LINE号：invest_th", "LINE号：invest_th", "line:invest_th"),
        ("Telegram號@Gold_Mentor", "Telegram號@Gold_Mentor", "telegram:gold_mentor"),
    ],
)
def test_a_chinese_id_word_ties_the_name_to_the_platform(
    text: str, written: str, canonical: str
) -> None:
    found = [(text[i.start : i.end], i.identifier.canonical) for i in extract(text)]
    assert found == [(written, canonical)]
    assert normalize("handle", written).canonical == canonical


def test_a_platform_word_alone_before_a_name_is_still_no_handle() -> None:
    assert extract("微信abc123456") == []
