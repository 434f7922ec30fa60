"""Alerts: another organization reported an identifier the caller holds.

An alert is derived, not stored: it is a (report, identifier) pair where the report belongs to
another organization, the caller may see it (through `bigfish.sharing.policy`), and the caller's
own reports mention the same valid identifier. It is dated when the pair came to be as it is:
the later of the other report's updated_at (stored, replaced or re-marked) and the earliest
updated_at of the caller's reports of the value, so an organization that reports a value another
reported months ago is alerted now, and a report replaced with a value the caller holds, or
re-marked so that the caller sees it, raises alerts dated now (a change to either report dates
its alerts again: served again, same id). Deriving it at read time means a removal from a group,
a raised TLP or a deleted report takes effect on the next request. New
and updated reports, submitted through the API or ingested from a file (`bigfish ingest`), also
go out, signed (`bigfish.webhooks`), to the webhooks of the organizations holding their values
and of the submitting organization, for the values others reported first.

Shared infrastructure raises no alert (`bigfish.alerts.infrastructure`).

    model           Alert, AlertPage, the times they are dated by, and Deliveries
    infrastructure  the values that raise no alert
    paging          the order of a viewer's alerts: which pairs fill a page
    listing         list_alerts: a page of them, details read by primary key
    holders         holders_to_alert: whom a new report alerts
    delivery        send_webhooks, WebhookDispatcher, send_ingest_webhooks, WebhookQueue (a
                    sync pull's): the webhooks those alerts go to
    sources         what the alerts of each file of an ingest had delivered
"""

from __future__ import annotations

from bigfish.alerts.delivery import (
    Deliver,
    WebhookDispatcher,
    WebhookQueue,
    alert_document,
    deliver_alerts,
    send_ingest_webhooks,
    send_webhooks,
)
from bigfish.alerts.holders import holders_to_alert
from bigfish.alerts.listing import list_alerts
from bigfish.alerts.model import Alert, AlertPage, Deliveries

__all__ = [
    "Alert",
    "AlertPage",
    "Deliver",
    "Deliveries",
    "WebhookDispatcher",
    "WebhookQueue",
    "alert_document",
    "deliver_alerts",
    "holders_to_alert",
    "list_alerts",
    "send_ingest_webhooks",
    "send_webhooks",
]
