"""Settings (where things are) and Policy (versioned thresholds and weights).

Both are frozen dataclasses. ``Settings`` comes from environment variables
prefixed ``GEO_RISK_`` and an optional TOML file; ``Policy`` from a versioned
TOML file (``geo_risk/policies/default.toml`` unless configured). Unknown keys
are rejected with a message naming the valid ones, so a typo never silently
creates a new setting. A policy is checked completely when it is loaded: every
problem is listed in one :class:`~geo_risk.errors.ConfigError`, so a bad policy
stops the service at start-up, not at the first check that reads the bad value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_risk.contract import CANNOT_ASSESS, CATEGORIES, GRADES, INJURY_CATEGORY, LINK_TYPES
from geo_risk.errors import ConfigError

ENV_PREFIX = "GEO_RISK_"
DEFAULT_POLICY_FILE = Path(__file__).parent / "policies" / "default.toml"


def read_toml(path: str | Path, what: str, fix: str) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; a missing file or bad TOML is a :class:`ConfigError` naming
    ``what`` the file is and, for a missing one, ``fix``."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        msg = f"{what} {path} does not exist; {fix}"
        raise ConfigError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{what} {path} is not valid TOML: {exc}"
        raise ConfigError(msg) from exc


def _default_data_dir() -> Path:
    return Path.cwd() / "var"


@dataclass(frozen=True)
class Settings:
    """Where geo-risk keeps its data and how it connects.

    Parameters
    ----------
    data_dir
        Folder for the SpatiaLite file and generated data.
    database_url
        SQLAlchemy URL. Empty means the SpatiaLite file ``<data_dir>/geo-risk.sqlite``.
    area_of_interest
        Optional boundary file (GeoJSON/GeoPackage/shapefile). Points outside it are
        rejected on import. Without it, points anywhere in Great Britain are accepted.
    policy_file
        Versioned policy TOML; empty means the packaged default.
    secret_key
        Flask session key. Required to serve the web app outside tests.
    tile_url
        Optional self-hosted tile server URL template. Off by default: a third-party
        tile request would leak which address is being checked.
    cookie_secure
        Send session cookies only over HTTPS. Switch off only for local HTTP.
    log_level
        Logging level name for the CLI and the web app.
    school_holidays
        Optional CSV of the local authority's school holidays and closures (INSET days,
        bank holidays): ``start,end,label``, one row per closure, dates inclusive (see
        :mod:`geo_risk.ingest.school_holidays`). Route checks then weight incidents in the
        school travel windows only on term-time weekdays; without it every weekday counts
        as a school day, and route results say so.
    trusted_proxies
        How many reverse proxies in front of the web app append to ``X-Forwarded-For``
        (0, the default: the header is ignored and the connecting address is the
        client's). With N, the Nth address from the right of the header is the
        client's, for the failed-login limit among others. Set it only to the number
        of proxies that really are in front: any more and clients can choose their
        own address.
    audit_key
        The key of the audit chain's HMAC (at least 32 bytes), kept outside the database so
        that someone who can write to the database cannot recompute the chain. Give it here
        (``GEO_RISK_AUDIT_KEY``) or in a file (``audit_key_file``).
    audit_key_file
        A file holding the audit key (read once, surrounding white space ignored).
    guidance_file
        What each band and tension level means and what to do next, one sentence each
        (TOML: ``[bands]``, ``[levels]``; see :mod:`geo_risk.guidance`); empty means the
        packaged ``policies/guidance.toml``.
    audit_keyed_from
        The ``seq`` of the first keyed audit event (default 1: every event must be keyed).
        A chain begun before the key was set keeps its older events checked by their plain
        SHA-256; ``geo-risk audit verify`` names the first keyed event to set here.
    """

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    area_of_interest: Path | None = None
    policy_file: Path | None = None
    secret_key: str = ""
    tile_url: str = ""
    cookie_secure: bool = True
    log_level: str = "INFO"
    school_holidays: Path | None = None
    trusted_proxies: int = 0
    audit_key: str = ""
    audit_key_file: Path | None = None
    audit_keyed_from: int = 1
    guidance_file: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SpatiaLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(Path(self.data_dir) / 'geo-risk.sqlite').resolve()}"

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, origin: str = "settings") -> Settings:
        """Build settings from a mapping, rejecting unknown keys and bad values."""
        valid = cls.field_names()
        problems = []
        unknown = sorted(set(values) - set(valid))
        if unknown:
            problems.append(f"unknown {origin} key(s): {', '.join(unknown)}; valid keys are: {', '.join(valid)}")
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key in valid:
                try:
                    kwargs[key] = _coerce_setting(key, value, origin)
                except ConfigError as exc:
                    problems.append(str(exc))
        if problems:
            raise ConfigError("; ".join(problems))
        return cls(**kwargs)

    @classmethod
    def load(cls, toml_file: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from an optional TOML file, overridden by ``GEO_RISK_*`` variables.

        ``GEO_RISK_CONFIG`` names the TOML file when ``toml_file`` is not given.
        Variables used by the test-suite and tools (``GEO_RISK_TEST_*``) are ignored.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        toml_file = toml_file or env.get(f"{ENV_PREFIX}CONFIG") or None
        if toml_file:
            data = read_toml(toml_file, "configuration file", "check GEO_RISK_CONFIG")
            values.update(data.get("geo_risk", data))
        for key, value in env.items():
            if not key.startswith(ENV_PREFIX) or key == f"{ENV_PREFIX}CONFIG":
                continue
            if key.startswith(f"{ENV_PREFIX}TEST_"):
                continue
            values[key[len(ENV_PREFIX):].lower()] = value
        return cls.from_mapping(values, origin="GEO_RISK_ setting")

    def load_policy(self) -> Policy:
        return Policy.load(self.policy_file or DEFAULT_POLICY_FILE)

    def audit_key_bytes(self) -> bytes | None:
        """The audit chain's key from ``audit_key`` or ``audit_key_file``; None when neither is set.

        Raises
        ------
        ConfigError
            If the key is shorter than :data:`MIN_KEY_BYTES` or its file cannot be read.
        """
        if self.audit_key:
            key = self.audit_key.encode("utf-8")
            where = "GEO_RISK_AUDIT_KEY"
        elif self.audit_key_file is not None:
            try:
                key = Path(self.audit_key_file).read_bytes().strip()
            except OSError as exc:
                msg = (f"the audit key file {self.audit_key_file} cannot be read ({exc.strerror}); "
                       "check GEO_RISK_AUDIT_KEY_FILE")
                raise ConfigError(msg) from exc
            where = f"the audit key file {self.audit_key_file}"
        else:
            return None
        check_key_length(key, where)
        return key


MIN_KEY_BYTES = 32


def check_key_length(key: bytes | str, where: str) -> None:
    """Refuse a secret shorter than :data:`MIN_KEY_BYTES` bytes, saying how to make one."""
    size = len(key.encode("utf-8") if isinstance(key, str) else key)
    if size < MIN_KEY_BYTES:
        msg = (f"{where} is {size} bytes long; it must be at least {MIN_KEY_BYTES} random bytes, e.g. "
               "python3 -c 'import secrets; print(secrets.token_hex(32))'")
        raise ConfigError(msg)


def _coerce_setting(key: str, value: Any, origin: str) -> Any:
    if key in ("data_dir",):
        return Path(value)
    if key in ("area_of_interest", "policy_file", "school_holidays", "audit_key_file", "guidance_file"):
        return Path(value) if value not in (None, "") else None
    if key == "cookie_secure":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        msg = f"{origin} cookie_secure must be true or false, got {value!r}"
        raise ConfigError(msg)
    if key == "trusted_proxies":
        if value in (None, ""):
            return 0
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
            msg = f"{origin} trusted_proxies must be a whole number of proxies, 0 or more, got {value!r}"
            raise ConfigError(msg)
        return int(text)
    if key == "audit_keyed_from":
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) < 1:
            msg = f"{origin} audit_keyed_from must be an event number, 1 or more, got {value!r}"
            raise ConfigError(msg)
        return int(text)
    if key == "log_level":
        text = str(value).upper()
        if text not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            msg = f"{origin} log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {value!r}"
            raise ConfigError(msg)
        return text
    return str(value)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class SurfacePolicy:
    """Area intensity: time-decayed kernel density of incidents."""

    bandwidth_m: float = 200.0
    half_life_days: float = 90.0
    horizon_days: int = 365
    cell_m: float = 50.0
    default_weight: float = 0.5
    # Reported violence and injuries weigh most; enforcement-discovered
    # categories (drugs, weapons possession) less, to limit the feedback loop.
    category_weights: Mapping[str, float] = field(default_factory=dict)
    # Optional second, neighbourhood-scale term: intensity = (1 - wide_share) * term(bandwidth_m,
    # half_life_days) + wide_share * term(wide_bandwidth_m, wide_half_life_days); 0 disables it.
    wide_bandwidth_m: float = 0.0
    wide_half_life_days: float = 0.0
    wide_share: float = 0.0
    # Area intensity is the mean over a square block of this side centred on the place
    # (0: the kernel value at the point itself).
    support_m: float = 0.0
    # The area forecast (geo_risk.surface.forecast): the categories forecast, optional harm
    # weights of those categories (empty: every incident counts 1), the kernel scales of its
    # features (metres; 0 is always included), its default weights by feature name (used as
    # they are with one month of history, and as the prior the fitted weights are shrunk
    # towards) and the strength of that prior in months.
    forecast_targets: tuple[str, ...] = ("Violence and sexual offences", "Possession of weapons", "Robbery")
    forecast_harm_weights: Mapping[str, float] = field(default_factory=dict)
    forecast_scales_m: tuple[float, ...] = (150.0, 400.0)
    forecast_weights: Mapping[str, float] = field(default_factory=dict)
    forecast_prior_months: float = 6.0
    # Emergency-department injuries (category "ED assault injury") weigh their category weight times
    # a factor for the weapon and one for the age band recorded (a name not listed counts 1).
    injury_weapon_weights: Mapping[str, float] = field(default_factory=dict)
    injury_age_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkPolicy:
    """Peer-network exposure."""

    link_half_life_days: float = 120.0
    # A: confirmed; E: unverified. The grade alone sets the weight, never the source.
    grade_weights: Mapping[str, float] = field(
        default_factory=lambda: {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2})
    group_conflict_factor: float = 0.8
    associate_conflict_factor: float = 0.4
    activity_bandwidth_m: float = 250.0
    place_half_life_days: float = 180.0
    # Link types that make someone a "close associate" whose conflicts reach the child.
    associate_link_types: tuple[str, ...] = ("associates_with",)


@dataclass(frozen=True)
class ScoringPolicy:
    """Components -> 0-100 score -> band."""

    area_weight: float = 0.4
    conflict_weight: float = 0.35
    exploitation_weight: float = 0.25
    conflict_lift_threshold: float = 0.5
    exploitation_lift_threshold: float = 0.5
    site_radius_m: float = 300.0
    near_distance_m: float = 300.0
    band_edges: tuple[float, float, float] = (25.0, 50.0, 75.0)
    bands: tuple[str, str, str, str] = ("Low", "Medium", "High", "Very high")
    max_candidates: int = 50
    # Exposure -> 0..1 as 1 - exp(-exposure / scale); exposure 1.0 is one fresh
    # grade-A place of one fresh grade-A direct adversary, at the place itself.
    conflict_scale: float = 0.5
    exploitation_scale: float = 0.5
    site_weight: float = 0.1
    site_scale: float = 0.5
    unlinked_site_factor: float = 0.5
    confidence_stale_days: float = 180.0
    incident_stale_days: float = 92.0
    confidence_min_incidents: int = 100
    # The placement band is the worse of an area band and a child-specific band (docs/decisions.md).
    # Area band: the area-intensity percentile among the residential addresses (postcode centres) of
    # the area covered; at or above each edge, the next band (Low, Medium, High: never Very high).
    area_band_edges: tuple[float, float] = (50.0, 90.0)
    # Child-specific band: the larger of conflict and exploitation exposure (0..1); at or above each
    # edge, the next band (Medium, High, Very high). No edge jumps two bands.
    child_band_edges: tuple[float, float, float] = (0.05, 0.25, 0.6)
    # A live home or other place (not an incident location) of an adversary or exploiter within this
    # distance: "consult the analyst before placing here", and the child-specific band at least High.
    consult_distance_m: float = 400.0
    # Grades that count as unverified: they do not shrink a placement's risk (every grade weighs as
    # confirmed there); a concern resting mostly on them is flagged "verify by" as_of + verify_within_days
    # and gets low confidence.
    unverified_grades: tuple[str, ...] = ("D", "E")
    verify_within_days: float = 14.0
    # A point outside the areas loaded, or farther than this from the hull of the incidents in the
    # surface's horizon, is outside the data's coverage: "Cannot assess".
    coverage_buffer_m: float = 500.0
    # Retaliation window: an incident location of a young person's peer group (or of one of its
    # members) first seen in the last retaliation_days makes the group's places a conflict exposure
    # for that young person, at retaliation_factor x their membership's weight (0 days: off).
    retaliation_days: float = 28.0
    retaliation_factor: float = 0.8


@dataclass(frozen=True)
class RoutingPolicy:
    """Walking routes and the assisted-transport rule."""

    alpha: float = 4.0
    detour_max_ratio: float = 0.3
    detour_max_m: float = 800.0
    snap_max_m: float = 200.0
    walk_speed_m_s: float = 1.3
    sample_step_m: float = 25.0
    near_distance_m: float = 100.0
    alternatives: int = 3
    school_windows: tuple[str, ...] = ("07:30-09:15", "14:45-17:00")
    school_window_weight: float = 2.0
    assisted_transport_band: str = "High"
    # a route's band is that of its riskiest stretch of this length
    band_window_m: float = 100.0
    # an alternative must share less than this share of its length with a route already shown
    alternative_max_overlap: float = 0.8
    # the statutory walking distance (Education Act 1996 s.444(5)): 2 miles for a child under 8,
    # 3 miles from 8; the age band comes from the route referral (contract.AGE_BANDS)
    walking_distance_under_8_m: float = 3218.688
    walking_distance_from_8_m: float = 4828.032


@dataclass(frozen=True)
class BriefingPolicy:
    """School-area briefings and tension levels."""

    buffer_m: float = 1000.0
    windows_days: tuple[int, ...] = (7, 28, 90)
    serious_categories: tuple[str, ...] = ("Violence and sexual offences", "Robbery", "Possession of weapons")
    suppress_below: int = 5
    levels: tuple[str, str, str, str] = ("Low", "Elevated", "High", "Critical")
    # whole months of month-only data (police.uk) counted in each window; 0 = dated incidents only
    month_windows: tuple[int, ...] = (0, 1, 3)
    # the comparison period before the longest window, for dated and for month-only incidents
    baseline_days: int = 365
    baseline_months: int = 12
    confidence: float = 0.95
    injury_categories: tuple[str, ...] = (INJURY_CATEGORY,)
    area_level: str = "lsoa"
    trend_months: int = 12
    shade_classes: int = 5
    # tension rule: points, then level_points are the thresholds for Elevated, High, Critical
    min_serious_28d: int = 5
    rr_elevated: float = 1.0
    rr_high: float = 2.0
    injuries_major: int = 5
    conflict_recent_days: int = 90
    level_points: tuple[int, int, int] = (1, 3, 5)
    # how much one conflict with recent evidence counts towards the conflict rule, by its best
    # evidence grade (the rule gives 1 point from a count of 1, 2 points from 2): an unverified
    # conflict counts less than 1, so it cannot raise a school's level on its own
    conflict_grade_weights: Mapping[str, float] = field(
        default_factory=lambda: {g: (0.5 if g == GRADES[-1] else 1.0) for g in GRADES})
    # a peer group with fewer live members, or a place with fewer different sources, is never shown
    # to a school (a conflict naming such a group is withheld from the school's list)
    school_min_group_members: int = 3
    school_min_place_sources: int = 2


@dataclass(frozen=True)
class ProbingPolicy:
    """What checks made through one referral may reveal (the housing and transport tiers).

    Someone who checks many candidate addresses for one young person could intersect the answers
    to locate the places behind them. Per referral, in any ``window_hours``: at most ``max_checks``
    checks and ``max_candidates`` different candidate addresses, each at least ``min_spacing_m``
    from every other one checked; the distances in those tiers' wording are rounded up to
    ``distance_step_m``. A probing alert (an audit event the privacy officer sees) is raised when a
    check is refused for the budget (rule ``budget``), or when at least ``alert_min_candidates``
    candidates of the window lie on a near-regular grid (the coefficient of variation of their
    nearest-neighbour spacings at most ``grid_max_variation``: rule ``grid``) or all within
    ``cluster_radius_m`` of their centre (rule ``cluster``).
    """

    window_hours: float = 24.0
    max_checks: int = 10
    max_candidates: int = 10
    min_spacing_m: float = 200.0
    distance_step_m: float = 500.0
    alert_min_candidates: int = 6
    grid_max_variation: float = 0.25
    cluster_radius_m: float = 750.0


@dataclass(frozen=True)
class Policy:
    """A versioned set of thresholds and weights. Every stored assessment records ``version``."""

    version: str
    description: str = ""
    surface: SurfacePolicy = field(default_factory=SurfacePolicy)
    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    scoring: ScoringPolicy = field(default_factory=ScoringPolicy)
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    briefing: BriefingPolicy = field(default_factory=BriefingPolicy)
    probing: ProbingPolicy = field(default_factory=ProbingPolicy)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read and check a policy file.

        Raises
        ------
        ConfigError
            If the file is missing or not TOML, or lists every problem of its values.
        """
        data = read_toml(path, "policy file", "set GEO_RISK_POLICY_FILE or use the default")
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def default(cls) -> Policy:
        return cls.load(DEFAULT_POLICY_FILE)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str = "policy") -> Policy:
        """Build a policy, checking every value; all problems are reported in one :class:`ConfigError`."""
        problems: list[str] = []
        sections = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(sections))
        if unknown:
            problems.append(f"unknown policy key(s) {', '.join(unknown)}; valid keys are: {', '.join(sections)}")
        if "version" not in data or not str(data["version"]).strip():
            problems.append("a policy must have a non-empty 'version'")
        kwargs: dict[str, Any] = {"version": str(data.get("version", "")), "description": str(data.get("description", ""))}
        for name, section_cls in _SECTIONS.items():
            if name in data:
                section, found = _build_section(section_cls, data[name], f"[{name}]")
                problems += found
                if section is not None:
                    kwargs[name] = section
        policy = cls(**kwargs)  # a value with a problem above keeps its default here
        problems += policy_problems(policy)
        if problems:
            msg = f"{origin}: {len(problems)} problem(s) in the policy: " + "; ".join(problems)
            raise ConfigError(msg)
        return policy

    def to_dict(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            if dataclasses.is_dataclass(value):
                return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
            if isinstance(value, Mapping):
                return {str(k): convert(v) for k, v in sorted(value.items())}
            if isinstance(value, (tuple, list)):
                return [convert(v) for v in value]
            return value

        return convert(self)

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's canonical JSON; two policies with one version must match it."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


_SECTIONS = {
    "surface": SurfacePolicy,
    "network": NetworkPolicy,
    "scoring": ScoringPolicy,
    "routing": RoutingPolicy,
    "briefing": BriefingPolicy,
    "probing": ProbingPolicy,
}


def _build_section(section_cls: type, values: Any, where: str) -> tuple[Any, list[str]]:
    """The section and the problems of its values (``None`` when it cannot be built)."""
    if not isinstance(values, Mapping):
        return None, [f"{where} must be a table of keys"]
    problems = []
    fields = {f.name: f for f in dataclasses.fields(section_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys are: {', '.join(fields)}")
    defaults = section_cls()
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            continue
        default = getattr(defaults, key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                problems.append(f"{where} {key} must be true or false, got {value!r}")
                continue
        elif isinstance(default, (int, float)):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(f"{where} {key} must be a number, got {value!r}")
                continue
            if not math.isfinite(value):
                problems.append(f"{where} {key} must be a finite number, got {value!r}")
                continue
            if value < 0:
                problems.append(f"{where} {key} must not be negative, got {value!r}")
                continue
            if isinstance(default, int) and not isinstance(default, bool) and value != int(value):
                problems.append(f"{where} {key} must be a whole number, got {value!r}")
                continue
            value = float(value) if isinstance(default, float) else int(value)
        elif isinstance(default, tuple):
            if not isinstance(value, (list, tuple)):
                problems.append(f"{where} {key} must be a list, got {value!r}")
                continue
            value = tuple(value)
            kinds = {type(v) for v in default}
            if default and kinds <= {int, float} and not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                problems.append(f"{where} {key} must be a list of numbers, got {list(value)!r}")
                continue
            if default and kinds == {str} and not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(f"{where} {key} must be a list of non-empty texts, got {list(value)!r}")
                continue
            if "..." not in str(fields[key].type) and len(value) != len(default):
                problems.append(f"{where} {key} must have {len(default)} values, got {len(value)}")
                continue
        elif isinstance(default, Mapping):
            if not isinstance(value, Mapping):
                problems.append(f"{where} {key} must be a table, got {value!r}")
                continue
            bad = {k: v for k, v in value.items()
                   if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0}
            if bad:
                problems.append(f"{where} {key} values must be numbers of 0 or more, got {bad!r}")
                continue
            value = {str(k): float(v) for k, v in value.items()}
        kwargs[key] = value
    return section_cls(**kwargs), problems


def _ascending(values: tuple) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


def policy_problems(policy: Policy) -> list[str]:
    """What is wrong with a policy whose values have the right types: the rules between them."""
    problems = []
    sur, net, sco, rou, bri = policy.surface, policy.network, policy.scoring, policy.routing, policy.briefing
    unknown = sorted(set(sur.category_weights) - set(CATEGORIES))
    if unknown:
        problems.append(f"[surface.category_weights] names unknown categories {', '.join(unknown)}; "
                        f"categories are: {', '.join(CATEGORIES)}")
    for name in ("bandwidth_m", "half_life_days", "horizon_days", "cell_m"):
        if getattr(sur, name) <= 0:
            problems.append(f"[surface] {name} must be more than 0")
    if not 0 <= sur.wide_share <= 1:
        problems.append(f"[surface] wide_share must be between 0 and 1, got {sur.wide_share}")
    missing = [g for g in GRADES if g not in net.grade_weights]
    extra = sorted(set(net.grade_weights) - set(GRADES))
    if missing or extra:
        problems.append(f"[network.grade_weights] must give a weight for each grade {', '.join(GRADES)} and nothing "
                        f"else (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'})")
    elif any(net.grade_weights[a] < net.grade_weights[b] for a, b in itertools.pairwise(GRADES)):
        problems.append("[network.grade_weights] must not rise from A (confirmed) to E (unverified), got "
                        + ", ".join(f"{g} = {net.grade_weights[g]}" for g in GRADES))
    bad_links = sorted(set(net.associate_link_types) - set(LINK_TYPES))
    if bad_links:
        problems.append(f"[network] associate_link_types names unknown link types {', '.join(bad_links)}; "
                        f"link types are: {', '.join(LINK_TYPES)}")
    for name in ("link_half_life_days", "activity_bandwidth_m", "place_half_life_days"):
        if getattr(net, name) <= 0:
            problems.append(f"[network] {name} must be more than 0")
    if not _ascending(sco.band_edges) or not 0 < sco.band_edges[0] or not sco.band_edges[-1] < 100:
        problems.append(f"[scoring] band_edges must rise strictly between 0 and 100, got {list(sco.band_edges)}")
    if len(set(sco.bands)) != len(sco.bands):
        problems.append(f"[scoring] bands must be different from each other, got {list(sco.bands)}")
    for name in ("conflict_scale", "exploitation_scale", "site_scale", "site_radius_m"):
        if getattr(sco, name) <= 0:
            problems.append(f"[scoring] {name} must be more than 0")
    if sco.area_weight + sco.conflict_weight + sco.exploitation_weight <= 0:
        problems.append("[scoring] area_weight, conflict_weight and exploitation_weight must not all be 0")
    if not _ascending(sco.area_band_edges) or not 0 < sco.area_band_edges[0] or not sco.area_band_edges[-1] < 100:
        problems.append(f"[scoring] area_band_edges must rise strictly between 0 and 100, got {list(sco.area_band_edges)}")
    if not _ascending(sco.child_band_edges) or not 0 < sco.child_band_edges[0] or not sco.child_band_edges[-1] < 1:
        problems.append(f"[scoring] child_band_edges must rise strictly between 0 and 1, got {list(sco.child_band_edges)}")
    if CANNOT_ASSESS in sco.bands:
        problems.append(f"[scoring] bands must not include {CANNOT_ASSESS!r}: it is the band of a point the data do not cover")
    bad_grades = sorted(set(sco.unverified_grades) - set(GRADES))
    if bad_grades:
        problems.append(f"[scoring] unverified_grades names unknown grades {', '.join(bad_grades)}; "
                        f"grades are: {', '.join(GRADES)}")
    if sco.consult_distance_m <= 0 or sco.coverage_buffer_m <= 0:
        problems.append("[scoring] consult_distance_m and coverage_buffer_m must be more than 0")
    if sco.max_candidates < 1:
        problems.append("[scoring] max_candidates must be at least 1")
    if rou.assisted_transport_band not in sco.bands:
        problems.append(f"[routing] assisted_transport_band {rou.assisted_transport_band!r} must be one of the "
                        f"scoring bands {', '.join(sco.bands)}")
    if not 0 < rou.walking_distance_under_8_m <= rou.walking_distance_from_8_m:
        problems.append("[routing] walking_distance_under_8_m must be more than 0 and at most "
                        "walking_distance_from_8_m")
    if not 0 <= rou.alternative_max_overlap <= 1:
        problems.append(f"[routing] alternative_max_overlap must be between 0 and 1, got {rou.alternative_max_overlap}")
    for name in ("serious_categories", "injury_categories"):
        unknown = sorted(set(getattr(bri, name)) - set(CATEGORIES))
        if unknown:
            problems.append(f"[briefing] {name} names unknown categories {', '.join(unknown)}; "
                            f"categories are: {', '.join(CATEGORIES)}")
    if not bri.windows_days or not _ascending(bri.windows_days) or bri.windows_days[0] < 1:
        problems.append(f"[briefing] windows_days must rise strictly from 1 day, got {list(bri.windows_days)}")
    if len(bri.month_windows) != len(bri.windows_days):
        problems.append(f"[briefing] month_windows must have one value per window ({len(bri.windows_days)}), "
                        f"got {len(bri.month_windows)}")
    if len(set(bri.levels)) != len(bri.levels):
        problems.append(f"[briefing] levels must be different from each other, got {list(bri.levels)}")
    if not _ascending(bri.level_points):
        problems.append(f"[briefing] level_points must rise strictly, got {list(bri.level_points)}")
    if not 0 < bri.confidence < 1:
        problems.append(f"[briefing] confidence must be between 0 and 1, got {bri.confidence}")
    pro = policy.probing
    for name in ("window_hours", "max_checks", "max_candidates", "distance_step_m", "alert_min_candidates"):
        if getattr(pro, name) <= 0:
            problems.append(f"[probing] {name} must be more than 0")
    if pro.alert_min_candidates < 3:
        problems.append("[probing] alert_min_candidates must be at least 3 (a grid or cluster needs 3 points)")
    if bri.buffer_m <= 0:
        problems.append("[briefing] buffer_m must be more than 0")
    missing = [g for g in GRADES if g not in bri.conflict_grade_weights]
    extra = sorted(set(bri.conflict_grade_weights) - set(GRADES))
    if missing or extra:
        problems.append(f"[briefing.conflict_grade_weights] must give a weight for each grade {', '.join(GRADES)} "
                        f"and nothing else (missing: {', '.join(missing) or 'none'}; unknown: "
                        f"{', '.join(extra) or 'none'})")
    elif any(bri.conflict_grade_weights[a] < bri.conflict_grade_weights[b] for a, b in itertools.pairwise(GRADES)):
        problems.append("[briefing.conflict_grade_weights] must not rise from A (confirmed) to E (unverified)")
    for name in ("school_min_group_members", "school_min_place_sources"):
        if getattr(bri, name) < 1:
            problems.append(f"[briefing] {name} must be at least 1")
    return problems
