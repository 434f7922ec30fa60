"""Review of the overview's figures (helper-114): the "since yesterday" line says the new losses
it cannot convert to US dollars, as the overview's other figures do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigfish.reporting.stats import Unrated
from bigfish.store.schema import reports
from bigfish.web import data
from tests.api.helpers import report
from tests.web.conftest import WebPartnership
from tests.web.test_freshness import _viewer


def _since_yesterday(page: str) -> str:
    return page.split('id="changes"', 1)[1].split("</section>", 1)[0]


def _new_and_old_unrated_losses(web: WebPartnership) -> None:
    """B's reports in NPR (no reference rate): 5000 and 1200.50 new and its own, 700 new and
    shared with the partnership, and 999 stored two days ago."""
    web.api.submit(
        "B",
        [
            report("npr-1", country="VN", loss_currency="NPR", loss_amount="5000"),
            report("npr-2", country="VN", loss_currency="NPR", loss_amount="1200.50"),
            report("npr-old", country="VN", loss_currency="NPR", loss_amount="999"),
        ],
    )
    web.api.submit(
        "B",
        [report("npr-3", country="LA", loss_currency="NPR", loss_amount="700")],
        distribution="partnership",
    )
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with web.store.begin() as conn:
        conn.execute(
            sa.update(reports)
            .where(reports.c.report_id == "npr-old")
            .values(created_at=two_days_ago, updated_at=two_days_ago)
        )


def test_the_since_yesterday_line_says_the_new_losses_without_an_exchange_rate(
    web: WebPartnership,
) -> None:
    """Its losses were the new reports' US dollars alone: a day of NPR losses read '$0 in
    losses' without a word, while the cards above said them."""
    _new_and_old_unrated_losses(web)
    bob, alice = web.clients["B"], web.clients["A"]
    changes = _since_yesterday(bob.get("/").text)
    assert "+ 6,900.50 NPR in 3 report(s), no exchange rate" in changes
    assert "999" not in changes and "7,899.50" not in changes  # stored two days ago
    thai = _since_yesterday(bob.get("/", headers={"Accept-Language": "th"}).text)
    assert "+ 6,900.50 NPR ใน 3 รายงาน ไม่มีอัตราแลกเปลี่ยน" in thai
    vietnamese = _since_yesterday(bob.get("/", headers={"Accept-Language": "vi"}).text)
    assert "+ 6,900.50 NPR trong 3 báo cáo, không có tỷ giá" in vietnamese
    # A sees the report shared with the partnership only, not B's own.
    seen_by_a = _since_yesterday(alice.get("/").text)
    assert "+ 700 NPR in 1 report(s), no exchange rate" in seen_by_a
    assert "6,900.50" not in seen_by_a and "6,200.50" not in seen_by_a


def test_a_day_without_unrated_losses_says_none(web: WebPartnership) -> None:
    """The seed's THB losses all have a rate: the line adds nothing."""
    changes = _since_yesterday(web.clients["A"].get("/").text)
    assert "no exchange rate" not in changes
    assert "in losses" in changes


def test_since_yesterday_counts_the_unrated_losses_it_may_show(web: WebPartnership) -> None:
    """`data.since_yesterday` per viewer: the amounts added up exactly, per currency."""
    _new_and_old_unrated_losses(web)
    b = data.since_yesterday(web.store, _viewer(web.store, "B", in_groups=True))
    a = data.since_yesterday(web.store, _viewer(web.store, "A", in_groups=True))
    assert b.new_unrated == (Unrated("NPR", 3, "6900.50"),)
    assert a.new_unrated == (Unrated("NPR", 1, "700"),)
    later = datetime.now(UTC) + timedelta(days=2)
    gone = data.since_yesterday(web.store, _viewer(web.store, "B", in_groups=True), now=later)
    assert gone.new_unrated == () and gone.new_reports == 0
