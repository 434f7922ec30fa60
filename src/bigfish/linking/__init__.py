"""Linking: find the big fish behind the small reports.

A pure core — ``graph`` (the report–identifier graph as arrays), ``hubs`` (warning lists, pins and
the statistical hub test), ``networks`` (community split, stable ids, merges and splits),
``score`` (statistics and the documented score), ``explain`` (joins, spanning links, key
identifiers) — and the store-facing seam: ``service`` (rebuild, incremental update, pins),
``views`` and ``detail`` (what a viewer sees).
"""

from __future__ import annotations

from bigfish.linking.detail import NetworkDetail, get_network
from bigfish.linking.hubs import HubPolicy, StopReason
from bigfish.linking.service import LinkSummary, pin_value, rebuild_networks, update_networks
from bigfish.linking.table import networks_table
from bigfish.linking.views import NetworkPage, NetworkSummary, list_networks
from bigfish.linking.warninglists import WarningLists, load_warning_lists

__all__ = [
    "HubPolicy",
    "LinkSummary",
    "NetworkDetail",
    "NetworkPage",
    "NetworkSummary",
    "StopReason",
    "WarningLists",
    "get_network",
    "list_networks",
    "load_warning_lists",
    "networks_table",
    "pin_value",
    "rebuild_networks",
    "update_networks",
]
