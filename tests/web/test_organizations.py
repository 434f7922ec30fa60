"""The administration page: an admin adds an organization to the group it chose, whatever the
group's name (group names, unlike organization names, may hold '/' and dot steps)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from tests.web.conftest import WebPartnership, csrf_of


def _members(page: str, group: str) -> str:
    row = re.search(rf"<tr><td>{re.escape(group)}</td><td>A</td><td>([^<]*)</td></tr>", page)
    assert row is not None, group
    return row[1]


def _submit_add_form(web: WebPartnership, group: str, org: str) -> int:
    """Fill in and send the page's form that adds an organization to GROUP, as a browser does
    (the action resolved against the page's address, dot steps and all)."""
    alice = web.clients["A"]
    page = alice.get("/organizations").text
    label = f"Add an organization to {group}"
    form = next(f for f in page.split("<form")[1:] if label in f.split("</form>")[0])
    action = re.search(r'action="([^"]+)"', form)
    assert action is not None
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    fields = {name: html.unescape(value) for name, value in found}
    target = urljoin("http://testserver/organizations", html.unescape(action[1]))
    answer = alice.post(target, data=fields | {"org": org}, follow_redirects=False)
    return int(answer.status_code)


def test_adding_a_member_goes_to_the_group_named_whatever_its_name(web: WebPartnership) -> None:
    """The form's address was made of the name: 'archive/../mekong' added B to mekong (the
    browser resolves the dot steps), 'mekong/south' to no group at all (404). Such names are
    refused now (the API addresses a group by its name in a path too), and the form names the
    group in a field."""
    alice = web.clients["A"]
    for name in ("archive/../mekong", "mekong/south", ".."):
        refused = alice.post(
            "/organizations/groups",
            data={"name": name, "csrf_token": csrf_of(alice)},
            follow_redirects=False,
        )
        assert refused.status_code != 303, name
        assert "without &#39;/&#39;" in refused.text, name
    made = alice.post(
        "/organizations/groups",
        data={"name": "100% <b>", "csrf_token": csrf_of(alice)},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert _submit_add_form(web, "100% &lt;b&gt;", "C") == 303
    page = alice.get("/organizations").text
    assert _members(page, "mekong") == "A, C"
    assert _members(page, "100% &lt;b&gt;") == "A, C"
    assert "archive/" not in page and "mekong/south" not in page


def test_adding_a_member_needs_the_token_and_a_group_of_one_s_own(web: WebPartnership) -> None:
    alice = web.clients["A"]
    fields = {"group": "mekong", "org": "B"}
    assert alice.post("/organizations/members", data=fields).status_code == 403  # no token
    carol = web.clients["C"]  # a member of mekong, not its owner, and not an admin
    refused = carol.post("/organizations/members", data=fields | {"csrf_token": csrf_of(carol)})
    assert refused.status_code == 403
    unknown = alice.post(
        "/organizations/members",
        data={"group": "nowhere", "org": "B", "csrf_token": csrf_of(alice)},
    )
    assert unknown.status_code == 400 and "nowhere" in unknown.text
    assert _members(alice.get("/organizations").text, "mekong") == "A, C"
