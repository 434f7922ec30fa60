"""Synthetic partnership: the project's own realistic test and demo data (``bigfish synth``).

``generate(out_dir, reports=N, seed=S, noise=True)`` writes, deterministically for a seed:

- one report file per organization in the intake formats of spec/reports.md: standard CSV (most),
  JSON Lines (``vn-viettel``, ``ph-cicc``, ``interpol``; ``loss_amount`` is a decimal string or
  null), a small Excel sheet (``sg-dbs.xlsx``, at most 2,000 rows) and the Vietnamese police's own
  layout (``vn-police.csv``: Vietnamese headers, ``dd/mm/yyyy``, ``1,250,000``, one identifier per
  column) with its column mapping ``vn-police.map.toml`` (``[columns]``, ``[formats]``,
  ``[defaults]``, ``[values.scam_type]``, ``[values.channel]``);
- ``partnership.json``: ``{"organizations": [{"name", "country", "sector", "files": [{"path",
  "format", "map"}]}]}`` — ingest each file with ``bigfish ingest FILE --org NAME [--map MAP]``;
- ``truth.json``: ``{"format": 1, "seed", "noise", "start", "reports": {"<org>/<report_id>": ring
  id or null for a lone scam}, "rings": {id: {"size", "countries", "script_id", "scam_type",
  "brand", "channel", "first_seen", "last_seen"}}, "infrastructure": [{"kind", "canonical"}],
  "planted_file": "planted.jsonl", "planted_count"}``;
- ``planted.jsonl``: every distinct ``(kind, value, country)`` written into a field or a narrative,
  one JSON object a line: ``kind`` (as written: column or JSON kind), ``value``, ``country`` (the
  report's, the default region for phones), ``canonical_kind``, ``canonical`` (spec/identifiers.md),
  ``source`` (field | narrative), ``scope`` (ring | lone | infrastructure) and, for a bare
  ``@name`` next to a platform's name in a narrative, ``platform``. It is a separate file because
  it grows to millions of lines; ``iter_planted`` streams it.

Rings link only through their identifiers; lone scams share nothing; shared infrastructure
(hotlines, platform home pages, bare shortener domains) is sprinkled across unrelated reports
when ``noise`` is on. ``BANK:ACCOUNT`` values mentioned in a narrative are not planted as narrative
forms (the spec does not extract them from text); they always appear in a field as well.
"""

from __future__ import annotations

from bigfish.synth.generator import MAX_REPORTS, SynthSummary, generate
from bigfish.synth.truth import PlantedValue, iter_planted, load_truth

__all__ = [
    "MAX_REPORTS",
    "PlantedValue",
    "SynthSummary",
    "generate",
    "iter_planted",
    "load_truth",
]
