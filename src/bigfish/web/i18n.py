"""A gettext-style catalogue of the web application's strings: English first, Thai and Vietnamese
for the navigation and the most used labels.

Templates call `_("Overview")`; a string missing from a language falls back to English. The
language comes from the `bigfish_lang` cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES: dict[str, str] = {"en": "English", "th": "ไทย", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "bigfish_lang"

CATALOGUE: dict[str, dict[str, str]] = {
    "th": {
        "Overview": "ภาพรวม",
        "Big fish": "เครือข่ายใหญ่",
        "Search": "ค้นหา",
        "Reports": "รายงาน",
        "Alerts": "การแจ้งเตือน",
        "Requests": "คำขอความร่วมมือ",
        "Evidence": "พยานหลักฐาน",
        "Organizations": "องค์กร",
        "Sign in": "เข้าสู่ระบบ",
        "Sign out": "ออกจากระบบ",
        "Username": "ชื่อผู้ใช้",
        "Password": "รหัสผ่าน",
        "Language": "ภาษา",
        "Losses (USD)": "ความเสียหาย (ดอลลาร์สหรัฐ)",
        "Networks": "เครือข่าย",
        "Countries": "ประเทศ",
        "Since yesterday": "ตั้งแต่เมื่อวาน",
        "Network": "เครือข่าย",
        "Filter": "กรอง",
        "Look up": "ตรวจสอบ",
    },
    "vi": {
        "Overview": "Tổng quan",
        "Big fish": "Mạng lưới lớn",
        "Search": "Tìm kiếm",
        "Reports": "Báo cáo",
        "Alerts": "Cảnh báo",
        "Requests": "Yêu cầu hợp tác",
        "Evidence": "Chứng cứ",
        "Organizations": "Tổ chức",
        "Sign in": "Đăng nhập",
        "Sign out": "Đăng xuất",
        "Username": "Tên người dùng",
        "Password": "Mật khẩu",
        "Language": "Ngôn ngữ",
        "Losses (USD)": "Thiệt hại (USD)",
        "Networks": "Mạng lưới",
        "Countries": "Quốc gia",
        "Since yesterday": "Từ hôm qua",
        "Network": "Mạng lưới",
        "Filter": "Lọc",
        "Look up": "Tra cứu",
    },
}


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The language to show: the cookie's when known, else the first known of Accept-Language."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def translator(language: str) -> Callable[[str], str]:
    """The `_` of LANGUAGE: the translation of a message, or the English message itself."""
    table = CATALOGUE.get(language, {})

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext
