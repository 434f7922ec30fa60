"""`bigfish report`: periods, statistics through the policy, HTML and PDF with charts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.organizations import list_orgs
from bigfish.reporting import compute_statistics, parse_period, write_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.web.conftest import WebPartnership


def test_periods_as_people_type_them() -> None:
    year = parse_period("2025")
    assert year.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert year.end == datetime(2026, 1, 1, tzinfo=UTC)
    quarter = parse_period("2025-q4")
    assert (quarter.start, quarter.end) == (
        datetime(2025, 10, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    span = parse_period("2025-01..2025-06")
    assert span.end == datetime(2025, 7, 1, tzinfo=UTC)
    open_end = parse_period("2025-11-15..")
    assert open_end.end is None
    assert parse_period(None).start is None
    for bad in ("2025-13", "last week", "2025-06..2025-01", "2025-02-30"):
        with pytest.raises(InputError) as caught:
            parse_period(bad)
        assert caught.value.field == "period"


def _viewer(web: WebPartnership, name: str) -> Viewer:
    org = next(o for o in list_orgs(web.store) if o.name == name)
    return Viewer(org.id, org.name)


def test_statistics_count_only_what_the_reader_may_see(web: WebPartnership) -> None:
    everything = compute_statistics(web.store, Viewer.node_operator())
    assert everything.report_count == 6
    a = compute_statistics(web.store, _viewer(web, "A"))
    b = compute_statistics(web.store, _viewer(web, "B"))
    assert (a.report_count, b.report_count) == (4, 2)
    assert [t.key for t in b.by_country] == ["VN"]
    assert a.network_count == 2 and b.network_count == 1
    assert compute_statistics(web.store, _viewer(web, "B"), parse_period("2024")).report_count == 0


def test_cross_border_flows_go_from_victims_to_assets(web: WebPartnership) -> None:
    web.api.submit("B", [{**_vn_victim(), "report_id": "b-3"}], distribution="partnership")
    stats = compute_statistics(web.store, _viewer(web, "B"))
    assert [(f.victim_country, f.asset_country, f.reports) for f in stats.flows] == [
        ("VN", "TH", 1)
    ]


def _vn_victim() -> dict[str, object]:
    return {
        "reported_at": "2025-11-03T10:00:00Z",
        "country": "VN",
        "scam_type": "romance",
        "loss_amount": "100",
        "loss_currency": "USD",
        "phones": ["+66833333333"],
    }


def test_html_report_has_the_summary_the_charts_and_no_hostile_markup(
    web: WebPartnership, tmp_path: Path
) -> None:
    out = tmp_path / "summit.html"
    result = write_report(web.store, Viewer.node_operator(), out, parse_period("2025"))
    html = out.read_text("utf-8")
    assert result.format == "html" and result.report_count == 6
    assert 'id="summary"' in html
    assert html.count("data:image/png;base64,") == 5
    assert "<script" not in html
    assert "Cross-border flows" in html and "Cooperation requests by status" in html


def test_pdf_report_from_the_command_line(web: WebPartnership, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "summit.pdf"
    url = str(web.store.engine.url.render_as_string(hide_password=False))
    url = url.replace("postgresql+psycopg://", "postgresql://")
    data = str(tmp_path / "data")
    argv = ["--db", url, "--data-dir", data, "report", "--out", str(out), "--as-org", "B"]
    answer = CliRunner().invoke(app, argv)
    assert answer.exit_code == 0, answer.output
    pages = PdfReader(str(out)).pages
    assert len(pages) >= 2
    first = pages[0].extract_text()
    assert "2 scam reports" in first.replace("\n", " ")


def test_report_rejects_a_bad_period_and_format(web: WebPartnership, tmp_path: Path) -> None:
    url = str(web.store.engine.url.render_as_string(hide_password=False))
    url = url.replace("postgresql+psycopg://", "postgresql://")
    runner = CliRunner()
    given = ["--db", url, "--data-dir", str(tmp_path / "data"), "report"]
    bad = runner.invoke(app, [*given, "--out", str(tmp_path / "r.html"), "--period", "x"])
    assert bad.exit_code == 1
    wrong = runner.invoke(app, [*given, "--out", str(tmp_path / "r.docx")])
    assert wrong.exit_code == 1


def test_key_figures_are_the_statistics_fields_they_name(web: WebPartnership) -> None:
    from bigfish.reporting.stats import key_figures

    web.api.submit("B", [{**_vn_victim(), "report_id": "b-4"}], distribution="partnership")
    viewers = [Viewer.node_operator()] + [_viewer(web, n) for n in ("A", "B", "C")]
    for viewer in viewers:
        for period in (None, "2025", "2024"):
            whole = compute_statistics(web.store, viewer, parse_period(period))
            key = key_figures(web.store, viewer, parse_period(period))
            assert (key.report_count, key.loss_usd, key.network_count, key.country_count) == (
                whole.report_count,
                whole.loss_usd,
                whole.network_count,
                whole.country_count,
            )
            assert (key.by_country, key.by_month) == (whole.by_country, whole.by_month)


def test_a_report_as_an_organization_counts_its_groups_reports(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review finding: `--as-org` left out the organization's sharing groups, so a group's
    reports were missing from a member's report (it said 0 reports)."""
    from tests.api.helpers import build_partnership, report

    for p in build_partnership(sqlite_store):  # mekong: A and C
        group = {"tlp": "amber", "distribution": "group", "group": "mekong"}
        p.submit("A", [report("g1"), report("g2")], **group)
    url = str(sqlite_store.engine.url.render_as_string(hide_password=False))
    counts = {}
    for org in ("C", "B"):
        out = tmp_path / f"{org}.html"
        data = str(tmp_path / "data")
        argv = ["--db", url, "--data-dir", data, "report", "--out", str(out), "--period", "2025"]
        answer = CliRunner().invoke(app, [*argv, "--as-org", org])
        assert answer.exit_code == 0, answer.output
        counts[org] = answer.output
    assert ": 2 reports" in counts["C"] and ": 0 reports" in counts["B"]
