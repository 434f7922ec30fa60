"""A point of contact with a blank role is refused naming the role, not the name the user did
give ("name: a contact needs a name and a role" sent them to the wrong field)."""

from __future__ import annotations

import pytest

from bigfish.cooperation.contacts import add_contact, list_contacts
from bigfish.cooperation.model import Contact
from bigfish.errors import InputError
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store


@pytest.mark.parametrize(
    ("name", "role", "field"),
    [("Duty officer", "  ", "role"), ("", "24/7 point of contact", "name"), (" ", "", "name")],
)
def test_a_blank_name_or_role_is_refused_naming_that_field(
    store: Store, name: str, role: str, field: str
) -> None:
    add_org(store, "TH-AOC", country="TH")
    contact = Contact("TH-AOC", name, role, "+6621234567", None, True)
    with pytest.raises(InputError) as refused:
        add_contact(store, Viewer.node_operator(), contact)
    assert refused.value.field == field
    assert list_contacts(store, Viewer.node_operator()) == []
