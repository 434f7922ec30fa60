"""Report files in the intake formats of spec/reports.md, streamed row by row.

Standard CSV, JSON Lines and a small Excel sheet carry the standard columns; the Vietnamese police
file has Vietnamese headers, ``dd/mm/yyyy`` dates, thousands separators and one identifier per
column, and comes with the TOML column mapping that tells the intake reader how to read it.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Protocol

from bigfish.synth.partnership import COUNTRIES, Organization

CSV_HEADER = ("report_id", "reported_at", "country", "scam_type", "channel", "loss_amount",
              "loss_currency", "narrative", "phones", "urls", "emails", "bank_accounts",
              "crypto_wallets", "handles")  # fmt: skip
COLUMN_OF_KIND = {"phone": "phones", "url": "urls", "email": "emails",
                  "bank_account": "bank_accounts", "crypto_wallet": "crypto_wallets",
                  "handle": "handles"}  # fmt: skip
ID_KINDS = tuple(COLUMN_OF_KIND)
ROLE_OF_KIND = {
    "phone": "contact",
    "url": "website",
    "email": "contact",
    "bank_account": "payment",
    "crypto_wallet": "payment",
    "handle": "contact",
}


@dataclass(frozen=True, slots=True)
class SynthReport:
    """One generated report, ready to be written in any format."""

    report_id: str
    day: date
    seconds: int  # time of day
    country: str
    scam_type: str
    channel: str
    loss_amount: str  # "" when there was no loss
    loss_currency: str
    narrative: str
    identifiers: tuple[tuple[str, str], ...]  # (kind as written, value)


class ReportWriter(Protocol):
    """A file of one organization, written one report at a time."""

    path: Path
    caps: dict[str, int] | None  # most identifiers of a kind one row can hold

    def write(self, report: SynthReport) -> None:
        """Appends REPORT."""

    def close(self) -> None:
        """Flushes and closes the file."""


def _reported_at(report: SynthReport, org: Organization) -> str:
    if not org.datetime_ids:
        return report.day.isoformat()
    h, rest = divmod(report.seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{report.day.isoformat()}T{h:02d}:{m:02d}:{s:02d}{COUNTRIES[report.country].utc_offset}"


def _standard_row(report: SynthReport, org: Organization) -> list[str]:
    by_kind: dict[str, list[str]] = {k: [] for k in ID_KINDS}
    for kind, value in report.identifiers:
        by_kind[kind].append(value)
    return [
        report.report_id,
        _reported_at(report, org),
        report.country,
        report.scam_type,
        report.channel,
        report.loss_amount,
        report.loss_currency if report.loss_amount else "",
        report.narrative,
        *(";".join(by_kind[k]) for k in ID_KINDS),
    ]


class CsvReportWriter:
    """Standard CSV: UTF-8, RFC 4180 quoting, the exact header of spec/reports.md."""

    caps: dict[str, int] | None = None

    def __init__(self, path: Path, org: Organization) -> None:
        self.path, self.org = path, org
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(CSV_HEADER)

    def write(self, report: SynthReport) -> None:
        """Appends REPORT as one row."""
        self._csv.writerow(_standard_row(report, self.org))

    def close(self) -> None:
        """Closes the file."""
        self._file.close()


class JsonlReportWriter:
    """JSON Lines: one report object per line, identifiers as ``{kind, value, role}``."""

    caps: dict[str, int] | None = None

    def __init__(self, path: Path, org: Organization) -> None:
        self.path, self.org = path, org
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="\n")

    def write(self, report: SynthReport) -> None:
        """Appends REPORT as one line."""
        obj = {
            "report_id": report.report_id,
            "reported_at": _reported_at(report, self.org),
            "country": report.country,
            "scam_type": report.scam_type,
            "channel": report.channel,
            "loss_amount": report.loss_amount or None,
            "loss_currency": report.loss_currency if report.loss_amount else None,
            "narrative": report.narrative,
            "identifiers": [
                {"kind": k, "value": v, "role": ROLE_OF_KIND[k]} for k, v in report.identifiers
            ],
        }
        self._file.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def close(self) -> None:
        """Closes the file."""
        self._file.close()


#: The time an Excel file is stamped with (ZIP's earliest): a file's bytes do not depend on when
#: it was written.
XLSX_STAMP = datetime(1980, 1, 1)


class XlsxReportWriter:
    """An Excel sheet with the CSV columns (kept small: openpyxl holds rows until saving)."""

    caps: dict[str, int] | None = None

    def __init__(self, path: Path, org: Organization) -> None:
        from openpyxl import Workbook

        self.path, self.org = path, org
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("reports")
        self._sheet.append(list(CSV_HEADER))

    def write(self, report: SynthReport) -> None:
        """Appends REPORT as one row."""
        self._sheet.append(_standard_row(report, self.org))

    def close(self) -> None:
        """Saves the workbook, stamped with a fixed time (its properties and every zip entry's)
        so that the same seed gives the same bytes, as the CSV and JSON Lines files."""
        from openpyxl.xml.functions import tostring

        properties = self._book.properties
        self._book.save(self.path)  # stamps `modified` with the time of saving
        properties.created = properties.modified = XLSX_STAMP
        core = tostring(properties.to_tree())  # as openpyxl writes it
        with zipfile.ZipFile(self.path) as saved:
            entries = [
                (info, core if info.filename == "docProps/core.xml" else saved.read(info))
                for info in saved.infolist()
            ]
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as restamped:
            for info, data in entries:
                stamped = zipfile.ZipInfo(info.filename, date_time=XLSX_STAMP.timetuple()[:6])
                stamped.compress_type = zipfile.ZIP_DEFLATED
                restamped.writestr(stamped, data)


VI_COLUMNS: dict[str, str | list[str]] = {
    "report_id": "Mã hồ sơ",
    "reported_at": "Ngày trình báo",
    "scam_type": "Loại lừa đảo",
    "channel": "Kênh liên lạc",
    "loss_amount": "Số tiền thiệt hại",
    "narrative": "Mô tả",
    "phones": ["Số điện thoại 1", "Số điện thoại 2"],
    "urls": ["Đường dẫn"],
    "emails": ["Email"],
    "bank_accounts": ["Tài khoản nhận tiền 1", "Tài khoản nhận tiền 2"],
    "crypto_wallets": ["Ví tiền điện tử"],
    "handles": ["Tài khoản mạng xã hội"],
}
VI_SCAM_TYPES = {"investment": "Đầu tư", "romance": "Tình cảm", "job_task": "Việc làm online",
                 "impersonation_authority": "Giả danh cơ quan chức năng",
                 "impersonation_bank": "Giả danh ngân hàng", "shopping": "Mua bán online",
                 "loan": "Vay tiền", "phishing": "Đường link giả mạo", "sextortion": "Tống tiền",
                 "tech_support": "Hỗ trợ kỹ thuật", "lottery_prize": "Trúng thưởng",
                 "other": "Khác"}  # fmt: skip
VI_CHANNELS = {"sms": "Tin nhắn SMS", "voice_call": "Cuộc gọi", "whatsapp": "WhatsApp",
               "telegram": "Telegram", "line": "LINE", "facebook": "Facebook",
               "instagram": "Instagram", "tiktok": "TikTok", "dating_app": "Ứng dụng hẹn hò",
               "email": "Thư điện tử", "website": "Trang web",
               "marketplace": "Sàn thương mại điện tử", "other": "Khác"}  # fmt: skip


def _vi_header() -> list[str]:
    out: list[str] = []
    for header in VI_COLUMNS.values():
        out.extend(header if isinstance(header, list) else [header])
    return out


class VietnameseCsvWriter:
    """The Vietnamese police's own layout, read through ``<name>.map.toml``."""

    def __init__(self, path: Path, org: Organization) -> None:
        self.path, self.org = path, org
        self.caps: dict[str, int] | None = {
            kind: len(VI_COLUMNS[column]) for kind, column in COLUMN_OF_KIND.items()
        }
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(_vi_header())

    def write(self, report: SynthReport) -> None:
        """Appends REPORT in the Vietnamese layout."""
        by_kind: dict[str, list[str]] = {k: [] for k in ID_KINDS}
        for kind, value in report.identifiers:
            by_kind[kind].append(value)
        amount = f"{int(report.loss_amount):,}" if report.loss_amount else ""
        row = [
            report.report_id,
            report.day.strftime("%d/%m/%Y"),
            VI_SCAM_TYPES[report.scam_type],
            VI_CHANNELS[report.channel],
            amount,
            report.narrative,
        ]
        for kind, column in COLUMN_OF_KIND.items():
            values = by_kind[kind]
            row.extend(values[i] if i < len(values) else "" for i in range(len(VI_COLUMNS[column])))
        self._csv.writerow(row)

    def close(self) -> None:
        """Closes the file."""
        self._file.close()


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def vietnamese_mapping() -> str:
    """The TOML column mapping of the Vietnamese layout."""
    lines = ["# Column mapping of the Vietnamese police file (bigfish synth).", "[columns]"]
    for field, header in VI_COLUMNS.items():
        if isinstance(header, list):
            lines.append(f"{field} = [{', '.join(_toml_str(h) for h in header)}]")
        else:
            lines.append(f"{field} = {_toml_str(header)}")
    lines += ["", "[formats]", 'date = "%d/%m/%Y"', 'thousands_separator = ","',
              'decimal_separator = "."', "", "[defaults]", 'country = "VN"',
              'loss_currency = "VND"', "", "[values.scam_type]"]  # fmt: skip
    lines += [f"{_toml_str(v)} = {_toml_str(k)}" for k, v in VI_SCAM_TYPES.items()]
    lines += ["", "[values.channel]"]
    lines += [f"{_toml_str(v)} = {_toml_str(k)}" for k, v in VI_CHANNELS.items()]
    return "\n".join(lines) + "\n"


def open_writer(out_dir: Path, org: Organization) -> ReportWriter:
    """The writer of ORG's file in OUT_DIR."""
    if org.format == "jsonl":
        return JsonlReportWriter(out_dir / f"{org.name}.jsonl", org)
    if org.format == "xlsx":
        return XlsxReportWriter(out_dir / f"{org.name}.xlsx", org)
    if org.format == "csv-vi":
        (out_dir / f"{org.name}.map.toml").write_text(vietnamese_mapping(), encoding="utf-8")
        return VietnameseCsvWriter(out_dir / f"{org.name}.csv", org)
    return CsvReportWriter(out_dir / f"{org.name}.csv", org)
