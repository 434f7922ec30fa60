# ruff: noqa: E501  (one narrative per line)
"""Extraction from free text in many languages, including the real Thai scam SMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.identifiers import extract, normalize
from bigfish.models import Kind

MESSAGES = Path(__file__).resolve().parents[2] / "data" / "messages"


def found(text: str, country: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (
            item.identifier.canonical_kind.value,
            text[item.start : item.end],
            item.identifier.canonical,
        )
        for item in extract(text, country)
    ]


CASES = [
    # Thai: no spaces around identifiers, LINE IDs, lin.ee / line.me links, shorteners
    ("โทร0812345678ครับ", "TH", [("phone", "0812345678", "+66812345678")]),
    ("โทร ๐๘๑-๒๓๔-๕๖๗๘ ด่วน", "TH", [("phone", "๐๘๑-๒๓๔-๕๖๗๘", "+66812345678")]),
    (
        "ติดต่อ เบอร์โทร 0855594580 LINE ID: w2659",
        "TH",
        [("phone", "0855594580", "+66855594580"), ("handle", "LINE ID: w2659", "line:w2659")],
    ),
    ("UFAYBO รับทันที 100บาท แอดไลน์ @yabohappy", "TH", [("handle", "ไลน์ @yabohappy", "line:yabohappy")]),
    ("สนใจติดต่อ@LINE：i1d5", "TH", [("handle", "LINE：i1d5", "line:i1d5")]),
    ("ยินดีด้วยรับโควต้า130,000บาทคลิก IDLINE:   srisawad-z1", "TH", [("handle", "IDLINE:   srisawad-z1", "line:srisawad-z1")]),
    ("คุณสามารถกู้ 230,000 บาท คลิ๊ก:line.me/ti/p/6ng785zcEw", "TH", [("url", "line.me/ti/p/6ng785zcEw", "line.me/ti/p/6ng785zcEw")]),
    ("งานพิเศษคลิกhttps//line.me/ti/p/yBY2ZbGg0c", "TH", [("url", "https//line.me/ti/p/yBY2ZbGg0c", "line.me/ti/p/yBY2ZbGg0c")]),
    ("ฟรีเครดิต 200฿ คลิก https://lin.ee/BvuGAMv เว็บใหญ่", "TH", [("url", "https://lin.ee/BvuGAMv", "lin.ee/BvuGAMv")]),
    ("เเจกฟรี39บาท bit.ly/383J9cE", "TH", [("url", "bit.ly/383J9cE", "bit.ly/383J9cE")]),
    ("แอดไลน์ :bit.ly/3CnEwXo", "TH", [("url", "bit.ly/3CnEwXo", "bit.ly/3CnEwXo")]),
    ("line : @game24th 📲คลิก : https://lin.ee/izsMgjl", "TH", [("handle", "line : @game24th", "line:game24th"), ("url", "https://lin.ee/izsMgjl", "lin.ee/izsMgjl")]),
    # Vietnamese
    ("Liên hệ Zalo 0912 345 678 hoặc ví USDT TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL.", "VN", [("phone", "0912 345 678", "+84912345678"), ("crypto_wallet", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL")]),
    ("Chuyển khoản vào web hxxps://dautu-vang[.]vn/dangky nhé!", "VN", [("url", "hxxps://dautu-vang[.]vn/dangky", "dautu-vang.vn/dangky")]),
    # Malay
    ("Sila hubungi 012-345 6789 atau WhatsApp wa.me/60123456789 segera.", "MY", [("phone", "012-345 6789", "+60123456789"), ("phone", "wa.me/60123456789", "+60123456789")]),
    # Indonesian
    ("Hubungi kami di 0812-3456-789 atau Telegram @investasi_emas", "ID", [("phone", "0812-3456-789", "+628123456789"), ("handle", "Telegram @investasi_emas", "telegram:investasi_emas")]),
    # Tagalog
    ("Tumawag sa 0917 123 4567 o mag-email sa juan.dela.cruz+promo@gmail.com.", "PH", [("phone", "0917 123 4567", "+639171234567"), ("email", "juan.dela.cruz+promo@gmail.com", "juandelacruz@gmail.com")]),
    # Arabic with Arabic-Indic digits
    ("اتصل على ٠٥٠١٢٣٤٥٦٧ أو زر الموقع https://example-invest.ae/ar", "AE", [("phone", "٠٥٠١٢٣٤٥٦٧", "+971501234567"), ("url", "https://example-invest.ae/ar", "example-invest.ae/ar")]),
    # English
    ("Send USDT to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, then IBAN GB82 WEST 1234 5698 7654 32 and email support@invest-gold88.com.", "GB", [("crypto_wallet", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), ("bank_account", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"), ("email", "support@invest-gold88.com", "support@invest-gold88.com")]),
    ("Join t.me/Gold_Mentor_88 or call +44 (0)20 7946 0958.", None, [("handle", "t.me/Gold_Mentor_88", "telegram:gold_mentor_88"), ("phone", "+44 (0)20 7946 0958", "+442079460958")]),
    ("Link: hxxps[:]//evil(.)com/x?utm_source=a&b=1.", None, [("url", "hxxps[:]//evil(.)com/x?utm_source=a&b=1", "evil.com/x?b=1")]),
    ("BTC bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 or (www.example.co.th)", None, [("crypto_wallet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"), ("url", "www.example.co.th", "example.co.th/")]),
    ("hidden 081\u200b234\u200b5678 number", "TH", [("phone", "081\u200b234\u200b5678", "+66812345678")]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "country", "expected"), CASES)
def test_extraction(text: str, country: str | None, expected: list[tuple[str, str, str]]) -> None:
    assert found(text, country) == expected


NOTHING = [
    ("ฝาก500.00บ.เข้าบ/ชXX3784เหลือ2,244.35บ.12/09/19@18:05", "TH"),
    ("ยอดรวมที่ต้องชำระ 726.52 บ. กำหนดชำระ 03/07/2565", "TH"),
    ("รายได้ต่อวัน 1000-7000 บาท", "TH"),
    ("You have been charged 100.00 Baht for LINE Store Top up fee", "TH"),
    ("พัสดุ680434942644 จัดส่งสำเร็จแล้ว", "TH"),
    ("lookupandgone@gm... ลงชื่อเข้าใช้", "TH"),
    ("call 0812345678 tomorrow", None),
    ("e.g. the file report.pdf at 3.5 percent", "GB"),
]


@pytest.mark.parametrize(("text", "country"), NOTHING)
def test_no_false_positives(text: str, country: str | None) -> None:
    assert found(text, country) == []


def test_offsets_index_the_original_text() -> None:
    text = "ﾃｽﾄ ０８１２３４５６７８ ｈｔｔｐｓ://bit.ly/x"
    for item in extract(text, "TH"):
        assert item.identifier.value == text[item.start : item.end]


def _messages() -> list[str]:
    lines: list[str] = []
    for path in sorted(MESSAGES.glob("thai-sms-*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            lines.append(line.partition("|")[2])
    return lines


def test_real_thai_sms_extraction_is_valid_and_finds_the_scam_assets() -> None:
    messages = _messages()
    assert len(messages) > 1000
    kinds: dict[Kind, int] = {}
    for text in messages:
        for item in extract(text, "TH"):
            identifier = item.identifier
            assert identifier.valid and identifier.value == text[item.start : item.end]
            again = normalize(identifier.kind, identifier.value, "TH")
            assert again.canonical == identifier.canonical
            kinds[identifier.canonical_kind] = kinds.get(identifier.canonical_kind, 0) + 1
    assert kinds[Kind.URL] > 300
    assert kinds[Kind.PHONE] > 50
    assert kinds[Kind.HANDLE] > 20


def test_a_bank_account_after_its_bank_label_is_not_a_phone() -> None:
    found = extract("โอนเข้า KBANK: 075-5-61396-5 แล้วโทร 081-234-5678", "TH")
    assert [f.identifier.canonical for f in found] == ["+66812345678"]


def test_a_phone_after_a_phone_label_is_still_a_phone() -> None:
    assert [f.identifier.canonical for f in extract("TEL: 0812345678", "TH")] == ["+66812345678"]


def test_phones_separated_by_spaces_are_each_found() -> None:
    """Review finding: a run of numbers separated by spaces lost every second number (the
    first number was taken from the run's prefix and the scan went on after the whole run)."""
    text = "scammer numbers: 0812345678 0899999999 0877777777 0866666666"
    assert [f.identifier.canonical for f in extract(text, "TH")] == [
        "+66812345678",
        "+66899999999",
        "+66877777777",
        "+66866666666",
    ]
    assert [f.identifier.canonical for f in extract("call 081 234 5678 now", "TH")] == [
        "+66812345678"
    ]
