"""What needs attention: the overview's first card.

A domain's dashboard provider (``add_dashboard``) may return an attention panel, built
with ``attention_panel(title, items)``: each item is an ``Attention`` (a label, a count, the
URL of the list filtered to exactly those rows, and a level). The overview shows every
attention item of every domain in one card, the ones with a count first and the most
severe first, so HQ (or an owner, for their franchise) sees the day's work before
anything else. The counts come from the domain that owns the rows: the web shell knows
no domain.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVEL_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Attention:
    """One count of things to handle, with the link to the list that shows them."""

    label: str
    count: int
    url: str
    level: str = "warning"  # critical | warning | info


def attention_panel(title: str, items: list[Attention]) -> dict:
    """A dashboard panel whose items belong in the overview's attention card."""
    return {"title": title, "attention": items}


def collect(panels: list[dict]) -> tuple[list[Attention], list[dict]]:
    """Split the providers' panels into attention items (sorted: waiting first, then by
    level) and the other panels, kept in their order."""
    items: list[Attention] = []
    rest: list[dict] = []
    for panel in panels:
        if "attention" in panel:
            items.extend(panel["attention"])
        else:
            rest.append(panel)
    items.sort(key=lambda a: (a.count == 0, LEVEL_ORDER.get(a.level, 3)))
    return items, rest
