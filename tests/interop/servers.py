"""Real HTTP servers on loopback for clients that speak HTTP (taxii2-client, sync): a bigfish app
under uvicorn and the OASIS reference TAXII server medallion, each in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bigfish.api.app import ApiSettings, create_app
from bigfish.store import Store
from tests.polling import WAIT


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_in_thread(app: Any, **settings: Any) -> Iterator[int]:
    """Serve APP with uvicorn on a free loopback port in a thread (SETTINGS are uvicorn.Config's);
    yields the port once the server has started."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
        **settings,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(WAIT)


@contextmanager
def bigfish_server(store: Store) -> Iterator[str]:
    """Serve STORE's API on loopback; yields the base URL."""
    app = create_app(store, ApiSettings(rate_limit_per_minute=0))
    with uvicorn_in_thread(app, lifespan="on", timeout_keep_alive=1) as port:
        yield f"http://127.0.0.1:{port}"


MEDALLION_COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
STIX_MEDIA = "application/stix+json;version=2.1"


def medallion_data(objects: list[dict[str, Any]], base: str) -> dict[str, Any]:
    """A medallion memory-backend data file with one readable collection holding OBJECTS."""
    stored: list[dict[str, Any]] = []
    manifest: list[dict[str, Any]] = []
    for i, obj in enumerate(objects):
        added = f"2025-11-01T00:00:{i // 1000:02d}.{i % 1000:03d}000Z"
        version = obj.get("modified") or obj.get("created") or added
        stored.append(
            obj if "modified" in obj or "created" in obj else obj | {"_date_added": added}
        )
        manifest.append(
            {"id": obj["id"], "date_added": added, "version": version, "media_type": STIX_MEDIA}
        )
    return {
        "/discovery": {
            "title": "medallion",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "api1",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 100000000,
            },
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "scams",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [STIX_MEDIA],
                    "objects": stored,
                    "manifest": manifest,
                }
            ],
        },
    }


@contextmanager
def medallion_server(tmp: Path, objects: list[dict[str, Any]], page: int = 100) -> Iterator[str]:
    """medallion with its memory backend serving OBJECTS; yields the discovery URL."""
    import medallion
    from werkzeug.serving import make_server

    port = free_port()
    data = tmp / "medallion-data.json"
    data.write_text(json.dumps(medallion_data(objects, f"http://127.0.0.1:{port}")), "utf-8")
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data),
        },
        "users": {"peer": "secret"},
        "taxii": {"max_page_size": page},
    }
    medallion.set_config(medallion.application_instance, "users", config)
    medallion.set_config(medallion.application_instance, "taxii", config)
    medallion.set_config(medallion.application_instance, "backend", config)
    if not medallion.application_instance.blueprints:
        medallion.register_blueprints(medallion.application_instance)
    server = make_server("127.0.0.1", port, medallion.application_instance, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/taxii2/"
    finally:
        server.shutdown()
        thread.join(WAIT)


class FakeTaxii(httpx.BaseTransport):
    """TAXII peers in memory, one per port of 127.0.0.1: each serves one collection of OBJECTS
    in one page, or for ever (`more: true` with the same token) when LOOPING; REDIRECTS sends a
    port's every request on to another URL. Every request is kept in `seen`."""

    def __init__(
        self,
        peers: dict[int, list[dict[str, Any]]],
        *,
        looping: bool = False,
        redirects: dict[int, str] | None = None,
    ) -> None:
        self.peers = peers
        self.looping = looping
        self.redirects = redirects or {}
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        port = int(request.url.port or 80)
        if port in self.redirects:
            return httpx.Response(302, headers={"Location": self.redirects[port]})
        base = f"{request.url.scheme}://127.0.0.1:{port}/taxii2/api/"
        path = request.url.path
        if path == "/taxii2/":
            return httpx.Response(200, json={"api_roots": [base]})
        if path == "/taxii2/api/collections/":
            return httpx.Response(200, json={"collections": [{"id": "c1", "can_read": True}]})
        if path == "/taxii2/api/collections/c1/objects/":
            body: dict[str, Any] = {"more": False, "objects": self.peers[port]}
            if self.looping:
                body |= {"more": True, "next": "same"}
            return httpx.Response(200, json=body)
        return httpx.Response(404, json={})
