"""Words and colours the pages share (the UI says "young person" and "peer group")."""

from __future__ import annotations

ROLE_LABELS = {
    "admin": "Administrator",
    "analyst": "Safeguarding analyst",
    "housing": "Housing officer",
    "transport": "Transport officer",
    "school": "School",
    "privacy_officer": "Privacy officer",
}
# One palette for bands and tension levels, on badges, maps, legends and print; each colour has at
# least 4.5:1 contrast with white text (WCAG 2.2 AA). app.css declares the same colours (--band-*),
# and a test keeps the two equal. The band's name is always written beside its colour.
BAND_COLOURS = {"Low": "#1b7a3e", "Medium": "#a5520a", "High": "#c0282d", "Very high": "#67000d"}
LEVEL_COLOURS = {"Low": "#1b7a3e", "Elevated": "#a5520a", "High": "#c0282d", "Critical": "#67000d"}
ADVISORY = ("Scores are advisory: they support a professional's judgement and never replace it. "
            "They are not a prediction about any young person's behaviour.")

_NAV = {
    "housing": [("housing.index", "My referred young people")],
    "transport": [("transport.index", "My referred young people")],
    "school": [("schools.index", "School briefing")],
    "analyst": [
        ("analyst.index", "Overview"),
        ("analyst.incidents", "Incident map"),
        ("analyst.people", "Young people"),
        ("analyst.referrals", "Referrals"),
        ("analyst.notices", "Notices"),
        ("analyst.briefings", "Briefings"),
        ("analyst.backtest", "Back-testing"),
        ("analyst.policies", "Policy versions"),
        ("oversight.reviews", "Evidence reviews"),
        ("oversight.fairness", "Disproportionality"),
        ("oversight.quality", "Data quality"),
    ],
    "admin": [("admin.users", "Users and roles")],
    "privacy_officer": [("privacy.index", "Audit reports")],
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def nav_items(user) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [*_NAV.get(user.role, []), ("auth.account", "My account")]


def band_colour(band: str | None) -> str:
    return BAND_COLOURS.get(band or "", "#777777")


def level_colour(level: str | None) -> str:
    return LEVEL_COLOURS.get(level or "", "#777777")


def grid_colour(share: float) -> str:
    """Light yellow to dark red for 0..1."""
    stops = [(255, 255, 204), (254, 217, 118), (253, 141, 60), (227, 26, 28), (128, 0, 38)]
    share = min(max(share, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(share), len(stops) - 2)
    t = share - i
    r, g, b = (round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * t) for k in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def long_date(when) -> str:
    """``6 December 2026`` (GOV.UK style: no leading zero)."""
    return f"{when.day} {when:%B %Y}"


def long_datetime(when) -> str:
    """``6 December 2026, 18:45 UTC``."""
    return f"{long_date(when)}, {when:%H:%M} UTC"


def when(value) -> str:
    """A moment for people: ``6 December 2026, 19:04 UTC`` from a datetime or an ISO string (a date
    alone gives ``6 December 2026``); anything else as it is."""
    import datetime as dt

    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return long_date(parsed) if len(value) <= 10 else long_datetime(parsed)
    if isinstance(value, dt.datetime):
        return long_datetime(value)
    if isinstance(value, dt.date):
        return long_date(value)
    return str(value)


def near_groups(near) -> list[str]:
    """A walk's "passes within" items grouped by what they pass: one line per kind of place and distance,
    naming its streets once each ("Passes within 100 m of a place associated with ...: Owl Grove, Hazel Row")
    instead of one line per street segment. An item in another wording is shown as it is."""
    groups: dict[str, list[str]] = {}
    for item in near or []:
        text = str(item.get("text", "") if isinstance(item, dict) else item)
        head, sep, rest = text.partition(" passes within ")
        if not sep:
            groups.setdefault(text, [])
            continue
        # the street as the item's own words name it ("segment near Owl Grove"), else its street field
        street = head.removeprefix("segment near ").strip() if head.startswith("segment near ") else ""
        if not street and isinstance(item, dict):
            street = str(item.get("street") or "")
        streets = groups.setdefault(f"Passes within {rest}", [])
        if street and street not in streets:
            streets.append(street)
    return [f"{key}: {', '.join(streets)}" if streets else key for key, streets in groups.items()]


def guidance():
    """The configured guidance (:class:`geo_risk.guidance.Guidance`): one sentence per band and level."""
    from flask import current_app

    return current_app.config["GEO_RISK_GUIDANCE"]


def init_app(app) -> None:
    """The filters and helpers every template may use."""
    app.add_template_global(guidance, "guidance")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(long_datetime, "long_datetime")
    app.add_template_filter(when, "when")
    app.add_template_global(near_groups, "near_groups")
