"""Review (helper 94): a webhook job's secret stays out of its repr, and a webhook URL whose
host is an internal address in any numeric form is refused when registered."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from bigfish.alerts.delivery import _WebhookDeliveries
from bigfish.errors import InputError, PeerError
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_access import webhooks
from bigfish.webhooks import add_webhook, guarded_request


def test_a_webhook_jobs_repr_shows_no_secret() -> None:
    """A job is what a delivery thread holds: a traceback with locals, or a debug log of it,
    must not carry the signing key."""
    secret = "f" * 64
    job = _WebhookDeliveries("B", "https://hooks.example/b", secret, (b"{}",))
    assert secret not in repr(job)
    assert job.secret == secret


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/hook",  # decimal 127.0.0.1
        "http://0x7f.1/hook",  # hex and short
        "http://127.1/hook",
        "http://0x7f000001:8080/hook",
    ],
)
def test_an_internal_address_in_a_numeric_form_is_refused_when_registered(
    store: Store, url: str
) -> None:
    """As http://127.0.0.1/ is: the system's resolver reads these forms as 127.0.0.1, so a
    registration that accepted them would only fail at every delivery."""
    with store.begin() as conn:
        conn.execute(organizations.insert().values(name="B", created_at=sa.func.now()))
        org_id = conn.execute(sa.select(organizations.c.id)).scalar_one()
    with pytest.raises(InputError, match="internal address"):
        add_webhook(store, org_id, url)
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhooks)).scalar_one() == 0


def test_names_and_public_numeric_forms_are_still_registered(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(organizations.insert().values(name="B", created_at=sa.func.now()))
        org_id = conn.execute(sa.select(organizations.c.id)).scalar_one()
    for url in ("https://hooks.example/b", "https://1.example/b", "http://1572395042/b"):
        hook, _ = add_webhook(store, org_id, url)
        assert hook.url == url


@pytest.mark.parametrize(
    "location", ["ftp://files.example/x", "http://peer.example:99999/", "mailto:x@y.example"]
)
def test_a_redirect_to_no_http_url_is_the_peers_failure(location: str) -> None:
    """A PeerError (a TAXII schedule tries again at its next turn), not an InputError blaming
    the caller's URL (which ended the schedule)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location})

    with pytest.raises(PeerError, match="redirected"):
        guarded_request(
            "GET",
            "https://peer.example/taxii2/",
            [],
            transport=httpx.MockTransport(handler),
            resolver=lambda host, port: ["93.184.216.34"],
        )
