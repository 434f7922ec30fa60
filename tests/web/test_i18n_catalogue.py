"""The catalogue of the pages: every `_("…")` of a template and every `N_("…")` of the web
application's Python has its Thai and Vietnamese, with the same placeholders; no translation is
left that nothing shows; a page in Thai or Vietnamese shows the translations."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from string import Formatter

import pytest

from bigfish.web import i18n
from tests.web.conftest import WebPartnership

WEB = Path(i18n.__file__).parent
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SOURCES = sorted(p for p in WEB.glob("*.py") if p.name != "i18n.py")  # not the catalogue

#: `_("…")` or `_('…')` (not `N_(`, not a method `x._(`).
TEMPLATE_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\)""")
PYTHON_CALL = re.compile(r"""(?<![\w.])N_\(\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\)""")
#: Any call of `_(` / `N_(`, with a literal or not.
ANY_TEMPLATE_CALL = re.compile(r"(?<![\w.])_\(")
ANY_PYTHON_CALL = re.compile(r"(?<![\w.])N_\(")
#: The variables a template may translate: an error's title and message, which the Python that
#: chose them marked with `N_` (or an exception's message, shown as it is when not a message).
TRANSLATED_VARIABLES = {"_(title)", "_(message)"}


def _literals(files: list[Path], pattern: re.Pattern[str]) -> dict[str, set[str]]:
    """Each message of PATTERN in FILES, with the files it is in."""
    found: dict[str, set[str]] = {}
    for path in files:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            message = match[1] if match[1] is not None else match[2]
            found.setdefault(message, set()).add(path.name)
    return found


def _template_messages() -> dict[str, set[str]]:
    return _literals(TEMPLATES, TEMPLATE_CALL)


def _python_messages() -> dict[str, set[str]]:
    return _literals(SOURCES, PYTHON_CALL)


def _placeholders(text: str) -> Counter[str]:
    return Counter(name for _, name, _, _ in Formatter().parse(text) if name is not None)


def test_the_scan_finds_the_messages() -> None:
    assert len(TEMPLATES) >= 16 and (WEB / "render.py") in SOURCES
    assert {"Overview", "Sign in"} <= set(_template_messages())
    assert "No network here." in _python_messages()


def test_every_call_of_a_template_is_a_literal_or_an_error() -> None:
    """A message passed in a variable would escape the scan: only an error's title and message
    are, and they are marked where the Python chose them."""
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        literal = {m.start() for m in TEMPLATE_CALL.finditer(text)}
        for call in ANY_TEMPLATE_CALL.finditer(text):
            if call.start() not in literal:
                shown = re.match(r"_\(\w+\)", text[call.start() :])
                assert shown is not None and shown[0] in TRANSLATED_VARIABLES, (
                    f"{path.name}: {text[call.start() : call.start() + 60]!r}"
                )


def test_every_mark_of_the_python_is_a_literal() -> None:
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        literal = {m.start() for m in PYTHON_CALL.finditer(text)}
        for call in ANY_PYTHON_CALL.finditer(text):
            where = text[call.start() : call.start() + 60]
            assert call.start() in literal, f"{path.name}: {where!r}"


@pytest.mark.parametrize("language", ["th", "vi"])
def test_every_message_has_its_translation(language: str) -> None:
    table = i18n.CATALOGUE[language]
    shown = _template_messages() | _python_messages()
    missing = {message: files for message, files in shown.items() if message not in table}
    assert not missing, f"messages without a {language} translation: {missing}"
    for message in shown:
        translation = table[message]
        assert translation.strip() and translation == translation.strip(), message
        assert _placeholders(translation) == _placeholders(message), (message, translation)


@pytest.mark.parametrize("language", ["th", "vi"])
def test_no_translation_is_left_unused(language: str) -> None:
    shown = set(_template_messages()) | set(_python_messages())
    unused = sorted(set(i18n.CATALOGUE[language]) - shown)
    assert not unused, f"{language} translations no template or web module uses: {unused}"


def test_each_message_is_in_the_catalogue_once() -> None:
    twice = [m for m, n in Counter(english for english, _, _ in i18n.MESSAGES).items() if n > 1]
    assert not twice
    assert set(i18n.LANGUAGES) == {"en", *i18n.CATALOGUE}


def test_a_message_is_escaped_and_its_values_too() -> None:
    gettext = i18n.page_translator("th")
    assert gettext("Overview") == "ภาพรวม"
    assert gettext("Not a message <b>") == "Not a message &lt;b&gt;"
    english = i18n.page_translator("en")
    assert english("the form's CSRF token is missing or wrong; reload the page").startswith(
        "the form's"
    )
    assert english("Network {id}").format(id="<b>") == "Network &lt;b&gt;"


def test_pages_in_thai(web: WebPartnership) -> None:
    alice = web.clients["A"]
    alice.cookies.set(i18n.LANGUAGE_COOKIE, "th")
    overview = alice.get("/")
    assert overview.status_code == 200
    assert '<html lang="th">' in overview.text
    for thai in (
        "ภาพรวม",
        "ข้ามไปยังเนื้อหา",
        "ทุกหน้าแสดงเฉพาะข้อมูลที่องค์กรของคุณมีสิทธิ์เห็น",
        '<h2 id="trend">รายงานรายเดือน</h2>',
        "ความเสียหายจำแนกตามประเทศของผู้เสียหาย",
        f'<a href="/networks/{web.private_network}">เครือข่าย {web.private_network}</a>',
        '<th scope="col">รูปแบบการหลอกลวง</th>',
    ):
        assert thai in overview.text
    for english in (
        "Skip to content",
        "every page shows only what your organization may see",
        "Reports by month",
        "Top networks",
        ">Typology<",
    ):
        assert english not in overview.text
    ranked = alice.get("/networks?min_countries=5", headers={"hx-request": "true"})
    assert "ไม่มีเครือข่ายที่ตรงกับเงื่อนไข" in ranked.text
    found = alice.get("/search", params={"q": "+66811111111"}).text
    assert (
        "<p>คุณพิมพ์ <code>+66811111111</code> มีรายงานที่คุณมีสิทธิ์เห็น"
        ' <strong class="count">2</strong> ฉบับ จาก A ใน TH' in found
    )
    hostile = alice.get("/search", params={"q": "<b>x"}, headers={"hx-request": "true"}).text
    assert "ไม่พบสิ่งที่เป็นตัวระบุใน “&lt;b&gt;x”" in hostile  # a value is escaped
    evidence = alice.get("/evidence").text
    assert "ไม่มีพยานหลักฐานที่คุณมีสิทธิ์เห็น" in evidence and "No evidence" not in evidence
    missing = alice.get("/networks/999999")
    assert missing.status_code == 404
    assert "<h1>ไม่พบข้อมูล</h1><p>ไม่พบเครือข่ายนี้</p>" in missing.text
    assert "กลับไปหน้าภาพรวม" in missing.text


def test_pages_in_vietnamese(web: WebPartnership) -> None:
    carol = web.clients["C"]
    carol.cookies.set(i18n.LANGUAGE_COOKIE, "vi")
    overview = carol.get("/")
    assert "Tổng quan" in overview.text and "Chuyển đến nội dung chính" in overview.text
    forbidden = carol.post("/logout", data={"csrf_token": "wrong"})
    assert forbidden.status_code == 403
    assert "mã CSRF của biểu mẫu bị thiếu hoặc không đúng; hãy tải lại trang" in forbidden.text
    alice = web.clients["A"]
    alice.cookies.set(i18n.LANGUAGE_COOKIE, "vi")
    network = alice.get(f"/networks/{web.private_network}").text
    assert f"<h1>Mạng lưới {web.private_network}</h1>" in network
    graph = "Đồ thị gồm 2 báo cáo và 1 định danh"
    for vietnamese in ("Xuất STIX 2.1", "Tạo yêu cầu hợp tác", graph):
        assert vietnamese in network
    assert "Export STIX" not in network and "Timeline and losses" not in network
    requests = alice.get("/requests").text  # a macro of the template translates too
    for vietnamese in ("Hộp đến (đã nhận)", '<th scope="col">Căn cứ pháp lý</th>', "Tạo yêu cầu"):
        assert vietnamese in requests
    assert "Legal basis" not in requests and "keep as draft" not in requests


def test_the_english_pages_are_unchanged(web: WebPartnership) -> None:
    alice = web.clients["A"]
    overview = alice.get("/").text
    assert '<a class="skip" href="#main">Skip to content</a>' in overview
    assert "every page shows only what your organization may see</footer>" in overview
    missing = alice.get("/networks/999999").text
    assert "<h1>Not found</h1><p>No network here.</p>" in missing
    assert '<h2 id="bycountry">Losses by victims\' country</h2>' in overview  # not &#39;
    network = alice.get(f"/networks/{web.private_network}").text
    assert f"<h1>Network {web.private_network}</h1>" in network
    assert 'aria-label="Graph of 2 reports and 1 identifiers"' in network
    found = alice.get("/search", params={"q": "+66811111111"}).text
    assert (
        '<p>You typed <code>+66811111111</code>. <strong class="count">2</strong> reports you may'
        " see, from A in TH, first " in found
    )


def test_a_page_refused_for_the_role_says_so_in_the_page_s_language(web: WebPartnership) -> None:
    """Bob (an analyst) posts the admins' form: the message was English under a Thai title."""
    from tests.web.conftest import csrf_of

    bob = web.clients["B"]
    token = csrf_of(bob)
    bob.cookies.set(i18n.LANGUAGE_COOKIE, "th")
    refused = bob.post("/organizations/groups", data={"name": "x", "csrf_token": token})
    assert refused.status_code == 403
    assert "<h1>ไม่มีสิทธิ์เข้าถึง</h1><p>หน้านี้ต้องใช้สิทธิ์ระดับผู้ดูแลระบบ</p>" in refused.text
    bob.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = bob.post("/organizations/groups", data={"name": "x", "csrf_token": token})
    assert "<p>this page needs the admin access level</p>" in english.text
