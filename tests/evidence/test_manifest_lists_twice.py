"""A manifest that lists one evidence item twice (signed by the node's own key: an exporter's
fault, or its key misused) is refused, naming the item: `verify` must not count one file as
two, nor show its acquirer twice."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bigfish.evidence.custody import canonical_json
from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package, rewrite


def test_a_manifest_listing_an_evidence_item_twice_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def twice(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        manifest["evidence"].append(copy.deepcopy(manifest["evidence"][0]))
        m["manifest.json"] = canonical_json(manifest)
        m["manifest.sig"] = key.sign(m["manifest.json"]).encode()

    check = verify_package(rewrite(package, twice), key.fingerprint)
    assert not check.ok
    assert check.problem == "manifest.json lists evidence ev-0 twice"
