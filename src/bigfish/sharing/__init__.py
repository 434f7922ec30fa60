"""Sharing: markings and the policy that decides who sees what."""

from __future__ import annotations

from bigfish.sharing.policy import (
    Audience,
    ItemMarking,
    Viewer,
    audience,
    can_edit,
    can_see,
    public,
    reached,
    reaches,
    visible_reports,
)

__all__ = [
    "Audience",
    "ItemMarking",
    "Viewer",
    "audience",
    "can_edit",
    "can_see",
    "public",
    "reached",
    "reaches",
    "visible_reports",
]
