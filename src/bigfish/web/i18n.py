"""A gettext-style catalogue of the web application's strings: every fixed text of the pages
(headings, labels, buttons, table headers, help texts, empty states, error pages) in English,
Thai and Vietnamese. Data (organization names, identifiers, report text, numbers, the values of
the vocabularies) is never translated.

Templates call `_("Overview")`; a message with values names them: `_("Network {id}")
.format(id=n.id)`. In a template `_` gives markup (the text escaped), so `.format` escapes every
value it is given except markup (a `{% set %}` block: `<code>…</code>`). Python marks a message
with `N_("…")` where it is written and translates it where it is shown. A message missing from
a language falls back to English; tests/web/test_i18n_catalogue.py finds every `_("…")` and
`N_("…")` and fails on one without its translations, and on a translation no page uses.

The language comes from the `bigfish_lang` cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

LANGUAGES: dict[str, str] = {"en": "English", "th": "ไทย", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "bigfish_lang"

#: Every message of the pages: (English, Thai, Vietnamese), grouped by where it is first shown.
MESSAGES: tuple[tuple[str, str, str], ...] = (
    # The navigation and the frame of every page (base.html)
    ("Overview", "ภาพรวม", "Tổng quan"),
    ("Big fish", "เครือข่ายใหญ่", "Mạng lưới lớn"),
    ("Search", "ค้นหา", "Tìm kiếm"),
    ("Alerts", "การแจ้งเตือน", "Cảnh báo"),
    ("Requests", "คำขอความร่วมมือ", "Yêu cầu hợp tác"),
    ("Evidence", "พยานหลักฐาน", "Chứng cứ"),
    ("Organizations", "องค์กร", "Tổ chức"),
    ("Skip to content", "ข้ามไปยังเนื้อหา", "Chuyển đến nội dung chính"),
    ("Main", "เมนูหลัก", "Điều hướng chính"),
    ("Language", "ภาษา", "Ngôn ngữ"),
    ("OK", "ตกลง", "Đồng ý"),
    ("Sign out", "ออกจากระบบ", "Đăng xuất"),
    (
        "every page shows only what your organization may see",
        "ทุกหน้าแสดงเฉพาะข้อมูลที่องค์กรของคุณมีสิทธิ์เห็น",
        "mỗi trang chỉ hiển thị những gì tổ chức của bạn được phép xem",
    ),
    # Labels of several pages
    ("Reports", "รายงาน", "Báo cáo"),
    ("Losses (USD)", "ความเสียหาย (ดอลลาร์สหรัฐ)", "Thiệt hại (USD)"),
    ("Networks", "เครือข่าย", "Mạng lưới"),
    ("Countries", "ประเทศ", "Quốc gia"),
    ("Since yesterday", "ตั้งแต่เมื่อวาน", "Từ hôm qua"),
    ("Filter", "กรอง", "Lọc"),
    ("Look up", "ตรวจสอบ", "Tra cứu"),
    ("Next page", "หน้าถัดไป", "Trang sau"),
    ("First page", "หน้าแรก", "Trang đầu"),
    ("Country", "ประเทศ", "Quốc gia"),
    ("Organization", "องค์กร", "Tổ chức"),
    ("Report", "รายงาน", "Báo cáo"),
    ("Reported", "วันที่รายงาน", "Ngày báo cáo"),
    ("Typology", "รูปแบบการหลอกลวง", "Loại hình lừa đảo"),
    ("Loss (USD)", "ความเสียหาย (ดอลลาร์สหรัฐ)", "Thiệt hại (USD)"),
    (
        "The {shown} newest of them are listed.",
        "แสดงเฉพาะ {shown} รายงานล่าสุด",
        "Chỉ liệt kê {shown} báo cáo mới nhất.",
    ),
    (
        "Does not link: shared infrastructure ({why}). The networks listed hold reports that"
        " mention it; it joins none of them.",
        "ไม่เชื่อมโยง: เป็นโครงสร้างพื้นฐานที่ใช้ร่วมกัน ({why}) เครือข่ายที่แสดงมีรายงานที่กล่าวถึงค่านี้"
        " แต่ค่านี้ไม่ได้เชื่อมเครือข่ายใดเข้าด้วยกัน",
        "Không liên kết: hạ tầng dùng chung ({why}). Các mạng lưới được liệt kê chứa báo cáo nhắc"
        " đến giá trị này; giá trị này không nối mạng lưới nào.",
    ),
    (
        "+ {count} report(s) in {currency}, no exchange rate",
        "+ {count} รายงานเป็น {currency} ไม่มีอัตราแลกเปลี่ยน",
        "+ {count} báo cáo bằng {currency}, không có tỷ giá",
    ),
    (
        "+ {amount} {currency} in {count} report(s), no exchange rate",
        "+ {amount} {currency} ใน {count} รายงาน ไม่มีอัตราแลกเปลี่ยน",
        "+ {amount} {currency} trong {count} báo cáo, không có tỷ giá",
    ),
    ("Network {id}", "เครือข่าย {id}", "Mạng lưới {id}"),
    ("Key figures", "ตัวเลขสำคัญ", "Số liệu chính"),
    # The overview (overview.html)
    (
        "As of {time} UTC: newer reports are being counted; reload in a moment.",
        "ข้อมูล ณ เวลา {time} UTC: กำลังนับรวมรายงานที่เข้ามาใหม่ โปรดโหลดหน้านี้ใหม่ในอีกสักครู่",
        "Số liệu tính đến {time} UTC: các báo cáo mới hơn đang được tính;"
        " hãy tải lại trang sau giây lát.",
    ),
    (
        "{reports} new reports, {losses} in losses, {networks} networks with new reports.",
        "รายงานใหม่ {reports} ฉบับ ความเสียหาย {losses} และ {networks} เครือข่ายที่มีรายงานใหม่",
        "{reports} báo cáo mới, thiệt hại {losses}, {networks} mạng lưới có báo cáo mới.",
    ),
    ("Reports by month", "รายงานรายเดือน", "Báo cáo theo tháng"),
    (
        "{month}: {reports} reports, {losses}",
        "{month}: รายงาน {reports} ฉบับ, {losses}",
        "{month}: {reports} báo cáo, {losses}",
    ),
    (
        "Losses by victims' country",
        "ความเสียหายจำแนกตามประเทศของผู้เสียหาย",
        "Thiệt hại theo quốc gia của nạn nhân",
    ),
    ("Top networks", "เครือข่ายอันดับต้น", "Các mạng lưới hàng đầu"),
    ("All networks", "เครือข่ายทั้งหมด", "Tất cả mạng lưới"),
    # The big fish: networks ranked (networks.html, networks_results.html, _networks_table.html)
    ("Networks ranked by score", "เครือข่ายเรียงตามคะแนน", "Các mạng lưới xếp hạng theo điểm"),
    ("Score", "คะแนน", "Điểm"),
    ("Seen", "ช่วงที่พบ", "Thời gian ghi nhận"),
    ("No network matches.", "ไม่มีเครือข่ายที่ตรงกับเงื่อนไข", "Không có mạng lưới nào phù hợp."),
    ("any", "ทั้งหมด", "tất cả"),
    ("Period", "ช่วงเวลา", "Khoảng thời gian"),
    ("2025 or 2025-01..2025-06", "2025 หรือ 2025-01..2025-06", "2025 hoặc 2025-01..2025-06"),
    ("Minimum countries", "จำนวนประเทศขั้นต่ำ", "Số quốc gia tối thiểu"),
    (
        "Ranking as of {time} UTC: newer reports are being counted; reload in a moment.",
        "การจัดอันดับ ณ เวลา {time} UTC: กำลังนับรวมรายงานที่เข้ามาใหม่ โปรดโหลดหน้านี้ใหม่ในอีกสักครู่",
        "Xếp hạng tính đến {time} UTC: các báo cáo mới hơn đang được tính;"
        " hãy tải lại trang sau giây lát.",
    ),
    ("Pages", "การแบ่งหน้า", "Phân trang"),
    ("Previous", "ก่อนหน้า", "Trước"),
    ("Next", "ถัดไป", "Tiếp"),
    # One network (network.html)
    (
        "Network {id} was merged into this one.",
        "เครือข่าย {id} ถูกรวมเข้ากับเครือข่ายนี้แล้ว",
        "Mạng lưới {id} đã được gộp vào mạng lưới này.",
    ),
    ("score", "คะแนน", "điểm"),
    ("Export STIX 2.1", "ส่งออก STIX 2.1", "Xuất STIX 2.1"),
    ("Export MISP", "ส่งออก MISP", "Xuất MISP"),
    ("Export CSV", "ส่งออก CSV", "Xuất CSV"),
    ("Export Excel (.xlsx)", "ส่งออก Excel (.xlsx)", "Xuất Excel (.xlsx)"),
    ("Create a cooperation request", "สร้างคำขอความร่วมมือ", "Tạo yêu cầu hợp tác"),
    ("Graph", "กราฟ", "Đồ thị"),
    (
        "Reports are circles coloured by country, identifiers are diamonds (key identifiers"
        " larger). Click a report to expand all its identifiers; click an identifier to see which"
        " reports it joins.",
        "รายงานแสดงเป็นวงกลมที่มีสีตามประเทศ ตัวระบุแสดงเป็นรูปข้าวหลามตัด (ตัวระบุสำคัญมีขนาดใหญ่กว่า)"
        " คลิกรายงานเพื่อแสดงตัวระบุทั้งหมดของรายงานนั้น คลิกตัวระบุเพื่อดูว่าตัวระบุนั้นเชื่อมโยงรายงานใดบ้าง",
        "Báo cáo là các hình tròn tô màu theo quốc gia, định danh là các hình thoi (định danh then"
        " chốt lớn hơn). Nhấp vào một báo cáo để hiện tất cả định danh của báo cáo đó; nhấp vào một"
        " định danh để xem định danh đó liên kết những báo cáo nào.",
    ),
    (
        "Graph of {reports} reports and {identifiers} identifiers",
        "กราฟของรายงาน {reports} ฉบับและตัวระบุ {identifiers} รายการ",
        "Đồ thị gồm {reports} báo cáo và {identifiers} định danh",
    ),
    ("Explanation", "คำอธิบาย", "Giải thích"),
    ("Select a node of the graph.", "เลือกโหนดในกราฟ", "Hãy chọn một nút trên đồ thị."),
    ("Key identifiers", "ตัวระบุสำคัญ", "Định danh then chốt"),
    ("joins {count} reports", "เชื่อมโยงรายงาน {count} ฉบับ", "liên kết {count} báo cáo"),
    (
        "Which identifier joins which reports",
        "ตัวระบุใดเชื่อมโยงรายงานใดบ้าง",
        "Định danh nào liên kết những báo cáo nào",
    ),
    ("Values that do not link", "ค่าที่ไม่นำมาเชื่อมโยง", "Các giá trị không dùng để liên kết"),
    ("Timeline and losses", "ลำดับเวลาและความเสียหาย", "Dòng thời gian và thiệt hại"),
    # Search (search.html, search_results.html)
    (
        "Identifier, in any form (phone, URL, account, wallet, handle, email)",
        "ตัวระบุในรูปแบบใดก็ได้ (เบอร์โทรศัพท์ URL บัญชีธนาคาร กระเป๋าเงินคริปโต ชื่อบัญชีโซเชียล อีเมล)",
        "Định danh ở bất kỳ dạng nào (số điện thoại, URL, tài khoản ngân hàng, ví tiền mã hóa,"
        " tài khoản mạng xã hội, email)",
    ),
    ("Kind", "ประเภท", "Loại"),
    ("guess", "ระบุอัตโนมัติ", "tự nhận diện"),
    (
        "Country of a local number",
        "ประเทศของเบอร์โทรศัพท์ภายในประเทศ",
        "Quốc gia của số điện thoại nội địa",
    ),
    (
        "Nothing in “{query}” reads as an identifier.",
        "ไม่พบสิ่งที่เป็นตัวระบุใน “{query}”",
        "Không có gì trong “{query}” được nhận diện là định danh.",
    ),
    (
        "“{query}” is a phone number only with its country: choose the country of a local "
        "number above and look it up again.",
        "“{query}” เป็นเบอร์โทรศัพท์ได้เมื่อระบุประเทศเท่านั้น: เลือกประเทศของเบอร์โทรศัพท์ภายในประเทศ"
        "ด้านบนแล้วค้นหาอีกครั้ง",
        "“{query}” chỉ là số điện thoại khi có quốc gia: chọn quốc gia của số điện thoại nội địa "
        "ở trên rồi tra cứu lại.",
    ),
    ("not a valid {kind}", "ไม่ใช่ {kind} ที่ถูกต้อง", "không phải {kind} hợp lệ"),
    ("You typed {value}.", "คุณพิมพ์ {value}", "Bạn đã nhập {value}."),
    (
        "{count} reports you may see.",
        "มีรายงานที่คุณมีสิทธิ์เห็น {count} ฉบับ",
        "Có {count} báo cáo bạn được phép xem.",
    ),
    (
        "{count} reports you may see, from {organizations} in {countries}, first {first},"
        " last {last}.",
        "มีรายงานที่คุณมีสิทธิ์เห็น {count} ฉบับ จาก {organizations} ใน {countries}"
        " พบครั้งแรก {first} ครั้งล่าสุด {last}",
        "Có {count} báo cáo bạn được phép xem, từ {organizations} tại {countries},"
        " lần đầu {first}, lần cuối {last}.",
    ),
    # One report (report.html)
    ("Report {id}", "รายงาน {id}", "Báo cáo {id}"),
    ("Victim's country", "ประเทศของผู้เสียหาย", "Quốc gia của nạn nhân"),
    ("Channel", "ช่องทาง", "Kênh"),
    ("Loss", "ความเสียหาย", "Thiệt hại"),
    ("Marking", "ระดับการเผยแพร่", "Mức chia sẻ"),
    ("Narrative", "คำบอกเล่าเหตุการณ์", "Nội dung tường trình"),
    ("Identifiers", "ตัวระบุ", "Định danh"),
    ("Canonical", "รูปแบบมาตรฐาน", "Dạng chuẩn hóa"),
    ("As written", "ตามที่เขียนไว้", "Như đã ghi"),
    ("From", "จาก", "Từ"),
    ("invalid", "ไม่ถูกต้อง", "không hợp lệ"),
    ("search", "ค้นหา", "tìm kiếm"),
    # Alerts (alerts.html)
    (
        "Reports of other organizations that mention an identifier your organization holds.",
        "รายงานขององค์กรอื่นที่กล่าวถึงตัวระบุซึ่งองค์กรของคุณมีอยู่",
        "Báo cáo của các tổ chức khác có nhắc đến một định danh mà tổ chức của bạn đang nắm giữ.",
    ),
    (
        "An alert is dated when both organizations held the identifier: by the other "
        "organization's report, or by your organization's first report of it if that came "
        "later.",
        "การแจ้งเตือนลงวันที่เมื่อทั้งสององค์กรมีตัวระบุนี้แล้ว: ตามรายงานขององค์กรอื่น "
        "หรือตามรายงานแรกขององค์กรของคุณที่กล่าวถึงตัวระบุนี้ หากมาทีหลัง",
        "Cảnh báo được ghi ngày khi cả hai tổ chức đều nắm giữ định danh: theo báo cáo của tổ "
        "chức kia, hoặc theo báo cáo đầu tiên của tổ chức bạn nhắc đến nó nếu báo cáo này muộn "
        "hơn.",
    ),
    ("Alerted", "วันที่แจ้งเตือน", "Ngày cảnh báo"),
    ("Identifier", "ตัวระบุ", "Định danh"),
    ("No alerts.", "ไม่มีการแจ้งเตือน", "Không có cảnh báo nào."),
    # Evidence (evidence.html, evidence_detail.html)
    ("Media type", "ประเภทไฟล์", "Loại tệp"),
    ("Acquired", "การเก็บรวบรวม", "Thu thập"),
    ("{moment} by {person}", "{moment} โดย {person}", "{moment} bởi {person}"),
    ("Integrity", "ความถูกต้องครบถ้วน", "Tính toàn vẹn"),
    (
        "No evidence you may see.",
        "ไม่มีพยานหลักฐานที่คุณมีสิทธิ์เห็น",
        "Không có chứng cứ nào bạn được phép xem.",
    ),
    (
        "Verify the stored bytes against the digest",
        "ตรวจสอบข้อมูลที่จัดเก็บไว้เทียบกับค่าแฮช",
        "Đối chiếu dữ liệu đã lưu với giá trị băm",
    ),
    ("Verification: {result}", "ผลการตรวจสอบ: {result}", "Kết quả kiểm tra: {result}"),
    ("disposed of {moment}", "ทำลายแล้วเมื่อ {moment}", "đã tiêu hủy lúc {moment}"),
    (
        "Disposed of by {person} ({organization}) on {moment}, custody record {seq}, purpose:"
        " {purpose}. Nothing can be transferred, sealed or exported after it.",
        "ทำลายโดย {person} ({organization}) เมื่อ {moment} ระเบียนการครอบครองที่ {seq}"
        " วัตถุประสงค์: {purpose} หลังจากนี้ไม่สามารถส่งมอบ ผนึก หรือส่งออกได้อีก",
        "Đã tiêu hủy bởi {person} ({organization}) lúc {moment}, bản ghi lưu giữ số {seq},"
        " mục đích: {purpose}. Sau đó không thể bàn giao, niêm phong hay xuất ra nữa.",
    ),
    (
        "Its bytes are no longer released.",
        "ข้อมูลของไฟล์นี้จะไม่ถูกส่งมอบให้ผู้ใดอีก",
        "Dữ liệu của tệp này không còn được cung cấp nữa.",
    ),
    (
        "Its bytes were deleted when it was disposed of.",
        "ข้อมูลของไฟล์นี้ถูกลบไปเมื่อมีการทำลายพยานหลักฐานแล้ว",
        "Dữ liệu của tệp này đã bị xóa khi chứng cứ được tiêu hủy.",
    ),
    ("Chain of custody", "ห่วงโซ่การครอบครองพยานหลักฐาน", "Chuỗi lưu giữ chứng cứ"),
    (
        "released by {person} ({organization}), received by {recipient} ({recipient_organization})",
        "ส่งมอบโดย {person} ({organization}) รับมอบโดย {recipient} ({recipient_organization})",
        "bàn giao bởi {person} ({organization}), tiếp nhận bởi {recipient}"
        " ({recipient_organization})",
    ),
    ("hash {check}", "แฮช {check}", "mã băm {check}"),
    (
        "recorded by {account}",
        "บันทึกเข้าระบบโดยบัญชี {account}",
        "ghi vào hệ thống bởi tài khoản {account}",
    ),
    (
        "record {record}… prev {previous}…",
        "ระเบียน {record}… ก่อนหน้า {previous}…",
        "bản ghi {record}… trước {previous}…",
    ),
    # Cooperation requests (requests.html)
    ("Request", "คำขอ", "Yêu cầu"),
    ("Type", "ประเภท", "Loại"),
    ("To", "ถึง", "Đến"),
    ("Status", "สถานะ", "Trạng thái"),
    ("Urgency", "ความเร่งด่วน", "Mức độ khẩn"),
    ("Legal basis", "ฐานทางกฎหมาย", "Căn cứ pháp lý"),
    ("Deadline", "กำหนดเวลา", "Thời hạn"),
    ("Subjects", "เป้าหมายของคำขอ", "Đối tượng"),
    ("Summary", "สรุป", "Tóm tắt"),
    ("network {id}", "เครือข่าย {id}", "mạng lưới {id}"),
    ("None.", "ไม่มี", "Không có."),
    ("Inbox (received)", "กล่องขาเข้า (ที่ได้รับ)", "Hộp đến (đã nhận)"),
    ("Outbox (sent)", "กล่องขาออก (ที่ส่ง)", "Hộp đi (đã gửi)"),
    ("New cooperation request", "คำขอความร่วมมือใหม่", "Yêu cầu hợp tác mới"),
    (
        "{convention} art. {article} — {title}",
        "{convention} มาตรา {article} — {title}",
        "{convention} điều {article} — {title}",
    ),
    (
        "Subject (network:ID, report:ORG/ID or KIND:VALUE)",
        "เป้าหมาย (network:ID, report:ORG/ID หรือ KIND:VALUE)",
        "Đối tượng (network:ID, report:ORG/ID hoặc KIND:VALUE)",
    ),
    ("Send now", "ส่งทันที", "Gửi ngay"),
    ("keep as draft", "เก็บเป็นฉบับร่าง", "lưu bản nháp"),
    ("send", "ส่ง", "gửi"),
    ("Create request", "สร้างคำขอ", "Tạo yêu cầu"),
    # Organizations and sharing groups (organizations.html)
    ("Sector", "ภาคส่วน", "Lĩnh vực"),
    ("Your sharing groups", "กลุ่มแบ่งปันข้อมูลของคุณ", "Nhóm chia sẻ của bạn"),
    ("Group", "กลุ่ม", "Nhóm"),
    ("Owner", "เจ้าของ", "Chủ sở hữu"),
    ("Members", "สมาชิก", "Thành viên"),
    (
        "Your organization is in no group.",
        "องค์กรของคุณไม่ได้อยู่ในกลุ่มใด",
        "Tổ chức của bạn không thuộc nhóm nào.",
    ),
    ("Users of {organization}", "ผู้ใช้ของ {organization}", "Người dùng của {organization}"),
    ("New sharing group", "กลุ่มแบ่งปันข้อมูลใหม่", "Nhóm chia sẻ mới"),
    ("Name", "ชื่อ", "Tên"),
    (
        "Member organizations (space or comma separated)",
        "องค์กรสมาชิก (คั่นด้วยเว้นวรรคหรือเครื่องหมายจุลภาค)",
        "Các tổ chức thành viên (cách nhau bằng dấu cách hoặc dấu phẩy)",
    ),
    ("Create", "สร้าง", "Tạo"),
    (
        "Add an organization to {group}",
        "เพิ่มองค์กรเข้ากลุ่ม {group}",
        "Thêm một tổ chức vào nhóm {group}",
    ),
    ("Add", "เพิ่ม", "Thêm"),
    # Signing in (login.html, views.py)
    ("Sign in", "เข้าสู่ระบบ", "Đăng nhập"),
    (
        "Global Partnership Against Online Scams — analyst workspace",
        "ภาคีความร่วมมือระดับโลกเพื่อต่อต้านการหลอกลวงออนไลน์ — พื้นที่ทำงานของนักวิเคราะห์",
        "Liên minh toàn cầu chống lừa đảo trực tuyến — "
        "không gian làm việc của chuyên viên phân tích",
    ),
    ("Username", "ชื่อผู้ใช้", "Tên người dùng"),
    ("Password", "รหัสผ่าน", "Mật khẩu"),
    (
        "Unknown username or wrong password.",
        "ไม่พบชื่อผู้ใช้นี้ หรือรหัสผ่านไม่ถูกต้อง",
        "Tên người dùng không tồn tại hoặc mật khẩu không đúng.",
    ),
    (
        "This sign-in form is out of date (another tab signed in or out): "
        "enter your password again.",
        "แบบฟอร์มเข้าสู่ระบบนี้ไม่เป็นปัจจุบันแล้ว (มีแท็บอื่นเข้าสู่ระบบหรือออกจากระบบ) โปรดป้อนรหัสผ่านอีกครั้ง",
        "Biểu mẫu đăng nhập này đã cũ (một thẻ khác đã đăng nhập hoặc đăng xuất): "
        "hãy nhập lại mật khẩu.",
    ),
    (
        "Too many failed sign-ins: try again in {minutes} minute(s).",
        "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป: โปรดลองใหม่อีกครั้งใน {minutes} นาที",
        "Đăng nhập thất bại quá nhiều lần: hãy thử lại sau {minutes} phút.",
    ),
    # Error pages (error.html, error_fragment.html, render.py)
    ("Bad request", "คำขอไม่ถูกต้อง", "Yêu cầu không hợp lệ"),
    ("Forbidden", "ไม่มีสิทธิ์เข้าถึง", "Không có quyền truy cập"),
    ("Not found", "ไม่พบข้อมูล", "Không tìm thấy"),
    ("Error", "ข้อผิดพลาด", "Lỗi"),
    ("Something went wrong", "เกิดข้อผิดพลาดบางอย่าง", "Đã xảy ra sự cố"),
    ("Back to the overview", "กลับไปหน้าภาพรวม", "Quay lại trang tổng quan"),
    ("No network here.", "ไม่พบเครือข่ายนี้", "Không có mạng lưới này."),
    ("No export format here.", "ไม่มีรูปแบบการส่งออกนี้", "Không có định dạng xuất này."),
    ("No report here.", "ไม่พบรายงานนี้", "Không có báo cáo này."),
    ("No evidence here.", "ไม่พบพยานหลักฐานนี้", "Không có chứng cứ này."),
    (
        "this page needs the read access level",
        "หน้านี้ต้องใช้สิทธิ์ระดับอ่าน",
        "trang này cần quyền đọc",
    ),
    (
        "this page needs the write access level",
        "หน้านี้ต้องใช้สิทธิ์ระดับบันทึกข้อมูล",
        "trang này cần quyền ghi dữ liệu",
    ),
    (
        "this page needs the admin access level",
        "หน้านี้ต้องใช้สิทธิ์ระดับผู้ดูแลระบบ",
        "trang này cần quyền quản trị",
    ),
    (
        "the form's CSRF token is missing or wrong; reload the page",
        "โทเค็น CSRF ของแบบฟอร์มไม่มีหรือไม่ถูกต้อง โปรดโหลดหน้านี้ใหม่",
        "mã CSRF của biểu mẫu bị thiếu hoặc không đúng; hãy tải lại trang",
    ),
    (
        "Not sent: the form is from an earlier session (another tab signed out or in); "
        "reload the page.",
        "ยังไม่ได้ส่ง: แบบฟอร์มนี้มาจากเซสชันก่อนหน้า (มีแท็บอื่นออกจากระบบหรือเข้าสู่ระบบ) โปรดโหลดหน้านี้ใหม่",
        "Chưa gửi: biểu mẫu thuộc phiên làm việc trước (một thẻ khác đã đăng xuất hoặc đăng nhập); "
        "hãy tải lại trang.",
    ),
    (
        "Not sent: the form is from an earlier session (another tab signed out or in); "
        "send it again.",
        "ยังไม่ได้ส่ง: แบบฟอร์มนี้มาจากเซสชันก่อนหน้า (มีแท็บอื่นออกจากระบบหรือเข้าสู่ระบบ) โปรดส่งอีกครั้ง",
        "Chưa gửi: biểu mẫu thuộc phiên làm việc trước (một thẻ khác đã đăng xuất hoặc đăng nhập); "
        "hãy gửi lại.",
    ),
    # Same-script suggestions on a report's page (report.html)
    ("Possible same-script links", "ลิงก์ที่อาจใช้บทหลอกลวงเดียวกัน", "Liên kết có thể cùng kịch bản"),
    (
        "These reports' narratives may tell the same script: suggestions for you to weigh,"
        " never merged into a network.",
        "คำบรรยายของรายงานเหล่านี้อาจเล่าบทหลอกลวงเดียวกัน: เป็นข้อเสนอให้คุณพิจารณา"
        " และจะไม่ถูกรวมเข้าเครือข่ายโดยอัตโนมัติ",
        "Lời kể của các báo cáo này có thể cùng một kịch bản: đây là gợi ý để bạn cân nhắc,"
        " không bao giờ tự động gộp vào một mạng lưới.",
    ),
    ("Your organization's decision", "การตัดสินขององค์กรคุณ", "Quyết định của tổ chức bạn"),
    ("accepted", "ยอมรับแล้ว", "đã chấp nhận"),
    ("rejected", "ปฏิเสธแล้ว", "đã từ chối"),
    ("Accept", "ยอมรับ", "Chấp nhận"),
    ("Reject", "ปฏิเสธ", "Từ chối"),
    # The public check (check.html, views_check.py), shown only with `serve --public-check`
    ("Check a number or link", "ตรวจสอบเบอร์โทรหรือลิงก์", "Kiểm tra số điện thoại hoặc đường link"),
    (
        "Has this phone number, link, bank account or wallet been reported as a scam by the"
        " partnership? Paste it, or a whole message.",
        "เบอร์โทรศัพท์ ลิงก์ บัญชีธนาคาร หรือกระเป๋าเงินดิจิทัลนี้เคยถูกภาคีแจ้งว่าเป็นมิจฉาชีพหรือไม่"
        " วางข้อมูลนั้น หรือวางทั้งข้อความ",
        "Số điện thoại, đường link, tài khoản ngân hàng hoặc ví này đã từng bị các đối tác báo cáo"
        " là lừa đảo chưa? Hãy dán nó, hoặc dán cả tin nhắn.",
    ),
    ("Number, link or message", "เบอร์โทร ลิงก์ หรือข้อความ", "Số điện thoại, đường link hoặc tin nhắn"),
    (
        "Country of a local number (two letters, optional)",
        "ประเทศของเบอร์โทรในประเทศ (ตัวอักษรสองตัว ไม่บังคับ)",
        "Quốc gia của số nội địa (hai chữ cái, không bắt buộc)",
    ),
    ("Check", "ตรวจสอบ", "Kiểm tra"),
    ("Value", "ข้อมูลที่ตรวจสอบ", "Giá trị"),
    ("Result", "ผลการตรวจสอบ", "Kết quả"),
    ("Scam types", "รูปแบบการหลอกลวง", "Loại hình lừa đảo"),
    ("Victims' countries", "ประเทศของผู้เสียหาย", "Quốc gia của nạn nhân"),
    ("Reported between", "ช่วงวันที่ได้รับแจ้ง", "Thời gian được báo cáo"),
    (
        "Shared infrastructure (a bank's hotline, a platform): not a sign of a scam by itself",
        "โครงสร้างที่ใช้ร่วมกัน (เช่น สายด่วนธนาคาร แพลตฟอร์ม): ไม่ได้บ่งชี้ว่าเป็นมิจฉาชีพ",
        "Hạ tầng dùng chung (đường dây nóng của ngân hàng, một nền tảng): tự nó không phải dấu"
        " hiệu lừa đảo",
    ),
    (
        "Reported as a scam in {count} published report(s)",
        "ถูกแจ้งว่าเป็นมิจฉาชีพใน {count} รายงานที่เผยแพร่",
        "Bị báo cáo là lừa đảo trong {count} báo cáo đã công bố",
    ),
    (
        "Not a valid number or link",
        "ไม่ใช่เบอร์โทรหรือลิงก์ที่ถูกต้อง",
        "Không phải số điện thoại hoặc đường link hợp lệ",
    ),
    (
        "In no published report — that does not mean it is safe",
        "ไม่พบในรายงานที่เผยแพร่ — แต่ไม่ได้หมายความว่าปลอดภัย",
        "Không có trong báo cáo đã công bố nào — điều đó không có nghĩa là an toàn",
    ),
    (
        "Only reports that partners published (TLP:CLEAR) are counted; who reported them is"
        " never shown.",
        "นับเฉพาะรายงานที่ภาคีเผยแพร่ (TLP:CLEAR) และจะไม่แสดงว่าใครเป็นผู้แจ้ง",
        "Chỉ tính các báo cáo mà đối tác đã công bố (TLP:CLEAR); không bao giờ hiển thị ai đã"
        " báo cáo.",
    ),
    (
        "No phone number, link, email address, bank account, wallet or handle found in it.",
        "ไม่พบเบอร์โทร ลิงก์ อีเมล บัญชีธนาคาร กระเป๋าเงินดิจิทัล หรือบัญชีผู้ใช้ในข้อความนี้",
        "Không tìm thấy số điện thoại, đường link, email, tài khoản ngân hàng, ví hay tài khoản"
        " mạng xã hội nào trong đó.",
    ),
    (
        "Too many checks from this address: try again in a minute.",
        "ตรวจสอบจากที่อยู่นี้บ่อยเกินไป: โปรดลองใหม่ในอีกหนึ่งนาที",
        "Quá nhiều lượt kiểm tra từ địa chỉ này: hãy thử lại sau một phút.",
    ),
    ("Too many requests", "คำขอมากเกินไป", "Quá nhiều yêu cầu"),
    (
        "Too many requests from your account: try again in a moment.",
        "บัญชีของคุณส่งคำขอบ่อยเกินไป: โปรดลองใหม่ในอีกสักครู่",
        "Quá nhiều yêu cầu từ tài khoản của bạn: hãy thử lại sau giây lát.",
    ),
    (
        "A country is two letters, such as TH.",
        "ประเทศเป็นตัวอักษรสองตัว เช่น TH",
        "Quốc gia là hai chữ cái, ví dụ TH.",
    ),
)

CATALOGUE: dict[str, dict[str, str]] = {
    "th": {english: thai for english, thai, _ in MESSAGES},
    "vi": {english: vietnamese for english, _, vietnamese in MESSAGES},
}


def N_(message: str) -> str:
    """MESSAGE itself, marked for the catalogue where it is written; it is translated where it
    is shown (an error page's title, say)."""
    return message


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The language to show: the cookie's when known, else the known language Accept-Language
    weighs most (RFC 9110: `q` from 0 to 1, 1 when absent; the first of equal weights). A
    language weighed 0 is not acceptable, and an entry whose weight is no such number (`q=abc`,
    `q=nan`) is left out rather than taken as the most wanted."""
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "").split(","):
        code, *params = (piece.strip() for piece in part.split(";"))
        code = code.lower()[:2]
        weight = _weight(params)
        if code in LANGUAGES and weight > best_q:
            best, best_q = code, weight
    return best


def _weight(params: list[str]) -> float:
    """The `q` of one Accept-Language entry's PARAMS: 1 when absent, 0 when not a number from 0
    to 1 with at most three decimals (RFC 9110's qvalue)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            if not re.fullmatch(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?", value):
                return 0.0
            return float(value)
    return 1.0


def translator(language: str) -> Callable[[str], str]:
    """The `_` of LANGUAGE: the translation of a message, or the English message itself."""
    table = CATALOGUE.get(language, {})

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext


_KNOWN = frozenset(english for english, _, _ in MESSAGES)


def _as_markup(text: str) -> Markup:
    """TEXT as markup: `&`, `<`, `>` and `"` escaped; an apostrophe kept as it is written in a
    template (the English of a page stays what it was before it was translated)."""
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;")):
        text = text.replace(raw, escaped)
    return Markup(text)  # noqa: S704  (every markup character but the apostrophe escaped above)


def page_translator(language: str) -> Callable[[str], Markup]:
    """The `_` of the templates in LANGUAGE: a message of the catalogue translated, anything
    else (an error's message, which may carry what the user typed) as it is; escaped either way,
    so that `.format` on the answer escapes the values it is given but markup."""
    translate = translator(language)

    def gettext(message: str) -> Markup:
        return _as_markup(translate(message)) if message in _KNOWN else escape(message)

    return gettext
