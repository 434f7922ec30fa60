"""Labelled messages: reading the shared data sets, mapping their labels, and fixed splits.

Label mapping (documented in the model card):

* Thai set: ``scam`` -> ``scam``, ``spam`` -> ``spam``, ``OK`` and ``OTP`` -> ``legit``.
* UCI set: ``ham`` -> ``legit``; ``spam`` means "unwanted" and mixes scams (prizes, premium-rate
  call-backs) with marketing. Each UCI spam message is weakly relabelled ``scam`` when the
  typology lexicon finds a lottery/prize, phishing or bank cue in it, else ``spam``; UCI is
  *evaluated* only as unwanted (scam or spam) against legit, never on that weak split.
* English seed set (``seed-en``, ``data/seed/english-sms.tsv`` beside ``data/messages/``): modern
  English messages written by hand by the bigfish project, labelled ``scam``, ``spam``, ``legit``
  directly (``label<TAB>text``). It fills the gap UCI (2011) leaves: today's bank phishing,
  parcel and toll fees, government refunds, "Hi Mum" and job scams. Its held-out figures are
  optimistic (one author wrote both sides of the split).
* Operator files: ``label<TAB>text`` or ``label|text`` with labels ``scam``, ``spam``, ``legit``.

Splits are stratified per data set and group-aware: messages that are the same after
normalization (lower case, digits as 0) always land in the same split, so a templated OTP or a
re-sent promotion cannot sit on both sides. Membership is decided by a salted SHA-256 of the
normalized text, so it does not depend on library versions or file order.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bigfish.errors import InputError
from bigfish.ml.features import normalize_text
from bigfish.ml.typology import SCAM_TYPES, score_types

LABELS: tuple[str, ...] = ("legit", "scam", "spam")
THAI_LABELS = {"scam": "scam", "spam": "spam", "OK": "legit", "OTP": "legit"}
UCI_LABELS = {"ham": "legit", "spam": "spam"}
_UCI_SCAM_TYPES = {"lottery_prize", "phishing", "impersonation_bank"}
SEED_DATASET = "seed-en"
SEED_FILE = "english-sms.tsv"


@dataclass(frozen=True)
class Example:
    """One labelled message: its data set, its text, the mapped label and the collector's own."""

    dataset: str
    text: str
    label: str
    source_label: str
    line: int


def read_thai(directory: Path) -> list[Example]:
    """The Thai SMS set (four ``label|text`` files) as examples."""
    out: list[Example] = []
    for name in ("ok", "otp", "scam", "spam"):
        path = directory / f"thai-sms-{name}.txt"
        for line_no, line in _lines(path):
            raw_label, sep, text = line.partition("|")
            if not sep or raw_label not in THAI_LABELS:
                raise InputError("expected label|text", file=str(path), line=line_no)
            out.append(Example("thai", text, THAI_LABELS[raw_label], raw_label, line_no))
    return out


def read_uci(directory: Path) -> list[Example]:
    """The UCI SMS Spam Collection (``ham|spam`` TAB text) as examples."""
    path = directory / "uci-sms-spam-collection.tsv"
    out: list[Example] = []
    for line_no, line in _lines(path):
        raw_label, sep, text = line.partition("\t")
        if not sep or raw_label not in UCI_LABELS:
            raise InputError("expected ham|spam TAB text", file=str(path), line=line_no)
        label = UCI_LABELS[raw_label]
        if label == "spam" and _looks_like_scam(text):
            label = "scam"
        out.append(Example("uci", text, label, raw_label, line_no))
    return out


def read_operator(path: Path) -> list[Example]:
    """An operator's own labelled file: ``label<TAB>text`` or ``label|text``, labels in LABELS."""
    out: list[Example] = []
    for line_no, line in _lines(path):
        for sep in ("\t", "|"):
            raw_label, found, text = line.partition(sep)
            if found and raw_label.strip() in LABELS:
                label = raw_label.strip()
                out.append(Example(f"extra:{path.name}", text, label, label, line_no))
                break
        else:
            raise InputError(
                f"expected one of {', '.join(LABELS)} then TAB or | then the text",
                file=str(path),
                line=line_no,
            )
    return out


def read_shared(directory: Path) -> list[Example]:
    """Both shared data sets found in DIRECTORY."""
    if not (directory / "uci-sms-spam-collection.tsv").is_file():
        found = "this folder has no" if directory.is_dir() else "no such folder, so no"
        raise InputError(
            f"{found} uci-sms-spam-collection.tsv: give --data the folder that holds it"
            " (data/messages in a checkout of bigfish)",
            file=str(directory),
        )
    return read_thai(directory) + read_uci(directory)


def read_seed(directory: Path) -> list[Example]:
    """The project's hand-written English seed set (``label<TAB>text``) in DIRECTORY."""
    path = directory / SEED_FILE
    out: list[Example] = []
    for line_no, line in _lines(path):
        raw_label, sep, text = line.partition("\t")
        if not sep or raw_label not in LABELS:
            raise InputError(
                f"expected one of {', '.join(LABELS)} then TAB then the text",
                file=str(path),
                line=line_no,
            )
        out.append(Example(SEED_DATASET, text, raw_label, raw_label, line_no))
    return out


def seed_directory(data_dir: Path) -> Path:
    """Where the seed set of DATA_DIR lives: the folder ``seed`` beside it (``data/seed``)."""
    return data_dir.parent / "seed"


def read_labelled(data_dir: Path, seed_dir: Path | None = None) -> list[Example]:
    """The shared data sets of DATA_DIR and, when its file is there, the English seed set.

    SEED_DIR defaults to ``seed`` beside DATA_DIR, so ``--data data/messages`` also reads
    ``data/seed/english-sms.tsv``; a data directory with no seed set beside it gives the
    shared sets alone.
    """
    examples = read_shared(data_dir)
    seed_dir = seed_directory(data_dir) if seed_dir is None else seed_dir
    if (seed_dir / SEED_FILE).is_file():
        examples += read_seed(seed_dir)
    return examples


def split(
    examples: Iterable[Example], *, seed: int, test_fraction: float = 0.25
) -> tuple[list[Example], list[Example]]:
    """Stratified, group-aware (train, test) split of each data set, fixed by SEED."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        groups[(ex.dataset, normalize_text(ex.text).strip())].append(ex)
    strata: dict[tuple[str, str], list[tuple[str, list[Example]]]] = defaultdict(list)
    for (dataset, key), members in groups.items():
        digest = hashlib.sha256(f"{seed}\x1f{dataset}\x1f{key}".encode()).hexdigest()
        strata[(dataset, min(m.label for m in members))].append((digest, members))
    train: list[Example] = []
    test: list[Example] = []
    for ranked in strata.values():
        ranked.sort(key=lambda pair: pair[0])
        n_test = round(len(ranked) * test_fraction)
        for i, (_, members) in enumerate(ranked):
            (test if i < n_test else train).extend(members)
    order = {id(ex): i for i, ex in enumerate(sorted(train + test, key=_position))}
    train.sort(key=lambda ex: order[id(ex)])
    test.sort(key=lambda ex: order[id(ex)])
    return train, test


def _position(ex: Example) -> tuple[str, str, int]:
    return (ex.dataset, ex.source_label, ex.line)


def _looks_like_scam(text: str) -> bool:
    scores = score_types([text])[0]
    return any(scores[SCAM_TYPES.index(t)] > 0 for t in _UCI_SCAM_TYPES)


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    return [(i, line) for i, line in enumerate(content.splitlines(), 1) if line.strip()]
