"""What a MISP event says beyond its attributes and objects, kept or rejected, never dropped:
its reports (`EventReport`: name and content), the sightings of its attributes (`Sighting`:
type, date_sighting, source) and its galaxy clusters (`Galaxy`: type, value, tag_name) are
kept as report attributes (`misp_event_report`, `misp_sighting`, `misp_galaxy`, then `.2`, …;
JSON) and go out again in their own MISP form (`add_blocks`); the changes proposed to it
(`ShadowAttribute`), which nobody accepted, are rejected each with the reason.

Not kept: MISP's bookkeeping (ids, uuids, timestamps) and a sighting organization's ids; a
galaxy cluster whose tag (`misp-galaxy:…`) the event or its attribute carries, which is kept as
that tag (`misp_tag`, `misp_item`): never twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bigfish.intake.records import MAX_ATTRIBUTE
from bigfish.interop.markings import BIGFISH_NAMESPACE
from bigfish.models import Marking

KEPT_REPORT = "misp_event_report"
KEPT_SIGHTING = "misp_sighting"
KEPT_GALAXY = "misp_galaxy"
#: The report attributes this module keeps (a `misp_TYPE` that is no MISP attribute).
BLOCKS = frozenset({KEPT_REPORT, KEPT_SIGHTING, KEPT_GALAXY})
SIGHTING_FIELDS = ("type", "date_sighting", "source")
PROPOSAL = (
    "a change proposed in MISP (a proposal, `ShadowAttribute`) that the event's creator has"
    " not accepted: neither adopted nor kept"
)
DELETED = "deleted in MISP (`deleted`): its partner withdrew it, so it is not read"


@dataclass
class Blocks:
    """What an event's blocks hold: kept entries by report attribute, the markings they add,
    and what cannot be kept (each with its place and why)."""

    kept: dict[str, list[str]] = field(default_factory=dict)
    markings: list[Marking] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def keep(self, name: str, where: str, entry: Mapping[str, Any]) -> None:
        """Keep ENTRY (from WHERE) as NAME, or reject it when longer than an attribute may be:
        its place names its longest text (`EventReport[0].content`)."""
        text = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        if len(text) <= MAX_ATTRIBUTE:
            self.kept.setdefault(name, []).append(text)
            return
        longest = max(entry, key=lambda k: len(str(entry[k])))
        self.problems.append((f"{where}.{longest}", f"longer than {MAX_ATTRIBUTE:,} characters"))


def _text(value: object) -> str | None:
    """VALUE as text when MISP gives it as text or a number (date_sighting: "1625043306")."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _entries(container: Mapping[str, Any], name: str, where: str, out: Blocks) -> list[Any]:
    """The list CONTAINER holds under NAME; a problem at WHERE when it is there but no list."""
    value = container.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        out.problems.append((f"{where}{name}", "must be a list"))
        return []
    return value


def _attributes(
    event: Mapping[str, Any], deleted: Callable[[Mapping[str, Any]], bool]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The live attributes of EVENT, in objects too, with their places (`Object[1].Attribute[0]`);
    a deleted one (rejected as a whole by the reader) is left out with what it holds."""
    attributes = event.get("Attribute")
    for i, attribute in enumerate(attributes if isinstance(attributes, list) else []):
        if isinstance(attribute, dict) and not deleted(attribute):
            yield f"Attribute[{i}]", attribute
    objects = event.get("Object")
    for i, obj in enumerate(objects if isinstance(objects, list) else []):
        if not isinstance(obj, dict) or deleted(obj) or not isinstance(obj.get("Attribute"), list):
            continue
        for j, attribute in enumerate(obj["Attribute"]):
            if isinstance(attribute, dict) and not deleted(attribute):
                yield f"Object[{i}].Attribute[{j}]", attribute


def _tags(container: Mapping[str, Any]) -> set[str]:
    tags = container.get("Tag")
    names = [t.get("name") for t in tags if isinstance(t, dict)] if isinstance(tags, list) else []
    return {n for n in names if isinstance(n, str)}


def read_blocks(
    event: Mapping[str, Any],
    marking_of: Callable[[Mapping[str, Any]], Marking | None],
    deleted: Callable[[Mapping[str, Any]], bool],
) -> Blocks:
    """The blocks of MISP EVENT beyond its attributes and objects (the module's docstring).
    MARKING_OF gives the marking an event report adds (its own distribution), DELETED whether
    MISP marks an item deleted."""
    out = Blocks()
    _read_reports(event, marking_of, deleted, out)
    by_uuid: dict[str, str] = {}
    for where, attribute in _attributes(event, deleted):
        value = attribute.get("value")
        if isinstance(value, str):
            if isinstance(attribute.get("uuid"), str):
                by_uuid[attribute["uuid"]] = value
            _read_sightings(attribute, f"{where}.", value, out)
            _read_galaxies(attribute, f"{where}.", value, out)
        for j, _ in enumerate(_entries(attribute, "ShadowAttribute", f"{where}.", out)):
            out.problems.append((f"{where}.ShadowAttribute[{j}]", PROPOSAL))
    for j, sighting in enumerate(_entries(event, "Sighting", "", out)):
        on = sighting.get("attribute_uuid") if isinstance(sighting, dict) else None
        _read_sighting(sighting, f"Sighting[{j}]", by_uuid.get(str(on)), out)
    _read_galaxies(event, "", None, out)
    for j, _ in enumerate(_entries(event, "ShadowAttribute", "", out)):
        out.problems.append((f"ShadowAttribute[{j}]", PROPOSAL))
    return out


def _read_reports(
    event: Mapping[str, Any],
    marking_of: Callable[[Mapping[str, Any]], Marking | None],
    deleted: Callable[[Mapping[str, Any]], bool],
    out: Blocks,
) -> None:
    for i, report in enumerate(_entries(event, "EventReport", "", out)):
        where = f"EventReport[{i}]"
        if not isinstance(report, dict):
            out.problems.append((where, "not a MISP event report"))
            continue
        marking = marking_of(report)  # narrows the report even when withdrawn
        if marking is not None:
            out.markings.append(marking)
        if deleted(report):
            out.problems.append((where, DELETED))
            continue
        entry = {k: report[k] for k in ("name", "content") if isinstance(report.get(k), str)}
        if not any(v.strip() for v in entry.values()):
            out.problems.append((f"{where}.content", "an event report needs a name or content"))
            continue
        out.keep(KEPT_REPORT, where, entry)


def _read_sightings(attribute: Mapping[str, Any], where: str, value: str, out: Blocks) -> None:
    for j, sighting in enumerate(_entries(attribute, "Sighting", where, out)):
        _read_sighting(sighting, f"{where}Sighting[{j}]", value, out)


def _read_sighting(sighting: object, where: str, value: str | None, out: Blocks) -> None:
    """Keep SIGHTING (of the attribute of VALUE, when known): its type (0 seen, 1 false
    positive, 2 expiration), date and source; not who in MISP saw it (its organization's ids)."""
    if not isinstance(sighting, dict):
        out.problems.append((where, "not a MISP sighting"))
        return
    entry: dict[str, Any] = {
        k: text for k in SIGHTING_FIELDS if (text := _text(sighting.get(k))) is not None
    }
    if not any(str(v).strip() for v in entry.values()):
        return  # bookkeeping only: nothing the partner said
    out.keep(KEPT_SIGHTING, where, entry | ({"attribute": value} if value is not None else {}))


def _read_galaxies(
    container: Mapping[str, Any], where: str, value: str | None, out: Blocks
) -> None:
    """Keep the clusters of CONTAINER's galaxies (an event's, or an attribute's of VALUE) whose
    tag CONTAINER does not carry: a cluster comes as a `misp-galaxy:` tag too, kept as such."""
    tags = _tags(container)
    for i, galaxy in enumerate(_entries(container, "Galaxy", where, out)):
        at = f"{where}Galaxy[{i}]"
        if not isinstance(galaxy, dict):
            out.problems.append((at, "not a MISP galaxy"))
            continue
        for j, cluster in enumerate(_entries(galaxy, "GalaxyCluster", f"{at}.", out)):
            if not isinstance(cluster, dict) or _text(cluster.get("value")) is None:
                out.problems.append((f"{at}.GalaxyCluster[{j}]", "a cluster needs a value"))
                continue
            kind = _text(cluster.get("type")) or _text(galaxy.get("type")) or ""
            name = str(cluster["value"])
            tag = _text(cluster.get("tag_name")) or f'misp-galaxy:{kind}="{name}"'
            if tag in tags:
                continue  # kept as the tag
            entry = {"type": kind, "value": name, "tag_name": tag}
            entry |= {"attribute": value} if value is not None else {}
            out.keep(KEPT_GALAXY, f"{at}.GalaxyCluster[{j}]", entry)


def add_blocks(
    event: dict[str, Any], kept: list[tuple[str, str]], seed: str
) -> list[tuple[str, str]]:
    """Put the entries KEPT (report attribute name and text) back on EVENT in their MISP form:
    event reports and, on the attribute of the value they were said of (else on the event),
    sightings and galaxy clusters. Returns those it cannot place (text that is no such entry,
    or said of a value EVENT does not hold), for the caller to send as it sends any other kept
    value (a `text` attribute commented with its name, which is read back as it was)."""
    attributes = list(event.get("Attribute", []))
    for obj in event.get("Object", []):
        attributes.extend(obj.get("Attribute", []))
    by_value = {a["value"]: a for a in reversed(attributes)}  # the first attribute of a value
    unplaced: list[tuple[str, str]] = []
    for n, (key, text) in enumerate(kept):
        name = key.split(".")[0]
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            unplaced.append((key, text))
            continue
        if name == KEPT_REPORT:
            report = {"uuid": str(uuid.uuid5(BIGFISH_NAMESPACE, f"misp-report:{seed}|{n}"))}
            event.setdefault("EventReport", []).append(report | entry | {"distribution": "5"})
            continue
        said_of = entry.pop("attribute", None)
        target = event if said_of is None else by_value.get(said_of)
        if target is None:
            unplaced.append((key, text))
            continue
        if name == KEPT_SIGHTING:
            target.setdefault("Sighting", []).append(entry)
        else:
            cluster = {k: entry[k] for k in ("type", "value", "tag_name") if k in entry}
            galaxies = target.setdefault("Galaxy", [])
            galaxy = next((g for g in galaxies if g["type"] == cluster.get("type", "")), None)
            if galaxy is None:
                galaxy = {"type": cluster.get("type", ""), "GalaxyCluster": []}
                galaxies.append(galaxy)
            galaxy["GalaxyCluster"].append(cluster)
    return unplaced
