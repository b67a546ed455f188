"""An independent, exhaustive check of disclosure control on small tables.

Given only what a school user sees (the published texts) and the table's structure, decide
for a suppressed cell whether the published table is consistent with another value of it.
The model of "consistent" is the one documented in :mod:`geo_risk.briefing.disclosure`:
a published number is exact, "<5" means 1-4, "[c]" means 5 or more, "[x]" (withheld)
1 or more, cells add up to their totals and ordered cells keep their order. Written
without the library's solver: plain backtracking over every value up to ``cap``, trying
values near the truth first and stopping at the first consistent table found.

The search is exhaustive but bounded: it prunes a partial table only where no completion can
satisfy an equation (the unassigned cells' smallest and largest values already miss the total),
which never drops a consistent table, and it gives up after ``budget`` search nodes by raising
:class:`OverBudget`. A caller treats that as "not checked" (Hypothesis discards the example and
counts it), never as "protected".
"""

from __future__ import annotations

from collections.abc import Iterable

from geo_risk.briefing.disclosure import SECONDARY_MARK, WITHHELD_MARK, Constraints, primary_mark

#: Search nodes one ``has_alternative`` call may visit before it gives up. Every table the
#: disclosure property tests draw (up to 4 x 3 cells plus totals, counts up to 36 a cell) is
#: decided well inside it except for rare draws, which the tests discard and count.
NODE_BUDGET = 200_000


#: For each property test, how many drawn tables were checked and how many were discarded because
#: the search ran over its budget (tests/conftest.py prints it at the end of the run).
TALLY: dict[str, dict[str, int]] = {}


def tally(test: str, outcome: str) -> None:
    counts = TALLY.setdefault(test, {"checked": 0, "discarded": 0})
    counts[outcome] += 1


class OverBudget(Exception):
    """The exhaustive search gave up before deciding; the table was not checked."""


def domains_of(shown: list[str], *, threshold: int = 5, cap: int) -> list[range]:
    out = []
    for text in shown:
        if text == primary_mark(threshold):
            out.append(range(1, threshold))
        elif text == SECONDARY_MARK:
            out.append(range(threshold, cap + 1))
        elif text == WITHHELD_MARK:
            out.append(range(1, cap + 1))
        else:
            value = int(text)
            out.append(range(value, value + 1))
    return out


def consistent(values: list[int], shown: list[str], constraints: Constraints, *, threshold: int = 5) -> bool:
    """Whether the table ``values`` is consistent with what is published."""
    doms = domains_of(shown, threshold=threshold, cap=max(values) + 1)
    if any(v not in d for v, d in zip(values, doms)):
        return False
    if any(sum(values[i] for i in parts) != values[total] for parts, total in constraints.equations):
        return False
    return all(values[a] <= values[b] for a, b in constraints.inequalities)


def has_alternative(
    shown: list[str],
    constraints: Constraints,
    cell: int,
    truth: list[int],
    *,
    threshold: int = 5,
    cap: int,
    budget: int = NODE_BUDGET,
) -> bool:
    """Whether some table consistent with ``shown`` gives ``cell`` a value other than ``truth[cell]``.

    Raises :class:`OverBudget` after ``budget`` search nodes without an answer.
    """
    n = len(shown)
    domains = domains_of(shown, threshold=threshold, cap=cap)
    order = sorted(range(n), key=lambda i: (len(domains[i]) if i != cell else -1, i))
    position = {c: k for k, c in enumerate(order)}
    touching: list[list[tuple[str, tuple]]] = [[] for _ in range(n)]
    for parts, total in constraints.equations:
        for i in {*parts, total}:
            touching[i].append(("eq", (parts, total)))
    for a, b in constraints.inequalities:
        touching[a].append(("le", (a, b)))
        touching[b].append(("le", (a, b)))
    x = [0] * n
    visited = 0

    def ok(step: int, c: int) -> bool:
        for kind, payload in touching[c]:
            if kind == "eq":
                parts, total = payload
                assigned = [i for i in parts if position[i] <= step]
                partial = sum(x[i] for i in assigned)
                if position[total] <= step:
                    if len(assigned) == len(parts):
                        if partial != x[total]:
                            return False
                    else:
                        # the unassigned parts can add at least their smallest and at most their
                        # largest values: if even those miss the total, no completion exists
                        rest = [domains[i] for i in parts if position[i] > step]
                        low = partial + sum(d[0] for d in rest if len(d))
                        high = partial + sum(d[-1] for d in rest if len(d))
                        if any(not len(d) for d in rest) or not low <= x[total] <= high:
                            return False
                elif partial > domains[total][-1]:
                    return False
            else:
                a, b = payload
                if position[a] <= step and position[b] <= step and x[a] > x[b]:
                    return False
        return True

    def candidates(step: int, c: int) -> Iterable[int]:
        for kind, payload in touching[c]:
            if kind != "eq":
                continue
            parts, total = payload
            others = [i for i in (*parts, total) if i != c]
            if all(position[i] < step for i in others):
                rest = sum(x[i] for i in parts if i != c)
                forced = x[total] - rest if c != total else rest
                return [forced] if forced in domains[c] else []
        values = [v for v in domains[c] if not (c == cell and v == truth[cell])]
        return sorted(values, key=lambda v: (abs(v - truth[c]), v))

    def walk(step: int) -> bool:
        nonlocal visited
        visited += 1
        if visited > budget:
            msg = f"no answer within {budget} search nodes"
            raise OverBudget(msg)
        if step == n:
            return True
        c = order[step]
        for value in candidates(step, c):
            if c == cell and value == truth[cell]:
                continue
            x[c] = value
            if ok(step, c) and walk(step + 1):
                return True
        return False

    return walk(0)
