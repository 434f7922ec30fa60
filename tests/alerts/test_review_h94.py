"""Review (helper 94): a webhook job's secret stays out of its repr."""

from __future__ import annotations

from bigfish.alerts.delivery import _WebhookDeliveries


def test_a_webhook_jobs_repr_shows_no_secret() -> None:
    """A job is what a delivery thread holds: a traceback with locals, or a debug log of it,
    must not carry the signing key."""
    secret = "f" * 64
    job = _WebhookDeliveries("B", "https://hooks.example/b", secret, (b"{}",))
    assert secret not in repr(job)
    assert job.secret == secret
