"""The optional public check (`GET /api/v1/check`): anyone may ask whether a number or link was
reported; only what partners marked TLP:CLEAR for the partnership counts, and nothing says who
reported it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.api import ApiSettings
from bigfish.linking.service import pin_value
from bigfish.store import Store
from bigfish.store.schema import identifiers
from bigfish.store.schema_linking import link_pins, stopped_values
from tests.api.helpers import Partnership, build_partnership, report

PUBLISHED = "+66811111111"  # TLP:CLEAR, partnership: A's and B's reports
GREEN = "+66822222222"  # TLP:GREEN: the partners', not the public's
OWN = "+66833333333"  # TLP:CLEAR kept to A alone
HOTLINE = "02-888-8888"  # on the shipped Thai hotline warning list


@pytest.fixture
def node(sqlite_store: Store) -> Iterator[Partnership]:
    yield from build_partnership(sqlite_store, ApiSettings(public_check=True))


def _publish(p: Partnership) -> None:
    public = {"tlp": "clear", "distribution": "partnership"}
    p.submit("A", [report("a-1", phone=PUBLISHED), report("a-2", phone=HOTLINE)], **public)
    p.submit("B", [report("b-1", phone=PUBLISHED, country="VN", scam_type="romance")], **public)
    p.submit("A", [report("a-3", phone=GREEN)], tlp="green", distribution="partnership")
    p.submit("A", [report("a-4", phone=OWN)], tlp="clear", distribution="organization")


def _check(p: Partnership, **params: str) -> Any:
    answer = p.client.get("/api/v1/check", params=params)  # no key
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_anyone_learns_what_partners_published_and_nothing_of_who(node: Partnership) -> None:
    _publish(node)
    body = _check(node, value=PUBLISHED)
    [value] = body["checked"]
    assert value == {
        "kind": "phone",
        "canonical": PUBLISHED,
        "valid": True,
        "reported": True,
        "report_count": 2,
        "scam_types": ["investment", "romance"],
        "countries": ["TH", "VN"],
        "first_reported": "2025-11-02",
        "last_reported": "2025-11-02",
        "shared_infrastructure": False,
    }
    assert "TLP:CLEAR" in body["note"] and "a-1" not in str(body)


def test_what_the_public_may_not_see_answers_as_a_value_nobody_reported(
    node: Partnership,
) -> None:
    _publish(node)
    nobody = _check(node, value="+66844444444")["checked"][0]
    for hidden in (GREEN, OWN):
        [value] = _check(node, value=hidden)["checked"]
        assert value | {"canonical": None} == nobody | {"canonical": None}, hidden
        assert value["reported"] is False and value["report_count"] == 0


def test_a_hotline_victims_mention_is_infrastructure_not_a_scam_number(
    node: Partnership,
) -> None:
    _publish(node)
    [value] = _check(node, value=HOTLINE, country="TH")["checked"]
    assert value["shared_infrastructure"] is True
    assert (value["reported"], value["report_count"], value["countries"]) == (False, 0, [])


def test_a_whole_message_is_checked_value_by_value(node: Partnership) -> None:
    _publish(node)
    sms = "Parcel held. Call 081-111-1111, see https://facebook.com or bit.ly/3xYz12 now"
    checked = _check(node, value=sms, country="TH")["checked"]
    by_value = {c["canonical"]: c for c in checked}
    assert list(by_value) == [PUBLISHED, "facebook.com", "bit.ly/3xYz12"]  # a site: its domain
    assert by_value[PUBLISHED]["reported"] is True
    assert by_value["facebook.com"]["kind"] == "domain"
    assert by_value["facebook.com"]["shared_infrastructure"] is True  # the platform itself
    assert by_value["bit.ly/3xYz12"] | {"canonical": None} == {  # one short link: its own
        "kind": "url",
        "canonical": None,
        "valid": True,
        "reported": False,
        "report_count": 0,
        "scam_types": [],
        "countries": [],
        "first_reported": None,
        "last_reported": None,
        "shared_infrastructure": False,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"value": ""}, "value"),
        ({"value": "nothing to check here"}, "value"),
        ({"value": "0812345678", "kind": "fax"}, "kind"),
        ({"value": "x" * 2001}, "value"),
    ],
)
def test_a_check_it_cannot_answer_names_the_field(
    node: Partnership, params: dict[str, str], field: str
) -> None:
    answer = node.client.get("/api/v1/check", params=params)
    assert answer.status_code in (400, 422), answer.text
    details = answer.json()["error"]["details"]
    assert field in str(details)


def test_the_check_is_off_unless_the_operator_turns_it_on(sqlite_partnership: Partnership) -> None:
    c = sqlite_partnership.client
    assert c.get("/api/v1/check", params={"value": PUBLISHED}).status_code == 404
    assert "/api/v1/check" not in c.get("/openapi.json").json()["paths"]


def test_each_address_may_check_only_so_often(sqlite_store: Store) -> None:
    settings = ApiSettings(public_check=True, public_check_per_minute=6)  # a burst of 2
    for p in build_partnership(sqlite_store, settings):
        answers = [p.client.get("/api/v1/check", params={"value": PUBLISHED}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        document = p.client.get("/openapi.json").json()
        assert "security" not in document["paths"]["/api/v1/check"]["get"]  # no key


def test_the_operators_pin_decides_before_the_lists_and_the_hub_test(node: Partnership) -> None:
    """Pinned as not linking: infrastructure to the public too; a listed value pinned as
    linking: answered with its counts; a value the linking stopped as a hub: infrastructure —
    but only when published reports mention it (the hub test reads every report)."""
    _publish(node)
    pin_value(node.store, "phone", PUBLISHED, link=False, note="a courier's hotline")
    pin_value(node.store, "phone", HOTLINE, link=True, note="taken over by a ring", country="TH")
    assert _check(node, value=PUBLISHED)["checked"][0]["shared_infrastructure"] is True
    [hotline] = _check(node, value=HOTLINE, country="TH")["checked"]
    assert (hotline["shared_infrastructure"], hotline["report_count"]) == (False, 1)
    nobody = _check(node, value="+66844444444")["checked"][0] | {"canonical": None}
    with node.store.begin() as conn:
        conn.execute(link_pins.delete())
        for value in (PUBLISHED, OWN):
            ident = conn.execute(
                sa.select(identifiers.c.id).where(identifiers.c.canonical == value)
            ).scalar_one()
            conn.execute(
                stopped_values.insert().values(
                    identifier_id=ident, reason="hub_groups", detail="12 groups", report_count=40
                )
            )
    assert _check(node, value=PUBLISHED)["checked"][0]["shared_infrastructure"] is True
    assert _check(node, value=OWN)["checked"][0] | {"canonical": None} == nobody
