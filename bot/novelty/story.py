"""Does a page that names no topic continue one of its stories? Pure: the page's claims (as if on
the topic) and the stored claims found for them go in; why it does, or None, comes out.

A story goes on without its keyword: the follow-up about "Xiaomi's smart factory in Changping"
never says "dark factory" again. It is the same story when the page restates figures the topic
already holds (81,000 m², 24억 위안: amounts, areas, capacities, counts in the thousands, never
100 % or first place). Shared names alone are not enough: Nvidia and Huawei are named
in half of DeepSeek's claims and in every chip story besides (tried: it raised an alarm on the dev
stream and found no story the figures miss).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Figure, Fingerprint, KnownClaim
from .decide import states
from .options import NoveltyOptions


def continues_story(prints: Sequence[Fingerprint], candidates: Sequence[Sequence[tuple[KnownClaim, Fingerprint]]],
                    options: NoveltyOptions) -> str | None:
    restated: dict[str, str] = {}            # this page's figure -> "figure = the known claim's figure"
    for fp, known in zip(prints, candidates, strict=True):
        for f in filter(_telling, fp.figures):
            for k, other in known:
                if k.topic == fp.topic and f.text not in restated and (g := states(other, f, options)):
                    restated[f.text] = f"{f.text} = {g.text}"
    if len(restated) >= options.story_restated:
        return "restates known figures of the topic: " + "; ".join(list(restated.values())[:3])
    return None


def _telling(f: Figure) -> bool:
    """A figure that tells one story from another: an amount, an area, a capacity, a count in the
    thousands. 100 %, first place, one a second and 300 workers are in every factory story."""
    return f.kind in ("money", "area") or f.unit in ("MW", "GW") or (
        f.kind == "count" and not f.unit.startswith("per ") and f.value >= 1000)
