"""An exhaustive, independent check of disclosure control on small tables.

Given only what a school user sees (the published texts) and the table's structure, list
every value each suppressed cell could take. The model of "consistent" is the one
documented in :mod:`geo_risk.briefing.disclosure`: a published number is exact, "<5"
means 1-4, "[c]" means 5 or more, "[x]" (a withheld table) anything, cells add up to their totals and ordered cells keep
their order. Written without the library's solver, by plain backtracking.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo_risk.briefing.disclosure import SECONDARY_MARK, WITHHELD_MARK, Constraints, primary_mark


def consistent_values(shown: list[str], constraints: Constraints, *, threshold: int = 5, cap: int) -> list[set[int]]:
    """For every cell, the set of values consistent with the published table (up to ``cap``)."""
    n = len(shown)
    domains: list[range] = []
    for text in shown:
        if text == primary_mark(threshold):
            domains.append(range(1, threshold))
        elif text == SECONDARY_MARK:
            domains.append(range(threshold, cap + 1))
        elif text == WITHHELD_MARK:
            domains.append(range(0, cap + 1))
        else:
            value = int(text)
            domains.append(range(value, value + 1))
    order = sorted(range(n), key=lambda i: (len(domains[i]), i))
    position = {cell: k for k, cell in enumerate(order)}
    touching: list[list[tuple[str, tuple]]] = [[] for _ in range(n)]
    for parts, total in constraints.equations:
        for i in {*parts, total}:
            touching[i].append(("eq", (parts, total)))
    for a, b in constraints.inequalities:
        touching[a].append(("le", (a, b)))
        touching[b].append(("le", (a, b)))
    found: list[set[int]] = [set() for _ in range(n)]
    x = [0] * n

    def ok(step: int, cell: int) -> bool:
        for kind, payload in touching[cell]:
            if kind == "eq":
                parts, total = payload
                if position[total] > step:
                    continue
                assigned = [i for i in parts if position[i] <= step]
                partial = sum(x[i] for i in assigned)
                if len(assigned) == len(parts):
                    if partial != x[total]:
                        return False
                elif partial > x[total]:
                    return False
            else:
                a, b = payload
                if position[a] <= step and position[b] <= step and x[a] > x[b]:
                    return False
        return True

    def walk(step: int) -> None:
        if step == n:
            for i in range(n):
                found[i].add(x[i])
            return
        cell = order[step]
        values: Iterable[int] = domains[cell]
        for kind, payload in touching[cell]:
            if kind != "eq":
                continue
            parts, total = payload
            others = [i for i in (*parts, total) if i != cell]
            if all(position[i] < step for i in others):
                # the line's other cells are known: this one is forced
                rest = sum(x[i] for i in parts if i != cell)
                forced = x[total] - rest if cell != total else rest
                values = [forced] if forced in domains[cell] else []
                break
        for value in values:
            x[cell] = value
            if ok(step, cell):
                walk(step + 1)

    walk(0)
    return found
