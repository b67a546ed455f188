"""One definition each: the data contract's lists and rules live in ``geo_risk/contract.py`` only.

An AST scan of ``geo_risk/`` and ``web/`` fails on

- a literal tuple, list or set (or a string such as ``"ABCDE"``) holding two or more link
  types, place kinds, source types or statuses, or three or more evidence grades: import the
  list from :mod:`geo_risk.contract` instead (a dict that maps each value to a word or a
  colour is presentation, and allowed);
- a comparison that reads ``expires_at`` or ``first_seen`` (directly, through a column of
  that name, or through a variable assigned from one), or compares a ``status`` with
  ``"live"``/``"expired"``: liveness is decided by :func:`geo_risk.contract.live_mask` and its
  relatives. The few comparisons of other things' expiry (referrals, tension overrides, a date
  an analyst types) are listed in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geo_risk import contract

REPO_ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("geo_risk", "web")
CONTRACT = Path("geo_risk/contract.py")
DATE_KEYS = {"expires_at", "first_seen"}
STATUS_WORDS = {"live", "expired"}

#: (path, enclosing function) -> why a comparison of an expiry there is not evidence liveness.
ALLOWED = {
    ("geo_risk/briefing/notices.py", "__post_init__"): "a tension override must expire after it is set",
    ("geo_risk/briefing/notices.py", "is_live"): "a tension override's window",
    ("web/analyst.py", "referrals"): "a referral's expiry",
    ("geo_risk/fairness/reviews.py", "plan_confirm"): "checks the expiry date an analyst types is in the future",
    ("geo_risk/fairness/reviews.py", "plan_expire"): "expiring now moves a later expiry date forward to now",
    ("geo_risk/fairness/reviews.py", "_queue_part"): "how long expired evidence stays listed in the review queue",
    ("geo_risk/chronology.py", "_link_item"): "says 'last seen' when it differs from the first sighting",
    ("geo_risk/chronology.py", "build_chronology"): "says 'last seen' when it differs from the first sighting",
}
#: Files that hold no links or places at all.
ALLOWED_FILES = {
    "geo_risk/accounts.py": "users and referrals (a referral's expiry is the legitimate relationship's)",
}

VOCABULARIES = {
    "link types": (set(contract.LINK_TYPES), 2),
    "place kinds": (set(contract.PLACE_KINDS), 2),
    "source types": (set(contract.SOURCE_TYPES), 2),
    "statuses": (set(contract.STATUSES), 2),
    "evidence grades": (set(contract.GRADES), 3),
}


def _files() -> list[Path]:
    out = []
    for top in SCANNED:
        for path in sorted((REPO_ROOT / top).rglob("*.py")):
            rel = path.relative_to(REPO_ROOT)
            if rel == CONTRACT or "migrations" in rel.parts or rel.as_posix() in ALLOWED_FILES:
                continue
            out.append(rel)
    return out


def _strings(node: ast.AST) -> list[str]:
    return [e.value for e in getattr(node, "elts", []) if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def list_findings(tree: ast.AST) -> list[tuple[int, str]]:
    """Literal collections (or grade strings) that copy a contract list."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = set(_strings(node))
            for name, (vocab, least) in VOCABULARIES.items():
                if len(values & vocab) >= least:
                    found.append((node.lineno, f"a list of {name} ({', '.join(sorted(values & vocab))})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip().upper() == "ABCDE":
            found.append((node.lineno, f"a string of evidence grades ({node.value!r})"))
    return found


def _is_date(node: ast.AST | None, tainted: set[str]) -> bool:
    """Whether ``node`` is the value of an ``expires_at``/``first_seen`` (possibly converted or
    indexed); arithmetic on it (a gap, a window) is something else."""
    if node is None:
        return False
    if isinstance(node, ast.Name):
        return node.id in DATE_KEYS or node.id in tainted
    if isinstance(node, ast.Attribute):
        return node.attr in DATE_KEYS or _is_date(node.value, tainted)
    if isinstance(node, ast.Subscript):
        key = node.slice
        return (isinstance(key, ast.Constant) and key.value in DATE_KEYS) or _is_date(node.value, tainted)
    if isinstance(node, ast.Call):
        args = [*node.args, *(k.value for k in node.keywords)]
        if any(isinstance(a, ast.Constant) and a.value in DATE_KEYS for a in args):
            return True
        if any(_is_date(a, tainted) for a in args):
            return True
        return isinstance(node.func, ast.Attribute) and _is_date(node.func.value, tainted)
    if isinstance(node, ast.BoolOp):
        return any(_is_date(v, tainted) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _is_date(node.body, tainted) or _is_date(node.orelse, tainted)
    if isinstance(node, ast.UnaryOp):
        return _is_date(node.operand, tainted)
    return False


def _mentions_status(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == "status":
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "status":
            return True
        if isinstance(sub, ast.Constant) and sub.value == "status":
            return True
    return False


def _is_status_word(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in STATUS_WORDS


def _assigned(a: ast.AST) -> list[tuple[ast.AST, ast.AST | None]]:
    """(target, value) pairs of an assignment, tuples unpacked element by element."""
    targets = a.targets if isinstance(a, ast.Assign) else [a.target]
    out = []
    for t in targets:
        if isinstance(t, ast.Tuple) and isinstance(a.value, ast.Tuple) and len(t.elts) == len(a.value.elts):
            out += list(zip(t.elts, a.value.elts, strict=True))
        else:
            out.append((t, a.value))
    return out


def _function_findings(func: ast.AST) -> list[tuple[int, str]]:
    tainted: set[str] = set()
    assigns = [n for n in ast.walk(func) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))]
    changed = True
    while changed:
        changed = False
        for a in assigns:
            for target, value in _assigned(a):
                if isinstance(target, ast.Name) and target.id not in tainted and _is_date(value, tainted):
                    tainted.add(target.id)
                    changed = True
    found = []
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                continue
            if any(_is_date(o, tainted) for o in operands):
                found.append((node.lineno, "compares expires_at/first_seen"))
            elif any(_is_status_word(o) for o in operands) and any(_mentions_status(o) for o in operands):
                found.append((node.lineno, "compares a status with 'live'/'expired'"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in {"eq", "ne", "isin"} and _mentions_status(node.func.value)
              and any(_is_status_word(a) for a in node.args)):
            found.append((node.lineno, "compares a status with 'live'/'expired'"))
    return found


def rule_findings(tree: ast.AST) -> list[tuple[int, str, str]]:
    """Comparisons that decide liveness: (line, enclosing function, what)."""
    found: dict[int, tuple[int, str, str]] = {}
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    # innermost function wins: visit outer ones first, inner ones overwrite
    funcs.sort(key=lambda f: (f.lineno, -(getattr(f, "end_lineno", f.lineno) or f.lineno)))
    for func in funcs:
        name = getattr(func, "name", "<lambda>")
        for line, what in _function_findings(func):
            found[line] = (line, name, what)
    module_level = ast.Module(body=[s for s in getattr(tree, "body", [])
                                    if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))],
                              type_ignores=[])
    for line, what in _function_findings(module_level):
        found.setdefault(line, (line, "<module>", what))
    return sorted(found.values())


def scan(root: Path = REPO_ROOT) -> list[str]:
    problems = []
    for rel in _files():
        tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=str(rel))
        problems += [f"{rel}:{line}: {what}; import it from geo_risk.contract" for line, what in list_findings(tree)]
        for line, func, what in rule_findings(tree):
            if (rel.as_posix(), func) not in ALLOWED:
                problems.append(f"{rel}:{line} (in {func}): {what}; use geo_risk.contract's liveness rule")
    return problems


def test_contract_lists_and_liveness_are_defined_once():
    problems = scan()
    assert not problems, "defined outside geo_risk/contract.py:\n" + "\n".join(problems)


def test_every_allowed_exception_still_exists():
    """An entry of ALLOWED that matches nothing any more is removed, so the list stays honest."""
    used = set()
    for rel in _files():
        tree = ast.parse((REPO_ROOT / rel).read_text(encoding="utf-8"))
        used |= {(rel.as_posix(), func) for _, func, _ in rule_findings(tree)}
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"ALLOWED entries that match no comparison: {stale}"


@pytest.mark.parametrize(("source", "expected"), [
    ('GRADES = ("A", "B", "C", "D", "E")', "evidence grades"),
    ('_G = "ABCDE"', "evidence grades"),
    ('KINDS = ["hangout", "home"]', "place kinds"),
    ('T = {"associates_with", "family"}', "link types"),
    ('S = ("parent_carer", "young_person")', "source types"),
])
def test_the_scan_finds_a_copied_list(source, expected):
    assert any(expected in what for _, what in list_findings(ast.parse(source)))


@pytest.mark.parametrize("source", [
    "def live(frame, as_of):\n    return frame['expires_at'] > as_of\n",
    "def live(row, as_of):\n    exp = pd.to_datetime(row.expires_at)\n    return exp.isna() | (exp > as_of)\n",
    "def seen(links, t):\n    first = column_days(links, 'first_seen')\n    return first <= t\n",
    "def live(row):\n    return str(row.status) == 'live'\n",
    "def live(frame):\n    return frame['status'].str.lower().eq('expired')\n",
])
def test_the_scan_finds_a_liveness_rule(source):
    assert rule_findings(ast.parse(source))


def test_the_scan_passes_words_and_other_expiries():
    source = ('LINK_WORDS = {"associates_with": "associates with", "family": "family"}\n'
              'def tip(row):\n    return f"grade {row.evidence_grade}"\n')
    tree = ast.parse(source)
    assert not list_findings(tree)
    assert not rule_findings(tree)
