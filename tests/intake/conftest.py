from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.store import Store
from bigfish.store.schema import mentions, reports

HEADER = [
    "report_id", "reported_at", "country", "scam_type", "channel", "loss_amount",
    "loss_currency", "narrative", "phones", "urls", "emails", "bank_accounts",
    "crypto_wallets", "handles",
]  # fmt: skip


def row(report_id: str, **fields: str) -> dict[str, str]:
    base = {
        "report_id": report_id,
        "reported_at": "2025-03-01",
        "country": "TH",
        "scam_type": "investment",
        "channel": "line",
        "loss_amount": "15000",
        "loss_currency": "THB",
        "narrative": "",
        "phones": "081-234-5678",
        "urls": "",
        "emails": "",
        "bank_accounts": "",
        "crypto_wallets": "",
        "handles": "",
    }
    return base | fields


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def write_csv(tmp_path: Path):
    def write(name: str, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(csv_text(rows).encode(encoding))
        return path

    return write


def stored_ids(store: Store) -> list[str]:
    with store.connect() as conn:
        return sorted(conn.execute(sa.select(reports.c.report_id)).scalars())


def mention_count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one())
