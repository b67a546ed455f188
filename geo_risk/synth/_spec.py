"""Sizes, constants and the measured proportions the synthetic city reproduces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from geo_risk.errors import ValidationError

#: The city lies in the North Sea, inside the British National Grid's Great
#: Britain extent but far from any real place: easting 590000-630000, northing
#: 850000-890000. The city's south-west corner sits here (the east edge of the
#: allowed box is avoided because it lies beyond longitude 1.85 E).
ORIGIN_E = 592_000.0
ORIGIN_N = 852_000.0
ALLOWED_BOX = (590_000.0, 850_000.0, 630_000.0, 890_000.0)

CITY_NAME = "Synthetown"
LABEL = "(synthetic)"
CITY_LABEL = f"{CITY_NAME} {LABEL}"
FORCE_NAME = f"{CITY_NAME} Police {LABEL}"
FORCE_SLUG = "synthetown"

#: The 24 months of police.uk data end here; the data is "as of" the next day.
LAST_MONTH = (2026, 10)
N_MONTHS = 24
AS_OF = dt.date(2026, 11, 1)

#: Fake area-code prefixes: ONS codes start with E, W, S or N, never X.
LSOA_PREFIX = "X01"
MSOA_PREFIX = "X02"
WARD_PREFIX = "X05"
LAD_PREFIX = "X06"
COUNTRY_CODE = "X92000001"
#: Not a real UK postcode area.
POSTCODE_AREA = "ZZ"
#: GIAS URNs are six digits below 160000 today; 9xxxxx is unused.
URN_START = 900_001
LA_CODE = "999"

#: police.uk "Crime type" shares measured on the shared Avon and Somerset files
#: 2025-01..2025-04 (61,946 rows): the recent category mix.
POLICE_UK_CATEGORY_SHARES: dict[str, float] = {
    "Violence and sexual offences": 0.3856,
    "Anti-social behaviour": 0.1172,
    "Public order": 0.1005,
    "Shoplifting": 0.0865,
    "Other theft": 0.0862,
    "Criminal damage and arson": 0.0712,
    "Vehicle crime": 0.0462,
    "Burglary": 0.0370,
    "Other crime": 0.0227,
    "Drugs": 0.0206,
    "Robbery": 0.0116,
    "Bicycle theft": 0.0076,
    "Possession of weapons": 0.0050,
    "Theft from the person": 0.0022,
}

#: "Last outcome category" shares among crimes (not anti-social behaviour, whose
#: outcome is always empty), measured on the same files.
POLICE_UK_OUTCOME_SHARES: dict[str, float] = {
    "Status update unavailable": 0.4984,
    "Unable to prosecute suspect": 0.3383,
    "Awaiting court outcome": 0.0379,
    "Investigation complete; no suspect identified": 0.0300,
    "Further investigation is not in the public interest": 0.0239,
    "Court result unavailable": 0.0213,
    "Formal action is not in the public interest": 0.0161,
    "Action to be taken by another organisation": 0.0100,
    "Further action is not in the public interest": 0.0080,
    "Local resolution": 0.0075,
    "Offender given a caution": 0.0057,
    "Suspect charged as part of another case": 0.0028,
}

#: ONS Census 2021, England and Wales, usual residents (per cent, rounded).
CENSUS_SEX = {"Female": 51.0, "Male": 49.0}
CENSUS_ETHNICITY = {
    "White": 81.7,
    "Asian, Asian British or Asian Welsh": 9.3,
    "Black, Black British, Black Welsh, Caribbean or African": 4.0,
    "Mixed or Multiple ethnic groups": 2.9,
    "Other ethnic group": 2.1,
}
CENSUS_RELIGION = {
    "Christian": 46.2,
    "No religion": 37.2,
    "Muslim": 6.5,
    "Hindu": 1.7,
    "Sikh": 0.9,
    "Buddhist": 0.5,
    "Jewish": 0.5,
    "Other religion": 0.6,
    "Not answered": 6.0,
}


@dataclass(frozen=True)
class SizeSpec:
    """How big a synthetic city is.

    Parameters
    ----------
    name
        ``"small"`` or ``"city"``.
    width_m, height_m
        Extent of the city's bounding rectangle in metres.
    population
        Residents (LSOAs hold about 1,500 each).
    target_nodes
        Street junctions to sample before cul-de-sacs are added; the streets importer's
        segments (split at junctions) come out at about twice this.
    incidents
        Distinct police.uk incidents over the 24 months (planted duplicate rows
        come on top).
    no_location_rows, duplicate_rows
        Deliberate police.uk quirks: rows without coordinates, and exact copies
        of a crime row (same Crime ID).
    injuries
        Emergency-department assault records.
    schools
        Schools of all phases.
    people, links, groups, rivalries
        Peer network: people, links in total, peer groups, and live rivalries
        (group-to-group conflict links).
    bridges
        Walkable river crossings.
    hotspots, districts
        Incident hotspots and district centres.
    placement_cases, route_cases
        Demo children with an open placement or route referral.
    """

    name: str
    width_m: float
    height_m: float
    population: int
    target_nodes: int
    incidents: int
    no_location_rows: int
    duplicate_rows: int
    injuries: int
    schools: int
    people: int
    links: int
    groups: int
    rivalries: int
    bridges: int
    hotspots: int
    districts: int
    placement_cases: int
    route_cases: int


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(
        name="small",
        width_m=3_600.0,
        height_m=3_000.0,
        population=24_000,
        target_nodes=1_300,
        incidents=5_000,
        no_location_rows=25,
        duplicate_rows=12,
        injuries=150,
        schools=12,
        people=200,
        links=600,
        groups=8,
        rivalries=5,
        bridges=2,
        hotspots=8,
        districts=2,
        placement_cases=2,
        route_cases=2,
    ),
    "city": SizeSpec(
        name="city",
        width_m=17_000.0,
        height_m=15_000.0,
        population=420_000,
        target_nodes=52_000,
        incidents=100_000,
        no_location_rows=400,
        duplicate_rows=150,
        injuries=3_000,
        schools=150,
        people=5_000,
        links=20_000,
        groups=40,
        rivalries=30,
        bridges=6,
        hotspots=70,
        districts=9,
        placement_cases=3,
        route_cases=3,
    ),
}


def size_spec(size: str) -> SizeSpec:
    """Return the :class:`SizeSpec` called ``size``.

    Raises
    ------
    ValidationError
        If ``size`` is not one of :data:`SIZES`.
    """
    try:
        return SIZES[size]
    except KeyError:
        msg = f"unknown city size {size!r}; use one of: {', '.join(SIZES)}"
        raise ValidationError(msg) from None


def month_list() -> list[tuple[int, int]]:
    """The 24 (year, month) pairs ending at :data:`LAST_MONTH`, oldest first."""
    year, month = LAST_MONTH
    index = year * 12 + (month - 1)
    return [divmod(i, 12) for i in range(index - N_MONTHS + 1, index + 1)]


def month_label(ym: tuple[int, int]) -> str:
    """``(2026, 3)`` -> ``"2026-03"`` (``ym`` from :func:`month_list` has a 0-based month)."""
    return f"{ym[0]:04d}-{ym[1] + 1:02d}"
