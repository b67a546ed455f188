"""Walk JSON-like data (dicts and lists) in the tier tests: which keys and numbers a user is given."""

from __future__ import annotations

from collections.abc import Iterable


def keys(obj, skip: Iterable[str] = ()) -> set[str]:
    """Every key in ``obj``, at any depth (not looking inside the values of keys in ``skip``)."""
    skip = frozenset(skip)
    if isinstance(obj, dict):
        return set(obj) | {k for key, v in obj.items() if key not in skip for k in keys(v, skip)}
    if isinstance(obj, list):
        return {k for v in obj for k in keys(v, skip)}
    return set()


def numbers(obj, skip: Iterable[str] = ()) -> list[float]:
    """Every number in ``obj`` (booleans aside), at any depth, but under the keys in ``skip``."""
    skip = frozenset(skip)
    if isinstance(obj, dict):
        return [n for k, v in obj.items() if k not in skip for n in numbers(v, skip)]
    if isinstance(obj, list):
        return [n for v in obj for n in numbers(v, skip)]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [float(obj)]
    return []
