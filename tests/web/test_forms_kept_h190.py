"""A form refused for one bad field comes back with everything else the user typed or chose:
an analyst who wrote a request's summary and chose its recipient, type, legal basis, urgency and
deadline, then mistyped the subject, had to do all of it again (only the subject was kept)."""

from __future__ import annotations

import re

from tests.web.conftest import WebPartnership, csrf_of


def _selected(html: str, name: str) -> str | None:
    """The value of the option selected in the select named NAME."""
    select = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select[1])
    return chosen[1] if chosen else None


def _value(html: str, name: str) -> str | None:
    field = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert field is not None, name
    value = re.search(r'value="([^"]*)"', field[0])
    return value[1] if value else None


def test_a_refused_request_keeps_every_field_the_analyst_filled_in(web: WebPartnership) -> None:
    bob = web.clients["B"]
    form = {
        "to_org": "C",
        "request_type": "payment_freeze",
        "legal_basis": "uncc-40",
        "urgency": "emergency",
        "deadline": "2099-01-15",
        "summary": 'freeze the mule accounts <now> & "today"',
        "subject": "network:not-a-number",
        "send": "yes",
        "csrf_token": csrf_of(bob),
    }
    answer = bob.post("/requests", data=form)
    assert answer.status_code == 400
    assert re.search(r'<p class="error" role="alert">subject', answer.text), answer.text
    page = answer.text
    assert _selected(page, "to_org") == "C"
    assert _selected(page, "request_type") == "payment_freeze"
    assert _selected(page, "legal_basis") == "uncc-40"
    assert _selected(page, "urgency") == "emergency"
    assert _selected(page, "send") == "yes"
    assert _value(page, "deadline") == "2099-01-15"
    assert _value(page, "summary") == "freeze the mule accounts &lt;now&gt; &amp; &#34;today&#34;"
    assert _value(page, "subject") == "network:not-a-number"


def test_a_new_request_form_starts_with_the_defaults(web: WebPartnership) -> None:
    page = web.clients["B"].get("/requests").text
    assert _selected(page, "urgency") is None  # the first: routine
    assert _selected(page, "send") is None  # the first: a draft
    assert _value(page, "summary") is None


def test_a_refused_group_keeps_its_name_and_members(web: WebPartnership) -> None:
    alice = web.clients["A"]
    form = {"name": "gulf <ring>", "members": "B, C, nowhere", "csrf_token": csrf_of(alice)}
    answer = alice.post("/organizations/groups", data=form)
    assert answer.status_code == 400
    assert "nowhere" in re.search(r'role="alert">([^<]*)<', answer.text)[1]  # type: ignore[index]
    assert _value(answer.text, "name") == "gulf &lt;ring&gt;"
    assert _value(answer.text, "members") == "B, C, nowhere"
    assert _value(alice.get("/organizations").text, "members") is None
