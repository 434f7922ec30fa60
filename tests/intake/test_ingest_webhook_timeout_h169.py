"""Helper 169: `bigfish ingest` names a webhook that timed out with the limit it hit ("no answer
within 10 s"), as a sync pull does, not httpx's class name (``failed: ReadTimeout``)."""

from __future__ import annotations

import httpx
import pytest

from tests.intake.conftest import row
from tests.intake.test_ingest_webhooks import (
    PHONE,
    SHARED,
    Node,
    _counts,
    node,  # noqa: F401  (fixture)
)
from tests.webhook_capture import catch_webhooks


def test_a_webhook_that_does_not_answer_is_named_with_the_limit(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    caught = catch_webhooks(monkeypatch, silent)
    result = node.ingest(row("a1", phones=PHONE), options=SHARED)
    counts = _counts(result)
    assert (counts["stored"], counts["webhooks"], counts["webhooks_failed"]) == (1, 0, 1)
    assert len(caught.requests) == 1
    assert (
        "organization B: webhook delivery to https://hooks.b.example:443 failed: "
        "no answer within 10 s"
    ) in result.stderr
    assert "ReadTimeout" not in result.stderr
    assert node.secret not in result.stderr
