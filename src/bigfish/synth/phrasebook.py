"""The words of the narratives, in Thai, Vietnamese, Malay, Indonesian, Tagalog, Arabic and English.

``SCRIPTS[scam_type][language]`` is the template a ring's callers read from, with the slots
``{brand}``, ``{persona}``, ``{rate}``, ``{days}``, ``{contact}`` and ``{payment}``. Lone scams use
``GENERIC`` sentences, mixed at random. Pure data.
"""

# ruff: noqa: E501  (sentences of prose read better unbroken)
from __future__ import annotations

LANGUAGES = ("th", "vi", "ms", "id", "tl", "ar", "en")

SCRIPTS: dict[str, dict[str, str]] = {
    "investment": {
        "th": "มีคนชื่อ{persona}ทักมาชวนลงทุนกับ {brand} บอกว่าได้กำไร {rate}% ต่อวัน ให้ติดต่อ {contact} แล้วโอนเงินเข้า {payment} ตอนนี้ถอนเงินไม่ได้",
        "vi": "Tôi được {persona} mời đầu tư vào sàn {brand}, hứa lãi {rate}% mỗi ngày. Họ bảo liên hệ {contact} và chuyển tiền vào {payment}, sau đó không rút được tiền.",
        "ms": "Saya diajak oleh {persona} untuk melabur dalam {brand} dengan pulangan {rate}% sehari. Saya disuruh hubungi {contact} dan pindahkan wang ke {payment}, tetapi tidak boleh keluarkan wang.",
        "id": "Saya diajak {persona} investasi di {brand} dengan keuntungan {rate}% per hari. Saya diminta menghubungi {contact} dan transfer ke {payment}, tetapi dana tidak bisa ditarik.",
        "tl": "Inalok ako ni {persona} na mag-invest sa {brand}, may kita raw na {rate}% kada araw. Pinakontak ako sa {contact} at pinadala ang pera sa {payment}, pero hindi ko na ma-withdraw.",
        "ar": "تواصل معي شخص اسمه {persona} ودعاني للاستثمار في منصة {brand} بأرباح {rate}% يومياً. طلب مني التواصل عبر {contact} وتحويل المبلغ إلى {payment} ولم أستطع سحب أموالي.",
        "en": "I was approached by {persona} to invest in {brand}, promising {rate}% daily returns. They told me to contact {contact} and transfer funds to {payment}; I could not withdraw anything.",
    },
    "job_task": {
        "th": "เห็นประกาศงานออนไลน์ของ {brand} กดไลก์รับเงิน ทำภารกิจ {days} วัน ได้ค่าคอม {rate}% แอดมินให้ติดต่อ {contact} และให้โอนเงินมัดจำเข้า {payment}",
        "vi": "Tôi nhận việc làm thêm online của {brand}, làm nhiệm vụ {days} ngày, hoa hồng {rate}%. Quản lý yêu cầu liên hệ {contact} và nạp tiền vào {payment}.",
        "ms": "Saya menerima tawaran kerja sambilan dalam talian daripada {brand}, buat tugasan selama {days} hari dengan komisen {rate}%. Ejen minta saya hubungi {contact} dan deposit ke {payment}.",
        "id": "Saya mendapat tawaran kerja paruh waktu dari {brand}, mengerjakan misi selama {days} hari dengan komisi {rate}%. Admin meminta saya menghubungi {contact} dan deposit ke {payment}.",
        "tl": "May nag-alok sa akin ng online na trabaho mula sa {brand}, mga task sa loob ng {days} araw na may komisyon na {rate}%. Pinakontak ako sa {contact} at pinag-deposit sa {payment}.",
        "ar": "تلقيت عرض عمل عبر الإنترنت من {brand} لتنفيذ مهام لمدة {days} أيام مقابل عمولة {rate}%. طلبوا مني التواصل مع {contact} وإيداع مبلغ في {payment}.",
        "en": "I was offered an online part-time job by {brand}, doing tasks for {days} days for {rate}% commission. The mentor asked me to contact {contact} and top up to {payment}.",
    },
    "romance": {
        "th": "รู้จักกับ{persona}ทางแอปหาคู่ คุยกันมา {days} วัน เขาชวนลงทุนในแพลตฟอร์ม {brand} ให้คุยต่อที่ {contact} แล้วให้โอนเงินเข้า {payment}",
        "vi": "Tôi quen {persona} qua mạng, nói chuyện {days} ngày thì được rủ đầu tư vào {brand}. Người này bảo nhắn qua {contact} và chuyển tiền vào {payment}.",
        "ms": "Saya berkenalan dengan {persona} di media sosial, berbual {days} hari kemudian diajak melabur di {brand}. Dia minta hubungi {contact} dan pindahkan wang ke {payment}.",
        "id": "Saya kenal {persona} lewat aplikasi kencan, setelah {days} hari diajak investasi di {brand}. Dia minta saya chat ke {contact} dan transfer ke {payment}.",
        "tl": "Nakilala ko si {persona} online, nag-usap kami ng {days} araw at inalok akong mag-invest sa {brand}. Pinakontak ako sa {contact} at nagpadala ako sa {payment}.",
        "ar": "تعرفت على {persona} عبر الإنترنت وبعد {days} يوماً طلب مني الاستثمار في {brand}. طلب التواصل عبر {contact} وتحويل المال إلى {payment}.",
        "en": "I met {persona} online and after {days} days of chatting was asked to invest through {brand}. I was told to message {contact} and send money to {payment}.",
    },
    "impersonation_authority": {
        "th": "มีคนโทรมาอ้างเป็นเจ้าหน้าที่ตำรวจ {brand} บอกว่าบัญชีเกี่ยวข้องกับการฟอกเงิน ให้ติดต่อ {contact} และให้โอนเงินไปตรวจสอบที่ {payment}",
        "vi": "Có người gọi điện tự xưng là công an {brand}, nói tôi liên quan đến đường dây rửa tiền, yêu cầu liên hệ {contact} và chuyển tiền vào {payment} để xác minh.",
        "ms": "Seorang lelaki menelefon mengaku pegawai polis {brand} dan kata akaun saya terlibat pengubahan wang haram. Dia suruh hubungi {contact} dan pindahkan wang ke {payment}.",
        "id": "Ada yang menelepon mengaku polisi dari {brand}, katanya rekening saya terlibat pencucian uang. Saya disuruh menghubungi {contact} dan transfer ke {payment} untuk verifikasi.",
        "tl": "May tumawag na nagpakilalang pulis mula sa {brand}, sangkot daw ang account ko sa money laundering. Pinakontak ako sa {contact} at pinaglipat ng pera sa {payment}.",
        "ar": "اتصل بي شخص ادعى أنه من الشرطة {brand} وقال إن حسابي متورط في غسل أموال، وطلب مني التواصل مع {contact} وتحويل الأموال إلى {payment} للتحقق.",
        "en": "A man called claiming to be a police officer from {brand}, saying my account was linked to money laundering. He told me to contact {contact} and move my savings to {payment} for verification.",
    },
    "impersonation_bank": {
        "th": "ได้รับ SMS อ้างเป็นธนาคาร แจ้งว่าบัญชีถูกระงับ ให้กดลิงก์ {contact} เพื่อยืนยันตัวตนกับ {brand} จากนั้นเงินถูกโอนออกไปที่ {payment}",
        "vi": "Tôi nhận tin nhắn giả danh ngân hàng báo tài khoản bị khóa, bấm vào {contact} để xác thực với {brand}, sau đó tiền bị chuyển sang {payment}.",
        "ms": "Saya terima SMS kononnya dari bank bahawa akaun dibekukan, klik pautan {contact} untuk pengesahan {brand}, kemudian wang dipindahkan ke {payment}.",
        "id": "Saya menerima SMS mengatasnamakan bank bahwa rekening diblokir, klik {contact} untuk verifikasi {brand}, lalu saldo dipindahkan ke {payment}.",
        "tl": "Nakatanggap ako ng text na galing daw sa bangko na naka-block ang account ko, pinindot ko ang {contact} para sa {brand} verification at nailipat ang pera sa {payment}.",
        "ar": "وصلتني رسالة تدعي أنها من البنك بأن حسابي موقوف، فضغطت على {contact} للتحقق من {brand} ثم تم تحويل أموالي إلى {payment}.",
        "en": "I got an SMS claiming to be from my bank saying my account was suspended. I clicked {contact} to verify with {brand} and money was transferred out to {payment}.",
    },
    "shopping": {
        "th": "สั่งซื้อสินค้าจากเพจ {brand} ราคาถูกมาก ติดต่อผ่าน {contact} โอนเงินเข้า {payment} แล้วไม่ได้รับของ ผ่านไป {days} วันติดต่อไม่ได้",
        "vi": "Tôi đặt hàng trên trang {brand} giá rẻ, liên hệ qua {contact}, chuyển khoản vào {payment} nhưng không nhận được hàng sau {days} ngày.",
        "ms": "Saya beli barang dari kedai online {brand} yang sangat murah, hubungi melalui {contact} dan bayar ke {payment} tetapi barang tidak sampai selepas {days} hari.",
        "id": "Saya membeli barang di toko online {brand} yang sangat murah, menghubungi {contact} dan transfer ke {payment} tetapi barang tidak dikirim setelah {days} hari.",
        "tl": "Bumili ako sa online shop na {brand} na sobrang mura, kinontak ko sa {contact} at nagbayad sa {payment} pero walang dumating pagkatapos ng {days} araw.",
        "ar": "اشتريت منتجات من متجر {brand} بسعر رخيص جداً وتواصلت عبر {contact} ودفعت إلى {payment} ولم يصل الطلب بعد {days} أيام.",
        "en": "I ordered from the online store {brand} at a very low price, contacted them via {contact} and paid to {payment}, but nothing arrived after {days} days.",
    },
    "loan": {
        "th": "สมัครสินเชื่อด่วนกับ {brand} ไม่ต้องมีคนค้ำ ให้ติดต่อ {contact} แล้วเรียกค่าธรรมเนียม {rate}% ให้โอนเข้า {payment} แต่ไม่ได้รับเงินกู้",
        "vi": "Tôi vay tiền online qua {brand}, được yêu cầu liên hệ {contact} và đóng phí {rate}% vào {payment} nhưng không được giải ngân.",
        "ms": "Saya mohon pinjaman segera dari {brand}, disuruh hubungi {contact} dan bayar yuran {rate}% ke {payment} tetapi pinjaman tidak diluluskan.",
        "id": "Saya mengajukan pinjaman online di {brand}, disuruh menghubungi {contact} dan membayar biaya admin {rate}% ke {payment} tetapi dana tidak cair.",
        "tl": "Nag-apply ako ng mabilisang loan sa {brand}, pinakontak ako sa {contact} at pinagbayad ng processing fee na {rate}% sa {payment} pero walang loan na dumating.",
        "ar": "تقدمت بطلب قرض سريع من {brand} وطلبوا مني التواصل مع {contact} ودفع رسوم {rate}% إلى {payment} ولم أحصل على القرض.",
        "en": "I applied for an instant loan from {brand}; they asked me to contact {contact} and pay a {rate}% processing fee to {payment}, but the loan never came.",
    },
    "phishing": {
        "th": "ได้รับข้อความว่าพัสดุของ {brand} ส่งไม่ได้ ให้กดลิงก์ {contact} กรอกข้อมูลบัตร แล้วมีการตัดเงินไปที่ {payment}",
        "vi": "Tôi nhận tin nhắn báo bưu kiện của {brand} bị giữ, bấm vào {contact} và nhập thông tin thẻ, sau đó bị trừ tiền chuyển đến {payment}.",
        "ms": "Saya terima mesej bungkusan {brand} tertangguh, klik {contact} dan masukkan maklumat kad, kemudian wang ditolak ke {payment}.",
        "id": "Saya menerima pesan paket {brand} tertahan, klik {contact} dan mengisi data kartu, kemudian saldo terpotong ke {payment}.",
        "tl": "May text na na-hold daw ang parcel ko sa {brand}, pinindot ko ang {contact} at inilagay ang card details ko, tapos may nabawas na pera papunta sa {payment}.",
        "ar": "وصلتني رسالة بأن شحنة {brand} محتجزة فضغطت على {contact} وأدخلت بيانات البطاقة، ثم تم خصم مبلغ إلى {payment}.",
        "en": "I received a message that my {brand} parcel was on hold, clicked {contact} and entered my card details, then money was debited to {payment}.",
    },
}  # fmt: skip

GENERIC: dict[str, tuple[str, ...]] = {
    "th": ("มีคนติดต่อมาทาง {contact}", "โอนเงินไปที่ {payment} แล้วโดนบล็อก",
           "เขาบอกว่าจะคืนเงินแต่ขอค่าธรรมเนียมเพิ่ม", "หลังจากโอนเงินก็ติดต่อไม่ได้อีกเลย",
           "ตอนแรกดูน่าเชื่อถือมาก", "เขาส่งรูปเอกสารปลอมมาให้ดู", "เขาให้ดาวน์โหลดแอปแล้วกรอกข้อมูลส่วนตัว", "ได้กำไรครั้งแรกนิดหน่อยเลยโอนเพิ่ม", "เขาขู่ว่าจะดำเนินคดีถ้าไม่โอน", "ไม่กล้าบอกครอบครัว", "พยายามโทรกลับแต่ปิดเครื่อง"),
    "vi": ("Có người liên hệ với tôi qua {contact}.", "Tôi đã chuyển tiền vào {payment} rồi bị chặn.",
           "Họ hứa hoàn tiền nhưng đòi thêm phí.", "Sau khi chuyển tiền thì không liên lạc được.",
           "Lúc đầu người này có vẻ đáng tin.", "Họ gửi cho tôi giấy tờ giả.", "Họ bảo tôi tải ứng dụng và điền thông tin cá nhân.", "Lần đầu được trả lãi ít nên tôi chuyển thêm.", "Họ đe dọa sẽ khởi tố nếu tôi không chuyển tiền.", "Tôi không dám nói với gia đình.", "Tôi gọi lại nhưng thuê bao không liên lạc được."),
    "ms": ("Seseorang menghubungi saya melalui {contact}.",
           "Saya pindahkan wang ke {payment} kemudian disekat.",
           "Mereka janji bayar balik tetapi minta yuran lagi.",
           "Selepas bayaran saya tidak dapat menghubungi mereka.",
           "Pada mulanya dia nampak boleh dipercayai.", "Mereka hantar dokumen palsu.", "Mereka suruh saya muat turun aplikasi dan isi maklumat peribadi.", "Pada mulanya saya dapat sedikit untung jadi saya tambah lagi.", "Mereka ugut akan ambil tindakan jika saya tidak bayar.", "Saya malu untuk beritahu keluarga.", "Saya cuba telefon semula tetapi tidak dapat dihubungi."),
    "id": ("Seseorang menghubungi saya lewat {contact}.", "Saya transfer ke {payment} lalu diblokir.",
           "Mereka janji refund tapi minta biaya lagi.",
           "Setelah transfer saya tidak bisa menghubunginya lagi.",
           "Awalnya orang ini terlihat meyakinkan.", "Mereka mengirim dokumen palsu.", "Saya disuruh mengunduh aplikasi dan mengisi data pribadi.", "Awalnya saya dapat untung sedikit jadi saya transfer lagi.", "Mereka mengancam akan memproses hukum jika saya tidak membayar.", "Saya malu memberi tahu keluarga.", "Saya coba telepon balik tapi nomornya tidak aktif."),
    "tl": ("May kumontak sa akin sa {contact}.",
           "Nagpadala ako ng pera sa {payment} tapos bina-block na ako.",
           "Nangako silang ibabalik ang pera pero humingi pa ng fee.",
           "Hindi ko na sila makontak pagkatapos magbayad.",
           "Mukha siyang mapagkakatiwalaan noong una.", "Nagpadala sila ng pekeng dokumento.", "Pinag-download nila ako ng app at pinasagutan ang personal kong impormasyon.", "Kumita ako nang kaunti noong una kaya nagdagdag pa ako.", "Tinakot nila ako na kakasuhan kung hindi ako magbabayad.", "Nahihiya akong sabihin sa pamilya ko.", "Sinubukan kong tumawag ulit pero hindi na ma-contact."),
    "ar": ("تواصل معي شخص عبر {contact}.", "حولت المال إلى {payment} ثم قام بحظري.",
           "وعدوا باسترداد المبلغ لكن طلبوا رسوماً إضافية.", "بعد الدفع لم أستطع التواصل معهم.",
           "في البداية بدا الشخص موثوقاً.", "أرسلوا لي مستندات مزورة.", "طلبوا مني تنزيل تطبيق وإدخال بياناتي الشخصية.", "ربحت مبلغاً صغيراً في البداية فحولت المزيد.", "هددوني بإجراءات قانونية إذا لم أدفع.", "لم أجرؤ على إخبار عائلتي.", "حاولت الاتصال مجدداً لكن الرقم مغلق."),
    "en": ("Someone contacted me via {contact}.", "I sent money to {payment} and then was blocked.",
           "They promised a refund but asked for more fees.", "I lost contact after the payment.",
           "The person seemed trustworthy at first.", "They sent me fake documents.", "They had me download an app and enter my personal details.", "I made a small profit at first so I sent more.", "They threatened legal action if I did not pay.", "I was too embarrassed to tell my family.", "I tried calling back but the number was switched off."),
}  # fmt: skip

CONTACT_GENERIC = {"th": "เบอร์ที่เขาให้มา", "vi": "số điện thoại họ đưa", "ms": "nombor yang diberi",
                   "id": "nomor yang diberikan", "tl": "numerong binigay nila",
                   "ar": "الرقم الذي أعطوه لي", "en": "the number they gave"}  # fmt: skip
PAYMENT_GENERIC = {"th": "บัญชีที่เขาให้", "vi": "tài khoản họ cung cấp", "ms": "akaun yang diberi",
                   "id": "rekening yang diberikan", "tl": "account na binigay nila",
                   "ar": "الحساب الذي أرسلوه", "en": "the account they gave"}  # fmt: skip
OPENERS = {
    "th": ("", "", "สวัสดีครับ ", "ขอแจ้งความค่ะ ", "เรียนเจ้าหน้าที่ "),
    "vi": ("", "", "Kính gửi cơ quan công an, ", "Tôi xin trình báo: "),
    "ms": ("", "", "Saya ingin membuat laporan. ", "Tuan/Puan, "),
    "id": ("", "", "Saya ingin melapor. ", "Selamat siang, "),
    "tl": ("", "", "Magandang araw po. ", "Gusto ko pong i-report: "),
    "ar": ("", "", "السلام عليكم، ", "أود الإبلاغ عن عملية احتيال: "),
    "en": ("", "", "Hi, ", "I want to report a scam. "),
}
CLOSERS = {
    "th": ("", "", " ขอให้ช่วยตรวจสอบด้วยครับ", " รบกวนช่วยอายัดบัญชีด้วยค่ะ"),
    "vi": ("", "", " Mong cơ quan chức năng giúp đỡ.", " Đề nghị phong tỏa tài khoản."),
    "ms": ("", "", " Mohon bantuan pihak berkuasa.", " Sila bekukan akaun itu."),
    "id": ("", "", " Mohon dibantu.", " Mohon rekening tersebut diblokir."),
    "tl": ("", "", " Sana po matulungan ninyo ako.", " Pakiblock po ang account."),
    "ar": ("", "", " أرجو المساعدة.", " أرجو تجميد الحساب."),
    "en": ("", "", " Please help.", " Please freeze the account."),
}
LOSS_SENTENCE = {"th": " เสียเงินไปทั้งหมด {loss}", "vi": " Tổng thiệt hại {loss}.",
                 "ms": " Jumlah kerugian {loss}.", "id": " Total kerugian {loss}.",
                 "tl": " Nawala sa akin ang {loss}.", "ar": " بلغت خسارتي {loss}.",
                 "en": " Total loss {loss}."}  # fmt: skip
EXTRA_SENTENCE = {"th": " และยังใช้ {x}", "vi": " Họ còn dùng {x}.", "ms": " Mereka juga guna {x}.",
                  "id": " Mereka juga memakai {x}.", "tl": " Gumamit din sila ng {x}.",
                  "ar": " واستخدموا أيضاً {x}.", "en": " They also used {x}."}  # fmt: skip
HOTLINE_SENTENCE = {"th": " ได้โทรแจ้งธนาคารที่ {x} แล้ว", "vi": " Tôi đã gọi tổng đài ngân hàng {x}.",
                    "ms": " Saya telah hubungi talian bank {x}.",
                    "id": " Saya sudah menelepon call center bank {x}.",
                    "tl": " Tumawag na ako sa hotline ng bangko {x}.", "ar": " اتصلت بخط البنك {x}.",
                    "en": " I called my bank's hotline {x}."}  # fmt: skip
PLATFORM_SENTENCE = {"th": " เจอโฆษณาใน {x}", "vi": " Tôi thấy quảng cáo trên {x}.",
                     "ms": " Saya jumpa iklan di {x}.", "id": " Saya melihat iklannya di {x}.",
                     "tl": " Nakita ko ang ad sa {x}.", "ar": " رأيت الإعلان على {x}.",
                     "en": " I saw the ad on {x}."}  # fmt: skip
POLICE_1441 = " แจ้ง 1441 แล้ว"  # Thailand's AOC hotline: a short code, never an identifier
PLATFORM_WORD = {"telegram": "Telegram ", "line": "LINE ", "tiktok": "TikTok ", "facebook": ""}

BRAND_A = ("Gold", "Royal", "Prime", "Alpha", "Golden", "Star", "Lucky", "Smart", "Global",
           "Asia", "Diamond", "Phoenix", "Dragon", "Lotus", "Silver", "Titan", "Nova", "Orient",
           "Pacific", "Mekong", "Siam", "Saigon", "Borneo", "Java", "Luzon", "Angkor", "Falcon",
           "Jade", "Ruby", "Eagle")  # fmt: skip
BRAND_B = ("Mentor", "Capital", "Trade", "Wealth", "Invest", "Task", "Express", "Finance",
           "Club", "Exchange", "Market", "Mall", "Credit", "Post", "Securities", "Partners",
           "Academy", "Holdings", "Pay", "Link", "Hub", "Group", "Union", "Deals", "Works")  # fmt: skip
BRAND_C = ("", "", "", " VIP", " Pro", " 88", " Plus", " Asia", " Global", " Elite")
PERSONAS = ("Anna", "David Lim", "Mr. Kim", "Jessica Tan", "Somchai", "Linh", "Aisyah", "Mark Reyes",
            "Dr. Chen", "Nina", "Kevin Wong", "Mai", "Rina", "Ahmed", "Sophie", "Daniel", "Ploy",
            "Hana", "Teacher Lee", "Coach Tony", "Ms. Grace", "Bella", "Ryan", "Mira")  # fmt: skip
