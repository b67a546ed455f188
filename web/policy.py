"""Who may call which route: the one route x role table.

Every endpoint of the app has an entry here; anything missing is denied (and a test
fails if any route in ``app.url_map`` has no entry). ``PUBLIC`` endpoints need no
login; ``SIGNED_IN`` ones need any signed-in user; otherwise the entry lists the roles.
Finer checks (a live referral, one's own school) happen in the views, through
:mod:`web.access`, and answer 404 alike for "not yours" and "missing".
"""

from __future__ import annotations

from collections.abc import Mapping

PUBLIC = "public"
SIGNED_IN = "signed-in"

A, H, T, S, AD, P = "analyst", "housing", "transport", "school", "admin", "privacy_officer"

ROUTE_POLICY: Mapping[str, str | frozenset[str]] = {
    # no login
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "auth.login": PUBLIC,
    "auth.login_step": PUBLIC,  # the steps after a right password (activation code, two-factor)
    # any signed-in user
    "main.index": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.account": SIGNED_IN,
    "auth.account_token": SIGNED_IN,  # one's own API token only
    "auth.account_two_factor": SIGNED_IN,
    "api_v1.openapi": SIGNED_IN,
    "api_v1.docs": SIGNED_IN,
    # housing: placement checks for referred young people
    "housing.index": frozenset({H}),
    "housing.case": frozenset({H}),
    "housing.check": frozenset({H}),
    "housing.save": frozenset({H}),
    "housing.decision": frozenset({H}),
    "housing.decisions": frozenset({H}),
    "housing.decision_print": frozenset({H}),
    "housing.decision_pdf": frozenset({H}),
    "housing.decision_csv": frozenset({H}),
    # transport: route checks for referred young people
    "transport.index": frozenset({T}),
    "transport.case": frozenset({T}),
    "transport.check": frozenset({T}),
    "transport.save": frozenset({T}),
    "transport.decision": frozenset({T}),
    "transport.decisions": frozenset({T}),
    "transport.decision_print": frozenset({T}),
    "transport.decision_pdf": frozenset({T}),
    "transport.decision_csv": frozenset({T}),
    # school briefings: school users their own schools, analysts all
    "schools.index": frozenset({S, A}),
    "schools.briefing": frozenset({S, A}),
    "schools.acknowledge": frozenset({S}),
    "schools.tension": frozenset({A}),
    # analysts
    "analyst.index": frozenset({A}),
    "analyst.incidents": frozenset({A}),
    "analyst.people": frozenset({A}),
    "analyst.person": frozenset({A}),
    "analyst.placement": frozenset({A}),
    "analyst.route": frozenset({A}),
    "analyst.notices": frozenset({A}),
    "analyst.notice_create": frozenset({A}),
    "analyst.notice_end": frozenset({A}),
    "analyst.referrals": frozenset({A}),
    "analyst.referral_grant": frozenset({A}),
    "analyst.referral_revoke": frozenset({A}),
    "analyst.briefings": frozenset({A}),
    "analyst.backtest": frozenset({A}),
    "analyst.policies": frozenset({A}),
    # analyst oversight (web/oversight): chronology, evidence reviews, disproportionality, data quality
    "oversight.chronology": frozenset({A}),
    "oversight.chronology_print": frozenset({A}),
    "oversight.chronology_add": frozenset({A}),
    "oversight.reviews": frozenset({A}),
    "oversight.review_action": frozenset({A}),
    "oversight.fairness": frozenset({A}),
    "oversight.population_upload": frozenset({A}),
    "oversight.quality": frozenset({A}),
    "oversight.quality_csv": frozenset({A}),
    # admin: users and roles, no young people's data
    "admin.users": frozenset({AD}),
    "admin.user_create": frozenset({AD}),
    "admin.user_disable": frozenset({AD}),
    "admin.user_enable": frozenset({AD}),
    "admin.user_role": frozenset({AD}),
    "admin.request_decide": frozenset({AD}),
    # privacy officer: audit reports
    "privacy.index": frozenset({P}),
    "privacy.by_person": frozenset({P}),
    "privacy.by_user": frozenset({P}),
    "privacy.export": frozenset({P}),
    # API v1 (token or session)
    "api_v1.referrals": frozenset({H, T}),
    "api_v1.placement": frozenset({H}),
    "api_v1.route": frozenset({T}),
    "api_v1.briefing": frozenset({S, A}),
    "api_v1.incident_grid": frozenset({A}),
    "api_v1.network": frozenset({A}),
}

#: Endpoints whose response shows (or whose request changes) a young person's data. Each writes one
#: audit event per young person it shows, and a signed-in user refused one by the table above is
#: audited too (outcome ``denied``), under the young person the URL names when it names one. A test
#: walks every route of the app: one that shows a young person and is not listed here fails it.
YOUNG_PERSON_ENDPOINTS: frozenset[str] = frozenset({
    "housing.index", "housing.case", "housing.check", "housing.save", "housing.decision",
    "transport.index", "transport.case", "transport.check", "transport.save", "transport.decision",
    "analyst.people", "analyst.person", "analyst.placement", "analyst.route",
    "analyst.referrals", "analyst.referral_grant", "analyst.referral_revoke",
    "oversight.chronology", "oversight.chronology_print", "oversight.chronology_add",
    "oversight.reviews", "oversight.review_action",
    "privacy.index", "privacy.by_person", "privacy.by_user", "privacy.export",
    "api_v1.referrals", "api_v1.placement", "api_v1.route", "api_v1.network",
})


def allowed(endpoint: str | None, role: str | None) -> bool:
    """Whether ``role`` (None when signed out) may call ``endpoint``; unlisted means no."""
    rule = ROUTE_POLICY.get(endpoint or "")
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    if rule == SIGNED_IN:
        return True
    return role in rule


def home_endpoint(role: str) -> str:
    """Where each role lands after signing in."""
    return {
        H: "housing.index",
        T: "transport.index",
        S: "schools.index",
        A: "analyst.index",
        AD: "admin.users",
        P: "privacy.index",
    }.get(role, "main.index")
