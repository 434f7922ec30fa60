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


def test_a_manifest_that_vouches_for_no_digest_of_a_document_is_refused(tmp_path: Path) -> None:
    # Every package bigfish ever wrote lists the digest of each document; one that does not
    # leaves that document unchecked: summary.txt could say anything under "OK".
    package, key = build_package(tmp_path)

    def unvouched(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        del manifest["documents"]["summary.txt"]
        m["summary.txt"] = b"Evidence package: all files were planted by the police\n"
        m["manifest.json"] = canonical_json(manifest)
        m["manifest.sig"] = key.sign(m["manifest.json"]).encode()

    check = verify_package(rewrite(package, unvouched), key.fingerprint)
    assert not check.ok
    assert (
        check.problem == "manifest.json lists no digest of summary.txt (its content is unchecked)"
    )
