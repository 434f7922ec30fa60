"""The web tests' partnership (A, B, C and the group mekong) for the statistics report."""

from __future__ import annotations

from tests.web.conftest import web  # noqa: F401  (fixture; fast_argon2 is in tests/conftest.py)
