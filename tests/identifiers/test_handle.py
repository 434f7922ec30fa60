"""Messaging handles: platform:name, aliases, labelled forms, profile links of each platform."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize
from bigfish.models import Kind

CASES = [
    ("https://t.me/Gold_Mentor_88", "telegram:gold_mentor_88"),
    ("telegram:@Gold_Mentor_88", "telegram:gold_mentor_88"),
    ("tg:GoldMentor", "telegram:goldmentor"),
    ("Telegram @GoldMentor", "telegram:goldmentor"),
    ("t.me/GoldMentor", "telegram:goldmentor"),
    ("https://telegram.me/GoldMentor/", "telegram:goldmentor"),
    ("line:@yabohappy", "line:yabohappy"),
    ("LINE ID: w2659", "line:w2659"),
    ("Line: atenaa1", "line:atenaa1"),
    ("line : @game24th", "line:game24th"),
    ("IDLINE:   srisawad-z1", "line:srisawad-z1"),
    ("ID Line: eev333", "line:eev333"),
    ("ไลน์ @yabohappy", "line:yabohappy"),
    ("ไลน์ ID：12121245780", "line:12121245780"),
    ("LINE：i1d5", "line:i1d5"),
    ("https://line.me/ti/p/~W2659", "line:w2659"),
    ("line.me/R/ti/p/@em199", "line:em199"),
    ("facebook:Gold.Profit.TH", "facebook:gold.profit.th"),
    ("fb:gold.profit.th", "facebook:gold.profit.th"),
    ("https://www.facebook.com/Gold.Profit.TH", "facebook:gold.profit.th"),
    ("instagram:@Invest.Queen", "instagram:invest.queen"),
    ("ig:invest.queen", "instagram:invest.queen"),
    ("https://instagram.com/invest.queen", "instagram:invest.queen"),
    ("tiktok:@RichAunty", "tiktok:richaunty"),
    ("https://www.tiktok.com/@RichAunty?lang=th", "tiktok:richaunty"),
    ("twitter:@CryptoKing", "x:cryptoking"),
    ("x:CryptoKing", "x:cryptoking"),
    ("https://twitter.com/CryptoKing", "x:cryptoking"),
    ("wechat:wxid_abc123", "wechat:wxid_abc123"),
    ("WeChat ID: lucky_88", "wechat:lucky_88"),
    ("kakaotalk:goldking", "kakaotalk:goldking"),
    ("Kakao ID: goldking", "kakaotalk:goldking"),
    ("zalo:shop.vn", "zalo:shop.vn"),
    ("signal:rich.01", "signal:rich.01"),
    ("viber:goldteam", "viber:goldteam"),
]


@pytest.mark.parametrize(("value", "canonical"), CASES)
def test_handles(value: str, canonical: str) -> None:
    identifier = normalize("handle", value)
    assert identifier.valid, identifier.error
    assert (identifier.canonical_kind, identifier.canonical) == (Kind.HANDLE, canonical)


PHONES = [
    ("whatsapp:+66812345678", None, "+66812345678"),
    ("WhatsApp: 081 234 5678", "TH", "+66812345678"),
    ("https://wa.me/66812345678", None, "+66812345678"),
    ("viber:+84912345678", None, "+84912345678"),
    ("zalo:0912345678", "VN", "+84912345678"),
    ("line:0812345678", "TH", "+66812345678"),
]


@pytest.mark.parametrize(("value", "country", "canonical"), PHONES)
def test_phone_accounts_become_phones(value: str, country: str | None, canonical: str) -> None:
    identifier = normalize("handle", value, country)
    assert identifier.valid, identifier.error
    assert (identifier.canonical_kind, identifier.canonical) == (Kind.PHONE, canonical)


INVALID = [
    ("@nameonly", "no platform"),
    ("myspace:someone", "no platform"),
    ("telegram:", "empty"),
    ("telegram:bad name", "letters"),
    ("line:ชื่อไทย", "letters"),
    ("whatsapp:+999", "phone"),
    ("https://example.com/profile", "not a messaging profile"),
    ("https://t.me/joinchat/AbCd", "not a messaging profile"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_invalid_handles_say_why(value: str, reason: str) -> None:
    identifier = normalize("handle", value)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
