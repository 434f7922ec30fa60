"""Synthetic partnership: the project's own realistic test and demo data (``bigfish synth``).

``generate(out_dir)`` writes one report file per organization in the intake formats of
spec/reports.md, ``partnership.json`` (organizations and their files), ``truth.json`` (the planted
ring of every report, the rings, the shared infrastructure) and ``planted.jsonl`` (every distinct
surface form of every planted identifier with its canonical form). See ``load_truth`` and
``iter_planted`` to read them back.
"""

from __future__ import annotations

from bigfish.synth.generator import SynthSummary, generate
from bigfish.synth.truth import PlantedValue, iter_planted, load_truth

__all__ = ["PlantedValue", "SynthSummary", "generate", "iter_planted", "load_truth"]
