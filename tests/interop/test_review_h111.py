"""TAXII 2.1 query parameters given twice: refused, 400 naming the parameter, as on the API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import httpx
from taxii2client.v21 import Server

from bigfish.accounts import create_key
from bigfish.models import ApiRole
from bigfish.store import Store
from tests.interop.builders import partnership
from tests.interop.servers import bigfish_server
from tests.polling import WAIT

TWICE = (
    [("limit", "5"), ("limit", "500")],
    [("added_after", "2000-01-01T00:00:00Z"), ("added_after", "2999-01-01T00:00:00Z")],
    [("match[type]", "report"), ("match[type]", "identity")],
    [("match[id]", "report--x"), ("match[id]", "report--y")],
    [("match[version]", "all"), ("match[version]", "first")],
    [("match[spec_version]", "2.0"), ("match[spec_version]", "2.1")],
    [("next", "a"), ("next", "b")],
)


def test_a_taxii_query_parameter_given_twice_is_refused_naming_it(
    store: Store, tmp_path: Path
) -> None:
    """Read as its last value, `?limit=5&limit=500` served 500 objects and
    `?match[type]=report&match[type]=identity` served only identities."""
    partnership(store, tmp_path)
    key = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    headers = {"Authorization": f"Bearer {key}"}
    with bigfish_server(store) as base:
        root = f"{base}/taxii2/api/collections/"
        listing = httpx.get(root, headers=headers, timeout=WAIT).json()["collections"]
        shared = next(c["id"] for c in listing if c["title"] == "Partnership")
        objects = f"{root}{shared}/objects/"
        first = httpx.get(
            objects, params={"match[type]": "report"}, headers=headers, timeout=WAIT
        ).json()
        report_id = first["objects"][0]["id"]
        urls = (
            objects,
            f"{root}{shared}/manifest/",
            f"{objects}{report_id}/",
            f"{objects}{report_id}/versions/",
        )
        for url in urls:
            for query in TWICE:
                answer = httpx.get(f"{url}?{urlencode(query)}", headers=headers, timeout=WAIT)
                name = query[0][0]
                assert answer.status_code == 400, (url, query, answer.text)
                error = answer.json()["error"]
                assert error["message"] == f"query parameter {name!r} is given more than once"
                assert error["details"] == {"field": name}
        # One parameter with a comma-separated list is TAXII's way to ask for several values.
        both = httpx.get(
            objects,
            params={"match[type]": "report,phone-number", "limit": "500"},
            headers=headers,
            timeout=WAIT,
        )
        assert both.status_code == 200, both.text
        assert {o["type"] for o in both.json()["objects"]} == {"report", "phone-number"}
        # The OASIS client sends a list as one such parameter, and is served as before.
        server = Server(f"{base}/taxii2/", user="sync", password=key)
        [collection] = [c for c in server.api_roots[0].collections if c.id == shared]
        served = collection.get_objects(type=["report", "phone-number"])
        assert {o["type"] for o in served["objects"]} == {"report", "phone-number"}
