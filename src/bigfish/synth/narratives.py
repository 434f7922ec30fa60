"""Narratives: a ring's script reused with small variations, and lone scams' varied stories.

A :class:`Script` is what a ring's callers read from: a scam type, a brand, a persona and a
promised rate. Its template (``phrasebook.SCRIPTS``) is translated per language, so the same script
shows up in Thai, Vietnamese or Arabic reports of one ring with different identifiers in it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bigfish.synth import phrasebook as pb


@dataclass(frozen=True, slots=True)
class Script:
    """A ring's script: scam type, brand, persona and promised rate."""

    script_id: str
    scam_type: str
    brand: str
    persona: str
    rate: int


@dataclass(frozen=True, slots=True)
class Mention:
    """An identifier as it appears inside a narrative (empty text: say it generically)."""

    text: str = ""
    glued: bool = False  # written without spaces around it (Thai: โทร0812345678ครับ)


NO_MENTION = Mention()


def make_script(rng: random.Random, script_id: str, scam_type: str) -> Script:
    """A new script for a ring of SCAM_TYPE."""
    brand = rng.choice(pb.BRAND_A) + " " + rng.choice(pb.BRAND_B) + rng.choice(pb.BRAND_C)
    return Script(script_id, scam_type, brand, rng.choice(pb.PERSONAS), rng.choice(RATES))


RATES = (3, 5, 8, 10, 12, 15, 20, 25, 30, 40)


def _slot(template: str, name: str, mention: Mention) -> str:
    if mention.glued:
        slot = f"{{{name}}}"
        return template.replace(f" {slot}", slot).replace(f"{slot} ", slot)
    return template


def _tail(
    rng: random.Random,
    lang: str,
    extra: Mention,
    loss_text: str,
    noise: str,
) -> str:
    out = ""
    if extra.text:
        out += pb.EXTRA_SENTENCE[lang].format(x=extra.text)
    if loss_text:
        out += pb.LOSS_SENTENCE[lang].format(loss=loss_text)
    out += noise
    out += rng.choice(pb.CLOSERS[lang])
    return out


def ring_narrative(
    rng: random.Random,
    script: Script,
    lang: str,
    contact: Mention,
    payment: Mention,
    extra: Mention = NO_MENTION,
    loss_text: str = "",
    noise: str = "",
) -> str:
    """The ring's script in LANG, with this report's identifiers and small variations."""
    template = pb.SCRIPTS[script.scam_type][lang]
    template = _slot(_slot(template, "contact", contact), "payment", payment)
    body = template.format(
        brand=script.brand if rng.random() < 0.9 else script.brand.split(" ")[0],
        persona=script.persona,
        rate=script.rate,
        days=rng.randint(2, 21),
        contact=contact.text or pb.CONTACT_GENERIC[lang],
        payment=payment.text or pb.PAYMENT_GENERIC[lang],
    )
    return rng.choice(pb.OPENERS[lang]) + body + _tail(rng, lang, extra, loss_text, noise)


def lone_narrative(
    rng: random.Random,
    lang: str,
    contact: Mention,
    payment: Mention,
    extra: Mention = NO_MENTION,
    loss_text: str = "",
    noise: str = "",
) -> str:
    """A story of its own: generic sentences in LANG mixed at random."""
    generic = pb.GENERIC[lang]
    sentences = []
    if contact.text or rng.random() < 0.5:
        sentences.append(_slot(generic[0], "contact", contact))
    if payment.text or rng.random() < 0.5:
        sentences.append(_slot(generic[1], "payment", payment))
    sentences.extend(rng.sample(generic[2:], rng.randint(1, 3)))
    rng.shuffle(sentences)
    joiner = " "
    body = joiner.join(sentences).format(
        contact=contact.text or pb.CONTACT_GENERIC[lang],
        payment=payment.text or pb.PAYMENT_GENERIC[lang],
    )
    return rng.choice(pb.OPENERS[lang]) + body + _tail(rng, lang, extra, loss_text, noise)
