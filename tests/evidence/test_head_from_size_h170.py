"""A proof of growth asked from a size above the log's (`bigfish evidence head --from-size N`
for a partner's kept tree head of more records than the log now holds: records removed, or
another node's log) says so in words, with both sizes, not 'old size N outside 0..M'."""

from __future__ import annotations

import pytest

from bigfish.errors import IntegrityError
from bigfish.evidence.log import prove_growth
from tests.evidence.conftest import Node, add


def test_a_size_above_the_log_is_explained(node: Node) -> None:
    add(node, b"chat export")
    add(node, b"transfer slip")
    with pytest.raises(IntegrityError) as refused:
        prove_growth(node.store, 5)
    message = str(refused.value)
    assert "0..2" not in message
    assert "size 5" in message and "covers 2 records" in message
    assert "records were removed" in message
