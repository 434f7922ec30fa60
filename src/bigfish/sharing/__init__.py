"""Sharing: markings and the policy that decides who sees what."""

from __future__ import annotations

from bigfish.sharing.policy import ItemMarking, Viewer, can_edit, can_see, public, visible_reports

__all__ = ["ItemMarking", "Viewer", "can_edit", "can_see", "public", "visible_reports"]
