"""``generate``: the whole synthetic partnership, streamed to one file per organization.

Rings are planned first (sizes, countries, windows, scripts); the reports of all rings and the
lone scams are then put in date order and written one by one, so memory holds only the rings that
are active, never the reports. ``truth.json`` is streamed the same way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

import numpy as np

from bigfish.errors import InputError
from bigfish.synth import money
from bigfish.synth.assets import Asset, AssetFactory
from bigfish.synth.infrastructure import build_infrastructure
from bigfish.synth.narratives import lone_narrative, ring_narrative
from bigfish.synth.partnership import (
    CALL_CENTRE_COUNTRIES,
    COUNTRIES,
    INTERPOL_SHARE,
    ORG_SHARES,
    ORGANIZATIONS,
    XLSX_MAX_ROWS,
    Organization,
)
from bigfish.synth.reports import Composer, Planted
from bigfish.synth.rings import (
    CHAINS,
    CHANNELS,
    KIND_PROFILES,
    RingPlan,
    RingState,
    create_asset,
    pick_cumulative,
    plan_rings,
    weighted,
)
from bigfish.synth.writers import ReportWriter, SynthReport, open_writer

SPAN_DAYS = 548  # about eighteen months
RING_SHARE = 0.72  # share of reports that belong to a planted ring
DEFAULT_START = date(2024, 7, 1)
LONE_TYPES = (("investment", 0.15), ("job_task", 0.12), ("romance", 0.08), ("shopping", 0.18),
              ("impersonation_authority", 0.07), ("impersonation_bank", 0.07), ("loan", 0.08),
              ("phishing", 0.1), ("sextortion", 0.05), ("tech_support", 0.03),
              ("lottery_prize", 0.04), ("other", 0.03))  # fmt: skip
GENERIC_PROFILE = (("phone_local", 0.5), ("account", 0.5), ("url", 0.25), ("handle_tg", 0.15),
                   ("wallet", 0.15), ("email", 0.2))  # fmt: skip
PROGRESS_EVERY = 5_000
#: The most reports one run writes. Planning alone holds about 210 bytes a report before the
#: first is written (measured: 213 MB and 5 s at a million), so ten million need about 2 GB;
#: a count far beyond that would plan for hours and then run out of memory.
MAX_REPORTS = 10_000_000
TRUTH_FILE, PLANTED_FILE, PARTNERSHIP_FILE = "truth.json", "planted.jsonl", "partnership.json"


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What ``generate`` wrote."""

    out_dir: Path
    seed: int
    reports: int
    ring_reports: int
    lone_reports: int
    rings: int
    largest_ring: int
    planted: int
    noise: bool
    organizations: tuple[tuple[str, int], ...]  # (name, rows)
    files: tuple[Path, ...]


class _Generator:
    """The state of one run (random stream, writers, open rings)."""

    def __init__(self, out_dir: Path, seed: int, start: date, noise: bool) -> None:
        self.out_dir, self.seed, self.start, self.noise = out_dir, seed, start, noise
        self.rng = random.Random(seed)
        self.factory = AssetFactory(self.rng)
        self.infra = build_infrastructure()
        self.orgs = {o.name: o for o in ORGANIZATIONS}
        self.writers: dict[str, ReportWriter] = {
            o.name: open_writer(out_dir, o) for o in ORGANIZATIONS
        }
        self.rows = dict.fromkeys(self.orgs, 0)
        self.planted_stream: IO[str] = (out_dir / PLANTED_FILE).open("w", encoding="utf-8")
        self.planted = Planted(self.planted_stream)
        self.composer = Composer(self.rng, self.planted, self.infra, noise)
        self.truth_sep = ""
        self.codes = list(COUNTRIES)
        self.country_cum = _cumulative([COUNTRIES[c].weight for c in self.codes])
        self.langs = {
            c: ([lang for lang, _ in k.languages], _cumulative([w for _, w in k.languages]))
            for c, k in COUNTRIES.items()
        }

    def pick_org(self, country: str) -> Organization:
        """The organization a report from COUNTRY is filed with."""
        rng = self.rng
        if rng.random() < INTERPOL_SHARE:
            return self.orgs["interpol"]
        shares = ORG_SHARES[country]
        name = weighted(rng, shares)
        org = self.orgs[name]
        if org.format == "xlsx" and self.rows[name] >= XLSX_MAX_ROWS:
            org = self.orgs[shares[0][0]]
        return org

    def lone_assets(self, country: str, scam_type: str) -> list[Asset]:
        """Fresh identifiers nobody else uses (a lone scam)."""
        rng = self.rng
        if rng.random() < 0.05:
            return []
        profile = KIND_PROFILES.get(scam_type, GENERIC_PROFILE)
        keys = [k for k, p in profile if rng.random() < p][:3] or [profile[0][0]]
        chain, cc = weighted(rng, CHAINS), rng.choice(CALL_CENTRE_COUNTRIES)
        return [
            create_asset(self.factory, k, country, scam_type, chain, cc, None, "lone") for k in keys
        ]

    def write_report(
        self, day: int, plan: RingPlan | None, state: RingState | None, truth: IO[str]
    ) -> tuple[str, str]:
        """Writes one report; returns its country and organization."""
        rng = self.rng
        if plan is not None and state is not None:
            country = pick_cumulative(rng, plan.countries, plan.cum_weights)
            assets = state.assets_for(country)
            scam_type = plan.script.scam_type if rng.random() < 0.95 else "other"
            channel = (
                plan.channel
                if rng.random() < 0.8
                else weighted(rng, CHANNELS[plan.script.scam_type])
            )
        else:
            country = pick_cumulative(rng, self.codes, self.country_cum)
            scam_type = weighted(rng, LONE_TYPES)
            assets = self.lone_assets(country, scam_type)
            channel = weighted(rng, CHANNELS.get(scam_type, CHANNELS["phishing"]))
        if channel == "line" and country != "TH":
            channel = "whatsapp"
        org = self.pick_org(country)
        writer = self.writers[org.name]
        langs, cum = self.langs[country]
        lang = pick_cumulative(rng, langs, cum)
        fields, contact, payment, extra, noise = self.composer.compose(
            assets, country, lang, writer.caps
        )
        c = COUNTRIES[country]
        amount = money.loss(rng, scam_type, c.currency, c.loss_scale)
        said = money.loss_text(amount, c.currency) if amount and rng.random() < 0.15 else ""
        if plan is not None:
            text = ring_narrative(rng, plan.script, lang, contact, payment, extra, said, noise)
        else:
            text = lone_narrative(rng, lang, contact, payment, extra, said, noise)
        when = self.start + timedelta(days=day)
        self.rows[org.name] += 1
        report_id = f"{org.prefix}-{when.year}-{self.rows[org.name]:07d}"
        seconds = rng.randrange(7 * 3600, 23 * 3600)
        writer.write(
            SynthReport(report_id, when, seconds, country, scam_type, channel, amount,
                        c.currency, text, tuple(fields))
        )  # fmt: skip
        ring = f'"{plan.ring_id}"' if plan is not None else "null"
        truth.write(f'{self.truth_sep}"{org.name}/{report_id}": {ring}')
        self.truth_sep = ",\n"
        return country, org.name

    def close(self) -> None:
        """Closes every file."""
        for writer in self.writers.values():
            writer.close()
        self.planted_stream.close()


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _schedule(plans: list[RingPlan], lone: int, seed: int) -> tuple[list[int], list[int]]:
    """(day, ring index or -1) of every report, in date order."""
    nprng = np.random.default_rng(seed)
    sizes = np.array([p.size for p in plans], dtype=np.int64)
    ring_of = np.repeat(np.arange(len(plans), dtype=np.int64), sizes)
    starts = np.array([p.start_day for p in plans], dtype=np.int64)
    widths = np.array([p.end_day - p.start_day + 1 for p in plans], dtype=np.int64)
    ring_days = starts[ring_of] + (nprng.random(len(ring_of)) * widths[ring_of]).astype(np.int64)
    lone_days = nprng.integers(0, SPAN_DAYS, lone)
    days = np.concatenate([ring_days, lone_days])
    rings = np.concatenate([ring_of, np.full(lone, -1, dtype=np.int64)])
    order = np.lexsort((nprng.random(len(days)), days))
    return days[order].tolist(), rings[order].tolist()


def generate(
    out_dir: Path,
    *,
    reports: int = 50_000,
    seed: int = 7,
    start: date | None = None,
    noise: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SynthSummary:
    """Writes a synthetic partnership of REPORTS reports to OUT_DIR; deterministic for a SEED.

    PROGRESS, when given, is called with (reports written, reports) every few thousand reports.
    """
    if not 1 <= reports <= MAX_REPORTS:
        raise InputError(
            f"the number of reports must be at least 1 and at most {MAX_REPORTS:,}, not"
            f" {reports:,}",
            field="reports",
        )
    start = _checked_start(start or DEFAULT_START)
    out_dir = Path(out_dir)
    _refuse_foreign_files(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("written by bigfish synth, which may write here again\n", "utf-8")
    gen = _Generator(out_dir, seed, start, noise)
    truth: IO[str] | None = None
    try:  # whatever stops the run, every file it opened is closed
        ring_budget = round(reports * RING_SHARE) if reports >= 10 else 0
        plans = plan_rings(gen.rng, ring_budget, reports, SPAN_DAYS)
        lone = reports - sum(p.size for p in plans)
        days, ring_index = _schedule(plans, lone, seed)
        states: dict[int, RingState] = {}
        seen: dict[int, tuple[set[str], int, int]] = {}
        truth = (out_dir / TRUTH_FILE).open("w", encoding="utf-8")
        truth.write(f'{{"format": 1, "seed": {seed}, "noise": {json.dumps(noise)}, ')
        truth.write(f'"start": "{gen.start.isoformat()}", "reports": {{\n')
        for done, (day, r) in enumerate(zip(days, ring_index, strict=True)):
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, reports)
            if r < 0:
                gen.write_report(day, None, None, truth)
                continue
            plan = plans[r]
            state = states.get(r)
            if state is None:
                state = states[r] = RingState(plan, gen.factory, gen.rng)
            country, _ = gen.write_report(day, plan, state, truth)
            countries, first, _ = seen.get(r) or (set(), day, day)
            countries.add(country)
            seen[r] = (countries, first, day)
            if state.reports == plan.size:
                del states[r]  # the ring is over; let its assets go
        _finish_truth(truth, gen, plans, seen)
        if progress is not None:
            progress(reports, reports)
    finally:
        if truth is not None:
            truth.close()
        gen.close()
    files = _write_partnership(out_dir, gen.rows)  # last: `ingest --manifest` reads a whole set
    return SynthSummary(
        out_dir=out_dir,
        seed=seed,
        reports=reports,
        ring_reports=reports - lone,
        lone_reports=lone,
        rings=len(plans),
        largest_ring=max((p.size for p in plans), default=0),
        planted=gen.planted.count,
        noise=noise,
        organizations=tuple(gen.rows.items()),
        files=(*files, out_dir / TRUTH_FILE, out_dir / PLANTED_FILE),
    )


def _finish_truth(
    truth: IO[str],
    gen: _Generator,
    plans: list[RingPlan],
    seen: dict[int, tuple[set[str], int, int]],
) -> None:
    truth.write('\n}, "rings": {\n')
    for i, plan in enumerate(plans):
        countries, first, last = seen[i]
        entry = {
            "size": plan.size,
            "countries": sorted(countries),
            "script_id": plan.script.script_id,
            "scam_type": plan.script.scam_type,
            "brand": plan.script.brand,
            "channel": plan.channel,
            "first_seen": (gen.start + timedelta(days=first)).isoformat(),
            "last_seen": (gen.start + timedelta(days=last)).isoformat(),
        }
        sep = ",\n" if i else ""
        truth.write(f"{sep}{json.dumps(plan.ring_id)}: {json.dumps(entry, ensure_ascii=False)}")
    infra = [{"kind": k, "canonical": c} for k, c in gen.infra.canonical_forms()]
    truth.write(f'\n}}, "infrastructure": {json.dumps(infra)}, ')
    truth.write(f'"planted_file": "{PLANTED_FILE}", "planted_count": {gen.planted.count}}}\n')


#: The first day a report may be of (the intake refuses earlier ones as implausible).
EARLIEST_START = date(1970, 1, 1)


def _checked_start(start: date) -> date:
    """START, when the ~18 months from it are days the intake takes reports of (from 1970 to
    today): else InputError, before anything is written (a later start wrote files the intake
    then refused row by row, or failed with "date value out of range" near the year 9999)."""
    latest = datetime.now(UTC).date() - timedelta(days=SPAN_DAYS - 1)
    if not EARLIEST_START <= start <= latest:
        raise InputError(
            f"start {start.isoformat()} is out of range: the {SPAN_DAYS} days of reports must lie"
            f" from {EARLIEST_START.isoformat()} to today, so start from"
            f" {EARLIEST_START.isoformat()} to {latest.isoformat()}",
            field="start",
        )
    return start


#: Written first into OUT_DIR: the directory is synth's own, even when a run stopped half-way.
MARKER = ".bigfish-synth"


def _refuse_foreign_files(out_dir: Path) -> None:
    """InputError when OUT_DIR holds a file of a name this writes and was not written by an
    earlier run (its MARKER, or the partnership.json of a run before the marker): a partner's
    own th-aoc.csv in the directory given would otherwise be overwritten without a word."""
    if not out_dir.is_dir() or (out_dir / MARKER).is_file():
        return
    if _written_by_synth(out_dir / PARTNERSHIP_FILE):
        return
    for name in (*_file_names(), TRUTH_FILE, PLANTED_FILE, PARTNERSHIP_FILE):
        if (out_dir / name).exists():
            raise InputError(
                f"{out_dir} holds {name}, which bigfish synth did not write (no {MARKER} or"
                f" {PARTNERSHIP_FILE} of its own there); give a new or empty directory",
                field="out_dir",
            )


def _written_by_synth(path: Path) -> bool:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("generated_by") == "bigfish synth"


def _file_names() -> list[str]:
    """The report files and the mapping this writes, in the order of ORGANIZATIONS."""
    names = []
    for org in ORGANIZATIONS:
        ext = {"csv-vi": "csv"}.get(org.format, org.format)
        names.append(f"{org.name}.{ext}")
        if org.format == "csv-vi":
            names.append(f"{org.name}.map.toml")
    return names


def _write_partnership(out_dir: Path, rows: dict[str, int]) -> list[Path]:
    """Write the manifest of the partnership in OUT_DIR, whose organizations wrote ROWS reports
    each; an organization that wrote none lists no file and its empty file goes (intake refuses
    an empty JSON Lines file: `bigfish demo --reports 10` stopped on one). The files written."""
    files: list[Path] = []
    orgs = []
    for org in ORGANIZATIONS:
        ext = {"csv-vi": "csv"}.get(org.format, org.format)
        path = f"{org.name}.{ext}"
        mapping = f"{org.name}.map.toml" if org.format == "csv-vi" else None
        listed: list[dict[str, str | None]] = []
        if rows[org.name]:
            listed.append({"path": path, "format": ext, "map": mapping})
            files += [out_dir / path, *([out_dir / mapping] if mapping else [])]
        else:
            for name in (path, mapping):
                if name:
                    (out_dir / name).unlink(missing_ok=True)
        orgs.append(
            {"name": org.name, "country": org.country, "sector": org.sector, "files": listed}
        )
    doc = {"generated_by": "bigfish synth", "organizations": orgs}
    (out_dir / PARTNERSHIP_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return [*files, out_dir / PARTNERSHIP_FILE]
