"""Same-script suggestions for analysts: reports whose narratives may tell the same script.

Rings reuse their scripts across countries while every phone and account changes. `find` (the
operator's job, `bigfish ml suggest`) scores the narratives of reports against each other
(`bigfish.ml.similar`: identifiers masked, character n-grams) and keeps each report's best pairs
in `script_links`. They are *possible* links with a score: kept apart from the identifier links,
never merged into a network. A viewer is shown a suggestion only when it may see both reports
(`bigfish.sharing.policy`), and its organization's analysts accept or reject it for their
organization (`decide`).

A run compares only the narratives new or changed since the last run (a digest of each masked
narrative is kept in `script_narratives`) with all, and replaces only the pairs that changes:
what a full run would find, with the idf of the last full run. The idf (the n-grams' document
frequencies, `script_state`) is counted at a full run and kept until the next, so that every
stored score is of one weighting: `--all`, the first run, another --top, --min-score or method,
and a corpus grown past twice the narratives the idf was counted over run in full. A pair no
longer suggested is deleted, or kept unsuggested while an organization's decision on it stands.
"""

from __future__ import annotations

from bigfish.suggestions.review import (
    DECISIONS,
    Suggestion,
    SuggestionPage,
    decide,
    suggestions_for,
)
from bigfish.suggestions.run import FindResult, find
from bigfish.suggestions.state import SUGGEST_LOCK

__all__ = [
    "DECISIONS",
    "SUGGEST_LOCK",
    "FindResult",
    "Suggestion",
    "SuggestionPage",
    "decide",
    "find",
    "suggestions_for",
]
