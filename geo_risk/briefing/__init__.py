"""School-area community-tension briefings, disclosure control and post-incident notices.

>>> briefings = brief_all(schools, incidents, areas, as_of="2025-05-01", policy=Policy.default())
>>> briefings["100001"].to_json("school")

Every area output goes through :mod:`geo_risk.briefing.disclosure`.
"""

from geo_risk.briefing.build import brief_all, brief_school
from geo_risk.briefing.conflicts import Conflict, ConflictPlace
from geo_risk.briefing.model import Briefing, Change, RateCell, Tension
from geo_risk.briefing.notices import Acknowledgement, Notice, TensionOverride
from geo_risk.briefing.periods import Period, Periods

__all__ = [
    "Acknowledgement",
    "Briefing",
    "Change",
    "Conflict",
    "ConflictPlace",
    "Notice",
    "Period",
    "Periods",
    "RateCell",
    "Tension",
    "TensionOverride",
    "brief_all",
    "brief_school",
]
