"""A signed manifest that lacks a key the verifier reads (a sender's bug, or a forger holding
the key) is named by that key in words, not as a Python KeyError."""

from __future__ import annotations

import json
from pathlib import Path

from bigfish.evidence.custody import canonical_json
from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package, rewrite


def test_a_manifest_without_its_evidence_list_names_the_key(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def drop_evidence(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        del manifest["evidence"]
        m["manifest.json"] = canonical_json(manifest)
        m["manifest.sig"] = key.sign(m["manifest.json"]).encode()

    check = verify_package(rewrite(package, drop_evidence), key.fingerprint)
    assert not check.ok
    assert "KeyError" not in str(check.problem)
    assert "manifest.json is malformed: no 'evidence'" in str(check.problem)
