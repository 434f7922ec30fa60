"""The 24/7 point-of-contact directory of the partnership (Budapest art. 35, UN art. 41)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.cooperation.model import Contact
from bigfish.errors import AccessDenied, InputError, check_text
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_evidence import contacts

#: The longest text each field of a contact holds (the columns of `contacts`): longer text, or
#: a NUL, failed in PostgreSQL naming no field (the CLI passes its options through unbounded).
_LIMITS = {"name": 200, "role": 200, "phone": 50, "email": 320, "languages": 200, "timezone": 64}


def add_contact(store: Store, viewer: Viewer, contact: Contact) -> Contact:
    """Add a point of contact to VIEWER's organization (the operator may add to any)."""
    for field in ("name", "role"):  # named as the one left blank
        if not getattr(contact, field).strip():
            raise InputError("a contact needs a name and a role", field=field)
    if not (contact.phone or contact.email):
        raise InputError("a contact needs a phone number or an email address", field="phone")
    for field, limit in _LIMITS.items():
        value = getattr(contact, field)
        check_text(value, field)
        if value is not None and len(value) > limit:
            raise InputError(f"{field} is at most {limit} characters", field=field)
    with store.begin() as conn:
        org_id = _org_id(conn, contact.org)
        if not viewer.operator and viewer.org_id != org_id:
            raise AccessDenied(f"only {contact.org} manages its points of contact")
        conn.execute(
            contacts.insert().values(
                org_id=org_id,
                name=contact.name.strip(),
                role=contact.role.strip(),
                phone=contact.phone,
                email=contact.email,
                always_available=contact.always_available,
                languages=contact.languages,
                timezone=contact.timezone,
                created_at=datetime.now(UTC),
            )
        )
    return contact


def list_contacts(store: Store, viewer: Viewer, org: str | None = None) -> list[Contact]:
    """The partnership's point-of-contact directory (24/7 points first), for any member."""
    if viewer.org_id is None and not viewer.operator:
        return []
    query = (
        sa.select(contacts, organizations.c.name.label("org"))
        .join(organizations, organizations.c.id == contacts.c.org_id)
        .order_by(organizations.c.name, contacts.c.always_available.desc(), contacts.c.name)
    )
    if org is not None:
        query = query.where(organizations.c.name == org)
    with store.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Contact(
            r.org,
            r.name,
            r.role,
            r.phone,
            r.email,
            bool(r.always_available),
            r.languages,
            r.timezone,
        )
        for r in rows
    ]


def _org_id(conn: sa.Connection, name: str) -> int:
    found = conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first()
    if found is None:
        raise InputError(f"unknown organization {name!r}", field="org")
    return int(found[0])
