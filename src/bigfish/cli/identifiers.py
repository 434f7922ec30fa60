"""`bigfish normalize` and `bigfish extract` (spec/cli.md). Filled by the identifiers work."""

from __future__ import annotations
