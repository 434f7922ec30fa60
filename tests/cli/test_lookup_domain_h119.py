"""A site's domain typed alone is looked up as the domain: `bigfish lookup invest-gold88.com`
(no --kind) answered for the URL `invest-gold88.com/`, the front page nobody reported, "0
reports", while every report naming one of the site's pages holds the domain (spec/identifiers.md
derives it from every URL); the web search (`interpret`) read it the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import Store, open_store
from bigfish.web.lookup import interpret
from tests.cli.lookup_json import lookup_json as _lookup
from tests.intake.conftest import csv_text, row

runner = CliRunner()


@pytest.fixture
def site_url(store: Store, store_url: str, tmp_path: Path) -> str:
    """A store with two reports naming pages of invest-gold88.com, never its front page."""
    rows = [
        row("r1", urls="https://invest-gold88.com/app/login", phones=""),
        row("r2", urls="http://www.invest-gold88.com/pay?id=7", phones=""),
    ]
    path = tmp_path / "a.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    result = runner.invoke(app, ["--db", store_url, "ingest", str(path), "--org", "A"])
    assert result.exit_code == 0, (result.output, result.exception)
    return store_url


@pytest.mark.parametrize(
    "typed", ["invest-gold88.com", "https://www.invest-gold88.com/", "INVEST-GOLD88.COM"]
)
def test_a_bare_domain_is_looked_up_as_the_domain(site_url: str, typed: str) -> None:
    answer = _lookup(site_url, typed)
    assert (answer["canonical_kind"], answer["canonical"]) == ("domain", "invest-gold88.com")
    assert answer["report_count"] == 2
    assert answer == _lookup(site_url, "invest-gold88.com", "--kind", "domain")


def test_a_page_or_a_subdomain_stays_a_url(site_url: str) -> None:
    page = _lookup(site_url, "invest-gold88.com/app/login")
    assert (page["canonical_kind"], page["canonical"], page["report_count"]) == (
        "url",
        "invest-gold88.com/app/login",
        1,
    )
    other = _lookup(site_url, "m.invest-gold88.com")  # a host, not the registrable domain
    assert (other["canonical_kind"], other["canonical"]) == ("url", "m.invest-gold88.com/")
    front = _lookup(site_url, "invest-gold88.com", "--kind", "url")  # asked for: the URL
    assert (front["canonical_kind"], front["report_count"]) == ("url", 0)


def _meant(text: str, country: str | None = None) -> list[tuple[str, str]]:
    return [(i.canonical_kind.value, i.canonical) for i in interpret(text, None, country)]


def test_the_web_search_reads_a_bare_domain_as_the_domain() -> None:
    assert _meant("invest-gold88.com") == [("domain", "invest-gold88.com")]
    assert _meant("invest-gold88.com/app") == [("url", "invest-gold88.com/app")]
    assert _meant("pay at www.invest-gold88.com or call 081-234-5678", "TH") == [
        ("domain", "invest-gold88.com"),
        ("phone", "+66812345678"),
    ]


def test_a_local_number_without_a_country_is_told_to_pass_one(store_url: str) -> None:
    """`bigfish lookup 0812345678` said only "pass --kind", and `--kind phone` alone then
    answers `valid: no`: the number needs its country."""
    open_store(store_url).close()  # a node's store (a lookup reads one; it makes none)
    result = runner.invoke(app, ["--db", store_url, "lookup", "0812345678"])
    assert result.exit_code == 1
    assert "--country" in result.stderr
    found = _lookup(store_url, "0812345678", "--country", "TH")
    assert (found["canonical_kind"], found["canonical"]) == ("phone", "+66812345678")
