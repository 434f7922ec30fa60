"""One report's identifiers and narrative: which assets go in fields, which only in the text.

The :class:`Planted` log records every distinct surface form written, with its canonical form,
so that ``planted.jsonl`` lists exactly what the files contain.
"""

from __future__ import annotations

import random
from json.encoder import encode_basestring
from typing import IO

from bigfish.synth import phrasebook as pb
from bigfish.synth.assets import Asset
from bigfish.synth.infrastructure import Infrastructure
from bigfish.synth.narratives import NO_MENTION, Mention
from bigfish.synth.surface import extractable_from_text, render

CONTACT_KINDS = frozenset({"phone", "handle", "url", "email"})
NARRATIVE_ONLY = 0.15  # share of mentioned identifiers that appear only in the narrative
NOISE_SHARE = 0.10  # share of reports that mention shared infrastructure


class Planted:
    """Writes ``planted.jsonl``: each distinct (kind, value, country) once."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._quote = encode_basestring  # the JSON string of a value, C-accelerated
        self.count = 0

    def record(
        self, asset: Asset, kind: str, value: str, country: str, source: str, platform: str
    ) -> None:
        """Records one surface form of ASSET unless it was recorded before."""
        key = (kind, value, country)
        seen = asset.seen
        if seen is None:
            seen = asset.seen = set()
        elif key in seen:
            return
        seen.add(key)
        q = self._quote
        line = (
            f'{{"kind": "{kind}", "value": {q(value)}, "country": "{country}", '
            f'"canonical_kind": "{asset.canonical_kind}", "canonical": {q(asset.canonical)}, '
            f'"source": "{source}", "scope": "{asset.scope}"'
        )
        if platform:
            line += f', "platform": "{platform}"'
        self._stream.write(line + "}\n")
        self.count += 1


class Composer:
    """Turns the assets of one report into its identifier fields and narrative parts."""

    def __init__(
        self, rng: random.Random, planted: Planted, infra: Infrastructure, noise: bool
    ) -> None:
        self.rng = rng
        self.planted = planted
        self.infra = infra
        self.noise = noise

    def _mention(self, asset: Asset, country: str, lang: str) -> Mention:
        kind, value, platform = render(asset, self.rng, country, True, lang)
        if not extractable_from_text(asset):
            return Mention(value)  # BANK:ACCOUNT in prose is not an extractable identifier
        self.planted.record(asset, kind, value, country, "narrative", platform)
        glued = kind == "phone" and lang == "th" and self.rng.random() < 0.4
        return Mention(pb.PLATFORM_WORD.get(platform, "") + value, glued)

    def compose(
        self, assets: list[Asset], country: str, lang: str, caps: dict[str, int] | None
    ) -> tuple[list[tuple[str, str]], Mention, Mention, Mention, str]:
        """(identifier fields, contact, payment and extra mentions, infrastructure sentence)."""
        rng = self.rng
        contacts = [a for a in assets if a.kind in CONTACT_KINDS]
        payments = [a for a in assets if a.kind not in CONTACT_KINDS]
        text_only: list[Asset] = []
        contact = payment = extra = NO_MENTION
        if contacts and rng.random() < 0.65:
            asset = rng.choice(contacts)
            contact = self._mention(asset, country, lang)
            if rng.random() < NARRATIVE_ONLY:
                text_only.append(asset)
            if len(contacts) > 1 and rng.random() < 0.15:
                other = rng.choice([a for a in contacts if a is not asset])
                extra = self._mention(other, country, lang)
        if payments and rng.random() < 0.5:
            asset = rng.choice(payments)
            payment = self._mention(asset, country, lang)
            if extractable_from_text(asset) and rng.random() < NARRATIVE_ONLY:
                text_only.append(asset)
        fields: list[tuple[str, str]] = []
        counts: dict[str, int] = {}
        overflow: list[str] = []
        for asset in assets:
            if asset in text_only:
                continue
            kind, value, platform = render(asset, rng, country, False, lang)
            if caps is not None:
                if counts.get(kind, 0) >= caps[kind]:
                    # No column left: the victim writes it in the story instead, or not at all.
                    if extractable_from_text(asset):
                        overflow.append(self._mention(asset, country, lang).text)
                    continue
                counts[kind] = counts.get(kind, 0) + 1
            fields.append((kind, value))
            self.planted.record(asset, kind, value, country, "field", platform)
        if overflow:
            extra = Mention(", ".join(t for t in (extra.text, *overflow) if t))
        noise = self._noise(fields, counts, country, lang, caps) if self.noise else ""
        return fields, contact, payment, extra, noise

    def _noise(
        self,
        fields: list[tuple[str, str]],
        counts: dict[str, int],
        country: str,
        lang: str,
        caps: dict[str, int] | None,
    ) -> str:
        rng = self.rng
        out = ""
        if lang == "th" and rng.random() < 0.1:
            out = pb.POLICE_1441
        if rng.random() >= NOISE_SHARE:
            return out
        hotlines = self.infra.hotlines.get(country, ())
        if hotlines and rng.random() < 0.45:
            asset = rng.choice(hotlines)
            sentence = pb.HOTLINE_SENTENCE[lang]
        else:
            asset = rng.choice(self.infra.platforms)
            sentence = pb.PLATFORM_SENTENCE[lang]
        if rng.random() < 0.5:
            kind, value, _ = render(asset, rng, country, False, lang)
            if caps is None or counts.get(kind, 0) < caps[kind]:
                fields.append((kind, value))
                self.planted.record(asset, kind, value, country, "field", "")
                return out
        kind, value, _ = render(asset, rng, country, True, lang)
        self.planted.record(asset, kind, value, country, "narrative", "")
        return out + sentence.format(x=value)
