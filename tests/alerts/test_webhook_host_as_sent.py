"""A webhook URL whose host is an internal address written with ideographic full stops
(``127。0。0。1``, which the URL parser reads as ``127.0.0.1`` and every delivery would be sent
to) is refused when registered, as ``http://127.0.0.1/`` is: it was registered and then failed
at every delivery."""

from __future__ import annotations

import pytest

from bigfish.errors import InputError
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.webhooks import add_webhook, allow_peer


@pytest.mark.parametrize(
    "url",
    [
        "http://127\u30020\u30020\u30021/hook",  # 。 ideographic full stop
        "http://10\uff0e0\uff0e0\uff0e5:8080/hook",  # ． fullwidth full stop
        "http://169\uff61254\uff61169\uff61254/latest",  # ｡ halfwidth ideographic full stop
    ],
)
def test_an_internal_address_written_with_other_full_stops_is_refused(
    sqlite_store: Store, url: str
) -> None:
    org = add_org(sqlite_store, "B").id
    with pytest.raises(InputError, match="internal address") as refused:
        add_webhook(sqlite_store, org, url)
    assert refused.value.field == "url"


def test_it_is_registered_once_its_address_is_allowed(sqlite_store: Store) -> None:
    org = add_org(sqlite_store, "B").id
    allow_peer(sqlite_store, "http://127\u30020\u30020\u30021:8080")  # the origin as written
    hook, _ = add_webhook(sqlite_store, org, "http://127\u30020\u30020\u30021:8080/hook")
    assert hook.url == "http://127\u30020\u30020\u30021:8080/hook"
    hook, _ = add_webhook(sqlite_store, org, "https://hooks.example/b")
    assert hook.url == "https://hooks.example/b"
