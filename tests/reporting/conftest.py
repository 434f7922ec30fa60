"""The web tests' partnership (A, B, C and the group mekong) for the statistics report."""

from __future__ import annotations

from tests.web.conftest import fast_argon2, web  # noqa: F401  (fixtures)
