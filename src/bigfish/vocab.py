"""Code lists the intake checks against: ISO 3166-1 alpha-2 countries and ISO 4217 currencies."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code, plus XK (Kosovo), which partners use."""
    return frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}


@cache
def currencies() -> frozenset[str]:
    """Every ISO 4217 alphabetic code."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)
