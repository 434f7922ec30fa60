"""Media types as HTTP headers give them (RFC 9110 8.3.1, 12.5.1): `media_type` reads a
Content-Type, `acceptable` decides whether an Accept header admits what a route answers."""

from __future__ import annotations

import re

#: A weight as RFC 9110 12.4.2 writes it: 0 to 1, at most three decimals.
_WEIGHT = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")


def media_type(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The media type (or range) of TEXT, `type/subtype;name=value;…`, in lower case, and its
    parameters in order (names in lower case, values unquoted)."""
    kind, *params = text.split(";")
    pairs = []
    for param in params:
        name, _, value = param.partition("=")
        pairs.append((name.strip().lower(), value.strip().strip('"')))
    return kind.strip().lower(), pairs


def _specificity(wanted: str, wanted_params: list[tuple[str, str]], offered: str) -> int | None:
    """How specifically the media range WANTED with WANTED_PARAMS names the media type OFFERED
    (the higher the more); None when it does not name it: a range's parameters must all be the
    offered type's."""
    kind, params = media_type(offered)
    if wanted == "*/*":
        return 0
    if wanted == kind.split("/")[0] + "/*":
        return 1
    if wanted != kind or not set(wanted_params) <= set(params):
        return None
    return 2 + len(wanted_params)


def acceptable(accept: str | None, offered: str) -> bool:
    """Whether the Accept header ACCEPT admits the media type OFFERED: no header (or an empty
    one) admits anything; otherwise the most specific media range naming OFFERED decides, and
    its weight `q=0`, or a weight that is not one (`q=nan`), refuses it."""
    if accept is None or not accept.strip():
        return True
    best: tuple[int, bool] | None = None  # (specificity, admitted)
    for member in accept.split(","):
        if not member.strip():
            continue
        wanted, params = media_type(member)
        names = [name for name, _ in params]
        # The parameters after the weight are the range's extensions, not the media type's.
        weight_at = names.index("q") if "q" in names else len(params)
        specificity = _specificity(wanted, params[:weight_at], offered)
        if specificity is None:
            continue
        weight = params[weight_at][1] if weight_at < len(params) else "1"
        admitted = _WEIGHT.fullmatch(weight) is not None and float(weight) > 0
        if best is None or specificity > best[0]:
            best = (specificity, admitted)
        elif specificity == best[0]:
            best = (specificity, best[1] or admitted)
    return best is not None and best[1]
