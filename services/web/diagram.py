"""The lifecycle drawn as SVG from its definition in states/, never by hand.

A layered layout: states in rows by the longest forward path from an entry state, the flow top
to bottom; terminal states that end a case early sit in a column of their own to the right;
transitions that go back (a returned proposal, a returned report) curve along the left edge.
A case's current state and the way it came are highlighted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from workflow.lifecycle import Lifecycle, label_in

BOX_W, BOX_H, ROW, GAP, MARGIN, EXIT_GAP = 200, 30, 46, 24, 16, 70


@dataclass(frozen=True)
class Edge:
    source: str
    dest: str
    transition: str
    label: str
    back: bool


def _edges(lifecycle: Lifecycle, language: str) -> list[Edge]:
    forward: list[tuple[str, str, str, str]] = []
    for t in lifecycle.transitions:
        for source in t.sources:
            forward.append((source, t.dest, t.name, label_in(t.label, language, t.name)))
    # Back edges: those that close a cycle in a depth-first walk from the entry states.
    out: dict[str, list[str]] = defaultdict(list)
    for s, d, _, _ in forward:
        out[s].append(d)
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    stack: list[str] = []

    def walk(node: str) -> None:
        seen.add(node)
        stack.append(node)
        for nxt in out[node]:
            if nxt in stack:
                back.add((node, nxt))
            elif nxt not in seen:
                walk(nxt)
        stack.pop()

    for entry in lifecycle.entry_states:
        if entry not in seen:
            walk(entry)
    return [Edge(s, d, n, label, (s, d) in back) for s, d, n, label in forward]


def _ranks(lifecycle: Lifecycle, edges: list[Edge]) -> dict[str, int]:
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        if not e.back and e.source != e.dest:
            incoming[e.dest].append(e.source)
            outgoing[e.source].append(e.dest)
    rank: dict[str, int] = {}

    def longest(node: str) -> int:
        if node not in rank:
            rank[node] = 0  # guards a cycle the back-edge walk missed
            rank[node] = max((longest(p) + 1 for p in incoming[node]), default=0)
        return rank[node]

    for state in lifecycle.states:
        longest(state)
    # An entry state with no way in sits just above where it leads on, not at the very top.
    for state in lifecycle.states:
        onward = [d for d in outgoing[state] if not lifecycle.states[d].terminal]
        if not incoming[state] and onward:
            rank[state] = max(0, min(rank[d] for d in onward) - 1)
    return rank


def render(
    lifecycle: Lifecycle,
    language: str = "en",
    current: str | None = None,
    path: Iterable[tuple[str, str]] = (),
    alt: str = "",
) -> str:
    """The lifecycle as an inline SVG; `path` is the (from, to) steps a case has taken, `alt` what
    a screen reader says instead of the drawing (the lifecycle's name when not given)."""
    edges = _edges(lifecycle, language)
    rank = _ranks(lifecycle, edges)
    last = max(rank[s] for s, spec in lifecycle.states.items() if spec.terminal)
    side = {s for s, spec in lifecycle.states.items() if spec.terminal and rank[s] < last}
    rows: dict[int, list[str]] = defaultdict(list)
    for state in lifecycle.states:
        if state not in side:
            rows[rank[state]].append(state)
    widest = max(len(r) for r in rows.values())
    main_w = widest * BOX_W + (widest - 1) * GAP
    pos: dict[str, tuple[float, float]] = {}
    left = MARGIN + 40  # room for the back edges
    for r, states in rows.items():
        width = len(states) * BOX_W + (len(states) - 1) * GAP
        x0 = left + (main_w - width) / 2
        for i, state in enumerate(states):
            pos[state] = (x0 + i * (BOX_W + GAP), MARGIN + r * ROW)
    exit_x = left + main_w + EXIT_GAP
    used_rows: set[int] = set()
    for state in sorted(side, key=lambda s: rank[s]):
        r = rank[state]
        while r in used_rows:
            r += 1
        used_rows.add(r)
        pos[state] = (exit_x, MARGIN + r * ROW)
    width = exit_x + BOX_W + MARGIN
    height = MARGIN * 2 + (max(rank.values()) + 2) * ROW

    walked = set(path)
    visited = {s for step in walked for s in step} | ({current} if current else set())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(alt or lifecycle.name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a94a6"/></marker>'
        '<marker id="arrow-walked" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f5fbf"/></marker></defs>',
    ]
    for e in edges:
        if e.source == e.dest:
            continue
        (sx, sy), (dx, dy) = pos[e.source], pos[e.dest]
        on_path = (e.source, e.dest) in walked
        cls = "edge walked" if on_path else "edge"
        marker = "arrow-walked" if on_path else "arrow"
        if e.back:
            x1, y1, x2, y2 = sx, sy + BOX_H / 2, dx, dy + BOX_H / 2
            bend = MARGIN + 6
            d = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        elif e.dest in side:
            x1, y1 = sx + BOX_W, sy + BOX_H / 2
            x2, y2 = dx, dy + BOX_H / 2
            d = f"M{x1:.0f},{y1:.0f} C{x1 + 30:.0f},{y1:.0f} {x2 - 30:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        else:
            x1, y1 = sx + BOX_W / 2, sy + BOX_H
            x2, y2 = dx + BOX_W / 2, dy
            mid = (y1 + y2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
        parts.append(
            f'<path class="{cls}" d="{d}" marker-end="url(#{marker})" data-transition="{escape(e.transition)}">'
            f"<title>{escape(e.label)}</title></path>"
        )
    for state, (x, y) in pos.items():
        spec = lifecycle.states[state]
        classes = ["state"]
        if spec.terminal:
            classes.append("terminal")
        if state in visited:
            classes.append("visited")
        if state == current:
            classes.append("current")
        label = escape(label_in(spec.label, language, state))
        parts.append(
            f'<g class="{" ".join(classes)}" data-state="{escape(state)}"><title>{escape(state)}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}" text-anchor="middle">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
