"""Words that never reach a page: one guard for every free text a user sees.

The words "gang" and "nominal" brand young people (the Gangs Matrix was found
unlawful); geo-risk says "peer group" and "young person". Free text that
partners write for others to read (group labels, chronology entries, notices
to schools) is checked here, and refused with a message saying what to write
instead.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from geo_risk.errors import ValidationError

_BANNED = re.compile(r"gang|nominal", re.IGNORECASE)
_PSEUDONYM = re.compile(r"\b(?:YP|ADULT|P)-\d+\b", re.IGNORECASE)


def branding_problem(text: str) -> str | None:
    """A message if ``text`` uses a branding word, else ``None``."""
    match = _BANNED.search(text or "")
    if match is None:
        return None
    word = match.group(0).lower()
    instead = "peer group" if word == "gang" else "young person"
    return f"the word {match.group(0)!r} is not used in geo-risk; write {instead!r} instead"


def pseudonym_problem(text: str) -> str | None:
    """A message if ``text`` names a young person by pseudonym (for texts shown to schools)."""
    match = _PSEUDONYM.search(text or "")
    if match is None:
        return None
    return f"do not name anyone ({match.group(0)!r}); describe what happened in general terms"


def check_text(text: str, what: str, *, shown_to_schools: bool = False) -> None:
    """Raise :class:`ValidationError` if ``text`` must not be shown as it is."""
    problems = [p for p in (branding_problem(text), pseudonym_problem(text) if shown_to_schools else None) if p]
    if problems:
        msg = f"{what}: " + "; ".join(problems)
        raise ValidationError(msg)


#: Link types and place kinds in words, for reasons people read (no internal codes).
LINK_WORDS = MappingProxyType({"associates_with": "associates with", "in_conflict_with": "in conflict with",
                               "exploits": "may exploit", "member_of": "member of", "family": "family"})
PLACE_WORDS = MappingProxyType({"hangout": "hangout", "exploitation_site": "exploitation site",
                                "incident_location": "incident location", "home": "home"})
